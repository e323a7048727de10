package kinds_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// BenchmarkStorageScan scans one region holding every storage kind at a size where the S3
// lane dominates, with the simulator's quotas and the engine's pacing 100 times faster,
// and reports the elapsed time against the quota lower bound and the calls against the
// minimal ones (PERFORMANCE.md §1).
func BenchmarkStorageScan(b *testing.B) {
	sizes := map[string]int{"s3-bucket": 2000, "s3-access-point": 1000, "efs-filesystem": 500, "glacier-vault": 300,
		"backup-vault": 300, "opensearch-domain": 200, "acm-pca": 100, "apigateway-rest-api": 1200}
	var rs []world.Resource
	var names []string
	for k, n := range sizes {
		names = append(names, k)
		for i := range n {
			r := world.Resource{Kind: k, Name: fmt.Sprintf("%s-%05d", k, i)}
			if i%10 == 0 {
				r.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
			}
			rs = append(rs, r)
		}
	}
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{ID: stOwner,
		AccessKeys: []world.AccessKey{{ID: stKey, ARN: "arn:aws:iam::" + stOwner + ":user/a"}},
		Regions:    []world.Region{{Name: "us-east-1", Resources: rs}}}}}
	sim, err := awssim.Start(awssim.Options{World: w, TimeScale: 100})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	bd, _ := access.NewBoundary(nil, nil)
	for b.Loop() {
		sc, _, err := scan.Run(context.Background(), scan.Options{Config: sim.Config(stKey, "us-east-1"), Boundary: bd, RateScale: 100,
			Regions: []string{"us-east-1"}, Kinds: names, RequestTimeout: 5 * time.Second, RegionTimeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		if len(sc.Gaps) > 0 {
			b.Fatalf("gaps: %+v", sc.Gaps)
		}
		var calls, minimal int64
		for _, v := range sc.Stats.Calls {
			calls += v
		}
		for _, v := range sc.Stats.MinimalCalls {
			minimal += v
		}
		b.Logf("elapsed %.2fs bound %.2fs throttles %d retries %d", sc.Stats.ElapsedSec, sc.Stats.LowerBoundSec, sc.Stats.Throttles, sc.Stats.Retries)
		b.ReportMetric(float64(calls)/float64(minimal), "calls/minimal")
		b.ReportMetric(sc.Stats.ElapsedSec/sc.Stats.LowerBoundSec, "elapsed/bound")
	}
}
