package output

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sampleScan() *finding.Scan {
	start := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	fs := []finding.Finding{
		{
			Rule: "lambda-function/public", Title: "Lambda function is public", Severity: finding.SeverityCritical,
			Category: finding.CategoryPublic, Kind: "lambda-function",
			ResourceARN: "arn:aws:lambda:eu-west-1:111122223333:function:webhook", Region: "eu-west-1", Account: "111122223333",
			PolicyName: "function-policy", StatementID: "public-invoke", Principal: "*", Actions: []string{"lambda:InvokeFunction"},
			Statement:   `{"Sid":"public-invoke","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:webhook"}`,
			Explanation: `Statement "public-invoke" allows anyone ("Principal": "*") to call lambda:InvokeFunction on the function, and no condition limits the caller to an account, organization or network.`,
		},
		{
			Rule: "ses-identity/untrusted-account", Title: "SES identity grants access to an untrusted account", Severity: finding.SeverityHigh,
			Category: finding.CategoryUntrustedAccount, Kind: "ses-identity",
			ResourceARN: "arn:aws:ses:us-east-1:111122223333:identity/example.com", Region: "us-east-1", Account: "111122223333",
			Accounts: []string{"444455556666"}, PolicyName: "partner-send", StatementID: "AllowPartner", Actions: []string{"ses:SendEmail", "ses:SendRawEmail"},
			Explanation: "Statement AllowPartner lets account 444455556666, which is not in the trust boundary, send email as example.com.",
		},
		{
			Rule: "iam-role/untrusted-org", Title: "IAM role grants access to an untrusted organization", Severity: finding.SeverityMedium,
			Category: finding.CategoryUntrustedOrg, Kind: "iam-role",
			ResourceARN: "arn:aws:iam::111122223333:role/shared-reader", Region: "global", Account: "111122223333",
			Orgs: []string{"o-zzzzzzzzzz"}, StatementIndex: 1, Actions: []string{"sts:AssumeRole"},
			Explanation: "The second statement lets any principal in organization o-zzzzzzzzzz assume the role.",
		},
		{
			Rule: "iam-role/confused-deputy", Title: "IAM role lets a service act for any account (confused deputy)", Severity: finding.SeverityMedium,
			Category: finding.CategoryConfusedDeputy, Kind: "iam-role",
			ResourceARN: "arn:aws:iam::111122223333:role/sns-delivery", Region: "global", Account: "111122223333",
			Services: []string{"sns.amazonaws.com"}, Actions: []string{"sts:AssumeRole"},
			Explanation:  "sns.amazonaws.com may assume the role with no aws:SourceAccount or aws:SourceArn condition.",
			Suppressed:   true,
			SuppressedBy: "legacy delivery role, tracked in SEC-42",
		},
	}
	for i := range fs {
		fs[i].ComputeID()
	}
	s := &finding.Scan{
		SchemaVersion: finding.SchemaVersion,
		Tool:          finding.Tool{Name: "trustaudit", Version: "v0.1.0"},
		StartedAt:     start,
		FinishedAt:    start.Add(12*time.Second + 340*time.Millisecond),
		Accounts:      []string{"111122223333"},
		Regions:       []string{"eu-west-1", "us-east-1"},
		Kinds:         []string{"iam-role", "lambda-function", "lambda-layer", "ses-identity"},
		Boundary:      finding.Boundary{TrustedAccounts: []string{"999988887777"}, TrustedOrgs: []string{"o-a1b2c3d4e5"}},
		Findings:      fs,
		Gaps: []finding.Gap{{
			Account: "111122223333", Region: "eu-west-1", Kind: "lambda-layer", Operation: "lambda:ListLayers",
			Error: "AccessDeniedException: User is not authorized to perform lambda:ListLayers",
		}},
		Skipped:   []finding.Skip{{Account: "111122223333", Region: "af-south-1", Reason: "opt-in region not enabled"}},
		Notices:   []string{"suppression #2 (iam-role arn:aws:iam::111122223333:role/ci-*) expired on 2026-10-01 and no longer suppresses"},
		Resources: map[string]int{"iam-role": 14, "lambda-function": 9, "ses-identity": 3},
	}
	s.Sort()
	return s
}

func cleanScan() *finding.Scan {
	s := sampleScan()
	s.Findings, s.Gaps, s.Skipped, s.Notices = nil, nil, nil, nil
	return s
}

func gapsOnlyScan() *finding.Scan {
	s := sampleScan()
	s.Findings = s.Findings[len(s.Findings)-1:] // only the suppressed one
	s.Notices = nil
	s.Stats = &finding.Stats{
		Calls:         map[string]int64{"iam:ListRoles": 1, "lambda:ListFunctions": 2, "lambda:GetPolicy": 21, "sesv2:ListEmailIdentities": 2, "sesv2:GetEmailIdentityPolicies": 3},
		MinimalCalls:  map[string]int64{"iam:ListRoles": 1, "lambda:ListFunctions": 2, "lambda:GetPolicy": 20, "sesv2:ListEmailIdentities": 2, "sesv2:GetEmailIdentityPolicies": 3},
		Throttles:     0,
		Retries:       1,
		ElapsedSec:    3.5,
		LowerBoundSec: 3.2,
	}
	return s
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		format string
		scan   *finding.Scan
		opts   Options
	}{
		{"table", "table", sampleScan(), Options{}},
		{"table-show-suppressed", "table", sampleScan(), Options{ShowSuppressed: true}},
		{"table-color", "table", sampleScan(), Options{Color: true}},
		{"table-clean", "table", cleanScan(), Options{}},
		{"table-gaps-stats", "table", gapsOnlyScan(), Options{Stats: true}},
		{"table-gaps-no-stats", "table", gapsOnlyScan(), Options{}},
		{"json", "json", sampleScan(), Options{}},
		{"json-clean", "json", cleanScan(), Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Lookup(tc.format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := r(&buf, tc.scan, tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// The JSON rendering is what a later --from-scan reads: it must decode to the same document.
func TestJSONRoundTrip(t *testing.T) {
	for _, s := range []*finding.Scan{sampleScan(), gapsOnlyScan()} {
		var buf bytes.Buffer
		if err := JSON(&buf, s, Options{}); err != nil {
			t.Fatal(err)
		}
		var back finding.Scan
		dec := json.NewDecoder(&buf)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(*s, back); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestTableBehaviour(t *testing.T) {
	render := func(s *finding.Scan, o Options) string {
		var buf bytes.Buffer
		if err := Table(&buf, s, o); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	full := render(sampleScan(), Options{})
	if strings.Contains(full, "\x1b[") {
		t.Error("colour codes without Options.Color")
	}
	if !strings.Contains(render(sampleScan(), Options{Color: true}), "\x1b[") {
		t.Error("no colour codes with Options.Color")
	}
	if strings.Contains(full, "role/sns-delivery") {
		t.Error("suppressed finding listed without ShowSuppressed")
	}
	if !strings.Contains(full, "(1 suppressed)") {
		t.Error("suppressed finding not counted")
	}
	if !strings.Contains(render(sampleScan(), Options{ShowSuppressed: true}), "role/sns-delivery") {
		t.Error("suppressed finding missing with ShowSuppressed")
	}
	crit, high, med := strings.Index(full, "CRITICAL ("), strings.Index(full, "HIGH ("), strings.Index(full, "MEDIUM (")
	if !(crit >= 0 && crit < high && high < med) {
		t.Errorf("severity groups out of order: critical@%d high@%d medium@%d", crit, high, med)
	}
	if !strings.Contains(full, "INCOMPLETE: 1 read failed; this scan is not clean") {
		t.Error("gap warning missing")
	}
	if strings.Contains(render(cleanScan(), Options{}), "INCOMPLETE") {
		t.Error("clean scan says INCOMPLETE")
	}
	// A scan with only gaps (and a suppressed finding) must not read as clean.
	gaps := render(gapsOnlyScan(), Options{})
	if strings.Contains(gaps, "clean") && !strings.Contains(gaps, "not clean") {
		t.Error("scan with gaps reads as clean")
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("xml"); err == nil || !strings.Contains(err.Error(), strings.Join(Formats(), ", ")) {
		t.Errorf("Lookup(xml) error = %v, want the list of formats", err)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("aaa bbb ccc arn:aws:iam::111122223333:role/a-very-long-name ddd", 12)
	want := []string{"aaa bbb ccc", "arn:aws:iam::111122223333:role/a-very-long-name", "ddd"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

// A trail document says so: its header names the command and its resources are the policy
// changes it read, not resources examined.
func TestTableNamesTheCommand(t *testing.T) {
	s := sampleScan()
	if out := string(render(t, "table", s)); !strings.HasPrefix(out, "trustaudit scan: ") || !strings.Contains(out, " examined: ") {
		t.Errorf("scan table starts %q", firstLines(out))
	}
	s.Tool.Command = "trail"
	if out := string(render(t, "table", s)); !strings.HasPrefix(out, "trustaudit trail: ") || !strings.Contains(out, " policy changes read: ") {
		t.Errorf("trail table starts %q", firstLines(out))
	}
}

func firstLines(s string) string {
	lines := strings.SplitN(s, "\n", 8)
	return strings.Join(lines[:min(len(lines), 7)], "\n")
}
