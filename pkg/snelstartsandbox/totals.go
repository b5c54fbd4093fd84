package snelstartsandbox

import (
	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/vatcalc"
)

// The sandbox computes an order's amounts with package vatcalc, which
// koppel's booker uses too to check what it books (vat-rounding.md §7.3).
// These names keep the sandbox's options readable.
type (
	VATMethod   = vatcalc.VATMethod
	Rounding    = vatcalc.Rounding
	TotalsRules = vatcalc.TotalsRules
	TotalsLine  = vatcalc.TotalsLine
	Totals      = vatcalc.Totals
	BtwGroep    = vatcalc.BtwGroep
)

// The switches SnelStart does not publish (see package vatcalc).
const (
	VATPerRate    = vatcalc.VATPerRate
	VATPerLine    = vatcalc.VATPerLine
	RoundHalfUp   = vatcalc.RoundHalfUp
	RoundHalfEven = vatcalc.RoundHalfEven
)

// ComputeTotals is [vatcalc.ComputeTotals].
func ComputeTotals(rules TotalsRules, ingave snelstart.BtwIngave, factuurkorting snelstart.Decimal, lines []TotalsLine) Totals {
	return vatcalc.ComputeTotals(rules, ingave, factuurkorting, lines)
}

// dec returns the decimal n × 10^exp.
func dec(n int64, exp int32) snelstart.Decimal { return snelstart.NewDecimal(decimal.New(n, exp)) }
