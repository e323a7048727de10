package kinds_test

import "testing"

func TestEBSSnapshotScanFixRestore(t *testing.T) {
	runSharingCase(t, sharingCase{
		kind:      "ebs-snapshot",
		resources: snapshotLike("ebs-snapshot", "snap-"),
		findings:  snapshotLikeFindings("ebs-snapshot", "snap-"),
		afterFix:  snapshotLikeAfterFix("snap-"),
		calls:     map[string]int64{"ec2:GetSnapshotBlockPublicAccessState": 1, "ec2:DescribeSnapshots": 1, "ec2:DescribeSnapshotAttribute": 5},
	})
}

// With snapshot block public access in block-all-sharing mode, EC2 keeps snapshots shared
// with "all" private: they are notices, not findings, and a fix of the foreign account
// beside such a share leaves the share alone.
func TestEBSSnapshotBlockPublicAccess(t *testing.T) {
	after := snapshotLikeAfterFix("snap-")
	after["snap-public"] = []string{"all"}
	after["snap-mixed"] = []string{shTrusted, "all"}
	runSharingCase(t, sharingCase{
		kind:      "ebs-snapshot",
		resources: snapshotLike("ebs-snapshot", "snap-"),
		settings:  map[string]string{"ec2:SnapshotBlockPublicAccessState/" + shRegion: "block-all-sharing"},
		findings:  []string{"snap-foreign ebs-snapshot/untrusted-account", "snap-mixed ebs-snapshot/untrusted-account"},
		afterFix:  after,
		notices:   2,
		calls:     map[string]int64{"ec2:GetSnapshotBlockPublicAccessState": 1, "ec2:DescribeSnapshots": 1, "ec2:DescribeSnapshotAttribute": 5},
	})
}
