// Command customers is koppel's customers stage as its own service: it
// ties each order on koppel.order.received.* to one SnelStart relatie,
// creating or updating it as the profile says, and forwards it to
// koppel.order.customer.*. Run several for more throughput; they share the
// idempotency store (Redis when idempotency.redis_url is set, else
// JetStream KV) so that no relatie is created twice.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "customers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("customers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	workers := fs.Int("workers", 8, "messages handled at once")
	sandboxURL := fs.String("snelstart-sandbox-url", env(lookupEnv, "KOPPEL_SNELSTART_SANDBOX_URL"),
		"base URL of the SnelStart sandbox (services/snelstart-sandbox) for profiles with snelstart.sandbox: true; default http://<sandbox.listen>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "customers")
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" {
		return errors.New("nats.url is empty: the customers service needs a NATS server (use `koppel run` for the embedded one)")
	}
	clients, err := connect.SnelStartClients(cfg.Profiles, connect.Options{
		SandboxURL: cmp.Or(*sandboxURL, cfg.Sandbox.URL, "http://"+cfg.Sandbox.Listen), Logger: log.With("component", "snelstart"),
	})
	if err != nil {
		return err
	}
	nc, js, err := pipeline.Connect(cfg.NATS.URL, "koppel-customers", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := pipeline.EnsureStreams(ctx, js, pipeline.StreamConfig{DuplicateWindow: time.Duration(cfg.NATS.DuplicateWindow), Replicas: cfg.NATS.Replicas}); err != nil {
		return err
	}
	var store idempotency.Store
	if u := cfg.Idempotency.RedisURL; u != "" {
		store, err = idempotency.ConnectRedis(ctx, u, idempotency.RedisOptions{})
	} else {
		store, err = idempotency.NewKV(ctx, js, idempotency.KVOptions{Replicas: cfg.NATS.Replicas})
	}
	if err != nil {
		return err
	}
	defer store.Close()
	host, _ := os.Hostname()
	st, err := customers.Stage(customers.Options{
		Profiles: cfg.Profiles,
		Clients:  clients.Get,
		Store:    store,
		Owner:    fmt.Sprintf("%s/%d", host, os.Getpid()),
		Logger:   log,
	}, pipeline.Stage{Workers: *workers, Logger: log, TracerProvider: telemetry.NewTracerProvider()})
	if err != nil {
		return err
	}
	log.Info("customers running", "profiles", len(cfg.Profiles), "workers", *workers)
	return st.Run(ctx, js)
}

func env(lookup func(string) (string, bool), key string) string {
	v, _ := lookup(key)
	return v
}
