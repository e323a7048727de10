package kinds_test

import (
	"testing"

	"github.com/trustaudit/trustaudit/internal/world"
)

func TestRDSSnapshotScanFixRestore(t *testing.T) {
	// An automated snapshot is never listed (it cannot be shared).
	res := append(snapshotLike("rds-snapshot", "db-"), world.Resource{Kind: "rds-snapshot", Name: "rds:db-2024-01-02-03-04", Attributes: map[string]string{"SnapshotType": "automated"}})
	after := snapshotLikeAfterFix("db-")
	after["rds:db-2024-01-02-03-04"] = nil
	runSharingCase(t, sharingCase{
		kind:      "rds-snapshot",
		resources: res,
		unlisted:  []string{"rds:db-2024-01-02-03-04"},
		findings:  snapshotLikeFindings("rds-snapshot", "db-"),
		afterFix:  after,
		calls:     map[string]int64{"rds:DescribeDBSnapshots": 1, "rds:DescribeDBSnapshotAttributes": 5},
	})
}

func TestRDSClusterSnapshotScanFixRestore(t *testing.T) {
	runSharingCase(t, sharingCase{
		kind:      "rds-cluster-snapshot",
		resources: snapshotLike("rds-cluster-snapshot", "aurora-"),
		findings:  snapshotLikeFindings("rds-cluster-snapshot", "aurora-"),
		afterFix:  snapshotLikeAfterFix("aurora-"),
		calls:     map[string]int64{"rds:DescribeDBClusterSnapshots": 1, "rds:DescribeDBClusterSnapshotAttributes": 5},
	})
}
