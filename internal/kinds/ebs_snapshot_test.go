package kinds_test

import "testing"

func TestEBSSnapshotScanFixRestore(t *testing.T) {
	runSharingCase(t, sharingCase{
		kind:      "ebs-snapshot",
		resources: snapshotLike("ebs-snapshot", "snap-"),
		findings:  snapshotLikeFindings("ebs-snapshot", "snap-"),
		afterFix:  snapshotLikeAfterFix("snap-"),
		calls:     map[string]int64{"ec2:DescribeSnapshots": 1, "ec2:DescribeSnapshotAttribute": 5},
	})
}
