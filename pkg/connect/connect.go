// Package connect builds koppel's SnelStart clients from the profiles: one
// client per profile, sharing a token source per client key and a rate
// limiter per administration (one client key is one administration), so
// that every stage and service in a process stays within one budget.
package connect

import (
	"cmp"
	"fmt"
	"log/slog"
	"strings"
	"sync"
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
	admins    map[string]*admin // by client key (one administration)
}

// admin is one administration's shared budget and its recent calls.
type admin struct {
	profiles []string
	limits   snelstart.Limits
	limiter  *snelstart.RateLimiter
	mu       sync.Mutex
	calls    []time.Time // completed calls in the last minute
}

func (a *admin) record() {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.trim(now), now)
}

func (a *admin) trim(now time.Time) []time.Time {
	cut := 0
	for cut < len(a.calls) && now.Sub(a.calls[cut]) > time.Minute {
		cut++
	}
	return a.calls[cut:]
}

// Usage is one administration's use of its SnelStart budget.
type Usage struct {
	Profiles        []string  `json:"profiles"`
	CallsLastMinute int       `json:"calls_last_minute"`
	PerMinute       int       `json:"per_minute"`
	MaxConcurrent   int       `json:"max_concurrent"`
	PausedUntil     time.Time `json:"paused_until,omitzero"` // after a 429
}

// Usage returns each administration's use of its rate limit, keyed by the
// profiles that share it (client keys are secret and never shown).
func (c *Clients) Usage() map[string]Usage {
	out := map[string]Usage{}
	now := time.Now()
	for _, a := range c.admins {
		a.mu.Lock()
		a.calls = a.trim(now)
		u := Usage{Profiles: a.profiles, CallsLastMinute: len(a.calls), PerMinute: a.limits.PerMinute,
			MaxConcurrent: a.limits.MaxConcurrent, PausedUntil: a.limiter.PausedUntil()}
		a.mu.Unlock()
		out[strings.Join(a.profiles, ",")] = u
	}
	return out
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
	out := &Clients{byProfile: map[string]*snelstart.Client{}, admins: map[string]*admin{}}
	// An administration's budget is shared by every profile on its client
	// key; when they configure different limits, the strictest wins.
	keyOf := func(p profile.Profile) string {
		auth, key := "", p.SnelStart.ClientKey
		if p.SnelStart.Sandbox {
			auth = strings.TrimRight(o.SandboxURL, "/")
			key = cmp.Or(key, "demo")
		}
		return auth + "\x00" + key
	}
	budgets := map[string]snelstart.Limits{}
	for _, p := range profiles {
		k := keyOf(p)
		l, seen := budgets[k]
		if !seen {
			l = snelstart.ProductionKeyLimits()
		}
		if pm := p.SnelStart.RateLimit.PerMinute; pm > 0 && (!seen || l.PerHour != 0 || pm < l.PerMinute) {
			l.PerMinute, l.PerHour = pm, 0
		}
		if c := p.SnelStart.RateLimit.Concurrent; c > 0 && (c < l.MaxConcurrent) {
			l.MaxConcurrent = c
		}
		budgets[k] = l
	}
	for _, p := range profiles {
		ss := p.SnelStart
		cfg := snelstart.Config{ClientKey: ss.ClientKey, SubscriptionKey: ss.SubscriptionKey, OnCall: o.OnCall, Logger: o.Logger}
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
		key := keyOf(p)
		limits := budgets[key]
		if tokens[key] == nil {
			ts, err := snelstart.NewTokenSource(snelstart.TokenSourceConfig{AuthURL: cfg.AuthURL, ClientKey: cfg.ClientKey, Logger: o.Logger, OnCall: o.OnCall})
			if err != nil {
				return nil, fmt.Errorf("connect: profile %s: %w", p.ID, err)
			}
			tokens[key] = ts
			out.admins[key] = &admin{limits: limits, limiter: snelstart.NewRateLimiter(limits)}
		}
		a := out.admins[key]
		a.profiles = append(a.profiles, p.ID)
		cfg.Tokens, cfg.Limiter = tokens[key], a.limiter
		cfg.OnCall = func(method, path string, status int, dur time.Duration) {
			a.record()
			if o.OnCall != nil {
				o.OnCall(method, path, status, dur)
			}
		}
		cl, err := snelstart.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("connect: profile %s: %w", p.ID, err)
		}
		out.byProfile[p.ID] = cl
	}
	return out, nil
}
