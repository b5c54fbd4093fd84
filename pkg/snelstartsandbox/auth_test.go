package snelstartsandbox_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		fmt.Printf("contract: %d sandbox responses validated against the SnelStart spec\n", validated.Load())
	}
	os.Exit(code)
}

func TestToken(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	r := e.tokenFor("demo")
	wantStatus(t, r, http.StatusOK)
	var tok snelstart.Token
	mustDecode(t, r.body, &tok)
	if tok.TokenType != "bearer" || tok.ExpiresIn != 3599 || strings.Count(tok.AccessToken, ".") != 2 {
		t.Errorf("token = %+v, want a bearer JWT that lives 3599 s", tok)
	}
}

// TestAuthFailures checks that a bad subscription key, a bad client key and
// an expired token get three different answers, each of which the
// snelstart error helpers classify.
func TestAuthFailures(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.login()
	good := e.token

	tests := map[string]struct {
		do      func() response
		status  int
		body    string // substring
		classes func(error) bool
	}{
		"missing subscription key": {
			do: func() response {
				req := e.request(http.MethodGet, snelstart.PathLanden, nil)
				req.Header.Del(snelstart.HeaderSubscriptionKey)
				return e.send(req)
			},
			status: 401, body: `{"statusCode":401,"message":"Access denied due to missing subscription key.`, classes: snelstart.IsBadSubscriptionKey,
		},
		"wrong subscription key": {
			do: func() response {
				req := e.request(http.MethodGet, snelstart.PathLanden, nil)
				req.Header.Set(snelstart.HeaderSubscriptionKey, "nope")
				return e.send(req)
			},
			status: 401, body: `"message":"Access denied due to invalid subscription key.`, classes: snelstart.IsBadSubscriptionKey,
		},
		"bad client key": {
			do:     func() response { return e.tokenFor("not-a-key") },
			status: 400, body: `{"error":"GrantType clientkey was found. Parameter clientkey does not contain a valid value"}`,
			classes: func(err error) bool {
				var se *snelstart.Error
				if !asError(err, &se) {
					return false
				}
				return snelstart.IsBadClientKey(snelstart.ParseTokenError(se.Status, nil, se.Body))
			},
		},
		"expired token": {
			do: func() response {
				e.clock.advance(3599 * time.Second)
				defer e.clock.advance(-3599 * time.Second)
				return e.call(http.MethodGet, snelstart.PathLanden, nil)
			},
			status: 401, body: `{"Message":"Authorization has been denied for this request."}`, classes: snelstart.IsBadToken,
		},
		"no token": {
			do: func() response {
				req := e.request(http.MethodGet, snelstart.PathLanden, nil)
				req.Header.Del("Authorization")
				return e.send(req)
			},
			status: 401, body: `Authorization has been denied`, classes: snelstart.IsBadToken,
		},
		"tampered token": {
			do: func() response {
				req := e.request(http.MethodGet, snelstart.PathLanden, nil)
				req.Header.Set("Authorization", "Bearer "+good[:len(good)-3]+"abc")
				return e.send(req)
			},
			status: 401, body: `Authorization has been denied`, classes: snelstart.IsBadToken,
		},
		"subscription key as query parameter": {
			do: func() response {
				req := e.request(http.MethodGet, snelstart.PathLanden+"?subscription-key=demo", nil)
				req.Header.Del(snelstart.HeaderSubscriptionKey)
				return e.send(req)
			},
			status: 200,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e.token = good
			r := tt.do()
			if r.status != tt.status || !strings.Contains(string(r.body), tt.body) {
				t.Fatalf("got %d %s, want %d with %s", r.status, r.body, tt.status, tt.body)
			}
			if tt.classes != nil && !tt.classes(r.err()) {
				t.Errorf("the snelstart error helpers do not classify %s", r.body)
			}
		})
	}
}

func asError(err error, target **snelstart.Error) bool {
	e, ok := err.(*snelstart.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestExpireTokensAndLifetime(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{TokenLifetime: 10 * time.Second})
	r := e.tokenFor("demo")
	var tok snelstart.Token
	mustDecode(t, r.body, &tok)
	if tok.ExpiresIn != 10 {
		t.Errorf("expires_in = %d, want 10", tok.ExpiresIn)
	}
	e.login()
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	e.clock.advance(9 * time.Second)
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	e.clock.advance(time.Second)
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusUnauthorized)

	e.login()
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
	e.sb.ExpireTokens()
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusUnauthorized)
	e.login() // at the same instant: a token minted after ExpireTokens is good
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)
}

func TestTokenRequestErrors(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+snelstart.PathToken, strings.NewReader("grant_type=password&clientkey=demo"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(headerInvalid, "grant_type password")
	r := e.send(req)
	if r.status != 400 || string(r.body) != `{"error":"unsupported_grant_type"}` {
		t.Errorf("password grant: %d %s", r.status, r.body)
	}
}

func TestScopes(t *testing.T) {
	seed := snelstartsandbox.DefaultSeed()
	seed.Administraties[0].Scopes = []string{"orders:read", "relaties:read", "settings:read", "artikelen:read"}
	e := newEnv(t, snelstartsandbox.Options{Seed: &seed})
	wantStatus(t, e.call(http.MethodGet, snelstart.PathVerkoopOrders, nil), http.StatusOK)
	r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, map[string]any{
		"relatie": map[string]any{"id": idJanJansen}, "datum": "2026-03-14T00:00:00"})
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "orders:write") {
		t.Errorf("POST without orders:write: %d %s, want 403 naming the scope", r.status, r.body)
	}
	if n := len(e.sb.Admin("demo").VerkoopOrders()); n != 1 {
		t.Errorf("%d orders after a refused POST, want the 1 seeded", n)
	}
}

func TestUnknownOperation(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	req := e.request(http.MethodGet, "/v2/relaties/"+idJansenBV+"/nothing", nil)
	req.Header.Set(headerInvalid, "no such operation")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown operation: %d, want 404", resp.StatusCode)
	}
}
