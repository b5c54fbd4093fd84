package intake_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/loadtest"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/telemetry"
	"github.com/koppel/koppel/pkg/webshop"
)

// benchBodies returns n distinct, realistic signed WooCommerce deliveries:
// the NL order fixture (about 5 KB as WooCommerce sends it) with its id
// changed per body.
func benchBodies(b *testing.B, n int) []loadtest.Request {
	base := fixture(b, "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	reqs := make([]loadtest.Request, n)
	for i := range reqs {
		body := bytes.Replace(base, []byte(`"id":12345`), []byte(`"id":`+strconv.Itoa(100000+i)), 1)
		h := http.Header{}
		for k, v := range wooHeaders(body) {
			h.Set(k, v)
		}
		reqs[i] = loadtest.Request{Body: body, Header: h}
	}
	return reqs
}

// serve starts an HTTP server for h on a loopback port and returns its URL.
func serve(b *testing.B, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// bare is baseline (a): read the body, answer 202.
func bare() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
}

// BenchmarkReceiver measures koppel's receiver (c) against two baselines on
// the same bodies, load tool and machine, in one run: (a) a bare handler
// answering 202 and (b) a minimal durable handler that only checks the HMAC
// and publishes to JetStream, waiting for the PubAck. b and c run twice,
// interleaved (b c c b), each on a fresh embedded JetStream with file
// storage, so drift on a shared machine falls on both; their figures are
// the mean of the two rounds. Then both are offered a fixed 5,000 req/s
// (open loop) for the latency percentiles.
func BenchmarkReceiver(b *testing.B) {
	reqs := benchBodies(b, 20000)
	const duration = 4 * time.Second
	for b.Loop() {
		measure := func(name string, h http.Handler, rate int) loadtest.Result {
			cfg := loadtest.Config{URL: serve(b, h) + "/webhooks/demo-woo", Requests: reqs, Concurrency: 64, Rate: rate, Duration: duration}
			res, err := loadtest.Run(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			if res.Errors > 0 {
				b.Fatalf("%s: %d errors, first: %s", name, res.Errors, res.FirstError)
			}
			b.Logf("%-26s %s", name, res)
			return res
		}
		durable := func(rate int) http.Handler { return durableBaseline(b, freshBus(b)) }
		koppel := func(rate int) http.Handler { return receiver(b, freshBus(b)) }

		a := measure("a. bare 202", bare(), 0)
		b1 := measure("b. hmac+publish (1)", durable(0), 0)
		c1 := measure("c. koppel receiver (1)", koppel(0), 0)
		c2 := measure("c. koppel receiver (2)", koppel(0), 0)
		b2 := measure("b. hmac+publish (2)", durable(0), 0)
		bOpen := measure("b. offered 5000 req/s", durable(5000), 5000)
		cOpen := measure("c. offered 5000 req/s", koppel(5000), 5000)

		bT := (b1.Throughput + b2.Throughput) / 2
		cT := (c1.Throughput + c2.Throughput) / 2
		b.ReportMetric(cT, "koppel-req/s")
		b.ReportMetric(cT/bT, "ratio-to-b")
		b.ReportMetric(cT/a.Throughput, "ratio-to-a")
		b.ReportMetric(float64(cOpen.P99.Microseconds())/1000, "p99-ms@5k")
		b.Logf("throughput: a %.0f, b %.0f, c %.0f req/s; c/b = %.2f, c/a = %.2f", a.Throughput, bT, cT, cT/bT, cT/a.Throughput)
		b.Logf("at 5000 req/s: p99 b %s, c %s; p50 b %s, c %s", bOpen.P99, cOpen.P99, bOpen.P50, cOpen.P50)
	}
}

func freshBus(b *testing.B) *natstest.Server {
	s := natstest.Run(b)
	ensure(b, s)
	return s
}

func ensure(b *testing.B, s *natstest.Server) {
	if err := pipeline.EnsureStreams(context.Background(), s.JS, pipeline.StreamConfig{}); err != nil {
		b.Fatal(err)
	}
}

func durableBaseline(b *testing.B, s *natstest.Server) http.Handler {
	key := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sig, err := base64.StdEncoding.DecodeString(r.Header.Get("X-WC-Webhook-Signature"))
		m := hmac.New(sha256.New, key)
		m.Write(body)
		if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256(body)
		msg := &nats.Msg{Subject: "koppel.order.raw.demo-woo", Data: body, Header: nats.Header{}}
		msg.Header.Set(pipeline.HeaderMsgID, fmt.Sprintf("%x", sum))
		if _, err := s.JS.PublishMsg(r.Context(), msg); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

func receiver(b *testing.B, s *natstest.Server) http.Handler {
	nc, js, err := pipeline.Connect(s.ClientURL(), "bench-receiver", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	woo, err := webshop.New(webshop.WooCommerce, webshop.Config{Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	metrics, err := telemetry.NewMetrics()
	if err != nil {
		b.Fatal(err)
	}
	// As koppel runs it: Prometheus metrics and a span per delivery.
	r, err := intake.New(intake.Options{NC: nc, JS: js, Profiles: []intake.Profile{{ID: "demo-woo", Adapter: woo}},
		Meter: metrics.Meter("bench"), TracerProvider: telemetry.NewTracerProvider()})
	if err != nil {
		b.Fatal(err)
	}
	return r
}
