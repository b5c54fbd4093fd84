package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

func runCmd(ctx context.Context, args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	logFormat := fs.String("log", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	return allinone.Run(ctx, cfg, log, allinone.Options{})
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log: %q is not text or json", format)
	}
}
