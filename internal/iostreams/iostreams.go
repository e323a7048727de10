// Package iostreams carries stdin, stdout and stderr with what the commands need to know about
// them (is it a terminal, may we colour it), so that every command can be run in tests with
// buffers and no TTY.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is what a command reads from and writes to.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// StdoutTTY and StderrTTY say whether the streams are terminals: tables and progress
	// are drawn only for people.
	StdoutTTY bool
	StderrTTY bool
	// ErrWidth is stderr's width in columns when it is a terminal (0 otherwise): a status
	// line longer than the terminal wraps, and redrawing it then scrolls the screen.
	ErrWidth int
	// Color is false when NO_COLOR is set or stdout is not a terminal.
	Color bool
}

// System returns the process's own streams.
func System() *IOStreams {
	outTTY := isTerminal(os.Stdout)
	errTTY := isTerminal(os.Stderr)
	_, noColor := os.LookupEnv("NO_COLOR")
	width := 0
	if errTTY {
		width, _, _ = term.GetSize(int(os.Stderr.Fd()))
	}
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		StdoutTTY: outTTY,
		StderrTTY: errTTY && os.Getenv("CI") == "",
		ErrWidth:  width,
		Color:     outTTY && !noColor,
	}
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
