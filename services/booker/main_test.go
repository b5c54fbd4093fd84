package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

const config = `
nats: {url: "%s"}
profiles:
  - id: shop
    webshop: {platform: woocommerce, webhook_secret: s3cret}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
    orders:
      import_statuses: [processing]
      template: Webshop
      check_duplicate_reference: true
      shipping_article: VERZEND
`

// TestServiceBooks runs the booker as its own service against a NATS server
// and the SnelStart sandbox, as the distributed deployment does: a resolved
// order on koppel.order.articles.shop becomes one verkooporder and a booked
// event naming it.
func TestServiceBooks(t *testing.T) {
	bus := natstest.Run(t)
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })

	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(config, bus.ClientURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", path, "--snelstart-sandbox-url", srv.URL}, io.Discard, func(string) (string, bool) { return "", false })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := bus.JS.Stream(ctx, pipeline.StreamOrders); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("streams not created")
		}
	}

	ev := &koppelv1.OrderEvent{
		Order: &koppelv1.Order{
			Profile: "shop", Platform: "woocommerce", ShopOrderId: "727", Number: "727", Status: "processing", Revision: "r1",
			Currency: "EUR", PricesIncludeTax: true, CreatedAt: timestamppb.New(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)),
			Lines: []*koppelv1.Line{{LineId: "1", Sku: "MOK-WIT", Name: "Mok wit", Quantity: "2", UnitPriceIncl: "9.95",
				TaxRate: "21", TotalExcl: "16.45", TotalTax: "3.45", TotalIncl: "19.90"}},
			ShippingLines: []*koppelv1.Charge{{Title: "PostNL", TotalExcl: "4.09", TotalTax: "0.86", TotalIncl: "4.95", TaxRate: "21"}},
			Totals:        &koppelv1.Totals{TotalExcl: "20.54", Tax: "4.31", TotalIncl: "24.85"},
		},
		Customer: &koppelv1.CustomerResolution{RelatieId: "5e000000-0000-4000-8000-000000000003"},
		Articles: []*koppelv1.ArticleResolution{{LineId: "1", ArtikelId: "4d000000-0000-4000-8000-000000000015", Artikelcode: "MOK-WIT", Kind: "product"}},
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, "shop:727:r1:articles")
	if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepArticles, "shop"), Header: h, Data: data}); err != nil {
		t.Fatal(err)
	}
	st, _ := bus.JS.Stream(ctx, pipeline.StreamOrders)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		msg, err := st.GetLastMsgForSubject(ctx, pipeline.OrderSubject(pipeline.StepBooked, "shop"))
		if err == nil {
			var got koppelv1.OrderEvent
			if err := proto.Unmarshal(msg.Data, &got); err != nil {
				t.Fatal(err)
			}
			orders := sb.Admin("demo").VerkoopOrders()
			last := orders[len(orders)-1]
			if len(orders) != 2 || got.GetBooking().GetVerkooporderId() != string(last.ID) || last.Betalingskenmerk != "727" {
				t.Fatalf("booking %v; sandbox has %d orders, last %s %q", got.GetBooking(), len(orders), last.ID, last.Betalingskenmerk)
			}
			if d := got.GetBooking().GetDifference(); d != "0.00" {
				t.Errorf("difference %s", d)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no booked event: %v", err)
		}
	}
}
