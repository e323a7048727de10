// Command trustaudit finds who outside your trust boundary can reach your AWS resources.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trustaudit/trustaudit/internal/cli"
	"github.com/trustaudit/trustaudit/internal/iostreams"
)

func main() {
	// SIGTERM too: Kubernetes and AWS Batch stop a job with it, and a scan that stops on a
	// signal removes its parts on disk and writes nothing half-done.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(code)
}
