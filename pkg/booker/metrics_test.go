package booker

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// testMeter is a MeterProvider whose counters a test can read.
type testMeter struct {
	*sdkmetric.MeterProvider
	reader *sdkmetric.ManualReader
}

func newTestMeter() *testMeter {
	r := sdkmetric.NewManualReader()
	return &testMeter{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)), reader: r}
}

// counts returns the sums of the Int64 counter name by the value of the
// attribute attr ("" sums all).
func (m *testMeter) counts(t testing.TB, name, attr string) map[string]int {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != name {
				continue
			}
			sum, ok := md.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				key := ""
				if attr != "" {
					v, _ := dp.Attributes.Value(attributeKey(attr))
					key = v.Emit()
				}
				out[key] += int(dp.Value)
			}
		}
	}
	return out
}

func attributeKey(s string) attribute.Key { return attribute.Key(s) }
