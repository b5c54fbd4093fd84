// Package stageservice runs one pipeline stage that writes to SnelStart
// (customers, articles, booker) as its own service: it reads the config,
// connects to NATS, makes sure the streams exist, opens the idempotency
// store and the SnelStart clients, optionally serves /metrics, and runs the
// stage until the context ends. Each service's main only builds its stage.
package stageservice

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
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
)

// Deps is what a stage is built from.
type Deps struct {
	Config  *profile.Config
	Store   idempotency.Store
	Clients *connect.Clients
	Metrics *telemetry.Metrics
	Tracing trace.TracerProvider
	Owner   string // this process in claims and leases: host/pid
	Logger  *slog.Logger
	// Stage carries the runner settings from the flags (Workers, Logger,
	// TracerProvider); pass it on to the stage's constructor.
	Stage pipeline.Stage
}

// Build makes the stage from deps.
type Build func(Deps) (*pipeline.Stage, error)

// Run is a stage service's whole program: flags --config, --workers,
// --snelstart-sandbox-url (or KOPPEL_SNELSTART_SANDBOX_URL) and
// --metrics-addr, then the stage build makes, until ctx ends.
func Run(ctx context.Context, name string, args []string, stderr io.Writer, lookupEnv func(string) (string, bool), build Build) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	workers := fs.Int("workers", 8, "messages handled at once")
	envURL, _ := lookupEnv("KOPPEL_SNELSTART_SANDBOX_URL")
	sandboxURL := fs.String("snelstart-sandbox-url", envURL,
		"base URL of the SnelStart sandbox for profiles with snelstart.sandbox: true (default: sandbox.url, else http://<sandbox.listen>)")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus /metrics on this address (empty: off)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", name)
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" {
		return fmt.Errorf("nats.url is empty: the %s service needs a NATS server (use `koppel run` for the embedded one)", name)
	}
	clients, err := connect.SnelStartClients(cfg.Profiles, connect.Options{
		SandboxURL: cmp.Or(*sandboxURL, cfg.Sandbox.URL, "http://"+cfg.Sandbox.Listen), Logger: log.With("component", "snelstart"),
	})
	if err != nil {
		return err
	}
	nc, js, err := pipeline.Connect(cfg.NATS.URL, "koppel-"+name, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	streams := pipeline.StreamConfig{DuplicateWindow: time.Duration(cfg.NATS.DuplicateWindow), Replicas: cfg.NATS.Replicas}
	if err := pipeline.EnsureStreams(ctx, js, streams); err != nil {
		return err
	}
	store, err := idempotency.Open(ctx, cfg.Idempotency.RedisURL, js, cfg.NATS.Replicas)
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
	tracing := telemetry.NewTracerProvider()
	host, _ := os.Hostname()
	st, err := build(Deps{
		Config: cfg, Store: store, Clients: clients, Metrics: metrics, Tracing: tracing,
		Owner: fmt.Sprintf("%s/%d", host, os.Getpid()), Logger: log,
		Stage: pipeline.Stage{Workers: *workers, Logger: log, TracerProvider: tracing},
	})
	if err != nil {
		return err
	}
	log.Info(name+" running", "profiles", len(cfg.Profiles), "workers", *workers)
	return st.Run(ctx, js)
}
