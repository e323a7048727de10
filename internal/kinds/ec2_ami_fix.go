package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// AMI remediation works as EBS snapshot remediation does (ebs_snapshot_fix.go), through
// ModifyImageAttribute launchPermission. Organization and OU shares are left to a person
// (the judge reports them as untrusted organizations, which fix never removes), and are
// never re-created from a document.

var _ DocumentRemediator = EC2AMI{}

func (EC2AMI) FixActions() []string {
	return []string{"ec2:DescribeImageAttribute", "ec2:ModifyImageAttribute"}
}

// CanDelete is true: an image shared with no one is the private default.
func (EC2AMI) CanDelete() bool { return true }

func (EC2AMI) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	id, err := resourceIDOf(ref.ResourceARN, "ec2", "image/")
	if err != nil {
		return LivePolicy{}, err
	}
	shares, err := liveShares("ec2:DescribeImageAttribute", id, func() ([]string, bool, error) { return readImageShares(ctx, ec2.NewFromConfig(cfg), id) })
	if err != nil {
		return LivePolicy{}, err
	}
	return LivePolicy{Document: shareDocument(amiLaunch, Partition(cfg.Region), ref.ResourceARN, shares)}, nil
}

func (EC2AMI) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	id, err := resourceIDOf(ref.ResourceARN, "ec2", "image/")
	if err != nil {
		return err
	}
	want, err := sharesOf(doc)
	if err != nil {
		return err
	}
	c := ec2.NewFromConfig(cfg)
	live, err := liveShares("ec2:DescribeImageAttribute", id, func() ([]string, bool, error) { return readImageShares(ctx, c, id) })
	if err != nil {
		return err
	}
	add, remove, err := shareChange(Partition(cfg.Region), ref.ResourceARN, amiLaunch, live, want)
	if err != nil {
		return fmt.Errorf("image %s: %w", id, err)
	}
	perms := func(vals []string) []ec2types.LaunchPermission {
		var out []ec2types.LaunchPermission
		for _, v := range vals {
			switch {
			case v == shareAll:
				out = append(out, ec2types.LaunchPermission{Group: ec2types.PermissionGroupAll})
			case orgARNRE.MatchString(v):
				out = append(out, ec2types.LaunchPermission{OrganizationArn: aws.String(v)})
			case ouARNRE.MatchString(v):
				out = append(out, ec2types.LaunchPermission{OrganizationalUnitArn: aws.String(v)})
			default:
				out = append(out, ec2types.LaunchPermission{UserId: aws.String(v)})
			}
		}
		return out
	}
	// Additions or removals per call, not both; removals first.
	for _, m := range []ec2types.LaunchPermissionModifications{{Remove: perms(remove)}, {Add: perms(add)}} {
		if len(m.Add)+len(m.Remove) == 0 {
			continue
		}
		in := &ec2.ModifyImageAttributeInput{ImageId: aws.String(id), Attribute: aws.String("launchPermission"), LaunchPermission: &m}
		if _, err := c.ModifyImageAttribute(ctx, in); err != nil {
			return fmt.Errorf("ec2:ModifyImageAttribute %s: %w", id, err)
		}
	}
	return nil
}
