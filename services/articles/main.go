// Command articles is koppel's articles stage as its own service: it ties
// each line of an order on koppel.order.customer.* to one SnelStart
// artikel, creating or updating articles as the profile says, resolves the
// profile's shipping, fee and discount articles and the customer's prices,
// and forwards the order to koppel.order.articles.*. Run several for more
// throughput; they share the idempotency store (Redis when
// idempotency.redis_url is set, else JetStream KV) so that no artikel is
// created twice.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/stageservice"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "articles:", err)
		os.Exit(1)
	}
}

// run is the whole program: flags --config, --workers,
// --snelstart-sandbox-url and --metrics-addr (see stageservice.Run).
func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	return stageservice.Run(ctx, "articles", args, stderr, lookupEnv, func(d stageservice.Deps) (*pipeline.Stage, error) {
		return articles.Stage(articles.Options{Profiles: d.Config.Profiles, Clients: d.Clients.Get, Store: d.Store,
			Owner: d.Owner, Logger: d.Logger}, d.Stage)
	})
}
