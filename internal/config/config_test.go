package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

const good = `# trust boundary
trusted_accounts:
  - 111122223333
  - "012345678901"
  - arn:aws:iam::444455556666:root
trusted_orgs: [o-a1b2c3d4e5]
regions:
  - us-east-1
  - eu-west-1
kinds: [lambda-function, ses-identity]
suppressions:
  - kind: lambda-function
    resource: arn:aws:lambda:*:111122223333:function:public-*
    reason: public webhook, reviewed in SEC-12
  - kind: ses-identity
    resource: arn:aws:ses:us-east-1:111122223333:identity/example.com
    principal: "777788889999"
    reason: partner sends on our behalf
    expires: 2026-10-01
`

func TestParseGood(t *testing.T) {
	c, err := Parse("trustaudit.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path:            "trustaudit.yaml",
		TrustedAccounts: []string{"111122223333", "012345678901", "arn:aws:iam::444455556666:root"},
		TrustedOrgs:     []string{"o-a1b2c3d4e5"},
		TrustedOUPaths:  []string{},
		Regions:         []string{"us-east-1", "eu-west-1"},
		Kinds:           []string{"lambda-function", "ses-identity"},
		Suppressions: []Suppression{
			{Kind: "lambda-function", Resource: "arn:aws:lambda:*:111122223333:function:public-*", Reason: "public webhook, reviewed in SEC-12", Line: 12},
			{Kind: "ses-identity", Resource: "arn:aws:ses:us-east-1:111122223333:identity/example.com", Principal: "777788889999",
				Reason: "partner sends on our behalf", Expires: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Line: 15},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// A suppression may name any kind the access engine has rules for, and trusted accounts may
// be any IAM or STS principal ARN the boundary understands.
func TestParseAcceptsWhatTheEngineAccepts(t *testing.T) {
	src := `trusted_accounts:
  - arn:aws:sts::111122223333:assumed-role/admin/alice
  - arn:aws-us-gov:iam::222233334444:role/x
suppressions:
  - kind: s3-bucket
    resource: arn:aws:s3:::public-*
    reason: website buckets
`
	c, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedAccounts) != 2 || c.Suppressions[0].Kind != "s3-bucket" {
		t.Errorf("got %+v", c)
	}
}

// Trusted OU paths come back in the form the boundary compares: with their trailing slash.
func TestParseTrustedOUPaths(t *testing.T) {
	src := `trusted_orgs: [o-a1b2c3d4e5]
trusted_ou_paths:
  - o-a1b2c3d4e5/r-ab12/ou-ab12-11111111
  - "o-zzzzzzzzzz/r-zz99/"
`
	c, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "o-zzzzzzzzzz/r-zz99/"}
	if diff := cmp.Diff(want, c.TrustedOUPaths); diff != "" {
		t.Errorf("TrustedOUPaths (-want +got):\n%s", diff)
	}
	if _, err := access.NewBoundary(nil, c.TrustedOrgs); err != nil {
		t.Fatal(err)
	}
	b, err := access.Boundary{}.WithOrgPaths(c.TrustedOUPaths)
	if err != nil {
		t.Fatalf("the boundary refuses what the file accepted: %v", err)
	}
	if !b.TrustsOrgPath("o-zzzzzzzzzz/r-zz99/ou-zz99-12345678/") || b.TrustsOrgPath("o-a1b2c3d4e5/r-ab12/") {
		t.Errorf("boundary from the file trusts the wrong subtrees: %q", b.OrgPaths())
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "\n\n"} {
		c, err := Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if len(c.TrustedAccounts)+len(c.Suppressions)+len(c.Regions) != 0 {
			t.Errorf("%q: got %+v", src, c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"bad account", "trusted_accounts:\n  - 111122223333\n  - 12345\n",
			`trustaudit.yaml:3: trusted_accounts[1]: expected a 12-digit account id or an IAM ARN, found "12345"`},
		{"account as ARN of another service", "trusted_accounts: [\"arn:aws:s3:::bucket\"]\n",
			`trustaudit.yaml:1: trusted_accounts[0]: expected a 12-digit account id or an IAM ARN, found "arn:aws:s3:::bucket"`},
		{"duplicate account", "trusted_accounts:\n  - 111122223333\n  - 111122223333\n",
			`trustaudit.yaml:3: trusted_accounts[1]: "111122223333" already given at trusted_accounts[0]`},
		{"unknown top field", "regions: [us-east-1]\n\ntrusted_acounts: [111122223333]\n",
			`trustaudit.yaml:3: unknown field "trusted_acounts"`},
		{"unknown suppression field", "suppressions:\n  - kind: iam-role\n    resource: arn:aws:iam::111122223333:role/x\n    reason: ok\n    expiry: 2027-01-01\n",
			`trustaudit.yaml:5: unknown field "expiry"`},
		{"bad org", "trusted_orgs:\n  - org-123\n", `trustaudit.yaml:2: trusted_orgs[0]: expected an organization id like o-a1b2c3d4e5, found "org-123"`},
		{"bad region", "regions: [us-east-1, useast2]\n", `trustaudit.yaml:1: regions[1]: expected a region name like us-east-1, found "useast2"`},
		{"bad kind", "kinds:\n  - s3-buckets\n", `trustaudit.yaml:2: kinds[0]: expected one of `}, // the list grows with every kind
		{"list given a map", "regions:\n  - name: us-east-1\n", `trustaudit.yaml:2: expected a single value, found a mapping`},
		{"scalar for list", "regions: us-east-1\n", `trustaudit.yaml:1:`},
		{"missing reason", "suppressions:\n  - kind: iam-role\n    resource: arn:aws:iam::111122223333:role/x\n",
			`trustaudit.yaml:2: suppressions[0].reason: expected the reason this access is accepted (required)`},
		{"empty reason", "suppressions:\n  - kind: iam-role\n    resource: arn:aws:iam::111122223333:role/x\n    reason: \"  \"\n",
			`trustaudit.yaml:4: suppressions[0].reason: expected the reason`},
		{"missing resource", "suppressions:\n  - kind: iam-role\n    reason: ok\n",
			`trustaudit.yaml:2: suppressions[0].resource: expected an ARN pattern`},
		{"resource not an ARN", "suppressions:\n  - kind: iam-role\n    resource: my-role\n    reason: ok\n",
			`trustaudit.yaml:3: suppressions[0].resource: expected an ARN pattern starting with arn:, found "my-role"`},
		{"bad principal", "suppressions:\n  - kind: iam-role\n    resource: arn:aws:iam::111122223333:role/x\n    principal: bob\n    reason: ok\n",
			`trustaudit.yaml:4: suppressions[0].principal: expected a 12-digit account id or an ARN pattern, found "bob"`},
		{"bad date", "suppressions:\n  - kind: iam-role\n    resource: arn:aws:iam::111122223333:role/x\n    reason: ok\n    expires: 2026-13-01\n",
			`trustaudit.yaml:5: suppressions[0].expires: expected a date YYYY-MM-DD, found "2026-13-01"`},
		{"trusted ARN with a region", "trusted_accounts: [\"arn:aws:iam:us-east-1:111122223333:root\"]\n",
			`trustaudit.yaml:1: trusted_accounts[0]: expected a 12-digit account id or an IAM ARN, found "arn:aws:iam:us-east-1:111122223333:root"`},
		{"suppression kind", "suppressions:\n  - kind: iam\n    resource: arn:aws:iam::111122223333:role/x\n    reason: ok\n",
			`trustaudit.yaml:2: suppressions[0].kind: expected one of`},
		{"syntax", "regions: [us-east-1\n", `trustaudit.yaml:`},
		{"OU path with a wildcard", "trusted_ou_paths:\n  - o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/\n  - o-a1b2c3d4e5/r-ab12/*\n",
			`trustaudit.yaml:3: trusted_ou_paths[1]: trusted OU path "o-a1b2c3d4e5/r-ab12/*": wildcards are not allowed; expected an OU path such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`},
		{"OU path that is an organization id", "trusted_ou_paths: [o-a1b2c3d4e5]\n",
			`trustaudit.yaml:1: trusted_ou_paths[0]: trusted OU path "o-a1b2c3d4e5": a path starts with the organization id and its root id`},
		{"OU path with a bad OU id", "trusted_ou_paths:\n  - o-a1b2c3d4e5/r-ab12/ou-1/\n",
			`trustaudit.yaml:2: trusted_ou_paths[0]: trusted OU path "o-a1b2c3d4e5/r-ab12/ou-1/": "ou-1" is not an OU id`},
		{"OU path given twice", "trusted_ou_paths:\n  - o-a1b2c3d4e5/r-ab12/ou-ab12-11111111\n  - o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/\n",
			`trustaudit.yaml:3: trusted_ou_paths[1]: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/" already given at trusted_ou_paths[0]`},
		{"OU paths as a scalar", "trusted_ou_paths: o-a1b2c3d4e5/r-ab12/\n", `trustaudit.yaml:1:`},
		{"misspelt OU paths field", "trusted_ou_path: [o-a1b2c3d4e5/r-ab12/]\n",
			`trustaudit.yaml:1: unknown field "trusted_ou_path" (expected one of trusted_accounts, trusted_orgs, trusted_ou_paths,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("trustaudit.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n  %s\nwant prefix:\n  %s", err, tc.want)
			}
		})
	}
}

func TestFindAndLoad(t *testing.T) {
	dir := t.TempDir()
	if _, ok := Find(dir); ok {
		t.Fatal("found a config in an empty dir")
	}
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	got, ok := Find(dir)
	if !ok || got != p {
		t.Fatalf("Find = %q, %v", got, ok)
	}
	c, err := Load(got)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != p || len(c.Suppressions) != 2 {
		t.Errorf("Load: %+v", c)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load missing: %v", err)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"arn:aws:lambda:*:111122223333:function:public-*", "arn:aws:lambda:us-east-1:111122223333:function:public-hook", true},
		{"arn:aws:lambda:*:111122223333:function:public-*", "arn:aws:lambda:us-east-1:111122223333:function:private", false},
		{"arn:aws:lambda:*:111122223333:function:public-*", "arn:aws:lambda:us-east-1:999922223333:function:public-x", false},
		{"*", "anything", true},
		{"arn:aws:iam::111122223333:role/?", "arn:aws:iam::111122223333:role/a", true},
		{"arn:aws:iam::111122223333:role/?", "arn:aws:iam::111122223333:role/ab", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a*b", "abab", true},
		{"ARN:*", "arn:x", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tc := range tests {
		if got := Glob(tc.pat, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

func TestApplySuppressions(t *testing.T) {
	c, err := Parse("trustaudit.yaml", []byte(good+`  - kind: iam-role
    resource: arn:aws:iam::111122223333:role/*
    principal: arn:aws:iam::777788889999:*
    reason: vendor role
`))
	if err != nil {
		t.Fatal(err)
	}
	fnd := func(kind, arn string, accounts []string, principal string) finding.Finding {
		return finding.Finding{Kind: kind, ResourceARN: arn, Accounts: accounts, Principal: principal}
	}
	scan := &finding.Scan{Findings: []finding.Finding{
		0: fnd("lambda-function", "arn:aws:lambda:eu-west-1:111122223333:function:public-hook", nil, "*"),
		1: fnd("lambda-function", "arn:aws:lambda:eu-west-1:111122223333:function:internal", nil, "*"),
		2: fnd("ses-identity", "arn:aws:ses:us-east-1:111122223333:identity/example.com", []string{"777788889999"}, ""),
		3: fnd("iam-role", "arn:aws:iam::111122223333:role/vendor", []string{"777788889999"}, ""),
		4: fnd("iam-role", "arn:aws:iam::111122223333:role/vendor", []string{"777788889999", "222233334444"}, ""),
		5: fnd("iam-role", "arn:aws:iam::111122223333:role/vendor2", nil, "arn:aws:iam::777788889999:role/deploy"),
		6: fnd("ses-identity", "arn:aws:lambda:eu-west-1:111122223333:function:public-hook", nil, "*"),
	}}

	before := time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC)
	scan1 := cloneScan(scan)
	c.ApplySuppressions(scan1, before)
	wantSup := map[int]string{0: "public webhook, reviewed in SEC-12", 2: "partner sends on our behalf", 3: "vendor role", 5: "vendor role"}
	checkSuppressed(t, "before expiry", scan1, wantSup)
	if len(scan1.Notices) != 0 {
		t.Errorf("notices before expiry: %q", scan1.Notices)
	}

	after := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	scan2 := cloneScan(scan)
	c.ApplySuppressions(scan2, after)
	delete(wantSup, 2)
	checkSuppressed(t, "on expiry day", scan2, wantSup)
	want := []string{"suppression #2 (ses-identity arn:aws:ses:us-east-1:111122223333:identity/example.com for 777788889999) expired on 2026-10-01 and no longer suppresses"}
	if diff := cmp.Diff(want, scan2.Notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	if n := len(scan2.Unsuppressed()); n != 4 {
		t.Errorf("Unsuppressed = %d findings, want 4", n)
	}
}

func cloneScan(s *finding.Scan) *finding.Scan {
	c := *s
	c.Findings = append([]finding.Finding(nil), s.Findings...)
	return &c
}

func checkSuppressed(t *testing.T, when string, s *finding.Scan, want map[int]string) {
	t.Helper()
	for i, f := range s.Findings {
		reason, ok := want[i]
		if f.Suppressed != ok || f.SuppressedBy != reason {
			t.Errorf("%s: finding %d (%s): suppressed=%v by %q, want %v by %q", when, i, f.ResourceARN, f.Suppressed, f.SuppressedBy, ok, reason)
		}
	}
}

func TestParseTrustOrganization(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       bool
		err        string
	}{
		{name: "on", yaml: "trust_organization: true\n", want: true},
		{name: "off", yaml: "trust_organization: false\n"},
		{name: "absent", yaml: "regions: [us-east-1]\n"},
		{name: "not a bool", yaml: "regions: [us-east-1]\ntrust_organization: maybe\n", err: "trustaudit.yaml:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("trustaudit.yaml", []byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.TrustOrganization != tc.want {
				t.Errorf("TrustOrganization = %v, want %v", c.TrustOrganization, tc.want)
			}
		})
	}
}
