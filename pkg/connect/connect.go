// Package connect builds koppel's SnelStart clients from the profiles: one
// client per profile, sharing a token source per client key and a rate
// limiter per administration (one client key is one administration), so
// that every stage and service in a process stays within one budget.
package connect

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
)

// Options tunes SnelStartClients.
type Options struct {
	// SandboxURL is the base of the SnelStart sandbox (serving /b2b/token
	// and /v2/...) that profiles with snelstart.sandbox use, e.g.
	// http://127.0.0.1:8090.
	SandboxURL string
	// OnCall is called after every SnelStart call (metrics, calls per
	// order).
	OnCall func(method, path string, status int, dur time.Duration)
	Logger *slog.Logger
}

// Clients holds one SnelStart client per profile.
type Clients struct {
	byProfile map[string]*snelstart.Client
}

// Get returns profile's client.
func (c *Clients) Get(profileID string) (*snelstart.Client, error) {
	cl, ok := c.byProfile[profileID]
	if !ok {
		return nil, fmt.Errorf("connect: no SnelStart client for profile %q", profileID)
	}
	return cl, nil
}

// SnelStartClients returns a client for every profile. A sandbox profile
// without keys uses the sandbox's demo administration (client key and
// subscription key "demo").
func SnelStartClients(profiles []profile.Profile, o Options) (*Clients, error) {
	tokens := map[string]*snelstart.TokenSource{}
	limiters := map[string]snelstart.Limiter{}
	out := &Clients{byProfile: map[string]*snelstart.Client{}}
	for _, p := range profiles {
		ss := p.SnelStart
		cfg := snelstart.Config{ClientKey: ss.ClientKey, SubscriptionKey: ss.SubscriptionKey, OnCall: o.OnCall, Logger: o.Logger}
		limits := snelstart.ProductionKeyLimits()
		if ss.Sandbox {
			if o.SandboxURL == "" {
				return nil, fmt.Errorf("connect: profile %s uses the SnelStart sandbox, but none is running", p.ID)
			}
			base := strings.TrimRight(o.SandboxURL, "/")
			cfg.AuthURL, cfg.BaseURL = base, base
			if cfg.ClientKey == "" {
				cfg.ClientKey = "demo"
			}
			if cfg.SubscriptionKey == "" {
				cfg.SubscriptionKey = "demo"
			}
		}
		if ss.RateLimit.PerMinute > 0 {
			limits.PerMinute = ss.RateLimit.PerMinute
			limits.PerHour = 0
		}
		if ss.RateLimit.Concurrent > 0 {
			limits.MaxConcurrent = ss.RateLimit.Concurrent
		}
		key := cfg.AuthURL + "\x00" + cfg.ClientKey
		if tokens[key] == nil {
			ts, err := snelstart.NewTokenSource(snelstart.TokenSourceConfig{AuthURL: cfg.AuthURL, ClientKey: cfg.ClientKey, Logger: o.Logger, OnCall: o.OnCall})
			if err != nil {
				return nil, fmt.Errorf("connect: profile %s: %w", p.ID, err)
			}
			tokens[key] = ts
			limiters[key] = snelstart.NewRateLimiter(limits)
		}
		cfg.Tokens, cfg.Limiter = tokens[key], limiters[key]
		cl, err := snelstart.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect: profile %s: %w", p.ID, err)
		}
		out.byProfile[p.ID] = cl
	}
	return out, nil
}
