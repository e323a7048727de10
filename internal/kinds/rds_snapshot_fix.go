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
	_ DocumentRemediator = RDSSnapshot
	_ DocumentRemediator = RDSClusterSnapshot
)

func (k rdsSnapshotKind) FixActions() []string { return []string{k.readOp, k.modifyOp} }

// CanDelete is true: a snapshot shared with no one is the private default.
func (rdsSnapshotKind) CanDelete() bool { return true }

func (k rdsSnapshotKind) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	id, err := resourceIDOf(ref.ResourceARN, "rds", k.arnType)
	if err != nil {
		return LivePolicy{}, err
	}
	shares, err := liveShares(k.readOp, id, func() ([]string, bool, error) { return k.read(ctx, rds.NewFromConfig(cfg), id) })
	if err != nil {
		return LivePolicy{}, err
	}
	return LivePolicy{Document: shareDocument(k.attr, Partition(cfg.Region), ref.ResourceARN, shares)}, nil
}

func (k rdsSnapshotKind) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	id, err := resourceIDOf(ref.ResourceARN, "rds", k.arnType)
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
	live, err := liveShares(k.readOp, id, func() ([]string, bool, error) { return k.read(ctx, c, id) })
	if err != nil {
		return err
	}
	add, remove, err := shareChange(Partition(cfg.Region), ref.ResourceARN, k.attr, live, want)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", id, err)
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	if err := k.modify(ctx, c, id, add, remove); err != nil {
		return fmt.Errorf("%s %s: %w", k.modifyOp, id, err)
	}
	return nil
}
