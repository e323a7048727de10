package scan

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/kinds"
)

// envFloat reads a benchmark knob from the environment.
func envFloat(b *testing.B, name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		return f
	}
	return def
}

// resetPeakRSS makes the kernel's high-water mark start again from the current RSS, so the
// figure read after the scan is the scan's peak, not the world generation's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is VmHWM in bytes (0 where /proc is not there).
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkScan scans PERFORMANCE.md §3's reference account through the simulator: 17
// regions, each with 2,000 Lambda functions (one version, one alias) and 500 SES identities,
// and 5,000 IAM roles, with the quotas at the documented rates, both simulator and engine
// sped up by TRUSTAUDIT_BENCH_SCALE (default 10). Set TRUSTAUDIT_BENCH_REGIONS,
// _FUNCTIONS, _IDENTITIES, _ROLES to shrink it. With TRUSTAUDIT_BENCH_WORLD_OUT=FILE it only
// writes the world, for `trustaudit simulate --world FILE --time-scale N` in another process;
// TRUSTAUDIT_BENCH_SIM_URL=URL then scans that simulator instead of an in-process one. It
// reports:
//
//	calls/minimal   calls made (first attempts) / PERFORMANCE.md §1 minimum   target <= 1.02
//	wall/bound      elapsed / quota lower bound                                target <= 1.15
//	doc-throttles   throttled requests on documented lanes                     target 0
//	MB/10k-res      peak RSS of the process during the scan per 10,000 resources (simulator included)
//
// Run: go test ./internal/scan -run '^$' -bench BenchmarkScan -benchtime 1x -v
func BenchmarkScan(b *testing.B) {
	scale := envFloat(b, "TRUSTAUDIT_BENCH_SCALE", 10)
	spec := awssim.GenSpec{
		Accounts:               1,
		Regions:                int(envFloat(b, "TRUSTAUDIT_BENCH_REGIONS", 17)),
		FunctionsPerRegion:     int(envFloat(b, "TRUSTAUDIT_BENCH_FUNCTIONS", 2000)),
		VersionsPerFunction:    1,
		AliasesPerFunction:     1,
		SESIdentitiesPerRegion: int(envFloat(b, "TRUSTAUDIT_BENCH_IDENTITIES", 500)),
		SESPoliciesPerIdentity: 1,
		RolesPerAccount:        int(envFloat(b, "TRUSTAUDIT_BENCH_ROLES", 5000)),
		Mix:                    awssim.Mix{Public: 0.01, Foreign: 0.02, ConfusedDeputy: 0.01, Trusted: 0.02, None: 0.6},
		Seed:                   1,
	}
	w := awssim.Generate(spec)
	if out := os.Getenv("TRUSTAUDIT_BENCH_WORLD_OUT"); out != "" {
		data, err := json.Marshal(w)
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Skipf("wrote the benchmark world to %s", out)
	}
	var cfg aws.Config
	if url := os.Getenv("TRUSTAUDIT_BENCH_SIM_URL"); url != "" {
		// A simulator in another process (trustaudit simulate --world ...), so that the
		// peak RSS is the scanner's alone.
		cfg = aws.Config{
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(awssim.GenAccessKey(0), "any", ""),
			BaseEndpoint: aws.String(url),
		}
		w = nil
	} else {
		sim, err := awssim.Start(awssim.Options{World: w, TimeScale: scale})
		if err != nil {
			b.Fatal(err)
		}
		defer sim.Close()
		cfg = sim.Config(awssim.GenAccessKey(0), "us-east-1")
	}
	bound, err := access.NewBoundary(nil, []string{awssim.GenOrgID})
	if err != nil {
		b.Fatal(err)
	}
	resources := spec.Regions*(spec.FunctionsPerRegion+spec.SESIdentitiesPerRegion) + spec.RolesPerAccount + 1
	for b.Loop() {
		runtime.GC()
		resetPeakRSS()
		o := Options{Config: cfg, Boundary: bound, RateScale: scale, Kinds: testKinds}
		start := time.Now()
		s, _, e, err := run(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		docThrottles := e.stats.documentedThrottles.Load()
		elapsed := time.Since(start)
		if len(s.Gaps) > 0 {
			b.Fatalf("%d gaps, first %+v", len(s.Gaps), s.Gaps[0])
		}
		calls, minimal := sum(s.Stats.Calls), sum(s.Stats.MinimalCalls)
		rss := peakRSS()
		b.ReportMetric(float64(calls)/float64(minimal), "calls/minimal")
		b.ReportMetric(s.Stats.ElapsedSec/s.Stats.LowerBoundSec, "wall/bound")
		b.ReportMetric(float64(docThrottles), "doc-throttles")
		b.ReportMetric(float64(rss)/(1<<20)/(float64(resources)/10000), "MB/10k-res")
		b.Logf("scale x%g: %d regions, %d resources (+%d qualifiers), %d findings", scale, spec.Regions, resources,
			spec.Regions*spec.FunctionsPerRegion*2, len(s.Findings))
		b.Logf("calls %d, minimal %d (%.4f); retries %d, throttles %d (documented lanes %d)", calls, minimal, float64(calls)/float64(minimal), s.Stats.Retries, s.Stats.Throttles, docThrottles)
		b.Logf("elapsed %.2f s, quota lower bound %.2f s (%.4f); at real rates %.0f s vs %.0f s", elapsed.Seconds(), s.Stats.LowerBoundSec, s.Stats.ElapsedSec/s.Stats.LowerBoundSec, s.Stats.ElapsedSec*scale, s.Stats.LowerBoundSec*scale)
		b.Logf("peak RSS during the scan %.0f MB (%.1f MB per 10,000 resources), %.0f requests/s", float64(rss)/(1<<20), float64(rss)/(1<<20)/(float64(resources)/10000), float64(calls+s.Stats.Retries)/elapsed.Seconds())
		for api, n := range s.Stats.Calls {
			if m := s.Stats.MinimalCalls[api]; m != n {
				b.Logf("  %s: %d calls, %d minimal", api, n, m)
			}
		}
	}
}

// BenchmarkSESPaths measures the three ways of reading SES identity policies against the
// simulator's SES buckets (1 rps each, PERFORMANCE.md §2.1): 200 identities, 40% with a
// policy, at time scale TRUSTAUDIT_BENCH_SCALE (default 50).
//
// Run: go test ./internal/scan -run '^$' -bench BenchmarkSESPaths -benchtime 1x -v
func BenchmarkSESPaths(b *testing.B) {
	scale := envFloat(b, "TRUSTAUDIT_BENCH_SCALE", 50)
	spec := awssim.GenSpec{Accounts: 1, Regions: 1, SESIdentitiesPerRegion: 200, SESPoliciesPerIdentity: 1, Mix: awssim.Mix{Foreign: 0.2, Trusted: 0.2, None: 0.6}, Seed: 2}
	w := awssim.Generate(spec)
	bound, err := access.NewBoundary(nil, []string{awssim.GenOrgID})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []kinds.SESPath{kinds.SESv1, kinds.SESv2, kinds.SESv2Dual} {
		b.Run(path.String(), func(b *testing.B) {
			for b.Loop() {
				sim, err := awssim.Start(awssim.Options{World: w, TimeScale: scale})
				if err != nil {
					b.Fatal(err)
				}
				o := Options{Config: sim.Config(awssim.GenAccessKey(0), "us-east-1"), Boundary: bound, RateScale: scale, KindSet: []kinds.Kind{kinds.SESIdentity{Path: path}}}
				start := time.Now()
				s, _, err := Run(context.Background(), o)
				elapsed := time.Since(start)
				sim.Close()
				if err != nil {
					b.Fatal(err)
				}
				var sesCalls int64
				for api, n := range s.Stats.Calls {
					if strings.HasPrefix(api, "ses:") {
						sesCalls += n
					}
				}
				perSec := float64(spec.SESIdentitiesPerRegion) / (elapsed.Seconds() * scale)
				b.ReportMetric(float64(sesCalls), "ses-calls")
				b.ReportMetric(perSec, "identities/s-real")
				b.Logf("%s: %d SES calls, %.2f s at x%g, %.2f identities/s at real rates, %d findings, %d throttles",
					path, sesCalls, elapsed.Seconds(), scale, perSec, len(s.Findings), s.Stats.Throttles)
			}
		})
	}
}
