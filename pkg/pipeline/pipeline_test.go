package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
)

const (
	inSubject  = "koppel.order.received.shop1"
	outSubject = "koppel.order.customer.shop1"
)

func setup(t *testing.T) *natstest.Server {
	t.Helper()
	s := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, s.JS, pipeline.StreamConfig{DuplicateWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return s
}

// runStage runs st until the test ends and returns a stop function that
// cancels it and waits for Run to return.
func runStage(t *testing.T, js jetstream.JetStream, st *pipeline.Stage) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx, js) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("stage run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("stage did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func publish(t *testing.T, js jetstream.JetStream, subject, id, body string, h nats.Header) uint64 {
	t.Helper()
	if h == nil {
		h = nats.Header{}
	}
	h.Set(pipeline.HeaderMsgID, id)
	ack, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: subject, Header: h, Data: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

func forward(_ context.Context, m *pipeline.Message) (*pipeline.Output, error) {
	return &pipeline.Output{
		Subject: outSubject,
		MsgID:   "out:" + string(m.Data),
		Data:    append([]byte("done:"), m.Data...),
	}, nil
}

// collect returns the bodies on subject in ORDERS, waiting until n arrived
// or the deadline passed.
func collect(t *testing.T, js jetstream.JetStream, subject string, n int, wait time.Duration) []*nats.Msg {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		msgs := readAll(t, js, pipeline.StreamOrders, subject)
		if len(msgs) >= n || time.Now().After(deadline) {
			return msgs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readAll(t *testing.T, js jetstream.JetStream, stream, subject string) []*nats.Msg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []*nats.Msg
	for seq := uint64(1); ; {
		raw, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &nats.Msg{Subject: raw.Subject, Header: raw.Header, Data: raw.Data})
		seq = raw.Sequence + 1
	}
}

func waitDLQ(t *testing.T, js jetstream.JetStream, n int) []pipeline.DeadLetter {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		dls, err := pipeline.ListDeadLetters(context.Background(), js, pipeline.DeadLetterFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(dls) >= n || time.Now().After(deadline) {
			return dls
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEnsureStreams(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	// A second call (another service starting) must succeed and change nothing.
	if err := pipeline.EnsureStreams(ctx, s.JS, pipeline.StreamConfig{DuplicateWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for name, subj := range map[string]string{pipeline.StreamOrders: "koppel.order.>", pipeline.StreamDLQ: "koppel.dlq.>"} {
		st, err := s.JS.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.CachedInfo().Config
		if cfg.Storage != jetstream.FileStorage || cfg.Duplicates != time.Hour || cfg.Subjects[0] != subj {
			t.Errorf("%s: storage %v duplicates %v subjects %v", name, cfg.Storage, cfg.Duplicates, cfg.Subjects)
		}
	}
	// Default duplicate window is hours, not the 2-minute server default.
	s2 := natstest.Run(t)
	if err := pipeline.EnsureStreams(ctx, s2.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	st, _ := s2.JS.Stream(ctx, pipeline.StreamOrders)
	if d := st.CachedInfo().Config.Duplicates; d != 6*time.Hour {
		t.Errorf("default duplicate window = %v, want 6h", d)
	}
}

func TestStageForwardsOnceAndAcks(t *testing.T) {
	s := setup(t)
	runStage(t, s.JS, &pipeline.Stage{Name: "t1", Filter: "koppel.order.received.*", Handler: forward})

	publish(t, s.JS, inSubject, "a", "order-1", nil)
	publish(t, s.JS, inSubject, "b", "order-1", nil) // same content, other delivery
	publish(t, s.JS, inSubject, "a", "order-1", nil) // exact duplicate: deduped on publish

	out := collect(t, s.JS, outSubject, 2, 3*time.Second)
	if len(out) != 1 {
		t.Fatalf("got %d outputs, want 1 (the second handling publishes the same Nats-Msg-Id)", len(out))
	}
	if got := string(out[0].Data); got != "done:order-1" {
		t.Errorf("output body %q", got)
	}
	if got := out[0].Header.Get(pipeline.HeaderMsgID); got != "out:order-1" {
		t.Errorf("output Nats-Msg-Id %q", got)
	}
	waitAcked(t, s.JS, "koppel-t1")
}

func waitAcked(t *testing.T, js jetstream.JetStream, durable string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := js.Consumer(context.Background(), pipeline.StreamOrders, durable)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumAckPending == 0 && info.NumPending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s: %d pending ack, %d pending", durable, info.NumAckPending, info.NumPending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStageTransientRetriesWithGrowingDelay(t *testing.T) {
	s := setup(t)
	var mu sync.Mutex
	var times []time.Time
	handler := func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if uint64(n) != m.Delivered {
			return nil, pipeline.Permanent(fmt.Errorf("delivery count %d on call %d", m.Delivered, n))
		}
		if n < 4 {
			return nil, errors.New("snelstart timeout")
		}
		return forward(ctx, m)
	}
	runStage(t, s.JS, &pipeline.Stage{
		Name: "t2", Filter: "koppel.order.received.*", Handler: handler, MaxDeliver: 5,
		Backoff: pipeline.Backoff{Initial: 100 * time.Millisecond, Multiplier: 3, Max: 2 * time.Second, Jitter: 0},
	})
	publish(t, s.JS, inSubject, "x", "order-2", nil)
	if out := collect(t, s.JS, outSubject, 1, 10*time.Second); len(out) != 1 {
		t.Fatalf("got %d outputs after retries, want 1", len(out))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 4 {
		t.Fatalf("handler ran %d times, want 4", len(times))
	}
	if out := collect(t, s.JS, outSubject, 1, time.Second); out[0].Header.Get(pipeline.HeaderAttempts) != "4" {
		t.Errorf("Koppel-Attempts %q, want 4", out[0].Header.Get(pipeline.HeaderAttempts))
	}
	// Delays 100ms, 300ms, 900ms: each gap is clearly longer than the last,
	// with room for a loaded machine.
	for i := 1; i < len(times)-1; i++ {
		g1, g2 := times[i].Sub(times[i-1]), times[i+1].Sub(times[i])
		if g2 <= g1 {
			t.Errorf("gap %d (%v) not longer than gap %d (%v)", i+1, g2, i, g1)
		}
	}
	if g := times[1].Sub(times[0]); g < 90*time.Millisecond {
		t.Errorf("first retry after %v, want about 100ms", g)
	}
	if dls := waitDLQ(t, s.JS, 0); len(dls) != 0 {
		t.Errorf("unexpected dead letters: %+v", dls)
	}
}

func TestBackoffDelayGrows(t *testing.T) {
	b := pipeline.Backoff{Initial: time.Second, Multiplier: 2, Max: 10 * time.Second, Jitter: 0}
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i, w := range want {
		if got := b.Delay(uint64(i + 1)); got != w*time.Second {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
}

func TestStageDeadLetters(t *testing.T) {
	tests := map[string]struct {
		err        error
		maxDeliver int
		wantDeliv  uint64
	}{
		"permanent error goes at once": {err: pipeline.Permanent(errors.New("VOR-0002 relatie is geen klant")), maxDeliver: 5, wantDeliv: 1},
		"transient error exhausts":     {err: errors.New("connection reset"), maxDeliver: 3, wantDeliv: 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := setup(t)
			var calls atomic.Int64
			runStage(t, s.JS, &pipeline.Stage{
				Name: "booker", Filter: "koppel.order.received.*", MaxDeliver: tc.maxDeliver,
				Backoff: pipeline.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond},
				Handler: func(context.Context, *pipeline.Message) (*pipeline.Output, error) {
					calls.Add(1)
					return nil, tc.err
				},
			})
			h := nats.Header{}
			h.Set(pipeline.HeaderProfile, "shop1")
			seq := publish(t, s.JS, inSubject, "dl", `{"id":7}`, h)
			dls := waitDLQ(t, s.JS, 1)
			if len(dls) != 1 {
				t.Fatalf("got %d dead letters, want 1", len(dls))
			}
			dl := dls[0]
			if dl.Subject != "koppel.dlq.booker.shop1" || dl.Stage != "booker" || dl.Profile != "shop1" {
				t.Errorf("subject %q stage %q profile %q", dl.Subject, dl.Stage, dl.Profile)
			}
			if dl.OriginSubject != inSubject || dl.OriginSequence != seq {
				t.Errorf("origin %q #%d, want %q #%d", dl.OriginSubject, dl.OriginSequence, inSubject, seq)
			}
			if dl.Deliveries != tc.wantDeliv || uint64(calls.Load()) != tc.wantDeliv {
				t.Errorf("deliveries %d, calls %d, want %d", dl.Deliveries, calls.Load(), tc.wantDeliv)
			}
			if dl.Error != tc.err.Error() || string(dl.Data) != `{"id":7}` || dl.Header.Get(pipeline.HeaderProfile) != "shop1" {
				t.Errorf("error %q data %q header %v", dl.Error, dl.Data, dl.Header)
			}
			waitAcked(t, s.JS, "koppel-booker") // terminated, not pending
			time.Sleep(100 * time.Millisecond)
			if got := uint64(calls.Load()); got != tc.wantDeliv {
				t.Errorf("handler called %d times after dead-lettering, want %d", got, tc.wantDeliv)
			}
		})
	}
}

func TestStagePanicIsDeadLettered(t *testing.T) {
	s := setup(t)
	runStage(t, s.JS, &pipeline.Stage{Name: "p", Filter: "koppel.order.received.*",
		Handler: func(context.Context, *pipeline.Message) (*pipeline.Output, error) { panic("nil map") }})
	publish(t, s.JS, inSubject, "p1", "boom", nil)
	dls := waitDLQ(t, s.JS, 1)
	if len(dls) != 1 || !strings.Contains(dls[0].Error, "panic: nil map") {
		t.Fatalf("dead letters %+v", dls)
	}
}

func TestReplayCompletes(t *testing.T) {
	s := setup(t)
	var fixed atomic.Bool
	runStage(t, s.JS, &pipeline.Stage{Name: "normalize", Filter: "koppel.order.received.*",
		Handler: func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			if !fixed.Load() {
				return nil, pipeline.Permanent(errors.New("unknown platform"))
			}
			return forward(ctx, m)
		}})
	h := nats.Header{}
	h.Set(pipeline.HeaderOrder, "42")
	publish(t, s.JS, inSubject, "r1", "order-42", h)
	dls := waitDLQ(t, s.JS, 1)
	if len(dls) != 1 {
		t.Fatalf("got %d dead letters", len(dls))
	}
	fixed.Store(true) // the cause is fixed; the operator replays
	seq, err := pipeline.Replay(context.Background(), s.JS, dls[0].Sequence, pipeline.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if seq == 0 {
		t.Error("replay returned no sequence")
	}
	out := collect(t, s.JS, outSubject, 1, 5*time.Second)
	if len(out) != 1 || string(out[0].Data) != "done:order-42" {
		t.Fatalf("outputs after replay: %d", len(out))
	}
	if left := waitDLQ(t, s.JS, 0); len(left) != 0 {
		t.Errorf("dead letter still listed after replay: %+v", left)
	}
	replayed := readAll(t, s.JS, pipeline.StreamOrders, inSubject)
	if len(replayed) != 2 || replayed[1].Header.Get(pipeline.HeaderOrder) != "42" || replayed[1].Header.Get(pipeline.HeaderDLQError) != "" {
		t.Errorf("replayed message headers: %v", replayed[len(replayed)-1].Header)
	}
	if _, err := pipeline.Replay(context.Background(), s.JS, dls[0].Sequence, pipeline.Actor{Name: "test"}); !errors.Is(err, pipeline.ErrNotDeadLetter) {
		t.Errorf("second replay error = %v, want ErrNotDeadLetter", err)
	}
}

func TestStagePropagatesTraceContext(t *testing.T) {
	s := setup(t)
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	seen := make(chan trace.SpanContext, 1)
	runStage(t, s.JS, &pipeline.Stage{Name: "tr", Filter: "koppel.order.received.*",
		Handler: func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			seen <- trace.SpanContextFromContext(ctx)
			return forward(ctx, m)
		}})
	h := nats.Header{}
	h.Set(pipeline.HeaderTraceParent, parent)
	publish(t, s.JS, inSubject, "t", "order-t", h)
	select {
	case sc := <-seen:
		if sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("handler trace id %s", sc.TraceID())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}
	out := collect(t, s.JS, outSubject, 1, 5*time.Second)
	if len(out) != 1 || !strings.Contains(out[0].Header.Get(pipeline.HeaderTraceParent), "4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Fatalf("output traceparent missing: %v", out)
	}
}

func TestStageDrainsOnShutdown(t *testing.T) {
	s := setup(t)
	started := make(chan struct{}, 1)
	var calls atomic.Int64
	st := &pipeline.Stage{Name: "slow", Filter: "koppel.order.received.*",
		Handler: func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			calls.Add(1)
			started <- struct{}{}
			time.Sleep(300 * time.Millisecond)
			return forward(ctx, m)
		}}
	stop := runStage(t, s.JS, st)
	publish(t, s.JS, inSubject, "s", "order-slow", nil)
	<-started
	stop() // shutdown while the handler is mid-flight
	if out := collect(t, s.JS, outSubject, 1, time.Second); len(out) != 1 {
		t.Fatalf("in-flight message not finished on shutdown: %d outputs", len(out))
	}
	waitAcked(t, s.JS, "koppel-slow")
	// A new instance finds nothing left to do.
	runStage(t, s.JS, &pipeline.Stage{Name: "slow", Filter: "koppel.order.received.*", Handler: st.Handler})
	time.Sleep(300 * time.Millisecond)
	if c := calls.Load(); c != 1 {
		t.Errorf("handler ran %d times, want 1", c)
	}
}

func TestBulkReplayDiscardAndAudit(t *testing.T) {
	s := setup(t)
	var fixed atomic.Bool
	runStage(t, s.JS, &pipeline.Stage{Name: "articles", Filter: "koppel.order.received.*",
		Handler: func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			if !fixed.Load() || strings.HasPrefix(string(m.Data), "bad") {
				return nil, pipeline.Permanent(fmt.Errorf("ART-0001 unknown article for %s", m.Data))
			}
			return forward(ctx, m)
		}})
	for i, body := range []string{"o1", "o2", "bad3"} {
		h := nats.Header{}
		h.Set(pipeline.HeaderOrder, fmt.Sprint(i+1))
		publish(t, s.JS, inSubject, body, body, h)
	}
	publish(t, s.JS, "koppel.order.received.shop2", "o4", "o4", nil)
	if dls := waitDLQ(t, s.JS, 4); len(dls) != 4 {
		t.Fatalf("%d dead letters", len(dls))
	}
	ctx := context.Background()
	by := pipeline.Actor{Name: "ops@example", Reason: "article added"}

	if _, err := pipeline.ReplayMatching(ctx, s.JS, pipeline.DeadLetterFilter{}, false, by); err == nil {
		t.Fatal("unscoped bulk replay was not refused")
	}
	f := pipeline.DeadLetterFilter{Profile: "shop1", ErrorContains: "art-0001"}
	dry, err := pipeline.ReplayMatching(ctx, s.JS, f, true, by)
	if err != nil || len(dry) != 3 {
		t.Fatalf("dry run: %d, %v; want the 3 of shop1", len(dry), err)
	}
	if left := waitDLQ(t, s.JS, 4); len(left) != 4 {
		t.Fatalf("dry run changed the DLQ: %d left", len(left))
	}
	var bad uint64
	for _, d := range dry {
		if d.Header.Get(pipeline.HeaderOrder) == "3" {
			bad = d.Sequence
		}
	}
	if err := pipeline.Discard(ctx, s.JS, bad, pipeline.Actor{Name: "ops@example"}); err == nil {
		t.Error("discard without a reason accepted")
	}
	if err := pipeline.Discard(ctx, s.JS, bad, pipeline.Actor{Name: "ops@example", Reason: "test order"}); err != nil {
		t.Fatal(err)
	}
	fixed.Store(true)
	done, err := pipeline.ReplayMatching(ctx, s.JS, f, false, by)
	if err != nil || len(done) != 2 {
		t.Fatalf("replayed %d, %v; want 2", len(done), err)
	}
	if out := collect(t, s.JS, outSubject, 2, 5*time.Second); len(out) != 2 {
		t.Errorf("%d orders went on after replay, want 2", len(out))
	}
	left := waitDLQ(t, s.JS, 1)
	if len(left) != 1 || left[0].Profile != "shop2" {
		t.Errorf("left in DLQ: %+v", left)
	}
	audit, err := pipeline.AuditFor(ctx, s.JS, "shop1", nil)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+":"+a.Order+":"+a.Reason)
		if a.Actor != "ops@example" || a.Stage != "articles" {
			t.Errorf("audit record %+v", a)
		}
	}
	sort.Strings(actions[1:]) // the two replays go in DLQ order, which the workers decide
	if want := "discard:3:test order replay:1:article added replay:2:article added"; strings.Join(actions, " ") != want {
		t.Errorf("audit = %q, want %q", strings.Join(actions, " "), want)
	}
}

// TestLaterDoesNotSpendDeliveries: a handler that waits (for a claim held by
// another worker) many more times than MaxDeliver still completes, while a
// failing one is dead-lettered at MaxDeliver; waiting past MaxWait is
// dead-lettered with the reason.
func TestLaterDoesNotSpendDeliveries(t *testing.T) {
	s := setup(t)
	var calls atomic.Int64
	runStage(t, s.JS, &pipeline.Stage{Name: "wait", Filter: "koppel.order.received.*", MaxDeliver: 3,
		Handler: func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			if string(m.Data) == "forever" {
				return nil, pipeline.Later(errors.New("claim held by w2"), 20*time.Millisecond)
			}
			if calls.Add(1) <= 6 {
				return nil, pipeline.Later(errors.New("claim held by w1"), 10*time.Millisecond)
			}
			return forward(ctx, m)
		}, MaxWait: 500 * time.Millisecond})
	publish(t, s.JS, inSubject, "w", "order-w", nil)
	if out := collect(t, s.JS, outSubject, 1, 5*time.Second); len(out) != 1 {
		t.Fatalf("waiting order not forwarded after %d calls", calls.Load())
	}
	publish(t, s.JS, inSubject, "f", "forever", nil)
	dls := waitDLQ(t, s.JS, 1)
	if len(dls) != 1 || !strings.Contains(dls[0].Error, "still waiting after") || !strings.Contains(dls[0].Error, "claim held by w2") {
		t.Fatalf("dead letters %+v", dls)
	}
	if dls[0].Deliveries <= 3 {
		t.Errorf("waited only %d deliveries; waiting must not be cut off at MaxDeliver", dls[0].Deliveries)
	}
}
