package booker

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/redistest"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// TestFaultsExactlyOnce runs 200 generated WooCommerce orders (plus
// duplicate deliveries and later revisions of some) through three booker
// instances sharing one JetStream consumer and one effect ledger, while the
// sandbox times out, fails with 5xx and loses responses after writing, and
// a killer stops a random instance mid-flight and starts it again, over and
// over. At the end every order is booked exactly once in the sandbox, every
// delivered revision has its booked event naming that verkooporder, and
// nothing was dead-lettered. It runs once with each ledger.
func TestFaultsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("fault run takes about a minute")
	}
	for name, open := range map[string]func(t *testing.T, nc *nats.Conn, js jetstream.JetStream) idempotency.Store{
		"kv": func(t *testing.T, _ *nats.Conn, js jetstream.JetStream) idempotency.Store {
			st, err := idempotency.NewKV(context.Background(), js, idempotency.KVOptions{Bucket: "faults"})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"redis": redisOpener(t),
	} {
		t.Run(name, func(t *testing.T) { faultRun(t, 200, open) })
	}
}

// redisOpener starts one redis-server for the test, lazily.
func redisOpener(t *testing.T) func(*testing.T, *nats.Conn, jetstream.JetStream) idempotency.Store {
	var once sync.Once
	var url string
	return func(tt *testing.T, _ *nats.Conn, _ jetstream.JetStream) idempotency.Store {
		once.Do(func() { url = redistest.Run(t).URL })
		st, err := idempotency.ConnectRedis(context.Background(), url, idempotency.RedisOptions{Prefix: "faults:"})
		if err != nil {
			tt.Fatal(err)
		}
		return st
	}
}

// instance is one booker process: its own NATS connection, ledger
// connection and SnelStart client.
type instance struct {
	cancel context.CancelFunc
	done   chan struct{}
	nc     *nats.Conn
	store  idempotency.Store
}

func faultRun(t *testing.T, n int, open func(*testing.T, *nats.Conn, jetstream.JetStream) idempotency.Store) {
	const profile = "gen-woocommerce"
	seed := snelstartsandbox.DefaultSeed()
	cat := newCatalogue(&seed)
	orders := generatedOrders(t, webshop.WooCommerce, profile, n, 21)
	events := make([]*koppelv1.OrderEvent, len(orders))
	for i, o := range orders {
		events[i] = cat.event(o, relJanJansen)
	}
	ts := newSandbox(t, &seed, snelstartsandbox.Options{FaultSeed: 42})
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{DuplicateWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}

	// Every order once, 10 % again with the same Nats-Msg-Id (a duplicate
	// webhook, dropped by JetStream), 10 % as a later revision (the poller
	// saw it again): 220 order revisions to book, 200 verkooporders.
	revisions := map[string]string{} // msg id → shop order id
	publish := func(ev *koppelv1.OrderEvent) {
		data, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		h := nats.Header{}
		id := orderstage.MsgID(ev.Order, "articles")
		h.Set(pipeline.HeaderMsgID, id)
		if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepArticles, profile), Header: h, Data: data}); err != nil {
			t.Fatal(err)
		}
		revisions[orderstage.MsgID(ev.Order, StageName)] = ev.Order.ShopOrderId
	}
	for i, ev := range events {
		publish(ev)
		switch i % 10 {
		case 3:
			publish(ev)
		case 7:
			later := proto.Clone(ev).(*koppelv1.OrderEvent)
			later.Order.Revision += "+poll"
			publish(later)
		}
	}

	// Faults: about one POST in four fails, half of those after the write.
	for _, f := range []snelstartsandbox.Fault{
		{Kind: snelstartsandbox.FaultTimeout, Method: "POST", Path: snelstart.PathVerkoopOrders, Probability: 0.06},
		{Kind: snelstartsandbox.FaultError, Method: "POST", Path: snelstart.PathVerkoopOrders, Status: 503, Probability: 0.06},
		{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathVerkoopOrders, Probability: 0.08},
		{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathVerkoopOrders, Status: 502, Probability: 0.05},
		{Kind: snelstartsandbox.FaultError, Method: "GET", Path: snelstart.PathVerkoopOrders, Status: 503, Probability: 0.05},
		{Kind: snelstartsandbox.FaultLatency, Latency: 2 * time.Millisecond},
	} {
		if _, err := ts.SB.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}

	settings := testSettings()
	settings.Profile, settings.ImportStatuses, settings.CheckDuplicateReference = profile, nil, true
	meter := newTestMeter()
	var mu sync.Mutex
	running := map[int]*instance{}
	start := func(i int) {
		nc, js := natstest.Connect(t, bus.ClientURL())
		st := open(t, nc, js)
		c := ts.client(t, 250*time.Millisecond)
		stage, err := Stage(Options{
			Profiles: map[string]Settings{profile: settings}, Store: st, Owner: fmt.Sprintf("booker-%d", i),
			Clients: func(string) (*snelstart.Client, error) { return c, nil },
			Lease:   2 * time.Second, LookupDelay: 20 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler), Meter: meter.Meter("booker"),
		}, pipeline.Stage{
			Workers: 4, AckWait: time.Second, MaxDeliver: 200, ShutdownTimeout: time.Millisecond,
			Backoff: pipeline.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond},
		})
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		in := &instance{cancel: cancel, done: make(chan struct{}), nc: nc, store: st}
		go func() { defer close(in.done); _ = stage.Run(rctx, js) }()
		mu.Lock()
		running[i] = in
		mu.Unlock()
	}
	kill := func(i int) {
		mu.Lock()
		in := running[i]
		delete(running, i)
		mu.Unlock()
		in.cancel() // ShutdownTimeout 1 ms: in-flight work is cut off
		<-in.done
		in.nc.Close() // unacked messages come back after AckWait
		in.store.Close()
	}
	for i := range 3 {
		start(i)
	}

	// The killer.
	stopKiller := make(chan struct{})
	var kills atomic.Int64
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		rng := rand.New(rand.NewPCG(7, 7))
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(150+rng.IntN(400)) * time.Millisecond):
			}
			i := rng.IntN(3)
			kill(i)
			kills.Add(1)
			time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
			start(i)
		}
	}()

	// Wait for every revision's booked event.
	began := time.Now()
	stream, err := bus.JS.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		t.Fatal(err)
	}
	bookedSubject := pipeline.OrderSubject(pipeline.StepBooked, profile)
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(bookedSubject))
		if err == nil && info.State.Subjects[bookedSubject] >= uint64(len(revisions)) {
			break
		}
		if time.Since(began) > 4*time.Minute {
			t.Fatalf("after %s: %v booked events of %d", time.Since(began), info.State.Subjects[bookedSubject], len(revisions))
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(began)
	close(stopKiller)
	<-killerDone
	faults := ts.SB.Faults()
	ts.SB.ClearFaults()
	for i := range 3 {
		kill(i)
	}

	// Count the verkooporders per shop order: by betalingskenmerk among
	// the orders koppel made (the seed has an order of another customer
	// with betalingskenmerk 1001, which must stay alone).
	byKenmerk := map[string][]snelstart.VerkoopOrder{}
	for _, o := range ts.admin().VerkoopOrders() {
		if o.Relatie.ID.Equal(relJanJansen) {
			byKenmerk[o.Betalingskenmerk] = append(byKenmerk[o.Betalingskenmerk], o)
		}
	}
	var twice, missing []string
	for _, ev := range events {
		switch k := len(byKenmerk[ev.Order.Number]); {
		case k == 0:
			missing = append(missing, ev.Order.Number)
		case k > 1:
			twice = append(twice, fmt.Sprintf("%s×%d", ev.Order.Number, k))
		}
		if os := byKenmerk[ev.Order.Number]; len(os) == 1 && os[0].Memo != memoTag(profile, ev.Order.ShopOrderId) {
			t.Errorf("verkooporder %s has memo %q", os[0].ID, os[0].Memo)
		}
	}
	created := len(ts.admin().VerkoopOrders()) - len(seed.Administraties[0].VerkoopOrders)
	if len(twice) > 0 || len(missing) > 0 || created != len(events) {
		t.Errorf("verkooporders: %d created for %d orders; booked twice: %v; missing: %v", created, len(events), twice, missing)
	}

	booked := readBooked(t, bus.JS, bookedSubject)
	redelivered := 0
	for msgID, shopID := range revisions {
		m, ok := booked[msgID]
		if !ok {
			t.Errorf("no booked event %s", msgID)
			continue
		}
		var ev koppelv1.OrderEvent
		if err := proto.Unmarshal(m.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		want := byKenmerk[ev.Order.Number]
		if ev.Order.ShopOrderId != shopID || len(want) != 1 || !want[0].ID.Equal(snelstart.ID(ev.Booking.GetVerkooporderId())) {
			t.Errorf("booked event %s names verkooporder %v", msgID, ev.Booking)
		}
		if m.Headers().Get(pipeline.HeaderAttempts) != "1" {
			redelivered++
		}
	}
	if len(booked) != len(revisions) {
		t.Errorf("%d booked events, want %d", len(booked), len(revisions))
	}
	dlq, err := bus.JS.Stream(ctx, pipeline.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := dlq.Info(ctx); info.State.Msgs != 0 {
		t.Errorf("%d dead letters", info.State.Msgs)
	}

	calls := ts.SB.Calls()
	posts := map[int]int{}
	for c, k := range calls {
		if c.Method == "POST" && c.Path == snelstart.PathVerkoopOrders {
			posts[c.Status] += k
		}
	}
	fired := map[string]int{}
	for _, f := range faults {
		name := string(f.Kind)
		if f.Status != 0 {
			name += fmt.Sprint(" ", f.Status)
		}
		fired[f.Method+" "+name] += f.Fired
	}
	t.Logf("%d orders (%d revisions delivered, %d duplicate deliveries dropped by Nats-Msg-Id) in %s with %d kills",
		len(events), len(revisions), len(events)/10, elapsed.Round(time.Millisecond), kills.Load())
	t.Logf("faults fired: %s", sortedCounts(fired))
	t.Logf("POST /v2/verkooporders by status (0 = no answer): %s", sortedCounts(posts))
	t.Logf("booker attempts by outcome: %s; POSTs with unknown outcome: %d", sortedCounts(meter.counts(t, "koppel.booker.orders", "outcome")),
		meter.counts(t, "koppel.booker.unknown_outcomes", "")[""])
	t.Logf("result: %d verkooporders created, %d orders booked twice, %d missing, %d booked events (%d after a redelivery), 0 dead letters",
		created, len(twice), len(missing), len(booked), redelivered)
}

// readBooked returns the booked events on subject by Nats-Msg-Id.
func readBooked(t *testing.T, js jetstream.JetStream, subject string) map[string]jetstream.Msg {
	t.Helper()
	ctx := context.Background()
	c, err := js.OrderedConsumer(ctx, pipeline.StreamOrders, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]jetstream.Msg{}
	for {
		batch, err := c.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			out[m.Headers().Get(pipeline.HeaderMsgID)] = m
		}
		if got == 0 {
			return out
		}
	}
}

func sortedCounts[K comparable](m map[K]int) string {
	keys := make([]string, 0, len(m))
	byKey := map[string]int{}
	for k, v := range m {
		s := fmt.Sprint(k)
		keys = append(keys, s)
		byKey[s] = v
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf("%s=%d ", k, byKey[k])
	}
	return out
}
