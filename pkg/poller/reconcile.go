package poller

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// Report is what Reconcile found: every shop order modified in the window,
// by where it is in koppel.
type Report struct {
	InShop       int // orders the shop lists for the window
	Booked       int
	Skipped      int // not imported on purpose (shop status)
	DeadLettered int // waiting for a person
	InProgress   int // somewhere between stored and booked
	Missing      int // not in koppel at all
	Republished  int // missing orders published now
	MissingIDs   []string
}

func (r Report) String() string {
	return fmt.Sprintf("%d in the shop: %d booked, %d skipped, %d dead-lettered, %d in progress, %d missing (%d published now)",
		r.InShop, r.Booked, r.Skipped, r.DeadLettered, r.InProgress, r.Missing, r.Republished)
}

// Reconcile compares the shop's orders modified since since with what
// koppel did with them, and publishes the ones koppel never saw (as a poll
// would). It reads the streams, not a second store.
func (p *Poller) Reconcile(ctx context.Context, since time.Time) (Report, error) {
	var rep Report
	var shop []webshop.RawOrder
	pos := position{Since: since.UTC().Truncate(time.Second), Page: 1}
	for pages := 0; ; pages++ {
		if pages > 10000 {
			return rep, fmt.Errorf("poller: reconcile %s: too many pages", p.o.Profile)
		}
		page, err := p.o.Lister.ListModified(ctx, pos.Since, pos.Page)
		if err != nil {
			return rep, fmt.Errorf("poller: reconcile %s: %w", p.o.Profile, err)
		}
		shop = append(shop, page.Orders...)
		if !page.More() || len(page.Orders) == 0 {
			break
		}
		if last := page.Orders[len(page.Orders)-1].Modified; last.After(pos.Since) {
			pos = position{Since: last, Page: 1}
		} else {
			pos.Page++
		}
	}
	steps, err := p.orderSteps(ctx)
	if err != nil {
		return rep, err
	}
	dls, err := pipeline.ListDeadLetters(ctx, p.o.JS, pipeline.DeadLetterFilter{Profile: p.o.Profile})
	if err != nil {
		return rep, err
	}
	dead := map[string]bool{}
	for _, d := range dls {
		dead[d.Header.Get(pipeline.HeaderOrder)] = true
	}
	seen := map[string]bool{}
	var missing []webshop.RawOrder
	for _, o := range shop {
		if seen[o.ID] {
			continue // listed twice across pages of one second
		}
		seen[o.ID] = true
		rep.InShop++
		switch step := steps[o.ID]; {
		case step == pipeline.StepBooked:
			rep.Booked++
		case step == pipeline.StepSkipped:
			rep.Skipped++
		case dead[o.ID]:
			rep.DeadLettered++
		case step != "":
			rep.InProgress++
		default:
			rep.Missing++
			missing = append(missing, o)
			if len(rep.MissingIDs) < 20 {
				rep.MissingIDs = append(rep.MissingIDs, o.ID)
			}
		}
	}
	published, known, err := p.publish(ctx, missing)
	rep.Republished = published + known
	return rep, err
}

// stepRank orders the steps an order passes.
var stepRank = map[string]int{pipeline.StepReceived: 1, pipeline.StepCustomer: 2, pipeline.StepArticles: 3,
	pipeline.StepSkipped: 4, pipeline.StepBooked: 5}

// orderSteps returns, per shop order id of the profile, the furthest step
// it reached in ORDERS, reading message headers only.
func (p *Poller) orderSteps(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	cons, err := p.o.JS.OrderedConsumer(ctx, pipeline.StreamOrders, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{pipeline.SubjectOrderPrefix + "*." + p.o.Profile}, HeadersOnly: true})
	if err != nil {
		return nil, fmt.Errorf("poller: reconcile: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("poller: reconcile: %w", err)
	}
	if info.NumPending == 0 {
		return out, nil
	}
	for empty := 0; ; {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			return nil, fmt.Errorf("poller: reconcile: %w", err)
		}
		n, pending := 0, uint64(1)
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = meta.NumPending
			id := m.Headers().Get(pipeline.HeaderOrder)
			if id == "" {
				continue
			}
			subject := m.Subject()
			step := subject[len(pipeline.SubjectOrderPrefix) : len(subject)-len(p.o.Profile)-1]
			if stepRank[step] > stepRank[out[id]] {
				out[id] = step
			}
		}
		if batch.Error() != nil {
			return nil, fmt.Errorf("poller: reconcile: %w", batch.Error())
		}
		if n > 0 && pending == 0 {
			return out, nil
		}
		if n == 0 {
			if empty++; empty > 100 {
				return nil, fmt.Errorf("poller: reconcile: no messages while %d are pending", info.NumPending)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
