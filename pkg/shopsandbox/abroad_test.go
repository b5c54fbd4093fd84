package shopsandbox

import (
	"testing"

	"github.com/koppel/koppel/pkg/vatnumber"
)

// TestCompanyVATNumbers checks every VAT number the generator hands out,
// whether or not a given seed uses it: each passes its member state's
// format and check digit, in canonical form, and belongs to the company's
// country.
func TestCompanyVATNumbers(t *testing.T) {
	type numbered struct {
		country string
		company
	}
	var all []numbered
	for _, c := range companies {
		all = append(all, numbered{"NL", c})
	}
	seen := map[string]bool{}
	for _, l := range euLands {
		if seen[l.code] {
			continue
		}
		seen[l.code] = true
		if len(l.companies) < 2 && l.code != "IT" {
			t.Errorf("%s: %d companies", l.code, len(l.companies))
		}
		for _, c := range l.companies {
			all = append(all, numbered{l.code, c})
		}
	}
	for _, l := range exportLands {
		if len(l.companies) > 0 || l.eu || inEU(l.code) {
			t.Errorf("%s is outside the EU: no VAT numbers, not a member state", l.code)
		}
	}
	for _, c := range all {
		n, err := vatnumber.Check(c.vatID, c.country)
		if err != nil || n.String() != c.vatID {
			t.Errorf("%s %s (%s): %v, canonical %q", c.country, c.vatID, c.name, err, n)
		}
	}
	if len(all) < 25 {
		t.Errorf("only %d VAT numbers", len(all))
	}
}
