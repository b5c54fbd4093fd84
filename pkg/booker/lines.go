package booker

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// maxQuantity is the largest quantity a line may have: more is a typing
// error in the shop, not an order.
var maxQuantity = decimal.NewFromInt(100_000)

// A regel is a verkooporder line with the VAT SnelStart will apply to it.
type regel struct {
	snelstart.VerkoopOrderRegel
	kind  string             // kindProduct, kindShipping, …, kindText
	soort snelstart.BtwSoort // of its article's omzetgroep; "" for a text line
	rate  decimal.Decimal    // the percentage SnelStart applies under the order's regime
}

// kindText is a line without an article (the product options under a
// product); kindCorrection the VAT-free correction line.
const (
	kindText       = "text"
	kindCorrection = "correction"
)

// priced reports whether the line carries an amount.
func (r regel) priced() bool { return r.Artikel != nil }

// regels returns the lines as SnelStart takes them.
func regels(rs []regel) []snelstart.VerkoopOrderRegel {
	out := make([]snelstart.VerkoopOrderRegel, len(rs))
	for i, r := range rs {
		out[i] = r.VerkoopOrderRegel
	}
	return out
}

// rateSums accumulates amounts per VAT rate (by its key, "21"), with the
// rate's btw-soort, keeping the rates in order of first use so that the
// lines built from it come out in a stable order.
type rateSums struct {
	keys  []string
	sum   map[string]decimal.Decimal
	soort map[string]snelstart.BtwSoort
	rate  map[string]decimal.Decimal
}

func (r *rateSums) add(key string, soort snelstart.BtwSoort, rate, d decimal.Decimal) {
	if r.sum == nil {
		r.sum, r.soort, r.rate = map[string]decimal.Decimal{}, map[string]snelstart.BtwSoort{}, map[string]decimal.Decimal{}
	}
	if _, ok := r.sum[key]; !ok {
		r.keys = append(r.keys, key)
		r.soort[key], r.rate[key] = soort, rate
	}
	r.sum[key] = r.sum[key].Add(d)
}

// buildLines returns the order lines: the products (with an options line
// under each when s asks for it), then shipping and fees, one line per VAT
// rate the shop taxed them at, then discounts, one line per rate.
//
// In the shop's own price entry (Inclusief when its prices include VAT),
// each product line carries its price before discounts, so that what the
// customer saw stays on the order, and the discounts follow as one negative
// line per VAT rate on the discount article of that rate. The discount line
// of a rate also absorbs that rate's rounding of unit prices (a rate
// without discount gets a rounding line on the same article), so the lines
// of each rate add up to exactly what the shop charged for them.
func buildLines(in input) ([]regel, error) {
	products, disc, residue, err := productLines(in)
	if err != nil {
		return nil, err
	}
	charges, err := chargeLines(in)
	if err != nil {
		return nil, err
	}
	discounts, err := discountLines(in, disc, residue)
	if err != nil {
		return nil, err
	}
	return slices.Concat(products, charges, discounts), nil
}

// productLines returns the product lines and their discounts and unit-price
// rounding per rate.
func productLines(in input) (out []regel, disc, residue *rateSums, err error) {
	s, o := in.s, in.ev.GetOrder()
	incl := in.ingave == snelstart.BtwIngaveInclusief
	fromShop := s.Lines != LinesCodeAndQuantity
	rates := knownRates(s, o)
	res := resolutions(in.ev)
	disc, residue = &rateSums{}, &rateSums{}
	for _, l := range o.GetLines() {
		r := res[l.GetLineId()]
		if r == nil || r.GetArtikelId() == "" {
			return nil, nil, nil, fmt.Errorf("line %s has no SnelStart artikel: the articles stage did not resolve it", l.GetLineId())
		}
		rate, err := parse(cmp.Or(l.GetTaxRate(), "0"), "tax rate of line "+l.GetLineId())
		if err != nil {
			return nil, nil, nil, err
		}
		d, total, err := lineAmounts(l, rate, incl, in.fx)
		if err != nil {
			return nil, nil, nil, err
		}
		qty, err := in.quantity(l, total)
		if err != nil {
			return nil, nil, nil, err
		}
		rk := snapRate(rate, rates)
		soort, applied := in.productVAT(r, rate)
		if d.Sign() != 0 && fromShop {
			// With SnelStart's prices (code_and_quantity) the shop's
			// coupons are not applied on top of them.
			disc.add(rk, soort, applied, d)
		}
		line := snelstart.VerkoopOrderRegel{Artikel: snelstart.RefTo(snelstart.ID(r.GetArtikelId())), Aantal: dec(qty)}
		if fromShop {
			before := total.Add(d)
			unit := unitPrice(l, incl, qty, before, in.fx, in.priceDecimals)
			line.Stuksprijs = dec(unit)
			residue.add(rk, soort, applied, unit.Mul(qty).Round(2).Sub(before))
		} else if p := cmp.Or(r.GetAgreedPrice(), r.GetVerkoopprijs()); p != "" {
			price, err := parse(p, "SnelStart price of line "+l.GetLineId())
			if err != nil {
				return nil, nil, nil, err
			}
			line.Stuksprijs = dec(price)
		}
		var optionLine string
		line.Omschrijving, optionLine = in.lineText(l, r)
		out = append(out, regel{VerkoopOrderRegel: line, kind: kindProduct, soort: soort, rate: applied})
		if optionLine != "" {
			out = append(out, regel{VerkoopOrderRegel: snelstart.VerkoopOrderRegel{Omschrijving: optionLine}, kind: kindText})
		}
	}
	return out, disc, residue, nil
}

// quantity returns a line's quantity, refusing one SnelStart cannot take
// or that cannot be meant: zero or negative with an amount, absurdly
// large, or with more decimals than the administration keeps
// (companyInfo.aantalDecimalenArtikelaantallen).
func (in input) quantity(l *koppelv1.Line, total decimal.Decimal) (decimal.Decimal, error) {
	qty, err := parse(l.GetQuantity(), "quantity of line "+l.GetLineId())
	if err != nil {
		return qty, err
	}
	name := fmt.Sprintf("line %s (%q)", l.GetLineId(), l.GetName())
	switch {
	case !qty.IsPositive() && !total.IsZero():
		return qty, fmt.Errorf("%s has quantity %s but costs %s: correct the order in the shop, then replay", name, qty, total.StringFixed(2))
	case qty.GreaterThan(maxQuantity):
		return qty, fmt.Errorf("%s has quantity %s, more than koppel believes an order line can mean (%s): correct the order in the shop, then replay", name, qty, maxQuantity)
	case !qty.Equal(qty.Round(in.qtyDecimals)):
		return qty, fmt.Errorf("%s has quantity %s, with more decimals than this SnelStart administration keeps (aantalDecimalenArtikelaantallen %d): raise it in SnelStart, then replay", name, qty, in.qtyDecimals)
	}
	return qty, nil
}

// lineText returns a product line's omschrijving and, when the options go
// on a line of their own, that line's text.
func (in input) lineText(l *koppelv1.Line, r *koppelv1.ArticleResolution) (text, optionLine string) {
	s := in.s
	opts := optionsText(l.GetOptions())
	switch {
	case s.Lines == LinesFull || r.GetRateArticle():
		// On the rate's own article the product is known by its name only.
		text = l.GetName()
		if opts != "" && s.ProductOptions == OptionsDescription {
			text = withOptions(l.GetName(), opts)
		}
	case opts != "" && s.ProductOptions == OptionsDescription && r.GetOmschrijving() != "":
		text = withOptions(r.GetOmschrijving(), opts)
	case opts != "" && s.ProductOptions == OptionsDescription:
		optionLine = opts // SnelStart's description is unknown here: keep the options on a line of their own
	}
	if opts != "" && s.ProductOptions == OptionsLine {
		optionLine = opts
	}
	return in.cut(text, maxLineOmschrijving, "line "+l.GetLineId()), in.cut(optionLine, maxLineOmschrijving, "options of line "+l.GetLineId())
}

// productVAT returns the btw-soort of a product line's article and the
// rate SnelStart applies to it. The articles stage records the soort; an
// event from before it did falls back to the soort of the shop's rate.
func (in input) productVAT(r *koppelv1.ArticleResolution, shopRate decimal.Decimal) (snelstart.BtwSoort, decimal.Decimal) {
	soort, ok := vat.ParseSoort(r.GetBtwSoort())
	if !ok {
		soort, _ = in.decision.Soort(in.facts, shopRate, in.day())
	}
	return soort, in.appliedRate(soort, shopRate)
}

// appliedRate returns the percentage SnelStart applies to an article of
// soort under the order's regime (vat-rounding.md §3): 0 for ICP and
// export; for OSS the destination's rate, which Decide found to be the
// shop's; else the soort's Dutch rate on the order date.
func (in input) appliedRate(soort snelstart.BtwSoort, shopRate decimal.Decimal) decimal.Decimal {
	switch {
	case in.applied == vat.ICP || in.applied == vat.Export || soort == snelstart.BtwSoortGeen:
		return decimal.Zero
	case in.applied == vat.OSS || soort == "":
		return shopRate
	}
	if p, ok := in.facts.Table.Rate(soort, in.day()); ok {
		return p
	}
	return shopRate
}

// chargeSoort returns the btw-soort a charge at the shop's rate is booked
// at: "" for ICP and export orders, whose 0 % says nothing about it.
func (in input) chargeSoort(rate decimal.Decimal) snelstart.BtwSoort {
	soort, _ := in.decision.Soort(in.facts, rate, in.day())
	return soort
}

// chargeArticle returns the article for a charge of kind at the rate with
// key rk and btw-soort soort, refusing one whose omzetgroep has another
// btw-soort: SnelStart would charge that soort's rate.
func (in input) chargeArticle(kind, rk string, soort snelstart.BtwSoort) (chargeArtikel, error) {
	code := in.s.chargeArticle(kind, rk, soort)
	if code == "" {
		return chargeArtikel{}, fmt.Errorf("the order has a %s line but orders.%s_article is not set", kind, kind)
	}
	a, err := in.article(code)
	if err != nil {
		return a, err
	}
	if soort != "" && a.Soort != "" && a.Soort != soort {
		return a, pipeline.Permanent(fmt.Errorf("artikel %q, used for %s lines at %s %%, is in an omzetgroep of btw-soort %s, not %s: SnelStart would charge %s's rate; move it to an omzetgroep of btw-soort %s, or name another article in orders.rate_articles[%q], then replay",
			a.Code, kind, rk, a.Soort, soort, a.Soort, soort, rk))
	}
	return a, nil
}

// chargeLines returns the shipping and fee lines: one per charge and VAT
// rate, on the article of its kind and rate.
func chargeLines(in input) ([]regel, error) {
	o := in.ev.GetOrder()
	var out []regel
	for _, c := range []struct {
		kind, title string
		lines       []*koppelv1.Charge
	}{
		{kindShipping, "Verzendkosten", o.GetShippingLines()},
		{kindFee, "Toeslag", o.GetFeeLines()},
	} {
		for i, ch := range c.lines {
			lines, err := in.chargeLine(c.kind, cmp.Or(strings.TrimSpace(ch.GetTitle()), c.title), ch)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %w", c.kind, i+1, err)
			}
			out = append(out, lines...)
		}
	}
	return out, nil
}

// A share is the part of a charge at one VAT rate, in the order's entry.
type share struct {
	rate   decimal.Decimal
	amount decimal.Decimal
}

// chargeLine returns the lines of one shipping or fee charge: one per VAT
// rate the shop taxed it at (the Dutch rule splits mixed-rate shipping pro
// rata; the shop's own split is kept to the cent), none for a charge of
// zero.
func (in input) chargeLine(kind, title string, ch *koppelv1.Charge) ([]regel, error) {
	shares, err := chargeShares(ch, in.ingave == snelstart.BtwIngaveInclusief)
	if err != nil {
		return nil, err
	}
	rates := knownRates(in.s, in.ev.GetOrder())
	var out []regel
	for _, sh := range shares {
		amount := money(sh.amount.Mul(in.fx))
		if amount.IsZero() {
			continue
		}
		rk := snapRate(sh.rate, rates)
		soort := in.chargeSoort(sh.rate)
		a, err := in.chargeArticle(kind, rk, soort)
		if err != nil {
			return nil, err
		}
		t := title
		if len(shares) > 1 {
			t = fmt.Sprintf("%s (%s %% btw)", title, rk)
		}
		out = append(out, regel{
			VerkoopOrderRegel: snelstart.VerkoopOrderRegel{
				Artikel: snelstart.RefTo(a.ID), Omschrijving: in.cut(t, maxLineOmschrijving, kind+" line"),
				Stuksprijs: dec(amount), Aantal: dec(decimal.NewFromInt(1)),
			},
			kind: kind, soort: cmp.Or(a.Soort, soort), rate: in.appliedRate(cmp.Or(a.Soort, soort), sh.rate),
		})
	}
	if len(out) > 1 {
		in.note(fmt.Sprintf("%s %q split over %d VAT rates as the shop taxed it", kind, title, len(out)))
	}
	return out, nil
}

// chargeShares returns a charge's amount per VAT rate in the order's entry.
// Incl. VAT, the last share takes the cent the rounding of the shares'
// VAT leaves, so that the shares add up to the charge's total incl. VAT.
func chargeShares(ch *koppelv1.Charge, incl bool) ([]share, error) {
	field := ch.GetTotalExcl()
	if incl {
		field = ch.GetTotalIncl()
	}
	total, err := parseOr0(field, "amount")
	if err != nil {
		return nil, err
	}
	if len(ch.GetTaxes()) < 2 {
		rate, err := parseOr0(ch.GetTaxRate(), "tax rate")
		return []share{{rate: rate, amount: total}}, err
	}
	var out []share
	sum := decimal.Zero
	for i, t := range ch.GetTaxes() {
		rate, err1 := parseOr0(t.GetRate(), fmt.Sprintf("rate of tax share %d", i+1))
		excl, err2 := parseOr0(t.GetTotalExcl(), fmt.Sprintf("amount of tax share %d", i+1))
		tax, err3 := parseOr0(t.GetTax(), fmt.Sprintf("tax of tax share %d", i+1))
		if err := cmp.Or(err1, err2, err3); err != nil {
			return nil, err
		}
		a := excl
		if incl {
			a = excl.Add(tax)
		}
		out = append(out, share{rate: rate, amount: a})
		sum = sum.Add(a)
	}
	if incl && !total.IsZero() {
		last := &out[len(out)-1]
		last.amount = last.amount.Add(total.Sub(sum))
	}
	return out, nil
}

// discountLines returns one negative line per VAT rate for the discounts:
// those on the product lines, and those the shop did not spread over them
// (a shipping discount, an order discount). Each rate's unit-price
// rounding (residue) goes on its discount line or, at a rate without
// discount, on a rounding line of its own on the same article, so that the
// lines of each rate add up to what the shop charged.
func discountLines(in input, disc, residue *rateSums) ([]regel, error) {
	if in.s.Lines == LinesCodeAndQuantity {
		return nil, nil // SnelStart's prices: the shop's discounts do not apply
	}
	o := in.ev.GetOrder()
	incl := in.ingave == snelstart.BtwIngaveInclusief
	spread := len(disc.keys) > 0
	rates := knownRates(in.s, o)
	for i, d := range o.GetDiscounts() {
		if spread && (d.GetAppliesTo() == "" || d.GetAppliesTo() == "lines") {
			continue // carried by the lines' discount_excl
		}
		excl, err1 := parseOr0(d.GetAmountExcl(), fmt.Sprintf("discount %d", i+1))
		tax, err2 := parseOr0(d.GetAmountTax(), fmt.Sprintf("discount %d tax", i+1))
		if err := cmp.Or(err1, err2); err != nil {
			return nil, err
		}
		rate := discountRate(d, excl, tax)
		amount := excl
		if incl {
			amount = excl.Add(tax)
		}
		rk := snapRate(rate, rates)
		soort := in.chargeSoort(rate)
		disc.add(rk, soort, in.appliedRate(soort, rate), money(amount.Mul(in.fx)))
	}
	rounding := &rateSums{}
	for _, rk := range residue.keys {
		r := residue.sum[rk]
		switch {
		case r.IsZero():
			continue
		case slices.Contains(disc.keys, rk):
			disc.sum[rk] = disc.sum[rk].Add(r)
			continue
		}
		// A rate without discount gets a rounding line on its discount
		// article; without one (none set, none in SnelStart, one of
		// another btw-soort) the residue shows in the totals check.
		if in.s.chargeArticle(kindDiscount, rk, residue.soort[rk]) == "" {
			continue
		}
		if _, err := in.chargeArticle(kindDiscount, rk, residue.soort[rk]); errors.Is(err, pipeline.ErrPermanent) {
			continue
		} else if err != nil {
			return nil, err
		}
		rounding.add(rk, residue.soort[rk], residue.rate[rk], r)
		in.note(fmt.Sprintf("unit prices at %s %% rounded to %d decimals: a rounding line of %s keeps that rate's total the shop's", rk, in.priceDecimals, r.Neg().StringFixed(2)))
	}
	out, err := in.discountRegels(disc, discountTitle(o))
	if err != nil {
		return nil, err
	}
	more, err := in.discountRegels(rounding, "Afronding stuksprijzen")
	return append(out, more...), err
}

// discountRegels returns a line per rate of sums, of minus its amount, on
// the discount article of that rate.
func (in input) discountRegels(sums *rateSums, title string) ([]regel, error) {
	var out []regel
	for _, rk := range sums.keys {
		amount := sums.sum[rk]
		if amount.IsZero() {
			continue
		}
		a, err := in.chargeArticle(kindDiscount, rk, sums.soort[rk])
		if err != nil {
			return nil, fmt.Errorf("discount: %w", err)
		}
		out = append(out, regel{
			VerkoopOrderRegel: snelstart.VerkoopOrderRegel{
				Artikel: snelstart.RefTo(a.ID), Omschrijving: in.cut(title, maxLineOmschrijving, "discount line"),
				Stuksprijs: dec(amount.Neg()), Aantal: dec(decimal.NewFromInt(1)),
			},
			kind: kindDiscount, soort: cmp.Or(a.Soort, sums.soort[rk]), rate: sums.rate[rk],
		})
	}
	return out, nil
}

// discountRate is a discount's VAT rate: the shop's, else its VAT over its
// amount.
func discountRate(d *koppelv1.Discount, excl, tax decimal.Decimal) decimal.Decimal {
	if r, err := decimal.NewFromString(strings.TrimSpace(d.GetTaxRate())); err == nil {
		return r
	}
	if excl.IsZero() {
		return decimal.Zero
	}
	return tax.Div(excl).Mul(decimal.NewFromInt(100))
}

// discountTitle is "Korting" with the order's coupon codes.
func discountTitle(o *koppelv1.Order) string {
	var codes []string
	for _, d := range o.GetDiscounts() {
		if c := strings.TrimSpace(d.GetCode()); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return "Korting"
	}
	return "Korting " + strings.Join(codes, ", ")
}

// unitPrice returns the unit price for a line whose amount before
// discounts is before, at the administration's price decimals: the shop's
// own unit price or before/qty, whichever reproduces before more closely,
// the shop's on a tie. (WooCommerce derives a unit price including VAT from
// the rounded net subtotal, so 10.00 may come as 9.994862; a discount
// including VAT derived from the shop's net discount may be a cent off, so
// before/qty may come out as 24.955 for 24.95.) Whatever rounding remains
// goes to the rate's discount or rounding line (see discountLines), or,
// without a discount article, shows in the totals check.
func unitPrice(l *koppelv1.Line, incl bool, qty, before, fx decimal.Decimal, places int32) decimal.Decimal {
	if qty.IsZero() {
		return before
	}
	derived := before.Div(qty).Round(places)
	shopText := l.GetUnitPriceExcl()
	if incl {
		shopText = l.GetUnitPriceIncl()
	}
	shop, err := decimal.NewFromString(shopText)
	if err != nil {
		return derived
	}
	shop = shop.Mul(fx).Round(places)
	off := func(u decimal.Decimal) decimal.Decimal { return u.Mul(qty).Round(2).Sub(before).Abs() }
	if off(derived).LessThan(off(shop)) {
		return derived
	}
	return shop
}

// lineAmounts returns a product line's discount and total after it, in the
// order's entry, converted with fx and rounded to cents. In an Inclusief
// order the discount including VAT is the shop's discount excluding VAT at
// the line's rate, rounded, so that line total plus discount is the line's
// price before discounts.
func lineAmounts(l *koppelv1.Line, rate decimal.Decimal, incl bool, fx decimal.Decimal) (discount, total decimal.Decimal, err error) {
	d, err := parseOr0(l.GetDiscountExcl(), "discount of line "+l.GetLineId())
	if err != nil {
		return d, d, err
	}
	t := l.GetTotalExcl()
	if incl {
		t = l.GetTotalIncl()
		d = d.Mul(decimal.NewFromInt(100).Add(rate)).Div(decimal.NewFromInt(100))
	}
	total, err = parse(t, "total of line "+l.GetLineId())
	if err != nil {
		return d, d, err
	}
	return money(d.Mul(fx)), money(total.Mul(fx)), nil
}
