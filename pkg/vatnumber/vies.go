package vatnumber

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultVIESURL is the base URL of the EU's VIES REST API.
const DefaultVIESURL = "https://ec.europa.eu/taxation_customs/vies/rest-api"

// The errors of [VIES.Check] that are not a verdict on the number. Neither
// means "invalid": an order that needs the check waits.
var (
	// ErrUnavailable marks a check that did not happen for a passing
	// reason: VIES or the member state's service is down, throttled
	// (MS_MAX_CONCURRENT_REQ, GLOBAL_MAX_CONCURRENT_REQ, …) or timed out,
	// an HTTP 5xx, 408 or 429, a network error, or an answer that is not a
	// check result. Try again later.
	ErrUnavailable = errors.New("VIES unavailable")
	// ErrRefused marks a check VIES will not do as asked: the caller's IP
	// address is blocked (IP_BLOCKED), the requester number is wrong
	// (INVALID_REQUESTER_INFO), the number is blocked from checks
	// (VAT_BLOCKED), or another 4xx answer. Trying again as is will not
	// help; a person has to look.
	ErrRefused = errors.New("VIES refused the check")
)

// A ServiceError is an answer of VIES, or the lack of one, that is not a
// verdict on the number. It matches [ErrUnavailable] or [ErrRefused] with
// errors.Is, and the transport error, if any (such as
// context.DeadlineExceeded).
type ServiceError struct {
	Number  string // the number checked, such as "DE811569869"
	Status  int    // the HTTP status; 0 when no answer arrived
	Code    string // the VIES error code, such as "MS_MAX_CONCURRENT_REQ"; "" when none was given
	Message string // VIES's message, or what was wrong with the answer
	Raw     []byte // the answer's body, at most 64 KiB; nil when no answer arrived
	Err     error  // the transport error, if any
	kind    error  // ErrUnavailable or ErrRefused
}

func (e *ServiceError) Error() string {
	var b strings.Builder
	b.WriteString("VIES check of ")
	b.WriteString(e.Number)
	b.WriteString(": ")
	if e.kind == ErrRefused {
		b.WriteString("refused")
	} else {
		b.WriteString("unavailable")
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Status != 0 && e.Status != http.StatusOK {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind ([ErrUnavailable] or [ErrRefused]) and the
// transport error.
func (e *ServiceError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.kind, e.Err}
	}
	return []error{e.kind}
}

// A Result is VIES's verdict on a number.
type Result struct {
	// Valid reports whether the member state knows the number as an active
	// VAT registration on CheckedAt.
	Valid bool
	// Name and Address are the trader's, as the member state gives them;
	// empty when it withholds them (Germany always does), which VIES
	// writes as "---".
	Name, Address string
	// CheckedAt is VIES's requestDate, or the local time of the answer
	// when VIES gave none.
	CheckedAt time.Time
	// RequestIdentifier is VIES's consultation number, the proof of the
	// check towards a tax authority; VIES gives one only when the request
	// names a requester (see [VIES.Requester]).
	RequestIdentifier string
	// Raw is the answer's body as received, kept as proof.
	Raw []byte
}

// VIES is a client of the EU's VIES REST API (POST /check-vat-number). Its
// zero value is ready to use; a VIES is safe for concurrent use.
type VIES struct {
	// URL is the base URL without the final slash; empty means
	// [DefaultVIESURL].
	URL string
	// HTTP is the client that sends the requests; nil means one with a
	// 30-second timeout. Deadlines of the ctx passed to Check apply too.
	HTTP *http.Client
	// Requester, when set, is the VAT number of whoever asks; VIES then
	// answers with a consultation number ([Result.RequestIdentifier]). A
	// requester VIES does not know makes every check fail with
	// INVALID_REQUESTER_INFO ([ErrRefused]).
	Requester Number
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// maxAnswer bounds the answer body read; VIES answers are a few hundred
// bytes.
const maxAnswer = 64 << 10

// codeInvalidInput is the one VIES error code that is a verdict: the
// number is not one the member state can have issued. The other codes are
// in transientCodes and refusedCodes.
const codeInvalidInput = "INVALID_INPUT"

// transientCodes are VIES error codes that pass by themselves.
var transientCodes = map[string]string{
	"SERVICE_UNAVAILABLE":            "VIES itself is unavailable",
	"MS_UNAVAILABLE":                 "the member state's service is unavailable",
	"TIMEOUT":                        "the member state's service did not answer in time",
	"GLOBAL_MAX_CONCURRENT_REQ":      "VIES is handling too many requests",
	"GLOBAL_MAX_CONCURRENT_REQ_TIME": "VIES is handling too many requests",
	"MS_MAX_CONCURRENT_REQ":          "the member state's service is handling too many requests",
	"MS_MAX_CONCURRENT_REQ_TIME":     "the member state's service is handling too many requests",
	"SERVER_BUSY":                    "VIES is busy",
}

// refusedCodes are VIES error codes that need a person.
var refusedCodes = map[string]string{
	"INVALID_REQUESTER_INFO": "VIES does not accept the requester's VAT number",
	"IP_BLOCKED":             "VIES blocks this IP address",
	"VAT_BLOCKED":            "VIES blocks checks of this number",
}

// checkRequest is the body of POST /check-vat-number.
type checkRequest struct {
	CountryCode              string `json:"countryCode"`
	VATNumber                string `json:"vatNumber"`
	RequesterMemberStateCode string `json:"requesterMemberStateCode,omitempty"`
	RequesterNumber          string `json:"requesterNumber,omitempty"`
}

// checkAnswer is every field of the answers of POST /check-vat-number
// that Check reads: a result (CheckVatResponse) or a failure
// (CommonResponse). UserError and IsValid are the GET endpoint's names,
// read in case a proxy or a future version answers in that shape.
type checkAnswer struct {
	Valid             *bool  `json:"valid"`
	IsValid           *bool  `json:"isValid"`
	UserError         string `json:"userError"`
	Name              string `json:"name"`
	Address           string `json:"address"`
	RequestDate       string `json:"requestDate"`
	RequestIdentifier string `json:"requestIdentifier"`
	ActionSucceed     *bool  `json:"actionSucceed"`
	ErrorWrappers     []struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	} `json:"errorWrappers"`
}

// Check asks VIES whether n is a registered VAT number. Call [Check] (the
// function) first: VIES takes any string, and a typing mistake is cheaper
// to find locally.
//
// A nil error means a verdict: Result.Valid true or false, with VIES's
// answer in Result.Raw. VIES's INVALID_INPUT is a verdict too (invalid).
// Every other failure is a *[ServiceError] matching [ErrUnavailable] (the
// service is down, throttled, slow, answered 5xx, or the network failed;
// try again later) or [ErrRefused] (try again will not help); VIES answers
// some of these with HTTP 200, which Check reads as failures all the same.
// Check never reports a number invalid because VIES could not be asked.
func (v *VIES) Check(ctx context.Context, n Number) (Result, error) {
	prefix := n.Prefix
	if prefix == "" {
		prefix = Prefix(n.Country)
	}
	if prefix == "" || n.Body == "" {
		return Result{}, &Error{Number: n.String(), Reason: "no member state or no number to check in VIES", Kind: ErrFormat}
	}
	number := prefix + n.Body
	req := checkRequest{CountryCode: prefix, VATNumber: n.Body}
	if v.Requester.Body != "" {
		req.RequesterMemberStateCode = v.Requester.Prefix
		if req.RequesterMemberStateCode == "" {
			req.RequesterMemberStateCode = Prefix(v.Requester.Country)
		}
		req.RequesterNumber = v.Requester.Body
	}
	status, raw, err := v.post(ctx, req)
	if err != nil {
		kind := ErrUnavailable
		if status == 0 && ctx.Err() == nil && !isNetError(err) {
			kind = ErrRefused // the request could not be built or sent as is
		}
		return Result{}, &ServiceError{Number: number, Status: status, Raw: raw, Err: err, kind: kind}
	}
	return interpret(number, status, raw)
}

// post sends the request and reads the answer.
func (v *VIES) post(ctx context.Context, req checkRequest) (int, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, nil, err
	}
	base := v.URL
	if base == "" {
		base = DefaultVIESURL
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/check-vat-number", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	client := v.HTTP
	if client == nil {
		client = defaultHTTP
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return 0, nil, &netError{err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, raw, &netError{err}
	}
	return resp.StatusCode, raw, nil
}

// A netError is a failure to get an answer over the network (including a
// timeout), as opposed to a request that could not be built.
type netError struct{ err error }

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

func isNetError(err error) bool {
	var ne *netError
	return errors.As(err, &ne)
}

// interpret turns an answer of VIES into a verdict or a *ServiceError.
func interpret(number string, status int, raw []byte) (Result, error) {
	fail := func(kind error, code, msg string) (Result, error) {
		return Result{}, &ServiceError{Number: number, Status: status, Code: code, Message: msg, Raw: raw, kind: kind}
	}
	var a checkAnswer
	jsonErr := json.Unmarshal(raw, &a)
	code, msg, failed := a.failure()
	switch {
	case jsonErr == nil && code == codeInvalidInput:
		// VIES's verdict that the number is not one of the member state.
		return Result{Valid: false, CheckedAt: a.checkedAt(), Raw: raw}, nil
	case jsonErr == nil && failed:
		if text, ok := refusedCodes[code]; ok {
			return fail(ErrRefused, code, firstNonEmpty(msg, text))
		}
		text := transientCodes[code] // an unknown code counts as passing
		return fail(ErrUnavailable, code, firstNonEmpty(msg, text))
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return fail(ErrUnavailable, "", http.StatusText(status))
	case status != http.StatusOK:
		return fail(ErrRefused, "", http.StatusText(status))
	case jsonErr != nil:
		return fail(ErrUnavailable, "", "the answer is not JSON")
	}
	valid := a.Valid
	if valid == nil {
		valid = a.IsValid
	}
	if valid == nil {
		return fail(ErrUnavailable, "", "the answer holds no verdict")
	}
	return Result{
		Valid:             *valid,
		Name:              withheld(a.Name),
		Address:           withheld(a.Address),
		CheckedAt:         a.checkedAt(),
		RequestIdentifier: a.RequestIdentifier,
		Raw:               raw,
	}, nil
}

// failure reports whether the answer is a failure (a CommonResponse with
// actionSucceed false or errorWrappers, or a userError other than VALID and
// INVALID) and returns its first error code and message.
func (a *checkAnswer) failure() (code, msg string, failed bool) {
	for _, w := range a.ErrorWrappers {
		if w.Error != "" {
			return strings.TrimSpace(w.Error), strings.TrimSpace(w.Message), true
		}
	}
	if u := strings.TrimSpace(a.UserError); u != "" && u != "VALID" && u != "INVALID" {
		return u, "", true
	}
	if a.ActionSucceed != nil && !*a.ActionSucceed || len(a.ErrorWrappers) > 0 {
		return "", "VIES reported a failure without a code", true
	}
	return "", "", false
}

// requestDateLayouts are the forms of requestDate seen from VIES: a full
// timestamp and, in older answers, a date with a zone.
var requestDateLayouts = []string{time.RFC3339Nano, "2006-01-02Z07:00", "2006-01-02"}

// checkedAt parses requestDate, falling back to the local clock.
func (a *checkAnswer) checkedAt() time.Time {
	for _, layout := range requestDateLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(a.RequestDate)); err == nil {
			return t
		}
	}
	return time.Now()
}

// withheld maps VIES's "---" for a withheld name or address to "".
func withheld(s string) string {
	s = strings.TrimSpace(s)
	if strings.Trim(s, "-") == "" {
		return ""
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
