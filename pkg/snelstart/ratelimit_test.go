package snelstart_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

func TestLimiterConcurrency(t *testing.T) {
	f := newFake(t)
	var inFlight, peak atomic.Int32
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		writeJSON(w, 200, snelstart.CompanyInfo{})
	})
	c := f.client(func(c *snelstart.Config) {
		c.Limiter = nil
		c.Limits = snelstart.Limits{MaxConcurrent: 2}
	})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := c.CompanyInfo(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got != 2 {
		t.Errorf("peak %d calls in flight, want 2", got)
	}
}

func TestLimiterBudget(t *testing.T) {
	// A test key: a burst of 5, then 95 per minute, so that no minute holds
	// more than 100.
	l := snelstart.NewRateLimiter(snelstart.TestKeyLimits())
	ctx := context.Background()
	start := time.Now()
	for range 6 {
		release, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 2*time.Second {
		t.Errorf("6 calls took %v, want about 60/95 s for the sixth", d)
	}

	tight := snelstart.NewRateLimiter(snelstart.Limits{PerMinute: 3, Burst: 2})
	for range 2 {
		release, err := tight.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := tight.Acquire(dctx); !errors.Is(err, snelstart.ErrRateLimited) || !snelstart.IsTemporary(err) {
		t.Errorf("over budget: %v, want ErrRateLimited", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("refusal took %v; it should not wait out a deadline it cannot meet", d)
	}
}

func TestLimiterPause(t *testing.T) {
	l := snelstart.NewRateLimiter(snelstart.Limits{})
	l.PauseUntil(time.Now().Add(300 * time.Millisecond))
	l.PauseUntil(time.Now()) // an earlier end changes nothing
	start := time.Now()
	release, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("waited %v, want the pause", d)
	}
	l.PauseUntil(time.Now().Add(10 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, snelstart.ErrRateLimited) {
		t.Errorf("pause past the deadline: %v", err)
	}
}

func TestLimiterLongPauseFailsFast(t *testing.T) {
	l := snelstart.NewRateLimiter(snelstart.Limits{MaxPauseWait: time.Second})
	l.PauseUntil(time.Now().Add(time.Hour)) // the gateway's hourly quota
	start := time.Now()
	_, err := l.Acquire(context.Background())
	if !errors.Is(err, snelstart.ErrRateLimited) || !snelstart.IsTemporary(err) {
		t.Fatalf("error %v, want ErrRateLimited", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusal took %v", d)
	}
	if ra := snelstart.RetryAfter(err); ra < 59*time.Minute || ra > time.Hour {
		t.Errorf("RetryAfter %v, want about an hour", ra)
	}
}
