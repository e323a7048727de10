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

// RDSClusterSnapshot audits who may copy and restore the account's manual DB cluster
// snapshots (Aurora, Multi-AZ clusters): the "restore" attribute, shared with "all"
// (public) or with accounts. Automated snapshots cannot be shared, so only manual ones are
// listed.
//
// Calls: DescribeDBClusterSnapshots SnapshotType=manual (100 per page), then
// DescribeDBClusterSnapshotAttributes per snapshot, on the RDS lane.
type RDSClusterSnapshot struct{}

func init() { Register(RDSClusterSnapshot{}) }

func (RDSClusterSnapshot) Name() string { return "rds-cluster-snapshot" }
func (RDSClusterSnapshot) Global() bool { return false }
func (RDSClusterSnapshot) Actions() []string {
	return []string{"rds:DescribeDBClusterSnapshotAttributes", "rds:DescribeDBClusterSnapshots"}
}
func (RDSClusterSnapshot) Lanes() []Lane { return []Lane{rdsLane} }

func rdsClusterSnapshotARN(partition, region, account, id string) string {
	return fmt.Sprintf("arn:%s:rds:%s:%s:cluster-snapshot:%s", partition, region, account, id)
}

// RDSClusterSnapshotAPI is the part of an RDS client the kind calls.
type RDSClusterSnapshotAPI interface {
	rds.DescribeDBClusterSnapshotsAPIClient
	DescribeDBClusterSnapshotAttributes(context.Context, *rds.DescribeDBClusterSnapshotAttributesInput, ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotAttributesOutput, error)
}

func (k RDSClusterSnapshot) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	return k.collector(rds.NewFromConfig(env.Config(LaneRDS))).collect(ctx, env, region)
}

func (k RDSClusterSnapshot) collector(c RDSClusterSnapshotAPI) sharedCollector {
	return sharedCollector{
		kind: k.Name(), lane: LaneRDS, attr: rdsClusterRest,
		listOp: "rds:DescribeDBClusterSnapshots", readOp: "rds:DescribeDBClusterSnapshotAttributes", arn: rdsClusterSnapshotARN,
		list: func(ctx context.Context, page func([]string, map[string]bool)) error {
			p := rds.NewDescribeDBClusterSnapshotsPaginator(c, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual"), MaxRecords: aws.Int32(rdsPage)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				ids := make([]string, 0, len(out.DBClusterSnapshots))
				for _, s := range out.DBClusterSnapshots {
					ids = append(ids, aws.ToString(s.DBClusterSnapshotIdentifier))
				}
				page(ids, nil)
			}
			return nil
		},
		read: func(ctx context.Context, id string) ([]string, bool, error) {
			return readRDSClusterSnapshotShares(ctx, c, id)
		},
	}
}

func readRDSClusterSnapshotShares(ctx context.Context, c interface {
	DescribeDBClusterSnapshotAttributes(context.Context, *rds.DescribeDBClusterSnapshotAttributesInput, ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotAttributesOutput, error)
}, id string) ([]string, bool, error) {
	out, err := c.DescribeDBClusterSnapshotAttributes(ctx, &rds.DescribeDBClusterSnapshotAttributesInput{DBClusterSnapshotIdentifier: aws.String(id)})
	var nf *rdstypes.DBClusterSnapshotNotFoundFault
	if errors.As(err, &nf) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var shares []string
	if r := out.DBClusterSnapshotAttributesResult; r != nil {
		for _, a := range r.DBClusterSnapshotAttributes {
			if aws.ToString(a.AttributeName) == "restore" {
				shares = append(shares, a.AttributeValues...)
			}
		}
	}
	return shares, true, nil
}

func (k RDSClusterSnapshot) Policies(acct *world.Account) []Policy {
	return sharedPolicies(acct, k.Name(), rdsClusterRest)
}

func (k RDSClusterSnapshot) Resources(acct *world.Account) int { return countResources(acct, k.Name()) }

func (k RDSClusterSnapshot) MinimalCalls(acct *world.Account) map[string]int64 {
	return sharedMinimalCalls(acct, k.Name(), "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshotAttributes", rdsPage)
}

// Demand is ceil(S/100) + S on the RDS lane.
func (k RDSClusterSnapshot) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.Name())
	return map[string]int64{LaneRDS: pages(n, rdsPage) + int64(n)}
}
