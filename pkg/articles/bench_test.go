package articles_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
)

// BenchmarkWarmStages measures the customers and articles stages together
// on an embedded JetStream (file storage) with the SnelStart sandbox at
// zero latency, for returning customers and known articles: a warm-up of
// 200 orders makes the 50 customers and 40 SKUs, then 2,000 more orders of
// them are stored on order.received and both stages (8 workers each) run
// until all are on order.articles. Reported: SnelStart calls per order in
// the measured run (token calls included), orders per second through both
// stages, and the calls per order of the warm-up, in which every customer
// and SKU is new. The baseline is the same two-stage chain forwarding
// without work.
func BenchmarkWarmStages(b *testing.B) {
	for _, tc := range []struct {
		name, backend, lines string
	}{
		{"kv", "kv", "full"},
		{"redis", "redis", "full"},
		{"kv/code_and_quantity", "kv", articles.LinesCodeAndQuantity},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				warm, calls, rate := runWarm(b, tc.backend, tc.lines, 200, 2000)
				b.ReportMetric(calls, "calls/order")
				b.ReportMetric(rate, "orders/s")
				b.ReportMetric(warm, "cold-calls/order")
			}
		})
	}
	b.Run("forward-only", func(b *testing.B) {
		for b.Loop() {
			b.ReportMetric(runForward(b, 2000), "orders/s")
		}
	})
}

func benchOrders(from, n int) []*koppelv1.Order {
	return orders(from+n, 50, 40)[from:]
}

// runWarm returns the calls per order of the warm-up, and the calls per
// order and orders per second of the measured run.
func runWarm(b *testing.B, backend, lines string, warmup, n int) (float64, float64, float64) {
	bn := newBench(b, backend)
	bn.prof.Orders.Lines = lines
	js := bn.ns.JS
	subject := pipeline.OrderSubject(pipeline.StepArticles, shop)

	publish(b, js, benchOrders(0, warmup))
	s := bn.startBench(b)
	waitFor(b, "the warm-up", 60*time.Second, func() bool { return count(b, js, pipeline.StreamOrders, subject) >= warmup })
	s.stop()
	cold := float64(bn.sb.sb.Calls().Total()) / float64(warmup)
	if made := len(bn.sb.admin.Relaties()) - bn.relaties; made != 50 {
		b.Fatalf("%d relaties made in the warm-up, want 50", made)
	}

	publish(b, js, benchOrders(warmup, n))
	bn.sb.sb.ResetCalls()
	start := time.Now()
	s = bn.startBench(b)
	waitFor(b, "the measured orders", 120*time.Second, func() bool { return count(b, js, pipeline.StreamOrders, subject) >= warmup+n })
	elapsed := time.Since(start)
	s.stop()
	calls := bn.sb.sb.Calls()
	b.Logf("%s/%s: %d orders in %s: %.0f orders/s; %d SnelStart calls (%v); warm-up %.2f calls/order",
		backend, lines, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), calls.Total(), calls.ByOperation(), cold)
	return cold, float64(calls.Total()) / float64(n), float64(n) / elapsed.Seconds()
}

// startBench runs both stages with the default worker count.
func (bn *bench) startBench(b *testing.B) *stages {
	clients := func(string) (*snelstart.Client, error) { return bn.sb.client, nil }
	cs, err := customers.Stage(customers.Options{Profiles: []profile.Profile{bn.prof}, Clients: clients, Store: bn.store, Owner: "bench"}, pipeline.Stage{})
	if err != nil {
		b.Fatal(err)
	}
	as, err := articles.Stage(articles.Options{Profiles: []profile.Profile{bn.prof}, Clients: clients, Store: bn.store, Owner: "bench"}, pipeline.Stage{})
	if err != nil {
		b.Fatal(err)
	}
	return runStages(b, bn, cs, as)
}

func runStages(b *testing.B, bn *bench, sts ...*pipeline.Stage) *stages {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stages{cancel: cancel}
	for _, st := range sts {
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			if err := st.Run(ctx, bn.ns.JS); err != nil {
				b.Error(err)
			}
		}()
	}
	return s
}

// runForward returns the orders per second of two stages that forward
// each message without work, on the same data.
func runForward(b *testing.B, n int) float64 {
	bn := newBench(b, "kv")
	js := bn.ns.JS
	forward := func(step string) pipeline.Handler {
		return func(_ context.Context, m *pipeline.Message) (*pipeline.Output, error) {
			return &pipeline.Output{Subject: pipeline.OrderSubject(step, m.Profile), MsgID: step + ":" + strconv.FormatUint(m.Sequence, 10), Data: m.Data}, nil
		}
	}
	publish(b, js, benchOrders(0, n))
	start := time.Now()
	s := runStages(b, bn,
		&pipeline.Stage{Name: "fwd-customers", Filter: pipeline.OrderFilter(pipeline.StepReceived), Handler: forward(pipeline.StepCustomer)},
		&pipeline.Stage{Name: "fwd-articles", Filter: pipeline.OrderFilter(pipeline.StepCustomer), Handler: forward(pipeline.StepArticles)})
	subject := pipeline.OrderSubject(pipeline.StepArticles, shop)
	waitFor(b, "forwarding", 60*time.Second, func() bool { return count(b, js, pipeline.StreamOrders, subject) >= n })
	elapsed := time.Since(start)
	s.stop()
	b.Logf("forward only: %d orders in %s: %.0f orders/s", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return float64(n) / elapsed.Seconds()
}
