package kinds

import (
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

// storageKind is the shape of EFS, Glacier, Backup, OpenSearch, ACM PCA and API Gateway: a
// paginated listing (which may carry the policies), then one read per batch of listed
// resources, all on one lane of the service.
type storageKind struct {
	name    string
	actions []string
	lane    Lane
	// listOp and readOp are IAM actions (gaps); listCall and readCall the API calls as the
	// scan counts them ("efs:DescribeFileSystems").
	listOp, listCall string
	readOp, readCall string
	page             int // the listing's page size
	batch            int // resources per read call (OpenSearch: 5); 0 = one
	// list reads one page; next is "" after the last page. Each resource has its ARN.
	list func(ctx context.Context, cfg aws.Config, env Env, token string) (rs []world.Resource, next string, err error)
	// read sets the policies of a batch; nil when the listing carries them. A resource
	// without a policy is not an error.
	read func(ctx context.Context, cfg aws.Config, env Env, rs []*world.Resource) error
}

func (k *storageKind) Name() string      { return k.name }
func (k *storageKind) Global() bool      { return false }
func (k *storageKind) Actions() []string { return k.actions }
func (k *storageKind) Lanes() []Lane     { return []Lane{k.lane} }

func (k *storageKind) batchSize() int { return max(1, k.batch) }

func (k *storageKind) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	cfg := env.Config(k.lane.Name)
	var (
		mu  sync.Mutex
		all []*world.Resource
		bad = map[*world.Resource]bool{}
	)
	q := newQueue[[]*world.Resource]()
	if k.read != nil {
		q.workers(env.Workers(k.lane.Name), func(rs []*world.Resource) {
			// read writes only into rs, which no one else touches until the queue drains.
			if err := k.read(ctx, cfg, env, rs); err != nil {
				mu.Lock()
				for _, r := range rs {
					bad[r] = true
					env.Gap(k.readOp, r.ARN, err)
				}
				mu.Unlock()
			}
			env.Done(len(rs))
		})
	}
	var listErr error
	token := ""
	var pending []*world.Resource
	for {
		page, next, err := k.list(ctx, cfg, env, token)
		if err != nil {
			listErr = &OpError{Op: k.listOp, Err: err}
			break
		}
		env.Listed(len(page))
		for i := range page {
			r := &page[i]
			mu.Lock()
			all = append(all, r)
			mu.Unlock()
			if k.read == nil {
				continue
			}
			pending = append(pending, r)
			if len(pending) == k.batchSize() {
				q.push(pending)
				pending = nil
			}
		}
		if k.read == nil {
			env.Done(len(page))
		}
		if next == "" || next == token {
			break
		}
		token = next
	}
	if len(pending) > 0 {
		q.push(pending)
	}
	q.closeAndWait()
	out := make([]world.Resource, 0, len(all))
	for _, r := range all {
		if !bad[r] {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	addResources(region, out...)
	return listErr
}

func (k *storageKind) Policies(acct *world.Account) []Policy {
	var out []Policy
	resourcesOf(acct, k.name, func(region string, r *world.Resource) {
		if r.Policy != "" {
			out = append(out, Policy{Region: region, ResourceARN: r.ARN, Document: string(r.Policy)})
		}
	})
	return out
}

func (k *storageKind) Resources(acct *world.Account) int { return storageCount(acct, k.name) }

func (k *storageKind) calls(r *world.Region) map[string]int64 {
	n := storageRegionCount(r, k.name)
	m := map[string]int64{k.listCall: pages(n, k.page)}
	if k.read != nil && n > 0 {
		m[k.readCall] = ceilDiv(n, k.batchSize())
	}
	return m
}

func (k *storageKind) MinimalCalls(acct *world.Account) map[string]int64 {
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

func (k *storageKind) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	var n int64
	for _, v := range k.calls(r) {
		n += v
	}
	return map[string]int64{k.lane.Name: n}
}

// notFound reports whether err is the service's error of type T (a missing policy).
func notFound[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// storageFix is a storage kind whose policy is one document, read and written whole.
type storageFix struct {
	*storageKind
	fixActions []string
	canDelete  bool
	get        func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error)
	// put writes doc; doc == "" deletes the policy (only asked when canDelete).
	put func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error
}

var _ DocumentRemediator = storageFix{}

func (k storageFix) FixActions() []string { return k.fixActions }
func (k storageFix) CanDelete() bool      { return k.canDelete }
func (k storageFix) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	return k.get(ctx, cfg, ref)
}
func (k storageFix) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	if doc == "" && !k.canDelete {
		return errors.New(k.name + ": the policy cannot be deleted")
	}
	return k.put(ctx, cfg, ref, doc)
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
