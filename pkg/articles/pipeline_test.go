package articles_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/redistest"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

const shop = "shop"

// A bench is both stages around an embedded JetStream, a store and the
// SnelStart sandbox.
type bench struct {
	ns    *natstest.Server
	sb    *sandbox
	store idempotency.Store
	prof  profile.Profile
	// seeded counts of the sandbox, before any order
	relaties, artikelen int
}

func newBench(t testing.TB, backend string) *bench {
	t.Helper()
	ns := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, ns.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	b := &bench{ns: ns, sb: newSandbox(t, nil)}
	switch backend {
	case "kv":
		st, err := idempotency.NewKV(ctx, ns.JS, idempotency.KVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b.store = st
	case "redis":
		rs := redistest.Run(t)
		st, err := idempotency.ConnectRedis(ctx, rs.URL, idempotency.RedisOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		b.store = st
	}
	b.prof = profile.Profile{ID: shop,
		Customers: profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd},
		Articles:  profile.Articles{CodeField: articles.FieldArtikelcode, RevenueGroup: 1, Processing: articles.ProcessAdd},
		Orders:    profile.Orders{Lines: "full", ShippingArticle: "VERZEND"},
	}
	b.relaties, b.artikelen = len(b.sb.admin.Relaties()), len(b.sb.admin.Artikelen())
	return b
}

// stages are one process's customers and articles stages.
type stages struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// start runs both stages with 4 workers each, as one process named owner.
// shutdown bounds the drain when they are stopped: a tiny one cancels the
// messages in flight, as a killed process would leave them.
func (b *bench) start(t testing.TB, owner string, shutdown time.Duration) *stages {
	t.Helper()
	clients := func(string) (*snelstart.Client, error) { return b.sb.client, nil }
	st := pipeline.Stage{Workers: 4, MaxDeliver: 200, AckWait: 2 * time.Second, ShutdownTimeout: shutdown,
		Backoff: pipeline.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}}
	if testing.Verbose() {
		st.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("owner", owner)
	}
	cs, err := customers.Stage(customers.Options{Profiles: []profile.Profile{b.prof}, Clients: clients, Store: b.store, Owner: owner,
		Lease: 500 * time.Millisecond, LockTTL: time.Second}, st)
	if err != nil {
		t.Fatal(err)
	}
	as, err := articles.Stage(articles.Options{Profiles: []profile.Profile{b.prof}, Clients: clients, Store: b.store, Owner: owner,
		Lease: 500 * time.Millisecond, LockTTL: time.Second}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stages{cancel: cancel}
	for _, stage := range []*pipeline.Stage{cs, as} {
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			if err := stage.Run(ctx, b.ns.JS); err != nil {
				t.Error(err)
			}
		}()
	}
	return s
}

func (s *stages) stop() { s.cancel(); s.done.Wait() }

// orders returns n orders of customers new customers and skus new SKUs,
// each order with two product lines and shipping; every customer and SKU
// occurs. Customer i is registered (shop customer id 9000+i) on some
// orders and a guest on others.
func orders(n, customers, skus int) []*koppelv1.Order {
	var out []*koppelv1.Order
	for i := range n {
		c := i % customers
		cu := &koppelv1.Customer{Email: fmt.Sprintf("klant%02d@example.nl", c), FirstName: "Klant", LastName: fmt.Sprintf("Nummer %d", c)}
		if i%3 == 2 {
			cu.Guest = true
		} else {
			cu.ShopCustomerId = fmt.Sprint(9000 + c)
		}
		o := &koppelv1.Order{Profile: shop, ShopOrderId: fmt.Sprint(100000 + i), Number: fmt.Sprint(100000 + i), Revision: "r1", Customer: cu,
			Billing:       &koppelv1.Address{Street: "Teststraat", HouseNumber: fmt.Sprint(c + 1), Postcode: "1234 AB", City: "Teststad", Country: "NL"},
			ShippingLines: []*koppelv1.Charge{{Title: "PostNL", TotalIncl: "4.95"}}}
		for k := range 2 {
			sku := (2*i + k) % skus
			o.Lines = append(o.Lines, &koppelv1.Line{LineId: fmt.Sprintf("%d-%d", i, k), Sku: fmt.Sprintf("NEW-%02d", sku),
				Name: fmt.Sprintf("Nieuw product %d", sku), Quantity: "1", UnitPriceIncl: "10.00", UnitPriceExcl: "8.26"})
		}
		out = append(out, o)
	}
	return out
}

func publish(t testing.TB, js jetstream.JetStream, os []*koppelv1.Order) {
	t.Helper()
	for _, o := range os {
		data, err := proto.Marshal(&koppelv1.OrderEvent{Order: o})
		if err != nil {
			t.Fatal(err)
		}
		h := nats.Header{}
		h.Set(pipeline.HeaderMsgID, o.Profile+":"+o.ShopOrderId+":"+o.Revision+":normalize")
		if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepReceived, o.Profile), Header: h, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
}

// count returns the number of messages stored on subject.
func count(t testing.TB, js jetstream.JetStream, stream, subject string) int {
	t.Helper()
	st, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Subjects[subject])
}

func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// check reads every order off koppel.order.articles.shop and checks that
// each is tied to the relatie of its customer's email and to the article
// of each line's SKU, that SnelStart holds exactly one new relatie per
// customer and one new article per SKU, and that nothing was
// dead-lettered.
func (b *bench) check(t *testing.T, want []*koppelv1.Order, customers, skus int) {
	t.Helper()
	js := b.ns.JS
	if n := count(t, js, pipeline.StreamDLQ, "koppel.dlq.>"); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	relaties, artikelen := b.sb.admin.Relaties(), b.sb.admin.Artikelen()
	if made := len(relaties) - b.relaties; made != customers {
		t.Errorf("%d relaties created, want %d", made, customers)
	}
	if made := len(artikelen) - b.artikelen; made != skus {
		t.Errorf("%d artikelen created, want %d", made, skus)
	}
	relatieOf := map[string]snelstart.ID{}
	for _, r := range relaties {
		relatieOf[r.Email] = r.ID
	}
	artikelOf := map[string]snelstart.ID{}
	for _, a := range artikelen {
		artikelOf[a.Artikelcode] = a.ID
	}
	st, err := js.Stream(context.Background(), pipeline.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	subject := pipeline.OrderSubject(pipeline.StepArticles, shop)
	seen := map[string]bool{}
	for seq := uint64(1); ; {
		m, err := st.GetMsg(context.Background(), seq, jetstream.WithGetMsgSubject(subject))
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
		o := ev.GetOrder()
		if seen[o.GetShopOrderId()] {
			t.Errorf("order %s forwarded twice", o.GetShopOrderId())
		}
		seen[o.GetShopOrderId()] = true
		if got, want := ev.GetCustomer().GetRelatieId(), relatieOf[o.GetCustomer().GetEmail()]; !want.Equal(snelstart.ID(got)) {
			t.Errorf("order %s: relatie %s, want %s", o.GetShopOrderId(), got, want)
		}
		if len(ev.GetArticles()) != len(o.GetLines())+1 {
			t.Fatalf("order %s: %d resolutions", o.GetShopOrderId(), len(ev.GetArticles()))
		}
		for i, l := range o.GetLines() {
			a := ev.GetArticles()[i]
			if a.GetLineId() != l.GetLineId() || !artikelOf[l.GetSku()].Equal(snelstart.ID(a.GetArtikelId())) {
				t.Errorf("order %s line %s: %v", o.GetShopOrderId(), l.GetLineId(), a)
			}
		}
		if a := ev.GetArticles()[len(o.GetLines())]; a.GetKind() != articles.KindShipping || a.GetArtikelcode() != "VERZEND" {
			t.Errorf("order %s: shipping %v", o.GetShopOrderId(), a)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d orders came through, want %d", len(seen), len(want))
	}
}

// TestConcurrentNewCustomersAndSKUs pushes 50 orders of 10 new customers
// and 20 new SKUs through 4 workers of each stage, on each store backend:
// exactly 10 relaties and 20 artikelen are created.
func TestConcurrentNewCustomersAndSKUs(t *testing.T) {
	for _, backend := range []string{"kv", "redis"} {
		t.Run(backend, func(t *testing.T) {
			b := newBench(t, backend)
			os := orders(50, 10, 20)
			s := b.start(t, "worker-a", time.Second)
			publish(t, b.ns.JS, os)
			waitFor(t, "50 orders through both stages", 30*time.Second, func() bool {
				return count(t, b.ns.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepArticles, shop)) >= len(os)
			})
			s.stop()
			b.check(t, os, 10, 20)
			t.Logf("%s: SnelStart calls %v", backend, b.sb.sb.Calls().ByOperation())
		})
	}
}

// TestKilledAndRestarted runs the same 50 orders, but stops both stages
// mid-run without letting their in-flight messages finish (a killed
// process), with the answer to one relatie POST and one artikel POST lost
// on the way back, then starts new stages on the same store and
// JetStream: still exactly 10 relaties and 20 artikelen, every order
// through once.
func TestKilledAndRestarted(t *testing.T) {
	for _, backend := range []string{"kv", "redis"} {
		t.Run(backend, func(t *testing.T) {
			b := newBench(t, backend)
			for _, f := range []snelstartsandbox.Fault{
				{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathRelaties, Count: 1},
				{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathArtikelen, Count: 1},
				{Kind: snelstartsandbox.FaultLatency, Method: "POST", Latency: 30 * time.Millisecond},
			} {
				if _, err := b.sb.sb.AddFault(f); err != nil {
					t.Fatal(err)
				}
			}
			os := orders(50, 10, 20)
			first := b.start(t, "worker-a", time.Millisecond)
			publish(t, b.ns.JS, os)
			waitFor(t, "the first stage to be half done", 30*time.Second, func() bool {
				return count(t, b.ns.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepCustomer, shop)) >= 20
			})
			first.stop()
			midway := count(t, b.ns.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepArticles, shop))
			second := b.start(t, "worker-b", time.Second)
			waitFor(t, "50 orders through both stages after the restart", 20*time.Second, func() bool {
				return count(t, b.ns.JS, pipeline.StreamOrders, pipeline.OrderSubject(pipeline.StepArticles, shop)) >= len(os)
			})
			second.stop()
			b.check(t, os, 10, 20)
			var fired []int
			for _, f := range b.sb.sb.Faults() {
				fired = append(fired, f.Fired)
			}
			calls := b.sb.sb.Calls()
			t.Logf("%s: %d of 50 orders through before the kill; faults fired %v; POST relaties %d, POST artikelen %d",
				backend, midway, fired, calls.Count("POST", snelstart.PathRelaties), calls.Count("POST", snelstart.PathArtikelen))
		})
	}
}
