package timeline

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/pipeline"
)

// RecentOrder is one order among the latest the pipeline handled.
type RecentOrder struct {
	Profile     string    `json:"profile"`
	ShopOrderID string    `json:"shop_order_id"`
	Number      string    `json:"number,omitempty"`
	Status      string    `json:"status"` // furthest step, or "dead-lettered"
	Updated     time.Time `json:"updated"`
}

// recentWindow bounds how many of the newest ORDERS messages Recent reads.
const recentWindow = 5000

// Recent returns up to limit of the most recently active orders (of profile,
// or of every profile when it is empty), newest first, with the furthest
// step each reached. It reads only message headers from the newest
// messages of ORDERS.
func Recent(ctx context.Context, js jetstream.JetStream, profile string, limit int) ([]RecentOrder, error) {
	st, err := js.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	last := info.State.LastSeq
	if last == 0 {
		return nil, nil
	}
	start := uint64(1)
	if last > recentWindow {
		start = last - recentWindow + 1
	}
	subject := pipeline.SubjectOrderPrefix + "*.*"
	if profile != "" {
		subject = pipeline.SubjectOrderPrefix + "*." + profile
	}
	cons, err := js.OrderedConsumer(ctx, pipeline.StreamOrders, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, HeadersOnly: true,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: start})
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	type key struct{ profile, order string }
	orders := map[key]*RecentOrder{}
	empty := 0
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		n := 0
		var pending uint64 = 1
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			pending = meta.NumPending
			h := m.Headers()
			id := h.Get(pipeline.HeaderOrder)
			if id == "" {
				continue // raw deliveries carry no order id
			}
			k := key{pipeline.ProfileFromSubject(m.Subject()), id}
			o := orders[k]
			if o == nil {
				o = &RecentOrder{Profile: k.profile, ShopOrderID: id}
				orders[k] = o
			}
			if num := h.Get(pipeline.HeaderOrderNumber); num != "" {
				o.Number = num
			}
			if step := stepOf(m.Subject()); stepRank[step] > stepRank[o.Status] {
				o.Status = step
			}
			if meta.Timestamp.After(o.Updated) {
				o.Updated = meta.Timestamp
			}
		}
		if batch.Error() != nil {
			return nil, fmt.Errorf("timeline: %w", batch.Error())
		}
		if n > 0 && pending == 0 {
			break
		}
		if n == 0 {
			if empty++; empty > 50 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	dls, err := pipeline.ListDeadLetters(ctx, js, pipeline.DeadLetterFilter{Profile: profile})
	if err != nil {
		return nil, err
	}
	for _, d := range dls {
		if o := orders[key{d.Profile, d.Header.Get(pipeline.HeaderOrder)}]; o != nil && o.Status != pipeline.StepBooked {
			o.Status = "dead-lettered"
		}
	}
	out := make([]RecentOrder, 0, len(orders))
	for _, o := range orders {
		switch o.Status {
		case pipeline.StepBooked:
			o.Status = "booked"
		case pipeline.StepSkipped:
			o.Status = "skipped"
		}
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
