package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/koppel/koppel/pkg/timeline"
)

// asset is a static file served under /assets/. Assets are public: the
// login page needs them, and they hold nothing secret.
type asset struct {
	path, contentType string
	data              []byte
	etag              string // changes when koppel is upgraded with a new file
}

//go:embed static
var staticFS embed.FS

var (
	cssAsset  = newAsset("dashboard.css", "text/css; charset=utf-8")
	iconAsset = newAsset("favicon.svg", "image/svg+xml")
)

func newAsset(name, contentType string) asset {
	data, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		panic("dashboard: missing embedded asset " + name) // embedded at build time
	}
	sum := sha256.Sum256(data)
	return asset{path: "/assets/" + name, contentType: contentType, data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// URL is the asset's path with its version, so a browser may cache it.
func (a asset) URL() string { return a.path + "?v=" + strings.Trim(a.etag, `"`) }

func (a asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"css":  cssAsset.URL,
	"icon": iconAsset.URL,
	// when formats a time for people, in the server's zone; zero is "—".
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04:05 MST")
	},
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	// ago says how long ago (or, negative, how soon) t is, roughly.
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := time.Since(t)
		suffix := " ago"
		if d < 0 {
			d, suffix = -d, " from now"
		}
		switch {
		case d < time.Minute:
			return "just now"
		case d < time.Hour:
			return strconv.Itoa(int(d/time.Minute)) + "m" + suffix
		case d < 48*time.Hour:
			return strconv.Itoa(int(d/time.Hour)) + "h" + suffix
		}
		return strconv.Itoa(int(d/(24*time.Hour))) + "d" + suffix
	},
	"path":   url.PathEscape,
	"badge":  badgeClass,
	"label":  statusLabel,
	"status": statusText,
	"short":  short,
	"ref": func(profile, order, number string) orderRef {
		return orderRef{Profile: profile, Order: order, OrderNumber: number}
	},
	"act": func(seq uint64, csrf, back string, full bool) actionArgs {
		return actionArgs{Seq: seq, CSRF: csrf, Back: back, Full: full}
	},
}

// orderRef is what the "orderlink" template links to.
type orderRef struct{ Profile, Order, OrderNumber string }

// actionArgs are the "actions" template's: the dead letter, the CSRF field,
// where to return after the action, and whether to show the form in full
// (with visible labels) rather than compact in a table row.
type actionArgs struct {
	Seq  uint64
	CSRF string
	Back string
	Full bool
}

// badgeClass is the CSS class of an order status badge. The badge always
// says the status in words too; colour is never the only signal.
func badgeClass(status string) string {
	switch status {
	case timeline.StatusBooked:
		return "badge ok"
	case timeline.StatusDeadLettered:
		return "badge bad"
	case timeline.StatusAttention, timeline.StatusHeld:
		return "badge warn"
	case timeline.StatusSkipped, timeline.StatusUnknown, "":
		return "badge"
	}
	return "badge busy"
}

// statusText is the words of an order status badge: the status, except
// for the two that need a person, which say so.
func statusText(status string) string {
	if timeline.NeedsAttention(status) {
		return "needs attention"
	}
	return status
}

// short cuts s to about n characters at a space, with "…".
func short(n int, s string) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + " …"
}

// statusLabel explains an order status in a few words.
func statusLabel(status string) string {
	switch status {
	case "raw":
		return "delivery stored, not yet normalized"
	case "received":
		return "normalized, waiting for the customers stage"
	case "customer":
		return "customer resolved, waiting for the articles stage"
	case "articles":
		return "articles resolved, waiting to be booked"
	case timeline.StatusBooked:
		return "booked in SnelStart"
	case timeline.StatusAttention:
		return "booked in SnelStart, but a person should check it"
	case timeline.StatusHeld:
		return "held by the booker, not booked: a dead letter waits for a person"
	case timeline.StatusDeadLettered:
		return "stopped: a dead letter waits for a person"
	case "skipped":
		return "not booked: its shop status is not imported by this profile"
	}
	return "no step recorded"
}
