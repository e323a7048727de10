package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/trustaudit/trustaudit/internal/finding"
)

// TestJSONStreamIsTheEncodedDocument pins the streamed writer to what an indenting encoder
// makes of the whole document, for documents with and without the optional parts, so that a
// document written from disk and one written from memory cannot differ.
func TestJSONStreamIsTheEncodedDocument(t *testing.T) {
	withStats := sampleScan()
	withStats.Stats = &finding.Stats{
		Calls: map[string]int64{"iam:ListRoles": 3}, MinimalCalls: map[string]int64{"iam:ListRoles": 3},
		ElapsedSec: 1.5, LowerBoundSec: 1.2,
		Accounts: map[string]*finding.Stats{"111122223333": {Calls: map[string]int64{"iam:ListRoles": 3}}},
	}
	empty := &finding.Scan{SchemaVersion: finding.SchemaVersion}
	for name, doc := range map[string]*finding.Scan{"sample": sampleScan(), "clean": cleanScan(), "stats": withStats, "empty": empty} {
		var got bytes.Buffer
		if err := JSON(&got, doc, Options{}); err != nil {
			t.Fatal(err)
		}
		want := encodeWhole(t, doc)
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed document differs from the encoded one\n got: %s\nwant: %s", name, got.Bytes(), want)
		}
	}
}

func encodeWhole(t *testing.T, s *finding.Scan) []byte {
	doc := *s
	for _, p := range []*[]string{&doc.Accounts, &doc.Regions, &doc.Kinds, &doc.Boundary.TrustedAccounts, &doc.Boundary.TrustedOrgs} {
		if *p == nil {
			*p = []string{}
		}
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	if doc.Gaps == nil {
		doc.Gaps = []finding.Gap{}
	}
	if doc.Resources == nil {
		doc.Resources = map[string]int{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONStreamReturnsTheListError(t *testing.T) {
	broken := errors.New("run unreadable")
	err := JSONStream(&bytes.Buffer{}, sampleScan(), Lists{Findings: func(func(*finding.Finding) error) error { return broken }})
	if !errors.Is(err, broken) {
		t.Fatalf("JSONStream = %v, want the list's error", err)
	}
}
