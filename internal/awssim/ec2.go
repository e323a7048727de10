package awssim

import (
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EC2 (ec2Query): DescribeRegions, the usual way a scanner lists the regions an account can
// call. Without AllRegions=true only enabled regions are listed, as AWS does.

func init() {
	handleQuery("ec2", "DescribeRegions", ec2DescribeRegions)
}

type ec2RegionXML struct {
	RegionName     string `xml:"regionName"`
	RegionEndpoint string `xml:"regionEndpoint"`
	OptInStatus    string `xml:"optInStatus"`
}

type describeRegionsResult struct {
	Regions []ec2RegionXML `xml:"regionInfo>item"`
}

func ec2DescribeRegions(s *Server, c *Call) (any, error) {
	a := s.account(c.Account)
	if a == nil {
		return nil, invalidTokenError(c)
	}
	all := strings.EqualFold(c.Params.Get("AllRegions"), "true")
	names := map[string]bool{}
	for k, v := range c.Params {
		if strings.HasPrefix(k, "RegionName.") {
			for _, n := range v {
				names[n] = true
			}
		}
	}
	out := describeRegionsResult{Regions: []ec2RegionXML{}}
	for i := range a.Regions {
		r := &a.Regions[i]
		if !r.Enabled() && !all {
			continue
		}
		if len(names) > 0 && !names[r.Name] {
			continue
		}
		out.Regions = append(out.Regions, ec2RegionXML{
			RegionName:     r.Name,
			RegionEndpoint: "ec2." + r.Name + ".amazonaws.com",
			OptInStatus:    ec2OptIn(r),
		})
	}
	return out, nil
}

func ec2OptIn(r *world.Region) string {
	switch r.OptInStatus {
	case world.OptInDisabled:
		return "not-opted-in"
	case world.OptInEnabled:
		return "opted-in"
	default:
		return "opt-in-not-required"
	}
}
