package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trustaudit/trustaudit/internal/baseline"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/output"
	"github.com/trustaudit/trustaudit/internal/trail"
)

func init() { register(newReportCmd) }

type reportOptions struct {
	From        string
	Format      string
	Output      string
	ShowSupp    bool
	Stats       bool
	SecurityHub bool
	Region      string
	Profile     string
	Gate        gateOptions
}

func newReportCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report --from scan.json",
		Short: "Render a saved scan in another format, or import it into Security Hub",
		Long: `Render a scan document saved with "scan --format json" (or "trail --format json") in any
format, without touching AWS: table, json, csv, sarif (GitHub code scanning), asff (Security
Hub), ocsf (OCSF 1.8.0 Detection Findings, for a SIEM), html (a self-contained page with a trust
graph) or baseline (the findings to accept with --baseline).

--security-hub imports the findings into AWS Security Hub instead, with BatchImportFindings in
batches of 100, as the caller's own product (arn:<partition>:securityhub:<region>:<account>:
product/<account>/default) in --region (default: the SDK's region). Security Hub accepts
findings only for the caller's account: import each account's scan with its credentials.
Suppressed findings are sent with the workflow status SUPPRESSED, known (baseline) findings with
NOTIFIED.

Exit status: as scan's, for the findings of the document (3 findings that fail under --fail-on
and --baseline; 2 none, but the scan was incomplete; 0 clean); 1 an error, or a finding
Security Hub refused. --fail-on none only renders.`,
		Example: `  trustaudit report --from scan.json --format html --output report.html
  trustaudit report --from scan.json --format sarif --output trustaudit.sarif --fail-on none
  trustaudit report --from scan.json --format baseline --output baseline.json
  trustaudit report --from scan.json --security-hub --region eu-west-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.From == "" {
				return usageError(errors.New("--from: give the scan document to render (trustaudit scan --format json --output scan.json)"))
			}
			if opts.SecurityHub && (cmd.Flags().Changed("format") || opts.Output != "") {
				return usageError(errors.New("--security-hub imports the findings; it takes no --format or --output"))
			}
			if !opts.SecurityHub && (opts.Region != "" || opts.Profile != "") {
				return usageError(errors.New("--region and --profile apply to --security-hub only"))
			}
			return runReport(cmd.Context(), ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "the saved scan document `file` (json)")
	f.StringVar(&opts.Format, "format", "", "output format: "+strings.Join(output.Formats(), ", ")+" (default table on a terminal, json otherwise)")
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to `file` (atomically) instead of stdout")
	f.BoolVar(&opts.ShowSupp, "show-suppressed", false, "list suppressed findings in the table")
	f.BoolVar(&opts.Stats, "stats", false, "show the scan's call accounting in the table")
	f.BoolVar(&opts.SecurityHub, "security-hub", false, "import the findings into AWS Security Hub (BatchImportFindings)")
	f.StringVar(&opts.Region, "region", "", "Security Hub `region` for --security-hub (default: the SDK's region)")
	f.StringVar(&opts.Profile, "profile", "", "shared config `profile` for --security-hub")
	addGateFlags(f, &opts.Gate)
	return cmd
}

func runReport(ctx context.Context, ios *iostreams.IOStreams, o *reportOptions) error {
	g, err := o.Gate.resolve()
	if err != nil {
		return err
	}
	doc, err := baseline.LoadScan(o.From)
	if err != nil {
		return withExit(ExitError, err)
	}
	g.apply(doc)
	doc.Sort()
	if o.SecurityHub {
		if err := importSecurityHub(ctx, ios, o, doc); err != nil {
			return err
		}
		return withExit(g.exitCode(doc, trailFailing(false)), nil)
	}
	format := o.Format
	if format == "" {
		format = "json"
		if ios.StdoutTTY && o.Output == "" {
			format = "table"
		}
	}
	render, err := output.Lookup(format)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	err = emit(ios, o.Output, render, doc, output.Options{ShowSuppressed: o.ShowSupp, Color: ios.Color, Stats: o.Stats})
	if err != nil {
		return withExit(ExitError, err)
	}
	return withExit(g.exitCode(doc, trailFailing(false)), nil)
}

// trailFailing applies trail's rule to a document that may come from trail: removals never
// fail, attempts only when asked. Scan findings always pass it.
func trailFailing(failOnAttempts bool) func(finding.Finding) bool {
	return func(f finding.Finding) bool { return trail.Failing(f, failOnAttempts) }
}

// securityHubBatch is BatchImportFindings' limit of findings per request.
const securityHubBatch = 100

// importSecurityHub sends the document's findings in batches of 100. A refused batch does not
// stop the others; every refused finding is listed on stderr and makes the run fail (exit 1),
// because a partial import would otherwise look complete in Security Hub.
func importSecurityHub(ctx context.Context, ios *iostreams.IOStreams, o *reportOptions, doc *finding.Scan) error {
	cfg, err := loadAWSConfig(ctx, &scanOptions{Profile: o.Profile})
	if err != nil {
		return withExit(ExitError, err)
	}
	if o.Region != "" {
		cfg.Region = o.Region
	}
	if cfg.Region == "" {
		return usageError(errors.New("--security-hub needs --region or a configured region (AWS_REGION or the profile's region)"))
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return withExit(ExitError, fmt.Errorf("identify the account to import into: %w", err))
	}
	account := aws.ToString(id.Account)
	findings, err := sdkFindings(output.ASFFFindings(doc, output.ASFFTarget{Region: cfg.Region, Account: account}))
	if err != nil {
		return withExit(ExitError, err)
	}
	client := securityhub.NewFromConfig(cfg)
	var imported, failed int
	for start := 0; start < len(findings); start += securityHubBatch {
		batch := findings[start:min(start+securityHubBatch, len(findings))]
		out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			if ctx.Err() != nil {
				return withExit(ExitError, ctx.Err())
			}
			failed += len(batch)
			fmt.Fprintf(ios.ErrOut, "trustaudit: Security Hub refused findings %d-%d: %v\n", start+1, start+len(batch), err)
			continue
		}
		imported += int(aws.ToInt32(out.SuccessCount))
		failed += int(aws.ToInt32(out.FailedCount))
		for _, f := range out.FailedFindings {
			fmt.Fprintf(ios.ErrOut, "trustaudit: Security Hub refused %s: %s: %s\n", aws.ToString(f.Id), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
		}
	}
	fmt.Fprintf(ios.Out, "Security Hub %s (account %s): %d of %d findings imported, %d refused\n", cfg.Region, account, imported, len(findings), failed)
	if failed > 0 {
		return withExit(ExitError, fmt.Errorf("%d of %d findings were not imported into Security Hub", failed, len(findings)))
	}
	return nil
}

// sdkFindings converts the ASFF the asff format writes into the SDK's types. ASFF's field
// names are the SDK's Go field names, so a JSON round trip carries every field across, and
// the asff file and the import can never disagree.
func sdkFindings(fs []output.ASFFFinding) ([]shtypes.AwsSecurityFinding, error) {
	data, err := json.Marshal(fs)
	if err != nil {
		return nil, fmt.Errorf("encode ASFF: %w", err)
	}
	var out []shtypes.AwsSecurityFinding
	dec := json.NewDecoder(bytes.NewReader(data))
	// A field the SDK does not know would be dropped silently: refuse it instead.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("convert ASFF for the SDK: %w", err)
	}
	return out, nil
}

// gateOptions are the flags that decide which findings fail a run; scan, trail and report
// share them so that CI behaves the same whichever produced the document.
type gateOptions struct {
	FailOn   string
	Baseline string
}

func addGateFlags(f *pflag.FlagSet, g *gateOptions) {
	f.StringVar(&g.FailOn, "fail-on", "any", "exit 3 only for findings of this `severity` or worse: any, info, low, medium, high, critical, or none (never fail on findings)")
	f.StringVar(&g.Baseline, "baseline", "", "report findings whose id is in this `file` (a baseline written by --format baseline, or a saved scan) as known; they do not fail")
}

// gate is the resolved --fail-on and --baseline.
type gate struct {
	min   finding.Severity // 0: every severity fails
	never bool
	known baseline.Set
	path  string

	seen, hits int  // findings marked, and those the baseline knew
	failed     bool // a marked finding fails the run
}

func (o gateOptions) resolve() (*gate, error) {
	g := &gate{path: o.Baseline}
	switch v := strings.ToLower(o.FailOn); v {
	case "", "any":
	case "none":
		g.never = true
	default:
		sev, err := finding.ParseSeverity(v)
		if err != nil {
			return nil, usageError(fmt.Errorf("--fail-on %q: expected any, info, low, medium, high, critical or none", o.FailOn))
		}
		g.min = sev
	}
	if o.Baseline != "" {
		set, err := baseline.Load(o.Baseline)
		if err != nil {
			return nil, withExit(ExitError, err)
		}
		g.known = set
	}
	return g, nil
}

// apply marks the baseline's findings known and says how many, so that a baseline that
// matches nothing (the wrong file, or ids from another account) is visible.
func (g *gate) apply(doc *finding.Scan) {
	for i := range doc.Findings {
		g.mark(&doc.Findings[i])
	}
	doc.Notices = append(doc.Notices, g.notices()...)
}

// mark sets Known on a finding whose id is in the baseline, counting for the notice and
// noting whether the run fails; an organization scan marks findings one at a time as they
// go to disk.
func (g *gate) mark(f *finding.Finding) {
	if g.known != nil {
		g.seen++
		if g.known[f.ID] {
			f.Known = true
			g.hits++
		}
	}
	if g.fails(*f) {
		g.failed = true
	}
}

func (g *gate) notices() []string {
	if g.known == nil {
		return nil
	}
	return []string{fmt.Sprintf("baseline %s: %d of %d findings known (%d ids in the baseline)", g.path, g.hits, g.seen, len(g.known))}
}

// fails reports whether a finding fails the run.
func (g *gate) fails(f finding.Finding) bool {
	return !g.never && !f.Suppressed && !f.Known && f.Severity >= g.min
}

// exitCode is the verdict: 3 when a finding fails (and extra, if given, agrees), else 2 when
// the document has gaps (incomplete, never clean), else 0.
func (g *gate) exitCode(doc *finding.Scan, extra func(finding.Finding) bool) int {
	failed := false
	for _, f := range doc.Findings {
		if g.fails(f) && (extra == nil || extra(f)) {
			failed = true
			break
		}
	}
	return verdict(failed, len(doc.Gaps) > 0)
}

// verdict is 3 when a finding fails, else 2 when the document has gaps, else 0.
func verdict(failed, gaps bool) int {
	switch {
	case failed:
		return ExitFindings
	case gaps:
		return ExitUsage
	}
	return ExitOK
}
