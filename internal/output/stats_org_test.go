package output

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// An organization scan's --stats table lists each account's figures under the totals, in
// account order; a single-account scan has no such rows.
func TestTableStatsPerAccount(t *testing.T) {
	s := gapsOnlyScan()
	s.Stats.Accounts = map[string]*finding.Stats{
		"444455556666": {Calls: map[string]int64{"iam:ListRoles": 2, "lambda:GetPolicy": 5}, MinimalCalls: map[string]int64{"iam:ListRoles": 2, "lambda:GetPolicy": 4}, Throttles: 1, ElapsedSec: 2.5, LowerBoundSec: 2},
		"111122223333": {Calls: map[string]int64{"iam:ListRoles": 1}, MinimalCalls: map[string]int64{"iam:ListRoles": 1}, ElapsedSec: 1, LowerBoundSec: 0.5},
	}
	r, err := Lookup("table")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r(&buf, s, Options{Stats: true}); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?s)ACCOUNT\s+calls\s+minimal\s+throttles\s+elapsed\s+bound\s*\n` +
		`\s+111122223333\s+1\s+1\s+0\s+1\.00s\s+0\.50s\s*\n` +
		`\s+444455556666\s+7\s+6\s+1\s+2\.50s\s+2\.00s`)
	if !want.Match(buf.Bytes()) {
		t.Errorf("per-account rows missing or wrong:\n%s", buf.String())
	}

	buf.Reset()
	s.Stats.Accounts = nil
	if err := r(&buf, s, Options{Stats: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("ACCOUNT ")) {
		t.Errorf("a single-account scan shows per-account rows:\n%s", buf.String())
	}
}
