package finding

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		findings  int
		gaps      int
		err       string
	}{
		{name: "lists streamed", doc: `{"schema_version":1,"accounts":["111122223333"],"findings":[{"id":"a"},{"id":"b"}],"gaps":[{"account":"1"}],"skipped":[{"account":"1"}]}`, findings: 2, gaps: 1},
		{name: "lists before the head", doc: `{"findings":[{"id":"a"}],"schema_version":1}`, findings: 1},
		{name: "null lists", doc: `{"schema_version":1,"findings":null,"gaps":null}`},
		{name: "unknown fields are ignored", doc: `{"schema_version":1,"future":{"x":[1,2]}}`},
		{name: "not an object", doc: `[1]`, err: "expected a scan document"},
		{name: "no schema", doc: `{"findings":[]}`, err: "no schema_version"},
		{name: "newer schema", doc: `{"schema_version":99}`, err: "schema_version 99 is newer"},
		{name: "finding without id", doc: `{"schema_version":1,"findings":[{"id":"a"},{"rule":"r","resource_arn":"arn:x"}]}`, err: "findings[1] (r arn:x): missing id"},
		{name: "list of the wrong type", doc: `{"schema_version":1,"gaps":{"a":1}}`, err: "gaps: expected a list"},
		{name: "bad item", doc: `{"schema_version":1,"gaps":[{"account":1}]}`, err: "gaps[0]"},
		{name: "truncated", doc: `{"schema_version":1,"findings":[{"id":"a"}`, err: "expected a scan document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids []string
			gaps, skips := 0, 0
			s, err := Decode(strings.NewReader(tc.doc), Sinks{
				Finding: func(f *Finding) error { ids = append(ids, f.ID); return nil },
				Gap:     func(*Gap) error { gaps++; return nil },
				Skip:    func(*Skip) error { skips++; return nil },
			})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tc.findings || gaps != tc.gaps {
				t.Errorf("streamed %d findings %v and %d gaps, want %d and %d", len(ids), ids, gaps, tc.findings, tc.gaps)
			}
			if s.SchemaVersion != 1 || s.Findings != nil || s.Gaps != nil {
				t.Errorf("head = %+v, want schema 1 and no lists", s)
			}
		})
	}
}
