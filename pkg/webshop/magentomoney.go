package webshop

import (
	"cmp"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/shopspring/decimal"
)

// pricesIncludeTax tells from the booked items' amounts whether the
// store's catalogue prices include VAT (Magento's
// tax/calculation/price_includes_tax), which a REST order does not state.
// Magento's tax calculation (Magento\Tax\Model\Calculation's
// AbstractAggregateCalculator, CommonTaxCollector::updateItemTaxInfo)
// leaves three signs of the way prices were entered:
//
//   - discount_tax_compensation_amount is non-zero only when a discount
//     reduces a price that includes VAT.
//   - original_price is the catalogue price as entered. With prices
//     incl. VAT it equals price_incl_tax and price is the net price worked
//     out from it; with prices excl. VAT it equals price.
//   - The entered price is multiplied out exactly: row_total_incl_tax =
//     price_incl_tax × qty with prices incl. VAT, row_total = price × qty
//     with prices excl. VAT; the other row is derived and rounded.
//
// Each taxed item votes by the first sign that tells the two apart, the
// original_price test trying the order-currency amounts and then the
// base_* ones; the order's prices include VAT when more items vote for
// that than against.
//
// Limits: untaxed items look the same either way and do not vote, so an
// untaxed order (exports, 0 % goods, every public fixture) reads as excl.
// A special or catalogue-rule price, a price set by hand in the admin, or
// a destination rate other than the store's without cross-border trade
// makes original_price match neither; with quantity 1, or with a discount
// (some shops report row_total net of it), the row test tells nothing. An
// item without a sign does not vote. Shipping has a setting of its own
// (tax/calculation/shipping_includes_tax) and is not used.
func pricesIncludeTax(booked []bookedItem, exp int32) bool {
	votes := 0
	for _, b := range booked {
		votes += b.money.entryVote(exp)
	}
	return votes > 0
}

// entryVote is +1 when the item shows prices incl. VAT, −1 when it shows
// prices excl. VAT, 0 when it shows neither (see pricesIncludeTax).
func (it *magItem) entryVote(exp int32) int {
	if !it.DiscountTaxCompensationAmount.v.IsZero() {
		return 1
	}
	if !it.Price.set || !it.PriceInclTax.set || it.Price.v.Round(exp).Equal(it.PriceInclTax.v.Round(exp)) {
		return 0 // untaxed, or not enough to tell
	}
	if v := originalVote(it.OriginalPrice, it.Price, it.PriceInclTax, exp); v != 0 {
		return v
	}
	if v := originalVote(it.BaseOriginalPrice, it.BasePrice, it.BasePriceInclTax, exp); v != 0 {
		return v
	}
	return it.rowVote(exp)
}

// originalVote compares the catalogue price with the net and gross price.
func originalVote(original, excl, incl num, exp int32) int {
	if !original.set || original.v.IsZero() || !excl.set || !incl.set {
		return 0
	}
	o := original.v.Round(exp)
	isIncl, isExcl := incl.v.Round(exp).Equal(o), excl.v.Round(exp).Equal(o)
	switch {
	case isIncl && !isExcl:
		return 1
	case isExcl && !isIncl:
		return -1
	}
	return 0
}

// rowVote tells which row total is the unit price multiplied out.
func (it *magItem) rowVote(exp int32) int {
	qty := it.QtyOrdered.v
	if qty.IsZero() || qty.Equal(decimal.NewFromInt(1)) || !it.DiscountAmount.v.IsZero() ||
		!it.RowTotal.set || !it.RowTotalInclTax.set {
		return 0
	}
	inclExact := it.PriceInclTax.v.Mul(qty).Round(exp).Equal(it.RowTotalInclTax.v.Round(exp))
	exclExact := it.Price.v.Mul(qty).Round(exp).Equal(it.RowTotal.v.Round(exp))
	switch {
	case inclExact && !exclExact:
		return 1
	case exclExact && !inclExact:
		return -1
	}
	return 0
}

// grossRow returns row_total before the item's discount, and false when
// the shop reported row_total already net of it (row_total = price × qty
// − discount, where Magento writes price × qty).
func (it *magItem) grossRow(exp int32) (decimal.Decimal, bool) {
	row, disc := it.RowTotal.v, it.DiscountAmount.v
	if !disc.IsZero() && it.Price.set {
		gross := it.Price.v.Mul(it.QtyOrdered.v).Round(exp)
		if !row.Round(exp).Equal(gross) && row.Add(disc).Round(exp).Equal(gross) {
			return gross, false
		}
	}
	return row, true
}

// magShipping is the order's shipping charge, its rate, and what the
// shipping discount took off it.
type magShipping struct {
	charge            *koppelv1.Charge // nil: the order has no shipping
	rate              string
	discExcl, discTax decimal.Decimal
}

// shippingCharge reads the shipping charge before its discount. Magento
// writes shipping_incl_tax with the VAT before the discount and
// shipping_tax_amount with the VAT after it, so the charge's VAT is
// shipping_incl_tax − shipping_amount and the discount took off the
// difference with shipping_tax_amount. The discount's part excl. VAT is
// shipping_discount_amount less shipping_discount_tax_compensation_amount
// (the VAT inside a discount on a price incl. VAT). Without a discount
// the charge is shipping_amount, shipping_tax_amount and
// shipping_incl_tax as reported. The rate is "0" for a charge without
// VAT, else the percent in item_applied_taxes for shipping, else VAT / net.
func (in *magOrder) shippingCharge(exp int32) magShipping {
	t := in.magTotals
	net, taxAfter := t.ShippingAmount.v, t.ShippingTaxAmount.v
	disc := t.ShippingDiscountAmount.v.Abs()
	comp := t.ShippingDiscountTaxCompensationAmount.v
	tax := taxAfter
	if !disc.IsZero() {
		tax = taxAfter.Add(comp)
		if t.ShippingInclTax.set {
			tax = t.ShippingInclTax.v.Sub(net)
		}
	}
	incl := net.Add(tax)
	if t.ShippingInclTax.set {
		incl = t.ShippingInclTax.v
	}

	s := magShipping{rate: in.shippingRate(tax, net), discExcl: disc.Sub(comp), discTax: tax.Sub(taxAfter)}
	if in.ShippingDescription == "" && net.IsZero() && incl.IsZero() {
		return s
	}
	method := ""
	if sh := in.firstShipping(); sh != nil {
		method = sh.Method
	}
	s.charge = &koppelv1.Charge{
		Title:     in.ShippingDescription,
		Method:    method,
		TotalExcl: fmtMoney(net, exp),
		TotalTax:  fmtMoney(tax, exp),
		TotalIncl: fmtMoney(incl, exp),
		TaxRate:   s.rate,
	}
	return s
}

// shippingRate returns the rate of a shipping charge with VAT tax on net.
func (in *magOrder) shippingRate(tax, net decimal.Decimal) string {
	if tax.IsZero() {
		return "0" // an applied rate on untaxed shipping was not charged
	}
	if ext := in.ExtensionAttributes; ext != nil {
		sum, found := decimal.Zero, false
		for _, it := range ext.ItemAppliedTaxes {
			if it.Type != "shipping" {
				continue
			}
			for _, a := range it.AppliedTaxes {
				if a.Percent.set {
					sum, found = sum.Add(a.Percent.v), true
				}
			}
		}
		if found && !sum.IsZero() {
			return fmtNum(sum)
		}
	}
	if r, ok := ratePercent(tax, net); ok {
		return fmtNum(r)
	}
	return ""
}

// discounts splits the order's negative discount_amount into what the
// items carry and the shipping discount, as positive amounts.
//
// The items' part is discount_amount less shipping_discount_amount, excl.
// VAT less discount_tax_compensation_amount. When booked items carry a
// discount it applies to "lines" (each line's discount_excl holds its
// share), its VAT is what the discount took off the items' VAT (see
// itemsDiscountTax) and its rate is set when the discounted lines share
// one; otherwise it applies to the "order", with the compensation as VAT.
// The shipping discount applies to "shipping" at the shipping's rate (see
// shippingCharge).
func (in *magOrder) discounts(booked []bookedItem, lines []*koppelv1.Line, ship magShipping, exp int32) []*koppelv1.Discount {
	t := in.magTotals
	code := cmp.Or(in.CouponCode, in.DiscountDescription)
	var out []*koppelv1.Discount
	if items := t.DiscountAmount.v.Abs().Sub(t.ShippingDiscountAmount.v.Abs()); !items.IsZero() {
		comp := t.DiscountTaxCompensationAmount.v
		d := &koppelv1.Discount{
			Code:       code,
			AmountExcl: fmtMoney(items.Sub(comp), exp),
			AmountTax:  fmtMoney(comp, exp),
			AppliesTo:  appliesToOrder,
		}
		if tax, ok := itemsDiscountTax(booked, exp); ok {
			d.AppliesTo, d.TaxRate, d.AmountTax = appliesToLines, discountedRate(lines), fmtMoney(tax, exp)
		}
		out = append(out, d)
	}
	if !ship.discExcl.IsZero() || !ship.discTax.IsZero() {
		out = append(out, &koppelv1.Discount{
			Code:       code,
			AmountExcl: fmtMoney(ship.discExcl, exp),
			AmountTax:  fmtMoney(ship.discTax, exp),
			AppliesTo:  appliesToShipping,
			TaxRate:    ship.rate,
		})
	}
	return out
}

// itemsDiscountTax returns the VAT the discounts took off the booked
// items, and false when no item carries a discount. An item's is its VAT
// before the discount (row_total_incl_tax − row_total) less its VAT after
// (tax_amount): the compensation when prices include VAT, the VAT on the
// discount when they do not, zero when VAT is charged before discount.
// Where that cannot be read (no row_total_incl_tax, a row_total net of the
// discount) the item's discount_tax_compensation_amount stands in.
func itemsDiscountTax(booked []bookedItem, exp int32) (decimal.Decimal, bool) {
	sum, any := decimal.Zero, false
	for _, b := range booked {
		it := b.money
		if it.DiscountAmount.v.IsZero() {
			continue
		}
		any = true
		tax := it.DiscountTaxCompensationAmount.v
		if _, gross := it.grossRow(exp); gross && it.RowTotalInclTax.set {
			if d := it.RowTotalInclTax.v.Sub(it.RowTotal.v).Sub(it.TaxAmount.v); !d.IsNegative() {
				tax = d
			}
		}
		sum = sum.Add(tax)
	}
	return sum, any
}

// totals returns the order's totals and, when the shop reports a base
// currency, that currency and the base totals. The discount excl. VAT is
// discount_amount less both tax compensations.
func (in *magOrder) totals(exp int32) (totals *koppelv1.Totals, baseCurrency string, base *koppelv1.Totals) {
	t := in.magTotals
	disc := t.DiscountAmount.v.Abs().Sub(t.DiscountTaxCompensationAmount.v).Sub(t.ShippingDiscountTaxCompensationAmount.v)
	totals = magentoTotals(t.Subtotal.v, t.ShippingAmount.v, disc, t.TaxAmount.v, t.GrandTotal.v, exp)
	if in.BaseCurrencyCode == "" {
		return totals, "", nil
	}
	baseDisc := in.BaseDiscountAmount.v.Abs().Sub(in.BaseDiscountTaxCompensationAmount.v).
		Sub(in.BaseShippingDiscountTaxCompensationAmnt.v)
	base = magentoTotals(in.BaseSubtotal.v, in.BaseShippingAmount.v, baseDisc, in.BaseTaxAmount.v, in.BaseGrandTotal.v,
		exponent(in.BaseCurrencyCode))
	return totals, in.BaseCurrencyCode, base
}

// magentoTotals builds Totals; fees are zero, as Magento has none.
func magentoTotals(subtotal, shipping, discount, tax, grand decimal.Decimal, exp int32) *koppelv1.Totals {
	return &koppelv1.Totals{
		LinesExcl:    fmtMoney(subtotal, exp),
		ShippingExcl: fmtMoney(shipping, exp),
		FeesExcl:     fmtMoney(decimal.Zero, exp),
		DiscountExcl: fmtMoney(discount, exp),
		Tax:          fmtMoney(tax, exp),
		TotalExcl:    fmtMoney(grand.Sub(tax), exp),
		TotalIncl:    fmtMoney(grand, exp),
	}
}
