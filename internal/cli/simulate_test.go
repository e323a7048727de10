package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trustaudit/trustaudit/internal/iostreams"
)

// runSimulateUntilReady runs the command in the background and returns its URL once it
// listens; the returned stop ends it and gives back its error.
func runSimulateUntilReady(t *testing.T, opts *simulateOptions) (url string, ios *iostreams.IOStreams, stop func() error) {
	t.Helper()
	ios, _, _, _ = iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	opts.ready = func(u string) { ready <- u }
	done := make(chan error, 1)
	go func() { done <- runSimulate(ctx, ios, opts) }()
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("simulate ended before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("simulate did not start")
	}
	return url, ios, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("simulate did not stop")
			return nil
		}
	}
}

func callerARN(t *testing.T, url, key string) string {
	t.Helper()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(key, "any", "")}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return *out.Arn
}

func TestSimulateServesTheDemoWorld(t *testing.T) {
	url, ios, stop := runSimulateUntilReady(t, &simulateOptions{Listen: "127.0.0.1:0", TimeScale: 1})
	if got := callerARN(t, url, "AKIADEMO111122223333"); got != "arn:aws:iam::111122223333:user/auditor" {
		t.Errorf("caller %s", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	errOut := ios.ErrOut.(interface{ String() string }).String()
	for _, want := range []string{"the demo world (2 accounts)", "export AWS_ENDPOINT_URL=" + url, "AWS_ACCESS_KEY_ID=AKIADEMO111122223333", url + "/_sim/counters"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if out := ios.Out.(interface{ String() string }).String(); out != "" {
		t.Errorf("stdout should stay empty, got %q", out)
	}
}

func TestSimulateServesAWorldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "world.json")
	w := `{"schema_version":1,"accounts":[{"id":"123456789012","access_keys":[{"id":"AKIAFILE","arn":"arn:aws:iam::123456789012:user/file"}],"regions":[{"name":"us-east-1"}],"iam":{}}]}`
	if err := os.WriteFile(path, []byte(w), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, stop := runSimulateUntilReady(t, &simulateOptions{World: path, Listen: "localhost:0", TimeScale: 10, NoQuotas: true})
	if got := callerARN(t, url, "AKIAFILE"); got != "arn:aws:iam::123456789012:user/file" {
		t.Errorf("caller %s", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSimulateRejectsBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\"schema_version\":1,\n\"accounts\":[{\"id\":\"12\"}]}"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"non-loopback address", []string{"simulate", "--listen", "0.0.0.0:4566"}, ExitUsage, "loopback only"},
		{"all interfaces", []string{"simulate", "--listen", ":4566"}, ExitUsage, "loopback only"},
		{"remote host", []string{"simulate", "--listen", "192.0.2.1:4566"}, ExitUsage, "loopback only"},
		{"no port", []string{"simulate", "--listen", "127.0.0.1"}, ExitUsage, "expected host:port"},
		{"bad time scale", []string{"simulate", "--time-scale", "0"}, ExitUsage, "--time-scale"},
		{"malformed world", []string{"simulate", "--world", bad, "--listen", "127.0.0.1:0"}, ExitError, bad + ": accounts[0].id"},
		{"missing world", []string{"simulate", "--world", filepath.Join(t.TempDir(), "nope.json"), "--listen", "127.0.0.1:0"}, ExitError, "nope.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			code := Main(ctx, tc.args, ios)
			if code != tc.code || !strings.Contains(errOut.String(), tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut.String(), tc.code, tc.msg)
			}
		})
	}
}
