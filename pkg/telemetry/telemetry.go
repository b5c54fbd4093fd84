// Package telemetry sets up koppel's OpenTelemetry metrics, exported for
// Prometheus scraping on /metrics.
package telemetry

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Metrics is a MeterProvider whose instruments are served by Handler.
type Metrics struct {
	Provider *sdkmetric.MeterProvider
	// Handler serves the Prometheus text format.
	Handler http.Handler
}

// NewMetrics returns a MeterProvider backed by its own Prometheus registry
// (never the global one), which also carries Go runtime and process metrics.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	return &Metrics{
		Provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)),
		Handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}, nil
}

// Meter returns a named meter from the provider.
func (m *Metrics) Meter(name string) metric.Meter { return m.Provider.Meter(name) }

// NewTracerProvider returns a TracerProvider that gives every span a real
// trace id, so an order's trace context travels from the webhook through
// every stage in the traceparent header. Spans are exported only through
// the processors given (none yet: an OTLP exporter is wired in when one is
// configured).
func NewTracerProvider(processors ...sdktrace.SpanProcessor) *sdktrace.TracerProvider {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))}
	for _, p := range processors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	return sdktrace.NewTracerProvider(opts...)
}
