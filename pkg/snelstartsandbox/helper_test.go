package snelstartsandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/spectest"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// headerInvalid marks a request that a test sends out of contract on
// purpose (such as $top=26 on /artikelen): the contract check then requires
// the spec validator to refuse it, instead of accepting it.
const headerInvalid = "X-Test-Out-Of-Contract"

// validated counts the request/response pairs checked against the spec in
// this test binary.
var validated atomic.Int64

// contract wraps h so that every request a test sends and every response
// the sandbox gives is checked against SnelStart's OpenAPI definition with
// spectest. The sandbox's own control API (/_sandbox/) is not SnelStart and
// is not checked. A response that never went out (a dropped connection, or a
// client that gave up) has nothing to check.
//
// One gap of the definition is bridged, narrowly: the definition lists no
// 400 for the OData GET operations, though SnelStart answers 400 to a
// $filter, $top or $select it refuses (snelstart-api.md §2.2, §2.3, §10
// items 1 and 4). Such a 400 passes if its body has an error shape of §3.
func contract(t *testing.T, h http.Handler) http.Handler {
	spec := spectest.Load(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		reqErr := spec.CheckRequest(r, body)
		if why := r.Header.Get(headerInvalid); why != "" {
			if reqErr == nil {
				t.Errorf("%s %s was sent as out of contract (%s), but the spec accepts it", r.Method, r.URL, why)
			}
		} else if reqErr != nil {
			t.Errorf("request out of contract: %v", reqErr)
		}
		rec := &recorder{ResponseWriter: w, header: w.Header()}
		h.ServeHTTP(rec, r)
		if r.Context().Err() != nil {
			return // the client gave up; nothing was read
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		var err error
		if reqErr != nil && strings.Contains(reqErr.Error(), "no such operation") {
			err = errorShape(rec.body.Bytes()) // not an operation of SnelStart's: only the shape can be checked
		} else {
			err = spec.CheckResponse(r, status, rec.header, rec.body.Bytes())
		}
		if err != nil && status == http.StatusBadRequest && r.Method == http.MethodGet &&
			strings.Contains(err.Error(), "response status 400 is not in the definition") {
			err = errorShape(rec.body.Bytes())
		}
		if err != nil {
			t.Errorf("response out of contract: %v\nbody: %s", err, rec.body.Bytes())
		}
		validated.Add(1)
	})
}

// errorShape checks an error body against the shapes of snelstart-api.md
// §3: an array of {errorCode, message}, or an object with a string message
// (any case), Message or OAuth error.
func errorShape(body []byte) error {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var items []map[string]any
		if err := json.Unmarshal(body, &items); err != nil || len(items) == 0 {
			return fmt.Errorf("error body is not a non-empty array of objects: %s", body)
		}
		for _, it := range items {
			if _, ok := it["errorCode"].(string); !ok {
				return fmt.Errorf("error body element without errorCode: %s", body)
			}
			if _, ok := it["message"].(string); !ok {
				return fmt.Errorf("error body element without message: %s", body)
			}
		}
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("error body is not JSON: %s", body)
	}
	for _, k := range []string{"message", "Message", "error"} {
		if _, ok := obj[k].(string); ok {
			return nil
		}
	}
	return fmt.Errorf("error body has no message: %s", body)
}

type recorder struct {
	http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// An env is a sandbox served over loopback HTTP through [contract], with a
// client that authenticates as the demo administration.
type env struct {
	t     *testing.T
	sb    *snelstartsandbox.Sandbox
	srv   *httptest.Server
	sub   string // subscription key
	key   string // client key
	token string
	clock *clock
}

// newEnv starts a sandbox with opts; a nil opts.Now gets a test clock that
// the test can advance.
func newEnv(t *testing.T, opts snelstartsandbox.Options) *env {
	t.Helper()
	e := &env{t: t, sub: "demo", key: "demo"}
	if opts.Now == nil {
		e.clock = &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}
		opts.Now = e.clock.now
	}
	sb, err := snelstartsandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.sb = sb
	e.srv = httptest.NewServer(contract(t, sb))
	t.Cleanup(e.srv.Close)
	t.Cleanup(func() { _ = sb.Close() }) // first: releases hanging calls
	return e
}

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// response is an answer of the sandbox.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) err() *snelstart.Error { return snelstart.ParseError(r.status, r.header, r.body) }

// send sends req and returns the answer; it fails the test on a transport
// error.
func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// tokenFor asks the token endpoint for a token of clientKey.
func (e *env) tokenFor(clientKey string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {"clientkey"}, "clientkey": {clientKey}}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+snelstart.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

// login gets and keeps a token for e.key.
func (e *env) login() {
	e.t.Helper()
	r := e.tokenFor(e.key)
	if r.status != http.StatusOK {
		e.t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tok snelstart.Token
	mustDecode(e.t, r.body, &tok)
	e.token = tok.AccessToken
}

// request builds an API request with the subscription key and token; body,
// if not nil, is sent as JSON (a string or []byte as is).
func (e *env) request(method, path string, body any) *http.Request {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.sub != "" {
		req.Header.Set(snelstart.HeaderSubscriptionKey, e.sub)
	}
	if e.token == "" {
		e.login()
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	return req
}

// call sends an API request (see request).
func (e *env) call(method, path string, body any) response {
	e.t.Helper()
	return e.send(e.request(method, path, body))
}

// get sends GET path with the query in OData form: q is "$filter=…&$top=…"
// with the values not yet escaped.
func (e *env) get(path, q string) response {
	e.t.Helper()
	return e.call(http.MethodGet, path+odataQuery(q), nil)
}

// odataQuery escapes "$filter=Naam eq 'x'&$top=2" into a query string.
func odataQuery(q string) string {
	if q == "" {
		return ""
	}
	v := url.Values{}
	for part := range strings.SplitSeq(q, "&") {
		k, val, _ := strings.Cut(part, "=")
		v.Add(k, val)
	}
	return "?" + v.Encode()
}

func mustDecode(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %T: %v\nbody: %s", v, err, body)
	}
}

// wantStatus fails the test unless r has status.
func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
}

// Ids of the default seed.
const (
	idNL          = "1a000000-0000-4000-8000-000000000001"
	idHoog        = "2b000000-0000-4000-8000-000000000001"
	idLaag        = "2b000000-0000-4000-8000-000000000002"
	idGeen        = "2b000000-0000-4000-8000-000000000003"
	idWebshop     = "3c000000-0000-4000-8000-000000000001"
	idStandaard   = "3c000000-0000-4000-8000-000000000002"
	idOudSjabloon = "3c000000-0000-4000-8000-000000000003"
	idVerzend     = "4d000000-0000-4000-8000-000000000001"
	idTshirt      = "4d000000-0000-4000-8000-000000000010"
	idKoffie      = "4d000000-0000-4000-8000-000000000012"
	idBoek        = "4d000000-0000-4000-8000-000000000014"
	idMok         = "4d000000-0000-4000-8000-000000000015"
	idCadeaubon   = "4d000000-0000-4000-8000-000000000016"
	idOud         = "4d000000-0000-4000-8000-000000000018"
	idJansenBV    = "5e000000-0000-4000-8000-000000000001"
	idJanJansen   = "5e000000-0000-4000-8000-000000000003"
	idInactief    = "5e000000-0000-4000-8000-000000000005"
	idAnna        = "5e000000-0000-4000-8000-000000000006"
	idLeverancier = "5e000000-0000-4000-8000-000000000009"
	idOrder10001  = "6f000000-0000-4000-8000-000000000001"
)
