package scan

import (
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/world"
)

// statsFor accounts for a scan: calls made (first attempts) per API, the minimum that reads
// what was found (PERFORMANCE.md §1), throttles, retries, and the quota lower bound.
func (e *engine) statsFor(w *world.World, ks []kinds.Kind, elapsed time.Duration) *finding.Stats {
	st := &finding.Stats{
		Calls:         e.stats.snapshot(),
		MinimalCalls:  MinimalCalls(w, ks),
		Throttles:     e.stats.throttles.Load(),
		Retries:       e.stats.retries.Load(),
		ElapsedSec:    elapsed.Seconds(),
		LowerBoundSec: LowerBound(w, ks, e.o.RateScale),
	}
	return st
}

// MinimalCalls is the least number of calls per API that reads w: one GetCallerIdentity and
// one ListRegions per account, plus each kind's minimum.
func MinimalCalls(w *world.World, ks []kinds.Kind) map[string]int64 {
	m := map[string]int64{}
	for i := range w.Accounts {
		acct := &w.Accounts[i]
		m["sts:GetCallerIdentity"]++
		m["account:ListRegions"]++
		for _, k := range ks {
			for api, n := range k.MinimalCalls(acct) {
				m[api] += n
			}
		}
	}
	return m
}

// LowerBound is the quota lower bound, in seconds, of reading w at scale times the
// documented rates: lanes run in parallel, so it is the largest demand/rate over every
// (account, region, lane), where a lane's demand sums what all kinds must send through it.
// Pagination chains run on the lanes they are charged to at most at the lane's rate, so
// they are inside that bound; their round trips (milliseconds against a bound of minutes)
// are not added.
func LowerBound(w *world.World, ks []kinds.Kind, scale float64) float64 {
	if scale <= 0 {
		scale = 1
	}
	rates := map[string]float64{}
	for _, k := range ks {
		for _, l := range k.Lanes() {
			rates[l.Name] = l.Rate * scale
		}
	}
	worst := 0.0
	add := func(demand map[string]int64, into map[string]int64) {
		for lane, n := range demand {
			into[lane] += n
		}
	}
	bound := func(demand map[string]int64) {
		for lane, n := range demand {
			if r := rates[lane]; r > 0 {
				worst = max(worst, float64(n)/r)
			}
		}
	}
	for ai := range w.Accounts {
		acct := &w.Accounts[ai]
		global := map[string]int64{}
		for _, k := range ks {
			if k.Global() {
				add(k.Demand(acct, nil), global)
			}
		}
		bound(global)
		for ri := range acct.Regions {
			r := &acct.Regions[ri]
			if !r.Enabled() {
				continue
			}
			demand := map[string]int64{}
			for _, k := range ks {
				if !k.Global() {
					add(k.Demand(acct, r), demand)
				}
			}
			bound(demand)
		}
	}
	return worst
}
