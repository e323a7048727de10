package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// The framework's tests: routing, error shapes, quotas, faults, counters and world handling,
// all through the real SDK clients.

const (
	fwMgmt      = "111111111111"
	fwMember    = "222222222222"
	fwMgmtKey   = "AKIAFWMGMT0000000001"
	fwMemberKey = "AKIAFWMEMBER00000001"
	fwAdminARN  = "arn:aws:iam::111111111111:user/admin"
)

const fwWorldJSON = `{
  "schema_version": 1,
  "organization": {"id": "o-fwtest00001", "management_account": "111111111111"},
  "accounts": [
    {"id": "111111111111", "name": "mgmt",
     "access_keys": [{"id": "AKIAFWMGMT0000000001", "arn": "arn:aws:iam::111111111111:user/admin"}],
     "regions": [{"name": "us-east-1"}, {"name": "eu-west-1", "opt_in_status": "ENABLED"}, {"name": "af-south-1", "opt_in_status": "DISABLED"}],
     "iam": {"roles": [
       {"name": "echo", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}},
       {"name": "alpha", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}},
       {"name": "delta", "path": "/ops/", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}},
       {"name": "Charlie", "path": "/ops/", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}},
       {"name": "bravo", "role_id": "AROAFIXEDROLEID00001", "description": "with spaces & symbols", "assume_role_policy": "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111111111111:root\"}, \"Action\": \"sts:AssumeRole\"}]\n}"}
     ]}},
    {"id": "222222222222", "name": "member",
     "access_keys": [{"id": "AKIAFWMEMBER00000001", "arn": "arn:aws:iam::222222222222:user/dev"}],
     "regions": [{"name": "us-east-1"}, {"name": "eu-west-1", "opt_in_status": "DISABLED"}],
     "iam": {"roles": [
       {"name": "audit", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}},
       {"name": "external", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cret-id"}}}]}},
       {"name": "by-user", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/admin"},"Action":["sts:AssumeRole","sts:TagSession"]}]}},
       {"name": "denied", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"},{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}},
       {"name": "service", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}},
       {"name": "chained", "assume_role_policy": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/audit"},"Action":"sts:AssumeRole"}]}}
     ]}}
  ]
}`

func fwWorld(t testing.TB) *world.World {
	t.Helper()
	w, err := world.Parse("fwWorldJSON", []byte(fwWorldJSON))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func fwStart(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.World == nil {
		opts.World = fwWorld(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fwNoRetry is a config whose clients make exactly one attempt, so tests see each answer.
func fwNoRetry(s *Server, key, region string) aws.Config {
	cfg := s.Config(key, region)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return cfg
}

func fwCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("expected an AWS API error, got %v", err)
	}
	return ae.ErrorCode()
}

func fwStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestUnknownOperationsGetTheProtocolsError(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	cfg := fwNoRetry(s, fwMgmtKey, "us-east-1")
	cases := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"query", func() error { _, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{}); return err }, "InvalidAction", 400},
		{"ec2", func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}, "InvalidAction", 400},
		{"json", func() error {
			_, err := organizations.NewFromConfig(cfg).ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})
			return err
		}, "UnknownOperationException", 400},
		{"rest", func() error {
			_, err := account.NewFromConfig(cfg).GetContactInformation(ctx, &account.GetContactInformationInput{})
			return err
		}, "UnknownOperationException", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := fwCode(t, err); got != tc.code {
				t.Errorf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if got := fwStatus(err); got != tc.status {
				t.Errorf("status = %d, want %d", got, tc.status)
			}
		})
	}
}

func TestCallersAccountFromAccessKey(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	cases := []struct {
		key, wantARN, wantAccount, wantUserID string
	}{
		{fwMgmtKey, fwAdminARN, fwMgmt, ""},
		{fwMemberKey, "arn:aws:iam::222222222222:user/dev", fwMember, ""},
		{"AKIAUNKNOWN", "arn:aws:iam::111111111111:root", fwMgmt, fwMgmt},
	}
	for _, tc := range cases {
		out, err := sts.NewFromConfig(s.Config(tc.key, "us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		if *out.Arn != tc.wantARN || *out.Account != tc.wantAccount {
			t.Errorf("%s: got %s in %s, want %s in %s", tc.key, *out.Arn, *out.Account, tc.wantARN, tc.wantAccount)
		}
		if tc.wantUserID != "" && *out.UserId != tc.wantUserID {
			t.Errorf("%s: UserId = %s, want %s", tc.key, *out.UserId, tc.wantUserID)
		}
		if tc.wantUserID == "" && !strings.HasPrefix(*out.UserId, "AIDA") {
			t.Errorf("%s: UserId = %s, want an AIDA user id", tc.key, *out.UserId)
		}
	}
}

func TestDisabledRegionRejectsCredentials(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	// af-south-1 is disabled in the management account; eu-west-1 is disabled in the member.
	_, err := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "af-south-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code := fwCode(t, err); code != "InvalidClientTokenId" || fwStatus(err) != 403 {
		t.Errorf("STS in a disabled region: %v", err)
	}
	if _, err := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "eu-west-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("STS in an opted-in region: %v", err)
	}
	_, err = ec2.NewFromConfig(fwNoRetry(s, fwMemberKey, "eu-west-1")).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if code := fwCode(t, err); code != "AuthFailure" {
		t.Errorf("EC2 in the member's disabled region: %v", err)
	}
	// IAM is global: a client signing any region is served.
	if _, err := iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "af-south-1")).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Errorf("IAM signed for a disabled region: %v", err)
	}
}

func TestThrottlingPerService(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		bucket string
		call   func(cfg aws.Config) error
		code   string
		status int
	}{
		{"sts", func(cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "Throttling", 400},
		{"iam:read", func(cfg aws.Config) error {
			_, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}, "Throttling", 400},
		{"organizations", func(cfg aws.Config) error {
			_, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}, "TooManyRequestsException", 400},
		{"account", func(cfg aws.Config) error {
			_, err := account.NewFromConfig(cfg).ListRegions(ctx, &account.ListRegionsInput{})
			return err
		}, "TooManyRequestsException", 429},
		{"ec2:describe", func(cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, "RequestLimitExceeded", 503},
	}
	for _, tc := range cases {
		t.Run(tc.bucket, func(t *testing.T) {
			// A bucket of one token that refills once every 1000 s: the second call is throttled.
			s := fwStart(t, Options{Quotas: map[string]float64{tc.bucket: 0.001}})
			cfg := fwNoRetry(s, fwMgmtKey, "us-east-1")
			if err := tc.call(cfg); err != nil {
				t.Fatalf("first call: %v", err)
			}
			err := tc.call(cfg)
			if err == nil {
				t.Fatal("second call within the burst of 1 was not throttled")
			}
			if code := fwCode(t, err); code != tc.code || fwStatus(err) != tc.status {
				t.Errorf("got %s/%d, want %s/%d", code, fwStatus(err), tc.code, tc.status)
			}
			if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
				t.Errorf("the SDK does not recognise %v as a throttle", err)
			}
			// Another account has its own bucket.
			if err := tc.call(fwNoRetry(s, fwMemberKey, "us-east-1")); err != nil && tc.bucket != "organizations" {
				t.Errorf("another account's call was affected: %v", err)
			}
			var throttled int64
			for _, c := range s.Counters() {
				if c.Outcome == "throttled" {
					throttled += c.N
				}
			}
			if throttled != 1 {
				t.Errorf("throttled count = %d, want 1", throttled)
			}
		})
	}
}

func TestThrottledCallsSucceedWithTheDefaultRetryer(t *testing.T) {
	s := fwStart(t, Options{Quotas: map[string]float64{"iam:read": 50}})
	client := iam.NewFromConfig(s.Config(fwMgmtKey, "us-east-1"))
	for i := 0; i < 60; i++ {
		if _, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("alpha")}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	got := map[string]int64{}
	for _, c := range s.Counters() {
		got[c.Outcome] += c.N
	}
	if got["ok"] != 60 || got["throttled"] == 0 {
		t.Errorf("outcomes = %v, want 60 ok after some throttles", got)
	}
}

func TestNoQuotasNeverThrottles(t *testing.T) {
	s := fwStart(t, Options{NoQuotas: true})
	client := iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1"))
	for i := 0; i < 100; i++ {
		if _, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("alpha")}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

func TestQuotaBucketAccounting(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := newQuotas(Options{TimeScale: 10, Quotas: map[string]float64{"iam:read": 2, "iam:write": 0}}, func() time.Time { return now })
	call := func(account, region, service, op string) bool {
		return q.allow(&Call{Account: account, Region: region, Service: service, Operation: op, Params: map[string][]string{"Action": {op}}})
	}
	takeAll := func(account, region, service, op string) int {
		n := 0
		for call(account, region, service, op) {
			n++
			if n > 10000 {
				t.Fatal("bucket never empties")
			}
		}
		return n
	}
	// Overridden 2/s scaled by 10: a burst of 20, then 20 per second.
	if n := takeAll("a", "us-east-1", "iam", "GetRole"); n != 20 {
		t.Errorf("burst = %d, want 20", n)
	}
	now = now.Add(100 * time.Millisecond)
	if n := takeAll("a", "us-east-1", "iam", "ListRoles"); n != 2 {
		t.Errorf("after 100ms: %d tokens, want 2", n)
	}
	// IAM is global: the bucket is per account, whatever region is signed.
	if call("a", "eu-west-1", "iam", "GetRole") {
		t.Error("IAM bucket is per region, want per account")
	}
	now = now.Add(time.Hour)
	if n := takeAll("a", "us-east-1", "iam", "GetRole"); n != 20 {
		t.Errorf("after an hour: %d tokens, want the burst of 20", n)
	}
	// 0 means unlimited.
	for i := 0; i < 1000; i++ {
		if !call("a", "us-east-1", "iam", "UpdateAssumeRolePolicy") {
			t.Fatal("an unlimited bucket throttled")
		}
	}
	// Regional buckets are per (account, region, bucket); default rates scale too.
	if n := takeAll("a", "us-east-1", "lambda", "GetPolicy"); n != 150 {
		t.Errorf("lambda:GetPolicy burst at scale 10 = %d, want 150", n)
	}
	if n := takeAll("a", "eu-west-1", "lambda", "GetPolicy"); n != 150 {
		t.Errorf("another region's bucket = %d, want 150", n)
	}
	if n := takeAll("a", "us-east-1", "lambda", "ListFunctions"); n != 150 {
		t.Errorf("lambda:control is separate from GetPolicy: %d, want 150", n)
	}
	if n := takeAll("b", "us-east-1", "lambda", "GetPolicy"); n != 150 {
		t.Errorf("another account's bucket = %d, want 150", n)
	}
}

func TestBucketNames(t *testing.T) {
	cases := []struct {
		proto             protocol
		service, op, want string
	}{
		{protoREST, "lambda", "GetPolicy", "lambda:GetPolicy"},
		{protoREST, "lambda", "ListAliases", "lambda:control"},
		{protoREST, "lambda", "GetLayerVersionPolicy", "lambda:control"},
		{protoQuery, "ses", "ListIdentities", "ses:ListIdentities"},
		{protoQuery, "ses", "GetIdentityPolicies", "ses:GetIdentityPolicies"},
		{protoQuery, "ses", "PutIdentityPolicy", "ses:v1-writes"},
		{protoREST, "ses", "GetEmailIdentityPolicies", "ses:GetEmailIdentityPolicies"},
		{protoREST, "ses", "GetEmailIdentity", "ses:v2-other"},
		{protoREST, "ses", "CreateEmailIdentityPolicy", "ses:v2-other"},
		{protoQuery, "iam", "ListRoles", "iam:read"},
		{protoQuery, "iam", "UpdateAssumeRolePolicy", "iam:write"},
		{protoQuery, "sts", "AssumeRole", "sts"},
		{protoJSON, "organizations", "ListAccounts", "organizations"},
		{protoREST, "account", "ListRegions", "account"},
		{protoEC2, "ec2", "DescribeRegions", "ec2:describe"},
	}
	for _, tc := range cases {
		if got := bucketFor(tc.proto, &Call{Service: tc.service, Operation: tc.op}); got != tc.want {
			t.Errorf("%s %s: bucket %q, want %q", tc.service, tc.op, got, tc.want)
		}
		if _, ok := DefaultQuotas()[tc.want]; !ok {
			t.Errorf("bucket %q has no default rate", tc.want)
		}
	}
}

func TestFaultDeny(t *testing.T) {
	s := fwStart(t, Options{Faults: Faults{Deny: []Match{
		{Service: "iam"},
		{Service: "ec2", Region: "eu-west-1"},
		{Service: "organizations", Operation: "ListAccounts"},
		{Service: "account", Account: fwMember},
	}}})
	ctx := context.Background()
	us, eu := fwNoRetry(s, fwMgmtKey, "us-east-1"), fwNoRetry(s, fwMgmtKey, "eu-west-1")
	cases := []struct {
		name string
		call func() error
		code string // "" = allowed
	}{
		{"iam denied", func() error { _, err := iam.NewFromConfig(us).ListRoles(ctx, &iam.ListRolesInput{}); return err }, "AccessDenied"},
		{"sts allowed", func() error {
			_, err := sts.NewFromConfig(us).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, ""},
		{"ec2 eu-west-1 denied", func() error {
			_, err := ec2.NewFromConfig(eu).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, "UnauthorizedOperation"},
		{"ec2 us-east-1 allowed", func() error {
			_, err := ec2.NewFromConfig(us).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}, ""},
		{"orgs ListAccounts denied", func() error {
			_, err := organizations.NewFromConfig(us).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}, "AccessDeniedException"},
		{"orgs DescribeOrganization allowed", func() error {
			_, err := organizations.NewFromConfig(us).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}, ""},
		{"account member denied", func() error {
			_, err := account.NewFromConfig(fwNoRetry(s, fwMemberKey, "us-east-1")).ListRegions(ctx, &account.ListRegionsInput{})
			return err
		}, "AccessDeniedException"},
		{"account mgmt allowed", func() error {
			_, err := account.NewFromConfig(us).ListRegions(ctx, &account.ListRegionsInput{})
			return err
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if code := fwCode(t, err); code != tc.code || fwStatus(err) != 403 {
				t.Errorf("got %s/%d, want %s/403", code, fwStatus(err), tc.code)
			}
		})
	}
}

func TestFaultRefuseAndUnreachable(t *testing.T) {
	s := fwStart(t, Options{Faults: Faults{Refuse: []string{"eu-west-1"}, Unreachable: []string{"us-west-2"}}})
	ctx := context.Background()

	_, err := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "eu-west-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if err == nil || errors.As(err, &ae) {
		t.Errorf("refused region: want a transport error, got %v", err)
	}
	if _, err := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("other region: %v", err)
	}

	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-west-2")).GetCallerIdentity(tctx, &sts.GetCallerIdentityInput{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("unreachable region: want the client's deadline, got %v", err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Errorf("unreachable region answered before the client gave up")
	}

	// A hanging request does not keep Close waiting.
	done := make(chan error, 1)
	go func() {
		_, err := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-west-2")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hanging request succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a hanging request outlived Close")
	}
	outcomes := map[string]int64{}
	for _, c := range s.Counters() {
		outcomes[c.Region+" "+c.Outcome] += c.N
	}
	if outcomes["eu-west-1 fault"] != 1 || outcomes["us-west-2 fault"] != 2 || outcomes["us-east-1 ok"] != 1 {
		t.Errorf("counters = %v", outcomes)
	}
}

func TestFaultErrorRateAndTruncate(t *testing.T) {
	ctx := context.Background()
	t.Run("5xx", func(t *testing.T) {
		s := fwStart(t, Options{Faults: Faults{ErrorRate: 1, Seed: 7}})
		codes := map[string]bool{}
		for i := 0; i < 20; i++ {
			_, err := iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).ListRoles(ctx, &iam.ListRolesInput{})
			code := fwCode(t, err)
			codes[code] = true
			st := fwStatus(err)
			if (code == "InternalFailure" && st != 500) || (code == "ServiceUnavailable" && st != 503) {
				t.Errorf("%s with status %d", code, st)
			}
			if retry.NewStandard().IsErrorRetryable(err) != true {
				t.Errorf("the SDK does not retry %v", err)
			}
		}
		if !codes["InternalFailure"] || !codes["ServiceUnavailable"] || len(codes) != 2 {
			t.Errorf("codes = %v, want InternalFailure and ServiceUnavailable", codes)
		}
		_, err := ec2.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if c := fwCode(t, err); c != "InternalError" && c != "Unavailable" {
			t.Errorf("EC2 fault code %s", c)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := fwStart(t, Options{Faults: Faults{Truncate: 1}})
		_, err := iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).ListRoles(ctx, &iam.ListRolesInput{})
		if err == nil {
			t.Fatal("a truncated answer was read as complete")
		}
		// Errors are never truncated: only successful answers are.
		_, err = iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
		if code := fwCode(t, err); code != "NoSuchEntity" {
			t.Errorf("error answer: %v", err)
		}
		// The SDK's standard retryer retries a cut-off body (short backoff to keep the test fast).
		cfg := s.Config(fwMgmtKey, "us-east-1")
		cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxBackoffDelay(retry.NewStandard(), 5*time.Millisecond) }
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			t.Fatal("truncated answers succeeded")
		}
		n := int64(0)
		for _, c := range s.Counters() {
			if c.Service == "sts" && c.Outcome == "fault" {
				n = c.N
			}
		}
		if n < 2 {
			t.Errorf("STS truncations = %d; want the SDK to have retried", n)
		}
	})
}

func TestLatencyIsAdded(t *testing.T) {
	s := fwStart(t, Options{Latency: 60 * time.Millisecond, Jitter: 10 * time.Millisecond})
	client := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1"))
	start := time.Now()
	if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("answer after %v, want at least the 60ms latency", el)
	}
}

func TestCountersAndControlEndpoints(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	mgmt := fwNoRetry(s, fwMgmtKey, "us-east-1")
	for i := 0; i < 3; i++ {
		if _, err := sts.NewFromConfig(mgmt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = iam.NewFromConfig(fwNoRetry(s, fwMemberKey, "eu-west-1")).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	want := []Count{
		{Account: fwMgmt, Region: "us-east-1", Service: "sts", Operation: "GetCallerIdentity", Outcome: "ok", N: 3},
		{Account: fwMember, Region: "eu-west-1", Service: "iam", Operation: "GetRole", Outcome: "error:NoSuchEntity", N: 1},
	}
	sortCounts(want)
	if diff := cmp.Diff(want, s.Counters()); diff != "" {
		t.Errorf("Counters (-want +got):\n%s", diff)
	}

	resp, err := http.Get(s.URL() + "/_sim/counters")
	if err != nil {
		t.Fatal(err)
	}
	var got []Count
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /_sim/counters (-want +got):\n%s", diff)
	}

	resp, err = http.Post(s.URL()+"/_sim/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(s.Counters()); n != 0 {
		t.Errorf("after reset: %d counters", n)
	}
	resp, err = http.Get(s.URL() + "/_sim/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "/_sim/counters") {
		t.Errorf("unknown control endpoint: %d %s", resp.StatusCode, body)
	}
}

func TestRequestsWithoutSignatureAreRefused(t *testing.T) {
	s := fwStart(t, Options{})
	resp, err := http.Post(s.URL()+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned request: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Error("no request id")
	}
}

func TestWorldIsCopiedInAndOut(t *testing.T) {
	w := fwWorld(t)
	s := fwStart(t, Options{World: w})
	w.Accounts[0].IAM.Roles[0].AssumeRolePolicy = "changed by the caller"
	got := s.World()
	if got.Accounts[0].IAM.Roles[0].AssumeRolePolicy == "changed by the caller" {
		t.Error("Start did not copy the world")
	}
	got.Accounts[0].IAM.Roles = nil
	got.Organization.ID = "o-changedxxxx"
	again := s.World()
	if len(again.Accounts[0].IAM.Roles) != 5 || again.Organization.ID != "o-fwtest00001" {
		t.Error("World() returned the server's own state")
	}
	if err := again.Validate(); err != nil {
		t.Errorf("copied world: %v", err)
	}
}

func TestStartNeedsAWorld(t *testing.T) {
	if _, err := Start(Options{}); err == nil {
		t.Error("Start without a world succeeded")
	}
	if _, err := Start(Options{World: fwWorld(t), Addr: "256.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "256.0.0.1") {
		t.Errorf("bad address: %v", err)
	}
}
