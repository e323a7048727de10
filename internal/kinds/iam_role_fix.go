package kinds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

var _ DocumentRemediator = IAMRole{}

func (IAMRole) FixActions() []string { return []string{"iam:GetRole", "iam:UpdateAssumeRolePolicy"} }

// CanDelete is false: a role must have a trust policy, so a trust policy that would be left
// with no statement is reported for a person to decide (delete the role, or trust someone).
func (IAMRole) CanDelete() bool { return false }

// roleNameOf returns the role name an IAM role ARN names (the last path segment).
func roleNameOf(arn string) (string, error) {
	_, rest, ok := strings.Cut(arn, ":role/")
	if !ok || rest == "" || !strings.HasPrefix(arn, "arn:") {
		return "", fmt.Errorf("%q is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME)", arn)
	}
	return rest[strings.LastIndexByte(rest, '/')+1:], nil
}

func (IAMRole) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := roleNameOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nf *iamtypes.NoSuchEntityException
		if errors.As(err, &nf) {
			return LivePolicy{}, fmt.Errorf("iam:GetRole %s: %w: %w", name, ErrNoSuchResource, err)
		}
		return LivePolicy{}, fmt.Errorf("iam:GetRole %s: %w", name, err)
	}
	if out.Role == nil {
		return LivePolicy{}, fmt.Errorf("iam:GetRole %s: the answer has no role", name)
	}
	// Percent-encoded as in ListRoles; PathUnescape keeps a literal "+".
	doc, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return LivePolicy{}, fmt.Errorf("iam:GetRole %s: trust policy is not percent-encoded as IAM returns it: %w", name, err)
	}
	return LivePolicy{Document: doc}, nil
}

func (IAMRole) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := roleNameOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	if doc == "" {
		return fmt.Errorf("role %s: a trust policy cannot be deleted", name)
	}
	if _, err := iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
		return fmt.Errorf("iam:UpdateAssumeRolePolicy %s: %w", name, err)
	}
	return nil
}
