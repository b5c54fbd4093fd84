package booker

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// StageName is the stage's name in its durable consumer (koppel-booker),
// its DLQ subjects (koppel.dlq.booker.<profile>) and its Nats-Msg-Ids.
const StageName = "booker"

// EffectKind is the kind of the stage's ledger keys:
// effect:<profile>:verkooporder:<shop order id>.
const EffectKind = "verkooporder"

// ErrSkipped is returned by [Booker.Book] for an order whose shop status
// the profile does not import (and that was not booked before). The stage
// acks such a message and publishes nothing.
var ErrSkipped = errors.New("booker: shop status not imported")

// Defaults of [Options].
const (
	DefaultLease       = 2 * time.Minute
	DefaultLookupDelay = time.Second
	DefaultRefresh     = time.Hour
)

// Options configure a [Booker].
type Options struct {
	// Profiles are the settings of every profile the booker books for, by
	// profile id; see [SettingsFor].
	Profiles map[string]Settings
	// Clients returns the SnelStart client of a profile's administration.
	// It is called for every order: return a client made once.
	Clients func(profile string) (*snelstart.Client, error)
	// Store is the effect ledger. Every booker instance of a deployment
	// must use the same one.
	Store idempotency.Store
	// Owner names this instance in ledger claims, e.g. host and pid;
	// default the host name and process id. Each attempt claims as
	// Owner plus a random suffix.
	Owner string
	// Lease is how long a claim stays ours: the longest time from claiming
	// an order to the end of its POST, plus SnelStart's slack. A POST is
	// cut off before the lease runs out; an attempt that finds a claim
	// whose lease ran out searches SnelStart before it writes. Default
	// [DefaultLease]; the stage's AckWait must be shorter.
	Lease time.Duration
	// LookupDelay is the pause between a POST whose outcome is unknown and
	// the search for the order it may have made. Default
	// [DefaultLookupDelay].
	LookupDelay time.Duration
	// Refresh is how long templates, countries, company settings and
	// charge articles read from SnelStart are reused. Default
	// [DefaultRefresh].
	Refresh time.Duration
	// Location is the administration's time zone, in which the order date
	// is given; default Europe/Amsterdam.
	Location *time.Location
	// Logger receives one line per booking, with ids only. Default:
	// discard.
	Logger *slog.Logger
	// Meter makes the booker's metrics; default none.
	Meter metric.Meter
	// Now is the clock for booked_at; default time.Now.
	Now func() time.Time
}

// A Booker books order events as SnelStart verkooporders, exactly once per
// shop order, following ARCHITECTURE.md §5:
//
//  1. A shop order that has a done ledger key was booked: its booking is
//     recorded on the event again and nothing is written.
//  2. An order whose shop status the profile does not import is skipped.
//  3. The attempt claims effect:<profile>:verkooporder:<shop order id>
//     with a lease. A live claim of another attempt is waited for; an
//     expired one means an earlier POST's outcome is unknown.
//  4. When an earlier outcome is unknown, or the profile checks
//     duplicates, SnelStart is searched by betalingskenmerk (re-checked
//     locally) for the order before anything is written.
//  5. The order is POSTed once. After the 201 its id, nummer and totals are
//     recorded under the key for good. A POST whose outcome is unknown is
//     never repeated: the booker searches for it after LookupDelay, and if
//     it is not found yet, keeps the claim so that the next attempt, after
//     the lease, searches again before it writes.
//
// A Booker is safe for concurrent use.
type Booker struct {
	settings    map[string]Settings
	clients     func(string) (*snelstart.Client, error)
	store       idempotency.Store
	owner       string
	lease       time.Duration
	lookupDelay time.Duration
	loc         *time.Location
	log         *slog.Logger
	now         func() time.Time
	metrics     *instruments
	refs        map[string]*refs // by profile
}

// New returns a Booker for o. It makes no call.
func New(o Options) (*Booker, error) {
	if o.Store == nil || o.Clients == nil {
		return nil, errors.New("booker: Options need a Store and Clients")
	}
	if len(o.Profiles) == 0 {
		return nil, errors.New("booker: Options need at least one profile")
	}
	b := &Booker{
		settings:    make(map[string]Settings, len(o.Profiles)),
		clients:     o.Clients,
		store:       o.Store,
		owner:       o.Owner,
		lease:       cmp.Or(o.Lease, DefaultLease),
		lookupDelay: cmp.Or(o.LookupDelay, DefaultLookupDelay),
		loc:         o.Location,
		log:         o.Logger,
		now:         o.Now,
		refs:        make(map[string]*refs, len(o.Profiles)),
	}
	var errs []error
	for id, s := range o.Profiles {
		s.Profile = cmp.Or(s.Profile, id)
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		b.settings[id] = s.withDefaults()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if b.owner == "" {
		host, _ := os.Hostname()
		b.owner = fmt.Sprintf("%s:%d", cmp.Or(host, "booker"), os.Getpid())
	}
	if b.loc == nil {
		b.loc = snelstart.Amsterdam()
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	var err error
	if b.metrics, err = newInstruments(o.Meter); err != nil {
		return nil, fmt.Errorf("booker: metrics: %w", err)
	}
	refresh := cmp.Or(o.Refresh, DefaultRefresh)
	for id := range b.settings {
		b.refs[id] = newRefs(refresh, b.now)
	}
	return b, nil
}

// Stage returns the booker stage, reading koppel.order.articles.* and
// publishing koppel.order.booked.<profile>, ready to Run. It fails when o
// is incomplete, or when the stage's AckWait (which bounds each attempt) is
// not shorter than the lease.
func Stage(o Options, st pipeline.Stage) (*pipeline.Stage, error) {
	b, err := New(o)
	if err != nil {
		return nil, err
	}
	if ack := cmp.Or(st.AckWait, 30*time.Second); ack >= b.lease {
		return nil, fmt.Errorf("booker: the stage's AckWait (%s) must be shorter than the lease (%s)", ack, b.lease)
	}
	st.Name = StageName
	st.Filter = pipeline.OrderFilter(pipeline.StepArticles)
	st.Handler = b.Handler()
	return &st, nil
}

// Handler returns the pipeline handler: it books each order event with
// [Booker.Book] and publishes it, with its Booking, to
// koppel.order.booked.<profile> under the Nats-Msg-Id
// <profile>:<shop order id>:<revision>:booker. A skipped order is acked
// without output.
func (b *Booker) Handler() pipeline.Handler {
	inner := orderstage.Handler(StageName, pipeline.StepBooked, b.Book)
	return func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
		out, err := inner(ctx, m)
		if errors.Is(err, ErrSkipped) {
			return nil, nil
		}
		return out, err
	}
}

// ledgerResult is what the ledger keeps for a booked order, enough to
// record the booking again without asking SnelStart.
type ledgerResult struct {
	ID       snelstart.ID `json:"id"`
	Nummer   int          `json:"nummer,omitempty"`
	Excl     string       `json:"totaal_exclusief_btw,omitempty"`
	Incl     string       `json:"totaal_inclusief_btw,omitempty"`
	Linked   bool         `json:"linked,omitempty"`
	BookedAt time.Time    `json:"booked_at"`
}

// Book books the order of ev as a verkooporder, once, and sets ev.Booking.
// It returns [ErrSkipped] for an order whose status the profile does not
// import, an error wrapping [pipeline.ErrPermanent] for what no retry can
// fix (an unconfigured profile, a currency it cannot book, an order
// SnelStart refuses), and any other error for a failure that a later
// attempt may get past. An attempt that fails after a POST whose outcome is
// unknown leaves its claim to run out: the next attempt searches SnelStart
// before it writes.
func (b *Booker) Book(ctx context.Context, ev *koppelv1.OrderEvent) error {
	start := time.Now()
	o := ev.GetOrder()
	s, ok := b.settings[o.GetProfile()]
	if !ok {
		return pipeline.Permanent(fmt.Errorf("booker: profile %q is not configured", o.GetProfile()))
	}
	if o.GetShopOrderId() == "" {
		return pipeline.Permanent(errors.New("booker: order has no shop order id"))
	}
	log := b.log.With("profile", s.Profile, "shop_order_id", o.GetShopOrderId(), "revision", o.GetRevision())
	outcome, err := b.book(ctx, &s, ev, log)
	if err != nil {
		if errors.Is(err, ErrSkipped) {
			b.metrics.outcome(ctx, s.Profile, outcomeSkipped, start)
			log.InfoContext(ctx, "order skipped: shop status not imported", "status", o.GetStatus())
			return err
		}
		b.metrics.outcome(ctx, s.Profile, outcomeFailed, start)
		return err
	}
	b.metrics.outcome(ctx, s.Profile, outcome, start)
	bk := ev.GetBooking()
	if bk != nil {
		bk.Outcome = outcome
	}
	log.InfoContext(ctx, "order booked", "outcome", outcome, "verkooporder_id", bk.GetVerkooporderId(),
		"nummer", bk.GetNummer(), "difference", bk.GetDifference())
	return nil
}

// book does Book's work and returns the outcome.
func (b *Booker) book(ctx context.Context, s *Settings, ev *koppelv1.OrderEvent, log *slog.Logger) (string, error) {
	o := ev.GetOrder()
	key := idempotency.EffectKey(s.Profile, EffectKind, o.GetShopOrderId())

	// 1. Booked before: record it again, write nothing.
	rec, err := b.store.Get(ctx, key)
	switch {
	case err == nil && rec.State == idempotency.StateDone:
		return outcomeReused, b.record(ctx, s, ev, rec.Result, log)
	case err != nil && !errors.Is(err, idempotency.ErrNotFound):
		return "", fmt.Errorf("booker: read ledger: %w", err)
	}

	// 2. Shop statuses the profile does not import.
	if !s.imports(o.GetStatus()) {
		return "", ErrSkipped
	}

	// What no attempt can get past fails before anything is claimed.
	fx, _, err := currency(s, o)
	if err != nil {
		return "", pipeline.Permanent(err)
	}
	relatie := snelstart.ID(ev.GetCustomer().GetRelatieId())
	if relatie == "" {
		return "", pipeline.Permanent(errors.New("booker: the event has no relatie: the customers stage did not resolve the customer"))
	}
	client, err := b.clients(s.Profile)
	if err != nil {
		return "", pipeline.Permanent(fmt.Errorf("booker: snelstart client for profile %s: %w", s.Profile, err))
	}

	// 3. Claim the effect.
	owner := b.owner + "/" + nonce()
	claim, err := b.claim(ctx, key, owner)
	if err != nil {
		return "", err
	}
	if claim.Outcome == idempotency.Done {
		return outcomeReused, b.record(ctx, s, ev, claim.Result, log)
	}
	unknown := claim.Outcome == idempotency.TookOver
	if unknown {
		log.WarnContext(ctx, "earlier attempt's lease ran out; searching SnelStart before writing")
	}
	// release gives the claim back when nothing was written, so that the
	// next attempt need not wait for the lease. After an unknown outcome
	// it must not: the next attempt has to search first.
	release := func() {
		if unknown {
			return
		}
		if err := b.store.Release(context.WithoutCancel(ctx), key, owner); err != nil {
			log.WarnContext(ctx, "release claim", "err", err)
		}
	}
	// Writes end before the lease does: past it, another attempt may take
	// over and must find whatever we wrote.
	wctx, cancel := context.WithDeadline(ctx, claim.Until.Add(-b.lease/10))
	defer cancel()

	bk := betalingskenmerk(s, o)
	tag := memoTag(s.Profile, o.GetShopOrderId())

	// 4. Look before writing. After an unknown outcome the search is by
	// betalingskenmerk alone; a duplicate check that reuse_last_template
	// will list the customer's orders for anyway is made on that list.
	var history []snelstart.VerkoopOrder // the customer's orders, when read
	if unknown || s.CheckDuplicateReference {
		var found *snelstart.VerkoopOrder
		var linked bool
		if !unknown && bk != "" && s.ReuseLastTemplate && !ev.GetCustomer().GetCreated() {
			history, err = client.ListVerkoopOrders(wctx, snelstart.Eq("Relatie/Id", relatie))
			if history == nil {
				history = []snelstart.VerkoopOrder{}
			}
			if err == nil {
				found, linked = b.match(wctx, history, s, bk, tag, relatie, log)
			}
		} else {
			found, linked, err = b.lookup(wctx, client, s, bk, tag, relatie, log)
		}
		if err != nil {
			release()
			return "", fmt.Errorf("booker: search verkooporders before writing: %w", err)
		}
		if found != nil {
			outcome := outcomeRecovered
			if linked {
				outcome = outcomeLinked
			}
			return outcome, b.complete(ctx, s, ev, key, owner, found, linked, nil, log)
		}
		unknown = false // the search shows that no earlier write landed
	}

	vo, p, err := b.prepare(wctx, client, s, ev, fx, history)
	if err != nil {
		release()
		return "", err
	}

	// 5. Write once.
	created, err := client.CreateVerkoopOrder(wctx, vo)
	if err == nil {
		return outcomeCreated, b.complete(ctx, s, ev, key, owner, created, false, p, log)
	}
	if !errors.Is(err, snelstart.ErrNotApplied) {
		// ErrOutcomeUnknown, or anything else that does not say the write
		// certainly did not happen.
		unknown = true
		b.metrics.unknown.Add(ctx, 1, metric.WithAttributes(attribute.String("profile", s.Profile)))
		log.WarnContext(ctx, "verkooporder outcome unknown; searching for it", "err", err)
		if found := b.lookAgain(wctx, client, s, bk, tag, relatie, log); found != nil {
			return outcomeRecovered, b.complete(ctx, s, ev, key, owner, found, false, p, log)
		}
		return "", fmt.Errorf("booker: create verkooporder: %w (not found yet; the next attempt searches again once the claim's lease has run out)", err)
	}
	release()
	if snelstart.IsPermanent(err) {
		return "", pipeline.Permanent(fmt.Errorf("booker: SnelStart refused the verkooporder: %w", err))
	}
	return "", fmt.Errorf("booker: create verkooporder: %w", err)
}

// claim claims key for owner. It waits while another attempt holds a live
// claim, until that attempt finishes or its lease runs out, or until ctx
// has too little time left, in which case it fails (transiently).
func (b *Booker) claim(ctx context.Context, key, owner string) (idempotency.Claim, error) {
	const poll = 100 * time.Millisecond
	// Keep a third of the time ctx allows for the work after the claim.
	var reserve time.Duration
	if d, ok := ctx.Deadline(); ok {
		reserve = time.Until(d) / 3
	}
	for {
		c, err := b.store.Claim(ctx, key, owner, b.lease)
		if err != nil {
			return c, fmt.Errorf("booker: claim: %w", err)
		}
		if c.Outcome != idempotency.Busy {
			return c, nil
		}
		wait := min(poll, max(time.Until(c.Until), time.Millisecond))
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait+reserve {
			return c, pipeline.Later(fmt.Errorf("booker: order is being booked by another attempt (claim held until %s)",
				c.Until.UTC().Format(time.RFC3339)), time.Until(c.Until))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c, ctx.Err()
		case <-t.C:
		}
	}
}

// lookup searches SnelStart for a verkooporder that already books the
// shop order: one with koppel's memo tag for it (an earlier write of ours
// whose answer was lost), or, when the profile checks duplicates, one of
// the same relatie with the same betalingskenmerk that no other koppel
// order claims. linked reports the latter. Every returned order is
// re-checked here, whatever filter SnelStart applied.
func (b *Booker) lookup(ctx context.Context, c *snelstart.Client, s *Settings, bk, tag string, relatie snelstart.ID, log *slog.Logger) (found *snelstart.VerkoopOrder, linked bool, err error) {
	f := snelstart.Eq("Betalingskenmerk", bk)
	if bk == "" {
		f = snelstart.And(snelstart.Eq("Relatie/Id", relatie), snelstart.Eq("Memo", tag))
	}
	orders, err := c.ListVerkoopOrders(ctx, f)
	if err != nil {
		return nil, false, err
	}
	found, linked = b.match(ctx, orders, s, bk, tag, relatie, log)
	return found, linked, nil
}

// match picks from orders the one that books the shop order, as lookup
// describes.
func (b *Booker) match(ctx context.Context, orders []snelstart.VerkoopOrder, s *Settings, bk, tag string, relatie snelstart.ID, log *slog.Logger) (found *snelstart.VerkoopOrder, linked bool) {
	var ours, same []snelstart.VerkoopOrder
	for _, o := range orders {
		if bk != "" && !strings.EqualFold(strings.TrimSpace(o.Betalingskenmerk), bk) {
			continue
		}
		switch {
		case o.Memo == tag:
			ours = append(ours, o)
		case s.CheckDuplicateReference && bk != "" && !strings.HasPrefix(o.Memo, memoPrefix):
			if o.Relatie != nil && o.Relatie.ID.Equal(relatie) {
				same = append(same, o)
			} else {
				log.WarnContext(ctx, "betalingskenmerk is in use by an order of another relatie; not linking", "verkooporder_id", o.ID)
			}
		}
	}
	attrs := func(found bool) metric.MeasurementOption {
		return metric.WithAttributes(attribute.String("profile", s.Profile), attribute.Bool("found", found))
	}
	if len(ours) > 1 {
		ids := make([]string, len(ours))
		for i, o := range ours {
			ids[i] = string(o.ID)
		}
		log.ErrorContext(ctx, "more than one verkooporder carries this order's tag; linking the first", "verkooporder_ids", ids)
	}
	for _, set := range [][]snelstart.VerkoopOrder{ours, same} {
		if len(set) == 0 {
			continue
		}
		first := slices.MinFunc(set, func(a, b snelstart.VerkoopOrder) int { return cmp.Compare(deref(a.Nummer), deref(b.Nummer)) })
		b.metrics.lookups.Add(ctx, 1, attrs(true))
		return &first, len(ours) == 0
	}
	b.metrics.lookups.Add(ctx, 1, attrs(false))
	return nil, false
}

// lookAgain searches for the order of a POST whose outcome is unknown,
// after LookupDelay: a lost answer is found at once. It returns nil when
// the order is not found or the search fails.
func (b *Booker) lookAgain(ctx context.Context, c *snelstart.Client, s *Settings, bk, tag string, relatie snelstart.ID, log *slog.Logger) *snelstart.VerkoopOrder {
	t := time.NewTimer(b.lookupDelay)
	select {
	case <-ctx.Done():
		t.Stop()
		return nil
	case <-t.C:
	}
	found, linked, err := b.lookup(ctx, c, s, bk, tag, relatie, log)
	if err != nil || linked {
		// A duplicate found now was there before our POST; only our own
		// order settles what the POST did.
		return nil
	}
	return found
}

// complete records the booked order under key and sets ev.Booking. The
// verkooporder exists, so a failure to record it must not lose it: the
// record is retried briefly, and if it still fails the attempt fails
// without releasing its claim, so the next attempt finds the order by its
// tag after the lease.
func (b *Booker) complete(ctx context.Context, s *Settings, ev *koppelv1.OrderEvent, key, owner string, vo *snelstart.VerkoopOrder, linked bool, p *plan, log *slog.Logger) error {
	res := ledgerResult{ID: vo.ID, Nummer: deref(vo.Nummer), Linked: linked, BookedAt: b.now().UTC()}
	if vo.TotaalExclusiefBtw != nil {
		res.Excl = vo.TotaalExclusiefBtw.String()
	}
	if vo.TotaalInclusiefBtw != nil {
		res.Incl = vo.TotaalInclusiefBtw.String()
	}
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("booker: encode ledger result: %w", err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for pause := 50 * time.Millisecond; ; pause *= 2 {
		err = b.store.Complete(cctx, key, owner, data)
		if err == nil || errors.Is(err, idempotency.ErrNotOwner) || pause > time.Second {
			break
		}
		time.Sleep(pause)
	}
	switch {
	case errors.Is(err, idempotency.ErrNotOwner):
		// Our lease ran out and another attempt took over: it searches
		// SnelStart and finds this order by its tag.
		log.WarnContext(ctx, "claim taken over before the booking was recorded", "verkooporder_id", vo.ID)
	case err != nil:
		return fmt.Errorf("booker: record verkooporder %s: %w", vo.ID, err)
	}
	b.setBooking(ctx, s, ev, res, p, log)
	return nil
}

// record sets ev.Booking from a ledger result of an earlier booking.
func (b *Booker) record(ctx context.Context, s *Settings, ev *koppelv1.OrderEvent, result []byte, log *slog.Logger) error {
	var res ledgerResult
	if err := json.Unmarshal(result, &res); err != nil || res.ID == "" {
		return pipeline.Permanent(fmt.Errorf("booker: ledger result is unreadable: %q", result))
	}
	b.setBooking(ctx, s, ev, res, nil, log)
	return nil
}

// setBooking fills ev.Booking and compares SnelStart's totals with the
// shop's and, for an order koppel just posted (p not nil), with what koppel
// expected under SnelStart's candidate VAT rules: a disagreement is
// counted, logged and marked as needing attention.
func (b *Booker) setBooking(ctx context.Context, s *Settings, ev *koppelv1.OrderEvent, res ledgerResult, p *plan, log *slog.Logger) {
	bk := &koppelv1.Booking{
		VerkooporderId:     string(res.ID),
		Nummer:             int64(res.Nummer),
		Linked:             res.Linked,
		TotaalExclusiefBtw: res.Excl,
		TotaalInclusiefBtw: res.Incl,
		BookedAt:           timestamppb.New(res.BookedAt),
	}
	ev.Booking = bk
	got, err := bookedAmounts(res)
	if err != nil {
		return
	}
	if fx, _, err := currency(s, ev.GetOrder()); err == nil {
		if shop, _, err := shopAmounts(ev.GetOrder(), fx); err == nil {
			bk.Difference = got.incl.Sub(shop.incl).StringFixed(2)
			bk.DifferenceExcl = got.excl.Sub(shop.excl).StringFixed(2)
		}
	}
	if p == nil {
		return
	}
	bk.Regime, bk.Vat, bk.Notes, bk.Attention = string(p.regime), p.check.groups, p.notes, p.attention
	if !p.correction.IsZero() {
		bk.Correction = p.correction.StringFixed(2)
	}
	for _, cand := range []struct {
		rule string
		a    amounts
	}{{"per_rate", totalsOf(p.expect.perRate)}, {"per_line", totalsOf(p.expect.perLine)}} {
		if got.incl.Equal(cand.a.incl) && got.excl.Equal(cand.a.excl) {
			bk.VatRule = cand.rule
			break
		}
	}
	if bk.VatRule == "" || bk.Attention != "" {
		b.metrics.mismatches.Add(ctx, 1, metric.WithAttributes(attribute.String("profile", s.Profile)))
	}
	if bk.VatRule == "" && !res.Linked {
		why := fmt.Sprintf("SnelStart booked %s; koppel expected %s (VAT per rate) or %s (per line)", got, totalsOf(p.expect.perRate), totalsOf(p.expect.perLine))
		bk.Attention = strings.TrimPrefix(bk.Attention+"; "+why, "; ")
		log.WarnContext(ctx, "snelstart totals differ from koppel's expectation", "verkooporder_id", res.ID,
			"snelstart_incl", res.Incl, "snelstart_excl", res.Excl, "difference", bk.Difference)
	}
}

// bookedAmounts returns SnelStart's totals from a ledger result.
func bookedAmounts(res ledgerResult) (amounts, error) {
	incl, err1 := decimal.NewFromString(res.Incl)
	excl, err2 := decimal.NewFromString(res.Excl)
	if err := errors.Join(err1, err2); err != nil {
		return amounts{}, err
	}
	return amounts{excl: excl, incl: incl}, nil
}

// currency returns the factor that turns the order's amounts into euros
// and the shop's total in euros. An order in euros needs no conversion.
// Another currency is converted only when the profile allows it and the
// shop reported its totals in euros as its base currency (Magento base_*);
// otherwise it is an error: an order is never booked as if its amounts were
// euros.
func currency(s *Settings, o *koppelv1.Order) (fx, total decimal.Decimal, err error) {
	cur := strings.ToUpper(strings.TrimSpace(o.GetCurrency()))
	if cur == AdministrationCurrency {
		total, err = parse(o.GetTotals().GetTotalIncl(), "order total")
		return decimal.NewFromInt(1), total, err
	}
	base := strings.ToUpper(strings.TrimSpace(o.GetBaseCurrency()))
	if cur == "" {
		return fx, total, fmt.Errorf("booker: order %s has no currency; SnelStart books euros only", o.GetShopOrderId())
	}
	if !s.ConvertCurrency || base != AdministrationCurrency {
		why := "orders.convert_currency is off"
		if s.ConvertCurrency {
			why = fmt.Sprintf("the shop reports no amounts in EUR (base currency %q)", o.GetBaseCurrency())
		}
		return fx, total, fmt.Errorf("booker: order %s is in %s, the SnelStart administration books EUR, and %s", o.GetShopOrderId(), cur, why)
	}
	shop, err1 := parse(o.GetTotals().GetTotalIncl(), "order total")
	eur, err2 := parse(o.GetBaseTotals().GetTotalIncl(), "base total")
	if err := errors.Join(err1, err2); err != nil {
		return fx, total, fmt.Errorf("booker: order %s: %w", o.GetShopOrderId(), err)
	}
	if shop.IsZero() {
		return decimal.Zero, eur, nil
	}
	return eur.Div(shop), eur, nil
}

// A plan is what koppel expects of a verkooporder it posts: its lines with
// their VAT, SnelStart's totals under each candidate rule, the comparison
// with the shop, and what to record with the booking.
type plan struct {
	regime     vat.Regime
	expect     expectation
	check      totalsCheck
	attention  string
	correction decimal.Decimal
	notes      []string
}

// prepare reads what the order needs from SnelStart (through the profile's
// cache where it can), decides its VAT regime, builds the verkooporder and
// checks its totals against the shop's before anything is written.
func (b *Booker) prepare(ctx context.Context, c *snelstart.Client, s *Settings, ev *koppelv1.OrderEvent, fx decimal.Decimal, history []snelstart.VerkoopOrder) (*snelstart.VerkoopOrder, *plan, error) {
	o := ev.GetOrder()
	r := b.refs[s.Profile]
	ci, err := r.companyInfo(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	facts, err := r.vatFacts(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	p := &plan{}
	in := input{s: s, ev: ev, loc: b.loc, fx: fx, priceDecimals: 2, qtyDecimals: 5, facts: facts, notes: &p.notes,
		article: func(code string) (chargeArtikel, error) { return r.artikel(ctx, c, code) }}
	if ci.AantalDecimalenArtikelprijzen != nil && *ci.AantalDecimalenArtikelprijzen >= 2 {
		in.priceDecimals = int32(*ci.AantalDecimalenArtikelprijzen)
	}
	if ci.AantalDecimalenArtikelaantallen != nil && *ci.AantalDecimalenArtikelaantallen >= 0 {
		in.qtyDecimals = int32(*ci.AantalDecimalenArtikelaantallen)
	}
	in.ingave = entryMode(s, o, ci)
	if err := in.decideRegime(cardVAT(ctx, c, r, snelstart.ID(ev.GetCustomer().GetRelatieId()))); err != nil {
		if errors.Is(err, vat.ErrNoRegime) {
			return nil, nil, pipeline.Permanent(fmt.Errorf("booker: order %s: %w", o.GetShopOrderId(), err))
		}
		return nil, nil, err
	}
	p.regime = in.applied

	if s.Addresses == AddressesShop {
		if in.landen, err = r.landIDs(ctx, c); err != nil {
			return nil, nil, err
		}
	} else {
		if in.relatie, err = c.GetRelatie(ctx, snelstart.ID(ev.GetCustomer().GetRelatieId())); err != nil {
			return nil, nil, fmt.Errorf("booker: read the customer card for its addresses: %w", err)
		}
	}
	if in.template, err = b.templateFor(ctx, c, s, ev, history); err != nil {
		return nil, nil, err
	}
	vo, rs, err := build(in)
	if err != nil {
		if snelstart.IsTemporary(err) || errors.Is(err, context.Canceled) {
			return nil, nil, err // a charge article's lookup failed: later
		}
		return nil, nil, pipeline.Permanent(fmt.Errorf("booker: order %s: %w", o.GetShopOrderId(), err))
	}
	if err := in.checkPlan(vo, rs, ci, p); err != nil {
		return nil, nil, err
	}
	return vo, p, nil
}

// entryMode returns how the order's prices are entered: as the shop
// entered them (Inclusief when its prices include VAT, so that the amount
// the customer paid is the one booked), or, with SnelStart's own prices
// (code_and_quantity), as the article file holds them.
func entryMode(s *Settings, o *koppelv1.Order, ci *snelstart.CompanyInfo) snelstart.BtwIngave {
	if s.Lines == LinesCodeAndQuantity {
		if isTrue(ci.VerkoopprijsArtikelbestandExclusiefBtw) {
			return snelstart.BtwIngaveExclusief
		}
		return snelstart.BtwIngaveInclusief
	}
	if o.GetPricesIncludeTax() {
		return snelstart.BtwIngaveInclusief
	}
	return snelstart.BtwIngaveExclusief
}

// decideRegime sets the regime of what the shop charged and the one
// SnelStart will apply, and refuses an order where they differ: SnelStart
// would book other VAT than the customer paid. The card as the customers
// stage recorded it decides; when it disagrees, the card is read again
// (card), so that an order replayed after a person fixed the card books.
func (in *input) decideRegime(card func() (btwNummer, land string, err error)) error {
	o, cu := in.ev.GetOrder(), in.ev.GetCustomer()
	d, err := vat.Decide(o, in.facts, in.day())
	if err != nil {
		return err
	}
	in.decision, in.applied = d, d.Regime
	btw, land := cu.GetBtwNummer(), cu.GetLand()
	if land == "" {
		return nil // an event from before the customers stage recorded the card
	}
	applied := func() vat.Regime {
		dest := d.Country
		if in.s.Addresses == AddressesCustomer {
			dest = land
		}
		return vat.Applied(btw, land, dest, in.facts)
	}
	if in.applied = applied(); in.applied != d.Regime && card != nil {
		if btw, land, err = card(); err != nil {
			return err
		}
		if in.applied = applied(); in.applied == d.Regime {
			in.note("relatie card read again: it now fits the order's VAT regime")
		}
	}
	if in.applied != d.Regime {
		return &vat.RegimeError{Country: d.Country, Reason: fmt.Sprintf("the shop charged this order as %s (%s), but SnelStart would book it as %s from the relatie card (country %s, btw-nummer %t): correct the card or the order, then replay",
			d.Regime, d.Why, in.applied, land, btw != "")}
	}
	return nil
}

// cardVAT returns a function that reads the relatie's btwNummer and
// vestigingsadres country (alpha-2) from SnelStart.
func cardVAT(ctx context.Context, c *snelstart.Client, r *refs, id snelstart.ID) func() (string, string, error) {
	return func() (string, string, error) {
		rel, err := c.GetRelatie(ctx, id)
		if err != nil {
			return "", "", fmt.Errorf("booker: read the relatie card for its VAT number: %w", err)
		}
		land := ""
		if a := rel.VestigingsAdres; a != nil && a.Land != nil {
			codes, err := r.landIDs(ctx, c)
			if err != nil {
				return "", "", err
			}
			for code, lid := range codes {
				if lid.Equal(a.Land.ID) {
					land = code
				}
			}
		}
		return rel.BtwNummer, land, nil
	}
}

// checkPlan computes what SnelStart will make of the lines, compares it with
// the shop's totals, adds a correction line when the profile asks for one
// and the difference allows it, and decides under
// orders.on_total_mismatch whether the order may be booked.
func (in input) checkPlan(vo *snelstart.VerkoopOrder, rs []regel, ci *snelstart.CompanyInfo, p *plan) error {
	s, o := in.s, in.ev.GetOrder()
	p.expect = expect(rs, in.ingave, ci.RegelkortingVerkooporder)
	chk, err := checkTotals(in, rs, p.expect)
	if err != nil {
		return pipeline.Permanent(fmt.Errorf("booker: order %s: %w", o.GetShopOrderId(), err))
	}
	fromShop := s.Lines != LinesCodeAndQuantity
	if fromShop && s.OnTotalMismatch == profile.MismatchCorrectionLine && !chk.entryDiff.IsZero() && chk.entryDiff.Abs().LessThanOrEqual(s.TotalTolerance) {
		line, err := in.correctionLine(chk.entryDiff)
		if err != nil {
			return pipeline.Permanent(fmt.Errorf("booker: order %s: %w", o.GetShopOrderId(), err))
		}
		rs = append(rs, line)
		vo.Regels = regels(rs)
		p.correction = chk.entryDiff
		p.expect = expect(rs, in.ingave, ci.RegelkortingVerkooporder)
		if chk, err = checkTotals(in, rs, p.expect); err != nil {
			return pipeline.Permanent(err)
		}
	}
	p.check = chk
	if !fromShop {
		if !chk.ok() {
			in.note(fmt.Sprintf("prices are SnelStart's (orders.lines: code_and_quantity): the total differs from the shop's by %s, as it may", chk.entryDiff.Neg().StringFixed(2)))
		}
		return nil
	}
	p.attention, err = chk.settle(s, cmp.Or(o.GetNumber(), o.GetShopOrderId()))
	if err != nil {
		return pipeline.Permanent(err)
	}
	return nil
}

// correctionLine returns the labelled, VAT-free line of amount that makes
// the booked total the shop's.
func (in input) correctionLine(amount decimal.Decimal) (regel, error) {
	a, err := in.article(in.s.CorrectionArticle)
	if err != nil {
		return regel{}, err
	}
	if a.Soort != snelstart.BtwSoortGeen {
		return regel{}, fmt.Errorf("orders.correction_article %q is in an omzetgroep of btw-soort %s: a correction must carry no VAT; move it to an omzetgroep of btw-soort Geen", a.Code, a.Soort)
	}
	in.note(fmt.Sprintf("correction line of %s (VAT-free) makes the total the shop's", amount.StringFixed(2)))
	return regel{
		VerkoopOrderRegel: snelstart.VerkoopOrderRegel{
			Artikel: snelstart.RefTo(a.ID), Omschrijving: "Afrondingsverschil webshop",
			Stuksprijs: dec(amount), Aantal: dec(decimal.NewFromInt(1)),
		},
		kind: kindCorrection, soort: snelstart.BtwSoortGeen, rate: decimal.Zero,
	}, nil
}

// templateFor returns the template for the order: with ReuseLastTemplate
// the one of the customer's most recent earlier order, else (or when it has
// none) the profile's Template. history, when not nil, is the customer's
// orders, read already.
func (b *Booker) templateFor(ctx context.Context, c *snelstart.Client, s *Settings, ev *koppelv1.OrderEvent, history []snelstart.VerkoopOrder) (snelstart.ID, error) {
	r := b.refs[s.Profile]
	if s.ReuseLastTemplate && !ev.GetCustomer().GetCreated() {
		id, err := b.lastTemplate(ctx, c, r, snelstart.ID(ev.GetCustomer().GetRelatieId()), memoTag(s.Profile, ev.GetOrder().GetShopOrderId()), history)
		if err != nil {
			return "", err
		}
		if id != "" {
			return id, nil
		}
	}
	if s.Template == "" {
		return "", nil
	}
	return r.template(ctx, c, s.Template)
}

// lastTemplate returns the active template of the relatie's most recent
// verkooporder (by datum, then nummer), other than the one tagged skip; when
// it has none, that of the orders on its most recent verkoopfacturen
// (snelstart-api.md §8.1); "" when neither has one. orders, when not nil,
// are the relatie's orders, read already.
func (b *Booker) lastTemplate(ctx context.Context, c *snelstart.Client, r *refs, relatie snelstart.ID, skip string, orders []snelstart.VerkoopOrder) (snelstart.ID, error) {
	if orders == nil {
		var err error
		if orders, err = c.ListVerkoopOrders(ctx, snelstart.Eq("Relatie/Id", relatie)); err != nil {
			return "", fmt.Errorf("booker: list the customer's verkooporders: %w", err)
		}
	}
	orders = slices.Clone(orders)
	slices.SortFunc(orders, func(a, b snelstart.VerkoopOrder) int {
		return cmp.Or(b.Datum.Compare(a.Datum), cmp.Compare(deref(b.Nummer), deref(a.Nummer)))
	})
	for _, o := range orders {
		if o.Memo == skip || o.Relatie == nil || !o.Relatie.ID.Equal(relatie) {
			continue
		}
		if t := o.Verkoopordersjabloon; t != nil && t.ID != "" && !t.ID.Equal(snelstart.NilID) && r.activeTemplate(ctx, c, t.ID) {
			return t.ID, nil
		}
	}
	if len(orders) > 0 {
		return "", nil
	}
	facturen, err := c.ListVerkoopFacturen(ctx, snelstart.Eq("Relatie/Id", relatie))
	if err != nil {
		return "", fmt.Errorf("booker: list the customer's verkoopfacturen: %w", err)
	}
	slices.SortFunc(facturen, func(a, b snelstart.VerkoopFactuur) int { return b.FactuurDatum.Compare(a.FactuurDatum) })
	for _, f := range facturen[:min(len(facturen), 3)] {
		for _, ref := range f.VerkoopOrders {
			o, err := c.GetVerkoopOrder(ctx, ref.ID)
			if err != nil {
				var apiErr *snelstart.Error
				if errors.As(err, &apiErr) && apiErr.Status == 404 {
					continue
				}
				return "", fmt.Errorf("booker: read the verkooporder of verkoopfactuur %s: %w", f.ID, err)
			}
			if t := o.Verkoopordersjabloon; t != nil && t.ID != "" && !t.ID.Equal(snelstart.NilID) && r.activeTemplate(ctx, c, t.ID) {
				return t.ID, nil
			}
		}
	}
	return "", nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// nonce returns 8 random hex digits: each attempt claims as its own owner,
// so a redelivery never mistakes an earlier attempt's claim for its own.
func nonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
