package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/mux"

	"github.com/koppel/koppel/pkg/browsertest"
	"github.com/koppel/koppel/pkg/dashboard"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/timeline/timelinetest"
)

// newVATEnv serves the dashboard over the orders timelinetest books: an
// ICP booked with a remark, an order the booker held, and one booked
// plainly.
func newVATEnv(t *testing.T) *env {
	t.Helper()
	bus := natstest.Run(t)
	if err := pipeline.EnsureStreams(context.Background(), bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := profile.Parse([]byte(config), "test", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	timelinetest.Run(t, bus.JS, fixture)
	timelinetest.Wait(t, bus.JS)
	r := mux.NewRouter()
	dashboard.New(dashboard.Options{Token: token, Config: cfg, JS: bus.JS}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{srv: srv, h: r, bus: bus}
}

// TestOrderVAT renders the VAT of booked orders and what needs attention.
func TestOrderVAT(t *testing.T) {
	e := newVATEnv(t)
	dls, err := pipeline.ListDeadLetters(context.Background(), e.bus.JS, pipeline.DeadLetterFilter{})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters: %+v %v", dls, err)
	}
	for name, p := range map[string]struct {
		path      string
		want, not []string
	}{
		"ICP order": {"/orders/shop/" + timelinetest.ICPOrder, []string{
			`id="order-status" class="badge warn">needs attention<`, "a person should check it",
			`id="order-attention" class="attention" role="alert"><strong>Needs attention:</strong> SnelStart booked incl. VAT 54.50; koppel expected 54.48`,
			"but it needs attention",
			`id="vat-regime">ICP (intracommunautaire levering)<`, `id="vat-rule">neither`,
			`id="vat-correction">0.02 `, "0.02 incl. VAT, 0.02 excl. VAT",
			"<th scope=\"row\">Laag</th><td class=\"num\">9 %</td><td class=\"num\">4.48</td><td class=\"num\">0.40</td><td class=\"num\">0.41</td>",
			`<span class="badge warn">-0.01</span>`,
			"What koppel changed to fit SnelStart", "description cut to 50 characters at a word: &#34;Kunst &amp; Cultuur",
			"verkooporder 10007 (5e0c-vo), created, total 54.50 incl. VAT, ICP (intracommunautaire levering)",
		}, nil},
		"held order": {"/orders/shop/" + timelinetest.HeldOrder, []string{
			`class="badge warn">needs attention<`, "held by the booker, not booked",
			"<strong>Needs attention (held, not booked):</strong> order 702-xxx is held, not booked: koppel would book",
			"Held by the booker, not booked: it needs attention.", "the <strong>booker</strong> held the order",
		}, []string{"gave up after", `id="vat-groups"`}},
		"plain order": {"/orders/shop/" + timelinetest.PlainOrder, []string{
			`id="order-status" class="badge ok">booked<`, `id="vat-regime">binnenland<`, `id="vat-rule">VAT per rate`,
			"<th scope=\"row\">Hoog</th><td class=\"num\">21 %</td>", `<span class="muted">none</span>`,
		}, []string{`id="order-attention"`, "needs attention", `id="vat-correction"`}},
		"orders": {"/orders", []string{">needs attention<", `class="muted why">SnelStart booked incl. VAT 54.50`,
			`class="muted why">order 702-xxx is held, not booked`, ">booked<", `name="attention"`}, nil},
		"orders needing attention": {"/orders?attention=1", []string{"Most recent orders that need attention", "701-xxx", "702-xxx", `value="1" checked`},
			[]string{"703-xxx"}},
		"overview": {"/", []string{">needs attention<", "701-xxx", "702-xxx", "703-xxx"}, nil},
		"dlq":      {"/dlq", []string{"booker <span class=\"badge warn\">needs attention</span>", "702-xxx"}, nil},
		"held dead letter": {fmt.Sprintf("/dlq/%d", dls[0].Sequence), []string{`<span class="badge warn">needs attention</span></h1>`,
			"<strong>Needs attention (held, not booked):</strong> the booker held this order", "koppel would book incl. VAT 66.75"}, nil},
	} {
		got := e.do(t, "GET", p.path, token, nil)
		if got.code != http.StatusOK {
			t.Errorf("%s: %d %.300s", name, got.code, got.body)
			continue
		}
		for _, w := range p.want {
			if !strings.Contains(got.body, w) {
				t.Errorf("%s: page lacks %q", name, w)
			}
		}
		for _, w := range p.not {
			if strings.Contains(got.body, w) {
				t.Errorf("%s: page has %q", name, w)
			}
		}
	}
}

// TestBrowserAttention: in headless Chromium, an operator lists the orders
// that need attention, opens the ICP order and sees why, and its VAT.
func TestBrowserAttention(t *testing.T) {
	e := newVATEnv(t)
	ctx := browsertest.New(t, 45*time.Second)
	console := recordConsole(ctx)
	browsertest.Step(t, ctx, "open the orders needing attention", chromedp.Navigate(e.srv.URL+"/orders?attention=1"), chromedp.WaitVisible(chromedp.ID("token")))
	browsertest.Step(t, ctx, "log in", chromedp.SendKeys(chromedp.ID("token"), token))
	browsertest.ClickAndLoad(t, ctx, "submit the login form", chromedp.CSS(`form[action="/login"] button[type="submit"]`))
	row := `//table//tr[.//a[contains(., "701-xxx")]]`
	browsertest.Step(t, ctx, "find the ICP order", chromedp.WaitVisible(row))
	if text := browsertest.Read(t, ctx, chromedp.Text(chromedp.CSS("main table"))); !strings.Contains(text, "needs attention") || strings.Contains(text, "703-xxx") {
		t.Errorf("orders needing attention: %q", text)
	}
	browsertest.ClickAndLoad(t, ctx, "open the ICP order", row+`//a`)
	browsertest.Step(t, ctx, "see why it needs attention", chromedp.WaitVisible(chromedp.ID("order-attention")), chromedp.WaitVisible(chromedp.ID("vat-groups")))
	if status := browsertest.Read(t, ctx, chromedp.Text(chromedp.ID("order-status"))); status != "needs attention" {
		t.Errorf("status %q", status)
	}
	if why := browsertest.Read(t, ctx, chromedp.Text(chromedp.ID("order-attention"))); !strings.Contains(why, "koppel expected 54.48") {
		t.Errorf("attention %q", why)
	}
	if regime := browsertest.Read(t, ctx, chromedp.Text(chromedp.ID("vat-regime"))); regime != "ICP (intracommunautaire levering)" {
		t.Errorf("regime %q", regime)
	}
	screenshot(t, ctx, t.TempDir(), "attention")
	for _, m := range console.all() {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
			t.Errorf("browser console: %s", m)
		}
	}
}
