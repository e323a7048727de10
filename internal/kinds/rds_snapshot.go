package kinds

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/trustaudit/trustaudit/internal/world"
)

// LaneRDS carries RDS snapshot reads. AWS publishes no rate for them, and scans have been
// seen to manage 1-3.5 snapshots a second (PERFORMANCE.md §2.1), so the lane is adaptive
// and starts low. DB and cluster snapshots share it.
const LaneRDS = "rds"

var rdsLane = Lane{Name: LaneRDS, Rate: 4, Ops: []string{
	"rds:DescribeDBClusterSnapshotAttributes", "rds:DescribeDBClusterSnapshots",
	"rds:DescribeDBSnapshotAttributes", "rds:DescribeDBSnapshots",
}}

// rdsPage is the largest page DescribeDBSnapshots and DescribeDBClusterSnapshots return.
const rdsPage = 100

// RDSSnapshot audits who may copy and restore the account's manual DB snapshots: the
// "restore" attribute, shared with "all" (public) or with accounts. Automated snapshots
// cannot be shared, so only manual ones are listed.
//
// Calls: DescribeDBSnapshots SnapshotType=manual (100 per page), then
// DescribeDBSnapshotAttributes per snapshot.
type RDSSnapshot struct{}

func init() { Register(RDSSnapshot{}) }

func (RDSSnapshot) Name() string { return "rds-snapshot" }
func (RDSSnapshot) Global() bool { return false }
func (RDSSnapshot) Actions() []string {
	return []string{"rds:DescribeDBSnapshotAttributes", "rds:DescribeDBSnapshots"}
}
func (RDSSnapshot) Lanes() []Lane { return []Lane{rdsLane} }

func rdsSnapshotARN(partition, region, account, id string) string {
	return fmt.Sprintf("arn:%s:rds:%s:%s:snapshot:%s", partition, region, account, id)
}

// RDSSnapshotAPI is the part of an RDS client the kind calls.
type RDSSnapshotAPI interface {
	rds.DescribeDBSnapshotsAPIClient
	DescribeDBSnapshotAttributes(context.Context, *rds.DescribeDBSnapshotAttributesInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotAttributesOutput, error)
}

func (k RDSSnapshot) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	return k.collector(rds.NewFromConfig(env.Config(LaneRDS))).collect(ctx, env, region)
}

func (k RDSSnapshot) collector(c RDSSnapshotAPI) sharedCollector {
	return sharedCollector{
		kind: k.Name(), lane: LaneRDS, attr: rdsRestore,
		listOp: "rds:DescribeDBSnapshots", readOp: "rds:DescribeDBSnapshotAttributes", arn: rdsSnapshotARN,
		list: func(ctx context.Context, page func([]string, map[string]bool)) error {
			p := rds.NewDescribeDBSnapshotsPaginator(c, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual"), MaxRecords: aws.Int32(rdsPage)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				ids := make([]string, 0, len(out.DBSnapshots))
				for _, s := range out.DBSnapshots {
					ids = append(ids, aws.ToString(s.DBSnapshotIdentifier))
				}
				page(ids, nil)
			}
			return nil
		},
		read: func(ctx context.Context, id string) ([]string, bool, error) {
			return readRDSSnapshotShares(ctx, c, id)
		},
	}
}

func readRDSSnapshotShares(ctx context.Context, c interface {
	DescribeDBSnapshotAttributes(context.Context, *rds.DescribeDBSnapshotAttributesInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotAttributesOutput, error)
}, id string) ([]string, bool, error) {
	out, err := c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String(id)})
	var nf *rdstypes.DBSnapshotNotFoundFault
	if errors.As(err, &nf) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var shares []string
	if r := out.DBSnapshotAttributesResult; r != nil {
		for _, a := range r.DBSnapshotAttributes {
			if aws.ToString(a.AttributeName) == "restore" {
				shares = append(shares, a.AttributeValues...)
			}
		}
	}
	return shares, true, nil
}

func (k RDSSnapshot) Policies(acct *world.Account) []Policy {
	return sharedPolicies(acct, k.Name(), rdsRestore)
}

func (k RDSSnapshot) Resources(acct *world.Account) int { return countResources(acct, k.Name()) }

func (k RDSSnapshot) MinimalCalls(acct *world.Account) map[string]int64 {
	return sharedMinimalCalls(acct, k.Name(), "rds:DescribeDBSnapshots", "rds:DescribeDBSnapshotAttributes", rdsPage)
}

// Demand is ceil(S/100) + S on the RDS lane.
func (k RDSSnapshot) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.Name())
	return map[string]int64{LaneRDS: pages(n, rdsPage) + int64(n)}
}
