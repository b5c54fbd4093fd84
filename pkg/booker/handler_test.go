package booker

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// TestHandler checks the stage's messages: a booked order goes to
// koppel.order.booked.<profile> under <profile>:<id>:<revision>:booker with
// its Booking; an order in a status the profile does not import is acked
// with nothing published; an order in another currency is dead-lettered.
func TestHandler(t *testing.T) {
	ts := newSandbox(t, nil, snelstartsandbox.Options{})
	st, _ := newKV(t)
	h := newBooker(t, testSettings(), st, ts.client(t, 0), Options{}).Handler()
	msg := func(ev *koppelv1.OrderEvent) *pipeline.Message {
		data, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return &pipeline.Message{Subject: pipeline.OrderSubject(pipeline.StepArticles, "demo-woo"), Profile: "demo-woo", Data: data, Delivered: 1}
	}
	ctx := context.Background()

	out, err := h(ctx, msg(sampleEvent("h-1")))
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "koppel.order.booked.demo-woo" || out.MsgID != "demo-woo:h-1:2026-03-14T09:12:00Z:booker" {
		t.Errorf("output %s %s", out.Subject, out.MsgID)
	}
	var ev koppelv1.OrderEvent
	if err := proto.Unmarshal(out.Data, &ev); err != nil || ev.GetBooking().GetVerkooporderId() == "" || ev.GetBooking().GetNummer() == 0 {
		t.Errorf("booked event %v, %v", ev.GetBooking(), err)
	}
	if got := ev.GetBooking().GetBookedAt().AsTime(); !got.Equal(time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("booked_at %s", got)
	}

	pending := sampleEvent("h-2")
	pending.Order.Status = "pending"
	if out, err := h(ctx, msg(pending)); out != nil || err != nil {
		t.Errorf("pending order: %v, %v; want no output and no error", out, err)
	}

	usd := sampleEvent("h-3")
	usd.Order.Currency = "USD"
	if _, err := h(ctx, msg(usd)); !errors.Is(err, pipeline.ErrPermanent) {
		t.Errorf("USD order: %v, want a permanent error", err)
	}
	if n := ts.postCount(); n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
}
