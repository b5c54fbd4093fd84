package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

// startShipped runs koppel with the shipped configs/koppel.yaml, as `make
// run` does, on free ports and a temporary data directory.
func startShipped(t *testing.T) instance {
	t.Helper()
	dir := t.TempDir()
	httpPort, natsPort := freePort(t), freePort(t)
	env := map[string]string{
		"KOPPEL_LISTEN":      fmt.Sprintf("127.0.0.1:%d", httpPort),
		"KOPPEL_NATS_LISTEN": fmt.Sprintf("127.0.0.1:%d", natsPort),
		"KOPPEL_DATA":        dir,
	}
	for k, v := range env {
		t.Setenv(k, v) // for the CLI commands the test runs too
	}
	path := filepath.Join("..", "..", "configs", "koppel.yaml")
	cfg, err := profile.Load(path, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sandbox.Listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan instance, 1)
	done := make(chan error, 1)
	go func() {
		done <- allinone.Run(ctx, cfg, slogDiscard(), allinone.Options{Started: func(a allinone.Addrs) {
			started <- instance{httpURL: "http://" + a.HTTP, natsURL: a.NATS, sandboxURL: a.SnelStartSandbox, config: path}
		}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case in := <-started:
		return in
	case err := <-done:
		t.Fatalf("koppel did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("koppel did not start in 20s")
	}
	return instance{}
}

// waitBooked waits until the shop order is booked once, or fails with the
// dead letters.
func waitBooked(t *testing.T, in instance, c *snelstart.Client, profileID, number string) snelstart.VerkoopOrder {
	t.Helper()
	tag := fmt.Sprintf("koppel:%s:%s", profileID, number)
	var got []snelstart.VerkoopOrder
	for deadline := time.Now().Add(30 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		got = booked(t, c, number, tag)
	}
	if len(got) != 1 {
		t.Fatalf("order %s: %d verkooporders, want 1; dead letters:\n%s", number, len(got), dlqList(t, in))
	}
	return got[0]
}

func dlqList(t *testing.T, in instance) string {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"dlq", "list", "--config", in.config}, &out, &out, os.LookupEnv); err != nil {
		t.Errorf("koppel dlq list: %v", err)
	}
	return out.String()
}

// TestVATAsTheShopCharged is issue 10's "done when", with the shipped
// configuration: a Dutch consumer's order at 21 and 9 % with a new 9 %
// book, taxed shipping and fee books with the shop's VAT to the cent and
// creates the book in the Laag omzetgroep; a German company's order at 0 %
// books without VAT on a relatie with its VAT number; the README's order
// whose lines disagree with its total by 2.46 is held, not booked.
func TestVATAsTheShopCharged(t *testing.T) {
	in := startShipped(t)
	c := sandboxClient(t, in.sandboxURL)
	ctx := context.Background()
	for _, f := range []string{"woo_order_20001_nl_consumer_21_9_new_book.json", "woo_order_20002_de_company_icp.json", "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json"} {
		if code := postOrder(t, in.httpURL, "demo-woo", "X-WC-Webhook-Signature", fixture(t, f)); code != http.StatusAccepted {
			t.Fatalf("%s: %d", f, code)
		}
	}

	// 1. Shop: net 1,619.73, VAT 221.34, total 1,841.07 (21 %: 649.00 +
	// 104.17 incl. VAT, shipping 6.95 + 1.46, fee 0.29 + 0.06; 9 %: 2 ×
	// 539.57 = 1,079.14 incl., of which 89.10 VAT).
	nl := waitBooked(t, in, c, "demo-woo", "20001")
	if got := nl.TotaalInclusiefBtw.StringFixed(2); got != "1841.07" {
		t.Errorf("order 20001: totaalInclusiefBtw %s, want the shop's 1841.07", got)
	}
	// SnelStart's VAT per rate (per btw-soort, half up): 21 %: gross
	// 649.00 + 104.17 + 8.41 + 0.35 = 761.93, net 629.69, VAT 132.24;
	// 9 %: 1,079.14, net 990.04, VAT 89.10; total VAT 221.34, as the shop's.
	if got := nl.TotaalInclusiefBtw.Sub(nl.TotaalExclusiefBtw.Decimal).StringFixed(2); got != "221.34" {
		t.Errorf("order 20001: VAT %s, want the shop's 221.34", got)
	}
	arts, err := c.ListArtikelen(ctx, snelstart.Eq("Artikelcode", "BOEK-KOFFIE-LUXE"))
	if err != nil || len(arts) != 1 {
		t.Fatalf("the new book: %v, %v", arts, err)
	}
	if g := arts[0].ArtikelOmzetgroep; g == nil || g.ID != "2b000000-0000-4000-8000-000000000002" {
		t.Errorf("the new 9 %% book is in omzetgroep %v, want 2 (Laag)", g)
	}

	// 2. No VAT, and the relatie carries the VAT number.
	de := waitBooked(t, in, c, "demo-woo", "20002")
	if !de.TotaalInclusiefBtw.Equal(de.TotaalExclusiefBtw.Decimal) || de.TotaalInclusiefBtw.StringFixed(2) != "1087.67" {
		t.Errorf("order 20002: %s / %s, want 1087.67 without VAT", de.TotaalExclusiefBtw, de.TotaalInclusiefBtw)
	}
	rel, err := c.GetRelatie(ctx, de.Relatie.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rel.BtwNummer != "DE811569869" {
		t.Errorf("relatie of order 20002 has btwNummer %q, want DE811569869", rel.BtwNummer)
	}

	// 3. Held with its reason, not booked.
	var list string
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(list, "needs attention") && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		list = dlqList(t, in)
	}
	var show bytes.Buffer
	if err := run(ctx, []string{"dlq", "show", "1", "--config", in.config}, &show, &show, os.LookupEnv); err != nil {
		t.Fatalf("koppel dlq show 1: %v", err)
	}
	for _, want := range []string{"12345-xxx", "needs attention", "incl. VAT 30.04", "incl. VAT 32.50", "likely cause"} {
		if !strings.Contains(show.String(), want) {
			t.Errorf("dead letter 1 does not say %q:\n%s\n(list:\n%s)", want, show.String(), list)
		}
	}
	if got := booked(t, c, "12345-xxx", "koppel:demo-woo:12345"); len(got) != 0 {
		t.Errorf("order 12345 was booked (%d verkooporders)", len(got))
	}
}
