package snelstartsandbox_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func TestRateLimitPerMinute(t *testing.T) {
	seed := snelstartsandbox.DefaultSeed()
	other := seed.Administraties[0]
	other.ClientKey = "other"
	other.CompanyInfo.AdministratieIdentifier = "0d0d0d0d-0000-4000-8000-000000000002"
	seed.Administraties = append(seed.Administraties, other)
	e := newEnv(t, snelstartsandbox.Options{Seed: &seed, RateLimit: &snelstartsandbox.RateLimit{PerMinute: 3}})
	for range 3 {
		wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	}
	r := e.call(http.MethodGet, snelstart.PathLanden, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "60" ||
		string(r.body) != `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 60 seconds."}` {
		t.Fatalf("4th call: %d, Retry-After %q, %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if se := r.err(); !se.Temporary() || se.RetryAfter != time.Minute {
		t.Errorf("parsed 429: temporary %v, retry after %s", se.Temporary(), se.RetryAfter)
	}
	// Each administration has its own budget; token calls do not count.
	o := *e
	o.key, o.token = "other", ""
	wantStatus(t, o.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	e.login()

	e.clock.advance(45 * time.Second)
	if r := e.call(http.MethodGet, snelstart.PathLanden, nil); r.status != 429 || r.header.Get("Retry-After") != "15" {
		t.Errorf("after 45 s: %d, Retry-After %q; want 429, 15", r.status, r.header.Get("Retry-After"))
	}
	e.clock.advance(15 * time.Second)
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)

	e.sb.SetRateLimit(snelstartsandbox.RateLimit{})
	for range 10 {
		wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	}
}

func TestRateLimitPerHour(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{RateLimit: &snelstartsandbox.RateLimit{PerHour: 2}})
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	e.clock.advance(30 * time.Minute)
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	r := e.call(http.MethodGet, snelstart.PathLanden, nil)
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "Out of call volume quota. Quota will be replenished in 00:30:00.") {
		t.Fatalf("over the hourly quota: %d %s", r.status, r.body)
	}
	if se := r.err(); !se.Temporary() || se.RetryAfter != 30*time.Minute {
		t.Errorf("parsed quota answer: temporary %v, retry after %s", se.Temporary(), se.RetryAfter)
	}
}

// TestRateLimitConcurrent holds two calls in the sandbox with a timeout
// fault, so that a third gets 429.
func TestRateLimitConcurrent(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{RateLimit: &snelstartsandbox.RateLimit{Concurrent: 2}})
	e.login()
	if _, err := e.sb.AddFault(snelstartsandbox.Fault{Kind: snelstartsandbox.FaultTimeout, Method: "GET", Path: snelstart.PathRelaties, Count: 2}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		req := e.request(http.MethodGet, snelstart.PathRelaties, nil).WithContext(ctx)
		wg.Go(func() {
			if resp, err := e.srv.Client().Do(req); err == nil {
				resp.Body.Close()
				t.Error("a hanging call was answered")
			}
		})
	}
	// The probe is a cheap call: while it runs it holds a slot, and a
	// hanging call that arrives then is refused instead of held.
	var r response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if r = e.call(http.MethodGet, snelstart.EchoPath("x"), nil); r.status == http.StatusTooManyRequests {
			break
		}
	}
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.body), `"statusCode":429`) {
		t.Errorf("third concurrent call: %d, Retry-After %q, %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	cancel()
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if r = e.call(http.MethodGet, snelstart.PathLanden, nil); r.status == http.StatusOK {
			break
		}
	}
	wantStatus(t, r, http.StatusOK)
}
