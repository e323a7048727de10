package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/fix"
	"github.com/trustaudit/trustaudit/internal/iostreams"
)

func init() { register(newRestoreCmd) }

type restoreOptions struct {
	creds     scanOptions
	BackupDir string
	Apply     bool
	Force     bool
	Format    string
}

func newRestoreCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &restoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore BACKUP... | --backup-dir DIR [--apply]",
		Short: "Put back the policies a fix changed, from its backups",
		Long: `Plan, and with --apply make, the restore of the policies 'trustaudit fix --apply' changed, from
the backup files it wrote (one per resource). SES identity and IAM trust policies get their
original document back, exactly as it was read; Lambda function and layer permissions that
were removed are added again with their original statement ids, principals and conditions.
Each restore is read back and verified.

A policy that changed again after the fix is not overwritten unless --force is given; a
removed Lambda statement id that exists again with other content is never replaced. Every
backup is checked before anything is written: a malformed file is an error naming the file
and the field.

Exit status: 0 the plan was printed, or every backup was restored (or already was) and
verified; 1 a restore failed or was skipped, or an error; 2 flag misuse.`,
		Example: `  trustaudit restore --backup-dir trustaudit-backups/20260101T120000Z
  trustaudit restore trustaudit-backups/20260101T120000Z/iam-role_111122223333_global_role_vendor_1a2b3c4d.json --apply`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && opts.BackupDir == "" {
				return usageError(errors.New("name backup files or --backup-dir DIR"))
			}
			if len(args) > 0 && opts.BackupDir != "" {
				return usageError(errors.New("name backup files or --backup-dir, not both"))
			}
			return runRestore(cmd.Context(), ios, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.BackupDir, "backup-dir", "", "restore every backup file (*.json) in `directory`")
	f.BoolVar(&opts.Apply, "apply", false, "make the changes (default: print the plan only)")
	f.BoolVar(&opts.Force, "force", false, "restore SES and IAM policies even if they changed after the fix (that change is lost)")
	f.StringVar(&opts.Format, "format", "text", "output format: text or json")
	addCredentialFlags(f, &opts.creds, "restore")
	return cmd
}

func runRestore(ctx context.Context, ios *iostreams.IOStreams, o *restoreOptions, paths []string) error {
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	if o.BackupDir != "" {
		var err error
		if paths, err = fix.BackupFiles(o.BackupDir); err != nil {
			return withExit(ExitError, err)
		}
	}
	var backups []*fix.Backup
	for _, p := range paths {
		b, err := fix.LoadBackup(p)
		if err != nil {
			return withExit(ExitError, err)
		}
		backups = append(backups, b)
	}
	cfg, err := loadAWSConfig(ctx, &o.creds)
	if err != nil {
		return withExit(ExitError, err)
	}
	rp := fix.PlanRestore(ctx, fix.RestoreOptions{Config: cfg, Force: o.Force}, paths, backups)
	if !o.Apply {
		if o.Format == "json" {
			err = fix.WriteJSON(ios.Out, rp)
		} else {
			err = fix.WriteRestorePlan(ios.Out, rp)
		}
		if err != nil {
			return withExit(ExitError, err)
		}
		return nil
	}
	rep := rp.Apply(ctx)
	if o.Format == "json" {
		err = fix.WriteJSON(ios.Out, rep)
	} else {
		err = fix.WriteReport(ios.Out, rep)
	}
	if err != nil {
		return withExit(ExitError, err)
	}
	if !rep.OK() {
		return withExit(ExitError, fmt.Errorf("%d backup(s) not restored", notOK(rep)))
	}
	return nil
}

func notOK(rep *fix.Report) int {
	n := 0
	for _, r := range rep.Results {
		if r.Status == fix.StatusFailed || r.Status == fix.StatusSkipped {
			n++
		}
	}
	return n
}
