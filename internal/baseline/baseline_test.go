package baseline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func mk(rule, arn string, sev finding.Severity, suppressed bool) finding.Finding {
	f := finding.Finding{Rule: rule, ResourceARN: arn, Severity: sev, Principal: "*", Suppressed: suppressed}
	f.ComputeID()
	return f
}

func scanOf(fs ...finding.Finding) *finding.Scan {
	return &finding.Scan{SchemaVersion: finding.SchemaVersion, Findings: fs}
}

var (
	a = mk("lambda-function/public", "arn:aws:lambda:eu-west-1:111122223333:function:a", finding.SeverityCritical, false)
	b = mk("sqs-queue/public", "arn:aws:sqs:eu-west-1:111122223333:b", finding.SeverityCritical, false)
	c = mk("iam-role/confused-deputy", "arn:aws:iam::111122223333:role/c", finding.SeverityMedium, true)
)

func ids(fs []finding.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestCompare(t *testing.T) {
	bHigh := b
	bHigh.Severity = finding.SeverityHigh
	d := Compare(scanOf(a, b), scanOf(bHigh, c))
	if diff := cmp.Diff([]string{c.ID}, ids(d.New)); diff != "" {
		t.Errorf("new: %s", diff)
	}
	if diff := cmp.Diff([]string{a.ID}, ids(d.Resolved)); diff != "" {
		t.Errorf("resolved: %s", diff)
	}
	if diff := cmp.Diff([]string{b.ID}, ids(d.Unchanged)); diff != "" {
		t.Errorf("unchanged: %s", diff)
	}
	if len(d.Changed) != 1 || d.Changed[0].Old != finding.SeverityCritical || d.Changed[0].New != finding.SeverityHigh {
		t.Errorf("severity changes: %+v", d.Changed)
	}
	same := Compare(scanOf(a, b), scanOf(a, b))
	if len(same.New)+len(same.Resolved) != 0 || len(same.Unchanged) != 2 {
		t.Errorf("a scan against itself: %+v", same)
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FromScan(scanOf(a, b, c))); err != nil {
		t.Fatal(err)
	}
	set, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Suppressed findings are accepted by the config file already, not by the baseline.
	if diff := cmp.Diff(Set{a.ID: true, b.ID: true}, set); diff != "" {
		t.Error(diff)
	}
}

func TestParseScanAsBaseline(t *testing.T) {
	doc, _ := json.Marshal(scanOf(a, c))
	set, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !set[a.ID] || !set[c.ID] || len(set) != 2 {
		t.Errorf("set = %v", set)
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		`[1,2]`:                  "expected a JSON baseline file or scan document",
		`{"findings":[]}`:        "neither a baseline file",
		`{"baseline_version":2}`: "baseline_version 2",
		`{"baseline_version":1,"findings":[{"rule":"x"}]}`: "findings[0]: missing id",
		`{"schema_version":99}`:                            "newer than this trustaudit reads",
		`{"schema_version":1,"findings":[{"rule":"r","resource_arn":"arn","severity":"high"}]}`: "findings[0] (r arn): missing id",
	}
	for in, want := range tests {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want %q", in, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load of a missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(p, []byte(`{`), 0o644)
	if _, err := LoadScan(p); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("LoadScan names the file: %v", err)
	}
}
