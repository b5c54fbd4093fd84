package booker

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// TestExactlyOnceScenarios walks the exactly-once protocol through each
// way a write can go wrong, one order each, calling Book as a redelivery
// would: after every scenario the sandbox holds exactly one verkooporder
// for the order, and the ledger names it.
func TestExactlyOnceScenarios(t *testing.T) {
	ts := newSandbox(t, nil, snelstartsandbox.Options{})
	st, _ := newKV(t)
	const lease = 600 * time.Millisecond
	post := snelstartsandbox.Fault{Method: "POST", Path: snelstart.PathVerkoopOrders, Count: 1}
	fault := func(kind snelstartsandbox.FaultKind, status int) func(t *testing.T) {
		return func(t *testing.T) {
			f := post
			f.Kind, f.Status = kind, status
			if _, err := ts.SB.AddFault(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	// deadClaim makes an earlier attempt that claimed the order and died.
	deadClaim := func(t *testing.T, key string) {
		c, err := st.Claim(context.Background(), key, "dead-worker", lease)
		if err != nil || c.Outcome != idempotency.Acquired {
			t.Fatalf("claim = %+v, %v", c, err)
		}
	}

	tests := map[string]struct {
		arrange func(t *testing.T, key string, ev *koppelv1.OrderEvent, c *snelstart.Client)
		// firstErr: the first attempt fails (the outcome stays unknown)
		// and a second attempt, after the lease, books the order.
		firstErr bool
		posts    int
		noRef    bool // payment_reference: none, so the search is by relatie and memo tag
	}{
		"clean":                              {posts: 1},
		"response lost after write":          {arrange: ignoreKey(fault(snelstartsandbox.FaultLostResponse, 0)), posts: 1},
		"502 after write":                    {arrange: ignoreKey(fault(snelstartsandbox.FaultLostResponse, 502)), posts: 1},
		"response lost, no betalingskenmerk": {arrange: ignoreKey(fault(snelstartsandbox.FaultLostResponse, 0)), posts: 1, noRef: true},
		"timeout, no betalingskenmerk":       {arrange: ignoreKey(fault(snelstartsandbox.FaultTimeout, 0)), firstErr: true, posts: 2, noRef: true},
		"503 without write":                  {arrange: ignoreKey(fault(snelstartsandbox.FaultError, 503)), firstErr: true, posts: 2},
		"timeout without write":              {arrange: ignoreKey(fault(snelstartsandbox.FaultTimeout, 0)), firstErr: true, posts: 2},
		"crash before write":                 {arrange: func(t *testing.T, key string, _ *koppelv1.OrderEvent, _ *snelstart.Client) { deadClaim(t, key) }, posts: 1},
		"crash after write, before record": {
			arrange: func(t *testing.T, key string, ev *koppelv1.OrderEvent, c *snelstart.Client) {
				deadClaim(t, key)
				// What the dead attempt had posted.
				_, err := c.CreateVerkoopOrder(context.Background(), &snelstart.VerkoopOrder{
					Relatie: snelstart.RefTo(relJansenBV), Datum: snelstart.LocalDate(2026, 3, 14),
					Betalingskenmerk: ev.Order.Number, Memo: memoTag("demo-woo", ev.Order.ShopOrderId),
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			posts: 1, // the dead attempt's; the booker posts none
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ev := sampleEvent("eo-" + name)
			key := idempotency.EffectKey("demo-woo", EffectKind, ev.Order.ShopOrderId)
			c := ts.client(t, 300*time.Millisecond)
			s := testSettings()
			if tt.noRef {
				s.PaymentReference = PaymentReferenceNone
			}
			b := newBooker(t, s, st, c, Options{Lease: lease, LookupDelay: 10 * time.Millisecond})
			before := ts.postCount()
			if tt.arrange != nil {
				tt.arrange(t, key, ev, c)
			}
			err := b.Book(context.Background(), clone(ev))
			if tt.firstErr {
				if err == nil || errors.Is(err, pipeline.ErrPermanent) {
					t.Fatalf("first attempt = %v, want a transient error", err)
				}
				// The redelivery: it waits out the claim, searches, then posts.
				err = b.Book(context.Background(), clone(ev))
			}
			if err != nil {
				t.Fatalf("Book: %v", err)
			}
			if got := ts.postCount() - before; got != tt.posts {
				t.Errorf("%d POSTs, want %d", got, tt.posts)
			}
			var orders []snelstart.VerkoopOrder
			for _, o := range ts.admin().VerkoopOrders() {
				if o.Memo == memoTag("demo-woo", ev.Order.ShopOrderId) {
					orders = append(orders, o)
				}
			}
			if len(orders) != 1 {
				t.Fatalf("%d verkooporders in the sandbox, want 1", len(orders))
			}
			rec, err := st.Get(context.Background(), key)
			if err != nil || rec.State != idempotency.StateDone || !containsID(rec.Result, orders[0].ID) {
				t.Errorf("ledger %+v, %v does not name %s", rec, err, orders[0].ID)
			}
		})
	}
}

func ignoreKey(f func(t *testing.T)) func(*testing.T, string, *koppelv1.OrderEvent, *snelstart.Client) {
	return func(t *testing.T, _ string, _ *koppelv1.OrderEvent, _ *snelstart.Client) { f(t) }
}

func containsID(result []byte, id snelstart.ID) bool {
	var r ledgerResult
	return json.Unmarshal(result, &r) == nil && r.ID.Equal(id)
}

// TestDuplicateDeliveries books one order from many concurrent deliveries
// (duplicate webhooks, a webhook and a poll with another revision): one
// verkooporder, and every delivery's booking names it.
func TestDuplicateDeliveries(t *testing.T) {
	ts := newSandbox(t, nil, snelstartsandbox.Options{
		Faults: []snelstartsandbox.Fault{{Kind: snelstartsandbox.FaultLatency, Latency: 30 * time.Millisecond}},
	})
	st, _ := newKV(t)
	c := ts.client(t, 0)
	b := newBooker(t, testSettings(), st, c, Options{Lease: 5 * time.Second})

	const n = 12
	evs := make([]*koppelv1.OrderEvent, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		evs[i] = sampleEvent("dup-1")
		if i%2 == 1 {
			evs[i].Order.Revision = "poll-revision" // the same order seen by the poller
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs[i] = b.Book(ctx, evs[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if got := ts.postCount(); got != 1 {
		t.Errorf("%d POSTs, want 1", got)
	}
	orders := ts.ordersByKenmerk()["WS-dup-1"]
	if len(orders) != 1 {
		t.Fatalf("%d verkooporders, want 1", len(orders))
	}
	for i, ev := range evs {
		if !orders[0].ID.Equal(snelstart.ID(ev.GetBooking().GetVerkooporderId())) {
			t.Errorf("delivery %d booked as %v", i, ev.GetBooking())
		}
	}
}

// TestLaterRevisionIsRecorded books an order, then a later revision of it
// whose total changed: nothing is written again, the booking is recorded on
// the later event, and the changed total shows as its difference. A later
// revision in a status the profile does not import is recorded too.
func TestLaterRevisionIsRecorded(t *testing.T) {
	ts := newSandbox(t, nil, snelstartsandbox.Options{})
	st, _ := newKV(t)
	c := ts.client(t, 0)
	b := newBooker(t, testSettings(), st, c, Options{})
	ctx := context.Background()

	first := sampleEvent("rev-1")
	if err := b.Book(ctx, first); err != nil {
		t.Fatal(err)
	}
	calls := ts.SB.Calls().Total()
	later := sampleEvent("rev-1")
	later.Order.Revision, later.Order.Status = "2026-03-15T08:00:00Z", "cancelled"
	later.Order.Totals.TotalIncl = "65.48" // a line removed in the shop after booking
	if err := b.Book(ctx, later); err != nil {
		t.Fatal(err)
	}
	if n := ts.SB.Calls().Total() - calls; n != 0 {
		t.Errorf("recording a later revision made %d SnelStart calls", n)
	}
	if ts.postCount() != 1 {
		t.Errorf("%d POSTs", ts.postCount())
	}
	f, l := first.GetBooking(), later.GetBooking()
	if l.GetVerkooporderId() != f.GetVerkooporderId() || l.GetNummer() != f.GetNummer() || !l.GetBookedAt().AsTime().Equal(f.GetBookedAt().AsTime()) {
		t.Errorf("later booking %v, first %v", l, f)
	}
	if l.GetDifference() != "4.95" {
		t.Errorf("later difference = %s, want 4.95 (SnelStart 70.43, shop now 65.48)", l.GetDifference())
	}
}

// TestRefusedOrderReleasesClaim: SnelStart refuses the order (the relatie
// is a supplier, VOR-0002), which is permanent; nothing was written, so the
// claim is given back and the order books at once after the cause is fixed.
func TestRefusedOrderReleasesClaim(t *testing.T) {
	ts := newSandbox(t, nil, snelstartsandbox.Options{})
	st, _ := newKV(t)
	b := newBooker(t, testSettings(), st, ts.client(t, 0), Options{})
	ev := sampleEvent("refused-1")
	ev.Customer.RelatieId = "5e000000-0000-4000-8000-000000000009" // Groothandel Koffie B.V., a leverancier
	err := b.Book(context.Background(), ev)
	if !errors.Is(err, pipeline.ErrPermanent) {
		t.Fatalf("Book = %v, want a permanent error", err)
	}
	if _, err := st.Get(context.Background(), idempotency.EffectKey("demo-woo", EffectKind, "refused-1")); !errors.Is(err, idempotency.ErrNotFound) {
		t.Errorf("ledger after a refusal: %v, want no record", err)
	}
	ev.Customer.RelatieId = relJansenBV // the customers stage fixed, the dead letter replayed
	if err := b.Book(context.Background(), ev); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

func clone(ev *koppelv1.OrderEvent) *koppelv1.OrderEvent {
	return proto.Clone(ev).(*koppelv1.OrderEvent)
}
