// Command customers is koppel's customers stage as its own service: it
// ties each order on koppel.order.received.* to one SnelStart relatie,
// creating or updating it as the profile says, and forwards it to
// koppel.order.customer.*. Run several for more throughput; they share the
// idempotency store (Redis when idempotency.redis_url is set, else
// JetStream KV) so that no relatie is created twice.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/stageservice"
	"github.com/koppel/koppel/pkg/vatnumber"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "customers:", err)
		os.Exit(1)
	}
}

// run is the whole program: flags --config, --workers,
// --snelstart-sandbox-url and --metrics-addr (see stageservice.Run).
func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	return stageservice.Run(ctx, "customers", args, stderr, lookupEnv, func(d stageservice.Deps) (*pipeline.Stage, error) {
		return customers.Stage(customers.Options{Profiles: d.Config.Profiles, Clients: d.Clients.Get, Store: d.Store,
			Owner: d.Owner, VIESURL: vatnumber.DefaultVIESURL, Logger: d.Logger}, d.Stage)
	})
}
