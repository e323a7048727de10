package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/config"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/output"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

func init() { register(newScanCmd) }

type scanOptions struct {
	Profile      string
	RoleARN      string
	ExternalID   string
	Regions      []string
	Kinds        []string
	Trusted      []string
	TrustedOrgs  []string
	ConfigPath   string
	Format       string
	Output       string
	SaveSnapshot string
	FromSnapshot string
	Demo         bool
	Stats        bool
	ShowSupp     bool
	Gate         gateOptions
	OrgFlags     orgFlags
	OUPaths      []string

	// Test and measurement knobs, hidden from help: a simulator at a time scale needs the
	// client paced at the same scale, and a test of an unreachable region cannot wait the
	// default bound.
	RateScale      float64
	RegionTimeout  time.Duration
	RequestTimeout time.Duration

	// set records which list flags were given: a flag given replaces the file's list.
	set map[string]bool
	now func() time.Time
	// dir is where trustaudit.yaml is looked for.
	dir string
}

// demoRateScale runs the demo's simulator and the scan's pacing ten times faster than AWS's
// quotas, so that the demo's SES lanes (1 request per second) do not make a first run feel
// slow; the code path is the live one.
const demoRateScale = 10

func newScanCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &scanOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Audit an account's SES identities, IAM roles and Lambda functions and layers",
		Long: `Scan every SES identity, IAM role trust policy and Lambda function and layer policy in every
enabled region of the account your credentials belong to, and report every grant to the
public, to an account or organization outside your trust boundary, or to a service without a
source condition.

Credentials come from the AWS SDK's default chain (environment, shared config and --profile,
SSO, credential_process, instance metadata); --role-arn assumes a role in the target account
first. --org scans every account of the organization the credentials manage instead, assuming
--role-name in each (an account whose role cannot be assumed is a gap); --shard I/N scans a
deterministic part of them for trustaudit merge. AWS_ENDPOINT_URL is honoured. The trust boundary, regions, kinds and suppressions come
from trustaudit.yaml in the working directory (or --config FILE); a flag given replaces the
file's list.

Exit status: 0 clean and complete; 3 unsuppressed findings; 2 no findings but some reads
failed (the scan is incomplete, never clean); 1 an error (bad config, no credentials, no
region could be listed). Flag misuse also exits 2. --fail-on high makes only high and critical
findings fail (none: never); --baseline FILE reports the findings it lists as known, and they
do not fail.`,
		Example: `  trustaudit scan --demo
  trustaudit scan --profile audit --trusted 111122223333 --trusted-org o-a1b2c3d4e5
  trustaudit scan --role-arn arn:aws:iam::444455556666:role/trustaudit-audit --format json --output scan.json
  trustaudit scan --from-snapshot snapshot.json --trusted 111122223333
  trustaudit scan --org --role-name trustaudit-audit --trust-organization --format json -o org.json
  trustaudit scan --org --role-name trustaudit-audit --shard 0/4 --format json -o shard-0.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.prepare(cmd, "regions", "kinds", "format"); err != nil {
				return err
			}
			return runScan(cmd.Context(), ios, opts)
		},
	}
	f := cmd.Flags()
	addCredentialFlags(f, opts, "scan")
	f.StringSliceVar(&opts.Regions, "regions", nil, "regions to scan (default: every enabled region)")
	f.StringSliceVar(&opts.Kinds, "kinds", nil, "kinds to scan (default all: "+strings.Join(kinds.Names(), ", ")+")")
	addTrustFlags(f, opts)
	f.StringVar(&opts.Format, "format", "", "output format: "+strings.Join(output.Formats(), ", ")+" (default table on a terminal, json otherwise)")
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to `file` (atomically) instead of stdout")
	f.StringVar(&opts.SaveSnapshot, "save-snapshot", "", "write the collected raw policies to `file` (world schema, no credentials)")
	f.StringVar(&opts.FromSnapshot, "from-snapshot", "", "judge a saved snapshot `file` offline instead of calling AWS")
	f.BoolVar(&opts.Demo, "demo", false, "scan the embedded demo estate through a local simulator (no AWS account needed)")
	f.BoolVar(&opts.Stats, "stats", false, "show calls per API against the minimum, throttles, retries, elapsed time and the quota lower bound in the table (the JSON document always has them)")
	f.BoolVar(&opts.ShowSupp, "show-suppressed", false, "list suppressed findings in the table (they are always counted)")
	addGateFlags(f, &opts.Gate)
	addOrgFlags(f, &opts.OrgFlags)
	f.Float64Var(&opts.RateScale, "rate-scale", 0, "pace at this multiple of the documented quotas")
	f.DurationVar(&opts.RegionTimeout, "region-timeout", 0, "give a silent region up after this long")
	f.DurationVar(&opts.RequestTimeout, "request-timeout", 0, "bound one HTTP attempt")
	for _, h := range []string{"rate-scale", "region-timeout", "request-timeout"} {
		_ = f.MarkHidden(h)
	}
	cmd.MarkFlagsMutuallyExclusive("demo", "from-snapshot")
	cmd.MarkFlagsMutuallyExclusive("demo", "role-arn")
	cmd.MarkFlagsMutuallyExclusive("demo", "profile")
	cmd.MarkFlagsMutuallyExclusive("from-snapshot", "role-arn")
	cmd.MarkFlagsMutuallyExclusive("from-snapshot", "profile")
	return cmd
}

// settings are the config file and the flags merged and validated.
type settings struct {
	cfg      *config.Config
	boundary access.Boundary
	format   string
	// trustOrg: trust the scanned account's organization (under --org, the organization
	// listed), as trust_organization or --trust-organization ask.
	trustOrg bool
}

func resolveSettings(ios *iostreams.IOStreams, o *scanOptions) (*settings, error) {
	cfg := &config.Config{}
	path := o.ConfigPath
	if path == "" {
		if p, ok := config.Find(o.dir); ok {
			path = p
		}
	}
	if path != "" {
		c, err := config.Load(path)
		if err != nil {
			return nil, withExit(ExitError, err)
		}
		cfg = c
		slog.Debug("config", "path", path)
	}
	check := func(flag string, vals []string, fn func(string) error) error {
		for _, v := range vals {
			if err := fn(v); err != nil {
				return usageError(fmt.Errorf("--%s: %w", flag, err))
			}
		}
		return nil
	}
	if o.set["regions"] {
		if err := check("regions", o.Regions, config.CheckRegion); err != nil {
			return nil, err
		}
		cfg.Regions = o.Regions
	}
	if o.set["kinds"] {
		cfg.Kinds = o.Kinds
	}
	if _, err := kinds.Select(cfg.Kinds); err != nil {
		if o.set["kinds"] {
			return nil, usageError(fmt.Errorf("--kinds: %w", err))
		}
		return nil, withExit(ExitError, fmt.Errorf("%s: kinds: %w", cfg.Path, err))
	}
	if o.set["trusted"] {
		if err := check("trusted", o.Trusted, config.CheckTrustedAccount); err != nil {
			return nil, err
		}
		cfg.TrustedAccounts = o.Trusted
	}
	if o.set["trusted-org"] {
		if err := check("trusted-org", o.TrustedOrgs, config.CheckOrg); err != nil {
			return nil, err
		}
		cfg.TrustedOrgs = o.TrustedOrgs
	}
	if o.Demo {
		// The demo trusts its own organization, as a real organization's audit would: the
		// org id and both member accounts, unless the flags say otherwise.
		demo := awssim.DemoWorld()
		if !o.set["trusted"] && len(cfg.TrustedAccounts) == 0 {
			for _, a := range demo.Accounts {
				cfg.TrustedAccounts = append(cfg.TrustedAccounts, a.ID)
			}
		}
		if !o.set["trusted-org"] && len(cfg.TrustedOrgs) == 0 && demo.Organization != nil {
			cfg.TrustedOrgs = []string{demo.Organization.ID}
		}
	}
	if o.set["trusted-ou-path"] {
		if err := check("trusted-ou-path", o.OUPaths, config.CheckOUPath); err != nil {
			return nil, err
		}
		cfg.TrustedOUPaths = o.OUPaths
	}
	b, err := access.NewBoundary(cfg.TrustedAccounts, cfg.TrustedOrgs)
	if err == nil {
		b, err = b.WithOrgPaths(cfg.TrustedOUPaths)
	}
	if err != nil {
		return nil, usageError(err)
	}
	format := o.Format
	if !o.set["format"] || format == "" {
		format = "json"
		if ios.StdoutTTY && o.Output == "" {
			format = "table"
		}
	}
	if _, err := output.Lookup(format); err != nil {
		return nil, usageError(fmt.Errorf("--format: %w", err))
	}
	return &settings{cfg: cfg, boundary: b, format: format, trustOrg: cfg.TrustOrganization || o.OrgFlags.TrustOrganization}, nil
}

func runScan(ctx context.Context, ios *iostreams.IOStreams, o *scanOptions) error {
	st, err := resolveSettings(ios, o)
	if err != nil {
		return err
	}
	g, err := o.Gate.resolve()
	if err != nil {
		return err
	}
	if err := o.OrgFlags.check(o); err != nil {
		return err
	}
	eo := scan.Options{
		Regions:        st.cfg.Regions,
		Kinds:          st.cfg.Kinds,
		Boundary:       st.boundary,
		RateScale:      o.RateScale,
		RegionTimeout:  o.RegionTimeout,
		RequestTimeout: o.RequestTimeout,
		Logger:         slog.Default(),
		Version:        Version,
		// A scan of one account looks its organization up, a snapshot's is in it; --org
		// settles it itself.
		TrustOrganization: st.trustOrg,
	}
	var prog *progress
	if ios.StderrTTY && o.FromSnapshot == "" {
		prog = newProgress(ios.ErrOut, ios.ErrWidth)
		eo.Progress = prog.update
	}

	var doc *finding.Scan
	var collected *world.World
	var orgRes *scan.OrgResult
	switch {
	case o.OrgFlags.active():
		// Findings are marked as each account's go to disk; the document never has them all.
		now := o.now()
		mark := func(f *finding.Finding) {
			st.cfg.Suppress(f, now)
			g.mark(f)
		}
		res, cleanup, err := runOrgScan(ctx, o, eo, st.trustOrg, mark)
		defer cleanup()
		if err != nil {
			prog.finish()
			return err
		}
		orgRes = res
		res.Scan.Notices = append(res.Scan.Notices, st.cfg.ExpiredNotices(now)...)
		res.Scan.Notices = append(res.Scan.Notices, g.notices()...)
	case o.FromSnapshot != "":
		w, err := world.Load(o.FromSnapshot)
		if err != nil {
			return withExit(ExitError, err)
		}
		doc, err = scan.Judge(w, eo)
		if err != nil {
			return withExit(ExitError, fmt.Errorf("judge %s: %w", o.FromSnapshot, err))
		}
		collected = w
	case o.Demo:
		sim, err := awssim.Start(awssim.Options{World: awssim.DemoWorld(), TimeScale: demoRateScale})
		if err != nil {
			return withExit(ExitError, fmt.Errorf("start the demo simulator: %w", err))
		}
		defer sim.Close()
		if eo.RateScale == 0 {
			eo.RateScale = demoRateScale
		}
		eo.Config = sim.Config(awssim.DemoAccessKey, "us-east-1")
		doc, collected, err = scan.Run(ctx, eo)
		if err != nil {
			prog.finish()
			return withExit(ExitError, err)
		}
	default:
		cfg, err := loadAWSConfig(ctx, o)
		if err != nil {
			return withExit(ExitError, err)
		}
		eo.Config = cfg
		doc, collected, err = scan.Run(ctx, eo)
		if err != nil {
			prog.finish()
			return withExit(ExitError, err)
		}
	}
	prog.finish()

	if o.SaveSnapshot != "" && orgRes != nil {
		if err := writeFileAtomic(o.SaveSnapshot, orgRes.WriteSnapshot); err != nil {
			return withExit(ExitError, err)
		}
	} else if o.SaveSnapshot != "" {
		if err := saveSnapshot(o.SaveSnapshot, collected); err != nil {
			return withExit(ExitError, err)
		}
	}
	ropts := output.Options{ShowSuppressed: o.ShowSupp, Color: ios.Color, Stats: o.Stats}
	if orgRes != nil {
		if err := emitOrg(ios, o.Output, st.format, orgRes, ropts, nil); err != nil {
			return withExit(ExitError, err)
		}
		return withExit(verdict(g.failed, orgRes.GapCount() > 0), nil)
	}
	st.cfg.ApplySuppressions(doc, o.now())
	g.apply(doc)
	doc.Sort()

	render, _ := output.Lookup(st.format)
	if err := emit(ios, o.Output, render, doc, ropts); err != nil {
		return withExit(ExitError, err)
	}
	return withExit(g.exitCode(doc, nil), nil)
}

// scanExitCode is the verdict CI pipelines branch on. Findings win over gaps: a scan with
// findings is not clean whatever else failed, and the report lists the gaps too.
// This is the default gate (--fail-on any, no baseline).
func scanExitCode(s *finding.Scan) int {
	return (&gate{}).exitCode(s, nil)
}

// loadAWSConfig builds credentials the way the AWS CLI does, then assumes --role-arn if
// given. The SDK reads AWS_ENDPOINT_URL (and per-service AWS_ENDPOINT_URL_<SERVICE>) itself.
func loadAWSConfig(ctx context.Context, o *scanOptions) (aws.Config, error) {
	var lo []func(*awsconfig.LoadOptions) error
	if o.Profile != "" {
		lo = append(lo, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if o.RoleARN != "" {
		if !strings.HasPrefix(o.RoleARN, "arn:") || !strings.Contains(o.RoleARN, ":role/") {
			return aws.Config{}, usageError(fmt.Errorf("--role-arn: expected a role ARN like arn:aws:iam::123456789012:role/audit, found %q", o.RoleARN))
		}
		stsClient := sts.NewFromConfig(cfg)
		provider := stscreds.NewAssumeRoleProvider(stsClient, o.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = "trustaudit-scan"
			if o.ExternalID != "" {
				ao.ExternalID = aws.String(o.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	} else if o.ExternalID != "" {
		return aws.Config{}, usageError(errors.New("--external-id needs --role-arn or --org"))
	}
	return cfg, nil
}

// saveSnapshot writes what was collected. A world can carry access keys (the simulator's
// test credentials); a snapshot never does.
func saveSnapshot(path string, w *world.World) error {
	if w == nil {
		return errors.New("save snapshot: nothing was collected")
	}
	snap := *w
	snap.Accounts = slices.Clone(w.Accounts)
	for i := range snap.Accounts {
		snap.Accounts[i].AccessKeys = nil
	}
	return writeFileAtomic(path, func(out io.Writer) error {
		enc := jsonEncoder(out)
		if err := enc.Encode(&snap); err != nil {
			return fmt.Errorf("encode snapshot: %w", err)
		}
		return nil
	})
}

// addCredentialFlags declares how a command that calls AWS gets its credentials; what names
// what the assumed role is for ("scan", "fix", "restore").
func addCredentialFlags(f *pflag.FlagSet, o *scanOptions, what string) {
	f.StringVar(&o.Profile, "profile", "", "shared config `profile` to take credentials from")
	f.StringVar(&o.RoleARN, "role-arn", "", "assume this `role` in the account to "+what)
	f.StringVar(&o.ExternalID, "external-id", "", "external `id` for --role-arn")
}

// addTrustFlags declares the trust boundary and the config file that can hold it.
func addTrustFlags(f *pflag.FlagSet, o *scanOptions) {
	f.StringArrayVar(&o.Trusted, "trusted", nil, "trusted account `ID|ARN` (repeatable; replaces the config file's list)")
	f.StringArrayVar(&o.TrustedOrgs, "trusted-org", nil, "trusted organization `ID` (repeatable; replaces the config file's list)")
	f.StringArrayVar(&o.OUPaths, "trusted-ou-path", nil, "trusted OU `PATH` such as o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/: every account under it (repeatable; replaces the config file's list)")
	f.StringVar(&o.ConfigPath, "config", "", "config `file` (default ./"+config.FileName+" if present)")
}

// emit renders doc to path (atomically), or to stdout when path is "". Colour goes only to
// a terminal, never into a file.
func emit(ios *iostreams.IOStreams, path string, render output.Renderer, doc *finding.Scan, ropts output.Options) error {
	return emitWith(ios, path, ropts, func(w io.Writer, ro output.Options) error { return render(w, doc, ro) })
}

func emitWith(ios *iostreams.IOStreams, path string, ropts output.Options, write func(io.Writer, output.Options) error) error {
	if path != "" {
		ropts.Color = false
		return writeFileAtomic(path, func(w io.Writer) error { return write(w, ropts) })
	}
	return write(ios.Out, ropts)
}

// prepare records which list flags were given (a given flag replaces the config file's
// list): the trust flags every command with addTrustFlags has, and the lists named. It also
// finds the directory the config file is looked up in.
func (o *scanOptions) prepare(cmd *cobra.Command, lists ...string) error {
	o.set = map[string]bool{}
	for _, f := range append([]string{"trusted", "trusted-org", "trusted-ou-path"}, lists...) {
		o.set[f] = cmd.Flags().Changed(f)
	}
	if o.dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("find the working directory: %w", err)
		}
		o.dir = wd
	}
	return nil
}

// writeFileAtomic writes a file through a temporary file in the same directory and a rename,
// so that a reader (or a crash) never sees a half-written report.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	if fi, statErr := os.Stat(path); statErr == nil && !fi.Mode().IsRegular() {
		// A device or a named pipe (-o /dev/null, -o /dev/stdout, a FIFO read by another
		// process) is written in place: renaming over it would replace it with a file.
		return writeInPlace(path, write)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc
}
