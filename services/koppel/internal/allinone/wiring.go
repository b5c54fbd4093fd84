package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"go.opentelemetry.io/otel/trace"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/booker"
	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/poller"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/schedule"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/vat"
	"github.com/koppel/koppel/pkg/vatnumber"
	"github.com/koppel/koppel/pkg/webshop"
)

// OpenStore opens the idempotency store the config names: Redis when
// idempotency.redis_url is set, else the JetStream KV buckets.
func OpenStore(ctx context.Context, cfg *profile.Config, js jetstream.JetStream) (idempotency.Store, error) {
	return idempotency.Open(ctx, cfg.Idempotency.RedisURL, js, cfg.NATS.Replicas)
}

// Stages returns every pipeline stage koppel runs: normalize, customers,
// articles and booker.
func Stages(cfg *profile.Config, adapters map[string]webshop.Adapter, clients *connect.Clients, store idempotency.Store,
	metrics *telemetry.Metrics, tracing trace.TracerProvider, log *slog.Logger) ([]*pipeline.Stage, error) {
	owner := Owner()
	base := func(service string) pipeline.Stage {
		return pipeline.Stage{Logger: log.With("service", service), TracerProvider: tracing}
	}
	// One reading of each administration's VAT facts (rate table, OSS,
	// member states' rates) for both stages that decide the regime.
	facts := &vat.Source{}
	cust, err := customers.Stage(customers.Options{Profiles: cfg.Profiles, Clients: clients.Get, Store: store, Owner: owner,
		VIESURL: vatnumber.DefaultVIESURL, VAT: facts, Logger: log.With("service", "customers")}, base("customers"))
	if err != nil {
		return nil, err
	}
	arts, err := articles.Stage(articles.Options{Profiles: cfg.Profiles, Clients: clients.Get, Store: store, Owner: owner, VAT: facts,
		Logger: log.With("service", "articles")}, base("articles"))
	if err != nil {
		return nil, err
	}
	settings, err := booker.SettingsFor(cfg.Profiles)
	if err != nil {
		return nil, err
	}
	book, err := booker.Stage(booker.Options{Profiles: settings, Clients: clients.Get, Store: store, Owner: owner,
		Logger: log.With("service", "booker"), Meter: metrics.Meter("koppel/booker")}, base("booker"))
	if err != nil {
		return nil, err
	}
	return []*pipeline.Stage{
		normalize.Stage(adapters, base("normalizer")),
		cust, arts, book,
	}, nil
}

// StartSandbox starts the SnelStart sandbox in-process when a profile uses
// it, and returns its URL (empty when none does) and a function that stops
// it and writes its snapshot.
func StartSandbox(cfg *profile.Config, log *slog.Logger) (string, func(), error) {
	used := false
	for _, p := range cfg.Profiles {
		used = used || p.SnelStart.Sandbox
	}
	if !used {
		return "", func() {}, nil
	}
	if cfg.Sandbox.URL != "" {
		log.Info("using the SnelStart sandbox at", "url", cfg.Sandbox.URL)
		return cfg.Sandbox.URL, func() {}, nil
	}
	opts := snelstartsandbox.Options{SnapshotFile: cfg.Sandbox.Snapshot, Logger: log.With("service", "snelstart-sandbox")}
	if cfg.Sandbox.Seed != "" {
		seed, err := snelstartsandbox.LoadSeed(cfg.Sandbox.Seed)
		if err != nil {
			return "", nil, fmt.Errorf("sandbox.seed: %w", err)
		}
		opts.Seed = &seed
	}
	sb, err := snelstartsandbox.New(opts)
	if err != nil {
		return "", nil, err
	}
	if err := sb.Start(cfg.Sandbox.Listen); err != nil {
		return "", nil, fmt.Errorf("sandbox.listen: %w", err)
	}
	log.Info("SnelStart sandbox started", "url", sb.URL())
	return sb.URL(), func() { sb.Close() }, nil
}

// Owner names this process in leases: host and pid.
func Owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// Pollers returns a poller for every profile whose shop koppel can poll
// (a URL and credentials), keyed by profile id.
func Pollers(ctx context.Context, cfg *profile.Config, js jetstream.JetStream, store idempotency.Store, log *slog.Logger) (map[string]*poller.Poller, error) {
	cursors, err := poller.OpenCursors(ctx, js, cfg.NATS.Replicas)
	if err != nil {
		return nil, err
	}
	out := map[string]*poller.Poller{}
	for _, p := range cfg.Profiles {
		lister, ok, err := webshop.ListerFor(p)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.ID, err)
		}
		if !ok {
			continue
		}
		pl, err := poller.New(poller.Options{Profile: p.ID, Lister: lister, JS: js, Cursors: cursors, Leases: store,
			Owner: Owner(), Logger: log.With("service", "poller")})
		if err != nil {
			return nil, err
		}
		out[p.ID] = pl
	}
	return out, nil
}

// Schedule returns the scheduler with every profile's tasks: import_orders
// on schedule.import_orders (on demand when 0) for each pollable profile.
func Schedule(ctx context.Context, cfg *profile.Config, js jetstream.JetStream, store idempotency.Store, log *slog.Logger) (*Scheduler, error) {
	pollers, err := Pollers(ctx, cfg, js, store, log)
	if err != nil {
		return nil, err
	}
	s := schedule.New(log.With("service", "scheduler"))
	for _, p := range cfg.Profiles {
		pl, ok := pollers[p.ID]
		if !ok {
			continue
		}
		s.Add(schedule.Task{Profile: p.ID, Name: "import_orders", Interval: time.Duration(p.Schedule.ImportOrders),
			Run: func(ctx context.Context, _ func(string)) (string, error) {
				res, err := pl.Poll(ctx, nil)
				if errors.Is(err, poller.ErrBusy) {
					return "skipped: another koppel instance is polling this profile", nil
				}
				return fmt.Sprintf("%d found, %d new, %d page(s), cursor %s", res.Found, res.Published, res.Pages,
					res.Cursor.UTC().Format(time.RFC3339)), err
			}})
		// reconcile looks back over twice its interval (a day when it only
		// runs on demand) for orders that never arrived or are stuck.
		window := 2 * time.Duration(p.Schedule.Reconcile)
		if window <= 0 {
			window = 24 * time.Hour
		}
		s.Add(schedule.Task{Profile: p.ID, Name: "reconcile", Interval: time.Duration(p.Schedule.Reconcile),
			Run: func(ctx context.Context, _ func(string)) (string, error) {
				rep, err := pl.Reconcile(ctx, time.Now().Add(-window))
				return rep.String(), err
			}})
	}
	return &Scheduler{Scheduler: s, pollers: pollers}, nil
}

// Scheduler is the process's scheduler plus manual imports.
type Scheduler struct {
	*schedule.Scheduler
	pollers map[string]*poller.Poller
	ctx     context.Context
}

// Import starts a manual import of profile from since as the on-demand
// task "import", with its progress as the task's note.
func (s *Scheduler) Import(profile string, since time.Time) error {
	pl, ok := s.pollers[profile]
	if !ok {
		return fmt.Errorf("%w: profile %s has no shop to poll (webshop.url and API credentials)", admin.ErrUnknownTask, profile)
	}
	return s.Start(s.ctx, profile, "import", func(ctx context.Context, report func(string)) (string, error) {
		res, err := pl.Import(ctx, since, func(p poller.Progress) {
			report(fmt.Sprintf("%d page(s), %d found, %d new", p.Pages, p.Found, p.Published))
		})
		return fmt.Sprintf("since %s: %d found, %d new, %d page(s)", since.UTC().Format(time.RFC3339), res.Found, res.Published, res.Pages), err
	})
}
