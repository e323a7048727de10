package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// knownScan is the sample with its untrusted-account finding accepted in a baseline.
func knownScan() *finding.Scan {
	s := sampleScan()
	for i := range s.Findings {
		if s.Findings[i].Category == finding.CategoryUntrustedAccount {
			s.Findings[i].Known = true
		}
	}
	return s
}

// libraryPlaceholder stands for the vendored library in the HTML goldens: the goldens check
// the page, not 435 KB of someone else's code (TestVendoredAssets checks that).
const libraryPlaceholder = "/* assets/vendor/cytoscape.min.js */"

func render(t *testing.T, format string, s *finding.Scan) []byte {
	t.Helper()
	r, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r(&buf, s, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReportGolden(t *testing.T) {
	lib, err := htmlAssets.ReadFile("assets/vendor/cytoscape.min.js")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, format string
		scan         *finding.Scan
	}{
		{"csv", "csv", knownScan()},
		{"csv-gaps", "csv", gapsOnlyScan()},
		{"sarif", "sarif", knownScan()},
		{"sarif-clean", "sarif", cleanScan()},
		{"asff", "asff", knownScan()},
		{"ocsf", "ocsf", knownScan()},
		{"baseline", "baseline", knownScan()},
		{"html", "html", knownScan()},
		{"html-clean", "html", cleanScan()},
		{"table-known", "table", knownScan()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, tc.format, tc.scan)
			if tc.format == "html" {
				if !bytes.Contains(got, lib) {
					t.Fatal("the page does not inline the vendored library")
				}
				got = bytes.Replace(got, lib, []byte(libraryPlaceholder), 1)
			}
			golden(t, tc.name, got)
		})
	}
}

func TestCSVRows(t *testing.T) {
	s := gapsOnlyScan()
	s.Findings[0].PolicyName = "=HYPERLINK(\"http://evil\")"
	rows, err := csv.NewReader(bytes.NewReader(render(t, "csv", s))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(csvHeader, rows[0]); diff != "" {
		t.Fatalf("header (-want +got):\n%s", diff)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	if len(rows) != 1+len(s.Findings)+len(s.Gaps) {
		t.Fatalf("%d rows, want header + %d findings + %d gaps", len(rows), len(s.Findings), len(s.Gaps))
	}
	f := rows[1]
	if f[col["record"]] != "finding" || f[col["id"]] != s.Findings[0].ID || f[col["status"]] != "suppressed" {
		t.Errorf("finding row = %q", f)
	}
	if got := f[col["policy_name"]]; !strings.HasPrefix(got, "'=") {
		t.Errorf("a formula in a policy name reaches the spreadsheet as %q", got)
	}
	g := rows[2]
	if g[col["record"]] != "gap" || g[col["operation"]] != "lambda:ListLayers" || !strings.Contains(g[col["error"]], "AccessDenied") || g[col["region"]] != "eu-west-1" {
		t.Errorf("gap row = %q", g)
	}
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestSARIFSchema(t *testing.T) {
	sch := compileSARIFSchema(t)
	for name, s := range map[string]*finding.Scan{"sample": knownScan(), "clean": cleanScan(), "gaps": gapsOnlyScan()} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif", s)))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The schema check is real: a level SARIF does not define is refused.
	bad := bytes.Replace(render(t, "sarif", knownScan()), []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err := sch.Validate(inst); err == nil {
		t.Error("the schema accepted level \"fatal\"")
	}
}

func TestSARIFContent(t *testing.T) {
	s := knownScan()
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", s), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	seen := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
	if len(run.Results) != len(s.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(s.Findings))
	}
	for i, r := range run.Results {
		f := s.Findings[i]
		if run.Tool.Driver.Rules[r.RuleIndex].ID != f.Rule || r.RuleID != f.Rule {
			t.Errorf("result %d: rule %s index %d, want %s", i, r.RuleID, r.RuleIndex, f.Rule)
		}
		if got, want := r.Locations[0].PhysicalLocation.ArtifactLocation.URI, f.Account+"/"+f.Region+"/"+f.Kind+"/"+resourceName(f.ResourceARN); got != want {
			t.Errorf("result %d: physical location %s, want %s", i, got, want)
		}
		if got := r.Locations[0].LogicalLocations[0].FullyQualifiedName; got != f.ResourceARN {
			t.Errorf("result %d: location %s, want %s", i, got, f.ResourceARN)
		}
		if r.PartialFingerprints[sarifFingerprint] != f.ID || r.Message.Text != f.Explanation {
			t.Errorf("result %d: fingerprint %v message %q", i, r.PartialFingerprints, r.Message.Text)
		}
		if (len(r.Suppressions) > 0) != f.Suppressed || (r.BaselineState == "unchanged") != f.Known {
			t.Errorf("result %d: suppressions %v baseline %q for suppressed=%v known=%v", i, r.Suppressions, r.BaselineState, f.Suppressed, f.Known)
		}
	}
	rule := run.Tool.Driver.Rules[0]
	if rule.FullDescription == nil || rule.Help == nil || rule.Properties.SecuritySeverity == "" {
		t.Errorf("rule %s lacks the engine's description, remediation or security-severity: %+v", rule.ID, rule)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != len(s.Gaps)+len(s.Skipped)+len(s.Notices) {
		t.Errorf("an incomplete scan: executionSuccessful %v, %d notifications", inv.ExecutionSuccessful, len(inv.ToolExecutionNotifications))
	}
	var clean sarifLog
	_ = json.Unmarshal(render(t, "sarif", cleanScan()), &clean)
	if !clean.Runs[0].Invocations[0].ExecutionSuccessful || clean.Runs[0].Results == nil {
		t.Error("a clean scan must be a successful run with an empty results array")
	}
}

func TestASFF(t *testing.T) {
	s := knownScan()
	s.Findings[0].Explanation = strings.Repeat("x", 2000)
	fs := ASFFFindings(s, ASFFTarget{Region: "eu-central-1", Account: "999988887777"})
	if len(fs) != len(s.Findings) {
		t.Fatalf("%d ASFF findings for %d", len(fs), len(s.Findings))
	}
	wantType := map[string]string{"lambda-function": "AwsLambdaFunction", "iam-role": "AwsIamRole", "ses-identity": "Other"}
	for i, a := range fs {
		f := s.Findings[i]
		if a.SchemaVersion != "2018-10-08" || a.GeneratorId != f.Rule || a.AwsAccountId != f.Account || a.Id != "trustaudit/"+f.ID {
			t.Errorf("%d: %+v", i, a)
		}
		if a.ProductArn != "arn:aws:securityhub:eu-central-1:999988887777:product/999988887777/default" {
			t.Errorf("%d: ProductArn %s", i, a.ProductArn)
		}
		if a.Resources[0].Type != wantType[f.Kind] || a.Resources[0].Id != f.ResourceARN {
			t.Errorf("%d: resource %+v for %s", i, a.Resources[0], f.Kind)
		}
		if f.Region == "global" && a.Resources[0].Region != "eu-central-1" {
			t.Errorf("%d: a global resource is placed in %q", i, a.Resources[0].Region)
		}
		if len([]rune(a.Description)) > asffDescriptionMax || len([]rune(a.Title)) > asffTitleMax {
			t.Errorf("%d: text over Security Hub's limits", i)
		}
		want := "NEW"
		if f.Suppressed {
			want = "SUPPRESSED"
		} else if f.Known {
			want = "NOTIFIED"
		}
		if a.Workflow.Status != want || a.RecordState != "ACTIVE" || a.Compliance.Status != "FAILED" {
			t.Errorf("%d: workflow %s record %s compliance %s", i, a.Workflow.Status, a.RecordState, a.Compliance.Status)
		}
	}
	// Without a target each finding names its own account and region.
	own := ASFFFindings(s, ASFFTarget{})
	if own[0].ProductArn != "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default" {
		t.Errorf("ProductArn %s", own[0].ProductArn)
	}
}

func loadTestOCSF(t *testing.T) *ocsfSchema {
	t.Helper()
	s, err := loadOCSFSchema(filepath.Join("testdata", "ocsf"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const detectionFinding = "events/findings/detection_finding.json"

func TestOCSFSchema(t *testing.T) {
	schema := loadTestOCSF(t)
	for name, s := range map[string]*finding.Scan{"sample": knownScan(), "gaps": gapsOnlyScan()} {
		var evs []map[string]any
		if err := json.Unmarshal(render(t, "ocsf", s), &evs); err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(s.Findings) {
			t.Fatalf("%s: %d events for %d findings", name, len(evs), len(s.Findings))
		}
		for i, ev := range evs {
			errs, err := schema.validateEvent(detectionFinding, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("%s event %d: %s", name, i, e)
			}
		}
	}
}

// The validator must catch what it claims to check, or the test above proves nothing.
func TestOCSFValidatorCatches(t *testing.T) {
	schema := loadTestOCSF(t)
	var evs []map[string]any
	if err := json.Unmarshal(render(t, "ocsf", knownScan()), &evs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(ev map[string]any)
		want   string
	}{
		{"required missing", func(ev map[string]any) { delete(ev, "finding_info") }, "finding_info: required attribute missing"},
		{"nested required missing", func(ev map[string]any) { delete(ev["finding_info"].(map[string]any), "uid") }, "finding_info.uid: required attribute missing"},
		{"enum", func(ev map[string]any) { ev["severity_id"] = 7.0 }, "severity_id: 7 is not one of the enum values"},
		{"type", func(ev map[string]any) { ev["time"] = "2026-11-25" }, "time: expected an integer"},
		{"unknown attribute", func(ev map[string]any) { ev["colour"] = "red" }, "colour: not an attribute of detection_finding"},
		{"sibling caption", func(ev map[string]any) { ev["severity"] = "Low" }, `severity: "Low"`},
		{"class uid", func(ev map[string]any) { ev["class_uid"] = 2003.0 }, "class_uid: 2003, want 2004"},
		{"type uid", func(ev map[string]any) { ev["type_uid"] = 200400.0 }, "type_uid"},
		{"profile not applied", func(ev map[string]any) {
			ev["metadata"].(map[string]any)["profiles"] = []any{}
		}, "cloud: attribute of the cloud profile"},
		{"array", func(ev map[string]any) { ev["resources"] = map[string]any{"uid": "x"} }, "resources: expected an array"},
		{"object at least one", func(ev map[string]any) {
			ev["metadata"].(map[string]any)["product"] = map[string]any{"vendor_name": "x"}
		}, "metadata.product: needs at least one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(evs[0])
			var ev map[string]any
			_ = json.Unmarshal(b, &ev)
			tc.mutate(ev)
			errs, err := schema.validateEvent(detectionFinding, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("no error containing %q; got %q", tc.want, errs)
		})
	}
}

func TestHTMLPage(t *testing.T) {
	s := knownScan()
	evil := `</script><script>alert(1)</script>`
	s.Findings[0].Explanation += evil
	s.Findings[0].Statement = `{"Sid":"x` + evil + `","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root"]},"Action":"lambda:InvokeFunction","Resource":"*"}`
	s.Findings[0].Accounts = []string{"444455556666"}
	s.Findings[1].Event = &finding.Event{
		Time: time.Date(2026, 11, 24, 22, 15, 0, 0, time.UTC), Name: "PutIdentityPolicy", Source: "ses.amazonaws.com",
		Actor: "arn:aws:sts::111122223333:assumed-role/ops/mallory", SourceIP: "203.0.113.9", ErrorCode: "AccessDenied",
	}
	page := string(render(t, "html", s))
	if !strings.Contains(page, "PutIdentityPolicy by arn:aws:sts::111122223333:assumed-role/ops/mallory at 2026-11-24T22:15:00Z from 203.0.113.9 (refused: AccessDenied)") {
		t.Error("the CloudTrail event behind a trail finding is not shown")
	}
	var sl sarifLog
	if err := json.Unmarshal(render(t, "sarif", s), &sl); err != nil {
		t.Fatal(err)
	}
	if ev, ok := sl.Runs[0].Results[1].Properties["event"].(map[string]any); !ok || ev["name"] != "PutIdentityPolicy" {
		t.Errorf("SARIF result properties lack the event: %v", sl.Runs[0].Results[1].Properties)
	}

	if strings.Contains(page, "<script>alert(1)") {
		t.Error("policy text reaches the page as markup")
	}
	// Self-contained: nothing is fetched when the page opens.
	if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]+(src|href)=`).FindString(page); m != "" {
		t.Errorf("the page loads a resource: %s", m)
	}
	// The statement is pretty-printed with the Principal member highlighted, and the
	// outside account marked.
	if !strings.Contains(page, `<span class="principal">  &#34;Principal&#34;: {`) || !strings.Contains(page, `<mark>444455556666</mark>`) {
		t.Error("the principal is not highlighted in the statement")
	}
	// The scan document is embedded and reads back as the same document.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="scan-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no embedded scan document")
	}
	var back finding.Scan
	if err := json.Unmarshal([]byte(m[1]), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*s, back); diff != "" {
		t.Errorf("embedded document (-want +got):\n%s", diff)
	}
	for _, want := range []string{"lambda:ListLayers", "known", "suppressed", "legacy delivery role", `id="f-` + s.Findings[1].ID + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestTrustGraph(t *testing.T) {
	g := buildGraph(knownScan().Findings)
	sides := map[string]string{}
	for _, n := range g.Nodes {
		sides[n.ID] = n.Side
	}
	want := map[string]string{
		"public": "outside", "account:444455556666": "outside", "org:o-zzzzzzzzzz": "outside", "service:sns.amazonaws.com": "outside",
		"res:arn:aws:lambda:eu-west-1:111122223333:function:webhook": "resource",
	}
	for id, side := range want {
		if sides[id] != side {
			t.Errorf("node %s: side %q, want %q", id, sides[id], side)
		}
	}
	sev := map[string]string{}
	muted := map[string]bool{}
	for _, e := range g.Edges {
		sev[e.Source+" "+e.Target] = e.Severity
		muted[e.Source+" "+e.Target] = e.Muted
	}
	if got := sev["public res:arn:aws:lambda:eu-west-1:111122223333:function:webhook"]; got != "critical" {
		t.Errorf("public edge severity %q", got)
	}
	if !muted["service:sns.amazonaws.com res:arn:aws:iam::111122223333:role/sns-delivery"] || !muted["account:444455556666 res:arn:aws:ses:us-east-1:111122223333:identity/example.com"] {
		t.Error("edges of suppressed or known findings are not muted")
	}
	// Two findings on one pair make one edge with the worse severity.
	fs := knownScan().Findings[:1]
	second := fs[0]
	second.ID, second.Severity = "other", finding.SeverityLow
	g = buildGraph(append(fs, second))
	if len(g.Edges) != 1 || g.Edges[0].Severity != "critical" || len(g.Edges[0].Findings) != 2 {
		t.Errorf("edges = %+v", g.Edges)
	}
}

// TestVendoredAssets checks the vendored library against the sha256 VENDOR.txt records, so
// that it cannot change without the record changing too.
func TestVendoredAssets(t *testing.T) {
	record, err := os.ReadFile(filepath.Join("assets", "vendor", "VENDOR.txt"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\S+) (\S+) \S+ \S+ -> (\S+) sha256 ([0-9a-f]{64})$`)
	ms := re.FindAllStringSubmatch(string(record), -1)
	if len(ms) == 0 {
		t.Fatal("VENDOR.txt records no sha256")
	}
	for _, m := range ms {
		data, err := htmlAssets.ReadFile("assets/vendor/" + m[3])
		if err != nil {
			t.Fatalf("%s: %v", m[3], err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != m[4] {
			t.Errorf("%s %s: sha256 %s, VENDOR.txt says %s", m[1], m[2], got, m[4])
		}
		if !bytes.Contains(data, []byte(m[2])) && m[1] == "cytoscape" {
			t.Errorf("%s does not name version %s", m[3], m[2])
		}
	}
}

func TestResourceName(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:eu-west-1:111122223333:function:webhook":      "webhook",
		"arn:aws:lambda:eu-west-1:111122223333:function:webhook:live": "webhook:live",
		"arn:aws:lambda:eu-west-1:111122223333:layer:shared:3":        "shared:3",
		"arn:aws:iam::111122223333:role/service/deploy":               "deploy",
		"arn:aws:ses:us-east-1:111122223333:identity/example.com":     "example.com",
		"arn:aws:sqs:us-east-1:111122223333:jobs":                     "jobs",
		"arn:aws:s3:::bucket":                                         "bucket",
		"not-an-arn":                                                  "not-an-arn",
	} {
		if got := resourceName(arn); got != want {
			t.Errorf("resourceName(%s) = %q, want %q", arn, got, want)
		}
	}
}
