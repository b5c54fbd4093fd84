package snelstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// Sentinel errors of the [Client]. Every error a Client method returns
// names the operation ("snelstart: POST /v2/verkooporders: …") and wraps
// the cause, so test for these with errors.Is and get the API's answer
// with errors.As(err, &apiErr) for an *[Error].
var (
	// ErrBadSubscriptionKey marks a call the API gateway refused because
	// of the partner's subscription key (Ocp-Apim-Subscription-Key): it is
	// wrong, or the 90-day Dev/Test key expired. Only a new key from the
	// developer portal fixes it. The error wraps the gateway's *Error and
	// never contains the key.
	ErrBadSubscriptionKey = errors.New("snelstart: subscription key (Ocp-Apim-Subscription-Key) refused by the API gateway; get a valid key from the developer portal")

	// ErrBadClientKey marks a refusal of the client key (koppelsleutel) by
	// the token endpoint: the key is wrong or withdrawn, or the
	// administration was restored from a backup. The customer must make or
	// re-activate the koppeling. The error wraps the token endpoint's
	// *Error and never contains the key.
	ErrBadClientKey = errors.New("snelstart: client key (koppelsleutel) refused by the token endpoint; the customer must make or re-activate the koppeling")

	// ErrTransport marks a call that got no complete HTTP response: the
	// connection failed or was reset, or the attempt timed out. It wraps
	// the network error. [IsTemporary] reports true for it.
	ErrTransport = errors.New("snelstart: transport")

	// ErrOutcomeUnknown marks a write (POST, PUT, DELETE) that may or may
	// not have been carried out: the request was sent, then the connection
	// broke or timed out, or SnelStart answered 429 or 5xx, or it answered
	// 2xx with a body that could not be read. SnelStart has no idempotency
	// key, so sending the write again may create a second object: look it
	// up first (for a verkooporder, by Betalingskenmerk, re-checked
	// locally; ARCHITECTURE.md §5 step 3). The Client never repeats such a
	// write itself.
	ErrOutcomeUnknown = errors.New("snelstart: outcome unknown: the write may have been carried out; look it up before sending it again")

	// ErrNotApplied marks a write that certainly was not carried out: it
	// was never sent (no token, rate limiter, connection refused, context
	// done before sending), or SnelStart refused it with a 4xx other than
	// 429. Whether sending it again can help is for [IsTemporary] and
	// [IsPermanent] to say.
	ErrNotApplied = errors.New("snelstart: not applied")

	// ErrRateLimited marks a call the client's own [Limiter] did not start
	// in time: the administration's budget or a Retry-After pause would
	// outlast the context's deadline. Nothing was sent.
	ErrRateLimited = errors.New("snelstart: rate limited")

	// ErrInvalidRequest marks a call refused before anything was sent
	// because its arguments are wrong: a malformed id, or a [Filter] that
	// does not build. It is permanent.
	ErrInvalidRequest = errors.New("snelstart: invalid request")

	// ErrPaging marks a listing that was stopped because it did not end:
	// the API returned a full page that held nothing new (it ignored
	// $skip), or more pages than [Config].MaxPages.
	ErrPaging = errors.New("snelstart: paging did not end")

	// ErrDecode marks a successful response whose body could not be
	// decoded.
	ErrDecode = errors.New("snelstart: undecodable response")
)

// IsTemporary reports whether err is a failure that may pass if the call is
// made again later: a 429, a 5xx or the gateway's quota 403 (see
// [Error.Temporary]), a transport failure or timeout ([ErrTransport]), or
// the client's own rate limiter ([ErrRateLimited]). For a write, check
// [ErrOutcomeUnknown] before making it again.
//
// Neither IsTemporary nor [IsPermanent] holds for a cancelled context.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	if errors.Is(err, ErrTransport) || errors.Is(err, ErrRateLimited) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsPermanent reports whether making the same call again cannot succeed:
// SnelStart refused it with a 4xx other than 429 and the quota 403 (a
// business rule such as VOR-0002, a bad filter, a bad key, a missing
// scope), or it was invalid before sending ([ErrInvalidRequest]), or its
// listing did not end ([ErrPaging]), or its answer could not be decoded
// ([ErrDecode], for reads).
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Permanent()
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return false
	}
	return errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrPaging) || errors.Is(err, ErrDecode)
}

// Config configures a [Client]. SubscriptionKey, and ClientKey or Tokens,
// are required; the rest has defaults.
type Config struct {
	// AuthURL serves the token endpoint ([PathToken]); default
	// [DefaultAuthURL]. BaseURL serves the /v2 paths; default
	// [DefaultBaseURL]. A sandbox serves both on one address.
	AuthURL string
	BaseURL string

	// ClientKey is the koppelsleutel that opens one administration. It
	// may be left empty when Tokens is set, and must match it otherwise.
	ClientKey string
	// SubscriptionKey is the partner's key, sent as
	// Ocp-Apim-Subscription-Key on every API call (not on the token call).
	SubscriptionKey string

	// Tokens is the token cache for ClientKey. Share one [TokenSource]
	// among all Clients of the same client key in a process, so that
	// they mint one token per hour between them; nil gives the Client a
	// TokenSource of its own.
	Tokens *TokenSource

	// Limiter paces the calls to the administration ClientKey opens. Share
	// one among all Clients of that administration; nil gives the Client
	// its own [RateLimiter] with Limits.
	Limiter Limiter
	// Limits configures the Client's own RateLimiter when Limiter is nil;
	// the zero Limits means [TestKeyLimits]. Use [ProductionKeyLimits] for
	// a Maatwerk or Productie key.
	Limits Limits

	// Retry says how reads are retried; the zero value means
	// [DefaultRetryPolicy]. Writes are never retried.
	Retry RetryPolicy

	// RequestTimeout bounds one HTTP attempt, from sending to reading the
	// whole response; default 30 s. The context of a call bounds the
	// whole call, retries included.
	RequestTimeout time.Duration

	// MaxPages bounds the pages one listing may read; default 1000 (25 000
	// artikelen, 500 000 of the others). More is an [ErrPaging].
	MaxPages int

	// HTTPClient sends the requests; default a new http.Client on
	// http.DefaultTransport. Its Timeout, if any, also bounds each attempt.
	HTTPClient *http.Client
	// Logger receives debug lines per call, warnings on retries and on
	// objects dropped by the local filter check; default: discard. Keys,
	// tokens and filter values are never logged.
	Logger *slog.Logger

	// OnCall, if set, is called after every HTTP exchange with SnelStart,
	// token calls and retries included (when Tokens is given, its token
	// calls go to the TokenSource's own OnCall), with the method, the path template
	// ([PathToken], [PathVerkoopOrders], [PathRelatie], …, so that ids do
	// not multiply metric series), the status (0 when no response came)
	// and the duration. It must be safe for concurrent use and fast.
	OnCall func(method, path string, status int, dur time.Duration)

	// UserAgent is sent as User-Agent; default "koppel-snelstart".
	UserAgent string
}

// A Client calls the SnelStart B2B API v2 for one administration. It is
// safe for concurrent use.
//
// Every call carries a bearer token from the Client's [TokenSource] and
// the subscription key. A 401 that says the token is bad ([IsBadToken])
// makes the Client mint a new token and send the same request once more,
// for reads and writes alike: SnelStart did nothing with the refused one.
//
// Reads (GET) that fail temporarily ([IsTemporary]) are retried with
// exponential backoff per [RetryPolicy]. Writes are never retried: a write
// that may have been carried out fails with [ErrOutcomeUnknown], one that
// certainly was not with [ErrNotApplied].
//
// List methods page with $top and $skip until a page comes back short, and
// check every object against their [Filter] locally, dropping what does
// not match: SnelStart silently ignores filters it does not apply.
type Client struct {
	base, auth string
	subKey     string
	clientKey  string
	http       *http.Client
	log        *slog.Logger
	tokens     *TokenSource
	limiter    Limiter
	retry      RetryPolicy
	timeout    time.Duration
	maxPages   int
	onCall     func(method, path string, status int, dur time.Duration)
	userAgent  string
}

// New returns a Client for cfg. It makes no call.
func New(cfg Config) (*Client, error) {
	if cfg.SubscriptionKey == "" {
		return nil, errors.New("snelstart: config: SubscriptionKey is required")
	}
	c := &Client{
		base:      strings.TrimRight(or(cfg.BaseURL, DefaultBaseURL), "/"),
		auth:      strings.TrimRight(or(cfg.AuthURL, DefaultAuthURL), "/"),
		subKey:    cfg.SubscriptionKey,
		http:      cfg.HTTPClient,
		log:       cfg.Logger,
		tokens:    cfg.Tokens,
		limiter:   cfg.Limiter,
		retry:     cfg.Retry.withDefaults(),
		timeout:   cfg.RequestTimeout,
		maxPages:  cfg.MaxPages,
		onCall:    cfg.OnCall,
		userAgent: or(cfg.UserAgent, "koppel-snelstart"),
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.maxPages <= 0 {
		c.maxPages = 1000
	}
	if c.onCall == nil {
		c.onCall = func(string, string, int, time.Duration) {}
	}
	switch {
	case cfg.Tokens != nil:
		if cfg.ClientKey != "" && cfg.ClientKey != cfg.Tokens.clientKey {
			return nil, errors.New("snelstart: config: ClientKey differs from the client key of Tokens")
		}
		c.clientKey = cfg.Tokens.clientKey
	case cfg.ClientKey == "":
		return nil, errors.New("snelstart: config: ClientKey or Tokens is required")
	default:
		ts, err := NewTokenSource(TokenSourceConfig{
			AuthURL:    c.auth,
			ClientKey:  cfg.ClientKey,
			HTTPClient: c.http,
			Logger:     c.log,
			Retry:      c.retry,
			Timeout:    c.timeout,
			OnCall:     cfg.OnCall,
		})
		if err != nil {
			return nil, err
		}
		c.tokens = ts
		c.clientKey = cfg.ClientKey
	}
	if c.limiter == nil {
		limits := cfg.Limits
		if limits == (Limits{}) {
			limits = TestKeyLimits()
		}
		c.limiter = NewRateLimiter(limits)
	}
	return c, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// maxResponseBody bounds what the Client reads of one response; a page of
// 500 relaties is about 1 MB.
const maxResponseBody = 32 << 20

// A request is one API operation.
type request struct {
	method   string
	template string // the path template, for OnCall: PathRelatie
	path     string // the path as sent: /v2/relaties/<id>
	query    string // encoded query, without "?"
	body     any    // marshalled as JSON; nil: no body
	out      any    // the 2xx body is decoded into it; nil: discarded
	rawOut   *[]byte
}

func (r *request) op() string { return r.method + " " + r.path }

func (r *request) isWrite() bool { return r.method != http.MethodGet }

// do makes the call r describes: reads with retries, writes once.
func (c *Client) do(ctx context.Context, r request) error {
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return &opError{op: r.op(), err: fmt.Errorf("encode request: %w", err), lead: []error{ErrInvalidRequest}}
		}
	}
	if r.isWrite() {
		return c.once(ctx, &r, body)
	}
	return c.retry.run(ctx, c.log, r.op(), func() error { return c.once(ctx, &r, body) })
}

// once sends r, minting a new token and sending it once more after a 401
// that says the token is bad.
func (c *Client) once(ctx context.Context, r *request, body []byte) error {
	for renewed := false; ; renewed = true {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			e := c.fail(r, false, err)
			e.final = true // the TokenSource has retried already
			return e
		}
		res, err := c.send(ctx, r, body, token)
		if err != nil {
			return err
		}
		if res.status >= 200 && res.status < 300 {
			return c.decode(r, res)
		}
		apiErr := ParseError(res.status, res.header, res.body)
		redact(apiErr, c.subKey, c.clientKey, token)
		if IsBadToken(apiErr) && !renewed {
			c.log.InfoContext(ctx, "snelstart token refused; minting a new one", "method", r.method, "path", r.template)
			c.tokens.Invalidate(token)
			continue
		}
		if apiErr.RetryAfter > 0 && apiErr.Temporary() {
			c.limiter.PauseUntil(time.Now().Add(apiErr.RetryAfter))
		}
		return c.apiFailure(r, apiErr)
	}
}

// apiFailure wraps a non-2xx answer of SnelStart.
func (c *Client) apiFailure(r *request, apiErr *Error) error {
	e := &opError{op: r.op(), err: apiErr}
	if IsBadSubscriptionKey(apiErr) {
		e.lead = append(e.lead, ErrBadSubscriptionKey)
	}
	if r.isWrite() {
		// A 4xx other than 429 is SnelStart refusing the request before
		// doing anything. A 5xx may come after the work was done (a 504
		// after the backend finished), and a 429 is treated the same:
		// ARCHITECTURE.md §5 step 3 and snelstart-api.md §9 step 3 list
		// "429 on a POST" among the unknown outcomes, since SnelStart's
		// 429 is unconfirmed (§2.1) and a wrong "not applied" makes a
		// duplicate order, while a wrong "unknown" costs one lookup.
		if apiErr.Status == http.StatusTooManyRequests || apiErr.Status >= 500 {
			e.tail = append(e.tail, ErrOutcomeUnknown)
		} else {
			e.tail = append(e.tail, ErrNotApplied)
		}
	}
	return e
}

// fail wraps an error that came before or instead of an HTTP response;
// sent reports whether the request was written completely.
func (c *Client) fail(r *request, sent bool, err error) *opError {
	e := &opError{op: r.op(), err: err}
	if r.isWrite() {
		if sent {
			e.tail = append(e.tail, ErrOutcomeUnknown)
		} else {
			e.tail = append(e.tail, ErrNotApplied)
		}
	}
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// send makes one HTTP exchange. A non-nil error is final for this call
// (wrapped with the operation); a response of any status is returned as is.
func (c *Client) send(ctx context.Context, r *request, body []byte, token string) (*response, error) {
	release, err := c.limiter.Acquire(ctx)
	if err != nil {
		return nil, c.fail(r, false, err)
	}
	defer release()

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool // the request went out whole: SnelStart may act on it
	trace := &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}
	actx = httptrace.WithClientTrace(actx, trace)

	u := c.base + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u, rd)
	if err != nil {
		return nil, &opError{op: r.op(), err: err, lead: []error{ErrInvalidRequest}, tail: writeTail(r, false)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(HeaderSubscriptionKey, c.subKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.onCall(r.method, r.template, 0, time.Since(start))
		c.log.DebugContext(ctx, "snelstart call failed", "method", r.method, "path", r.template, "error", err)
		return nil, c.transportFailure(ctx, r, wrote.Load(), err)
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	dur := time.Since(start)
	c.onCall(r.method, r.template, resp.StatusCode, dur)
	c.log.DebugContext(ctx, "snelstart call", "method", r.method, "path", r.template, "status", resp.StatusCode, "duration", dur)
	if rerr == nil && len(data) > maxResponseBody {
		rerr = fmt.Errorf("response body larger than %d bytes", maxResponseBody)
	}
	if rerr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The status says SnelStart did it, but the answer is lost.
		e := c.transportFailure(ctx, r, true, fmt.Errorf("read %d response: %w", resp.StatusCode, rerr))
		return nil, e
	}
	// An error status with a truncated body is still that status.
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func writeTail(r *request, sent bool) []error {
	if !r.isWrite() {
		return nil
	}
	if sent {
		return []error{ErrOutcomeUnknown}
	}
	return []error{ErrNotApplied}
}

// transportFailure wraps a failed HTTP exchange. The caller's own context
// ending is not a transport failure, but it leaves a sent write just as
// unknown.
func (c *Client) transportFailure(ctx context.Context, r *request, sent bool, err error) error {
	e := &opError{op: r.op(), err: err, tail: writeTail(r, sent)}
	if cerr := ctx.Err(); cerr != nil {
		e.err = fmt.Errorf("%w (%v)", cerr, err)
		return e
	}
	e.lead = []error{ErrTransport}
	return e
}

func (c *Client) decode(r *request, res *response) error {
	if r.rawOut != nil {
		*r.rawOut = res.body
		return nil
	}
	if r.out == nil || len(bytes.TrimSpace(res.body)) == 0 && res.status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(res.body, r.out); err != nil {
		e := &opError{op: r.op(), err: fmt.Errorf("decode %d response: %w", res.status, err), lead: []error{ErrDecode}}
		if r.isWrite() {
			// It was done; what was made is unknown.
			e.tail = []error{ErrOutcomeUnknown}
		}
		return e
	}
	return nil
}

// An opError is the error of one operation: "snelstart: <op>: <lead…>:
// <cause> (<tail…>)". It unwraps to its sentinels and its cause.
type opError struct {
	op    string
	lead  []error // kinds printed before the cause
	err   error
	tail  []error // kinds printed after the cause
	final bool    // not to be retried by the Client, whatever its kind
}

func (e *opError) Error() string {
	var b strings.Builder
	b.WriteString("snelstart: ")
	b.WriteString(e.op)
	for _, k := range e.lead {
		b.WriteString(": ")
		b.WriteString(trimPrefix(k.Error()))
	}
	b.WriteString(": ")
	b.WriteString(trimPrefix(e.err.Error()))
	for _, k := range e.tail {
		b.WriteString(" (")
		b.WriteString(trimPrefix(k.Error()))
		b.WriteString(")")
	}
	return b.String()
}

func (e *opError) Unwrap() []error {
	errs := make([]error, 0, len(e.lead)+len(e.tail)+1)
	errs = append(errs, e.lead...)
	errs = append(errs, e.tail...)
	return append(errs, e.err)
}

func trimPrefix(s string) string {
	if t, ok := strings.CutPrefix(s, "snelstart: "); ok {
		return t
	}
	if t, ok := strings.CutPrefix(s, "snelstart "); ok {
		return t
	}
	return s
}

// redact removes the secrets from what e prints and holds, should a server
// ever echo one.
func redact(e *Error, secrets ...string) {
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		for i, m := range e.Messages {
			e.Messages[i] = strings.ReplaceAll(m, s, "[redacted]")
		}
		for k, ms := range e.Fields {
			for i, m := range ms {
				e.Fields[k][i] = strings.ReplaceAll(m, s, "[redacted]")
			}
		}
		e.Body = bytes.ReplaceAll(e.Body, []byte(s), []byte("[redacted]"))
	}
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// itemPath checks id and fills it into template.
func itemPath(method, template string, id ID) (string, error) {
	if !guidPattern.MatchString(string(id)) {
		return "", &opError{op: method + " " + template, err: fmt.Errorf("id %q is not a GUID", id), lead: []error{ErrInvalidRequest}}
	}
	return ItemPath(template, id), nil
}
