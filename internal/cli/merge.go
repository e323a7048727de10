package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/output"
	"github.com/trustaudit/trustaudit/internal/scan"
)

func init() { register(newMergeCmd) }

func newMergeCmd(ios *iostreams.IOStreams) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge SCAN.json...",
		Short: "Combine the scan documents of the shards of an organization scan into one",
		Long: `Combine scan documents (trustaudit scan --format json), typically those of the N shards of
one organization scan (--shard I/N), into the document a single run would have written:
accounts, findings, gaps, skipped regions, resources and the call statistics, per account and
in total. A document given twice, or a finding or gap seen twice, counts once.

The documents must have the same schema version and have been judged against the same trust
boundary; otherwise merge refuses, naming the document that differs.

Exit status as scan's: 0 clean and complete; 3 unsuppressed findings; 2 no findings but gaps;
1 an error.`,
		Example: `  trustaudit merge shard-0.json shard-1.json shard-2.json shard-3.json > org.json
  trustaudit merge --output org.json shards/*.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := os.MkdirTemp("", "trustaudit-merge-*")
			if err != nil {
				return withExit(ExitError, fmt.Errorf("make a directory for the merged lists: %w", err))
			}
			defer os.RemoveAll(dir)
			res, err := scan.MergeFiles(args, dir)
			if err != nil {
				return withExit(ExitError, err)
			}
			// The verdict is taken from the findings as they are written, not in a second
			// pass over the runs.
			failed, g := false, &gate{}
			err = emitOrg(ios, out, "json", res, output.Options{}, func(f *finding.Finding) { failed = failed || g.fails(*f) })
			if err != nil {
				return withExit(ExitError, fmt.Errorf("write the merged document: %w", err))
			}
			return withExit(verdict(failed, res.GapCount() > 0), nil)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged document to `file` (atomically) instead of stdout")
	return cmd
}
