package webshop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors of the shop REST clients. Every error a client returns
// for a failed request is a *[ShopError] that wraps one of them; test with
// errors.Is.
var (
	// ErrShopAuth means the shop refused the credentials (HTTP 401 or 403).
	// Retrying does not help; the profile's keys must be fixed.
	ErrShopAuth = errors.New("webshop: shop refused the credentials")
	// ErrNotPlatform means the URL does not serve the platform's REST API:
	// the API path is unknown there (404), or the answer is an HTML page or
	// JSON of another shape.
	ErrNotPlatform = errors.New("webshop: not the platform's REST API")
	// ErrBadPage means a response could not be read: invalid JSON, an
	// order without an id, or a body over the size limit. ShopError.Page
	// says which page.
	ErrBadPage = errors.New("webshop: unreadable response")
	// ErrShopUnavailable means the shop kept failing with 429, 5xx or
	// transport errors until the retries ran out, or asked to wait longer
	// than the client may (ShopError.RetryAfter). Try again later.
	ErrShopUnavailable = errors.New("webshop: shop unavailable")
	// ErrShopRequest means the shop rejected the request itself (another
	// 4xx, such as a parameter this shop's version does not accept).
	ErrShopRequest = errors.New("webshop: shop rejected the request")
	// ErrOrderNotFound means the shop has no order with the id asked for.
	ErrOrderNotFound = errors.New("webshop: no such order")
)

// A ShopError describes a failed shop REST request. It wraps Kind, one of
// the sentinels above, and Err, the cause when there is one. Its message
// names the shop by URL and never contains credentials or response bodies,
// only the platform's short error message.
type ShopError struct {
	Platform Platform
	// Shop is the shop's base URL as configured, without credentials.
	Shop string
	// Op is what was asked: "list orders", "get order 42".
	Op string
	// Page is the page number of a list request, 0 otherwise.
	Page int
	// Status is the HTTP status of the last response, 0 if none came.
	Status int
	// RetryAfter is the wait the shop asked for in its last 429 or 503
	// answer (Retry-After), 0 if it asked none.
	RetryAfter time.Duration
	// Message is the platform's error message from the body, if any.
	Message string
	// Kind is ErrShopAuth, ErrNotPlatform, ErrBadPage, ErrShopUnavailable,
	// ErrShopRequest or ErrOrderNotFound.
	Kind error
	// Err is the underlying cause (transport or decode error), or nil.
	Err error
}

func (e *ShopError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	fmt.Fprintf(&b, ": %s %s: %s", e.Platform, e.Shop, e.Op)
	if e.Page > 0 {
		fmt.Fprintf(&b, " page %d", e.Page)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns Kind and, when set, Err.
func (e *ShopError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// RESTOptions tune the HTTP side of a shop REST client. The zero value
// gives the defaults.
type RESTOptions struct {
	// HTTPClient sends the requests; nil means http.DefaultTransport with
	// no client-wide timeout (Timeout bounds each attempt). Redirects are
	// followed as the client's CheckRedirect says.
	HTTPClient *http.Client
	// Timeout bounds one attempt, from sending to the end of the body.
	// Default 30s.
	Timeout time.Duration
	// MaxAttempts is how often one request is tried in all when the shop
	// answers 429 or 5xx (except 501) or the connection fails. Default 4.
	MaxAttempts int
	// RetryDelay is the wait before the first retry; it doubles for each
	// further one, up to MaxRetryDelay. Default 1s.
	RetryDelay time.Duration
	// MaxRetryDelay caps the backoff. A Retry-After longer than this ends
	// the retries at once with ErrShopUnavailable and ShopError.RetryAfter
	// set, so the caller can schedule the next try. Default 60s.
	MaxRetryDelay time.Duration
	// MaxBodyBytes limits a response body; a longer one is ErrBadPage.
	// Default 64 MiB.
	MaxBodyBytes int64
	// UserAgent is sent with every request. Default "koppel".
	UserAgent string
}

func (o RESTOptions) withDefaults() RESTOptions {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = time.Minute
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = "koppel"
	}
	return o
}

// restClient is the HTTP part shared by the platform clients: attempts,
// retries, classification of failures. It holds no credentials; the
// platform client's authorize callback adds them to each attempt.
type restClient struct {
	platform Platform
	base     *url.URL // shop base URL, no trailing slash, no query
	shop     string   // base as text, for errors
	opts     RESTOptions
	// authorize adds credentials to an attempt's request. It is called for
	// every attempt, so signatures carry a fresh nonce and timestamp.
	authorize func(*http.Request)
}

// parseShopURL checks a configured shop URL: absolute http or https, no
// credentials, query or fragment. The path is kept without a trailing
// slash (WordPress or Magento in a subdirectory).
func parseShopURL(platform Platform, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("webshop: %s shop URL: %w", platform, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("webshop: %s shop URL %q: want an http or https URL", platform, raw)
	case u.Host == "":
		return nil, fmt.Errorf("webshop: %s shop URL %q: no host", platform, raw)
	case u.User != nil:
		return nil, fmt.Errorf("webshop: %s shop URL: contains credentials; configure them separately", platform)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("webshop: %s shop URL %q: has a query or fragment", platform, u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// endpoint returns the URL of path (starting with "/") under the shop's
// base with the already encoded query.
func (c *restClient) endpoint(path, rawQuery string) *url.URL {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = rawQuery
	return &u
}

// response is a completed HTTP exchange with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET u with the retry policy: 429 and 5xx other than 501, and
// transport failures, are retried with exponential backoff or the shop's
// Retry-After. It returns the first response that is not retried, or an
// error wrapping ErrShopUnavailable, ErrBadPage (body too large) or the
// context's error. op and page only label errors.
func (c *restClient) get(ctx context.Context, u *url.URL, op string, page int) (*response, error) {
	delay := c.opts.RetryDelay
	var last *ShopError
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, u)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var wait time.Duration
		switch {
		case err != nil:
			var se *ShopError
			if errors.As(err, &se) {
				se.Platform, se.Shop, se.Op, se.Page = c.platform, c.shop, op, page
				return nil, se
			}
			last = c.errorf(ErrShopUnavailable, op, page, nil, err)
		case retryable(resp.status):
			last = c.errorf(ErrShopUnavailable, op, page, resp, nil)
			if ra, ok := retryAfter(resp.header, time.Now()); ok {
				last.RetryAfter = ra
				if ra > c.opts.MaxRetryDelay {
					return nil, last
				}
				wait = ra
			}
		default:
			return resp, nil
		}
		if attempt >= c.opts.MaxAttempts {
			return nil, last
		}
		wait = max(wait, delay)
		delay = min(2*delay, c.opts.MaxRetryDelay)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// attempt sends one GET and reads the body within opts.Timeout. Transport
// errors come back without the request URL, which can hold credentials
// (WooCommerce query-string auth).
func (c *restClient) attempt(ctx context.Context, u *url.URL) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", redactURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	c.authorize(req)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", redactURLError(err))
	}
	// A UTF-8 byte order mark, which a PHP file saved with one puts before
	// the JSON, is not part of the answer.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if int64(len(body)) > c.opts.MaxBodyBytes {
		return nil, &ShopError{Kind: ErrBadPage, Status: resp.StatusCode,
			Err: fmt.Errorf("body larger than %d bytes", c.opts.MaxBodyBytes)}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// redactURLError strips the request URL from a *url.Error, keeping the
// operation and cause.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// retryable reports whether a status is worth another attempt: 429 and
// every 5xx except 501 Not Implemented and 505.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests ||
		status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (relative to now). ok is false when there is none or it does not parse.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 1<<31)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// errorf builds a *ShopError of kind for op, with the status and the
// platform's message from resp when there is one.
func (c *restClient) errorf(kind error, op string, page int, resp *response, err error) *ShopError {
	e := &ShopError{Platform: c.platform, Shop: c.shop, Op: op, Page: page, Kind: kind, Err: err}
	if resp != nil {
		e.Status = resp.status
		e.Message = errorMessage(resp.body)
	}
	return e
}

// classify turns a response that was not retried and is not 2xx into an
// error: 401/403 are ErrShopAuth, 404 ErrNotPlatform (the caller handles
// a 404 it can tell apart), any other status ErrShopRequest. It returns
// nil for 2xx.
func (c *restClient) classify(resp *response, op string, page int) error {
	switch s := resp.status; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return c.errorf(ErrShopAuth, op, page, resp, nil)
	case s == http.StatusNotFound:
		e := c.errorf(ErrNotPlatform, op, page, resp, nil)
		if e.Message == "" {
			e.Err = errors.New("the API path does not exist there")
		}
		return e
	default:
		return c.errorf(ErrShopRequest, op, page, resp, nil)
	}
}

// checkJSON returns an ErrNotPlatform error when a 2xx body is not JSON
// by its Content-Type or its first byte (an HTML page: a maintenance page,
// a site without the platform, a login wall), and nil otherwise. A body
// that looks like JSON but does not parse is left to the decoder, which
// makes it ErrBadPage.
func (c *restClient) checkJSON(resp *response, op string, page int) error {
	ct := strings.ToLower(resp.header.Get("Content-Type"))
	first := firstByte(resp.body)
	htmlish := strings.Contains(ct, "html") || first == '<'
	jsonish := first == '{' || first == '['
	if htmlish || (!jsonish && !strings.Contains(ct, "json")) {
		e := c.errorf(ErrNotPlatform, op, page, resp, nil)
		e.Message = ""
		e.Err = fmt.Errorf("answer is %s, not JSON", describeBody(ct, resp.body))
		return e
	}
	return nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func describeBody(ct string, body []byte) string {
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return "empty"
	case ct != "":
		return strconv.Quote(ct)
	default:
		return "not JSON"
	}
}

// errorMessage extracts the platform's short error message from a JSON
// error body: WordPress {"code", "message", "data"} or Magento {"message",
// "parameters"}, with Magento's %1 / %name placeholders filled in. It is
// cut to 200 bytes; anything else gives "".
func errorMessage(body []byte) string {
	var e struct {
		Code       string          `json:"code"`
		Message    string          `json:"message"`
		Parameters json.RawMessage `json:"parameters"`
	}
	if firstByte(body) != '{' || json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := e.Message
	if len(e.Parameters) > 0 {
		var list []any
		var named map[string]any
		switch {
		case json.Unmarshal(e.Parameters, &list) == nil:
			for i, v := range list {
				msg = strings.ReplaceAll(msg, "%"+strconv.Itoa(i+1), fmt.Sprint(v))
			}
		case json.Unmarshal(e.Parameters, &named) == nil:
			for k, v := range named {
				msg = strings.ReplaceAll(msg, "%"+k, fmt.Sprint(v))
			}
		}
	}
	if e.Code != "" && msg != "" {
		msg = e.Code + ": " + msg
	}
	if len(msg) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// query is an ordered list of query parameters, encoded the RFC 3986 way
// (space as %20, never "+"), which Magento's OAuth check needs and every
// platform accepts.
type query [][2]string

func (q query) encode() string {
	var b strings.Builder
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(percentEncode(kv[0]))
		b.WriteByte('=')
		b.WriteString(percentEncode(kv[1]))
	}
	return b.String()
}

// percentEncode encodes s as RFC 3986 (and RFC 5849 §3.6) require: every
// byte except ALPHA, DIGIT, "-", ".", "_" and "~" becomes %XX, upper-case.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

// pagesFor returns the number of pages of size per for total items.
func pagesFor(total, per int) int {
	if total <= 0 || per <= 0 {
		return 0
	}
	return (total + per - 1) / per
}
