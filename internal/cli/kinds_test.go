package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/trail"
)

func TestKindsJSONListsEveryKind(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	if code := Main(t.Context(), []string{"kinds", "--format", "json"}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []kindInfo
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var names []string
	for _, k := range got {
		names = append(names, k.Name)
	}
	if want := kinds.Names(); !slices.Equal(names, want) {
		t.Fatalf("kinds listed %v, registered %v", names, want)
	}
	events := map[string]int{}
	for _, e := range trail.Events() {
		events[string(e.Kind)]++
	}
	for _, k := range got {
		if len(k.Actions) == 0 {
			t.Errorf("%s: no IAM actions", k.Name)
		}
		if len(k.Rules) < 4 {
			t.Errorf("%s: %d rules, want at least public, untrusted-account, untrusted-org and confused-deputy", k.Name, len(k.Rules))
		}
		for _, r := range k.Rules {
			if !strings.HasPrefix(r.ID, k.Name+"/") || r.Severity == "" || r.Title == "" {
				t.Errorf("%s: malformed rule %+v", k.Name, r)
			}
			if want := access.RuleFor(access.Kind(k.Name), finding.Category(r.Category)); r.Category == string(finding.CategoryPublic) && (r.ID != want.ID || r.Severity != want.Severity.String()) {
				t.Errorf("%s: rule %+v, the judge says %s %s", k.Name, r, want.ID, want.Severity)
			}
		}
		kind, _ := kinds.Get(k.Name)
		_, remediable := kind.(kinds.Reader)
		if remediable != (k.Fix != "") || remediable != (len(k.FixActions) > 0) {
			t.Errorf("%s: fix %q with actions %v, remediable %v", k.Name, k.Fix, k.FixActions, remediable)
		}
		if len(k.Events) != events[k.Name] {
			t.Errorf("%s: %d events listed, the trail table has %d", k.Name, len(k.Events), events[k.Name])
		}
	}
}

func TestKindsText(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	if code := Main(t.Context(), []string{"kinds"}, ios); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	text := out.String()
	for _, want := range []string{
		"lambda-function (Lambda function, regional)\n",
		"iam-role (IAM role, global)\n",
		"lambda-function/public",
		"CRITICAL",
		"lambda.amazonaws.com AddPermission*",
		"scan actions: lambda:GetPolicy,",
		"fix: by statement; actions: lambda:AddPermission,",
		"fix: by document; actions: ses:DeleteIdentityPolicy,",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("kinds output lacks %q:\n%s", want, text)
		}
	}
	for _, k := range kinds.Names() {
		if !strings.Contains(text, "\n"+k+" (") && !strings.HasPrefix(text, k+" (") {
			t.Errorf("kind %s missing from the listing", k)
		}
	}
}

func TestKindsBadFormat(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	if code := Main(t.Context(), []string{"kinds", "--format", "yaml"}, ios); code != ExitUsage || !strings.Contains(errOut.String(), `expected text or json, found "yaml"`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestPermissionsFix(t *testing.T) {
	run := func(args ...string) (int, iamPolicy, string) {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		code := Main(t.Context(), append([]string{"permissions"}, args...), ios)
		var p iamPolicy
		if code == ExitOK {
			if err := json.Unmarshal(out.Bytes(), &p); err != nil {
				t.Fatalf("not a policy: %v\n%s", err, out)
			}
		}
		return code, p, errOut.String()
	}
	code, p, errText := run("--fix")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if len(p.Statement) != 1 || p.Statement[0].Sid != "TrustauditFixAndRestore" {
		t.Fatalf("policy %+v", p)
	}
	acts := p.Statement[0].Action
	if !slices.Contains(acts, "sts:GetCallerIdentity") || !slices.IsSorted(acts) {
		t.Errorf("fix actions %v: want sorted, with sts:GetCallerIdentity", acts)
	}
	for _, k := range kinds.All() {
		r, ok := k.(kinds.Reader)
		if !ok {
			continue
		}
		for _, a := range r.FixActions() {
			if !slices.Contains(acts, a) {
				t.Errorf("%s: fix action %s missing from the fix policy", k.Name(), a)
			}
		}
	}
	// The scan policy holds no write the fix policy adds.
	_, scanPol, _ := run()
	for _, a := range []string{"lambda:RemovePermission", "iam:UpdateAssumeRolePolicy", "ses:PutIdentityPolicy"} {
		if !slices.Contains(acts, a) {
			t.Errorf("fix policy lacks %s", a)
		}
		if slices.Contains(scanPol.Statement[0].Action, a) {
			t.Errorf("scan policy holds the write %s", a)
		}
	}

	code, p, errText = run("--fix", "--kinds", "iam-role")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if want := []string{"iam:GetRole", "iam:UpdateAssumeRolePolicy", "sts:GetCallerIdentity"}; !slices.Equal(p.Statement[0].Action, want) {
		t.Errorf("--kinds iam-role --fix: %v, want %v", p.Statement[0].Action, want)
	}
}
