package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/output"
)

func reportFinding(rule, arn, account string, sev finding.Severity) finding.Finding {
	f := finding.Finding{
		Rule: rule, Title: rule, Severity: sev, Category: finding.CategoryUntrustedAccount, Kind: strings.SplitN(rule, "/", 2)[0],
		ResourceARN: arn, Region: "us-east-1", Account: account, Accounts: []string{"999999999999"},
		Explanation: "account 999999999999 may use " + arn,
	}
	f.ComputeID()
	return f
}

var (
	repHigh   = reportFinding("sqs-queue/untrusted-account", "arn:aws:sqs:us-east-1:111111111111:q", "111111111111", finding.SeverityHigh)
	repMedium = reportFinding("sns-topic/untrusted-account", "arn:aws:sns:us-east-1:111111111111:t", "111111111111", finding.SeverityMedium)
	repCrit   = reportFinding("lambda-function/public", "arn:aws:lambda:us-east-1:111111111111:function:f", "111111111111", finding.SeverityCritical)
)

// writeDoc saves a scan document as `scan --format json` would and returns its path.
func writeDoc(t *testing.T, dir, name string, gaps bool, fs ...finding.Finding) string {
	t.Helper()
	s := &finding.Scan{
		SchemaVersion: finding.SchemaVersion, Tool: finding.Tool{Name: "trustaudit", Version: "test"},
		StartedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 25, 9, 1, 0, 0, time.UTC),
		Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}, Findings: fs,
	}
	if gaps {
		s.Gaps = []finding.Gap{{Account: "111111111111", Region: "us-east-1", Kind: "sqs-queue", Operation: "sqs:ListQueues", Error: "AccessDenied"}}
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportRenders(t *testing.T) {
	dir := t.TempDir()
	doc := writeDoc(t, dir, "scan.json", true, repHigh, repMedium)
	out := filepath.Join(dir, "report.sarif")
	code, _, stderr := fixRun(t, "report", "--from", doc, "--format", "sarif", "--output", out)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d: %s", code, ExitFindings, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs[0].Results) != 2 {
		t.Fatalf("report.sarif: %v %+v", err, sarif)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".report.sarif.tmp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}

	// Every registered format renders a saved scan.
	for _, f := range []string{"table", "json", "csv", "sarif", "asff", "ocsf", "html", "baseline"} {
		code, stdout, stderr := fixRun(t, "report", "--from", doc, "--format", f, "--fail-on", "none")
		if code != ExitUsage || stdout == "" {
			t.Errorf("--format %s: exit %d (want %d: the scan has gaps), %d bytes: %s", f, code, ExitUsage, len(stdout), stderr)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report"}, ExitUsage, "--from"},
		{[]string{"report", "--from", doc, "--format", "xml"}, ExitUsage, `unknown format "xml"`},
		{[]string{"report", "--from", filepath.Join(dir, "missing.json")}, ExitError, "missing.json"},
		{[]string{"report", "--from", doc, "--fail-on", "severe"}, ExitUsage, `--fail-on "severe"`},
		{[]string{"report", "--from", doc, "--baseline", filepath.Join(dir, "nobaseline.json")}, ExitError, "nobaseline.json"},
		{[]string{"report", "--from", doc, "--security-hub", "--format", "csv"}, ExitUsage, "takes no --format"},
		{[]string{"report", "--from", doc, "--region", "eu-west-1"}, ExitUsage, "--security-hub only"},
	} {
		code, _, stderr := fixRun(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestFailOn(t *testing.T) {
	dir := t.TempDir()
	withMedium := writeDoc(t, dir, "medium.json", false, repHigh, repMedium)
	onlyMedium := writeDoc(t, dir, "only-medium.json", false, repMedium)
	mediumGaps := writeDoc(t, dir, "medium-gaps.json", true, repMedium)
	clean := writeDoc(t, dir, "clean.json", false)
	for _, tc := range []struct {
		doc, failOn string
		want        int
	}{
		{withMedium, "", ExitFindings},
		{withMedium, "any", ExitFindings},
		{withMedium, "high", ExitFindings},
		{withMedium, "CRITICAL", ExitOK},
		{withMedium, "none", ExitOK},
		{onlyMedium, "high", ExitOK},
		{onlyMedium, "medium", ExitFindings},
		{onlyMedium, "low", ExitFindings},
		// Findings below the bar do not hide that the scan was incomplete.
		{mediumGaps, "high", ExitUsage},
		{mediumGaps, "none", ExitUsage},
		{clean, "", ExitOK},
	} {
		args := []string{"report", "--from", tc.doc, "--format", "json"}
		if tc.failOn != "" {
			args = append(args, "--fail-on", tc.failOn)
		}
		if code, _, stderr := fixRun(t, args...); code != tc.want {
			t.Errorf("%s --fail-on %q: exit %d, want %d: %s", filepath.Base(tc.doc), tc.failOn, code, tc.want, stderr)
		}
	}
}

func TestBaselineFlag(t *testing.T) {
	dir := t.TempDir()
	old := writeDoc(t, dir, "old.json", false, repHigh, repMedium)
	base := filepath.Join(dir, "baseline.json")
	if code, _, stderr := fixRun(t, "report", "--from", old, "--format", "baseline", "--output", base, "--fail-on", "none"); code != ExitOK {
		t.Fatalf("write baseline: exit %d: %s", code, stderr)
	}
	// The same findings against their baseline: reported as known, and the run passes.
	for _, b := range []string{base, old} { // a baseline file, or the saved scan itself
		code, stdout, stderr := fixRun(t, "report", "--from", old, "--format", "json", "--baseline", b)
		if code != ExitOK {
			t.Fatalf("--baseline %s: exit %d: %s", filepath.Base(b), code, stderr)
		}
		var s finding.Scan
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Findings {
			if !f.Known {
				t.Errorf("--baseline %s: %s not marked known", filepath.Base(b), f.Rule)
			}
		}
		if len(s.Notices) == 0 || !strings.Contains(s.Notices[len(s.Notices)-1], "2 of 2 findings known") {
			t.Errorf("notices %q", s.Notices)
		}
	}
	// A new finding fails; the known ones are marked in the table too.
	newer := writeDoc(t, dir, "new.json", false, repHigh, repMedium, repCrit)
	code, stdout, _ := fixRun(t, "report", "--from", newer, "--format", "csv", "--baseline", base)
	if code != ExitFindings {
		t.Errorf("a new finding beside a baseline: exit %d, want %d", code, ExitFindings)
	}
	if strings.Count(stdout, ",known,") != 2 || strings.Count(stdout, ",open,") != 1 {
		t.Errorf("csv statuses:\n%s", stdout)
	}
	if code, _, _ := fixRun(t, "report", "--from", newer, "--format", "csv", "--baseline", base, "--fail-on", "critical"); code != ExitFindings {
		t.Errorf("the new critical finding with --fail-on critical: exit %d", code)
	}
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	old := writeDoc(t, dir, "old.json", false, repHigh, repMedium)
	newer := writeDoc(t, dir, "new.json", false, repMedium, repCrit)
	code, stdout, stderr := fixRun(t, "diff", old, newer)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d: %s", code, ExitFindings, stderr)
	}
	for _, want := range []string{"1 new, 1 resolved, 1 unchanged", "+ critical lambda-function/public", "- high     sqs-queue/untrusted-account", "= medium   sns-topic/untrusted-account"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = fixRun(t, "diff", "--format", "json", newer, old)
	if code != ExitFindings {
		t.Errorf("json: exit %d", code)
	}
	var d struct {
		New, Resolved, Unchanged []finding.Finding
	}
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.New) != 1 || d.New[0].ID != repHigh.ID || len(d.Resolved) != 1 || d.Resolved[0].ID != repCrit.ID || len(d.Unchanged) != 1 {
		t.Errorf("json diff: %+v", d)
	}
	fewer := writeDoc(t, dir, "fewer.json", false, repMedium)
	if code, stdout, _ := fixRun(t, "diff", old, fewer); code != ExitOK || !strings.Contains(stdout, "0 new, 1 resolved, 1 unchanged") {
		t.Errorf("nothing new: exit %d\n%s", code, stdout)
	}
	// A new finding that is suppressed does not fail.
	supp := repCrit
	supp.Suppressed, supp.SuppressedBy = true, "accepted"
	suppressed := writeDoc(t, dir, "supp.json", false, repHigh, repMedium, supp)
	if code, _, _ := fixRun(t, "diff", old, suppressed); code != ExitOK {
		t.Errorf("a new suppressed finding: exit %d", code)
	}
	for _, args := range [][]string{{"diff", old}, {"diff", old, newer, "--format", "yaml"}} {
		if code, _, _ := fixRun(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	if code, _, stderr := fixRun(t, "diff", old, filepath.Join(dir, "nope.json")); code != ExitError || !strings.Contains(stderr, "nope.json") {
		t.Errorf("missing file: exit %d %q", code, stderr)
	}
}

func TestReportSecurityHub(t *testing.T) {
	sim, dir := fixCLI(t)
	if code, _, stderr := fixRun(t, "scan", "--trusted", fixTrusted, "--format", "json", "--output", "scan.json", "--rate-scale", "1000", "--regions", "us-east-1"); code != ExitFindings {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := fixRun(t, "report", "--from", "scan.json", "--security-hub")
	if code != ExitFindings {
		t.Fatalf("import: exit %d, want %d (the findings still fail): %s", code, ExitFindings, stderr)
	}
	if !strings.Contains(stdout, "Security Hub us-east-1 (account "+fixOwner+"): 3 of 3 findings imported, 0 refused") {
		t.Errorf("stdout %q", stdout)
	}
	got := sim.SecurityHubFindings(fixOwner, "us-east-1")
	if len(got) != 3 {
		t.Fatalf("%d findings in Security Hub, want 3", len(got))
	}
	for _, f := range got {
		if f["ProductArn"] != "arn:aws:securityhub:us-east-1:"+fixOwner+":product/"+fixOwner+"/default" || f["SchemaVersion"] != "2018-10-08" {
			t.Errorf("imported %v", f)
		}
	}

	// A finding of another account is refused: reported, and the run fails.
	var s finding.Scan
	data, _ := os.ReadFile(filepath.Join(dir, "scan.json"))
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Findings[0].Account = fixForeign
	// 250 findings take three requests (at most 100 each); one request of 250 is refused whole.
	base := s.Findings[1]
	for i := 0; len(s.Findings) < 250; i++ {
		f := base
		f.ResourceARN = fmt.Sprintf("arn:aws:lambda:us-east-1:%s:function:f%d", fixOwner, i)
		f.ComputeID()
		s.Findings = append(s.Findings, f)
	}
	data, _ = json.Marshal(s)
	if err := os.WriteFile("mixed.json", data, 0o644); err != nil {
		t.Fatal(err)
	}
	sim.ResetCounters()
	code, stdout, stderr = fixRun(t, "report", "--from", "mixed.json", "--security-hub", "--region", "us-east-1", "--fail-on", "none")
	if code != ExitError {
		t.Errorf("partial import: exit %d, want %d", code, ExitError)
	}
	if !strings.Contains(stdout, "249 of 250 findings imported, 1 refused") || !strings.Contains(stderr, "AccessDeniedException") || !strings.Contains(stderr, "1 of 250 findings were not imported") {
		t.Errorf("stdout %q\nstderr %q", stdout, stderr)
	}
	var calls int64
	for _, c := range sim.Counters() {
		if c.Operation == "BatchImportFindings" {
			calls += c.N
		}
	}
	if calls != 3 {
		t.Errorf("%d BatchImportFindings calls for 250 findings, want 3", calls)
	}
	if n := len(sim.SecurityHubFindings(fixOwner, "us-east-1")); n != 3+247 {
		t.Errorf("%d findings in Security Hub, want 250 (3 updated in place, 247 new)", n)
	}
}

// scan and trail take the same gate as report.
func TestScanAndTrailGate(t *testing.T) {
	_, dir := fixCLI(t)
	scanArgs := []string{"scan", "--trusted", fixTrusted, "--format", "json", "--output", "scan.json", "--rate-scale", "1000", "--regions", "us-east-1"}
	if code, _, stderr := fixRun(t, scanArgs...); code != ExitFindings {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	// The fixture's findings are high (an untrusted account): --fail-on critical passes.
	if code, _, stderr := fixRun(t, append(scanArgs, "--fail-on", "critical")...); code != ExitOK {
		t.Errorf("scan --fail-on critical: exit %d: %s", code, stderr)
	}
	// Against its own earlier scan as the baseline nothing is new.
	if code, _, stderr := fixRun(t, "scan", "--trusted", fixTrusted, "--format", "json", "--output", "again.json", "--rate-scale", "1000", "--regions", "us-east-1", "--baseline", filepath.Join(dir, "scan.json")); code != ExitOK {
		t.Errorf("scan --baseline: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile("again.json")
	if strings.Count(string(data), `"known": true`) != 3 {
		t.Errorf("known findings not marked in the scan document:\n%s", data)
	}
	if code, _, stderr := fixRun(t, "scan", "--fail-on", "urgent"); code != ExitUsage || !strings.Contains(stderr, "--fail-on") {
		t.Errorf("scan --fail-on urgent: exit %d %q", code, stderr)
	}
}

func TestTrailGate(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, ExitFindings},
		{[]string{"--fail-on", "none"}, ExitOK},
		{[]string{"--fail-on", "bad"}, ExitUsage},
	} {
		args := append([]string{"trail", "--trusted", "222233334444", "--format", "json", trailLogs}, tc.args...)
		if code, _, stderr := fixRun(t, args...); code != tc.want {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.want, stderr)
		}
	}
}

// The import sends what the asff format writes: every field survives the conversion to the
// SDK's types.
func TestSDKFindings(t *testing.T) {
	supp := repCrit
	supp.Suppressed, supp.SuppressedBy = true, "accepted"
	doc := &finding.Scan{FinishedAt: time.Date(2026, 11, 25, 9, 1, 0, 0, time.UTC), Findings: []finding.Finding{repHigh, supp}}
	asff := output.ASFFFindings(doc, output.ASFFTarget{Region: "us-east-1", Account: "111111111111"})
	got, err := sdkFindings(asff)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got {
		a := asff[i]
		if aws.ToString(f.Id) != a.Id || aws.ToString(f.ProductArn) != a.ProductArn || string(f.Severity.Label) != a.Severity.Label ||
			aws.ToString(f.Resources[0].Type) != a.Resources[0].Type || string(f.Workflow.Status) != a.Workflow.Status ||
			string(f.RecordState) != a.RecordState || string(f.Compliance.Status) != a.Compliance.Status ||
			aws.ToString(f.CreatedAt) != a.CreatedAt || f.ProductFields["trustaudit/FindingId"] != doc.Findings[i].ID ||
			aws.ToString(f.Region) != a.Region || len(f.Types) != len(a.Types) {
			t.Errorf("%d: %+v\nfrom %+v", i, f, a)
		}
		if (f.Remediation == nil) != (a.Remediation == nil) || (f.Remediation != nil && aws.ToString(f.Remediation.Recommendation.Text) != a.Remediation.Recommendation.Text) {
			t.Errorf("%d: remediation lost", i)
		}
	}
	if got[1].Workflow.Status != shtypes.WorkflowStatusSuppressed {
		t.Errorf("suppressed finding sent as %s", got[1].Workflow.Status)
	}
}
