package timeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
)

// RecentOrder is one order among the latest the pipeline handled.
type RecentOrder struct {
	Profile     string `json:"profile"`
	ShopOrderID string `json:"shop_order_id"`
	Number      string `json:"number,omitempty"`
	// Status is as [Timeline.Status]: the furthest step, booked,
	// attention, held, dead-lettered or skipped.
	Status string `json:"status"`
	// Attention is what a person should look at, for the statuses
	// attention and held.
	Attention string    `json:"attention,omitempty"`
	Updated   time.Time `json:"updated"`
}

// RecentFilter selects recent orders.
type RecentFilter struct {
	Profile   string // only this profile's; "" for every profile
	Limit     int    // at most this many, newest first; 0 for no limit
	Attention bool   // only orders that need attention (booked with a remark, or held)
}

// recentWindow bounds how many of the newest ORDERS messages Recent reads.
const recentWindow = 5000

// Recent returns up to limit of the most recently active orders (of profile,
// or of every profile when it is empty), newest first, with the furthest
// step each reached. It is [RecentMatching] without the attention filter.
func Recent(ctx context.Context, js jetstream.JetStream, profile string, limit int) ([]RecentOrder, error) {
	return RecentMatching(ctx, js, RecentFilter{Profile: profile, Limit: limit})
}

// RecentMatching returns the most recently active orders f selects,
// newest first, with the state each reached. It reads the message headers
// of the newest messages of ORDERS, the dead letters (a held order is one
// whose dead letter's error starts with "needs attention:"), and the
// booking of each booked order it returns (with f.Attention, of each
// booked order until it has f.Limit), whose remark makes it "attention".
func RecentMatching(ctx context.Context, js jetstream.JetStream, f RecentFilter) ([]RecentOrder, error) {
	profile := f.Profile
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
	bookedAt := map[key]uint64{} // ORDERS sequence of the newest booked event
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
			step := stepOf(m.Subject())
			if stepRank[step] > stepRank[o.Status] {
				o.Status = step
			}
			if step == pipeline.StepBooked {
				bookedAt[k] = meta.Sequence.Stream
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
	for _, d := range dls { // oldest first: the newest dead letter decides
		o := orders[key{d.Profile, d.Header.Get(pipeline.HeaderOrder)}]
		if o == nil || o.Status == pipeline.StepBooked {
			continue
		}
		o.Status, o.Attention = StatusDeadLettered, ""
		if reason, held := Held(d.Error); held {
			o.Status, o.Attention = StatusHeld, reason
		}
	}
	all := make([]*RecentOrder, 0, len(orders))
	for _, o := range orders {
		switch o.Status {
		case pipeline.StepBooked:
			o.Status = StatusBooked
		case pipeline.StepSkipped:
			o.Status = StatusSkipped
		}
		all = append(all, o)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Updated.After(all[j].Updated) })
	out := make([]RecentOrder, 0, min(len(all), max(f.Limit, 0)))
	for _, o := range all {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		if o.Status == StatusBooked {
			a, err := bookingAttention(ctx, st, bookedAt[key{o.Profile, o.ShopOrderID}])
			if err != nil {
				return nil, err
			}
			if a != "" {
				o.Status, o.Attention = StatusAttention, a
			}
		}
		if f.Attention && !NeedsAttention(o.Status) {
			continue
		}
		out = append(out, *o)
	}
	return out, nil
}

// bookingAttention returns the remark of the booking in the booked event
// at seq: "" when there is none, or the event aged out of the stream or
// cannot be read.
func bookingAttention(ctx context.Context, st jetstream.Stream, seq uint64) (string, error) {
	if seq == 0 {
		return "", nil
	}
	m, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("timeline: read ORDERS %d: %w", seq, err)
	}
	ev := &koppelv1.OrderEvent{}
	if proto.Unmarshal(m.Data, ev) != nil {
		return "", nil
	}
	return strings.TrimSpace(ev.GetBooking().GetAttention()), nil
}
