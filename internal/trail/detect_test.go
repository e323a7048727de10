package trail

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

var update = flag.Bool("update", false, "rewrite golden files")

func boundary(t testing.TB, accounts ...string) access.Boundary {
	t.Helper()
	b, err := access.NewBoundary(accounts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary is one detection in a form a reviewer can read in a golden file.
func summary(d finding.Finding) string {
	f := d
	return fmt.Sprintf("%s %s %s [%s/%s] %s account=%s region=%s accounts=%v principal=%q sid=%q policy=%q actor=%s ip=%s ua=%q error=%s\n    %s",
		d.Event.Time.Format(time.RFC3339), d.Event.Name, f.Rule, f.Severity, f.Category, f.ResourceARN, f.Account, f.Region,
		f.Accounts, f.Principal, f.StatementID, f.PolicyName, d.Event.Actor, d.Event.SourceIP, d.Event.UserAgent, d.Event.ErrorCode, f.Explanation)
}

func TestDetectorOnDeliveredLogs(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		golden string
	}{
		{"default", Options{}, "detect_default.golden"},
		{"all", Options{All: true}, "detect_all.golden"},
		{"window", Options{Window: Window{Since: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}}, "detect_window.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Boundary = boundary(t, "222233334444")
			d := NewDetector(tc.opts)
			if err := d.Run(context.Background(), Files{Paths: []string{"testdata/logs"}}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, det := range d.Detections() {
				b.WriteString(summary(det) + "\n")
			}
			for _, g := range d.Scan("test").Gaps {
				fmt.Fprintf(&b, "GAP %+v\n", g)
			}
			golden(t, filepath.Join("testdata", tc.golden), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func record(id, source, name, params string, extra ...string) *Record {
	r := &Record{
		EventTime: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), EventSource: source, EventName: name,
		AWSRegion: "us-east-1", RecipientAccountID: "111122223333", EventID: id,
		UserIdentity:      UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice"},
		RequestParameters: []byte(params),
	}
	if len(extra) > 0 {
		r.ErrorCode = extra[0]
	}
	return r
}

func TestDetectorBoundaryGapsAndDuplicates(t *testing.T) {
	partner := `{"functionName":"f","statementId":"p","action":"lambda:InvokeFunction","principal":"222233334444"}`
	cases := []struct {
		name    string
		trusted []string
		recs    []*Record
		rules   string
		gaps    int
	}{
		{"partner untrusted", nil, []*Record{record("1", "lambda.amazonaws.com", "AddPermission20150331v2", partner)}, "trail/lambda-function/untrusted-account", 0},
		{"partner trusted", []string{"222233334444"}, []*Record{record("1", "lambda.amazonaws.com", "AddPermission20150331v2", partner)}, "", 0},
		{"same event from two sources", nil, []*Record{
			record("1", "lambda.amazonaws.com", "AddPermission20150331v2", partner),
			record("1", "lambda.amazonaws.com", "AddPermission20150331v2", partner),
		}, "trail/lambda-function/untrusted-account", 0},
		{"service without source condition", nil, []*Record{record("1", "lambda.amazonaws.com", "AddPermission20150331v2", `{"functionName":"f","statementId":"sns","action":"lambda:InvokeFunction","principal":"sns.amazonaws.com"}`)}, "trail/lambda-function/confused-deputy", 0},
		{"malformed policy is a gap", nil, []*Record{record("1", "ses.amazonaws.com", "PutIdentityPolicy", `{"identity":"example.com","policyName":"p","policy":"{\"Statement\":[{\"Effect\":\"Permit\"}]}"}`)}, "", 1},
		{"missing parameters is a gap", nil, []*Record{record("1", "iam.amazonaws.com", "UpdateAssumeRolePolicy", `null`)}, "", 1},
		{"refused without parameters is an attempt", nil, []*Record{record("1", "iam.amazonaws.com", "UpdateAssumeRolePolicy", `null`, "AccessDenied")}, "trail/attempt", 0},
		{"refused benign change is not reported", nil, []*Record{record("1", "lambda.amazonaws.com", "AddPermission20150331v2", `{"functionName":"f","statementId":"s","action":"lambda:InvokeFunction","principal":"111122223333"}`, "AccessDenied")}, "", 0},
		{"read-only and unrelated events", nil, []*Record{
			record("1", "lambda.amazonaws.com", "GetPolicy20150331v2", `{"functionName":"f"}`),
			record("2", "s3.amazonaws.com", "PutBucketTagging", `{"bucketName":"b"}`),
		}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDetector(Options{Boundary: boundary(t, tc.trusted...)})
			for _, r := range tc.recs {
				if err := d.Record(r); err != nil {
					t.Fatal(err)
				}
			}
			var rules []string
			for _, det := range d.Detections() {
				rules = append(rules, det.Rule)
			}
			if got := strings.Join(rules, ","); got != tc.rules {
				t.Errorf("rules = %q, want %q", got, tc.rules)
			}
			s := d.Scan("test")
			if len(s.Gaps) != tc.gaps {
				t.Errorf("gaps = %+v, want %d", s.Gaps, tc.gaps)
			}
			for _, g := range s.Gaps {
				if !strings.Contains(g.Error, "event 1 at 2026-11-20T10:00:00Z") || g.Operation == "" {
					t.Errorf("gap %+v does not name the event", g)
				}
			}
		})
	}
}

func TestFailing(t *testing.T) {
	d := NewDetector(Options{Boundary: boundary(t), All: true})
	if err := d.Run(context.Background(), Files{Paths: []string{"testdata/logs"}}); err != nil {
		t.Fatal(err)
	}
	count := func(failOnAttempts bool) (n int) {
		for _, f := range d.Scan("test").Findings {
			if Failing(f, failOnAttempts) {
				n++
			}
		}
		return n
	}
	// 6 grants and indicators (SES untrusted, indicator x2, Lambda public, layer public,
	// IAM foreign) + the partner's Lambda and SES grants, untrusted here; 2 attempts;
	// 1 removal.
	if got := count(false); got != 8 {
		t.Errorf("failing without --fail-on-attempts = %d, want 8", got)
	}
	if got := count(true); got != 10 {
		t.Errorf("failing with --fail-on-attempts = %d, want 10", got)
	}
}
