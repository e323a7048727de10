package scan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/output"
)

// BenchmarkMergeFiles merges 4 shard documents of TRUSTAUDIT_BENCH_FINDINGS findings each
// (default 100,000: about an organization of 7,000 accounts at the org benchmark's mix) and
// writes the merged document, reporting the documents' size and the peak live heap
// (sampled every 10 ms): the heap stays near the runs' read buffers whatever the size.
//
// Run: go test ./internal/scan -run '^$' -bench BenchmarkMergeFiles -benchtime 1x -v
func BenchmarkMergeFiles(b *testing.B) {
	n := int(envFloat(b, "TRUSTAUDIT_BENCH_FINDINGS", 100000))
	dir := b.TempDir()
	var paths []string
	var size int64
	for shard := range 4 {
		s := &finding.Scan{SchemaVersion: finding.SchemaVersion, Tool: finding.Tool{Name: "trustaudit"}, Resources: map[string]int{}}
		for i := range n / 200 {
			s.Accounts = append(s.Accounts, fmt.Sprintf("%012d", 100000000000+shard*1000000+i))
		}
		p := filepath.Join(dir, fmt.Sprintf("shard-%d.json", shard))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		findings := func(fn func(*finding.Finding) error) error {
			for i := range n {
				acct := s.Accounts[i%len(s.Accounts)]
				f := finding.Finding{Rule: "lambda-function/untrusted-account", Title: "Lambda function grants access to an untrusted account",
					Severity: finding.SeverityInfo + finding.Severity(i%5), Category: finding.CategoryUntrustedAccount, Kind: "lambda-function",
					ResourceARN: fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:fn-%07d", acct, i), Region: "us-east-1", Account: acct,
					Accounts: []string{"999988887777"}, StatementID: "partner", Principal: "arn:aws:iam::999988887777:root",
					Actions:     []string{"lambda:InvokeFunction"},
					Statement:   `{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"lambda:InvokeFunction"}`,
					Explanation: "Statement \"partner\" lets account 999988887777 (not trusted) call lambda:InvokeFunction on this function."}
				f.ComputeID()
				if err := fn(&f); err != nil {
					return err
				}
			}
			return nil
		}
		err = output.JSONStream(f, s, output.Lists{Findings: findings})
		if err = errors.Join(err, f.Close()); err != nil {
			b.Fatal(err)
		}
		st, _ := os.Stat(p)
		size += st.Size()
		paths = append(paths, p)
	}
	for b.Loop() {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		res, err := MergeFiles(paths, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(b.TempDir(), "org.json"))
		if err != nil {
			b.Fatal(err)
		}
		err = output.JSONStream(out, res.Scan, output.Lists{Findings: res.Findings, Gaps: res.Gaps, Skipped: res.Skipped})
		if err = errors.Join(err, out.Close()); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		close(done)
		wg.Wait()
		live := float64(peak.Load()-min(peak.Load(), base.HeapAlloc)) / (1 << 20)
		b.ReportMetric(float64(size)/(1<<20), "docs-MB")
		b.ReportMetric(live, "peak-heap-MB")
		b.Logf("4 documents, %d findings, %.0f MB of JSON merged and written in %.1f s; peak live heap %.1f MB above the start", 4*n, float64(size)/(1<<20), elapsed.Seconds(), live)
	}
}
