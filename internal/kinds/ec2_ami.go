package kinds

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EC2AMI audits who may launch the account's own images: the launchPermission attribute,
// shared with "all" (the image's Public flag), with accounts, or with an organization or
// OU.
//
// Calls: DescribeImages Owners=self (1000 per page), then DescribeImageAttribute
// launchPermission per image, on the EC2 Describe lane. The listing's Public flag is kept
// even when an image's attribute cannot be read, so a public image is never reported
// clean.
type EC2AMI struct{}

func init() { Register(EC2AMI{}) }

func (EC2AMI) Name() string { return "ec2-ami" }
func (EC2AMI) Global() bool { return false }
func (EC2AMI) Actions() []string {
	return []string{"ec2:DescribeImageAttribute", "ec2:DescribeImages"}
}
func (EC2AMI) Lanes() []Lane { return []Lane{ec2DescribeLane} }

// amiARN is the image's ARN; AMI ARNs carry no account.
func amiARN(partition, region, _, id string) string {
	return "arn:" + partition + ":ec2:" + region + "::image/" + id
}

// EC2AMIAPI is the part of an EC2 client the kind calls.
type EC2AMIAPI interface {
	ec2.DescribeImagesAPIClient
	DescribeImageAttribute(context.Context, *ec2.DescribeImageAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeImageAttributeOutput, error)
}

func (k EC2AMI) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	return k.collector(ec2.NewFromConfig(env.Config(LaneEC2Describe))).collect(ctx, env, region)
}

func (k EC2AMI) collector(c EC2AMIAPI) sharedCollector {
	return sharedCollector{
		kind: k.Name(), lane: LaneEC2Describe, attr: amiLaunch,
		listOp: "ec2:DescribeImages", readOp: "ec2:DescribeImageAttribute", arn: amiARN,
		list: func(ctx context.Context, page func([]string, map[string]bool)) error {
			p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(ec2Page)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				ids := make([]string, 0, len(out.Images))
				public := map[string]bool{}
				for _, im := range out.Images {
					id := aws.ToString(im.ImageId)
					ids = append(ids, id)
					public[id] = aws.ToBool(im.Public)
				}
				page(ids, public)
			}
			return nil
		},
		read: func(ctx context.Context, id string) ([]string, bool, error) {
			return readImageShares(ctx, c, id)
		},
	}
}

func readImageShares(ctx context.Context, c interface {
	DescribeImageAttribute(context.Context, *ec2.DescribeImageAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeImageAttributeOutput, error)
}, id string) ([]string, bool, error) {
	out, err := c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: aws.String(id), Attribute: ec2types.ImageAttributeNameLaunchPermission})
	if isEC2NotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var shares []string
	for _, p := range out.LaunchPermissions {
		switch {
		case p.Group == ec2types.PermissionGroupAll:
			shares = append(shares, shareAll)
		case aws.ToString(p.UserId) != "":
			shares = append(shares, aws.ToString(p.UserId))
		case aws.ToString(p.OrganizationArn) != "":
			shares = append(shares, aws.ToString(p.OrganizationArn))
		case aws.ToString(p.OrganizationalUnitArn) != "":
			shares = append(shares, aws.ToString(p.OrganizationalUnitArn))
		}
	}
	return shares, true, nil
}

func (k EC2AMI) Policies(acct *world.Account) []Policy {
	return sharedPolicies(acct, k.Name(), amiLaunch)
}

func (k EC2AMI) Resources(acct *world.Account) int { return countResources(acct, k.Name()) }

func (k EC2AMI) MinimalCalls(acct *world.Account) map[string]int64 {
	return sharedMinimalCalls(acct, k.Name(), "ec2:DescribeImages", "ec2:DescribeImageAttribute", ec2Page)
}

// Demand is ceil(M/1000) + M on the EC2 Describe lane.
func (k EC2AMI) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.Name())
	return map[string]int64{LaneEC2Describe: pages(n, ec2Page) + int64(n)}
}
