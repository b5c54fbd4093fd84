package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/snelstart"
)

// sandboxClient is a SnelStart client on the in-process sandbox's demo
// administration, for reading back what koppel booked.
func sandboxClient(t testing.TB, url string) *snelstart.Client {
	t.Helper()
	c, err := snelstart.New(snelstart.Config{AuthURL: url, BaseURL: url, ClientKey: "demo", SubscriptionKey: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// booked returns the verkooporders koppel booked in the sandbox for one
// shop order: betalingskenmerk ref and koppel's memo tag for the order (the
// demo administration has an older order of another customer with the
// same reference).
func booked(t *testing.T, c *snelstart.Client, ref, tag string) []snelstart.VerkoopOrder {
	t.Helper()
	orders, err := c.ListVerkoopOrders(context.Background(), snelstart.Eq("Betalingskenmerk", ref))
	if err != nil {
		t.Fatal(err)
	}
	var ours []snelstart.VerkoopOrder
	for _, o := range orders {
		if strings.Contains(o.Memo, tag) {
			ours = append(ours, o)
		}
	}
	return ours
}

// TestWebhookToBookedOrder is the end-to-end path: a signed WooCommerce and
// a signed Magento order posted to a running koppel, twice each, become one
// verkooporder each in SnelStart (the sandbox), with the shop's total.
func TestWebhookToBookedOrder(t *testing.T) {
	in := startInProcess(t)
	if in.sandboxURL == "" {
		t.Fatal("koppel started no SnelStart sandbox for sandbox profiles")
	}
	// Realistic Dutch EUR orders as the shops send them, from the shop
	// sandboxes (the public fixtures are USD, BHD or incomplete).
	wooShop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 1, Seed: 11})
	magShop := shopsandbox.NewMagento(shopsandbox.Options{Orders: 1, Seed: 12})
	wooInfo, magInfo := wooShop.Orders()[0], magShop.Orders()[0]
	woo, _ := wooShop.OrderJSON(wooInfo.ID)
	mag, _ := magShop.OrderJSON(magInfo.ID)
	for range 2 {
		if code := postOrder(t, in.httpURL, "demo-woo", "X-WC-Webhook-Signature", woo); code != http.StatusAccepted {
			t.Fatalf("woo: %d", code)
		}
		if code := postOrder(t, in.httpURL, "demo-magento", "X-Koppel-Signature", mag); code != http.StatusAccepted {
			t.Fatalf("magento: %d", code)
		}
	}
	c := sandboxClient(t, in.sandboxURL)
	for _, o := range []struct{ ref, tag string }{
		{wooInfo.Number, fmt.Sprintf("koppel:demo-woo:%d", wooInfo.ID)},
		{magInfo.Number, fmt.Sprintf("koppel:demo-magento:%d", magInfo.ID)},
	} {
		var got []snelstart.VerkoopOrder
		deadline := time.Now().Add(30 * time.Second)
		for len(got) == 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			got = booked(t, c, o.ref, o.tag)
		}
		time.Sleep(300 * time.Millisecond)
		if got = booked(t, c, o.ref, o.tag); len(got) != 1 {
			var out bytes.Buffer
			run(context.Background(), []string{"dlq", "list", "--config", in.config}, &out, io.Discard, func(string) (string, bool) { return "", false })
			t.Fatalf("order %s: %d verkooporders, want 1\n%s", o.ref, len(got), out.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"orders", "show", "demo-woo", wooInfo.Number, "--config", in.config}, &out, io.Discard,
		func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, ": booked") || !strings.Contains(s, "verkooporder") || strings.Contains(s, "differs from the shop") {
		t.Errorf("timeline of %s:\n%s", wooInfo.Number, s)
	}
}

// TestSameSecondPendingThenProcessingBooksOnce is issue 11's same-second
// case: a WooCommerce order posted as "pending" and then as "processing"
// with the same date_modified_gmt, to a profile importing [Processing]
// (another case than the shop's), is skipped as pending and booked once as
// processing; the processing one posted again (webhook retry, or a poll)
// books nothing more.
func TestSameSecondPendingThenProcessingBooksOnce(t *testing.T) {
	in := startInProcess(t, `
  - id: demo-statuses
    webshop: {platform: woocommerce, webhook_secret: demo-secret}
    snelstart: {sandbox: true, rate_limit: {per_minute: 100000, concurrent: 50}}
    orders: {import_statuses: [Processing], shipping_article: VERZEND, fee_article: TOESLAG, discount_article: KORTING}
    articles: {revenue_group: 1}
`)
	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 1, Seed: 21})
	info := shop.Orders()[0]
	processing, _ := shop.OrderJSON(info.ID)
	pending := bytes.Replace(processing, []byte(`"status":"processing"`), []byte(`"status":"pending"`), 1)
	if bytes.Equal(pending, processing) {
		t.Fatal("the sandbox order is not in processing")
	}
	for _, body := range [][]byte{pending, processing, append(bytes.Clone(processing), '\n')} {
		if code := postOrder(t, in.httpURL, "demo-statuses", "X-WC-Webhook-Signature", body); code != http.StatusAccepted {
			t.Fatalf("post: %d", code)
		}
	}
	c := sandboxClient(t, in.sandboxURL)
	tag := fmt.Sprintf("koppel:demo-statuses:%d", info.ID)
	var got []snelstart.VerkoopOrder
	for deadline := time.Now().Add(30 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		got = booked(t, c, info.Number, tag)
	}
	time.Sleep(500 * time.Millisecond)
	if got = booked(t, c, info.Number, tag); len(got) != 1 {
		var out bytes.Buffer
		run(context.Background(), []string{"dlq", "list", "--config", in.config}, &out, io.Discard, func(string) (string, bool) { return "", false })
		t.Fatalf("%d verkooporders for order %s, want 1\n%s", len(got), info.Number, out.String())
	}
	var statuses []string
	for _, ev := range received(t, in.natsURL, 2) {
		if ev.GetOrder().GetProfile() == "demo-statuses" {
			statuses = append(statuses, ev.GetOrder().GetStatus())
		}
	}
	slices.Sort(statuses) // the normalize stage may finish them in either order
	if strings.Join(statuses, ",") != "pending,processing" {
		t.Errorf("received states %v, want pending and processing, once each", statuses)
	}
}
