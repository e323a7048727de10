package awssim

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

const (
	shareOwner    = "111111111111"
	shareOther    = "222222222222"
	shareOwnerKey = "AKIASHARE00000000001"
	shareOtherKey = "AKIASHARE00000000002"
	shareOrgARN   = "arn:aws:organizations::111111111111:organization/o-abcdefghij"
)

func sharingWorld(snapshots int) *world.World {
	var res []world.Resource
	for i := range snapshots {
		res = append(res, world.Resource{Kind: kindEBSSnapshot, Name: fmt.Sprintf("snap-%04d", i)})
	}
	res[0].Shares = []string{"all"}
	res[1].Shares = []string{shareOther}
	res[2].Attributes = map[string]string{"Encrypted": "true", "VolumeSize": "100"}
	res = append(res,
		world.Resource{Kind: kindEC2AMI, Name: "ami-public", Shares: []string{"all", shareOther}, Attributes: map[string]string{"Name": "golden"}},
		world.Resource{Kind: kindEC2AMI, Name: "ami-org", Shares: []string{shareOrgARN}},
		world.Resource{Kind: kindEC2AMI, Name: "ami-private"},
	)
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Accounts: []world.Account{
			{ID: shareOwner, AccessKeys: []world.AccessKey{{ID: shareOwnerKey, ARN: "arn:aws:iam::111111111111:user/a"}},
				Regions: []world.Region{{Name: "us-east-1", Resources: res}, {Name: "eu-west-1"}}},
			{ID: shareOther, AccessKeys: []world.AccessKey{{ID: shareOtherKey, ARN: "arn:aws:iam::222222222222:user/b"}},
				Regions: []world.Region{{Name: "us-east-1", Resources: []world.Resource{{Kind: kindEBSSnapshot, Name: "snap-other"}}}}},
		},
	}
}

func sharingStart(t *testing.T, snapshots int) *Server {
	t.Helper()
	s, err := Start(Options{World: sharingWorld(snapshots), NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestEC2DescribeSnapshotsPaginatesOwnSnapshots(t *testing.T) {
	s := sharingStart(t, 12)
	c := ec2.NewFromConfig(s.Config(shareOwnerKey, "us-east-1"))
	ctx := context.Background()
	var pages [][]string
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range out.Snapshots {
			if aws.ToString(s.OwnerId) != shareOwner {
				t.Errorf("snapshot %s owned by %s listed with Owner=self", aws.ToString(s.SnapshotId), aws.ToString(s.OwnerId))
			}
			ids = append(ids, aws.ToString(s.SnapshotId))
		}
		pages = append(pages, ids)
	}
	if len(pages) != 3 || len(pages[0]) != 5 || len(pages[2]) != 2 || pages[0][0] != "snap-0000" || pages[2][1] != "snap-0011" {
		t.Errorf("pages = %v, want 5+5+2 snapshots in id order", pages)
	}

	// The other account sees its own snapshot and the public one, not the private ones.
	other := ec2.NewFromConfig(s.Config(shareOtherKey, "us-east-1"))
	out, err := other.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{RestorableByUserIds: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Snapshots) != 1 || aws.ToString(out.Snapshots[0].SnapshotId) != "snap-0000" {
		t.Errorf("RestorableBy=all lists %v, want only the public snap-0000", out.Snapshots)
	}
	out, err = other.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{shareOwner}, RestorableByUserIds: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Snapshots) != 1 || aws.ToString(out.Snapshots[0].SnapshotId) != "snap-0001" {
		t.Errorf("the owner's snapshots restorable by the other account itself: %d, want snap-0001 (shared with it by id)", len(out.Snapshots))
	}
	out, err = other.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.Snapshots {
		got = append(got, aws.ToString(s.SnapshotId))
	}
	if diff := cmp.Diff([]string{"snap-0000", "snap-0001", "snap-other"}, got); diff != "" {
		t.Errorf("unfiltered listing for the other account (-want +got):\n%s", diff)
	}

	_, err = c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(2000)})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("MaxResults 2000: error %v, want InvalidParameterValue", err)
	}
}

func snapshotShares(t *testing.T, c *ec2.Client, id string) []string {
	t.Helper()
	out, err := c.DescribeSnapshotAttribute(context.Background(), &ec2.DescribeSnapshotAttributeInput{SnapshotId: aws.String(id), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission})
	if err != nil {
		t.Fatalf("DescribeSnapshotAttribute %s: %v", id, err)
	}
	var got []string
	for _, p := range out.CreateVolumePermissions {
		got = append(got, string(p.Group)+aws.ToString(p.UserId))
	}
	return got
}

func TestEC2SnapshotAttribute(t *testing.T) {
	s := sharingStart(t, 3)
	c := ec2.NewFromConfig(s.Config(shareOwnerKey, "us-east-1"))
	ctx := context.Background()

	if got := snapshotShares(t, c, "snap-0000"); !cmp.Equal(got, []string{"all"}) {
		t.Errorf("snap-0000 shares = %v, want [all]", got)
	}
	if got := snapshotShares(t, c, "snap-0001"); !cmp.Equal(got, []string{shareOther}) {
		t.Errorf("snap-0001 shares = %v, want [%s]", got, shareOther)
	}

	// Add with the structured form, remove with OperationType and UserId.N.
	_, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
		SnapshotId: aws.String("snap-0001"), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
		CreateVolumePermission: &ec2types.CreateVolumePermissionModifications{Add: []ec2types.CreateVolumePermission{{Group: ec2types.PermissionGroupAll}, {UserId: aws.String("333333333333")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshotShares(t, c, "snap-0001"); !cmp.Equal(got, []string{shareOther, "333333333333", "all"}) {
		t.Errorf("after add: %v", got)
	}
	_, err = c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
		SnapshotId: aws.String("snap-0001"), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: ec2types.OperationTypeRemove, UserIds: []string{shareOther}, GroupNames: []string{"all"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshotShares(t, c, "snap-0001"); !cmp.Equal(got, []string{"333333333333"}) {
		t.Errorf("after remove: %v", got)
	}
	if w := s.World(); !cmp.Equal(w.Accounts[0].Regions[0].Resources[1].Shares, []string{"333333333333"}) {
		t.Errorf("world shares = %v", w.Accounts[0].Regions[0].Resources[1].Shares)
	}

	for _, tc := range []struct {
		name string
		in   *ec2.ModifySnapshotAttributeInput
		code string
	}{
		{"add and remove at once", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-0001"), CreateVolumePermission: &ec2types.CreateVolumePermissionModifications{
			Add: []ec2types.CreateVolumePermission{{UserId: aws.String(shareOther)}}, Remove: []ec2types.CreateVolumePermission{{UserId: aws.String("333333333333")}}}}, "InvalidParameterCombination"},
		{"bad account", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-0001"), OperationType: ec2types.OperationTypeAdd, UserIds: []string{"12345"}}, "InvalidUserID.Malformed"},
		{"encrypted made public", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-0002"), OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}}, "OperationNotPermitted"},
		{"unknown snapshot", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-9999"), OperationType: ec2types.OperationTypeAdd, UserIds: []string{shareOther}}, "InvalidSnapshot.NotFound"},
		{"another account's snapshot", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-other"), OperationType: ec2types.OperationTypeAdd, UserIds: []string{shareOther}}, "InvalidSnapshot.NotFound"},
		{"malformed id", &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("vol-1"), OperationType: ec2types.OperationTypeAdd, UserIds: []string{shareOther}}, "InvalidSnapshotID.Malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.ModifySnapshotAttribute(ctx, tc.in); apiCode(err) != tc.code {
				t.Errorf("error %v, want %s", err, tc.code)
			}
		})
	}
	if got := snapshotShares(t, c, "snap-0001"); !cmp.Equal(got, []string{"333333333333"}) {
		t.Errorf("a refused call changed the shares: %v", got)
	}
}

func TestEC2Images(t *testing.T) {
	s := sharingStart(t, 3)
	c := ec2.NewFromConfig(s.Config(shareOwnerKey, "us-east-1"))
	ctx := context.Background()

	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(1000)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, im := range out.Images {
		got[aws.ToString(im.ImageId)] = aws.ToBool(im.Public)
	}
	if diff := cmp.Diff(map[string]bool{"ami-public": true, "ami-org": false, "ami-private": false}, got); diff != "" {
		t.Errorf("images and their Public flag (-want +got):\n%s", diff)
	}

	perms := func(id string) []ec2types.LaunchPermission {
		t.Helper()
		out, err := c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: aws.String(id), Attribute: ec2types.ImageAttributeNameLaunchPermission})
		if err != nil {
			t.Fatalf("DescribeImageAttribute %s: %v", id, err)
		}
		return out.LaunchPermissions
	}
	want := []ec2types.LaunchPermission{{Group: ec2types.PermissionGroupAll}, {UserId: aws.String(shareOther)}}
	if diff := cmp.Diff(want, perms("ami-public"), cmp.AllowUnexported(ec2types.LaunchPermission{})); diff != "" {
		t.Errorf("ami-public launch permissions (-want +got):\n%s", diff)
	}
	if p := perms("ami-org"); len(p) != 1 || aws.ToString(p[0].OrganizationArn) != shareOrgARN {
		t.Errorf("ami-org launch permissions = %+v, want the organization", p)
	}

	// Removing the public group clears the Public flag.
	_, err = c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String("ami-public"),
		LaunchPermission: &ec2types.LaunchPermissionModifications{Remove: []ec2types.LaunchPermission{{Group: ec2types.PermissionGroupAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-public"}})
	if err != nil || len(out.Images) != 1 || aws.ToBool(out.Images[0].Public) {
		t.Errorf("after removing all: %+v, %v; want one private image", out, err)
	}
	_, err = c.ModifyImageAttribute(ctx, &ec2.ModifyImageAttributeInput{ImageId: aws.String("ami-private"), Attribute: aws.String("launchPermission"),
		OperationType: ec2types.OperationTypeAdd, OrganizationalUnitArns: []string{"arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh34"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := perms("ami-private"); len(p) != 1 || aws.ToString(p[0].OrganizationalUnitArn) == "" {
		t.Errorf("ami-private after adding an OU = %+v", p)
	}
	if _, err := c.DescribeImageAttribute(ctx, &ec2.DescribeImageAttributeInput{ImageId: aws.String("ami-nope"), Attribute: ec2types.ImageAttributeNameLaunchPermission}); apiCode(err) != "InvalidAMIID.NotFound" {
		t.Errorf("unknown image: %v, want InvalidAMIID.NotFound", err)
	}
}

func TestEC2SnapshotBlockPublicAccess(t *testing.T) {
	w := sharingWorld(3)
	w.Accounts[0].Settings = map[string]string{"ec2:SnapshotBlockPublicAccessState/us-east-1": "block-new-sharing"}
	s, err := Start(Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	for region, want := range map[string]ec2types.SnapshotBlockPublicAccessState{"us-east-1": "block-new-sharing", "eu-west-1": "unblocked"} {
		out, err := ec2.NewFromConfig(s.Config(shareOwnerKey, region)).GetSnapshotBlockPublicAccessState(ctx, &ec2.GetSnapshotBlockPublicAccessStateInput{})
		if err != nil || out.State != want {
			t.Errorf("%s: state %v, %v; want %s", region, out, err, want)
		}
	}
	c := ec2.NewFromConfig(s.Config(shareOwnerKey, "us-east-1"))
	_, err = c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-0001"), OperationType: ec2types.OperationTypeAdd, GroupNames: []string{"all"}})
	if apiCode(err) != "OperationNotPermitted" {
		t.Errorf("making a snapshot public under block public access: %v, want OperationNotPermitted", err)
	}
	if _, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: aws.String("snap-0001"), OperationType: ec2types.OperationTypeAdd, UserIds: []string{"333333333333"}}); err != nil {
		t.Errorf("sharing with an account under block public access: %v", err)
	}
}
