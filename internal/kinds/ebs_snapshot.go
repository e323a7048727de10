package kinds

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	"ec2:GetSnapshotBlockPublicAccessState",
}}

// SnapshotBPASetting is the account setting (world.Account.Settings) holding a region's
// snapshot block public access state, keyed by region: "ec2:SnapshotBlockPublicAccessState/us-east-1"
// = "block-all-sharing", "block-new-sharing" or "unblocked". With block-all-sharing, EC2
// treats snapshots shared with "all" as private.
const SnapshotBPASetting = "ec2:SnapshotBlockPublicAccessState"

const bpaBlockAll = string(ec2types.SnapshotBlockPublicAccessStateBlockAllSharing)

func snapshotBPAKey(region string) string { return SnapshotBPASetting + "/" + region }

// ec2Page is the largest page DescribeSnapshots and DescribeImages return.
const ec2Page = 1000

// EBSSnapshot audits who may create volumes from the account's own snapshots: the
// createVolumePermission attribute, shared with "all" (public) or with accounts. A region's
// snapshot block public access in block-all-sharing mode makes EC2 treat "all" as private:
// such a share is then a notice, not a finding.
//
// Calls: GetSnapshotBlockPublicAccessState once per region, DescribeSnapshots
// OwnerIds=self (1000 per page, always paginated: unpaginated, unfiltered calls fall in a
// slower bucket), then DescribeSnapshotAttribute per snapshot.
type EBSSnapshot struct{}

func init() { Register(EBSSnapshot{}) }

func (EBSSnapshot) Name() string { return "ebs-snapshot" }
func (EBSSnapshot) Global() bool { return false }
func (EBSSnapshot) Actions() []string {
	return []string{"ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots", "ec2:GetSnapshotBlockPublicAccessState"}
}
func (EBSSnapshot) Lanes() []Lane { return []Lane{ec2DescribeLane} }

// ebsSnapshotARN is the snapshot's ARN; EBS snapshot ARNs carry no account.
func ebsSnapshotARN(partition, region, _, id string) string {
	return "arn:" + partition + ":ec2:" + region + "::snapshot/" + id
}

func (k EBSSnapshot) Collect(ctx context.Context, env Env, acct *world.Account, region *world.Region) error {
	c := ec2.NewFromConfig(env.Config(LaneEC2Describe))
	state, err := readSnapshotBPA(ctx, c)
	switch {
	case err != nil:
		// Without the setting every "all" share is judged public: a scan may over-report
		// here, never under-report.
		env.Gap("ec2:GetSnapshotBlockPublicAccessState", "", err)
	case state != "" && acct != nil:
		resourcesMu.Lock()
		if acct.Settings == nil {
			acct.Settings = map[string]string{}
		}
		acct.Settings[snapshotBPAKey(region.Name)] = state
		resourcesMu.Unlock()
	}
	return k.collector(c).collect(ctx, env, region)
}

// readSnapshotBPA returns the region's snapshot block public access state.
func readSnapshotBPA(ctx context.Context, c interface {
	GetSnapshotBlockPublicAccessState(context.Context, *ec2.GetSnapshotBlockPublicAccessStateInput, ...func(*ec2.Options)) (*ec2.GetSnapshotBlockPublicAccessStateOutput, error)
}) (string, error) {
	out, err := c.GetSnapshotBlockPublicAccessState(ctx, &ec2.GetSnapshotBlockPublicAccessStateInput{})
	if err != nil {
		return "", err
	}
	return string(out.State), nil
}

// snapshotBlocked reports whether EC2 keeps the region's public snapshots private.
func snapshotBlocked(acct *world.Account, region string) bool {
	return acct.Settings[snapshotBPAKey(region)] == bpaBlockAll
}

// withoutAll drops the "all" entry that block public access neutralises.
func withoutAll(shares []string) []string {
	return slices.DeleteFunc(slices.Clone(shares), func(s string) bool { return s == shareAll })
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
	var out []Policy
	resourcesOf(acct, k.Name(), func(region string, r *world.Resource) {
		shares := r.Shares
		if snapshotBlocked(acct, region) {
			shares = withoutAll(shares)
		}
		if doc := shareDocument(ebsCreateVolume, Partition(region), r.ARN, shares); doc != "" {
			out = append(out, Policy{Region: region, ResourceARN: r.ARN, Document: doc})
		}
	})
	return out
}

var _ Noticer = EBSSnapshot{}

// Notices names the snapshots shared with everyone that block public access keeps private.
func (k EBSSnapshot) Notices(acct *world.Account) []string {
	var out []string
	resourcesOf(acct, k.Name(), func(region string, r *world.Resource) {
		if snapshotBlocked(acct, region) && slices.Contains(r.Shares, shareAll) {
			out = append(out, fmt.Sprintf("%s: shared with everyone (createVolumePermission group all), kept private only by snapshot block public access (block-all-sharing) in %s; unblocking the region makes it public", r.ARN, region))
		}
	})
	return out
}

func (k EBSSnapshot) Resources(acct *world.Account) int { return countResources(acct, k.Name()) }

func (k EBSSnapshot) MinimalCalls(acct *world.Account) map[string]int64 {
	m := sharedMinimalCalls(acct, k.Name(), "ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute", ec2Page)
	for _, r := range acct.Regions {
		if r.Enabled() {
			m["ec2:GetSnapshotBlockPublicAccessState"]++
		}
	}
	return m
}

// Demand is 1 + ceil(S/1000) + S on the EC2 Describe lane.
func (k EBSSnapshot) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.Name())
	return map[string]int64{LaneEC2Describe: 1 + pages(n, ec2Page) + int64(n)}
}
