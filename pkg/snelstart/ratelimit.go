package snelstart

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A Limiter decides when a call to one SnelStart administration may start.
// SnelStart limits calls per administration (snelstart-api.md §2.1), so
// every [Client] of one administration in a process must share one
// Limiter; a deployment of several processes needs one that shares its
// budget between them (for example through Redis).
//
// [RateLimiter] is the in-process implementation.
type Limiter interface {
	// Acquire blocks until a call may start, or returns an error wrapping
	// [ErrRateLimited] or the context's error when it cannot start in
	// time. The caller calls release when the call has ended (its
	// response read or failed), exactly once.
	Acquire(ctx context.Context) (release func(), err error)
	// PauseUntil stops new calls from starting before t, as a 429's
	// Retry-After asks. An earlier t than a pause in force changes
	// nothing.
	PauseUntil(t time.Time)
}

// Limits are the budget of calls to one administration. A count ≤ 0 sets
// no limit of that kind.
type Limits struct {
	PerMinute     int // calls started in any 60 s
	PerHour       int // calls started in any hour
	MaxConcurrent int // calls in flight at once
	// Burst is how many calls may start at once after a quiet spell;
	// default MaxConcurrent (at least 1). The steady rate is lowered by
	// the burst so that no window of a minute (or an hour) holds more than
	// PerMinute (PerHour) calls: (PerMinute−Burst) per minute.
	Burst int
	// MaxPauseWait is the longest Acquire waits out a pause that a
	// Retry-After set; a longer pause (such as the gateway's hourly quota)
	// fails at once with [ErrRateLimited], whose [RetryAfter] says how
	// long is left. Default 30 s.
	MaxPauseWait time.Duration
}

// TestKeyLimits returns the limits of an "Ontwikkeling & Test" subscription
// key: 100 calls per minute, 1 000 per hour and 5 at once per
// administration (snelstart-api.md §2.1, a transcription of SnelStart's
// portal; medium confidence). A steady rate of 95 per minute, about 1.6 per
// second, follows.
func TestKeyLimits() Limits { return Limits{PerMinute: 100, PerHour: 1000, MaxConcurrent: 5} }

// ProductionKeyLimits returns the limits of a "Maatwerk" or "Productie"
// key: 500 calls per minute, 5 000 per hour and 50 at once per
// administration (snelstart-api.md §2.1).
func ProductionKeyLimits() Limits { return Limits{PerMinute: 500, PerHour: 5000, MaxConcurrent: 50} }

// A RateLimiter is the in-process [Limiter] of one administration: token
// buckets for the per-minute and per-hour budgets, a semaphore for the
// concurrent calls, and a pause that a 429's Retry-After sets. The zero
// value is not usable; use [NewRateLimiter]. It is safe for concurrent use.
type RateLimiter struct {
	minute, hour *rate.Limiter // nil: no such budget
	slots        chan struct{} // nil: no concurrency limit
	maxWait      time.Duration

	mu          sync.Mutex
	pausedUntil time.Time
}

// NewRateLimiter returns a RateLimiter with limits l.
func NewRateLimiter(l Limits) *RateLimiter {
	burst := l.Burst
	if burst <= 0 {
		burst = max(1, l.MaxConcurrent)
	}
	rl := &RateLimiter{maxWait: l.MaxPauseWait}
	if rl.maxWait <= 0 {
		rl.maxWait = 30 * time.Second
	}
	if l.PerMinute > 0 {
		rl.minute = bucket(l.PerMinute, burst, time.Minute)
	}
	if l.PerHour > 0 {
		rl.hour = bucket(l.PerHour, max(burst, l.PerMinute), time.Hour)
	}
	if l.MaxConcurrent > 0 {
		rl.slots = make(chan struct{}, l.MaxConcurrent)
	}
	return rl
}

// bucket returns a token bucket that lets no more than n calls start in
// any window of length per: a bucket of burst b refilled at (n−b) per
// window starts at most b + (n−b) calls in a window.
func bucket(n, burst int, per time.Duration) *rate.Limiter {
	if n == 1 {
		return rate.NewLimiter(rate.Every(per), 1)
	}
	b := min(burst, n-1)
	return rate.NewLimiter(rate.Limit(float64(n-b)/per.Seconds()), b)
}

// Acquire implements [Limiter]. It waits for a pause to end, then for a
// free slot, then for the budgets; it fails at once with [ErrRateLimited]
// when the wait would outlast ctx's deadline.
func (l *RateLimiter) Acquire(ctx context.Context) (func(), error) {
	if err := l.waitPause(ctx); err != nil {
		return nil, err
	}
	release := func() {}
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for a free slot: %w", ErrRateLimited, ctx.Err())
		}
		var once sync.Once
		release = func() { once.Do(func() { <-l.slots }) }
	}
	for _, b := range []*rate.Limiter{l.minute, l.hour} {
		if b == nil {
			continue
		}
		if err := b.Wait(ctx); err != nil {
			release()
			return nil, fmt.Errorf("%w: %w", ErrRateLimited, err)
		}
	}
	// A 429 may have come in while this call waited.
	if err := l.waitPause(ctx); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// PauseUntil implements [Limiter].
func (l *RateLimiter) PauseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
}

// PausedUntil returns the end of the pause in force, or the zero time.
func (l *RateLimiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Now().Before(l.pausedUntil) {
		return l.pausedUntil
	}
	return time.Time{}
}

func (l *RateLimiter) waitPause(ctx context.Context) error {
	for {
		until := l.PausedUntil()
		if until.IsZero() {
			return nil
		}
		if dl, ok := ctx.Deadline(); ok && dl.Before(until) || time.Until(until) > l.maxWait {
			return &pauseError{until: until}
		}
		t := time.NewTimer(time.Until(until))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: paused by a Retry-After: %w", ErrRateLimited, ctx.Err())
		}
	}
}

// A pauseError is an Acquire refused because of a pause in force.
type pauseError struct{ until time.Time }

func (e *pauseError) Error() string {
	return fmt.Sprintf("snelstart: rate limited: SnelStart asked to pause calls to this administration until %s", e.until.Format(time.RFC3339))
}

func (e *pauseError) Unwrap() error { return ErrRateLimited }

// RetryAfter returns how long SnelStart asked to wait before a call that
// failed with err is made again: the Retry-After (or the gateway's "try
// again in" or "replenished in") of an *[Error], or what is left of a
// pause that made the [RateLimiter] refuse the call. It returns 0 when
// err says nothing about it; use your own backoff then.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	var p *pauseError
	if errors.As(err, &p) {
		return max(0, time.Until(p.until))
	}
	return 0
}
