package scan

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/world"
)

// controlRegion is the regionState name of the calls that find the target.
const controlRegion = "control"

// identity asks STS whose credentials these are: the account to scan.
func (e *engine) identity() (string, error) {
	l := e.lane("", controlRegion, e.homeRegion(), laneSTS)
	out, err := sts.NewFromConfig(l.cfg).GetCallerIdentity(l.reg.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the account to scan (sts:GetCallerIdentity): %s", errorText(err))
	}
	id := aws.ToString(out.Account)
	if id == "" {
		return "", errors.New("find the account to scan: sts:GetCallerIdentity returned no account")
	}
	e.o.Logger.Info("scanning account", "account", id)
	return id, nil
}

const reasonNotInPartition = "not a region of this account's partition"

type scanRegion struct{ name, status string }

// regions lists the account's regions with their opt-in status (account:ListRegions, or
// ec2:DescribeRegions when the Account API is denied) and picks the enabled ones, or the
// requested ones. Opt-in regions that are not enabled are skipped and said so.
func (e *engine) regions(acct string) ([]scanRegion, []finding.Skip, error) {
	known, err := e.listRegions()
	if err != nil {
		if len(e.o.Regions) == 0 {
			return nil, nil, fmt.Errorf("list the account's regions: %w; name the regions to scan explicitly", err)
		}
		e.o.Logger.Warn("cannot list the account's regions; scanning the requested ones as they are", "err", err)
		var out []scanRegion
		for _, r := range uniqueSorted(e.o.Regions) {
			out = append(out, scanRegion{name: r})
		}
		return out, nil, nil
	}
	var out []scanRegion
	var skipped []finding.Skip
	pick := func(name, status string) {
		switch status {
		case world.OptInEnabled, world.OptInEnabledByDefault:
			out = append(out, scanRegion{name: name, status: status})
		default:
			skipped = append(skipped, finding.Skip{Account: acct, Region: name, Reason: fmt.Sprintf("opt-in region not enabled (%s)", status)})
		}
	}
	if len(e.o.Regions) == 0 {
		for _, r := range known {
			pick(r.name, r.status)
		}
	} else {
		byName := map[string]string{}
		for _, r := range known {
			byName[r.name] = r.status
		}
		for _, name := range uniqueSorted(e.o.Regions) {
			status, ok := byName[name]
			if !ok {
				skipped = append(skipped, finding.Skip{Account: acct, Region: name, Reason: reasonNotInPartition})
				continue
			}
			pick(name, status)
		}
	}
	if len(out) == 0 {
		return nil, skipped, errors.New("no enabled region to scan")
	}
	return out, skipped, nil
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

// listRegions returns every region with its status as world.OptIn* names.
func (e *engine) listRegions() ([]scanRegion, error) {
	l := e.lane("", controlRegion, e.globalRegion(), laneAccount)
	var out []scanRegion
	p := account.NewListRegionsPaginator(account.NewFromConfig(l.cfg), &account.ListRegionsInput{MaxResults: aws.Int32(50)})
	var accErr error
	for p.HasMorePages() {
		page, err := p.NextPage(l.reg.ctx)
		if err != nil {
			accErr = err
			break
		}
		for _, r := range page.Regions {
			status := world.OptInDisabled
			switch r.RegionOptStatus {
			case accounttypes.RegionOptStatusEnabledByDefault:
				status = world.OptInEnabledByDefault
			case accounttypes.RegionOptStatusEnabled:
				status = world.OptInEnabled
			case accounttypes.RegionOptStatusEnabling, accounttypes.RegionOptStatusDisabling:
				status = string(r.RegionOptStatus)
			}
			out = append(out, scanRegion{name: aws.ToString(r.RegionName), status: status})
		}
	}
	if accErr == nil {
		return sortRegions(out), nil
	}
	e.o.Logger.Info("account:ListRegions failed, falling back to ec2:DescribeRegions", "err", errorText(accErr))

	l = e.lane("", controlRegion, e.homeRegion(), laneEC2)
	res, err := ec2.NewFromConfig(l.cfg).DescribeRegions(l.reg.ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("account:ListRegions: %s; ec2:DescribeRegions: %s", errorText(accErr), errorText(err))
	}
	out = out[:0]
	for _, r := range res.Regions {
		status := world.OptInDisabled
		switch strings.ToLower(aws.ToString(r.OptInStatus)) {
		case "opt-in-not-required":
			status = world.OptInEnabledByDefault
		case "opted-in":
			status = world.OptInEnabled
		}
		out = append(out, scanRegion{name: aws.ToString(r.RegionName), status: status})
	}
	return sortRegions(out), nil
}

func sortRegions(rs []scanRegion) []scanRegion {
	sort.Slice(rs, func(i, j int) bool { return rs[i].name < rs[j].name })
	return rs
}

// ownOrganization finds the organization the scanned account belongs to, for
// TrustOrganization in a scan of one account: DescribeOrganization (any member may call
// it), then ListAccounts, which only the management account or a delegated administrator
// may. What could not be found is said in a notice, never a gap: it can only make the
// boundary narrower, so findings are over-reported, not missed. calls are the calls made,
// each one the scan needed.
func (e *engine) ownOrganization(acct string) (org *world.Organization, notice string, calls map[string]int64) {
	l := e.lane("", controlRegion, e.globalRegion(), laneOrgs)
	t := newOrgTree(l)
	t.calls["organizations:DescribeOrganization"] = 1
	org, err := describeOrganization(l)
	if err != nil {
		var notInUse *orgtypes.AWSOrganizationsNotInUseException
		if errors.As(err, &notInUse) {
			return nil, fmt.Sprintf("trust_organization: account %s belongs to no organization; only the configured boundary applies", acct), t.calls
		}
		return nil, fmt.Sprintf("trust_organization: the account's organization could not be read (organizations:DescribeOrganization: %s); only the configured boundary applies", errorText(err)), t.calls
	}
	if err := t.all(nil); err != nil {
		return org, fmt.Sprintf("trust_organization: trusted organization %s, but could not %s; accounts of the organization named as principals are trusted only when trusted_accounts lists them", org.ID, err), t.calls
	}
	org.Members = t.members
	return org, "", t.calls
}
