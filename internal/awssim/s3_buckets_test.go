package awssim

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	s3Owner = "111111111111"
	s3Other = "333333333333"
)

func s3World() *world.World {
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`
	return &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{
		{
			ID: s3Owner, AccessKeys: []world.AccessKey{{ID: "AKIAS3OWNER", ARN: "arn:aws:iam::" + s3Owner + ":user/a"}},
			Settings: map[string]string{"s3:BlockPublicAcls": "true", "s3:IgnorePublicAcls": "true"},
			Regions: []world.Region{
				{Name: "us-east-1", Resources: []world.Resource{
					{Kind: "s3-bucket", Name: "pub", Policy: world.Policy(pol), Grants: []world.Grant{{Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", Permissions: []string{"READ"}}}},
					{Kind: "s3-bucket", Name: "quiet", Attributes: map[string]string{"BlockPublicPolicy": "true"}},
					{Kind: "s3-bucket", Name: "third"},
					{Kind: "s3-access-point", Name: "ap1", Policy: world.Policy(pol), Attributes: map[string]string{"Bucket": "pub"}},
					{Kind: "s3-access-point", Name: "ap2", Attributes: map[string]string{"Bucket": "quiet", "NetworkOrigin": "VPC"}},
					{Kind: "s3-access-point", Name: "ap3", Attributes: map[string]string{"Bucket": "pub"}},
				}},
				{Name: "eu-west-1", Resources: []world.Resource{{Kind: "s3-bucket", Name: "eu-bucket"}}},
			},
		},
		{ID: s3Other, AccessKeys: []world.AccessKey{{ID: "AKIAS3OTHER", ARN: "arn:aws:iam::" + s3Other + ":user/b"}}, Regions: []world.Region{{Name: "us-east-1"}}},
	}}
}

// loopbackControl sends S3 Control calls to the simulator's address without the account id
// the SDK puts in front of the host.
type loopbackControl struct{ url string }

func (l loopbackControl) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(l.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

func s3Clients(t *testing.T, key, region string) (*Server, *s3.Client, *s3control.Client) {
	t.Helper()
	s, err := Start(Options{World: s3World(), NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := s.Config(key, region)
	return s, s3.NewFromConfig(cfg), s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.EndpointResolverV2 = loopbackControl{s.URL()} })
}

func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestS3ListBucketsByRegionAndPage(t *testing.T) {
	_, c, _ := s3Clients(t, "AKIAS3OWNER", "us-east-1")
	ctx := context.Background()
	var names []string
	pages := 0
	for p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{BucketRegion: aws.String("us-east-1"), MaxBuckets: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name)+"@"+aws.ToString(b.BucketRegion))
		}
	}
	if want := []string{"pub@us-east-1", "quiet@us-east-1", "third@us-east-1"}; !slices.Equal(names, want) || pages != 2 {
		t.Errorf("buckets %v in %d pages, want %v in 2", names, pages, want)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 4 {
		t.Errorf("unfiltered listing: %v, %v", out, err)
	}
}

func TestS3BucketPolicyACLAndPublicAccessBlock(t *testing.T) {
	s, c, _ := s3Clients(t, "AKIAS3OWNER", "us-east-1")
	ctx := context.Background()
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")})
	if err != nil || aws.ToString(pol.Policy) != string(s3World().Accounts[0].Regions[0].Resources[0].Policy) {
		t.Fatalf("GetBucketPolicy: %v, %v", pol, err)
	}
	for _, tc := range []struct {
		bucket, owner, want string
	}{
		{"quiet", "", "NoSuchBucketPolicy"},
		{"missing", "", "NoSuchBucket"},
		{"pub", s3Other, "AccessDenied"}, // the expected owner is someone else
	} {
		in := &s3.GetBucketPolicyInput{Bucket: aws.String(tc.bucket)}
		if tc.owner != "" {
			in.ExpectedBucketOwner = aws.String(tc.owner)
		}
		if _, err := c.GetBucketPolicy(ctx, in); s3Code(err) != tc.want {
			t.Errorf("GetBucketPolicy %s: %v, want %s", tc.bucket, err, tc.want)
		}
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("pub")})
	if err != nil {
		t.Fatal(err)
	}
	var grants []string
	for _, g := range acl.Grants {
		grants = append(grants, string(g.Grantee.Type)+" "+aws.ToString(g.Grantee.ID)+aws.ToString(g.Grantee.URI)+" "+string(g.Permission))
	}
	owner := S3CanonicalID(s3Owner)
	if want := []string{"CanonicalUser " + owner + " FULL_CONTROL", "Group http://acs.amazonaws.com/groups/global/AllUsers READ"}; !slices.Equal(grants, want) || aws.ToString(acl.Owner.ID) != owner {
		t.Errorf("ACL grants %q owner %s, want %q", grants, aws.ToString(acl.Owner.ID), want)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("quiet")})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) || aws.ToBool(pab.PublicAccessBlockConfiguration.IgnorePublicAcls) {
		t.Errorf("GetPublicAccessBlock quiet: %+v, %v", pab, err)
	}
	if _, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("pub")}); s3Code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("GetPublicAccessBlock pub: %v", err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("eu-bucket")})
	if err != nil || loc.LocationConstraint != s3types.BucketLocationConstraintEuWest1 {
		t.Errorf("GetBucketLocation: %+v, %v", loc, err)
	}

	doc := `{"Version":"2012-10-17","Statement":[]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("third"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("third"), Policy: aws.String("not json")}); s3Code(err) != "MalformedPolicy" {
		t.Errorf("PutBucketPolicy not JSON: %v", err)
	}
	// "quiet" blocks public policies: S3 refuses to store one.
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::quiet/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("quiet"), Policy: aws.String(public)}); s3Code(err) != "AccessDenied" {
		t.Errorf("public policy under BlockPublicPolicy: %v", err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range s.World().Accounts[0].Regions[0].Resources {
		got[r.Name] = string(r.Policy)
	}
	if got["third"] != doc || got["pub"] != "" {
		t.Errorf("after writes: third %q, pub %q", got["third"], got["pub"])
	}
}

func TestS3OtherAccountIsRefused(t *testing.T) {
	_, c, ctl := s3Clients(t, "AKIAS3OTHER", "us-east-1")
	ctx := context.Background()
	if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("pub")}); s3Code(err) != "AccessDenied" {
		t.Errorf("GetBucketPolicy from another account: %v", err)
	}
	if _, err := ctl.ListAccessPoints(ctx, &s3control.ListAccessPointsInput{AccountId: aws.String(s3Owner)}); s3Code(err) != "AccessDenied" {
		t.Errorf("ListAccessPoints of another account: %v", err)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 0 {
		t.Errorf("another account's ListBuckets: %v, %v", out, err)
	}
}

func TestS3ControlAccessPointsAndAccountBlock(t *testing.T) {
	s, _, ctl := s3Clients(t, "AKIAS3OWNER", "us-east-1")
	ctx := context.Background()
	acct := aws.String(s3Owner)
	pab, err := ctl.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: acct})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.IgnorePublicAcls) || aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("account public access block: %+v, %v", pab, err)
	}
	var names []string
	pages := 0
	for p := s3control.NewListAccessPointsPaginator(ctl, &s3control.ListAccessPointsInput{AccountId: acct, MaxResults: 2}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range out.AccessPointList {
			names = append(names, aws.ToString(a.Name)+":"+string(a.NetworkOrigin)+":"+aws.ToString(a.AccessPointArn))
		}
	}
	arn := "arn:aws:s3:us-east-1:" + s3Owner + ":accesspoint/"
	if want := []string{"ap1:Internet:" + arn + "ap1", "ap2:VPC:" + arn + "ap2", "ap3:Internet:" + arn + "ap3"}; !slices.Equal(names, want) || pages != 2 {
		t.Errorf("access points %v in %d pages, want %v in 2", names, pages, want)
	}
	if _, err := ctl.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String("ap2")}); s3Code(err) != "NoSuchAccessPointPolicy" {
		t.Errorf("GetAccessPointPolicy without a policy: %v", err)
	}
	if _, err := ctl.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String("nope")}); s3Code(err) != "NoSuchAccessPoint" {
		t.Errorf("GetAccessPointPolicy of a missing access point: %v", err)
	}
	doc := `{"Version":"2012-10-17","Statement":[]}`
	if _, err := ctl.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: acct, Name: aws.String("ap2"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	got, err := ctl.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: acct, Name: aws.String("ap2")})
	if err != nil || aws.ToString(got.Policy) != doc {
		t.Errorf("policy after put: %v, %v", got, err)
	}
	if _, err := ctl.DeleteAccessPointPolicy(ctx, &s3control.DeleteAccessPointPolicyInput{AccountId: acct, Name: aws.String("ap1")}); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.World().Accounts[0].Regions[0].Resources {
		if r.Name == "ap1" && r.Policy != "" {
			t.Errorf("ap1 still has a policy: %s", r.Policy)
		}
	}
}

func TestS3QuotaAnswersSlowDown(t *testing.T) {
	s, err := Start(Options{World: s3World(), Quotas: map[string]float64{"s3": 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := s.Config("AKIAS3OWNER", "us-east-1")
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c := s3.NewFromConfig(cfg)
	ctx := context.Background()
	var codes []string
	for range 3 {
		_, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("pub")})
		codes = append(codes, s3Code(err))
	}
	if !slices.Contains(codes, "SlowDown") || codes[0] != "" {
		t.Errorf("codes %q: want a first success, then SlowDown", codes)
	}
	// A throttle is counted once, as a throttle, as on every other protocol.
	for _, c := range s.Counters() {
		if c.Operation == "GetBucketAcl" && c.Outcome != "ok" && c.Outcome != "throttled" {
			t.Errorf("counted %+v", c)
		}
	}
}

func TestS3PutBucketACL(t *testing.T) {
	s, c, _ := s3Clients(t, "AKIAS3OWNER", "us-east-1")
	ctx := context.Background()
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("third")})
	if err != nil {
		t.Fatal(err)
	}
	other := S3CanonicalID(s3Other)
	put := func(grants ...s3types.Grant) error {
		_, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("third"),
			AccessControlPolicy: &s3types.AccessControlPolicy{Owner: acl.Owner, Grants: append(acl.Grants, grants...)}})
		return err
	}
	if err := put(s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: aws.String(other)}, Permission: s3types.PermissionRead}); err != nil {
		t.Fatal(err)
	}
	got := s.World().Accounts[0].Regions[0].Resources[2]
	if len(got.Grants) != 1 || got.Grants[0].Grantee != other || got.Grants[0].Permissions[0] != "READ" {
		t.Errorf("grants after PutBucketAcl: %+v", got.Grants)
	}
	// The account blocks public ACLs: S3 refuses to write one.
	err = put(s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: s3types.PermissionRead})
	if s3Code(err) != "AccessDenied" {
		t.Errorf("public ACL under BlockPublicAcls: %v", err)
	}
}

// A region that refuses connections refuses S3 too: S3 has its own protocol path, and a
// scan's unreachable-region handling is only tested if every protocol honours the fault.
func TestS3HonoursNetworkFaults(t *testing.T) {
	s, err := Start(Options{World: s3World(), NoQuotas: true, Faults: Faults{Refuse: []string{"eu-west-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		cfg := s.Config("AKIAS3OWNER", region)
		cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
		_, err := s3.NewFromConfig(cfg).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("pub")})
		if refused := err != nil && s3Code(err) == ""; refused != (region == "eu-west-1") {
			t.Errorf("%s: err %v, want refused only in eu-west-1", region, err)
		}
	}
}
