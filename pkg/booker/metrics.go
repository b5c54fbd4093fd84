package booker

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Outcomes of one booking attempt, as the "outcome" attribute of the
// koppel.booker.orders metric.
const (
	outcomeCreated   = "created"   // koppel created the verkooporder
	outcomeRecovered = "recovered" // an earlier write whose answer was lost was found and linked
	outcomeLinked    = "linked"    // an existing order with the same betalingskenmerk was linked
	outcomeReused    = "reused"    // the order was booked before; the booking was recorded again
	outcomeSkipped   = "skipped"   // the shop status is not imported
	outcomeFailed    = "failed"    // the attempt failed; the message is retried or dead-lettered
)

// instruments are the booker's metrics. Every attribute is an id: the
// profile, an outcome.
type instruments struct {
	orders     metric.Int64Counter     // koppel.booker.orders{profile,outcome}
	mismatches metric.Int64Counter     // koppel.booker.total_mismatches{profile}
	unknown    metric.Int64Counter     // koppel.booker.unknown_outcomes{profile}
	lookups    metric.Int64Counter     // koppel.booker.lookups{profile,found}
	duration   metric.Float64Histogram // koppel.booker.duration{profile,outcome}, seconds
}

func newInstruments(m metric.Meter) (*instruments, error) {
	if m == nil {
		m = noop.NewMeterProvider().Meter("")
	}
	var in instruments
	var err error
	if in.orders, err = m.Int64Counter("koppel.booker.orders",
		metric.WithDescription("Orders the booker handled, by outcome: created, recovered, linked, reused, skipped, failed.")); err != nil {
		return nil, err
	}
	if in.mismatches, err = m.Int64Counter("koppel.booker.total_mismatches",
		metric.WithDescription("Booked orders whose SnelStart totaalInclusiefBtw differs from the shop's total by more than the profile's tolerance.")); err != nil {
		return nil, err
	}
	if in.unknown, err = m.Int64Counter("koppel.booker.unknown_outcomes",
		metric.WithDescription("POST /verkooporders whose outcome was unknown (timeout, dropped connection, 5xx, 429).")); err != nil {
		return nil, err
	}
	if in.lookups, err = m.Int64Counter("koppel.booker.lookups",
		metric.WithDescription("Searches of SnelStart's verkooporders by betalingskenmerk before writing, by whether one was found.")); err != nil {
		return nil, err
	}
	if in.duration, err = m.Float64Histogram("koppel.booker.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to book one order, by outcome.")); err != nil {
		return nil, err
	}
	return &in, nil
}

func (in *instruments) outcome(ctx context.Context, profile, outcome string, since time.Time) {
	attrs := metric.WithAttributes(attribute.String("profile", profile), attribute.String("outcome", outcome))
	in.orders.Add(ctx, 1, attrs)
	in.duration.Record(ctx, time.Since(since).Seconds(), attrs)
}
