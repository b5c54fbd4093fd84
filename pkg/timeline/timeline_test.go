package timeline_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/normalize"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/timeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// TestTimeline pushes a real WooCommerce order through normalize, a
// customers stage and an articles stage that dead-letters it, then replays
// it, and reads the order's history back by shop id and by number.
func TestTimeline(t *testing.T) {
	bus := natstest.Run(t)
	ctx := context.Background()
	if err := pipeline.EnsureStreams(ctx, bus.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	woo, _ := webshop.New(webshop.WooCommerce, webshop.Config{Secret: "s"})
	var articleKnown atomic.Bool
	stages := []*pipeline.Stage{
		normalize.Stage(map[string]webshop.Adapter{"shop": woo}, pipeline.Stage{}),
		{Name: "customers", Filter: pipeline.OrderFilter(pipeline.StepReceived),
			Handler: orderstage.Handler("customers", pipeline.StepCustomer, func(_ context.Context, ev *koppelv1.OrderEvent) error {
				ev.Customer = &koppelv1.CustomerResolution{RelatieId: "0d4c-r", Relatiecode: 1001, Created: true, MatchedBy: "created"}
				return nil
			})},
		{Name: "articles", Filter: pipeline.OrderFilter(pipeline.StepCustomer),
			Handler: orderstage.Handler("articles", pipeline.StepArticles, func(_ context.Context, ev *koppelv1.OrderEvent) error {
				if !articleKnown.Load() {
					return pipeline.Permanent(errors.New("manual mode: artikel c00000003660 is not in SnelStart"))
				}
				ev.Articles = []*koppelv1.ArticleResolution{{LineId: "5484", ArtikelId: "a-1", Artikelcode: "c00000003660"}}
				return nil
			})},
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(stages))
	for _, st := range stages {
		go func() { st.Run(runCtx, bus.JS); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range stages {
			<-done
		}
	})

	body, err := os.ReadFile("testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{}
	h.Set(pipeline.HeaderMsgID, intake.RawMsgID("shop", body))
	h.Set(pipeline.HeaderSource, "webhook")
	if _, err := bus.JS.PublishMsg(ctx, &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, "shop"), Header: h, Data: body}); err != nil {
		t.Fatal(err)
	}

	tl := waitFor(t, bus, "12345", func(tl *timeline.Timeline) bool { return tl.Status == "dead-lettered" })
	if tl.ShopOrderID != "12345" || tl.Number != "12345-xxx" {
		t.Errorf("order %q number %q", tl.ShopOrderID, tl.Number)
	}
	steps := stepsOf(tl)
	if steps != "raw received customer dead-letter" {
		t.Fatalf("steps %q", steps)
	}
	if e := tl.Entries[3]; !strings.Contains(e.Error, "c00000003660") || e.Attempts != 1 {
		t.Errorf("dead-letter entry %+v", e)
	}
	if s := tl.Entries[1].Summary; !strings.Contains(s, "totals differ by 2.46") {
		t.Errorf("received summary does not show the total difference: %q", s)
	}
	if s := tl.Entries[2].Summary; !strings.Contains(s, "relatie 1001") || !strings.Contains(s, "created") {
		t.Errorf("customer summary %q", s)
	}

	// The article is added in SnelStart; the operator replays.
	articleKnown.Store(true)
	if _, err := pipeline.Replay(ctx, bus.JS, tl.Entries[3].Sequence, pipeline.Actor{Name: "ops", Reason: "artikel aangemaakt"}); err != nil {
		t.Fatal(err)
	}
	tl = waitFor(t, bus, "12345-xxx", func(tl *timeline.Timeline) bool { return tl.Status == pipeline.StepArticles })
	steps = stepsOf(tl)
	if steps != "raw received customer replay articles" {
		t.Errorf("after replay, steps %q", steps)
	}
	if tl.Latest.GetArticles()[0].GetArtikelcode() != "c00000003660" {
		t.Errorf("latest event %v", tl.Latest)
	}

	recent, err := timeline.Recent(ctx, bus.JS, "", 10)
	if err != nil || len(recent) != 1 || recent[0].ShopOrderID != "12345" || recent[0].Number != "12345-xxx" || recent[0].Status != pipeline.StepArticles {
		t.Errorf("recent orders: %+v %v", recent, err)
	}
	if _, err := timeline.Build(ctx, bus.JS, "shop", "99999"); !errors.Is(err, timeline.ErrNotFound) {
		t.Errorf("unknown order: %v", err)
	}
}

func waitFor(t *testing.T, bus *natstest.Server, order string, ok func(*timeline.Timeline) bool) *timeline.Timeline {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tl, err := timeline.Build(context.Background(), bus.JS, "shop", order)
		if err == nil && ok(tl) {
			return tl
		}
		if time.Now().After(deadline) {
			t.Fatalf("timeline of %s: %+v %v", order, tl, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func stepsOf(tl *timeline.Timeline) string {
	var s []string
	for _, e := range tl.Entries {
		s = append(s, e.Step)
	}
	return strings.Join(s, " ")
}
