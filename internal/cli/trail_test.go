package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/world"
)

const trailLogs = "../trail/testdata/logs"

// trailWD is the package directory, before any test changes into a temporary one.
var trailWD, _ = os.Getwd()

func runTrailCLI(t *testing.T, args ...string) (int, *finding.Scan, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	dir := t.TempDir() // no trustaudit.yaml
	for i, a := range args {
		if a == trailLogs || strings.HasPrefix(a, trailLogs+"/") {
			args[i] = filepath.Join(trailWD, a)
		}
	}
	t.Chdir(dir)
	code := Main(context.Background(), append([]string{"trail"}, args...), ios)
	var doc finding.Scan
	if code != ExitError && code != ExitUsage || out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("exit %d, output is not a scan document: %v\n%s\nstderr: %s", code, err, out, errOut)
		}
	}
	return code, &doc, errOut.String()
}

func rules(s *finding.Scan) []string {
	var out []string
	for _, f := range s.Findings {
		out = append(out, f.Rule)
	}
	slices.Sort(out)
	return out
}

func TestTrailFiles(t *testing.T) {
	day := trailLogs + "/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/"
	cases := []struct {
		name  string
		args  []string
		code  int
		rules string
	}{
		{"every fixture", []string{"--trusted", "222233334444", trailLogs}, ExitFindings,
			"trail/attempt trail/attempt trail/endgame-indicator trail/endgame-indicator trail/iam-role/untrusted-account trail/lambda-function/public trail/lambda-layer/public trail/ses-identity/untrusted-account"},
		{"benign changes", []string{"--trusted", "222233334444", day + "21"}, ExitOK, ""},
		{"benign changes, untrusted partner", []string{day + "21"}, ExitFindings, "trail/lambda-function/untrusted-account trail/ses-identity/untrusted-account"},
		{"benign with --all", []string{"--trusted", "222233334444", "--all", day + "21"}, ExitOK, "trail/access-removed"},
		{"attempts only", []string{day + "22"}, ExitOK, "trail/attempt trail/attempt"},
		{"attempts fail on request", []string{"--fail-on-attempts", day + "22"}, ExitFindings, "trail/attempt trail/attempt"},
		{"window", []string{"--trusted", "222233334444", "--since", "2026-11-20T11:00:00Z", "--until", "2026-11-20T12:00:00Z", trailLogs}, ExitFindings,
			"trail/lambda-function/public trail/lambda-layer/public"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, doc, stderr := runTrailCLI(t, append([]string{"--format", "json"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if got := strings.Join(rules(doc), " "); got != tc.rules {
				t.Errorf("rules = %s\nwant    %s", got, tc.rules)
			}
		})
	}
}

func TestTrailFindingCarriesTheEvent(t *testing.T) {
	_, doc, _ := runTrailCLI(t, "--format", "json", "--trusted", "222233334444", trailLogs+"/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20")
	var f *finding.Finding
	for i := range doc.Findings {
		if doc.Findings[i].Rule == "trail/ses-identity/untrusted-account" {
			f = &doc.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no SES finding in %+v", doc.Findings)
	}
	for _, want := range []string{"2026-11-20T10:01:02Z", "arn:aws:iam::111122223333:user/mallory", "198.51.100.66", "HotDogsAreSandwiches", "5a1e2c3d-0001-4b6f-8a9e-1c2d3e4f0001", "999988887777"} {
		if !strings.Contains(f.Explanation, want) {
			t.Errorf("explanation lacks %q: %s", want, f.Explanation)
		}
	}
	if f.ResourceARN != "arn:aws:ses:us-east-1:111122223333:identity/test-resource-exposure.com" || f.Account != "111122223333" || f.Region != "us-east-1" || f.PolicyName != "Endgame" {
		t.Errorf("finding = %+v", f)
	}
}

func TestTrailUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--since", "last tuesday", trailLogs},
		{"--since", "2026-11-21", "--until", "2026-11-20", trailLogs},
		{"--regions", "us-east-1", trailLogs},
		{"s3://", trailLogs},
		{"--trusted", "12345", trailLogs},
	} {
		if code, _, stderr := runTrailCLI(t, args...); code != ExitUsage || stderr == "" {
			t.Errorf("trail %v: exit %d (stderr %q), want %d with a message", args, code, stderr, ExitUsage)
		}
	}
	if code, _, stderr := runTrailCLI(t, "/does/not/exist"); code != ExitError || !strings.Contains(stderr, "/does/not/exist") {
		t.Errorf("missing path: exit %d, stderr %q", code, stderr)
	}
}

// TestTrailAWS reads the fixtures back through S3 and LookupEvents of the simulator, with
// the SDK's usual environment pointing at it.
func TestTrailAWS(t *testing.T) {
	sim, err := awssim.Start(awssim.Options{
		World: &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
			ID:         "111122223333",
			AccessKeys: []world.AccessKey{{ID: "AKIAEXAMPLEAUDIT", ARN: "arn:aws:iam::111122223333:user/auditor"}},
			Regions:    []world.Region{{Name: "us-east-1"}, {Name: "eu-west-1"}, {Name: "ap-east-1", OptInStatus: world.OptInDisabled}},
		}}},
		// CloudTrail's 2 requests/s, ten times faster; the command paces at the same scale.
		Quotas:    map[string]float64{"cloudtrail": 2},
		TimeScale: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	hs := httptest.NewServer(sim.S3Handler())
	defer hs.Close()
	t.Setenv("AWS_ENDPOINT_URL", hs.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEAUDIT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "simulator")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	// Recent events for LookupEvents: one public Lambda permission an hour ago.
	rec := `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY","userName":"alice"},"eventTime":"TIME","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.15.30","requestParameters":{"functionName":"report","statementId":"open","action":"lambda:InvokeFunction","principal":"*"},"responseElements":null,"requestID":"r1","eventID":"lookup-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
	rec = strings.Replace(rec, "TIME", time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), 1)
	if err := sim.AddTrailEvents("111122223333", "eu-west-1", []byte(rec)); err != nil {
		t.Fatal(err)
	}
	code, doc, stderr := runTrailCLI(t, "--format", "json", "--rate-scale", "10", "--lookup", "--regions", "us-east-1,eu-west-1,ap-east-1")
	if code != ExitFindings || strings.Join(rules(doc), " ") != "trail/lambda-function/public" {
		t.Errorf("lookup: exit %d, rules %v; stderr %s", code, rules(doc), stderr)
	}
	if len(doc.Gaps) != 1 || doc.Gaps[0].Region != "ap-east-1" || doc.Gaps[0].Operation != "cloudtrail:LookupEvents" {
		t.Errorf("lookup gaps = %+v, want the disabled region ap-east-1", doc.Gaps)
	}
	if slices.ContainsFunc(doc.Notices, func(n string) bool { return strings.Contains(n, "us-east-1") }) {
		t.Errorf("notices %q warn about IAM although us-east-1 was read", doc.Notices)
	}
	for _, c := range sim.Counters() {
		if c.Operation == "LookupEvents" && c.Outcome == "throttled" {
			t.Errorf("LookupEvents throttled %d times in %s", c.N, c.Region)
		}
	}
	_, doc, _ = runTrailCLI(t, "--format", "json", "--rate-scale", "10", "--lookup", "--regions", "eu-west-1")
	if !slices.ContainsFunc(doc.Notices, func(n string) bool { return strings.Contains(n, "IAM is global") }) {
		t.Errorf("notices %q do not warn that IAM events are in us-east-1", doc.Notices)
	}

	// The delivered-log fixtures from a bucket.
	root := filepath.Join(trailWD, trailLogs)
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		return sim.PutS3Object("111122223333", "trail-logs", filepath.ToSlash(rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	code, doc, stderr = runTrailCLI(t, "--format", "json", "--trusted", "222233334444", "--since", "2026-11-22", "--until", "2026-11-23", "s3://trail-logs/AWSLogs/")
	if code != ExitOK || strings.Join(rules(doc), " ") != "trail/attempt trail/attempt" {
		t.Errorf("s3 window: exit %d, rules %v; stderr %s", code, rules(doc), stderr)
	}
	code, _, stderr = runTrailCLI(t, "--format", "json", "s3://no-such-bucket/")
	if code != ExitError || !strings.Contains(stderr, "NoSuchBucket") {
		t.Errorf("missing bucket: exit %d, stderr %s", code, stderr)
	}
}
