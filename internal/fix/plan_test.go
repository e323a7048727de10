package fix_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// planFor judges a one-policy world offline and plans the fix of the selected findings
// (all when ids is empty). No AWS call is made: the documents come from the world.
func planFor(t *testing.T, kind, doc string, ids func([]finding.Finding) []string) (*fix.Plan, *finding.Scan) {
	t.Helper()
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{ID: owner, Regions: []world.Region{{Name: region}}}}}
	switch kind {
	case "ses-identity":
		w.Accounts[0].Regions[0].SESIdentities = []world.SESIdentity{{Identity: "example.com", Type: world.SESDomain, Policies: map[string]world.Policy{"p": world.Policy(doc)}}}
	case "iam-role":
		w.Accounts[0].IAM.Roles = []world.Role{{Name: "r", AssumeRolePolicy: world.Policy(doc)}}
	default:
		w.Accounts[0].Regions[0].Resources = []world.Resource{{Kind: kind, Name: "r", Policy: world.Policy(doc)}}
	}
	e := &env{t: t}
	var err error
	e.b, err = newBoundary()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scan.Judge(w, scan.Options{Boundary: e.b, Kinds: []string{kind}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Gaps) > 0 {
		t.Fatalf("gaps: %+v", s.Gaps)
	}
	var sel []string
	if ids != nil {
		sel = ids(s.Findings)
	}
	p, err := fix.NewPlan(context.Background(), fix.Options{Scan: s, World: w, Findings: sel, Account: owner})
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

func TestPlanRewrite(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		doc     string
		select_ func([]finding.Finding) []string
		action  fix.Action
		planned string // exact, when not ""
		keep    []string
		gone    []string
		manual  int
		reason  string // in the first manual action, when not ""
	}{
		{
			name:    "only the untrusted principal of a list goes",
			kind:    "ses-identity",
			doc:     `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `","` + root(foreign) + `","` + owner + `"]},"Action":"ses:SendEmail","Resource":"*"}]}`,
			action:  fix.ActionRewrite,
			planned: `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `","` + owner + `"]},"Action":"ses:SendEmail","Resource":"*"}]}`,
		},
		{
			name:   "a statement left with no principal goes, the others stay",
			kind:   "ses-identity",
			doc:    `{"Version":"2012-10-17","Statement":[{"Sid":"Out","Effect":"Allow","Principal":{"AWS":"` + foreign + `"},"Action":"ses:SendEmail","Resource":"*"},{"Sid":"In","Effect":"Allow","Principal":{"AWS":"` + root(trusted) + `"},"Action":"ses:SendEmail","Resource":"*"}]}`,
			action: fix.ActionRewrite,
			keep:   []string{`"Sid":"In"`},
			gone:   []string{`"Sid":"Out"`},
		},
		{
			name:   "Allow with NotPrincipal is public: the statement goes",
			kind:   "ses-identity",
			doc:    `{"Version":"2012-10-17","Statement":[{"Sid":"Not","Effect":"Allow","NotPrincipal":{"AWS":"` + root(trusted) + `"},"Action":"ses:SendEmail","Resource":"*"},{"Sid":"In","Effect":"Allow","Principal":{"AWS":"` + root(trusted) + `"},"Action":"ses:SendEmail","Resource":"*"}]}`,
			action: fix.ActionRewrite,
			keep:   []string{`"Sid":"In"`},
			gone:   []string{`"Sid":"Not"`},
		},
		{
			name:   "a public AWS * next to a trusted principal: only * goes",
			kind:   "iam-role",
			doc:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["*","` + root(trusted) + `"]},"Action":"sts:AssumeRole"}}`,
			action: fix.ActionRewrite,
			// A single statement written as an object stays an object.
			planned: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `"]},"Action":"sts:AssumeRole"}}`,
		},
		{
			name:    "public and untrusted in one list with a trusted principal: both go, the trusted stays",
			kind:    "ses-identity",
			doc:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*","` + root(foreign) + `","` + root(trusted) + `"]},"Action":"ses:SendEmail","Resource":"*"}]}`,
			action:  fix.ActionRewrite,
			planned: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `"]},"Action":"ses:SendEmail","Resource":"*"}]}`,
		},
		{
			name:    "a policy delivered as a JSON string is rewritten as an object",
			kind:    "ses-identity",
			doc:     `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"` + root(foreign) + `\",\"` + root(trusted) + `\"]},\"Action\":\"ses:SendEmail\",\"Resource\":\"*\"}]}"`,
			action:  fix.ActionRewrite,
			planned: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `"]},"Action":"ses:SendEmail","Resource":"*"}]}`,
		},
		{
			name:   "an SES policy left with no statement is deleted",
			kind:   "ses-identity",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`,
			action: fix.ActionDelete,
		},
		{
			name:   "a trust policy left with no statement is left for a person",
			kind:   "iam-role",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`,
			action: fix.ActionNone,
			manual: 1,
		},
		{
			name:   "a topic policy left with no statement is left for a person, in the topic's words",
			kind:   "sns-topic",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`,
			action: fix.ActionNone,
			manual: 1,
			reason: "the SNS topic's policy cannot be removed",
		},
		{
			name:   "an untrusted organization let in by a condition needs a person",
			kind:   "ses-identity",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-untrusted001"}}}]}`,
			action: fix.ActionNone,
			manual: 1,
		},
		{
			name:   "an untrusted account let in by a condition needs a person",
			kind:   "ses-identity",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"` + foreign + `"}}}]}`,
			action: fix.ActionNone,
			manual: 1,
		},
		{
			name:   "a confused deputy needs a person",
			kind:   "iam-role",
			doc:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			action: fix.ActionNone,
			manual: 1,
		},
		{
			name: "only the selected finding goes",
			kind: "ses-identity",
			doc:  `{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"},{"Sid":"Out","Effect":"Allow","Principal":{"AWS":"` + root(foreign) + `"},"Action":"ses:SendEmail","Resource":"*"}]}`,
			select_: func(fs []finding.Finding) []string {
				for _, f := range fs {
					if f.StatementID == "Out" {
						return []string{f.ID}
					}
				}
				return nil
			},
			action: fix.ActionRewrite,
			keep:   []string{`"Sid":"Pub"`},
			gone:   []string{`"Sid":"Out"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := planFor(t, tt.kind, tt.doc, tt.select_)
			if len(p.Changes) != 1 {
				t.Fatalf("%d changes, want 1", len(p.Changes))
			}
			c := p.Changes[0]
			if c.Skip != "" {
				t.Fatalf("skipped: %s", c.Skip)
			}
			if c.Action != tt.action {
				t.Errorf("action %s, want %s\n%s", c.Action, tt.action, planText(t, p))
			}
			if tt.planned != "" && c.Planned != tt.planned {
				t.Errorf("planned:\n got %s\nwant %s", c.Planned, tt.planned)
			}
			for _, s := range tt.keep {
				if !strings.Contains(c.Planned, s) {
					t.Errorf("planned lost %s: %s", s, c.Planned)
				}
			}
			for _, s := range tt.gone {
				if strings.Contains(c.Planned, s) {
					t.Errorf("planned keeps %s: %s", s, c.Planned)
				}
			}
			if len(c.Manual) != tt.manual {
				t.Errorf("%d manual actions, want %d: %+v", len(c.Manual), tt.manual, c.Manual)
			}
			if tt.reason != "" && (len(c.Manual) == 0 || !strings.Contains(c.Manual[0].Reason, tt.reason)) {
				t.Errorf("manual actions %+v, want a reason with %q", c.Manual, tt.reason)
			}
			if c.Action == fix.ActionNone && len(c.Removals) > 0 {
				t.Errorf("no change, yet removals listed: %+v", c.Removals)
			}
		})
	}
}

func TestPlanSelection(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`
	_, s := planFor(t, "ses-identity", doc, nil)
	if _, err := fix.NewPlan(context.Background(), fix.Options{Scan: s, Findings: []string{"0123456789abcdef"}, Account: owner}); err == nil || !strings.Contains(err.Error(), "0123456789abcdef") {
		t.Errorf("an unknown finding id: got %v, want an error naming it", err)
	}
	// A suppressed finding is left alone unless named.
	s.Findings[0].Suppressed = true
	p, err := fix.NewPlan(context.Background(), fix.Options{Scan: s, Account: owner})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		t.Errorf("a suppressed finding was planned")
	}
}

func TestParseBackupErrors(t *testing.T) {
	good := `{"backup_version":1,"tool":{"name":"trustaudit","version":"dev"},"time":"2026-01-01T00:00:00Z","account":"` + owner + `","region":"global","kind":"iam-role","resource_arn":"arn:aws:iam::` + owner + `:role/r","action":"rewrite","original":"{\"Statement\":[]}","planned":"{\"Statement\":[]}","findings":["x"]}`
	if _, err := fix.ParseBackup("good.json", []byte(good)); err != nil {
		t.Fatalf("a valid backup: %v", err)
	}
	tests := []struct{ name, data, field string }{
		{"not JSON", `{`, "not a trustaudit backup"},
		{"wrong type", strings.Replace(good, `"account":"`+owner+`"`, `"account":111111111111`, 1), `"account"`},
		{"unknown field", strings.Replace(good, `"kind"`, `"kinds":"x","kind"`, 1), `unknown field "kinds"`},
		{"version", strings.Replace(good, `"backup_version":1`, `"backup_version":2`, 1), `"backup_version"`},
		{"account", strings.Replace(good, `"account":"`+owner+`"`, `"account":"12"`, 1), `"account"`},
		{"kind", strings.Replace(good, `"kind":"iam-role"`, `"kind":"no-such-kind"`, 1), `"kind"`},
		{"arn of another account", strings.Replace(good, `"resource_arn":"arn:aws:iam::`+owner, `"resource_arn":"arn:aws:iam::333333333333`, 1), `"resource_arn"`},
		{"original missing", strings.Replace(good, `"original":"{\"Statement\":[]}"`, `"original":""`, 1), `"original"`},
		{"action", strings.Replace(good, `"action":"rewrite"`, `"action":"remove-statements"`, 1), `"action"`},
		{"lambda without statements", strings.NewReplacer(`"kind":"iam-role"`, `"kind":"lambda-function"`, `"action":"rewrite"`, `"action":"remove-statements"`, `"resource_arn":"arn:aws:iam::`+owner+`:role/r"`, `"resource_arn":"`+fnARN+`"`, `"region":"global"`, `"region":"us-east-1"`).Replace(good), `"removed_statements"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fix.ParseBackup("b.json", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), "b.json") || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("got %v, want an error naming b.json and %s", err, tt.field)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"backup_version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fix.LoadBackup(filepath.Join(dir, "bad.json")); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("LoadBackup: got %v, want an error naming the file", err)
	}
}

func TestDiff(t *testing.T) {
	var b strings.Builder
	fix.Diff(&b, "before", "after", "a\nb\nc\nd\n", "a\nc\nd\ne\n")
	want := "--- before\n+++ after\n@@ -1,4 +1,4 @@\n a\n-b\n c\n d\n+e\n"
	if b.String() != want {
		t.Errorf("diff:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	fix.Diff(&b, "x", "y", "same\n", "same\n")
	if b.Len() != 0 {
		t.Errorf("diff of equal texts: %q", b.String())
	}
}

// applyUnified applies a unified diff to from; a correct diff gives back to.
func applyUnified(t *testing.T, from, diff string) string {
	t.Helper()
	src := strings.Split(strings.TrimSuffix(from, "\n"), "\n")
	if from == "" {
		src = nil
	}
	var out []string
	pos := 0
	for _, line := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
		case strings.HasPrefix(line, "@@"):
			var a, b int
			var rest string
			fmt.Sscanf(strings.TrimPrefix(line, "@@ -"), "%d%s", &a, &rest)
			_ = b
			start := a - 1
			if strings.HasPrefix(rest, ",0") {
				start = a
			}
			out = append(out, src[pos:start]...)
			pos = start
		case strings.HasPrefix(line, " "), strings.HasPrefix(line, "-"):
			if pos >= len(src) || src[pos] != line[1:] {
				t.Fatalf("diff line %q does not match source line %d", line, pos)
			}
			if line[0] == ' ' {
				out = append(out, line[1:])
			}
			pos++
		case strings.HasPrefix(line, "+"):
			out = append(out, line[1:])
		}
	}
	out = append(out, src[pos:]...)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

func TestDiffApplies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		var b strings.Builder
		for range r.IntN(30) {
			// Few distinct lines, so runs can slide through repeated ones.
			b.WriteString([]string{"{", "}", "  {", "  },", `"a": 1`, `"b": 2`}[r.IntN(6)] + "\n")
		}
		return b.String()
	}
	for range 600 {
		from, to := gen(), gen()
		var d strings.Builder
		fix.Diff(&d, "a", "b", from, to)
		if got := applyUnified(t, from, d.String()); got != to {
			t.Fatalf("diff does not apply:\nfrom %q\nto   %q\ndiff:\n%s\ngot %q", from, to, d.String(), got)
		}
	}
}
