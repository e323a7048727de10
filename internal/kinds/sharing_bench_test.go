package kinds_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// BenchmarkSharingKindScan scans one region of 1,000 resources of each sharing kind (one in
// ten shared with everyone) with the simulator's quotas at shBenchScale times the real
// rates. It reports the scan's time scaled back to real time beside the lane's lower bound
// (calls / lane rate): a paced lane should come close to the bound without a throttle.
func BenchmarkSharingKindScan(b *testing.B) {
	const n, shBenchScale = 1000, 50
	for _, kc := range []struct{ kind, prefix string }{{"ebs-snapshot", "snap-"}, {"ec2-ami", "ami-"}, {"rds-snapshot", "db-"}, {"rds-cluster-snapshot", "cluster-"}} {
		kind := kc.kind
		b.Run(kind, func(b *testing.B) {
			var rs []world.Resource
			for i := range n {
				r := world.Resource{Kind: kind, Name: fmt.Sprintf("%s%05d", kc.prefix, i)}
				if i%10 == 0 {
					r.Shares = []string{"all"}
				}
				rs = append(rs, r)
			}
			sim, err := awssim.Start(awssim.Options{World: sharingWorld(sharingCase{resources: rs}), TimeScale: shBenchScale})
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			bd, _ := access.NewBoundary(nil, nil)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				sc, _, err := scan.Run(b.Context(), scan.Options{Config: sim.Config(shKey, shRegion), Boundary: bd, RateScale: shBenchScale,
					Regions: []string{shRegion}, Kinds: []string{kind}})
				if err != nil || len(sc.Findings) != n/10 || len(sc.Gaps) > 0 {
					b.Fatalf("%v: %d findings, %d gaps", err, len(sc.Findings), len(sc.Gaps))
				}
				b.ReportMetric(time.Since(start).Seconds()*shBenchScale, "s-real")
				b.ReportMetric(sc.Stats.LowerBoundSec*shBenchScale, "bound-s-real")
				b.ReportMetric(float64(sc.Stats.Throttles), "throttles")
			}
		})
	}
}
