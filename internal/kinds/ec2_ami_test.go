package kinds_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

func TestEC2AMIScanFixRestore(t *testing.T) {
	const org = "arn:aws:organizations::999988887777:organization/o-untrusted01"
	res := append(snapshotLike("ec2-ami", "ami-"), world.Resource{Kind: "ec2-ami", Name: "ami-org", Shares: []string{org, shTrusted}})
	after := snapshotLikeAfterFix("ami-")
	// An organization share is left to a person; the trusted account beside it stays.
	after["ami-org"] = []string{shTrusted, org}
	runSharingCase(t, sharingCase{
		kind:      "ec2-ami",
		resources: res,
		findings:  append(snapshotLikeFindings("ec2-ami", "ami-"), "ami-org ec2-ami/untrusted-org"),
		afterFix:  after,
		remain:    []string{"ami-org ec2-ami/untrusted-org"},
		calls:     map[string]int64{"ec2:DescribeImages": 1, "ec2:DescribeImageAttribute": 6},
	})
}

// A public image whose launch permissions cannot be read is still reported public (from
// DescribeImages' Public flag), beside the gap that says the read failed.
func TestEC2AMIPublicFlagSurvivesADeniedRead(t *testing.T) {
	w := sharingWorld(sharingCase{resources: []world.Resource{
		{Kind: "ec2-ami", Name: "ami-public", Shares: []string{"all", shForeign}},
		{Kind: "ec2-ami", Name: "ami-private", Shares: []string{shForeign}},
	}})
	sim, err := awssim.Start(awssim.Options{World: w, Faults: awssim.Faults{Deny: []awssim.Match{{Operation: "DescribeImageAttribute"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	b, _ := access.NewBoundary([]string{shTrusted}, nil)
	sc, _, err := scan.Run(context.Background(), scan.Options{Config: sim.Config(shKey, shRegion), Boundary: b, Kinds: []string{"ec2-ami"}, Regions: []string{shRegion}})
	if err != nil {
		t.Fatal(err)
	}
	if got := shFindingKeys(sc); !cmp.Equal(got, []string{"ami-public ec2-ami/public"}) {
		t.Errorf("findings = %v, want only ami-public public", got)
	}
	var gaps []string
	for _, g := range sc.Gaps {
		gaps = append(gaps, g.Operation+" "+g.Resource)
	}
	slices.Sort(gaps)
	want := []string{
		"ec2:DescribeImageAttribute arn:aws:ec2:us-east-1::image/ami-private",
		"ec2:DescribeImageAttribute arn:aws:ec2:us-east-1::image/ami-public",
	}
	if diff := cmp.Diff(want, gaps); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
}
