package kinds_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// The sharing kinds (EBS snapshots, AMIs, RDS snapshots) are tested the same way: a world
// with a public, an untrusted-account, a trusted, a mixed and a clean resource is scanned
// through the simulator, judged, fixed and restored.

const (
	shOwner   = "111122223333"
	shTrusted = "444455556666"
	shForeign = "999988887777"
	shKey     = "AKIASHARETEST0000001"
	shRegion  = "us-east-1"
	// shScale runs the simulator's quotas and the scan's lanes 50 times faster, so the
	// slow RDS lane does not make the tests slow.
	shScale = 50
)

// sharingCase is one sharing kind's round trip.
type sharingCase struct {
	kind      string
	resources []world.Resource // in shRegion; Shares as the API lists them
	unlisted  []string         // resources the scan must not collect (RDS automated snapshots)
	// findings are "name rule" of every finding the scan must report, sorted.
	findings []string
	// afterFix are the shares each resource must be left with by the fix, and remain the
	// findings a fix leaves to a person.
	afterFix map[string][]string
	remain   []string
	// calls are the API calls the scan must make, exactly.
	calls map[string]int64
	// settings are the account's settings; notices how many notices the scan must give.
	settings map[string]string
	notices  int
}

func sharingWorld(c sharingCase) *world.World {
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{{
			ID:         shOwner,
			Settings:   c.settings,
			AccessKeys: []world.AccessKey{{ID: shKey, ARN: "arn:aws:iam::" + shOwner + ":user/auditor"}},
			Regions:    []world.Region{{Name: shRegion, Resources: slices.Clone(c.resources)}},
		}},
	}
}

func sharingScan(t *testing.T, sim *awssim.Server, kind string) (*finding.Scan, *world.World) {
	t.Helper()
	return scanWith(t, shTrusted, scan.Options{Config: sim.Config(shKey, shRegion), Kinds: []string{kind}, Regions: []string{shRegion}, RateScale: shScale})
}

// shFindingKeys names findings by resource name (the ARN's last segment) and rule.
func shFindingKeys(sc *finding.Scan) []string {
	var out []string
	for _, f := range sc.Findings {
		name := f.ResourceARN[strings.LastIndexAny(f.ResourceARN, "/:")+1:]
		out = append(out, name+" "+f.Rule)
	}
	sort.Strings(out)
	return out
}

// sharesByName are the shares of each resource of kind, sorted.
func sharesByName(w *world.World, kind string) map[string][]string {
	out := map[string][]string{}
	for _, r := range w.Accounts[0].Regions[0].Resources {
		if r.Kind == kind {
			s := slices.Clone(r.Shares)
			slices.Sort(s)
			out[r.Name] = s
		}
	}
	return out
}

func runSharingCase(t *testing.T, c sharingCase) {
	sim := startSimScaled(t, sharingWorld(c), shScale)
	ctx := context.Background()
	original := sharesByName(sim.World(), c.kind)

	// Collect and judge.
	s1, w1 := sharingScan(t, sim, c.kind)
	listed := maps.Clone(original)
	for _, name := range c.unlisted {
		delete(listed, name)
	}
	if diff := cmp.Diff(listed, sharesByName(w1, c.kind), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("collected shares (-world +collected):\n%s", diff)
	}
	for _, r := range w1.Accounts[0].Regions[0].Resources {
		if !strings.HasPrefix(r.ARN, "arn:aws:") || !strings.Contains(r.ARN, r.Name) {
			t.Errorf("%s: ARN %q does not name it", r.Name, r.ARN)
		}
	}
	slices.Sort(c.findings)
	if diff := cmp.Diff(c.findings, shFindingKeys(s1)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, f := range s1.Findings {
		t.Logf("%s %s: %s", f.ResourceARN, f.Rule, f.Explanation)
		if f.Kind != c.kind || f.Account != shOwner || f.Region != shRegion || f.Explanation == "" {
			t.Errorf("finding %+v: wrong kind, account or region, or no explanation", f)
		}
	}
	if len(s1.Notices) != c.notices {
		t.Errorf("notices %q, want %d", s1.Notices, c.notices)
	}
	if got := s1.Resources[c.kind]; got != len(listed) {
		t.Errorf("resources = %d, want %d", got, len(listed))
	}
	calls := maps.Clone(s1.Stats.Calls)
	for _, base := range scan.BaseActions {
		delete(calls, base) // the engine's own: caller identity and regions
	}
	if diff := cmp.Diff(c.calls, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(s1.Stats.MinimalCalls, s1.Stats.Calls); diff != "" {
		t.Errorf("calls differ from the minimum (-minimal +made):\n%s", diff)
	}
	declared := kinds.Actions([]kinds.Kind{getKind(t, c.kind)})
	for op := range calls {
		if !slices.Contains(declared, op) {
			t.Errorf("the scan called %s, which the kind does not declare in %v", op, declared)
		}
	}

	// Fix: the public and untrusted grants go, the trusted ones stay.
	rep, dir := applyFix(t, ctx, fix.Options{Config: sim.Config(shKey, shRegion), Scan: s1, World: w1})
	if !rep.OK() {
		t.Fatalf("apply:\n%s", reportText(rep))
	}
	if diff := cmp.Diff(c.afterFix, sharesByName(sim.World(), c.kind), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("shares after the fix (-want +got):\n%s", diff)
	}
	if s2, _ := sharingScan(t, sim, c.kind); !cmp.Equal(c.remain, shFindingKeys(s2), cmpopts.EquateEmpty()) {
		t.Errorf("findings after the fix: %v, want %v", shFindingKeys(s2), c.remain)
	}

	// Restore puts every share back.
	rrep := restoreFrom(t, ctx, sim.Config(shKey, shRegion), dir)
	if !rrep.OK() {
		t.Fatalf("restore:\n%s", reportText(rrep))
	}
	if diff := cmp.Diff(original, sharesByName(sim.World(), c.kind), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("shares after restore (-original +restored):\n%s", diff)
	}
	s3, _ := sharingScan(t, sim, c.kind)
	if diff := cmp.Diff(shFindingIDs(s1), shFindingIDs(s3)); diff != "" {
		t.Errorf("finding ids after restore (-before +after):\n%s", diff)
	}
}

func shFindingIDs(sc *finding.Scan) []string {
	var out []string
	for _, f := range sc.Findings {
		out = append(out, f.ID)
	}
	sort.Strings(out)
	return out
}

// snapshotLike builds the five resources every sharing kind is tested with; ids are prefix
// plus public, foreign, trusted, mixed, clean.
func snapshotLike(kind, prefix string) []world.Resource {
	return []world.Resource{
		{Kind: kind, Name: prefix + "public", Shares: []string{"all"}},
		{Kind: kind, Name: prefix + "foreign", Shares: []string{shForeign}},
		{Kind: kind, Name: prefix + "trusted", Shares: []string{shTrusted}},
		{Kind: kind, Name: prefix + "mixed", Shares: []string{shTrusted, shForeign, "all"}},
		{Kind: kind, Name: prefix + "clean"},
	}
}

func snapshotLikeFindings(kind, prefix string) []string {
	return []string{
		fmt.Sprintf("%sforeign %s/untrusted-account", prefix, kind),
		fmt.Sprintf("%smixed %s/public", prefix, kind),
		fmt.Sprintf("%smixed %s/untrusted-account", prefix, kind),
		fmt.Sprintf("%spublic %s/public", prefix, kind),
	}
}

func snapshotLikeAfterFix(prefix string) map[string][]string {
	return map[string][]string{
		prefix + "public": nil, prefix + "foreign": nil, prefix + "trusted": {shTrusted},
		prefix + "mixed": {shTrusted}, prefix + "clean": nil,
	}
}
