package snelstart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/spectest"
)

// validating is an http.RoundTripper that checks every request the client
// sends, and every response it gets, against SnelStart's OpenAPI
// definition (and the token endpoint's, spectest.Patches).
type validating struct {
	tb   testing.TB
	spec *spectest.Spec
	next http.RoundTripper

	mu    sync.Mutex
	count int // requests validated
}

func newValidating(tb testing.TB, next http.RoundTripper) *validating {
	if next == nil {
		next = http.DefaultTransport
	}
	return &validating{tb: tb, spec: spectest.Load(tb), next: next}
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	v.spec.ValidateRequest(v.tb, req, body)
	v.mu.Lock()
	v.count++
	v.mu.Unlock()
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return resp, nil // let the client meet the read error
	}
	v.spec.ValidateResponse(v.tb, req, resp.StatusCode, resp.Header, data)
	return resp, nil
}

func (v *validating) validated() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.count
}

const (
	testClientKey = "ck-secret-0123456789"
	testSubKey    = "sub-secret-9876543210"
)

// fakeAPI is a small SnelStart for precise control: the token endpoint,
// the gateway's key and token checks, and handlers a test adds.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu         sync.Mutex
	expiresIn  int                  // of minted tokens
	minted     int                  // tokens minted
	valid      map[string]time.Time // token → server-side expiry
	hits       map[string]int       // pattern → requests that reached it
	refused    map[string]int       // "token" or "subscription" → 401s
	queries    map[string][]string  // pattern → raw queries, in order
	deadTokens bool                 // refuse every token
	tokenDown  bool                 // the token endpoint answers 503
}

func newFake(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{
		t: t, mux: http.NewServeMux(), expiresIn: 3599,
		valid: map[string]time.Time{}, hits: map[string]int{}, refused: map[string]int{}, queries: map[string][]string{},
	}
	f.mux.HandleFunc("POST /b2b/token", f.token)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) token(w http.ResponseWriter, r *http.Request) {
	f.count("POST /b2b/token", r)
	if r.Header.Get(snelstart.HeaderSubscriptionKey) != "" {
		f.t.Error("the token call carries the subscription key")
	}
	f.mu.Lock()
	down := f.tokenDown
	f.mu.Unlock()
	if down {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"statusCode": 503, "message": "Service Unavailable"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "clientkey" || r.PostForm.Get("clientkey") != testClientKey {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "GrantType clientkey was found. Parameter clientkey does not contain a valid value"})
		return
	}
	f.mu.Lock()
	f.minted++
	tok := fmt.Sprintf("tok-%d", f.minted)
	f.valid[tok] = time.Now().Add(time.Duration(f.expiresIn) * time.Second)
	exp := f.expiresIn
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": exp})
}

// serve checks the subscription key and token on /v2 paths, as the
// gateway does, then routes.
func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		if r.Header.Get(snelstart.HeaderSubscriptionKey) != testSubKey {
			f.refuse("subscription")
			writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401,
				"message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."})
			return
		}
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		exp, ok := f.valid[tok]
		dead := f.deadTokens
		f.mu.Unlock()
		if !ok || time.Now().After(exp) || dead {
			f.refuse("token")
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Authorization has been denied for this request."})
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			f.t.Errorf("%s %s: Accept %q", r.Method, r.URL.Path, r.Header.Get("Accept"))
		}
	}
	f.mux.ServeHTTP(w, r)
}

func (f *fakeAPI) refuse(what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused[what]++
}

func (f *fakeAPI) count(pattern string, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[pattern]++
	f.queries[pattern] = append(f.queries[pattern], r.URL.RawQuery)
}

// handle adds a handler; requests that reach it are counted under pattern.
func (f *fakeAPI) handle(pattern string, h http.HandlerFunc) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f.count(pattern, r)
		h(w, r)
	})
}

func (f *fakeAPI) hitsOf(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[pattern]
}

func (f *fakeAPI) queriesOf(pattern string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries[pattern]...)
}

func (f *fakeAPI) refusedOf(what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused[what]
}

func (f *fakeAPI) mintedTokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.minted
}

// revokeAll makes the server refuse every token minted so far.
func (f *fakeAPI) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

// config returns a Config for the fake with a validating transport, quick
// retries and no rate limit.
func (f *fakeAPI) config() snelstart.Config {
	return snelstart.Config{
		AuthURL:         f.srv.URL,
		BaseURL:         f.srv.URL,
		ClientKey:       testClientKey,
		SubscriptionKey: testSubKey,
		HTTPClient:      &http.Client{Transport: newValidating(f.t, nil)},
		Limiter:         snelstart.NewRateLimiter(snelstart.Limits{}),
		Retry:           snelstart.RetryPolicy{MaxAttempts: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		RequestTimeout:  5 * time.Second,
	}
}

func (f *fakeAPI) client(mods ...func(*snelstart.Config)) *snelstart.Client {
	f.t.Helper()
	cfg := f.config()
	for _, m := range mods {
		m(&cfg)
	}
	c, err := snelstart.New(cfg)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, body string) {
	if body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func dec(s string) *snelstart.Decimal {
	d, err := snelstart.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
