package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/scan"
)

func TestScanExitCode(t *testing.T) {
	f := finding.Finding{ID: "a"}
	sup := finding.Finding{ID: "b", Suppressed: true}
	gap := finding.Gap{Operation: "lambda:GetPolicy"}
	tests := []struct {
		name string
		scan finding.Scan
		want int
	}{
		{"clean and complete", finding.Scan{}, ExitOK},
		{"only suppressed findings", finding.Scan{Findings: []finding.Finding{sup}}, ExitOK},
		{"findings", finding.Scan{Findings: []finding.Finding{f}}, ExitFindings},
		{"findings and gaps", finding.Scan{Findings: []finding.Finding{f}, Gaps: []finding.Gap{gap}}, ExitFindings},
		{"gaps only", finding.Scan{Gaps: []finding.Gap{gap}}, ExitUsage},
		{"suppressed findings and gaps", finding.Scan{Findings: []finding.Finding{sup}, Gaps: []finding.Gap{gap}}, ExitUsage},
		{"skipped regions do not make a scan incomplete", finding.Scan{Skipped: []finding.Skip{{Region: "af-south-1"}}}, ExitOK},
	}
	for _, tc := range tests {
		if got := scanExitCode(&tc.scan); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestResolveSettings(t *testing.T) {
	dir := t.TempDir()
	yaml := "trusted_accounts: [111122223333]\ntrusted_orgs: [o-a1b2c3d4e5]\nregions: [eu-west-1]\nkinds: [iam-role]\n"
	if err := os.WriteFile(filepath.Join(dir, "trustaudit.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		opts         scanOptions
		tty          bool
		wantAccounts []string
		wantOrgs     []string
		wantRegions  []string
		wantKinds    []string
		wantFormat   string
	}{
		{name: "file only", opts: scanOptions{}, wantAccounts: []string{"111122223333"}, wantOrgs: []string{"o-a1b2c3d4e5"},
			wantRegions: []string{"eu-west-1"}, wantKinds: []string{"iam-role"}, wantFormat: "json"},
		{name: "flags replace lists", opts: scanOptions{Trusted: []string{"arn:aws:iam::444455556666:root"}, Regions: []string{"us-east-1", "us-west-2"},
			set: map[string]bool{"trusted": true, "regions": true}},
			wantAccounts: []string{"444455556666"}, wantOrgs: []string{"o-a1b2c3d4e5"}, wantRegions: []string{"us-east-1", "us-west-2"}, wantKinds: []string{"iam-role"}, wantFormat: "json"},
		{name: "table on a terminal", tty: true, wantAccounts: []string{"111122223333"}, wantOrgs: []string{"o-a1b2c3d4e5"},
			wantRegions: []string{"eu-west-1"}, wantKinds: []string{"iam-role"}, wantFormat: "table"},
		{name: "json into a file even on a terminal", tty: true, opts: scanOptions{Output: "x.json"}, wantAccounts: []string{"111122223333"}, wantOrgs: []string{"o-a1b2c3d4e5"},
			wantRegions: []string{"eu-west-1"}, wantKinds: []string{"iam-role"}, wantFormat: "json"},
		{name: "explicit format wins", tty: true, opts: scanOptions{Format: "json", set: map[string]bool{"format": true}}, wantAccounts: []string{"111122223333"}, wantOrgs: []string{"o-a1b2c3d4e5"},
			wantRegions: []string{"eu-west-1"}, wantKinds: []string{"iam-role"}, wantFormat: "json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			ios.StdoutTTY = tc.tty
			o := tc.opts
			o.dir = dir
			if o.set == nil {
				o.set = map[string]bool{}
			}
			st, err := resolveSettings(ios, &o)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{st.boundary.Accounts(), st.boundary.Orgs(), st.cfg.Regions, st.cfg.Kinds, st.format}
			want := []any{tc.wantAccounts, tc.wantOrgs, tc.wantRegions, tc.wantKinds, tc.wantFormat}
			if diff := cmp.Diff(want, got, cmp.Transformer("nilEmpty", func(s []string) []string {
				if len(s) == 0 {
					return nil
				}
				return s
			})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("regions: [us-east-1]\nkinds: [s3]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts scanOptions
		code int
		msg  string
	}{
		{"bad config file", scanOptions{ConfigPath: bad}, ExitError, "bad.yaml:2: kinds[0]"},
		{"missing config file", scanOptions{ConfigPath: filepath.Join(dir, "none.yaml")}, ExitError, "none.yaml"},
		{"bad --trusted", scanOptions{Trusted: []string{"1234"}, set: map[string]bool{"trusted": true}}, ExitUsage, `--trusted: expected a 12-digit account id or an IAM ARN, found "1234"`},
		{"bad --trusted-org", scanOptions{TrustedOrgs: []string{"o-1"}, set: map[string]bool{"trusted-org": true}}, ExitUsage, "--trusted-org: expected an organization id"},
		{"bad --regions", scanOptions{Regions: []string{"mars-1"}, set: map[string]bool{"regions": true}}, ExitUsage, "--regions: expected a region name"},
		{"bad --kinds", scanOptions{Kinds: []string{"s3"}, set: map[string]bool{"kinds": true}}, ExitUsage, `--kinds: unknown kind "s3"`},
		{"bad --format", scanOptions{Format: "xml", set: map[string]bool{"format": true}}, ExitUsage, `--format: unknown format "xml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			o := tc.opts
			o.dir = dir
			if o.set == nil {
				o.set = map[string]bool{}
			}
			_, err := resolveSettings(ios, &o)
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want exit %d with %q", err, tc.code, tc.msg)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "first\n"); return err }); err != nil {
		t.Fatal(err)
	}
	// A failing render leaves the previous report whole and no temporary file behind.
	err := writeFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half a rep")
		return errors.New("render failed")
	})
	if err == nil || !strings.Contains(err.Error(), "render failed") || !strings.Contains(err.Error(), "report.json") {
		t.Fatalf("error = %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "first\n" {
		t.Errorf("report = %q after a failed write, want the previous one", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the report", len(entries))
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "r.json"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestPermissionsPolicy(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if code := Main(t.Context(), []string{"permissions", "--kinds", "iam-role"}, ios); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "TrustauditScanReadOnly",
      "Effect": "Allow",
      "Action": [
        "account:ListRegions",
        "ec2:DescribeRegions",
        "iam:ListRoles",
        "sts:GetCallerIdentity"
      ],
      "Resource": "*"
    }
  ]
}
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ios, _, _, errOut := iostreams.Test()
	if code := Main(t.Context(), []string{"permissions", "--kinds", "s3"}, ios); code != ExitUsage || !strings.Contains(errOut.String(), `unknown kind "s3"`) {
		t.Errorf("bad kind: exit %d, stderr %q", code, errOut)
	}
}

func TestProgressLine(t *testing.T) {
	lastLine := func(out string) string { return out[strings.LastIndex(out, "\r\x1b[K")+4:] }
	var buf strings.Builder
	p := newProgress(&buf, 200)
	p.update(scan.Progress{Account: "1", Region: "us-east-1", Kind: "lambda-function", Listed: 10, Done: 4})
	p.update(scan.Progress{Account: "1", Region: "eu-west-1", Kind: "lambda-function", Listed: 5, Done: 5, Finished: true})
	p.update(scan.Progress{Account: "1", Region: "global", Kind: "iam-role", Listed: 3, Done: 3, Finished: true})
	if got, want := lastLine(buf.String()), "scanning: 12/18 resources · 2/3 kind-regions · left: lambda-function 9/15"; got != want {
		t.Errorf("one account:\n got %q\nwant %q", got, want)
	}

	// An organization: a finished account is folded into the totals and forgotten.
	p.update(scan.Progress{Account: "2", Region: "global", Kind: "iam-role", Listed: 2000, Done: 0})
	p.update(scan.Progress{Account: "1", Finished: true})
	if got, want := lastLine(buf.String()), "scanning: accounts 1 done, 1 in flight · 12/2,018 resources · 0/1 kind-regions · left: iam-role 0/2,000"; got != want {
		t.Errorf("organization:\n got %q\nwant %q", got, want)
	}
	for k := range p.state {
		if k.account == "1" {
			t.Errorf("the finished account's %s/%s is still held", k.kind, k.region)
		}
	}

	p.finish()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Errorf("finish does not clear the line: %q", buf.String())
	}
	var nilProgress *progress
	nilProgress.finish() // stderr not a terminal: no progress, and finish must be safe

	// A line wider than the terminal would wrap and scroll on every redraw: it is cut.
	buf.Reset()
	narrow := newProgress(&buf, 40)
	for _, k := range []string{"lambda-function", "ses-identity", "sqs-queue", "sns-topic"} {
		narrow.update(scan.Progress{Account: "1", Region: "us-east-1", Kind: k, Listed: 5, Done: 1, Finished: true})
		narrow.update(scan.Progress{Account: "1", Region: "eu-west-1", Kind: k, Listed: 5, Done: 1})
	}
	if got := lastLine(buf.String()); utf8.RuneCountInString(got) != 39 || !strings.HasSuffix(got, "…") {
		t.Errorf("narrow terminal: %d columns %q, want 39 ending in …", utf8.RuneCountInString(got), got)
	}
}
