package scan

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/output"
)

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkOrgScan scans a generated organization (TRUSTAUDIT_BENCH_ACCOUNTS, default 200
// accounts, x 17 regions, dealt over TRUSTAUDIT_BENCH_OUS OUs, default 12; per account and region TRUSTAUDIT_BENCH_FUNCTIONS Lambda
// functions (default 5, one version and one alias each), TRUSTAUDIT_BENCH_IDENTITIES SES
// identities (default 10, one policy each) and a layer with two versions; 20 IAM roles per
// account) with --org: ListAccounts, one AssumeRole per account, every account's lanes at
// once (MaxAccounts TRUSTAUDIT_BENCH_MAX_ACCOUNTS, default all). Quotas are the documented
// ones at time scale TRUSTAUDIT_BENCH_SCALE (default 1). Then it scans the organization
// again in 4 shards and checks that the merged documents hold the same findings.
//
// With TRUSTAUDIT_BENCH_WORLD_OUT=FILE it only writes the world, for
// `trustaudit simulate --world FILE --time-scale N` in another process; with
// TRUSTAUDIT_BENCH_SIM_URL=URL it scans that simulator, so the peak RSS and CPU time are the
// scanner's alone. It reports:
//
//	wall/bound      elapsed / quota lower bound                    target <= 1.2
//	calls/minimal   calls (first attempts) / minimum                target <= 1.02
//	req/s/core      requests sent per CPU second of this process
//	peak-MB         peak RSS of this process during the one-run scan
//
// Run: go test ./internal/scan -run '^$' -bench BenchmarkOrgScan -benchtime 1x -timeout 30m -v
func BenchmarkOrgScan(b *testing.B) {
	scale := envFloat(b, "TRUSTAUDIT_BENCH_SCALE", 1)
	spec := awssim.GenSpec{
		Accounts:               int(envFloat(b, "TRUSTAUDIT_BENCH_ACCOUNTS", 200)),
		Regions:                17,
		FunctionsPerRegion:     int(envFloat(b, "TRUSTAUDIT_BENCH_FUNCTIONS", 5)),
		VersionsPerFunction:    1,
		AliasesPerFunction:     1,
		SESIdentitiesPerRegion: int(envFloat(b, "TRUSTAUDIT_BENCH_IDENTITIES", 10)),
		SESPoliciesPerIdentity: 1,
		RolesPerAccount:        20,
		LayersPerRegion:        1,
		LayerVersions:          2,
		OUs:                    int(envFloat(b, "TRUSTAUDIT_BENCH_OUS", 12)),
		Mix:                    awssim.Mix{Public: 0.02, Foreign: 0.05, ConfusedDeputy: 0.05, Trusted: 0.1, None: 0.5},
		Seed:                   8,
	}
	maxAccounts := int(envFloat(b, "TRUSTAUDIT_BENCH_MAX_ACCOUNTS", float64(spec.Accounts)))
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
	resources := 0
	for _, a := range w.Accounts {
		resources += len(a.IAM.Roles)
		for _, r := range a.Regions {
			resources += len(r.LambdaFunctions) + len(r.SESIdentities) + len(r.LambdaLayers)
		}
	}
	var cfg aws.Config
	if url := os.Getenv("TRUSTAUDIT_BENCH_SIM_URL"); url != "" {
		cfg = aws.Config{
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider(awssim.GenAccessKey(0), "any", ""),
			BaseEndpoint: aws.String(url),
		}
	} else {
		sim, err := awssim.Start(awssim.Options{World: w, TimeScale: scale})
		if err != nil {
			b.Fatal(err)
		}
		defer sim.Close()
		cfg = sim.Config(awssim.GenAccessKey(0), "us-east-1")
	}
	w = nil
	bound, err := access.NewBoundary(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	base := OrgOptions{
		Options:           Options{Config: cfg, Boundary: bound, RateScale: scale, Kinds: testKinds, RegionTimeout: time.Minute, RequestTimeout: time.Minute},
		RoleName:          awssim.DemoAuditRole,
		MaxAccounts:       maxAccounts,
		TrustOrganization: true,
	}
	for b.Loop() {
		runtime.GC()
		resetPeakRSS()
		o := base
		o.Dir = b.TempDir()
		cpu0 := cpuSeconds()
		start := time.Now()
		res, err := RunOrg(context.Background(), o)
		elapsed := time.Since(start)
		cpu := cpuSeconds() - cpu0
		rss := peakRSS()
		if err != nil {
			b.Fatal(err)
		}
		s := load(b, res)
		if len(s.Gaps) > 0 {
			b.Fatalf("%d gaps, first %+v", len(s.Gaps), s.Gaps[0])
		}
		if len(s.Accounts) != spec.Accounts {
			b.Fatalf("%d accounts scanned, want %d", len(s.Accounts), spec.Accounts)
		}
		st := s.Stats
		calls, minimal := sum(st.Calls), sum(st.MinimalCalls)
		requests := float64(calls + st.Retries)
		b.ReportMetric(st.ElapsedSec/st.LowerBoundSec, "wall/bound")
		b.ReportMetric(float64(calls)/float64(minimal), "calls/minimal")
		b.ReportMetric(requests/cpu, "req/s/core")
		b.ReportMetric(float64(rss)/(1<<20), "peak-MB")
		b.Logf("scale x%g: %d accounts x %d regions, %d resources, %d findings, max %d accounts in flight", scale, spec.Accounts, spec.Regions, resources, len(s.Findings), maxAccounts)
		b.Logf("calls %d, minimal %d (%.4f); retries %d, throttles %d", calls, minimal, float64(calls)/float64(minimal), st.Retries, st.Throttles)
		b.Logf("elapsed %.2f s, quota lower bound %.2f s (%.4f); at real rates %.0f s vs %.0f s", elapsed.Seconds(), st.LowerBoundSec, st.ElapsedSec/st.LowerBoundSec, st.ElapsedSec*scale, st.LowerBoundSec*scale)
		b.Logf("%.0f requests/s over %.1f CPU s (%.0f requests per CPU second; %d cores), peak RSS %.0f MB", requests/elapsed.Seconds(), cpu, requests/cpu, runtime.NumCPU(), float64(rss)/(1<<20))
		for api, n := range st.Calls {
			if m := st.MinimalCalls[api]; m != n {
				b.Logf("  %s: %d calls, %d minimal", api, n, m)
			}
		}
		if os.Getenv("TRUSTAUDIT_BENCH_SHARDS") == "0" {
			continue
		}

		// The same organization in 4 shards, merged, holds the same findings.
		// The shards run side by side, as the pods of an Indexed Job would.
		paths := make([]string, 4)
		errs := make([]error, 4)
		start = time.Now()
		var wg sync.WaitGroup
		for i := range 4 {
			so := base
			so.Dir = b.TempDir()
			so.Shard = Shard{Index: i, Count: 4}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := RunOrg(context.Background(), so)
				if err == nil {
					paths[i] = filepath.Join(so.Dir, "shard.json")
					err = writeStream(paths[i], r)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
		mr, err := MergeFiles(paths, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		merged := load(b, mr)
		if !slices.Equal(merged.Accounts, s.Accounts) {
			b.Fatalf("the shards scanned %d accounts, one run %d", len(merged.Accounts), len(s.Accounts))
		}
		if diff := cmp.Diff(s.Findings, merged.Findings); diff != "" {
			b.Fatalf("4 shards merged differ from one run (-one +merged):\n%s", diff)
		}
		b.Logf("4 shards, side by side in %.1f s, merged: %d accounts, %d findings, identical to the one run", time.Since(start).Seconds(), len(merged.Accounts), len(merged.Findings))
	}
}

// writeStream writes an organization scan's document as trustaudit scan --format json does.
func writeStream(path string, r *OrgResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = output.JSONStream(f, r.Scan, output.Lists{Findings: r.Findings, Gaps: r.Gaps, Skipped: r.Skipped})
	return errors.Join(err, f.Close())
}
