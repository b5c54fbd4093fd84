// Package allinone runs every koppel service in one process around an
// embedded NATS server: the deployment a newcomer starts with one command
// and a small shop can run for real.
package allinone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/dashboard"
	"github.com/koppel/koppel/pkg/embeddednats"
	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/webshop"
)

// Options tunes Run beyond the config file.
type Options struct {
	// Started, when set, is called with koppel's addresses once it
	// accepts webhooks.
	Started func(Addrs)
}

// Addrs are where a running koppel can be reached.
type Addrs struct {
	HTTP             string // host:port of the webhooks, admin API and dashboard
	NATS             string // NATS client URL
	SnelStartSandbox string // base URL of the in-process SnelStart sandbox, if any
}

// Run starts koppel as configured and serves until ctx ends, then shuts
// down in order: stop taking webhooks, drain the stages, close the bus.
func Run(ctx context.Context, cfg *profile.Config, log *slog.Logger, o Options) error {
	natsURL := cfg.NATS.URL
	var srv *server.Server
	if natsURL == "" {
		host, port, err := splitHostPort(cfg.NATS.Listen)
		if err != nil {
			return fmt.Errorf("nats.listen: %w", err)
		}
		dir, err := filepath.Abs(cfg.NATS.StoreDir)
		if err != nil {
			return fmt.Errorf("nats.store_dir: %w", err)
		}
		srv, err = embeddednats.Start(embeddednats.Options{StoreDir: dir, Host: host, Port: port})
		if err != nil {
			return err
		}
		defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
		natsURL = srv.ClientURL()
		log.Info("embedded nats started", "url", natsURL, "store_dir", dir)
	}
	nc, js, err := pipeline.Connect(natsURL, "koppel", log)
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
	sandboxURL, closeSandbox, err := StartSandbox(cfg, log)
	if err != nil {
		return err
	}
	defer closeSandbox()
	clients, err := connect.SnelStartClients(cfg.Profiles, connect.Options{SandboxURL: sandboxURL, Logger: log.With("service", "snelstart")})
	if err != nil {
		return err
	}
	store, err := OpenStore(ctx, cfg, js)
	if err != nil {
		return err
	}
	defer store.Close()
	sched, err := Schedule(ctx, cfg, js, store, log)
	if err != nil {
		return err
	}
	metrics, err := telemetry.NewMetrics()
	if err != nil {
		return err
	}
	defer metrics.Provider.Shutdown(context.WithoutCancel(ctx))
	tracing := telemetry.NewTracerProvider()
	defer tracing.Shutdown(context.WithoutCancel(ctx))

	var profiles []intake.Profile
	for _, p := range cfg.Profiles {
		if a, ok := adapters[p.ID]; ok {
			profiles = append(profiles, intake.Profile{ID: p.ID, Adapter: a})
		}
	}
	rcv, err := intake.New(intake.Options{
		Profiles:       profiles,
		NC:             nc,
		JS:             js,
		BodyLimit:      cfg.Server.BodyLimit,
		PublishTimeout: time.Duration(cfg.Server.PublishTimeout),
		Logger:         log.With("service", "receiver"),
		Meter:          metrics.Meter("koppel/receiver"),
		TracerProvider: tracing,
	})
	if err != nil {
		return err
	}
	rcv.Router().Handle("/metrics", metrics.Handler).Methods(http.MethodGet)
	health := func(context.Context) map[string]any { return map[string]any{"snelstart_rate_limits": clients.Usage()} }
	admin.New(admin.Options{Token: cfg.Server.AdminToken, Config: cfg, JS: js, Tasks: sched, Import: sched.Import, Health: health,
		Logger: log.With("service", "admin")}).Register(rcv.Router())
	dashboard.New(dashboard.Options{Token: cfg.Server.AdminToken, Config: cfg, JS: js, Tasks: sched, Logger: log.With("service", "dashboard")}).Register(rcv.Router())

	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("server.listen: %w", err)
	}
	httpSrv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}

	stageCtx, stopStages := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStages()
	sched.ctx = stageCtx
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	stages, err := Stages(cfg, adapters, clients, store, metrics, tracing, log)
	if err != nil {
		return err
	}
	for _, st := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.Run(stageCtx, js); err != nil {
				errc <- fmt.Errorf("stage %s: %w", st.Name, err)
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); sched.Run(stageCtx) }()
	go func() {
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	log.Info("koppel started", "listen", ln.Addr().String(), "profiles", len(profiles))
	if o.Started != nil {
		o.Started(Addrs{HTTP: ln.Addr().String(), NATS: natsURL, SnelStartSandbox: sandboxURL})
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	log.Info("koppel stopping")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	stopStages()
	wg.Wait()
	if err := nc.Drain(); err != nil {
		log.Warn("nats drain", "err", err)
	}
	return runErr
}

func splitHostPort(addr string) (string, int, error) {
	if addr == "" {
		return "127.0.0.1", 4222, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var p int
	if _, err := fmt.Sscan(port, &p); err != nil {
		return "", 0, fmt.Errorf("port %q: %w", port, err)
	}
	if p == 0 {
		p = -1 // any free port
	}
	return host, p, nil
}
