package timeline

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// Order states beyond the pipeline's steps (raw, received, customer,
// articles), as [Timeline] and [RecentOrder] report them.
const (
	StatusBooked       = "booked"        // booked in SnelStart
	StatusAttention    = "attention"     // booked in SnelStart, and a person should look at it (Booking.attention)
	StatusHeld         = "held"          // held by the booker, not booked: a dead letter that needs attention
	StatusDeadLettered = "dead-lettered" // a stage gave up; a dead letter waits for a person
	StatusSkipped      = "skipped"       // not booked on purpose
	StatusUnknown      = "unknown"       // only audit records remain
)

// NeedsAttention reports whether status asks a person to look at the
// order: booked with a remark, or held by the booker.
func NeedsAttention(status string) bool {
	return status == StatusAttention || status == StatusHeld
}

// heldPrefix starts the error of an order the booker held instead of
// booking (its totals disagree with the shop's under
// orders.on_total_mismatch: hold).
const heldPrefix = "needs attention:"

// Held reports whether a dead letter's error is the booker holding the
// order, and returns what needs attention without the prefix.
func Held(deadLetterError string) (reason string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(deadLetterError), heldPrefix)
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// BookingVAT is how koppel booked an order's VAT, for people: the regime,
// the amounts per rate next to the shop's VAT, which of SnelStart's VAT
// rounding rules its totals agreed with, a correction line, what koppel
// changed to fit SnelStart, and what needs a person's look.
type BookingVAT struct {
	Regime      string     `json:"regime,omitempty"`       // domestic, icp, export, oss
	RegimeLabel string     `json:"regime_label,omitempty"` // "ICP (intracommunautaire levering)"
	Groups      []VATGroup `json:"groups,omitempty"`
	Rule        string     `json:"rule,omitempty"`       // per_rate or per_line; "" when neither agreed or nothing was checked
	RuleLabel   string     `json:"rule_label,omitempty"` // in words, also when neither agreed
	Correction  string     `json:"correction,omitempty"` // the VAT-free correction line's amount
	// Difference and DifferenceExcl are SnelStart's totals minus the
	// shop's, incl. and excl. VAT; "" when they agree.
	Difference     string   `json:"difference,omitempty"`
	DifferenceExcl string   `json:"difference_excl,omitempty"`
	Notes          []string `json:"notes,omitempty"`
	Attention      string   `json:"attention,omitempty"`
}

// VATGroup is the amounts of one VAT rate of a booking.
type VATGroup struct {
	BtwSoort string `json:"btw_soort"` // Hoog, Laag, Geen, Overig
	Rate     string `json:"rate"`      // percent
	Excl     string `json:"excl"`      // koppel's net
	Tax      string `json:"tax"`       // koppel's VAT
	ShopTax  string `json:"shop_tax"`  // the VAT the shop charged at this rate
	// TaxDifference is koppel's VAT minus the shop's when they differ.
	TaxDifference string `json:"tax_difference,omitempty"`
}

// RegimeLabel names a VAT regime the way a Dutch bookkeeper knows it.
func RegimeLabel(regime string) string {
	switch regime {
	case "domestic":
		return "binnenland"
	case "icp":
		return "ICP (intracommunautaire levering)"
	case "export":
		return "export"
	case "oss":
		return "OSS"
	}
	return regime
}

// ruleLabel says which VAT rounding rule SnelStart's totals agreed with.
func ruleLabel(b *koppelv1.Booking) string {
	switch {
	case b.GetVatRule() == "per_rate":
		return "VAT per rate (SnelStart's totals agreed with koppel's)"
	case b.GetVatRule() == "per_line":
		return "VAT per line (SnelStart's totals agreed with koppel's)"
	case b.GetLinked() || b.GetOutcome() == "linked":
		return "not checked: linked to an existing verkooporder"
	case b.GetRegime() == "" && len(b.GetVat()) == 0:
		return "" // booked before koppel checked VAT rules
	}
	return "neither: SnelStart's totals agreed with neither VAT rule"
}

// VATOf returns how b booked the order's VAT, or nil when b is nil.
func VATOf(b *koppelv1.Booking) *BookingVAT {
	if b == nil {
		return nil
	}
	v := &BookingVAT{
		Regime: b.GetRegime(), RegimeLabel: RegimeLabel(b.GetRegime()),
		Rule: b.GetVatRule(), RuleLabel: ruleLabel(b),
		Correction: nonZero(b.GetCorrection()),
		Difference: nonZero(b.GetDifference()), DifferenceExcl: nonZero(b.GetDifferenceExcl()),
		Notes: b.GetNotes(), Attention: strings.TrimSpace(b.GetAttention()),
	}
	for _, g := range b.GetVat() {
		v.Groups = append(v.Groups, VATGroup{BtwSoort: g.GetBtwSoort(), Rate: g.GetRate(),
			Excl: g.GetExcl(), Tax: g.GetTax(), ShopTax: g.GetShopTax(), TaxDifference: difference(g.GetTax(), g.GetShopTax())})
	}
	return v
}

// nonZero returns an amount, or "" for none or zero.
func nonZero(amount string) string {
	if d, err := decimal.NewFromString(strings.TrimSpace(amount)); err != nil || d.IsZero() {
		return ""
	}
	return amount
}

// difference returns a − b ("0.02", "-0.01"), or "" when they are equal
// or either is not an amount.
func difference(a, b string) string {
	da, errA := decimal.NewFromString(strings.TrimSpace(a))
	db, errB := decimal.NewFromString(strings.TrimSpace(b))
	if errA != nil || errB != nil || da.Equal(db) {
		return ""
	}
	return da.Sub(db).StringFixed(2)
}
