package awssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

func rdsStart(t *testing.T) *rds.Client {
	t.Helper()
	var res []world.Resource
	for i := range 45 {
		res = append(res, world.Resource{Kind: "rds-snapshot", Name: fmt.Sprintf("db-%02d", i), Attributes: map[string]string{"DBInstanceIdentifier": "db"}})
	}
	res[0].Shares = []string{"all", shareOther}
	res[1].Attributes = map[string]string{"SnapshotType": "automated"}
	res[2].Attributes = map[string]string{"Encrypted": "true"}
	res = append(res, world.Resource{Kind: "rds-cluster-snapshot", Name: "aurora-1", Shares: []string{shareOther}})
	w := &world.World{SchemaVersion: world.SchemaVersion, Accounts: []world.Account{{
		ID: shareOwner, AccessKeys: []world.AccessKey{{ID: shareOwnerKey, ARN: "arn:aws:iam::111111111111:user/a"}},
		Regions: []world.Region{{Name: "eu-west-1", Resources: res}},
	}}}
	s, err := Start(Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return rds.NewFromConfig(s.Config(shareOwnerKey, "eu-west-1"))
}

func TestRDSDescribeDBSnapshotsManualPaginated(t *testing.T) {
	c := rdsStart(t)
	ctx := context.Background()
	var sizes []int
	var first *string
	p := rds.NewDescribeDBSnapshotsPaginator(c, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual"), MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.DBSnapshots))
		if first == nil && len(out.DBSnapshots) > 0 {
			first = out.DBSnapshots[0].DBSnapshotArn
			if aws.ToString(out.DBSnapshots[0].SnapshotType) != "manual" || aws.ToString(out.DBSnapshots[0].DBInstanceIdentifier) != "db" {
				t.Errorf("first snapshot = %+v", out.DBSnapshots[0])
			}
		}
	}
	// 44 manual snapshots (the automated one is not listed) in pages of 20.
	if !cmp.Equal(sizes, []int{20, 20, 4}) {
		t.Errorf("page sizes = %v, want [20 20 4]", sizes)
	}
	if aws.ToString(first) != "arn:aws:rds:eu-west-1:111111111111:snapshot:db-00" {
		t.Errorf("first ARN = %s", aws.ToString(first))
	}
	if _, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{MaxRecords: aws.Int32(500)}); apiCode(err) != "InvalidParameterValue" {
		t.Errorf("MaxRecords 500: %v, want InvalidParameterValue", err)
	}
	cl, err := c.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{SnapshotType: aws.String("manual")})
	if err != nil || len(cl.DBClusterSnapshots) != 1 || aws.ToString(cl.DBClusterSnapshots[0].DBClusterSnapshotIdentifier) != "aurora-1" {
		t.Errorf("cluster snapshots = %+v, %v", cl, err)
	}
}

func TestRDSRestoreAttribute(t *testing.T) {
	c := rdsStart(t)
	ctx := context.Background()
	restore := func(id string) []string {
		t.Helper()
		out, err := c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeDBSnapshotAttributes %s: %v", id, err)
		}
		for _, a := range out.DBSnapshotAttributesResult.DBSnapshotAttributes {
			if aws.ToString(a.AttributeName) == "restore" {
				return a.AttributeValues
			}
		}
		t.Fatalf("%s: no restore attribute", id)
		return nil
	}
	if got := restore("db-00"); !cmp.Equal(got, []string{"all", shareOther}) {
		t.Errorf("db-00 restore = %v", got)
	}
	out, err := c.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-00"), AttributeName: aws.String("restore"),
		ValuesToAdd: []string{"333333333333"}, ValuesToRemove: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.DBSnapshotAttributesResult.DBSnapshotAttributes[0].AttributeValues; !cmp.Equal(got, []string{shareOther, "333333333333"}) {
		t.Errorf("Modify answered %v", got)
	}
	if got := restore("arn:aws:rds:eu-west-1:111111111111:snapshot:db-00"); !cmp.Equal(got, []string{shareOther, "333333333333"}) {
		t.Errorf("db-00 by ARN after modify = %v", got)
	}
	cout, err := c.ModifyDBClusterSnapshotAttribute(ctx, &rds.ModifyDBClusterSnapshotAttributeInput{DBClusterSnapshotIdentifier: aws.String("aurora-1"), AttributeName: aws.String("restore"), ValuesToRemove: []string{shareOther}})
	if err != nil || len(cout.DBClusterSnapshotAttributesResult.DBClusterSnapshotAttributes[0].AttributeValues) != 0 {
		t.Errorf("cluster modify: %+v, %v", cout, err)
	}

	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("5555555555%02d", i))
	}
	for _, tc := range []struct {
		name string
		in   rds.ModifyDBSnapshotAttributeInput
		code string
	}{
		{"unknown snapshot", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("nope"), AttributeName: aws.String("restore"), ValuesToAdd: []string{"all"}}, "DBSnapshotNotFound"},
		{"other attribute", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-03"), AttributeName: aws.String("copy"), ValuesToAdd: []string{"all"}}, "InvalidParameterValue"},
		{"bad account", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-03"), AttributeName: aws.String("restore"), ValuesToAdd: []string{"1234"}}, "InvalidParameterValue"},
		{"automated", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-01"), AttributeName: aws.String("restore"), ValuesToAdd: []string{shareOther}}, "InvalidDBSnapshotState"},
		{"encrypted public", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-02"), AttributeName: aws.String("restore"), ValuesToAdd: []string{"all"}}, "InvalidParameterValue"},
		{"over 20 accounts", rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("db-03"), AttributeName: aws.String("restore"), ValuesToAdd: many}, "SharedSnapshotQuotaExceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.ModifyDBSnapshotAttribute(ctx, &tc.in); apiCode(err) != tc.code {
				t.Errorf("error %v, want %s", err, tc.code)
			}
		})
	}
	if got := restore("db-03"); len(got) != 0 {
		t.Errorf("a refused change was applied: %v", got)
	}
	if _, err := c.DescribeDBClusterSnapshotAttributes(ctx, &rds.DescribeDBClusterSnapshotAttributesInput{DBClusterSnapshotIdentifier: aws.String("db-00")}); apiCode(err) != "DBClusterSnapshotNotFoundFault" {
		t.Errorf("a DB snapshot read as a cluster snapshot: %v, want DBClusterSnapshotNotFoundFault", err)
	}
}
