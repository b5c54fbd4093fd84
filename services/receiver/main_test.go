package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
)

const config = `
server: {listen: "127.0.0.1:%d"}
nats: {url: "%s"}
profiles:
  - id: shop
    webshop: {platform: woocommerce, webhook_secret: s3cret}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
`

func noEnv(string) (string, bool) { return "", false }

func TestNeedsNATSURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.yaml")
	os.WriteFile(path, []byte(strings.Replace(fmt.Sprintf(config, 1, ""), `url: ""`, `url: "", store_dir: /tmp/x`, 1)), 0o600)
	err := run(context.Background(), []string{"--config", path}, io.Discard, noEnv)
	if err == nil || !strings.Contains(err.Error(), "nats.url is empty") {
		t.Fatalf("err = %v, want the nats.url message", err)
	}
}

// TestServiceStoresDelivery runs the receiver as its own service against a
// NATS server, as the distributed deployment does.
func TestServiceStoresDelivery(t *testing.T) {
	bus := natstest.Run(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	path := filepath.Join(t.TempDir(), "k.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(config, port, bus.ClientURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--config", path}, io.Discard, noEnv) }()
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
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(body)
	url := fmt.Sprintf("http://127.0.0.1:%d/webhooks/shop", port)
	var code int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-WC-Webhook-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // not listening yet
		}
		resp.Body.Close()
		code = resp.StatusCode
		break
	}
	if code != http.StatusAccepted {
		t.Fatalf("status %d, want 202", code)
	}
	st, err := bus.JS.Stream(context.Background(), pipeline.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetLastMsgForSubject(context.Background(), pipeline.OrderSubject(pipeline.StepRaw, "shop"))
	if err != nil || !bytes.Equal(msg.Data, body) {
		t.Fatalf("stored message: %v", err)
	}
}
