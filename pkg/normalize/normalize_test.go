package normalize_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// The profile id the webshop package's golden files were made with.
const (
	wooProfile = "test-profile"
	magProfile = "test-magento"
)

func setup(t *testing.T) *natstest.Server {
	t.Helper()
	s := natstest.Run(t)
	if err := pipeline.EnsureStreams(context.Background(), s.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	woo, err := webshop.New(webshop.WooCommerce, webshop.Config{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	mag, err := webshop.New(webshop.Magento, webshop.Config{Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	st := normalize.Stage(map[string]webshop.Adapter{wooProfile: woo, magProfile: mag},
		pipeline.Stage{Backoff: pipeline.Backoff{Initial: 10 * time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Run(ctx, s.JS) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// publishRaw stores body as the receiver (source "webhook") or the poller
// (source "poll") would.
func publishRaw(t testing.TB, js jetstream.JetStream, profile, source string, body []byte) {
	t.Helper()
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, intake.RawMsgID(profile, body))
	h.Set(pipeline.HeaderProfile, profile)
	h.Set(pipeline.HeaderSource, source)
	if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, profile), Header: h, Data: body}); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, js jetstream.JetStream, stream, subject string, want int) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		var out []*jetstream.RawStreamMsg
		for seq := uint64(1); ; {
			m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			seq = m.Sequence + 1
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func golden(t *testing.T, fixture string) *koppelv1.Order {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "webshop", "testdata", "golden", fixture))
	if err != nil {
		t.Fatal(err)
	}
	var o koppelv1.Order
	if err := protojson.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func TestRawBecomesGoldenCanonicalOrder(t *testing.T) {
	tests := map[string]struct {
		profile string
		fixture string
	}{
		"woocommerce": {wooProfile, "rest_v3_order_727_docs_variation_guest.json"},
		"magento":     {magProfile, "rest_order_000000016_guest_bhd_coupon_placeorder_response.json"},
	}
	s := setup(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			publishRaw(t, s.JS, tc.profile, "webhook", body)
			msgs := read(t, s.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepReceived, tc.profile), 1)
			if len(msgs) != 1 {
				t.Fatalf("%d received messages, want 1", len(msgs))
			}
			var ev koppelv1.OrderEvent
			if err := proto.Unmarshal(msgs[0].Data, &ev); err != nil {
				t.Fatal(err)
			}
			got := ev.GetOrder()
			if !bytes.Equal(got.GetRaw(), body) {
				t.Error("event does not carry the raw body")
			}
			got.Raw = nil
			want := golden(t, tc.fixture)
			want.Profile = tc.profile
			if !proto.Equal(got, want) {
				t.Errorf("canonical order differs from golden\n got: %s\nwant: %s", protojson.Format(got), protojson.Format(want))
			}
			if ev.GetSource() != "webhook" || ev.GetRawSequence() == 0 || ev.GetReceivedAt() == nil {
				t.Errorf("event metadata: source %q raw seq %d received %v", ev.GetSource(), ev.GetRawSequence(), ev.GetReceivedAt())
			}
			wantID := tc.profile + ":" + want.GetShopOrderId() + ":" + want.GetRevision()
			if id := msgs[0].Header.Get(pipeline.HeaderMsgID); id != wantID {
				t.Errorf("Nats-Msg-Id %q, want %q", id, wantID)
			}
			if o := msgs[0].Header.Get(pipeline.HeaderOrder); o != want.GetShopOrderId() {
				t.Errorf("Koppel-Order %q", o)
			}
		})
	}
}

// TestSameOrderGoesOnOnce sends one order revision three ways: a webhook, the
// same webhook again with other bytes (WooCommerce escapes "/" as "\/"), and
// a poll that re-serialised it. Only one canonical order goes on.
func TestSameOrderGoesOnOnce(t *testing.T) {
	s := setup(t)
	body, err := os.ReadFile(filepath.Join("testdata", "rest_v3_order_727_docs_variation_guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	publishRaw(t, s.JS, wooProfile, "webhook", body)
	publishRaw(t, s.JS, wooProfile, "webhook", append(body, '\n'))
	publishRaw(t, s.JS, wooProfile, "poll", []byte(strings.ReplaceAll(string(body), "\n", "")))

	if raw := read(t, s.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepRaw, wooProfile), 3); len(raw) != 3 {
		t.Fatalf("%d raw messages stored, want 3 distinct deliveries", len(raw))
	}
	waitConsumed(t, s.JS)
	if got := read(t, s.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepReceived, wooProfile), 1); len(got) != 1 {
		t.Fatalf("%d received messages, want 1", len(got))
	}
}

// TestSameSecondStatesGoOnBoth: "pending" then "processing" with the same
// date_modified_gmt (payment confirmed in the checkout's second) are two
// states, so both go on under two message ids; each delivered again, by
// webhook and by poll, goes on no more.
func TestSameSecondStatesGoOnBoth(t *testing.T) {
	s := setup(t)
	processing, err := os.ReadFile(filepath.Join("testdata", "rest_v3_order_727_docs_variation_guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	pending := bytes.Replace(processing, []byte(`"status": "processing"`), []byte(`"status": "pending"`), 1)
	if bytes.Equal(pending, processing) {
		t.Fatal("the fixture has no status to change")
	}
	publishRaw(t, s.JS, wooProfile, "webhook", pending)
	publishRaw(t, s.JS, wooProfile, "webhook", processing)
	publishRaw(t, s.JS, wooProfile, "webhook", pending) // the same delivery again: stored once
	publishRaw(t, s.JS, wooProfile, "poll", bytes.ReplaceAll(pending, []byte("\n"), nil))
	publishRaw(t, s.JS, wooProfile, "poll", bytes.ReplaceAll(processing, []byte("\n"), nil))

	if raw := read(t, s.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepRaw, wooProfile), 4); len(raw) != 4 {
		t.Fatalf("%d raw messages stored, want 4 distinct deliveries", len(raw))
	}
	waitConsumed(t, s.JS)
	got := read(t, s.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepReceived, wooProfile), 2)
	if len(got) != 2 {
		t.Fatalf("%d received messages, want 2 (pending and processing)", len(got))
	}
	ids := map[string]string{}
	for _, m := range got {
		var ev koppelv1.OrderEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get(pipeline.HeaderMsgID)
		if !strings.HasPrefix(id, wooProfile+":727:2017-03-22T19:28:08#") {
			t.Errorf("%s: Nats-Msg-Id %q lacks the modification time", ev.GetOrder().GetStatus(), id)
		}
		ids[ev.GetOrder().GetStatus()] = id
	}
	if len(ids) != 2 || ids["pending"] == "" || ids["pending"] == ids["processing"] {
		t.Errorf("message ids by status %v, want one for pending and another for processing", ids)
	}
}

func waitConsumed(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := js.Consumer(context.Background(), pipeline.StreamOrders, "koppel-"+normalize.StageName)
		if err == nil {
			info, err := c.Info(context.Background())
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("normalize stage did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnnormalizableIsDeadLettered(t *testing.T) {
	s := setup(t)
	tests := map[string]struct {
		profile string
		body    []byte
		reason  string
	}{
		"woo deletion stub": {wooProfile, []byte(`{"id":4711}`), "not an order"},
		"woo without an id": {wooProfile, []byte(`{"status":"processing","line_items":[]}`), "id"},
		"magento not order": {magProfile, []byte(`[1,2,3]`), "magento"},
		"unknown profile":   {"ghost-shop", []byte(`{"id":1}`), "not configured"},
	}
	for _, tc := range tests {
		publishRaw(t, s.JS, tc.profile, "webhook", tc.body)
	}
	dls := read(t, s.JS, pipeline.StreamDLQ, "koppel.dlq.normalize.*", len(tests))
	if len(dls) != len(tests) {
		t.Fatalf("%d dead letters, want %d", len(dls), len(tests))
	}
	byBody := map[string]*jetstream.RawStreamMsg{}
	for _, m := range dls {
		byBody[string(m.Data)] = m
	}
	for name, tc := range tests {
		m, ok := byBody[string(tc.body)]
		if !ok {
			t.Errorf("%s: raw body not in the DLQ", name)
			continue
		}
		if m.Subject != pipeline.DLQSubject("normalize", tc.profile) {
			t.Errorf("%s: subject %s", name, m.Subject)
		}
		if e := m.Header.Get(pipeline.HeaderDLQError); !strings.Contains(strings.ToLower(e), tc.reason) {
			t.Errorf("%s: reason %q does not mention %q", name, e, tc.reason)
		}
	}
	if got := read(t, s.JS, pipeline.StreamOrders, "koppel.order.received.*", 0); len(got) != 0 {
		t.Errorf("%d orders went on", len(got))
	}
}
