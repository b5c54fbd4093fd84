package vatnumber

import "testing"

func TestIsEU(t *testing.T) {
	tests := map[string]bool{
		"NL": true, "nl": true, " de ": true, "GR": true, "HR": true, "CY": true,
		"EL": false, // a VAT prefix, not an ISO code
		"GB": false, "XI": false, "CH": false, "NO": false, "US": false, "": false, "NLD": false,
	}
	for country, want := range tests {
		if got := IsEU(country); got != want {
			t.Errorf("IsEU(%q) = %v, want %v", country, got, want)
		}
	}
	if len(memberStates) != 27 {
		t.Errorf("%d member states, want 27", len(memberStates))
	}
}

func TestPrefixAndCountry(t *testing.T) {
	tests := []struct{ country, prefix string }{
		{"GR", "EL"}, {"NL", "NL"}, {"de", "DE"}, {"AT", "AT"}, {"GB", ""}, {"", ""},
	}
	for _, tt := range tests {
		if got := Prefix(tt.country); got != tt.prefix {
			t.Errorf("Prefix(%q) = %q, want %q", tt.country, got, tt.prefix)
		}
	}
	back := []struct{ prefix, country string }{
		{"EL", "GR"}, {"el", "GR"}, {"NL", "NL"}, {"GR", ""}, {"XI", ""}, {"", ""},
	}
	for _, tt := range back {
		if got := Country(tt.prefix); got != tt.country {
			t.Errorf("Country(%q) = %q, want %q", tt.prefix, got, tt.country)
		}
	}
	for _, ms := range memberStates {
		if Country(Prefix(ms.country)) != ms.country {
			t.Errorf("Country(Prefix(%q)) = %q", ms.country, Country(Prefix(ms.country)))
		}
		if _, ok := rules[ms.prefix]; !ok {
			t.Errorf("no rule for %s", ms.prefix)
		}
	}
}
