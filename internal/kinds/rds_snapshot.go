package kinds

import (
	"context"
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

// rdsSnapshotKind is a kind of RDS snapshot. DB and cluster snapshots are audited,
// counted and remediated alike, through calls that differ only in their names and types.
type rdsSnapshotKind struct {
	name    string
	arnType string // the resource part of the ARN before the id: "snapshot:", "cluster-snapshot:"
	attr    shareAttr
	// listOp, readOp and modifyOp are the IAM actions of the calls (gaps, call counts, errors).
	listOp, readOp, modifyOp string
	// list calls page with the ids of each page of manual snapshots, in order.
	list func(ctx context.Context, c *rds.Client, page func(ids []string)) error
	// read returns the snapshot's "restore" attribute; found is false when it is gone.
	read func(ctx context.Context, c *rds.Client, id string) (shares []string, found bool, err error)
	// modify adds and removes entries of the "restore" attribute.
	modify func(ctx context.Context, c *rds.Client, id string, add, remove []string) error
}

// RDSSnapshot audits who may copy and restore the account's manual DB snapshots: the
// "restore" attribute, shared with "all" (public) or with accounts. Automated snapshots
// cannot be shared, so only manual ones are listed.
//
// Calls: DescribeDBSnapshots SnapshotType=manual (100 per page), then
// DescribeDBSnapshotAttributes per snapshot.
var RDSSnapshot = rdsSnapshotKind{
	name: "rds-snapshot", arnType: "snapshot:", attr: rdsRestore,
	listOp: "rds:DescribeDBSnapshots", readOp: "rds:DescribeDBSnapshotAttributes", modifyOp: "rds:ModifyDBSnapshotAttribute",
	list: func(ctx context.Context, c *rds.Client, page func([]string)) error {
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
			page(ids)
		}
		return nil
	},
	read: func(ctx context.Context, c *rds.Client, id string) ([]string, bool, error) {
		out, err := c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String(id)})
		if notFound[*rdstypes.DBSnapshotNotFoundFault](err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		var attrs []rdstypes.DBSnapshotAttribute
		if r := out.DBSnapshotAttributesResult; r != nil {
			attrs = r.DBSnapshotAttributes
		}
		return restoreShares(attrs, func(a rdstypes.DBSnapshotAttribute) (*string, []string) { return a.AttributeName, a.AttributeValues }), true, nil
	},
	modify: func(ctx context.Context, c *rds.Client, id string, add, remove []string) error {
		_, err := c.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{
			DBSnapshotIdentifier: aws.String(id), AttributeName: aws.String("restore"), ValuesToAdd: add, ValuesToRemove: remove,
		})
		return err
	},
}

func init() { Register(RDSSnapshot) }

// restoreShares collects the values of the "restore" attributes.
func restoreShares[A any](attrs []A, nameValues func(A) (*string, []string)) []string {
	var shares []string
	for _, a := range attrs {
		if name, values := nameValues(a); aws.ToString(name) == "restore" {
			shares = append(shares, values...)
		}
	}
	return shares
}

func (k rdsSnapshotKind) Name() string      { return k.name }
func (k rdsSnapshotKind) Global() bool      { return false }
func (k rdsSnapshotKind) Actions() []string { return []string{k.readOp, k.listOp} }
func (k rdsSnapshotKind) Lanes() []Lane     { return []Lane{rdsLane} }

func (k rdsSnapshotKind) arn(partition, region, account, id string) string {
	return fmt.Sprintf("arn:%s:rds:%s:%s:%s%s", partition, region, account, k.arnType, id)
}

func (k rdsSnapshotKind) Collect(ctx context.Context, env Env, _ *world.Account, region *world.Region) error {
	c := rds.NewFromConfig(env.Config(LaneRDS))
	return sharedCollector{
		kind: k.name, lane: LaneRDS, attr: k.attr,
		listOp: k.listOp, readOp: k.readOp, arn: k.arn,
		list: func(ctx context.Context, page func([]string, map[string]bool)) error {
			return k.list(ctx, c, func(ids []string) { page(ids, nil) })
		},
		read: func(ctx context.Context, id string) ([]string, bool, error) { return k.read(ctx, c, id) },
	}.collect(ctx, env, region)
}

func (k rdsSnapshotKind) Policies(acct *world.Account) []Policy {
	return sharedPolicies(acct, k.name, k.attr)
}

func (k rdsSnapshotKind) Resources(acct *world.Account) int { return countResources(acct, k.name) }

func (k rdsSnapshotKind) MinimalCalls(acct *world.Account) map[string]int64 {
	return sharedMinimalCalls(acct, k.name, k.listOp, k.readOp, rdsPage)
}

// Demand is ceil(S/100) + S on the RDS lane.
func (k rdsSnapshotKind) Demand(_ *world.Account, r *world.Region) map[string]int64 {
	n := regionCount(r, k.name)
	return map[string]int64{LaneRDS: pages(n, rdsPage) + int64(n)}
}
