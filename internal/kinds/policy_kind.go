package kinds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// policyKind is the shape most services share: a paginated listing, then one or more reads
// per listed resource (the policy; for KMS also the grants), each read charged to its own
// lane. The kinds of this shape (sqs-queue, sns-topic, kms-key, secretsmanager-secret,
// ecr-repository, ecr-registry, eventbridge-bus, logs-*) keep their resources in
// world.Region.Resources and differ only in the calls, which they give as functions.
type policyKind struct {
	name     string
	actions  []string
	lanes    []Lane
	listLane string
	listOp   string // IAM action of the listing, for gaps and call counts
	page     int    // the listing's page size
	// list reads one page of the listing; next is "" after the last page. Each item carries
	// the resource as listed and the identifier the reads take (queue URL, key id, ...).
	list func(ctx context.Context, cfg aws.Config, env Env, token string) (items []listed, next string, err error)
	// reads are the per-resource calls; none when the listing carries the policies.
	reads []policyRead
	// arn forms a resource's ARN from its name, for a world written without ARNs (nil when
	// the ARN cannot be derived, as for secrets' random suffix).
	arn func(partition, region, account, name string) string
	// policies turns a collected resource into the documents to judge; nil means the one
	// document in Policy, under the resource's ARN.
	policies func(region, partition, account string, r *world.Resource) []Policy
}

type listed struct {
	res world.Resource
	id  string
}

type policyRead struct {
	lane, op string
	// read returns a function that records the result in the resource (it runs under a
	// lock), or errGone when the resource vanished after it was listed.
	read func(ctx context.Context, cfg aws.Config, id string) (func(*world.Resource), error)
	// calls is the number of calls the read takes for a resource (nil: one).
	calls func(r *world.Resource) int64
}

// errGone says a listed resource was deleted before it could be read: it is left out, as a
// resource that no longer exists has no policy to judge.
var errGone = errors.New("the resource was deleted after it was listed")

func (k *policyKind) Name() string      { return k.name }
func (k *policyKind) Global() bool      { return false }
func (k *policyKind) Actions() []string { return k.actions }
func (k *policyKind) Lanes() []Lane     { return k.lanes }

func (k *policyKind) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	var mu sync.Mutex
	var items []*listed
	gone := map[*listed]bool{}
	queues := make([]*queue[*listed], len(k.reads))
	for i, rd := range k.reads {
		cfg := env.Config(rd.lane)
		q := newQueue[*listed]()
		q.workers(env.Workers(rd.lane), func(it *listed) {
			apply, err := rd.read(ctx, cfg, it.id)
			mu.Lock()
			switch {
			case err == nil:
				apply(&it.res)
			case errors.Is(err, errGone):
				gone[it] = true
			default:
				env.Gap(rd.op, it.res.ARN, err)
			}
			mu.Unlock()
			if i == 0 {
				env.Done(1)
			}
		})
		queues[i] = q
	}
	cfg := env.Config(k.listLane)
	var listErr error
	token := ""
	for {
		page, next, err := k.list(ctx, cfg, env, token)
		if err != nil {
			listErr = &OpError{Op: k.listOp, Err: err}
			break
		}
		env.Listed(len(page))
		for i := range page {
			it := &page[i]
			mu.Lock()
			items = append(items, it)
			mu.Unlock()
			for _, q := range queues {
				q.push(it)
			}
		}
		if len(k.reads) == 0 {
			env.Done(len(page))
		}
		if next == "" || next == token {
			break
		}
		token = next
	}
	for _, q := range queues {
		q.closeAndWait()
	}
	out := make([]world.Resource, 0, len(items))
	for _, it := range items {
		if !gone[it] {
			out = append(out, it.res)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	addResources(region, out...)
	return listErr
}

func (k *policyKind) Policies(acct *world.Account) []Policy {
	var out []Policy
	resourcesOf(acct, k.name, func(region string, r *world.Resource) {
		if k.policies != nil {
			out = append(out, k.policies(region, Partition(region), acct.ID, r)...)
			return
		}
		if r.Policy != "" {
			arn := r.ARN
			if arn == "" && k.arn != nil {
				arn = k.arn(Partition(region), region, acct.ID, r.Name)
			}
			out = append(out, Policy{Region: region, ResourceARN: arn, Document: string(r.Policy)})
		}
	})
	return out
}

func (k *policyKind) Resources(acct *world.Account) int {
	n := 0
	resourcesOf(acct, k.name, func(string, *world.Resource) { n++ })
	return n
}

// calls is the least number of calls per operation that reads a region's resources of the
// kind: the pages of the listing and each read per resource.
func (k *policyKind) calls(r *world.Region) map[string]int64 {
	var rs []*world.Resource
	for i := range r.Resources {
		if r.Resources[i].Kind == k.name {
			rs = append(rs, &r.Resources[i])
		}
	}
	m := map[string]int64{k.listOp: pages(len(rs), k.page)}
	for _, rd := range k.reads {
		for _, x := range rs {
			if rd.calls != nil {
				m[rd.op] += rd.calls(x)
			} else {
				m[rd.op]++
			}
		}
	}
	return m
}

func (k *policyKind) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		for op, n := range k.calls(r) {
			m[op] += n
		}
	}
	return m
}

func (k *policyKind) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	laneOf := map[string]string{k.listOp: k.listLane}
	for _, rd := range k.reads {
		laneOf[rd.op] = rd.lane
	}
	m := map[string]int64{}
	for op, n := range k.calls(r) {
		m[laneOf[op]] += n
	}
	return m
}

// tokenOf turns an SDK pagination token into the listing's "" = no more pages.
func tokenOf(s *string) string { return aws.ToString(s) }

// optToken is the token to send: nil on the first page.
func optToken(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// parseARNOf parses the ARN of a resource of service, naming the expected shape when it is
// not one.
func parseARNOf(arn, service, shape string) (policy.ARN, error) {
	a, err := policy.ParseARN(arn)
	if err != nil || a.Service != service || a.Account == "" {
		return policy.ARN{}, fmt.Errorf("%q is not an ARN of the form %s", arn, shape)
	}
	return a, nil
}

// arnFormat is an arn function from a format taking partition, region, account and name.
func arnFormat(f string) func(partition, region, account, name string) string {
	return func(p, r, a, n string) string { return fmt.Sprintf(f, p, r, a, n) }
}
