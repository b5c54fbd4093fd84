// Package articles is koppel's articles stage: it ties every line of an
// order on koppel.order.customer.<profile> to exactly one SnelStart artikel,
// creating or updating articles as the profile's articles settings say,
// resolves the profile's shipping, fee and discount articles, fetches the
// customer's prices when the profile's line mode needs them, and forwards
// the order with its [koppelv1.ArticleResolution]s to
// koppel.order.articles.<profile>.
//
// # Matching
//
// A line's SKU is compared with the artikelcode of SnelStart's articles, or
// with the value of an extra field when articles.code_field is
// extra:<naam>. The SKU is compared exactly as the shop sends it (trimmed);
// an artikelcode that differs only in case counts when it is the only one.
// Two active articles that fit one SKU are ambiguous: the order is
// dead-lettered naming the SKU. A line without a SKU is never guessed: the
// order is dead-lettered naming the line (see docs/customers-and-articles.md).
//
// # Processing
//
// With add a SKU that matches no article is created with the SKU as
// artikelcode, the line's name as omschrijving and the shop's unit price
// as verkoopprijs; add_and_update also keeps omschrijving and verkoopprijs
// current with the shop; manual never writes, and dead-letters an order
// with an unknown SKU. The shipping, fee and discount articles
// (orders.shipping_article …) are looked up by artikelcode and never
// created: a missing one is a dead letter.
//
// # VAT
//
// SnelStart takes a line's VAT from its article's omzetgroep, whose
// btw-soort (Hoog, Laag, Geen) has a dated rate. The stage therefore puts
// a new article in the omzetgroep of the btw-soort of the rate the shop
// charged (package vat tells the soort from the order's regime and the
// administration's rate table; articles.revenue_groups, else SnelStart's
// omzetgroepen, tell the group), and checks that a found article's
// omzetgroep has that soort. A mismatch is a dead letter, or with
// articles.on_rate_mismatch rate_article the line is resolved to the rate
// article OMZET-<SOORT> of the shop's soort. ICP and export orders, free
// lines and lines without a rate tell no soort: their new articles go into
// articles.revenue_group (else the Hoog group), and found ones are taken
// as they are. Every resolution carries its article's btw-soort.
//
// # Effects once
//
// Find-or-create runs under a short lock per SKU, every create and update
// goes through the effect ledger, and a write whose outcome is unknown (or
// a claim whose owner vanished) is looked up in SnelStart before it is made
// again. Resolved SKUs and customer prices are cached in the same store, so
// known articles cost no SnelStart call.
package articles

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
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// StageName names the stage in its consumer ("koppel-articles"), its dead
// letters (koppel.dlq.articles.<profile>) and its output's Nats-Msg-Id.
const StageName = "articles"

// Ledger kinds, the <kind> of effect:<profile>:<kind>:<key>.
const (
	KindArtikel       = "artikel"        // an artikel created; key: <code field>:<sku>
	KindArtikelUpdate = "artikel-update" // an artikel updated; key: <artikel id>:<shop order id>:<revision>
)

// Values of ArticleResolution.kind.
const (
	KindProduct  = "product"
	KindShipping = "shipping"
	KindFee      = "fee"
	KindDiscount = "discount"
)

// Settings values this package acts on.
const (
	ProcessAdd          = "add"
	ProcessAddAndUpdate = "add_and_update"
	ProcessManual       = "manual"

	FieldArtikelcode = "artikelcode"
	FieldExtraPrefix = "extra:"

	// LinesCodeAndQuantity is the orders.lines mode that books SnelStart's
	// price, honouring the customer's price agreements.
	LinesCodeAndQuantity = "code_and_quantity"
)

// maxOmschrijving is the longest omschrijving SnelStart takes (ART-0007).
const maxOmschrijving = 250

// Options configure a [Resolver]. Clients and Store are required.
type Options struct {
	// Profiles are the profiles whose orders the stage resolves; an order
	// of another profile is dead-lettered.
	Profiles []profile.Profile
	// Clients returns the SnelStart client of a profile's administration.
	Clients func(profile string) (*snelstart.Client, error)
	// Store is the effect ledger, lock and cache store shared by every
	// instance of every stage.
	Store idempotency.Store
	// Owner names this process in claims and locks; default host/pid.
	Owner string
	// Lease is how long a claim on a write holds before another worker may
	// take it over (and look in SnelStart first); default 1 minute.
	Lease time.Duration
	// LockTTL bounds a find-or-create lock; default 1 minute. A lock is
	// left to expire, not released, when a create's outcome is unknown, so
	// it must outlast one SnelStart call.
	LockTTL time.Duration
	// LockWait bounds the wait for a lock another worker holds; then the
	// order is retried later (a transient error). Default 10 s.
	LockWait time.Duration
	// VerifyAfter is how long a cached article is trusted before the stage
	// reads it again, dropping the entry when it was deleted and refreshing
	// its omschrijving and verkoopprijs. Default 1 hour; negative: never.
	VerifyAfter time.Duration
	// Location is the administration's time zone, which dates a price
	// lookup and the VAT rates; default Europe/Amsterdam.
	Location *time.Location
	// VAT reads the administrations' VAT facts (rate table, OSS); the
	// stages of one process may share one. Default: a Source of its own.
	VAT *vat.Source
	// Logger receives one line per resolved order; default: discard.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// A Resolver resolves the articles of orders. It is safe for concurrent
// use; any number of Resolvers, in any number of processes, may share one
// Store.
type Resolver struct {
	o        Options
	profiles map[string]*profile.Profile
	log      *slog.Logger
	vat      *vat.Source

	mu       sync.Mutex
	settings map[string]*adminSettings // by profile
}

// adminSettings are the parts of an administration that shape the articles
// koppel writes, and its omzetgroepen.
type adminSettings struct {
	groups       groups
	exclusief    bool // verkoopprijs excludes VAT
	numericCodes bool
	maxCode      int
	decimals     int32
}

// New returns a Resolver for o.
func New(o Options) (*Resolver, error) {
	if o.Clients == nil || o.Store == nil {
		return nil, errors.New("articles: Options.Clients and Options.Store are required")
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
	if o.Location == nil {
		o.Location = snelstart.Amsterdam()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.VAT == nil {
		o.VAT = &vat.Source{}
	}
	r := &Resolver{o: o, profiles: map[string]*profile.Profile{}, log: o.Logger, vat: o.VAT, settings: map[string]*adminSettings{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	o.Profiles = slices.Clone(o.Profiles)
	for i := range o.Profiles {
		p := &o.Profiles[i]
		// The defaults of package profile, for profiles not made by it.
		p.Articles.Processing = cmp.Or(p.Articles.Processing, ProcessAdd)
		p.Orders.Lines = cmp.Or(p.Orders.Lines, "full")
		p.Articles.OnRateMismatch = cmp.Or(p.Articles.OnRateMismatch, profile.RateMismatchDeadLetter)
		switch p.Articles.Processing {
		case ProcessAdd, ProcessAddAndUpdate, ProcessManual:
		default:
			return nil, fmt.Errorf("articles: profile %s: unknown articles.processing %q", p.ID, p.Articles.Processing)
		}
		switch p.Articles.OnRateMismatch {
		case profile.RateMismatchDeadLetter, profile.RateMismatchRateArticle:
		default:
			return nil, fmt.Errorf("articles: profile %s: unknown articles.on_rate_mismatch %q", p.ID, p.Articles.OnRateMismatch)
		}
		if _, err := codeField(p); err != nil {
			return nil, fmt.Errorf("articles: profile %s: %w", p.ID, err)
		}
		r.profiles[p.ID] = p
	}
	return r, nil
}

// Stage returns the articles stage, ready to Run: st with Name, Filter
// (koppel.order.customer.*) and Handler set, publishing to
// koppel.order.articles.<profile>.
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
	st.Filter = pipeline.OrderFilter(pipeline.StepCustomer)
	st.Handler = orderstage.Handler(StageName, pipeline.StepArticles, r.Resolve)
	if st.Logger == nil {
		st.Logger = r.o.Logger
	}
	return &st
}

// codeField returns the extra field's name of a profile whose SKU lives in
// one, or "" for artikelcode.
func codeField(p *profile.Profile) (string, error) {
	f := p.Articles.CodeField
	switch {
	case f == "" || f == FieldArtikelcode:
		return "", nil
	case strings.HasPrefix(f, FieldExtraPrefix) && strings.TrimSpace(f[len(FieldExtraPrefix):]) != "":
		return strings.TrimSpace(f[len(FieldExtraPrefix):]), nil
	}
	return "", fmt.Errorf("articles.code_field %q is neither artikelcode nor extra:<naam>", f)
}

// Resolve sets ev.Articles: one [koppelv1.ArticleResolution] per order
// line (kind product), in line order, then one for each of the shipping,
// fee and discount articles the profile configures and the order uses;
// each carries the btw-soort of its article's omzetgroep. Errors follow
// [orderstage.Func]: a line without a SKU, an unknown SKU under manual
// processing, an ambiguous or inactive article, a missing configured
// article, a rate no btw-soort has, an article whose omzetgroep has
// another btw-soort than the shop's rate (unless on_rate_mismatch is
// rate_article), a profile whose revenue groups do not fit SnelStart or a
// refusal by SnelStart is permanent, with a reason that names the SKU or
// the setting; an outage, or a write another worker is busy with, is
// transient.
func (r *Resolver) Resolve(ctx context.Context, ev *koppelv1.OrderEvent) error {
	o := ev.GetOrder()
	p, ok := r.profiles[o.GetProfile()]
	if !ok {
		return pipeline.Permanent(fmt.Errorf("articles: order %s: unknown profile %q", o.GetShopOrderId(), o.GetProfile()))
	}
	c, err := r.o.Clients(p.ID)
	if err != nil {
		return pipeline.Permanent(fmt.Errorf("articles: profile %s: snelstart client: %w", p.ID, err))
	}
	extra, _ := codeField(p)
	j := &job{r: r, p: p, c: c, o: o, ev: ev, extra: extra, owner: r.o.Owner + "/" + nonce(), done: map[string]*article{}}
	res, err := j.resolve(ctx)
	if err != nil {
		return err
	}
	ev.Articles = res
	created, updated := 0, 0
	for _, a := range res {
		if a.GetCreated() {
			created++
		}
		if a.GetUpdated() {
			updated++
		}
	}
	r.log.InfoContext(ctx, "articles resolved", "profile", p.ID, "order", o.GetShopOrderId(), "articles", len(res),
		"created", created, "updated", updated)
	return nil
}

func nonce() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// An article is what the stage knows of one SnelStart artikel, and what
// the lookup cache holds for a SKU.
type article struct {
	ID           snelstart.ID `json:"id"`
	Code         string       `json:"code"`
	Omschrijving string       `json:"omschrijving,omitempty"`
	Verkoopprijs string       `json:"verkoopprijs,omitempty"`
	Groep        snelstart.ID `json:"groep,omitempty"`       // its artikelomzetgroep
	Verified     int64        `json:"verified"`              // unix seconds: last read from SnelStart
	CreatedFor   string       `json:"created_for,omitempty"` // the order koppel created it for

	created, updated bool
}

// A job resolves the articles of one order.
type job struct {
	r     *Resolver
	p     *profile.Profile
	c     *snelstart.Client
	o     *koppelv1.Order
	ev    *koppelv1.OrderEvent
	extra string // the extra field holding SKUs; "" for artikelcode
	owner string
	done  map[string]*article // by SKU: each is resolved once per order
	// holdLock keeps a SKU's find-or-create lock until it expires, after
	// a create whose outcome is unknown.
	holdLock bool

	// The order's VAT regime and the administration's VAT facts, once
	// decided: see vatDecision.
	decided  bool
	decision vat.Decision
	facts    vat.Facts
}

func (j *job) resolve(ctx context.Context) ([]*koppelv1.ArticleResolution, error) {
	if err := j.checkSKUs(); err != nil {
		return nil, err
	}
	var out []*koppelv1.ArticleResolution
	for _, l := range j.o.GetLines() {
		ar, err := j.line(ctx, l)
		if err != nil {
			return nil, err
		}
		out = append(out, ar)
	}
	o := j.o
	services := []struct {
		kind, setting, code string
		used                bool
	}{
		{KindShipping, "orders.shipping_article", j.p.Orders.ShippingArticle, len(o.GetShippingLines()) > 0},
		{KindFee, "orders.fee_article", j.p.Orders.FeeArticle, len(o.GetFeeLines()) > 0},
		{KindDiscount, "orders.discount_article", j.p.Orders.DiscountArticle, len(o.GetDiscounts()) > 0 || nonZero(o.GetTotals().GetDiscountExcl())},
	}
	for _, s := range services {
		code := strings.TrimSpace(s.code)
		if code == "" || !s.used {
			continue
		}
		a, err := j.service(ctx, s.setting, code)
		if err != nil {
			return nil, err
		}
		g, err := j.groupOf(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, a.resolution("", s.kind, g.soort))
	}
	return out, nil
}

// line resolves a product line: the article of its SKU (found, or created
// in the omzetgroep of the btw-soort of the line's rate), checked against
// that soort (see [job.target]), kept current under add_and_update, with
// the customer's price of the product when the line mode needs it.
func (j *job) line(ctx context.Context, l *koppelv1.Line) (*koppelv1.ArticleResolution, error) {
	sku := strings.TrimSpace(l.GetSku())
	v, err := j.lineVAT(ctx, l)
	if err != nil {
		return nil, err
	}
	a, seen := j.done[sku]
	if !seen {
		if a, err = j.find(ctx, j.extra, sku, l, v); err != nil {
			return nil, err
		}
	}
	t, err := j.target(ctx, a, sku, l, v)
	if err != nil {
		return nil, err
	}
	if !seen {
		if j.p.Articles.Processing == ProcessAddAndUpdate && !a.created {
			if err := j.update(ctx, a, sku, l); err != nil {
				return nil, err
			}
		}
		j.done[sku] = a
	}
	ar := t.a.resolution(l.GetLineId(), KindProduct, t.soort)
	ar.RateArticle = t.rateArticle
	if j.p.Orders.Lines == LinesCodeAndQuantity {
		// The customer's price is the product's, on a rate article too.
		price, err := j.agreedPrice(ctx, a, l)
		if err != nil {
			return nil, err
		}
		ar.AgreedPrice = price
	}
	return ar, nil
}

func nonZero(s string) bool {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	return err == nil && !d.IsZero()
}

func (a *article) resolution(lineID, kind string, soort snelstart.BtwSoort) *koppelv1.ArticleResolution {
	return &koppelv1.ArticleResolution{LineId: lineID, ArtikelId: string(a.ID), Artikelcode: a.Code, Created: a.created,
		Updated: a.updated, Omschrijving: a.Omschrijving, Verkoopprijs: a.Verkoopprijs, Kind: kind, BtwSoort: string(soort)}
}

// checkSKUs applies the no-SKU rule: a line without a SKU cannot be tied to
// an article without guessing, so the order is dead-lettered, naming every
// such line.
func (j *job) checkSKUs() error {
	var missing []string
	for _, l := range j.o.GetLines() {
		if strings.TrimSpace(l.GetSku()) == "" {
			missing = append(missing, fmt.Sprintf("line %s (%q)", l.GetLineId(), l.GetName()))
		}
	}
	if missing == nil {
		return nil
	}
	return pipeline.Permanent(fmt.Errorf("articles: order %s: %s %s no SKU; koppel ties lines to SnelStart articles by SKU only and does not guess: give the product a SKU in the shop for later orders, and book this order by hand in SnelStart (then discard this dead letter)",
		j.o.GetShopOrderId(), strings.Join(missing, ", "), map[bool]string{true: "has", false: "have"}[len(missing) == 1]))
}

// service resolves a configured shipping, fee or discount article by
// artikelcode; it is never created.
func (j *job) service(ctx context.Context, setting, code string) (*article, error) {
	a, err := j.find(ctx, "", code, nil, lineVAT{})
	var nf *notFound
	if errors.As(err, &nf) {
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: %s is %q, but SnelStart has no active article with that artikelcode: create it (in the revenue group whose VAT it must carry) or correct the profile, then replay the order",
			j.o.GetShopOrderId(), setting, code))
	}
	return a, err
}

// notFound is the error of find for a SKU no article has, when it may not
// be created.
type notFound struct{ sku string }

func (e *notFound) Error() string { return "no article for SKU " + e.sku }

// find returns the article of sku (by artikelcode when extra is "", else
// by the extra field extra). l is the order line for a product, which may
// be created (in the omzetgroep of v); nil for a service or rate article,
// which may not.
func (j *job) find(ctx context.Context, extra, sku string, l *koppelv1.Line, v lineVAT) (*article, error) {
	cacheKey := j.cacheKey(extra, sku)
	if a, ok, err := j.fromCache(ctx, cacheKey); err != nil || ok {
		return a, err
	}
	lctx, cancel := context.WithTimeout(ctx, j.r.o.LockWait)
	unlock, err := idempotency.Lock(lctx, j.r.o.Store, "articles:"+j.p.ID+":"+fieldName(extra)+":"+sku, j.owner, j.r.o.LockTTL)
	cancel()
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, pipeline.Later(fmt.Errorf("articles: order %s: another worker is resolving SKU %q (its lock is held); retrying", j.o.GetShopOrderId(), sku), time.Second)
		}
		return nil, fmt.Errorf("articles: lock SKU %q: %w", sku, err)
	}
	defer func() {
		if j.holdLock {
			return // a create of unknown outcome may still land: let the lock expire
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = unlock(uctx)
	}()
	if a, ok, err := j.fromCache(ctx, cacheKey); err != nil || ok {
		return a, err
	}
	a, err := j.lookup(ctx, extra, sku)
	if err != nil {
		return nil, err
	}
	if a == nil {
		if l == nil {
			return nil, &notFound{sku: sku}
		}
		if j.p.Articles.Processing == ProcessManual {
			return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: unknown SKU %q: SnelStart has no active article with %s %q, and articles.processing is manual, so koppel creates none: create the article in SnelStart, then replay the order",
				j.o.GetShopOrderId(), sku, describeField(extra), sku))
		}
		if a, err = j.create(ctx, extra, sku, l, v); err != nil {
			return nil, err
		}
	}
	j.cacheSet(ctx, cacheKey, a)
	return a, nil
}

func fieldName(extra string) string {
	if extra == "" {
		return FieldArtikelcode
	}
	return FieldExtraPrefix + extra
}

func describeField(extra string) string {
	if extra == "" {
		return "artikelcode"
	}
	return fmt.Sprintf("extra field %q", extra)
}

func (j *job) cacheKey(extra, sku string) string {
	return "articles:" + j.p.ID + ":" + fieldName(extra) + ":" + sku
}

// lookup asks SnelStart for the article of sku; nil when there is none. An
// artikelcode must equal the SKU, or differ only in case when no other
// does; an extra field's value must equal it. Inactive articles count only
// when no active one fits, and then they are an error; two active ones are
// ambiguous.
func (j *job) lookup(ctx context.Context, extra, sku string) (*article, error) {
	var f snelstart.Filter
	if extra == "" {
		f = snelstart.Eq("Artikelcode", sku)
	} else {
		f = snelstart.Any("ExtraVelden", snelstart.And(snelstart.Eq("Naam", extra), snelstart.Eq("Waarde", sku)))
	}
	arts, err := j.c.ListArtikelen(ctx, f)
	if err != nil {
		return nil, j.readErr(fmt.Sprintf("look up SKU %q", sku), err)
	}
	exact, folded, inactive := pick(arts, extra, sku)
	hits := exact
	if len(hits) == 0 {
		hits = folded
	}
	switch {
	case len(hits) == 1:
		return fromArtikel(hits[0]), nil
	case len(hits) > 1:
		var codes []string
		for _, a := range hits {
			codes = append(codes, fmt.Sprintf("%q", a.Artikelcode))
		}
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: ambiguous SKU %q: %d active articles in SnelStart fit it by %s (artikelcodes %s); koppel does not pick one: deactivate or correct all but one, then replay the order",
			j.o.GetShopOrderId(), sku, len(hits), describeField(extra), strings.Join(codes, ", ")))
	case inactive != nil:
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: SKU %q is article %q in SnelStart, which is inactive (nonactief): reactivate it in SnelStart, then replay the order",
			j.o.GetShopOrderId(), sku, inactive.Artikelcode))
	}
	return nil, nil
}

// pick sorts the listed articles that fit sku: active exact matches,
// active matches that differ only in case (artikelcode only), and an
// inactive match.
func pick(arts []snelstart.Artikel, extra, sku string) (exact, folded []*snelstart.Artikel, inactive *snelstart.Artikel) {
	for i := range arts {
		a := &arts[i]
		var isExact, isFolded bool
		if extra == "" {
			isExact, isFolded = a.Artikelcode == sku, strings.EqualFold(strings.TrimSpace(a.Artikelcode), sku)
		} else {
			for _, x := range a.ExtraVelden {
				if strings.EqualFold(strings.TrimSpace(x.Naam), extra) && strings.TrimSpace(x.Waarde) == sku {
					isExact = true
				}
			}
		}
		switch {
		case !isExact && !isFolded:
		case a.IsNonActief != nil && *a.IsNonActief:
			inactive = a
		case isExact:
			exact = append(exact, a)
		default:
			folded = append(folded, a)
		}
	}
	return exact, folded, inactive
}

func fromArtikel(a *snelstart.Artikel) *article {
	out := &article{ID: a.ID, Code: a.Artikelcode, Omschrijving: a.Omschrijving}
	if a.ArtikelOmzetgroep != nil {
		out.Groep = a.ArtikelOmzetgroep.ID
	}
	if a.Verkoopprijs != nil {
		out.Verkoopprijs = a.Verkoopprijs.String()
	}
	return out
}

// create makes the article of sku for line l, whose rate needs btw-soort
// v, once: under the ledger key <code field>:<sku>. An article koppel made
// for the SKU earlier is reused (and then checked like any found one); if
// it was since deleted in SnelStart, a new generation of the key is
// claimed.
func (j *job) create(ctx context.Context, extra, sku string, l *koppelv1.Line, v lineVAT) (*article, error) {
	s, err := j.r.settingsOf(ctx, j.p, j.c, false)
	if err != nil {
		return nil, err
	}
	g, err := j.groupFor(s, sku, l, v)
	if err != nil {
		return nil, err
	}
	want, err := j.newArtikel(s, g, extra, sku, l)
	if err != nil {
		return nil, err
	}
	key := idempotency.EffectKey(j.p.ID, KindArtikel, fieldName(extra)+":"+sku)
	for gen := 0; gen < 8; gen++ {
		cl, err := j.r.o.Store.Claim(ctx, key, j.owner, j.r.o.Lease)
		if err != nil {
			return nil, fmt.Errorf("articles: claim %s: %w", key, err)
		}
		switch cl.Outcome {
		case idempotency.Done:
			id, createdFor, _ := strings.Cut(string(cl.Result), " ")
			a, gone, err := j.get(ctx, snelstart.ID(id))
			if err != nil {
				return nil, err
			}
			if gone {
				key = idempotency.EffectKey(j.p.ID, KindArtikel, fieldName(extra)+":"+sku+"/after:"+id)
				continue
			}
			a.CreatedFor = createdFor
			a.created = createdFor == j.o.GetShopOrderId()
			return a, nil
		case idempotency.Busy:
			return nil, pipeline.Later(fmt.Errorf("articles: order %s: another worker (%s) is creating the article of SKU %q; retrying", j.o.GetShopOrderId(), cl.Holder, sku), waitFor(cl.Until))
		case idempotency.TookOver:
			if a, ok, err := j.lookCreated(ctx, key, extra, sku); err != nil || ok {
				return a, err
			}
		}
		made, err := j.post(ctx, key, extra, sku, want)
		if err != nil {
			return nil, err
		}
		a := fromArtikel(made)
		a.created, a.CreatedFor = true, j.o.GetShopOrderId()
		a.Groep = cmp.Or(a.Groep, g.id)
		if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(string(a.ID)+" "+j.o.GetShopOrderId())); err != nil {
			j.r.log.WarnContext(ctx, "artikel created but not recorded in the ledger", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "artikel_id", a.ID, "error", err)
		}
		if extra != "" && !hasExtra(made, extra, sku) {
			j.r.log.WarnContext(ctx, "SnelStart did not store the extra field of a new artikel; koppel finds it through the ledger only",
				"profile", j.p.ID, "artikel_id", a.ID)
		}
		return a, nil
	}
	return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: the article koppel created for SKU %q was deleted in SnelStart too often; create it by hand, then replay", j.o.GetShopOrderId(), sku))
}

func hasExtra(a *snelstart.Artikel, extra, sku string) bool {
	for _, x := range a.ExtraVelden {
		if strings.EqualFold(x.Naam, extra) && x.Waarde == sku {
			return true
		}
	}
	return false
}

// lookCreated looks in SnelStart for the article an earlier write under
// key may have made, and records it in the ledger when found.
func (j *job) lookCreated(ctx context.Context, key, extra, sku string) (*article, bool, error) {
	a, err := j.lookup(ctx, extra, sku)
	if err != nil || a == nil {
		return nil, false, err
	}
	if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(string(a.ID)+" ")); err != nil {
		return nil, false, fmt.Errorf("articles: record %s: %w", key, err)
	}
	return a, true, nil
}

// post creates want while holding the claim on key. A write whose outcome
// is unknown is looked up at once; if nothing is found the claim is kept,
// so that the next attempt, after the lease, looks again before writing.
func (j *job) post(ctx context.Context, key, extra, sku string, want *snelstart.Artikel) (*snelstart.Artikel, error) {
	made, err := j.c.CreateArtikel(ctx, want)
	if err == nil {
		return made, nil
	}
	release := func() { _ = j.r.o.Store.Release(context.WithoutCancel(ctx), key, j.owner) }
	switch {
	case errors.Is(err, snelstart.ErrOutcomeUnknown):
		if a, lerr := j.lookup(ctx, extra, sku); lerr == nil && a != nil {
			return &snelstart.Artikel{ID: a.ID, Artikelcode: a.Code, Omschrijving: a.Omschrijving, Verkoopprijs: decimalPtr(a.Verkoopprijs),
				ArtikelOmzetgroep: snelstart.RefTo(cmp.Or(a.Groep, want.ArtikelOmzetgroep.ID)), ExtraVelden: want.ExtraVelden}, nil
		}
		j.holdLock = true
		return nil, fmt.Errorf("articles: order %s: create the article of SKU %q: the outcome is unknown and it was not found yet; koppel looks again before writing: %w", j.o.GetShopOrderId(), sku, err)
	case snelstart.HasCode(err, snelstart.CodeArtikelcodeExists):
		release()
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: SKU %q: SnelStart already has an article with artikelcode %q that does not carry %s %q: give that article the SKU in SnelStart (or deactivate it), then replay the order",
			j.o.GetShopOrderId(), sku, want.Artikelcode, describeField(extra), sku))
	case snelstart.IsPermanent(err):
		release()
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: SnelStart refused a new article for SKU %q: %w; create the article in SnelStart, then replay the order", j.o.GetShopOrderId(), sku, err))
	default:
		release()
		return nil, fmt.Errorf("articles: order %s: create the article of SKU %q: %w", j.o.GetShopOrderId(), sku, err)
	}
}

func decimalPtr(s string) *snelstart.Decimal {
	if s == "" {
		return nil
	}
	d, err := snelstart.ParseDecimal(s)
	if err != nil {
		return nil
	}
	return &d
}

// newArtikel returns the article koppel creates for a line: artikelcode
// the SKU (which must suit the administration's artikelcode rules),
// omschrijving the line's name, artikelOmzetgroep g, verkoopprijs the
// shop's unit price incl. or excl. VAT as the administration keeps its
// prices, and with an extra code field that field set to the SKU.
func (j *job) newArtikel(s *adminSettings, g omzetgroep, extra, sku string, l *koppelv1.Line) (*snelstart.Artikel, error) {
	switch {
	case s.numericCodes && strings.Trim(sku, "0123456789") != "":
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: SKU %q cannot become an artikelcode: this administration uses numeric artikelcodes (ART-0003); create the article in SnelStart, then replay the order", j.o.GetShopOrderId(), sku))
	case s.maxCode > 0 && len([]rune(sku)) > s.maxCode:
		return nil, pipeline.Permanent(fmt.Errorf("articles: order %s: SKU %q is longer than the %d characters of an artikelcode in this administration (ART-0004); create the article in SnelStart, then replay the order", j.o.GetShopOrderId(), sku, s.maxCode))
	}
	a := &snelstart.Artikel{
		Artikelcode:       sku,
		Omschrijving:      omschrijving(l, sku),
		ArtikelOmzetgroep: snelstart.RefTo(g.id),
		Verkoopprijs:      shopPrice(s, l),
	}
	if extra != "" {
		a.ExtraVelden = []snelstart.ExtraVeld{{Naam: extra, Waarde: sku}}
	}
	return a, nil
}

// omschrijving is the line's name in at most 250 characters; the SKU when
// the line has no name.
func omschrijving(l *koppelv1.Line, sku string) string {
	s := strings.Join(strings.Fields(l.GetName()), " ")
	if s == "" {
		return sku
	}
	if r := []rune(s); len(r) > maxOmschrijving {
		s = strings.TrimSpace(string(r[:maxOmschrijving]))
	}
	return s
}

// shopPrice is the line's unit price as the administration keeps article
// prices (excl. or incl. VAT), rounded to its price decimals; nil when the
// shop sent none.
func shopPrice(s *adminSettings, l *koppelv1.Line) *snelstart.Decimal {
	raw := l.GetUnitPriceIncl()
	if s.exclusief {
		raw = l.GetUnitPriceExcl()
	}
	d, err := decimal.NewFromString(strings.TrimSpace(raw))
	if err != nil {
		return nil
	}
	v := snelstart.NewDecimal(d.Round(s.decimals))
	return &v
}

// update keeps a's omschrijving and verkoopprijs current with the line
// (add_and_update), once per order revision: under the ledger key
// <artikel id>:<shop order id>:<revision>.
func (j *job) update(ctx context.Context, a *article, sku string, l *koppelv1.Line) error {
	s, err := j.r.settingsOf(ctx, j.p, j.c, false)
	if err != nil {
		return err
	}
	wantDesc, wantPrice := omschrijving(l, sku), shopPrice(s, l)
	if !differs(a.Omschrijving, a.Verkoopprijs, wantDesc, wantPrice) {
		return nil
	}
	full, err := j.c.GetArtikel(ctx, a.ID)
	var apiErr *snelstart.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound, err == nil && full.IsNonActief != nil && *full.IsNonActief:
		// Deleted or deactivated since it was cached: resolve it again on
		// the next delivery.
		if err := j.r.o.Store.CacheDelete(ctx, j.cacheKey(j.extra, sku)); err != nil {
			return fmt.Errorf("articles: cache: %w", err)
		}
		return fmt.Errorf("articles: order %s: the article of SKU %q was deleted or deactivated in SnelStart; resolving it again", j.o.GetShopOrderId(), sku)
	case err != nil:
		return j.readErr("read article "+string(a.ID), err)
	}
	if !differs(full.Omschrijving, priceString(full.Verkoopprijs), wantDesc, wantPrice) {
		a.Omschrijving, a.Verkoopprijs = full.Omschrijving, priceString(full.Verkoopprijs)
		j.cacheSet(ctx, j.cacheKey(j.extra, sku), a)
		return nil
	}
	key := idempotency.EffectKey(j.p.ID, KindArtikelUpdate, string(a.ID)+":"+j.o.GetShopOrderId()+":"+j.o.GetRevision())
	cl, err := j.r.o.Store.Claim(ctx, key, j.owner, j.r.o.Lease)
	if err != nil {
		return fmt.Errorf("articles: claim %s: %w", key, err)
	}
	switch cl.Outcome {
	case idempotency.Done:
		// An earlier delivery of this order revision updated it; somebody
		// changed it since, and that change stands.
		a.Omschrijving, a.Verkoopprijs, a.updated = full.Omschrijving, priceString(full.Verkoopprijs), true
		return nil
	case idempotency.Busy:
		return pipeline.Later(fmt.Errorf("articles: order %s: another worker (%s) is updating the article of SKU %q; retrying", j.o.GetShopOrderId(), cl.Holder, sku), waitFor(cl.Until))
	}
	full.Omschrijving = wantDesc
	if wantPrice != nil {
		full.Verkoopprijs = wantPrice
	}
	// A PUT sends the same record however often it is repeated, so an
	// earlier attempt's unknown outcome needs no look first.
	stored, err := j.c.UpdateArtikel(ctx, full)
	if err != nil {
		if !errors.Is(err, snelstart.ErrOutcomeUnknown) {
			_ = j.r.o.Store.Release(context.WithoutCancel(ctx), key, j.owner)
		}
		if snelstart.IsPermanent(err) {
			return pipeline.Permanent(fmt.Errorf("articles: order %s: SnelStart refused the update of the article of SKU %q: %w; correct the product in the shop, or set articles.processing to add, then replay the order",
				j.o.GetShopOrderId(), sku, err))
		}
		return fmt.Errorf("articles: order %s: update the article of SKU %q: %w", j.o.GetShopOrderId(), sku, err)
	}
	if err := j.r.o.Store.Complete(ctx, key, j.owner, []byte(a.ID)); err != nil {
		j.r.log.WarnContext(ctx, "artikel updated but not recorded in the ledger", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "artikel_id", a.ID, "error", err)
	}
	a.Omschrijving, a.Verkoopprijs, a.updated = stored.Omschrijving, priceString(stored.Verkoopprijs), true
	if a.Omschrijving == "" {
		a.Omschrijving, a.Verkoopprijs = wantDesc, priceString(full.Verkoopprijs)
	}
	j.cacheSet(ctx, j.cacheKey(j.extra, sku), a)
	return nil
}

func priceString(d *snelstart.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// differs reports whether an article's omschrijving or verkoopprijs differs
// from the shop's; prices compare as numbers, and a line without a price
// leaves the price alone.
func differs(desc, price, wantDesc string, wantPrice *snelstart.Decimal) bool {
	if desc != wantDesc {
		return true
	}
	if wantPrice == nil {
		return false
	}
	have, err := decimal.NewFromString(price)
	return err != nil || !have.Equal(wantPrice.Decimal)
}

// agreedPrice returns what the order's customer pays per unit of a for the
// line's quantity on the order's date (GET /prijsafspraken: price
// agreements and promotions, else the article's price), from the cache
// when it was asked before.
func (j *job) agreedPrice(ctx context.Context, a *article, l *koppelv1.Line) (string, error) {
	relatie := snelstart.ID(j.ev.GetCustomer().GetRelatieId())
	if relatie == "" {
		return "", pipeline.Permanent(fmt.Errorf("articles: order %s: orders.lines is %s, which needs the customer's prices, but the order has no customer: it must pass the customers stage first",
			j.o.GetShopOrderId(), LinesCodeAndQuantity))
	}
	qty, err := decimal.NewFromString(strings.TrimSpace(l.GetQuantity()))
	if err != nil {
		return "", pipeline.Permanent(fmt.Errorf("articles: order %s: line %s: quantity %q is not a number", j.o.GetShopOrderId(), l.GetLineId(), l.GetQuantity()))
	}
	qty = qty.Abs()
	if qty.IsZero() {
		qty = decimal.NewFromInt(1)
	}
	y, m, d := j.day().Date()
	datum := snelstart.LocalDate(y, m, d)
	cacheKey := "articles:" + j.p.ID + ":price:" + string(a.ID) + ":" + string(relatie) + ":" + qty.String() + ":" + datum.String() + ":" + a.Verkoopprijs
	if v, ok, err := j.r.o.Store.CacheGet(ctx, cacheKey); err != nil {
		return "", fmt.Errorf("articles: cache: %w", err)
	} else if ok {
		return string(v), nil
	}
	ps, err := j.c.ListPrijsafspraken(ctx, snelstart.And(snelstart.Eq("Artikel/Id", a.ID), snelstart.Eq("Relatie/Id", relatie),
		snelstart.Eq("Aantal", snelstart.NewDecimal(qty)), snelstart.Eq("Datum", datum)))
	var apiErr *snelstart.Error
	switch {
	case errors.As(err, &apiErr) && (apiErr.Status == http.StatusNotFound || apiErr.HasCode(snelstart.CodeArtikelKlantNotFound)):
		return "", pipeline.Permanent(fmt.Errorf("articles: order %s: SnelStart does not know relatie %s or article %q any more (deleted after the order was matched?): %w; book the order by hand, or re-import it",
			j.o.GetShopOrderId(), relatie, a.Code, err))
	case err != nil:
		return "", j.readErr("read the customer's price of "+a.Code, err)
	}
	price := a.Verkoopprijs
	if len(ps) > 0 && ps[0].Verkoopprijs != nil {
		price = ps[0].Verkoopprijs.String()
	}
	if err := j.r.o.Store.CacheSet(ctx, cacheKey, []byte(price)); err != nil {
		j.r.log.WarnContext(ctx, "price cache not written", "profile", j.p.ID, "error", err)
	}
	return price, nil
}

// fromCache returns the cached article of a SKU. An entry older than
// VerifyAfter is read again from SnelStart first: dropped when the article
// is gone or inactive, refreshed otherwise.
func (j *job) fromCache(ctx context.Context, cacheKey string) (*article, bool, error) {
	raw, ok, err := j.r.o.Store.CacheGet(ctx, cacheKey)
	if err != nil {
		return nil, false, fmt.Errorf("articles: cache: %w", err)
	}
	var a article
	if !ok || json.Unmarshal(raw, &a) != nil || a.ID == "" {
		return nil, false, nil
	}
	a.created = a.CreatedFor != "" && a.CreatedFor == j.o.GetShopOrderId()
	// An entry from before the stage kept the omzetgroep is read again too.
	if va := j.r.o.VerifyAfter; a.Groep == "" || va > 0 && j.r.o.Now().Sub(time.Unix(a.Verified, 0)) > va {
		fresh, gone, err := j.get(ctx, a.ID)
		if err != nil {
			return nil, false, err
		}
		if gone {
			j.r.log.InfoContext(ctx, "cached artikel is gone; resolving again", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "artikel_id", a.ID)
			if err := j.r.o.Store.CacheDelete(ctx, cacheKey); err != nil {
				return nil, false, fmt.Errorf("articles: cache: %w", err)
			}
			return nil, false, nil
		}
		a.Code, a.Omschrijving, a.Verkoopprijs, a.Groep = fresh.Code, fresh.Omschrijving, fresh.Verkoopprijs, fresh.Groep
		j.cacheSet(ctx, cacheKey, &a)
	}
	return &a, true, nil
}

// cacheSet stores a under key, stamped as verified now. A failure only
// costs a lookup later, so it is logged, not returned.
func (j *job) cacheSet(ctx context.Context, key string, a *article) {
	e := *a
	e.Verified = j.r.o.Now().Unix()
	b, _ := json.Marshal(e)
	if err := j.r.o.Store.CacheSet(ctx, key, b); err != nil {
		j.r.log.WarnContext(ctx, "article cache not written", "profile", j.p.ID, "error", err)
	}
}

// get reads the article id; gone reports one deleted (404) or deactivated
// in SnelStart.
func (j *job) get(ctx context.Context, id snelstart.ID) (*article, bool, error) {
	got, err := j.c.GetArtikel(ctx, id)
	var apiErr *snelstart.Error
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound, errors.Is(err, snelstart.ErrInvalidRequest):
		return nil, true, nil
	case err != nil:
		return nil, false, j.readErr("read article "+string(id), err)
	case got.IsNonActief != nil && *got.IsNonActief:
		return nil, true, nil
	}
	return fromArtikel(got), false, nil
}

// readErr wraps a failed read: permanent when SnelStart refused it,
// transient otherwise.
func (j *job) readErr(what string, err error) error {
	err = fmt.Errorf("articles: order %s: %s: %w", j.o.GetShopOrderId(), what, err)
	if snelstart.IsPermanent(err) {
		return pipeline.Permanent(err)
	}
	return err
}

// settingsOf reads, once per profile, the administration's article
// settings (GET /companyInfo) and its omzetgroepen (GET
// /artikelomzetgroepen, which has no OData), and plans where koppel
// creates articles of each btw-soort (see planGroups); fresh reads them
// again. Revenue group settings that do not fit SnelStart are a permanent
// error naming the setting.
func (r *Resolver) settingsOf(ctx context.Context, p *profile.Profile, c *snelstart.Client, fresh bool) (*adminSettings, error) {
	r.mu.Lock()
	s := r.settings[p.ID]
	r.mu.Unlock()
	if s != nil && !fresh {
		return s, nil
	}
	wrap := func(what string, err error) error {
		err = fmt.Errorf("articles: profile %s: %s: %w", p.ID, what, err)
		if snelstart.IsPermanent(err) {
			return pipeline.Permanent(err)
		}
		return err
	}
	info, err := c.CompanyInfo(ctx)
	if err != nil {
		return nil, wrap("read companyInfo", err)
	}
	list, err := c.ListArtikelOmzetgroepen(ctx)
	if err != nil {
		return nil, wrap("read artikelomzetgroepen", err)
	}
	s = &adminSettings{decimals: 2, numericCodes: info.ArtikelcodeSoort == snelstart.ArtikelcodeSoortNumeriek}
	if info.VerkoopprijsArtikelbestandExclusiefBtw != nil {
		s.exclusief = *info.VerkoopprijsArtikelbestandExclusiefBtw
	}
	if info.ArtikelcodeMaxLengte != nil {
		s.maxCode = *info.ArtikelcodeMaxLengte
	}
	if info.AantalDecimalenArtikelprijzen != nil {
		s.decimals = int32(*info.AantalDecimalenArtikelprijzen)
	}
	if s.groups, err = planGroups(p.Articles, list); err != nil {
		return nil, pipeline.Permanent(fmt.Errorf("articles: profile %s: %w: koppel cannot create articles in, or check the VAT of, the right omzetgroep; correct the profile, then replay the order",
			p.ID, err))
	}
	r.mu.Lock()
	r.settings[p.ID] = s
	r.mu.Unlock()
	return s, nil
}

// waitFor is how long to wait before looking again at a claim held until
// until: a second, or less when the lease ends sooner. The holder usually
// finishes long before its lease ends.
func waitFor(until time.Time) time.Duration {
	return min(max(time.Until(until), 100*time.Millisecond), time.Second)
}
