// Package timeline answers "where is order 1234 and why": it reads every
// message of one shop order from the ORDERS and DLQ streams (and the audit
// trail of replays and discards) and lays them out in order, with what each
// stage decided. It keeps no store of its own, so it cannot drift from what
// the pipeline did.
package timeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
)

// ErrNotFound means no message of the order is in the streams.
var ErrNotFound = errors.New("timeline: order not found")

// Entry is one thing that happened to the order.
type Entry struct {
	Time     time.Time `json:"time"`
	Step     string    `json:"step"` // raw, received, customer, articles, booked, dead-letter, replay, discard
	Subject  string    `json:"subject"`
	Stream   string    `json:"stream"`
	Sequence uint64    `json:"seq"`
	Attempts uint64    `json:"attempts,omitempty"` // deliveries the stage needed
	Source   string    `json:"source,omitempty"`   // webhook or poll (raw)
	Summary  string    `json:"summary"`
	Error    string    `json:"error,omitempty"`
}

// Timeline is an order's history, oldest first.
type Timeline struct {
	Profile     string `json:"profile"`
	ShopOrderID string `json:"shop_order_id"`
	Number      string `json:"number,omitempty"`
	// Status is the furthest step reached (raw, received, customer,
	// articles), or one of the Status constants: booked, attention (booked,
	// and a person should look), held (held by the booker, not booked),
	// dead-lettered, skipped, unknown.
	Status string `json:"status"`
	// Attention is what a person should look at: the booking's remark when
	// Status is attention, why the booker held the order when it is held.
	Attention string  `json:"attention,omitempty"`
	Entries   []Entry `json:"entries"`
	// VAT is how the newest booking booked the order's VAT; nil until the
	// order is booked.
	VAT *BookingVAT `json:"vat,omitempty"`
	// Latest is the newest canonical event of the order, with what every
	// stage decided so far.
	Latest *koppelv1.OrderEvent `json:"-"`
}

// Build returns the timeline of order (its shop id or its display number)
// in profile.
func Build(ctx context.Context, js jetstream.JetStream, profile, order string) (*Timeline, error) {
	tl := &Timeline{Profile: profile}
	matches := func(h map[string][]string) bool {
		return first(h, pipeline.HeaderOrder) == order || first(h, pipeline.HeaderOrderNumber) == order
	}
	// Dead letters and the audit trail are read before ORDERS: the pipeline
	// writes a message to ORDERS before it can be dead-lettered, so this
	// order never shows a dead letter without the step it came from.
	dlqSeqs, err := scan(ctx, js, pipeline.StreamDLQ, pipeline.SubjectDLQPrefix+"*."+profile, matches)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, err
	}
	audits, err := pipeline.AuditFor(ctx, js, profile, nil) // filtered below, once the order's id and number are known
	if err != nil {
		return nil, err
	}
	orderSeqs, err := scan(ctx, js, pipeline.StreamOrders, pipeline.SubjectOrderPrefix+"*."+profile, matches)
	if err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	rawSeqs := map[uint64]bool{}
	replayed := map[uint64]int{}  // ORDERS sequence of a replayed copy → its entry
	var booking *koppelv1.Booking // the newest booking recorded
	for _, seq := range orderSeqs {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			return nil, fmt.Errorf("timeline: read ORDERS %d: %w", seq, err)
		}
		e, ev := eventEntry(m)
		if of := m.Header.Get(pipeline.HeaderReplayOf); of != "" {
			e.Step = "replay"
			e.Summary = "dead letter " + of + " replayed to " + stepOf(m.Subject) + "; " + e.Summary
			replayed[m.Sequence] = len(tl.Entries)
		}
		if ev != nil {
			o := ev.GetOrder()
			tl.ShopOrderID, tl.Number = o.GetShopOrderId(), o.GetNumber()
			tl.Latest = ev
			if b := ev.GetBooking(); b != nil {
				booking = b
			}
			if rs := ev.GetRawSequence(); rs != 0 {
				rawSeqs[rs] = true
			}
		}
		tl.Entries = append(tl.Entries, e)
	}
	for seq := range rawSeqs {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // aged out of the stream
		}
		if err != nil {
			return nil, fmt.Errorf("timeline: read ORDERS %d: %w", seq, err)
		}
		tl.Entries = append(tl.Entries, Entry{Time: m.Time, Step: pipeline.StepRaw, Subject: m.Subject, Stream: pipeline.StreamOrders,
			Sequence: m.Sequence, Source: m.Header.Get(pipeline.HeaderSource),
			Summary: fmt.Sprintf("delivery stored (%d bytes, %s)", len(m.Data), orDash(m.Header.Get(pipeline.HeaderSource)))})
	}

	var newest *pipeline.DeadLetter // the newest waiting dead letter
	for _, seq := range dlqSeqs {
		dl, err := pipeline.GetDeadLetter(ctx, js, seq)
		if err != nil {
			continue // replayed or discarded between scan and read
		}
		summary := fmt.Sprintf("%s gave up after %d deliveries; waiting for a person (koppel dlq show %d)", dl.Stage, dl.Deliveries, dl.Sequence)
		if _, held := Held(dl.Error); held {
			summary = fmt.Sprintf("needs attention: held by the %s, not booked; waiting for a person (koppel dlq show %d)", dl.Stage, dl.Sequence)
		}
		tl.Entries = append(tl.Entries, Entry{Time: dl.Time, Step: "dead-letter", Subject: dl.Subject, Stream: pipeline.StreamDLQ,
			Sequence: dl.Sequence, Attempts: dl.Deliveries, Error: dl.Error, Summary: summary})
		if newest == nil || !dl.Time.Before(newest.Time) {
			newest = dl
		}
	}
	for _, a := range audits {
		if a.Order != order && a.Order != tl.ShopOrderID && (tl.Number == "" || a.Order != tl.Number) {
			continue
		}
		if i, ok := replayed[a.NewSequence]; ok && a.Action == "replay" {
			tl.Entries[i].Summary += fmt.Sprintf(" (by %s: %s)", orDash(a.Actor), orDash(a.Reason))
			continue
		}
		tl.Entries = append(tl.Entries, Entry{Time: a.Time, Step: a.Action, Stream: pipeline.StreamAudit, Sequence: a.Sequence,
			Summary: fmt.Sprintf("%s of dead letter %d by %s: %s", a.Action, a.DeadLetter, orDash(a.Actor), orDash(a.Reason))})
	}
	if len(tl.Entries) == 0 {
		return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, order, profile)
	}
	if tl.ShopOrderID == "" {
		tl.ShopOrderID = order
	}
	sort.SliceStable(tl.Entries, func(i, j int) bool { return tl.Entries[i].Time.Before(tl.Entries[j].Time) })
	tl.Status = status(tl.Entries)
	switch {
	case tl.Status == StatusBooked:
		tl.VAT = VATOf(booking)
		if a := strings.TrimSpace(booking.GetAttention()); a != "" {
			tl.Status, tl.Attention = StatusAttention, a
		}
	case tl.Status == StatusDeadLettered && newest != nil:
		if reason, held := Held(newest.Error); held {
			tl.Status, tl.Attention = StatusHeld, reason
		}
	}
	return tl, nil
}

// stepRank orders the pipeline's steps.
var stepRank = map[string]int{pipeline.StepRaw: 1, pipeline.StepReceived: 2, pipeline.StepCustomer: 3, pipeline.StepArticles: 4,
	pipeline.StepSkipped: 5, pipeline.StepBooked: 6}

func status(entries []Entry) string {
	best, deadLetters := "", 0
	for _, e := range entries {
		switch e.Step {
		case "dead-letter":
			deadLetters++
		case "replay", "discard":
		default:
			if stepRank[e.Step] > stepRank[best] {
				best = e.Step
			}
		}
	}
	if best == pipeline.StepBooked {
		return StatusBooked
	}
	if best == pipeline.StepSkipped {
		return StatusSkipped
	}
	if deadLetters > 0 {
		return StatusDeadLettered
	}
	if best == "" {
		return StatusUnknown
	}
	return best
}

func eventEntry(m *jetstream.RawStreamMsg) (Entry, *koppelv1.OrderEvent) {
	step := stepOf(m.Subject)
	e := Entry{Time: m.Time, Step: step, Subject: m.Subject, Stream: pipeline.StreamOrders, Sequence: m.Sequence,
		Source: m.Header.Get(pipeline.HeaderSource)}
	e.Attempts, _ = strconv.ParseUint(m.Header.Get(pipeline.HeaderAttempts), 10, 64)
	ev := &koppelv1.OrderEvent{}
	if err := proto.Unmarshal(m.Data, ev); err != nil || ev.GetOrder() == nil {
		e.Summary = "unreadable event"
		return e, nil
	}
	e.Summary = summarize(step, ev)
	if r := m.Header.Get("Koppel-Skip-Reason"); r != "" {
		e.Summary = "not booked: " + r
	}
	return e, ev
}

func summarize(step string, ev *koppelv1.OrderEvent) string {
	o := ev.GetOrder()
	switch step {
	case pipeline.StepReceived:
		s := fmt.Sprintf("normalized: %s order %s, status %s, %d line(s), total %s %s", o.GetPlatform(), o.GetNumber(),
			o.GetStatus(), len(o.GetLines()), o.GetCurrency(), o.GetTotals().GetTotalIncl())
		if tc := o.GetTotalCheck(); tc != nil && !tc.GetOk() {
			s += fmt.Sprintf("; totals differ by %s (lines %s, shop %s)", tc.GetDifference(), tc.GetComputedIncl(), tc.GetReportedIncl())
		}
		return s
	case pipeline.StepCustomer:
		c := ev.GetCustomer()
		how := "matched by " + orDash(c.GetMatchedBy())
		if c.GetCreated() {
			how = "created"
		} else if c.GetUpdated() {
			how += ", updated"
		}
		return fmt.Sprintf("relatie %d (%s), %s", c.GetRelatiecode(), c.GetRelatieId(), how)
	case pipeline.StepArticles:
		var parts []string
		for _, a := range ev.GetArticles() {
			p := a.GetArtikelcode()
			switch {
			case a.GetCreated() && a.GetBtwSoort() != "":
				p += " (created, btw " + strings.ToLower(a.GetBtwSoort()) + ")" // the omzetgroep's btw-soort
			case a.GetCreated():
				p += " (created)"
			case a.GetRateArticle():
				p += " (rate article)"
			}
			parts = append(parts, p)
		}
		return fmt.Sprintf("%d artikel(en): %s", len(parts), strings.Join(parts, ", "))
	case pipeline.StepBooked:
		b := ev.GetBooking()
		how := "created"
		switch {
		case b.GetOutcome() == "recovered":
			how = "found after a lost answer"
		case b.GetOutcome() == "reused":
			how = "booked earlier; this revision recorded"
		case b.GetLinked() || b.GetOutcome() == "linked":
			how = "linked to an existing order"
		}
		s := fmt.Sprintf("verkooporder %d (%s) %s, total %s incl. VAT", b.GetNummer(), b.GetVerkooporderId(), how, b.GetTotaalInclusiefBtw())
		if r := b.GetRegime(); r != "" {
			s += ", " + RegimeLabel(r)
		}
		if d := nonZero(b.GetDifference()); d != "" {
			s += ", differs from the shop by " + d
		}
		if c := nonZero(b.GetCorrection()); c != "" {
			s += ", correction line " + c
		}
		if a := strings.TrimSpace(b.GetAttention()); a != "" {
			s += "; needs attention: " + a
		}
		return s
	}
	return step
}

func stepOf(subject string) string {
	rest := strings.TrimPrefix(subject, pipeline.SubjectOrderPrefix)
	if i := strings.IndexByte(rest, '.'); i > 0 {
		return rest[:i]
	}
	return rest
}

// scan returns the sequences of the messages on subject in stream whose
// headers match, reading headers only.
func scan(ctx context.Context, js jetstream.JetStream, stream, subject string, match func(map[string][]string) bool) ([]uint64, error) {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, HeadersOnly: true, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, fmt.Errorf("timeline: scan %s: %w", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("timeline: scan %s: %w", stream, err)
	}
	if info.NumPending == 0 {
		return nil, nil
	}
	var seqs []uint64
	empty := 0
	for {
		// FetchNoWait returns what the server has at once; a plain Fetch
		// would wait for a full batch.
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			return nil, fmt.Errorf("timeline: scan %s: %w", stream, err)
		}
		var last *jetstream.MsgMetadata
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			last = meta
			if match(m.Headers()) {
				seqs = append(seqs, meta.Sequence.Stream)
			}
		}
		if batch.Error() != nil {
			return nil, fmt.Errorf("timeline: scan %s: %w", stream, batch.Error())
		}
		if last != nil && last.NumPending == 0 {
			return seqs, nil
		}
		if last == nil {
			if empty++; empty > 50 {
				return nil, fmt.Errorf("timeline: scan %s: no messages while %d are pending", stream, info.NumPending)
			}
			time.Sleep(10 * time.Millisecond)
		} else {
			empty = 0
		}
	}
}

func first(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
