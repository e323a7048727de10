package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/pflag"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/output"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

// orgFlags are the flags of an organization scan (--org) or of a scan of many profiles.
type orgFlags struct {
	Org               bool
	RoleName          string
	Accounts          []string
	Exclude           []string
	OUs               []string
	MaxAccounts       int
	Shard             string
	Profiles          []string
	TrustOrganization bool
}

// defaultOrgRole is the role AWS Organizations creates in every account it creates, so an
// organization scan works without deploying anything; a read-only role of your own (the
// demo's trustaudit-audit) is the better choice, named with --role-name.
const defaultOrgRole = "OrganizationAccountAccessRole"

func addOrgFlags(f *pflag.FlagSet, o *orgFlags) {
	f.BoolVar(&o.Org, "org", false, "scan every account of the organization your credentials manage (management or delegated-administrator account), assuming --role-name in each")
	f.StringVar(&o.RoleName, "role-name", "", "`role` assumed in every account by --org (default "+defaultOrgRole+"; the demo's trustaudit-audit with --demo)")
	f.StringSliceVar(&o.Accounts, "accounts", nil, "with --org, scan only these account `ids`")
	f.StringSliceVar(&o.Exclude, "exclude-accounts", nil, "with --org, leave these account `ids` out")
	f.StringSliceVar(&o.OUs, "ous", nil, "with --org, scan only the accounts under these OU `ids` (ou-..., or a root r-...), at any depth")
	f.IntVar(&o.MaxAccounts, "max-accounts", 128, "accounts scanned at once; memory grows with it, not with the organization")
	f.StringVar(&o.Shard, "shard", "", "scan only part `I/N` of the accounts (0 <= I < N, split by a hash of the account id); join the parts with trustaudit merge")
	f.StringSliceVar(&o.Profiles, "profiles", nil, "scan these shared-config `profiles`, one account each, in one report (estates without AWS Organizations)")
	f.BoolVar(&o.TrustOrganization, "trust-organization", false, "trust the scanned organization and every account in it (trust_organization: true in the config file)")
}

func (o *orgFlags) active() bool { return o.Org || len(o.Profiles) > 0 }

// check reports flag combinations an organization scan cannot honour, before any call.
func (o *orgFlags) check(s *scanOptions) error {
	if !o.active() {
		for name, set := range map[string]bool{"role-name": o.RoleName != "", "accounts": len(o.Accounts) > 0, "exclude-accounts": len(o.Exclude) > 0, "ous": len(o.OUs) > 0, "shard": o.Shard != ""} {
			if set {
				return usageError(fmt.Errorf("--%s needs --org (or --profiles for --shard)", name))
			}
		}
		return nil
	}
	switch {
	case o.Org && len(o.Profiles) > 0:
		return usageError(errors.New("--org and --profiles are two ways to name the accounts; give one"))
	case s.RoleARN != "":
		return usageError(errors.New("--role-arn names one account's role; with --org name the role with --role-name"))
	case s.FromSnapshot != "":
		return usageError(errors.New("--from-snapshot judges a saved snapshot, which may hold an organization already; drop --org"))
	case len(o.Profiles) > 0 && (s.Profile != "" || s.Demo):
		return usageError(errors.New("--profiles takes each account's credentials from its profile; drop --profile and --demo"))
	case len(o.Accounts) > 0 && len(o.Exclude) > 0:
		return usageError(errors.New("--accounts and --exclude-accounts: give one"))
	case o.MaxAccounts < 1:
		return usageError(fmt.Errorf("--max-accounts: expected at least 1, found %d", o.MaxAccounts))
	case len(o.Profiles) > 0 && s.ExternalID != "":
		return usageError(errors.New("--external-id goes with --org's role; --profiles assume nothing"))
	case len(o.Profiles) > 0 && len(o.OUs) > 0:
		return usageError(errors.New("--ous picks accounts of an organization; --profiles name theirs"))
	}
	for _, id := range o.OUs {
		if !world.IsParentID(strings.TrimSpace(id)) {
			return usageError(fmt.Errorf("--ous: expected OU ids such as ou-ab12-11111111 (or a root id such as r-ab12), found %q", id))
		}
	}
	for _, flag := range []struct {
		name string
		ids  []string
	}{{"accounts", o.Accounts}, {"exclude-accounts", o.Exclude}} {
		for _, id := range flag.ids {
			if id = strings.TrimSpace(id); len(id) != 12 || strings.Trim(id, "0123456789") != "" {
				return usageError(fmt.Errorf("--%s: expected 12-digit account ids, found %q", flag.name, id))
			}
		}
	}
	if o.Shard != "" {
		if _, err := scan.ParseShard(o.Shard); err != nil {
			return usageError(fmt.Errorf("--shard: %w", err))
		}
	}
	return nil
}

func trimAll(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// runOrgScan scans many accounts into one document; the snapshot stays on disk, one part
// per account, until it is written.
func runOrgScan(ctx context.Context, o *scanOptions, eo scan.Options, trustOrg bool, mark func(*finding.Finding)) (*scan.OrgResult, func(), error) {
	of := &o.OrgFlags
	oo := scan.OrgOptions{
		Options:           eo,
		RoleName:          of.RoleName,
		ExternalID:        o.ExternalID,
		Accounts:          of.Accounts,
		Exclude:           of.Exclude,
		OUs:               trimAll(of.OUs),
		MaxAccounts:       of.MaxAccounts,
		TrustOrganization: trustOrg,
		Mark:              mark,
	}
	if of.Shard != "" {
		oo.Shard, _ = scan.ParseShard(of.Shard)
	}
	cleanup := func() {}
	switch {
	case o.Demo:
		sim, err := awssim.Start(awssim.Options{World: awssim.DemoWorld(), TimeScale: demoRateScale})
		if err != nil {
			return nil, cleanup, withExit(ExitError, fmt.Errorf("start the demo simulator: %w", err))
		}
		cleanup = func() { sim.Close() }
		if oo.RateScale == 0 {
			oo.RateScale = demoRateScale
		}
		oo.Config = sim.Config(awssim.DemoAccessKey, "us-east-1")
		if oo.RoleName == "" {
			oo.RoleName = awssim.DemoAuditRole
		}
	case len(of.Profiles) > 0:
		for _, p := range of.Profiles {
			cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithSharedConfigProfile(p))
			if err != nil {
				return nil, cleanup, withExit(ExitError, fmt.Errorf("--profiles: load profile %q: %w", p, err))
			}
			oo.Profiles = append(oo.Profiles, scan.Profile{Name: p, Config: cfg})
		}
	default:
		plain := *o
		plain.ExternalID = "" // --external-id is the member role's, not the caller's
		cfg, err := loadAWSConfig(ctx, &plain)
		if err != nil {
			return nil, cleanup, withExit(ExitError, err)
		}
		oo.Config = cfg
	}
	if oo.RoleName == "" {
		oo.RoleName = defaultOrgRole
	}
	dir, err := os.MkdirTemp("", "trustaudit-org-*")
	if err != nil {
		cleanup()
		return nil, func() {}, withExit(ExitError, fmt.Errorf("make a directory for the per-account parts: %w", err))
	}
	oo.Dir = dir
	prev := cleanup
	cleanup = func() { os.RemoveAll(dir); prev() }
	res, err := scan.RunOrg(ctx, oo)
	if err != nil {
		return nil, cleanup, withExit(ExitError, err)
	}
	return res, cleanup, nil
}

// emitOrg writes an organization's document: json straight from the runs on disk, so that
// the largest organization is written in the memory of one account; the other formats are
// made for people and render the document read into memory (or render the saved json later
// with trustaudit report). seen, if not nil, sees every finding as it is written.
func emitOrg(ios *iostreams.IOStreams, path, format string, res *scan.OrgResult, ropts output.Options, seen func(*finding.Finding)) error {
	findings := res.Findings
	if seen != nil {
		findings = func(fn func(*finding.Finding) error) error {
			return res.Findings(func(f *finding.Finding) error {
				seen(f)
				return fn(f)
			})
		}
	}
	if format == "json" {
		lists := output.Lists{Findings: findings, Gaps: res.Gaps, Skipped: res.Skipped}
		return emitWith(ios, path, ropts, func(w io.Writer, _ output.Options) error {
			return output.JSONStream(w, res.Scan, lists)
		})
	}
	doc, err := res.Load()
	if err != nil {
		return err
	}
	if seen != nil {
		for i := range doc.Findings {
			seen(&doc.Findings[i])
		}
	}
	render, err := output.Lookup(format)
	if err != nil {
		return err
	}
	return emit(ios, path, render, doc, ropts)
}
