package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/koppel/koppel/pkg/browsertest"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/pkg/webshop"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

const manualConfig = `
server: {listen: "127.0.0.1:%d", admin_token: browser-token}
sandbox: {url: "%s"}
nats: {store_dir: %s, listen: "127.0.0.1:%d"}
profiles:
  - id: shop
    webshop: {platform: woocommerce, webhook_secret: demo-secret}
    snelstart: {sandbox: true, rate_limit: {per_minute: 100000, concurrent: 50}}
    orders: {shipping_article: VERZEND, fee_article: TOESLAG, discount_article: KORTING}
    articles: {processing: manual, revenue_group: 1}
`

// TestReplayInBrowserBooks is the operator's path through the real koppel:
// in manual article mode an order whose articles SnelStart does not know is
// dead-lettered; a person adds the articles in SnelStart, opens the
// dashboard in a browser, finds the dead letter, replays it, and sees the
// order booked, once.
func TestReplayInBrowserBooks(t *testing.T) {
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb)
	defer sbSrv.Close()
	dir := t.TempDir()
	httpPort, natsPort := freePort(t), freePort(t)
	path := filepath.Join(dir, "koppel.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(manualConfig, httpPort, sbSrv.URL, filepath.Join(dir, "nats"), natsPort)), 0o600)
	cfg, err := profile.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan allinone.Addrs, 1)
	done := make(chan error, 1)
	go func() {
		done <- allinone.Run(ctx, cfg, slogDiscard(), allinone.Options{Started: func(a allinone.Addrs) { started <- a }})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + (<-started).HTTP

	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 1, Seed: 31})
	info := shop.Orders()[0]
	body, _ := shop.OrderJSON(info.ID)
	if code := postOrder(t, base, "shop", "X-WC-Webhook-Signature", body); code != http.StatusAccepted {
		t.Fatalf("webhook: %d", code)
	}
	// The order waits in the DLQ: its articles are not in SnelStart.
	c := sandboxClient(t, sbSrv.URL)
	var skus []string
	deadline := time.Now().Add(20 * time.Second)
	for len(skus) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the order was not dead-lettered")
		}
		time.Sleep(100 * time.Millisecond)
		skus = unknownSKUs(t, c, shop, info.ID)
	}

	b := browsertest.New(t, 2*time.Minute)
	browsertest.Step(t, b, "open the DLQ page", chromedp.Navigate(base+"/dlq"), chromedp.WaitVisible(chromedp.ID("token")))
	browsertest.Step(t, b, "log in", chromedp.SendKeys(chromedp.ID("token"), "browser-token"))
	browsertest.ClickAndLoad(t, b, "submit the login form", chromedp.CSS(`form[action="/login"] button[type="submit"]`))
	row := fmt.Sprintf(`//table[contains(@class, "dlq")]//tr[.//a[contains(., %q)]]`, info.Number)
	var text string
	for deadline := time.Now().Add(20 * time.Second); ; {
		text = browsertest.Read(t, b, chromedp.Evaluate[string](`document.body.innerText`))
		if strings.Contains(text, info.Number) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
		browsertest.Step(t, b, "reload the DLQ page", chromedp.Reload())
	}
	browsertest.Step(t, b, "find the order on the DLQ page", chromedp.WaitVisible(row))
	if text := browsertest.Read(t, b, chromedp.Text(row)); !strings.Contains(text, "articles") || !strings.Contains(text, skus[0]) {
		t.Errorf("DLQ row does not name the stage and the unknown SKU %s: %q", skus[0], text)
	}

	// The bookkeeper adds the articles in SnelStart, each in the omzetgroep
	// of the VAT the product carries (21 % Hoog, 9 % Laag, 0 % Geen), as
	// she knows her products.
	groups, err := c.ListArtikelOmzetgroepen(context.Background())
	if err != nil || len(groups) == 0 {
		t.Fatalf("omzetgroepen: %v", err)
	}
	soortOf := map[string]snelstart.BtwSoort{"21": snelstart.BtwSoortHoog, "9": snelstart.BtwSoortLaag, "0": snelstart.BtwSoortGeen}
	groupFor := func(sku string) snelstart.ID {
		adapter, _ := webshop.New(webshop.WooCommerce, webshop.Config{})
		o, err := adapter.Normalize("shop", body)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range o.GetLines() {
			if l.GetSku() != sku {
				continue
			}
			for _, g := range groups {
				if r, _ := snelstart.ParseDecimal(l.GetTaxRate()); g.VerkoopNederlandBtwSoort == soortOf[r.String()] {
					return g.ID
				}
			}
		}
		t.Fatalf("no omzetgroep for SKU %s", sku)
		return ""
	}
	for _, sku := range skus {
		price, _ := snelstart.ParseDecimal("10.00")
		if _, err := c.CreateArtikel(context.Background(), &snelstart.Artikel{Artikelcode: sku, Omschrijving: "Toegevoegd " + sku,
			ArtikelOmzetgroep: snelstart.RefTo(groupFor(sku)), Verkoopprijs: &price}); err != nil {
			t.Fatalf("create artikel %s: %v", sku, err)
		}
	}

	browsertest.ClickAndLoad(t, b, "open the dead letter", row+`//a[starts-with(@href, "/dlq/")]`)
	replayForm := `//form[contains(@action, "/replay")]`
	browsertest.Step(t, b, "see the dead letter", chromedp.WaitVisible(replayForm))
	browsertest.ClickAndLoad(t, b, "click Replay", replayForm+`//button[@type="submit"]`)
	status := ""
	for deadline := time.Now().Add(30 * time.Second); ; {
		status = browsertest.Read(t, b, chromedp.Text(chromedp.ID("order-status")))
		if status == "booked" || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
		browsertest.Step(t, b, "reload the timeline", chromedp.Reload())
	}
	if status != "booked" {
		t.Fatalf("after the replay the timeline shows %q, want booked", status)
	}
	if got := booked(t, c, info.Number, fmt.Sprintf("koppel:shop:%d", info.ID)); len(got) != 1 {
		t.Errorf("%d verkooporders for order %s, want 1", len(got), info.Number)
	}
}

// unknownSKUs returns the SKUs of the shop order that SnelStart does not
// know, once the order is dead-lettered for them.
func unknownSKUs(t *testing.T, c *snelstart.Client, shop *shopsandbox.WooCommerce, id int64) []string {
	t.Helper()
	body, _ := shop.OrderJSON(id)
	var skus []string
	for _, part := range strings.Split(string(body), `"sku":"`)[1:] {
		sku := part[:strings.IndexByte(part, '"')]
		if sku == "" {
			continue
		}
		got, err := c.ListArtikelen(context.Background(), snelstart.Eq("Artikelcode", sku))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			skus = append(skus, sku)
		}
	}
	return skus
}
