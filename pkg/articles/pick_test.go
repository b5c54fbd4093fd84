package articles

import (
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
)

// TestPick covers what the sandbox cannot show: SnelStart compares text
// in $filter without regard to case, so a lookup by artikelcode may list
// articles whose code differs from the SKU in case only.
func TestPick(t *testing.T) {
	art := func(code string, active bool, extra ...snelstart.ExtraVeld) snelstart.Artikel {
		return snelstart.Artikel{ID: snelstart.NewID(), Artikelcode: code, IsNonActief: snelstart.Ptr(!active), ExtraVelden: extra}
	}
	tests := map[string]struct {
		arts          []snelstart.Artikel
		extra, sku    string
		exact, folded int
		inactive      bool
	}{
		"exact beats folded":          {[]snelstart.Artikel{art("ABC", true), art("abc", true)}, "", "abc", 1, 1, false},
		"folded only":                 {[]snelstart.Artikel{art("ABC", true)}, "", "abc", 0, 1, false},
		"two folded: ambiguous":       {[]snelstart.Artikel{art("ABC", true), art("Abc", true)}, "", "abc", 0, 2, false},
		"inactive set aside":          {[]snelstart.Artikel{art("abc", false), art("abc ", true)}, "", "abc", 0, 1, true},
		"unrelated dropped":           {[]snelstart.Artikel{art("abcd", true)}, "", "abc", 0, 0, false},
		"extra field exact, any name": {[]snelstart.Artikel{art("1", true, snelstart.ExtraVeld{Naam: "EAN", Waarde: "871"}), art("2", true, snelstart.ExtraVeld{Naam: "ean", Waarde: "8710"})}, "ean", "871", 1, 0, false},
	}
	for name, tt := range tests {
		exact, folded, inactive := pick(tt.arts, tt.extra, tt.sku)
		if len(exact) != tt.exact || len(folded) != tt.folded || (inactive != nil) != tt.inactive {
			t.Errorf("%s: %d exact, %d folded, inactive %v", name, len(exact), len(folded), inactive != nil)
		}
	}
}
