// Package vat decides how the VAT a shop charged is booked in SnelStart:
// the btw-soort of each rate (SnelStart takes a line's VAT from its
// article's omzetgroep, whose btw-soort has a dated percentage in GET
// /btwtarieven) and the regime of the whole order (domestic,
// intra-community supply, export or OSS). See shared/reference
// vat-rounding.md §3 and docs/booking.md "VAT".
//
// Every stage that needs one of these answers calls this package, so the
// customers stage, the articles stage and the booker cannot disagree.
package vat

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// RateTolerance is how far a shop's rate may be from a btw-soort's rate and
// still be that soort: shops that derive a rate from rounded amounts report
// 21.03 for 21.
var RateTolerance = decimal.New(5, -1)

// A Table is SnelStart's VAT rates by btw-soort and date (GET
// /btwtarieven). The zero Table knows no rate.
type Table struct {
	rows []snelstart.BtwTarief
}

// NewTable returns the table of rows.
func NewTable(rows []snelstart.BtwTarief) Table {
	return Table{rows: slices.Clone(rows)}
}

// Rate returns the percentage of soort on day, and whether the table has
// one.
func (t Table) Rate(soort snelstart.BtwSoort, day time.Time) (decimal.Decimal, bool) {
	for _, r := range t.rows {
		if strings.EqualFold(string(r.BtwSoort), string(soort)) && r.BtwPercentage != nil && covers(r, day) {
			return r.BtwPercentage.Decimal, true
		}
	}
	return decimal.Decimal{}, false
}

// Soort returns the btw-soort whose percentage on day is rate (within
// [RateTolerance], the nearest when two are close). Overig, which has no
// fixed Dutch rate, is never returned.
func (t Table) Soort(rate decimal.Decimal, day time.Time) (snelstart.BtwSoort, bool) {
	var best snelstart.BtwSoort
	var bestDiff decimal.Decimal
	for _, r := range t.rows {
		if r.BtwPercentage == nil || !covers(r, day) || r.BtwSoort == snelstart.BtwSoortOverig {
			continue
		}
		d := r.BtwPercentage.Sub(rate).Abs()
		if d.LessThanOrEqual(RateTolerance) && (best == "" || d.LessThan(bestDiff)) {
			best, bestDiff = r.BtwSoort, d
		}
	}
	return best, best != ""
}

// Rates returns the rate of every soort on day, as "Hoog 21 %, Laag 9 %,
// Geen 0 %", for messages.
func (t Table) Rates(day time.Time) string {
	var parts []string
	for _, s := range []snelstart.BtwSoort{snelstart.BtwSoortHoog, snelstart.BtwSoortLaag, snelstart.BtwSoortGeen} {
		if r, ok := t.Rate(s, day); ok {
			parts = append(parts, fmt.Sprintf("%s %s %%", s, r))
		}
	}
	return cmp.Or(strings.Join(parts, ", "), "none")
}

// covers reports whether day falls in the row's period; SnelStart's dates
// are days, so only the date of day (as the caller's zone has it) counts.
func covers(r snelstart.BtwTarief, day time.Time) bool {
	d := civil(day)
	if !r.DatumVanaf.IsZero() && d.Before(civil(r.DatumVanaf.In(time.UTC))) {
		return false
	}
	if !r.DatumTotEnMet.IsZero() && d.After(civil(r.DatumTotEnMet.In(time.UTC))) {
		return false
	}
	return true
}

func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseSoort returns the btw-soort named s in any case ("laag" → Laag).
func ParseSoort(s string) (snelstart.BtwSoort, bool) {
	for _, k := range []snelstart.BtwSoort{snelstart.BtwSoortHoog, snelstart.BtwSoortLaag, snelstart.BtwSoortGeen, snelstart.BtwSoortOverig} {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return "", false
}

// ClassSoort returns the btw-soort a shop's tax class (Line.tax_class)
// stands for, by the names shops give them: "standard" (WooCommerce's
// empty slug), "reduced-rate", "zero-rate", and Dutch names such as
// "gereduceerd-tarief", "laag", "nultarief". It is how koppel tells the
// usual VAT of a product on an order charged none (ICP, export); false
// for a class it cannot read.
func ClassSoort(class string) (snelstart.BtwSoort, bool) {
	c := strings.ToLower(strings.TrimSpace(class))
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(c, w) })
	}
	switch {
	case c == "":
		return "", false
	case has("zero", "nul", "geen", "vrij", "exempt", "0%"):
		return snelstart.BtwSoortGeen, true
	case has("reduced", "gereduceerd", "verlaagd", "laag", "low", "9%"):
		return snelstart.BtwSoortLaag, true
	case has("standard", "standaard", "hoog", "high", "21%"):
		return snelstart.BtwSoortHoog, true
	}
	return "", false
}
