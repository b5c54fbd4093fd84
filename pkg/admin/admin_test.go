package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go"

	"github.com/koppel/koppel/pkg/admin"
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
    webshop: {platform: woocommerce, webhook_secret: wh-secret, consumer_key: ck_live, consumer_secret: cs_live}
    snelstart: {sandbox: false, client_key: client-key-secret, subscription_key: sub-key-secret}
    articles: {revenue_group: 1}
`

type fakeTasks struct{ ran atomic.Int32 }

func (f *fakeTasks) List() []admin.TaskStatus {
	return []admin.TaskStatus{{Profile: "shop", Task: "import_orders", Every: "5m"}}
}

func (f *fakeTasks) RunNow(p, task string) error {
	if p != "shop" || task != "import_orders" {
		return admin.ErrUnknownTask
	}
	f.ran.Add(1)
	return nil
}

type env struct {
	srv   *httptest.Server
	tasks *fakeTasks
	known *atomic.Bool
}

// newEnv runs normalize, a customers stage and an articles stage that
// dead-letters until known is set, and serves the admin API.
func newEnv(t *testing.T, tok string) *env {
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
					return pipeline.Permanent(errors.New("manual mode: artikel c00000003660 is not in SnelStart"))
				}
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
	body, _ := os.ReadFile("testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, intake.RawMsgID("shop", body))
	if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: "koppel.order.raw.shop", Header: h, Data: body}); err != nil {
		t.Fatal(err)
	}
	tasks := &fakeTasks{}
	r := mux.NewRouter()
	admin.New(admin.Options{Token: cfg.Server.AdminToken, Config: cfg, JS: bus.JS, Tasks: tasks,
		Import: func(p string, since time.Time) error {
			if since.Year() < 2000 {
				return errors.New("too far back")
			}
			tasks.ran.Add(10)
			return nil
		}}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{srv: srv, tasks: tasks, known: known}
}

func (e *env) do(t *testing.T, method, path, tok string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("X-Koppel-Actor", "tester")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q", method, path, ct)
	}
	return resp.StatusCode, b
}

func waitDLQ(t *testing.T, e *env, n int) []admin.DeadLetterView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := e.do(t, "GET", "/admin/v1/dlq", token, nil)
		var dls []admin.DeadLetterView
		json.Unmarshal(b, &dls)
		if len(dls) == n || time.Now().After(deadline) {
			return dls
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, token)
	for name, tok := range map[string]string{"no token": "", "wrong token": "nope"} {
		if code, b := e.do(t, "GET", "/admin/v1/profiles", tok, nil); code != http.StatusUnauthorized || !strings.Contains(string(b), "bearer token") {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	off := newEnv(t, "")
	if code, b := off.do(t, "GET", "/admin/v1/profiles", "", nil); code != http.StatusForbidden || !strings.Contains(string(b), "admin API is off") {
		t.Errorf("no token configured: %d %s", code, b)
	}
}

func TestProfilesHideSecrets(t *testing.T) {
	e := newEnv(t, token)
	code, b := e.do(t, "GET", "/admin/v1/profiles", token, nil)
	if code != 200 || !strings.Contains(string(b), `"shop"`) {
		t.Fatalf("%d %s", code, b)
	}
	for _, secret := range []string{"wh-secret", "ck_live", "cs_live", "client-key-secret", "sub-key-secret", token} {
		if strings.Contains(string(b), secret) {
			t.Errorf("profiles leak %q", secret)
		}
	}
}

func TestDeadLettersTimelineAndReplay(t *testing.T) {
	e := newEnv(t, token)
	dls := waitDLQ(t, e, 1)
	if len(dls) != 1 || dls[0].Stage != "articles" || dls[0].Order != "12345" || dls[0].OrderNumber != "12345-xxx" {
		t.Fatalf("dlq: %+v", dls)
	}
	seq := dls[0].Sequence
	path := "/admin/v1/dlq/" + itoa(seq)

	code, b := e.do(t, "GET", path, token, nil)
	var full admin.DeadLetterView
	json.Unmarshal(b, &full)
	if code != 200 || !strings.Contains(string(full.Event), `"relatiecode": "1001"`) || !strings.Contains(full.Error, "c00000003660") {
		t.Errorf("show: %d %s", code, b)
	}

	for name, tc := range map[string]struct {
		method, path string
		body         any
		want         int
		msg          string
	}{
		"filter by error":      {"GET", "/admin/v1/dlq?error=C00000003660&profile=shop", nil, 200, `"seq"`},
		"bad limit":            {"GET", "/admin/v1/dlq?limit=lots", nil, 400, "limit"},
		"bad since":            {"GET", "/admin/v1/dlq?since=yesterday", nil, 400, "RFC 3339"},
		"bad seq":              {"GET", "/admin/v1/dlq/abc", nil, 400, "not a dead letter sequence"},
		"missing seq":          {"GET", "/admin/v1/dlq/9999", nil, 404, "no dead letter"},
		"discard no reason":    {"POST", path + "/discard", map[string]string{}, 400, "needs a reason"},
		"replay bad body":      {"POST", path + "/replay", map[string]int{"reason": 5}, 400, "body"},
		"unscoped bulk":        {"POST", "/admin/v1/dlq/replay", map[string]any{"dry_run": true}, 400, "needs a scope"},
		"dry-run bulk":         {"POST", "/admin/v1/dlq/replay", map[string]any{"dry_run": true, "stage": "articles"}, 200, `"count": 1`},
		"unknown profile":      {"GET", "/admin/v1/orders/nope/12345", nil, 404, "unknown profile"},
		"unknown order":        {"GET", "/admin/v1/orders/shop/777", nil, 404, "not found"},
		"timeline by number":   {"GET", "/admin/v1/orders/shop/12345-xxx", nil, 200, `"status": "dead-lettered"`},
		"recent orders":        {"GET", "/admin/v1/orders?profile=shop", nil, 200, `"status": "dead-lettered"`},
		"recent bad limit":     {"GET", "/admin/v1/orders?limit=-1", nil, 400, "limit"},
		"health":               {"GET", "/admin/v1/health", nil, 200, `"koppel-articles"`},
		"tasks":                {"GET", "/admin/v1/tasks", nil, 200, "import_orders"},
		"run unknown task":     {"POST", "/admin/v1/tasks/shop/reconcile/run", nil, 404, "unknown task"},
		"run task":             {"POST", "/admin/v1/tasks/shop/import_orders/run", nil, 202, "started"},
		"unknown endpoint":     {"GET", "/admin/v1/nothing", nil, 404, "no such admin endpoint"},
		"import":               {"POST", "/admin/v1/import", map[string]string{"profile": "shop", "since": "2026-11-01T00:00:00Z"}, 202, "shop/import"},
		"import no since":      {"POST", "/admin/v1/import", map[string]string{"profile": "shop"}, 400, "since"},
		"import bad since":     {"POST", "/admin/v1/import", map[string]string{"profile": "shop", "since": "yesterday"}, 400, "body"},
		"import refused":       {"POST", "/admin/v1/import", map[string]string{"profile": "shop", "since": "1990-01-01T00:00:00Z"}, 409, "too far back"},
		"import other profile": {"POST", "/admin/v1/import", map[string]string{"profile": "x", "since": "2026-11-01T00:00:00Z"}, 404, "unknown profile"},
	} {
		code, b := e.do(t, tc.method, tc.path, token, tc.body)
		if code != tc.want || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %s, want %d containing %q", name, code, b, tc.want, tc.msg)
		}
	}
	if e.tasks.ran.Load() != 11 {
		t.Errorf("task ran %d times", e.tasks.ran.Load())
	}

	// The article is added; replay through the API.
	e.known.Store(true)
	if code, b := e.do(t, "POST", path+"/replay", token, map[string]string{"reason": "artikel aangemaakt"}); code != 200 {
		t.Fatalf("replay: %d %s", code, b)
	}
	if left := waitDLQ(t, e, 0); len(left) != 0 {
		t.Fatalf("still dead-lettered: %+v", left)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := e.do(t, "GET", "/admin/v1/orders/shop/12345", token, nil)
		var v struct {
			Status  string `json:"status"`
			Entries []struct{ Step, Summary string }
		}
		json.Unmarshal(b, &v)
		if v.Status == pipeline.StepArticles {
			var replay string
			for _, en := range v.Entries {
				if en.Step == "replay" {
					replay = en.Summary
				}
			}
			if !strings.Contains(replay, "by tester: artikel aangemaakt") {
				t.Errorf("replay entry %q", replay)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("order did not move on after replay: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, b := e.do(t, "POST", path+"/replay", token, nil); code != 404 {
		t.Errorf("second replay: %d %s", code, b)
	}
}

func itoa(n uint64) string {
	return strings.TrimSpace(strings.Replace(string(must(json.Marshal(n))), `"`, "", -1))
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
