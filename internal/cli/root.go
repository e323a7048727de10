// Package cli holds trustaudit's commands, one file per verb. Each command has an Options
// struct and a run function so that it can be tested with iostreams.Test() and no TTY.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/iostreams"
)

// Exit statuses shared by every command. They are part of the interface: CI pipelines branch
// on them.
const (
	ExitOK       = 0 // clean and complete
	ExitError    = 1 // invalid input or a failure
	ExitUsage    = 2 // usage error (scan: no findings but gaps)
	ExitFindings = 3 // access from outside the trust boundary found
)

// Version is the tool version, set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

// ExitError carries an exit status out of a command. Err, when not nil, is printed on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit returns an error that makes Main exit with code; err (may be nil) is printed.
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// usageError marks an error as a usage error (exit 2).
func usageError(err error) error { return withExit(ExitUsage, err) }

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, ios *iostreams.IOStreams) int {
	root := NewRootCmd(ios)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(ios.ErrOut, "trustaudit:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(ios.ErrOut, "trustaudit:", err)
	if isFlagError(err) {
		return ExitUsage
	}
	return ExitError
}

// isFlagError recognises cobra's own argument and flag errors, which it does not type.
func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

// NewRootCmd builds the command tree. Each verb's file adds itself here.
func NewRootCmd(ios *iostreams.IOStreams) *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "trustaudit",
		Short: "Find who outside your trust boundary can reach your AWS resources",
		Long: `trustaudit reads resource-based policies (SES identities, IAM role trust, Lambda, ...)
and reports every grant to the public, to an account or organization outside the accounts
and organizations you trust, or to a service without a source condition (confused deputy).`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: level})))
		},
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail on stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err} })
	for _, add := range commands {
		root.AddCommand(add(ios))
	}
	return root
}

// commands lists the verbs; each verb's file registers its constructor in an init function
// so that adding a verb touches only its own file.
var commands []func(*iostreams.IOStreams) *cobra.Command

func register(c func(*iostreams.IOStreams) *cobra.Command) { commands = append(commands, c) }
