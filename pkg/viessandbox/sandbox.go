// Package viessandbox is a stand-in for the EU's VIES REST API, as an
// [http.Handler], for tests and demos. It answers in the shapes of the real
// service (the contract "Vies on-the-Web Endpoint", swagger 2.0, and
// answers recorded from it):
//
//   - POST …/check-vat-number with {"countryCode","vatNumber"} and
//     optionally {"requesterMemberStateCode","requesterNumber"}: 200 with
//     {"countryCode","vatNumber","requestDate","valid","requestIdentifier",
//     "name","address","trader…"}, where a number not registered is
//     "valid": false with name and address "---";
//   - failures as {"actionSucceed":false,"errorWrappers":[{"error":CODE}]}:
//     400 for INVALID_INPUT (an unknown countryCode, an empty vatNumber or
//     a body that is not JSON) and INVALID_REQUESTER_INFO, and, for the
//     faults below, 200 unless the fault says otherwise, since the real
//     service has been seen answering MS_UNAVAILABLE and
//     MS_MAX_CONCURRENT_REQ with 200;
//   - POST …/check-vat-test-service: the real test service's fixed answers
//     by vatNumber (100 valid, 200 invalid, 201 INVALID_INPUT, 202
//     INVALID_REQUESTER_INFO, 300 SERVICE_UNAVAILABLE, 301 MS_UNAVAILABLE,
//     302 TIMEOUT, 400 VAT_BLOCKED, 401 IP_BLOCKED, 500
//     GLOBAL_MAX_CONCURRENT_REQ, 501 GLOBAL_MAX_CONCURRENT_REQ_TIME, 600
//     MS_MAX_CONCURRENT_REQ, 601 MS_MAX_CONCURRENT_REQ_TIME, anything else
//     SERVICE_UNAVAILABLE);
//   - GET …/check-status: {"vow":{"available":true},"countries":[…]} with
//     "Unavailable" for a member state under an MS_UNAVAILABLE fault.
//
// Paths match by their end, so the sandbox serves under any base URL,
// /taxation_customs/vies/rest-api included.
//
// Which numbers are valid is the sandbox's own list ([Sandbox.Register]);
// the real service asks the member state. Faults ([Fault]) make it
// unavailable, throttled, failing with a bare 500 or slow, per member state
// or for all:
//
//	sb := viessandbox.New()
//	sb.Register("NL123456782B01", viessandbox.Trader{Name: "ACME BV", Address: "STRAAT 1\n1234 AB PLAATS"})
//	sb.AddFault(viessandbox.Fault{Country: "DE", Code: "MS_MAX_CONCURRENT_REQ"})
//	srv := httptest.NewServer(sb)
//	defer srv.Close()
//	defer sb.Close() // first: releases answers held by Latency faults
//	v := &vatnumber.VIES{URL: srv.URL}
package viessandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// countryCodes are the countryCode values VIES accepts: the 27 member
// states' VAT prefixes and XI for Northern Ireland.
var countryCodes = []string{
	"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
	"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}

// A Trader is what VIES tells about a registered number.
type Trader struct {
	Name    string // "" is answered as "---", as for a withheld name
	Address string // lines separated by "\n"; "" is answered as "---"
}

// A Fault makes matching checks fail or slow. A check matches when Country
// is empty or equals its countryCode ("EL" for Greece).
//
// With Code set the check is answered with that VIES error code, such as
// "MS_UNAVAILABLE" or "MS_MAX_CONCURRENT_REQ", in VIES's failure shape,
// with HTTP Status (200 when 0). With Code empty and Status set it is
// answered with a bare HTTP error of that status, as a failing gateway
// does. With both empty the fault only delays. Latency, if any, comes
// before the answer; a check whose client gives up meanwhile gets none.
//
// A fault acts on every matching check, or on the next Count if Count is
// above 0. The first acting fault (in the order added) that answers
// decides the check; the latencies of all acting faults add up.
type Fault struct {
	Country string
	Code    string
	Status  int
	Latency time.Duration
	Count   int
}

// A Request is a check the sandbox received, for assertions.
type Request struct {
	Path                     string `json:"-"` // "/check-vat-number" or "/check-vat-test-service"
	CountryCode              string `json:"countryCode"`
	VATNumber                string `json:"vatNumber"`
	RequesterMemberStateCode string `json:"requesterMemberStateCode"`
	RequesterNumber          string `json:"requesterNumber"`
}

// A Sandbox is the stand-in. It is safe for concurrent use; create it with
// [New].
type Sandbox struct {
	mu       sync.Mutex
	traders  map[string]Trader // by countryCode + vatNumber, as "NL123456782B01"
	faults   []*fault
	nextID   int
	requests []Request
	consults int // consultation numbers given out

	now    func() time.Time
	closed chan struct{}
	once   sync.Once
}

type fault struct {
	id        int
	spendable bool // Count was above 0 when added: the fault goes when it reaches 0
	Fault
}

// New returns a sandbox with no registered numbers and no faults.
func New() *Sandbox {
	return &Sandbox{traders: map[string]Trader{}, now: time.Now, closed: make(chan struct{})}
}

// Close releases the checks held by Latency faults, which then get no
// answer. Call it before closing an httptest.Server that serves the
// sandbox. The sandbox keeps answering without latency after Close.
func (s *Sandbox) Close() { s.once.Do(func() { close(s.closed) }) }

// key is how a number is stored: upper case, without white space.
func key(number string) string {
	return strings.ToUpper(strings.Join(strings.Fields(number), ""))
}

// Register makes number, with its VIES prefix ("NL123456782B01",
// "EL094014201"), valid, with the trader's name and address.
func (s *Sandbox) Register(number string, t Trader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traders[key(number)] = t
}

// Deregister makes number invalid again.
func (s *Sandbox) Deregister(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.traders, key(number))
}

// AddFault adds a fault and returns its id for [Sandbox.RemoveFault].
func (s *Sandbox) AddFault(f Fault) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	f.Country = strings.ToUpper(f.Country)
	s.faults = append(s.faults, &fault{id: s.nextID, spendable: f.Count > 0, Fault: f})
	return s.nextID
}

// RemoveFault removes the fault with the given id, if it is still there.
func (s *Sandbox) RemoveFault(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(f *fault) bool { return f.id == id })
}

// ClearFaults removes all faults.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the checks received so far, oldest first.
func (s *Sandbox) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ServeHTTP answers the VIES REST operations listed in the package
// documentation, and 404 to anything else.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case strings.HasSuffix(path, "/check-vat-number"):
		s.serveCheck(w, r, "/check-vat-number")
	case strings.HasSuffix(path, "/check-vat-test-service"):
		s.serveCheck(w, r, "/check-vat-test-service")
	case strings.HasSuffix(path, "/check-status"):
		s.serveStatus(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveCheck answers POST /check-vat-number and /check-vat-test-service.
func (s *Sandbox) serveCheck(w http.ResponseWriter, r *http.Request, path string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var req Request
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || json.Unmarshal(body, &req) != nil {
		writeFailure(w, http.StatusBadRequest, "INVALID_INPUT")
		return
	}
	req.Path = path
	req.CountryCode = strings.ToUpper(strings.TrimSpace(req.CountryCode))
	req.VATNumber = key(req.VATNumber)

	s.mu.Lock()
	s.requests = append(s.requests, req)
	latency, act := s.actingFaults(req.CountryCode)
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.closed:
			panic(http.ErrAbortHandler) // no answer, as for a client that gave up
		}
	}
	switch {
	case act == nil:
	case act.Code != "":
		writeFailure(w, statusOr200(act.Status), act.Code)
		return
	case act.Status != 0:
		writeBareError(w, act.Status)
		return
	}
	if path == "/check-vat-test-service" {
		s.answerTest(w, req)
		return
	}
	s.answer(w, req)
}

// actingFaults picks the faults that act on a check of countryCode, counts
// them down and returns their summed latency and the one that answers, if
// any. s.mu must be held.
func (s *Sandbox) actingFaults(countryCode string) (time.Duration, *Fault) {
	var latency time.Duration
	var answer *Fault
	spent := false
	for _, f := range s.faults {
		if f.Country != "" && f.Country != countryCode {
			continue
		}
		if f.Count > 0 {
			f.Count--
			spent = spent || f.Count == 0
		}
		latency += f.Latency
		if answer == nil && (f.Code != "" || f.Status != 0) {
			fc := f.Fault
			answer = &fc
		}
	}
	if spent {
		s.faults = slices.DeleteFunc(s.faults, func(f *fault) bool { return f.Count == 0 && f.spendable })
	}
	return latency, answer
}

// answer serves a check of the real operation.
func (s *Sandbox) answer(w http.ResponseWriter, req Request) {
	if !slices.Contains(countryCodes, req.CountryCode) || req.VATNumber == "" {
		writeFailure(w, http.StatusBadRequest, "INVALID_INPUT")
		return
	}
	s.mu.Lock()
	t, valid := s.traders[req.CountryCode+req.VATNumber]
	var consultation string
	if req.RequesterMemberStateCode != "" || req.RequesterNumber != "" {
		_, known := s.traders[key(req.RequesterMemberStateCode+req.RequesterNumber)]
		if !known {
			s.mu.Unlock()
			writeFailure(w, http.StatusBadRequest, "INVALID_REQUESTER_INFO")
			return
		}
		s.consults++
		consultation = fmt.Sprintf("WAPI%012d", s.consults)
	}
	now := s.now()
	s.mu.Unlock()
	writeResult(w, req, valid, t, consultation, now)
}

// testAnswers are the fixed answers of the real test service, by
// vatNumber: "" for a valid number, "-" for an invalid one, else an error
// code.
var testAnswers = map[string]string{
	"100": "", "200": "-",
	"201": "INVALID_INPUT", "202": "INVALID_REQUESTER_INFO",
	"300": "SERVICE_UNAVAILABLE", "301": "MS_UNAVAILABLE", "302": "TIMEOUT",
	"400": "VAT_BLOCKED", "401": "IP_BLOCKED",
	"500": "GLOBAL_MAX_CONCURRENT_REQ", "501": "GLOBAL_MAX_CONCURRENT_REQ_TIME",
	"600": "MS_MAX_CONCURRENT_REQ", "601": "MS_MAX_CONCURRENT_REQ_TIME",
}

// answerTest serves a check of the test operation.
func (s *Sandbox) answerTest(w http.ResponseWriter, req Request) {
	code, ok := testAnswers[req.VATNumber]
	if !ok {
		code = "SERVICE_UNAVAILABLE"
	}
	switch code {
	case "", "-":
		s.mu.Lock()
		now := s.now()
		s.mu.Unlock()
		t := Trader{}
		if code == "" {
			t = Trader{Name: "TEST TRADER", Address: "TEST STREET 1\nTEST CITY"}
		}
		writeResult(w, req, code == "", t, "", now)
	case "INVALID_INPUT", "INVALID_REQUESTER_INFO":
		writeFailure(w, http.StatusBadRequest, code)
	default:
		writeFailure(w, http.StatusOK, code)
	}
}

// result is CheckVatResponse.
type result struct {
	CountryCode            string `json:"countryCode"`
	VATNumber              string `json:"vatNumber"`
	RequestDate            string `json:"requestDate"`
	Valid                  bool   `json:"valid"`
	RequestIdentifier      string `json:"requestIdentifier"`
	Name                   string `json:"name"`
	Address                string `json:"address"`
	TraderName             string `json:"traderName"`
	TraderStreet           string `json:"traderStreet"`
	TraderPostalCode       string `json:"traderPostalCode"`
	TraderCity             string `json:"traderCity"`
	TraderCompanyType      string `json:"traderCompanyType"`
	TraderNameMatch        string `json:"traderNameMatch"`
	TraderStreetMatch      string `json:"traderStreetMatch"`
	TraderPostalCodeMatch  string `json:"traderPostalCodeMatch"`
	TraderCityMatch        string `json:"traderCityMatch"`
	TraderCompanyTypeMatch string `json:"traderCompanyTypeMatch"`
}

func writeResult(w http.ResponseWriter, req Request, valid bool, t Trader, consultation string, now time.Time) {
	const none, notProcessed = "---", "NOT_PROCESSED"
	writeJSON(w, http.StatusOK, result{
		CountryCode:            req.CountryCode,
		VATNumber:              req.VATNumber,
		RequestDate:            now.UTC().Format("2006-01-02T15:04:05.000Z"),
		Valid:                  valid,
		RequestIdentifier:      consultation,
		Name:                   orNone(t.Name),
		Address:                orNone(t.Address),
		TraderName:             none,
		TraderStreet:           none,
		TraderPostalCode:       none,
		TraderCity:             none,
		TraderCompanyType:      none,
		TraderNameMatch:        notProcessed,
		TraderStreetMatch:      notProcessed,
		TraderPostalCodeMatch:  notProcessed,
		TraderCityMatch:        notProcessed,
		TraderCompanyTypeMatch: notProcessed,
	})
}

// failure is CommonResponse.
type failure struct {
	ActionSucceed bool           `json:"actionSucceed"`
	ErrorWrappers []errorWrapper `json:"errorWrappers"`
}

type errorWrapper struct {
	Error   string `json:"error"`
	Message string `json:"message,omitempty"`
}

func writeFailure(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, failure{ErrorWrappers: []errorWrapper{{Error: code}}})
}

// writeBareError answers as a failing gateway or server does: a status and
// an HTML page.
func writeBareError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%s</h1></body></html>\n",
		status, http.StatusText(status), http.StatusText(status))
}

// serveStatus answers GET /check-status.
func (s *Sandbox) serveStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	type countryStatus struct {
		CountryCode  string `json:"countryCode"`
		Availability string `json:"availability"`
	}
	var out struct {
		VoW struct {
			Available bool `json:"available"`
		} `json:"vow"`
		Countries []countryStatus `json:"countries"`
	}
	out.VoW.Available = true
	s.mu.Lock()
	for _, cc := range countryCodes {
		availability := "Available"
		for _, f := range s.faults {
			if f.Code == "MS_UNAVAILABLE" && (f.Country == "" || f.Country == cc) {
				availability = "Unavailable"
			}
		}
		out.Countries = append(out.Countries, countryStatus{cc, availability})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func orNone(s string) string {
	if s == "" {
		return "---"
	}
	return s
}

func statusOr200(status int) int {
	if status == 0 {
		return http.StatusOK
	}
	return status
}
