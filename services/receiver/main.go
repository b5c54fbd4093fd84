// Command receiver is koppel's webhook intake as its own service: it
// verifies each delivery and stores it in JetStream before answering 202.
// It needs a NATS server (nats.url); `koppel run` is the all-in-one form.
package main

import (
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

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/webshop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "receiver")
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if cfg.NATS.URL == "" {
		return errors.New("nats.url is empty: the receiver service needs a NATS server (use `koppel run` for the embedded one)")
	}
	nc, js, err := pipeline.Connect(cfg.NATS.URL, "koppel-receiver", log)
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
	metrics, err := telemetry.NewMetrics()
	if err != nil {
		return err
	}
	var profiles []intake.Profile
	for id, a := range adapters {
		profiles = append(profiles, intake.Profile{ID: id, Adapter: a})
	}
	rcv, err := intake.New(intake.Options{Profiles: profiles, NC: nc, JS: js, BodyLimit: cfg.Server.BodyLimit,
		PublishTimeout: time.Duration(cfg.Server.PublishTimeout), Logger: log, Meter: metrics.Meter("koppel/receiver"),
		TracerProvider: telemetry.NewTracerProvider()})
	if err != nil {
		return err
	}
	rcv.Router().Handle("/metrics", metrics.Handler).Methods(http.MethodGet)
	srv := &http.Server{Addr: cfg.Server.Listen, Handler: rcv, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("receiver listening", "listen", cfg.Server.Listen)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
