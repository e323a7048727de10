package trail

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/awssim"
)

// The sharing calls' events are recognised, and what they add is judged as a scan judges
// the same shares: public and foreign-account shares are reported, trusted ones and
// removals are not.
func TestSharingEvents(t *testing.T) {
	cases := []struct {
		name, source, event, params string
		want                        []string // "rule resource" of each detection, sorted
	}{
		{"snapshot made public", "ec2.amazonaws.com", "ModifySnapshotAttribute",
			`{"snapshotId":"snap-0abc","attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{"add":{"items":[{"group":"all"}]}}}`,
			[]string{"trail/ebs-snapshot/public arn:aws:ec2:eu-west-1::snapshot/snap-0abc"}},
		{"snapshot shared with a foreign and a trusted account", "ec2.amazonaws.com", "ModifySnapshotAttribute",
			`{"snapshotId":"snap-0abc","createVolumePermission":{"add":{"items":[{"userId":"999988887777"},{"userId":"222233334444"}]}}}`,
			[]string{"trail/ebs-snapshot/untrusted-account arn:aws:ec2:eu-west-1::snapshot/snap-0abc"}},
		{"snapshot share removed", "ec2.amazonaws.com", "ModifySnapshotAttribute",
			`{"snapshotId":"snap-0abc","createVolumePermission":{"remove":{"items":[{"group":"all"}]}}}`, nil},
		{"image made public and shared", "ec2.amazonaws.com", "ModifyImageAttribute",
			`{"imageId":"ami-0abc","attributeType":"launchPermission","launchPermission":{"add":{"items":[{"group":"all"},{"userId":"999988887777"}]}}}`,
			[]string{"trail/ec2-ami/public arn:aws:ec2:eu-west-1::image/ami-0abc", "trail/ec2-ami/untrusted-account arn:aws:ec2:eu-west-1::image/ami-0abc"}},
		{"image shared with a foreign organization", "ec2.amazonaws.com", "ModifyImageAttribute",
			`{"imageId":"ami-0abc","launchPermission":{"add":{"items":[{"organizationArn":"arn:aws:organizations::999988887777:organization/o-untrusted01"}]}}}`,
			[]string{"trail/ec2-ami/untrusted-org arn:aws:ec2:eu-west-1::image/ami-0abc"}},
		{"image shared with a trusted account", "ec2.amazonaws.com", "ModifyImageAttribute",
			`{"imageId":"ami-0abc","launchPermission":{"add":{"items":[{"userId":"222233334444"}]}}}`, nil},
		{"db snapshot made public", "rds.amazonaws.com", "ModifyDBSnapshotAttribute",
			`{"dBSnapshotIdentifier":"db-1","attributeName":"restore","valuesToAdd":["all"]}`,
			[]string{"trail/rds-snapshot/public arn:aws:rds:eu-west-1:111122223333:snapshot:db-1"}},
		{"db snapshot by ARN to a foreign account", "rds.amazonaws.com", "ModifyDBSnapshotAttribute",
			`{"dBSnapshotIdentifier":"arn:aws:rds:eu-west-1:111122223333:snapshot:db-1","attributeName":"restore","valuesToAdd":["999988887777"],"valuesToRemove":["all"]}`,
			[]string{"trail/rds-snapshot/untrusted-account arn:aws:rds:eu-west-1:111122223333:snapshot:db-1"}},
		{"cluster snapshot to a foreign account", "rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute",
			`{"dBClusterSnapshotIdentifier":"aurora-1","attributeName":"restore","valuesToAdd":["999988887777"]}`,
			[]string{"trail/rds-cluster-snapshot/untrusted-account arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:aurora-1"}},
		{"cluster snapshot unshared", "rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute",
			`{"dBClusterSnapshotIdentifier":"aurora-1","attributeName":"restore","valuesToRemove":["999988887777"]}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDetector(Options{Boundary: boundary(t, "222233334444")})
			r := &Record{
				EventTime: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), EventSource: tc.source, EventName: tc.event,
				AWSRegion: "eu-west-1", RecipientAccountID: "111122223333", RequestParameters: json.RawMessage(tc.params),
				UserIdentity: UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/dev", AccountID: "111122223333"},
			}
			if err := d.Record(r); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, det := range d.Detections() {
				got = append(got, det.Rule+" "+det.ResourceARN)
				if !strings.Contains(det.Explanation, "Permission") && !strings.Contains(det.Explanation, "RestoreAttribute") {
					t.Errorf("explanation %q does not name the attribute", det.Explanation)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("detections (-want +got):\n%s", diff)
			}
			if gaps := d.Scan("test").Gaps; len(gaps) > 0 {
				t.Errorf("gaps: %+v", gaps)
			}
		})
	}
}

func TestSharingEventsRejectMalformedParameters(t *testing.T) {
	for _, tc := range []struct{ source, event, params, want string }{
		{"ec2.amazonaws.com", "ModifySnapshotAttribute", `{"createVolumePermission":{}}`, "requestParameters.snapshotId: missing"},
		{"ec2.amazonaws.com", "ModifyImageAttribute", `{"imageId":"ami-1","launchPermission":{"add":{"items":[{"group":"everyone"}]}}}`, `group "everyone"`},
		{"rds.amazonaws.com", "ModifyDBSnapshotAttribute", `{"attributeName":"restore","valuesToAdd":["all"]}`, "requestParameters.dBSnapshotIdentifier: missing"},
		{"rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute", `{"dBClusterSnapshotIdentifier":"c","attributeName":"restore","valuesToAdd":[1]}`, "valuesToAdd[0]: expected a string"},
	} {
		d := NewDetector(Options{Boundary: boundary(t)})
		r := &Record{EventSource: tc.source, EventName: tc.event, AWSRegion: "eu-west-1", RecipientAccountID: "111122223333", RequestParameters: json.RawMessage(tc.params)}
		_ = d.Record(r)
		gaps := d.Scan("test").Gaps
		if len(gaps) != 1 || !strings.Contains(gaps[0].Error, tc.want) {
			t.Errorf("%s %s: gaps %+v, want one saying %q", tc.event, tc.params, gaps, tc.want)
		}
	}
}

// EC2's event history is mostly Describe calls: LookupEvents is asked for the sharing calls
// by name, so the noise is never paged through, and the sharing call is still found.
func TestLookupAsksEC2AndRDSByEventName(t *testing.T) {
	s := startSim(t, awssim.Options{NoQuotas: true})
	now := time.Now().UTC()
	var recs [][]byte
	for i := range 120 {
		recs = append(recs, []byte(fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333"},"eventTime":%q,"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","requestParameters":{},"eventID":"noise-%d","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
			now.Add(-time.Duration(i)*time.Minute).Format(time.RFC3339), i)))
	}
	recs = append(recs, []byte(fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333"},"eventTime":%q,"eventSource":"ec2.amazonaws.com","eventName":"ModifySnapshotAttribute","awsRegion":"us-east-1","requestParameters":{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"group":"all"}]}}},"eventID":"share-1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`,
		now.Add(-time.Hour).Format(time.RFC3339))))
	if err := s.AddTrailEvents("111122223333", "us-east-1", recs...); err != nil {
		t.Fatal(err)
	}
	got, calls := lookupDetections(t, s)
	if diff := cmp.Diff([]string{"trail/ebs-snapshot/public arn:aws:ec2:us-east-1::snapshot/snap-1"}, got); diff != "" {
		t.Errorf("detections (-want +got):\n%s", diff)
	}
	// One page per query: the 120 Describe events (three pages by source) were never read.
	if want := int64(len(lookupQueries())); calls != want {
		t.Errorf("LookupEvents calls = %d, want one per query (%d)", calls, want)
	}
	for src := range lookupByName {
		for _, e := range Events() {
			if e.Source == src && e.Prefix {
				t.Errorf("%s %s: a versioned name cannot be looked up by name", src, e.Name)
			}
		}
	}
}
