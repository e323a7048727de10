package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The AWS CLI is a second, independent client (botocore, Python): if it reads and writes
// through the simulator too, the wire formats are AWS's and not merely what one SDK
// tolerates. It is slow to start (about a second a call), so the test keeps to a dozen calls
// in three parallel chains.

// awsCLI runs the AWS CLI against s with throwaway credentials and empty config files, so
// nothing from the machine's own AWS setup is read or used.
type awsCLI struct {
	t   *testing.T
	bin string
	env []string
}

func newAWSCLI(t *testing.T, s *Server) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH; install it to run the CLI cross-check")
	}
	// A pyenv shim costs seconds per call on a busy machine; run what it points at.
	if filepath.Base(filepath.Dir(bin)) == "shims" {
		if out, err := exec.Command("pyenv", "which", "aws").Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				bin = real
			}
		}
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.EqualFold(k, "HTTP_PROXY") || strings.EqualFold(k, "HTTPS_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_ENDPOINT_URL="+s.URL(),
		"AWS_ACCESS_KEY_ID="+svcKey,
		"AWS_SECRET_ACCESS_KEY=simulator-secret",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+empty,
		"AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_PAGER=",
		"AWS_DEFAULT_OUTPUT=json",
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_PROXY=127.0.0.1,localhost",
	)
	return &awsCLI{t: t, bin: bin, env: env}
}

// run executes one CLI command and returns its stdout; a failure is fatal unless wantErr,
// in which case stderr is returned.
func (a *awsCLI) run(t *testing.T, wantErr bool, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, args...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case wantErr && err == nil:
		t.Fatalf("aws %s succeeded, want an error; output:\n%s", strings.Join(args, " "), stdout.String())
	case wantErr:
		return stderr.String()
	case err != nil:
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// runJSON runs a command and decodes what it printed.
func (a *awsCLI) runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out := a.run(t, false, args...)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("aws %s printed no JSON object: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

func jsonValue(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS CLI cross-check starts a dozen CLI processes; skipped with -short")
	}
	s := svcStart(t, Options{NoQuotas: true})
	cli := newAWSCLI(t, s)

	t.Run("ses", func(t *testing.T) {
		t.Parallel()
		got := cli.runJSON(t, "ses", "list-identities")
		want := map[string]any{"Identities": []any{"example.com", "alerts@example.com", "example.org", "ops@example.org", "example.net"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ses list-identities (-want +got):\n%s", diff)
		}

		if out := cli.run(t, false, "ses", "put-identity-policy", "--identity", "alerts@example.com", "--policy-name", "Partner", "--policy", sesTestPolicy); strings.TrimSpace(out) != "" {
			t.Errorf("put-identity-policy printed %q", out)
		}
		wantPolicies := map[string]any{"Policies": map[string]any{"Partner": sesTestPolicy}}
		got = cli.runJSON(t, "ses", "get-identity-policies", "--identity", "alerts@example.com", "--policy-names", "Partner", "Absent")
		if diff := cmp.Diff(wantPolicies, got); diff != "" {
			t.Errorf("ses get-identity-policies (-want +got):\n%s", diff)
		}
		// The v1 write, read through v2.
		got = cli.runJSON(t, "sesv2", "get-email-identity-policies", "--email-identity", "alerts@example.com")
		if diff := cmp.Diff(wantPolicies, got); diff != "" {
			t.Errorf("sesv2 get-email-identity-policies (-want +got):\n%s", diff)
		}
		// The CLI lists through GET /v2/email/identities (the Go SDK through POST
		// /v2/email/list-identities); it does not page this call by itself.
		got = cli.runJSON(t, "sesv2", "list-email-identities", "--page-size", "2")
		ids, _ := got["EmailIdentities"].([]any)
		if len(ids) != 2 || got["NextToken"] == nil {
			t.Fatalf("sesv2 list-email-identities --page-size 2 = %v, want 2 identities and a NextToken", got)
		}
		if diff := cmp.Diff(map[string]any{"IdentityType": "EMAIL_ADDRESS", "IdentityName": "alerts@example.com", "SendingEnabled": true, "VerificationStatus": "SUCCESS"}, ids[1]); diff != "" {
			t.Errorf("second identity (-want +got):\n%s", diff)
		}
	})

	t.Run("lambda", func(t *testing.T) {
		t.Parallel()
		// 120 functions: the CLI follows NextMarker over three pages.
		got := cli.runJSON(t, "lambda", "list-functions")
		fns, _ := got["Functions"].([]any)
		if len(fns) != 120 {
			t.Fatalf("lambda list-functions listed %d functions, want 120", len(fns))
		}
		if f, _ := fns[119].(map[string]any); f["FunctionArn"] != "arn:aws:lambda:us-east-1:111111111111:function:fn-119" || f["Runtime"] != "python3.12" {
			t.Errorf("last function = %v", f)
		}

		statement := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111111111111:function:fn-002","Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket"}}}`
		got = cli.runJSON(t, "lambda", "add-permission", "--function-name", "fn-002", "--statement-id", "s3", "--action", "lambda:InvokeFunction",
			"--principal", "s3.amazonaws.com", "--source-arn", "arn:aws:s3:::my-bucket", "--source-account", "111111111111")
		if diff := cmp.Diff(map[string]any{"Statement": statement}, got); diff != "" {
			t.Errorf("lambda add-permission (-want +got):\n%s", diff)
		}

		got = cli.runJSON(t, "lambda", "get-policy", "--function-name", "fn-002")
		if diff := cmp.Diff(`{"Version":"2012-10-17","Id":"default","Statement":[`+statement+`]}`, got["Policy"]); diff != "" {
			t.Errorf("lambda get-policy Policy (-want +got):\n%s", diff)
		}
		if rev, _ := got["RevisionId"].(string); len(rev) != 36 {
			t.Errorf("lambda get-policy RevisionId = %v", got["RevisionId"])
		}

		if out := cli.run(t, false, "lambda", "remove-permission", "--function-name", "fn-002", "--statement-id", "s3", "--revision-id", got["RevisionId"].(string)); strings.TrimSpace(out) != "" {
			t.Errorf("remove-permission printed %q", out)
		}
		if p := s.World().Accounts[0].Regions[0].LambdaFunctions[2].Policy; p != "" {
			t.Errorf("policy after remove-permission = %s", p)
		}
		stderr := cli.run(t, true, "lambda", "get-policy", "--function-name", "fn-002")
		if !strings.Contains(stderr, "(ResourceNotFoundException)") || !strings.Contains(stderr, "The resource you requested does not exist.") {
			t.Errorf("get-policy without a policy: stderr %q", stderr)
		}
	})

	t.Run("iam", func(t *testing.T) {
		t.Parallel()
		got := cli.runJSON(t, "iam", "list-roles")
		roles, _ := got["Roles"].([]any)
		if len(roles) != 1 {
			t.Fatalf("iam list-roles listed %d roles, want 1: %v", len(roles), got)
		}
		role, _ := roles[0].(map[string]any)
		want := jsonValue(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)
		if role["RoleName"] != "deployer" || role["Arn"] != "arn:aws:iam::111111111111:role/ci/deployer" {
			t.Errorf("role = %v", role)
		}
		// The CLI URL-decodes and parses the trust policy; it must come out as the document.
		if diff := cmp.Diff(want, role["AssumeRolePolicyDocument"]); diff != "" {
			t.Errorf("list-roles trust policy (-want +got):\n%s", diff)
		}

		fixed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/ci-runner"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a&b c+d"}}}]}`
		if out := cli.run(t, false, "iam", "update-assume-role-policy", "--role-name", "deployer", "--policy-document", fixed); strings.TrimSpace(out) != "" {
			t.Errorf("update-assume-role-policy printed %q", out)
		}
		got = cli.runJSON(t, "iam", "get-role", "--role-name", "deployer")
		role, _ = got["Role"].(map[string]any)
		if diff := cmp.Diff(jsonValue(t, fixed), role["AssumeRolePolicyDocument"]); diff != "" {
			t.Errorf("get-role trust policy after the update (-want +got):\n%s", diff)
		}
		if p := s.World().Accounts[0].IAM.Roles[0].AssumeRolePolicy; string(p) != fixed {
			t.Errorf("world trust policy = %s", p)
		}
	})
}
