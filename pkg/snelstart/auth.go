package snelstart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// TokenSourceConfig configures a [TokenSource]. ClientKey is required.
type TokenSourceConfig struct {
	AuthURL    string       // serves PathToken; default DefaultAuthURL
	ClientKey  string       // the koppelsleutel
	HTTPClient *http.Client // default a new http.Client
	Logger     *slog.Logger // default: discard
	// Margin is how long before its expiry a token is replaced; default
	// 60 s. A token whose whole lifetime is shorter than twice the margin
	// is replaced halfway.
	Margin time.Duration
	// Retry says how a token call that failed temporarily is retried; the
	// zero value means DefaultRetryPolicy. Minting a token changes nothing
	// in the administration, so it is retried like a read.
	Retry RetryPolicy
	// Timeout bounds one token call; default 30 s.
	Timeout time.Duration
	// OnCall is as in [Config]; the path is PathToken.
	OnCall func(method, path string, status int, dur time.Duration)
}

// A TokenSource mints and caches the access tokens of one client key
// (koppelsleutel), with POST [PathToken] and grant_type=clientkey
// (snelstart-api.md §1.2). A token lasts 3599 s and there is no refresh
// token: the TokenSource mints a new one a margin before the old one runs
// out, or when a [Client] reports it refused ([TokenSource.Invalidate]).
//
// One TokenSource serves any number of Clients of its client key: share it
// through [Config].Tokens. The cache lives in the value, not in the
// package, so that two deployments (or tests) in one process never share
// tokens by accident and a key can be dropped with its TokenSource. It is
// safe for concurrent use; concurrent callers wait for one token call.
type TokenSource struct {
	url       string
	clientKey string
	http      *http.Client
	log       *slog.Logger
	margin    time.Duration
	retry     RetryPolicy
	timeout   time.Duration
	onCall    func(method, path string, status int, dur time.Duration)

	mu       sync.Mutex
	token    string
	renewAt  time.Time
	inflight *mint // non-nil while a token call runs
}

type mint struct {
	done  chan struct{}
	token string
	err   error
}

// NewTokenSource returns a TokenSource for cfg. It makes no call.
func NewTokenSource(cfg TokenSourceConfig) (*TokenSource, error) {
	if cfg.ClientKey == "" {
		return nil, errors.New("snelstart: token source: ClientKey is required")
	}
	s := &TokenSource{
		url:       strings.TrimRight(or(cfg.AuthURL, DefaultAuthURL), "/") + PathToken,
		clientKey: cfg.ClientKey,
		http:      cfg.HTTPClient,
		log:       cfg.Logger,
		margin:    cfg.Margin,
		retry:     cfg.Retry.withDefaults(),
		timeout:   cfg.Timeout,
		onCall:    cfg.OnCall,
	}
	if s.http == nil {
		s.http = &http.Client{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.margin <= 0 {
		s.margin = time.Minute
	}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.onCall == nil {
		s.onCall = func(string, string, int, time.Duration) {}
	}
	return s, nil
}

// Token returns a token that has at least the margin left, minting one if
// need be. A refused client key gives an error wrapping [ErrBadClientKey]
// and the token endpoint's *[Error].
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && time.Now().Before(s.renewAt) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	m := s.inflight
	if m == nil {
		m = &mint{done: make(chan struct{})}
		s.inflight = m
		// The call must not die with the context of whichever caller
		// happened to start it: others wait for it too.
		go s.mint(context.WithoutCancel(ctx), m)
	}
	s.mu.Unlock()
	select {
	case <-m.done:
		return m.token, m.err
	case <-ctx.Done():
		return "", fmt.Errorf("snelstart: waiting for a token: %w", ctx.Err())
	}
}

// Invalidate drops token from the cache if it is still the cached one, so
// that the next [TokenSource.Token] mints a new one. A Client calls it after
// a 401 that says the token is bad; concurrent reports of the same token
// cause one new token.
func (s *TokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
}

func (s *TokenSource) mint(ctx context.Context, m *mint) {
	ctx, cancel := context.WithTimeout(ctx, s.retry.MaxElapsed+s.timeout)
	defer cancel()
	var tok Token
	var issued time.Time
	err := s.retry.run(ctx, s.log, http.MethodPost+" "+PathToken, func() error {
		issued = time.Now()
		var err error
		tok, err = s.call(ctx)
		return err
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	if err == nil {
		life := time.Duration(tok.ExpiresIn) * time.Second
		keep := life - s.margin
		if life < 2*s.margin {
			keep = life / 2
		}
		s.token, s.renewAt = tok.AccessToken, issued.Add(keep)
		s.log.InfoContext(ctx, "snelstart token minted", "expires_in", tok.ExpiresIn)
	}
	m.token, m.err = tok.AccessToken, err
	close(m.done)
}

// call makes one token call.
func (s *TokenSource) call(ctx context.Context) (Token, error) {
	const op = http.MethodPost + " " + PathToken
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	form := url.Values{TokenFieldGrantType: {GrantTypeClientKey}, TokenFieldClientKey: {s.clientKey}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &opError{op: op, err: err, lead: []error{ErrInvalidRequest}}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	start := time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		s.onCall(http.MethodPost, PathToken, 0, time.Since(start))
		return Token{}, &opError{op: op, err: err, lead: []error{ErrTransport}}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	s.onCall(http.MethodPost, PathToken, resp.StatusCode, time.Since(start))
	if err != nil && resp.StatusCode == http.StatusOK {
		return Token{}, &opError{op: op, err: err, lead: []error{ErrTransport}}
	}
	if resp.StatusCode != http.StatusOK {
		e := ParseTokenError(resp.StatusCode, resp.Header, body)
		redact(e, s.clientKey)
		oe := &opError{op: op, err: e}
		if IsBadClientKey(e) {
			oe.lead = []error{ErrBadClientKey}
		}
		return Token{}, oe
	}
	var tok Token
	if err := json.Unmarshal(body, &tok); err != nil {
		return Token{}, &opError{op: op, err: err, lead: []error{ErrDecode}}
	}
	if tok.AccessToken == "" || tok.ExpiresIn <= 0 {
		return Token{}, &opError{op: op, err: errors.New("token response without access_token or expires_in"), lead: []error{ErrDecode}}
	}
	if !strings.EqualFold(tok.TokenType, TokenTypeBearer) {
		return Token{}, &opError{op: op, err: fmt.Errorf("token type %q, want %q", tok.TokenType, TokenTypeBearer), lead: []error{ErrDecode}}
	}
	return tok, nil
}
