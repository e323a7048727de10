package kinds_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// Scaffolding shared by the kinds' simulator tests: starting the simulator with a world,
// scanning chosen kinds, naming findings, and the fix → restore round trip.

// startSimScaled starts the simulator on w with its quotas scale times faster and closes it
// when the test ends.
func startSimScaled(t *testing.T, w *world.World, scale float64) *awssim.Server {
	t.Helper()
	s, err := awssim.Start(awssim.Options{World: w, TimeScale: scale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// scanWith runs a scan trusting the account trustedAcct with the options o (its Boundary
// filled in) and fails the test on an error or a gap.
func scanWith(t *testing.T, trustedAcct string, o scan.Options) (*finding.Scan, *world.World) {
	t.Helper()
	b, err := access.NewBoundary([]string{trustedAcct}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Boundary = b
	sc, w, err := scan.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Gaps) > 0 {
		t.Fatalf("scan gaps: %+v", sc.Gaps)
	}
	return sc, w
}

// getKind is kinds.Get, failing the test on an unknown kind.
func getKind(t *testing.T, kind string) kinds.Kind {
	t.Helper()
	k, err := kinds.Get(kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keys names findings by rule and resource ARN, sorted.
func keys(s *finding.Scan) []string {
	var out []string
	for _, f := range s.Findings {
		out = append(out, f.Rule+" "+f.ResourceARN)
	}
	sort.Strings(out)
	return out
}

// policyDocs are kind k's policy documents in acct, by "ARN#policy name".
func policyDocs(k kinds.Kind, acct *world.Account) map[string]string {
	out := map[string]string{}
	for _, p := range k.Policies(acct) {
		out[p.ResourceARN+"#"+p.PolicyName] = p.Document
	}
	return out
}

// noRetry is cfg that does not retry, so a fix's calls are counted once.
func noRetry(cfg aws.Config) aws.Config {
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return cfg
}

// reportText is a fix or restore report as a person reads it.
func reportText(rep *fix.Report) string {
	var b strings.Builder
	_ = fix.WriteReport(&b, rep)
	return b.String()
}

// appliedARNs are the resources a fix changed, sorted.
func appliedARNs(rep *fix.Report) []string {
	var applied []string
	for _, r := range rep.Results {
		if r.Status == fix.StatusApplied {
			applied = append(applied, r.ResourceARN)
		}
	}
	sort.Strings(applied)
	return applied
}

// restoreFrom restores every backup a fix wrote to dir and returns the restore's report.
func restoreFrom(t *testing.T, ctx context.Context, cfg aws.Config, dir string) *fix.Report {
	t.Helper()
	files, err := fix.BackupFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var backups []*fix.Backup
	for _, f := range files {
		b, err := fix.LoadBackup(f)
		if err != nil {
			t.Fatal(err)
		}
		backups = append(backups, b)
	}
	return fix.PlanRestore(ctx, fix.RestoreOptions{Config: cfg}, files, backups).Apply(ctx)
}

// applyFix plans the fix o describes and applies it with its backups in a new temporary
// folder; it returns the fix's report and that folder.
func applyFix(t *testing.T, ctx context.Context, o fix.Options) (*fix.Report, string) {
	t.Helper()
	plan, err := fix.NewPlan(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return plan.Apply(ctx, fix.ApplyOptions{BackupDir: dir}), dir
}
