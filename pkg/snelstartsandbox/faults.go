package snelstartsandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what a [Fault] does to a call.
type FaultKind string

// The kinds of [Fault].
const (
	// FaultLatency delays the call by Latency, then serves it.
	FaultLatency FaultKind = "latency"
	// FaultError answers Status (500, 502, 503 or 504; default 503)
	// without serving the call.
	FaultError FaultKind = "error"
	// FaultTimeout hangs until the client gives up (or the sandbox
	// closes), then drops the connection without an answer.
	FaultTimeout FaultKind = "timeout"
	// FaultLostResponse serves the call, so that a write takes effect, and
	// then loses the answer: with Status 0 it drops the connection, else
	// it answers Status (such as 502) instead.
	FaultLostResponse FaultKind = "lost_response"
)

// A Fault makes matching calls fail. A call matches when its method equals
// Method (any if empty) and its path matches Path: empty matches any path;
// otherwise the segments must be equal, a segment in braces ("{id}")
// matches any one segment, and a final "*" matches the rest. The Path…
// constants of package snelstart are valid patterns, and so is
// "/b2b/token".
//
// A matching fault fires on every call, or with Probability if that is
// above 0, for at most Count calls if that is above 0 ("the next N calls").
// Latency faults add up; of the other kinds, the first that fires decides
// the call. Any fault may also carry a Latency, applied before it acts.
//
// Timeout and lost-response faults abort the handler with
// http.ErrAbortHandler, which net/http turns into a dropped connection:
// serve the sandbox over HTTP (httptest.NewServer, [Sandbox.Start]) to use
// them.
type Fault struct {
	ID          int           `json:"id"` // assigned by [Sandbox.AddFault]
	Kind        FaultKind     `json:"kind"`
	Method      string        `json:"method,omitempty"`
	Path        string        `json:"path,omitempty"`
	Latency     time.Duration `json:"-"` // in JSON: "latency", a Go duration string
	Status      int           `json:"status,omitempty"`
	Probability float64       `json:"probability,omitempty"`
	Count       int           `json:"count,omitempty"`
	Fired       int           `json:"fired"` // read-only: how often it fired
}

type faultJSON Fault

// MarshalJSON encodes f with its latency as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		faultJSON
		Latency string `json:"latency,omitempty"`
	}{faultJSON(f), durationString(f.Latency)})
}

// UnmarshalJSON decodes f with its latency as a Go duration string.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var v struct {
		faultJSON
		Latency string `json:"latency"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Fault(v.faultJSON)
	if v.Latency != "" {
		d, err := time.ParseDuration(v.Latency)
		if err != nil {
			return fmt.Errorf("fault latency: %w", err)
		}
		f.Latency = d
	}
	return nil
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func (f *Fault) validate() error {
	switch f.Kind {
	case FaultLatency:
		if f.Latency <= 0 {
			return errors.New("a latency fault needs a latency above 0")
		}
	case FaultError:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 500 || f.Status > 599 {
			return fmt.Errorf("an error fault's status must be 5xx, not %d", f.Status)
		}
	case FaultTimeout:
	case FaultLostResponse:
		if f.Status != 0 && (f.Status < 500 || f.Status > 599) {
			return fmt.Errorf("a lost_response fault's status must be 0 (drop the connection) or 5xx, not %d", f.Status)
		}
	default:
		return fmt.Errorf("unknown fault kind %q (want latency, error, timeout or lost_response)", f.Kind)
	}
	switch {
	case f.Latency < 0:
		return errors.New("fault latency must not be negative")
	case f.Probability < 0 || f.Probability > 1:
		return fmt.Errorf("fault probability %g is not between 0 and 1", f.Probability)
	case f.Count < 0:
		return errors.New("fault count must not be negative")
	case f.Path != "" && !strings.HasPrefix(f.Path, "/"):
		return fmt.Errorf("fault path %q must start with /", f.Path)
	}
	return nil
}

func (f *Fault) matches(method, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Count > 0 && f.Fired >= f.Count {
		return false
	}
	return pathMatches(f.Path, path)
}

// pathMatches matches path against a fault's pattern (see [Fault]).
func pathMatches(pattern, path string) bool {
	if pattern == "" {
		return true
	}
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		if p == "*" && i == len(ps)-1 {
			return true
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return len(ps) == len(xs)
}

type faultInjector struct {
	mu     sync.Mutex
	rng    *rand.Rand
	faults []*Fault
	nextID int
	log    *slog.Logger
}

func newFaultInjector(seed uint64, log *slog.Logger) *faultInjector {
	return &faultInjector{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), nextID: 1, log: log}
}

func (fi *faultInjector) add(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f.ID, f.Fired = fi.nextID, 0
	fi.nextID++
	fi.faults = append(fi.faults, &f)
	return f, nil
}

func (fi *faultInjector) list() []Fault {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	out := make([]Fault, len(fi.faults))
	for i, f := range fi.faults {
		out[i] = *f
	}
	return out
}

func (fi *faultInjector) remove(id int) bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	n := len(fi.faults)
	fi.faults = slices.DeleteFunc(fi.faults, func(f *Fault) bool { return f.ID == id })
	return len(fi.faults) < n
}

func (fi *faultInjector) clear() {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.faults = nil
}

// pick decides the faults of one call: the total latency and the fault that
// acts, if any.
func (fi *faultInjector) pick(method, path string) (time.Duration, *Fault) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var latency time.Duration
	var acting *Fault
	for _, f := range fi.faults {
		if (acting != nil && f.Kind != FaultLatency) || !f.matches(method, path) {
			continue
		}
		if f.Probability > 0 && fi.rng.Float64() >= f.Probability {
			continue
		}
		f.Fired++
		latency += f.Latency
		if f.Kind != FaultLatency {
			c := *f
			acting = &c
		}
	}
	return latency, acting
}

// serve runs next for r unless a fault decides otherwise.
func (fi *faultInjector) serve(w http.ResponseWriter, r *http.Request, s *Sandbox, next http.HandlerFunc) {
	latency, f := fi.pick(r.Method, r.URL.Path)
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			panic(http.ErrAbortHandler)
		case <-s.closed:
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if f == nil {
		next(w, r)
		return
	}
	fi.log.Info("snelstart sandbox fault", "fault_id", f.ID, "kind", string(f.Kind), "method", r.Method, "path", r.URL.Path)
	switch f.Kind {
	case FaultError:
		writeFaultStatus(w, f.Status)
	case FaultTimeout:
		// Read the body first: Go's server notices a client that gave up
		// only once the request body is consumed.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		panic(http.ErrAbortHandler)
	case FaultLostResponse:
		lost := &discardWriter{header: http.Header{}}
		next(lost, r)
		if f.Status == 0 {
			panic(http.ErrAbortHandler)
		}
		writeFaultStatus(w, f.Status)
	}
}

// writeFaultStatus answers a 5xx: 500 as ASP.NET does, the others as the
// gateway does.
func writeFaultStatus(w http.ResponseWriter, status int) {
	if status == http.StatusInternalServerError {
		writeMessage(w, status, "An error has occurred.")
		return
	}
	writeGateway(w, status, http.StatusText(status))
}

// discardWriter is the ResponseWriter of a call whose answer is lost.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }

// AddFault adds a fault and returns it with its ID.
func (s *Sandbox) AddFault(f Fault) (Fault, error) { return s.faults.add(f) }

// RemoveFault removes the fault with the given ID; it reports whether there
// was one.
func (s *Sandbox) RemoveFault(id int) bool { return s.faults.remove(id) }

// ClearFaults removes all faults.
func (s *Sandbox) ClearFaults() { s.faults.clear() }

// Faults returns the faults, with how often each fired.
func (s *Sandbox) Faults() []Fault { return s.faults.list() }

const pathFaults = "/_sandbox/faults"

func (s *Sandbox) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sandbox) postFault(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	var f Fault
	if err := json.Unmarshal(body, &f); err != nil {
		writeMessage(w, http.StatusBadRequest, "fault: "+err.Error())
		return
	}
	f, err = s.AddFault(f)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "fault: "+err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (s *Sandbox) deleteFaults(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("id"); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil || !s.RemoveFault(id) {
			writeMessage(w, http.StatusNotFound, fmt.Sprintf("no fault with id %q", v))
			return
		}
	} else {
		s.ClearFaults()
	}
	w.WriteHeader(http.StatusNoContent)
}
