package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/iostreams"
	"github.com/trustaudit/trustaudit/internal/world"
)

func init() { register(newSimulateCmd) }

type simulateOptions struct {
	World     string
	Listen    string
	TimeScale float64
	Latency   time.Duration
	NoQuotas  bool

	// ready is called with the server's URL once it listens (tests stop it from there).
	ready func(url string)
}

func newSimulateCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &simulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate [--world FILE] [--listen 127.0.0.1:4566]",
		Short: "Serve a simulated AWS estate on loopback for the AWS CLI, SDKs and scans",
		Long: `Serve a world file (or, without --world, the built-in demo organization) as a local
AWS: STS, IAM, Organizations, Account, EC2, Lambda and SES answer on one loopback endpoint in
their real wire protocols, with the documented API quotas enforced as token buckets. Point the
AWS CLI or any SDK at it with AWS_ENDPOINT_URL and one of the world's access keys (any
secret). A scan saved as a snapshot can be served back the same way.

Runs in the foreground until interrupted. Counters of every call are at
GET <url>/_sim/counters (POST <url>/_sim/reset clears them).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimulate(cmd.Context(), ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.World, "world", "", "world or snapshot `FILE` to serve (default: the built-in demo world)")
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:4566", "loopback `address` to listen on (port 0 picks a free one)")
	f.Float64Var(&opts.TimeScale, "time-scale", 1, "multiply every API quota rate by `N` (10 runs a quota-bound scan ten times faster)")
	f.DurationVar(&opts.Latency, "latency", 0, "add `D` of latency to every answer, e.g. 20ms")
	f.BoolVar(&opts.NoQuotas, "no-quotas", false, "never throttle")
	return cmd
}

// checkLoopback refuses addresses that would expose the simulator beyond this machine: it
// accepts any credentials and its state is writable by anyone who can reach it.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: expected host:port, e.g. 127.0.0.1:4566", addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("--listen %q: invalid port %q", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--listen %q: the simulator accepts any credentials, so it listens on loopback only (127.0.0.1, [::1] or localhost)", addr)
	}
	return nil
}

func runSimulate(ctx context.Context, ios *iostreams.IOStreams, opts *simulateOptions) error {
	if err := checkLoopback(opts.Listen); err != nil {
		return usageError(err)
	}
	if opts.TimeScale <= 0 {
		return usageError(fmt.Errorf("--time-scale %v: expected a positive number", opts.TimeScale))
	}
	if opts.Latency < 0 {
		return usageError(fmt.Errorf("--latency %v: expected a duration of zero or more", opts.Latency))
	}
	var (
		w    *world.World
		what string
	)
	if opts.World == "" {
		w, what = awssim.DemoWorld(), "the demo world"
	} else {
		var err error
		if w, err = world.Load(opts.World); err != nil {
			return err
		}
		what = opts.World
	}
	srv, err := awssim.Start(awssim.Options{
		World:     w,
		Addr:      opts.Listen,
		TimeScale: opts.TimeScale,
		Latency:   opts.Latency,
		NoQuotas:  opts.NoQuotas,
	})
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer srv.Close()

	url := srv.URL()
	fmt.Fprintf(ios.ErrOut, "Serving %s (%d accounts) on %s\n\n", what, len(w.Accounts), url)
	fmt.Fprintf(ios.ErrOut, "Point the AWS CLI or an SDK at it (any secret key works):\n")
	fmt.Fprintf(ios.ErrOut, "  export AWS_ENDPOINT_URL=%s\n", url)
	keyID, region := "AKIAANYKEY", "us-east-1"
	if keys := w.Accounts[0].AccessKeys; len(keys) > 0 {
		keyID = keys[0].ID
	}
	for _, r := range w.Accounts[0].Regions {
		if r.Enabled() {
			region = r.Name
			break
		}
	}
	fmt.Fprintf(ios.ErrOut, "  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=any AWS_REGION=%s AWS_DEFAULT_REGION=%s\n", keyID, region, region)
	fmt.Fprintf(ios.ErrOut, "  aws sts get-caller-identity\n\n")
	fmt.Fprintf(ios.ErrOut, "Access keys of this world:\n")
	for _, a := range w.Accounts {
		for _, k := range a.AccessKeys {
			fmt.Fprintf(ios.ErrOut, "  %s  %s\n", k.ID, k.ARN)
		}
	}
	fmt.Fprintf(ios.ErrOut, "Any other key acts as the root of account %s.\n", w.Accounts[0].ID)
	fmt.Fprintf(ios.ErrOut, "Call counters: curl %s/_sim/counters\nPress Ctrl-C to stop.\n", url)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	if opts.ready != nil {
		opts.ready(url)
	}
	<-ctx.Done()
	fmt.Fprintln(ios.ErrOut, "Stopping the simulator.")
	if err := srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("simulate: close: %w", err)
	}
	return nil
}
