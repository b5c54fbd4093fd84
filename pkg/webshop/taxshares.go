package webshop

import (
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/shopspring/decimal"
)

// taxPart is the VAT a shop charged on a charge at one rate, as it
// reported it: the rate in percent and the tax, unrounded when the shop
// keeps it so (WooCommerce's taxes[].total, "0.6237").
type taxPart struct {
	rate decimal.Decimal
	tax  decimal.Decimal
}

// share is one rate's part of a charge, in the currency's minor unit.
type share struct {
	rate, net, tax decimal.Decimal
}

// splitting says how splitCharge reads a charge taxed at several rates.
type splitting struct {
	exp       int32 // decimals of the currency
	halfDown  bool  // the shop rounds tax halves towards zero
	zeroRated bool  // the order has a line at 0 %, so a 0 % share may exist
}

// splitCharge divides a charge with net amount total and tax totalTax over
// the rates that taxed it. Each rate's net part follows from the shop's
// own tax at that rate (net ≈ tax / (rate/100)): that is the pro rata
// split the shop made, whatever it based it on. The parts are rounded to
// the minor unit and then made to add up exactly:
//
//   - net: when the tax-derived parts fall short of total by more than the
//     precision of the shop's tax figures explains, the rest was not taxed.
//     It becomes a 0 % share when the order has a 0 % line (zeroRated);
//     otherwise it, like any rounding residue, goes to the largest share.
//   - tax: each part is rounded as the shop rounds tax; the difference with
//     totalTax (a shop that rounds per order, not per rate) goes to the
//     share with the largest tax.
//
// Rates whose tax is zero say nothing about their part and are left out.
// stacked is true when every rate taxed the whole charge (a state and a
// county rate on the same amount), which is not a split at all; then
// shares is nil. Shares keep the order of parts, a 0 % share last.
func splitCharge(total, totalTax decimal.Decimal, parts []taxPart, s splitting) (shares []share, stacked bool) {
	parts = mergeRates(parts)
	if len(parts) == 0 {
		return nil, false
	}
	unit := decimal.New(1, -s.exp)
	implied := make([]decimal.Decimal, len(parts))
	slack := make([]decimal.Decimal, len(parts)) // how far implied may be off
	stacked = len(parts) > 1
	for i, p := range parts {
		implied[i] = p.tax.Mul(hundred).DivRound(p.rate, 10)
		precision := decimal.New(5, -max(decimals(p.tax), s.exp)-1) // half a unit of the last digit
		slack[i] = precision.Mul(hundred).DivRound(p.rate.Abs(), 10).Add(unit)
		if implied[i].Sub(total).Abs().GreaterThan(slack[i]) {
			stacked = false
		}
	}
	if stacked {
		return nil, true
	}

	shares = make([]share, len(parts))
	sum, tolerance := decimal.Zero, decimal.Zero
	for i, p := range parts {
		shares[i] = share{rate: p.rate, net: implied[i].Round(s.exp)}
		sum = sum.Add(shares[i].net)
		tolerance = tolerance.Add(slack[i])
	}
	rest := total.Sub(sum)
	shortfall := rest.Sign() == total.Sign() && rest.Abs().GreaterThan(tolerance)
	if shortfall && s.zeroRated {
		shares = append(shares, share{rate: decimal.Zero, net: rest, tax: decimal.Zero})
	} else {
		i := largest(shares, func(sh share) decimal.Decimal { return sh.net })
		shares[i].net = shares[i].net.Add(rest)
	}

	taxSum := decimal.Zero
	for i, p := range parts {
		shares[i].tax = roundHalf(p.tax, s.exp, s.halfDown)
		taxSum = taxSum.Add(shares[i].tax)
	}
	if diff := totalTax.Sub(taxSum); !diff.IsZero() {
		i := largest(shares[:len(parts)], func(sh share) decimal.Decimal { return sh.tax })
		shares[i].tax = shares[i].tax.Add(diff)
	}
	return shares, false
}

// mergeRates adds up parts at the same rate and drops those without tax.
func mergeRates(parts []taxPart) []taxPart {
	var out []taxPart
	for _, p := range parts {
		if p.tax.IsZero() || p.rate.IsZero() {
			continue
		}
		merged := false
		for i := range out {
			if out[i].rate.Equal(p.rate) {
				out[i].tax = out[i].tax.Add(p.tax)
				merged = true
			}
		}
		if !merged {
			out = append(out, p)
		}
	}
	return out
}

// largest returns the index of the share whose by value is largest in
// absolute terms, the first one on a tie.
func largest(shares []share, by func(share) decimal.Decimal) int {
	best := 0
	for i := range shares {
		if by(shares[i]).Abs().GreaterThan(by(shares[best]).Abs()) {
			best = i
		}
	}
	return best
}

// roundHalf rounds d to exp decimals, halves away from zero, or towards
// zero when halfDown (PHP's PHP_ROUND_HALF_DOWN, which WooCommerce uses for
// tax when prices include it).
func roundHalf(d decimal.Decimal, exp int32, halfDown bool) decimal.Decimal {
	if halfDown {
		truncated := d.Truncate(exp)
		if d.Sub(truncated).Abs().Equal(decimal.New(5, -exp-1)) {
			return truncated
		}
	}
	return d.Round(exp)
}

// taxShares writes shares as the canonical TaxShare list.
func taxShares(shares []share, exp int32) []*koppelv1.TaxShare {
	out := make([]*koppelv1.TaxShare, len(shares))
	for i, sh := range shares {
		out[i] = &koppelv1.TaxShare{
			Rate:      fmtNum(sh.rate),
			TotalExcl: fmtMoney(sh.net, exp),
			Tax:       fmtMoney(sh.tax, exp),
		}
	}
	return out
}
