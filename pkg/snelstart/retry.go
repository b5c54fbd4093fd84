package snelstart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// A RetryPolicy says how a [Client] retries reads (GET) and token calls
// that failed temporarily ([IsTemporary]): after a randomised, exponentially
// growing wait, at most MaxAttempts times in all and not past MaxElapsed.
// A 429's Retry-After pauses the administration's [Limiter], so the next
// attempt waits at least that long; a Retry-After longer than
// MaxRetryAfter ends the retries at once (the caller's own redelivery
// should wait instead). Writes are never retried.
//
// A zero field takes its value from [DefaultRetryPolicy].
type RetryPolicy struct {
	MaxAttempts     int           // attempts in all, the first included; 1 disables retries
	InitialInterval time.Duration // the first wait
	MaxInterval     time.Duration // the longest wait
	MaxElapsed      time.Duration // no attempt starts after this much time since the first
	MaxRetryAfter   time.Duration // the longest Retry-After to wait out
}

// DefaultRetryPolicy returns the policy a zero [RetryPolicy] stands for:
// 4 attempts, waits from 500 ms up to 10 s, within 1 minute, waiting out a
// Retry-After of at most 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:     4,
		InitialInterval: 500 * time.Millisecond,
		MaxInterval:     10 * time.Second,
		MaxElapsed:      time.Minute,
		MaxRetryAfter:   30 * time.Second,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialInterval <= 0 {
		p.InitialInterval = d.InitialInterval
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = max(d.MaxInterval, p.InitialInterval)
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = d.MaxElapsed
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	return p
}

// run calls attempt until it succeeds, fails for good, or the policy is
// used up; it returns the last error.
func (p RetryPolicy) run(ctx context.Context, log *slog.Logger, op string, attempt func() error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.InitialInterval
	b.MaxInterval = p.MaxInterval
	b.Reset()
	start := time.Now()
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || n >= p.MaxAttempts || !p.retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := b.NextBackOff()
		if time.Since(start)+wait > p.MaxElapsed {
			return err
		}
		log.WarnContext(ctx, "snelstart call failed; retrying", "op", op, "attempt", n, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("snelstart: %s: %w while waiting to retry; last failure: %w", op, ctx.Err(), err)
		}
	}
}

func (p RetryPolicy) retryable(err error) bool {
	if !IsTemporary(err) || errors.Is(err, ErrRateLimited) {
		// The client's own limiter already waited as long as the context
		// allows.
		return false
	}
	var oe *opError
	if errors.As(err, &oe) && oe.final {
		return false
	}
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > p.MaxRetryAfter {
		return false
	}
	return true
}
