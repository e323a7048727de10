package kinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A bucket policy is one document, read with GetBucketPolicy and replaced whole with
// PutBucketPolicy; a policy left with no statement is deleted (DeleteBucketPolicy), as a
// bucket needs none. ACL grants are not rewritten: PutBucketAcl replaces the whole ACL,
// owner grants included, so a finding about the ACL is left for a person.

var _ DocumentRemediator = S3Bucket{}

func (S3Bucket) FixActions() []string {
	return []string{"s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy"}
}

func (S3Bucket) CanDelete() bool { return true }

// bucketOf returns the bucket an S3 bucket ARN names.
func bucketOf(ref PolicyRef) (string, error) {
	if ref.PolicyName == S3ACLPolicyName {
		return "", fmt.Errorf("%s: trustaudit does not rewrite bucket ACLs (PutBucketAcl replaces every grant); remove the public grant with the console or put-bucket-acl", ref.ResourceARN)
	}
	_, name, ok := strings.Cut(ref.ResourceARN, ":s3:::")
	if !ok || name == "" || strings.Contains(name, "/") || !strings.HasPrefix(ref.ResourceARN, "arn:") {
		return "", fmt.Errorf("%q is not an S3 bucket ARN (arn:PARTITION:s3:::BUCKET)", ref.ResourceARN)
	}
	return name, nil
}

// owner is the account a bucket must belong to: a bucket ARN names no account, and bucket
// names are global, so every call names the owner and S3 refuses if it is another.
func owner(ref PolicyRef) *string {
	if ref.Account == "" {
		return nil
	}
	return aws.String(ref.Account)
}

func (S3Bucket) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	name, err := bucketOf(ref)
	if err != nil {
		return LivePolicy{}, err
	}
	out, err := s3Client(cfg).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(name), ExpectedBucketOwner: owner(ref)})
	switch {
	case err == nil:
		return LivePolicy{Document: aws.ToString(out.Policy)}, nil
	case isS3Code(err, "NoSuchBucketPolicy"):
		return LivePolicy{}, nil
	case isS3Code(err, "NoSuchBucket"):
		return LivePolicy{}, fmt.Errorf("s3:GetBucketPolicy %s: %w: %w", name, ErrNoSuchResource, err)
	}
	return LivePolicy{}, fmt.Errorf("s3:GetBucketPolicy %s: %w", name, err)
}

func (S3Bucket) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	name, err := bucketOf(ref)
	if err != nil {
		return err
	}
	c := s3Client(cfg)
	if doc == "" {
		if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(name), ExpectedBucketOwner: owner(ref)}); err != nil {
			return fmt.Errorf("s3:DeleteBucketPolicy %s: %w", name, err)
		}
		return nil
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(doc), ExpectedBucketOwner: owner(ref)}); err != nil {
		return fmt.Errorf("s3:PutBucketPolicy %s: %w", name, err)
	}
	return nil
}
