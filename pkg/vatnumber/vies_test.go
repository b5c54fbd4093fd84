package vatnumber_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/vatnumber"
	"github.com/koppel/koppel/pkg/viessandbox"
)

// newVIES serves a fresh sandbox over HTTP and returns it with a client.
func newVIES(t *testing.T) (*viessandbox.Sandbox, *vatnumber.VIES) {
	t.Helper()
	sb := viessandbox.New()
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	return sb, &vatnumber.VIES{URL: srv.URL, HTTP: srv.Client()}
}

func mustCheck(t *testing.T, s string) vatnumber.Number {
	t.Helper()
	n, err := vatnumber.Check(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVIESVerdicts(t *testing.T) {
	sb, v := newVIES(t)
	sb.Register("NL123456782B01", viessandbox.Trader{Name: "ACME BV", Address: "KERKSTRAAT 1\n1234 AB DORP"})
	sb.Register("EL123456783", viessandbox.Trader{Name: "ΑΚΜΕ Α.Ε."})
	sb.Register("DE123456788", viessandbox.Trader{}) // Germany withholds name and address

	tests := map[string]struct {
		number  string
		valid   bool
		name    string
		address string
	}{
		"registered":            {number: "NL123456782B01", valid: true, name: "ACME BV", address: "KERKSTRAAT 1\n1234 AB DORP"},
		"not registered":        {number: "NL123456782B02", valid: false},
		"Greece is asked as EL": {number: "GR123456783", valid: true, name: "ΑΚΜΕ Α.Ε."},
		"name withheld":         {number: "DE123456788", valid: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			n, _ := vatnumber.Parse(tt.number)
			before := time.Now().Add(-time.Second)
			res, err := v.Check(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid != tt.valid || res.Name != tt.name || res.Address != tt.address {
				t.Errorf("Check(%s) = valid %v, name %q, address %q; want %v, %q, %q",
					n, res.Valid, res.Name, res.Address, tt.valid, tt.name, tt.address)
			}
			if res.CheckedAt.Before(before) || res.CheckedAt.After(time.Now().Add(time.Second)) {
				t.Errorf("CheckedAt = %v, want about now", res.CheckedAt)
			}
			var raw map[string]any
			if err := json.Unmarshal(res.Raw, &raw); err != nil || raw["vatNumber"] != n.Body || raw["countryCode"] != n.Prefix {
				t.Errorf("Raw = %s (%v), want the answer for %s", res.Raw, err, n)
			}
		})
	}
	reqs := sb.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("sandbox saw %d checks, want %d", len(reqs), len(tests))
	}
	for _, r := range reqs {
		if r.CountryCode == "GR" {
			t.Errorf("a Greek number was sent as GR, want EL")
		}
	}
}

func TestVIESInvalidInputIsAVerdict(t *testing.T) {
	// VIES answers INVALID_INPUT (HTTP 400) for a number it cannot take;
	// that is "invalid", not an outage.
	_, v := newVIES(t)
	res, err := v.Check(context.Background(), vatnumber.Number{Country: "NL", Prefix: "NL", Body: " "})
	if err != nil || res.Valid || !strings.Contains(string(res.Raw), "INVALID_INPUT") {
		t.Fatalf("Check = %+v, %v; want invalid with the answer kept", res, err)
	}
}

// TestVIESOutagesAreNotInvalid is the rule of connectors-practice.md: an
// outage or throttling of VIES must never read as an invalid number.
func TestVIESOutagesAreNotInvalid(t *testing.T) {
	tests := map[string]struct {
		fault viessandbox.Fault
		code  string
		ctx   time.Duration // a deadline for the check, if any
	}{
		"member state unavailable": {fault: viessandbox.Fault{Country: "DE", Code: "MS_UNAVAILABLE"}, code: "MS_UNAVAILABLE"},
		"member state throttling":  {fault: viessandbox.Fault{Country: "DE", Code: "MS_MAX_CONCURRENT_REQ"}, code: "MS_MAX_CONCURRENT_REQ"},
		"throttling as HTTP 500":   {fault: viessandbox.Fault{Code: "MS_MAX_CONCURRENT_REQ", Status: 500}, code: "MS_MAX_CONCURRENT_REQ"},
		"global throttling":        {fault: viessandbox.Fault{Code: "GLOBAL_MAX_CONCURRENT_REQ"}, code: "GLOBAL_MAX_CONCURRENT_REQ"},
		"VIES unavailable":         {fault: viessandbox.Fault{Code: "SERVICE_UNAVAILABLE"}, code: "SERVICE_UNAVAILABLE"},
		"member state timeout":     {fault: viessandbox.Fault{Code: "TIMEOUT"}, code: "TIMEOUT"},
		"an unknown code":          {fault: viessandbox.Fault{Code: "SOMETHING_NEW"}, code: "SOMETHING_NEW"},
		"bare 500":                 {fault: viessandbox.Fault{Status: 500}},
		"bare 503":                 {fault: viessandbox.Fault{Status: 503}},
		"bare 429":                 {fault: viessandbox.Fault{Status: 429}},
		"too slow":                 {fault: viessandbox.Fault{Latency: 5 * time.Second}, ctx: 50 * time.Millisecond},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			sb, v := newVIES(t)
			sb.Register("DE123456788", viessandbox.Trader{})
			sb.AddFault(tt.fault)
			ctx := context.Background()
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			res, err := v.Check(ctx, mustCheck(t, "DE123456788"))
			if !errors.Is(err, vatnumber.ErrUnavailable) {
				t.Fatalf("Check = %+v, %v; want ErrUnavailable", res, err)
			}
			if res.Valid || res.Raw != nil {
				t.Errorf("Result = %+v alongside the error, want the zero Result", res)
			}
			var se *vatnumber.ServiceError
			if !errors.As(err, &se) || se.Code != tt.code || se.Number != "DE123456788" {
				t.Errorf("error = %#v, want a *ServiceError with code %q", err, tt.code)
			}
			if tt.ctx > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error = %v, want it to match context.DeadlineExceeded too", err)
			}
		})
	}
}

func TestVIESFaultPerMemberState(t *testing.T) {
	// Germany throttled for two calls; the Netherlands answers meanwhile,
	// and Germany again after.
	sb, v := newVIES(t)
	sb.Register("DE123456788", viessandbox.Trader{})
	sb.Register("NL123456782B01", viessandbox.Trader{Name: "ACME BV"})
	sb.AddFault(viessandbox.Fault{Country: "DE", Code: "MS_MAX_CONCURRENT_REQ", Count: 2})
	ctx := context.Background()
	de, nl := mustCheck(t, "DE123456788"), mustCheck(t, "NL123456782B01")
	for range 2 {
		if _, err := v.Check(ctx, de); !errors.Is(err, vatnumber.ErrUnavailable) {
			t.Fatalf("DE during throttling: %v, want ErrUnavailable", err)
		}
		if res, err := v.Check(ctx, nl); err != nil || !res.Valid {
			t.Fatalf("NL during DE throttling: %+v, %v; want valid", res, err)
		}
	}
	if res, err := v.Check(ctx, de); err != nil || !res.Valid {
		t.Fatalf("DE after throttling: %+v, %v; want valid", res, err)
	}
}

func TestVIESRefusals(t *testing.T) {
	// The real test service's fixed numbers, served by the sandbox.
	tests := map[string]error{
		"100": nil, "200": nil, "201": nil, // valid, invalid, INVALID_INPUT: verdicts
		"202": vatnumber.ErrRefused, "400": vatnumber.ErrRefused, "401": vatnumber.ErrRefused,
		"300": vatnumber.ErrUnavailable, "301": vatnumber.ErrUnavailable, "302": vatnumber.ErrUnavailable,
		"500": vatnumber.ErrUnavailable, "501": vatnumber.ErrUnavailable,
		"600": vatnumber.ErrUnavailable, "601": vatnumber.ErrUnavailable, "999": vatnumber.ErrUnavailable,
	}
	sb := viessandbox.New()
	srv := httptest.NewServer(rewrite("/check-vat-number", "/check-vat-test-service", sb))
	defer srv.Close()
	v := &vatnumber.VIES{URL: srv.URL}
	for body, want := range tests {
		res, err := v.Check(context.Background(), vatnumber.Number{Country: "DE", Prefix: "DE", Body: body})
		if !errors.Is(err, want) || (want == nil && res.Valid != (body == "100")) {
			t.Errorf("test number %s: %+v, %v; want %v", body, res, err, want)
		}
		if errors.Is(err, vatnumber.ErrUnavailable) && errors.Is(err, vatnumber.ErrRefused) {
			t.Errorf("test number %s: both unavailable and refused", body)
		}
	}
}

// rewrite serves h with the path from replaced by to.
func rewrite(from, to string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = strings.Replace(r.URL.Path, from, to, 1)
		h.ServeHTTP(w, r)
	})
}

func TestVIESRequester(t *testing.T) {
	sb, v := newVIES(t)
	sb.Register("NL123456782B01", viessandbox.Trader{Name: "ACME BV"})
	sb.Register("BE0123456749", viessandbox.Trader{Name: "KOPER NV"})
	v.Requester = mustCheck(t, "NL123456782B01")
	res, err := v.Check(context.Background(), mustCheck(t, "BE0123456749"))
	if err != nil || !res.Valid || res.RequestIdentifier == "" {
		t.Fatalf("Check with requester = %+v, %v; want valid with a consultation number", res, err)
	}
	r := sb.Requests()[0]
	if r.RequesterMemberStateCode != "NL" || r.RequesterNumber != "123456782B01" {
		t.Errorf("sandbox saw requester %q %q", r.RequesterMemberStateCode, r.RequesterNumber)
	}

	v.Requester = mustCheck(t, "NL123456789B13") // not known to VIES
	_, err = v.Check(context.Background(), mustCheck(t, "BE0123456749"))
	var se *vatnumber.ServiceError
	if !errors.Is(err, vatnumber.ErrRefused) || !errors.As(err, &se) || se.Code != "INVALID_REQUESTER_INFO" {
		t.Fatalf("Check with unknown requester: %v; want ErrRefused with INVALID_REQUESTER_INFO", err)
	}
}

// TestVIESAnswerShapes covers answers the sandbox does not give: a
// maintenance page with 200, answers without a verdict, the GET
// operation's shape and an old requestDate.
func TestVIESAnswerShapes(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		valid  bool
		want   error
		at     time.Time
	}{
		"HTML with 200":       {status: 200, body: "<html>maintenance</html>", want: vatnumber.ErrUnavailable},
		"no verdict":          {status: 200, body: `{"countryCode":"NL"}`, want: vatnumber.ErrUnavailable},
		"failure, no code":    {status: 200, body: `{"actionSucceed":false}`, want: vatnumber.ErrUnavailable},
		"empty 502":           {status: 502, want: vatnumber.ErrUnavailable},
		"404":                 {status: 404, body: "not found", want: vatnumber.ErrRefused},
		"GET shape, valid":    {status: 200, body: `{"isValid":true,"userError":"VALID","name":"X"}`, valid: true},
		"GET shape, throttle": {status: 200, body: `{"isValid":false,"userError":"MS_MAX_CONCURRENT_REQ"}`, want: vatnumber.ErrUnavailable},
		"date with zone": {status: 200, body: `{"valid":false,"requestDate":"2013-11-22+01:00"}`,
			at: time.Date(2013, 11, 22, 0, 0, 0, 0, time.FixedZone("", 3600))},
		"timestamp": {status: 200, body: `{"valid":true,"requestDate":"2026-05-31T07:43:04.734Z"}`, valid: true,
			at: time.Date(2026, 5, 31, 7, 43, 4, 734e6, time.UTC)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			v := &vatnumber.VIES{URL: srv.URL}
			res, err := v.Check(context.Background(), mustCheck(t, "NL123456782B01"))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) || res.Valid != tt.valid {
				t.Fatalf("Check = %+v, %v; want valid %v, error %v", res, err, tt.valid, tt.want)
			}
			if !tt.at.IsZero() && !res.CheckedAt.Equal(tt.at) {
				t.Errorf("CheckedAt = %v, want %v", res.CheckedAt, tt.at)
			}
		})
	}
}

func TestVIESNetworkDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	v := &vatnumber.VIES{URL: url}
	_, err := v.Check(context.Background(), mustCheck(t, "NL123456782B01"))
	if !errors.Is(err, vatnumber.ErrUnavailable) {
		t.Fatalf("Check = %v, want ErrUnavailable", err)
	}
}

func TestVIESNoNumber(t *testing.T) {
	v := &vatnumber.VIES{URL: "http://127.0.0.1:1"}
	_, err := v.Check(context.Background(), vatnumber.Number{})
	if !errors.Is(err, vatnumber.ErrFormat) {
		t.Fatalf("Check(zero Number) = %v, want ErrFormat", err)
	}
}
