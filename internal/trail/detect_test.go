package trail

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
)

var update = flag.Bool("update", false, "rewrite golden files")

func boundary(t *testing.T, accounts ...string) access.Boundary {
	t.Helper()
	b, err := access.NewBoundary(accounts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary is one detection in a form a reviewer can read in a golden file.
func summary(d Detection) string {
	f := d.Finding
	return fmt.Sprintf("%s %s %s [%s/%s] %s account=%s region=%s accounts=%v principal=%q sid=%q policy=%q actor=%s ip=%s ua=%q error=%s\n    %s",
		d.Event.Time.Format(time.RFC3339), d.Event.Name, f.Rule, f.Severity, f.Category, f.ResourceARN, f.Account, f.Region,
		f.Accounts, f.Principal, f.StatementID, f.PolicyName, d.Event.Actor, d.Event.SourceIP, d.Event.UserAgent, d.Event.ErrorCode, f.Explanation)
}

func TestDetectorOnDeliveredLogs(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		golden string
	}{
		{"default", Options{}, "detect_default.golden"},
		{"all", Options{All: true}, "detect_all.golden"},
		{"window", Options{Window: Window{Since: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}}, "detect_window.golden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Boundary = boundary(t, "222233334444")
			d := NewDetector(tc.opts)
			if err := d.Run(context.Background(), Files{Paths: []string{"testdata/logs"}}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, det := range d.Detections() {
				b.WriteString(summary(det) + "\n")
			}
			for _, g := range d.Scan("test").Gaps {
				fmt.Fprintf(&b, "GAP %+v\n", g)
			}
			golden(t, filepath.Join("testdata", tc.golden), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
