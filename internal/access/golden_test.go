package access

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustaudit/trustaudit/internal/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestExplanationsGolden pins the wording of every finding over the benchmark mix, so that a
// change to an explanation is a reviewed diff rather than an accident.
func TestExplanationsGolden(t *testing.T) {
	b, err := NewBoundary([]string{"444455556666", "arn:aws:iam::123456789012:root"}, []string{"o-trusted001"})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for i, p := range benchPolicies {
		doc, err := policy.ParseString(p.doc)
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(Input{Kind: p.kind, Owner: owner, Doc: doc}, b)
		fmt.Fprintf(&sb, "policy %d (%s): public=%v accounts=%v orgs=%v deputy=%v\n", i, p.kind, r.Public, r.UntrustedAccounts, r.UntrustedOrgs, r.ConfusedDeputy)
		for _, f := range r.Findings {
			fmt.Fprintf(&sb, "  %s %s [%d] principal=%q conditions=%q\n    %s\n", f.Rule.Severity, f.Rule.ID, f.StatementIndex, f.Principal, f.Conditions, f.Explanation)
		}
	}
	golden := filepath.Join("testdata", "explanations.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), sb.String()); diff != "" {
		t.Errorf("explanations differ from %s (-want +got; go test -update rewrites it):\n%s", golden, diff)
	}
}
