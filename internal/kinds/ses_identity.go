package kinds

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sesv2types "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SES quota lanes: each documented "no more than once per second" operation is its own
// bucket; SESv2's ListEmailIdentities and GetEmailIdentity share one 1 rps bucket.
const (
	LaneSESGetEmailIdentityPolicies = "ses:GetEmailIdentityPolicies"
	LaneSESv2Other                  = "ses:v2-other"
	LaneSESListIdentities           = "ses:ListIdentities"
	LaneSESListIdentityPolicies     = "ses:ListIdentityPolicies"
	LaneSESGetIdentityPolicies      = "ses:GetIdentityPolicies"
)

var (
	sesGEPLane     = Lane{Name: LaneSESGetEmailIdentityPolicies, Rate: 1, Documented: true, Ops: []string{"ses:GetEmailIdentityPolicies"}}
	sesV2OtherLane = Lane{Name: LaneSESv2Other, Rate: 1, Documented: true, Ops: []string{"ses:ListEmailIdentities", "ses:GetEmailIdentity"}}
	sesListIDLane  = Lane{Name: LaneSESListIdentities, Rate: 1, Documented: true, Ops: []string{"ses:ListIdentities"}}
	sesListPolLane = Lane{Name: LaneSESListIdentityPolicies, Rate: 1, Documented: true, Ops: []string{"ses:ListIdentityPolicies"}}
	sesGetPolLane  = Lane{Name: LaneSESGetIdentityPolicies, Rate: 1, Documented: true, Ops: []string{"ses:GetIdentityPolicies"}}
)

// sesPage is the largest page of ListEmailIdentities and ListIdentities.
const sesPage = 1000

// SESPath is the API path SES identities are read through.
type SESPath int

const (
	// SESv2Dual reads each identity's policies with one SESv2 call, either
	// GetEmailIdentityPolicies or GetEmailIdentity (which returns the same Policies map),
	// whichever bucket has a token: two 1 rps buckets serve the identities instead of one.
	SESv2Dual SESPath = iota
	// SESv2 reads with GetEmailIdentityPolicies only: I+1 calls at 1 identity/s.
	SESv2
	// SESv1 reads with ListIdentityPolicies per identity, then GetIdentityPolicies for the
	// identities that have any: I+Ip+1 calls, at 1 identity/s when the buckets pipeline.
	SESv1
)

func (p SESPath) String() string {
	switch p {
	case SESv2:
		return "v2"
	case SESv1:
		return "v1"
	}
	return "v2-dual"
}

// SESIdentity audits the sending-authorization policies of every SES identity (domains and
// addresses). v1 and v2 read the same identities and the same policies, so one path is
// enough; which one is a question of calls and of quota buckets.
//
// Measured against the simulator, whose buckets follow PERFORMANCE.md: 200 identities, 60 of
// them with a policy, time scale x50 (BenchmarkSESPaths in internal/scan, docs/performance.md):
//
//	path      SES calls   wall at x50   identities/s at real rates
//	v1        261         3.99 s        1.00
//	v2        201         3.98 s        1.00
//	v2-dual   201         2.00 s        2.00
//
// v1 costs an extra GetIdentityPolicies per identity with a policy and is no faster than v2
// (its two per-identity buckets pipeline to the same 1/s). v2 costs the minimum, I+1 calls.
// v2-dual costs the same I+1 calls and spreads the reads over the GetEmailIdentityPolicies
// bucket and the bucket GetEmailIdentity shares with ListEmailIdentities, halving SES's
// lower bound (500 identities: 250 s instead of 500 s), so it is the default.
type SESIdentity struct {
	Path SESPath
}

func init() { Register(SESIdentity{}) }

func (SESIdentity) Name() string { return "ses-identity" }
func (SESIdentity) Global() bool { return false }

func (k SESIdentity) Actions() []string { return k.Path.Actions() }

// Actions are the IAM actions reading through the path needs.
func (p SESPath) Actions() []string {
	switch p {
	case SESv1:
		return []string{"ses:GetIdentityPolicies", "ses:ListIdentities", "ses:ListIdentityPolicies"}
	case SESv2:
		return []string{"ses:GetEmailIdentityPolicies", "ses:ListEmailIdentities"}
	}
	return []string{"ses:GetEmailIdentity", "ses:GetEmailIdentityPolicies", "ses:ListEmailIdentities"}
}

func (k SESIdentity) Lanes() []Lane {
	if k.Path == SESv1 {
		return []Lane{sesListIDLane, sesListPolLane, sesGetPolLane}
	}
	return []Lane{sesGEPLane, sesV2OtherLane}
}

// SESv2GetPoliciesAPI and SESv2GetIdentityAPI read one identity's policies through SESv2.
type SESv2GetPoliciesAPI interface {
	GetEmailIdentityPolicies(context.Context, *sesv2.GetEmailIdentityPoliciesInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityPoliciesOutput, error)
}

type SESv2GetIdentityAPI interface {
	GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
}

// SESv1PoliciesAPI reads one identity's policies through SES v1.
type SESv1PoliciesAPI interface {
	ListIdentityPolicies(context.Context, *ses.ListIdentityPoliciesInput, ...func(*ses.Options)) (*ses.ListIdentityPoliciesOutput, error)
	GetIdentityPolicies(context.Context, *ses.GetIdentityPoliciesInput, ...func(*ses.Options)) (*ses.GetIdentityPoliciesOutput, error)
}

type sesV1Client struct {
	list *ses.Client
	get  *ses.Client
}

func (c sesV1Client) ListIdentityPolicies(ctx context.Context, in *ses.ListIdentityPoliciesInput, o ...func(*ses.Options)) (*ses.ListIdentityPoliciesOutput, error) {
	return c.list.ListIdentityPolicies(ctx, in, o...)
}

func (c sesV1Client) GetIdentityPolicies(ctx context.Context, in *ses.GetIdentityPoliciesInput, o ...func(*ses.Options)) (*ses.GetIdentityPoliciesOutput, error) {
	return c.get.GetIdentityPolicies(ctx, in, o...)
}

func (k SESIdentity) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	if k.Path == SESv1 {
		list := ses.NewFromConfig(env.Config(LaneSESListIdentities))
		pol := sesV1Client{list: ses.NewFromConfig(env.Config(LaneSESListIdentityPolicies)), get: ses.NewFromConfig(env.Config(LaneSESGetIdentityPolicies))}
		return CollectSESv1(ctx, env, list, pol, region)
	}
	other := sesv2.NewFromConfig(env.Config(LaneSESv2Other))
	gep := sesv2.NewFromConfig(env.Config(LaneSESGetEmailIdentityPolicies))
	var viaIdentity SESv2GetIdentityAPI
	if k.Path == SESv2Dual {
		viaIdentity = other
	}
	return CollectSESv2(ctx, env, other, gep, viaIdentity, region)
}

type sesResults struct {
	mu   sync.Mutex
	ids  []world.SESIdentity
	pols map[string]map[string]world.Policy
}

func (r *sesResults) set(identity string, policies map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(policies) == 0 {
		return
	}
	m := make(map[string]world.Policy, len(policies))
	for name, doc := range policies {
		m[name] = world.Policy(doc)
	}
	r.pols[identity] = m
}

func (r *sesResults) store(region *world.Region) {
	for i := range r.ids {
		r.ids[i].Policies = r.pols[r.ids[i].Identity]
	}
	sort.Slice(r.ids, func(i, j int) bool { return r.ids[i].Identity < r.ids[j].Identity })
	region.SESIdentities = r.ids
}

func sesARN(env Env, identity string) string {
	return fmt.Sprintf("arn:%s:ses:%s:%s:identity/%s", env.Partition(), env.Region(), env.Account(), identity)
}

// CollectSESv2 lists identities with ListEmailIdentities and reads each one's policies with
// GetEmailIdentityPolicies, and also with GetEmailIdentity when viaIdentity is not nil.
func CollectSESv2(ctx context.Context, env Env, list sesv2.ListEmailIdentitiesAPIClient, gep SESv2GetPoliciesAPI, viaIdentity SESv2GetIdentityAPI, region *world.Region) error {
	res := &sesResults{pols: map[string]map[string]world.Policy{}}
	q := newQueue[string]()
	q.workers(env.Workers(LaneSESGetEmailIdentityPolicies), func(id string) {
		out, err := gep.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String(id)})
		if err != nil {
			env.Gap("ses:GetEmailIdentityPolicies", sesARN(env, id), err)
		} else {
			res.set(id, out.Policies)
		}
		env.Done(1)
	})
	if viaIdentity != nil {
		q.workers(env.Workers(LaneSESv2Other), func(id string) {
			out, err := viaIdentity.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(id)})
			if err != nil {
				env.Gap("ses:GetEmailIdentity", sesARN(env, id), err)
			} else {
				res.set(id, out.Policies)
			}
			env.Done(1)
		})
	}
	var listErr error
	p := sesv2.NewListEmailIdentitiesPaginator(list, &sesv2.ListEmailIdentitiesInput{PageSize: aws.Int32(sesPage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "ses:ListEmailIdentities", Err: err}
			break
		}
		env.Listed(len(out.EmailIdentities))
		for _, e := range out.EmailIdentities {
			name := aws.ToString(e.IdentityName)
			typ := world.SESDomain
			if e.IdentityType == sesv2types.IdentityTypeEmailAddress {
				typ = world.SESEmailAddress
			}
			res.mu.Lock()
			res.ids = append(res.ids, world.SESIdentity{Identity: name, Type: typ})
			res.mu.Unlock()
			q.push(name)
		}
	}
	q.closeAndWait()
	res.store(region)
	return listErr
}

// CollectSESv1 lists identities with ListIdentities and reads policies with
// ListIdentityPolicies, then GetIdentityPolicies (one call: an identity holds at most 20).
func CollectSESv1(ctx context.Context, env Env, list ses.ListIdentitiesAPIClient, pol SESv1PoliciesAPI, region *world.Region) error {
	res := &sesResults{pols: map[string]map[string]world.Policy{}}
	type named struct {
		id    string
		names []string
	}
	getQ := newQueue[named]()
	getQ.workers(env.Workers(LaneSESGetIdentityPolicies), func(n named) {
		out, err := pol.GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{Identity: aws.String(n.id), PolicyNames: n.names})
		if err != nil {
			env.Gap("ses:GetIdentityPolicies", sesARN(env, n.id), err)
		} else {
			res.set(n.id, out.Policies)
		}
		env.Done(1)
	})
	listQ := newQueue[string]()
	listQ.workers(env.Workers(LaneSESListIdentityPolicies), func(id string) {
		out, err := pol.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String(id)})
		switch {
		case err != nil:
			env.Gap("ses:ListIdentityPolicies", sesARN(env, id), err)
			env.Done(1)
		case len(out.PolicyNames) == 0:
			env.Done(1)
		default:
			getQ.push(named{id, out.PolicyNames})
		}
	})
	var listErr error
	p := ses.NewListIdentitiesPaginator(list, &ses.ListIdentitiesInput{MaxItems: aws.Int32(sesPage)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			listErr = &OpError{Op: "ses:ListIdentities", Err: err}
			break
		}
		env.Listed(len(out.Identities))
		for _, id := range out.Identities {
			typ := world.SESDomain
			if strings.Contains(id, "@") {
				typ = world.SESEmailAddress
			}
			res.mu.Lock()
			res.ids = append(res.ids, world.SESIdentity{Identity: id, Type: typ})
			res.mu.Unlock()
			listQ.push(id)
		}
	}
	listQ.closeAndWait()
	getQ.closeAndWait()
	res.store(region)
	return listErr
}

func (SESIdentity) Policies(acct *world.Account) []Policy {
	var out []Policy
	for _, r := range acct.Regions {
		p := Partition(r.Name)
		for _, id := range r.SESIdentities {
			arn := fmt.Sprintf("arn:%s:ses:%s:%s:identity/%s", p, r.Name, acct.ID, id.Identity)
			names := make([]string, 0, len(id.Policies))
			for n := range id.Policies {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				out = append(out, Policy{Region: r.Name, ResourceARN: arn, PolicyName: n, Document: string(id.Policies[n])})
			}
		}
	}
	return out
}

func (SESIdentity) Resources(acct *world.Account) int {
	n := 0
	for _, r := range acct.Regions {
		n += len(r.SESIdentities)
	}
	return n
}

// MinimalCalls is the cheapest path's count, ceil(I/1000) + I per region (PERFORMANCE.md
// §1, SESv2), whatever path was configured: a costlier path shows in the call ratio.
// For v2-dual the per-identity reads are split between the two Get operations as Demand
// splits them; only their sum is a minimum.
func (k SESIdentity) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		list, ids := pages(len(r.SESIdentities), sesPage), int64(len(r.SESIdentities))
		m["ses:ListEmailIdentities"] += list
		if k.Path == SESv2Dual {
			gep, other := sesSplit(list, ids)
			m["ses:GetEmailIdentityPolicies"] += gep
			m["ses:GetEmailIdentity"] += other
		} else {
			m["ses:GetEmailIdentityPolicies"] += ids
		}
	}
	return m
}

// sesSplit shares ids reads between the GetEmailIdentityPolicies bucket and the bucket that
// also carries the list pages, evening out the two.
func sesSplit(list, ids int64) (gep, other int64) {
	gep = (ids + list + 1) / 2
	if gep > ids {
		gep = ids
	}
	return gep, ids - gep
}

func (k SESIdentity) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := len(r.SESIdentities)
	switch k.Path {
	case SESv1:
		withPolicy := 0
		for _, id := range r.SESIdentities {
			if len(id.Policies) > 0 {
				withPolicy++
			}
		}
		return map[string]int64{LaneSESListIdentities: pages(n, sesPage), LaneSESListIdentityPolicies: int64(n), LaneSESGetIdentityPolicies: int64(withPolicy)}
	case SESv2:
		return map[string]int64{LaneSESv2Other: pages(n, sesPage), LaneSESGetEmailIdentityPolicies: int64(n)}
	}
	list := pages(n, sesPage)
	gep, other := sesSplit(list, int64(n))
	return map[string]int64{LaneSESv2Other: list + other, LaneSESGetEmailIdentityPolicies: gep}
}
