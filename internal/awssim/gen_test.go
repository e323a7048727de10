package awssim

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/policy"
)

func genSmall(seed int64, mix Mix) GenSpec {
	return GenSpec{Accounts: 3, Regions: 2, FunctionsPerRegion: 4, VersionsPerFunction: 2, AliasesPerFunction: 1,
		SESIdentitiesPerRegion: 3, SESPoliciesPerIdentity: 2, RolesPerAccount: 5, LayersPerRegion: 2, LayerVersions: 2,
		Mix: mix, Seed: seed}
}

func TestGenerateIsDeterministicAndValid(t *testing.T) {
	mix := Mix{Public: 0.1, Foreign: 0.2, ConfusedDeputy: 0.1, Trusted: 0.2, None: 0.2}
	a, b := Generate(genSmall(1, mix)), Generate(genSmall(1, mix))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different worlds:\n%s", diff)
	}
	if cmp.Equal(a, Generate(genSmall(2, mix))) {
		t.Error("different seeds gave the same world")
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(a.Accounts) != 3 || a.Organization.ManagementAccount != a.Accounts[0].ID {
		t.Fatalf("accounts/organization: %d %+v", len(a.Accounts), a.Organization)
	}
	for _, acct := range a.Accounts {
		if len(acct.IAM.Roles) != 6 || acct.IAM.Roles[0].Name != DemoAuditRole {
			t.Errorf("%s: %d roles, first %s", acct.ID, len(acct.IAM.Roles), acct.IAM.Roles[0].Name)
		}
		if len(acct.Regions) != 2 {
			t.Fatalf("%s: %d regions", acct.ID, len(acct.Regions))
		}
		for _, r := range acct.Regions {
			if len(r.LambdaFunctions) != 4 || len(r.SESIdentities) != 3 || len(r.LambdaLayers) != 2 {
				t.Errorf("%s %s: %d functions, %d identities, %d layers", acct.ID, r.Name, len(r.LambdaFunctions), len(r.SESIdentities), len(r.LambdaLayers))
			}
			for _, f := range r.LambdaFunctions {
				if len(f.Versions) != 2 || len(f.Aliases) != 1 {
					t.Errorf("%s: %d versions %d aliases", f.Name, len(f.Versions), len(f.Aliases))
				}
			}
		}
	}
	for place, p := range demoPolicies(a) {
		if _, err := policy.ParseString(p); err != nil {
			t.Errorf("%s: %v", place, err)
		}
	}
}

func TestGenerateFollowsTheMix(t *testing.T) {
	cases := []struct {
		name     string
		mix      Mix
		function string // what every function policy contains ("" = no policy)
		role     string // what every non-audit trust policy contains
	}{
		{"public", Mix{Public: 1}, `"Principal":"*"`, `{"AWS":"*"}`},
		{"foreign", Mix{Foreign: 1}, GenForeign, GenForeign},
		{"deputy", Mix{ConfusedDeputy: 1}, `{"Service":"s3.amazonaws.com"}`, `{"Service":"ec2.amazonaws.com"}`},
		{"none", Mix{None: 1}, "", ""},
		{"same account", Mix{}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := Generate(genSmall(3, tc.mix))
			if err := w.Validate(); err != nil {
				t.Fatal(err)
			}
			for _, a := range w.Accounts {
				for _, r := range a.IAM.Roles[1:] {
					p := string(r.AssumeRolePolicy)
					if tc.role != "" && !strings.Contains(p, tc.role) {
						t.Errorf("%s role %s: %s", a.ID, r.Name, p)
					}
					if tc.role == "" && !strings.Contains(p, "arn:aws:iam::"+a.ID+":root") {
						t.Errorf("%s role %s is not same-account: %s", a.ID, r.Name, p)
					}
				}
				for _, reg := range a.Regions {
					for _, f := range reg.LambdaFunctions {
						p := string(f.Policy)
						switch {
						case tc.name == "none" && p != "":
							t.Errorf("%s has a policy", f.Name)
						case tc.name == "same account" && !strings.Contains(p, "arn:aws:iam::"+a.ID+":root"):
							t.Errorf("%s: %s", f.Name, p)
						case tc.function != "" && !strings.Contains(p, tc.function):
							t.Errorf("%s: %s", f.Name, p)
						}
					}
				}
			}
		})
	}
}

func TestGenerateOUTree(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 5, 21, 22, 60} {
		t.Run(fmt.Sprint(n, " OUs"), func(t *testing.T) {
			spec := GenSpec{Accounts: 40, Regions: 1, RolesPerAccount: 2, FunctionsPerRegion: 1, Mix: Mix{Trusted: 0.5}, Seed: 7, OUs: n}
			w := Generate(spec)
			if err := w.Validate(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, Generate(spec)); diff != "" {
				t.Fatalf("same spec, different trees:\n%s", diff)
			}
			o := w.Organization
			if len(o.Units) != n {
				t.Fatalf("%d units, want %d", len(o.Units), n)
			}
			for k, name := range genTopOUs[:min(n, len(genTopOUs))] {
				if u := o.Units[k]; u.Name != name || u.Parent != o.RootID() {
					t.Errorf("unit %d = %+v, want top-level %s", k, u, name)
				}
			}
			names := map[string]bool{}
			for _, u := range o.Units {
				path, ok := w.OUPath(u.ID)
				if depth := strings.Count(path, "/") - 2; !ok || depth > 3 {
					t.Errorf("OU %s: path %q (depth %d), want at most 3 levels", u.ID, path, depth)
				}
				if names[u.Name] {
					t.Errorf("OU name %s appears twice", u.Name)
				}
				names[u.Name] = true
			}
			held := map[string]int{}
			for _, a := range w.Accounts {
				path, ok := w.OrgPath(a.ID)
				if !ok || !strings.HasPrefix(path, GenOrgID+"/r-gen0/") {
					t.Errorf("account %s: OrgPath %q, %v", a.ID, path, ok)
				}
				held[a.Parent]++
			}
			underRoot := 1 // the management account
			if n == 0 {
				underRoot = len(w.Accounts)
			}
			if held[""] != underRoot {
				t.Errorf("%d accounts under the root, want %d", held[""], underRoot)
			}
			if p, _ := w.OrgPath(w.Organization.ManagementAccount); p != GenOrgID+"/r-gen0/" {
				t.Errorf("management account path %q, want the root", p)
			}
			for _, u := range o.Units[:min(n, 39)] {
				if held[u.ID] == 0 {
					t.Errorf("OU %s holds no account", u.ID)
				}
			}
			// The tree takes no randomness: without it, the world is the one a spec
			// without OUs gives.
			for i := range w.Accounts {
				w.Accounts[i].Parent = ""
			}
			o.Root, o.Units = "", nil
			spec.OUs = 0
			if diff := cmp.Diff(Generate(spec), w); diff != "" {
				t.Errorf("adding OUs changed the rest of the world:\n%s", diff)
			}
		})
	}
}

func TestGeneratedWorldIsServed(t *testing.T) {
	w := Generate(genSmall(4, Mix{Trusted: 0.5}))
	s := fwStart(t, Options{World: w})
	ctx := context.Background()
	id, err := sts.NewFromConfig(s.Config(GenAccessKey(2), "us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Account != w.Accounts[2].ID {
		t.Fatalf("GenAccessKey(2): %v %v", id, err)
	}
	out, err := sts.NewFromConfig(s.Config(GenAccessKey(0), "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + w.Accounts[1].ID + ":role/" + DemoAuditRole), RoleSessionName: aws.String("scan")})
	if err != nil {
		t.Fatalf("assume into a member: %v", err)
	}
	roles, err := iam.NewFromConfig(s.Config(*out.Credentials.AccessKeyId, "us-east-1")).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil || len(roles.Roles) != 6 {
		t.Errorf("member roles: %v", err)
	}
}

// TestGenerateLargeEstate prints how long a 200-account, 17-region estate takes to generate
// and start (run with -v); it asserts only the shape.
func TestGenerateLargeEstate(t *testing.T) {
	if testing.Short() {
		t.Skip("large estate")
	}
	spec := GenSpec{Accounts: 200, Regions: 17, FunctionsPerRegion: 10, VersionsPerFunction: 1, AliasesPerFunction: 1,
		SESIdentitiesPerRegion: 3, SESPoliciesPerIdentity: 1, RolesPerAccount: 20, LayersPerRegion: 1, LayerVersions: 2,
		Mix: Mix{Public: 0.02, Foreign: 0.05, ConfusedDeputy: 0.05, Trusted: 0.1, None: 0.5}, Seed: 42}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	w := Generate(spec)
	genTime := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	start = time.Now()
	s := fwStart(t, Options{World: w})
	startTime := time.Since(start)
	if len(w.Accounts) != 200 || len(w.Accounts[199].Regions) != 17 {
		t.Fatalf("shape: %d accounts", len(w.Accounts))
	}
	if w.Accounts[199].Regions[16].Name != "sa-east-1" || len(s.World().Accounts[199].Regions[16].LambdaFunctions) != 10 {
		t.Error("last region wrong")
	}
	t.Logf("200 accounts x 17 regions: %d functions; generated in %v (%.0f MB allocated), served copy in %v",
		200*17*10, genTime, float64(after.TotalAlloc-before.TotalAlloc)/1e6, startTime)
}

func BenchmarkGenerate200x17(b *testing.B) {
	spec := GenSpec{Accounts: 200, Regions: 17, FunctionsPerRegion: 10, VersionsPerFunction: 1, AliasesPerFunction: 1,
		SESIdentitiesPerRegion: 3, SESPoliciesPerIdentity: 1, RolesPerAccount: 20, LayersPerRegion: 1, LayerVersions: 2,
		Mix: Mix{Public: 0.02, Foreign: 0.05, ConfusedDeputy: 0.05, Trusted: 0.1, None: 0.5}, Seed: 42}
	b.ReportAllocs()
	for b.Loop() {
		Generate(spec)
	}
}

// BenchmarkQuotaRate drives one bucket (iam:read, 20/s per account at TimeScale 1) flat out
// with N goroutines through the SDK, retries off, for a fixed window, and reports the rate
// of successful calls beside the configured one. The first burst (max(1, rate) tokens) is
// spent before the window opens, so the figure is the refill rate alone.
//
//	go test -run '^$' -bench BenchmarkQuotaRate -benchtime 1x ./internal/awssim/
func BenchmarkQuotaRate(b *testing.B) {
	for _, scale := range []float64{1, 10} {
		for _, workers := range []int{4, 32} {
			b.Run(fmt.Sprintf("scale=%g/workers=%d", scale, workers), func(b *testing.B) {
				for b.Loop() {
					achieved, offered, configured := quotaRun(b, scale, workers, 3*time.Second)
					b.ReportMetric(achieved, "ok/s")
					b.ReportMetric(offered, "calls/s")
					b.ReportMetric(configured, "quota/s")
					b.ReportMetric(achieved/configured, "achieved/quota")
				}
			})
		}
	}
}

// quotaRun counts the answers that arrived inside the window; calls/s is the offered load
// (all answers, throttles included), which shows whether the bucket or the machine limits.
func quotaRun(b *testing.B, scale float64, workers int, window time.Duration) (achieved, offered, configured float64) {
	s, err := Start(Options{World: fwWorld(b), TimeScale: scale})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	configured = DefaultQuotas()["iam:read"] * scale
	cfg := fwNoRetry(s, fwMgmtKey, "us-east-1")
	client := iam.NewFromConfig(cfg)
	ctx := context.Background()
	call := func() bool {
		_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("alpha")})
		return err == nil
	}
	// Spend the burst so that the window measures the refill rate.
	for i := 0; i < int(max(1, configured)); i++ {
		call()
	}
	var ok, all atomic.Int64
	deadline := time.Now().Add(window)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				success := call()
				if time.Now().After(deadline) {
					return
				}
				all.Add(1)
				if success {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / window.Seconds(), float64(all.Load()) / window.Seconds(), configured
}
