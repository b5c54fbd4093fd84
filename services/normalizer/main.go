// Command normalizer is koppel's normalize stage as its own service: it
// turns raw shop JSON on koppel.order.raw.* into canonical orders on
// koppel.order.received.*. Run several for more throughput.
package main

import (
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

	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/webshop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "normalizer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("normalizer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	workers := fs.Int("workers", 8, "messages handled at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "normalizer")
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" {
		return errors.New("nats.url is empty: the normalizer service needs a NATS server (use `koppel run` for the embedded one)")
	}
	nc, js, err := pipeline.Connect(cfg.NATS.URL, "koppel-normalizer", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := pipeline.EnsureStreams(ctx, js, pipeline.StreamConfig{DuplicateWindow: time.Duration(cfg.NATS.DuplicateWindow), Replicas: cfg.NATS.Replicas}); err != nil {
		return err
	}
	adapters, err := webshop.ForProfiles(cfg.Profiles)
	if err != nil {
		return err
	}
	log.Info("normalizer running", "profiles", len(adapters))
	return normalize.Stage(adapters, pipeline.Stage{Workers: *workers, Logger: log, TracerProvider: telemetry.NewTracerProvider()}).Run(ctx, js)
}
