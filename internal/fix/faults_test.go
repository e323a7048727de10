package fix_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/world"
)

// onlyQuota makes every simulator bucket unlimited except the named ones.
func onlyQuota(q map[string]float64) map[string]float64 {
	out := awssim.DefaultQuotas()
	for k := range out {
		out[k] = 0
	}
	for k, v := range q {
		out[k] = v
	}
	return out
}

func TestApplyFaults(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts awssim.Options
		// between runs after planning and before applying.
		between func(t *testing.T, cfg aws.Config)
		// want is the status per resource ARN#policy; unlisted resources must be applied
		// (or manual).
		want map[string]fix.Status
	}{
		{
			name: "access denied on writes",
			opts: awssim.Options{Faults: awssim.Faults{Deny: []awssim.Match{
				{Service: "iam", Operation: "UpdateAssumeRolePolicy"},
				{Service: "lambda", Operation: "RemovePermission"},
			}}},
			want: map[string]fix.Status{
				"arn:aws:iam::" + owner + ":role/vendor#":     fix.StatusFailed,
				"arn:aws:iam::" + owner + ":role/ops/public#": fix.StatusFailed,
				fnARN + "#":      fix.StatusFailed,
				fnARN + ":live#": fix.StatusFailed,
			},
		},
		{
			// One token, never refilled: the first SES write passes, the second is throttled.
			name: "throttled",
			opts: awssim.Options{Quotas: onlyQuota(map[string]float64{"ses:v1-writes": 0.0001})},
			want: map[string]fix.Status{sesARN + "#mixed": fix.StatusFailed},
		},
		{
			name: "changed between plan and apply",
			between: func(t *testing.T, cfg aws.Config) {
				_, err := lambda.NewFromConfig(cfg).AddPermission(ctx, &lambda.AddPermissionInput{
					FunctionName: aws.String("fn"), StatementId: aws.String("late"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(trusted),
				})
				if err != nil {
					t.Fatal(err)
				}
				_, err = ses.NewFromConfig(cfg).PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{
					Identity: aws.String("example.com"), PolicyName: aws.String("mixed"),
					Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Send","Effect":"Allow","Principal":{"AWS":"` + root(foreign) + `"},"Action":"ses:SendEmail","Resource":"` + sesARN + `"}]}`),
				})
				if err != nil {
					t.Fatal(err)
				}
				_, err = iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
					RoleName:       aws.String("vendor"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + root(foreign) + `"},"Action":"sts:AssumeRole"}]}`),
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			want: map[string]fix.Status{
				fnARN + "#":       fix.StatusSkipped,
				sesARN + "#mixed": fix.StatusSkipped,
				"arn:aws:iam::" + owner + ":role/vendor#": fix.StatusSkipped,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			s, w := e.scan()
			plan, err := fix.NewPlan(ctx, fix.Options{Config: e.cfg, Scan: s, World: w})
			if err != nil {
				t.Fatal(err)
			}
			if tt.between != nil {
				tt.between(t, e.cfg)
			}
			pre := policies(e.sim.World())
			rep := plan.Apply(ctx, fix.ApplyOptions{BackupDir: t.TempDir()})
			post := policies(e.sim.World())
			if rep.OK() {
				t.Errorf("report OK despite faults:\n%s", reportText(t, rep))
			}
			for _, r := range rep.Results {
				key := r.ResourceARN + "#" + r.PolicyName
				want, listed := tt.want[key]
				switch {
				case listed && r.Status != want:
					t.Errorf("%s: status %s, want %s (%s)", key, r.Status, want, r.Message)
				case !listed && r.Status != fix.StatusApplied && r.Status != fix.StatusManual:
					t.Errorf("%s: status %s, want applied (%s)", key, r.Status, r.Message)
				}
				// Every resource is unchanged, or changed with its original on disk, and
				// the report says which.
				if !r.Changed {
					if post[key] != pre[key] {
						t.Errorf("%s: reported unchanged but changed:\n before %s\n after  %s", key, pre[key], post[key])
					}
					if r.Status != fix.StatusApplied && !strings.HasPrefix(r.Message, "unchanged") && r.Status != fix.StatusManual {
						t.Errorf("%s: message does not say unchanged: %q", key, r.Message)
					}
					continue
				}
				if r.Backup == "" {
					t.Errorf("%s: changed without a backup", key)
					continue
				}
				b, err := fix.LoadBackup(r.Backup)
				if err != nil {
					t.Errorf("%s: %v", key, err)
					continue
				}
				if b.Original != pre[key] {
					t.Errorf("%s: backup original %s, was %s", key, b.Original, pre[key])
				}
			}
			for key := range tt.want {
				if tt.want[key] != fix.StatusApplied && post[key] != pre[key] && !strings.Contains(key, ":lambda:") {
					t.Errorf("%s: failed or skipped but changed", key)
				}
			}
			t.Log(reportText(t, rep))
		})
	}
}

// TestRemoveStatementRevision checks the guarantee RevisionId gives: a permission added
// after the policy was read makes the removal fail, and nothing is lost.
func TestRemoveStatementRevision(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, awssim.Options{})
	for _, tc := range []struct {
		kind kinds.StatementRemediator
		arn  string
		sid  string
		add  func() error
	}{
		{kinds.LambdaFunction{}, fnARN, "foreign", func() error {
			_, err := lambda.NewFromConfig(e.cfg).AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("late"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(trusted)})
			return err
		}},
		{kinds.LambdaLayer{}, layerARN, "public", func() error {
			_, err := lambda.NewFromConfig(e.cfg).AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("lib"), VersionNumber: aws.Int64(1), StatementId: aws.String("late"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String(trusted)})
			return err
		}},
	} {
		ref := kinds.PolicyRef{Account: owner, Region: region, ResourceARN: tc.arn}
		live, err := tc.kind.ReadPolicy(ctx, e.cfg, ref)
		if err != nil || live.Revision == "" {
			t.Fatalf("%s: read: %v (revision %q)", tc.arn, err, live.Revision)
		}
		if err := tc.add(); err != nil {
			t.Fatal(err)
		}
		if err := tc.kind.RemoveStatement(ctx, e.cfg, ref, tc.sid, live.Revision); err == nil {
			t.Errorf("%s: removal at a stale revision succeeded", tc.arn)
		}
		now, err := tc.kind.ReadPolicy(ctx, e.cfg, ref)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(now.Document, `"Sid":"`+tc.sid+`"`) || !strings.Contains(now.Document, `"Sid":"late"`) {
			t.Errorf("%s: a statement was lost: %s", tc.arn, now.Document)
		}
	}
}

func TestBackupFileIsSafeAndDurable(t *testing.T) {
	ctx := context.Background()
	w := testWorld()
	// A name with characters that break filesystems or shells.
	w.Accounts[0].Regions[0].SESIdentities[0].Identity = "ops+alerts@example.com"
	for name, p := range w.Accounts[0].Regions[0].SESIdentities[0].Policies {
		w.Accounts[0].Regions[0].SESIdentities[0].Policies[name] = world.Policy(strings.ReplaceAll(string(p), "identity/example.com", "identity/ops+alerts@example.com"))
	}
	e := newEnv(t, awssim.Options{World: w})
	s, sw := e.scan()
	plan, err := fix.NewPlan(ctx, fix.Options{Config: e.cfg, Scan: s, World: sw, Kinds: []string{"ses-identity"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rep := plan.Apply(ctx, fix.ApplyOptions{BackupDir: dir})
	if !rep.OK() {
		t.Fatal(reportText(t, rep))
	}
	files, err := fix.BackupFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		base := f[len(dir)+1:]
		if strings.ContainsAny(base, "+@:/\\ ") {
			t.Errorf("unsafe backup file name %q", base)
		}
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v readable by others", base, fi.Mode())
		}
	}
}

// TestRestoreNeverOverwrites checks that a change made after the fix survives a restore
// unless --force says otherwise, and that a Lambda statement id taken again is not replaced.
func TestRestoreNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, awssim.Options{})
	s, w := e.scan()
	plan, err := fix.NewPlan(ctx, fix.Options{Config: e.cfg, Scan: s, World: w, Kinds: []string{"ses-identity", "lambda-function"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if rep := plan.Apply(ctx, fix.ApplyOptions{BackupDir: dir}); !rep.OK() {
		t.Fatal(reportText(t, rep))
	}
	later := `{"Version":"2012-10-17","Statement":[{"Sid":"Later","Effect":"Allow","Principal":{"AWS":"` + root(trusted) + `"},"Action":"ses:SendEmail","Resource":"` + sesARN + `"}]}`
	if _, err := ses.NewFromConfig(e.cfg).PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{Identity: aws.String("example.com"), PolicyName: aws.String("mixed"), Policy: aws.String(later)}); err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewFromConfig(e.cfg).AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("foreign"), Action: aws.String("lambda:GetFunction"), Principal: aws.String(trusted)}); err != nil {
		t.Fatal(err)
	}
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
	status := func(rep *fix.Report) map[string]fix.Status {
		m := map[string]fix.Status{}
		for _, r := range rep.Results {
			m[r.ResourceARN+"#"+r.PolicyName] = r.Status
		}
		return m
	}
	got := status(fix.PlanRestore(ctx, fix.RestoreOptions{Config: e.cfg}, files, backups).Apply(ctx))
	want := map[string]fix.Status{sesARN + "#mixed": fix.StatusSkipped, sesARN + "#Endgame": fix.StatusApplied, fnARN + "#": fix.StatusSkipped, fnARN + ":live#": fix.StatusApplied}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restore without --force: %v, want %v", got, want)
	}
	if p := policies(e.sim.World())[sesARN+"#mixed"]; p != later {
		t.Errorf("a change made after the fix was overwritten: %s", p)
	}
	got = status(fix.PlanRestore(ctx, fix.RestoreOptions{Config: e.cfg, Force: true}, files, backups).Apply(ctx))
	want = map[string]fix.Status{sesARN + "#mixed": fix.StatusApplied, sesARN + "#Endgame": fix.StatusApplied, fnARN + "#": fix.StatusSkipped, fnARN + ":live#": fix.StatusApplied}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restore with --force: %v, want %v", got, want)
	}
	if p := policies(e.sim.World())[fnARN+"#"]; !strings.Contains(p, "lambda:GetFunction") {
		t.Errorf("the statement that took the id again was replaced: %s", p)
	}
}
