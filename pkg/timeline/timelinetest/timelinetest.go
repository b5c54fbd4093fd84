// Package timelinetest books orders the way koppel's booker records their
// VAT, for the tests of the packages that show timelines: it runs
// stand-in stages on an embedded JetStream and publishes a WooCommerce
// fixture as three orders, one booked with a remark, one held and one
// booked plainly.
package timelinetest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/timeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// Profile is the profile the orders are in.
const Profile = "shop"

// The shop order ids Run publishes; each order's number is its id + "-xxx".
const (
	ICPOrder   = "701" // booked as an intra-community supply with a remark: status attention
	HeldOrder  = "702" // held by the booker: status held
	PlainOrder = "703" // booked domestically, SnelStart agreeing: status booked
)

// ICPBooking is the booking of ICPOrder: an intra-community supply whose
// totals SnelStart computed differently, with a correction line and a note.
var ICPBooking = &koppelv1.Booking{
	VerkooporderId: "5e0c-vo", Nummer: 10007, TotaalExclusiefBtw: "54.50", TotaalInclusiefBtw: "54.50",
	Difference: "0.02", DifferenceExcl: "0.02", Outcome: "created",
	Regime: "icp", Correction: "0.02",
	Attention: "SnelStart booked incl. VAT 54.50; koppel expected 54.48 (VAT per rate)",
	Vat: []*koppelv1.VatGroup{
		{BtwSoort: "Geen", Rate: "0", Excl: "50.00", Tax: "0.00", ShopTax: "0.00"},
		{BtwSoort: "Laag", Rate: "9", Excl: "4.48", Tax: "0.40", ShopTax: "0.41"},
	},
	Notes: []string{`description cut to 50 characters at a word: "Kunst & Cultuur in de Lage Landen"`},
}

// PlainBooking is the booking of PlainOrder.
var PlainBooking = &koppelv1.Booking{
	VerkooporderId: "7a1d-vo", Nummer: 10009, TotaalExclusiefBtw: "53.13", TotaalInclusiefBtw: "64.29",
	Outcome: "created", Regime: "domestic", VatRule: "per_rate",
	Vat: []*koppelv1.VatGroup{{BtwSoort: "Hoog", Rate: "21", Excl: "53.13", Tax: "11.16", ShopTax: "11.16"}},
}

// HeldError is the booker's error for HeldOrder, as its dead letter
// carries it.
const HeldError = "needs attention: order 702-xxx is held, not booked: koppel would book incl. VAT 66.75; the shop's order is 64.29"

// Run runs normalize, customers and articles stages that pass every
// order, and a booker that books ICPOrder and PlainOrder with their
// bookings and holds HeldOrder, on js until the test ends; then it
// publishes fixture (a WooCommerce REST order whose id is 12345 and number
// 12345-xxx) as the three orders.
func Run(t testing.TB, js jetstream.JetStream, fixture string) {
	t.Helper()
	ctx := context.Background()
	body, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	woo, err := webshop.New(webshop.WooCommerce, webshop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pass := func(ev *koppelv1.OrderEvent) error { return nil }
	stages := []*pipeline.Stage{
		normalize.Stage(map[string]webshop.Adapter{Profile: woo}, pipeline.Stage{}),
		stage("customers", pipeline.StepReceived, pipeline.StepCustomer, pass),
		stage("articles", pipeline.StepCustomer, pipeline.StepArticles, pass),
		stage("booker", pipeline.StepArticles, pipeline.StepBooked, book),
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(stages))
	for _, st := range stages {
		go func() { st.Run(runCtx, js); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range stages {
			<-done
		}
	})
	for _, id := range []string{ICPOrder, HeldOrder, PlainOrder} {
		s := strings.Replace(string(body), `{"id":12345,`, `{"id":`+id+`,`, 1)
		s = strings.ReplaceAll(s, "12345-xxx", id+"-xxx")
		h := nats.Header{}
		h.Set(pipeline.HeaderMsgID, intake.RawMsgID(Profile, []byte(s)))
		h.Set(pipeline.HeaderSource, "webhook")
		if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, Profile), Header: h, Data: []byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
}

func stage(name, from, to string, fn func(*koppelv1.OrderEvent) error) *pipeline.Stage {
	return &pipeline.Stage{Name: name, Filter: pipeline.OrderFilter(from),
		Handler: orderstage.Handler(name, to, func(_ context.Context, ev *koppelv1.OrderEvent) error { return fn(ev) })}
}

// book is the stand-in booker.
func book(ev *koppelv1.OrderEvent) error {
	switch ev.GetOrder().GetShopOrderId() {
	case ICPOrder:
		ev.Booking = ICPBooking
	case HeldOrder:
		return pipeline.Permanent(errors.New(HeldError))
	default:
		ev.Booking = PlainBooking
	}
	return nil
}

// Wait waits until the three orders Run published have reached their
// states: attention, held and booked.
func Wait(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	want := map[string]string{ICPOrder: timeline.StatusAttention, HeldOrder: timeline.StatusHeld, PlainOrder: timeline.StatusBooked}
	deadline := time.Now().Add(15 * time.Second)
	for id, status := range want {
		for {
			tl, err := timeline.Build(context.Background(), js, Profile, id)
			if err == nil && tl.Status == status {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order %s: want status %s, have %+v (%v)", id, status, tl, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
