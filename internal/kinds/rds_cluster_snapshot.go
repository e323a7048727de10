package kinds

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// RDSClusterSnapshot audits who may copy and restore the account's manual DB cluster
// snapshots (Aurora, Multi-AZ clusters): the "restore" attribute, shared with "all"
// (public) or with accounts. Automated snapshots cannot be shared, so only manual ones are
// listed.
//
// Calls: DescribeDBClusterSnapshots SnapshotType=manual (100 per page), then
// DescribeDBClusterSnapshotAttributes per snapshot, on the RDS lane.
var RDSClusterSnapshot = rdsSnapshotKind{
	name: "rds-cluster-snapshot", arnType: "cluster-snapshot:", attr: rdsClusterRest,
	listOp: "rds:DescribeDBClusterSnapshots", readOp: "rds:DescribeDBClusterSnapshotAttributes", modifyOp: "rds:ModifyDBClusterSnapshotAttribute",
	list: func(ctx context.Context, c *rds.Client, page func([]string)) error {
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
			page(ids)
		}
		return nil
	},
	read: func(ctx context.Context, c *rds.Client, id string) ([]string, bool, error) {
		out, err := c.DescribeDBClusterSnapshotAttributes(ctx, &rds.DescribeDBClusterSnapshotAttributesInput{DBClusterSnapshotIdentifier: aws.String(id)})
		if notFound[*rdstypes.DBClusterSnapshotNotFoundFault](err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		var attrs []rdstypes.DBClusterSnapshotAttribute
		if r := out.DBClusterSnapshotAttributesResult; r != nil {
			attrs = r.DBClusterSnapshotAttributes
		}
		return restoreShares(attrs, func(a rdstypes.DBClusterSnapshotAttribute) (*string, []string) {
			return a.AttributeName, a.AttributeValues
		}), true, nil
	},
	modify: func(ctx context.Context, c *rds.Client, id string, add, remove []string) error {
		_, err := c.ModifyDBClusterSnapshotAttribute(ctx, &rds.ModifyDBClusterSnapshotAttributeInput{
			DBClusterSnapshotIdentifier: aws.String(id), AttributeName: aws.String("restore"), ValuesToAdd: add, ValuesToRemove: remove,
		})
		return err
	},
}

func init() { Register(RDSClusterSnapshot) }
