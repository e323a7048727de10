package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustaudit/trustaudit/internal/iostreams"
)

const (
	tpOU1 = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
	tpOU2 = "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/"
)

// tpPolicy lets in every account under one OU path of o-a1b2c3d4e5.
func tpPolicy(path string) string {
	return `{"Statement":[{"Sid":"OrgShare","Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*",` +
		`"Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"` + path + `*"}}}]}`
}

func TestCheckPolicyTrustedOUPath(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policy   string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"condition inside the trusted path", tpPolicy(tpOU1 + "ou-ab12-33333333/"), []string{"--trusted-ou-path", strings.TrimSuffix(tpOU1, "/")}, ExitOK,
			[]string{"OK: no access from outside the trust boundary\n", "Trust boundary: owner 111122223333; OU paths " + tpOU1 + "\n"}},
		{"sibling OU", tpPolicy(tpOU2), []string{"--trusted-ou-path", tpOU1}, ExitFindings,
			[]string{"UNTRUSTED: organization o-a1b2c3d4e5 outside the trust boundary can access this SQS queue\n",
				`Statement "OrgShare" lets every account under OU path ` + tpOU2 + ` of organization o-a1b2c3d4e5 (not trusted)`,
				"the trust boundary trusts only OU path " + tpOU1 + " of organization o-a1b2c3d4e5"}},
		{"no OU path trusted", tpPolicy(tpOU1), nil, ExitFindings, []string{"UNTRUSTED: organization o-a1b2c3d4e5 "}},
		{"trusted organization covers every path", tpPolicy(tpOU2), []string{"--trusted-org", "o-a1b2c3d4e5", "--trusted-ou-path", tpOU1}, ExitOK, []string{"OK:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--kind", "sqs-queue", "--account", "111122223333"}, tc.args...)
			code, out, errOut := runCheck(t, tc.policy, append(args, "-")...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// In JSON the summary keys on organizations while the finding names the OU path it lets in.
func TestCheckPolicyTrustedOUPathJSON(t *testing.T) {
	code, out, _ := runCheck(t, tpPolicy(tpOU2), "--kind", "sqs-queue", "--account", "111122223333", "--format", "json", "--trusted-ou-path", tpOU1, "-")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFindings, out)
	}
	var got struct {
		UntrustedOrgs []string `json:"untrusted_orgs"`
		Findings      []struct {
			Orgs []string `json:"orgs"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.UntrustedOrgs, []string{"o-a1b2c3d4e5"}) || len(got.Findings) != 1 || !slices.Equal(got.Findings[0].Orgs, []string{tpOU2}) {
		t.Errorf("untrusted_orgs %q, findings %+v; want the organization in the summary and the OU path in the finding", got.UntrustedOrgs, got.Findings)
	}
}

func TestCheckPolicyBadTrustedOUPath(t *testing.T) {
	code, out, errOut := runCheck(t, tpPolicy(tpOU1), "--kind", "sqs-queue", "--account", "111122223333", "--trusted-ou-path", "o-a1b2c3d4e5/r-ab12/*", "-")
	if code != ExitUsage || out != "" {
		t.Errorf("exit %d, stdout %q; want a usage error", code, out)
	}
	for _, w := range []string{`--trusted-ou-path: trusted OU path "o-a1b2c3d4e5/r-ab12/*"`, "wildcards are not allowed", "expected an OU path such as"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q: %s", w, errOut)
		}
	}
}

func TestResolveSettingsTrustedOUPaths(t *testing.T) {
	dir := t.TempDir()
	yaml := "trusted_orgs: [o-zzzzzzzzzz]\ntrusted_ou_paths:\n  - " + strings.TrimSuffix(tpOU1, "/") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "trustaudit.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts scanOptions
		want []string
	}{
		{"file only", scanOptions{}, []string{tpOU1}},
		{"flag replaces the file's list", scanOptions{OUPaths: []string{tpOU2, "o-zzzzzzzzzz/r-zz99"}, set: map[string]bool{"trusted-ou-path": true}}, []string{tpOU2, "o-zzzzzzzzzz/r-zz99/"}},
		{"other flags keep the file's list", scanOptions{TrustedOrgs: []string{"o-a1b2c3d4e5"}, set: map[string]bool{"trusted-org": true}}, []string{tpOU1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			o := tc.opts
			o.dir = dir
			if o.set == nil {
				o.set = map[string]bool{}
			}
			st, err := resolveSettings(ios, &o)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.boundary.OrgPaths(); !slices.Equal(got, tc.want) {
				t.Errorf("boundary OU paths = %q, want %q", got, tc.want)
			}
		})
	}

	ios, _, _, _ := iostreams.Test()
	_, err := resolveSettings(ios, &scanOptions{dir: dir, set: map[string]bool{"trusted-ou-path": true}, OUPaths: []string{"o-a1b2c3d4e5"}})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitUsage || !strings.Contains(err.Error(), `--trusted-ou-path: trusted OU path "o-a1b2c3d4e5"`) {
		t.Errorf("bad flag: error %v, want a usage error naming the flag and the value", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("trusted_ou_paths: [\"o-a1b2c3d4e5/*\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = resolveSettings(ios, &scanOptions{dir: dir, ConfigPath: bad, set: map[string]bool{}})
	if !errors.As(err, &ee) || ee.code != ExitError || !strings.Contains(err.Error(), "bad.yaml:1: trusted_ou_paths[0]") {
		t.Errorf("bad file: error %v, want the file, line and field", err)
	}
}

// The flag is declared on every command that takes the trust boundary.
func TestTrustedOUPathFlag(t *testing.T) {
	for _, verb := range []string{"scan", "fix", "trail"} {
		ios, _, out, errOut := iostreams.Test()
		code := Main(context.Background(), []string{verb, "--trusted-ou-path", "o-bad", "--help"}, ios)
		if code != ExitOK || !strings.Contains(out.String(), "--trusted-ou-path PATH") {
			t.Errorf("%s --trusted-ou-path: exit %d, stdout %s, stderr %s", verb, code, out, errOut)
		}
	}
}
