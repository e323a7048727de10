package fix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
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

const (
	owner     = "111111111111"
	trusted   = "222222222222"
	foreign   = "999999999999"
	accessKey = "AKIAFIXTEST111111111"
	region    = "us-east-1"
)

var (
	fnARN    = "arn:aws:lambda:us-east-1:" + owner + ":function:fn"
	layerARN = "arn:aws:lambda:us-east-1:" + owner + ":layer:lib:1"
	sesARN   = "arn:aws:ses:us-east-1:" + owner + ":identity/example.com"
)

func root(acct string) string { return "arn:aws:iam::" + acct + ":root" }

// lambdaStatement is a statement as Lambda's AddPermission writes it.
func lambdaStatement(sid, principal, action, resource, cond string) string {
	s := fmt.Sprintf(`{"Sid":%q,"Effect":"Allow","Principal":%s,"Action":%q,"Resource":%q`, sid, principal, action, resource)
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func lambdaPolicy(stmts ...string) world.Policy {
	return world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

// testWorld has, for every kind, grants to a trusted account (which must survive a fix),
// grants to an untrusted account and the public (which must go), and findings only a person
// can settle (a confused deputy, a trust policy that would be left empty).
func testWorld() *world.World {
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{{
			ID:         owner,
			AccessKeys: []world.AccessKey{{ID: accessKey, ARN: "arn:aws:iam::" + owner + ":user/admin"}},
			Regions: []world.Region{{
				Name: region,
				SESIdentities: []world.SESIdentity{{
					Identity: "example.com", Type: world.SESDomain,
					Policies: map[string]world.Policy{
						// A trusted and an untrusted principal in one list: only the untrusted goes.
						"mixed": world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Send","Effect":"Allow","Principal":{"AWS":["` + root(trusted) + `","` + root(foreign) + `"]},"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"` + sesARN + `"}]}`),
						// Public: the statement goes and, with nothing left, the policy.
						"Endgame": world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Endgame","Effect":"Allow","Principal":"*","Action":"ses:*","Resource":"*"}]}`),
					},
				}},
				LambdaFunctions: []world.LambdaFunction{{
					Name: "fn", Runtime: "python3.12",
					Policy: lambdaPolicy(
						lambdaStatement("trusted", `{"AWS":"`+root(trusted)+`"}`, "lambda:InvokeFunction", fnARN, ""),
						lambdaStatement("foreign", `{"AWS":"`+root(foreign)+`"}`, "lambda:InvokeFunction", fnARN, ""),
						lambdaStatement("s3-foreign", `{"Service":"s3.amazonaws.com"}`, "lambda:InvokeFunction", fnARN,
							`{"StringEquals":{"AWS:SourceAccount":"`+foreign+`"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::foreign-bucket"}}`),
						lambdaStatement("sns-any", `{"Service":"sns.amazonaws.com"}`, "lambda:InvokeFunction", fnARN, ""),
						lambdaStatement("url", `"*"`, "lambda:InvokeFunctionUrl", fnARN, `{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}`),
					),
					Versions: []world.LambdaVersion{{Version: "1"}},
					// An alias has a policy of its own; its statements name the alias ARN.
					Aliases: []world.LambdaAlias{{Name: "live", FunctionVersion: "1", Policy: lambdaPolicy(
						lambdaStatement("partner", `{"AWS":"`+root(foreign)+`"}`, "lambda:InvokeFunction", fnARN+":live", ""),
						lambdaStatement("self", `{"AWS":"`+root(owner)+`"}`, "lambda:InvokeFunction", fnARN+":live", ""),
					)}},
				}},
				LambdaLayers: []world.LambdaLayer{{
					Name: "lib",
					Versions: []world.LayerVersion{{
						Version: 1,
						Policy: lambdaPolicy(
							lambdaStatement("org", `{"AWS":"`+root(trusted)+`"}`, "lambda:GetLayerVersion", layerARN, ""),
							lambdaStatement("public", `"*"`, "lambda:GetLayerVersion", layerARN, ""),
						),
					}},
				}},
			}},
			IAM: world.IAM{Roles: []world.Role{
				{Name: "vendor", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + root(foreign) + `","` + root(trusted) + `"]},"Action":"sts:AssumeRole"}]}`)},
				{Name: "only-foreign", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + root(foreign) + `"},"Action":"sts:AssumeRole"}]}`)},
				{Name: "public", Path: "/ops/", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Sid":"Self","Effect":"Allow","Principal":{"AWS":"` + root(owner) + `"},"Action":"sts:AssumeRole"}]}`)},
				{Name: "deputy", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)},
			}},
		}},
	}
}

type env struct {
	t   *testing.T
	sim *awssim.Server
	cfg aws.Config
	b   access.Boundary
}

func newEnv(t *testing.T, opts awssim.Options) *env {
	t.Helper()
	if opts.World == nil {
		opts.World = testWorld()
	}
	if opts.Quotas == nil {
		opts.NoQuotas = true
	}
	sim, err := awssim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := sim.Config(accessKey, region)
	// One attempt per call: a fault must show in the report, not be retried away.
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	b, err := access.NewBoundary([]string{trusted}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sim: sim, cfg: cfg, b: b}
}

func (e *env) scan() (*finding.Scan, *world.World) {
	e.t.Helper()
	s, w, err := scan.Run(context.Background(), scan.Options{Config: e.sim.Config(accessKey, region), Boundary: e.b, RateScale: 1000, Regions: []string{region}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(s.Gaps) > 0 {
		e.t.Fatalf("scan gaps: %+v", s.Gaps)
	}
	return s, w
}

func ids(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	sort.Strings(out)
	return out
}

// policies returns every policy of the simulator's world by ARN (and SES policy name).
func policies(w *world.World) map[string]string {
	out := map[string]string{}
	acct := w.Account(owner)
	for _, k := range kinds.All() {
		for _, p := range k.Policies(acct) {
			out[p.ResourceARN+"#"+p.PolicyName] = p.Document
		}
	}
	return out
}

// statementSet is a Lambda policy's statements by Sid, by meaning: Lambda appends a
// statement added back, so order is not kept.
func statementSet(t *testing.T, doc string) map[string]string {
	t.Helper()
	var d struct{ Statement []json.RawMessage }
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	out := map[string]string{}
	for _, st := range d.Statement {
		var s struct{ Sid string }
		_ = json.Unmarshal(st, &s)
		k, err := kinds.StatementKey(st)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Sid] = k
	}
	return out
}

func samePolicy(t *testing.T, key, got, want string) bool {
	t.Helper()
	if strings.Contains(key, ":lambda:") {
		if got == "" || want == "" {
			return got == want
		}
		return fmt.Sprint(statementSet(t, got)) == fmt.Sprint(statementSet(t, want))
	}
	return got == want
}

func TestRoundTrip(t *testing.T) {
	e := newEnv(t, awssim.Options{})
	ctx := context.Background()
	before := policies(e.sim.World())
	s1, w1 := e.scan()
	f1 := ids(s1.Findings)

	plan, err := fix.NewPlan(ctx, fix.Options{Config: e.cfg, Scan: s1, World: w1})
	if err != nil {
		t.Fatal(err)
	}
	var manualIDs, removedIDs []string
	for _, c := range plan.Changes {
		for _, m := range c.Manual {
			manualIDs = append(manualIDs, m.FindingID)
		}
		for _, r := range c.Removals {
			removedIDs = append(removedIDs, r.FindingID)
		}
	}
	// Manual: the confused deputies (IAM deputy, Lambda sns-any) and the trust policy that
	// would be left empty. Everything else is removed.
	if len(manualIDs) != 3 {
		t.Errorf("manual actions: got %d, want 3\n%s", len(manualIDs), planText(t, plan))
	}
	t.Log(planText(t, plan))
	dir := t.TempDir()
	rep := plan.Apply(ctx, fix.ApplyOptions{BackupDir: dir})
	if !rep.OK() {
		t.Fatalf("apply: %s", reportText(t, rep))
	}
	applied := 0
	for _, r := range rep.Results {
		if r.Status == fix.StatusApplied {
			applied++
			if _, err := os.Stat(r.Backup); err != nil {
				t.Errorf("%s: applied without a backup on disk: %v", r.ResourceARN, err)
			}
		}
	}
	// SES mixed, SES Endgame, Lambda fn and its alias, layer, IAM vendor, IAM public.
	if applied != 7 {
		t.Errorf("applied %d resources, want 7\n%s", applied, reportText(t, rep))
	}

	t.Log(reportText(t, rep))
	s2, _ := e.scan()
	f2 := ids(s2.Findings)
	for _, id := range removedIDs {
		if slices.Contains(f2, id) {
			t.Errorf("finding %s still reported after the fix", id)
		}
	}
	for _, id := range manualIDs {
		if !slices.Contains(f2, id) {
			t.Errorf("finding %s needed manual action but is gone", id)
		}
	}
	after := policies(e.sim.World())
	// Trusted and same-account grants stay.
	for key, want := range map[string]string{
		sesARN + "#mixed": root(trusted),
		fnARN + "#":       root(trusted),
		fnARN + ":live#":  root(owner),
		layerARN + "#":    root(trusted),
		"arn:aws:iam::" + owner + ":role/vendor#":     root(trusted),
		"arn:aws:iam::" + owner + ":role/ops/public#": root(owner),
	} {
		if !strings.Contains(after[key], want) {
			t.Errorf("%s lost the trusted grant %s: %s", key, want, after[key])
		}
		if strings.Contains(after[key], foreign) || strings.Contains(after[key], `"*"`) && !strings.Contains(key, "function:fn") {
			t.Errorf("%s still grants outside: %s", key, after[key])
		}
	}
	if _, ok := after[sesARN+"#Endgame"]; ok {
		t.Errorf("the public SES policy was not deleted")
	}
	if after["arn:aws:iam::"+owner+":role/only-foreign#"] != before["arn:aws:iam::"+owner+":role/only-foreign#"] {
		t.Errorf("a trust policy that would be empty was changed")
	}

	files, err := fix.BackupFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != applied {
		t.Errorf("%d backup files for %d changes", len(files), applied)
	}
	var backups []*fix.Backup
	for _, f := range files {
		b, err := fix.LoadBackup(f)
		if err != nil {
			t.Fatal(err)
		}
		backups = append(backups, b)
		raw, _ := os.ReadFile(f)
		if strings.Contains(string(raw), accessKey) || strings.Contains(string(raw), "simulator-secret") {
			t.Errorf("%s holds credentials", f)
		}
	}
	rp := fix.PlanRestore(ctx, fix.RestoreOptions{Config: e.cfg}, files, backups)
	rrep := rp.Apply(ctx)
	if !rrep.OK() {
		t.Fatalf("restore: %s", reportText(t, rrep))
	}
	s3, _ := e.scan()
	if got := ids(s3.Findings); !slices.Equal(got, f1) {
		t.Errorf("findings after restore:\n got %v\nwant %v", got, f1)
	}
	restored := policies(e.sim.World())
	if len(restored) != len(before) {
		t.Errorf("%d policies after restore, %d before", len(restored), len(before))
	}
	for key, want := range before {
		if !samePolicy(t, key, restored[key], want) {
			t.Errorf("%s after restore:\n got %s\nwant %s", key, restored[key], want)
		}
	}

	// A second restore finds everything in place and changes nothing.
	again := fix.PlanRestore(ctx, fix.RestoreOptions{Config: e.cfg}, files, backups)
	for _, it := range again.Items {
		if !it.Done {
			t.Errorf("%s: second restore plans a change", it.Path)
		}
	}
}

func planText(t *testing.T, p *fix.Plan) string {
	var b strings.Builder
	if err := fix.WritePlan(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func reportText(t *testing.T, r *fix.Report) string {
	var b strings.Builder
	if err := fix.WriteReport(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func newBoundary() (access.Boundary, error) { return access.NewBoundary([]string{trusted}, nil) }
