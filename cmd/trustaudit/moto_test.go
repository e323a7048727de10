//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/cli"
	"github.com/trustaudit/trustaudit/internal/finding"
)

// The moto test checks the scan against a second AWS emulator that shares no code or
// assumptions with internal/awssim: moto (moto_server), seeded through the AWS CLI the way a
// user would build a test account. Where moto departs from AWS, the resources below keep to
// what it models as AWS does, so that the expected findings are AWS's:
//
//   - moto keeps one resource policy per Lambda function and answers GetPolicy with it
//     whatever the Qualifier, where AWS keeps one per version and alias. The published version
//     and alias below carry no permission, so every qualifier's policy is the function's
//     (none), as it is on AWS.
//   - moto stores a Lambda account principal as the bare account ID ("999988887777") where
//     AWS writes {"AWS":"arn:aws:iam::999988887777:root"}; the scan must read both.
//   - moto returns IAM trust policies as plain JSON where AWS percent-encodes them; no
//     document below holds a '%', so both decode the same.
//   - moto does not implement POST /v2/email/list-identities, the route SDK for Go v2 lists
//     SESv2 identities with (moto serves only the older GET /v2/email/identities, and answers
//     500 to its PageSize query parameter). The first scan goes through a shim that sends
//     that one operation to moto's older route, so that every identity's policies are read
//     from moto; a second, direct scan checks that the missing route is reported as a gap,
//     never as a clean result. Should moto gain the route, the first scan goes direct and the
//     second has nothing to check.

const (
	// motoAccount is the account moto puts every resource in when the access key is not an
	// account ID.
	motoAccount    = "123456789012"
	foreignAccount = "999988887777"
	trustedAccount = "111122223333"
	motoRegion     = "us-east-1"
)

func TestMotoScan(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the moto integration test in -short mode (it starts moto_server and runs the AWS CLI)")
	}
	var missing []string
	for _, prog := range []string{"moto_server", "aws"} {
		if _, err := exec.LookPath(prog); err != nil {
			missing = append(missing, prog)
		}
	}
	if len(missing) > 0 {
		t.Skipf("skipping the moto integration test: %s not on PATH (pip install 'moto[server]' awscli)", strings.Join(missing, " and "))
	}
	// TestMain (testscript.Main) puts this test binary on PATH as "trustaudit".
	bin, err := exec.LookPath("trustaudit")
	if err != nil {
		t.Fatalf("the trustaudit command testscript.Main sets up is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	m := startMoto(ctx, t)
	start := time.Now()
	m.seed(ctx, t)
	t.Logf("seeded moto in %s", time.Since(start).Round(time.Millisecond))

	lists := m.servesSESv2List(ctx, t)
	endpoint := m.url
	var shimmed atomic.Int64
	if !lists {
		endpoint = sesv2ListShim(t, m.url, &shimmed)
	}

	// Every kind the seed touches, judged against one trusted account.
	doc, code := runScan(ctx, t, bin, endpoint, "iam-role,lambda-function,ses-identity")
	if code != cli.ExitFindings {
		t.Errorf("scan exit status %d, want %d (findings)", code, cli.ExitFindings)
	}
	if !lists && shimmed.Load() == 0 {
		t.Errorf("the scan never listed SESv2 identities through the shim")
	}
	lambdaARN := "arn:aws:lambda:" + motoRegion + ":" + motoAccount + ":function:"
	roleARN := "arn:aws:iam::" + motoAccount + ":role/"
	sesARN := "arn:aws:ses:" + motoRegion + ":" + motoAccount + ":identity/"
	want := []string{
		// A role any Lambda function can be given (through iam:PassRole) with no source
		// condition: the low-severity deputy finding, as for every service trust.
		"iam-role/confused-deputy-passrole " + roleARN + "ta-lambda-exec",
		"iam-role/public " + roleARN + "ta-public",
		"iam-role/untrusted-account " + roleARN + "ta-foreign " + foreignAccount,
		"lambda-function/confused-deputy " + lambdaARN + "ta-s3-open",
		"lambda-function/public " + lambdaARN + "ta-public",
		"lambda-function/untrusted-account " + lambdaARN + "ta-foreign " + foreignAccount,
		"ses-identity/public " + sesARN + "public.example.com",
		"ses-identity/untrusted-account " + sesARN + "foreign.example.com " + foreignAccount,
	}
	if diff := cmp.Diff(want, findingLines(doc)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(doc.Gaps) > 0 {
		t.Errorf("gaps, want none: %s", gapLines(doc))
	}
	if !slices.Equal(doc.Accounts, []string{motoAccount}) || !slices.Equal(doc.Regions, []string{motoRegion}) {
		t.Errorf("scanned accounts %v regions %v, want [%s] [%s]", doc.Accounts, doc.Regions, motoAccount, motoRegion)
	}
	wantResources := map[string]int{"iam-role": 4, "lambda-function": 6, "ses-identity": 4}
	for k, n := range wantResources {
		if doc.Resources[k] != n {
			t.Errorf("resources[%s] = %d, want %d (all: %v)", k, doc.Resources[k], n, doc.Resources)
		}
	}

	if lists {
		return
	}
	// Straight to moto, the SESv2 listing fails: the scan must say it could not read SES,
	// and with nothing else found it exits 2, never 0.
	doc, code = runScan(ctx, t, bin, m.url, "ses-identity")
	if code != cli.ExitUsage {
		t.Errorf("direct ses-identity scan exit status %d, want %d (gaps, no findings)", code, cli.ExitUsage)
	}
	if len(doc.Findings) > 0 {
		t.Errorf("direct ses-identity scan: findings %v, want none", findingLines(doc))
	}
	wantGaps := []string{motoAccount + " " + motoRegion + " ses-identity ses:ListEmailIdentities"}
	if diff := cmp.Diff(wantGaps, gapLines(doc)); diff != "" {
		t.Errorf("direct ses-identity scan gaps (-want +got):\n%s", diff)
	}
}

// runScan runs the real binary against endpoint with moto's dummy credentials and returns
// its JSON document and exit status.
func runScan(ctx context.Context, t *testing.T, bin, endpoint, kinds string) (*finding.Scan, int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "scan.json")
	cmd := exec.CommandContext(ctx, bin, "scan", "--regions", motoRegion, "--kinds", kinds,
		"--trusted", trustedAccount, "--format", "json", "--output", out)
	cmd.Env = awsEnv(t.TempDir(), endpoint)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("trustaudit scan --kinds %s: %s", kinds, time.Since(start).Round(time.Millisecond))
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run trustaudit scan: %v", err)
		}
		code = ee.ExitCode()
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("trustaudit scan --kinds %s exited %d without a report: %v\nstderr:\n%s", kinds, code, err, stderr.String())
	}
	var doc finding.Scan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("trustaudit scan --kinds %s: not a scan document: %v", kinds, err)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("stderr of trustaudit scan --kinds %s:\n%s", kinds, stderr.String())
	}
	return &doc, code
}

// findingLines are "rule resource-arn [accounts]" lines, sorted: what a finding says and
// about whom.
func findingLines(doc *finding.Scan) []string {
	var lines []string
	for _, f := range doc.Findings {
		l := f.Rule + " " + f.ResourceARN
		if len(f.Accounts) > 0 {
			l += " " + strings.Join(f.Accounts, ",")
		}
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

func gapLines(doc *finding.Scan) []string {
	var lines []string
	for _, g := range doc.Gaps {
		lines = append(lines, strings.Join([]string{g.Account, g.Region, g.Kind, g.Operation}, " "))
	}
	slices.Sort(lines)
	return lines
}

// awsEnv is the environment the AWS CLI and trustaudit run in: this process's, without any
// AWS setting of the developer's, with moto's dummy credentials and endpoint.
func awsEnv(home, endpoint string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"HOME="+home,
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION="+motoRegion,
		"AWS_DEFAULT_REGION="+motoRegion,
		"AWS_PAGER=",
		"AWS_CONFIG_FILE="+filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

type moto struct {
	url  string
	home string // the AWS CLI's HOME
	dir  string // scratch files
}

// startMoto runs moto_server on a free port of 127.0.0.1 in its own process group (the
// command is often a shim that execs Python) and kills the group when the test ends.
func startMoto(ctx context.Context, t *testing.T) *moto {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	m := &moto{url: "http://127.0.0.1:" + strconv.Itoa(port), home: filepath.Join(dir, "home"), dir: dir}
	if err := os.Mkdir(m.home, 0o755); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = awsEnv(filepath.Join(dir, "server-home"), m.url)
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &log}, &syncWriter{w: &log}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("moto_server log:\n%s", log.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		select {
		case <-exited:
			t.Fatalf("moto_server exited before answering: %v", waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("moto_server did not answer on %s within 30s (last error %v)", m.url, err)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// aws runs one AWS CLI command against moto.
func (m *moto) aws(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "aws", args...)
	cmd.Env = awsEnv(m.home, m.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// runChains runs each chain's commands in order and the chains side by side, a few at a
// time: each CLI call is a Python start-up, and the machine's cores are shared.
func (m *moto) runChains(ctx context.Context, t *testing.T, chains [][][]string) {
	t.Helper()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	errs := make([]error, len(chains))
	for i, chain := range chains {
		wg.Go(func() {
			for _, args := range chain {
				sem <- struct{}{}
				err := m.aws(ctx, args...)
				<-sem
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("seed moto: %v", err)
	}
}

func trustPolicy(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
}

func sendingPolicy(identity, principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"send","Effect":"Allow","Principal":` + principal +
		`,"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:` + motoRegion + `:` + motoAccount + `:identity/` + identity + `"}]}`
}

// seed builds the account: for each kind a grant to a foreign account, one to everyone,
// and clean resources (a trusted account, a service pinned to the account, no policy).
func (m *moto) seed(ctx context.Context, t *testing.T) {
	t.Helper()
	zipPath := filepath.Join(m.dir, "fn.zip")
	writeLambdaZip(t, zipPath)
	execRole := "arn:aws:iam::" + motoAccount + ":role/ta-lambda-exec"

	role := func(name, principal string) [][]string {
		return [][]string{{"iam", "create-role", "--role-name", name, "--assume-role-policy-document", trustPolicy(principal)}}
	}
	identity := func(name, grantee string) [][]string {
		c := [][]string{{"sesv2", "create-email-identity", "--email-identity", name}}
		if grantee != "" {
			c = append(c, []string{"sesv2", "create-email-identity-policy", "--email-identity", name,
				"--policy-name", "send", "--policy", sendingPolicy(name, grantee)})
		}
		return c
	}
	// moto creates a function only if its execution role exists.
	m.runChains(ctx, t, [][][]string{role("ta-lambda-exec", `{"Service":"lambda.amazonaws.com"}`)})

	fn := func(name string, then ...[]string) [][]string {
		return append([][]string{{"lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
			"--role", execRole, "--handler", "index.handler", "--zip-file", "fileb://" + zipPath}}, then...)
	}
	permit := func(name string, args ...string) []string {
		return append([]string{"lambda", "add-permission", "--function-name", name, "--statement-id", "invoke",
			"--action", "lambda:InvokeFunction"}, args...)
	}
	// The two-call chains first, so that the batch ends with single calls.
	m.runChains(ctx, t, [][][]string{
		fn("ta-foreign", permit("ta-foreign", "--principal", foreignAccount)),
		fn("ta-trusted", permit("ta-trusted", "--principal", trustedAccount)),
		fn("ta-public", permit("ta-public", "--principal", "*")),
		fn("ta-s3-open", permit("ta-s3-open", "--principal", "s3.amazonaws.com")),
		fn("ta-s3-pinned", permit("ta-s3-pinned", "--principal", "s3.amazonaws.com", "--source-account", motoAccount)),
		// A published version and an alias with no policy of their own: listed, read and
		// clean.
		fn("ta-versioned",
			[]string{"lambda", "publish-version", "--function-name", "ta-versioned"},
			[]string{"lambda", "create-alias", "--function-name", "ta-versioned", "--name", "live", "--function-version", "1"}),
		identity("foreign.example.com", `{"AWS":"arn:aws:iam::`+foreignAccount+`:root"}`),
		identity("public.example.com", `"*"`),
		identity("ops@example.org", `{"AWS":"arn:aws:iam::`+trustedAccount+`:root"}`),
		identity("quiet.example.net", ""),
		role("ta-foreign", `{"AWS":"arn:aws:iam::`+foreignAccount+`:root"}`),
		role("ta-trusted", `{"AWS":"arn:aws:iam::`+trustedAccount+`:root"}`),
		role("ta-public", `{"AWS":"*"}`),
	})
}

func writeLambdaZip(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "def handler(event, context):\n    return None\n"); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// servesSESv2List reports whether moto answers ListEmailIdentities on the route the SDK for
// Go v2 uses.
func (m *moto) servesSESv2List(ctx context.Context, t *testing.T) bool {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/v2/email/list-identities", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+motoRegion+"/ses/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("probe moto's SESv2 listing: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ EmailIdentities []json.RawMessage }
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&out) == nil
}

// sesv2ListShim forwards everything to moto, except that it sends ListEmailIdentities (POST
// /v2/email/list-identities, a JSON body) to moto's GET /v2/email/identities, carrying the
// NextToken over and leaving PageSize out (moto fails on it as a query parameter). Every
// other request, the identities' policy reads among them, reaches moto unchanged.
func sesv2ListShim(t *testing.T, target string, count *atomic.Int64) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		if r.In.Method != http.MethodPost || r.In.URL.Path != "/v2/email/list-identities" {
			return
		}
		count.Add(1)
		var in struct{ NextToken string }
		if r.In.Body != nil {
			_ = json.NewDecoder(r.In.Body).Decode(&in)
		}
		r.Out.Method = http.MethodGet
		r.Out.URL.Path = "/v2/email/identities"
		r.Out.URL.RawPath = ""
		q := url.Values{}
		if in.NextToken != "" {
			q.Set("NextToken", in.NextToken)
		}
		r.Out.URL.RawQuery = q.Encode()
		r.Out.Body = http.NoBody
		r.Out.ContentLength = 0
		r.Out.Header.Del("Content-Type")
		r.Out.Header.Del("Content-Length")
	}}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}
