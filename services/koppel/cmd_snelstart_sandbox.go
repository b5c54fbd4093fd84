package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// snelstartSandboxCmd serves the SnelStart sandbox on one address: the
// token endpoint /b2b/token and the API under /v2. Without --seed it has
// one demo administration opened by client key "demo" with subscription
// key "demo".
func snelstartSandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox snelstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	seedPath := fs.String("seed", "", "seed file (JSON or YAML); default: the built-in demo administration")
	snapshot := fs.String("snapshot", "", "keep the state in this file across restarts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := snelstartsandbox.Options{SnapshotFile: *snapshot}
	if *seedPath != "" {
		seed, err := snelstartsandbox.LoadSeed(*seedPath)
		if err != nil {
			return err
		}
		opts.Seed = &seed
	}
	fmt.Fprintf(stdout, "SnelStart sandbox on http://%s (token: /b2b/token, API: /v2/...)\n", *addr)
	if *seedPath == "" {
		fmt.Fprintln(stdout, "  demo administration: client key demo, subscription key demo")
	}
	return snelstartsandbox.Serve(ctx, *addr, opts, slog.New(slog.NewTextHandler(stderr, nil)))
}
