package booker

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/vatcalc"
)

// ErrHeld is matched (errors.Is) by every [HoldError].
var ErrHeld = fmt.Errorf("order held: needs attention")

// A HoldError says why koppel did not book an order whose totals disagree
// with the shop's (orders.on_total_mismatch: hold): what koppel would have
// booked and what the shop says, per rate, and the likely cause. It is a
// dead letter; a person corrects the cause and replays it.
type HoldError struct {
	Order string // the shop's order number
	Check totalsCheck
}

func (e *HoldError) Error() string {
	return fmt.Sprintf("needs attention: order %s is held, not booked: %s", e.Order, e.Check.describe())
}

// Is reports target == ErrHeld.
func (e *HoldError) Is(target error) bool { return target == ErrHeld }

// amounts are an order's totals excluding and including VAT.
type amounts struct{ excl, incl decimal.Decimal }

func (a amounts) String() string {
	return fmt.Sprintf("incl. VAT %s, excl. %s (VAT %s)", a.incl.StringFixed(2), a.excl.StringFixed(2), a.incl.Sub(a.excl).StringFixed(2))
}

// expectation is what koppel expects SnelStart to compute for the lines it
// sends, under each of SnelStart's unpublished VAT rules
// (vat-rounding.md §7.3).
type expectation struct {
	perRate, perLine vatcalc.Totals
}

// expect computes the expectation for lines entered as ingave under the
// administration's regelkorting.
func expect(rs []regel, ingave snelstart.BtwIngave, regelkorting snelstart.RegelkortingVerkooporder) expectation {
	var lines []vatcalc.TotalsLine
	for _, r := range rs {
		if !r.priced() || r.Stuksprijs == nil || r.Aantal == nil {
			continue
		}
		lines = append(lines, vatcalc.TotalsLine{
			Stuksprijs: *r.Stuksprijs, Aantal: *r.Aantal,
			BtwSoort: r.soort, BtwPercentage: snelstart.NewDecimal(r.rate),
		})
	}
	zero := snelstart.NewDecimal(decimal.Zero)
	rules := vatcalc.TotalsRules{Regelkorting: regelkorting}
	e := expectation{perRate: vatcalc.ComputeTotals(rules, ingave, zero, lines)}
	rules.VAT = vatcalc.VATPerLine
	e.perLine = vatcalc.ComputeTotals(rules, ingave, zero, lines)
	return e
}

func totalsOf(t vatcalc.Totals) amounts {
	return amounts{excl: t.TotaalExclusiefBtw.Decimal, incl: t.TotaalInclusiefBtw.Decimal}
}

// totalsCheck compares what koppel books with the shop's order.
type totalsCheck struct {
	incl       bool    // entered Inclusief
	koppel     amounts // expected, per rate (SnelStart's likely rule)
	shop       amounts
	tolerance  decimal.Decimal // for the total in the entry mode
	vtolerance decimal.Decimal // for the other total: a cent a line, at least tolerance
	entryDiff  decimal.Decimal // shop − koppel in the entry mode
	rule       string          // "per_rate" or "per_line": the rule under which the other total agrees
	groups     []*koppelv1.VatGroup
	cause      string
}

// ok reports whether both totals agree within their tolerances.
func (c totalsCheck) ok() bool {
	return c.entryDiff.Abs().LessThanOrEqual(c.tolerance) && c.rule != ""
}

// describe says what disagrees, per rate, and the likely cause, on one
// line (it travels in a message header).
func (c totalsCheck) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "koppel would book %s; the shop's order is %s", c.koppel, c.shop)
	fmt.Fprintf(&b, "; difference incl. %s, excl. %s (tolerance %s)",
		c.shop.incl.Sub(c.koppel.incl).StringFixed(2), c.shop.excl.Sub(c.koppel.excl).StringFixed(2), c.tolerance.StringFixed(2))
	var rates []string
	for _, g := range c.groups {
		rates = append(rates, fmt.Sprintf("%s %% (%s): koppel excl. %s VAT %s, shop VAT %s", g.GetRate(), g.GetBtwSoort(), g.GetExcl(), g.GetTax(), g.GetShopTax()))
	}
	if len(rates) > 0 {
		fmt.Fprintf(&b, "; per rate: %s", strings.Join(rates, "; "))
	}
	if c.cause != "" {
		fmt.Fprintf(&b, "; likely cause: %s", c.cause)
	}
	b.WriteString("; what to do: correct the cause (in the shop or in SnelStart) and replay the dead letter, or book the order by hand and discard it; orders.on_total_mismatch: correction_line or book_and_flag books such orders")
	return b.String()
}

// checkTotals compares the expectation with the shop's totals in euros.
// The total in the entry mode carries no VAT rounding and must agree to
// the tolerance (default a cent); the other must equal one of SnelStart's
// candidate rules within a cent a line (vat-rounding.md §7.3).
func checkTotals(in input, rs []regel, e expectation) (totalsCheck, error) {
	s, o := in.s, in.ev.GetOrder()
	shop, shopTax, err := shopAmounts(o, in.fx)
	if err != nil {
		return totalsCheck{}, err
	}
	priced := 0
	for _, r := range rs {
		if r.priced() {
			priced++
		}
	}
	c := totalsCheck{
		incl: in.ingave == snelstart.BtwIngaveInclusief, koppel: totalsOf(e.perRate), shop: shop,
		tolerance: s.TotalTolerance, vtolerance: decimal.Max(s.TotalTolerance, decimal.New(int64(priced), -2)),
	}
	pick := func(a amounts) (entry, other decimal.Decimal) {
		if c.incl {
			return a.incl, a.excl
		}
		return a.excl, a.incl
	}
	shopEntry, shopOther := pick(shop)
	entry, _ := pick(c.koppel)
	c.entryDiff = shopEntry.Sub(entry)
	for _, cand := range []struct {
		rule string
		t    vatcalc.Totals
	}{{"per_rate", e.perRate}, {"per_line", e.perLine}} {
		if _, other := pick(totalsOf(cand.t)); other.Sub(shopOther).Abs().LessThanOrEqual(c.vtolerance) {
			c.rule = cand.rule
			break
		}
	}
	c.groups = vatGroups(e.perRate, shopTax)
	c.cause = likelyCause(in, c)
	return c, nil
}

// shopAmounts returns the shop's totals in euros and its VAT per rate.
func shopAmounts(o *koppelv1.Order, fx decimal.Decimal) (amounts, map[string]decimal.Decimal, error) {
	t := o.GetTotals()
	incl, err := parse(t.GetTotalIncl(), "order total")
	if err != nil {
		return amounts{}, nil, err
	}
	tax, err := parseOr0(t.GetTax(), "order VAT")
	if err != nil {
		return amounts{}, nil, err
	}
	excl := incl.Sub(tax)
	if t.GetTotalExcl() != "" {
		if excl, err = parse(t.GetTotalExcl(), "order total excl. VAT"); err != nil {
			return amounts{}, nil, err
		}
	}
	return amounts{excl: money(excl.Mul(fx)), incl: money(incl.Mul(fx))}, shopTaxByRate(o, fx), nil
}

// shopTaxByRate returns the VAT the shop charged per rate (by rate key):
// its lines' after discounts, its charges' (per share), less the VAT of
// discounts it did not spread over the lines.
func shopTaxByRate(o *koppelv1.Order, fx decimal.Decimal) map[string]decimal.Decimal {
	m := map[string]decimal.Decimal{}
	add := func(rate, tax string, sign int64) {
		r, err1 := decimal.NewFromString(strings.TrimSpace(rate))
		t, err2 := decimal.NewFromString(strings.TrimSpace(tax))
		if err1 != nil || err2 != nil {
			return
		}
		k := r.String()
		m[k] = m[k].Add(t.Mul(fx).Mul(decimal.NewFromInt(sign)))
	}
	spread := false
	for _, l := range o.GetLines() {
		add(l.GetTaxRate(), l.GetTotalTax(), 1)
		if d, err := decimal.NewFromString(l.GetDiscountExcl()); err == nil && !d.IsZero() {
			spread = true
		}
	}
	for _, c := range append(append([]*koppelv1.Charge{}, o.GetShippingLines()...), o.GetFeeLines()...) {
		if len(c.GetTaxes()) > 1 {
			for _, sh := range c.GetTaxes() {
				add(sh.GetRate(), sh.GetTax(), 1)
			}
			continue
		}
		add(c.GetTaxRate(), c.GetTotalTax(), 1)
	}
	for _, d := range o.GetDiscounts() {
		if spread && (d.GetAppliesTo() == "" || d.GetAppliesTo() == "lines") {
			continue
		}
		ex, _ := decimal.NewFromString(d.GetAmountExcl())
		tx, _ := decimal.NewFromString(d.GetAmountTax())
		add(discountRate(d, ex, tx).Round(2).String(), d.GetAmountTax(), -1)
	}
	return m
}

// vatGroups returns koppel's expected amounts per rate with the shop's VAT
// at that rate.
func vatGroups(t vatcalc.Totals, shopTax map[string]decimal.Decimal) []*koppelv1.VatGroup {
	var out []*koppelv1.VatGroup
	seen := map[string]bool{}
	for _, g := range t.Groepen {
		k := g.BtwPercentage.Decimal.String()
		seen[k] = true
		out = append(out, &koppelv1.VatGroup{
			BtwSoort: string(g.BtwSoort), Rate: k,
			Excl: g.ExclusiefBtw.StringFixed(2), Tax: g.Btw.StringFixed(2),
			ShopTax: money(nearest(shopTax, g.BtwPercentage.Decimal)).StringFixed(2),
		})
	}
	for _, k := range sortedKeys(shopTax) {
		if r, _ := decimal.NewFromString(k); !seen[k] && !shopTax[k].IsZero() && !closeToAny(r, t.Groepen) {
			out = append(out, &koppelv1.VatGroup{Rate: k, Excl: "0.00", Tax: "0.00", ShopTax: money(shopTax[k]).StringFixed(2)})
		}
	}
	return out
}

// nearest returns the shop's VAT at the rate nearest to rate within half a
// point (shops report 21.0000 or 20.9986).
func nearest(m map[string]decimal.Decimal, rate decimal.Decimal) decimal.Decimal {
	sum := decimal.Zero
	for k, v := range m {
		if r, err := decimal.NewFromString(k); err == nil && r.Sub(rate).Abs().LessThanOrEqual(decimal.New(5, -1)) {
			sum = sum.Add(v)
		}
	}
	return sum
}

func closeToAny(rate decimal.Decimal, gs []vatcalc.BtwGroep) bool {
	for _, g := range gs {
		if g.BtwPercentage.Sub(rate).Abs().LessThanOrEqual(decimal.New(5, -1)) {
			return true
		}
	}
	return false
}

// likelyCause guesses why the totals disagree, for the person who has to
// fix it.
func likelyCause(in input, c totalsCheck) string {
	o := in.ev.GetOrder()
	if tc := o.GetTotalCheck(); tc != nil && !tc.GetOk() {
		return fmt.Sprintf("the shop's own lines, shipping, fees and discounts add up to %s incl. VAT but its total is %s (an edited order, or a charge missing from its lines)", tc.GetComputedIncl(), tc.GetReportedIncl())
	}
	for _, g := range c.groups {
		k, _ := decimal.NewFromString(g.GetTax())
		sh, _ := decimal.NewFromString(g.GetShopTax())
		if k.Sub(sh).Abs().GreaterThan(c.vtolerance) {
			if g.GetBtwSoort() == "" {
				return fmt.Sprintf("the shop charged VAT at %s %%, which no line koppel books carries: an article or charge article is in an omzetgroep of another btw-soort", g.GetRate())
			}
			return fmt.Sprintf("at %s %% the shop charged VAT %s where SnelStart would compute %s: an article or charge article may be in an omzetgroep of another btw-soort, or the regime differs (%s)", g.GetRate(), g.GetShopTax(), g.GetTax(), in.applied)
		}
	}
	if c.entryDiff.Abs().LessThanOrEqual(c.tolerance) {
		return "SnelStart rounds VAT differently from the shop by more than a cent a line: check the shop's tax rounding (per line or at subtotal)"
	}
	return "the amounts koppel books from the shop's lines differ from the shop's total"
}

// settle decides what a disagreement means under orders.on_total_mismatch:
// nil to book (attention says why a person should look), or a HoldError.
func (c totalsCheck) settle(s *Settings, number string) (attention string, err error) {
	if c.ok() {
		return "", nil
	}
	if s.OnTotalMismatch == profile.MismatchBookAndFlag {
		return "totals disagree with the shop's: " + c.describe(), nil
	}
	return "", &HoldError{Order: number, Check: c}
}
