// Command trustaudit finds who outside your trust boundary can reach your AWS resources.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/trustaudit/trustaudit/internal/cli"
	"github.com/trustaudit/trustaudit/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(code)
}
