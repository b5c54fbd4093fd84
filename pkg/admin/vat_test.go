package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/timeline"
	"github.com/koppel/koppel/pkg/timeline/timelinetest"
)

// TestOrderVAT: an order's timeline carries the booking's VAT and what
// needs attention, the recent orders filter on attention, and a held
// order's dead letter says it is held.
func TestOrderVAT(t *testing.T) {
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := profile.Parse([]byte(config), "test", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	timelinetest.Run(t, bus.JS, "testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	timelinetest.Wait(t, bus.JS)
	r := mux.NewRouter()
	admin.New(admin.Options{Token: token, Config: cfg, JS: bus.JS}).Register(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	e := &env{srv: srv}

	code, b := e.do(t, "GET", "/admin/v1/orders/shop/"+timelinetest.ICPOrder, token, nil)
	var v struct {
		Status    string               `json:"status"`
		Attention string               `json:"attention"`
		VAT       *timeline.BookingVAT `json:"vat"`
		Latest    struct {
			Booking struct {
				Regime string `json:"regime"`
			} `json:"booking"`
		} `json:"latest"`
	}
	if err := json.Unmarshal(b, &v); code != http.StatusOK || err != nil {
		t.Fatalf("%d %v %s", code, err, b)
	}
	if v.Status != timeline.StatusAttention || v.Attention == "" || v.Latest.Booking.Regime != "icp" {
		t.Errorf("ICP order: %s", b)
	}
	if v.VAT == nil || v.VAT.RegimeLabel != "ICP (intracommunautaire levering)" || len(v.VAT.Groups) != 2 ||
		v.VAT.Groups[1].TaxDifference != "-0.01" || v.VAT.Correction != "0.02" || len(v.VAT.Notes) != 1 {
		t.Errorf("ICP order VAT: %s", b)
	}

	c := &admin.Client{BaseURL: srv.URL, Token: token}
	attention, err := c.RecentMatching(ctx, timeline.RecentFilter{Attention: true})
	if err != nil || len(attention) != 2 {
		t.Fatalf("orders needing attention: %+v %v", attention, err)
	}
	for _, o := range attention {
		if !timeline.NeedsAttention(o.Status) || o.Attention == "" || o.ShopOrderID == timelinetest.PlainOrder {
			t.Errorf("order needing attention: %+v", o)
		}
	}
	if all, err := c.Recent(ctx, "shop", 0); err != nil || len(all) != 3 {
		t.Errorf("recent orders: %+v %v", all, err)
	}
	if code, b := e.do(t, "GET", "/admin/v1/orders?attention=maybe", token, nil); code != http.StatusBadRequest || !strings.Contains(string(b), "attention") {
		t.Errorf("attention=maybe: %d %s", code, b)
	}

	dls, err := c.DeadLetters(ctx, pipeline.DeadLetterFilter{})
	if err != nil || len(dls) != 1 || !dls[0].Held || dls[0].Order != timelinetest.HeldOrder {
		t.Errorf("dead letters: %+v %v", dls, err)
	}
}
