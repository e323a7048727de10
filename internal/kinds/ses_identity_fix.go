package kinds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sesv2types "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// SES remediation reads through SESv2 (one call returns every policy of an identity, and it
// tells a missing identity from one without policies) and writes through SES v1, whose
// PutIdentityPolicy creates or replaces a policy in one call: a restore of a deleted policy
// and of a rewritten one are then the same call.

var _ DocumentRemediator = SESIdentity{}

func (SESIdentity) FixActions() []string {
	return []string{"ses:DeleteIdentityPolicy", "ses:GetEmailIdentityPolicies", "ses:PutIdentityPolicy"}
}

func (SESIdentity) CanDelete() bool { return true }

// sesIdentityOf returns the identity an SES identity ARN names.
func sesIdentityOf(arn string) (string, error) {
	_, id, ok := strings.Cut(arn, ":identity/")
	if !ok || id == "" || !strings.HasPrefix(arn, "arn:") {
		return "", fmt.Errorf("%q is not an SES identity ARN (arn:PARTITION:ses:REGION:ACCOUNT:identity/NAME)", arn)
	}
	return id, nil
}

func (SESIdentity) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	id, err := sesIdentityOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	out, err := sesv2.NewFromConfig(cfg).GetEmailIdentityPolicies(ctx, &sesv2.GetEmailIdentityPoliciesInput{EmailIdentity: aws.String(id)})
	if err != nil {
		var nf *sesv2types.NotFoundException
		if errors.As(err, &nf) {
			return LivePolicy{}, fmt.Errorf("ses:GetEmailIdentityPolicies %s: %w: %w", id, ErrNoSuchResource, err)
		}
		return LivePolicy{}, fmt.Errorf("ses:GetEmailIdentityPolicies %s: %w", id, err)
	}
	return LivePolicy{Document: out.Policies[ref.PolicyName]}, nil
}

func (SESIdentity) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	id, err := sesIdentityOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	if ref.PolicyName == "" {
		return fmt.Errorf("%s: an SES identity policy needs a policy name", ref.ResourceARN)
	}
	c := ses.NewFromConfig(cfg)
	if doc == "" {
		if _, err := c.DeleteIdentityPolicy(ctx, &ses.DeleteIdentityPolicyInput{Identity: aws.String(id), PolicyName: aws.String(ref.PolicyName)}); err != nil {
			return fmt.Errorf("ses:DeleteIdentityPolicy %s policy %s: %w", id, ref.PolicyName, err)
		}
		return nil
	}
	if _, err := c.PutIdentityPolicy(ctx, &ses.PutIdentityPolicyInput{Identity: aws.String(id), PolicyName: aws.String(ref.PolicyName), Policy: aws.String(doc)}); err != nil {
		return fmt.Errorf("ses:PutIdentityPolicy %s policy %s: %w", id, ref.PolicyName, err)
	}
	return nil
}
