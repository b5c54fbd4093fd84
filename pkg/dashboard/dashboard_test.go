package dashboard_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/dashboard"
	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/webshop"
)

const token = "s3cret-admin"

const config = `
server: {admin_token: s3cret-admin}
nats: {store_dir: /tmp/unused}
profiles:
  - id: shop
    name: Fietsenwinkel
    webshop: {platform: woocommerce, webhook_secret: wh-secret, consumer_key: ck_live, consumer_secret: cs_live}
    snelstart: {sandbox: false, client_key: client-key-secret, subscription_key: sub-key-secret}
    articles: {revenue_group: 1}
`

const fixture = "testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json"

// xss is shop data that must never run as script on a page.
const (
	xss        = "<script>alert(1)</script>"
	xssEscaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
)

type fakeTasks struct{ ran atomic.Int32 }

func (f *fakeTasks) List() []admin.TaskStatus {
	now := time.Now()
	return []admin.TaskStatus{
		{Profile: "shop", Task: "import_orders", Every: "5m", Interval: 5 * time.Minute,
			LastRun: now.Add(-2 * time.Minute), LastOK: true, LastNote: "12 orders, 3 pages", NextRun: now.Add(3 * time.Minute)},
		{Profile: "shop", Task: "reconcile", Every: "1h", Interval: time.Hour, Running: true,
			LastRun: now.Add(-50 * time.Minute), LastNote: "SnelStart 503", NextRun: now.Add(10 * time.Minute)},
	}
}

func (f *fakeTasks) RunNow(p, task string) error {
	switch {
	case p == "shop" && task == "import_orders":
		f.ran.Add(1)
		return nil
	case p == "shop" && task == "reconcile":
		return errors.New("already running")
	}
	return admin.ErrUnknownTask
}

type env struct {
	srv   *httptest.Server
	h     http.Handler
	bus   *natstest.Server
	tasks *fakeTasks
	known *atomic.Bool // the article is in SnelStart: the articles stage lets orders through
}

// newEnv runs normalize, a customers stage and an articles stage that
// dead-letters every order until known is set, publishes the fixture order
// (and, with withXSS, a copy whose customer name is a script), and serves
// the dashboard and the admin API on one router, as koppel does.
func newEnv(t *testing.T, tok string, withXSS bool) *env {
	t.Helper()
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := profile.Parse([]byte(strings.Replace(config, "s3cret-admin", tok, 1)), "test", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	woo, _ := webshop.New(webshop.WooCommerce, webshop.Config{Secret: "wh-secret"})
	known := &atomic.Bool{}
	stages := []*pipeline.Stage{
		normalize.Stage(map[string]webshop.Adapter{"shop": woo}, pipeline.Stage{}),
		{Name: "customers", Filter: pipeline.OrderFilter(pipeline.StepReceived),
			Handler: orderstage.Handler("customers", pipeline.StepCustomer, func(_ context.Context, ev *koppelv1.OrderEvent) error {
				ev.Customer = &koppelv1.CustomerResolution{RelatieId: "r-1", Relatiecode: 1001, MatchedBy: "email"}
				return nil
			})},
		{Name: "articles", Filter: pipeline.OrderFilter(pipeline.StepCustomer),
			Handler: orderstage.Handler("articles", pipeline.StepArticles, func(_ context.Context, ev *koppelv1.OrderEvent) error {
				if !known.Load() {
					return pipeline.Permanent(fmt.Errorf("manual mode: artikel c00000003660 is not in SnelStart (order of %s)",
						ev.GetOrder().GetBilling().GetFirstName()))
				}
				ev.Articles = []*koppelv1.ArticleResolution{{LineId: "5484", ArtikelId: "a-1", Artikelcode: "c00000003660", Omschrijving: "DIY-Kit"}}
				return nil
			})},
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(stages))
	for _, st := range stages {
		go func() { st.Run(runCtx, bus.JS); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range stages {
			<-done
		}
	})
	body, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{body}
	if withXSS {
		s := strings.Replace(string(body), `{"id":12345,`, `{"id":12346,`, 1)
		s = strings.ReplaceAll(s, "12345-xxx", "12346-xss")
		s = strings.ReplaceAll(s, `"first_name":"theo"`, `"first_name":"`+strings.ReplaceAll(xss, "/", `\/`)+`"`)
		bodies = append(bodies, []byte(s))
	}
	for _, b := range bodies {
		h := nats.Header{}
		h.Set(pipeline.HeaderMsgID, intake.RawMsgID("shop", b))
		h.Set(pipeline.HeaderSource, "webhook")
		if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, "shop"), Header: h, Data: b}); err != nil {
			t.Fatal(err)
		}
	}
	tasks := &fakeTasks{}
	r := mux.NewRouter()
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	admin.New(admin.Options{Token: cfg.Server.AdminToken, Config: cfg, JS: bus.JS, Tasks: tasks}).Register(r)
	dashboard.New(dashboard.Options{Token: cfg.Server.AdminToken, Config: cfg, JS: bus.JS, Tasks: tasks}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{srv: srv, h: r, bus: bus, tasks: tasks, known: known}
}

// waitDeadLetters waits until n dead letters are in the DLQ and returns them.
func (e *env) waitDeadLetters(t *testing.T, n int) []pipeline.DeadLetter {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		dls, err := pipeline.ListDeadLetters(context.Background(), e.bus.JS, pipeline.DeadLetterFilter{})
		if err == nil && len(dls) == n {
			return dls
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d dead letters, have %d (%v)", n, len(dls), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type response struct {
	code   int
	body   string
	header http.Header
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a request; cookie is the koppel_token cookie's value ("" for
// none), form a POST body.
func (e *env) do(t *testing.T, method, path, cookie string, form url.Values, hdr ...string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: admin.TokenCookie, Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(b), header: resp.Header}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf reads the CSRF field from a page, as a browser submitting its form
// would send it.
func (e *env) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(e.do(t, "GET", "/tasks", token, nil).body)
	if m == nil {
		t.Fatal("no csrf field on /tasks")
	}
	return m[1]
}

func checkSecurityHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'; style-src 'self'") {
		t.Errorf("%s: Content-Security-Policy %q", name, csp)
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: X-Frame-Options %q, Referrer-Policy %q", name, h.Get("X-Frame-Options"), h.Get("Referrer-Policy"))
	}
}

func TestOffWithoutToken(t *testing.T) {
	r := mux.NewRouter()
	dashboard.New(dashboard.Options{Config: &profile.Config{}}).Register(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	e := &env{srv: srv}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/login"}, {"POST", "/login"}, {"GET", "/orders/shop/1"}, {"GET", "/dlq"},
		{"GET", "/dlq/1"}, {"POST", "/dlq/1/replay"}, {"GET", "/tasks"}, {"POST", "/logout"},
	} {
		for _, cookie := range []string{"", "anything"} {
			got := e.do(t, tc.method, tc.path, cookie, url.Values{"token": {""}, "csrf": {""}})
			if got.code != http.StatusForbidden || !strings.Contains(got.body, "dashboard is off") || !strings.Contains(got.body, "server.admin_token") {
				t.Errorf("%s %s (cookie %q): %d %.200s", tc.method, tc.path, cookie, got.code, got.body)
			}
			checkSecurityHeaders(t, tc.path, got.header)
		}
	}
}

// TestPages renders every page behind the cookie and checks that none is
// reachable without it, and that shop data is escaped everywhere.
func TestPages(t *testing.T) {
	e := newEnv(t, token, true)
	dls := e.waitDeadLetters(t, 2)
	var seq, xssSeq uint64
	for _, dl := range dls {
		switch dl.Header.Get(pipeline.HeaderOrder) {
		case "12345":
			seq = dl.Sequence
		case "12346":
			xssSeq = dl.Sequence
		}
	}
	if seq == 0 || xssSeq == 0 {
		t.Fatalf("dead letters: %+v", dls)
	}
	dlPath := fmt.Sprintf("/dlq/%d", seq)

	pages := map[string]struct {
		path string
		want []string
	}{
		"overview":        {"/", []string{"Fietsenwinkel", "woocommerce", "import_orders", "12 orders, 3 pages", "2 waiting", "12345-xxx", "dead-lettered", "Backlog per stage", "articles"}},
		"recent orders":   {"/orders", []string{"Most recent orders", "12345-xxx", "dead-lettered"}},
		"timeline":        {"/orders/shop/12345", []string{`id="order-status"`, ">dead-lettered<", "relatie 1001 (r-1), matched by email", "theo vdb", "differs", "2.46", "Waiting dead letters", "c00000003660", `<th scope="col" class="num">Attempts</th>`, "customer"}},
		"dlq":             {"/dlq", []string{"12345-xxx", "c00000003660", "Replay", "Discard", `name="reason"`, "required", "filter by profile"}},
		"dlq filtered":    {"/dlq?profile=shop&stage=articles&error=C00000003660", []string{"12345-xxx", "Replay all matching"}},
		"dlq detail":      {dlPath, []string{fmt.Sprintf("Dead letter %d", seq), "Koppel-Order", "koppel.order.customer.shop", "&#34;relatiecode&#34;: &#34;1001&#34;", "<pre", "Replay", "Discard"}},
		"bulk preview":    {"/dlq/replay?stage=articles", []string{"preview", fmt.Sprintf(`name="seq" value="%d"`, seq), "Replay these 2"}},
		"tasks":           {"/tasks", []string{"import_orders", "Run now", "SnelStart 503", "running", "disabled"}},
		"logout form":     {"/logout", []string{"Log out of the dashboard"}},
		"flash":           {"/?ok=replayed+12", []string{"Dead letter 12 replayed"}},
		"order by number": {"/orders/shop/12345-xxx", []string{">dead-lettered<"}},
	}
	for name, p := range pages {
		got := e.do(t, "GET", p.path, token, nil)
		if got.code != http.StatusOK {
			t.Errorf("%s: %d %.300s", name, got.code, got.body)
			continue
		}
		checkSecurityHeaders(t, name, got.header)
		if ct := got.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: content type %q", name, ct)
		}
		for _, w := range p.want {
			if !strings.Contains(got.body, w) {
				t.Errorf("%s: page lacks %q", name, w)
			}
		}
		for _, a11y := range []string{`<html lang="en">`, `href="#main"`, `id="main"`, `<title>`} {
			if !strings.Contains(got.body, a11y) {
				t.Errorf("%s: page lacks %q", name, a11y)
			}
		}
		// Without the cookie, or with a wrong one, every page sends the
		// browser to /login and back.
		for _, cookie := range []string{"", "wrong"} {
			anon := e.do(t, "GET", p.path, cookie, nil)
			if loc := anon.header.Get("Location"); anon.code != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(p.path) {
				t.Errorf("%s without the token: %d to %q", name, anon.code, loc)
			}
		}
	}

	// A bearer header is the same token.
	if got := e.do(t, "GET", "/", "", nil, "Authorization", "Bearer "+token); got.code != http.StatusOK {
		t.Errorf("bearer: %d", got.code)
	}

	for name, tc := range map[string]struct {
		path string
		code int
		want string
	}{
		"search by number":  {"/orders?q=12345-xxx", http.StatusSeeOther, "/orders/shop/12345"},
		"search by id":      {"/orders?profile=shop&q=%2312345", http.StatusSeeOther, "/orders/shop/12345"},
		"search not found":  {"/orders?q=777", http.StatusNotFound, "No order 777 is in the pipeline"},
		"search bad prof":   {"/orders?profile=nope&q=1", http.StatusNotFound, `There is no profile &#34;nope&#34;`},
		"unknown order":     {"/orders/shop/777", http.StatusNotFound, "No message of order"},
		"unknown profile":   {"/orders/nope/12345", http.StatusNotFound, "There is no profile"},
		"gone dead letter":  {"/dlq/9999", http.StatusNotFound, "There is no dead letter 9999"},
		"bad seq":           {"/dlq/abc", http.StatusBadRequest, "is not a dead letter number"},
		"unscoped bulk":     {"/dlq/replay", http.StatusBadRequest, "needs a filter"},
		"crafted flash":     {"/?ok=" + url.QueryEscape("replayed <b>x</b> go to evil.example"), http.StatusOK, "Overview"},
		"unknown flash":     {"/?ok=hacked+12", http.StatusOK, "Overview"},
		"login when authed": {"/login?next=/dlq", http.StatusSeeOther, "/dlq"},
	} {
		got := e.do(t, "GET", tc.path, token, nil)
		where := got.body
		if got.code == http.StatusSeeOther {
			where = got.header.Get("Location")
		}
		if got.code != tc.code || !strings.Contains(where, tc.want) {
			t.Errorf("%s: %d %.300s, want %d with %q", name, got.code, where, tc.code, tc.want)
		}
		if strings.Contains(got.body, `class="flash"`) {
			t.Errorf("%s: shows a flash message", name)
		}
	}

	// Shop data is escaped wherever it shows: the customer's name on the
	// timeline, the error in the list and the event on the detail page.
	for _, path := range []string{"/dlq", fmt.Sprintf("/dlq/%d", xssSeq), "/orders/shop/12346", "/orders?q=12346-xss", "/"} {
		got := e.do(t, "GET", path, token, nil)
		if got.code == http.StatusSeeOther {
			got = e.do(t, "GET", got.header.Get("Location"), token, nil)
		}
		if strings.Contains(got.body, xss) || strings.Contains(got.body, "<script") {
			t.Errorf("%s: unescaped script", path)
		}
		if path != "/" && !strings.Contains(got.body, xssEscaped) {
			t.Errorf("%s: the customer name is not shown escaped", path)
		}
	}

	// The dashboard leaves the other routes alone.
	if got := e.do(t, "GET", "/healthz", "", nil); got.code != 200 || got.body != "ok" {
		t.Errorf("/healthz: %d %q", got.code, got.body)
	}
	if got := e.do(t, "GET", "/admin/v1/profiles", "", nil, "Authorization", "Bearer "+token); got.code != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
		t.Errorf("/admin/v1/profiles: %d %s", got.code, got.header.Get("Content-Type"))
	}
	for _, path := range []string{"/metrics", "/webhooks/shop", "/readyz"} {
		if got := e.do(t, "GET", path, "", nil); got.code != http.StatusNotFound || got.header.Get("Location") != "" {
			t.Errorf("%s: %d %q: taken over by the dashboard", path, got.code, got.header.Get("Location"))
		}
	}

	// The stylesheet needs no token and is cached.
	css := e.do(t, "GET", "/assets/dashboard.css", "", nil)
	if css.code != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || !strings.Contains(css.body, ":focus-visible") {
		t.Errorf("css: %d %s", css.code, css.header.Get("Content-Type"))
	}
	if again := e.do(t, "GET", "/assets/dashboard.css", "", nil, "If-None-Match", css.header.Get("ETag")); again.code != http.StatusNotModified {
		t.Errorf("css revalidation: %d", again.code)
	}

	// No page uses inline script or style, which the CSP would block.
	for _, path := range []string{"/", "/dlq", dlPath, "/orders/shop/12345", "/tasks", "/login"} {
		body := e.do(t, "GET", path, token, nil).body
		for _, bad := range []string{"<script", " style=", "<style", " onclick=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}

// TestActions covers the POST forms: CSRF, replay, discard, bulk replay,
// run-now, login and logout.
func TestActions(t *testing.T) {
	e := newEnv(t, token, false)
	dls := e.waitDeadLetters(t, 1)
	seq := dls[0].Sequence
	replay := fmt.Sprintf("/dlq/%d/replay", seq)
	csrf := e.csrf(t)

	for name, tc := range map[string]struct {
		cookie string
		form   url.Values
		hdr    []string
		code   int
		want   string
	}{
		"no cookie":      {"", url.Values{"csrf": {csrf}}, nil, http.StatusUnauthorized, "not logged in"},
		"wrong cookie":   {"nope", url.Values{"csrf": {csrf}}, nil, http.StatusUnauthorized, "not logged in"},
		"no csrf":        {token, url.Values{}, nil, http.StatusForbidden, "security field"},
		"wrong csrf":     {token, url.Values{"csrf": {strings.Repeat("0", len(csrf))}}, nil, http.StatusForbidden, "security field"},
		"cross-site":     {token, url.Values{"csrf": {csrf}}, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, "another site"},
		"foreign origin": {token, url.Values{"csrf": {csrf}}, []string{"Origin", "https://evil.example"}, http.StatusForbidden, "another site"},
	} {
		got := e.do(t, "POST", replay, tc.cookie, tc.form, tc.hdr...)
		if got.code != tc.code || !strings.Contains(got.body, tc.want) {
			t.Errorf("%s: %d %.300s, want %d with %q", name, got.code, got.body, tc.code, tc.want)
		}
	}
	if left := e.waitDeadLetters(t, 1); left[0].Sequence != seq {
		t.Fatal("a refused replay changed the DLQ")
	}

	// Discard needs a reason.
	discard := fmt.Sprintf("/dlq/%d/discard", seq)
	for _, reason := range []string{"", "   "} {
		got := e.do(t, "POST", discard, token, url.Values{"csrf": {csrf}, "reason": {reason}})
		if got.code != http.StatusBadRequest || !strings.Contains(got.body, "needs a reason") {
			t.Errorf("discard with reason %q: %d %.300s", reason, got.code, got.body)
		}
	}

	// Bulk replay: unscoped is refused; confirming replays only what the
	// preview listed.
	if got := e.do(t, "POST", "/dlq/replay", token, url.Values{"csrf": {csrf}, "seq": {fmt.Sprint(seq)}}); got.code != http.StatusBadRequest || !strings.Contains(got.body, "needs a filter") {
		t.Errorf("unscoped bulk: %d %.300s", got.code, got.body)
	}
	if got := e.do(t, "POST", "/dlq/replay", token, url.Values{"csrf": {csrf}, "stage": {"articles"}}); got.code != http.StatusBadRequest || !strings.Contains(got.body, "preview") {
		t.Errorf("bulk without preview: %d %.300s", got.code, got.body)
	}
	got := e.do(t, "POST", "/dlq/replay", token, url.Values{"csrf": {csrf}, "stage": {"articles"}, "seq": {fmt.Sprint(seq)}, "reason": {"bulk test"}})
	if loc := got.header.Get("Location"); got.code != http.StatusSeeOther || loc != "/dlq?ok=bulk-replayed+1&stage=articles" {
		t.Fatalf("bulk replay: %d to %q %.300s", got.code, loc, got.body)
	}
	// The articles stage still fails, so the order comes back as a new
	// dead letter; this time it is discarded, with a reason.
	dls = e.waitDeadLetters(t, 1)
	if dls[0].Sequence == seq {
		t.Fatal("bulk replay left the dead letter")
	}
	seq = dls[0].Sequence
	got = e.do(t, "POST", fmt.Sprintf("/dlq/%d/discard", seq), token, url.Values{"csrf": {csrf}, "reason": {"test order"}, "return": {"/orders/shop/12345"}})
	if loc := got.header.Get("Location"); got.code != http.StatusSeeOther || loc != fmt.Sprintf("/orders/shop/12345?ok=discarded+%d", seq) {
		t.Fatalf("discard: %d to %q %.300s", got.code, loc, got.body)
	}
	e.waitDeadLetters(t, 0)
	tl := e.do(t, "GET", "/orders/shop/12345?ok=discarded+1", token, nil)
	for _, w := range []string{"Dead letter 1 discarded", "discard of dead letter", "by dashboard: test order", "replay", "bulk test"} {
		if !strings.Contains(tl.body, w) {
			t.Errorf("timeline after discard lacks %q", w)
		}
	}
	if got := e.do(t, "POST", fmt.Sprintf("/dlq/%d/replay", seq), token, url.Values{"csrf": {csrf}}); got.code != http.StatusNotFound || !strings.Contains(got.body, "already") {
		t.Errorf("replay of a discarded dead letter: %d %.300s", got.code, got.body)
	}
	// A return field cannot send the browser elsewhere.
	if got := e.do(t, "POST", "/tasks/shop/import_orders/run", token, url.Values{"csrf": {csrf}, "return": {"//evil.example/x"}}); got.header.Get("Location") != "/?ok=started+shop%2Fimport_orders" {
		t.Errorf("run-now with a foreign return: %d to %q", got.code, got.header.Get("Location"))
	}

	// Tasks.
	for name, tc := range map[string]struct {
		path string
		code int
		want string
	}{
		"run":     {"/tasks/shop/import_orders/run", http.StatusSeeOther, "/tasks?ok=started+shop%2Fimport_orders"},
		"busy":    {"/tasks/shop/reconcile/run", http.StatusConflict, "already running"},
		"unknown": {"/tasks/shop/nothing/run", http.StatusNotFound, "There is no task"},
	} {
		got := e.do(t, "POST", tc.path, token, url.Values{"csrf": {csrf}})
		where := got.body
		if got.code == http.StatusSeeOther {
			where = got.header.Get("Location")
		}
		if got.code != tc.code || !strings.Contains(where, tc.want) {
			t.Errorf("%s: %d %.300s", name, got.code, where)
		}
	}
	if n := e.tasks.ran.Load(); n != 2 {
		t.Errorf("import_orders ran %d times, want 2", n)
	}

	// Login.
	if got := e.do(t, "GET", "/login?next=/dlq", "", nil); got.code != 200 || !strings.Contains(got.body, `<label for="token">`) || !strings.Contains(got.body, `value="/dlq"`) {
		t.Errorf("login form: %d %.300s", got.code, got.body)
	}
	if got := e.do(t, "POST", "/login", "", url.Values{"token": {"wrong"}, "next": {"/dlq"}}); got.code != http.StatusUnauthorized || !strings.Contains(got.body, "not the admin token") || got.header.Get("Set-Cookie") != "" {
		t.Errorf("wrong token: %d %q", got.code, got.header.Get("Set-Cookie"))
	}
	if got := e.do(t, "POST", "/login", "", url.Values{"token": {token}}, "Sec-Fetch-Site", "cross-site"); got.code != http.StatusForbidden {
		t.Errorf("cross-site login: %d", got.code)
	}
	for next, want := range map[string]string{"/dlq?stage=articles": "/dlq?stage=articles", "//evil.example/": "/", "https://evil.example/": "/", `/\evil.example`: "/"} {
		got := e.do(t, "POST", "/login", "", url.Values{"token": {token}, "next": {next}})
		if got.code != http.StatusSeeOther || got.header.Get("Location") != want {
			t.Errorf("login to %q: %d to %q", next, got.code, got.header.Get("Location"))
		}
		c := got.header.Get("Set-Cookie")
		for _, attr := range []string{admin.TokenCookie + "=" + token, "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age="} {
			if !strings.Contains(c, attr) {
				t.Errorf("cookie %q lacks %s", c, attr)
			}
		}
		if strings.Contains(c, "Secure") {
			t.Errorf("cookie over plain HTTP is Secure: %q", c)
		}
	}
	// Over TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "https://koppel.example/login", strings.NewReader("token="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if c := rec.Header().Get("Set-Cookie"); rec.Code != http.StatusSeeOther || !strings.Contains(c, "; Secure") {
		t.Errorf("login over TLS: %d %q", rec.Code, c)
	}

	// Logout clears the cookie.
	got = e.do(t, "POST", "/logout", token, url.Values{"csrf": {csrf}})
	if c := got.header.Get("Set-Cookie"); got.code != http.StatusSeeOther || !strings.Contains(c, admin.TokenCookie+"=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("logout: %d %q", got.code, c)
	}
	if got := e.do(t, "POST", "/logout", token, url.Values{}); got.code != http.StatusForbidden {
		t.Errorf("logout without csrf: %d", got.code)
	}
}
