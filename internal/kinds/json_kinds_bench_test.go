package kinds_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// BenchmarkJSONKindScan scans one region of 1,000 resources of a kind with the simulator's
// quotas at benchScale times the real rates, and reports the per-resource read rate the
// scan achieved, scaled back to real time, beside the lane's rate: a paced lane should come
// close to its rate and never above it.
func BenchmarkJSONKindScan(b *testing.B) {
	const n, benchScale = 1000, 10
	for _, kind := range []string{"sqs-queue", "secretsmanager-secret", "kms-key", "eventbridge-bus"} {
		b.Run(kind, func(b *testing.B) {
			k, _ := kinds.Get(kind)
			var rs []world.Resource
			for i := range n {
				rs = append(rs, world.Resource{Kind: kind, Name: fmt.Sprintf("r%05d", i), Policy: doc("x", awsP(foreign), "*", "*")})
			}
			w := testWorld(rs)
			sim, err := awssim.Start(awssim.Options{World: w, TimeScale: benchScale})
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			bd, _ := access.NewBoundary(nil, nil)
			var readRate float64
			for _, l := range k.Lanes() {
				if l.Name != k.Lanes()[0].Name || len(k.Lanes()) == 1 {
					readRate = l.Rate // the per-resource read lane (the last one of KMS's three)
				}
			}
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				sc, _, err := scan.Run(b.Context(), scan.Options{Config: sim.Config(accessKey, region), Boundary: bd, RateScale: benchScale,
					Regions: []string{region}, KindSet: []kinds.Kind{k}})
				if err != nil || len(sc.Findings) != n || len(sc.Gaps) > 0 {
					b.Fatalf("%v: %d findings, gaps %v", err, len(sc.Findings), sc.Gaps)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds()/benchScale, "resources/s-real")
			}
			b.ReportMetric(readRate, "lane-rps")
		})
	}
}
