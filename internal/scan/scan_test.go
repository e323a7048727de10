package scan

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	owner     = "111111111111"
	trusted   = "222222222222"
	foreign   = "999988887777"
	accessKey = "AKIATEST111111111111"
	// scale runs the simulator's quotas and the engine's pacing this many times faster.
	scale = 50
)

func lambdaDoc(arn, sid, principal string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":%q,"Effect":"Allow","Principal":%s,"Action":"lambda:InvokeFunction","Resource":%q}]}`, sid, principal, arn))
}

func layerDoc(arn, principal string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"share","Effect":"Allow","Principal":%s,"Action":"lambda:GetLayerVersion","Resource":%q}]}`, principal, arn))
}

func sesDoc(arn, principal string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"send","Effect":"Allow","Principal":%s,"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":%q}]}`, principal, arn))
}

func trustDoc(principal string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":"sts:AssumeRole"}]}`, principal))
}

func acctPrincipal(id string) string { return fmt.Sprintf(`{"AWS":"arn:aws:iam::%s:root"}`, id) }

func fnARN(region, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, owner, name)
}

// testWorld is one account with a region holding more than a page of functions, versions,
// aliases, layers and SES identities of every verdict, a smaller second region, a disabled
// opt-in region and a few roles.
func testWorld() *world.World {
	use1 := world.Region{Name: "us-east-1"}
	for i := range 60 {
		use1.LambdaFunctions = append(use1.LambdaFunctions, world.LambdaFunction{Name: fmt.Sprintf("fn-%02d", i)})
	}
	fns := use1.LambdaFunctions
	fns[0].Policy = lambdaDoc(fnARN("us-east-1", "fn-00"), "public", `"*"`)
	fns[1].Policy = lambdaDoc(fnARN("us-east-1", "fn-01"), "partner", acctPrincipal(foreign))
	fns[2].Policy = lambdaDoc(fnARN("us-east-1", "fn-02"), "sibling", acctPrincipal(trusted))
	fns[3].Versions = []world.LambdaVersion{
		{Version: "1", Policy: lambdaDoc(fnARN("us-east-1", "fn-03:1"), "v1public", `"*"`)},
		{Version: "2"},
		{Version: "10"},
	}
	fns[3].Aliases = []world.LambdaAlias{
		{Name: "live", FunctionVersion: "2", Policy: lambdaDoc(fnARN("us-east-1", "fn-03:live"), "alias", acctPrincipal(foreign))},
		{Name: "test", FunctionVersion: "$LATEST"},
	}
	fns[4].Policy = lambdaDoc(fnARN("us-east-1", "fn-04"), "self", acctPrincipal(owner))
	for i := 5; i < 60; i += 7 {
		fns[i].Versions = []world.LambdaVersion{{Version: "1"}}
		fns[i].Aliases = []world.LambdaAlias{{Name: "prod", FunctionVersion: "1"}}
	}
	layer := fmt.Sprintf("arn:aws:lambda:us-east-1:%s:layer:shared", owner)
	use1.LambdaLayers = []world.LambdaLayer{
		{Name: "shared", Versions: []world.LayerVersion{
			{Version: 1, Policy: layerDoc(layer+":1", `"*"`)},
			{Version: 2, Policy: layerDoc(layer+":2", acctPrincipal(trusted))},
			{Version: 3},
		}},
		{Name: "tools", Versions: []world.LayerVersion{{Version: 1}}},
	}
	idARN := func(region, id string) string {
		return fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", region, owner, id)
	}
	use1.SESIdentities = []world.SESIdentity{
		{Identity: "a@example.com", Type: world.SESEmailAddress},
		{Identity: "b@example.com", Type: world.SESEmailAddress, Policies: map[string]world.Policy{"open": sesDoc(idARN("us-east-1", "b@example.com"), `"*"`)}},
		{Identity: "example.com", Type: world.SESDomain, Policies: map[string]world.Policy{
			"partner": sesDoc(idARN("us-east-1", "example.com"), acctPrincipal(foreign)),
			"self":    sesDoc(idARN("us-east-1", "example.com"), acctPrincipal(owner)),
		}},
	}
	euw1 := world.Region{Name: "eu-west-1", OptInStatus: world.OptInEnabledByDefault}
	euw1.LambdaFunctions = []world.LambdaFunction{
		{Name: "eu-fn", Policy: lambdaDoc(fnARN("eu-west-1", "eu-fn"), "partner", acctPrincipal(foreign))},
		{Name: "eu-quiet"},
	}
	euw1.LambdaLayers = []world.LambdaLayer{{Name: "eu-layer", Versions: []world.LayerVersion{{Version: 4, Policy: layerDoc(fmt.Sprintf("arn:aws:lambda:eu-west-1:%s:layer:eu-layer:4", owner), acctPrincipal(foreign))}}}}
	euw1.SESIdentities = []world.SESIdentity{{Identity: "eu.example.com", Type: world.SESDomain, Policies: map[string]world.Policy{"sib": sesDoc(idARN("eu-west-1", "eu.example.com"), acctPrincipal(trusted))}}}

	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{{
			ID:         owner,
			AccessKeys: []world.AccessKey{{ID: accessKey, ARN: "arn:aws:iam::" + owner + ":user/auditor"}},
			Regions:    []world.Region{use1, euw1, {Name: "af-south-1", OptInStatus: world.OptInDisabled}},
			IAM: world.IAM{Roles: []world.Role{
				{Name: "sibling", AssumeRolePolicy: trustDoc(acctPrincipal(trusted))},
				{Name: "vendor", Path: "/partners/", AssumeRolePolicy: trustDoc(acctPrincipal(foreign))},
				{Name: "open", AssumeRolePolicy: trustDoc(`{"AWS":"*"}`)},
				{Name: "lambda-exec", AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`)},
			}},
		}},
	}
}

// wantFindings are the rule and resource of every finding testWorld holds when 222222222222
// is trusted.
var wantFindings = []string{
	"iam-role/public arn:aws:iam::111111111111:role/open",
	"iam-role/untrusted-account arn:aws:iam::111111111111:role/partners/vendor",
	"lambda-function/public arn:aws:lambda:us-east-1:111111111111:function:fn-00",
	"lambda-function/public arn:aws:lambda:us-east-1:111111111111:function:fn-03:1",
	"lambda-function/untrusted-account arn:aws:lambda:eu-west-1:111111111111:function:eu-fn",
	"lambda-function/untrusted-account arn:aws:lambda:us-east-1:111111111111:function:fn-01",
	"lambda-function/untrusted-account arn:aws:lambda:us-east-1:111111111111:function:fn-03:live",
	"lambda-layer/public arn:aws:lambda:us-east-1:111111111111:layer:shared:1",
	"lambda-layer/untrusted-account arn:aws:lambda:eu-west-1:111111111111:layer:eu-layer:4",
	"ses-identity/public arn:aws:ses:us-east-1:111111111111:identity/b@example.com",
	"ses-identity/untrusted-account arn:aws:ses:us-east-1:111111111111:identity/example.com",
}

func findingKeys(s *finding.Scan) []string {
	var out []string
	for _, f := range s.Findings {
		out = append(out, f.Rule+" "+f.ResourceARN)
	}
	sort.Strings(out)
	return out
}

func boundary(t testing.TB) access.Boundary {
	t.Helper()
	b, err := access.NewBoundary([]string{trusted}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startSim(t testing.TB, w *world.World, opts awssim.Options) *awssim.Server {
	t.Helper()
	opts.World = w
	if opts.TimeScale == 0 {
		opts.TimeScale = scale
	}
	s, err := awssim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testKinds are the kinds testWorld exercises; others registered beside them would only add
// empty listings.
var testKinds = []string{"iam-role", "lambda-function", "lambda-layer", "ses-identity"}

func options(t testing.TB, s *awssim.Server) Options {
	return Options{
		Kinds:          testKinds,
		Config:         s.Config(accessKey, "us-east-1"),
		Boundary:       boundary(t),
		RateScale:      scale,
		RequestTimeout: 5 * time.Second,
		RegionTimeout:  5 * time.Second,
	}
}

// normalize makes a world comparable with what a scan collects: what the simulator knows
// that a scan does not keep (access keys), canonical order, and IAM's default path.
func normalize(w *world.World) *world.World {
	for ai := range w.Accounts {
		a := &w.Accounts[ai]
		a.AccessKeys = nil
		a.Name, a.Email = "", ""
		for ri := range a.Regions {
			r := &a.Regions[ri]
			if r.OptInStatus == "" {
				r.OptInStatus = world.OptInEnabledByDefault
			}
			sort.Slice(r.LambdaFunctions, func(i, j int) bool { return r.LambdaFunctions[i].Name < r.LambdaFunctions[j].Name })
			sort.Slice(r.SESIdentities, func(i, j int) bool { return r.SESIdentities[i].Identity < r.SESIdentities[j].Identity })
			sort.Slice(r.LambdaLayers, func(i, j int) bool { return r.LambdaLayers[i].Name < r.LambdaLayers[j].Name })
		}
		sort.Slice(a.Regions, func(i, j int) bool { return a.Regions[i].Name < a.Regions[j].Name })
		for i := range a.IAM.Roles {
			if a.IAM.Roles[i].Path == "" {
				a.IAM.Roles[i].Path = "/"
			}
		}
		sort.Slice(a.IAM.Roles, func(i, j int) bool { return a.IAM.Roles[i].Name < a.IAM.Roles[j].Name })
	}
	return w
}

var worldCmp = []cmp.Option{
	cmpopts.IgnoreFields(world.LambdaFunction{}, "Runtime", "RevisionID"),
	cmpopts.IgnoreFields(world.Role{}, "RoleID", "Description"),
	cmpopts.EquateEmpty(),
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func TestRunCollectsExactlyTheWorld(t *testing.T) {
	w := testWorld()
	s := startSim(t, w, awssim.Options{})
	o := options(t, s)
	var mu sync.Mutex
	final := map[string]Progress{}
	o.Progress = func(p Progress) {
		if p.Finished {
			mu.Lock()
			final[p.Kind+" "+p.Region] = p
			mu.Unlock()
		}
	}
	sc, got, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normalize(testWorld()), normalize(got), worldCmp...); diff != "" {
		t.Errorf("collected world differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFindings, findingKeys(sc)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(sc.Gaps) != 0 {
		t.Errorf("gaps in a clean run: %+v", sc.Gaps)
	}
	wantSkip := []finding.Skip{{Account: owner, Region: "af-south-1", Reason: "opt-in region not enabled (DISABLED)"}}
	if diff := cmp.Diff(wantSkip, sc.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"eu-west-1", "us-east-1"}, sc.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	wantRes := map[string]int{"iam-role": 4, "lambda-function": 62, "lambda-layer": 5, "ses-identity": 4}
	if diff := cmp.Diff(wantRes, sc.Resources); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	// Without faults every call is a first attempt of a necessary call: the calls made are
	// exactly the minimum.
	if sc.Stats == nil || sum(sc.Stats.Calls) != sum(sc.Stats.MinimalCalls) || sc.Stats.Retries != 0 || sc.Stats.Throttles != 0 {
		t.Errorf("stats: calls %v (%d) minimal %v (%d), retries %d, throttles %d", sc.Stats.Calls, sum(sc.Stats.Calls), sc.Stats.MinimalCalls, sum(sc.Stats.MinimalCalls), sc.Stats.Retries, sc.Stats.Throttles)
	}
	if sc.Stats.LowerBoundSec <= 0 || sc.Stats.ElapsedSec <= 0 {
		t.Errorf("stats: lower bound %v, elapsed %v", sc.Stats.LowerBoundSec, sc.Stats.ElapsedSec)
	}
	// Progress ends with every resource of every kind and region done.
	wantDone := map[string]int{
		"iam-role global": 4, "lambda-function us-east-1": 60, "lambda-function eu-west-1": 2,
		"lambda-layer us-east-1": 4, "lambda-layer eu-west-1": 1, "ses-identity us-east-1": 3, "ses-identity eu-west-1": 1,
	}
	gotDone := map[string]int{}
	for k, p := range final {
		gotDone[k] = p.Done
	}
	if diff := cmp.Diff(wantDone, gotDone); diff != "" {
		t.Errorf("final progress (-want +got):\n%s", diff)
	}

	// The simulator saw no call outside the actions the scan declares.
	ks, err := kinds.Select(testKinds)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, a := range Actions(ks) {
		allowed[a] = true
	}
	for _, c := range s.Counters() {
		if api := c.Service + ":" + c.Operation; !allowed[api] {
			t.Errorf("the scan called %s (%d times), which its kinds do not declare", api, c.N)
		}
	}

	// Judging the snapshot offline gives the same document, stats and times aside.
	offline, err := Judge(got, Options{Boundary: boundary(t), Kinds: testKinds})
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(finding.Scan{}, "StartedAt", "FinishedAt", "Stats")
	if diff := cmp.Diff(sc, offline, ignore); diff != "" {
		t.Errorf("Judge(snapshot) differs from Run (-run +judge):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the snapshot is not a valid world: %v", err)
	}
}

func gapKeys(s *finding.Scan) []string {
	var out []string
	for _, g := range s.Gaps {
		out = append(out, strings.Join([]string{g.Region, g.Kind, g.Operation, g.Resource}, " "))
	}
	sort.Strings(out)
	return out
}

func without(keys []string, drop func(string) bool) []string {
	var out []string
	for _, k := range keys {
		if !drop(k) {
			out = append(out, k)
		}
	}
	return out
}

func TestFaultsBecomeGaps(t *testing.T) {
	euLambda := func(k string) bool { return strings.Contains(k, ":eu-west-1:") && strings.Contains(k, "lambda") }
	euAll := func(k string) bool { return strings.Contains(k, ":eu-west-1:") }
	tests := []struct {
		name   string
		faults awssim.Faults
		// wantGaps are region, kind, operation and resource of each gap.
		wantGaps []string
		// lost are the findings the gaps hide.
		lost      func(string) bool
		errSubstr string
		// requestTimeout, when set, is shorter than the region budget: timed-out requests
		// must not count as answers that keep the region alive.
		requestTimeout time.Duration
	}{
		{
			name:   "lambda denied in one region",
			faults: awssim.Faults{Deny: []awssim.Match{{Service: "lambda", Region: "eu-west-1"}}},
			wantGaps: []string{
				"eu-west-1 lambda-function lambda:ListFunctions ",
				"eu-west-1 lambda-layer lambda:ListLayers ",
			},
			lost:      euLambda,
			errSubstr: "AccessDeniedException",
		},
		{
			name:   "one per-item operation denied",
			faults: awssim.Faults{Deny: []awssim.Match{{Service: "lambda", Region: "eu-west-1", Operation: "GetPolicy"}}},
			wantGaps: []string{
				"eu-west-1 lambda-function lambda:GetPolicy arn:aws:lambda:eu-west-1:111111111111:function:eu-fn",
				"eu-west-1 lambda-function lambda:GetPolicy arn:aws:lambda:eu-west-1:111111111111:function:eu-quiet",
			},
			lost:      func(k string) bool { return strings.Contains(k, "function:eu-fn") },
			errSubstr: "AccessDeniedException",
		},
		{
			name:   "unreachable region",
			faults: awssim.Faults{Unreachable: []string{"eu-west-1"}},
			wantGaps: []string{
				"eu-west-1 lambda-function lambda:ListFunctions ",
				"eu-west-1 lambda-layer lambda:ListLayers ",
				"eu-west-1 ses-identity ses:ListEmailIdentities ",
			},
			lost:      euAll,
			errSubstr: "did not answer within 1s",
		},
		{
			name:           "unreachable region, requests time out before the region budget",
			faults:         awssim.Faults{Unreachable: []string{"eu-west-1"}},
			requestTimeout: 200 * time.Millisecond,
			wantGaps: []string{
				"eu-west-1 lambda-function lambda:ListFunctions ",
				"eu-west-1 lambda-layer lambda:ListLayers ",
				"eu-west-1 ses-identity ses:ListEmailIdentities ",
			},
			lost:      euAll,
			errSubstr: "did not answer within 1s",
		},
		{
			name:   "region refusing connections",
			faults: awssim.Faults{Refuse: []string{"eu-west-1"}},
			wantGaps: []string{
				"eu-west-1 lambda-function lambda:ListFunctions ",
				"eu-west-1 lambda-layer lambda:ListLayers ",
				"eu-west-1 ses-identity ses:ListEmailIdentities ",
			},
			lost:      euAll,
			errSubstr: "attempts|did not answer within 1s", // whichever bound is reached first
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, testWorld(), awssim.Options{Faults: tt.faults})
			o := options(t, s)
			o.RegionTimeout = time.Second
			if tt.requestTimeout > 0 {
				o.RequestTimeout = tt.requestTimeout
			}
			start := time.Now()
			sc, _, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second { // without the region budget: minutes
				t.Errorf("the scan took %v: a failing region must cost a bounded wait", d)
			}
			if diff := cmp.Diff(tt.wantGaps, gapKeys(sc)); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			for _, g := range sc.Gaps {
				if !containsAny(g.Error, strings.Split(tt.errSubstr, "|")) || g.Account != owner {
					t.Errorf("gap %+v: want account %s and an error with %q", g, owner, tt.errSubstr)
				}
			}
			if diff := cmp.Diff(without(wantFindings, tt.lost), findingKeys(sc)); diff != "" {
				t.Errorf("the rest of the account must be scanned: findings (-want +got):\n%s", diff)
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestThrottlingStormCompletes(t *testing.T) {
	// The simulator's Lambda buckets are far below the documented rates the engine paces
	// at (as when other clients spend the same buckets), and a fifth of all answers are
	// 5xx: the scan must still read everything, by backing off and retrying.
	s := startSim(t, testWorld(), awssim.Options{
		Quotas: map[string]float64{"lambda:GetPolicy": 0.4, "lambda:control": 0.4},
		Faults: awssim.Faults{ErrorRate: 0.2, Seed: 7},
	})
	o := options(t, s)
	sc, got, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Gaps) != 0 {
		t.Errorf("gaps: %+v", sc.Gaps)
	}
	if diff := cmp.Diff(normalize(testWorld()), normalize(got), worldCmp...); diff != "" {
		t.Errorf("collected world differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFindings, findingKeys(sc)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if sc.Stats.Throttles == 0 || sc.Stats.Retries == 0 {
		t.Errorf("expected throttles and retries to be counted, got %d and %d", sc.Stats.Throttles, sc.Stats.Retries)
	}
	if sum(sc.Stats.Calls) != sum(sc.Stats.MinimalCalls) {
		t.Errorf("retries must not count as calls: calls %d, minimal %d", sum(sc.Stats.Calls), sum(sc.Stats.MinimalCalls))
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		name        string
		regions     []string
		faults      awssim.Faults
		wantRegions []string
		wantSkipped []string
		wantCall    string
		wantErr     string
	}{
		{name: "every enabled region", wantRegions: []string{"eu-west-1", "us-east-1"}, wantSkipped: []string{"af-south-1 opt-in region not enabled (DISABLED)"}, wantCall: "account:ListRegions"},
		{
			name:        "Account API denied: EC2 fallback",
			faults:      awssim.Faults{Deny: []awssim.Match{{Service: "account"}}},
			wantRegions: []string{"eu-west-1", "us-east-1"}, wantSkipped: []string{"af-south-1 opt-in region not enabled (DISABLED)"}, wantCall: "ec2:DescribeRegions",
		},
		{
			name:        "chosen regions",
			regions:     []string{"eu-west-1", "af-south-1", "xx-nowhere-1"},
			wantRegions: []string{"eu-west-1"},
			wantSkipped: []string{"af-south-1 opt-in region not enabled (DISABLED)", "xx-nowhere-1 " + reasonNotInPartition},
			wantCall:    "account:ListRegions",
		},
		{
			name:    "no way to list regions",
			faults:  awssim.Faults{Deny: []awssim.Match{{Service: "account"}, {Service: "ec2"}}},
			wantErr: "name the regions to scan",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, testWorld(), awssim.Options{Faults: tt.faults})
			o := options(t, s)
			o.Regions = tt.regions
			o.Kinds = []string{"iam-role"}
			sc, _, err := Run(context.Background(), o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantRegions, sc.Regions); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
			var skipped []string
			for _, sk := range sc.Skipped {
				skipped = append(skipped, sk.Region+" "+sk.Reason)
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if sc.Stats.Calls[tt.wantCall] != 1 {
				t.Errorf("calls %v: want one %s", sc.Stats.Calls, tt.wantCall)
			}
			if len(sc.Gaps) != 0 {
				t.Errorf("gaps: %+v", sc.Gaps)
			}
		})
	}
}

func TestJudgeUnparsablePolicyIsAGap(t *testing.T) {
	w := testWorld()
	w.Accounts[0].Regions[1].LambdaFunctions[1].Policy = `{"Statement": [`
	sc, err := Judge(w, Options{Boundary: boundary(t), Kinds: []string{"lambda-function"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Gaps) != 1 {
		t.Fatalf("gaps: %+v, want one", sc.Gaps)
	}
	g := sc.Gaps[0]
	if g.Operation != "parse" || g.Kind != "lambda-function" || g.Region != "eu-west-1" || g.Resource != fnARN("eu-west-1", "eu-quiet") || g.Error == "" {
		t.Errorf("gap %+v: want a parse gap naming eu-quiet and the parser's error", g)
	}
	var want []string
	for _, k := range wantFindings {
		if strings.HasPrefix(k, "lambda-function/") {
			want = append(want, k)
		}
	}
	if diff := cmp.Diff(want, findingKeys(sc)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestUnknownKind(t *testing.T) {
	_, _, err := Run(context.Background(), Options{Kinds: []string{"s3-bucket-typo"}})
	if err == nil || !strings.Contains(err.Error(), `unknown kind "s3-bucket-typo"`) {
		t.Errorf("error %v, want one naming the unknown kind", err)
	}
}

func TestThrottleLowersTheLaneRate(t *testing.T) {
	throttle := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	for _, tc := range []struct {
		documented bool
		max        float64 // the rate paced at: documented lanes keep a 2% margin
		lone, next float64 // after one throttle; after a second one soon after
	}{
		{documented: false, max: 20, lone: 10, next: 5},
		// A lone throttle on a documented lane is jitter: a tenth off. A second one within
		// ten cool-downs is a neighbour on the bucket: halved.
		{documented: true, max: 19.6, lone: 19.6 * 0.9, next: 19.6 * 0.9 / 2},
	} {
		documented := tc.documented
		reg := newRegionState(context.Background(), "us-east-1", time.Minute)
		defer reg.close()
		st := &counters{calls: map[string]int64{}}
		l := newLane(kinds.Lane{Name: "x", Rate: 20, Documented: documented}, 1, reg, st, aws.Config{}, "us-east-1", 1)
		if got := float64(l.lim.Limit()); math.Abs(got-tc.max) > 1e-9 {
			t.Errorf("documented=%v: paced at %v, want %v", documented, got, tc.max)
		}
		l.observe(throttle)
		l.observe(throttle) // the same burst of answers: one decrease
		if got := float64(l.lim.Limit()); math.Abs(got-tc.lone) > 1e-9 {
			t.Errorf("documented=%v: rate after one throttle %v, want %v", documented, got, tc.lone)
		}
		l.lastDecrease = time.Now().Add(-2 * l.cooldown) // past the cool-down, still soon after
		l.observe(throttle)
		if got := float64(l.lim.Limit()); math.Abs(got-tc.next) > 1e-9 {
			t.Errorf("documented=%v: rate after a second throttle soon after %v, want %v", documented, got, tc.next)
		}
		wantDoc := int64(0)
		if documented {
			wantDoc = 3
		}
		if st.throttles.Load() != 3 || st.documentedThrottles.Load() != wantDoc {
			t.Errorf("documented=%v: %d throttles (%d documented) counted, want 3 (%d)", documented, st.throttles.Load(), st.documentedThrottles.Load(), wantDoc)
		}
		for range 200 {
			l.observe(nil)
		}
		if got := float64(l.lim.Limit()); got != tc.max {
			t.Errorf("documented=%v: rate after successes %v, want it back at %v and no higher", documented, got, tc.max)
		}
	}
}

func TestSESPathsReadTheSame(t *testing.T) {
	for _, path := range []kinds.SESPath{kinds.SESv1, kinds.SESv2, kinds.SESv2Dual} {
		t.Run(path.String(), func(t *testing.T) {
			t.Parallel()
			s := startSim(t, testWorld(), awssim.Options{})
			o := options(t, s)
			o.KindSet = []kinds.Kind{kinds.SESIdentity{Path: path}}
			sc, got, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			want := normalize(testWorld())
			for ri := range want.Accounts[0].Regions {
				r := &want.Accounts[0].Regions[ri]
				r.LambdaFunctions, r.LambdaLayers = nil, nil
			}
			want.Accounts[0].IAM = world.IAM{}
			if diff := cmp.Diff(want, normalize(got), worldCmp...); diff != "" {
				t.Errorf("collected world differs (-want +got):\n%s", diff)
			}
			var sesWant []string
			for _, k := range wantFindings {
				if strings.HasPrefix(k, "ses-identity/") {
					sesWant = append(sesWant, k)
				}
			}
			if diff := cmp.Diff(sesWant, findingKeys(sc)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, c := range s.Counters() {
				if c.Service == "ses" && !slices.Contains(path.Actions(), "ses:"+c.Operation) {
					t.Errorf("path %s called ses:%s", path, c.Operation)
				}
			}
		})
	}
}

func TestMinimalCallsAndLowerBound(t *testing.T) {
	r := world.Region{Name: "us-east-1"}
	for i := range 120 {
		r.LambdaFunctions = append(r.LambdaFunctions, world.LambdaFunction{
			Name:     fmt.Sprintf("f%d", i),
			Versions: []world.LambdaVersion{{Version: "1"}},
			Aliases:  []world.LambdaAlias{{Name: "live", FunctionVersion: "1"}},
		})
	}
	for i := range 500 {
		r.SESIdentities = append(r.SESIdentities, world.SESIdentity{Identity: fmt.Sprintf("d%d.example.com", i), Type: world.SESDomain})
	}
	r.LambdaLayers = []world.LambdaLayer{{Name: "l", Versions: []world.LayerVersion{{Version: 1}, {Version: 2}}}}
	acct := world.Account{ID: owner, Regions: []world.Region{r, {Name: "eu-west-1"}, {Name: "af-south-1", OptInStatus: world.OptInDisabled}}}
	for i := range 2500 {
		acct.IAM.Roles = append(acct.IAM.Roles, world.Role{Name: fmt.Sprintf("r%d", i)})
	}
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{acct}}
	ks, err := kinds.Select(testKinds)
	if err != nil {
		t.Fatal(err)
	}
	// PERFORMANCE.md §1 on what the world holds; an empty region still costs one call per
	// listing, a disabled one nothing.
	want := map[string]int64{
		"sts:GetCallerIdentity": 1, "account:ListRegions": 1,
		"iam:ListRoles":                3,       // ceil(2500/1000)
		"lambda:ListFunctions":         5 + 1,   // ceil(120*(1+1)/50), eu-west-1: 1
		"lambda:ListAliases":           120,     // one page per function
		"lambda:GetPolicy":             120 * 3, // function, version, alias
		"lambda:ListLayers":            1 + 1,   // per region
		"lambda:ListLayerVersions":     1,       // one layer
		"lambda:GetLayerVersionPolicy": 2,       // two versions
		"ses:ListEmailIdentities":      1 + 1,
		"ses:GetEmailIdentityPolicies": 251, // 500 reads split so that both buckets carry 251
		"ses:GetEmailIdentity":         249, // and 1 + 249, the listing included
	}
	if diff := cmp.Diff(want, MinimalCalls(w, ks)); diff != "" {
		t.Errorf("minimal calls (-want +got):\n%s", diff)
	}
	// The slowest lane: SES's two 1/s buckets carry 251 and 250 calls, 251 s; GetPolicy 360/15
	// = 24 s; the shared Lambda control lane (6 + 120 + 1 + 1 + 2)/15; IAM 3/20.
	for _, tt := range []struct {
		scale, want float64
	}{{1, 251}, {10, 25.1}} {
		if got := LowerBound(w, ks, tt.scale); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("lower bound at scale %v: %v, want %v", tt.scale, got, tt.want)
		}
	}
}
