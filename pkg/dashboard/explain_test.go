package dashboard

import (
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/timeline"
)

func TestExplainSkipped(t *testing.T) {
	tl := &timeline.Timeline{Status: "skipped", Entries: []timeline.Entry{
		{Step: "received", Summary: "normalized"},
		{Step: "skipped", Summary: `not booked: shop status "cancelled" is not imported (orders.import_statuses: processing)`},
	}}
	got := explain(tl, nil)
	if !strings.HasPrefix(got, `Not booked, on purpose: shop status "cancelled" is not imported`) {
		t.Errorf("explain = %q", got)
	}
	if badgeClass("skipped") != "badge" || !strings.Contains(statusLabel("skipped"), "not imported") {
		t.Errorf("skipped badge %q label %q", badgeClass("skipped"), statusLabel("skipped"))
	}
}
