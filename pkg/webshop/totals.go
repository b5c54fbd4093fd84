package webshop

import (
	"errors"
	"fmt"
	"strings"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/shopspring/decimal"
)

// parseTolerance reads Config.TotalTolerance. Empty gives nil: one minor
// unit of each order's currency (see [tolerance]).
func parseTolerance(s string) (*decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	d, err := parseDecimal(s)
	if err == nil && d.IsNegative() {
		err = errors.New("negative")
	}
	if err != nil {
		return nil, fmt.Errorf("webshop: total tolerance %q: %w", s, err)
	}
	return &d, nil
}

// tolerance returns the largest |computed − reported| that still matches
// for an order in a currency with exp decimals: the configured value when
// there is one, else one minor unit of the currency (0.01 EUR, 0.001 BHD,
// 1 JPY). A fixed 0.01 would let a BHD order be 10 fils off and demand more
// than the currency can express from a JPY order.
func tolerance(configured *decimal.Decimal, exp int32) decimal.Decimal {
	if configured != nil {
		return *configured
	}
	return decimal.New(1, -exp)
}

// checkTotals records in o.TotalCheck how the canonical order's own amounts
// add up against the total the shop reported:
//
//	computed = Σ lines.total_incl + Σ shipping_lines.total_incl
//	         + Σ fee_lines.total_incl − Σ unspread discounts, incl. tax
//
// Line totals are after discount (order.proto), so a discount that applies
// to "lines" (or "") is already inside them and subtracting it again would
// count it twice. Charges are before their discounts: a discount that
// applies to "shipping" (Magento's shipping discount) or to the "order"
// (spread over nothing) is subtracted, amount_excl + amount_tax. A mismatch
// is recorded, never an error.
func checkTotals(o *koppelv1.Order, reported, tol decimal.Decimal, exp int32) {
	computed := decimal.Zero
	for _, l := range o.GetLines() {
		computed = computed.Add(mustDecimal(l.GetTotalIncl()))
	}
	for _, c := range o.GetShippingLines() {
		computed = computed.Add(mustDecimal(c.GetTotalIncl()))
	}
	for _, c := range o.GetFeeLines() {
		computed = computed.Add(mustDecimal(c.GetTotalIncl()))
	}
	for _, d := range o.GetDiscounts() {
		if spreadOverLines(d) {
			continue
		}
		computed = computed.Sub(mustDecimal(d.GetAmountExcl())).Sub(mustDecimal(d.GetAmountTax()))
	}
	diff := computed.Sub(reported)
	o.TotalCheck = &koppelv1.TotalCheck{
		ComputedIncl: fmtMoney(computed, exp),
		ReportedIncl: fmtMoney(reported, exp),
		Difference:   fmtMoney(diff, exp),
		Ok:           diff.Abs().LessThanOrEqual(tol),
	}
}

// Discount targets (Discount.applies_to).
const (
	appliesToLines    = "lines"
	appliesToShipping = "shipping"
	appliesToOrder    = "order"
)

// spreadOverLines reports whether the lines' discount_excl carries d.
func spreadOverLines(d *koppelv1.Discount) bool {
	return d.GetAppliesTo() == "" || d.GetAppliesTo() == appliesToLines
}

// mustDecimal parses a decimal string this package wrote; "" is zero.
func mustDecimal(s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero
	}
	return d
}
