// Command booker is koppel's booker stage as its own service: it books the
// resolved orders on koppel.order.articles.* as SnelStart verkooporders,
// exactly once, and publishes them with their booking to
// koppel.order.booked.*. Run several for more throughput; they share the
// work through one durable consumer and one effect ledger (Redis when
// idempotency.redis_url is set, else a JetStream KV bucket).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/koppel/koppel/pkg/booker"
	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "booker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("booker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	workers := fs.Int("workers", 8, "orders booked at once")
	sandboxURL := fs.String("snelstart-sandbox-url", env(lookupEnv, "KOPPEL_SNELSTART_SANDBOX_URL"),
		"base URL of the SnelStart sandbox (services/snelstart-sandbox) for profiles with snelstart.sandbox: true; default http://<sandbox.listen>")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus /metrics on this address (empty: off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "booker")
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" {
		return errors.New("nats.url is empty: the booker service needs a NATS server (use `koppel run` for the embedded one)")
	}
	settings, err := booker.SettingsFor(cfg.Profiles)
	if err != nil {
		return err
	}
	clients, err := connect.SnelStartClients(cfg.Profiles, connect.Options{
		SandboxURL: cmp.Or(*sandboxURL, cfg.Sandbox.URL, "http://"+cfg.Sandbox.Listen), Logger: log.With("component", "snelstart"),
	})
	if err != nil {
		return err
	}

	nc, js, err := pipeline.Connect(cfg.NATS.URL, "koppel-booker", log)
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

	metrics, err := telemetry.NewMetrics()
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		srv := &http.Server{Addr: *metricsAddr, Handler: metrics.Handler, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "err", err)
			}
		}()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}

	stage, err := booker.Stage(booker.Options{
		Profiles: settings,
		Clients:  clients.Get,
		Store:    store,
		Logger:   log,
		Meter:    metrics.Meter("github.com/koppel/koppel/pkg/booker"),
	}, pipeline.Stage{Workers: *workers, Logger: log, TracerProvider: telemetry.NewTracerProvider()})
	if err != nil {
		return err
	}
	log.Info("booker running", "profiles", len(settings), "workers", *workers)
	return stage.Run(ctx, js)
}

func env(lookup func(string) (string, bool), key string) string {
	v, _ := lookup(key)
	return v
}
