package kinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// RDS snapshot remediation reads the "restore" attribute, turns it into the share document
// the scan judged, and writes a changed document back with one ModifyDBSnapshotAttribute
// (or ModifyDBClusterSnapshotAttribute) call that adds and removes exactly the entries
// that differ.

var (
	_ DocumentRemediator = RDSSnapshot{}
	_ DocumentRemediator = RDSClusterSnapshot{}
)

func (RDSSnapshot) FixActions() []string {
	return []string{"rds:DescribeDBSnapshotAttributes", "rds:ModifyDBSnapshotAttribute"}
}

func (RDSClusterSnapshot) FixActions() []string {
	return []string{"rds:DescribeDBClusterSnapshotAttributes", "rds:ModifyDBClusterSnapshotAttribute"}
}

// CanDelete is true: a snapshot shared with no one is the private default.
func (RDSSnapshot) CanDelete() bool        { return true }
func (RDSClusterSnapshot) CanDelete() bool { return true }

// rdsShares is the read and write of one RDS snapshot variant.
type rdsShares struct {
	arnType  string // "snapshot:" or "cluster-snapshot:"
	attr     shareAttr
	readOp   string
	modifyOp string
	read     func(ctx context.Context, c *rds.Client, id string) ([]string, bool, error)
	modify   func(ctx context.Context, c *rds.Client, id string, add, remove []string) error
}

var (
	rdsSnapshotShares = rdsShares{
		arnType: "snapshot:", attr: rdsRestore, readOp: "rds:DescribeDBSnapshotAttributes", modifyOp: "rds:ModifyDBSnapshotAttribute",
		read: func(ctx context.Context, c *rds.Client, id string) ([]string, bool, error) {
			return readRDSSnapshotShares(ctx, c, id)
		},
		modify: func(ctx context.Context, c *rds.Client, id string, add, remove []string) error {
			_, err := c.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{
				DBSnapshotIdentifier: aws.String(id), AttributeName: aws.String("restore"), ValuesToAdd: add, ValuesToRemove: remove,
			})
			return err
		},
	}
	rdsClusterSnapshotShares = rdsShares{
		arnType: "cluster-snapshot:", attr: rdsClusterRest, readOp: "rds:DescribeDBClusterSnapshotAttributes", modifyOp: "rds:ModifyDBClusterSnapshotAttribute",
		read: func(ctx context.Context, c *rds.Client, id string) ([]string, bool, error) {
			return readRDSClusterSnapshotShares(ctx, c, id)
		},
		modify: func(ctx context.Context, c *rds.Client, id string, add, remove []string) error {
			_, err := c.ModifyDBClusterSnapshotAttribute(ctx, &rds.ModifyDBClusterSnapshotAttributeInput{
				DBClusterSnapshotIdentifier: aws.String(id), AttributeName: aws.String("restore"), ValuesToAdd: add, ValuesToRemove: remove,
			})
			return err
		},
	}
)

func (v rdsShares) readPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	id, err := resourceIDOf(ref.ResourceARN, "rds", v.arnType)
	if err != nil {
		return LivePolicy{}, err
	}
	shares, found, err := v.read(ctx, rds.NewFromConfig(cfg), id)
	if err != nil {
		return LivePolicy{}, fmt.Errorf("%s %s: %w", v.readOp, id, err)
	}
	if !found {
		return LivePolicy{}, fmt.Errorf("%s %s: %w", v.readOp, id, ErrNoSuchResource)
	}
	return LivePolicy{Document: shareDocument(v.attr, Partition(cfg.Region), ref.ResourceARN, shares)}, nil
}

func (v rdsShares) writePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	id, err := resourceIDOf(ref.ResourceARN, "rds", v.arnType)
	if err != nil {
		return err
	}
	want, err := sharesOf(doc)
	if err != nil {
		return err
	}
	if len(want.orgs) > 0 {
		return fmt.Errorf("snapshot %s: RDS snapshots are not shared with organizations", id)
	}
	c := rds.NewFromConfig(cfg)
	live, found, err := v.read(ctx, c, id)
	if err != nil {
		return fmt.Errorf("%s %s: %w", v.readOp, id, err)
	}
	if !found {
		return fmt.Errorf("%s %s: %w", v.readOp, id, ErrNoSuchResource)
	}
	add, remove, err := shareChange(Partition(cfg.Region), ref.ResourceARN, v.attr, live, want)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", id, err)
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	if err := v.modify(ctx, c, id, add, remove); err != nil {
		return fmt.Errorf("%s %s: %w", v.modifyOp, id, err)
	}
	return nil
}

func (RDSSnapshot) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	return rdsSnapshotShares.readPolicy(ctx, cfg, ref)
}

func (RDSSnapshot) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	return rdsSnapshotShares.writePolicy(ctx, cfg, ref, doc)
}

func (RDSClusterSnapshot) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	return rdsClusterSnapshotShares.readPolicy(ctx, cfg, ref)
}

func (RDSClusterSnapshot) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	return rdsClusterSnapshotShares.writePolicy(ctx, cfg, ref, doc)
}
