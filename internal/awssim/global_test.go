package awssim

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

// Tests of the global services' handlers (STS, IAM, Organizations, Account, EC2).

func TestAssumeRoleEnforcesTrustPolicies(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	role := func(acct, name string) string { return "arn:aws:iam::" + acct + ":role/" + name }
	cases := []struct {
		name, key, roleARN string
		externalID         *string
		allowed            bool
	}{
		{"account root principal", fwMgmtKey, role(fwMember, "audit"), nil, true},
		{"account root principal, other caller", fwMemberKey, role(fwMember, "audit"), nil, false},
		{"external id matches", fwMgmtKey, role(fwMember, "external"), aws.String("s3cret-id"), true},
		{"external id missing", fwMgmtKey, role(fwMember, "external"), nil, false},
		{"external id wrong", fwMgmtKey, role(fwMember, "external"), aws.String("guess"), false},
		{"exact user ARN", fwMgmtKey, role(fwMember, "by-user"), nil, true},
		{"explicit deny wins over public allow", fwMgmtKey, role(fwMember, "denied"), nil, false},
		{"public allow for others", fwMemberKey, role(fwMember, "denied"), nil, true},
		{"service principal only", fwMgmtKey, role(fwMember, "service"), nil, false},
		{"bare account id principal", fwMgmtKey, role(fwMgmt, "delta"), nil, true},
		{"AWS * principal", fwMemberKey, role(fwMgmt, "Charlie"), nil, true},
		{"role name is case-insensitive", fwMgmtKey, role(fwMember, "AUDIT"), nil, true},
		{"missing role", fwMgmtKey, role(fwMember, "nope"), nil, false},
		{"unknown account", fwMgmtKey, role("333333333333", "audit"), nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sts.NewFromConfig(fwNoRetry(s, tc.key, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String(tc.roleARN), RoleSessionName: aws.String("test-session"), ExternalId: tc.externalID,
			})
			if !tc.allowed {
				if code := fwCode(t, err); code != "AccessDenied" || fwStatus(err) != 403 {
					t.Fatalf("want AccessDenied/403, got %v", err)
				}
				if !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource: "+tc.roleARN) {
					t.Errorf("message: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("want success, got %v", err)
			}
			target := strings.Split(tc.roleARN, ":")[4]
			name := strings.TrimPrefix(strings.Split(tc.roleARN, ":")[5], "role/")
			c := out.Credentials
			if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretAccessKey == "" || *c.SessionToken == "" || c.Expiration == nil {
				t.Errorf("credentials incomplete: %+v", c)
			}
			if !strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":test-session") {
				t.Errorf("AssumedRoleId %s", *out.AssumedRoleUser.AssumedRoleId)
			}
			// The new key acts in the target account.
			cfg := s.Config(*c.AccessKeyId, "us-east-1")
			cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			wantARN := "arn:aws:sts::" + target + ":assumed-role/"
			if *id.Account != target || !strings.HasPrefix(*id.Arn, wantARN) || !strings.HasSuffix(*id.Arn, "/test-session") ||
				!strings.EqualFold(strings.Split(strings.TrimPrefix(*id.Arn, wantARN), "/")[0], name) {
				t.Errorf("assumed identity %s in %s, want a session of %s in %s", *id.Arn, *id.Account, name, target)
			}
			if *id.Arn != *out.AssumedRoleUser.Arn {
				t.Errorf("GetCallerIdentity %s != AssumedRoleUser %s", *id.Arn, *out.AssumedRoleUser.Arn)
			}
		})
	}
}

func TestAssumeRoleChainsThroughTheRoleARN(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	first, err := sts.NewFromConfig(s.Config(fwMgmtKey, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/audit"), RoleSessionName: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	// "chained" trusts arn:aws:iam::222222222222:role/audit: sessions of that role may assume it.
	_, err = sts.NewFromConfig(s.Config(*first.Credentials.AccessKeyId, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/chained"), RoleSessionName: aws.String("two")})
	if err != nil {
		t.Fatalf("role chaining: %v", err)
	}
	_, err = sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/chained"), RoleSessionName: aws.String("two")})
	if fwCode(t, err) != "AccessDenied" {
		t.Errorf("the user itself may not assume the chained role: %v", err)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	s := fwStart(t, Options{})
	client := sts.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1"))
	cases := []sts.AssumeRoleInput{
		{RoleArn: aws.String("not-an-arn"), RoleSessionName: aws.String("ok-name")},
		{RoleArn: aws.String("arn:aws:iam::222222222222:role/audit"), RoleSessionName: aws.String("bad name!")},
		{RoleArn: aws.String("arn:aws:iam::222222222222:role/audit"), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(60)},
		{RoleArn: aws.String("arn:aws:iam::222222222222:role/audit"), RoleSessionName: aws.String("ok"), ExternalId: aws.String("x")},
	}
	for i, in := range cases {
		_, err := client.AssumeRole(context.Background(), &in)
		if code := fwCode(t, err); code != "ValidationError" || fwStatus(err) != 400 {
			t.Errorf("case %d: want ValidationError/400, got %v", i, err)
		}
	}
}

func TestListRolesPaginates(t *testing.T) {
	s := fwStart(t, Options{})
	client := iam.NewFromConfig(s.Config(fwMgmtKey, "us-east-1"))
	p := iam.NewListRolesPaginator(client, &iam.ListRolesInput{MaxItems: aws.Int32(2)})
	var pages [][]string
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range out.Roles {
			names = append(names, *r.RoleName)
		}
		pages = append(pages, names)
		if out.IsTruncated != (out.Marker != nil) {
			t.Errorf("IsTruncated %v with marker %v", out.IsTruncated, out.Marker)
		}
	}
	want := [][]string{{"alpha", "bravo"}, {"Charlie", "delta"}, {"echo"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}

	out, err := client.ListRoles(context.Background(), &iam.ListRolesInput{PathPrefix: aws.String("/ops/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Roles) != 2 || *out.Roles[0].RoleName != "Charlie" || *out.Roles[0].Arn != "arn:aws:iam::111111111111:role/ops/Charlie" || *out.Roles[0].Path != "/ops/" {
		t.Errorf("PathPrefix /ops/: %+v", out.Roles)
	}

	_, err = iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).ListRoles(context.Background(), &iam.ListRolesInput{MaxItems: aws.Int32(1001)})
	if fwCode(t, err) != "ValidationError" {
		t.Errorf("MaxItems 1001: %v", err)
	}
	_, err = iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1")).ListRoles(context.Background(), &iam.ListRolesInput{Marker: aws.String("garbage!")})
	if fwCode(t, err) != "ValidationError" {
		t.Errorf("bad marker: %v", err)
	}
}

func TestGetRoleAnswersAsIAMDoes(t *testing.T) {
	s := fwStart(t, Options{})
	client := iam.NewFromConfig(s.Config(fwMgmtKey, "us-east-1"))
	out, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("bravo")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	stored := string(fwWorld(t).Account(fwMgmt).IAM.Roles[4].AssumeRolePolicy)
	// IAM URL-encodes the document (RFC 3986: a space is %20, never +) and keeps it as written.
	if strings.ContainsAny(*r.AssumeRolePolicyDocument, " +{\"\n") || !strings.Contains(*r.AssumeRolePolicyDocument, "%20") {
		t.Errorf("document not percent-encoded like IAM: %s", *r.AssumeRolePolicyDocument)
	}
	doc, err := url.PathUnescape(*r.AssumeRolePolicyDocument)
	if err != nil || doc != stored {
		t.Errorf("decoded document %q (%v), want %q", doc, err, stored)
	}
	if *r.RoleId != "AROAFIXEDROLEID00001" || *r.Arn != "arn:aws:iam::111111111111:role/bravo" || *r.Path != "/" ||
		*r.Description != "with spaces & symbols" || r.CreateDate == nil || *r.MaxSessionDuration != 3600 {
		t.Errorf("role: %+v", r)
	}
	again, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("BRAVO")})
	if err != nil || !again.Role.CreateDate.Equal(*r.CreateDate) {
		t.Errorf("case-insensitive lookup or unstable CreateDate: %v", err)
	}
	alpha, _ := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("alpha")})
	if !strings.HasPrefix(*alpha.Role.RoleId, "AROA") || len(*alpha.Role.RoleId) != 21 {
		t.Errorf("generated RoleId %s", *alpha.Role.RoleId)
	}

	_, err = client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("missing")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || fwStatus(err) != 404 || !strings.Contains(nse.ErrorMessage(), "missing") {
		t.Errorf("want NoSuchEntityException/404, got %v", err)
	}
}

func TestUpdateAssumeRolePolicy(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	client := iam.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1"))
	newDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Charlie"), PolicyDocument: aws.String(newDoc)}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("charlie")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := url.PathUnescape(*out.Role.AssumeRolePolicyDocument); got != newDoc {
		t.Errorf("GetRole after update: %s", got)
	}
	for _, r := range s.World().Account(fwMgmt).IAM.Roles {
		if r.Name == "Charlie" && string(r.AssumeRolePolicy) != newDoc {
			t.Errorf("World() after update: %s", r.AssumeRolePolicy)
		}
	}
	// The write takes effect for AssumeRole at once: the member may no longer assume it.
	_, err = sts.NewFromConfig(fwNoRetry(s, fwMemberKey, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111111111111:role/ops/Charlie"), RoleSessionName: aws.String("after")})
	if fwCode(t, err) != "AccessDenied" {
		t.Errorf("AssumeRole after the trust policy was narrowed: %v", err)
	}

	long := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` +
		strings.Repeat(`"arn:aws:iam::111111111111:root",`, 70) + `"111111111111"]},"Action":"sts:AssumeRole"}]}`
	errs := []struct {
		role, doc string
		check     func(error) bool
	}{
		{"Charlie", "{not json", func(err error) bool { var e *iamtypes.MalformedPolicyDocumentException; return errors.As(err, &e) }},
		{"Charlie", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, func(err error) bool {
			var e *iamtypes.MalformedPolicyDocumentException
			return errors.As(err, &e)
		}},
		{"Charlie", long, func(err error) bool {
			var e *iamtypes.LimitExceededException
			return errors.As(err, &e) && fwStatus(err) == 409
		}},
		{"ghost", newDoc, func(err error) bool { var e *iamtypes.NoSuchEntityException; return errors.As(err, &e) }},
	}
	for i, tc := range errs {
		_, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(tc.role), PolicyDocument: aws.String(tc.doc)})
		if !tc.check(err) {
			t.Errorf("case %d: unexpected error %v", i, err)
		}
	}
	// White space does not count against the size quota.
	spaced := newDoc[:1] + strings.Repeat(" ", 3000) + newDoc[1:]
	if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Charlie"), PolicyDocument: aws.String(spaced)}); err != nil {
		t.Errorf("white space counted against the size limit: %v", err)
	}
}

func TestCreateAndDeleteRole(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	client := iam.NewFromConfig(fwNoRetry(s, fwMemberKey, "us-east-1"))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	out, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("new-role"), Path: aws.String("/svc/"), AssumeRolePolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Role.Arn != "arn:aws:iam::222222222222:role/svc/new-role" || !strings.HasPrefix(*out.Role.RoleId, "AROA") {
		t.Errorf("created %+v", out.Role)
	}
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("NEW-ROLE"), AssumeRolePolicyDocument: aws.String(doc)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("new-role")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("new-role")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("after delete: %v", err)
	}
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("new-role")})
	if !errors.As(err, &nse) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestOrganizations(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	member := organizations.NewFromConfig(fwNoRetry(s, fwMemberKey, "us-east-1"))
	org, err := member.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := org.Organization
	if *o.Id != "o-fwtest00001" || *o.MasterAccountId != fwMgmt || *o.Arn != "arn:aws:organizations::111111111111:organization/o-fwtest00001" || o.FeatureSet != orgtypes.OrganizationFeatureSetAll {
		t.Errorf("organization %+v", o)
	}

	_, err = member.ListAccounts(ctx, &organizations.ListAccountsInput{})
	var denied *orgtypes.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Errorf("member ListAccounts: want AccessDeniedException, got %v", err)
	}

	mgmt := organizations.NewFromConfig(s.Config(fwMgmtKey, "us-east-1"))
	p := organizations.NewListAccountsPaginator(mgmt, &organizations.ListAccountsInput{MaxResults: aws.Int32(1)})
	var ids []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.Accounts {
			ids = append(ids, *a.Id)
			if a.Status != orgtypes.AccountStatusActive || a.JoinedTimestamp == nil || *a.Arn != "arn:aws:organizations::111111111111:account/o-fwtest00001/"+*a.Id {
				t.Errorf("account %+v", a)
			}
		}
	}
	if !slices.Equal(ids, []string{fwMgmt, fwMember}) || pages != 2 {
		t.Errorf("accounts %v over %d pages", ids, pages)
	}
	_, err = mgmt.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	var invalid *orgtypes.InvalidInputException
	if !errors.As(err, &invalid) {
		t.Errorf("MaxResults 21: %v", err)
	}

	w := fwWorld(t)
	w.Organization = nil
	alone := fwStart(t, Options{World: w})
	_, err = organizations.NewFromConfig(fwNoRetry(alone, fwMgmtKey, "us-east-1")).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) {
		t.Errorf("no organization: %v", err)
	}
}

func TestAccountListRegions(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	client := account.NewFromConfig(fwNoRetry(s, fwMgmtKey, "us-east-1"))
	list := func(in *account.ListRegionsInput) map[string]accounttypes.RegionOptStatus {
		t.Helper()
		got := map[string]accounttypes.RegionOptStatus{}
		p := account.NewListRegionsPaginator(client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Regions {
				got[*r.RegionName] = r.RegionOptStatus
			}
		}
		return got
	}
	all := list(&account.ListRegionsInput{MaxResults: aws.Int32(1)})
	want := map[string]accounttypes.RegionOptStatus{"us-east-1": "ENABLED_BY_DEFAULT", "eu-west-1": "ENABLED", "af-south-1": "DISABLED"}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("all regions (-want +got):\n%s", diff)
	}
	enabled := list(&account.ListRegionsInput{RegionOptStatusContains: []accounttypes.RegionOptStatus{"ENABLED", "ENABLED_BY_DEFAULT"}})
	if len(enabled) != 2 || enabled["af-south-1"] != "" {
		t.Errorf("enabled filter: %v", enabled)
	}
	member := list(&account.ListRegionsInput{AccountId: aws.String(fwMember)})
	if member["eu-west-1"] != "DISABLED" {
		t.Errorf("management account listing a member: %v", member)
	}
	_, err := account.NewFromConfig(fwNoRetry(s, fwMemberKey, "us-east-1")).ListRegions(ctx, &account.ListRegionsInput{AccountId: aws.String(fwMgmt)})
	var denied *accounttypes.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Errorf("member listing the management account: %v", err)
	}
	_, err = client.ListRegions(ctx, &account.ListRegionsInput{MaxResults: aws.Int32(51)})
	var invalid *accounttypes.ValidationException
	if !errors.As(err, &invalid) {
		t.Errorf("MaxResults 51: %v", err)
	}
	st, err := client.GetRegionOptStatus(ctx, &account.GetRegionOptStatusInput{RegionName: aws.String("af-south-1")})
	if err != nil || st.RegionOptStatus != "DISABLED" {
		t.Errorf("GetRegionOptStatus: %v %v", st, err)
	}
}

func TestEC2DescribeRegions(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	client := ec2.NewFromConfig(s.Config(fwMgmtKey, "us-east-1"))
	names := func(in *ec2.DescribeRegionsInput) map[string]string {
		t.Helper()
		out, err := client.DescribeRegions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range out.Regions {
			got[*r.RegionName] = *r.OptInStatus
			if *r.Endpoint != "ec2."+*r.RegionName+".amazonaws.com" {
				t.Errorf("endpoint %s", *r.Endpoint)
			}
		}
		return got
	}
	if diff := cmp.Diff(map[string]string{"us-east-1": "opt-in-not-required", "eu-west-1": "opted-in"}, names(&ec2.DescribeRegionsInput{})); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	if got := names(&ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)}); got["af-south-1"] != "not-opted-in" || len(got) != 3 {
		t.Errorf("AllRegions: %v", got)
	}
	if got := names(&ec2.DescribeRegionsInput{AllRegions: aws.Bool(true), RegionNames: []string{"af-south-1"}}); len(got) != 1 {
		t.Errorf("RegionNames filter: %v", got)
	}
}

// TestAssumedKeysQuotaInTheTargetAccount: quotas are charged to the account whose
// credentials make the call, which for an assumed role is the target account.
func TestAssumedKeysQuotaInTheTargetAccount(t *testing.T) {
	s := fwStart(t, Options{})
	ctx := context.Background()
	out, err := sts.NewFromConfig(s.Config(fwMgmtKey, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::222222222222:role/audit"), RoleSessionName: aws.String("scan")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(s.Config(*out.Credentials.AccessKeyId, "us-east-1")).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	var got []Count
	for _, c := range s.Counters() {
		if c.Service == "iam" {
			got = append(got, c)
		}
	}
	want := []Count{{Account: fwMember, Region: "us-east-1", Service: "iam", Operation: "ListRoles", Outcome: "ok", N: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IAM counters (-want +got):\n%s", diff)
	}
}
