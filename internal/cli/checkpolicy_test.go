package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/iostreams"
)

func runCheck(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code = Main(context.Background(), append([]string{"check-policy"}, args...), ios)
	return code, out.String(), errOut.String()
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const examples = "../../examples/"

func TestCheckPolicyExamples(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"endgame SES policy", []string{"--kind", "ses-identity", "--account", "111122223333", examples + "ses-endgame.json"}, ExitFindings,
			[]string{"UNTRUSTED: account 999988887777 outside the trust boundary can access this SES identity\n",
				"HIGH     ses-identity/untrusted-account",
				`Statement "Endgame" lets arn:aws:iam::999988887777:user/evil (account 999988887777, not trusted) perform ses:* with no condition`}},
		{"SES delegate sender trusted by ARN", []string{"--kind", "ses-identity", "--account", "111122223333", "--trusted", "arn:aws:iam::123456789012:root", examples + "ses-trusted-account.json"}, ExitOK,
			[]string{"OK: no access from outside the trust boundary\n", "Trust boundary: owner 111122223333; accounts 123456789012"}},
		{"SES delegate sender not trusted", []string{"--kind", "ses-identity", "--account", "111122223333", examples + "ses-trusted-account.json"}, ExitFindings,
			[]string{"UNTRUSTED: account 123456789012"}},
		{"Lambda add-permission", []string{"--kind", "lambda-function", "--account", "111122223333", examples + "lambda-add-permission.json"}, ExitFindings,
			[]string{"HIGH     lambda-function/untrusted-account"}},
		{"Lambda add-permission, account trusted", []string{"--kind", "lambda-function", "--account", "111122223333", "--trusted", "999988887777", examples + "lambda-add-permission.json"}, ExitOK,
			[]string{"OK:"}},
		{"trust policy with external id", []string{"--kind", "iam-role", "--account", "111122223333", examples + "iam-trust-external-id.json"}, ExitFindings,
			[]string{"MEDIUM   iam-role/untrusted-account", "an external ID is a shared secret"}},
		{"owner given as its root ARN", []string{"--kind", "ses-identity", "--account", "arn:aws:iam::111122223333:root", examples + "ses-endgame.json"}, ExitFindings,
			[]string{"Trust boundary: owner 111122223333\n", "UNTRUSTED: account 999988887777 "}},
		{"trust policy owner is the third party", []string{"--kind", "iam-role", "--account", "123456789012", examples + "iam-trust-external-id.json"}, ExitOK,
			[]string{"OK:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheck(t, "", tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if errOut != "" {
				t.Errorf("unexpected stderr: %s", errOut)
			}
		})
	}
}

func TestCheckPolicyVerdictLines(t *testing.T) {
	pub := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"},` +
		`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"},` +
		`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-evilorg0001"}}}]}`
	code, out, _ := runCheck(t, pub, "--kind", "sqs-queue", "--account", "111122223333")
	if code != ExitFindings {
		t.Errorf("exit %d, want %d", code, ExitFindings)
	}
	lines := strings.Split(out, "\n")
	want := []string{
		"PUBLIC: anyone can access this SQS queue",
		"UNTRUSTED: organization o-evilorg0001 outside the trust boundary can access this SQS queue",
		"CONFUSED DEPUTY: an AWS service can be made to use this SQS queue for any account",
	}
	if diff := cmp.Diff(want, lines[:3]); diff != "" {
		t.Errorf("verdict lines (-want +got):\n%s\n%s", diff, out)
	}
	if !strings.Contains(out, "CRITICAL sqs-queue/public") || !strings.Contains(out, "MEDIUM   sqs-queue/confused-deputy") {
		t.Errorf("findings missing:\n%s", out)
	}
}

func TestCheckPolicyJSON(t *testing.T) {
	code, out, _ := runCheck(t, "", "--kind", "ses-identity", "--account", "111122223333", "--format", "json", "--trusted-org", "o-a1b2c3d4e5", examples+"ses-endgame.json")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	want := map[string]any{
		"kind":               "ses-identity",
		"account":            "111122223333",
		"public":             false,
		"untrusted_accounts": []any{"999988887777"},
		"untrusted_orgs":     []any{},
		"confused_deputy":    false,
		"findings": []any{map[string]any{
			"rule":            "ses-identity/untrusted-account",
			"title":           "SES identity grants access to an untrusted account",
			"severity":        "high",
			"category":        "untrusted-account",
			"statement_index": float64(1),
			"sid":             "Endgame",
			"principal":       "arn:aws:iam::999988887777:user/evil",
			"accounts":        []any{"999988887777"},
			"orgs":            []any{},
			"explanation":     `Statement "Endgame" lets arn:aws:iam::999988887777:user/evil (account 999988887777, not trusted) perform ses:* with no condition`,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}

	code, out, _ = runCheck(t, `{"Statement":[]}`, "--kind", "kms-key", "--account", "111122223333", "--format", "json", "-")
	if code != ExitOK {
		t.Errorf("empty policy: exit %d, want 0", code)
	}
	if !strings.Contains(out, `"findings": []`) || !strings.Contains(out, `"untrusted_accounts": []`) {
		t.Errorf("empty lists must print as []:\n%s", out)
	}
}

func TestCheckPolicyStdinForms(t *testing.T) {
	endgame, err := os.ReadFile(examples + "ses-endgame.json")
	if err != nil {
		t.Fatal(err)
	}
	asString, _ := json.Marshal(strings.TrimSpace(string(endgame))) // as GetIdentityPolicies returns it
	trust := `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A999988887777%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D`
	for _, tc := range []struct {
		name, stdin, kind string
		args              []string
	}{
		{"object on stdin without FILE", string(endgame), "ses-identity", nil},
		{"object on stdin with -", string(endgame), "ses-identity", []string{"-"}},
		{"JSON string as the API returns it", string(asString), "ses-identity", []string{"-"}},
		{"URL-encoded trust policy", trust, "iam-role", []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheck(t, tc.stdin, append([]string{"--kind", tc.kind, "--account", "111122223333"}, tc.args...)...)
			if code != ExitFindings || !strings.Contains(out, "UNTRUSTED: account 999988887777") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
		})
	}
}

func TestCheckPolicyInvalidInput(t *testing.T) {
	bad := writeTemp(t, "bad.json", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"s3:*"}]}`)
	notJSON := writeTemp(t, "broken.json", `{"Statement": [`)
	for _, tc := range []struct {
		name    string
		stdin   string
		file    string
		wantErr []string
	}{
		{"bad Effect names file and statement", "", bad, []string{bad, "statement 1", "Effect"}},
		{"broken JSON names file and place", "", notJSON, []string{notJSON, "line 1"}},
		{"missing file", "", filepath.Join(t.TempDir(), "nope.json"), []string{"nope.json", "reading policy"}},
		{"empty stdin", "", "-", []string{"stdin", "empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheck(t, tc.stdin, "--kind", "s3-bucket", "--account", "111122223333", tc.file)
			if code != ExitError {
				t.Errorf("exit %d, want %d", code, ExitError)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			if out != "" {
				t.Errorf("text mode printed on stdout: %s", out)
			}
			code, out, _ = runCheck(t, tc.stdin, "--kind", "s3-bucket", "--account", "111122223333", "--format", "json", tc.file)
			var got map[string]string
			if code != ExitError || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || !strings.Contains(got["error"], tc.wantErr[0]) {
				t.Errorf("json mode: exit %d, stdout %q; want exit 1 and {\"error\": ...} naming %q", code, out, tc.wantErr[0])
			}
		})
	}
}

func TestCheckPolicyUsage(t *testing.T) {
	file := examples + "ses-endgame.json"
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown kind", []string{"--kind", "ses", "--account", "111122223333", file}, `unknown kind "ses"`},
		{"missing kind", []string{"--account", "111122223333", file}, "--kind is required"},
		{"missing account", []string{"--kind", "ses-identity", file}, "--account is required"},
		{"bad account", []string{"--kind", "ses-identity", "--account", "1234", file}, `--account "1234": expected the 12-digit id`},
		{"bad trusted entry", []string{"--kind", "ses-identity", "--account", "111122223333", "--trusted", "arn:aws:s3:::b", file}, `trusted account "arn:aws:s3:::b"`},
		{"bad trusted org", []string{"--kind", "ses-identity", "--account", "111122223333", "--trusted-org", "o-x", file}, `trusted organization "o-x"`},
		{"bad format", []string{"--kind", "ses-identity", "--account", "111122223333", "--format", "yaml", file}, `--format "yaml"`},
		{"two files", []string{"--kind", "ses-identity", "--account", "111122223333", file, file}, "one policy"},
		{"unknown flag", []string{"--kind", "ses-identity", "--account", "111122223333", "--nope", file}, "unknown flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheck(t, "", tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %s)", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, errOut)
			}
			if out != "" {
				t.Errorf("usage error printed on stdout: %s", out)
			}
		})
	}
}
