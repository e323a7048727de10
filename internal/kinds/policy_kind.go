package kinds

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// policyKind is the shape most services share: a paginated listing (which may carry the
// policies), then one or more reads per listed resource or batch of resources (the policy;
// for KMS also the grants), each read charged to its own lane. The kinds of this shape
// (sqs-queue, sns-topic, kms-key, secretsmanager-secret, ecr-*, eventbridge-bus, logs-*,
// efs-filesystem, glacier-vault, backup-vault, opensearch-domain, acm-pca,
// apigateway-rest-api) keep their resources in world.Region.Resources and differ only in
// the calls, which they give as functions.
type policyKind struct {
	name     string
	actions  []string
	lanes    []Lane
	listLane string
	listOp   string // IAM action of the listing, for gaps
	// listCall is the listing as the scan counts calls, where that differs from the IAM
	// action ("efs:DescribeFileSystems" for elasticfilesystem:DescribeFileSystems).
	listCall string
	page     int // the listing's page size
	// list reads one page of the listing; next is "" after the last page. Each item carries
	// the resource as listed and the identifier the reads take (queue URL, key id, ...).
	list func(ctx context.Context, cfg aws.Config, env Env, token string) (items []listed, next string, err error)
	// reads are the per-resource calls; none when the listing carries the policies.
	reads []policyRead
	// dropUnread leaves a resource whose read failed out of the collected region (the gap
	// is recorded either way) rather than keeping it without the data the read brings.
	dropUnread bool
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
	// call is the read as the scan counts calls, where that differs from op.
	call string
	// batch is how many resources one call reads (OpenSearch's DescribeDomains: 5); 0 = one.
	batch int
	// read reads the resources with the given ids and returns a function that records the
	// results in them, in the same order (it runs under a lock), or errGone when they
	// vanished after they were listed.
	read batchRead
	// calls is the number of calls the read takes for a resource (nil: one per batch).
	calls func(r *world.Resource) int64
}

type batchRead func(ctx context.Context, cfg aws.Config, ids []string) (func(rs []*world.Resource), error)

// perResource makes a batch read of a read of one resource, called for each resource of the
// batch in turn; the first error fails the batch.
func perResource(read func(ctx context.Context, cfg aws.Config, id string) (func(*world.Resource), error)) batchRead {
	return func(ctx context.Context, cfg aws.Config, ids []string) (func([]*world.Resource), error) {
		applies := make([]func(*world.Resource), len(ids))
		for i, id := range ids {
			apply, err := read(ctx, cfg, id)
			if err != nil {
				return nil, err
			}
			applies[i] = apply
		}
		return func(rs []*world.Resource) {
			for i, r := range rs {
				applies[i](r)
			}
		}, nil
	}
}

// readPolicyDoc is a read of one resource whose result is its policy document.
func readPolicyDoc(read func(ctx context.Context, cfg aws.Config, id string) (string, error)) batchRead {
	return perResource(func(ctx context.Context, cfg aws.Config, id string) (func(*world.Resource), error) {
		doc, err := read(ctx, cfg, id)
		if err != nil {
			return nil, err
		}
		return func(r *world.Resource) { r.Policy = world.Policy(doc) }, nil
	})
}

func (rd policyRead) batchSize() int { return max(1, rd.batch) }

func (rd policyRead) counted() string { return cmp.Or(rd.call, rd.op) }

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
	left := map[*listed]bool{}
	queues := make([]*queue[[]*listed], len(k.reads))
	for i, rd := range k.reads {
		cfg := env.Config(rd.lane)
		q := newQueue[[]*listed]()
		q.workers(env.Workers(rd.lane), func(batch []*listed) {
			ids := make([]string, len(batch))
			for j, it := range batch {
				ids[j] = it.id
			}
			apply, err := rd.read(ctx, cfg, ids)
			mu.Lock()
			switch {
			case err == nil:
				rs := make([]*world.Resource, len(batch))
				for j, it := range batch {
					rs[j] = &it.res
				}
				apply(rs)
			case errors.Is(err, errGone):
				for _, it := range batch {
					left[it] = true
				}
			default:
				for _, it := range batch {
					if k.dropUnread {
						left[it] = true
					}
					env.Gap(rd.op, it.res.ARN, err)
				}
			}
			mu.Unlock()
			if i == 0 {
				env.Done(len(batch))
			}
		})
		queues[i] = q
	}
	pending := make([][]*listed, len(k.reads))
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
			for j, rd := range k.reads {
				pending[j] = append(pending[j], it)
				if len(pending[j]) == rd.batchSize() {
					queues[j].push(pending[j])
					pending[j] = nil
				}
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
	for j, q := range queues {
		if len(pending[j]) > 0 {
			q.push(pending[j])
		}
		q.closeAndWait()
	}
	out := make([]world.Resource, 0, len(items))
	for _, it := range items {
		if !left[it] {
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

func (k *policyKind) Resources(acct *world.Account) int { return countResources(acct, k.name) }

// calls is the least number of calls per API, as the scan counts them, that reads a
// region's resources of the kind: the pages of the listing and each read per resource or
// batch.
func (k *policyKind) calls(r *world.Region) map[string]int64 {
	var rs []*world.Resource
	for i := range r.Resources {
		if r.Resources[i].Kind == k.name {
			rs = append(rs, &r.Resources[i])
		}
	}
	m := map[string]int64{cmp.Or(k.listCall, k.listOp): pages(len(rs), k.page)}
	for _, rd := range k.reads {
		if len(rs) == 0 {
			continue
		}
		if rd.calls == nil {
			m[rd.counted()] += ceilDiv(len(rs), rd.batchSize())
			continue
		}
		for _, x := range rs {
			m[rd.counted()] += rd.calls(x)
		}
	}
	return m
}

func (k *policyKind) MinimalCalls(acct *world.Account) map[string]int64 {
	m := map[string]int64{}
	for i := range acct.Regions {
		if r := &acct.Regions[i]; r.Enabled() {
			for op, n := range k.calls(r) {
				m[op] += n
			}
		}
	}
	return m
}

func (k *policyKind) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	laneOf := map[string]string{cmp.Or(k.listCall, k.listOp): k.listLane}
	for _, rd := range k.reads {
		laneOf[rd.counted()] = rd.lane
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

// notFound reports whether err is the service's error of type T (a missing policy).
func notFound[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// parseStorageARN returns what follows prefix in the resource part of an ARN of service.
func parseStorageARN(arn, service, prefix, shape string) (string, error) {
	a, err := policy.ParseARN(arn)
	rest, ok := strings.CutPrefix(a.Resource, prefix)
	if err != nil || a.Service != service || !ok || rest == "" {
		return "", fmt.Errorf("%q is not an ARN of the form %s", arn, shape)
	}
	return rest, nil
}

// policyFix is a kind of this shape whose policy is one document, read and written whole,
// given as functions.
type policyFix struct {
	*policyKind
	fixActions []string
	canDelete  bool
	get        func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error)
	// put writes doc; doc == "" deletes the policy (only asked when canDelete).
	put func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error
}

var _ DocumentRemediator = policyFix{}

func (k policyFix) FixActions() []string { return k.fixActions }
func (k policyFix) CanDelete() bool      { return k.canDelete }
func (k policyFix) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	return k.get(ctx, cfg, ref)
}
func (k policyFix) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	if doc == "" && !k.canDelete {
		return errors.New(k.name + ": the policy cannot be deleted")
	}
	return k.put(ctx, cfg, ref, doc)
}

// livePolicy is ReadPolicy's answer for a read of op on the resource arn that returned doc
// and err: errGone becomes ErrNoSuchResource.
func livePolicy(op, arn, doc string, err error) (LivePolicy, error) {
	if errors.Is(err, errGone) {
		return LivePolicy{}, fmt.Errorf("%s %s: %w", op, arn, ErrNoSuchResource)
	}
	if err != nil {
		return LivePolicy{}, fmt.Errorf("%s %s: %w", op, arn, err)
	}
	return LivePolicy{Document: doc}, nil
}
