package cli

import (
	"bufio"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/baseline"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
)

func init() { register(newDiffCmd) }

type diffOptions struct {
	Format string
}

func newDiffCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two saved scans: new, resolved and unchanged findings",
		Long: `Compare two scan documents saved with "scan --format json" by finding id, which stays the
same across scans of the same grant: new findings (in NEW only), resolved findings (in OLD
only) and unchanged ones, with any change of severity.

Exit status: 3 when NEW has a new finding that is not suppressed; 0 otherwise; 1 an error
(a file missing or not a scan document); 2 a usage error.`,
		Example: `  trustaudit diff monday.json tuesday.json
  trustaudit diff --format json last-release.json scan.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError(fmt.Errorf("diff takes two scan documents, OLD and NEW; got %d argument(s)", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(ios, opts, args[0], args[1])
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	return cmd
}

// diffDocument is the json form: the two files compared and the three lists.
type diffDocument struct {
	Old string `json:"old_scan"`
	New string `json:"new_scan"`
	baseline.Diff
}

func runDiff(ios *iostreams.IOStreams, o *diffOptions, oldPath, newPath string) error {
	if o.Format != "text" && o.Format != "json" {
		return usageError(fmt.Errorf("--format %q: expected text or json", o.Format))
	}
	oldScan, err := baseline.LoadScan(oldPath)
	if err != nil {
		return withExit(ExitError, err)
	}
	newScan, err := baseline.LoadScan(newPath)
	if err != nil {
		return withExit(ExitError, err)
	}
	oldScan.Sort()
	newScan.Sort()
	d := baseline.Compare(oldScan, newScan)
	if o.Format == "json" {
		if err := jsonEncoder(ios.Out).Encode(diffDocument{Old: oldPath, New: newPath, Diff: d}); err != nil {
			return withExit(ExitError, fmt.Errorf("write diff: %w", err))
		}
	} else if err := writeDiffText(ios.Out, oldPath, newPath, oldScan, newScan, d); err != nil {
		return withExit(ExitError, err)
	}
	for _, f := range d.New {
		if !f.Suppressed {
			return withExit(ExitFindings, nil)
		}
	}
	return nil
}

func writeDiffText(w io.Writer, oldPath, newPath string, oldScan, newScan *finding.Scan, d baseline.Diff) error {
	bw := bufio.NewWriter(w)
	stamp := func(s *finding.Scan) string {
		if s.FinishedAt.IsZero() {
			return ""
		}
		return " (" + s.FinishedAt.UTC().Format("2006-01-02 15:04Z") + ")"
	}
	fmt.Fprintf(bw, "%s%s -> %s%s\n", oldPath, stamp(oldScan), newPath, stamp(newScan))
	fmt.Fprintf(bw, "%d new, %d resolved, %d unchanged\n", len(d.New), len(d.Resolved), len(d.Unchanged))
	if len(oldScan.Gaps) > 0 || len(newScan.Gaps) > 0 {
		fmt.Fprintf(bw, "note: the scans are incomplete (%d and %d reads failed): a finding may look new or resolved because a read failed\n", len(oldScan.Gaps), len(newScan.Gaps))
	}
	section := func(title, sign string, fs []finding.Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(bw, "\n%s:\n", title)
		for _, f := range fs {
			mark := ""
			if f.Suppressed {
				mark = " [suppressed]"
			}
			fmt.Fprintf(bw, "%s %-8s %s %s  id %s%s\n", sign, f.Severity, f.Rule, f.ResourceARN, f.ID, mark)
			if sign != "=" && f.Explanation != "" {
				fmt.Fprintf(bw, "           %s\n", f.Explanation)
			}
		}
	}
	section("New", "+", d.New)
	section("Resolved", "-", d.Resolved)
	section("Unchanged", "=", d.Unchanged)
	if len(d.Changed) > 0 {
		fmt.Fprintf(bw, "\nSeverity changed:\n")
		for _, c := range d.Changed {
			fmt.Fprintf(bw, "~ %s %s: %s -> %s\n", c.ID, c.Rule, c.Old, c.New)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}
