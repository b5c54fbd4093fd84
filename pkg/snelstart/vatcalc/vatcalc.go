// Package vatcalc computes a verkooporder's amounts the way SnelStart does,
// as far as SnelStart documents it, with switches for what it does not
// publish (shared/reference/vat-rounding.md §1, §2, §7). The SnelStart
// sandbox answers with it and koppel's booker checks an order with it
// before and after posting, so that both sides use one set of rules
// (vat-rounding.md §7.3).
package vatcalc

import (
	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// VATMethod says where VAT is rounded. SnelStart does not publish which it
// uses (vat-rounding.md §1.4), so both are offered.
type VATMethod int

const (
	// VATPerRate sums the line amounts of each btw-soort and computes and
	// rounds the VAT once per soort (the default; the ledger keeps VAT per
	// btw-tarief).
	VATPerRate VATMethod = iota
	// VATPerLine computes and rounds the VAT of each line, then sums.
	VATPerLine
)

// Rounding says how an amount exactly half a cent from two neighbours is
// rounded (vat-rounding.md §1.5).
type Rounding int

const (
	// RoundHalfUp rounds half a cent away from zero, the Belastingdienst's
	// "rekenkundige" rule (the default).
	RoundHalfUp Rounding = iota
	// RoundHalfEven rounds half a cent to the even cent, .NET's
	// Math.Round default.
	RoundHalfEven
)

// TotalsRules are the rules for the amounts of a verkooporder: the company's
// regelkortingVerkooporder and the two switches SnelStart does not publish.
type TotalsRules struct {
	// Regelkorting says how kortingsPercentage applies; "" means
	// BerekenenOverRegelBedrag.
	Regelkorting snelstart.RegelkortingVerkooporder
	VAT          VATMethod
	Rounding     Rounding
}

// A TotalsLine is an order line as the totals need it: the line's price,
// quantity and discount, and the VAT of its article on the order date.
type TotalsLine struct {
	Stuksprijs         snelstart.Decimal // incl. or excl. VAT, per the order's BtwIngave
	Aantal             snelstart.Decimal
	KortingsPercentage snelstart.Decimal
	BtwSoort           snelstart.BtwSoort
	BtwPercentage      snelstart.Decimal // e.g. 21
}

// Totals are the amounts of a verkooporder. The API returns only the line
// totals and the two order totals; Groepen is a per-soort
// breakdown, for test assertions (vat-rounding.md §7.2 step 7).
type Totals struct {
	Regels             []snelstart.Decimal // each line's totaal, in the order's entry mode, before factuurkorting
	Groepen            []BtwGroep          // one per btw-soort, in order of first use
	TotaalExclusiefBtw snelstart.Decimal
	TotaalInclusiefBtw snelstart.Decimal
}

// A BtwGroep is the VAT of the lines of one btw-soort.
type BtwGroep struct {
	BtwSoort      snelstart.BtwSoort
	BtwPercentage snelstart.Decimal
	ExclusiefBtw  snelstart.Decimal
	Btw           snelstart.Decimal
	InclusiefBtw  snelstart.Decimal
}

// ComputeTotals computes a verkooporder's amounts as the sandbox answers
// them and koppel expects them (vat-rounding.md §1, §2, §7.2):
//
//  1. Each line amount is, with p the price, q the quantity and k the line
//     discount in percent, round(p × q × (1 − k/100)) under
//     BerekenenOverRegelBedrag, or round(round(p × (1 − k/100)) × q) under
//     BerekenenOverStukprijs. A rounding first rounds to 5 decimals
//     ("SnelStart doet alle berekeningen met 5 decimalen"), then to cents,
//     half-up or half-even per the rules.
//  2. factuurkorting, a percentage, reduces each soort's sum (or, per line,
//     each line) and is rounded likewise.
//  3. Exclusief: VAT = round(net × rate). Inclusief: net = round(gross /
//     (1 + rate)) and VAT = gross − net, so the gross total is exactly the
//     sum of what was entered. Per soort by default, per line with
//     [VATPerLine].
//  4. totaalExclusiefBtw is the sum of the nets, totaalInclusiefBtw the sum
//     of net plus VAT.
func ComputeTotals(rules TotalsRules, ingave snelstart.BtwIngave, factuurkorting snelstart.Decimal, lines []TotalsLine) Totals {
	round := func(d decimal.Decimal, places int32) decimal.Decimal {
		if rules.Rounding == RoundHalfEven {
			return d.RoundBank(places)
		}
		return d.Round(places)
	}
	money := func(d decimal.Decimal) decimal.Decimal { return round(round(d, 5), 2) }
	hundred := decimal.NewFromInt(100)
	one := decimal.NewFromInt(1)
	fk := one.Sub(factuurkorting.Div(hundred))
	hasFK := !factuurkorting.IsZero()

	var t Totals
	amounts := make([]decimal.Decimal, len(lines))
	for i, l := range lines {
		k := one.Sub(l.KortingsPercentage.Div(hundred))
		if rules.Regelkorting == snelstart.RegelkortingBerekenenOverStukprijs {
			amounts[i] = money(money(l.Stuksprijs.Mul(k)).Mul(l.Aantal.Decimal))
		} else {
			amounts[i] = money(l.Stuksprijs.Mul(l.Aantal.Decimal).Mul(k))
		}
		t.Regels = append(t.Regels, snelstart.NewDecimal(amounts[i]))
	}

	// split returns net, VAT and gross of an amount in the entry mode.
	split := func(amount, rate decimal.Decimal) (net, vat, gross decimal.Decimal) {
		if ingave == snelstart.BtwIngaveInclusief {
			net = money(amount.Div(one.Add(rate.Div(hundred))))
			return net, amount.Sub(net), amount
		}
		vat = money(amount.Mul(rate).Div(hundred))
		return amount, vat, amount.Add(vat)
	}

	type group struct {
		soort           snelstart.BtwSoort
		rate            decimal.Decimal
		sum             decimal.Decimal // per rate: the line amounts
		net, vat, gross decimal.Decimal // per line: the running sums
	}
	var groups []*group
	find := func(l TotalsLine) *group {
		for _, g := range groups {
			if g.soort == l.BtwSoort && g.rate.Equal(l.BtwPercentage.Decimal) {
				return g
			}
		}
		zero := decimal.New(0, -2)
		g := &group{soort: l.BtwSoort, rate: l.BtwPercentage.Decimal, sum: zero, net: zero, vat: zero, gross: zero}
		groups = append(groups, g)
		return g
	}
	for i, l := range lines {
		g := find(l)
		a := amounts[i]
		if rules.VAT == VATPerLine {
			if hasFK {
				a = money(a.Mul(fk))
			}
			net, vat, gross := split(a, g.rate)
			g.net, g.vat, g.gross = g.net.Add(net), g.vat.Add(vat), g.gross.Add(gross)
			continue
		}
		g.sum = g.sum.Add(a)
	}
	excl, incl := decimal.New(0, -2), decimal.New(0, -2)
	for _, g := range groups {
		if rules.VAT == VATPerRate {
			a := g.sum
			if hasFK {
				a = money(a.Mul(fk))
			}
			g.net, g.vat, g.gross = split(a, g.rate)
		}
		excl, incl = excl.Add(g.net), incl.Add(g.gross)
		t.Groepen = append(t.Groepen, BtwGroep{
			BtwSoort: g.soort, BtwPercentage: snelstart.NewDecimal(g.rate),
			ExclusiefBtw: snelstart.NewDecimal(g.net), Btw: snelstart.NewDecimal(g.vat), InclusiefBtw: snelstart.NewDecimal(g.gross),
		})
	}
	t.TotaalExclusiefBtw, t.TotaalInclusiefBtw = snelstart.NewDecimal(excl), snelstart.NewDecimal(incl)
	return t
}
