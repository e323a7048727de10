// Package scan is the engine of `trustaudit scan`: it finds the target account and its
// enabled regions, runs every kind's collection in every region on paced lanes (one per
// account, region and quota bucket, PERFORMANCE.md §3.4), records every failed read as a
// gap, judges what was collected with internal/access, and accounts for the calls it made
// against the minimum and the quota lower bound.
package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/world"
)

// Options configure a scan.
type Options struct {
	// Config carries the credentials and endpoint; the region is set per lane, and the
	// retryer and HTTP client are the engine's own.
	Config aws.Config
	// Regions to scan; empty means every enabled region.
	Regions []string
	// Kinds to scan by name; empty means all. KindSet, when not nil, replaces them with
	// explicit kinds (tests and measurements use it to pick a collection path).
	Kinds   []string
	KindSet []kinds.Kind
	// Boundary is the trust boundary findings are judged against.
	Boundary access.Boundary
	// RateScale multiplies every client-side rate (0 or 1: the documented rates), for a
	// simulator running at that time scale.
	RateScale float64
	// RequestTimeout bounds one HTTP attempt (default 20 s); RegionTimeout is how long a
	// region may stay silent before it is given up as unreachable (default 30 s).
	RequestTimeout, RegionTimeout time.Duration
	// Progress, when set, receives resources listed and done per kind and region, a few
	// times a second and once when each finishes; never two calls at once.
	Progress func(Progress)
	Logger   *slog.Logger
	// Version is recorded as the tool version in the scan document.
	Version string
	// TrustOrganization trusts the organization the scanned account belongs to, and its
	// accounts when the credentials may list them (the management account or a delegated
	// administrator); what could not be read is said in a notice. Judge takes them from the
	// snapshot. An organization scan settles its boundary itself
	// (OrgOptions.TrustOrganization).
	TrustOrganization bool

	// An organization scan shares one HTTP client between its accounts, and judges an
	// account only once the organization is listed (ready closed), against the boundary
	// then known.
	httpClient aws.HTTPClient
	ready      <-chan struct{}
	boundary   func() access.Boundary
}

// Progress is one kind's progress in one region ("global" for global kinds). In an
// organization scan, an event with no Kind and Finished set says the account is done
// (scanned, or a gap), so that a display can drop what it holds of it.
type Progress struct {
	Account, Region, Kind string
	Listed, Done          int
	Finished              bool
}

// BaseActions are the IAM actions the engine calls whatever the kinds: the caller's account
// (sts:GetCallerIdentity needs no permission; it is named to document the call) and the
// enabled regions (account:ListRegions, or ec2:DescribeRegions when that is denied).
var BaseActions = []string{"account:ListRegions", "ec2:DescribeRegions", "sts:GetCallerIdentity"}

// Actions is the least privilege a scan of ks needs: BaseActions and every kind's actions.
func Actions(ks []kinds.Kind) []string {
	out := append(slices.Clone(BaseActions), kinds.Actions(ks)...)
	sort.Strings(out)
	return slices.Compact(out)
}

func (o *Options) defaults() {
	if o.RateScale <= 0 {
		o.RateScale = 1
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 20 * time.Second
	}
	if o.RegionTimeout <= 0 {
		o.RegionTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if p := o.Progress; p != nil {
		// Events come from every kind's goroutine and a ticker; the callback sees them
		// one at a time.
		var mu sync.Mutex
		o.Progress = func(ev Progress) {
			mu.Lock()
			defer mu.Unlock()
			p(ev)
		}
	}
}

func (o *Options) kinds() ([]kinds.Kind, error) {
	if o.KindSet != nil {
		return o.KindSet, nil
	}
	return kinds.Select(o.Kinds)
}

// Run scans the account o.Config's credentials belong to. It returns the scan document and
// the collected world (the snapshot: raw policies, no credentials). An error means nothing
// useful could be scanned (no identity, no regions); everything narrower is a gap.
func Run(ctx context.Context, o Options) (*finding.Scan, *world.World, error) {
	s, w, _, err := run(ctx, o)
	return s, w, err
}

// run is Run that also returns the engine, whose counters the benchmarks read.
func run(ctx context.Context, o Options) (*finding.Scan, *world.World, *engine, error) {
	o.defaults()
	ks, err := o.kinds()
	if err != nil {
		return nil, nil, nil, err
	}
	started := time.Now()
	e := newEngine(ctx, o)
	defer e.close()

	acctID, err := e.identity()
	if err != nil {
		return nil, nil, nil, err
	}
	regions, skipped, err := e.regions(acctID)
	if err != nil {
		return nil, nil, nil, err
	}
	acct := world.Account{ID: acctID}
	for _, r := range regions {
		acct.Regions = append(acct.Regions, world.Region{Name: r.name, OptInStatus: r.status})
	}
	// Disabled regions go into the snapshot too, so that judging it offline reports them
	// skipped as this scan does.
	for _, sk := range skipped {
		if sk.Region != "" && sk.Reason != reasonNotInPartition {
			acct.Regions = append(acct.Regions, world.Region{Name: sk.Region, OptInStatus: world.OptInDisabled})
		}
	}
	sort.Slice(acct.Regions, func(i, j int) bool { return acct.Regions[i].Name < acct.Regions[j].Name })
	e.collect(ks, &acct)
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("scan interrupted: %w", err)
	}

	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{acct}}
	var notices []string
	var orgCalls map[string]int64
	if o.TrustOrganization && o.ready == nil {
		org, notice, calls := e.ownOrganization(acctID)
		orgCalls = calls
		if notice != "" {
			notices = append(notices, notice)
		}
		if org != nil {
			// The snapshot keeps the organization and its members, so that judging it
			// again trusts the same accounts.
			w.Organization = org
			if o.Boundary, err = OrganizationBoundary(o.Boundary, org, true); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	if o.ready != nil {
		select {
		case <-o.ready:
		case <-ctx.Done():
			return nil, nil, nil, fmt.Errorf("scan interrupted: %w", ctx.Err())
		}
		o.Boundary = o.boundary()
	}
	s, err := judge(w, o, ks)
	if err != nil {
		return nil, nil, nil, err
	}
	s.Skipped = skipped
	s.Gaps = append(s.Gaps, e.gaps...)
	w.Gaps = slices.Clone(e.gaps)
	s.StartedAt, s.FinishedAt = started.UTC(), time.Now().UTC()
	s.Stats = e.statsFor(w, ks, s.FinishedAt.Sub(started))
	for api, n := range orgCalls {
		s.Stats.MinimalCalls[api] += n
	}
	s.Notices = append(s.Notices, notices...)
	s.Sort()
	return s, w, e, nil
}

type engine struct {
	ctx   context.Context
	o     Options
	base  aws.Config
	stats *counters

	mu     sync.Mutex
	lanes  map[laneKey]*lane
	specs  map[string]kinds.Lane
	states map[string]*regionState // by account/region
	gaps   []finding.Gap
}

func newEngine(ctx context.Context, o Options) *engine {
	base := o.Config.Copy()
	// One transport for every lane, keeping as many idle connections per endpoint as lanes
	// keep in flight: the default of 10 would close and re-handshake the rest.
	base.HTTPClient = o.httpClient
	if base.HTTPClient == nil {
		base.HTTPClient = newHTTPClient(o.RequestTimeout)
	}
	e := &engine{
		ctx:    ctx,
		o:      o,
		base:   base,
		stats:  &counters{calls: map[string]int64{}},
		lanes:  map[laneKey]*lane{},
		specs:  map[string]kinds.Lane{},
		states: map[string]*regionState{},
	}
	for _, l := range engineLanes {
		e.specs[l.Name] = l
	}
	return e
}

func newHTTPClient(timeout time.Duration) aws.HTTPClient {
	return awshttp.NewBuildableClient().
		WithTimeout(timeout).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 2048
			t.MaxIdleConnsPerHost = 1024
		})
}

func (e *engine) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.states {
		r.close()
	}
}

func (e *engine) region(account, name string) *regionState {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := account + "/" + name
	r := e.states[k]
	if r == nil {
		r = newRegionState(e.ctx, name, e.o.RegionTimeout)
		e.states[k] = r
	}
	return r
}

// lane returns the lane of (account, region, name), creating it on first use. region is the
// region recorded ("global" for global services), signRegion the one requests are signed for.
func (e *engine) lane(account, region, signRegion, name string) *lane {
	rs := e.region(account, region)
	e.mu.Lock()
	defer e.mu.Unlock()
	k := laneKey{account, region, name}
	l := e.lanes[k]
	if l == nil {
		spec, ok := e.specs[name]
		if !ok {
			panic("scan: no lane named " + name)
		}
		l = newLane(spec, e.o.RateScale, rs, e.stats, e.base, signRegion, e.o.RateScale)
		e.lanes[k] = l
	}
	return l
}

func (e *engine) addGap(g finding.Gap) {
	e.mu.Lock()
	e.gaps = append(e.gaps, g)
	e.mu.Unlock()
}

// globalRegion is the region global services (IAM, STS, Account) are signed for.
func (e *engine) globalRegion() string {
	switch kinds.Partition(e.base.Region) {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// homeRegion is where calls that need some region go (STS, EC2 DescribeRegions).
func (e *engine) homeRegion() string {
	if e.base.Region != "" {
		return e.base.Region
	}
	return e.globalRegion()
}

type task struct {
	kind   kinds.Kind
	region *world.Region // nil for global kinds
	weight float64       // seconds per call on the kind's slowest lane
}

// collect runs every kind in every region of acct at once; the tasks on the slowest lanes
// start first so the critical lanes never wait behind work that fits in their shadow.
func (e *engine) collect(ks []kinds.Kind, acct *world.Account) {
	var tasks []task
	for _, k := range ks {
		w := 0.0
		for _, l := range k.Lanes() {
			e.mu.Lock()
			if prev, ok := e.specs[l.Name]; ok && (prev.Rate != l.Rate || prev.Documented != l.Documented) {
				e.o.Logger.Warn("kinds disagree on a lane", "lane", l.Name)
			}
			e.specs[l.Name] = l
			e.mu.Unlock()
			w = max(w, 1/l.Rate)
		}
		if k.Global() {
			tasks = append(tasks, task{kind: k, weight: w})
			continue
		}
		for i := range acct.Regions {
			if !acct.Regions[i].Enabled() {
				continue
			}
			tasks = append(tasks, task{kind: k, region: &acct.Regions[i], weight: w})
		}
	}
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].weight > tasks[j].weight })

	var wg sync.WaitGroup
	var envs []*env
	for _, t := range tasks {
		v := e.newEnv(t.kind, acct.ID, t.region)
		envs = append(envs, v)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.run(t.kind, acct, t.region)
		}()
	}
	stop := make(chan struct{})
	var pw sync.WaitGroup
	if e.o.Progress != nil {
		pw.Add(1)
		go func() {
			defer pw.Done()
			tick := time.NewTicker(250 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					for _, v := range envs {
						if !v.finished.Load() {
							e.o.Progress(v.progress(false))
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	pw.Wait()
}

// env is a kind's view of one account and region.
type env struct {
	e          *engine
	kind       string
	account    string
	region     string // recorded: "global" for global kinds
	signRegion string
	rs         *regionState

	listed, done atomic.Int64
	finished     atomic.Bool
	// lost counts item reads dropped because the region was given up; the region's single
	// gap stands for them.
	lost   atomic.Int64
	lostOp atomic.Value
}

func (e *engine) newEnv(k kinds.Kind, account string, r *world.Region) *env {
	v := &env{e: e, kind: k.Name(), account: account}
	if r == nil {
		v.region, v.signRegion = kinds.GlobalRegion, e.globalRegion()
	} else {
		v.region, v.signRegion = r.Name, r.Name
	}
	v.rs = e.region(account, v.region)
	return v
}

func (v *env) Account() string   { return v.account }
func (v *env) Region() string    { return v.signRegion }
func (v *env) Partition() string { return kinds.Partition(v.signRegion) }
func (v *env) Config(name string) aws.Config {
	return v.e.lane(v.account, v.region, v.signRegion, name).cfg
}
func (v *env) Workers(name string) int {
	return v.e.lane(v.account, v.region, v.signRegion, name).workers
}
func (v *env) Listed(n int) { v.listed.Add(int64(n)) }
func (v *env) Done(n int)   { v.done.Add(int64(n)) }

func (v *env) Gap(op, resource string, err error) {
	if v.rs.ctx.Err() != nil {
		v.lost.Add(1)
		v.lostOp.CompareAndSwap(nil, op)
		return
	}
	v.e.addGap(finding.Gap{Account: v.account, Region: v.region, Kind: v.kind, Operation: op, Resource: resource, Error: errorText(err)})
}

func (v *env) progress(finished bool) Progress {
	return Progress{Account: v.account, Region: v.region, Kind: v.kind, Listed: int(v.listed.Load()), Done: int(v.done.Load()), Finished: finished}
}

func (v *env) run(k kinds.Kind, acct *world.Account, r *world.Region) {
	log := v.e.o.Logger.With("kind", v.kind, "region", v.region)
	start := time.Now()
	err := k.Collect(v.rs.ctx, v, acct, r)
	switch {
	case v.rs.ctx.Err() != nil && (err != nil || v.lost.Load() > 0):
		// The region was given up: one gap says so, naming the first operation cut short.
		op := kinds.OpOf(err)
		if lost, ok := v.lostOp.Load().(string); ok && op == "" {
			op = lost
		}
		if op == "" {
			op = "*"
		}
		cause := context.Cause(v.rs.ctx)
		v.e.addGap(finding.Gap{Account: v.account, Region: v.region, Kind: v.kind, Operation: op, Error: cause.Error()})
	case err != nil:
		op := kinds.OpOf(err)
		if op == "" {
			op = "*"
		}
		v.e.addGap(finding.Gap{Account: v.account, Region: v.region, Kind: v.kind, Operation: op, Error: errorText(err)})
	}
	log.Debug("collected", "resources", v.done.Load(), "elapsed", time.Since(start), "err", err)
	v.finished.Store(true)
	if v.e.o.Progress != nil {
		v.e.o.Progress(v.progress(true))
	}
}

// errorText is an AWS error as a person reads it: the code and message, without the SDK's
// operation and request-id wrapping.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	var ue *errUnreachable
	if errors.As(err, &ue) {
		return ue.Error()
	}
	var oe *kinds.OpError
	if errors.As(err, &oe) {
		return errorText(oe.Err)
	}
	// A transport failure: the SDK's text repeats the operation and the URL; what a reader
	// needs is how often it was tried and what the network said.
	var ma *retry.MaxAttemptsError
	var ne *net.OpError
	switch {
	case errors.As(err, &ma) && errors.As(err, &ne):
		return fmt.Sprintf("no answer after %d attempts: %v", ma.Attempt, ne)
	case errors.As(err, &ne):
		return ne.Error()
	}
	return err.Error()
}
