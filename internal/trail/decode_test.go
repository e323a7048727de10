package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"
)

func TestDecodeShapes(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	rec := `{"eventTime":"2026-11-20T10:01:02Z","eventSource":"ses.amazonaws.com","eventName":"PutIdentityPolicy","eventID":"e1","extra":{"nested":[1,2,3]}}`
	cases := []struct {
		name, in string
		ids      string
		err      string
	}{
		{"plain", `{"Records":[` + rec + `,` + strings.Replace(rec, "e1", "e2", 1) + `]}`, "e1,e2", ""},
		{"gzip by magic, not by name", gz(`{"Records":[` + rec + `]}`), "e1", ""},
		{"other keys first", `{"awsAccountId":"1","logFiles":[{"a":1}],"Records":[` + rec + `]}`, "e1", ""},
		{"digest file", `{"awsAccountId":"111122223333","digestStartTime":"2026-11-21T09:00:00Z"}`, "", ""},
		{"empty records", `{"Records":[]}`, "", ""},
		{"not an object", `[` + rec + `]`, "", `expected a JSON object {"Records": [...]}`},
		{"records not an array", `{"Records":{}}`, "", `expected "Records" to be an array`},
		{"bad record", `{"Records":[` + rec + `,{"eventTime":"yesterday"}]}`, "e1", "Records[1]:"},
		{"truncated", `{"Records":[` + rec, "e1", "unexpected end of input"},
		{"empty input", ``, "", "unexpected end of input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ids []string
			err := Decode(strings.NewReader(tc.in), func(r *Record) error {
				ids = append(ids, r.EventID)
				return nil
			})
			if got := strings.Join(ids, ","); got != tc.ids {
				t.Errorf("records = %q, want %q", got, tc.ids)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestFilesNameErrorsAndSkipByDeliveryTime(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/111122223333_CloudTrail_us-east-1_20261120T1000Z_a.json", `{"Records":[{"eventID":"old","eventTime":"2026-11-20T09:55:00Z"}]}`)
	writeFile(t, dir+"/sub/111122223333_CloudTrail_us-east-1_20261121T1000Z_b.json", `{"Records":[{"eventID":"new","eventTime":"2026-11-21T09:55:00Z"}]}`)
	writeFile(t, dir+"/notes.txt", `not a log`)
	var ids []string
	collect := func(r *Record) error { ids = append(ids, r.EventID); return nil }
	if err := (Files{Paths: []string{dir}}).Records(context.Background(), Window{}, collect); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "old,new" {
		t.Errorf("all files: %v, want old,new in name order", ids)
	}
	ids = nil
	w := Window{Since: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	if err := (Files{Paths: []string{dir}}).Records(context.Background(), w, collect); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "new" {
		t.Errorf("since 2026-11-21: %v, want only the file delivered after it", ids)
	}

	bad := dir + "/111122223333_CloudTrail_us-east-1_20261122T1000Z_c.json"
	writeFile(t, bad, `{"Records":[{"eventTime":3}]}`)
	err := (Files{Paths: []string{bad}}).Records(context.Background(), Window{}, collect)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "Records[0]") {
		t.Errorf("err = %v, want it to name %s and Records[0]", err, bad)
	}
	if err := (Files{Paths: []string{dir + "/missing"}}).Records(context.Background(), Window{}, collect); err == nil {
		t.Error("a missing path is not an error")
	}
}
