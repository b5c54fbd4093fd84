// Package customers is koppel's customers stage: it ties each order on
// koppel.order.received.<profile> to exactly one SnelStart relatie (a
// klant), creating or updating it as the profile's customers settings say,
// and forwards the order with its [koppelv1.CustomerResolution] to
// koppel.order.customer.<profile>.
//
// # Matching
//
// An order is compared with SnelStart's active klanten by the rules of the
// profile's customers.match, strongest first (see docs/customers-and-articles.md):
//
//	code                        relatiecode = the shop's customer number
//	email                       an address of the relatie's email field
//	code_or_email               code, then email
//	email_and_postcode          email and the postcode of vestigingsAdres
//	code_or_email_and_postcode  code, then email and postcode
//	smart                       code (corroborated by email or postcode),
//	                            VAT number, email and postcode, unique email,
//	                            name with postcode and house number
//
// Emails are compared trimmed and in lower case, one by one from SnelStart's
// ";"-separated list; postcodes in upper case without spaces or dashes. The
// first rule that fits one relatie decides. A rule that fits several is an
// ambiguous match: koppel never picks one, it dead-letters the order with
// the relatiecodes involved.
//
// # Processing
//
// With add a customer that matches nobody is created; add_and_update also
// keeps the naam, vestigingsAdres, email and telefoon of a matched relatie
// current with the shop; manual never writes, and dead-letters an order
// whose customer is unknown, or books every order on
// customers.fixed_customer_code.
//
// # VAT
//
// Before it looks for the relatie, the stage decides the order's VAT
// regime with [vat.Decide] (domestic, ICP, export or OSS, from what the
// shop charged) and records it in the resolution; an order that fits no
// regime is a dead letter, before anything is written. SnelStart books
// ICP at 0 % for every relatie with a btwNummer in another member state,
// so koppel writes the customer's VAT number on the card for an ICP order
// only: on a new relatie, or, with add_and_update, on a found card that
// lacks it. An ICP order whose card has no btwNummer under add or manual
// is a dead letter naming the card and the number. With
// customers.vies_check the number of an ICP order is first checked with
// VIES: an outage makes the order wait, an invalid number is a dead
// letter. The resolution carries the card's btwNummer and country as
// koppel left them, which the booker compares with the regime.
//
// # Effects once
//
// Find-or-create runs under short locks on the order's keys, so two orders
// of one new customer handled at once make one relatie. Every create and
// update claims a key in the effect ledger first and records the
// relatie's id there after the write; a write whose outcome is unknown, or
// a claim whose earlier owner vanished, makes the stage look in SnelStart
// by the order's keys before it writes again. Resolved keys are cached in
// the same store, so a returning customer costs no SnelStart call.
//
// Logs carry ids only (profile, order, relatie id and code), never names,
// addresses or email addresses.
package customers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
	"github.com/koppel/koppel/pkg/vatnumber"
)

// StageName names the stage in its consumer ("koppel-customers"), its
// dead letters (koppel.dlq.customers.<profile>) and its output's
// Nats-Msg-Id.
const StageName = "customers"

// Ledger kinds, the <kind> of effect:<profile>:<kind>:<key>.
const (
	KindRelatie       = "relatie"        // a relatie created; key: the customer's identity key
	KindRelatieUpdate = "relatie-update" // a relatie updated; key: <relatie id>:<shop order id>:<revision>
)

// Options configure a [Resolver]. Clients and Store are required.
type Options struct {
	// Profiles are the profiles whose orders the stage resolves; an order
	// of another profile is dead-lettered.
	Profiles []profile.Profile
	// Clients returns the SnelStart client of a profile's administration.
	// Share one client (and so one rate limiter) per administration with
	// the other stages of the process.
	Clients func(profile string) (*snelstart.Client, error)
	// Store is the effect ledger, lock and cache store shared by every
	// instance of every stage.
	Store idempotency.Store
	// Owner names this process in claims and locks; default host/pid.
	Owner string
	// Lease is how long a claim on a write holds before another worker may
	// take it over (and look in SnelStart first). It must outlast one
	// SnelStart call; default 1 minute.
	Lease time.Duration
	// LockTTL bounds a find-or-create lock; default 1 minute. A lock is
	// left to expire, not released, when a create's outcome is unknown, so
	// it must outlast one SnelStart call.
	LockTTL time.Duration
	// LockWait bounds the wait for a lock another worker holds; then the
	// order is retried later (a transient error). Default 10 s.
	LockWait time.Duration
	// VerifyAfter is how long a cached relatie id is trusted before the
	// stage reads the relatie again (and drops the entry if it was deleted
	// or deactivated in SnelStart). Default 1 hour; negative: never, the
	// store's cache lifetime alone bounds it.
	VerifyAfter time.Duration
	// VAT reads the administrations' VAT facts (rate table, OSS) that
	// decide an order's regime; the stages of one process may share one.
	// Default: a Source of its own.
	VAT *vat.Source
	// VIESURL is the base URL of the EU's VIES REST API, asked for the VAT
	// number of an ICP order when the profile has customers.vies_check;
	// default [vatnumber.DefaultVIESURL].
	VIESURL string
	// VIESWait is how long an order waits before it is tried again when
	// VIES could not check its VAT number (an outage, throttling); waiting
	// spends no delivery. Default 1 minute, the longest wait a stage allows.
	VIESWait time.Duration
	// Logger receives one line per resolved order; default: discard.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// A Resolver resolves the customers of orders. It is safe for concurrent
// use; any number of Resolvers, in any number of processes, may share one
// Store.
type Resolver struct {
	o        Options
	profiles map[string]*profile.Profile
	log      *slog.Logger
	vat      *vat.Source
	vies     *vatnumber.VIES

	mu     sync.Mutex
	landen map[string]map[string]snelstart.ID // by profile: landcode → id
}

// New returns a Resolver for o.
func New(o Options) (*Resolver, error) {
	if o.Clients == nil || o.Store == nil {
		return nil, errors.New("customers: Options.Clients and Options.Store are required")
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.LockTTL <= 0 {
		o.LockTTL = time.Minute
	}
	if o.LockWait <= 0 {
		o.LockWait = 10 * time.Second
	}
	if o.VerifyAfter == 0 {
		o.VerifyAfter = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.VAT == nil {
		o.VAT = &vat.Source{}
	}
	if o.VIESURL == "" {
		o.VIESURL = vatnumber.DefaultVIESURL
	}
	if o.VIESWait <= 0 {
		o.VIESWait = time.Minute
	}
	r := &Resolver{o: o, profiles: map[string]*profile.Profile{}, log: o.Logger, vat: o.VAT, vies: &vatnumber.VIES{URL: o.VIESURL},
		landen: map[string]map[string]snelstart.ID{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	o.Profiles = slices.Clone(o.Profiles)
	for i := range o.Profiles {
		p := &o.Profiles[i]
		// The defaults of package profile, for profiles not made by it.
		p.Customers.Match = cmp.Or(p.Customers.Match, MatchSmart)
		p.Customers.Processing = cmp.Or(p.Customers.Processing, ProcessAdd)
		if steps(p.Customers.Match) == nil {
			return nil, fmt.Errorf("customers: profile %s: unknown customers.match %q", p.ID, p.Customers.Match)
		}
		switch p.Customers.Processing {
		case ProcessAdd, ProcessAddAndUpdate, ProcessManual:
		default:
			return nil, fmt.Errorf("customers: profile %s: unknown customers.processing %q", p.ID, p.Customers.Processing)
		}
		r.profiles[p.ID] = p
	}
	return r, nil
}

// Stage returns the customers stage, ready to Run: st with Name, Filter
// (koppel.order.received.*) and Handler set, publishing to
// koppel.order.customer.<profile>.
func Stage(o Options, st pipeline.Stage) (*pipeline.Stage, error) {
	r, err := New(o)
	if err != nil {
		return nil, err
	}
	return r.Stage(st), nil
}

// Stage returns the stage that runs r; see [Stage].
func (r *Resolver) Stage(st pipeline.Stage) *pipeline.Stage {
	st.Name = StageName
	st.Filter = pipeline.OrderFilter(pipeline.StepReceived)
	st.Handler = orderstage.Handler(StageName, pipeline.StepCustomer, r.Resolve)
	if st.Logger == nil {
		st.Logger = r.o.Logger
	}
	return &st
}

// Resolve sets ev.Customer to the relatie of the order, finding, creating
// or updating it as the order's profile says. Its errors follow
// [orderstage.Func]: an ambiguous match, an unknown customer under manual
// processing, or a refusal by SnelStart is permanent (wrapping
// [pipeline.ErrPermanent], with a reason a bookkeeper can act on), and so
// is an order that fits no VAT regime, an ICP order whose relatie card
// lacks the btw-nummer under add or manual, and a VAT number VIES reports
// invalid; a SnelStart or store outage, or a write another worker is busy
// with, is transient, and an order whose VAT number VIES cannot check now
// waits ([pipeline.Later]).
func (r *Resolver) Resolve(ctx context.Context, ev *koppelv1.OrderEvent) error {
	o := ev.GetOrder()
	p, ok := r.profiles[o.GetProfile()]
	if !ok {
		return pipeline.Permanent(fmt.Errorf("customers: order %s: unknown profile %q", o.GetShopOrderId(), o.GetProfile()))
	}
	// Orders in a shop status the profile does not import go no further:
	// no relatie or artikel is made for an order that will not be booked.
	if !p.Orders.Imports(o.GetStatus()) {
		return orderstage.Skip(fmt.Sprintf("shop status %q is not imported (orders.import_statuses: %s)",
			o.GetStatus(), strings.Join(p.Orders.ImportStatuses, ", ")))
	}
	c, err := r.o.Clients(p.ID)
	if err != nil {
		return pipeline.Permanent(fmt.Errorf("customers: profile %s: snelstart client: %w", p.ID, err))
	}
	j := &job{r: r, p: p, c: c, ev: ev, o: o, owner: r.o.Owner + "/" + nonce()}
	res, err := j.resolve(ctx)
	if err != nil {
		return err
	}
	ev.Customer = res
	r.log.InfoContext(ctx, "customer resolved", "profile", p.ID, "order", o.GetShopOrderId(),
		"relatie_id", res.GetRelatieId(), "relatiecode", res.GetRelatiecode(), "matched_by", res.GetMatchedBy(),
		"created", res.GetCreated(), "updated", res.GetUpdated(), "regime", res.GetRegime())
	return nil
}

func nonce() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// A job resolves the customer of one order.
type job struct {
	r     *Resolver
	p     *profile.Profile
	c     *snelstart.Client
	ev    *koppelv1.OrderEvent
	o     *koppelv1.Order
	owner string // this attempt's owner of claims and locks

	decision vat.Decision // the order's VAT regime
	facts    vat.Facts
	card     card // the relatie card's btwNummer and land, as koppel left them

	rules     []step
	keys      Keys
	identity  string // the customer's identity key: "<kind>:<value or digest>"
	keyless   bool   // no rule has keys: the identity is the order
	codeTaken bool   // a klant SnelStart listed has the order's code as relatiecode
	// holdLocks keeps the find-or-create locks until they expire: a
	// create whose outcome is unknown may still land, and another order of
	// the customer with other keys (and so another ledger key) must not
	// look before it has.
	holdLocks bool
}

// A cacheEntry is what the lookup cache holds for a match key.
type cacheEntry struct {
	ID         snelstart.ID `json:"id"`
	Code       int          `json:"code,omitempty"`
	By         string       `json:"by"`            // the rule, or the identity kind of a relatie koppel created
	Key        string       `json:"key,omitempty"` // the match key
	Verified   int64        `json:"verified"`      // unix seconds: last read from SnelStart
	Shop       string       `json:"shop,omitempty"`
	CreatedFor string       `json:"created_for,omitempty"` // the order koppel created the relatie for
	Card       card         `json:"card"`                  // the card's btwNummer and land as koppel last saw them
}

// resolve decides the order's VAT regime, finds, creates or updates its
// relatie, and checks that the card fits the regime.
func (j *job) resolve(ctx context.Context) (*koppelv1.CustomerResolution, error) {
	if err := j.decide(ctx); err != nil {
		return nil, err
	}
	res, err := j.find(ctx)
	if err != nil {
		return nil, err
	}
	return res, j.settle(ctx, res)
}

// find resolves the order to its relatie and sets j.card.
func (j *job) find(ctx context.Context) (*koppelv1.CustomerResolution, error) {
	cu := j.p.Customers
	if cu.Processing == ProcessManual && cu.FixedCustomerCode != 0 {
		return j.fixed(ctx, cu.FixedCustomerCode)
	}
	j.rules = steps(cu.Match)
	j.keys = KeysOf(j.o)
	j.identity, j.keyless = identity(j.rules, j.keys, j.o)

	cacheKey := j.cacheKey()
	if res, ok, err := j.fromCache(ctx, cacheKey); err != nil || ok {
		return res, err
	}
	unlock, err := j.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !j.holdLocks {
			unlock()
		}
	}()
	if res, ok, err := j.fromCache(ctx, cacheKey); err != nil || ok {
		return res, err
	}

	v, err := j.look(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case v.found != nil:
		return j.matched(ctx, cacheKey, v.found, v.by, v.key)
	case v.tied != nil:
		return nil, pipeline.Permanent(fmt.Errorf("customers: order %s: ambiguous customer: %d active klanten in SnelStart share the order's %s (relatiecodes %s); koppel does not pick one: merge or correct them in SnelStart, then replay the order",
			j.o.GetShopOrderId(), len(v.tied), describeRule(v.by), relatiecodes(v.tied)))
	case cu.Processing == ProcessManual:
		return nil, pipeline.Permanent(fmt.Errorf("customers: order %s: unknown customer: no active klant in SnelStart matches the order's %s, and customers.processing is manual, so koppel creates none: create the klant in SnelStart (or set customers.fixed_customer_code), then replay the order",
			j.o.GetShopOrderId(), j.describeKeys()))
	}
	rel, created, err := j.create(ctx)
	if err != nil {
		return nil, err
	}
	by := identityKind(j.identity)
	if !created {
		return j.matched(ctx, cacheKey, rel, by, j.matchKey(by))
	}
	key := j.matchKey(by)
	res := resolution(rel, ByCreated, key)
	res.Created = true
	if j.card, err = j.cardOf(ctx, rel); err != nil {
		return nil, err
	}
	j.cacheSet(ctx, cacheKey, cacheEntry{ID: rel.ID, Code: int(res.GetRelatiecode()), By: by, Key: key, Shop: j.shopPrint(), CreatedFor: j.o.GetShopOrderId(), Card: j.card})
	return res, nil
}

// matched finishes an order whose relatie was found: with add_and_update it
// brings the relatie in line with the shop (an ICP order's VAT number
// included), then caches the match with the card as koppel left it. A
// relatie koppel created for this very order (an earlier delivery did, then
// stopped before forwarding) is reported as created.
func (j *job) matched(ctx context.Context, cacheKey string, rel *snelstart.Relatie, by, key string) (*koppelv1.CustomerResolution, error) {
	createdFor := j.createdFor(rel)
	res := resolution(rel, by, key)
	if j.p.Customers.Processing == ProcessAddAndUpdate {
		next, updated, err := j.update(ctx, rel)
		if err != nil {
			return nil, err
		}
		rel, res.Updated = next, updated
	}
	if createdFor != "" && createdFor == j.o.GetShopOrderId() {
		res.MatchedBy, res.Created = ByCreated, true
	}
	c, err := j.cardOf(ctx, rel)
	if err != nil {
		return nil, err
	}
	j.card = c
	j.cacheSet(ctx, cacheKey, cacheEntry{ID: rel.ID, Code: int(res.GetRelatiecode()), By: by, Key: key, Shop: j.shopPrint(), CreatedFor: createdFor, Card: c})
	return res, nil
}

func resolution(rel *snelstart.Relatie, by, key string) *koppelv1.CustomerResolution {
	res := &koppelv1.CustomerResolution{RelatieId: string(rel.ID), MatchedBy: by, MatchKey: key}
	if rel.Relatiecode != nil {
		res.Relatiecode = int64(*rel.Relatiecode)
	}
	return res
}

// look asks SnelStart for the order's candidates and matches them. For a
// keyless order (no rule has keys), it looks for a relatie koppel created
// for this very order, by the marker in its memo.
func (j *job) look(ctx context.Context) (verdict, error) {
	if j.keyless {
		return j.lookMarked(ctx)
	}
	f := query(j.rules, j.keys)
	if f.IsZero() {
		return verdict{}, nil
	}
	rels, err := j.c.ListRelaties(ctx, f)
	if err != nil {
		return verdict{}, j.readErr("look up relaties", err)
	}
	for i := range rels {
		if rc := rels[i].Relatiecode; rc != nil && j.keys.Code != 0 && *rc == j.keys.Code {
			j.codeTaken = true
		}
	}
	v := classify(j.rules, j.keys, rels)
	for _, note := range v.skipped {
		j.r.log.WarnContext(ctx, "relatiecode match passed over", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "note", note)
	}
	return v, nil
}

// lookMarked looks for a relatie koppel created under the order's identity,
// by the marker in its memo.
func (j *job) lookMarked(ctx context.Context) (verdict, error) {
	marker := j.memoMarker()
	rels, err := j.c.ListRelaties(ctx, snelstart.Substringof(marker, "Memo"))
	if err != nil {
		return verdict{}, j.readErr("look up the relatie koppel created", err)
	}
	var v verdict
	for i := range rels {
		if eligible(&rels[i]) && strings.Contains(rels[i].Memo, marker) {
			v.tied = append(v.tied, &rels[i])
		}
	}
	if len(v.tied) == 1 {
		return verdict{found: v.tied[0], by: identityKind(j.identity), key: j.matchKey(identityKind(j.identity))}, nil
	}
	if v.tied != nil {
		v.by = identityKind(j.identity)
	}
	return v, nil
}

// create makes the relatie of a customer nobody matched, once: under the
// ledger key of the customer's identity. A relatie koppel made for the
// same identity earlier (this order's earlier delivery, or another order
// of the same new customer) is reused; if that one was since deleted in
// SnelStart, a new generation of the key is claimed.
func (j *job) create(ctx context.Context) (*snelstart.Relatie, bool, error) {
	landen, err := j.r.landenOf(ctx, j.p.ID, j.c)
	if err != nil {
		return nil, false, err
	}
	code := 0
	if usesCode(j.p.Customers.Match) && !j.codeTaken {
		// A klant that holds the code but was passed over (not
		// corroborated, or its code was assigned by SnelStart) keeps it:
		// the new relatie gets a code of SnelStart's choosing, and the
		// ledger ties it to the customer.
		code = j.keys.Code
	}
	want, err := newRelatie(j.o, landen, code, j.memo(), j.wantVAT())
	if err != nil {
		return nil, false, j.dataErr(err)
	}
	if j.decision.Regime == vat.ICP && want.VestigingsAdres == nil {
		return nil, false, pipeline.Permanent(fmt.Errorf("customers: order %s: the order is an intra-community supply (%s), and SnelStart books one at 0 %% only for a relatie with a btw-nummer and a vestigingsadres in that member state, but the order's billing address is incomplete (street, postcode, city and country are needed): complete it in the shop, or create the klant in SnelStart, then replay the order",
			j.o.GetShopOrderId(), j.decision.VATNumber))
	}
	key := idempotency.EffectKey(j.p.ID, KindRelatie, j.identity)
	for gen := 0; gen < 8; gen++ {
		cl, err := j.r.o.Store.Claim(ctx, key, j.owner, j.r.o.Lease)
		if err != nil {
			return nil, false, fmt.Errorf("customers: claim %s: %w", key, err)
		}
		switch cl.Outcome {
		case idempotency.Done:
			id, _, _ := strings.Cut(string(cl.Result), " ")
			rel, gone, err := j.get(ctx, snelstart.ID(id))
			if err != nil {
				return nil, false, err
			}
			if gone {
				// Deleted or deactivated in SnelStart since koppel made it:
				// the next generation of the key may make a new one.
				key = idempotency.EffectKey(j.p.ID, KindRelatie, j.identity+"/after:"+id)
				continue
			}
			return rel, false, nil
		case idempotency.Busy:
			return nil, false, pipeline.Later(fmt.Errorf("customers: order %s: another worker (%s) is creating this customer's relatie; retrying", j.o.GetShopOrderId(), cl.Holder), waitFor(cl.Until))
		case idempotency.TookOver:
			// An earlier attempt may have created it: look first.
			if rel, ok, err := j.lookCreated(ctx, key); err != nil || ok {
				return rel, false, err
			}
		}
		rel, err := j.post(ctx, key, want)
		if err != nil {
			return nil, false, err
		}
		if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(string(rel.ID)+" "+j.o.GetShopOrderId())); err != nil {
			j.r.log.WarnContext(ctx, "relatie created but not recorded in the ledger", "profile", j.p.ID, "order", j.o.GetShopOrderId(),
				"relatie_id", rel.ID, "error", err)
		}
		return rel, true, nil
	}
	return nil, false, pipeline.Permanent(fmt.Errorf("customers: order %s: the relatie koppel created for this customer was deleted in SnelStart too often; create the klant by hand, then replay", j.o.GetShopOrderId()))
}

// lookCreated looks in SnelStart for a relatie an earlier write under key
// may have made, and records it in the ledger when found.
func (j *job) lookCreated(ctx context.Context, key string) (*snelstart.Relatie, bool, error) {
	v, err := j.look(ctx)
	if err != nil {
		return nil, false, err
	}
	if v.found == nil && v.tied == nil && !j.keyless {
		// Not by the order's keys (the address may have been too
		// incomplete to write): by the marker koppel writes in the memo.
		if v, err = j.lookMarked(ctx); err != nil {
			return nil, false, err
		}
	}
	switch {
	case v.found != nil:
		if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(string(v.found.ID)+" ")); err != nil {
			return nil, false, fmt.Errorf("customers: record %s: %w", key, err)
		}
		return v.found, true, nil
	case v.tied != nil:
		_ = j.r.o.Store.Release(context.WithoutCancel(ctx), key, j.owner)
		return nil, false, pipeline.Permanent(fmt.Errorf("customers: order %s: ambiguous customer: %d active klanten in SnelStart share the order's %s (relatiecodes %s); koppel does not pick one: merge or correct them in SnelStart, then replay the order",
			j.o.GetShopOrderId(), len(v.tied), describeRule(v.by), relatiecodes(v.tied)))
	}
	return nil, false, nil
}

// post creates want while holding the claim on key. A write whose outcome
// is unknown is looked up at once; if nothing is found the claim is kept,
// so that the next attempt, after the lease, looks again before writing.
func (j *job) post(ctx context.Context, key string, want *snelstart.Relatie) (*snelstart.Relatie, error) {
	for {
		rel, err := j.c.CreateRelatie(ctx, want)
		if err == nil {
			return rel, nil
		}
		release := func() { _ = j.r.o.Store.Release(context.WithoutCancel(ctx), key, j.owner) }
		switch {
		case errors.Is(err, snelstart.ErrOutcomeUnknown):
			if found, ok, lerr := j.lookCreated(ctx, key); lerr == nil && ok {
				return found, nil
			}
			j.holdLocks = true
			return nil, fmt.Errorf("customers: order %s: create relatie: the outcome is unknown and it was not found yet; koppel looks again before writing: %w", j.o.GetShopOrderId(), err)
		case snelstart.HasCode(err, snelstart.CodeRelatiecodeInUse) && want.Relatiecode != nil:
			// The shop's customer number is taken by a relatie that is no
			// klant (a leverancier): create the relatie without it; the
			// ledger ties it to the customer.
			want.Relatiecode = nil
			continue
		case snelstart.IsPermanent(err):
			release()
			return nil, pipeline.Permanent(fmt.Errorf("customers: order %s: SnelStart refused the new relatie: %w; correct the customer's data in the shop or create the klant in SnelStart, then replay the order", j.o.GetShopOrderId(), err))
		default:
			release()
			return nil, fmt.Errorf("customers: order %s: create relatie: %w", j.o.GetShopOrderId(), err)
		}
	}
}

// update brings rel in line with the shop (add_and_update), once per order
// revision: under the ledger key <relatie id>:<shop order id>:<revision>.
// For an ICP order that includes the customer's VAT number. It returns the
// relatie as koppel left it and whether it wrote.
func (j *job) update(ctx context.Context, rel *snelstart.Relatie) (*snelstart.Relatie, bool, error) {
	landen, err := j.r.landenOf(ctx, j.p.ID, j.c)
	if err != nil {
		return nil, false, err
	}
	next, changed, err := updateFrom(rel, j.o, landen, j.wantVAT())
	if err != nil {
		return nil, false, j.dataErr(err)
	}
	if !changed {
		return rel, false, nil
	}
	key := idempotency.EffectKey(j.p.ID, KindRelatieUpdate, string(rel.ID)+":"+j.o.GetShopOrderId()+":"+j.o.GetRevision())
	cl, err := j.r.o.Store.Claim(ctx, key, j.owner, j.r.o.Lease)
	if err != nil {
		return nil, false, fmt.Errorf("customers: claim %s: %w", key, err)
	}
	switch cl.Outcome {
	case idempotency.Done:
		return next, true, nil
	case idempotency.Busy:
		return nil, false, pipeline.Later(fmt.Errorf("customers: order %s: another worker (%s) is updating relatie %s; retrying", j.o.GetShopOrderId(), cl.Holder, rel.ID), waitFor(cl.Until))
	}
	// A PUT replaces the record with the same content however often it is
	// sent, so an earlier attempt's unknown outcome needs no look first.
	if _, err := j.c.UpdateRelatie(ctx, next); err != nil {
		if !errors.Is(err, snelstart.ErrOutcomeUnknown) {
			_ = j.r.o.Store.Release(context.WithoutCancel(ctx), key, j.owner)
		}
		if snelstart.IsPermanent(err) {
			return nil, false, pipeline.Permanent(fmt.Errorf("customers: order %s: SnelStart refused the update of relatie %s: %w; correct the customer's data in the shop, or set customers.processing to add, then replay the order",
				j.o.GetShopOrderId(), rel.ID, err))
		}
		return nil, false, fmt.Errorf("customers: order %s: update relatie %s: %w", j.o.GetShopOrderId(), rel.ID, err)
	}
	if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(rel.ID)); err != nil {
		j.r.log.WarnContext(ctx, "relatie updated but not recorded in the ledger", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "relatie_id", rel.ID, "error", err)
	}
	if next.BtwNummer != rel.BtwNummer {
		j.r.log.InfoContext(ctx, "btw-nummer written to the relatie for an intra-community supply", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "relatie_id", rel.ID)
	}
	return next, true, nil
}

// fixed resolves every order to the relatie with relatiecode code
// (customers.processing manual with customers.fixed_customer_code).
func (j *job) fixed(ctx context.Context, code int) (*koppelv1.CustomerResolution, error) {
	cacheKey := "customers:" + j.p.ID + ":fixed:" + strconv.Itoa(code)
	if res, ok, err := j.fromCache(ctx, cacheKey); err != nil || ok {
		return res, err
	}
	rels, err := j.c.ListRelaties(ctx, snelstart.Eq("Relatiecode", code))
	if err != nil {
		return nil, j.readErr("look up the fixed relatie", err)
	}
	for i := range rels {
		if eligible(&rels[i]) && rels[i].Relatiecode != nil && *rels[i].Relatiecode == code {
			key := "code:" + strconv.Itoa(code)
			if j.card, err = j.cardOf(ctx, &rels[i]); err != nil {
				return nil, err
			}
			j.cacheSet(ctx, cacheKey, cacheEntry{ID: rels[i].ID, Code: code, By: ByFixed, Key: key, Card: j.card})
			return resolution(&rels[i], ByFixed, key), nil
		}
	}
	return nil, pipeline.Permanent(fmt.Errorf("customers: order %s: customers.fixed_customer_code %d is not an active klant in SnelStart: correct the profile or the relatie, then replay the order",
		j.o.GetShopOrderId(), code))
}

// fromCache resolves the order from the lookup cache. An entry older than
// VerifyAfter is checked against SnelStart first, and dropped when its
// relatie is gone; so is an entry whose card does not fit the order's VAT
// regime (the bookkeeper may have corrected the card since), one that
// add_and_update must give the order's VAT number, and one from before
// the cache kept the card. With add_and_update, a relatie whose shop data
// changed since koppel last applied it is updated.
func (j *job) fromCache(ctx context.Context, cacheKey string) (*koppelv1.CustomerResolution, bool, error) {
	if cacheKey == "" {
		return nil, false, nil
	}
	raw, ok, err := j.r.o.Store.CacheGet(ctx, cacheKey)
	if err != nil {
		return nil, false, fmt.Errorf("customers: cache: %w", err)
	}
	var e cacheEntry
	if !ok || json.Unmarshal(raw, &e) != nil || e.ID == "" {
		return nil, false, nil
	}
	now := j.r.o.Now()
	due := j.r.o.VerifyAfter > 0 && now.Sub(time.Unix(e.Verified, 0)) > j.r.o.VerifyAfter
	shop := j.shopPrint()
	var rel *snelstart.Relatie
	read := func() (bool, error) {
		got, gone, err := j.get(ctx, e.ID)
		if err != nil {
			return false, err
		}
		if gone {
			j.r.log.InfoContext(ctx, "cached relatie is gone; resolving again", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "relatie_id", e.ID)
			if err := j.r.o.Store.CacheDelete(ctx, cacheKey); err != nil {
				return false, fmt.Errorf("customers: cache: %w", err)
			}
			return false, nil
		}
		rel = got
		return true, nil
	}
	if due || !e.Card.Known || !j.fits(e.Card) || j.lacksVAT(e.Card) {
		if ok, err := read(); err != nil || !ok {
			return nil, false, err
		}
	}
	res := &koppelv1.CustomerResolution{RelatieId: string(e.ID), Relatiecode: int64(e.Code), MatchedBy: e.By, MatchKey: e.Key}
	if e.CreatedFor != "" && e.CreatedFor == j.o.GetShopOrderId() {
		res.MatchedBy, res.Created = ByCreated, true
	}
	if j.p.Customers.Processing == ProcessAddAndUpdate && (rel != nil || shop != e.Shop) {
		if rel == nil {
			if ok, err := read(); err != nil || !ok {
				return nil, false, err
			}
		}
		next, updated, err := j.update(ctx, rel)
		if err != nil {
			return nil, false, err
		}
		rel, res.Updated = next, updated
	}
	if rel != nil {
		if e.Card, err = j.cardOf(ctx, rel); err != nil {
			return nil, false, err
		}
		if rel.Relatiecode != nil {
			e.Code = *rel.Relatiecode
			res.Relatiecode = int64(e.Code)
		}
	}
	j.card = e.Card
	if rel != nil || shop != e.Shop {
		e.Shop = shop
		j.cacheSet(ctx, cacheKey, e)
	}
	return res, true, nil
}

// cacheSet stores e under key, stamped as verified now. A failure only
// costs a lookup later, so it is logged, not returned.
func (j *job) cacheSet(ctx context.Context, key string, e cacheEntry) {
	if key == "" {
		return
	}
	e.Verified = j.r.o.Now().Unix()
	b, _ := json.Marshal(e)
	if err := j.r.o.Store.CacheSet(ctx, key, b); err != nil {
		j.r.log.WarnContext(ctx, "customer cache not written", "profile", j.p.ID, "error", err)
	}
}

// get reads the relatie id; gone reports a relatie deleted or deactivated
// in SnelStart (GET answers 404 for both, snelstart-api.md §4).
func (j *job) get(ctx context.Context, id snelstart.ID) (rel *snelstart.Relatie, gone bool, err error) {
	rel, err = j.c.GetRelatie(ctx, id)
	var apiErr *snelstart.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound, errors.Is(err, snelstart.ErrInvalidRequest):
		return nil, true, nil
	case err != nil:
		return nil, false, j.readErr("read relatie "+string(id), err)
	case rel.Nonactief != nil && *rel.Nonactief:
		return nil, true, nil
	}
	return rel, false, nil
}

// lock takes the find-or-create locks of the order's keys, in a fixed
// order so that two orders sharing keys cannot deadlock.
func (j *job) lock(ctx context.Context) (func(), error) {
	names := j.lockNames()
	var unlocks []func(context.Context) error
	unlockAll := func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for i := len(unlocks) - 1; i >= 0; i-- {
			_ = unlocks[i](uctx)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, j.r.o.LockWait)
	defer cancel()
	for _, n := range names {
		u, err := idempotency.Lock(lctx, j.r.o.Store, n, j.owner, j.r.o.LockTTL)
		if err != nil {
			unlockAll()
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				return nil, pipeline.Later(fmt.Errorf("customers: order %s: another worker is resolving a customer with the same keys (lock %s held); retrying", j.o.GetShopOrderId(), n), time.Second)
			}
			return nil, fmt.Errorf("customers: lock %s: %w", n, err)
		}
		unlocks = append(unlocks, u)
	}
	return unlockAll, nil
}

// lockNames returns the locks of the order: one per key kind the rules
// use (code, VAT, email, address), or the order itself when it has none.
func (j *job) lockNames() []string {
	prefix := "customers:" + j.p.ID + ":"
	if j.keyless {
		return []string{prefix + j.identity}
	}
	k := j.keys
	var names []string
	for _, s := range j.rules {
		if !s.need(k) {
			continue
		}
		switch s.by {
		case ByCode:
			names = append(names, prefix+"code:"+strconv.Itoa(k.Code))
		case ByVAT:
			names = append(names, prefix+"vat:"+hashKey(k.VAT))
		case ByEmail, ByEmailAndPostcode:
			names = append(names, prefix+"email:"+hashKey(k.Email))
		case ByNameAndAddress:
			names = append(names, prefix+"address:"+hashKey(k.Postcode, k.House))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// cacheKey returns the lookup-cache key of the order: the profile, the
// matching mode and a digest of every key the mode reads, since the match
// depends on all of them; "" for a keyless order, which is never cached.
func (j *job) cacheKey() string {
	if j.keyless {
		return ""
	}
	k := j.keys
	return "customers:" + j.p.ID + ":" + j.p.Customers.Match + ":" +
		hashKey(strconv.Itoa(k.Code), k.Email, k.Postcode, k.VAT, k.Name, k.House)
}

// identity returns the key a new relatie for the order is created under
// in the ledger: the strongest kind of key the rules have for the order,
// "<kind>:<value>", with personal data as a digest; or, when the order has
// none, "order:<shop order id>" and keyless.
func identity(rules []step, k Keys, o *koppelv1.Order) (string, bool) {
	for _, s := range rules {
		if !s.need(k) {
			continue
		}
		switch s.by {
		case ByCode:
			return ByCode + ":" + strconv.Itoa(k.Code), false
		case ByVAT:
			return ByVAT + ":" + hashKey(k.VAT), false
		case ByEmailAndPostcode:
			return ByEmailAndPostcode + ":" + hashKey(k.Email, k.Postcode), false
		case ByEmail:
			return ByEmail + ":" + hashKey(k.Email), false
		case ByNameAndAddress:
			return ByNameAndAddress + ":" + hashKey(k.Name, k.Postcode, k.House), false
		}
	}
	return "order:" + o.GetShopOrderId(), true
}

func identityKind(identity string) string {
	kind, _, _ := strings.Cut(identity, ":")
	if kind == "order" {
		return ByCreated
	}
	return kind
}

// matchKey returns the match key of a rule for the order.
func (j *job) matchKey(by string) string {
	for _, s := range j.rules {
		if s.by == by && s.need(j.keys) {
			return s.key(j.keys)
		}
	}
	return ""
}

// memoMarker is the start of the tag koppel writes in the memo of a
// relatie it creates, "[koppel:<profile>:<identity>:<shop order id>]":
// with it a write whose outcome was lost is found again even when the
// relatie cannot be found by the order's keys, and a keyless order finds
// the relatie made for it. The identity holds digests, not personal data.
func (j *job) memoMarker() string {
	return "[koppel:" + j.p.ID + ":" + j.identity + ":"
}

func (j *job) memo() string {
	return "Aangemaakt door koppel voor webshoporder " + firstNonEmpty(j.o.GetNumber(), j.o.GetShopOrderId()) +
		" " + j.memoMarker() + j.o.GetShopOrderId() + "]"
}

// createdFor returns the shop order id koppel created rel for, from its
// memo tag; "" if koppel did not create it under the order's identity.
func (j *job) createdFor(rel *snelstart.Relatie) string {
	_, rest, ok := strings.Cut(rel.Memo, j.memoMarker())
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "]")
	return id
}

// shopPrint is a digest of the shop data add_and_update applies, so that
// a cached relatie is read and updated only when the shop's data changed
// (or the entry is due for verification).
func (j *job) shopPrint() string {
	if j.p.Customers.Processing != ProcessAddAndUpdate {
		return ""
	}
	o, ad := j.o, addressOf(j.o)
	return hashKey(relatieNaam(o), companyOf(o), personOf(o), ad.GetStreet(), ad.GetHouseNumber(), ad.GetHouseNumberSuffix(),
		ad.GetPostcode(), ad.GetCity(), ad.GetCountry(), o.GetCustomer().GetEmail(), o.GetBilling().GetEmail(),
		o.GetCustomer().GetPhone(), ad.GetPhone())
}

func (j *job) describeKeys() string {
	var kinds []string
	for _, k := range keyKinds(j.rules, j.keys) {
		kinds = append(kinds, describeRule(k))
	}
	if len(kinds) == 0 {
		return "keys (it has none of those customers.match " + j.p.Customers.Match + " uses)"
	}
	return strings.Join(kinds, " or ")
}

// readErr wraps a failed read: permanent when SnelStart refused it,
// transient otherwise.
func (j *job) readErr(what string, err error) error {
	err = fmt.Errorf("customers: order %s: %s: %w", j.o.GetShopOrderId(), what, err)
	if snelstart.IsPermanent(err) {
		return pipeline.Permanent(err)
	}
	return err
}

// dataErr reports shop data koppel cannot write to SnelStart.
func (j *job) dataErr(err error) error {
	return pipeline.Permanent(fmt.Errorf("customers: order %s: the customer cannot be written to SnelStart: %w; correct it in the shop or create the klant in SnelStart, then replay the order",
		j.o.GetShopOrderId(), err))
}

// landenOf returns the profile's landen by landcode (ISO-2), read once.
// /landen ignores $filter, so the whole list is read and matched on
// landcode locally, never on landcodeISO (snelstart-api.md §8.2, §10).
func (r *Resolver) landenOf(ctx context.Context, profileID string, c *snelstart.Client) (map[string]snelstart.ID, error) {
	if m := r.cachedLanden(profileID); m != nil {
		return m, nil
	}
	landen, err := c.ListLanden(ctx)
	if err != nil {
		err = fmt.Errorf("customers: profile %s: read landen: %w", profileID, err)
		if snelstart.IsPermanent(err) {
			return nil, pipeline.Permanent(err)
		}
		return nil, err
	}
	m := map[string]snelstart.ID{}
	for _, l := range landen {
		if code := strings.ToUpper(strings.TrimSpace(l.Landcode)); code != "" {
			m[code] = l.ID
		}
	}
	r.mu.Lock()
	r.landen[profileID] = m
	r.mu.Unlock()
	return m, nil
}

func (r *Resolver) cachedLanden(profileID string) map[string]snelstart.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.landen[profileID]
}

// waitFor is how long to wait before looking again at a claim held until
// until: a second, or less when the lease ends sooner. The holder usually
// finishes long before its lease ends.
func waitFor(until time.Time) time.Duration {
	return min(max(time.Until(until), 100*time.Millisecond), time.Second)
}
