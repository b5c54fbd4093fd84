package viessandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// post sends body to path on srv and returns the status and decoded JSON
// (nil when the answer is not JSON).
func post(t *testing.T, srv *httptest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		m = nil
	}
	return resp.StatusCode, m
}

// errorCode returns the code of a CommonResponse, or "".
func errorCode(m map[string]any) string {
	if m == nil || m["actionSucceed"] != false {
		return ""
	}
	ws, _ := m["errorWrappers"].([]any)
	if len(ws) == 0 {
		return ""
	}
	w, _ := ws[0].(map[string]any)
	code, _ := w["error"].(string)
	return code
}

func newServer(t *testing.T) (*Sandbox, *httptest.Server) {
	t.Helper()
	sb := New()
	sb.now = func() time.Time { return time.Date(2026, 5, 31, 7, 43, 4, 734e6, time.UTC) }
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	return sb, srv
}

func TestCheckShapes(t *testing.T) {
	sb, srv := newServer(t)
	sb.Register("nl 123456782 b01", Trader{Name: "ACME BV", Address: "KERKSTRAAT 1\n1234 AB DORP"})

	status, m := post(t, srv, "/check-vat-number", `{"countryCode":"NL","vatNumber":"123456782B01"}`)
	if status != 200 || m["valid"] != true || m["name"] != "ACME BV" || m["address"] != "KERKSTRAAT 1\n1234 AB DORP" ||
		m["countryCode"] != "NL" || m["vatNumber"] != "123456782B01" || m["requestDate"] != "2026-05-31T07:43:04.734Z" ||
		m["requestIdentifier"] != "" || m["traderNameMatch"] != "NOT_PROCESSED" {
		t.Errorf("registered number: %d %v", status, m)
	}
	status, m = post(t, srv, "/taxation_customs/vies/rest-api/check-vat-number", `{"countryCode":"NL","vatNumber":"123456782B02"}`)
	if status != 200 || m["valid"] != false || m["name"] != "---" || m["address"] != "---" {
		t.Errorf("unknown number under the real base path: %d %v", status, m)
	}
	for _, body := range []string{
		`{"countryCode":"GB","vatNumber":"123456789"}`, // not in VIES
		`{"countryCode":"GR","vatNumber":"123456783"}`, // VIES wants EL
		`{"countryCode":"NL","vatNumber":""}`,
		`{"countryCode":"NL"`,
		`[]`,
	} {
		status, m := post(t, srv, "/check-vat-number", body)
		if status != 400 || errorCode(m) != "INVALID_INPUT" {
			t.Errorf("%s: %d %v; want 400 INVALID_INPUT", body, status, m)
		}
	}
	if got := len(sb.Requests()); got != 5 { // the bodies that are not a request object are not recorded
		t.Errorf("%d requests recorded, want 5", got)
	}
}

func TestRequester(t *testing.T) {
	sb, srv := newServer(t)
	sb.Register("NL123456782B01", Trader{Name: "ACME BV"})
	sb.Register("BE0123456749", Trader{Name: "KOPER NV"})
	body := `{"countryCode":"BE","vatNumber":"0123456749","requesterMemberStateCode":"NL","requesterNumber":"123456782B01"}`
	_, m1 := post(t, srv, "/check-vat-number", body)
	_, m2 := post(t, srv, "/check-vat-number", body)
	id1, _ := m1["requestIdentifier"].(string)
	id2, _ := m2["requestIdentifier"].(string)
	if !strings.HasPrefix(id1, "WAPI") || id1 == id2 {
		t.Errorf("consultation numbers %q, %q; want distinct WAPI… numbers", id1, id2)
	}
	status, m := post(t, srv, "/check-vat-number", `{"countryCode":"BE","vatNumber":"0123456749","requesterMemberStateCode":"NL","requesterNumber":"999999999B01"}`)
	if status != 400 || errorCode(m) != "INVALID_REQUESTER_INFO" {
		t.Errorf("unknown requester: %d %v", status, m)
	}
}

func TestFaults(t *testing.T) {
	sb, srv := newServer(t)
	sb.Register("DE123456788", Trader{})
	sb.Register("NL123456782B01", Trader{})
	de := `{"countryCode":"DE","vatNumber":"123456788"}`
	nl := `{"countryCode":"NL","vatNumber":"123456782B01"}`

	id := sb.AddFault(Fault{Country: "de", Code: "MS_UNAVAILABLE"})
	if status, m := post(t, srv, "/check-vat-number", de); status != 200 || errorCode(m) != "MS_UNAVAILABLE" {
		t.Errorf("DE under MS_UNAVAILABLE: %d %v", status, m)
	}
	if status, m := post(t, srv, "/check-vat-number", nl); status != 200 || m["valid"] != true {
		t.Errorf("NL while DE is down: %d %v", status, m)
	}
	sb.RemoveFault(id)

	sb.AddFault(Fault{Code: "MS_MAX_CONCURRENT_REQ", Status: 500, Count: 1})
	if status, m := post(t, srv, "/check-vat-number", nl); status != 500 || errorCode(m) != "MS_MAX_CONCURRENT_REQ" {
		t.Errorf("throttled once: %d %v", status, m)
	}
	if status, m := post(t, srv, "/check-vat-number", nl); status != 200 || m["valid"] != true {
		t.Errorf("after the one throttled call: %d %v", status, m)
	}

	sb.AddFault(Fault{Status: 502})
	if status, m := post(t, srv, "/check-vat-number", nl); status != 502 || m != nil {
		t.Errorf("bare 502: %d %v; want 502 without JSON", status, m)
	}
	sb.ClearFaults()

	sb.AddFault(Fault{Latency: 100 * time.Millisecond, Count: 1})
	start := time.Now()
	if status, m := post(t, srv, "/check-vat-number", nl); status != 200 || m["valid"] != true || time.Since(start) < 100*time.Millisecond {
		t.Errorf("slow answer: %d %v after %v", status, m, time.Since(start))
	}
}

func TestCloseReleasesSlowAnswers(t *testing.T) {
	sb, srv := newServer(t)
	sb.AddFault(Fault{Latency: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Post(srv.URL+"/check-vat-number", "application/json",
			strings.NewReader(`{"countryCode":"NL","vatNumber":"123456782B01"}`))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(sb.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	sb.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a held check got an answer after Close; want none")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the held check")
	}
}

func TestClientGivingUp(t *testing.T) {
	sb, srv := newServer(t)
	sb.AddFault(Fault{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/check-vat-number",
		strings.NewReader(`{"countryCode":"NL","vatNumber":"1"}`))
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("want the client's deadline to end the call")
	}
}

func TestTestService(t *testing.T) {
	_, srv := newServer(t)
	tests := map[string]struct {
		status int
		code   string
		valid  any
	}{
		"100": {200, "", true}, "200": {200, "", false},
		"201": {400, "INVALID_INPUT", nil}, "202": {400, "INVALID_REQUESTER_INFO", nil},
		"300": {200, "SERVICE_UNAVAILABLE", nil}, "301": {200, "MS_UNAVAILABLE", nil}, "302": {200, "TIMEOUT", nil},
		"400": {200, "VAT_BLOCKED", nil}, "401": {200, "IP_BLOCKED", nil},
		"500": {200, "GLOBAL_MAX_CONCURRENT_REQ", nil}, "501": {200, "GLOBAL_MAX_CONCURRENT_REQ_TIME", nil},
		"600": {200, "MS_MAX_CONCURRENT_REQ", nil}, "601": {200, "MS_MAX_CONCURRENT_REQ_TIME", nil},
		"123": {200, "SERVICE_UNAVAILABLE", nil},
	}
	for number, tt := range tests {
		status, m := post(t, srv, "/check-vat-test-service", `{"countryCode":"DE","vatNumber":"`+number+`"}`)
		if status != tt.status || errorCode(m) != tt.code || m["valid"] != tt.valid {
			t.Errorf("test number %s: %d %v; want %d %q valid %v", number, status, m, tt.status, tt.code, tt.valid)
		}
	}
}

func TestStatusAndRouting(t *testing.T) {
	sb, srv := newServer(t)
	sb.AddFault(Fault{Country: "DE", Code: "MS_UNAVAILABLE"})
	resp, err := srv.Client().Get(srv.URL + "/check-status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		VoW struct {
			Available bool `json:"available"`
		} `json:"vow"`
		Countries []struct {
			CountryCode, Availability string
		} `json:"countries"`
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || !st.VoW.Available || len(st.Countries) != 28 {
		t.Fatalf("check-status: %+v, %v", st, err)
	}
	for _, c := range st.Countries {
		if want := map[bool]string{true: "Unavailable", false: "Available"}[c.CountryCode == "DE"]; c.Availability != want {
			t.Errorf("%s: %s, want %s", c.CountryCode, c.Availability, want)
		}
	}

	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/check-vat-number", http.StatusMethodNotAllowed},
		{http.MethodPost, "/check-status", http.StatusMethodNotAllowed},
		{http.MethodGet, "/elsewhere", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
}

// FuzzCheck checks that any request body gets a JSON answer of the
// operation's shapes, never a panic.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"countryCode":"NL","vatNumber":"123456782B01"}`))
	f.Add([]byte(`{"countryCode":"EL","vatNumber":"123456783","requesterMemberStateCode":"NL","requesterNumber":"1"}`))
	f.Add([]byte(`{"countryCode":null}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sb := New()
		sb.Register("NL123456782B01", Trader{Name: "ACME BV"})
		for _, path := range []string{"/check-vat-number", "/check-vat-test-service"} {
			w := httptest.NewRecorder()
			sb.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body))))
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %q: answer %q is not JSON", path, body, w.Body.Bytes())
			}
			_, verdict := m["valid"].(bool)
			if (w.Code != 200 && w.Code != 400) || verdict == (errorCode(m) != "") {
				t.Fatalf("%s %q: %d %v; want a verdict or an error code", path, body, w.Code, m)
			}
		}
	})
}
