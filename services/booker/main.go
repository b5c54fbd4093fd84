// Command booker is koppel's booker stage as its own service: it books the
// resolved orders on koppel.order.articles.* as SnelStart verkooporders,
// exactly once, and publishes them with their booking to
// koppel.order.booked.*. Run several for more throughput; they share the
// work through one durable consumer and one effect ledger (Redis when
// idempotency.redis_url is set, else a JetStream KV bucket).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/koppel/koppel/pkg/booker"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/stageservice"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "booker:", err)
		os.Exit(1)
	}
}

// run is the whole program: flags --config, --workers,
// --snelstart-sandbox-url and --metrics-addr (see stageservice.Run).
func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	return stageservice.Run(ctx, "booker", args, stderr, lookupEnv, func(d stageservice.Deps) (*pipeline.Stage, error) {
		settings, err := booker.SettingsFor(d.Config.Profiles)
		if err != nil {
			return nil, err
		}
		return booker.Stage(booker.Options{Profiles: settings, Clients: d.Clients.Get, Store: d.Store, Owner: d.Owner,
			Logger: d.Logger, Meter: d.Metrics.Meter("github.com/koppel/koppel/pkg/booker")}, d.Stage)
	})
}
