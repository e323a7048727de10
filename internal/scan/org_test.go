package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/world"
)

// genOrg is a small generated organization: n accounts, two regions, a few resources of
// every verdict in each. The role in account broken (if >= 0) trusts only a foreign
// account, so the scanner cannot assume it.
func genOrg(n, broken int) *world.World {
	w := awssim.Generate(awssim.GenSpec{Accounts: n, Regions: 2, FunctionsPerRegion: 4, SESIdentitiesPerRegion: 2,
		SESPoliciesPerIdentity: 1, RolesPerAccount: 4, LayersPerRegion: 1, LayerVersions: 1,
		Mix: awssim.Mix{Public: 0.15, Foreign: 0.15, ConfusedDeputy: 0.1, Trusted: 0.2}, Seed: 7})
	if broken >= 0 {
		roles := w.Accounts[broken].IAM.Roles
		for i := range roles {
			if roles[i].Name == awssim.DemoAuditRole {
				roles[i].AssumeRolePolicy = trustDoc(acctPrincipal(awssim.GenForeign))
			}
		}
	}
	return w
}

func orgOptions(t *testing.T, s *awssim.Server) OrgOptions {
	o := options(t, s)
	o.Config = s.Config(awssim.GenAccessKey(0), "us-east-1")
	b, err := access.NewBoundary(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Boundary = b
	return OrgOptions{Options: o, RoleName: awssim.DemoAuditRole, Dir: t.TempDir(), MaxAccounts: 3}
}

func TestOrgScanAssumesIntoEveryAccount(t *testing.T) {
	w := genOrg(5, 3)
	sim := startSim(t, w, awssim.Options{})
	o := orgOptions(t, sim)
	o.TrustOrganization = true
	res, err := RunOrg(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, res)
	var ids []string
	for _, a := range w.Accounts {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(s.Accounts, ids) {
		t.Errorf("accounts = %v, want all five %v", s.Accounts, ids)
	}
	broken := w.Accounts[3].ID
	var assumeGaps []finding.Gap
	for _, g := range s.Gaps {
		if g.Operation == "sts:AssumeRole" {
			assumeGaps = append(assumeGaps, g)
		} else {
			t.Errorf("unexpected gap %+v", g)
		}
	}
	if len(assumeGaps) != 1 || assumeGaps[0].Account != broken || !strings.Contains(assumeGaps[0].Error, "AccessDenied") {
		t.Fatalf("gaps = %+v, want one sts:AssumeRole AccessDenied gap for %s", assumeGaps, broken)
	}
	// The organization is trusted: its id and every account, the unassumable one too.
	if !slices.Contains(s.Boundary.TrustedOrgs, awssim.GenOrgID) || len(s.Boundary.TrustedAccounts) != 5 {
		t.Errorf("boundary = %+v, want the organization and its 5 accounts", s.Boundary)
	}
	// Every finding is what judging the world offline (minus the unreadable account) under
	// the same boundary gives: the assumed credentials read each account as it is.
	offline := *w
	offline.Accounts = slices.Delete(slices.Clone(w.Accounts), 3, 4)
	o.Boundary, _ = o.Boundary.With(ids, []string{awssim.GenOrgID})
	want, err := Judge(&offline, o.Options)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Findings) == 0 {
		t.Fatal("the generated organization has no findings; the test would prove nothing")
	}
	if diff := cmp.Diff(findingKeys(want), findingKeys(s)); diff != "" {
		t.Errorf("findings differ from the offline judgement (-want +got):\n%s", diff)
	}
	for _, f := range s.Findings {
		if f.Category == finding.CategoryUntrustedAccount && slices.ContainsFunc(f.Accounts, func(a string) bool { return slices.Contains(ids, a) }) {
			t.Errorf("finding %s names an account of the trusted organization: %v", f.ResourceARN, f.Accounts)
		}
	}

	// Statistics: one AssumeRole per account, per-account figures, and the totals add up.
	st := s.Stats
	if st.Calls["sts:AssumeRole"] != 5 || st.MinimalCalls["sts:AssumeRole"] != 5 {
		t.Errorf("AssumeRole calls %d, minimal %d, want 5 and 5", st.Calls["sts:AssumeRole"], st.MinimalCalls["sts:AssumeRole"])
	}
	if len(st.Accounts) != 4 {
		t.Errorf("per-account stats for %d accounts, want the 4 scanned", len(st.Accounts))
	}
	var lists int64
	for _, a := range st.Accounts {
		lists += a.Calls["lambda:ListFunctions"]
		if a.LowerBoundSec > st.LowerBoundSec {
			t.Errorf("an account's lower bound %v exceeds the total %v", a.LowerBoundSec, st.LowerBoundSec)
		}
	}
	if lists == 0 || st.Calls["lambda:ListFunctions"] != lists {
		t.Errorf("total ListFunctions %d, sum of accounts %d", st.Calls["lambda:ListFunctions"], lists)
	}

	// The snapshot streams from the per-account parts and judges to the same findings.
	var buf bytes.Buffer
	if err := res.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	snap, err := world.Parse("snapshot.json", buf.Bytes())
	if err != nil {
		t.Fatalf("snapshot does not parse: %v", err)
	}
	if len(snap.Accounts) != 4 || snap.Organization == nil || snap.Organization.ID != awssim.GenOrgID {
		t.Fatalf("snapshot: %d accounts, organization %+v", len(snap.Accounts), snap.Organization)
	}
	if strings.Contains(buf.String(), "AKIA") || strings.Contains(buf.String(), "ASIA") {
		t.Error("snapshot carries an access key")
	}
	again, err := Judge(snap, o.Options)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(findingKeys(s), findingKeys(again)); diff != "" {
		t.Errorf("snapshot judges differently (-scan +snapshot):\n%s", diff)
	}
}

func TestOrgScanShardsMergeToOneRun(t *testing.T) {
	w := genOrg(9, 2)
	sim := startSim(t, w, awssim.Options{})
	o := orgOptions(t, sim)
	o.MaxAccounts = 9
	whole, err := RunOrg(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	one := load(t, whole)
	var shards []string
	covered := 0
	for i := range 4 {
		so := o
		so.Dir = t.TempDir()
		so.Shard = Shard{Index: i, Count: 4}
		res, err := RunOrg(context.Background(), so)
		if err != nil {
			t.Fatal(err)
		}
		covered += len(res.Scan.Accounts)
		shards = append(shards, writeDoc(t, load(t, res)))
	}
	if covered != 9 {
		t.Errorf("4 shards scanned %d accounts, want each of 9 once", covered)
	}
	for name, paths := range map[string][]string{
		// a shard merged twice counts once
		"shards": append(slices.Clone(shards), shards[1]),
		// a retried run overlapping a shard: its findings and gaps count once
		"overlapping": {shards[0], writeDoc(t, one), shards[1], shards[2], shards[3]},
	} {
		res, err := MergeFiles(paths, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		merged := load(t, res)
		if diff := cmp.Diff(one.Findings, merged.Findings); diff != "" {
			t.Errorf("%s: merged findings differ from one run (-one +merged):\n%s", name, diff)
		}
		if diff := cmp.Diff(one.Gaps, merged.Gaps); diff != "" || len(one.Gaps) == 0 {
			t.Errorf("%s: merged gaps differ from one run's %d (-one +merged):\n%s", name, len(one.Gaps), diff)
		}
		if !slices.Equal(one.Accounts, merged.Accounts) || !cmp.Equal(one.Resources, merged.Resources) {
			t.Errorf("%s: merged accounts %v resources %v, one run %v %v", name, merged.Accounts, merged.Resources, one.Accounts, one.Resources)
		}
		if len(merged.Stats.Accounts) != 8 {
			t.Errorf("%s: merged per-account stats: %d accounts, want the 8 scanned", name, len(merged.Stats.Accounts))
		}
	}

	first := load(t, whole)
	first.Findings, first.Gaps = nil, nil
	other := *first
	other.Boundary = finding.Boundary{TrustedOrgs: []string{"o-elsewhere01"}}
	if _, err := MergeFiles([]string{shards[0], writeDoc(t, &other)}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "trust boundary") {
		t.Errorf("merging documents with different boundaries: err = %v", err)
	}
	newer := *first
	newer.SchemaVersion++
	if _, err := MergeFiles([]string{shards[0], writeDoc(t, &newer)}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "newer than this trustaudit reads") {
		t.Errorf("merging a document of a newer schema: err = %v", err)
	}
	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`{"schema_version":1,"findings":[{"id":"x"},{"rule":"no id"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MergeFiles([]string{shards[0], broken}, t.TempDir()); err == nil || !strings.Contains(err.Error(), broken) || !strings.Contains(err.Error(), "findings[1]") {
		t.Errorf("merging a document with a finding without id: err = %v, want the file and the finding named", err)
	}
}

// writeDoc saves a scan document where MergeFiles can read it.
func writeDoc(t *testing.T, s *finding.Scan) string {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "scan.json")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{in: "0/4", want: Shard{0, 4}},
		{in: "3/4", want: Shard{3, 4}},
		{in: "0/1", want: Shard{0, 1}},
		{in: "4/4", err: true},
		{in: "-1/4", err: true},
		{in: "1", err: true},
		{in: "a/b", err: true},
		{in: "0/0", err: true},
	} {
		got, err := ParseShard(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseShard(%q) = %v, %v", tc.in, got, err)
		}
	}
	// Every id lands in exactly one of N shards, and the split is fixed: a change of hash
	// would silently move accounts between the jobs of a running deployment.
	counts := make([]int, 4)
	for i := range 1000 {
		id := fmt.Sprintf("%012d", 100000000000+i*1111)
		n := 0
		for s := range 4 {
			if (Shard{s, 4}).Has(id) {
				n++
				counts[s]++
			}
		}
		if n != 1 {
			t.Fatalf("%s is in %d shards", id, n)
		}
	}
	for s, c := range counts {
		if c < 200 || c > 300 {
			t.Errorf("shard %d has %d of 1000 accounts; the split is lopsided", s, c)
		}
	}
	if !(Shard{0, 4}).Has("111122223333") || !(Shard{3, 4}).Has("444455556666") {
		t.Errorf("the demo accounts moved shards: 111122223333 in 0/4 %v, 444455556666 in 3/4 %v", (Shard{0, 4}).Has("111122223333"), (Shard{3, 4}).Has("444455556666"))
	}
}

func TestOrgScanNeedsOrganizationsAccess(t *testing.T) {
	w := genOrg(3, -1)
	sim := startSim(t, w, awssim.Options{})
	o := orgOptions(t, sim)
	o.Config = sim.Config(awssim.GenAccessKey(1), "us-east-1") // a member, not the management account
	o.RegionTimeout = 2 * time.Second
	_, err := RunOrg(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "organizations:ListAccounts") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("err = %v, want a ListAccounts AccessDenied error", err)
	}
}

// load reads an organization scan's whole document back from its runs on disk.
func load(t testing.TB, res *OrgResult) *finding.Scan {
	t.Helper()
	s, err := res.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ouOrg is genOrg(6) with an OU tree: account 1 in Security, 2 in Workloads, 3 and 4 in
// Prod (under Workloads), 0 and 5 under the root. A role in account 3 trusts account 1
// (Security) and another trusts account 5 (not under any OU).
func ouOrg() (*world.World, []string) {
	w := genOrg(6, -1)
	var ids []string
	for _, a := range w.Accounts {
		ids = append(ids, a.ID)
	}
	w.Organization.Root = "r-test"
	w.Organization.Units = []world.OrganizationalUnit{
		{ID: "ou-test-11111111", Name: "Security", Parent: "r-test"},
		{ID: "ou-test-22222222", Name: "Workloads", Parent: "r-test"},
		{ID: "ou-test-33333333", Name: "Prod", Parent: "ou-test-22222222"},
	}
	for i, p := range []string{"", "ou-test-11111111", "ou-test-22222222", "ou-test-33333333", "ou-test-33333333", ""} {
		w.Accounts[i].Parent = p
	}
	w.Accounts[3].IAM.Roles = append(w.Accounts[3].IAM.Roles,
		world.Role{Name: "from-security", AssumeRolePolicy: trustDoc(acctPrincipal(ids[1]))},
		world.Role{Name: "from-root", AssumeRolePolicy: trustDoc(acctPrincipal(ids[5]))})
	return w, ids
}

// TestOrgScanOUs scans the accounts under one OU, at any depth, and trusts the accounts
// under a trusted OU path: they are found by walking that OU, each page once.
func TestOrgScanOUs(t *testing.T) {
	w, ids := ouOrg()
	sim := startSim(t, w, awssim.Options{})
	o := orgOptions(t, sim)
	o.OUs = []string{"ou-test-22222222"}
	b, err := o.Boundary.WithOrgPaths([]string{awssim.GenOrgID + "/r-test/ou-test-11111111/"})
	if err != nil {
		t.Fatal(err)
	}
	o.Boundary = b
	res, err := RunOrg(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, res)
	if want := ids[2:5]; !slices.Equal(s.Accounts, want) {
		t.Errorf("accounts = %v, want Workloads and Prod's %v", s.Accounts, want)
	}
	if len(s.Gaps) > 0 {
		t.Errorf("gaps: %+v", s.Gaps)
	}
	if !slices.Equal(s.Boundary.TrustedAccounts, []string{ids[1]}) {
		t.Errorf("trusted accounts = %v, want Security's %s", s.Boundary.TrustedAccounts, ids[1])
	}
	reported := map[string][]string{}
	for _, f := range s.Findings {
		reported[f.ResourceARN] = append(reported[f.ResourceARN], f.Accounts...)
	}
	role := func(name string) string { return "arn:aws:iam::" + ids[3] + ":role/" + name }
	if got := reported[role("from-security")]; got != nil {
		t.Errorf("the role trusting Security's account is reported (%v); the trusted OU path covers it", got)
	}
	if got := reported[role("from-root")]; !slices.Equal(got, []string{ids[5]}) {
		t.Errorf("the role trusting %s (outside the trusted OU) reports %v", ids[5], got)
	}
	// Workloads, Prod and the trusted Security OU: one page of accounts and one of child
	// OUs each; ListAccounts is not needed.
	want := map[string]int64{"organizations:ListAccountsForParent": 3, "organizations:ListChildren": 3}
	for api, n := range want {
		if got, min := s.Stats.Calls[api], s.Stats.MinimalCalls[api]; got != n || min != n {
			t.Errorf("%s: %d calls, %d minimal; want %d", api, got, min, n)
		}
	}
	if n := s.Stats.Calls["organizations:ListAccounts"]; n != 0 {
		t.Errorf("ListAccounts called %d times with --ous", n)
	}

	// An OU that does not exist is an error that names it, not an empty clean scan.
	o.Dir = t.TempDir()
	o.OUs = []string{"ou-test-99999999"}
	if _, err := RunOrg(context.Background(), o); err == nil || !strings.Contains(err.Error(), "ou-test-99999999") || !strings.Contains(err.Error(), "ParentNotFound") {
		t.Errorf("scan of a missing OU: err = %v", err)
	}
}

func TestOrganizationBoundary(t *testing.T) {
	org := &world.Organization{ID: "o-test00000001", ManagementAccount: "111111111111", Members: []world.Member{
		{ID: "111111111111"},
		{ID: "222222222222", Path: "o-test00000001/r-test/ou-test-11111111/"},
		{ID: "333333333333", Path: "o-test00000001/r-test/ou-test-11111111/ou-test-22222222/"},
		{ID: "444444444444", Path: "o-test00000001/r-test/ou-test-33333333/"},
	}}
	for _, tc := range []struct {
		name     string
		paths    []string
		trustOrg bool
		accounts []string
		orgs     []string
	}{
		{name: "nothing to widen"},
		{name: "trust the organization", trustOrg: true, accounts: []string{"111111111111", "222222222222", "333333333333", "444444444444"}, orgs: []string{"o-test00000001"}},
		{name: "an OU path and its sub-OUs", paths: []string{"o-test00000001/r-test/ou-test-11111111/"}, accounts: []string{"222222222222", "333333333333"}},
		{name: "a sub-OU only", paths: []string{"o-test00000001/r-test/ou-test-11111111/ou-test-22222222/"}, accounts: []string{"333333333333"}},
		{name: "the root is every member", paths: []string{"o-test00000001/r-test/"}, accounts: []string{"111111111111", "222222222222", "333333333333", "444444444444"}},
		{name: "another organization's path", paths: []string{"o-other000001/r-test/ou-test-11111111/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := access.NewBoundary(nil, nil)
			if err == nil {
				b, err = b.WithOrgPaths(tc.paths)
			}
			if err == nil {
				b, err = OrganizationBoundary(b, org, tc.trustOrg)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Accounts(); !slices.Equal(got, tc.accounts) {
				t.Errorf("trusted accounts = %v, want %v", got, tc.accounts)
			}
			if got := b.Orgs(); !slices.Equal(got, tc.orgs) {
				t.Errorf("trusted organizations = %v, want %v", got, tc.orgs)
			}
		})
	}
}

// TestOrgScanSkipsSuspendedAccounts: a suspended account's role cannot be assumed; it is
// skipped and said so, not scanned and not a gap.
func TestOrgScanSkipsSuspendedAccounts(t *testing.T) {
	w := genOrg(4, -1)
	suspended := w.Accounts[2].ID
	w.Accounts[2].Status = "SUSPENDED"
	sim := startSim(t, w, awssim.Options{})
	res, err := RunOrg(context.Background(), orgOptions(t, sim))
	if err != nil {
		t.Fatal(err)
	}
	s := load(t, res)
	if slices.Contains(s.Accounts, suspended) || len(s.Accounts) != 3 {
		t.Errorf("accounts = %v, want the three active ones", s.Accounts)
	}
	if want := []finding.Skip{{Account: suspended, Reason: "account suspended"}}; !slices.Equal(s.Skipped, want) {
		t.Errorf("skipped = %+v, want %+v", s.Skipped, want)
	}
	if len(s.Gaps) > 0 {
		t.Errorf("gaps = %+v, want none", s.Gaps)
	}
}

// TestOneAccountTrustsItsOrganization: with TrustOrganization, a scan of one account looks
// its organization up. The management account's credentials list the members, which are
// then trusted; a member's cannot, so only the organization id is trusted and a notice says
// why; an account outside any organization gets a notice too.
func TestOneAccountTrustsItsOrganization(t *testing.T) {
	w := genOrg(4, -1)
	var ids []string
	for _, a := range w.Accounts {
		ids = append(ids, a.ID)
	}
	sim := startSim(t, w, awssim.Options{})
	scanAs := func(key string) *finding.Scan {
		t.Helper()
		o := options(t, sim)
		o.Config = sim.Config(key, "us-east-1")
		b, err := access.NewBoundary(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Boundary, o.TrustOrganization = b, true
		s, snap, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Organization == nil && len(s.Boundary.TrustedOrgs) > 0 {
			t.Errorf("the snapshot does not record the organization the boundary trusts")
		}
		return s
	}
	untrustedSiblings := func(s *finding.Scan) (n int) {
		for _, f := range s.Findings {
			for _, a := range f.Accounts {
				if slices.Contains(ids, a) {
					n++
				}
			}
		}
		return n
	}

	mgmt := scanAs(awssim.GenAccessKey(0))
	if !slices.Equal(mgmt.Boundary.TrustedAccounts, ids) || !slices.Equal(mgmt.Boundary.TrustedOrgs, []string{awssim.GenOrgID}) {
		t.Errorf("management account: trusted %v and %v, want the members %v and %s", mgmt.Boundary.TrustedAccounts, mgmt.Boundary.TrustedOrgs, ids, awssim.GenOrgID)
	}
	if n := untrustedSiblings(mgmt); n != 0 || len(mgmt.Notices) != 0 {
		t.Errorf("management account: %d findings name a member, notices %q", n, mgmt.Notices)
	}
	for _, api := range []string{"organizations:DescribeOrganization", "organizations:ListAccounts"} {
		if c, m := mgmt.Stats.Calls[api], mgmt.Stats.MinimalCalls[api]; c != 1 || m != 1 {
			t.Errorf("%s: %d calls, %d minimal; want 1", api, c, m)
		}
	}

	member := scanAs(awssim.GenAccessKey(2))
	if len(member.Boundary.TrustedAccounts) != 0 || !slices.Equal(member.Boundary.TrustedOrgs, []string{awssim.GenOrgID}) {
		t.Errorf("member account: trusted %v and %v, want only %s", member.Boundary.TrustedAccounts, member.Boundary.TrustedOrgs, awssim.GenOrgID)
	}
	if len(member.Notices) != 1 || !strings.Contains(member.Notices[0], "organizations:ListAccounts") {
		t.Errorf("member account: notices %q, want one saying the accounts could not be listed", member.Notices)
	}
	if untrustedSiblings(member) == 0 {
		t.Errorf("member account: no finding names a sibling; the generated mix grants some")
	}

	alone := genOrg(1, -1)
	alone.Organization = nil
	solo := startSim(t, alone, awssim.Options{})
	o := options(t, solo)
	o.Config = solo.Config(awssim.GenAccessKey(0), "us-east-1")
	o.TrustOrganization = true
	s, _, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Notices) != 1 || !strings.Contains(s.Notices[0], "belongs to no organization") {
		t.Errorf("account outside any organization: notices %q", s.Notices)
	}
}
