package scan

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/time/rate"

	"github.com/trustaudit/trustaudit/internal/kinds"
)

// Lanes the engine itself uses to find its target. AWS publishes no rate for the Account
// API or for IAM-like control planes, so they start modestly and back off on a throttle.
const (
	laneSTS     = "sts"
	laneAccount = "account"
	laneEC2     = "ec2:describe"
	laneOrgs    = "organizations"
)

var engineLanes = []kinds.Lane{
	// STS publishes 600 requests per second per account and region: an organization scan
	// assumes into 1,000 accounts in under two seconds.
	{Name: laneSTS, Rate: 600, Documented: true, Ops: []string{"sts:GetCallerIdentity", "sts:AssumeRole"}},
	{Name: laneAccount, Rate: 10, Ops: []string{"account:ListRegions"}},
	{Name: laneEC2, Rate: 20, Documented: true, Ops: []string{"ec2:DescribeRegions"}}, // the EC2 Describe bucket the sharing kinds also draw from
	// Organizations publishes no rate; it was seen to throttle above about 10 requests per
	// second. Pages are a chain, so an organization of 1,000 accounts (50 pages) takes 5 s
	// to list, and its last accounts start that late (the lower bound counts it).
	{Name: laneOrgs, Rate: 10, Ops: []string{"organizations:DescribeOrganization", "organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListChildren"}},
}

// documentedMargin is the fraction of a published rate a lane is paced at.
const documentedMargin = 0.98

// maxAttempts is per call, per lane. Higher than the SDK's 3 because each lane has its own
// retryer without a retry quota: one lane's bad minute cannot starve another's retries, and a
// transient 5xx storm is ridden out instead of becoming a gap.
const maxAttempts = 10

type laneKey struct{ account, region, name string }

// lane is one quota bucket of one account and region: a client-side token bucket at the
// bucket's rate, a cap on requests in flight, and its own retryer.
type lane struct {
	spec    kinds.Lane
	maxRate float64 // scaled rate
	minRate float64
	lim     *rate.Limiter
	sem     chan struct{}
	workers int
	retryer aws.Retryer
	reg     *regionState
	stats   *counters
	cfg     aws.Config

	cooldown time.Duration

	// first is closed when the lane's first request is answered (or fails); firstAt is
	// when. See attempt.
	first     chan struct{}
	firstOnce sync.Once
	firstSent atomic.Bool
	firstAt   time.Time

	mu           sync.Mutex
	curRate      float64
	lastDecrease time.Time
}

func newLane(spec kinds.Lane, scale float64, reg *regionState, stats *counters, base aws.Config, signRegion string, scaleBackoff float64) *lane {
	r := spec.Rate * scale
	if spec.Documented {
		// A bucket of one token paced at exactly its rate throttles whenever a request
		// arrives a microsecond early relative to the one before (its predecessor was
		// delayed more on the way): pacing 2% under the published rate absorbs that jitter
		// (20 ms at 1 request per second) for 2% of the lane's time.
		r *= documentedMargin
	}
	// In flight: rate x one second of round trip, plus one. Round trips are ~0.1-0.3 s to
	// AWS, but measured on a loaded machine answers took several hundred ms, and a lane
	// whose slots all wait for answers leaves its tokens unspent: at rate x 0.25 s the
	// GetPolicy lane ran at 62% of its rate, at rate x 1 s at 99%. Still small: 16 for
	// GetPolicy, 2 for SES.
	inflight := int(math.Ceil(r*1.0)) + 1
	inflight = min(max(inflight, 2), 256)
	l := &lane{
		spec:    spec,
		maxRate: r,
		minRate: r / 64,
		lim:     rate.NewLimiter(rate.Limit(r), 1),
		sem:     make(chan struct{}, inflight),
		workers: inflight + 1,
		reg:     reg,
		stats:   stats,
		curRate: r,
		first:   make(chan struct{}),
		// A second of AWS time: long enough for the answers to requests sent at the old
		// rate to come back.
		cooldown: time.Duration(float64(time.Second) / scaleBackoff),
	}
	l.retryer = retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.RateLimiter = ratelimit.None
		o.MaxBackoff = time.Duration(float64(20*time.Second) / scaleBackoff)
		o.Backoff = jitterBackoff{base: time.Duration(float64(200*time.Millisecond) / scaleBackoff), max: o.MaxBackoff}
	})
	cfg := base.Copy()
	cfg.Region = signRegion
	cfg.RetryMaxAttempts = 0
	cfg.RetryMode = ""
	cfg.Retryer = func() aws.Retryer { return l.retryer }
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), base.APIOptions...), l.install)
	l.cfg = cfg
	return l
}

// jitterBackoff waits a random [50%, 100%] of min(max, base x 2^(attempt-1)). The base is
// scaled with the rates so a time-scaled simulator sees time-scaled backoff.
type jitterBackoff struct{ base, max time.Duration }

func (b jitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := b.base << min(attempt-1, 20)
	if d > b.max || d <= 0 {
		d = b.max
	}
	return time.Duration(float64(d) * (0.5 + rand.Float64()/2)), nil
}

type attemptsKey struct{}

// install adds the lane's two middlewares: one per operation call (to number the attempts)
// and one per attempt, after the retry loop, which paces, bounds and counts.
func (l *lane) install(st *middleware.Stack) error {
	if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("trustaudit.attempts", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		return next.HandleInitialize(middleware.WithStackValue(ctx, attemptsKey{}, new(atomic.Int32)), in)
	}), middleware.Before); err != nil {
		return err
	}
	return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("trustaudit.lane", l.attempt), "Retry", middleware.After)
}

func (l *lane) attempt(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	n := int32(1)
	if c, ok := middleware.GetStackValue(ctx, attemptsKey{}).(*atomic.Int32); ok {
		n = c.Add(1)
	}
	api := apiName(ctx)
	if n == 1 {
		l.stats.call(api)
	} else {
		l.stats.retries.Add(1)
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return middleware.FinalizeOutput{}, middleware.Metadata{}, context.Cause(ctx)
	}
	defer func() { <-l.sem }()
	// The lane's first request may sit for a while in a queue (every lane of an
	// organization starts at once), and a second one paced 1/rate after it being sent would
	// then reach AWS less than 1/rate after it: a throttle, which halves the lane's rate.
	// The second request and those after it wait for the first answer and 1/rate after it:
	// one round trip per lane, once.
	if !l.firstSent.CompareAndSwap(false, true) {
		select {
		case <-l.first:
		case <-ctx.Done():
			return middleware.FinalizeOutput{}, middleware.Metadata{}, context.Cause(ctx)
		}
		if d := time.Until(l.firstAt.Add(time.Duration(float64(time.Second) / l.maxRate))); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return middleware.FinalizeOutput{}, middleware.Metadata{}, context.Cause(ctx)
			}
		}
	} else {
		defer l.firstOnce.Do(func() { l.firstAt = time.Now(); close(l.first) })
	}
	if err := l.lim.Wait(ctx); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	out, md, err := next.HandleFinalize(ctx, in)
	l.observe(err)
	return out, md, err
}

var isThrottle = retry.IsErrorThrottles(retry.DefaultThrottles)

// observe feeds the outcome of an attempt back: any answer proves the region reachable; a
// throttle is counted and halves the lane's rate (multiplicative decrease), which successes
// then raise again step by step (additive increase) up to the lane's rate. On an
// undocumented lane that is how the rate is found. On a documented lane paced at AWS's rate
// repeated throttles mean something else in the account spends the same bucket; sharing it
// beats retrying into it, and the throttle is counted apart as it should not happen.
func (l *lane) observe(err error) {
	if err == nil || gotAnswer(err) {
		l.reg.answered()
	}
	if err != nil && isThrottle.IsErrorThrottle(err) == aws.TrueTernary {
		l.stats.throttles.Add(1)
		if l.spec.Documented {
			l.stats.documentedThrottles.Add(1)
		}
		// The requests in flight when the bucket ran dry all come back throttled: one
		// decrease per cool-down, not one per answer, or the rate collapses to the floor.
		l.mu.Lock()
		if now := time.Now(); now.Sub(l.lastDecrease) >= l.cooldown {
			// On a documented lane paced at AWS's rate, a lone throttle is a request
			// that arrived early (jitter): a tenth off, not half, or a lane of a few dozen
			// calls would never climb back. Throttles again soon after mean a neighbour
			// spends the bucket too: halve.
			if l.spec.Documented && (l.lastDecrease.IsZero() || now.Sub(l.lastDecrease) > 10*l.cooldown) {
				l.curRate = max(l.minRate, l.curRate*0.9)
			} else {
				l.curRate = max(l.minRate, l.curRate/2)
			}
			l.lastDecrease = now
			l.lim.SetLimit(rate.Limit(l.curRate))
		}
		l.mu.Unlock()
		return
	}
	if err == nil {
		l.mu.Lock()
		if l.curRate < l.maxRate {
			l.curRate = min(l.maxRate, l.curRate+l.maxRate/100)
			l.lim.SetLimit(rate.Limit(l.curRate))
		}
		l.mu.Unlock()
	}
}

// gotAnswer reports whether an error carries an HTTP answer from the service. The SDK wraps
// transport failures (timeouts, refused connections) in a ResponseError too, with no status
// or with a zero one: those prove nothing about the region being reachable.
func gotAnswer(err error) bool {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return false
	}
	return re.HTTPStatusCode() > 0
}

// apiName is the call's IAM action name, "lambda:GetPolicy": the SDK's service id mapped to
// the IAM prefix (SES v1 and v2 share "ses").
func apiName(ctx context.Context) string {
	svc := strings.ToLower(awsmiddleware.GetServiceID(ctx))
	switch svc {
	case "sesv2":
		svc = "ses"
	}
	return svc + ":" + awsmiddleware.GetOperationName(ctx)
}

// counters are the scan's call statistics.
type counters struct {
	mu                  sync.Mutex
	calls               map[string]int64
	retries             atomic.Int64
	throttles           atomic.Int64
	documentedThrottles atomic.Int64
}

func (c *counters) call(api string) {
	c.mu.Lock()
	c.calls[api]++
	c.mu.Unlock()
}

func (c *counters) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// regionState is one region's (or the global services') context and reachability watchdog:
// until the region answers anything, a timer runs; when it fires, every call in the region
// is cancelled with a cause that becomes the region's gap. An unreachable region costs the
// region budget, never the per-request timeout times the attempts times the calls.
type regionState struct {
	name   string
	ctx    context.Context
	cancel context.CancelCauseFunc
	alive  atomic.Bool
	timer  *time.Timer
}

// errUnreachable is the cause of a region's cancellation.
type errUnreachable struct {
	region string
	budget time.Duration
}

func (e *errUnreachable) Error() string {
	return "region " + e.region + " did not answer within " + e.budget.String() + " (unreachable or not responding)"
}

func newRegionState(parent context.Context, name string, budget time.Duration) *regionState {
	ctx, cancel := context.WithCancelCause(parent)
	r := &regionState{name: name, ctx: ctx, cancel: cancel}
	r.timer = time.AfterFunc(budget, func() {
		if !r.alive.Load() {
			cancel(&errUnreachable{region: name, budget: budget})
		}
	})
	return r
}

func (r *regionState) answered() {
	if r.alive.CompareAndSwap(false, true) {
		r.timer.Stop()
	}
}

func (r *regionState) close() {
	r.timer.Stop()
	r.cancel(context.Canceled)
}
