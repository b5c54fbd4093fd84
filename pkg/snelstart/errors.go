package snelstart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An Error is a failed API or token response, parsed by [ParseError] from
// whichever of the body shapes of snelstart-api.md §3 it has:
//
//   - a business-rule failure, a JSON array
//     [{"errorCode":"VOR-0002","message":"De relatie is geen klant"}], each
//     element possibly with "details";
//   - an ASP.NET or OData failure, {"Message":"…"} (capital M);
//   - a model-binding failure, {"message":"…","modelState":{"field":["…"]}};
//   - an API Management (gateway) failure, {"statusCode":401,"message":"…"};
//   - a token-endpoint failure, OAuth style {"error":"…","error_description":"…"}.
//
// The spec defines no error body, so parsing is lenient: anything else
// becomes the first line of the body as a message, and a code of the form
// ABC-1234 found in the text counts as a code.
//
// Use errors.As to get an *Error from a wrapped error, or the helpers
// [HasCode], [IsBadSubscriptionKey], [IsBadClientKey] and [IsBadToken].
type Error struct {
	Status   int      // HTTP status code
	Codes    []string // SnelStart error codes such as "VOR-0002" (see the Code… constants), in body order, without repeats
	Messages []string // the messages, in body order; an element's details follow its message after " - "
	// Fields holds a model-binding failure's modelState: a property path
	// (such as "model.datum") and its messages.
	Fields map[string][]string
	// RetryAfter is how long to wait before trying again, from the
	// Retry-After header or the gateway's message ("Try again in N
	// seconds."); 0 when neither says.
	RetryAfter time.Duration
	Token      bool   // the response came from the token endpoint (see [ParseTokenError])
	Gateway    bool   // the body has API Management's {"statusCode","message"} shape
	Body       []byte // the raw body, cut at 8 KiB
}

const maxErrorBody = 8 << 10

var (
	codePattern       = regexp.MustCompile(`\b[A-Z]{3}-[0-9]{4}\b`)
	tryAgainPattern   = regexp.MustCompile(`(?i)try again in (\d+) seconds?`)
	replenishPattern  = regexp.MustCompile(`(?i)replenished in (\d+):(\d{2}):(\d{2})`)
	subscriptionKeyRe = regexp.MustCompile(`(?i)subscription key`)
	quotaRe           = regexp.MustCompile(`(?i)out of call volume quota`)
)

// ParseError parses a response of the API that is not a success into an
// *Error. It never fails and never returns nil: an empty or unparseable body
// still gives an Error with the status. header may be nil.
func ParseError(status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status, Body: bytes.Clone(body[:min(len(body), maxErrorBody)])}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
	case trimmed[0] == '[':
		e.parseArray(trimmed)
	case trimmed[0] == '{':
		e.parseObject(trimmed)
	default:
		e.addMessage(firstLine(string(trimmed)))
	}
	if len(e.Codes) == 0 && len(e.Messages) == 0 && len(trimmed) > 0 {
		e.addMessage(firstLine(string(trimmed))) // JSON of no known shape
	}
	if len(e.Codes) == 0 {
		for _, m := range e.Messages {
			for _, c := range codePattern.FindAllString(m, -1) {
				e.addCode(c)
			}
		}
	}
	e.RetryAfter = retryAfter(header, e.Messages)
	return e
}

// ParseTokenError is [ParseError] for a response of the token endpoint
// ([PathToken]): the Error's Token is set, so that [IsBadClientKey] can tell
// a rejected koppelsleutel from a rejected subscription key.
func ParseTokenError(status int, header http.Header, body []byte) *Error {
	e := ParseError(status, header, body)
	e.Token = true
	return e
}

// problem is an element of the business-rule error array; the JSON names are
// matched without regard to case, as encoding/json does.
type problem struct {
	ErrorCode string          `json:"errorCode"`
	Message   string          `json:"message"`
	Details   json.RawMessage `json:"details"`
}

func (e *Error) parseArray(body []byte) {
	var ps []problem
	if err := json.Unmarshal(body, &ps); err != nil {
		return
	}
	for _, p := range ps {
		e.addCode(p.ErrorCode)
		msg := p.Message
		if d := detailText(p.Details); d != "" {
			msg = strings.TrimSpace(msg + " - " + d)
		}
		e.addMessage(msg)
	}
}

func (e *Error) parseObject(body []byte) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return
	}
	get := func(name string) (json.RawMessage, bool) {
		for k, v := range obj {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return nil, false
	}
	str := func(name string) string {
		var s string
		if v, ok := get(name); ok {
			_ = json.Unmarshal(v, &s) // a non-string leaves s empty
		}
		return s
	}
	if _, ok := get("statusCode"); ok {
		e.Gateway = true
	}
	if oauth := str("error"); oauth != "" { // token endpoint, OAuth style (§1.2)
		e.Token = true
		msg := oauth
		if d := str("error_description"); d != "" {
			msg += ": " + d
		}
		e.addMessage(msg)
	}
	e.addCode(str("errorCode")) // a single problem object, should one come
	e.addMessage(str("message"))
	if v, ok := get("modelState"); ok {
		var fields map[string][]string
		if json.Unmarshal(v, &fields) == nil && len(fields) > 0 {
			e.Fields = fields
		}
	}
}

func detailText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return ""
	}
	return buf.String()
}

func (e *Error) addCode(c string) {
	if c = strings.TrimSpace(c); c != "" && !slices.Contains(e.Codes, c) {
		e.Codes = append(e.Codes, c)
	}
}

func (e *Error) addMessage(m string) {
	if m = strings.TrimSpace(m); m != "" {
		e.Messages = append(e.Messages, m)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// retryAfter reads the Retry-After header (seconds or an HTTP date), then the
// gateway's wording: "Try again in N seconds." on 429, "Quota will be
// replenished in hh:mm:ss." on 403 (snelstart-api.md §2.1).
func retryAfter(h http.Header, messages []string) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, time.Until(t).Round(time.Second))
		}
	}
	for _, m := range messages {
		if sm := tryAgainPattern.FindStringSubmatch(m); sm != nil {
			n, _ := strconv.Atoi(sm[1])
			return time.Duration(n) * time.Second
		}
		if sm := replenishPattern.FindStringSubmatch(m); sm != nil {
			h, _ := strconv.Atoi(sm[1])
			mi, _ := strconv.Atoi(sm[2])
			s, _ := strconv.Atoi(sm[3])
			return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second
		}
	}
	return 0
}

// Error returns one line such as
// "snelstart: 400 Bad Request [VOR-0002]: De relatie is geen klant".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("snelstart")
	if e.Token {
		b.WriteString(" token")
	}
	fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	if len(e.Codes) > 0 {
		b.WriteString(" [" + strings.Join(e.Codes, " ") + "]")
	}
	sep := ": "
	for _, m := range e.Messages {
		b.WriteString(sep + m)
		sep = "; "
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(sep + k + ": " + strings.Join(e.Fields[k], ", "))
		sep = "; "
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: on 429 (rate
// limited), on any 5xx, and on the gateway's 403 "Out of call volume quota"
// (snelstart-api.md §2.1). Honour RetryAfter when it is set. A POST that
// failed temporarily may still have been carried out (§9): look the object
// up before sending it again.
func (e *Error) Temporary() bool {
	switch {
	case e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	case e.Status == http.StatusForbidden:
		return slices.ContainsFunc(e.Messages, quotaRe.MatchString)
	}
	return false
}

// Permanent reports whether sending the same request again cannot succeed: a
// 4xx other than those [Error.Temporary] accepts. A 401 is permanent for the
// request, though a client holding a cached token re-mints it once (see
// [IsBadToken]).
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && !e.Temporary()
}

// HasCode reports whether the response carried the error code, such as
// [CodeRelatieNotKlant].
func (e *Error) HasCode(code string) bool { return slices.Contains(e.Codes, code) }

// HasCode reports whether err is or wraps an [*Error] that carried the error
// code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.HasCode(code)
}

// IsBadSubscriptionKey reports whether err is or wraps the gateway's refusal
// of the partner's subscription key (missing, wrong, or an expired
// Dev/Test key, which lasts 90 days): 401 "Access denied due to invalid
// subscription key…" (snelstart-api.md §1.1, §10 item 6). Only a new key
// from the developer portal fixes it; it is not the customer's fault.
func IsBadSubscriptionKey(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Token &&
		(e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden) &&
		slices.ContainsFunc(e.Messages, subscriptionKeyRe.MatchString)
}

// IsBadClientKey reports whether err is or wraps the token endpoint's refusal
// of the koppelsleutel (client key): 400 or 401 from [PathToken]. The key is
// wrong, was withdrawn, or the administration was restored from a backup;
// the customer must make or re-activate the koppeling (snelstart-api.md
// §1.2, §10 items 6 and 22). Only the status is relied on; the body's text is
// unconfirmed.
func IsBadClientKey(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Token &&
		(e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized)
}

// IsBadToken reports whether err is or wraps an API 401 that is not about
// the subscription key: the access token expired or was refused. Mint a new
// token and retry once (snelstart-api.md §10 item 7).
func IsBadToken(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Token && e.Status == http.StatusUnauthorized &&
		!IsBadSubscriptionKey(err)
}
