package cli

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/output"
	"github.com/trustaudit/trustaudit/internal/trail"
)

func init() { register(newTrailCmd) }

type trailOptions struct {
	scan           scanOptions // profile, trust boundary, config, format, output, regions
	Since, Until   string
	Lookup         bool
	All            bool
	FailOnAttempts bool
	Paths          []string
}

func newTrailCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &trailOptions{scan: scanOptions{now: time.Now}}
	cmd := &cobra.Command{
		Use:   "trail [flags] [PATH | s3://bucket/prefix]...",
		Short: "Find resource-policy changes that opened access, in CloudTrail",
		Long: `Read CloudTrail records and report every change to an SES identity policy, IAM role trust
policy or Lambda function or layer permission that opened access to the public, to an account
or organization outside your trust boundary, or to a service without a source condition.
A scan sees the policies of one moment; an exposure made and undone between two scans is only
visible here.

Records come from log files as CloudTrail delivers them (.json or .json.gz; a directory is read
recursively in name order), from s3://bucket/prefix (with --since, only the
AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ folders of the window are listed), or with
--lookup from the LookupEvents API (the last 90 days, paced at 2 requests per second per
region, in --regions or the configured region).

endgame's signatures (a Sid or policy named "Endgame", the user agent "HotDogsAreSandwiches")
are reported as critical indicators of compromise whatever the grant names. Calls AWS refused
are reported as attempts; changes that removed access only with --all.

--since and --until take a time (2026-11-20T10:00:00Z), a date (2026-11-20, UTC) or an age
(36h, 7d).

Exit status: 0 nothing opened access; 3 a change opened access or carries an indicator (or an
attempt, with --fail-on-attempts); 2 nothing found but some events or regions could not be
read; 1 an error. --fail-on and --baseline work as for scan.`,
		Example: `  trustaudit trail ./AWSLogs --trusted 111122223333
  trustaudit trail s3://org-trail-logs/AWSLogs/ --since 7d --format json
  trustaudit trail --lookup --regions us-east-1,eu-west-1 --since 24h`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.scan.prepare(cmd, "regions", "format"); err != nil {
				return err
			}
			opts.Paths = args
			if len(args) == 0 && !opts.Lookup {
				return usageError(fmt.Errorf("give log files, directories or s3://bucket/prefix, or --lookup"))
			}
			if opts.scan.set["regions"] && !opts.Lookup {
				return usageError(fmt.Errorf("--regions applies to --lookup only"))
			}
			return runTrail(cmd.Context(), ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Since, "since", "", "only events at or after `time`")
	f.StringVar(&opts.Until, "until", "", "only events before `time`")
	f.BoolVar(&opts.Lookup, "lookup", false, "read the last 90 days through CloudTrail's LookupEvents API")
	f.StringSliceVar(&opts.scan.Regions, "regions", nil, "regions for --lookup (default: the configured regions, or the SDK's region)")
	f.BoolVar(&opts.All, "all", false, "also report changes that removed access (informational)")
	f.BoolVar(&opts.FailOnAttempts, "fail-on-attempts", false, "exit 3 on refused attempts too")
	f.StringVar(&opts.scan.Profile, "profile", "", "shared config `profile` to take credentials from (S3 and --lookup)")
	addTrustFlags(f, &opts.scan)
	f.StringVar(&opts.scan.Format, "format", "", "output format: "+strings.Join(output.Formats(), ", ")+" (default table on a terminal, json otherwise)")
	f.StringVarP(&opts.scan.Output, "output", "o", "", "write the report to `file` (atomically) instead of stdout")
	addGateFlags(f, &opts.scan.Gate)
	// Tests and benchmarks run the simulator faster than AWS; pacing follows.
	f.Float64Var(&opts.scan.RateScale, "rate-scale", 0, "pace LookupEvents at this multiple of its quota")
	_ = f.MarkHidden("rate-scale")
	return cmd
}

// parseWhen reads a --since/--until value: RFC 3339, a UTC date or minute, or an age before
// now ("36h", "7d").
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, usageError(fmt.Errorf("--%s %q: expected a time (2026-11-20T10:00:00Z), a date (2026-11-20) or an age (36h, 7d)", flag, v))
}

func runTrail(ctx context.Context, ios *iostreams.IOStreams, opts *trailOptions) error {
	o := &opts.scan
	st, err := resolveSettings(ios, o)
	if err != nil {
		return err
	}
	g, err := o.Gate.resolve()
	if err != nil {
		return err
	}
	now := o.now()
	var w trail.Window
	if w.Since, err = parseWhen("since", opts.Since, now); err != nil {
		return err
	}
	if w.Until, err = parseWhen("until", opts.Until, now); err != nil {
		return err
	}
	if !w.Since.IsZero() && !w.Until.IsZero() && !w.Since.Before(w.Until) {
		return usageError(fmt.Errorf("--since %s is not before --until %s", w.Since.Format(time.RFC3339), w.Until.Format(time.RFC3339)))
	}

	det := trail.NewDetector(trail.Options{Boundary: st.boundary, Window: w, All: opts.All})
	var files []string
	var buckets []string
	for _, p := range opts.Paths {
		if strings.HasPrefix(p, "s3://") {
			if _, _, err := trail.ParseS3URL(p); err != nil {
				return usageError(err)
			}
			buckets = append(buckets, p)
		} else {
			files = append(files, p)
		}
	}
	if len(files) > 0 {
		if err := det.Run(ctx, trail.Files{Paths: files}); err != nil {
			return withExit(ExitError, err)
		}
	}
	if len(buckets) > 0 || opts.Lookup {
		cfg, err := loadAWSConfig(ctx, o)
		if err != nil {
			return withExit(ExitError, err)
		}
		for _, u := range buckets {
			bucket, prefix, _ := trail.ParseS3URL(u)
			client := s3.NewFromConfig(cfg, func(so *s3.Options) {
				// A custom endpoint (AWS_ENDPOINT_URL: a simulator, MinIO, a VPC endpoint)
				// rarely resolves bucket subdomains.
				if cfg.BaseEndpoint != nil {
					so.UsePathStyle = true
				}
				if so.Region == "" {
					so.Region = "us-east-1"
				}
			})
			if err := det.Run(ctx, trail.Bucket{Client: client, Bucket: bucket, Prefix: prefix}); err != nil {
				return withExit(ExitError, err)
			}
		}
		if opts.Lookup {
			if err := lookupRegions(ctx, cfg, st.cfg.Regions, opts.scan.RateScale, det); err != nil {
				return withExit(ExitError, err)
			}
		}
	}

	doc := det.Scan(Version)
	if st.trustOrg {
		doc.Notices = append(doc.Notices, "trust_organization: trail does not look the organization up; name its id in trusted_orgs (and its accounts in trusted_accounts) to trust it here")
	}
	if !w.Since.IsZero() || !w.Until.IsZero() {
		doc.Notices = append(doc.Notices, "window: "+describeWindow(w))
	}
	st.cfg.ApplySuppressions(doc, now)
	g.apply(doc)
	doc.Sort()
	render, _ := output.Lookup(st.format)
	if err := emit(ios, o.Output, render, doc, output.Options{Color: ios.Color}); err != nil {
		return withExit(ExitError, err)
	}
	return withExit(g.exitCode(doc, trailFailing(opts.FailOnAttempts)), nil)
}

func describeWindow(w trail.Window) string {
	from, to := "the beginning", "now"
	if !w.Since.IsZero() {
		from = w.Since.Format(time.RFC3339)
	}
	if !w.Until.IsZero() {
		to = w.Until.Format(time.RFC3339)
	}
	return from + " to " + to
}

// isIAMHomeRegion reports whether CloudTrail records IAM's calls in region.
func isIAMHomeRegion(region string) bool {
	return region == "us-east-1" || region == "us-gov-west-1" || region == "cn-north-1"
}

// lookupRegions reads LookupEvents in every region at once: the quota is per account and
// region, so regions read one after another would make a run of 17 regions 17 times longer
// than the slowest one. A region that cannot be read is a gap, not the end of the run: the
// other regions' findings still stand.
func lookupRegions(ctx context.Context, cfg aws.Config, regions []string, rateScale float64, det *trail.Detector) error {
	if len(regions) == 0 {
		if cfg.Region == "" {
			return usageError(fmt.Errorf("--lookup needs --regions or a configured region (AWS_REGION or the profile's region)"))
		}
		regions = []string{cfg.Region}
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("identify the account for LookupEvents: %w", err)
	}
	account := aws.ToString(id.Account)
	if !slices.ContainsFunc(regions, isIAMHomeRegion) {
		det.AddNotice("IAM is global and CloudTrail records its calls in us-east-1 (us-gov-west-1, cn-north-1 in other partitions): add that region to --regions to see role trust changes")
	}
	if rateScale <= 0 {
		rateScale = 1
	}
	var wg sync.WaitGroup
	for _, region := range regions {
		wg.Go(func() {
			rc := cfg.Copy()
			rc.Region = region
			src := trail.Lookup{
				Client: cloudtrail.NewFromConfig(rc), Account: account, Region: region,
				Limiter: rate.NewLimiter(rate.Limit(trail.LookupRate*rateScale), 1),
			}
			if err := det.Run(ctx, src); err != nil && ctx.Err() == nil {
				slog.Warn("LookupEvents failed", "region", region, "err", err)
				det.AddGap(finding.Gap{Account: account, Region: region, Operation: "cloudtrail:LookupEvents", Error: err.Error()})
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
