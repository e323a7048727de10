package finding

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func baseFinding() Finding {
	return Finding{
		Rule:           "ses-identity/untrusted-account",
		Title:          "SES identity can be used by an untrusted account",
		Severity:       SeverityHigh,
		Category:       CategoryUntrustedAccount,
		Kind:           "ses-identity",
		ResourceARN:    "arn:aws:ses:us-east-1:111122223333:identity/example.com",
		Region:         "us-east-1",
		Account:        "111122223333",
		Accounts:       []string{"444455556666", "777788889999"},
		PolicyName:     "send",
		StatementID:    "AllowSend",
		StatementIndex: 0,
		Explanation:    "account 444455556666 may send",
	}
}

func TestComputeIDStable(t *testing.T) {
	ref := baseFinding()
	ref.ComputeID()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(ref.ID) {
		t.Fatalf("ID %q: want 16 lower-case hex digits", ref.ID)
	}

	same := []struct {
		name string
		edit func(*Finding)
	}{
		{"accounts in another order", func(f *Finding) { f.Accounts = []string{"777788889999", "444455556666"} }},
		{"new title and explanation", func(f *Finding) { f.Title = "x"; f.Explanation = "y" }},
		{"other severity", func(f *Finding) { f.Severity = SeverityCritical }},
		{"statement text reformatted", func(f *Finding) { f.Statement = `{"Effect":"Allow"}` }},
		{"suppressed", func(f *Finding) { f.Suppressed = true; f.SuppressedBy = "ok" }},
		{"old ID present", func(f *Finding) { f.ID = "deadbeefdeadbeef" }},
	}
	for _, tc := range same {
		t.Run("same/"+tc.name, func(t *testing.T) {
			f := baseFinding()
			tc.edit(&f)
			f.ComputeID()
			if f.ID != ref.ID {
				t.Errorf("ID changed to %s, want %s", f.ID, ref.ID)
			}
		})
	}

	differ := []struct {
		name string
		edit func(*Finding)
	}{
		{"rule", func(f *Finding) { f.Rule = "ses-identity/public" }},
		{"resource", func(f *Finding) { f.ResourceARN += "2" }},
		{"policy", func(f *Finding) { f.PolicyName = "other" }},
		{"sid", func(f *Finding) { f.StatementID = "Other" }},
		{"one account fewer", func(f *Finding) { f.Accounts = f.Accounts[:1] }},
		{"org instead of account", func(f *Finding) { f.Accounts = nil; f.Orgs = []string{"o-abc"} }},
		{"principal", func(f *Finding) { f.Principal = "*" }},
	}
	for _, tc := range differ {
		t.Run("differ/"+tc.name, func(t *testing.T) {
			f := baseFinding()
			tc.edit(&f)
			f.ComputeID()
			if f.ID == ref.ID {
				t.Errorf("ID %s unchanged", f.ID)
			}
		})
	}

	// Without a Sid the statement index identifies the statement.
	a, b := baseFinding(), baseFinding()
	a.StatementID, b.StatementID = "", ""
	b.StatementIndex = 1
	a.ComputeID()
	b.ComputeID()
	if a.ID == b.ID {
		t.Errorf("statements 0 and 1 without Sid share ID %s", a.ID)
	}
}

func TestSort(t *testing.T) {
	f := func(sev Severity, kind, arn, id string) Finding {
		return Finding{Severity: sev, Kind: kind, ResourceARN: arn, ID: id}
	}
	s := &Scan{
		Accounts: []string{"222222222222", "111111111111"},
		Regions:  []string{"us-west-2", "eu-west-1"},
		Findings: []Finding{
			f(SeverityLow, "iam-role", "arn:a", "1"),
			f(SeverityCritical, "lambda-function", "arn:b", "2"),
			f(SeverityCritical, "iam-role", "arn:z", "3"),
			f(SeverityCritical, "iam-role", "arn:c", "5"),
			f(SeverityCritical, "iam-role", "arn:c", "4"),
			f(SeverityHigh, "ses-identity", "arn:a", "6"),
		},
		Gaps: []Gap{
			{Account: "2", Region: "a", Kind: "k", Operation: "op"},
			{Account: "1", Region: "b", Kind: "k", Operation: "op"},
			{Account: "1", Region: "a", Kind: "k", Operation: "z"},
			{Account: "1", Region: "a", Kind: "k", Operation: "a"},
		},
		Skipped: []Skip{{Account: "1", Region: "me-south-1"}, {Account: "1", Region: "af-south-1"}},
	}
	s.Sort()
	var ids []string
	for _, x := range s.Findings {
		ids = append(ids, x.ID)
	}
	if diff := cmp.Diff([]string{"4", "5", "3", "2", "6", "1"}, ids); diff != "" {
		t.Errorf("findings order (-want +got):\n%s", diff)
	}
	var gaps []string
	for _, g := range s.Gaps {
		gaps = append(gaps, g.Account+g.Region+g.Operation)
	}
	if diff := cmp.Diff([]string{"1aa", "1az", "1bop", "2aop"}, gaps); diff != "" {
		t.Errorf("gaps order (-want +got):\n%s", diff)
	}
	if s.Skipped[0].Region != "af-south-1" {
		t.Errorf("skips not sorted: %v", s.Skipped)
	}
	if diff := cmp.Diff([]string{"111111111111", "222222222222"}, s.Accounts); diff != "" {
		t.Errorf("accounts: %s", diff)
	}
	if diff := cmp.Diff([]string{"eu-west-1", "us-west-2"}, s.Regions); diff != "" {
		t.Errorf("regions: %s", diff)
	}
}

func TestUnsuppressed(t *testing.T) {
	s := &Scan{Findings: []Finding{{ID: "a"}, {ID: "b", Suppressed: true}, {ID: "c"}}}
	got := s.Unsuppressed()
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "c" {
		t.Errorf("Unsuppressed = %v", got)
	}
}

// The JSON field names are the document's public interface; a renamed field breaks every
// saved scan, so pin them.
func TestScanJSONRoundTrip(t *testing.T) {
	fd := baseFinding()
	fd.ComputeID()
	s := Scan{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "trustaudit", Version: "dev"},
		Accounts:      []string{"111122223333"},
		Regions:       []string{"us-east-1"},
		Kinds:         []string{"ses-identity"},
		Boundary:      Boundary{TrustedAccounts: []string{"111122223333"}, TrustedOrgs: []string{}},
		Findings:      []Finding{fd},
		Gaps:          []Gap{{Account: "111122223333", Region: "us-east-1", Kind: "lambda-function", Operation: "lambda:GetPolicy", Error: "AccessDenied"}},
		Skipped:       []Skip{{Account: "111122223333", Region: "af-south-1", Reason: "opt-in region not enabled"}},
		Resources:     map[string]int{"ses-identity": 1},
		Stats:         &Stats{Calls: map[string]int64{"ses:ListIdentities": 1}},
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "started_at", "finished_at", "accounts", "regions", "kinds", "trust_boundary", "findings", "gaps", "skipped", "resources", "stats"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("document lacks %q: %s", k, b)
		}
	}
	f0 := generic["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "rule", "severity", "category", "kind", "resource_arn", "region", "account", "accounts", "policy_name", "statement_id", "statement_index", "explanation"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	if f0["severity"] != "high" || f0["category"] != "untrusted-account" {
		t.Errorf("severity/category = %v/%v", f0["severity"], f0["category"])
	}
	var back Scan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
