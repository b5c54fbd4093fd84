package poller_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/poller"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

const profile = "woo"

type env struct {
	bus     *natstest.Server
	shop    *shopsandbox.WooCommerce
	shopURL string
	store   idempotency.Store
	cursors jetstream.KeyValue
	adapter webshop.Adapter
}

// newEnv runs a WooCommerce sandbox with orders and the normalize stage on
// an embedded JetStream.
func newEnv(t *testing.T, orders int, faults ...shopsandbox.Fault) *env {
	t.Helper()
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: orders, Seed: 7, WebhookSecret: "wh", Faults: faults})
	srv := httptest.NewServer(shop)
	t.Cleanup(srv.Close)
	store, err := idempotency.NewKV(ctx, bus.JS, idempotency.KVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cursors, err := poller.OpenCursors(ctx, bus.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	adapter, _ := webshop.New(webshop.WooCommerce, webshop.Config{Secret: "wh"})
	st := normalize.Stage(map[string]webshop.Adapter{profile: adapter}, pipeline.Stage{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { st.Run(runCtx, bus.JS); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{bus: bus, shop: shop, shopURL: srv.URL, store: store, cursors: cursors, adapter: adapter}
}

func (e *env) poller(t *testing.T, owner string, secret string) *poller.Poller {
	t.Helper()
	opts := e.shop.Options()
	if secret == "" {
		secret = opts.ConsumerSecret
	}
	lister, err := webshop.NewWooClient(webshop.WooConfig{URL: e.shopURL, ConsumerKey: opts.ConsumerKey, ConsumerSecret: secret, PerPage: 20,
		REST: webshop.RESTOptions{MaxAttempts: 2, RetryDelay: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(poller.Options{Profile: profile, Lister: lister, JS: e.bus.JS, Cursors: e.cursors, Leases: e.store,
		Owner: owner, FirstSince: time.Since(opts.Epoch) + time.Hour, LeaseTTL: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// received returns, per shop order id, how many canonical orders went on,
// after the normalize stage has worked through its input.
func (e *env) received(t *testing.T) (map[string]int, int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := e.bus.JS.Consumer(ctx, pipeline.StreamOrders, "koppel-normalize")
		if err == nil {
			if info, err := c.Info(ctx); err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("normalize stage did not catch up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, _ := e.bus.JS.Stream(ctx, pipeline.StreamOrders)
	ids := map[string]int{}
	total := 0
	for seq := uint64(1); ; {
		m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(pipeline.OrderSubject(pipeline.StepReceived, profile)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seq = m.Sequence + 1
		var ev koppelv1.OrderEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		ids[ev.GetOrder().GetShopOrderId()]++
		total++
	}
	return ids, total
}

func TestEveryOrderOnceAcrossRunsAndRestarts(t *testing.T) {
	e := newEnv(t, 150)
	ctx := context.Background()
	var pages []poller.Progress
	res, err := e.poller(t, "a", "").Poll(ctx, func(p poller.Progress) { pages = append(pages, p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Found < 150 || res.Published != 150 || !res.Done || len(pages) < 8 {
		t.Fatalf("first poll: %+v after %d progress reports", res, len(pages))
	}
	var newest time.Time
	for _, o := range e.shop.Orders() {
		if o.Modified.After(newest) {
			newest = o.Modified
		}
	}
	if !res.Cursor.Equal(newest) {
		t.Errorf("cursor %v, want the newest modification %v", res.Cursor, newest)
	}
	// A second poll (overlap) and a new instance (restart) find nothing new.
	for _, owner := range []string{"a", "b"} {
		res, err := e.poller(t, owner, "").Poll(ctx, nil)
		if err != nil || res.Published != 0 {
			t.Fatalf("re-poll by %s: %+v %v", owner, res, err)
		}
	}
	ids, total := e.received(t)
	if len(ids) != 150 || total != 150 {
		t.Fatalf("%d canonical orders for %d ids, want 150 once each", total, len(ids))
	}
	// Five orders change in the shop: their new revisions go on, once.
	orders := e.shop.Orders()
	var touched []int64
	for _, o := range orders[:5] {
		touched = append(touched, o.ID)
	}
	if _, err := e.shop.Touch(touched...); err != nil {
		t.Fatal(err)
	}
	if res, err := e.poller(t, "b", "").Poll(ctx, nil); err != nil || res.Published != 5 {
		t.Fatalf("poll after touch: %+v %v", res, err)
	}
	if ids, total = e.received(t); total != 155 || len(ids) != 150 {
		t.Errorf("after touching 5: %d canonical orders for %d ids, want 155 for 150", total, len(ids))
	}
}

func TestLostWebhooksArriveByPolling(t *testing.T) {
	e := newEnv(t, 60)
	ctx := context.Background()
	nc, js, err := pipeline.Connect(e.bus.ClientURL(), "receiver", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rcv, err := intake.New(intake.Options{NC: nc, JS: js, Profiles: []intake.Profile{{ID: profile, Adapter: e.adapter}}})
	if err != nil {
		t.Fatal(err)
	}
	koppel := httptest.NewServer(rcv)
	defer koppel.Close()
	push, err := e.shop.Push(ctx, shopsandbox.PushOptions{URL: koppel.URL + "/webhooks/" + profile, Secret: "wh", DropFraction: 0.3, DuplicateFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if push.Dropped < 10 || push.Failed != 0 {
		t.Fatalf("push: %+v", push)
	}
	if _, err := e.poller(t, "a", "").Poll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ids, total := e.received(t)
	if len(ids) != 60 || total != 60 {
		t.Errorf("%d dropped of %d: %d canonical orders for %d ids, want 60 once each", push.Dropped, push.Events, total, len(ids))
	}
}

func TestOneInstanceAtATime(t *testing.T) {
	e := newEnv(t, 40)
	ctx := context.Background()
	// Instance "dead" took the profile and died without letting go.
	if err := e.store.TryLock(ctx, "poller:"+profile, "dead", 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := e.poller(t, "b", "").Poll(ctx, nil); !errors.Is(err, poller.ErrBusy) {
		t.Fatalf("poll while the lease is held: %v, want ErrBusy", err)
	}
	time.Sleep(500 * time.Millisecond)
	// Two live instances at once: exactly one works, and no order is lost.
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i, owner := range []string{"b", "c"} {
		wg.Add(1)
		go func() { defer wg.Done(); _, results[i] = e.poller(t, owner, "").Poll(ctx, nil) }()
	}
	wg.Wait()
	busy := 0
	for _, err := range results {
		if errors.Is(err, poller.ErrBusy) {
			busy++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.poller(t, "c", "").Poll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ids, total := e.received(t); len(ids) != 40 || total != 40 {
		t.Errorf("%d canonical orders for %d ids (busy %d), want 40 once each", total, len(ids), busy)
	}
}

func TestFailuresKeepTheCursor(t *testing.T) {
	e := newEnv(t, 100)
	ctx := context.Background()
	if _, err := e.poller(t, "a", "cs_wrong").Poll(ctx, nil); !errors.Is(err, webshop.ErrShopAuth) {
		t.Fatalf("bad credentials: %v, want ErrShopAuth", err)
	}
	if c, _ := e.poller(t, "a", "").Cursor(ctx); !c.IsZero() {
		t.Fatalf("cursor moved on a failed poll: %v", c)
	}
	// The poller pages by time, so every request asks for page 1 of a later
	// window: break the request after the second page.
	breakAfter := func(pages int) func(poller.Progress) {
		return func(p poller.Progress) {
			if p.Pages == pages && !p.Done {
				e.shop.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultGarbage, Page: 0, Times: 1})
			}
		}
	}
	res, err := e.poller(t, "a", "").Poll(ctx, breakAfter(2))
	if !errors.Is(err, webshop.ErrBadPage) {
		t.Fatalf("garbage page: %v, want ErrBadPage", err)
	}
	// The cursor never passes an order that was not published.
	cursor, _ := e.poller(t, "a", "").Cursor(ctx)
	got, _ := e.received(t)
	var after int
	for _, o := range e.shop.Orders() {
		if !o.Modified.Before(cursor) {
			after++
		} else if got[strconv.FormatInt(o.ID, 10)] == 0 {
			t.Errorf("order %d (modified %v) is before the cursor %v but was not published", o.ID, o.Modified, cursor)
		}
	}
	if res.Published == 0 || after == 0 || res.Published > 60 {
		t.Errorf("after the garbage page: published %d, %d orders after the cursor", res.Published, after)
	}
	if _, err := e.poller(t, "a", "").Poll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ids, total := e.received(t); len(ids) != 100 || total != 100 {
		t.Errorf("after recovery: %d canonical orders for %d ids, want 100 once each", total, len(ids))
	}
}

func TestImportResumes(t *testing.T) {
	e := newEnv(t, 80)
	ctx := context.Background()
	since := e.shop.Options().Epoch.Add(-time.Hour)
	p := e.poller(t, "a", "")
	breakAfterFirst := func(pr poller.Progress) {
		if pr.Pages == 1 && !pr.Done {
			e.shop.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultGarbage, Page: 0, Times: 1})
		}
	}
	if _, err := p.Import(ctx, since, breakAfterFirst); !errors.Is(err, webshop.ErrBadPage) {
		t.Fatalf("interrupted import: %v", err)
	}
	res, err := p.Resume(ctx, nil)
	if err != nil || !res.Done || res.Since.Before(since) {
		t.Fatalf("resume: %+v %v", res, err)
	}
	if _, err := p.Resume(ctx, nil); err == nil {
		t.Error("a finished import resumed again")
	}
	if ids, total := e.received(t); len(ids) != 80 || total != 80 {
		t.Errorf("%d canonical orders for %d ids, want 80 once each", total, len(ids))
	}
}

// TestReconcile finds the shop orders koppel never saw (their webhooks were
// lost and no poll ran), publishes them, and reports where the others are.
func TestReconcile(t *testing.T) {
	e := newEnv(t, 30)
	ctx := context.Background()
	orders := e.shop.Orders()
	for _, o := range orders[:20] {
		body, _ := e.shop.OrderJSON(o.ID)
		h := nats.Header{}
		h.Set(pipeline.HeaderMsgID, intake.RawMsgID(profile, body))
		if _, err := e.bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, profile), Header: h, Data: body}); err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ := e.received(t); len(ids) != 20 {
		t.Fatalf("%d orders received before reconciling", len(ids))
	}
	p := e.poller(t, "a", "")
	since := e.shop.Options().Epoch.Add(-time.Hour)
	rep, err := p.Reconcile(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if rep.InShop != 30 || rep.InProgress != 20 || rep.Missing != 10 || rep.Republished != 10 || len(rep.MissingIDs) != 10 {
		t.Fatalf("first reconcile: %s", rep)
	}
	if ids, total := e.received(t); len(ids) != 30 || total != 30 {
		t.Fatalf("after reconciling: %d orders for %d ids, want 30 once each", total, len(ids))
	}
	if rep, err = p.Reconcile(ctx, since); err != nil || rep.Missing != 0 || rep.InProgress != 30 {
		t.Errorf("second reconcile: %s %v", rep, err)
	}
}
