package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sesv2types "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/google/go-cmp/cmp"
)

func sesv2Client(s *Server, region string, optFns ...func(*sesv2.Options)) *sesv2.Client {
	return sesv2.NewFromConfig(s.Config(svcKey, region), optFns...)
}

func TestSESv2ListEmailIdentities(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := sesv2Client(s, "us-east-1")
	ctx := context.Background()

	var pages [][]string
	p := sesv2.NewListEmailIdentitiesPaginator(c, &sesv2.ListEmailIdentitiesInput{PageSize: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListEmailIdentities: %v", err)
		}
		var names []string
		for _, id := range page.EmailIdentities {
			names = append(names, aws.ToString(id.IdentityName)+" "+string(id.IdentityType)+" "+string(id.VerificationStatus))
			if !id.SendingEnabled {
				t.Errorf("%s: SendingEnabled = false", aws.ToString(id.IdentityName))
			}
		}
		pages = append(pages, names)
	}
	want := [][]string{
		{"example.com DOMAIN SUCCESS", "alerts@example.com EMAIL_ADDRESS SUCCESS"},
		{"example.org DOMAIN SUCCESS", "ops@example.org EMAIL_ADDRESS SUCCESS"},
		{"example.net DOMAIN SUCCESS"},
	}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}

	filtered, err := c.ListEmailIdentities(ctx, &sesv2.ListEmailIdentitiesInput{Filter: map[string]string{
		string(sesv2types.IdentityFilterKeyIdentityType):         "EMAIL_ADDRESS",
		string(sesv2types.IdentityFilterKeyIdentityNameContains): "example.org",
	}})
	if err != nil || len(filtered.EmailIdentities) != 1 || aws.ToString(filtered.EmailIdentities[0].IdentityName) != "ops@example.org" {
		t.Errorf("filtered list = %+v, %v", filtered, err)
	}

	_, err = c.ListEmailIdentities(ctx, &sesv2.ListEmailIdentitiesInput{PageSize: aws.Int32(1001)})
	apiErrorAs[*sesv2types.BadRequestException](t, err)
}

func TestSESv2GetEmailIdentity(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	c := sesv2Client(s, "us-east-1")
	ctx := context.Background()

	out, err := c.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("ops@example.org")})
	if err != nil {
		t.Fatal(err)
	}
	if out.IdentityType != sesv2types.IdentityTypeEmailAddress || out.VerificationStatus != sesv2types.VerificationStatusSuccess || !out.VerifiedForSendingStatus {
		t.Errorf("identity = type %s status %s verified %v", out.IdentityType, out.VerificationStatus, out.VerifiedForSendingStatus)
	}
	want := map[string]string{"Public": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ses:SendEmail","Resource":"*"}]}`}
	if diff := cmp.Diff(want, out.Policies); diff != "" {
		t.Errorf("Policies (-want +got):\n%s", diff)
	}

	dom, err := c.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("example.net")})
	if err != nil || dom.IdentityType != sesv2types.IdentityTypeDomain || dom.Policies == nil || len(dom.Policies) != 0 {
		t.Errorf("domain without policies = %+v, %v", dom, err)
	}

	_, err = c.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("nobody@example.com")})
	apiErrorAs[*sesv2types.NotFoundException](t, err)
	_, err = c.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String("nobody@example.com")})
	apiErrorAs[*sesv2types.NotFoundException](t, err)

	pols, err := c.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String("example.com")})
	if err != nil || len(pols.Policies) != 1 || !strings.Contains(pols.Policies["AllowPartner"], "222222222222") {
		t.Errorf("GetEmailIdentityPolicies = %+v, %v", pols, err)
	}
}

// v1 and v2 are two doors to one store: what one writes the other reads.
func TestSESv2WritesSharedWithV1(t *testing.T) {
	s := svcStart(t, Options{NoQuotas: true})
	v2 := sesv2Client(s, "us-east-1")
	v1 := sesClient(s, "us-east-1")
	ctx := context.Background()
	const id = "alerts@example.com"

	if _, err := v2.CreateEmailIdentityPolicy(ctx, &sesv2.CreateEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("Partner"), Policy: aws.String(sesTestPolicy)}); err != nil {
		t.Fatalf("CreateEmailIdentityPolicy: %v", err)
	}
	got, err := v1.GetIdentityPolicies(ctx, &ses.GetIdentityPoliciesInput{Identity: aws.String(id), PolicyNames: []string{"Partner"}})
	if err != nil || got.Policies["Partner"] != sesTestPolicy {
		t.Errorf("v1 read of a v2 write = %v, %v", got, err)
	}

	_, err = v2.CreateEmailIdentityPolicy(ctx, &sesv2.CreateEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("Partner"), Policy: aws.String(sesTestPolicy)})
	apiErrorAs[*sesv2types.AlreadyExistsException](t, err)
	_, err = v2.UpdateEmailIdentityPolicy(ctx, &sesv2.UpdateEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("Absent"), Policy: aws.String(sesTestPolicy)})
	apiErrorAs[*sesv2types.NotFoundException](t, err)
	_, err = v2.CreateEmailIdentityPolicy(ctx, &sesv2.CreateEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("Broken"), Policy: aws.String(`{"Statement":[{"Effect":"Allow"}]}`)})
	apiErrorAs[*sesv2types.BadRequestException](t, err)

	updated := strings.Replace(sesTestPolicy, `"Sid":"partner"`, `"Sid":"partner2"`, 1)
	if _, err := v2.UpdateEmailIdentityPolicy(ctx, &sesv2.UpdateEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("Partner"), Policy: aws.String(updated)}); err != nil {
		t.Fatalf("UpdateEmailIdentityPolicy: %v", err)
	}

	// A v1 write is visible through v2.
	if _, err := v1.PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{Identity: aws.String(id), PolicyName: aws.String("FromV1"), Policy: aws.String(sesTestPolicy)}); err != nil {
		t.Fatal(err)
	}
	pols, err := v2.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"Partner": updated, "FromV1": sesTestPolicy}, pols.Policies); diff != "" {
		t.Errorf("v2 view after v1 and v2 writes (-want +got):\n%s", diff)
	}

	if _, err := v2.DeleteEmailIdentityPolicy(ctx, &sesv2.DeleteEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("FromV1")}); err != nil {
		t.Fatal(err)
	}
	_, err = v2.DeleteEmailIdentityPolicy(ctx, &sesv2.DeleteEmailIdentityPolicyInput{EmailIdentity: aws.String(id), PolicyName: aws.String("FromV1")})
	apiErrorAs[*sesv2types.NotFoundException](t, err)
	names, err := v1.ListIdentityPolicies(ctx, &ses.ListIdentityPoliciesInput{Identity: aws.String(id)})
	if err != nil || !cmp.Equal(names.PolicyNames, []string{"Partner"}) {
		t.Errorf("v1 list after v2 delete = %v, %v", names, err)
	}
	if pol := s.World().Accounts[0].Regions[0].SESIdentities[1].Policies; len(pol) != 1 || string(pol["Partner"]) != updated {
		t.Errorf("world policies = %v", pol)
	}
}

func TestSESv2Throttling(t *testing.T) {
	s := svcStart(t, Options{})
	c := sesv2Client(s, "us-east-1", func(o *sesv2.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	if _, err := c.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String("example.com")})
	apiErrorAs[*sesv2types.TooManyRequestsException](t, err)
}
