// Package kinds holds one file per resource type trustaudit audits. A kind knows how to list
// its resources and fetch their raw policies into the world schema (the collected data of an
// account is a world.Account, which is also the snapshot format), how to enumerate the
// policies to judge from a world.Account, which IAM actions it needs, and which quota buckets
// (lanes) its calls are charged to. Pacing, retries, gaps and counting are the scan engine's
// job: a kind only asks the engine for an aws.Config per lane and issues plain SDK calls.
package kinds

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Lane is a quota bucket calls are charged to, per account and region (per account for a
// global service). Kinds that call the same bucket name the same lane, so the engine paces
// their calls together: lambda-function and lambda-layer both spend "lambda:control".
type Lane struct {
	Name string
	// Rate is the sustained rate in requests per second: AWS's documented quota where there
	// is one, otherwise a conservative starting point.
	Rate float64
	// Documented is true when AWS publishes the rate. Every lane halves its rate on a
	// throttle and climbs back on successes (AIMD): that is how an undocumented lane finds
	// its rate. A documented lane paced at AWS's rate should never be throttled; when it is,
	// something else spends the same bucket, and the throttle is counted apart.
	Documented bool
	// Ops are the API operations charged to the lane, as IAM actions ("lambda:GetPolicy").
	Ops []string
}

// Env is what the engine gives a kind for one account and region (or one account, for a
// global kind).
type Env interface {
	Account() string
	// Region is the region requests are signed for (us-east-1 for IAM in the aws partition).
	Region() string
	Partition() string
	// Config returns a configuration whose clients are paced at the lane's rate, bounded in
	// flight, retried by the lane's own retryer and counted.
	Config(lane string) aws.Config
	// Workers is how many calls a kind should keep queued on the lane: enough to keep it at
	// its rate, few enough not to pile goroutines up behind the limiter.
	Workers(lane string) int
	// Gap records a read that failed (operation as an IAM action, the resource ARN or "").
	// Collection goes on: a partial scan is reported as partial, never as clean.
	Gap(operation, resource string, err error)
	// Listed reports n more resources found; Done reports n more resources fully read.
	Listed(n int)
	Done(n int)
}

// Policy is one policy document to judge.
type Policy struct {
	Region      string // the resource's region, "global" for IAM
	ResourceARN string
	PolicyName  string // SES policy name; "" where AWS has one unnamed policy per resource
	Document    string
}

// GlobalRegion is the region recorded for findings and gaps of global kinds.
const GlobalRegion = "global"

// Kind is one resource type.
type Kind interface {
	Name() string
	// Global kinds are collected once per account (IAM), regional ones once per region.
	Global() bool
	// Actions are the IAM actions collecting the kind needs: the least-privilege policy.
	Actions() []string
	Lanes() []Lane
	// Collect lists the kind's resources and reads their policies into acct (global kinds)
	// or region (regional kinds; region is nil for global ones). Concurrent Collects of
	// different kinds write different fields of the same region. The error is returned
	// only when nothing more can be read (the listing failed); reads of single resources
	// that fail are recorded with env.Gap.
	Collect(ctx context.Context, env Env, acct *world.Account, region *world.Region) error
	// Policies enumerates the policies to judge in a collected account.
	Policies(acct *world.Account) []Policy
	// Resources counts the kind's resources in a collected account.
	Resources(acct *world.Account) int
	// MinimalCalls is the least number of calls per API (PERFORMANCE.md §1) that reads
	// what acct holds, for the regions present in acct (global kinds: once).
	MinimalCalls(acct *world.Account) map[string]int64
	// Demand is, for one region (nil for global kinds), the least number of calls each lane
	// must carry under the best split of the work between lanes: the quota lower bound of
	// that lane is Demand/Rate.
	Demand(acct *world.Account, region *world.Region) map[string]int64
}

var (
	regMu    sync.RWMutex
	registry = map[string]Kind{}
)

// Register adds a kind; registering a name twice is a programming error.
func Register(k Kind) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[k.Name()]; dup {
		panic("kinds: " + k.Name() + " registered twice")
	}
	registry[k.Name()] = k
}

// All returns every registered kind, sorted by name.
func All() []Kind {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Kind, 0, len(registry))
	for _, k := range registry {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Names returns the registered kind names, sorted.
func Names() []string {
	var names []string
	for _, k := range All() {
		names = append(names, k.Name())
	}
	return names
}

// Get returns the kind with the given name.
func Get(name string) (Kind, error) {
	regMu.RLock()
	k, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown kind %q: expected one of %s", name, strings.Join(Names(), ", "))
	}
	return k, nil
}

// Select resolves kind names (empty: all kinds), keeping registry order and dropping
// duplicates.
func Select(names []string) ([]Kind, error) {
	if len(names) == 0 {
		return All(), nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, err := Get(n); err != nil {
			return nil, err
		}
		want[n] = true
	}
	var out []Kind
	for _, k := range All() {
		if want[k.Name()] {
			out = append(out, k)
		}
	}
	return out, nil
}

// Actions returns the sorted union of the IAM actions of ks.
func Actions(ks []Kind) []string {
	set := map[string]bool{}
	for _, k := range ks {
		for _, a := range k.Actions() {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Partition returns the ARN partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

func ceilDiv(n, d int) int64 {
	if n <= 0 {
		return 0
	}
	return int64((n + d - 1) / d)
}

// pages is the number of list calls to read n items at page size p: at least one, since an
// empty listing still costs a call.
func pages(n, p int) int64 {
	if n == 0 {
		return 1
	}
	return ceilDiv(n, p)
}
