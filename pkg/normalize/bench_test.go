package normalize_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// BenchmarkNormalizeStage measures the normalize stage end to end on an
// embedded JetStream with file storage: 5,000 distinct 5 KB WooCommerce
// orders are stored on order.raw, then the stage runs until all are on
// order.received and acked. The baseline is a stage with the same runner
// that forwards each message without decoding it, on the same data.
func BenchmarkNormalizeStage(b *testing.B) {
	base, err := os.ReadFile("testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	if err != nil {
		b.Fatal(err)
	}
	const orders = 5000
	woo, err := webshop.New(webshop.WooCommerce, webshop.Config{Secret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	forward := func(_ context.Context, m *pipeline.Message) (*pipeline.Output, error) {
		return &pipeline.Output{Subject: pipeline.OrderSubject(pipeline.StepReceived, m.Profile),
			MsgID: "fwd:" + strconv.FormatUint(m.Sequence, 10), Data: m.Data}, nil
	}
	run := func(name string, st *pipeline.Stage) float64 {
		s := natstest.Run(b)
		if err := pipeline.EnsureStreams(context.Background(), s.JS, pipeline.StreamConfig{}); err != nil {
			b.Fatal(err)
		}
		for i := range orders {
			body := bytes.Replace(base, []byte(`"id":12345`), []byte(`"id":`+strconv.Itoa(200000+i)), 1)
			publishRaw(b, s.JS, wooProfile, "webhook", body)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start := time.Now()
		go func() { defer close(done); st.Run(ctx, s.JS) }()
		for {
			c, err := s.JS.Consumer(ctx, pipeline.StreamOrders, "koppel-"+st.Name)
			if err == nil {
				if info, err := c.Info(ctx); err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= orders {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		cancel()
		<-done
		rate := orders / elapsed.Seconds()
		b.Logf("%-22s %d orders in %s: %.0f orders/s", name, orders, elapsed.Round(time.Millisecond), rate)
		return rate
	}
	for b.Loop() {
		fwd := run("forward only", &pipeline.Stage{Name: "forward", Filter: pipeline.OrderFilter(pipeline.StepRaw), Handler: forward})
		norm := run("normalize", normalize.Stage(map[string]webshop.Adapter{wooProfile: woo}, pipeline.Stage{}))
		b.ReportMetric(norm, "orders/s")
		b.ReportMetric(norm/fwd, "ratio-to-forward")
	}
}
