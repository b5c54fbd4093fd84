package booker

import (
	"context"
	"fmt"
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
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// BenchmarkBookerStage measures the booker stage end to end: N resolved
// orders wait on koppel.order.articles, then the stage (32 workers, KV
// ledger on an embedded JetStream with file storage) books them in the
// sandbox over loopback HTTP until all are on koppel.order.booked. The
// profile uses the example configuration's choices (template by name,
// reuse_last_template, check_duplicate_reference), every order from another
// customer; and with the minimal configuration (no lookups before the
// POST). It reports orders per second, SnelStart calls per order (token
// calls excluded) and the share of the run's worker time spent waiting for
// SnelStart, once with the sandbox answering at once and once with 150 ms
// per call, as SnelStart does from here.
//
//	go test -run '^$' -bench BookerStage -benchtime 1x ./pkg/booker/
func BenchmarkBookerStage(b *testing.B) {
	for _, c := range []struct {
		config  string // "example": as koppel.example.yaml; "minimal": no lookups before the POST
		latency time.Duration
		orders  int
	}{
		{"example", 0, 2000}, {"example", 150 * time.Millisecond, 1000},
		{"minimal", 0, 2000}, {"minimal", 150 * time.Millisecond, 1000},
	} {
		b.Run(fmt.Sprintf("config=%s/latency=%s", c.config, c.latency), func(b *testing.B) {
			for b.Loop() {
				benchRun(b, c.orders, c.latency, 32, c.config == "example")
			}
		})
	}
}

func benchRun(b *testing.B, n int, latency time.Duration, workers int, example bool) {
	const profile = "demo-woo"
	seed := snelstartsandbox.DefaultSeed()
	events := make([]*koppelv1.OrderEvent, n)
	for i := range n {
		relatie := stableID(fmt.Sprint("bench-relatie-", i))
		seed.Administraties[0].Relaties = append(seed.Administraties[0].Relaties, snelstart.Relatie{
			ID: relatie, Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant}, Relatiecode: snelstart.Ptr(1000 + i),
			Naam: fmt.Sprint("Klant ", i), Nonactief: snelstart.Ptr(false),
		})
		ev := sampleEvent(fmt.Sprint("bench-", i))
		ev.Customer.RelatieId = string(relatie)
		events[i] = ev
	}
	var faults []snelstartsandbox.Fault
	if latency > 0 {
		faults = append(faults, snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLatency, Latency: latency})
	}
	ts := newSandbox(b, &seed, snelstartsandbox.Options{Faults: faults})
	bus := natstest.Run(b)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		b.Fatal(err)
	}
	for _, ev := range events {
		data, err := proto.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		h := nats.Header{}
		h.Set(pipeline.HeaderMsgID, orderstage.MsgID(ev.Order, "articles"))
		if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepArticles, profile), Header: h, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := idempotency.NewKV(ctx, bus.JS, idempotency.KVOptions{Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var apiTime atomic.Int64 // summed duration of the SnelStart calls
	client, err := snelstart.New(snelstart.Config{
		AuthURL: ts.URL, BaseURL: ts.URL, ClientKey: "demo", SubscriptionKey: "demo",
		Limits: snelstart.Limits{MaxConcurrent: 256},
		OnCall: func(_, path string, _ int, d time.Duration) {
			if path != snelstart.PathToken {
				apiTime.Add(int64(d))
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	s := testSettings()
	s.ReuseLastTemplate, s.CheckDuplicateReference = example, example
	stage, err := Stage(Options{
		Profiles: map[string]Settings{profile: s}, Store: st,
		Clients: func(string) (*snelstart.Client, error) { return client, nil },
	}, pipeline.Stage{Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	ts.SB.ResetCalls()

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); _ = stage.Run(rctx, bus.JS) }()
	stream, err := bus.JS.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		b.Fatal(err)
	}
	booked := pipeline.OrderSubject(pipeline.StepBooked, profile)
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(booked))
		if err == nil && info.State.Subjects[booked] >= uint64(n) {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatal("orders not booked in 5 minutes")
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done

	calls := ts.SB.Calls()
	api := calls.Total() - calls.Count("POST", snelstart.PathToken)
	if got := len(ts.admin().VerkoopOrders()) - 1; got != n {
		b.Fatalf("%d verkooporders for %d orders", got, n)
	}
	rate := float64(n) / elapsed.Seconds()
	waiting := time.Duration(apiTime.Load()).Seconds() / (elapsed.Seconds() * float64(workers))
	b.ReportMetric(rate, "orders/s")
	b.ReportMetric(float64(api)/float64(n), "calls/order")
	b.Logf("%s, latency %s: %d orders in %s: %.0f orders/s, %.2f SnelStart calls per order (%v), workers busy waiting for SnelStart %.0f%% of the run",
		map[bool]string{true: "example config", false: "minimal config"}[example], latency, n, elapsed.Round(time.Millisecond), rate, float64(api)/float64(n), calls.ByOperation(), 100*waiting)
}
