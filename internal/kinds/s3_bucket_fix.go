package kinds

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// A bucket policy is one document, read with GetBucketPolicy and replaced whole with
// PutBucketPolicy; a policy left with no statement is deleted (DeleteBucketPolicy), as a
// bucket needs none.
//
// The ACL is judged as the document aclDocument makes of its public grants (policy name
// "ACL"), so it is remediated as that document: writing it reads the whole ACL again and
// puts it back (PutBucketAcl) with exactly the public grants whose statements remain, every
// other grant (the owner's, other canonical users') untouched. Restoring writes the
// original document, which puts the removed grants back.

var _ DocumentRemediator = S3Bucket{}

func (S3Bucket) FixActions() []string {
	return []string{"s3:DeleteBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPolicy"}
}

func (S3Bucket) CanDelete() bool { return true }

// bucketOf returns the bucket an S3 bucket ARN names.
func bucketOf(ref PolicyRef) (string, error) {
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
	if ref.PolicyName == S3ACLPolicyName {
		acl, err := s3Client(cfg).GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name), ExpectedBucketOwner: owner(ref)})
		if err != nil {
			if isS3Code(err, "NoSuchBucket") {
				return LivePolicy{}, fmt.Errorf("s3:GetBucketAcl %s: %w: %w", name, ErrNoSuchResource, err)
			}
			return LivePolicy{}, fmt.Errorf("s3:GetBucketAcl %s: %w", name, err)
		}
		return LivePolicy{Document: aclDocument(ref.ResourceARN, aclGrants(acl))}, nil
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
	if ref.PolicyName == S3ACLPolicyName {
		return writeACL(ctx, c, ref, name, doc)
	}
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

// aclPermTokens are the ACL permissions as aclDocument writes them into a Sid, longest
// first so that READACP is not read as READ.
var aclPermTokens = []string{"FULL_CONTROL", "READ_ACP", "WRITE_ACP", "READ", "WRITE"}

// parseACLSid reads back the group and permissions aclDocument put in a statement id
// ("ACLAllUsersREADWRITE").
func parseACLSid(sid string) (group string, perms []string, err error) {
	rest, ok := strings.CutPrefix(sid, "ACL")
	switch {
	case ok && strings.HasPrefix(rest, "AllUsers"):
		group, rest = s3AllUsers, strings.TrimPrefix(rest, "AllUsers")
	case ok && strings.HasPrefix(rest, "AuthenticatedUsers"):
		group, rest = s3AuthenticatedUsers, strings.TrimPrefix(rest, "AuthenticatedUsers")
	default:
		return "", nil, fmt.Errorf("statement %q is not an ACL grant trustaudit wrote (ACLAllUsers... or ACLAuthenticatedUsers...)", sid)
	}
	for rest != "" {
		found := false
		for _, tok := range aclPermTokens {
			if t := strings.ReplaceAll(tok, "_", ""); strings.HasPrefix(rest, t) {
				perms, rest, found = append(perms, tok), strings.TrimPrefix(rest, t), true
				break
			}
		}
		if !found {
			return "", nil, fmt.Errorf("statement %q: %q is not an ACL permission", sid, rest)
		}
	}
	if len(perms) == 0 {
		return "", nil, fmt.Errorf("statement %q names no permission", sid)
	}
	return group, perms, nil
}

// writeACL puts the bucket's ACL back with the public grants doc describes and every other
// grant as it is now.
func writeACL(ctx context.Context, c *s3.Client, ref PolicyRef, name, doc string) error {
	want := map[string][]string{}
	if doc != "" {
		var d struct {
			Statement []struct{ Sid string }
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return fmt.Errorf("%s ACL: the document is not a statement list: %w", name, err)
		}
		for _, st := range d.Statement {
			g, perms, err := parseACLSid(st.Sid)
			if err != nil {
				return fmt.Errorf("%s ACL: %w", name, err)
			}
			want[g] = append(want[g], perms...)
		}
	}
	cur, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(name), ExpectedBucketOwner: owner(ref)})
	if err != nil {
		return fmt.Errorf("s3:GetBucketAcl %s: %w", name, err)
	}
	var grants []s3types.Grant
	for _, g := range cur.Grants {
		if g.Grantee != nil && g.Grantee.URI != nil && (*g.Grantee.URI == s3AllUsers || *g.Grantee.URI == s3AuthenticatedUsers) {
			continue
		}
		grants = append(grants, g)
	}
	for _, group := range []string{s3AllUsers, s3AuthenticatedUsers} {
		for _, p := range want[group] {
			grants = append(grants, s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String(group)}, Permission: s3types.Permission(p)})
		}
	}
	in := &s3.PutBucketAclInput{Bucket: aws.String(name), ExpectedBucketOwner: owner(ref),
		AccessControlPolicy: &s3types.AccessControlPolicy{Owner: cur.Owner, Grants: grants}}
	if _, err := c.PutBucketAcl(ctx, in); err != nil {
		return fmt.Errorf("s3:PutBucketAcl %s: %w", name, err)
	}
	return nil
}
