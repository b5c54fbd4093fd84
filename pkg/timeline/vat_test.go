package timeline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/timeline"
	"github.com/koppel/koppel/pkg/timeline/timelinetest"
)

// TestTimelineVAT books one order as an ICP with a remark, holds another
// and books a third plainly, and checks what the timelines and the recent
// orders say about their VAT and what needs attention.
func TestTimelineVAT(t *testing.T) {
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	timelinetest.Run(t, bus.JS, "testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	timelinetest.Wait(t, bus.JS)
	build := func(id string) *timeline.Timeline {
		tl, err := timeline.Build(ctx, bus.JS, timelinetest.Profile, id)
		if err != nil {
			t.Fatal(err)
		}
		return tl
	}

	icp := build(timelinetest.ICPOrder)
	if icp.Status != timeline.StatusAttention || icp.Attention != timelinetest.ICPBooking.GetAttention() {
		t.Errorf("ICP order: status %q, attention %q", icp.Status, icp.Attention)
	}
	v := icp.VAT
	if v == nil || v.Regime != "icp" || v.RegimeLabel != "ICP (intracommunautaire levering)" || v.Correction != "0.02" ||
		!strings.HasPrefix(v.RuleLabel, "neither") || len(v.Notes) != 1 || v.Attention == "" || v.Difference != "0.02" {
		t.Fatalf("ICP order VAT: %+v", v)
	}
	if len(v.Groups) != 2 || v.Groups[1].TaxDifference != "-0.01" || v.Groups[0].TaxDifference != "" || v.Groups[1].BtwSoort != "Laag" {
		t.Errorf("ICP order VAT groups: %+v", v.Groups)
	}
	booked := icp.Entries[len(icp.Entries)-1]
	for _, want := range []string{"verkooporder 10007", "ICP (intracommunautaire levering)", "correction line 0.02", "needs attention: SnelStart booked"} {
		if booked.Step != pipeline.StepBooked || !strings.Contains(booked.Summary, want) {
			t.Errorf("booked entry lacks %q: %+v", want, booked)
		}
	}

	held := build(timelinetest.HeldOrder)
	if !strings.HasPrefix(held.Attention, "order 702-xxx is held, not booked") || held.VAT != nil {
		t.Errorf("held order: attention %q, VAT %+v", held.Attention, held.VAT)
	}
	if e := held.Entries[len(held.Entries)-1]; e.Step != "dead-letter" || !strings.HasPrefix(e.Summary, "needs attention: held by the booker, not booked") || e.Error != timelinetest.HeldError {
		t.Errorf("held order's dead letter entry: %+v", e)
	}

	plain := build(timelinetest.PlainOrder)
	if plain.Attention != "" || plain.VAT == nil || plain.VAT.RegimeLabel != "binnenland" || !strings.HasPrefix(plain.VAT.RuleLabel, "VAT per rate") || plain.VAT.Groups[0].TaxDifference != "" {
		t.Errorf("plain order: attention %q, VAT %+v", plain.Attention, plain.VAT)
	}

	all, err := timeline.Recent(ctx, bus.JS, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(all); got != "701:attention 702:held 703:booked" {
		t.Errorf("recent orders: %s", got)
	}
	attention, err := timeline.RecentMatching(ctx, bus.JS, timeline.RecentFilter{Attention: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(attention); got != "701:attention 702:held" {
		t.Errorf("orders needing attention: %s", got)
	}
	for _, o := range attention {
		if o.Attention == "" {
			t.Errorf("order %s needs attention without saying why", o.ShopOrderID)
		}
	}
	if one, err := timeline.RecentMatching(ctx, bus.JS, timeline.RecentFilter{Attention: true, Limit: 1, Profile: timelinetest.Profile}); err != nil || len(one) != 1 {
		t.Errorf("limit 1: %+v %v", one, err)
	}
}

// statuses lists orders as "id:status", by id.
func statuses(orders []timeline.RecentOrder) string {
	var s []string
	for _, o := range orders {
		s = append(s, fmt.Sprintf("%s:%s", o.ShopOrderID, o.Status))
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

func TestHeld(t *testing.T) {
	for err, want := range map[string]string{
		"needs attention: order 1 is held, not booked: x": "order 1 is held, not booked: x",
		"  needs attention:  y":                           "y",
		"manual mode: artikel X is not in SnelStart":      "",
		"booker: needs attention: z":                      "",
	} {
		got, ok := timeline.Held(err)
		if got != want || ok != (want != "") {
			t.Errorf("Held(%q) = %q, %v", err, got, ok)
		}
	}
	if timeline.VATOf(nil) != nil || timeline.RegimeLabel("oss") != "OSS" || timeline.RegimeLabel("export") != "export" {
		t.Error("VATOf(nil) or RegimeLabel")
	}
}
