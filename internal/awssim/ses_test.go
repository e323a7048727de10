package awssim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func sesClient(s *Server, region string, optFns ...func(*ses.Options)) *ses.Client {
	return ses.NewFromConfig(s.Config(svcKey, region), optFns...)
}

// apiCode returns the AWS error code of err ("" for none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

const sesTestPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"arn:aws:ses:us-east-1:111111111111:identity/alerts@example.com","Condition":{"StringEquals":{"ses:FromAddress":"alerts@example.com"}}}]}`

func TestSESListIdentities(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := sesClient(s, "us-east-1")
	ctx := context.Background()

	var pages [][]string
	p := ses.NewListIdentitiesPaginator(c, &ses.ListIdentitiesInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListIdentities: %v", err)
		}
		pages = append(pages, page.Identities)
	}
	want := [][]string{{"example.com", "alerts@example.com"}, {"example.org", "ops@example.org"}, {"example.net"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		typ  sestypes.IdentityType
		want []string
	}{
		{sestypes.IdentityTypeDomain, []string{"example.com", "example.org", "example.net"}},
		{sestypes.IdentityTypeEmailAddress, []string{"alerts@example.com", "ops@example.org"}},
	} {
		out, err := c.ListIdentities(ctx, &ses.ListIdentitiesInput{IdentityType: tt.typ})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, out.Identities); diff != "" {
			t.Errorf("IdentityType %s (-want +got):\n%s", tt.typ, diff)
		}
	}

	empty, err := sesClient(s, "eu-west-1").ListIdentities(ctx, &ses.ListIdentitiesInput{})
	if err != nil || len(empty.Identities) != 0 || empty.NextToken != nil {
		t.Errorf("empty region: %+v, %v", empty, err)
	}
	for _, bad := range []int32{0, 1001} {
		_, err := c.ListIdentities(ctx, &ses.ListIdentitiesInput{MaxItems: aws.Int32(bad)})
		if apiCode(err) != "InvalidParameterValue" {
			t.Errorf("MaxItems %d: %v, want InvalidParameterValue", bad, err)
		}
	}
	_, err = sesClient(s, "ap-east-1").ListIdentities(ctx, &ses.ListIdentitiesInput{})
	if apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("disabled region: %v, want InvalidClientTokenId", err)
	}
}

func TestSESReadPolicies(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := sesClient(s, "us-east-1")
	ctx := context.Background()

	names, err := c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("example.com")})
	if err != nil || !cmp.Equal(names.PolicyNames, []string{"AllowPartner"}) {
		t.Fatalf("ListIdentityPolicies example.com = %v, %v", names, err)
	}
	none, err := c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("alerts@example.com")})
	if err != nil || len(none.PolicyNames) != 0 {
		t.Errorf("identity without policies: %v, %v", none, err)
	}
	// By ARN, and identities are matched without regard to case.
	byARN, err := c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("arn:aws:ses:us-east-1:111111111111:identity/Example.COM")})
	if err != nil || !cmp.Equal(byARN.PolicyNames, []string{"AllowPartner"}) {
		t.Errorf("by ARN: %v, %v", byARN, err)
	}

	got, err := c.GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{Identity: aws.String("example.com"), PolicyNames: []string{"AllowPartner", "Unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AllowPartner": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"ses:SendEmail","Resource":"arn:aws:ses:us-east-1:111111111111:identity/example.com"}]}`}
	if diff := cmp.Diff(want, got.Policies); diff != "" {
		t.Errorf("GetIdentityPolicies (-want +got):\n%s", diff)
	}

	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("p%d", i))
	}
	_, err = c.GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{Identity: aws.String("example.com"), PolicyNames: many})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("21 policy names: %v, want InvalidParameterValue", err)
	}

	// The owner-only calls refuse an identity the account does not have.
	_, err = c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("nobody@example.com")})
	if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "nobody@example.com") {
		t.Errorf("unknown identity: %v, want InvalidParameterValue naming it", err)
	}
}

func TestSESPutAndDeletePolicy(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := sesClient(s, "us-east-1")
	ctx := context.Background()
	put := func(name, doc string) error {
		_, err := c.PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{Identity: aws.String("alerts@example.com"), PolicyName: aws.String(name), Policy: aws.String(doc)})
		return err
	}
	if err := put("Partner", sesTestPolicy); err != nil {
		t.Fatalf("PutIdentityPolicy: %v", err)
	}
	got, err := c.GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{Identity: aws.String("alerts@example.com"), PolicyNames: []string{"Partner"}})
	if err != nil || got.Policies["Partner"] != sesTestPolicy {
		t.Fatalf("policy read back = %v, %v", got, err)
	}
	if p := s.World().Accounts[0].Regions[0].SESIdentities[1].Policies["Partner"]; string(p) != sesTestPolicy {
		t.Errorf("world policy = %s", p)
	}

	tests := []struct {
		name, policyName, doc, wantCode string
	}{
		{"not JSON", "Bad", `{"Version":`, "InvalidPolicy"},
		{"no statement", "Bad", `{"Version":"2012-10-17"}`, "InvalidPolicy"},
		{"no principal", "Bad", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*"}]}`, "InvalidPolicy"},
		{"bad effect", "Bad", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`, "InvalidPolicy"},
		{"over 4 KB", "Big", `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("x", 4100) + `","Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`, "InvalidPolicy"},
		{"name with a space", "bad name", sesTestPolicy, "InvalidParameterValue"},
		{"name too long", strings.Repeat("n", 65), sesTestPolicy, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := put(tt.policyName, tt.doc)
			if apiCode(err) != tt.wantCode {
				t.Fatalf("PutIdentityPolicy: %v, want %s", err, tt.wantCode)
			}
			if tt.wantCode == "InvalidPolicy" {
				var ip *sestypes.InvalidPolicyException
				if !errors.As(err, &ip) {
					t.Errorf("error %T is not the SDK's InvalidPolicyException", err)
				}
			}
		})
	}

	// 20 policies per identity: the 21st is refused, replacing one is not.
	for i := 1; i < 20; i++ {
		if err := put(fmt.Sprintf("P%02d", i), sesTestPolicy); err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
	}
	if err := put("OneTooMany", sesTestPolicy); apiCode(err) != "LimitExceeded" {
		t.Errorf("21st policy: %v, want LimitExceeded", err)
	}
	if err := put("P05", strings.Replace(sesTestPolicy, "partner", "replaced", 1)); err != nil {
		t.Errorf("replacing a policy at the limit: %v", err)
	}

	for range 2 { // deleting is idempotent
		if _, err := c.DeleteIdentityPolicy(ctx, &ses.DeleteIdentityPolicyInput{Identity: aws.String("alerts@example.com"), PolicyName: aws.String("Partner")}); err != nil {
			t.Fatalf("DeleteIdentityPolicy: %v", err)
		}
	}
	names, err := c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("alerts@example.com")})
	if err != nil || len(names.PolicyNames) != 19 || names.PolicyNames[0] != "P01" {
		t.Errorf("after delete: %v, %v", names, err)
	}

	_, err = c.PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{Identity: aws.String("nobody@example.com"), PolicyName: aws.String("P"), Policy: aws.String(sesTestPolicy)})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("put on an unknown identity: %v", err)
	}
}

func TestSESThrottling(t *testing.T) {
	s := svcStart(t, Options{})
	c := sesClient(s, "us-east-1", func(o *ses.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	if _, err := c.ListIdentities(ctx, &ses.ListIdentitiesInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListIdentities(ctx, &ses.ListIdentitiesInput{})
	if apiCode(err) != "Throttling" {
		t.Fatalf("second ListIdentities within a second: %v, want Throttling", err)
	}
	// Each listed read has its own bucket.
	if _, err := c.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String("example.com")}); err != nil {
		t.Errorf("ListIdentityPolicies after ListIdentities was throttled: %v", err)
	}
}
