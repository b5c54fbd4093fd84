package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

const pollConfig = `
server:
  listen: "127.0.0.1:%d"
  admin_token: test-admin-token
sandbox:
  listen: "127.0.0.1:0"
nats:
  store_dir: %s
  listen: "127.0.0.1:%d"
profiles:
  - id: shop
    webshop: {platform: woocommerce, webhook_secret: s, url: "%s", consumer_key: "%s", consumer_secret: "%s"}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
    schedule: {import_orders: 1s}
`

// TestScheduledPollingAndManualImport runs koppel against the WooCommerce
// sandbox: the scheduled import_orders task brings in every order without
// any webhook, `koppel tasks` shows it, and `koppel import` re-imports a
// range with progress, adding nothing twice.
func TestScheduledPollingAndManualImport(t *testing.T) {
	epoch := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 30, Seed: 3, Epoch: epoch})
	srv := httptest.NewServer(shop)
	defer srv.Close()
	o := shop.Options()

	dir := t.TempDir()
	httpPort, natsPort := freePort(t), freePort(t)
	path := filepath.Join(dir, "koppel.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(pollConfig, httpPort, filepath.Join(dir, "nats"), natsPort, srv.URL, o.ConsumerKey, o.ConsumerSecret)), 0o600)
	env := func(string) (string, bool) { return "", false }
	cfg, err := profile.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan string, 1)
	go func() {
		done <- allinone.Run(ctx, cfg, slogDiscard(), allinone.Options{Started: func(a allinone.Addrs) { started <- a.NATS }})
	}()
	defer func() { cancel(); <-done }()
	natsURL := <-started

	evs := received(t, natsURL, 30)
	if len(evs) != 30 {
		t.Fatalf("%d canonical orders from scheduled polling, want 30", len(evs))
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"tasks", "--config", path}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "shop") || !strings.Contains(s, "import_orders") || !strings.Contains(s, "1s") || !strings.Contains(s, "ok: ") {
		t.Errorf("tasks:\n%s", s)
	}

	out.Reset()
	err = run(context.Background(), []string{"import", "--profile", "shop", "--since", "3h", "--config", path}, &out, io.Discard, env)
	if err != nil && !strings.Contains(err.Error(), "another instance") {
		t.Fatal(err)
	}
	if err == nil && (!strings.Contains(out.String(), "done: ") || !strings.Contains(out.String(), "30 order(s) found")) {
		t.Errorf("import output:\n%s", out.String())
	}
	time.Sleep(300 * time.Millisecond)
	if evs := received(t, natsURL, 30); len(evs) != 30 {
		t.Errorf("after the manual import: %d canonical orders, want still 30", len(evs))
	}
	// Reconcile on demand: every shop order is accounted for.
	if err := run(context.Background(), []string{"tasks", "run", "shop", "reconcile", "--config", path}, io.Discard, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	var tasks string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out.Reset()
		run(context.Background(), []string{"tasks", "--config", path, "-o", "json"}, &out, io.Discard, env)
		if tasks = out.String(); strings.Contains(tasks, "in the shop") {
			break
		}
	}
	if !strings.Contains(tasks, "30 in the shop") || !strings.Contains(tasks, "0 missing") {
		t.Errorf("reconcile outcome:\n%s", tasks)
	}
	if err := run(context.Background(), []string{"import", "--profile", "nope", "--config", path}, io.Discard, io.Discard, env); err == nil {
		t.Error("import of an unknown profile succeeded")
	}
}
