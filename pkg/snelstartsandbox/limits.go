package snelstartsandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A RateLimit bounds the API calls of one administration, as SnelStart's
// gateway does per product (snelstart-api.md §2.1). A zero field means no
// limit of that kind.
//
// Over PerMinute (a sliding window) the sandbox answers 429 with a
// Retry-After header and the gateway body {"statusCode":429,"message":"Rate
// limit is exceeded. Try again in N seconds."}; with Concurrent calls in
// progress, 429 with Retry-After 1; over PerHour, the gateway's quota answer
// 403 "Out of call volume quota. Quota will be replenished in hh:mm:ss."
// (the 429 and 403 shapes are APIM's defaults, unconfirmed for SnelStart).
// Token calls do not count.
type RateLimit struct {
	PerMinute  int `json:"perMinute"`
	PerHour    int `json:"perHour"`
	Concurrent int `json:"concurrent"`
}

// Rate limits of SnelStart's products (snelstart-api.md §2.1), and the
// sandbox's generous default.
var (
	RateLimitDevTest   = RateLimit{PerMinute: 100, PerHour: 1000, Concurrent: 5}  // "Ontwikkeling & Test" key
	RateLimitProductie = RateLimit{PerMinute: 500, PerHour: 5000, Concurrent: 50} // "Maatwerk" and "Productie"
	RateLimitDemo      = RateLimit{PerMinute: 6000, Concurrent: 50}               // the default: room for demos and load tests
)

// A limiter applies a RateLimit to one administration.
type limiter struct {
	sb       *Sandbox
	mu       sync.Mutex
	lim      RateLimit
	minute   window
	hour     window
	inFlight int
}

func newLimiter(sb *Sandbox, l RateLimit) *limiter {
	lm := &limiter{sb: sb}
	lm.set(l)
	return lm
}

func (lm *limiter) set(l RateLimit) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	lm.lim = l
	lm.minute = newWindow(l.PerMinute, time.Minute)
	lm.hour = newWindow(l.PerHour, time.Hour)
}

// acquire admits a call, or answers 429 or 403 and reports false. The
// caller must call release when the call is done.
func (lm *limiter) acquire(w http.ResponseWriter) (release func(), ok bool) {
	now := lm.sb.now().UnixNano()
	lm.mu.Lock()
	if lm.lim.Concurrent > 0 && lm.inFlight >= lm.lim.Concurrent {
		lm.mu.Unlock()
		tooMany(w, time.Second)
		return nil, false
	}
	if wait := lm.hour.full(now); wait > 0 {
		lm.mu.Unlock()
		d := wait.Round(time.Second)
		writeGateway(w, http.StatusForbidden, fmt.Sprintf("Out of call volume quota. Quota will be replenished in %02d:%02d:%02d.",
			int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60))
		return nil, false
	}
	if wait := lm.minute.full(now); wait > 0 {
		lm.mu.Unlock()
		tooMany(w, wait)
		return nil, false
	}
	lm.hour.add(now)
	lm.minute.add(now)
	lm.inFlight++
	lm.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			lm.mu.Lock()
			lm.inFlight--
			lm.mu.Unlock()
		})
	}, true
}

func tooMany(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeGateway(w, http.StatusTooManyRequests, fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs))
}

// A window is a sliding window of at most len(ts) calls per span: a ring of
// the times of the last calls.
type window struct {
	ts   []int64 // Unix nanoseconds; 0 is free
	head int     // the oldest entry
	span int64
}

func newWindow(limit int, span time.Duration) window {
	if limit <= 0 {
		return window{}
	}
	return window{ts: make([]int64, limit), span: int64(span)}
}

// full returns how long until the window admits a call at now; 0 if it
// admits one now (or has no limit).
func (wd *window) full(now int64) time.Duration {
	if len(wd.ts) == 0 {
		return 0
	}
	oldest := wd.ts[wd.head]
	if oldest == 0 || now-oldest >= wd.span {
		return 0
	}
	return time.Duration(wd.span - (now - oldest))
}

func (wd *window) add(now int64) {
	if len(wd.ts) == 0 {
		return
	}
	wd.ts[wd.head] = now
	wd.head = (wd.head + 1) % len(wd.ts)
}
