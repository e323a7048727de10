package kinds

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EBS snapshot remediation reads the createVolumePermission list, turns it into the share
// document the scan judged, and writes a changed document back with ModifySnapshotAttribute
// calls that add and remove exactly the entries that differ: the accounts and the "all"
// group a fix takes out, or a restore puts back.

var _ DocumentRemediator = EBSSnapshot{}

func (EBSSnapshot) FixActions() []string {
	return []string{"ec2:DescribeSnapshotAttribute", "ec2:GetSnapshotBlockPublicAccessState", "ec2:ModifySnapshotAttribute"}
}

// CanDelete is true: a snapshot shared with no one is the private default.
func (EBSSnapshot) CanDelete() bool { return true }

func (EBSSnapshot) ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error) {
	id, err := resourceIDOf(ref.ResourceARN, "ec2", "snapshot/")
	if err != nil {
		return LivePolicy{}, err
	}
	c := ec2.NewFromConfig(cfg)
	shares, err := liveShares("ec2:DescribeSnapshotAttribute", id, func() ([]string, bool, error) { return readSnapshotShares(ctx, c, id) })
	if err != nil {
		return LivePolicy{}, err
	}
	blocked, err := snapshotBlockedLive(ctx, c)
	if err != nil {
		return LivePolicy{}, err
	}
	if blocked {
		shares = withoutAll(shares)
	}
	return LivePolicy{Document: shareDocument(ebsCreateVolume, Partition(cfg.Region), ref.ResourceARN, shares)}, nil
}

// snapshotBlockedLive reads whether block public access neutralises "all" now, so the
// document read for a fix is the one the scan judged.
func snapshotBlockedLive(ctx context.Context, c *ec2.Client) (bool, error) {
	state, err := readSnapshotBPA(ctx, c)
	if err != nil {
		return false, fmt.Errorf("ec2:GetSnapshotBlockPublicAccessState: %w", err)
	}
	return state == bpaBlockAll, nil
}

func (EBSSnapshot) WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error {
	id, err := resourceIDOf(ref.ResourceARN, "ec2", "snapshot/")
	if err != nil {
		return err
	}
	want, err := sharesOf(doc)
	if err != nil {
		return err
	}
	if len(want.orgs) > 0 {
		return fmt.Errorf("snapshot %s: EBS snapshots are not shared with organizations", id)
	}
	c := ec2.NewFromConfig(cfg)
	live, err := liveShares("ec2:DescribeSnapshotAttribute", id, func() ([]string, bool, error) { return readSnapshotShares(ctx, c, id) })
	if err != nil {
		return err
	}
	// A neutralised "all" is not in the document (the scan did not judge it): it is
	// neither the fix's to remove nor the restore's to add.
	blocked, err := snapshotBlockedLive(ctx, c)
	if err != nil {
		return err
	}
	if blocked {
		want.all = slices.Contains(live, shareAll)
	}
	add, remove, err := shareChange(Partition(cfg.Region), ref.ResourceARN, ebsCreateVolume, live, want)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", id, err)
	}
	if len(add)+len(remove) == 0 {
		return nil
	}
	perms := func(vals []string) []ec2types.CreateVolumePermission {
		var out []ec2types.CreateVolumePermission
		for _, v := range vals {
			if v == shareAll {
				out = append(out, ec2types.CreateVolumePermission{Group: ec2types.PermissionGroupAll})
			} else {
				out = append(out, ec2types.CreateVolumePermission{UserId: aws.String(v)})
			}
		}
		return out
	}
	// EC2 takes additions or removals in one call, not both: remove first, so a failure
	// half way leaves less access, not more.
	for _, m := range []ec2types.CreateVolumePermissionModifications{{Remove: perms(remove)}, {Add: perms(add)}} {
		if len(m.Add)+len(m.Remove) == 0 {
			continue
		}
		in := &ec2.ModifySnapshotAttributeInput{
			SnapshotId:             aws.String(id),
			Attribute:              ec2types.SnapshotAttributeNameCreateVolumePermission,
			CreateVolumePermission: &m,
		}
		if _, err := c.ModifySnapshotAttribute(ctx, in); err != nil {
			return fmt.Errorf("ec2:ModifySnapshotAttribute %s: %w", id, err)
		}
	}
	return nil
}
