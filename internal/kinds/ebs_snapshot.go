package kinds

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneEC2Describe is EC2's bucket for Describe* calls: a token bucket of 100 refilled at 20
// per second per account and region [Request throttling for the Amazon EC2 API]. EBS
// snapshots and AMIs share it (and with it any other EC2 read).
const LaneEC2Describe = "ec2:describe"

var ec2DescribeLane = Lane{Name: LaneEC2Describe, Rate: 20, Documented: true, Ops: []string{
	"ec2:DescribeImageAttribute", "ec2:DescribeImages", "ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots",
}}

// ec2Page is the largest page DescribeSnapshots and DescribeImages return.
const ec2Page = 1000

// EBSSnapshot audits who may create volumes from the account's own snapshots: the
// createVolumePermission attribute, shared with "all" (public) or with accounts.
//
// Calls: DescribeSnapshots OwnerIds=self (1000 per page, always paginated: unpaginated,
// unfiltered calls fall in a slower bucket), then DescribeSnapshotAttribute per snapshot.
type EBSSnapshot struct{}

func init() { Register(EBSSnapshot{}) }

func (EBSSnapshot) Name() string { return "ebs-snapshot" }
func (EBSSnapshot) Global() bool { return false }
func (EBSSnapshot) Actions() []string {
	return []string{"ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots"}
}
func (EBSSnapshot) Lanes() []Lane { return []Lane{ec2DescribeLane} }

// ebsSnapshotARN is the snapshot's ARN; EBS snapshot ARNs carry no account.
func ebsSnapshotARN(partition, region, _, id string) string {
	return "arn:" + partition + ":ec2:" + region + "::snapshot/" + id
}

func (k EBSSnapshot) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	c := ec2.NewFromConfig(env.Config(LaneEC2Describe))
	return k.collector(c).collect(ctx, env, region)
}

// EBSSnapshotAPI is the part of an EC2 client the kind calls.
type EBSSnapshotAPI interface {
	ec2.DescribeSnapshotsAPIClient
	DescribeSnapshotAttribute(context.Context, *ec2.DescribeSnapshotAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeSnapshotAttributeOutput, error)
}

func (k EBSSnapshot) collector(c EBSSnapshotAPI) sharedCollector {
	return sharedCollector{
		kind: k.Name(), lane: LaneEC2Describe, attr: ebsCreateVolume,
		listOp: "ec2:DescribeSnapshots", readOp: "ec2:DescribeSnapshotAttribute", arn: ebsSnapshotARN,
		list: func(ctx context.Context, page func([]string, map[string]bool)) error {
			p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(ec2Page)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				ids := make([]string, 0, len(out.Snapshots))
				for _, s := range out.Snapshots {
					ids = append(ids, aws.ToString(s.SnapshotId))
				}
				page(ids, nil)
			}
			return nil
		},
		read: func(ctx context.Context, id string) ([]string, bool, error) {
			return readSnapshotShares(ctx, c, id)
		},
	}
}

func readSnapshotShares(ctx context.Context, c interface {
	DescribeSnapshotAttribute(context.Context, *ec2.DescribeSnapshotAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeSnapshotAttributeOutput, error)
}, id string) ([]string, bool, error) {
	out, err := c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{SnapshotId: aws.String(id), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})
	if isEC2NotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var shares []string
	for _, p := range out.CreateVolumePermissions {
		switch {
		case p.Group == ec2types.PermissionGroupAll:
			shares = append(shares, shareAll)
		case aws.ToString(p.UserId) != "":
			shares = append(shares, aws.ToString(p.UserId))
		}
	}
	return shares, true, nil
}

// isEC2NotFound reports EC2's answer for a snapshot or image that does not exist (any more).
func isEC2NotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "InvalidSnapshot.NotFound", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable":
		return true
	}
	return false
}

func (k EBSSnapshot) Policies(acct *world.Account) []Policy {
	return sharedPolicies(acct, k.Name(), ebsCreateVolume)
}

func (k EBSSnapshot) Resources(acct *world.Account) int { return countResources(acct, k.Name()) }

func (k EBSSnapshot) MinimalCalls(acct *world.Account) map[string]int64 {
	return sharedMinimalCalls(acct, k.Name(), "ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute", ec2Page)
}

// Demand is ceil(S/1000) + S on the EC2 Describe lane.
func (k EBSSnapshot) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.Name())
	return map[string]int64{LaneEC2Describe: pages(n, ec2Page) + int64(n)}
}
