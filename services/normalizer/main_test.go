package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
)

const config = `
nats: {url: "%s"}
profiles:
  - id: shop
    webshop: {platform: woocommerce, webhook_secret: s3cret}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
`

// TestServiceNormalizes runs the normalizer as its own service against a
// NATS server, as the distributed deployment does.
func TestServiceNormalizes(t *testing.T) {
	bus := natstest.Run(t)
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(config, bus.ClientURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", path}, io.Discard, func(string) (string, bool) { return "", false })
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	body, err := os.ReadFile("testdata/rest_v3_order_727_docs_variation_guest.json")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := bus.JS.Stream(ctx, pipeline.StreamOrders); err == nil {
			break // the service created the streams
		}
		if time.Now().After(deadline) {
			t.Fatal("streams not created")
		}
	}
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, "raw-1")
	if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, "shop"), Header: h, Data: body}); err != nil {
		t.Fatal(err)
	}
	st, _ := bus.JS.Stream(ctx, pipeline.StreamOrders)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		msg, err := st.GetLastMsgForSubject(ctx, pipeline.OrderSubject(pipeline.StepReceived, "shop"))
		if err == nil {
			var ev koppelv1.OrderEvent
			if err := proto.Unmarshal(msg.Data, &ev); err != nil || ev.GetOrder().GetShopOrderId() != "727" {
				t.Fatalf("received: %v %v", err, ev.GetOrder().GetShopOrderId())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no canonical order: %v", err)
		}
	}
}
