package vat

import (
	"time"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
)

// OrderDay is the day ev's order is dated for its VAT, in loc (the
// administration's zone; nil means Europe/Amsterdam): when the order was
// placed, else when koppel received it, else now. The stages that pass a
// day to [Decide] use it, so that they decide on the same day's rates.
func OrderDay(ev *koppelv1.OrderEvent, now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = snelstart.Amsterdam()
	}
	t := now
	switch {
	case ev.GetOrder().GetCreatedAt() != nil:
		t = ev.GetOrder().GetCreatedAt().AsTime()
	case ev.GetReceivedAt() != nil:
		t = ev.GetReceivedAt().AsTime()
	}
	return t.In(loc)
}
