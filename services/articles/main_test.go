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
    customers: {match: smart, processing: add}
`

// TestServiceResolvesArticles runs the articles stage as its own service
// against a NATS server and the SnelStart sandbox, as the distributed
// deployment does.
func TestServiceResolvesArticles(t *testing.T) {
	bus := natstest.Run(t)
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
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
	ev := &koppelv1.OrderEvent{Order: &koppelv1.Order{Profile: "shop", ShopOrderId: "727", Revision: "r1",
		Lines: []*koppelv1.Line{{LineId: "1", Sku: "KOFFIE-1KG", Name: "Koffie", Quantity: "2", UnitPriceIncl: "7.49"}}},
		Customer: &koppelv1.CustomerResolution{RelatieId: "5e000000-0000-4000-8000-000000000001", Relatiecode: 1}}
	data, _ := proto.Marshal(ev)
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, "shop:727:r1:customers")
	if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepCustomer, "shop"), Header: h, Data: data}); err != nil {
		t.Fatal(err)
	}
	st, err := bus.JS.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, err := st.GetLastMsgForSubject(ctx, pipeline.OrderSubject(pipeline.StepArticles, "shop"))
		if err == nil {
			var got koppelv1.OrderEvent
			if err := proto.Unmarshal(m.Data, &got); err != nil {
				t.Fatal(err)
			}
			if a := got.GetArticles(); len(a) != 1 || a[0].GetArtikelcode() != "KOFFIE-1KG" || a[0].GetLineId() != "1" {
				t.Errorf("articles %v, want KOFFIE-1KG for line 1", a)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no order on koppel.order.articles.shop")
		}
	}
}
