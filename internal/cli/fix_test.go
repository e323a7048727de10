package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	fixOwner   = "111111111111"
	fixTrusted = "222222222222"
	fixForeign = "999999999999"
	fixKey     = "AKIAFIXCLI1111111111"
)

func fixWorld() *world.World {
	fn := "arn:aws:lambda:us-east-1:" + fixOwner + ":function:fn"
	perm := func(sid, acct string) string {
		return `{"Sid":"` + sid + `","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"lambda:InvokeFunction","Resource":"` + fn + `"}`
	}
	return &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID:         fixOwner,
		AccessKeys: []world.AccessKey{{ID: fixKey, ARN: "arn:aws:iam::" + fixOwner + ":user/admin"}},
		Regions: []world.Region{{
			Name: "us-east-1",
			SESIdentities: []world.SESIdentity{{Identity: "example.com", Type: world.SESDomain, Policies: map[string]world.Policy{
				"send": world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Send","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + fixTrusted + `:root","arn:aws:iam::` + fixForeign + `:root"]},"Action":"ses:SendEmail","Resource":"*"}]}`),
			}}},
			LambdaFunctions: []world.LambdaFunction{{Name: "fn", Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[` + perm("ok", fixTrusted) + `,` + perm("out", fixForeign) + `]}`)}},
		}},
		IAM: world.IAM{Roles: []world.Role{{Name: "vendor", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + fixForeign + `:root","arn:aws:iam::` + fixTrusted + `:root"]},"Action":"sts:AssumeRole"}]}`)}}},
	}}}
}

// fixCLI points the SDK's default chain at a simulator and works in a temporary directory.
func fixCLI(t *testing.T) (*awssim.Server, string) {
	t.Helper()
	return fixCLIWith(t, fixWorld())
}

func fixCLIWith(t *testing.T, w *world.World) (*awssim.Server, string) {
	t.Helper()
	sim, err := awssim.Start(awssim.Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	dir := t.TempDir()
	t.Chdir(dir)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": sim.URL(), "AWS_ACCESS_KEY_ID": fixKey, "AWS_SECRET_ACCESS_KEY": "any", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return sim, dir
}

func fixRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Main(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

func fixScanIDs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s finding.Scan
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range s.Findings {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestFixAndRestoreCommands(t *testing.T) {
	sim, dir := fixCLI(t)
	scanArgs := func(out string) []string {
		return []string{"scan", "--trusted", fixTrusted, "--format", "json", "--output", out, "--rate-scale", "1000", "--regions", "us-east-1"}
	}
	if code, _, stderr := fixRun(t, append(scanArgs("scan.json"), "--save-snapshot", "snap.json")...); code != ExitFindings {
		t.Fatalf("scan: exit %d, want %d: %s", code, ExitFindings, stderr)
	}
	before := fixScanIDs(t, "scan.json")
	if len(before) != 3 {
		t.Fatalf("scan found %d findings, want 3", len(before))
	}
	original := sim.World()

	// The plan, from the scanned documents and from live reads, changes nothing.
	for _, args := range [][]string{
		{"fix", "--from", "scan.json", "--snapshot", "snap.json"},
		{"fix", "--from", "scan.json"},
	} {
		code, out, stderr := fixRun(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		for _, want := range []string{"Fix plan: 3 resource(s)", "--- before", "-          \"arn:aws:iam::" + fixForeign + ":root\"", "principal arn:aws:iam::" + fixForeign + ":root goes", `remove statement(s) "out"`} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: plan lacks %q:\n%s", args, want, out)
			}
		}
	}
	if got := sim.World(); !fixWorldsEqual(got, original) {
		t.Fatal("a plan changed the account")
	}

	code, out, stderr := fixRun(t, "fix", "--from", "scan.json", "--snapshot", "snap.json", "--apply", "--format", "json")
	if code != ExitOK {
		t.Fatalf("fix --apply: exit %d: %s\n%s", code, stderr, out)
	}
	var applied struct {
		Report fix.Report `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &applied); err != nil {
		t.Fatalf("fix --apply --format json: %v\n%s", err, out)
	}
	if len(applied.Report.Results) != 3 {
		t.Fatalf("%d results, want 3", len(applied.Report.Results))
	}
	for _, r := range applied.Report.Results {
		if r.Status != fix.StatusApplied || !r.Changed || r.Backup == "" {
			t.Errorf("%s: %+v", r.ResourceARN, r)
		}
	}
	backups := applied.Report.BackupDir
	if !strings.HasPrefix(backups, "trustaudit-backups"+string(filepath.Separator)) {
		t.Errorf("default backup dir %q", backups)
	}
	if code, _, _ := fixRun(t, scanArgs("after.json")...); code != ExitOK {
		t.Errorf("scan after fix: exit %d, want %d (clean)", code, ExitOK)
	}

	// Applying the same scan again: every policy changed since it, so each is skipped.
	code, out, _ = fixRun(t, "fix", "--from", "scan.json", "--snapshot", "snap.json", "--apply", "--backup-dir", "again")
	if code != ExitError || !strings.Contains(out, "0 applied, 3 skipped") {
		t.Errorf("second apply: exit %d, want %d with 3 skipped:\n%s", code, ExitError, out)
	}

	// Planning from live reads sees the same: nothing the scan reported is there any more.
	code, out, _ = fixRun(t, "fix", "--from", "scan.json")
	if code != ExitOK || strings.Count(out, "skip: the policy changed since the scan") != 3 {
		t.Errorf("live plan after the fix: exit %d:\n%s", code, out)
	}

	code, out, stderr = fixRun(t, "restore", "--backup-dir", backups)
	if code != ExitOK || !strings.Contains(out, "Restore plan: 3 backup(s)") || !strings.Contains(out, "+ add back:") {
		t.Errorf("restore plan: exit %d: %s\n%s", code, stderr, out)
	}
	code, out, stderr = fixRun(t, "restore", "--backup-dir", backups, "--apply")
	if code != ExitOK || !strings.Contains(out, "3 applied, 0 skipped, 0 failed") {
		t.Fatalf("restore --apply: exit %d: %s\n%s", code, stderr, out)
	}
	if code, _, _ := fixRun(t, scanArgs("restored.json")...); code != ExitFindings {
		t.Errorf("scan after restore: exit %d, want %d", code, ExitFindings)
	}
	if got := fixScanIDs(t, "restored.json"); !slices.Equal(got, before) {
		t.Errorf("findings after restore %v, want %v", got, before)
	}
	if !fixWorldsEqual(sim.World(), original) {
		t.Errorf("policies after restore differ from the originals")
	}

	// A malformed backup is refused before anything is written, naming file and field.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"backup_version":1,"account":"12"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = fixRun(t, "restore", bad, "--apply")
	if code != ExitError || !strings.Contains(stderr, "bad.json") || !strings.Contains(stderr, `"account"`) {
		t.Errorf("malformed backup: exit %d, stderr %q", code, stderr)
	}
}

// fixWorldsEqual compares every policy; Lambda statements added back are appended, so they
// are compared as a set.
func fixWorldsEqual(a, b *world.World) bool {
	pa, pb := a.Accounts[0], b.Accounts[0]
	if pa.IAM.Roles[0].AssumeRolePolicy != pb.IAM.Roles[0].AssumeRolePolicy {
		return false
	}
	ra, rb := pa.Regions[0], pb.Regions[0]
	if len(ra.SESIdentities[0].Policies) != len(rb.SESIdentities[0].Policies) {
		return false
	}
	for n, p := range ra.SESIdentities[0].Policies {
		if rb.SESIdentities[0].Policies[n] != p {
			return false
		}
	}
	return fixLambdaSet(string(ra.LambdaFunctions[0].Policy)) == fixLambdaSet(string(rb.LambdaFunctions[0].Policy))
}

func fixLambdaSet(doc string) string {
	var d struct {
		Version, Id string
		Statement   []json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return doc
	}
	var s []string
	for _, st := range d.Statement {
		s = append(s, string(st))
	}
	slices.Sort(s)
	return d.Version + d.Id + strings.Join(s, "\n")
}

func TestFixUsage(t *testing.T) {
	fixCLI(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"restore"}, ExitUsage, "name backup files or --backup-dir"},
		{[]string{"restore", "x.json", "--backup-dir", "d"}, ExitUsage, "not both"},
		{[]string{"fix", "--from", "scan.json", "--trusted", fixTrusted}, ExitUsage, "--trusted does not apply to --from"},
		{[]string{"fix", "--snapshot", "snap.json"}, ExitUsage, "--snapshot needs --from"},
		{[]string{"fix", "--from", "scan.json", "--format", "yaml"}, ExitUsage, "expected text or json"},
		{[]string{"fix", "--from", "missing.json"}, ExitError, "missing.json"},
		{[]string{"restore", "--backup-dir", "nowhere"}, ExitError, "nowhere"},
	} {
		code, _, stderr := fixRun(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// TestFixScansFirst runs fix with the scan flags: it scans, then plans or applies, only for
// the kinds asked for.
func TestFixScansFirst(t *testing.T) {
	sim, _ := fixCLI(t)
	args := []string{"fix", "--trusted", fixTrusted, "--rate-scale", "1000", "--regions", "us-east-1", "--kinds", "lambda-function"}
	code, out, stderr := fixRun(t, args...)
	if code != ExitOK || !strings.Contains(out, "Fix plan: 1 resource(s)") || !strings.Contains(out, `remove statement(s) "out"`) {
		t.Fatalf("plan: exit %d: %s\n%s", code, stderr, out)
	}
	before := sim.World()
	code, out, stderr = fixRun(t, append(args, "--apply", "--backup-dir", "b")...)
	if code != ExitOK || !strings.Contains(out, "1 applied, 0 skipped, 0 failed") {
		t.Fatalf("apply: exit %d: %s\n%s", code, stderr, out)
	}
	after := sim.World()
	if strings.Contains(string(after.Accounts[0].Regions[0].LambdaFunctions[0].Policy), fixForeign) {
		t.Errorf("the foreign permission is still there")
	}
	if after.Accounts[0].IAM.Roles[0].AssumeRolePolicy != before.Accounts[0].IAM.Roles[0].AssumeRolePolicy ||
		after.Accounts[0].Regions[0].SESIdentities[0].Policies["send"] != before.Accounts[0].Regions[0].SESIdentities[0].Policies["send"] {
		t.Errorf("a kind that was not asked for was changed")
	}
}

// TestFixTrustsTheOrganization: with trust_organization in the config file, fix judges as
// scan does and leaves the grant to a sibling account of the organization alone.
func TestFixTrustsTheOrganization(t *testing.T) {
	w := fixWorld()
	w.Organization = &world.Organization{ID: "o-fixfix00001", ManagementAccount: fixOwner}
	w.Accounts = append(w.Accounts, world.Account{ID: fixTrusted, Regions: []world.Region{{Name: "us-east-1"}}})
	_, dir := fixCLIWith(t, w)
	if err := os.WriteFile(filepath.Join(dir, "trustaudit.yaml"), []byte("trust_organization: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := fixRun(t, "fix", "--rate-scale", "1000", "--regions", "us-east-1", "--kinds", "lambda-function")
	if code != ExitOK || !strings.Contains(out, "1 removal(s)") || !strings.Contains(out, `remove statement(s) "out", each`) {
		t.Fatalf("plan: exit %d: %s\n%s", code, stderr, out)
	}
}
