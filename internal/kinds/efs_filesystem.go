package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneEFS is EFS's control plane. AWS publishes no rate for its reads; the lane starts
// modestly and halves on a throttle.
const LaneEFS = "efs"

// EFSFileSystem audits every file system's policy: DescribeFileSystems (100 a page), then
// DescribeFileSystemPolicy per file system. Remediation puts the policy back without the
// offending grants, or deletes it (a file system without a policy is open to IAM identities
// of the owner account with network access only).
var EFSFileSystem = policyFix{
	policyKind: &policyKind{
		name:     "efs-filesystem",
		actions:  []string{"elasticfilesystem:DescribeFileSystemPolicy", "elasticfilesystem:DescribeFileSystems"},
		lanes:    []Lane{{Name: LaneEFS, Rate: 20, Ops: []string{"elasticfilesystem:DescribeFileSystemPolicy", "elasticfilesystem:DescribeFileSystems"}}},
		listLane: LaneEFS,
		listOp:   "elasticfilesystem:DescribeFileSystems",
		listCall: "efs:DescribeFileSystems",
		page:     100,
		list: func(ctx context.Context, cfg aws.Config, env Env, token string) ([]listed, string, error) {
			in := &efs.DescribeFileSystemsInput{MaxItems: aws.Int32(100)}
			if token != "" {
				in.Marker = aws.String(token)
			}
			out, err := efs.NewFromConfig(cfg).DescribeFileSystems(ctx, in)
			if err != nil {
				return nil, "", err
			}
			var rs []listed
			for _, f := range out.FileSystems {
				id := aws.ToString(f.FileSystemId)
				arn := aws.ToString(f.FileSystemArn)
				if arn == "" {
					arn = fmt.Sprintf("arn:%s:elasticfilesystem:%s:%s:file-system/%s", env.Partition(), env.Region(), env.Account(), id)
				}
				rs = append(rs, listed{id: id, res: world.Resource{Kind: "efs-filesystem", Name: id, ARN: arn}})
			}
			return rs, aws.ToString(out.NextMarker), nil
		},
		reads:      []policyRead{{lane: LaneEFS, op: "elasticfilesystem:DescribeFileSystemPolicy", call: "efs:DescribeFileSystemPolicy", read: readPolicyDoc(efsReadPolicy)}},
		dropUnread: true,
	},
	fixActions: []string{"elasticfilesystem:DeleteFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy", "elasticfilesystem:PutFileSystemPolicy"},
	canDelete:  true,
	get: func(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
		id, err := efsIDOf(ref.ResourceARN)
		if err != nil {
			return LivePolicy{}, err
		}
		p, err := efsReadPolicy(ctx, cfg, id)
		if notFound[*efstypes.FileSystemNotFound](err) {
			return LivePolicy{}, fmt.Errorf("elasticfilesystem:DescribeFileSystemPolicy %s: %w: %w", id, ErrNoSuchResource, err)
		}
		return LivePolicy{Document: p}, err
	},
	put: func(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
		id, err := efsIDOf(ref.ResourceARN)
		if err != nil {
			return err
		}
		c := efs.NewFromConfig(cfg)
		if doc == "" {
			if _, err := c.DeleteFileSystemPolicy(ctx, &efs.DeleteFileSystemPolicyInput{FileSystemId: aws.String(id)}); err != nil {
				return fmt.Errorf("elasticfilesystem:DeleteFileSystemPolicy %s: %w", id, err)
			}
			return nil
		}
		if _, err := c.PutFileSystemPolicy(ctx, &efs.PutFileSystemPolicyInput{FileSystemId: aws.String(id), Policy: aws.String(doc)}); err != nil {
			return fmt.Errorf("elasticfilesystem:PutFileSystemPolicy %s: %w", id, err)
		}
		return nil
	},
}

func init() { Register(EFSFileSystem) }

// efsReadPolicy returns a file system's policy, "" when it has none.
func efsReadPolicy(ctx context.Context, cfg aws.Config, id string) (string, error) {
	out, err := efs.NewFromConfig(cfg).DescribeFileSystemPolicy(ctx, &efs.DescribeFileSystemPolicyInput{FileSystemId: aws.String(id)})
	switch {
	case err == nil:
		return aws.ToString(out.Policy), nil
	case notFound[*efstypes.PolicyNotFound](err):
		return "", nil
	}
	return "", err
}

func efsIDOf(arn string) (string, error) {
	a, err := parseStorageARN(arn, "elasticfilesystem", "file-system/", "arn:PARTITION:elasticfilesystem:REGION:ACCOUNT:file-system/ID")
	return a, err
}
