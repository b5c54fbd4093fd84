package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

const benchConfig = `
server: {listen: "127.0.0.1:%d"}
sandbox: {url: "%s"}
nats: {store_dir: %s, listen: "127.0.0.1:%d"}
profiles:
  - id: demo-woo
    webshop: {platform: woocommerce, webhook_secret: demo-secret}
    snelstart: {sandbox: true, rate_limit: {per_minute: 1000000, concurrent: 64}}
    orders: {template: Webshop, description: auto, lines: full, shipping_article: VERZEND, fee_article: TOESLAG, discount_article: KORTING}
    articles: {revenue_group: 1}
`

// BenchmarkEndToEnd measures koppel from signed webhook to booked
// verkooporder: koppel run in-process (embedded NATS on disk, every stage,
// KV ledger) against a SnelStart sandbox at zero latency and at 150 ms per
// call, with realistic generated WooCommerce orders (returning and new
// customers, several VAT rates). It reports orders per second from the
// first webhook to the last booking, and SnelStart calls per order.
func BenchmarkEndToEnd(b *testing.B) {
	for _, tc := range []struct {
		name    string
		orders  int
		latency time.Duration
	}{
		{"sandbox-0ms", 300, 0},
		{"sandbox-150ms", 150, 150 * time.Millisecond},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				rate, calls := endToEnd(b, tc.orders, tc.latency)
				b.ReportMetric(rate, "orders/s")
				b.ReportMetric(calls, "snelstart-calls/order")
				b.Logf("e2e %s: %d orders, %.1f orders/s, %.2f SnelStart calls per order", tc.name, tc.orders, rate, calls)
			}
		})
	}
}

func endToEnd(b *testing.B, n int, latency time.Duration) (ordersPerSec, callsPerOrder float64) {
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{RateLimit: &snelstartsandbox.RateLimit{}})
	if err != nil {
		b.Fatal(err)
	}
	if latency > 0 {
		if _, err := sb.AddFault(snelstartsandbox.Fault{Kind: "latency", Latency: latency}); err != nil {
			b.Fatal(err)
		}
	}
	sbSrv := httptest.NewServer(sb)
	defer sbSrv.Close()
	dir := b.TempDir()
	httpPort, natsPort := freePort(b), freePort(b)
	path := filepath.Join(dir, "koppel.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(benchConfig, httpPort, sbSrv.URL, filepath.Join(dir, "nats"), natsPort)), 0o600)
	cfg, err := profile.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan allinone.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- allinone.Run(ctx, cfg, slogDiscard(), allinone.Options{Started: func(a allinone.Addrs) { started <- a }})
	}()
	defer func() { cancel(); <-done }()
	addrs := <-started

	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: n, Seed: 99})
	var bodies [][]byte
	for _, o := range shop.Orders() {
		body, _ := shop.OrderJSON(o.ID)
		bodies = append(bodies, body)
	}
	c := sandboxClient(b, sbSrv.URL)
	before := sb.Calls().Total()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan []byte)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				if code := postOrder(b, "http://"+addrs.HTTP, "demo-woo", "X-WC-Webhook-Signature", body); code != http.StatusAccepted {
					b.Errorf("webhook: %d", code)
				}
			}
		}()
	}
	for _, body := range bodies {
		work <- body
	}
	close(work)
	wg.Wait()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if got := len(koppelOrders(b, c)); got >= n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d orders booked", len(koppelOrders(b, c)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	calls := sb.Calls().Total() - before
	return float64(n) / elapsed.Seconds(), float64(calls) / float64(n)
}
