package kinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/trustaudit/trustaudit/internal/policy"
)

// An access point policy is one document: GetAccessPointPolicy, PutAccessPointPolicy, and
// DeleteAccessPointPolicy when no statement remains.

var _ DocumentRemediator = S3AccessPoint{}

func (S3AccessPoint) FixActions() []string {
	return []string{"s3:DeleteAccessPointPolicy", "s3:GetAccessPointPolicy", "s3:PutAccessPointPolicy"}
}

func (S3AccessPoint) CanDelete() bool { return true }

// accessPointOf returns the account and name an access point ARN names.
func accessPointOf(arn string) (string, string, error) {
	a, err := policy.ParseARN(arn)
	name, ok := strings.CutPrefix(a.Resource, "accesspoint/")
	if err != nil || a.Service != "s3" || a.Account == "" || !ok || name == "" {
		return "", "", fmt.Errorf("%q is not an S3 access point ARN (arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME)", arn)
	}
	return a.Account, name, nil
}

func (S3AccessPoint) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	acct, name, err := accessPointOf(ref.ResourceARN)
	if err != nil {
		return LivePolicy{}, err
	}
	out, err := s3ControlClient(cfg).GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String(name)})
	switch {
	case err == nil:
		return LivePolicy{Document: aws.ToString(out.Policy)}, nil
	case isS3Code(err, "NoSuchAccessPointPolicy"):
		return LivePolicy{}, nil
	case isS3Code(err, "NoSuchAccessPoint"):
		return LivePolicy{}, fmt.Errorf("s3:GetAccessPointPolicy %s: %w: %w", name, ErrNoSuchResource, err)
	}
	return LivePolicy{}, fmt.Errorf("s3:GetAccessPointPolicy %s: %w", name, err)
}

func (S3AccessPoint) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	acct, name, err := accessPointOf(ref.ResourceARN)
	if err != nil {
		return err
	}
	c := s3ControlClient(cfg)
	if doc == "" {
		if _, err := c.DeleteAccessPointPolicy(ctx, &s3control.DeleteAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String(name)}); err != nil {
			return fmt.Errorf("s3:DeleteAccessPointPolicy %s: %w", name, err)
		}
		return nil
	}
	if _, err := c.PutAccessPointPolicy(ctx, &s3control.PutAccessPointPolicyInput{AccountId: aws.String(acct), Name: aws.String(name), Policy: aws.String(doc)}); err != nil {
		return fmt.Errorf("s3:PutAccessPointPolicy %s: %w", name, err)
	}
	return nil
}
