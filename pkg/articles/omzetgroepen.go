package articles

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// soorten are the btw-soorten an omzetgroep can have.
var soorten = []snelstart.BtwSoort{snelstart.BtwSoortHoog, snelstart.BtwSoortLaag, snelstart.BtwSoortGeen, snelstart.BtwSoortOverig}

// An omzetgroep is one artikelomzetgroep as the stage needs it.
type omzetgroep struct {
	id     snelstart.ID
	nummer int // 0 when SnelStart gave none
	naam   string
	soort  snelstart.BtwSoort
}

// String returns `omzetgroep 1 ("Omzet hoog tarief")`.
func (g omzetgroep) String() string { return fmt.Sprintf("omzetgroep %d (%q)", g.nummer, g.naam) }

// groups are an administration's omzetgroepen: every one by id, to know
// the btw-soort of any article, and the one koppel creates articles of each
// btw-soort in.
type groups struct {
	byID   map[string]omzetgroep             // by lower-case id
	create map[snelstart.BtwSoort]omzetgroep // where a new article of a soort goes
	// fallback takes new articles whose soort the order cannot tell (ICP,
	// export, free lines, lines without a rate): articles.revenue_group,
	// else the group of Hoog; zero when there is neither.
	fallback omzetgroep
}

// planGroups decides where koppel creates articles of each btw-soort, from
// the profile and SnelStart's omzetgroepen list:
//
//   - articles.revenue_groups.<soort> names the group of that soort, which
//     must exist and have that btw-soort;
//   - articles.revenue_group, which must exist, takes the articles of its
//     own btw-soort when revenue_groups does not name that soort, and the
//     articles whose soort the order cannot tell;
//   - any other soort goes to the only group of that soort, or the
//     lowest-numbered one when there are several.
//
// A setting that does not fit SnelStart is an error naming it.
func planGroups(a profile.Articles, list []snelstart.ArtikelOmzetgroep) (groups, error) {
	g := groups{byID: map[string]omzetgroep{}, create: map[snelstart.BtwSoort]omzetgroep{}}
	byNummer := map[int]omzetgroep{}
	for _, x := range list {
		o := omzetgroep{id: x.ID, naam: x.Omschrijving, soort: x.VerkoopNederlandBtwSoort}
		if s, ok := vat.ParseSoort(string(x.VerkoopNederlandBtwSoort)); ok {
			o.soort = s
		}
		if x.Nummer != nil {
			o.nummer = *x.Nummer
			byNummer[o.nummer] = o
		}
		g.byID[strings.ToLower(string(x.ID))] = o
	}
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(a.RevenueGroups)) {
		n := a.RevenueGroups[key]
		soort, ok := vat.ParseSoort(key)
		o, found := byNummer[n]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("articles.revenue_groups has key %q, which is not a btw-soort (use %s)", key, strings.Join(profile.BtwSoorten, ", ")))
		case !found:
			problems = append(problems, fmt.Sprintf("articles.revenue_groups.%s is %d, but SnelStart has no artikelomzetgroep %d", key, n, n))
		case o.soort != soort:
			problems = append(problems, fmt.Sprintf("articles.revenue_groups.%s is %d, but %s has btw-soort %s, not %s", key, n, o, o.soort, soort))
		default:
			g.create[soort] = o
		}
	}
	if n := a.RevenueGroup; n != 0 {
		o, found := byNummer[n]
		if !found {
			problems = append(problems, fmt.Sprintf("articles.revenue_group %d is not an artikelomzetgroep in SnelStart", n))
		} else {
			g.fallback = o
			if _, named := g.create[o.soort]; !named {
				g.create[o.soort] = o
			}
		}
	}
	if problems != nil {
		return groups{}, errors.New(strings.Join(problems, "; "))
	}
	byNumber := slices.SortedFunc(maps.Values(byNummer), func(x, y omzetgroep) int { return cmp.Compare(x.nummer, y.nummer) })
	for _, s := range soorten {
		if _, ok := g.create[s]; ok {
			continue
		}
		if i := slices.IndexFunc(byNumber, func(o omzetgroep) bool { return o.soort == s }); i >= 0 {
			g.create[s] = byNumber[i]
		}
	}
	if g.fallback.id == "" {
		g.fallback = g.create[snelstart.BtwSoortHoog]
	}
	return g, nil
}

// of returns the omzetgroep with id.
func (g groups) of(id snelstart.ID) (omzetgroep, bool) {
	o, ok := g.byID[strings.ToLower(string(id))]
	return o, ok
}

// A lineVAT is the btw-soort the article of an order line must have.
type lineVAT struct {
	soort snelstart.BtwSoort // "" when the order cannot tell
	rate  decimal.Decimal    // the shop's rate, when soort is set
}

// known reports whether the line's rate tells its article's btw-soort.
func (v lineVAT) known() bool { return v.soort != "" }

// lineVAT returns the btw-soort the article of l must have for SnelStart
// to book the rate the shop charged: through the administration's rate
// table on the order's date for a domestic order, the destination's rates
// for OSS. An ICP or export order (0 % whatever the article), a free line
// and a line without a rate tell nothing. A rate that is no btw-soort's is
// a permanent error naming the line.
func (j *job) lineVAT(ctx context.Context, l *koppelv1.Line) (lineVAT, error) {
	raw := strings.TrimSpace(l.GetTaxRate())
	if raw == "" || isFree(l) {
		return lineVAT{}, nil
	}
	rate, err := decimal.NewFromString(raw)
	if err != nil {
		return lineVAT{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s (%q): VAT rate %q is not a number", j.o.GetShopOrderId(), l.GetLineId(), l.GetName(), raw))
	}
	d, f, err := j.vatDecision(ctx)
	if err != nil {
		return lineVAT{}, err
	}
	if d.Regime == vat.ICP || d.Regime == vat.Export {
		return lineVAT{}, nil
	}
	day := j.day()
	soort, ok := d.Soort(f, rate, day)
	if !ok {
		known := "SnelStart knows " + f.Table.Rates(day)
		if d.Regime == vat.OSS {
			known = "an OSS order to " + d.Country + " is booked at " + d.Country + "'s rates"
		}
		return lineVAT{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s (%q) is charged %s %%, which is the rate of no btw-soort of this administration on %s (%s), so SnelStart cannot book it at that rate: correct the product's tax class in the shop and replay the order, or book it by hand",
			j.o.GetShopOrderId(), l.GetLineId(), l.GetName(), rate, day.Format(time.DateOnly), known))
	}
	return lineVAT{soort: soort, rate: rate}, nil
}

// isFree reports whether the line costs nothing: its VAT is zero whatever
// the article's btw-soort, so its rate says nothing about the article.
func isFree(l *koppelv1.Line) bool {
	d, err := decimal.NewFromString(strings.TrimSpace(l.GetTotalExcl()))
	return err == nil && d.IsZero()
}

// vatDecision returns the order's VAT regime and the administration's VAT
// facts, once per order: the regime the customers stage recorded, else
// (events from before it did, or an unknown value) vat.Decide's. An OSS
// order's destination comes from vat.Decide.
func (j *job) vatDecision(ctx context.Context) (vat.Decision, vat.Facts, error) {
	if j.decided {
		return j.decision, j.facts, nil
	}
	f, err := j.r.vat.Get(ctx, j.p.ID, j.c)
	if err != nil {
		err = fmt.Errorf("articles: profile %s: %w", j.p.ID, err)
		if snelstart.IsPermanent(err) {
			return vat.Decision{}, vat.Facts{}, pipeline.Permanent(err)
		}
		return vat.Decision{}, vat.Facts{}, err
	}
	d := vat.Decision{Regime: vat.Regime(j.ev.GetCustomer().GetRegime())}
	switch d.Regime {
	case vat.Domestic, vat.ICP, vat.Export:
	case vat.OSS:
		decided, _ := vat.Decide(j.o, f, j.day()) // its Country is set even when it fails
		d.Country = decided.Country
	default:
		if d, err = vat.Decide(j.o, f, j.day()); err != nil {
			return vat.Decision{}, vat.Facts{}, pipeline.Permanent(fmt.Errorf("articles: order %s: %w", j.o.GetShopOrderId(), err))
		}
	}
	j.decision, j.facts, j.decided = d, f, true
	return d, f, nil
}

// day is the order's date in the administration's zone: when it was
// placed, else when koppel received it, as the booker dates the order.
func (j *job) day() time.Time {
	t := j.r.o.Now()
	switch {
	case j.o.GetCreatedAt() != nil:
		t = j.o.GetCreatedAt().AsTime()
	case j.ev.GetReceivedAt() != nil:
		t = j.ev.GetReceivedAt().AsTime()
	}
	return t.In(j.r.o.Location)
}

// groupFor returns the omzetgroep a new article for a line of v goes into.
func (j *job) groupFor(s *adminSettings, sku string, l *koppelv1.Line, v lineVAT) (omzetgroep, error) {
	if !v.known() {
		// The order is charged no VAT (ICP, export): the shop's tax class
		// of the product still tells its usual soort.
		if soort, ok := vat.ClassSoort(l.GetTaxClass()); ok {
			if g, ok := s.groups.create[soort]; ok {
				return g, nil
			}
		}
		if s.groups.fallback.id == "" {
			return omzetgroep{}, pipeline.Permanent(fmt.Errorf("articles: order %s: SKU %q is new, and the order does not tell the btw-soort of its article (%s), so koppel would create it in articles.revenue_group, which is not set, and SnelStart has no omzetgroep with btw-soort Hoog: set articles.revenue_group, then replay the order",
				j.o.GetShopOrderId(), sku, j.unknownWhy(l)))
		}
		return s.groups.fallback, nil
	}
	g, ok := s.groups.create[v.soort]
	if !ok {
		return omzetgroep{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s (SKU %q) is charged %s %% (btw-soort %s), but SnelStart has no artikelomzetgroep with btw-soort %s to create its article in: create one in SnelStart (or set articles.revenue_groups.%s), then replay the order",
			j.o.GetShopOrderId(), l.GetLineId(), sku, v.rate, v.soort, v.soort, strings.ToLower(string(v.soort))))
	}
	return g, nil
}

// unknownWhy says why the order does not tell a line's btw-soort.
func (j *job) unknownWhy(l *koppelv1.Line) string {
	switch {
	case strings.TrimSpace(l.GetTaxRate()) == "":
		return "the line has no VAT rate"
	case isFree(l):
		return "the line is free"
	}
	return fmt.Sprintf("a %s order is booked at 0 %%", j.decision.Regime)
}

// groupOf returns the omzetgroep of article a. A group the cached list
// does not hold (made after it was read) is looked for in a fresh one.
func (j *job) groupOf(ctx context.Context, a *article) (omzetgroep, error) {
	s, err := j.r.settingsOf(ctx, j.p, j.c, false)
	if err != nil {
		return omzetgroep{}, err
	}
	if g, ok := s.groups.of(a.Groep); ok {
		return g, nil
	}
	if s, err = j.r.settingsOf(ctx, j.p, j.c, true); err != nil {
		return omzetgroep{}, err
	}
	if g, ok := s.groups.of(a.Groep); ok {
		return g, nil
	}
	return omzetgroep{}, pipeline.Permanent(fmt.Errorf("articles: order %s: article %q is in omzetgroep %q, which SnelStart does not list among its artikelomzetgroepen, so koppel cannot tell its btw-soort: give the article an omzetgroep in SnelStart, then replay the order",
		j.o.GetShopOrderId(), a.Code, a.Groep))
}

// A target is what a product line is booked on: its own article, or the
// rate article of its btw-soort.
type target struct {
	a           *article
	soort       snelstart.BtwSoort // of a's omzetgroep
	rateArticle bool
}

// target checks that the omzetgroep of a, the article of line l, has the
// btw-soort v of the shop's rate. When it does not, SnelStart would book
// another rate than the shop charged: with articles.on_rate_mismatch
// rate_article the line goes on the rate article of v's soort, otherwise
// the order is a dead letter naming the article, both soorten and the fix.
// Before it says so, the article and the omzetgroepen are read again, so
// that a replay after the fix sees it.
func (j *job) target(ctx context.Context, a *article, sku string, l *koppelv1.Line, v lineVAT) (target, error) {
	g, err := j.groupOf(ctx, a)
	if err != nil || !v.known() || g.soort == v.soort {
		return target{a: a, soort: g.soort}, err
	}
	if j.p.Articles.OnRateMismatch == profile.RateMismatchRateArticle {
		return j.rateArticle(ctx, a, l, v)
	}
	if fresh, err := j.reread(ctx, a, sku); err != nil {
		return target{}, err
	} else if fresh {
		if _, err := j.r.settingsOf(ctx, j.p, j.c, true); err != nil {
			return target{}, err
		}
		if g, err = j.groupOf(ctx, a); err != nil || g.soort == v.soort {
			return target{a: a, soort: g.soort}, err
		}
	}
	return target{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s: artikel %q is in %s with btw-soort %s%s, but the shop charged %s %% (btw-soort %s); koppel does not book a line at another rate than the shop charged: move artikel %q to an omzetgroep with btw-soort %s in SnelStart, or set articles.on_rate_mismatch: rate_article (the line is then booked on artikel %q), then replay the order",
		j.o.GetShopOrderId(), l.GetLineId(), a.Code, g, g.soort, j.rateOf(g.soort), v.rate, v.soort, a.Code, v.soort, rateArticleCode(v.soort)))
}

// rateOf returns " (21 %)", the Dutch rate of soort on the order's date,
// for a domestic order; "" otherwise.
func (j *job) rateOf(soort snelstart.BtwSoort) string {
	if j.decision.Regime != vat.Domestic {
		return ""
	}
	if r, ok := j.facts.Table.Rate(soort, j.day()); ok {
		return fmt.Sprintf(" (%s %%)", r)
	}
	return ""
}

// reread reads article a again and caches it, reporting whether it was
// read. A deleted or deactivated one is dropped from the cache and the
// order retried, to be resolved again.
func (j *job) reread(ctx context.Context, a *article, sku string) (bool, error) {
	if a.created {
		return false, nil // koppel made it for this order: nothing changed since
	}
	fresh, gone, err := j.get(ctx, a.ID)
	switch {
	case err != nil:
		return false, err
	case gone:
		if err := j.r.o.Store.CacheDelete(ctx, j.cacheKey(j.extra, sku)); err != nil {
			return false, fmt.Errorf("articles: cache: %w", err)
		}
		return false, fmt.Errorf("articles: order %s: the article of SKU %q was deleted or deactivated in SnelStart; resolving it again", j.o.GetShopOrderId(), sku)
	}
	a.Code, a.Omschrijving, a.Verkoopprijs, a.Groep = fresh.Code, fresh.Omschrijving, fresh.Verkoopprijs, fresh.Groep
	j.cacheSet(ctx, j.cacheKey(j.extra, sku), a)
	return true, nil
}

// rateArticleCode is the artikelcode of the rate article of soort:
// OMZET-HOOG, OMZET-LAAG, OMZET-GEEN, OMZET-OVERIG.
func rateArticleCode(soort snelstart.BtwSoort) string {
	return "OMZET-" + strings.ToUpper(string(soort))
}

// rateArticle returns the rate article for a line of a whose omzetgroep
// has another btw-soort than v: the article with artikelcode
// OMZET-<SOORT>, which must exist and itself have that soort.
func (j *job) rateArticle(ctx context.Context, a *article, l *koppelv1.Line, v lineVAT) (target, error) {
	code := rateArticleCode(v.soort)
	ra, err := j.find(ctx, "", code, nil, lineVAT{})
	var nf *notFound
	if errors.As(err, &nf) {
		return target{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s: artikel %q has another btw-soort than the %s %% the shop charged (%s), and articles.on_rate_mismatch is rate_article, but SnelStart has no active article with artikelcode %q: create it in an omzetgroep with btw-soort %s (or move artikel %q to one), then replay the order",
			j.o.GetShopOrderId(), l.GetLineId(), a.Code, v.rate, v.soort, code, v.soort, a.Code))
	}
	if err != nil {
		return target{}, err
	}
	g, err := j.groupOf(ctx, ra)
	if err != nil {
		return target{}, err
	}
	if g.soort != v.soort {
		return target{}, pipeline.Permanent(fmt.Errorf("articles: order %s: line %s: the rate article %q for btw-soort %s is in %s with btw-soort %s: move it to an omzetgroep with btw-soort %s in SnelStart, then replay the order",
			j.o.GetShopOrderId(), l.GetLineId(), code, v.soort, g, g.soort, v.soort))
	}
	return target{a: ra, soort: g.soort, rateArticle: true}, nil
}
