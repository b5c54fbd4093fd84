package snelstart_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

var (
	relatieID = snelstart.ID("75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae")
	artikelID = snelstart.ID("36cda20f-3b9b-4abe-8764-d0ec4b869707")
	orderID   = snelstart.ID("3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
	landID    = snelstart.ID("c4335f00-c6a6-48fd-b89f-108657d12ccf")
)

func TestErrorShapes(t *testing.T) {
	// The spec lists 400 only for writes; the statuses any operation may
	// give (401, 403, 404, 429, 5xx) are tried on a read.
	tests := map[string]struct {
		write       bool // PUT /v2/relaties/{id} instead of GET
		status      int
		body        string
		wantCodes   []string
		wantMsg     string // in Error()
		wantFields  bool
		temporary   bool
		permanent   bool
		badSubKey   bool
		wantAttempt int // requests that reached the handler
	}{
		"business rule array": {
			write: true, status: 400, body: `[{"errorCode":"REL-0061","message":"Email ongeldig"},{"errorCode":"REL-0007","message":"Naam moet gevuld zijn","details":"naam"}]`,
			wantCodes: []string{"REL-0061", "REL-0007"}, wantMsg: "400 Bad Request [REL-0061 REL-0007]: Email ongeldig; Naam moet gevuld zijn - naam",
			permanent: true, wantAttempt: 1,
		},
		"odata Message": {
			write: true, status: 400, body: `{"Message":"Could not find a property named 'naam' on type 'SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel'."}`,
			wantMsg: "Could not find a property named 'naam'", permanent: true, wantAttempt: 1,
		},
		"model state": {
			write: true, status: 400, body: `{"message":"The request is invalid.","modelState":{"model.krediettermijn":["Ongeldige waarde"]}}`,
			wantMsg: "model.krediettermijn: Ongeldige waarde", wantFields: true, permanent: true, wantAttempt: 1,
		},
		"not found with code": {
			status: 404, body: `[{"errorCode":"REL-0005","message":"Relatie niet gevonden"}]`,
			wantCodes: []string{"REL-0005"}, permanent: true, wantAttempt: 1,
		},
		"not found Message": {
			status: 404, body: `{"Message":"No HTTP resource was found that matches the request URI."}`,
			wantMsg: "404 Not Found: No HTTP resource", permanent: true, wantAttempt: 1,
		},
		"missing scope": {
			status: 403, body: `{"message":"Indien niet de juiste scopes in het token aanwezig zijn."}`, permanent: true, wantAttempt: 1,
		},
		"gateway quota": {
			status: 403, body: `{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:00:00."}`,
			temporary: true, wantAttempt: 3,
		},
		"subscription key": {
			status: 401, body: `{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}`,
			permanent: true, badSubKey: true, wantAttempt: 1,
		},
		"server error, empty body": {
			status: 500, temporary: true, wantMsg: "500 Internal Server Error", wantAttempt: 3,
		},
		"bad gateway, code in text": {
			status: 502, body: `{"message":"upstream failed ALG-0102"}`, wantCodes: []string{"ALG-0102"}, temporary: true, wantAttempt: 3,
		},
		"rate limited": {
			status: 429, body: `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 0 seconds."}`, temporary: true, wantAttempt: 3,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			pattern, method := "GET /v2/relaties/{id}", "GET"
			if tc.write {
				pattern, method = "PUT /v2/relaties/{id}", "PUT"
			}
			f.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
				writeRaw(w, tc.status, tc.body)
			})
			c := f.client()
			var err error
			if tc.write {
				_, err = c.UpdateRelatie(context.Background(), &snelstart.Relatie{ID: relatieID, Naam: "Jansen"})
			} else {
				_, err = c.GetRelatie(context.Background(), relatieID)
			}
			if err == nil {
				t.Fatal("no error")
			}
			var apiErr *snelstart.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("%v: not an *Error", err)
			}
			if apiErr.Status != tc.status {
				t.Errorf("status %d, want %d", apiErr.Status, tc.status)
			}
			if fmt.Sprint(apiErr.Codes) != fmt.Sprint(tc.wantCodes) {
				t.Errorf("codes %v, want %v", apiErr.Codes, tc.wantCodes)
			}
			prefix := "snelstart: " + method + " /v2/relaties/" + string(relatieID) + ": "
			if !strings.HasPrefix(err.Error(), prefix) || strings.Contains(strings.TrimPrefix(err.Error(), prefix), "snelstart: ") {
				t.Errorf("error %q, want prefix %q once", err, prefix)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", err, tc.wantMsg)
			}
			if (apiErr.Fields != nil) != tc.wantFields {
				t.Errorf("fields %v", apiErr.Fields)
			}
			if got := snelstart.IsTemporary(err); got != tc.temporary {
				t.Errorf("IsTemporary = %v", got)
			}
			if got := snelstart.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := errors.Is(err, snelstart.ErrBadSubscriptionKey); got != tc.badSubKey {
				t.Errorf("ErrBadSubscriptionKey = %v", got)
			}
			if got := errors.Is(err, snelstart.ErrNotApplied); got != tc.write {
				t.Errorf("ErrNotApplied = %v: %v", got, err)
			}
			if errors.Is(err, snelstart.ErrOutcomeUnknown) {
				t.Errorf("outcome unknown: %v", err)
			}
			if got := f.hitsOf(pattern); got != tc.wantAttempt {
				t.Errorf("%d attempts, want %d", got, tc.wantAttempt)
			}
		})
	}
}

func TestWriteErrorNamesOperation(t *testing.T) {
	f := newFake(t)
	f.handle("POST /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
		writeRaw(w, 400, `[{"errorCode":"VOR-0002","message":"De relatie is geen klant"}]`)
	})
	_, err := f.client().CreateVerkoopOrder(context.Background(), newOrder("100234"))
	want := "snelstart: POST /v2/verkooporders: 400 Bad Request [VOR-0002]: De relatie is geen klant (not applied)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if !snelstart.HasCode(err, snelstart.CodeRelatieNotKlant) || !errors.Is(err, snelstart.ErrNotApplied) || !snelstart.IsPermanent(err) {
		t.Errorf("classification of %v", err)
	}
}

func newOrder(kenmerk string) *snelstart.VerkoopOrder {
	return &snelstart.VerkoopOrder{
		Relatie:          snelstart.RefTo(relatieID),
		Datum:            snelstart.LocalDate(2025, 3, 14),
		Betalingskenmerk: kenmerk,
		Regels: []snelstart.VerkoopOrderRegel{
			{Artikel: snelstart.RefTo(artikelID), Stuksprijs: dec("24.95"), Aantal: dec("2")},
		},
	}
}

// orderStore is a fake /v2/verkooporders that keeps what it is sent.
type orderStore struct {
	mu     sync.Mutex
	orders []snelstart.VerkoopOrder
}

func (s *orderStore) add(o snelstart.VerkoopOrder) snelstart.VerkoopOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.ID = snelstart.NewID()
	o.Nummer = snelstart.Ptr(len(s.orders) + 1)
	o.Relatie.URI = "/relaties/" + string(o.Relatie.ID)
	o.URI = "/verkooporders/" + string(o.ID)
	s.orders = append(s.orders, o)
	return o
}

func (s *orderStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

func (s *orderStore) all() []snelstart.VerkoopOrder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]snelstart.VerkoopOrder(nil), s.orders...)
}

func decodeOrder(t *testing.T, r *http.Request) snelstart.VerkoopOrder {
	var o snelstart.VerkoopOrder
	if err := jsonDecode(r, &o); err != nil {
		t.Errorf("decode order: %v", err)
	}
	return o
}

func TestTokenCachedAndRenewedBeforeExpiry(t *testing.T) {
	f := newFake(t)
	f.expiresIn = 2 // the server refuses the token after 2 s
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, snelstart.CompanyInfo{AdministratieNaam: "Demo"})
	})
	cfg := f.config()
	ts, err := snelstart.NewTokenSource(snelstart.TokenSourceConfig{
		AuthURL: f.srv.URL, ClientKey: testClientKey, HTTPClient: cfg.HTTPClient, Margin: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two Clients of the same key share one TokenSource.
	cfg.Tokens, cfg.ClientKey = ts, ""
	a, _ := snelstart.New(cfg)
	b, _ := snelstart.New(cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 { // concurrent first calls wait for one token call
		wg.Go(func() {
			if _, err := a.CompanyInfo(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for range 3 {
		for _, c := range []*snelstart.Client{a, b} {
			if _, err := c.CompanyInfo(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := f.mintedTokens(); got != 1 {
		t.Fatalf("%d tokens minted for 14 calls, want 1", got)
	}
	time.Sleep(1100 * time.Millisecond) // past expiry minus margin, before the server's expiry
	if _, err := a.CompanyInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.mintedTokens(); got != 2 {
		t.Errorf("%d tokens minted, want 2 (renewed before expiry)", got)
	}
	if got := f.refusedOf("token"); got != 0 {
		t.Errorf("%d calls refused for the token: renewal came too late", got)
	}
}

func TestTokenRenewedOnceAfter401(t *testing.T) {
	f := newFake(t)
	store := &orderStore{}
	f.handle("POST /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, store.add(decodeOrder(t, r)))
	})
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, snelstart.CompanyInfo{AdministratieNaam: "Demo"})
	})
	c := f.client()
	ctx := context.Background()
	if _, err := c.CompanyInfo(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("read", func(t *testing.T) {
		f.revokeAll()
		if _, err := c.CompanyInfo(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.mintedTokens(); got != 2 {
			t.Errorf("%d tokens minted, want 2", got)
		}
	})
	t.Run("write repeated once", func(t *testing.T) {
		f.revokeAll()
		o, err := c.CreateVerkoopOrder(ctx, newOrder("A-1"))
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || store.len() != 1 {
			t.Errorf("order %q, %d stored", o.ID, store.len())
		}
		if got := f.mintedTokens(); got != 3 {
			t.Errorf("%d tokens minted, want 3", got)
		}
	})
	t.Run("refused again", func(t *testing.T) {
		f.mu.Lock()
		f.deadTokens = true // every token is refused, new ones too
		f.mu.Unlock()
		f.revokeAll()
		before := f.refusedOf("token")
		_, err := c.CreateVerkoopOrder(ctx, newOrder("A-2"))
		if !snelstart.IsBadToken(err) || !errors.Is(err, snelstart.ErrNotApplied) {
			t.Fatalf("error %v, want a bad token, not applied", err)
		}
		if got := f.refusedOf("token") - before; got != 2 {
			t.Errorf("%d refused attempts, want 2 (one renewal)", got)
		}
		if store.len() != 1 {
			t.Errorf("%d orders stored", store.len())
		}
	})
}

func TestBadKeys(t *testing.T) {
	f := newFake(t)
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, snelstart.CompanyInfo{})
	})
	f.handle("POST /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
		t.Error("an order reached the server")
	})
	ctx := context.Background()

	t.Run("subscription key", func(t *testing.T) {
		c := f.client(func(c *snelstart.Config) { c.SubscriptionKey = "wrong-subscription-key" })
		_, err := c.CompanyInfo(ctx)
		if !errors.Is(err, snelstart.ErrBadSubscriptionKey) || errors.Is(err, snelstart.ErrBadClientKey) {
			t.Fatalf("error %v, want only ErrBadSubscriptionKey", err)
		}
		if !snelstart.IsBadSubscriptionKey(err) || !snelstart.IsPermanent(err) {
			t.Errorf("classification of %v", err)
		}
		if s := err.Error(); strings.Contains(s, "wrong-subscription-key") || !strings.Contains(s, "subscription key") {
			t.Errorf("error %q: must name the subscription key and not print it", s)
		}
		_, err = c.CreateVerkoopOrder(ctx, newOrder("X"))
		if !errors.Is(err, snelstart.ErrBadSubscriptionKey) || !errors.Is(err, snelstart.ErrNotApplied) {
			t.Errorf("write: %v", err)
		}
	})
	t.Run("client key", func(t *testing.T) {
		c := f.client(func(c *snelstart.Config) { c.ClientKey = "wrong-client-key-123" })
		before := f.hitsOf("POST /b2b/token")
		_, err := c.CompanyInfo(ctx)
		if !errors.Is(err, snelstart.ErrBadClientKey) || errors.Is(err, snelstart.ErrBadSubscriptionKey) {
			t.Fatalf("error %v, want only ErrBadClientKey", err)
		}
		if !snelstart.IsBadClientKey(err) || !snelstart.IsPermanent(err) {
			t.Errorf("classification of %v", err)
		}
		if s := err.Error(); strings.Contains(s, "wrong-client-key-123") || !strings.Contains(s, "client key (koppelsleutel)") {
			t.Errorf("error %q: must name the client key and not print it", s)
		}
		if got := f.hitsOf("POST /b2b/token") - before; got != 1 {
			t.Errorf("%d token calls, want 1 (a refused key is not retried)", got)
		}
		_, err = c.CreateVerkoopOrder(ctx, newOrder("X"))
		if !errors.Is(err, snelstart.ErrBadClientKey) || !errors.Is(err, snelstart.ErrNotApplied) {
			t.Errorf("write: %v", err)
		}
	})
}

func TestRetryAfterPausesTheAdministration(t *testing.T) {
	f := newFake(t)
	var mu sync.Mutex
	var first429 time.Time
	var arrivals []time.Time
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if first429.IsZero() {
			first429 = time.Now()
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, map[string]any{"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."})
			return
		}
		arrivals = append(arrivals, time.Now())
		writeJSON(w, 200, snelstart.CompanyInfo{})
	})
	limiter := snelstart.NewRateLimiter(snelstart.Limits{})
	a := f.client(func(c *snelstart.Config) { c.Limiter = limiter })
	b := f.client(func(c *snelstart.Config) { c.Limiter = limiter }) // same administration
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := a.CompanyInfo(ctx); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(200 * time.Millisecond) // b starts during a's pause
	if _, err := b.CompanyInfo(ctx); err != nil {
		t.Error(err)
	}
	wg.Wait()
	if d := time.Since(start); d < time.Second {
		t.Errorf("done after %v, want ≥ 1 s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 2 {
		t.Fatalf("%d successful arrivals, want 2", len(arrivals))
	}
	for _, at := range arrivals {
		if w := at.Sub(first429); w < 950*time.Millisecond {
			t.Errorf("a call arrived %v after the 429, want ≥ 1 s", w)
		}
	}
	if got := f.hitsOf("GET /v2/companyInfo"); got != 3 {
		t.Errorf("%d hits, want 3", got)
	}
}

func TestRetries(t *testing.T) {
	t.Run("5xx on a read is retried", func(t *testing.T) {
		f := newFake(t)
		var n atomic.Int32
		f.handle("GET /v2/verkooporders/{id}", func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) < 3 {
				writeRaw(w, 503, `{"statusCode":503,"message":"Service Unavailable"}`)
				return
			}
			writeJSON(w, 200, snelstart.VerkoopOrder{ID: orderID, Relatie: snelstart.RefTo(relatieID), Datum: snelstart.LocalDate(2025, 1, 2)})
		})
		o, err := f.client().GetVerkoopOrder(context.Background(), orderID)
		if err != nil || o.ID != orderID {
			t.Fatalf("%v, %v", o, err)
		}
		if got := f.hitsOf("GET /v2/verkooporders/{id}"); got != 3 {
			t.Errorf("%d hits, want 3", got)
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		f := newFake(t)
		f.handle("GET /v2/verkooporders/{id}", func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 500, "") })
		_, err := f.client().GetVerkoopOrder(context.Background(), orderID)
		if !snelstart.IsTemporary(err) {
			t.Fatalf("error %v, want temporary", err)
		}
		if got := f.hitsOf("GET /v2/verkooporders/{id}"); got != 3 {
			t.Errorf("%d hits, want MaxAttempts = 3", got)
		}
	})
	writes := map[string]struct {
		status  int
		header  string // Retry-After
		body    string
		outcome error
	}{
		"500":            {status: 500, outcome: snelstart.ErrOutcomeUnknown},
		"502":            {status: 502, body: `{"statusCode":502,"message":"Bad Gateway"}`, outcome: snelstart.ErrOutcomeUnknown},
		"503":            {status: 503, body: `{"message":"Service Unavailable"}`, outcome: snelstart.ErrOutcomeUnknown},
		"504":            {status: 504, outcome: snelstart.ErrOutcomeUnknown},
		"429 (arch. §5)": {status: 429, header: "1", body: `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}`, outcome: snelstart.ErrOutcomeUnknown},
		"400":            {status: 400, body: `[{"errorCode":"VOR-0010","message":"LandId niet gevonden"}]`, outcome: snelstart.ErrNotApplied},
		"404":            {status: 404, body: `{"Message":"No HTTP resource was found"}`, outcome: snelstart.ErrNotApplied},
	}
	for name, tc := range writes {
		t.Run("write "+name+" is not retried", func(t *testing.T) {
			f := newFake(t)
			f.handle("POST /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				writeRaw(w, tc.status, tc.body)
			})
			f.handle("DELETE /v2/verkooporders/{id}", func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				writeRaw(w, tc.status, tc.body)
			})
			c := f.client()
			_, err := c.CreateVerkoopOrder(context.Background(), newOrder("W-1"))
			if !errors.Is(err, tc.outcome) {
				t.Fatalf("POST: %v, want %v", err, tc.outcome)
			}
			var apiErr *snelstart.Error
			if !errors.As(err, &apiErr) || apiErr.Status != tc.status {
				t.Errorf("POST: %v does not carry the %d", err, tc.status)
			}
			if tc.outcome == snelstart.ErrOutcomeUnknown && !snelstart.IsTemporary(err) {
				t.Errorf("POST: %v is not temporary", err)
			}
			if want := map[string]time.Duration{"1": time.Second}[tc.header]; snelstart.RetryAfter(err) != want {
				t.Errorf("RetryAfter %v, want %v", snelstart.RetryAfter(err), want)
			}
			err = c.DeleteVerkoopOrder(context.Background(), orderID)
			if !errors.Is(err, tc.outcome) {
				t.Fatalf("DELETE: %v, want %v", err, tc.outcome)
			}
			if got := f.hitsOf("POST /v2/verkooporders") + f.hitsOf("DELETE /v2/verkooporders/{id}"); got != 2 {
				t.Errorf("%d hits, want 1 per write", got)
			}
		})
	}
}

func TestWriteConnectionDroppedAfterApply(t *testing.T) {
	f := newFake(t)
	store := &orderStore{}
	f.handle("POST /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
		store.add(decodeOrder(t, r)) // applied …
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close() // … and the answer is lost
	})
	f.handle("GET /v2/verkooporders", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, store.all())
	})
	c := f.client()
	ctx := context.Background()
	_, err := c.CreateVerkoopOrder(ctx, newOrder("100234"))
	if !errors.Is(err, snelstart.ErrOutcomeUnknown) || !errors.Is(err, snelstart.ErrTransport) || errors.Is(err, snelstart.ErrNotApplied) {
		t.Fatalf("error %v, want outcome unknown, transport", err)
	}
	if !snelstart.IsTemporary(err) {
		t.Errorf("not temporary: %v", err)
	}
	if got := f.hitsOf("POST /v2/verkooporders"); got != 1 || store.len() != 1 {
		t.Fatalf("%d POSTs, %d orders: the write was repeated", got, store.len())
	}
	// What the caller does next: look it up.
	found, err := c.ListVerkoopOrders(ctx, snelstart.Eq("Betalingskenmerk", "100234"))
	if err != nil || len(found) != 1 {
		t.Fatalf("lookup: %v, %v", found, err)
	}
}

func TestWriteTimeoutIsOutcomeUnknown(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.handle("POST /v2/relaties", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := f.client(func(c *snelstart.Config) { c.RequestTimeout = 200 * time.Millisecond })
	_, err := c.CreateRelatie(context.Background(), &snelstart.Relatie{Naam: "Jansen", Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant}})
	if !errors.Is(err, snelstart.ErrOutcomeUnknown) || !snelstart.IsTemporary(err) {
		t.Fatalf("error %v, want outcome unknown, temporary", err)
	}
	if got := f.hitsOf("POST /v2/relaties"); got != 1 {
		t.Errorf("%d hits", got)
	}
}

func TestWriteConnectionRefusedIsNotApplied(t *testing.T) {
	f := newFake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	c := f.client(func(c *snelstart.Config) { c.BaseURL = dead })
	_, err = c.CreateVerkoopOrder(context.Background(), newOrder("R-1"))
	if !errors.Is(err, snelstart.ErrNotApplied) || !errors.Is(err, snelstart.ErrTransport) || errors.Is(err, snelstart.ErrOutcomeUnknown) {
		t.Fatalf("error %v, want not applied, transport", err)
	}
	if !snelstart.IsTemporary(err) {
		t.Errorf("not temporary: %v", err)
	}
}

func TestOnCall(t *testing.T) {
	f := newFake(t)
	f.handle("GET /v2/relaties/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, snelstart.Relatie{ID: relatieID, Naam: "Jansen"})
	})
	var mu sync.Mutex
	var calls []string
	c := f.client(func(c *snelstart.Config) {
		c.OnCall = func(method, path string, status int, dur time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, fmt.Sprintf("%s %s %d", method, path, status))
			if dur <= 0 {
				t.Errorf("duration %v", dur)
			}
		}
	})
	for range 2 {
		if _, err := c.GetRelatie(context.Background(), relatieID); err != nil {
			t.Fatal(err)
		}
	}
	want := "[POST /b2b/token 200 GET /v2/relaties/{id} 200 GET /v2/relaties/{id} 200]"
	if fmt.Sprint(calls) != want {
		t.Errorf("calls %v, want %s", calls, want)
	}
}

func TestUpdateSendsWriteModel(t *testing.T) {
	f := newFake(t)
	stored := snelstart.Relatie{
		ID: relatieID, URI: "/relaties/" + string(relatieID), Naam: "Jansen B.V.", Fax: "020-1",
		Relatiesoort:        []snelstart.Relatiesoort{snelstart.RelatiesoortKlant},
		VestigingsAdres:     &snelstart.Adres{Straat: "Coolsingel 1", Postcode: "3012 AA", Plaats: "Rotterdam", Land: &snelstart.Ref{ID: landID, URI: "/landen/" + string(landID)}},
		InkoopBoekingenURI:  "/relaties/x/inkoopboekingen",
		VerkoopBoekingenURI: "/relaties/x/verkoopboekingen",
		Memo:                "keep me",
	}
	f.handle("GET /v2/relaties/{id}", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, stored) })
	var got map[string]any
	f.handle("PUT /v2/relaties/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := jsonDecode(r, &got); err != nil {
			t.Error(err)
		}
		writeJSON(w, 200, stored)
	})
	c := f.client()
	ctx := context.Background()
	r, err := c.GetRelatie(ctx, relatieID)
	if err != nil {
		t.Fatal(err)
	}
	r.Email = "info@jansen.nl"
	if _, err := c.UpdateRelatie(ctx, r); err != nil { // the validating transport rejects readOnly properties
		t.Fatal(err)
	}
	for _, k := range []string{"uri", "fax", "inkoopBoekingenUri", "verkoopBoekingenUri"} {
		if _, ok := got[k]; ok {
			t.Errorf("PUT sent %q", k)
		}
	}
	if got["memo"] != "keep me" || got["email"] != "info@jansen.nl" || got["id"] != string(relatieID) {
		t.Errorf("PUT body %v", got)
	}
	if r.URI == "" || r.VestigingsAdres.Land.URI == "" {
		t.Error("UpdateRelatie changed the caller's value")
	}
}

func TestSmallEndpoints(t *testing.T) {
	f := newFake(t)
	f.handle("GET /v2/echo/{input}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, r.PathValue("input"))
	})
	f.handle("GET /v2/landen", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []snelstart.Land{{Naam: "Nederland", Landcode: "NL", LandcodeISO: "NLD", ID: landID}})
	})
	f.handle("GET /v2/artikelomzetgroepen", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []snelstart.ArtikelOmzetgroep{{Nummer: snelstart.Ptr(1), Omschrijving: "Hoog", VerkoopNederlandBtwSoort: snelstart.BtwSoortHoog, ID: snelstart.NewID()}})
	})
	f.handle("GET /v2/verkoopordersjablonen", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []snelstart.VerkoopOrderSjabloon{{Omschrijving: "Standaard", ID: snelstart.NewID()}})
	})
	f.handle("GET /v2/artikelen/{id}", func(w http.ResponseWriter, r *http.Request) {
		a := snelstart.Artikel{ID: artikelID, Artikelcode: "308", Omschrijving: "T-shirt", Verkoopprijs: dec("24.95")}
		if rid := r.URL.Query().Get("relatieId"); rid != "" {
			a.Prijsafspraak = &snelstart.Prijsafspraak{
				Relatie: snelstart.RefTo(snelstart.ID(rid)), Artikel: snelstart.RefTo(artikelID), Aantal: dec(r.URL.Query().Get("aantal")),
				Korting: dec("10"), Verkoopprijs: dec("22.46"), Basisprijs: dec("24.95"),
				PrijsBepalingSoort: snelstart.PrijsBepalingSoortAfspraakPerArtikelklant,
			}
		}
		writeJSON(w, 200, a)
	})
	c := f.client()
	ctx := context.Background()
	if s, err := c.Echo(ctx, "hallo wereld"); err != nil || s != "hallo wereld" {
		t.Errorf("Echo: %q, %v", s, err)
	}
	if l, err := c.ListLanden(ctx); err != nil || len(l) != 1 || l[0].Landcode != "NL" {
		t.Errorf("ListLanden: %v, %v", l, err)
	}
	if g, err := c.ListArtikelOmzetgroepen(ctx); err != nil || len(g) != 1 {
		t.Errorf("ListArtikelOmzetgroepen: %v, %v", g, err)
	}
	if s, err := c.ListVerkoopOrderSjablonen(ctx); err != nil || len(s) != 1 {
		t.Errorf("ListVerkoopOrderSjablonen: %v, %v", s, err)
	}
	a, err := c.GetArtikelPrijs(ctx, artikelID, relatieID, 6)
	if err != nil || a.Prijsafspraak == nil || a.Prijsafspraak.Verkoopprijs.String() != "22.46" || a.Prijsafspraak.Aantal.String() != "6" {
		t.Errorf("GetArtikelPrijs: %+v, %v", a, err)
	}
	if q := f.queriesOf("GET /v2/artikelen/{id}"); len(q) != 1 || q[0] != "relatieId="+string(relatieID)+"&aantal=6" {
		t.Errorf("query %v", q)
	}
	if _, err := c.GetRelatie(ctx, "not-a-guid"); !errors.Is(err, snelstart.ErrInvalidRequest) {
		t.Errorf("GetRelatie(bad id): %v", err)
	}
	_, err = c.ListPrijsafspraken(ctx, snelstart.Eq("Relatie/Id", relatieID))
	if !errors.Is(err, snelstart.ErrInvalidRequest) {
		t.Errorf("ListPrijsafspraken without Artikel/Id: %v", err)
	}
}

func TestTokenEndpointDown(t *testing.T) {
	f := newFake(t)
	f.tokenDown = true
	f.handle("GET /v2/companyInfo", func(w http.ResponseWriter, r *http.Request) { t.Error("called without a token") })
	_, err := f.client().CompanyInfo(context.Background())
	if !snelstart.IsTemporary(err) || errors.Is(err, snelstart.ErrBadClientKey) {
		t.Fatalf("error %v, want temporary", err)
	}
	if got := f.hitsOf("POST /b2b/token"); got != 3 {
		t.Errorf("%d token calls, want MaxAttempts = 3 (not retried again by the read)", got)
	}
}
