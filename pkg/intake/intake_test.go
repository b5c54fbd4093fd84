package intake_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/webshop"
)

const secret = "demo-secret"

type env struct {
	bus *natstest.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	srv *httptest.Server
}

func newEnv(t *testing.T, o intake.Options) *env {
	t.Helper()
	bus := natstest.Run(t)
	// The receiver's own connection, as a service makes it: no publish
	// buffering while disconnected.
	nc, js, err := pipeline.Connect(bus.ClientURL(), "test-receiver", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := pipeline.EnsureStreams(context.Background(), js, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	woo, err := webshop.New(webshop.WooCommerce, webshop.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	mag, err := webshop.New(webshop.Magento, webshop.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	o.Profiles = []intake.Profile{{ID: "demo-woo", Adapter: woo}, {ID: "demo-magento", Adapter: mag}}
	o.NC, o.JS = nc, js
	r, err := intake.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{bus: bus, nc: nc, js: js, srv: srv}
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) post(t *testing.T, profile string, body []byte, h map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/"+profile, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func wooHeaders(body []byte) map[string]string {
	return map[string]string{
		"Content-Type":             "application/json",
		"X-WC-Webhook-Source":      "https://shop.example.nl/",
		"X-WC-Webhook-Topic":       "order.updated",
		"X-WC-Webhook-Resource":    "order",
		"X-WC-Webhook-Event":       "updated",
		"X-WC-Webhook-ID":          "9",
		"X-WC-Webhook-Delivery-ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"X-WC-Webhook-Signature":   sign(body),
	}
}

// stored returns the messages on koppel.order.raw.<profile>.
func (e *env) stored(t *testing.T, profile string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(pipeline.OrderSubject(pipeline.StepRaw, profile)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
		seq = m.Sequence + 1
	}
}

func TestSignedDeliveryStoredOnce(t *testing.T) {
	e := newEnv(t, intake.Options{})
	body := fixture(t, "rest_v3_order_727_docs_variation_guest.json")
	for i := range 3 {
		resp := e.post(t, "demo-woo", body, wooHeaders(body))
		if resp.StatusCode != http.StatusAccepted {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("delivery %d: status %d %s", i+1, resp.StatusCode, b)
		}
		var got struct {
			Status    string `json:"status"`
			Seq       uint64 `json:"seq"`
			Duplicate bool   `json:"duplicate"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "stored" || got.Seq != 1 || got.Duplicate != (i > 0) {
			t.Errorf("delivery %d: answer %+v", i+1, got)
		}
	}
	msgs := e.stored(t, "demo-woo")
	if len(msgs) != 1 {
		t.Fatalf("stored %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if !bytes.Equal(m.Data, body) {
		t.Error("stored body differs from the bytes sent")
	}
	want := map[string]string{
		pipeline.HeaderProfile:                                     "demo-woo",
		pipeline.HeaderPlatform:                                    "woocommerce",
		pipeline.HeaderSource:                                      "webhook",
		pipeline.HeaderMsgID:                                       intake.RawMsgID("demo-woo", body),
		pipeline.HeaderDeliveryPrefix + "X-Wc-Webhook-Topic":       "order.updated",
		pipeline.HeaderDeliveryPrefix + "X-Wc-Webhook-Delivery-Id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for k := range m.Header {
		if strings.Contains(strings.ToLower(k), "signature") {
			t.Errorf("signature header %s stored", k)
		}
	}
}

func TestRejectedDeliveries(t *testing.T) {
	e := newEnv(t, intake.Options{BodyLimit: 8 << 10})
	body := fixture(t, "rest_v3_order_727_docs_variation_guest.json")
	big := append(bytes.Repeat([]byte(" "), 9<<10), body...)
	notJSON := []byte(`{"id": 1, "total": "12.00"`)
	magento := fixture(t, "rest_order_3_adobe_docs_tutorial_items_elided.json")

	tests := map[string]struct {
		profile string
		body    []byte
		headers map[string]string
		want    int
	}{
		"wrong secret": {profile: "demo-woo", body: body, want: http.StatusUnauthorized,
			headers: map[string]string{"X-WC-Webhook-Signature": base64.StdEncoding.EncodeToString(make([]byte, 32))}},
		"missing signature": {profile: "demo-woo", body: body, want: http.StatusUnauthorized},
		"tampered body": {profile: "demo-woo", body: append([]byte(nil), body...), want: http.StatusUnauthorized,
			headers: map[string]string{"X-WC-Webhook-Signature": sign(bytes.Replace(body, []byte("727"), []byte("728"), 1))}},
		"ping":            {profile: "demo-woo", body: []byte("webhook_id=9"), want: http.StatusOK},
		"unknown profile": {profile: "nope", body: body, headers: wooHeaders(body), want: http.StatusNotFound},
		"oversize":        {profile: "demo-woo", body: big, headers: wooHeaders(big), want: http.StatusRequestEntityTooLarge},
		"not json":        {profile: "demo-woo", body: notJSON, headers: wooHeaders(notJSON), want: http.StatusBadRequest},
		"magento unsigned": {profile: "demo-magento", body: magento, want: http.StatusUnauthorized,
			headers: map[string]string{"Content-Type": "application/json"}},
		"magento signed with the woo header": {profile: "demo-magento", body: magento, want: http.StatusUnauthorized,
			headers: map[string]string{"X-WC-Webhook-Signature": sign(magento)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := e.post(t, tc.profile, tc.body, tc.headers)
			if resp.StatusCode != tc.want {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tc.want)
			}
		})
	}
	for _, p := range []string{"demo-woo", "demo-magento", "nope"} {
		if n := len(e.stored(t, p)); n != 0 {
			t.Errorf("%s: %d messages stored from rejected deliveries", p, n)
		}
	}
}

func TestMagentoSignedDelivery(t *testing.T) {
	e := newEnv(t, intake.Options{})
	body := fixture(t, "rest_order_3_adobe_docs_tutorial_items_elided.json")
	resp := e.post(t, "demo-magento", body, map[string]string{"X-Koppel-Signature": sign(body), "X-Koppel-Event": "order.saved"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	msgs := e.stored(t, "demo-magento")
	if len(msgs) != 1 || msgs[0].Header.Get(pipeline.HeaderPlatform) != "magento" {
		t.Fatalf("stored %d messages", len(msgs))
	}
}

// TestBusDownAnswers503 stops JetStream under the receiver: the shop must
// hear 503 with Retry-After, and nothing is stored that the shop was not
// told about. After a restart the next delivery is stored.
func TestBusDownAnswers503(t *testing.T) {
	e := newEnv(t, intake.Options{PublishTimeout: 500 * time.Millisecond})
	body := fixture(t, "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	e.bus.Stop()

	start := time.Now()
	resp := e.post(t, "demo-woo", body, wooHeaders(body))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d with the bus down, want 503", resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Error("503 without Retry-After")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("503 took %v; the publish timeout is 500ms", d)
	}
	ready, err := http.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the bus down", ready.StatusCode)
	}

	e.bus.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for e.nc.Status() != nats.CONNECTED && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(e.stored(t, "demo-woo")); n != 0 {
		t.Fatalf("%d messages stored from the delivery answered 503", n)
	}
	resp = e.post(t, "demo-woo", body, wooHeaders(body))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d after restart", resp.StatusCode)
	}
	if n := len(e.stored(t, "demo-woo")); n != 1 {
		t.Fatalf("%d messages stored after restart, want 1", n)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, intake.Options{})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(e.srv.URL + "/webhooks/demo-woo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhooks/demo-woo = %d, want 405", resp.StatusCode)
	}
}

func TestTraceContextTravelsWithDelivery(t *testing.T) {
	e := newEnv(t, intake.Options{TracerProvider: telemetry.NewTracerProvider()})
	body := fixture(t, "rest_v3_order_727_docs_variation_guest.json")
	other := bytes.Replace(body, []byte("727"), []byte("728"), 1)

	// Without a traceparent the receiver starts a new trace.
	if resp := e.post(t, "demo-woo", body, wooHeaders(body)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// With one, the stored message continues the caller's trace.
	h := wooHeaders(other)
	h["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	if resp := e.post(t, "demo-woo", other, h); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	msgs := e.stored(t, "demo-woo")
	if len(msgs) != 2 {
		t.Fatalf("%d stored", len(msgs))
	}
	first := msgs[0].Header.Get(pipeline.HeaderTraceParent)
	if len(first) != 55 || strings.HasPrefix(first, "00-00000000000000000000000000000000") {
		t.Errorf("new trace: traceparent %q", first)
	}
	if got := msgs[1].Header.Get(pipeline.HeaderTraceParent); !strings.HasPrefix(got, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || strings.Contains(got, "00f067aa0ba902b7") {
		t.Errorf("continued trace: traceparent %q, want the caller's trace id with the receiver's span id", got)
	}
}
