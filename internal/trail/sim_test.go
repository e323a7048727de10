package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/world"
)

const simKey = "AKIAEXAMPLEAUDITOR"

func startSim(t *testing.T, opts awssim.Options) *awssim.Server {
	t.Helper()
	opts.World = &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID:         "111122223333",
		AccessKeys: []world.AccessKey{{ID: simKey, ARN: "arn:aws:iam::111122223333:user/auditor"}},
		Regions:    []world.Region{{Name: "us-east-1"}, {Name: "eu-west-1"}},
	}}}
	s, err := awssim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixtureRecords reads every record of the delivered-log fixtures as raw JSON.
func fixtureRecords(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	err := filepath.Walk("testdata/logs/AWSLogs/111122223333/CloudTrail", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		fh, err := os.Open(p)
		if err != nil {
			return err
		}
		defer fh.Close()
		var src io.Reader = fh
		if strings.HasSuffix(p, ".gz") {
			if src, err = gzip.NewReader(fh); err != nil {
				return err
			}
		}
		var file struct{ Records []json.RawMessage }
		if err := json.NewDecoder(src).Decode(&file); err != nil {
			return err
		}
		for _, r := range file.Records {
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLookupAgainstSimulator reads the fixtures' events back through LookupEvents and
// checks that the findings match the delivered logs' and that pacing kept every request
// inside CloudTrail's 2 requests per second.
func TestLookupAgainstSimulator(t *testing.T) {
	s := startSim(t, awssim.Options{Quotas: map[string]float64{"cloudtrail": LookupRate}})
	// LookupEvents only reaches 90 days back: move the fixtures into the last four days.
	shift := time.Now().UTC().Add(-96 * time.Hour).Truncate(time.Hour).Sub(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	var recs [][]byte
	for _, raw := range fixtureRecords(t) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		tm, _ := time.Parse(time.RFC3339, m["eventTime"].(string))
		m["eventTime"] = tm.Add(shift).Format(time.RFC3339)
		b, _ := json.Marshal(m)
		recs = append(recs, b)
	}
	// Enough unrelated events that the SES source pages (50 a page).
	for i := range 120 {
		recs = append(recs, []byte(strings.NewReplacer("@ID@", string(rune('a'+i%26))+strings.Repeat("x", i/26), "@TIME@", time.Now().UTC().Add(-time.Duration(i)*time.Minute).Format(time.RFC3339)).Replace(
			`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventTime":"@TIME@","eventSource":"ses.amazonaws.com","eventName":"GetIdentityPolicies","awsRegion":"us-east-1","requestParameters":{"identity":"example.com"},"responseElements":null,"eventID":"ro-@ID@","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`)))
	}
	if err := s.AddTrailEvents("111122223333", "us-east-1", recs...); err != nil {
		t.Fatal(err)
	}

	d := NewDetector(Options{Boundary: boundary(t, "222233334444")})
	src := Lookup{Client: cloudtrail.NewFromConfig(s.Config(simKey, "us-east-1")), Account: "111122223333", Region: "us-east-1"}
	start := time.Now()
	if err := d.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)

	var calls, throttled int64
	for _, c := range s.Counters() {
		if c.Operation == "LookupEvents" {
			calls += c.N
			if c.Outcome != "ok" {
				throttled += c.N
			}
		}
	}
	// ses: 124 events = 3 pages; iam and lambda one page each. The SDK may retry a call
	// on a transport hiccup, so more than 5 is possible; a throttle never is.
	const pages = 5
	if calls < pages || throttled != 0 {
		t.Errorf("LookupEvents calls = %d (%d throttled), want at least %d, none throttled", calls, throttled, pages)
	}
	if min := time.Duration(pages-1) * time.Second / LookupRate; elapsed < min {
		t.Errorf("%d pages took %v, faster than %v at %d/s", pages, elapsed, min, LookupRate)
	}

	files := NewDetector(Options{Boundary: boundary(t, "222233334444")})
	if err := files.Run(context.Background(), Files{Paths: []string{"testdata/logs"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rulesOf(d), rulesOf(files); got != want {
		t.Errorf("LookupEvents findings:\n%s\ndelivered logs:\n%s", got, want)
	}
}

func rulesOf(d *Detector) string {
	var b strings.Builder
	for _, det := range d.Detections() {
		b.WriteString(det.Event.ID + " " + det.Rule + " " + det.ResourceARN + "\n")
	}
	return b.String()
}

// TestBucketAgainstSimulator reads the fixtures from an S3 bucket laid out as CloudTrail
// delivers, with and without a window.
func TestBucketAgainstSimulator(t *testing.T) {
	s := startSim(t, awssim.Options{NoQuotas: true})
	hs := httptest.NewServer(s.S3Handler())
	t.Cleanup(hs.Close)
	root := "testdata/logs/"
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return s.PutS3Object("111122223333", "org-trail", "trails/"+strings.TrimPrefix(filepath.ToSlash(p), root), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A region delivered as plain JSON would be unusual but legal; make one gzip-less object
	// in another region too.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[]}`))
	zw.Close()
	if err := s.PutS3Object("111122223333", "org-trail", "trails/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/21/111122223333_CloudTrail_eu-west-1_20261121T0000Z_x.json.gz", gz.Bytes()); err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(s.Config(simKey, "us-east-1"), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(hs.URL)
		o.UsePathStyle = true
	})

	files := NewDetector(Options{Boundary: boundary(t, "222233334444")})
	if err := files.Run(context.Background(), Files{Paths: []string{"testdata/logs"}}); err != nil {
		t.Fatal(err)
	}
	bucket, prefix, err := ParseS3URL("s3://org-trail/trails/")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDetector(Options{Boundary: boundary(t, "222233334444")})
	if err := d.Run(context.Background(), Bucket{Client: client, Bucket: bucket, Prefix: prefix}); err != nil {
		t.Fatal(err)
	}
	if got, want := rulesOf(d), rulesOf(files); got != want {
		t.Errorf("bucket findings:\n%s\nfiles:\n%s", got, want)
	}

	// A window lists only the day folders it covers.
	s.ResetCounters()
	w := Window{Since: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	dw := NewDetector(Options{Boundary: boundary(t, "222233334444"), Window: w})
	if err := dw.Run(context.Background(), Bucket{Client: client, Bucket: bucket, Prefix: prefix}); err != nil {
		t.Fatal(err)
	}
	var gets int64
	for _, c := range s.Counters() {
		if c.Operation == "GetObject" {
			gets += c.N
		}
	}
	if gets != 1 {
		t.Errorf("GetObject calls with a one-day window = %d, want 1 (only 2026/11/22)", gets)
	}
	if got := rulesOf(dw); strings.Count(got, "\n") != 2 || !strings.Contains(got, "trail/attempt") {
		t.Errorf("window findings = %s, want the two attempts of 2026-11-22", got)
	}
}

func TestParseS3URL(t *testing.T) {
	for in, want := range map[string]string{
		"s3://b":            "b|",
		"s3://b/":           "b|",
		"s3://b/AWSLogs/1/": "b|AWSLogs/1/",
		"s3:///x":           "error",
		"https://b.s3/x":    "error",
	} {
		b, p, err := ParseS3URL(in)
		got := b + "|" + p
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ParseS3URL(%q) = %s, want %s", in, got, want)
		}
	}
}
