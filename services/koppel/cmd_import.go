package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/poller"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

// importCmd imports a profile's orders by hand: every order modified since
// --since is published to the pipeline, with progress per page. An
// interrupted import continues with --resume.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file")
	natsURL := fs.String("nats", "", "NATS server URL (default: nats.url, or the running koppel's embedded server)")
	prof := fs.String("profile", "", "profile to import (required)")
	sinceText := fs.String("since", "", "import orders modified since this time (RFC 3339, or a duration back from now such as 72h); default 24h")
	resume := fs.Bool("resume", false, "continue the profile's interrupted import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prof == "" {
		return errors.New("import: --profile is required")
	}
	since := time.Now().Add(-24 * time.Hour)
	if *sinceText != "" {
		var err error
		if since, err = parseSince(*sinceText, time.Now()); err != nil {
			return err
		}
	}
	cfg, err := profile.Load(*configPath, lookupEnv)
	if err != nil {
		return err
	}
	if _, ok := cfg.Profile(*prof); !ok {
		return fmt.Errorf("import: no profile %q in %s", *prof, *configPath)
	}
	url := *natsURL
	if url == "" {
		url = cfg.NATS.URL
	}
	if url == "" {
		url = "nats://" + cfg.NATS.Listen
	}
	log := slog.New(slog.DiscardHandler)
	nc, js, err := pipeline.Connect(url, "koppel-import", log)
	if err != nil {
		return fmt.Errorf("%w (is koppel running?)", err)
	}
	defer nc.Close()
	store, err := allinone.OpenStore(ctx, cfg, js)
	if err != nil {
		return err
	}
	defer store.Close()
	pollers, err := allinone.Pollers(ctx, cfg, js, store, log)
	if err != nil {
		return err
	}
	pl, ok := pollers[*prof]
	if !ok {
		return fmt.Errorf("import: profile %s has no shop to poll: set webshop.url and its API credentials", *prof)
	}
	start := time.Now()
	progress := func(p poller.Progress) {
		state := "importing"
		if p.Done {
			state = "done"
		}
		fmt.Fprintf(stdout, "%s: %d page(s), %d order(s) found, %d new, %d already stored; at %s (%s)\n", state, p.Pages, p.Found,
			p.Published, p.Known, p.Position.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second))
	}
	var res poller.Result
	if *resume {
		res, err = pl.Resume(ctx, progress)
	} else {
		fmt.Fprintf(stdout, "importing %s: orders modified since %s\n", *prof, since.UTC().Format(time.RFC3339))
		res, err = pl.Import(ctx, since, progress)
	}
	if errors.Is(err, poller.ErrBusy) {
		return fmt.Errorf("import: %w; try again when it is done", err)
	}
	if err != nil {
		return fmt.Errorf("import stopped after %d page(s): %w\ncontinue with: koppel import --profile %s --resume", res.Pages, err, *prof)
	}
	return nil
}

// parseSince reads an RFC 3339 time, a date, or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: use a time such as 2026-11-01T00:00:00Z, a date such as 2026-11-01, or a duration such as 72h", s)
}
