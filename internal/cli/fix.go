package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/scan"
	"github.com/trustaudit/trustaudit/internal/world"
)

func init() { register(newFixCmd) }

type fixOptions struct {
	scan      scanOptions // the scan flags, when fix scans first
	From      string
	Snapshot  string
	Findings  []string
	Apply     bool
	BackupDir string
	Format    string

	now func() time.Time
}

func newFixCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &fixOptions{now: time.Now}
	so := &opts.scan
	actions, _ := fix.Actions(nil)
	cmd := &cobra.Command{
		Use:   "fix [--from scan.json [--snapshot snap.json] | scan flags] [--finding ID]... [--apply]",
		Short: "Remove exactly the access findings name, with a backup of every policy changed",
		Long: `Plan, and with --apply make, the change that removes the access each selected finding
reports, and nothing else: an untrusted principal is cut out of a statement that also names
trusted ones, a public statement goes, and a Lambda permission is removed by its statement id.

The findings come from a saved scan (--from, with the documents it judged from --snapshot if
it was saved with --save-snapshot; otherwise the policies are read now and any that no longer
match the scan are skipped) or from a scan run now with the scan flags. --finding selects
findings by id (default: every unsuppressed finding); --kinds narrows by kind.

Without --apply, fix prints the plan: per resource, the policy before and after as a diff,
which statements or principals go and why, and what needs a person (a confused-deputy grant
needs a source condition only you can name; a trust policy cannot be left empty; access let
in by a condition). With --apply, per resource: the policy is read again and skipped if it
changed since the scan; a backup is written and flushed to disk; the change is made
(Lambda: only if the policy is still at the revision read); the policy is read back and
compared with the plan. 'trustaudit restore' puts the originals back from the backups.

The IAM actions fix and restore call (besides the scan's, when fix scans):
` + wrapList(actions, "  ", 92) + `

Exit status: 0 the plan was printed, or every change was applied and verified (findings
that need manual action are listed but are not failures); 1 a change failed or was
skipped, or an error; 2 flag misuse.`,
		Example: `  trustaudit scan --trusted 111122223333 --output scan.json --save-snapshot snap.json
  trustaudit fix --from scan.json --snapshot snap.json
  trustaudit fix --from scan.json --snapshot snap.json --finding 3f2a9c0d1e4b5a67 --apply
  trustaudit fix --trusted 111122223333 --kinds lambda-function --apply --backup-dir ./backups`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := so.prepare(cmd, "regions", "kinds"); err != nil {
				return err
			}
			if opts.From != "" {
				for _, f := range []string{"regions", "trusted", "trusted-org", "config", "demo"} {
					if cmd.Flags().Changed(f) {
						return usageError(fmt.Errorf("--%s does not apply to --from: the saved scan's trust boundary and regions are used", f))
					}
				}
			} else if opts.Snapshot != "" {
				return usageError(errors.New("--snapshot needs --from"))
			}
			return runFix(cmd.Context(), ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "fix the findings of a saved scan `file` (JSON) instead of scanning")
	f.StringVar(&opts.Snapshot, "snapshot", "", "the snapshot `file` saved with that scan (--save-snapshot): plan from the documents the scan judged")
	f.StringArrayVar(&opts.Findings, "finding", nil, "fix only the finding with this `id` (repeatable)")
	f.BoolVar(&opts.Apply, "apply", false, "make the changes (default: print the plan only)")
	f.StringVar(&opts.BackupDir, "backup-dir", "", "`directory` for the backups (default ./trustaudit-backups/<UTC time>/)")
	f.StringVar(&opts.Format, "format", "text", "output format: text or json")
	addCredentialFlags(f, so, "fix")
	f.StringSliceVar(&so.Regions, "regions", nil, "regions to scan (default: every enabled region)")
	f.StringSliceVar(&so.Kinds, "kinds", nil, "kinds to fix (default all: "+strings.Join(kinds.Names(), ", ")+")")
	addTrustFlags(f, so)
	f.BoolVar(&so.Demo, "demo", false, "scan and fix the embedded demo estate in a local simulator")
	f.Float64Var(&so.RateScale, "rate-scale", 0, "pace the scan at this multiple of the documented quotas")
	_ = f.MarkHidden("rate-scale")
	cmd.MarkFlagsMutuallyExclusive("demo", "from")
	cmd.MarkFlagsMutuallyExclusive("demo", "role-arn")
	cmd.MarkFlagsMutuallyExclusive("demo", "profile")
	return cmd
}

// wrapList joins items with ", " into indented lines of at most width characters.
func wrapList(items []string, indent string, width int) string {
	var b strings.Builder
	line := indent
	for i, it := range items {
		if i < len(items)-1 {
			it += ","
		}
		if len(line) > len(indent) && len(line)+1+len(it) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += it
	}
	b.WriteString(line)
	return b.String()
}

func checkFormat(format string) error {
	if format != "text" && format != "json" {
		return usageError(fmt.Errorf("--format %q: expected text or json", format))
	}
	return nil
}

func runFix(ctx context.Context, ios *iostreams.IOStreams, o *fixOptions) error {
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	so := &o.scan
	var (
		doc *finding.Scan
		w   *world.World
		cfg aws.Config
	)
	switch {
	case o.From != "":
		var err error
		if doc, err = loadScan(o.From); err != nil {
			return withExit(ExitError, err)
		}
		if o.Snapshot != "" {
			if w, err = world.Load(o.Snapshot); err != nil {
				return withExit(ExitError, err)
			}
		}
		if cfg, err = loadAWSConfig(ctx, so); err != nil {
			return withExit(ExitError, err)
		}
	default:
		st, err := resolveSettings(ios, so)
		if err != nil {
			return err
		}
		// The same boundary a scan with this configuration judges against, trust_organization
		// included: fix must never remove a grant the user's scan calls trusted.
		eo := scan.Options{Regions: st.cfg.Regions, Kinds: st.cfg.Kinds, Boundary: st.boundary, TrustOrganization: st.trustOrg, RateScale: so.RateScale, Logger: slog.Default(), Version: Version}
		if so.Demo {
			sim, err := awssim.Start(awssim.Options{World: awssim.DemoWorld(), TimeScale: demoRateScale})
			if err != nil {
				return withExit(ExitError, fmt.Errorf("start the demo simulator: %w", err))
			}
			defer sim.Close()
			if eo.RateScale == 0 {
				eo.RateScale = demoRateScale
			}
			cfg = sim.Config(awssim.DemoAccessKey, "us-east-1")
		} else if cfg, err = loadAWSConfig(ctx, so); err != nil {
			return withExit(ExitError, err)
		}
		eo.Config = cfg
		if doc, w, err = scan.Run(ctx, eo); err != nil {
			return withExit(ExitError, err)
		}
		st.cfg.ApplySuppressions(doc, o.now())
		if len(doc.Gaps) > 0 {
			slog.Warn("the scan could not read everything; only what it read is fixed", "gaps", len(doc.Gaps))
		}
	}
	kindNames := so.Kinds
	if !so.set["kinds"] {
		kindNames = nil
	}
	plan, err := fix.NewPlan(ctx, fix.Options{Config: cfg, Scan: doc, World: w, Findings: o.Findings, Kinds: kindNames, Version: Version, Now: o.now})
	if err != nil {
		return usageError(err)
	}
	if !o.Apply {
		if o.Format == "json" {
			err = fix.WriteJSON(ios.Out, plan)
		} else {
			err = fix.WritePlan(ios.Out, plan)
		}
		if err != nil {
			return withExit(ExitError, err)
		}
		return nil
	}
	dir := o.BackupDir
	if dir == "" {
		dir = filepath.Join("trustaudit-backups", o.now().UTC().Format("20060102T150405Z"))
	}
	rep := plan.Apply(ctx, fix.ApplyOptions{BackupDir: dir, Now: o.now})
	if o.Format == "json" {
		err = fix.WriteJSON(ios.Out, struct {
			Plan   *fix.Plan   `json:"plan"`
			Report *fix.Report `json:"report"`
		}{plan, rep})
	} else {
		if err = fix.WritePlan(ios.Out, plan); err == nil {
			fmt.Fprintln(ios.Out)
			err = fix.WriteReport(ios.Out, rep)
		}
	}
	if err != nil {
		return withExit(ExitError, err)
	}
	if !rep.OK() {
		return withExit(ExitError, nil)
	}
	return nil
}

// loadScan reads a saved scan document (trustaudit scan --format json).
func loadScan(path string) (*finding.Scan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scan: %w", err)
	}
	var s finding.Scan
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: field %q: expected %s, found a JSON %s", path, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%s: not a trustaudit scan (JSON): %w", path, err)
	}
	if s.SchemaVersion != finding.SchemaVersion {
		return nil, fmt.Errorf("%s: field \"schema_version\": expected %d (a scan saved with --format json), found %d", path, finding.SchemaVersion, s.SchemaVersion)
	}
	for i, f := range s.Findings {
		if f.ID == "" || f.Kind == "" || f.ResourceARN == "" || f.Account == "" {
			return nil, fmt.Errorf("%s: findings[%d]: expected id, kind, resource_arn and account", path, i)
		}
	}
	return &s, nil
}
