// Package dashboard serves koppel's web dashboard: the admin API's
// operations for a browser. It shows the profiles with their tasks and
// health, recent orders, an order's timeline with the VAT it was booked
// with and, prominently, what needs a person's attention (a booking with a
// remark, an order the booker held), the dead letters with replay and
// discard, and the tasks with run-now.
//
// Pages are rendered on the server from templates embedded in the binary
// and parsed once; they need no JavaScript and no build step. The dashboard
// is protected by the admin token: a person pastes it on /login, which keeps
// it in the HttpOnly, SameSite=Strict koppel_token cookie that the admin
// API accepts too. With no token configured every page says the dashboard
// is off; it is never open.
//
// Every state-changing action is a POST form. Such a request must come from
// the dashboard's own origin ([http.CrossOriginProtection]) and carry a CSRF
// field derived from the token; a request without either is refused with
// 403. Every page is sent with a strict Content-Security-Policy, so shop data
// (order names, errors) shown on it can never run as script; html/template
// escapes it besides.
package dashboard

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/profile"
)

// Options configures the dashboard.
type Options struct {
	Token  string // the admin token; empty turns the dashboard off
	Config *profile.Config
	JS     jetstream.JetStream
	Tasks  admin.Tasks // nil: no tasks yet
	Logger *slog.Logger
}

// Dashboard is the web dashboard. Its methods may be called concurrently.
type Dashboard struct {
	o    Options
	log  *slog.Logger
	api  *admin.API // decides whether a request carries the token
	csrf string     // the CSRF field's value, derived from the token
	cop  *http.CrossOriginProtection
}

// New returns the dashboard.
func New(o Options) *Dashboard {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Config == nil {
		o.Config = &profile.Config{}
	}
	d := &Dashboard{o: o, log: log, api: admin.New(admin.Options{Token: o.Token}), cop: http.NewCrossOriginProtection()}
	if o.Token != "" {
		d.csrf = csrfToken(o.Token)
	}
	d.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusForbidden, "This form came from another site, so it was refused. Open the dashboard itself and try again.")
	}))
	return d
}

// csrfToken is HMAC-SHA256(token, "csrf"), hex-encoded: the same for every
// page as long as the token stays, and useless without the token.
func csrfToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("koppel dashboard csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// Register adds the dashboard's routes to r, the router the receiver and
// the admin API use:
//
//	GET  /                            overview: profiles, tasks, health, recent orders
//	GET  /orders?profile=&q=          find an order by shop id or number (303 to its timeline);
//	                                  without q the recent orders, with attention=1 those that need attention
//	GET  /orders/{profile}/{order}    an order's timeline and key facts
//	GET  /dlq?profile=&stage=&error=  dead letters, with replay and discard
//	GET  /dlq/replay?...              preview of "replay all matching"
//	POST /dlq/replay                  replay what the preview listed
//	GET  /dlq/{seq}                   one dead letter: headers, error, body
//	POST /dlq/{seq}/replay            replay it
//	POST /dlq/{seq}/discard           discard it (a reason is required)
//	GET  /tasks                       the profiles' tasks
//	POST /tasks/{profile}/{task}/run  run one now
//	GET, POST /login; GET, POST /logout
//	GET  /assets/dashboard.css, /assets/favicon.svg (public)
//
// It leaves every other path (/webhooks, /admin, /metrics, /healthz,
// /readyz) alone and sets no NotFoundHandler.
func (d *Dashboard) Register(r *mux.Router) {
	get := func(path string, h http.HandlerFunc) {
		r.Handle(path, d.secure(d.on(d.authed(h)))).Methods(http.MethodGet, http.MethodHead)
	}
	post := func(path string, h http.HandlerFunc) {
		r.Handle(path, d.secure(d.on(d.authed(d.cop.Handler(d.checkCSRF(h)))))).Methods(http.MethodPost)
	}
	for _, a := range []asset{cssAsset, iconAsset} {
		r.Handle(a.path, a).Methods(http.MethodGet, http.MethodHead)
	}
	r.Handle("/login", d.secure(d.on(http.HandlerFunc(d.loginForm)))).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/login", d.secure(d.on(d.cop.Handler(http.HandlerFunc(d.login))))).Methods(http.MethodPost)
	get("/logout", d.logoutForm)
	post("/logout", d.logout)

	get("/", d.overview)
	get("/orders", d.orders)
	get("/orders/{profile}/{order}", d.order)
	get("/dlq", d.dlq)
	get("/dlq/replay", d.bulkPreview) // before /dlq/{seq}
	post("/dlq/replay", d.bulkReplay)
	get("/dlq/{seq}", d.deadLetter)
	post("/dlq/{seq}/replay", d.replay)
	post("/dlq/{seq}/discard", d.discard)
	get("/tasks", d.tasks)
	post("/tasks/{profile}/{task}/run", d.runTask)
}

// secure sets the headers every page carries.
func (d *Dashboard) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store") // pages show customer data
		next.ServeHTTP(w, r)
	})
}

// on answers every request with "the dashboard is off" when no token is
// configured.
func (d *Dashboard) on(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.o.Token == "" {
			d.render(w, r, http.StatusForbidden, "off", "Dashboard off", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authed lets requests with the token through. Without it, a page request
// is sent to /login and any other request gets a 401 page.
func (d *Dashboard) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.api.Authorized(r) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d.fail(w, r, http.StatusUnauthorized, "You are not logged in (or the admin token changed). Log in and try again.")
	})
}

// maxForm bounds a form body; the largest is a bulk replay's list of
// sequence numbers.
const maxForm = 256 << 10

// checkCSRF refuses a POST whose csrf field is not the token's.
func (d *Dashboard) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			d.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(d.csrf)) != 1 {
			d.fail(w, r, http.StatusForbidden, "The form's security field is missing or stale (was the admin token changed?). Reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

const (
	cookieMaxAge = 12 * time.Hour
	loginMax     = 4 << 10
)

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	if d.api.Authorized(r) {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, "login", "Log in", loginPage{Next: localPath(r.URL.Query().Get("next"))})
}

type loginPage struct {
	Next  string
	Error string
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, loginMax)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	next := localPath(r.PostForm.Get("next"))
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if subtle.ConstantTimeCompare([]byte(tok), []byte(d.o.Token)) != 1 {
		d.log.Warn("dashboard login refused", "remote", r.RemoteAddr)
		d.render(w, r, http.StatusUnauthorized, "login", "Log in", loginPage{Next: next,
			Error: "That is not the admin token (server.admin_token in koppel's configuration)."})
		return
	}
	if !cookieSafe(tok) {
		d.render(w, r, http.StatusBadRequest, "login", "Log in", loginPage{Next: next,
			Error: `The admin token contains characters a cookie cannot hold (a quote, ";", "\" or a non-ASCII character). Choose a token of letters, digits and -._~+/=.`})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: admin.TokenCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(cookieMaxAge / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// cookieSafe reports whether s survives as a cookie value unchanged.
func cookieSafe(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

func (d *Dashboard) logoutForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "logout", "Log out", nil)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: admin.TokenCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
	http.Redirect(w, r, "/login?ok=logged-out", http.StatusSeeOther)
}

// localPath returns p when it is a path on this server, else "/", so that
// ?next= and return fields cannot send a person to another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return u.RequestURI()
}

// redirectOK sends the browser to back (a local path) with a flash message
// in ?ok=, the pattern after every successful action.
func redirectOK(w http.ResponseWriter, r *http.Request, back, msg string) {
	u, _ := url.Parse(localPath(back))
	q := u.Query()
	q.Del("ok")
	q.Set("ok", msg)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template set per page, each the layout plus the page's
// "content", parsed once at start.
var pages = parsePages()

func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	names, _ := fs.Glob(templateFS, "templates/*.html") // the pattern is valid
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// view is what the layout renders; Page is the page's own data.
type view struct {
	Title    string
	Section  string // the nav entry to mark as current
	CSRF     string
	LoggedIn bool
	Flash    string
	Page     any
}

// render writes page with status. It renders into a buffer first, so a
// template error becomes a clean 500 instead of half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	t, ok := pages[page]
	if !ok {
		d.log.Error("dashboard: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Section: sectionOf(r.URL.Path), Flash: flash(r.URL.Query().Get("ok")), Page: data}
	if d.o.Token != "" && d.api.Authorized(r) {
		v.LoggedIn, v.CSRF = true, d.csrf
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.Error("dashboard: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errorPage is the data of the error page.
type errorPage struct {
	Status  int
	Text    string
	Message string
}

// fail renders the error page: a 4xx says what was wrong with the request,
// a 5xx that koppel failed.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status >= 500 {
		d.log.Error("dashboard", "path", r.URL.Path, "status", status, "err", msg)
	}
	d.render(w, r, status, "error", http.StatusText(status), errorPage{Status: status, Text: http.StatusText(status), Message: msg})
}

func sectionOf(path string) string {
	switch {
	case path == "/":
		return "overview"
	case strings.HasPrefix(path, "/orders"):
		return "orders"
	case strings.HasPrefix(path, "/dlq"):
		return "dlq"
	case strings.HasPrefix(path, "/tasks"):
		return "tasks"
	}
	return ""
}

// flash turns an ?ok= code such as "replayed 12" into the sentence shown
// after an action. Only known codes with a plain argument are shown, so a
// crafted link cannot put arbitrary text on the page.
func flash(code string) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(code), " ")
	if len(arg) > 120 || strings.ContainsFunc(arg, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:", c))
	}) {
		return ""
	}
	switch verb {
	case "replayed":
		return fmt.Sprintf("Dead letter %s replayed: its stage is handling it again. Reload to follow it.", arg)
	case "discarded":
		return fmt.Sprintf("Dead letter %s discarded; the discard is in the audit trail.", arg)
	case "bulk-replayed":
		return fmt.Sprintf("%s dead letter(s) replayed.", arg)
	case "started":
		return fmt.Sprintf("Task %s started.", arg)
	case "logged-out":
		return "Logged out."
	}
	return ""
}

// timeout bounds the pipeline reads of one page.
const timeout = 15 * time.Second

func pageContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), timeout)
}
