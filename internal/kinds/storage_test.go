package kinds_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// The storage kinds' tests: each kind's world holds a public, an untrusted-account, a
// trusted and a clean resource (and what else the kind has); a scan through the real SDK
// clients against the simulator must find exactly the first two, read exactly what the
// world holds in the minimal calls, and a fix must take both away and a restore put them
// back.

const (
	stOwner   = "111111111111"
	stTrusted = "222222222222"
	stForeign = "999988887777"
	stKey     = "AKIASTORAGETEST11111"
)

func stRoot(a string) string { return "arn:aws:iam::" + a + ":root" }

func stDoc(sid, principal, action, resource string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":%q,"Effect":"Allow","Principal":%s,"Action":%q,"Resource":%q}]}`, sid, principal, action, resource))
}

// stMixed trusts one account and a stranger in two statements: a fix keeps the first.
func stMixed(action, resource string) world.Policy {
	return world.Policy(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":%q},"Action":%q,"Resource":%q},{"Sid":"Stranger","Effect":"Allow","Principal":{"AWS":%q},"Action":%q,"Resource":%q}]}`,
		stRoot(stTrusted), action, resource, stRoot(stForeign), action, resource))
}

func stAWS(a string) string { return fmt.Sprintf(`{"AWS":%q}`, stRoot(a)) }

type stCase struct {
	kind     string
	regions  []world.Region
	settings map[string]string
	want     []string // "rule ARN"
	fixable  []string // ARNs a fix rewrites
	notices  int
}

func stWorld(tc stCase) *world.World {
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{{
			ID:         stOwner,
			AccessKeys: []world.AccessKey{{ID: stKey, ARN: "arn:aws:iam::" + stOwner + ":user/auditor"}},
			Regions:    tc.regions,
			Settings:   tc.settings,
		}},
	}
}

func stCases() []stCase {
	bucket := func(n string) string { return "arn:aws:s3:::" + n }
	obj := func(n string) string { return "arn:aws:s3:::" + n + "/*" }
	ap := func(r, n string) string { return "arn:aws:s3:" + r + ":" + stOwner + ":accesspoint/" + n }
	allUsersRead := []world.Grant{{Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", GranteeType: "Group", Permissions: []string{"READ"}}}
	pab := func(flag string) map[string]string {
		m := map[string]string{"BlockPublicAcls": "false", "IgnorePublicAcls": "false", "BlockPublicPolicy": "false", "RestrictPublicBuckets": "false"}
		m[flag] = "true"
		return m
	}
	return []stCase{
		{
			kind: "s3-bucket",
			regions: []world.Region{
				{Name: "us-east-1", Resources: []world.Resource{
					{Kind: "s3-bucket", Name: "public", Policy: stDoc("Endgame", `"*"`, "s3:GetObject", obj("public"))},
					{Kind: "s3-bucket", Name: "partner", Policy: stMixed("s3:GetObject", obj("partner"))},
					{Kind: "s3-bucket", Name: "trusted", Policy: stDoc("T", stAWS(stTrusted), "s3:GetObject", obj("trusted"))},
					{Kind: "s3-bucket", Name: "clean"},
					{Kind: "s3-bucket", Name: "acl-public", Grants: allUsersRead},
					// Grants S3 itself ignores: notices, not findings.
					{Kind: "s3-bucket", Name: "acl-ignored", Grants: allUsersRead, Attributes: pab("IgnorePublicAcls")},
					{Kind: "s3-bucket", Name: "restricted", Policy: stDoc("Open", `"*"`, "s3:GetObject", obj("restricted")), Attributes: pab("RestrictPublicBuckets")},
					// RestrictPublicBuckets does not touch a policy that is not public.
					{Kind: "s3-bucket", Name: "restricted-partner", Policy: stDoc("P", stAWS(stForeign), "s3:GetObject", obj("restricted-partner")), Attributes: pab("RestrictPublicBuckets")},
				}},
				{Name: "eu-west-1", Resources: []world.Resource{
					{Kind: "s3-bucket", Name: "eu-authenticated", Grants: []world.Grant{{Grantee: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", Permissions: []string{"WRITE", "READ_ACP"}}, {Grantee: stTrusted, GranteeType: "CanonicalUser", Permissions: []string{"READ"}}}},
				}},
			},
			want: []string{
				"s3-bucket/public " + bucket("acl-public"),
				"s3-bucket/public " + bucket("eu-authenticated"),
				"s3-bucket/public " + bucket("public"),
				"s3-bucket/untrusted-account " + bucket("partner"),
				"s3-bucket/untrusted-account " + bucket("restricted-partner"),
			},
			fixable: []string{bucket("public"), bucket("partner"), bucket("restricted-partner"), bucket("acl-public"), bucket("eu-authenticated")},
			notices: 2,
		},
		{
			kind:     "s3-bucket",
			settings: map[string]string{"s3:BlockPublicAcls": "true", "s3:IgnorePublicAcls": "true", "s3:BlockPublicPolicy": "false", "s3:RestrictPublicBuckets": "false"},
			regions: []world.Region{{Name: "us-east-1", Resources: []world.Resource{
				{Kind: "s3-bucket", Name: "acl-public", Grants: allUsersRead},
				{Kind: "s3-bucket", Name: "public", Policy: stDoc("Endgame", `"*"`, "s3:GetObject", obj("public"))},
			}}},
			want:    []string{"s3-bucket/public " + bucket("public")},
			fixable: []string{bucket("public")},
			notices: 1,
		},
		{
			kind: "s3-access-point",
			regions: []world.Region{{Name: "us-east-1", Resources: []world.Resource{
				{Kind: "s3-access-point", Name: "public", Attributes: map[string]string{"Bucket": "b"}, Policy: stDoc("Endgame", `{"AWS":"*"}`, "s3:GetObject", ap("us-east-1", "public")+"/object/*")},
				{Kind: "s3-access-point", Name: "partner", Attributes: map[string]string{"Bucket": "b"}, Policy: stMixed("s3:GetObject", ap("us-east-1", "partner")+"/object/*")},
				{Kind: "s3-access-point", Name: "trusted", Attributes: map[string]string{"Bucket": "b"}, Policy: stDoc("T", stAWS(stTrusted), "s3:GetObject", ap("us-east-1", "trusted")+"/object/*")},
				{Kind: "s3-access-point", Name: "clean", Attributes: map[string]string{"Bucket": "b"}},
				// Reachable only from its VPC: a notice, not a finding.
				{Kind: "s3-access-point", Name: "vpc-only", Attributes: map[string]string{"Bucket": "b", "NetworkOrigin": "VPC"}, Policy: stDoc("Open", `{"AWS":"*"}`, "s3:GetObject", ap("us-east-1", "vpc-only")+"/object/*")},
			}}},
			notices: 1,
			want: []string{
				"s3-access-point/public " + ap("us-east-1", "public"),
				"s3-access-point/untrusted-account " + ap("us-east-1", "partner"),
			},
			fixable: []string{ap("us-east-1", "public"), ap("us-east-1", "partner")},
		},
		{
			kind:     "s3-access-point",
			settings: map[string]string{"s3:BlockPublicAcls": "false", "s3:IgnorePublicAcls": "false", "s3:BlockPublicPolicy": "true", "s3:RestrictPublicBuckets": "true"},
			regions: []world.Region{{Name: "us-east-1", Resources: []world.Resource{
				{Kind: "s3-access-point", Name: "public", Attributes: map[string]string{"Bucket": "b"}, Policy: stDoc("Endgame", `{"AWS":"*"}`, "s3:GetObject", ap("us-east-1", "public")+"/object/*")},
				{Kind: "s3-access-point", Name: "partner", Attributes: map[string]string{"Bucket": "b"}, Policy: stMixed("s3:GetObject", ap("us-east-1", "partner")+"/object/*")},
			}}},
			want:    []string{"s3-access-point/untrusted-account " + ap("us-east-1", "partner")},
			fixable: []string{ap("us-east-1", "partner")},
			notices: 1,
		},
		stSimple("efs-filesystem", []string{"fs-0000000000000001", "fs-0000000000000002", "fs-0000000000000003", "fs-0000000000000004"},
			func(n string) string { return "arn:aws:elasticfilesystem:us-east-1:" + stOwner + ":file-system/" + n },
			"elasticfilesystem:ClientMount", nil),
		stSimple("glacier-vault", []string{"v-public", "v-partner", "v-trusted", "v-clean"},
			func(n string) string { return "arn:aws:glacier:us-east-1:" + stOwner + ":vaults/" + n },
			"glacier:InitiateJob", nil),
		stPaged(stSimple("glacier-vault", []string{"v-public", "v-partner", "v-trusted", "v-clean"},
			func(n string) string { return "arn:aws:glacier:us-east-1:" + stOwner + ":vaults/" + n },
			"glacier:InitiateJob", nil), 25, "arn:aws:glacier:us-east-1:"+stOwner+":vaults/"),
		stSimple("backup-vault", []string{"b-public", "b-partner", "b-trusted", "b-clean"},
			func(n string) string { return "arn:aws:backup:us-east-1:" + stOwner + ":backup-vault:" + n },
			"backup:CopyIntoBackupVault", nil),
		// A domain's policy is never deleted: the public one, left empty by a fix, is manual.
		stFixOnly(1, stPaged(stSimple("opensearch-domain", []string{"os-public", "os-partner", "os-trusted", "os-clean"},
			func(n string) string { return "arn:aws:es:us-east-1:" + stOwner + ":domain/" + n },
			"es:ESHttpGet", map[string]string{"EngineVersion": "Elasticsearch_7.10"}), 7, "arn:aws:es:us-east-1:"+stOwner+":domain/")),
		stNoFix(stPaged(stSimple("apigateway-rest-api", []string{"pub0000001", "par0000001", "tru0000001", "cln0000001"},
			func(n string) string { return "arn:aws:apigateway:us-east-1::/restapis/" + n },
			"execute-api:Invoke", map[string]string{"name": "api"}), 3, "arn:aws:apigateway:us-east-1::/restapis/")),
		stSimple("acm-pca", []string{"11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333", "44444444-4444-4444-4444-444444444444"},
			func(n string) string { return "arn:aws:acm-pca:us-east-1:" + stOwner + ":certificate-authority/" + n },
			"acm-pca:IssueCertificate", nil),
	}
}

// stSimple is the world of a kind with one policy per resource: names[0] public, names[1]
// untrusted next to a trusted account, names[2] trusted, names[3] clean.
func stSimple(kind string, names []string, arn func(string) string, action string, attrs map[string]string) stCase {
	rs := []world.Resource{
		{Kind: kind, Name: names[0], ARN: arn(names[0]), Attributes: attrs, Policy: stDoc("Endgame", `{"AWS":"*"}`, action, arn(names[0]))},
		{Kind: kind, Name: names[1], ARN: arn(names[1]), Attributes: attrs, Policy: stMixed(action, arn(names[1]))},
		{Kind: kind, Name: names[2], ARN: arn(names[2]), Attributes: attrs, Policy: stDoc("T", stAWS(stTrusted), action, arn(names[2]))},
		{Kind: kind, Name: names[3], ARN: arn(names[3]), Attributes: attrs},
	}
	return stCase{
		kind:    kind,
		regions: []world.Region{{Name: "us-east-1", Resources: rs}},
		want:    []string{kind + "/public " + arn(names[0]), kind + "/untrusted-account " + arn(names[1])},
		fixable: []string{arn(names[0]), arn(names[1])},
	}
}

// stPaged adds n clean resources, more than a page, before the case's own.
func stPaged(tc stCase, n int, arnPrefix string) stCase {
	var extra []world.Resource
	for i := range n {
		name := fmt.Sprintf("a-clean-%03d", i)
		extra = append(extra, world.Resource{Kind: tc.kind, Name: name, ARN: arnPrefix + name})
	}
	tc.regions[0].Resources = append(extra, tc.regions[0].Resources...)
	return tc
}

// stFixOnly keeps the i-th fixable resource only.
func stFixOnly(i int, tc stCase) stCase {
	tc.fixable = tc.fixable[i : i+1]
	return tc
}

func stOriginalGrants(tc stCase, name string) []world.Grant {
	for _, r := range tc.regions {
		for _, x := range r.Resources {
			if x.Name == name {
				return x.Grants
			}
		}
	}
	return nil
}

// stNoFix marks a kind without remediation.
func stNoFix(tc stCase) stCase {
	tc.fixable = nil
	return tc
}

func stScan(t *testing.T, s *awssim.Server, tc stCase) (*finding.Scan, *world.World) {
	t.Helper()
	var regions []string
	for _, r := range tc.regions {
		regions = append(regions, r.Name)
	}
	return scanWith(t, stTrusted, scan.Options{
		Config: s.Config(stKey, "us-east-1"), RateScale: 100, Regions: regions,
		KindSet: []kinds.Kind{getKind(t, tc.kind)}, RequestTimeout: 5 * time.Second, RegionTimeout: 5 * time.Second,
	})
}

// stCalls are the calls the simulator answered, keyed as the scan counts them.
func stCalls(s *awssim.Server) map[string]int64 {
	m := map[string]int64{}
	for _, c := range s.Counters() {
		if c.Outcome == "ok" || strings.Contains(c.Outcome, "NoSuch") || strings.Contains(c.Outcome, "NotFound") {
			svc := map[string]string{"elasticfilesystem": "efs", "es": "opensearch", "apigateway": "api gateway", "acm-pca": "acm pca", "s3control": "s3 control"}[c.Service]
			m[cmpOr(svc, c.Service)+":"+c.Operation] += c.N
		}
	}
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestStorageKindsCollectAndJudge(t *testing.T) {
	for i, tc := range stCases() {
		t.Run(fmt.Sprintf("%s-%d", tc.kind, i), func(t *testing.T) {
			w0 := stWorld(tc)
			sim := startSimScaled(t, w0, 100)
			sc, w := stScan(t, sim, tc)
			want := slices.Sorted(slices.Values(tc.want))
			if got := keys(sc); !slices.Equal(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
			}
			if len(sc.Notices) != tc.notices {
				t.Errorf("notices: got %q, want %d", sc.Notices, tc.notices)
			}
			n := 0
			for _, r := range tc.regions {
				n += len(r.Resources)
			}
			if got := sc.Resources[tc.kind]; got != n {
				t.Errorf("resources: got %d, want %d", got, n)
			}
			// What was collected judges as the world itself does.
			k, _ := kinds.Get(tc.kind)
			got := policyDocs(k, w.Account(stOwner))
			for _, p := range k.Policies(w0.Account(stOwner)) {
				if got[p.ResourceARN+"#"+p.PolicyName] != p.Document {
					t.Errorf("%s#%s: collected %q, want %q", p.ResourceARN, p.PolicyName, got[p.ResourceARN+"#"+p.PolicyName], p.Document)
				}
			}
			// Exactly the minimal calls (PERFORMANCE.md §1) were made.
			calls := stCalls(sim)
			for op, n := range k.MinimalCalls(w.Account(stOwner)) {
				if calls[op] != n {
					t.Errorf("%s: %d calls, minimal %d", op, calls[op], n)
				}
			}
			for _, f := range sc.Findings {
				if f.Explanation == "" {
					t.Errorf("%s: no explanation", f.ResourceARN)
				}
			}
		})
	}
}

func TestStorageKindsFixRestore(t *testing.T) {
	ctx := context.Background()
	for i, tc := range stCases() {
		if len(tc.fixable) == 0 {
			continue
		}
		t.Run(fmt.Sprintf("%s-%d", tc.kind, i), func(t *testing.T) {
			sim := startSimScaled(t, stWorld(tc), 100)
			k, _ := kinds.Get(tc.kind)
			policies := func() map[string]string { return policyDocs(k, sim.World().Account(stOwner)) }
			before := policies()
			s1, w1 := stScan(t, sim, tc)
			// Only what can be fixed is asked for.
			s1.Findings = slices.DeleteFunc(s1.Findings, func(f finding.Finding) bool { return !slices.Contains(tc.fixable, f.ResourceARN) })
			cfg := noRetry(sim.Config(stKey, "us-east-1"))
			rep, dir := applyFix(t, ctx, fix.Options{Config: cfg, Scan: s1, World: w1})
			applied := appliedARNs(rep)
			if want := slices.Sorted(slices.Values(tc.fixable)); !rep.OK() || !slices.Equal(applied, want) {
				t.Fatalf("applied %v, want %v\n%s", applied, want, reportText(rep))
			}
			s2, _ := stScan(t, sim, tc)
			for _, key := range keys(s2) {
				for _, arn := range tc.fixable {
					if strings.HasSuffix(key, " "+arn) {
						t.Errorf("finding after fix: %s", key)
					}
				}
			}
			// ACL grants to single canonical users are not the fix's business.
			for _, r := range sim.World().Accounts[0].Regions {
				for _, x := range r.Resources {
					for _, g := range stOriginalGrants(tc, x.Name) {
						if g.GranteeType == "CanonicalUser" && !slices.ContainsFunc(x.Grants, func(h world.Grant) bool { return h.Grantee == awssim.S3CanonicalID(g.Grantee) }) {
							t.Errorf("%s lost its grant to %s: %+v", x.Name, g.Grantee, x.Grants)
						}
					}
				}
			}
			after := policies()
			for key, d := range before {
				if strings.Contains(d, stRoot(stTrusted)) && !strings.Contains(after[key], stRoot(stTrusted)) {
					t.Errorf("%s lost its trusted grant: %s", key, after[key])
				}
			}
			rrep := restoreFrom(t, ctx, cfg, dir)
			if !rrep.OK() {
				t.Fatalf("restore: %s", reportText(rrep))
			}
			restored := policies()
			for key, d := range before {
				if restored[key] != d {
					t.Errorf("%s restored as %s, was %s", key, restored[key], d)
				}
			}
		})
	}
}
