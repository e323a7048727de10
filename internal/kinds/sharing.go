package kinds

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// Sharing APIs (EBS createVolumePermission, AMI launchPermission, RDS snapshot "restore")
// have no policy document: they keep a list of who may use the resource. To judge them with
// the one engine, the list is written as the policy it amounts to, one statement per kind of
// entry, each named after the attribute it came from so an explanation says where the grant
// is:
//
//	"all"               -> Principal "*"
//	account ids         -> Principal {"AWS": ["arn:PARTITION:iam::ID:root", ...]}
//	organization ARN    -> Principal "*" with StringEquals aws:PrincipalOrgID
//	organizational unit -> Principal "*" with ForAnyValue:StringLike aws:PrincipalOrgPaths
//
// The document is rebuilt from the list in a fixed order, so the same list always reads as
// the same document, and remediation can turn a document back into a list.

// shareAttr describes one sharing attribute.
type shareAttr struct {
	sid     string   // statement id prefix, e.g. "CreateVolumePermission"
	actions []string // what a share lets the grantee do
}

var (
	ebsCreateVolume = shareAttr{sid: "CreateVolumePermission", actions: []string{"ec2:CopySnapshot", "ec2:CreateVolume"}}
	amiLaunch       = shareAttr{sid: "LaunchPermission", actions: []string{"ec2:CopyImage", "ec2:RunInstances"}}
	rdsRestore      = shareAttr{sid: "RestoreAttribute", actions: []string{"rds:CopyDBSnapshot", "rds:RestoreDBInstanceFromDBSnapshot"}}
	rdsClusterRest  = shareAttr{sid: "RestoreAttribute", actions: []string{"rds:CopyDBClusterSnapshot", "rds:RestoreDBClusterFromSnapshot"}}
)

const shareAll = "all"

var (
	shareAccountRE = regexp.MustCompile(`^[0-9]{12}$`)
	orgARNRE       = regexp.MustCompile(`^arn:[a-z-]+:organizations::[0-9]{12}:organization/(o-[a-z0-9]{10,32})$`)
	ouARNRE        = regexp.MustCompile(`^arn:[a-z-]+:organizations::[0-9]{12}:ou/(o-[a-z0-9]{10,32})/(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})$`)
)

type shareStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"`
	Action    []string                     `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// shareDocument writes the policy a share list amounts to ("" for an empty list). Entries
// it does not recognise are kept as an account-like principal, so the judge sees them
// rather than nothing.
func shareDocument(a shareAttr, partition, resourceARN string, shares []string) string {
	var all bool
	var accounts, orgs, ous []string
	for _, s := range shares {
		switch {
		case s == shareAll:
			all = true
		case orgARNRE.MatchString(s):
			orgs = append(orgs, s)
		case ouARNRE.MatchString(s):
			ous = append(ous, s)
		default:
			accounts = append(accounts, s)
		}
	}
	var stmts []shareStatement
	stmt := func(suffix string, principal any, cond map[string]map[string]string) {
		stmts = append(stmts, shareStatement{Sid: a.sid + suffix, Effect: "Allow", Principal: principal, Action: a.actions, Resource: resourceARN, Condition: cond})
	}
	if all {
		stmt("All", "*", nil)
	}
	if len(accounts) > 0 {
		slices.Sort(accounts)
		accounts = slices.Compact(accounts)
		arns := make([]string, len(accounts))
		for i, id := range accounts {
			arns[i] = accountPrincipal(partition, id)
		}
		stmt("Accounts", map[string][]string{"AWS": arns}, nil)
	}
	slices.Sort(orgs)
	for _, o := range slices.Compact(orgs) {
		stmt("Organization", "*", map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": orgARNRE.FindStringSubmatch(o)[1]}})
	}
	slices.Sort(ous)
	for _, o := range slices.Compact(ous) {
		m := ouARNRE.FindStringSubmatch(o)
		stmt("OrganizationalUnit", "*", map[string]map[string]string{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": m[1] + "/*/" + m[2] + "/*"}})
	}
	if len(stmts) == 0 {
		return ""
	}
	b, err := json.Marshal(struct {
		Version   string           `json:"Version"`
		Statement []shareStatement `json:"Statement"`
	}{"2012-10-17", stmts})
	if err != nil {
		panic(err) // plain strings and maps always marshal
	}
	return string(b)
}

func accountPrincipal(partition, id string) string {
	if shareAccountRE.MatchString(id) {
		return "arn:" + partition + ":iam::" + id + ":root"
	}
	return id
}

// shareSet is what a share document grants, as the sharing API names it: "all", account
// ids, and the organization and OU statements as written (they cannot be turned back into
// the ARNs the API takes, so remediation only keeps them as they are).
type shareSet struct {
	all      bool
	accounts []string
	orgs     []string // canonical JSON of each organization or OU statement's condition
}

// sharesOf reads back a document shareDocument wrote, after remediation took principals or
// statements out of it.
func sharesOf(doc string) (shareSet, error) {
	var set shareSet
	if strings.TrimSpace(doc) == "" {
		return set, nil
	}
	var d struct {
		Statement []struct {
			Sid       string          `json:"Sid"`
			Effect    string          `json:"Effect"`
			Principal json.RawMessage `json:"Principal"`
			Condition json.RawMessage `json:"Condition"`
		} `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return set, fmt.Errorf("the share document: %w", err)
	}
	for i, st := range d.Statement {
		if st.Effect != "Allow" {
			return set, fmt.Errorf("the share document: statement %d: a sharing attribute only allows", i)
		}
		var star string
		if json.Unmarshal(st.Principal, &star) == nil {
			if star != "*" {
				return set, fmt.Errorf("the share document: statement %d: principal %q is not \"*\"", i, star)
			}
			if len(st.Condition) == 0 || string(st.Condition) == "null" {
				set.all = true
				continue
			}
			var c any
			if err := json.Unmarshal(st.Condition, &c); err != nil {
				return set, fmt.Errorf("the share document: statement %d: %w", i, err)
			}
			canon, _ := json.Marshal(c)
			set.orgs = append(set.orgs, string(canon))
			continue
		}
		var p struct {
			AWS json.RawMessage `json:"AWS"`
		}
		if err := json.Unmarshal(st.Principal, &p); err != nil || len(p.AWS) == 0 {
			return set, fmt.Errorf("the share document: statement %d: expected Principal \"*\" or {\"AWS\": [...]}", i)
		}
		var arns []string
		var one string
		if json.Unmarshal(p.AWS, &one) == nil {
			arns = []string{one}
		} else if err := json.Unmarshal(p.AWS, &arns); err != nil {
			return set, fmt.Errorf("the share document: statement %d: Principal.AWS: %w", i, err)
		}
		for _, a := range arns {
			set.accounts = append(set.accounts, accountOfPrincipal(a))
		}
	}
	slices.Sort(set.accounts)
	set.accounts = slices.Compact(set.accounts)
	slices.Sort(set.orgs)
	return set, nil
}

// accountOfPrincipal turns arn:PARTITION:iam::ID:root back into ID.
func accountOfPrincipal(p string) string {
	if rest, ok := strings.CutSuffix(p, ":root"); ok && strings.HasPrefix(p, "arn:") {
		if i := strings.LastIndex(rest, "::"); i >= 0 && shareAccountRE.MatchString(rest[i+2:]) {
			return rest[i+2:]
		}
	}
	return p
}

// shareChange is what a sharing API must add and remove to go from the live list to want.
// Organization and OU entries cannot be re-created from a document; a change that needs
// one is refused.
func shareChange(partition, resourceARN string, a shareAttr, live []string, want shareSet) (add, remove []string, err error) {
	has := shareSet{}
	liveOrgs := map[string]string{} // canonical condition -> the ARN the API knows
	for _, s := range live {
		switch {
		case s == shareAll:
			has.all = true
		case orgARNRE.MatchString(s), ouARNRE.MatchString(s):
			one, _ := sharesOf(shareDocument(a, partition, resourceARN, []string{s}))
			liveOrgs[one.orgs[0]] = s
		default:
			has.accounts = append(has.accounts, s)
		}
	}
	slices.Sort(has.accounts)
	has.accounts = slices.Compact(has.accounts)
	if want.all && !has.all {
		add = append(add, shareAll)
	}
	if has.all && !want.all {
		remove = append(remove, shareAll)
	}
	for _, id := range want.accounts {
		if !slices.Contains(has.accounts, id) {
			add = append(add, id)
		}
	}
	for _, id := range has.accounts {
		if !slices.Contains(want.accounts, id) {
			remove = append(remove, id)
		}
	}
	for _, c := range want.orgs {
		if _, ok := liveOrgs[c]; !ok {
			return nil, nil, fmt.Errorf("an organization or OU share (%s) is not on the resource, and cannot be re-created from the document: add it with the service's API", c)
		}
	}
	for c, arn := range liveOrgs {
		if !slices.Contains(want.orgs, c) {
			remove = append(remove, arn)
		}
	}
	slices.Sort(remove)
	return add, remove, nil
}

// sharedCollector is the collection every sharing kind does: list the account's own
// resources, then read each one's share list on the same lane.
type sharedCollector struct {
	kind   string
	lane   string
	attr   shareAttr
	listOp string // IAM action of the listing, for its error
	readOp string // IAM action of the per-resource read, for gaps
	arn    func(partition, region, account, id string) string
	// list calls page with the ids of each page in order, and the ids the listing itself
	// says are public (an AMI's Public flag), so a public resource whose share list cannot
	// be read is still judged public. Its error ends the listing.
	list func(ctx context.Context, page func(ids []string, public map[string]bool)) error
	// read returns the resource's shares; found is false when it vanished since listing.
	read func(ctx context.Context, id string) (shares []string, found bool, err error)
}

func (c sharedCollector) collect(ctx context.Context, env Env, region *world.Region) error {
	var mu sync.Mutex
	shares := map[string][]string{}
	gone := map[string]bool{}
	public := map[string]bool{}
	var order []string
	q := newQueue[string]()
	q.workers(env.Workers(c.lane), func(id string) {
		s, found, err := c.read(ctx, id)
		mu.Lock()
		switch {
		case err != nil:
			env.Gap(c.readOp, c.arn(env.Partition(), env.Region(), env.Account(), id), err)
		case !found:
			gone[id] = true
		default:
			shares[id] = s
		}
		mu.Unlock()
		env.Done(1)
	})
	listErr := c.list(ctx, func(ids []string, pub map[string]bool) {
		mu.Lock()
		order = append(order, ids...)
		for id, p := range pub {
			public[id] = public[id] || p
		}
		mu.Unlock()
		env.Listed(len(ids))
		q.push(ids...)
	})
	q.closeAndWait()
	if listErr != nil {
		listErr = &OpError{Op: c.listOp, Err: listErr}
	}
	var out []world.Resource
	seen := map[string]bool{}
	for _, id := range order {
		if gone[id] || seen[id] {
			continue
		}
		seen[id] = true
		s := shares[id]
		if public[id] && !slices.Contains(s, shareAll) {
			s = append(s, shareAll)
		}
		slices.Sort(s)
		out = append(out, world.Resource{Kind: c.kind, Name: id, ARN: c.arn(env.Partition(), env.Region(), env.Account(), id), Shares: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	addResources(region, out...)
	return listErr
}

// sharedPolicies is Policies for a sharing kind: one document per shared resource.
func sharedPolicies(acct *world.Account, kind string, a shareAttr) []Policy {
	var out []Policy
	resourcesOf(acct, kind, func(region string, r *world.Resource) {
		if doc := shareDocument(a, Partition(region), r.ARN, r.Shares); doc != "" {
			out = append(out, Policy{Region: region, ResourceARN: r.ARN, Document: doc})
		}
	})
	return out
}

// liveShares reads a resource's share list for remediation: a failed read names op and the
// resource id, and a resource gone since the scan is ErrNoSuchResource.
func liveShares(op, id string, read func() (shares []string, found bool, err error)) ([]string, error) {
	shares, found, err := read()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, id, err)
	}
	if !found {
		return nil, fmt.Errorf("%s %s: %w", op, id, ErrNoSuchResource)
	}
	return shares, nil
}

// sharedMinimalCalls is, per enabled region, ceil(N/page) listings and one read per
// resource (PERFORMANCE.md §1).
func sharedMinimalCalls(acct *world.Account, kind, listOp, readOp string, page int) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		r := &acct.Regions[i]
		if !r.Enabled() {
			continue
		}
		n := regionCount(r, kind)
		m[listOp] += pages(n, page)
		m[readOp] += int64(n)
	}
	return m
}

// resourceIDOf returns the id after the last "/" of a resource ARN whose resource part
// starts with typ ("snapshot/", "image/", "snapshot:", "cluster-snapshot:").
func resourceIDOf(arn, service, typ string) (string, error) {
	a, err := policy.ParseARN(arn)
	if err != nil || a.Service != service || !strings.HasPrefix(a.Resource, typ) || len(a.Resource) == len(typ) {
		return "", fmt.Errorf("%q is not an ARN of the form arn:PARTITION:%s:REGION:ACCOUNT:%sID", arn, service, typ)
	}
	return strings.TrimPrefix(a.Resource, typ), nil
}

// sharingAttrs names the attribute each sharing kind's shares come from.
var sharingAttrs = map[string]shareAttr{
	"ebs-snapshot":         ebsCreateVolume,
	"ec2-ami":              amiLaunch,
	"rds-snapshot":         rdsRestore,
	"rds-cluster-snapshot": rdsClusterRest,
}

// SharePolicy is the policy a sharing kind's share list ("all", account ids, organization
// and OU ARNs) amounts to, exactly as a scan judges it ("" for no shares). CloudTrail
// detection rebuilds what a sharing call granted with it, so a finding from a trail event
// reads as the scan's finding does.
func SharePolicy(kind, partition, resourceARN string, shares []string) (string, error) {
	a, ok := sharingAttrs[kind]
	if !ok {
		return "", fmt.Errorf("kind %q has no sharing attribute", kind)
	}
	return shareDocument(a, partition, resourceARN, shares), nil
}
