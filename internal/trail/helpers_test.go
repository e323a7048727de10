package trail

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"golang.org/x/time/rate"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/policy"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rebuild parses r's request parameters and rebuilds the change ev makes of r, failing the
// test on an error.
func rebuild(t *testing.T, ev Event, r *Record) *Change {
	t.Helper()
	p, err := parseParams(r.RequestParameters)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ev.Rebuild(r, p)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// rebuildErr parses raw as request parameters and returns the error ev's rebuild of r gives.
func rebuildErr(t *testing.T, ev Event, r *Record, raw string) error {
	t.Helper()
	p, err := parseParams(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ev.Rebuild(r, p)
	return err
}

// verdict is the category of the first finding ch's policy gives a resource of kind in
// account 111122223333, or "" when ch carries no policy or grants nothing.
func verdict(t *testing.T, kind access.Kind, ch *Change, b access.Boundary) finding.Category {
	t.Helper()
	if ch.Policy == "" {
		return ""
	}
	doc, err := policy.ParseString(ch.Policy)
	if err != nil {
		t.Fatalf("rebuilt policy %s: %v", ch.Policy, err)
	}
	res := access.Evaluate(access.Input{Kind: kind, Owner: "111122223333", ResourceARN: ch.ResourceARN, Doc: doc}, b)
	if len(res.Findings) > 0 {
		return res.Findings[0].Rule.Category
	}
	return ""
}

// lookupDetections runs a detector over LookupEvents of account 111122223333 in us-east-1
// on the simulator s, and returns "rule ARN" of each detection and the LookupEvents calls made.
func lookupDetections(t *testing.T, s *awssim.Server) ([]string, int64) {
	t.Helper()
	d := NewDetector(Options{Boundary: boundary(t)})
	src := Lookup{Client: cloudtrail.NewFromConfig(s.Config(simKey, "us-east-1")), Account: "111122223333", Region: "us-east-1", Limiter: rate.NewLimiter(rate.Inf, 1)}
	if err := d.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, det := range d.Detections() {
		got = append(got, det.Rule+" "+det.ResourceARN)
	}
	var calls int64
	for _, c := range s.Counters() {
		if c.Operation == "LookupEvents" {
			calls += c.N
		}
	}
	return got, calls
}
