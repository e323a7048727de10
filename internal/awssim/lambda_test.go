package awssim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// The services tests drive the simulator only through the real SDK clients, so they check
// the wire formats as much as the behaviour.

const (
	svcAcct  = "111111111111"
	svcOther = "222222222222"
	svcKey   = "AKIASVCTEST000000001"
	svcOrg   = "o-a1b2c3d4e5"
)

// svcWorld is an account with one IAM role, and 120 functions (the first ones with
// versions, aliases and policies), two layers and five SES identities in us-east-1, an empty
// eu-west-1 and a disabled ap-east-1.
func svcWorld(t testing.TB) *world.World {
	t.Helper()
	var fns []world.LambdaFunction
	for i := range 120 {
		fns = append(fns, world.LambdaFunction{Name: fmt.Sprintf("fn-%03d", i), Runtime: "python3.12"})
	}
	fns[0].Policy = world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"public","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111111111111:function:fn-000"}]}`)
	fns[0].RevisionID = "11111111-2222-4333-8444-555555555555"
	fns[0].Versions = []world.LambdaVersion{
		{Version: "1", Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"v1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111111111111:function:fn-000:1"}]}`)},
		{Version: "2"},
	}
	fns[0].Aliases = []world.LambdaAlias{
		{Name: "live", FunctionVersion: "2", Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"alias","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111111111111:function:fn-000:live"}]}`)},
		{Name: "canary", FunctionVersion: "1"},
	}
	fns[1].Versions = []world.LambdaVersion{{Version: "1"}, {Version: "2"}, {Version: "3"}}
	fns[119].Versions = []world.LambdaVersion{{Version: "7"}}
	w := &world.World{
		SchemaVersion: world.SchemaVersion,
		Organization:  &world.Organization{ID: svcOrg, ManagementAccount: svcAcct},
		Accounts: []world.Account{
			{
				ID:         svcAcct,
				AccessKeys: []world.AccessKey{{ID: svcKey, ARN: "arn:aws:iam::111111111111:user/tester"}},
				IAM: world.IAM{Roles: []world.Role{{Name: "deployer", Path: "/ci/",
					AssumeRolePolicy: world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)}}},
				Regions: []world.Region{
					{
						Name:            "us-east-1",
						LambdaFunctions: fns,
						LambdaLayers: []world.LambdaLayer{
							{Name: "shared", Versions: []world.LayerVersion{
								{Version: 1},
								{Version: 3, Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"everyone","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:111111111111:layer:shared:3"}]}`)},
								{Version: 2},
							}},
							{Name: "private", Versions: []world.LayerVersion{{Version: 1}}},
						},
						SESIdentities: []world.SESIdentity{
							{Identity: "example.com", Type: world.SESDomain, Policies: map[string]world.Policy{
								"AllowPartner": world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"ses:SendEmail","Resource":"arn:aws:ses:us-east-1:111111111111:identity/example.com"}]}`),
							}},
							{Identity: "alerts@example.com", Type: world.SESEmailAddress},
							{Identity: "example.org", Type: world.SESDomain},
							{Identity: "ops@example.org", Type: world.SESEmailAddress, Policies: map[string]world.Policy{
								"Public": world.Policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`),
							}},
							{Identity: "example.net", Type: world.SESDomain},
						},
					},
					{Name: "eu-west-1"},
					{Name: "ap-east-1", OptInStatus: world.OptInDisabled},
				},
			},
			{ID: svcOther, Regions: []world.Region{{Name: "us-east-1"}}},
		},
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("test world: %v", err)
	}
	return w
}

// svcStart serves svcWorld without quotas unless opts says otherwise.
func svcStart(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.World == nil {
		opts.World = svcWorld(t)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func lambdaClient(s *Server, region string, optFns ...func(*lambda.Options)) *lambda.Client {
	return lambda.NewFromConfig(s.Config(svcKey, region), optFns...)
}

func noRetries(o *lambda.Options) { o.RetryMaxAttempts = 1 }

// apiErrorAs asserts err is (or wraps) a *T and returns it.
func apiErrorAs[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

func TestLambdaListFunctionsPages(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()

	var sizes []int
	var names []string
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListFunctions: %v", err)
		}
		sizes = append(sizes, len(page.Functions))
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
			if f.Version == nil || *f.Version != "$LATEST" {
				t.Errorf("%s: Version = %v, want $LATEST", *f.FunctionName, aws.ToString(f.Version))
			}
		}
	}
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if len(names) != 120 || names[0] != "fn-000" || names[119] != "fn-119" {
		t.Errorf("listed %d functions from %v to %v", len(names), names[0], names[len(names)-1])
	}

	first, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	f := first.Functions[0]
	if got, want := aws.ToString(f.FunctionArn), "arn:aws:lambda:us-east-1:111111111111:function:fn-000"; got != want {
		t.Errorf("FunctionArn = %s, want %s", got, want)
	}
	if f.Runtime != lambdatypes.RuntimePython312 || aws.ToString(f.RevisionId) != "11111111-2222-4333-8444-555555555555" || aws.ToString(f.LastModified) == "" {
		t.Errorf("first function = runtime %q revision %q modified %q", f.Runtime, aws.ToString(f.RevisionId), aws.ToString(f.LastModified))
	}
	if first.NextMarker == nil {
		t.Error("MaxItems 1 over 120 functions returned no NextMarker")
	}

	if _, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("not-a-marker")}); err == nil {
		t.Error("a forged marker was accepted")
	} else {
		apiErrorAs[*lambdatypes.InvalidParameterValueException](t, err)
	}
}

func TestLambdaListFunctionsAllVersions(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	var got []string
	pages := 0
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{FunctionVersion: lambdatypes.FunctionVersionAll})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListFunctions ALL: %v", err)
		}
		pages++
		for _, f := range page.Functions {
			got = append(got, aws.ToString(f.FunctionArn)+" "+aws.ToString(f.Version))
		}
	}
	// 120 $LATEST entries + 2 + 3 + 1 published versions.
	if len(got) != 126 || pages != 3 {
		t.Fatalf("listed %d entries in %d pages, want 126 in 3", len(got), pages)
	}
	wantHead := []string{
		"arn:aws:lambda:us-east-1:111111111111:function:fn-000 $LATEST",
		"arn:aws:lambda:us-east-1:111111111111:function:fn-000:1 1",
		"arn:aws:lambda:us-east-1:111111111111:function:fn-000:2 2",
		"arn:aws:lambda:us-east-1:111111111111:function:fn-001 $LATEST",
		"arn:aws:lambda:us-east-1:111111111111:function:fn-001:1 1",
	}
	if diff := cmp.Diff(wantHead, got[:5]); diff != "" {
		t.Errorf("first entries (-want +got):\n%s", diff)
	}
	if last := got[len(got)-1]; last != "arn:aws:lambda:us-east-1:111111111111:function:fn-119:7 7" {
		t.Errorf("last entry = %s", last)
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Errorf("%s listed twice across pages", g)
		}
		seen[g] = true
	}
}

func TestLambdaListVersionsAndAliases(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()

	vs, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn-001"), MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs.Versions {
		got = append(got, aws.ToString(v.Version)+"="+aws.ToString(v.FunctionArn))
	}
	want := []string{
		"$LATEST=arn:aws:lambda:us-east-1:111111111111:function:fn-001:$LATEST",
		"1=arn:aws:lambda:us-east-1:111111111111:function:fn-001:1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first page (-want +got):\n%s", diff)
	}
	rest, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:111111111111:function:fn-001"), Marker: vs.NextMarker})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Versions) != 2 || aws.ToString(rest.Versions[1].Version) != "3" || rest.NextMarker != nil {
		t.Errorf("second page: %d versions, next %v", len(rest.Versions), aws.ToString(rest.NextMarker))
	}

	as, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("fn-000")})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, a := range as.Aliases {
		got = append(got, aws.ToString(a.Name)+"->"+aws.ToString(a.FunctionVersion)+" "+aws.ToString(a.AliasArn))
	}
	want = []string{
		"live->2 arn:aws:lambda:us-east-1:111111111111:function:fn-000:live",
		"canary->1 arn:aws:lambda:us-east-1:111111111111:function:fn-000:canary",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	byVersion, err := c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("fn-000"), FunctionVersion: aws.String("1")})
	if err != nil || len(byVersion.Aliases) != 1 || aws.ToString(byVersion.Aliases[0].Name) != "canary" {
		t.Errorf("aliases of version 1 = %+v, %v", byVersion, err)
	}

	_, err = c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("missing")})
	nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)
	if got := aws.ToString(nf.Message); got != "Function not found: arn:aws:lambda:us-east-1:111111111111:function:missing" {
		t.Errorf("message = %q", got)
	}
}

func TestLambdaGetPolicy(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	tests := []struct {
		name, fn, qualifier string
		wantSid             string // "" when an error is expected
		wantMsg             string
	}{
		{name: "unqualified", fn: "fn-000", wantSid: `"Sid":"public"`},
		{name: "by ARN", fn: "arn:aws:lambda:us-east-1:111111111111:function:fn-000", wantSid: `"Sid":"public"`},
		{name: "by partial ARN", fn: "111111111111:function:fn-000", wantSid: `"Sid":"public"`},
		{name: "$LATEST is the unqualified policy", fn: "fn-000", qualifier: "$LATEST", wantSid: `"Sid":"public"`},
		{name: "version", fn: "fn-000", qualifier: "1", wantSid: `"Sid":"v1"`},
		{name: "version in the name", fn: "fn-000:1", wantSid: `"Sid":"v1"`},
		{name: "alias", fn: "fn-000", qualifier: "live", wantSid: `"Sid":"alias"`},
		{name: "no policy", fn: "fn-001", wantMsg: "The resource you requested does not exist."},
		{name: "version without policy", fn: "fn-000", qualifier: "2", wantMsg: "The resource you requested does not exist."},
		{name: "missing function", fn: "nope", wantMsg: "Function not found: arn:aws:lambda:us-east-1:111111111111:function:nope"},
		{name: "missing version", fn: "fn-000", qualifier: "9", wantMsg: "Function not found: arn:aws:lambda:us-east-1:111111111111:function:fn-000:9"},
		{name: "missing alias", fn: "fn-000", qualifier: "blue", wantMsg: "Function not found: arn:aws:lambda:us-east-1:111111111111:function:fn-000:blue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &lambda.GetPolicyInput{FunctionName: aws.String(tt.fn)}
			if tt.qualifier != "" {
				in.Qualifier = aws.String(tt.qualifier)
			}
			out, err := c.GetPolicy(context.Background(), in)
			if tt.wantSid == "" {
				nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)
				if got := aws.ToString(nf.Message); got != tt.wantMsg {
					t.Errorf("message = %q, want %q", got, tt.wantMsg)
				}
				if aws.ToString(nf.Type) != "User" {
					t.Errorf("Type = %q, want User", aws.ToString(nf.Type))
				}
				return
			}
			if err != nil {
				t.Fatalf("GetPolicy: %v", err)
			}
			if !strings.Contains(aws.ToString(out.Policy), tt.wantSid) {
				t.Errorf("policy %s lacks %s", aws.ToString(out.Policy), tt.wantSid)
			}
			if len(aws.ToString(out.RevisionId)) != 36 {
				t.Errorf("RevisionId = %q, want a UUID", aws.ToString(out.RevisionId))
			}
		})
	}

	// The unqualified revision is the function's, as ListFunctions reports it.
	out, err := c.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")})
	if err != nil || aws.ToString(out.RevisionId) != "11111111-2222-4333-8444-555555555555" {
		t.Errorf("GetPolicy fn-000 revision = %v, %v", aws.ToString(out.RevisionId), err)
	}

	_, err = c.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String("fn-000:1"), Qualifier: aws.String("2")})
	apiErrorAs[*lambdatypes.InvalidParameterValueException](t, err)
}

// The statements below are the ones the Lambda documentation shows add-permission writing
// (Lambda developer guide, "Granting function access to other accounts / services", and the
// function URL and organization examples), moved to this test's account and region.
func TestLambdaAddPermissionStatements(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	const fn = "arn:aws:lambda:us-east-1:111111111111:function:fn-002"
	tests := []struct {
		name string
		in   lambda.AddPermissionInput
		want string
	}{
		{
			name: "service with source account and ARN",
			in: lambda.AddPermissionInput{StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
				SourceArn: aws.String("arn:aws:s3:::my-bucket-1xpuxmplzrlbh"), SourceAccount: aws.String("111111111111")},
			want: `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + fn + `","Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket-1xpuxmplzrlbh"}}}`,
		},
		{
			name: "another account",
			in:   lambda.AddPermissionInput{StatementId: aws.String("xaccount"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("222222222222")},
			want: `{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"lambda:InvokeFunction","Resource":"` + fn + `"}`,
		},
		{
			name: "a role",
			in:   lambda.AddPermissionInput{StatementId: aws.String("role"), Action: aws.String("lambda:GetFunction"), Principal: aws.String("arn:aws:iam::222222222222:role/deployer")},
			want: `{"Sid":"role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/deployer"},"Action":"lambda:GetFunction","Resource":"` + fn + `"}`,
		},
		{
			name: "public function URL",
			in: lambda.AddPermissionInput{StatementId: aws.String("FunctionURLAllowPublicAccess"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
				FunctionUrlAuthType: lambdatypes.FunctionUrlAuthTypeNone},
			want: `{"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"` + fn + `","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}}`,
		},
		{
			name: "organization",
			in:   lambda.AddPermissionInput{StatementId: aws.String("org"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), PrincipalOrgID: aws.String("o-a1b2c3d4e5")},
			want: `{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"` + fn + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`,
		},
		{
			name: "alexa skill with event source token",
			in: lambda.AddPermissionInput{StatementId: aws.String("alexa"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("alexa-appkit.amazon.com"),
				EventSourceToken: aws.String("amzn1.ask.skill.xxxx")},
			want: `{"Sid":"alexa","Effect":"Allow","Principal":{"Service":"alexa-appkit.amazon.com"},"Action":"lambda:InvokeFunction","Resource":"` + fn + `","Condition":{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.xxxx"}}}`,
		},
	}
	var statements []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.FunctionName = aws.String("fn-002")
			out, err := c.AddPermission(context.Background(), &in)
			if err != nil {
				t.Fatalf("AddPermission: %v", err)
			}
			if diff := cmp.Diff(tt.want, aws.ToString(out.Statement)); diff != "" {
				t.Errorf("statement (-want +got):\n%s", diff)
			}
			statements = append(statements, tt.want)
		})
	}
	pol, err := c.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String("fn-002")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(statements, ",") + `]}`
	if diff := cmp.Diff(want, aws.ToString(pol.Policy)); diff != "" {
		t.Errorf("policy (-want +got):\n%s", diff)
	}
	// The write is in the server's world, where a snapshot or a test can see it.
	if got := string(s.World().Accounts[0].Regions[0].LambdaFunctions[2].Policy); got != want {
		t.Errorf("world policy = %s", got)
	}
}

func TestLambdaAddPermissionQualified(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()
	out, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn-001"), Qualifier: aws.String("2"),
		StatementId: aws.String("v2"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.Statement), `"Resource":"arn:aws:lambda:us-east-1:111111111111:function:fn-001:2"`) {
		t.Errorf("statement %s does not name version 2", aws.ToString(out.Statement))
	}
	if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-001")}); err == nil {
		t.Error("a version's permission leaked into the unqualified policy")
	}
	if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-001"), Qualifier: aws.String("2")}); err != nil {
		t.Errorf("GetPolicy version 2: %v", err)
	}
	if got := s.World().Accounts[0].Regions[0].LambdaFunctions[1].Versions[1].Policy; !strings.Contains(string(got), `"Sid":"v2"`) {
		t.Errorf("world version 2 policy = %s", got)
	}
}

func TestLambdaPermissionErrors(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()
	add := func(sid, principal string) error {
		_, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn-000"),
			StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal)})
		return err
	}

	conflict := apiErrorAs[*lambdatypes.ResourceConflictException](t, add("public", "*"))
	if !strings.Contains(aws.ToString(conflict.Message), "The statement id (public) provided already exists") {
		t.Errorf("conflict message = %q", aws.ToString(conflict.Message))
	}
	apiErrorAs[*lambdatypes.InvalidParameterValueException](t, add("bad", "not a principal"))
	apiErrorAs[*lambdatypes.ResourceNotFoundException](t, func() error {
		_, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("nope"),
			StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
		return err
	}())

	// 20 KB is the limit of the whole policy.
	var err error
	for i := 0; err == nil && i < 200; i++ {
		err = add(fmt.Sprintf("filler-%03d-%s", i, strings.Repeat("x", 60)), "arn:aws:iam::222222222222:role/"+strings.Repeat("r", 60))
	}
	tooBig := apiErrorAs[*lambdatypes.PolicyLengthExceededException](t, err)
	if !strings.Contains(aws.ToString(tooBig.Message), "is bigger than the limit (20480)") {
		t.Errorf("length message = %q", aws.ToString(tooBig.Message))
	}
	pol, gerr := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")})
	if gerr != nil || len(aws.ToString(pol.Policy)) > 20480 {
		t.Errorf("policy after the refused write: %d bytes, %v", len(aws.ToString(pol.Policy)), gerr)
	}
}

func TestLambdaRevisionIDs(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()
	get := func() *lambda.GetPolicyOutput {
		t.Helper()
		out, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000"), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := get()
	if again := get(); aws.ToString(again.RevisionId) != aws.ToString(before.RevisionId) {
		t.Fatal("RevisionId changed without a write")
	}

	_, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn-000"), Qualifier: aws.String("live"),
		StatementId: aws.String("late"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
		RevisionId: aws.String("00000000-0000-4000-8000-000000000000")})
	pf := apiErrorAs[*lambdatypes.PreconditionFailedException](t, err)
	if !strings.HasPrefix(aws.ToString(pf.Message), "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias.") {
		t.Errorf("precondition message = %q", aws.ToString(pf.Message))
	}

	if _, err := c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn-000"), Qualifier: aws.String("live"),
		StatementId: aws.String("late"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"),
		RevisionId: before.RevisionId}); err != nil {
		t.Fatalf("AddPermission with the current revision: %v", err)
	}
	after := get()
	if aws.ToString(after.RevisionId) == aws.ToString(before.RevisionId) {
		t.Error("RevisionId did not change with the policy")
	}

	// RemovePermission with the revision from before the write is refused and changes nothing.
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn-000"), Qualifier: aws.String("live"),
		StatementId: aws.String("late"), RevisionId: before.RevisionId})
	apiErrorAs[*lambdatypes.PreconditionFailedException](t, err)
	if now := get(); aws.ToString(now.Policy) != aws.ToString(after.Policy) {
		t.Error("a refused RemovePermission changed the policy")
	}
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn-000"), Qualifier: aws.String("live"),
		StatementId: aws.String("late"), RevisionId: after.RevisionId}); err != nil {
		t.Fatalf("RemovePermission with the current revision: %v", err)
	}
	if now := get(); aws.ToString(now.Policy) != aws.ToString(before.Policy) || aws.ToString(now.RevisionId) != aws.ToString(before.RevisionId) {
		t.Errorf("after add and remove: policy %s revision %s, want the original back", aws.ToString(now.Policy), aws.ToString(now.RevisionId))
	}
}

func TestLambdaRemovePermission(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()

	_, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn-000"), StatementId: aws.String("nope")})
	nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)
	if got := aws.ToString(nf.Message); got != "Statement nope is not found in resource policy." {
		t.Errorf("message = %q", got)
	}
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn-001"), StatementId: aws.String("any")})
	if nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err); aws.ToString(nf.Message) != "No policy is associated with the given resource." {
		t.Errorf("remove from a function without a policy: %q", aws.ToString(nf.Message))
	}

	// Removing the last statement removes the policy.
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn-000"), StatementId: aws.String("public")}); err != nil {
		t.Fatalf("RemovePermission: %v", err)
	}
	_, err = c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")})
	nf = apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)
	if aws.ToString(nf.Message) != "The resource you requested does not exist." {
		t.Errorf("GetPolicy after removing the last statement: %q", aws.ToString(nf.Message))
	}
	fn := s.World().Accounts[0].Regions[0].LambdaFunctions[0]
	if fn.Policy != "" || fn.Versions[0].Policy == "" {
		t.Errorf("world after remove: unqualified %q, version 1 %q", fn.Policy, fn.Versions[0].Policy)
	}
}

func TestLambdaLayers(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()

	layers, err := c.ListLayers(ctx, &lambda.ListLayersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range layers.Layers {
		got = append(got, aws.ToString(l.LayerArn)+" latest "+aws.ToString(l.LatestMatchingVersion.LayerVersionArn))
	}
	want := []string{
		"arn:aws:lambda:us-east-1:111111111111:layer:shared latest arn:aws:lambda:us-east-1:111111111111:layer:shared:3",
		"arn:aws:lambda:us-east-1:111111111111:layer:private latest arn:aws:lambda:us-east-1:111111111111:layer:private:1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}

	var versions []int64
	p := lambda.NewListLayerVersionsPaginator(c, &lambda.ListLayerVersionsInput{LayerName: aws.String("shared"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.LayerVersions {
			versions = append(versions, v.Version)
		}
	}
	if diff := cmp.Diff([]int64{3, 2, 1}, versions); diff != "" {
		t.Errorf("layer versions, newest first (-want +got):\n%s", diff)
	}

	pol, err := c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(3)})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), `"Sid":"everyone"`) {
		t.Fatalf("GetLayerVersionPolicy: %v, %v", pol, err)
	}
	_, err = c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(1)})
	if nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err); aws.ToString(nf.Message) != "The resource you requested does not exist." {
		t.Errorf("no-policy message = %q", aws.ToString(nf.Message))
	}
	_, err = c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("shared"), VersionNumber: aws.Int64(9)})
	apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)

	added, err := c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("private"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("xaccount"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("222222222222")})
	if err != nil {
		t.Fatal(err)
	}
	wantSt := `{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:111111111111:layer:private:1"}`
	if diff := cmp.Diff(wantSt, aws.ToString(added.Statement)); diff != "" {
		t.Errorf("layer statement (-want +got):\n%s", diff)
	}
	org, err := c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("arn:aws:lambda:us-east-1:111111111111:layer:private"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("org"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"), OrganizationId: aws.String(svcOrg),
		RevisionId: added.RevisionId})
	if err != nil {
		t.Fatal(err)
	}
	wantOrg := `{"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:111111111111:layer:private:1","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`
	if diff := cmp.Diff(wantOrg, aws.ToString(org.Statement)); diff != "" {
		t.Errorf("org statement (-want +got):\n%s", diff)
	}
	_, err = c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: aws.String("private"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("org"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})
	apiErrorAs[*lambdatypes.ResourceConflictException](t, err)
	_, err = c.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("private"), VersionNumber: aws.Int64(1),
		StatementId: aws.String("org"), RevisionId: added.RevisionId})
	apiErrorAs[*lambdatypes.PreconditionFailedException](t, err)

	for _, sid := range []string{"xaccount", "org"} {
		if _, err := c.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: aws.String("private"), VersionNumber: aws.Int64(1), StatementId: aws.String(sid)}); err != nil {
			t.Fatalf("RemoveLayerVersionPermission %s: %v", sid, err)
		}
	}
	if p := s.World().Accounts[0].Regions[0].LambdaLayers[1].Versions[0].Policy; p != "" {
		t.Errorf("layer policy after removing every statement = %s", p)
	}
}

func TestLambdaRegions(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	ctx := context.Background()
	out, err := lambdaClient(s, "eu-west-1").ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(out.Functions) != 0 || out.NextMarker != nil {
		t.Errorf("empty region: %+v, %v", out, err)
	}
	_, err = lambdaClient(s, "ap-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err == nil || !strings.Contains(err.Error(), "UnrecognizedClientException") {
		t.Errorf("disabled region: %v, want UnrecognizedClientException", err)
	}
	// A function of another region, by ARN, is not found here.
	_, err = lambdaClient(s, "eu-west-1").GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:111111111111:function:fn-000")})
	apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err)
}

func TestLambdaGetPolicyThrottling(t *testing.T) {
	s := svcStart(t, Options{})
	ctx := context.Background()

	// Retries off: past the 15-token burst, GetPolicy is refused with Lambda's own error.
	c := lambdaClient(s, "us-east-1", noRetries)
	var ok, throttled int
	for range 30 {
		_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")})
		var tm *lambdatypes.TooManyRequestsException
		switch {
		case err == nil:
			ok++
		case errors.As(err, &tm):
			throttled++
			if tm.Reason != lambdatypes.ThrottleReasonCallerRateLimitExceeded || aws.ToString(tm.Message) != "Rate exceeded" {
				t.Errorf("throttle = reason %q message %q", tm.Reason, aws.ToString(tm.Message))
			}
		default:
			t.Fatalf("GetPolicy: %v", err)
		}
	}
	if ok < 15 || throttled == 0 {
		t.Errorf("30 quick GetPolicy calls: %d ok, %d throttled; want at least 15 ok and some throttled", ok, throttled)
	}
	// The control-plane bucket is separate: listing still works.
	if _, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Errorf("ListFunctions after GetPolicy throttling: %v", err)
	}

	// With the SDK's default retryer, a burst beyond the bucket completes.
	s2 := svcStart(t, Options{})
	c2 := lambdaClient(s2, "us-east-1")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c2.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GetPolicy with retries: %v", err)
		}
	}
	var gotOK, gotThrottled int64
	for _, n := range s2.Counters() {
		if n.Service == "lambda" && n.Operation == "GetPolicy" {
			switch n.Outcome {
			case "ok":
				gotOK += n.N
			case "throttled":
				gotThrottled += n.N
			}
		}
	}
	if gotOK != 20 || gotThrottled == 0 {
		t.Errorf("counters: %d ok, %d throttled; want 20 ok after some throttles", gotOK, gotThrottled)
	}
}

// A large region answers every call from its index, and the index follows writes.
func BenchmarkLambdaGetPolicyLargeRegion(b *testing.B) {
	w := svcWorld(b)
	r := &w.Accounts[0].Regions[0]
	for i := len(r.LambdaFunctions); i < 2000; i++ {
		r.LambdaFunctions = append(r.LambdaFunctions, world.LambdaFunction{Name: fmt.Sprintf("fn-%04d", i),
			Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}]}`)})
	}
	s := svcStart(b, Options{World: w, NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fmt.Sprintf("fn-%04d", 120+i%1880))}); err != nil {
			b.Fatal(err)
		}
	}
}

// The name indexes must never answer from a stale picture of the world: a world changed
// under them (functions reordered or added) is re-indexed on the next call.
func TestLambdaIndexFollowsWorld(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := lambdaClient(s, "us-east-1")
	ctx := context.Background()
	if _, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-000")}); err != nil {
		t.Fatal(err)
	}
	getSid := func(fn, sid string) {
		t.Helper()
		out, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
		if err != nil || !strings.Contains(aws.ToString(out.Policy), sid) {
			t.Errorf("GetPolicy %s after the world changed: %v, %v", fn, out, err)
		}
	}
	// Same length, new order: caught by the check on use.
	s.mu.Lock()
	r := &s.world.Accounts[0].Regions[0]
	r.LambdaFunctions[0], r.LambdaFunctions[1] = r.LambdaFunctions[1], r.LambdaFunctions[0]
	s.mu.Unlock()
	getSid("fn-000", `"Sid":"public"`)
	// A new function: caught by the length check.
	s.mu.Lock()
	r.LambdaFunctions = append(r.LambdaFunctions, world.LambdaFunction{Name: "late",
		Policy: world.Policy(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"late","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}]}`)})
	s.mu.Unlock()
	getSid("late", `"Sid":"late"`)
	_, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn-001")})
	if nf := apiErrorAs[*lambdatypes.ResourceNotFoundException](t, err); aws.ToString(nf.Message) != "The resource you requested does not exist." {
		t.Errorf("fn-001 moved: %q", aws.ToString(nf.Message))
	}
}

// The Lambda API reference's own examples (botocore's examples-1.json), reproduced byte for
// byte in their account and region. (The documented S3 example passes SourceArn with a
// trailing "/*" yet shows it without; the input here is the ARN the output shows.)
func TestLambdaDocumentedExamples(t *testing.T) {
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID:         "123456789012",
		AccessKeys: []world.AccessKey{{ID: "AKIADOCEXAMPLE000001", ARN: "arn:aws:iam::123456789012:user/doc"}},
		Regions: []world.Region{{Name: "us-east-2",
			LambdaFunctions: []world.LambdaFunction{{Name: "my-function", Versions: []world.LambdaVersion{{Version: "1"}}}},
			LambdaLayers:    []world.LambdaLayer{{Name: "my-layer", Versions: []world.LayerVersion{{Version: 1}}}},
		}},
	}}}
	s := svcStart(t, Options{World: w, NoQuotas: true})
	c := lambda.NewFromConfig(s.Config("AKIADOCEXAMPLE000001", "us-east-2"))
	ctx := context.Background()

	s3, err := c.AddPermission(ctx, &lambda.AddPermissionInput{Action: aws.String("lambda:InvokeFunction"), FunctionName: aws.String("my-function"),
		Principal: aws.String("s3.amazonaws.com"), SourceAccount: aws.String("123456789012"), SourceArn: aws.String("arn:aws:s3:::my-bucket-1xpuxmplzrlbh"), StatementId: aws.String("s3")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function","Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::my-bucket-1xpuxmplzrlbh"}}}`, aws.ToString(s3.Statement)); diff != "" {
		t.Errorf("S3 example (-doc +got):\n%s", diff)
	}
	xacct, err := c.AddPermission(ctx, &lambda.AddPermissionInput{Action: aws.String("lambda:InvokeFunction"), FunctionName: aws.String("my-function"),
		Principal: aws.String("223456789012"), StatementId: aws.String("xaccount")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::223456789012:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function"}`, aws.ToString(xacct.Statement)); diff != "" {
		t.Errorf("cross-account example (-doc +got):\n%s", diff)
	}

	if _, err := c.AddPermission(ctx, &lambda.AddPermissionInput{Action: aws.String("lambda:InvokeFunction"), FunctionName: aws.String("my-function"), Qualifier: aws.String("1"),
		Principal: aws.String("123456789012"), StatementId: aws.String("xaccount")}); err != nil {
		t.Fatal(err)
	}
	pol, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("my-function"), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function:1"}]}`, aws.ToString(pol.Policy)); diff != "" {
		t.Errorf("GetPolicy example (-doc +got):\n%s", diff)
	}

	layer, err := c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{Action: aws.String("lambda:GetLayerVersion"), LayerName: aws.String("my-layer"),
		Principal: aws.String("223456789012"), StatementId: aws.String("xaccount"), VersionNumber: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"Sid":"xaccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::223456789012:root"},"Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-2:123456789012:layer:my-layer:1"}`, aws.ToString(layer.Statement)); diff != "" {
		t.Errorf("layer example (-doc +got):\n%s", diff)
	}
	lp, err := c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("my-layer"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(lp.RevisionId) != aws.ToString(layer.RevisionId) {
		t.Errorf("layer policy revision %v after AddLayerVersionPermission returned %v (%v)", aws.ToString(lp.RevisionId), aws.ToString(layer.RevisionId), err)
	}
}
