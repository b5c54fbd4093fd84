package snelstartsandbox

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Call identifies answered calls: the operation, as the method and the
// path template of package snelstart ("GET", "/v2/relaties/{id}"; "" for a
// path that is no operation), and the status. Status 0 means no response
// was sent: a timeout or lost-response fault dropped the connection.
type Call struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

// CallCounts counts calls, for "SnelStart calls per order" measurements.
type CallCounts map[Call]int

// Total returns the number of calls.
func (c CallCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Count returns the number of calls to the operation, whatever their
// status; an empty method or path matches any.
func (c CallCounts) Count(method, path string) int {
	n := 0
	for k, v := range c {
		if (method == "" || k.Method == method) && (path == "" || k.Path == path) {
			n += v
		}
	}
	return n
}

// ByMethod returns the number of calls per HTTP method.
func (c CallCounts) ByMethod() map[string]int {
	out := map[string]int{}
	for k, v := range c {
		out[k.Method] += v
	}
	return out
}

// ByOperation returns the number of calls per "METHOD path".
func (c CallCounts) ByOperation() map[string]int {
	out := map[string]int{}
	for k, v := range c {
		out[k.Method+" "+k.Path] += v
	}
	return out
}

type callCounter struct {
	mu sync.Mutex
	m  map[Call]int
}

func (cc *callCounter) add(c Call) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil {
		cc.m = map[Call]int{}
	}
	cc.m[c]++
}

func (cc *callCounter) snapshot() CallCounts {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return maps.Clone(cc.m)
}

func (cc *callCounter) reset() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.m = nil
}

// callInfo is filled in while a call is served.
type callInfo struct {
	admin *Administratie
}

type callKey struct{}

func callFrom(ctx context.Context) *callInfo {
	c, _ := ctx.Value(callKey{}).(*callInfo)
	return c
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// counted counts every call to h as method and path, and logs it. It
// counts a call whose handler panics (a dropped connection) too.
func (s *Sandbox) counted(method, path string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &callInfo{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			call := Call{Method: method, Path: path, Status: sw.status}
			if method == "" {
				call.Method = r.Method
			}
			s.calls.add(call)
			if c.admin != nil {
				c.admin.calls.add(call)
			}
			s.log.Debug("snelstart sandbox call", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration", time.Since(start))
		}()
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
	})
}

const pathStats = "/_sandbox/stats"

// statsBody is the answer of GET /_sandbox/stats.
type statsBody struct {
	Total          int                     `json:"total"`
	Calls          []callCount             `json:"calls"`
	Administraties map[string]adminCallsJS `json:"administraties"` // by client key
}

type adminCallsJS struct {
	Total int         `json:"total"`
	Calls []callCount `json:"calls"`
}

type callCount struct {
	Call
	Count int `json:"count"`
}

func countList(c CallCounts) []callCount {
	out := make([]callCount, 0, len(c))
	for k, v := range c {
		out = append(out, callCount{k, v})
	}
	slices.SortFunc(out, func(a, b callCount) int {
		if a.Path != b.Path {
			return strings.Compare(a.Path, b.Path)
		}
		if a.Method != b.Method {
			return strings.Compare(a.Method, b.Method)
		}
		return a.Status - b.Status
	})
	return out
}

func (s *Sandbox) getStats(w http.ResponseWriter, _ *http.Request) {
	all := s.Calls()
	body := statsBody{Total: all.Total(), Calls: countList(all), Administraties: map[string]adminCallsJS{}}
	for _, a := range s.order {
		c := a.Calls()
		body.Administraties[a.clientKey] = adminCallsJS{Total: c.Total(), Calls: countList(c)}
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Sandbox) deleteStats(w http.ResponseWriter, _ *http.Request) {
	s.ResetCalls()
	w.WriteHeader(http.StatusNoContent)
}
