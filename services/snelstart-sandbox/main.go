// Command snelstart-sandbox serves a stand-in for SnelStart's B2B API v2 and
// its token endpoint (package snelstartsandbox) for demos, tests and load:
// POST /b2b/token and /v2/... on one address, with state in memory, an
// optional seed and snapshot file, rate limits and injected faults.
//
//	snelstart-sandbox --addr 127.0.0.1:8090 --seed seed.yaml --snapshot state.json
//
// With the default seed, client key "demo" opens the administration "Koppel
// Demo" and "demo" is the subscription key. /_sandbox/faults and
// /_sandbox/stats are the sandbox's own control API, not SnelStart's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "snelstart-sandbox:", err)
		os.Exit(1)
	}
}

// faultFlags collects repeated --fault values, each a fault in JSON.
type faultFlags []snelstartsandbox.Fault

func (f *faultFlags) String() string { return fmt.Sprint(len(*f)) + " faults" }

func (f *faultFlags) Set(s string) error {
	var fault snelstartsandbox.Fault
	if err := json.Unmarshal([]byte(s), &fault); err != nil {
		return fmt.Errorf("fault %s: %w", s, err)
	}
	*f = append(*f, fault)
	return nil
}

var rateLimits = map[string]snelstartsandbox.RateLimit{
	"demo":      snelstartsandbox.RateLimitDemo,
	"devtest":   snelstartsandbox.RateLimitDevTest,
	"productie": snelstartsandbox.RateLimitProductie,
	"none":      {},
}

// run serves the sandbox until ctx is done; the banner goes to stdout, the
// log to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("snelstart-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	seedFile := fs.String("seed", "", "seed file, JSON or YAML (default: the built-in demo seed)")
	snapshot := fs.String("snapshot", "", "snapshot file: loaded at start if it exists, written at shutdown")
	snapshotEvery := fs.Duration("snapshot-interval", 0, "also write the snapshot this often (0: only at shutdown)")
	tokenLifetime := fs.Duration("token-lifetime", snelstartsandbox.DefaultTokenLifetime, "access token lifetime")
	rate := fs.String("rate-limit", "demo", "rate limit per administration: demo (6000/min, 50 concurrent), devtest (100/min, 1000/h, 5), productie (500/min, 5000/h, 50) or none")
	perMinute := fs.Int("rate-per-minute", -1, "override the calls per minute (0: no limit)")
	perHour := fs.Int("rate-per-hour", -1, "override the calls per hour (0: no limit)")
	concurrent := fs.Int("rate-concurrent", -1, "override the concurrent calls (0: no limit)")
	vat := fs.String("vat", "per-rate", "VAT rounding: per-rate or per-line")
	rounding := fs.String("rounding", "half-up", "half-cent rounding: half-up or half-even")
	var faults faultFlags
	fs.Var(&faults, "fault", `fault to inject, in JSON, repeatable: '{"kind":"error","method":"POST","path":"/v2/verkooporders","status":503,"probability":0.1}'`)
	faultSeed := fs.Uint64("fault-seed", 1, "seed of probabilistic faults")
	verbose := fs.Bool("v", false, "log every call")
	if err := fs.Parse(args); err != nil {
		return err
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("service", "snelstart-sandbox")
	opts := snelstartsandbox.Options{SnapshotFile: *snapshot, SnapshotInterval: *snapshotEvery, TokenLifetime: *tokenLifetime,
		Faults: faults, FaultSeed: *faultSeed}
	if *seedFile != "" {
		seed, err := snelstartsandbox.LoadSeed(*seedFile)
		if err != nil {
			return err
		}
		opts.Seed = &seed
	}
	lim, ok := rateLimits[*rate]
	if !ok {
		return fmt.Errorf("--rate-limit %q: want demo, devtest, productie or none", *rate)
	}
	for _, o := range []struct {
		v   int
		dst *int
	}{{*perMinute, &lim.PerMinute}, {*perHour, &lim.PerHour}, {*concurrent, &lim.Concurrent}} {
		if o.v >= 0 {
			*o.dst = o.v
		}
	}
	opts.RateLimit = &lim
	switch *vat {
	case "per-rate":
		opts.VAT = snelstartsandbox.VATPerRate
	case "per-line":
		opts.VAT = snelstartsandbox.VATPerLine
	default:
		return fmt.Errorf("--vat %q: want per-rate or per-line", *vat)
	}
	switch *rounding {
	case "half-up":
		opts.Rounding = snelstartsandbox.RoundHalfUp
	case "half-even":
		opts.Rounding = snelstartsandbox.RoundHalfEven
	default:
		return fmt.Errorf("--rounding %q: want half-up or half-even", *rounding)
	}

	fmt.Fprintf(stdout, "SnelStart sandbox on http://%s: token POST /b2b/token, API /v2 (default seed: client key demo, subscription key demo); started %s\n",
		*addr, time.Now().Format(time.RFC3339))
	return snelstartsandbox.Serve(ctx, *addr, opts, log)
}
