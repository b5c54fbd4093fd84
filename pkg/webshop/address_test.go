package webshop

import (
	"strings"
	"testing"
)

func TestSplitStreet(t *testing.T) {
	tests := map[string]struct {
		in                     string
		street, number, suffix string
	}{
		"number":                   {"Stationstraat 12", "Stationstraat", "12", ""},
		"letter suffix":            {"Kerkstraat 12a", "Kerkstraat", "12", "a"},
		"spaced suffix":            {"Laan van Meerdervoort 1013 B", "Laan van Meerdervoort", "1013", "B"},
		"dash":                     {"Straat 5-7", "Straat", "5", "7"},
		"dash letter":              {"Voorbeeldstraat 74-g", "Voorbeeldstraat", "74", "g"},
		"slash":                    {"Hoofdweg 3/2", "Hoofdweg", "3", "2"},
		"word suffix":              {"Kerkstraat 12 hs", "Kerkstraat", "12", "hs"},
		"floor after number":       {"Kerkstraat 12 3 hoog", "Kerkstraat", "12", "3 hoog"},
		"Belgian bus":              {"Rue de la Loi 16 bus 2", "Rue de la Loi", "16", "bus 2"},
		"ordinal in street":        {"2e Helmersstraat 7 hs", "2e Helmersstraat", "7", "hs"},
		"comma before number":      {"Dorpsstraat, 4", "Dorpsstraat", "4", ""},
		"extra spaces":             {"  Kerkstraat   12   a  ", "Kerkstraat", "12", "a"},
		"long text after number":   {"Appartement 4, Kerkstraat 12", "Appartement 4, Kerkstraat", "12", ""},
		"German":                   {"Hauptstraße 5", "Hauptstraße", "5", ""},
		"no number":                {"Test", "Test", "", ""},
		"number first (US)":        {"969 Market", "969 Market", "", ""},
		"number first (IN)":        {"221,Baker-street (e)", "221,Baker-street (e)", "", ""},
		"only a number":            {"12", "12", "", ""},
		"only numbers":             {"12 34", "12 34", "", ""},
		"number glued to street":   {"Kerkstraat12", "Kerkstraat12", "", ""},
		"empty":                    {"", "", "", ""},
		"street with year (known)": {"Plein 1940-1945 12", "Plein", "1940", "1945 12"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			street, number, suffix := splitStreet(tt.in)
			if street != tt.street || number != tt.number || suffix != tt.suffix {
				t.Errorf("splitStreet(%q) = %q, %q, %q; want %q, %q, %q",
					tt.in, street, number, suffix, tt.street, tt.number, tt.suffix)
			}
		})
	}
}

func TestSplitStreetLines(t *testing.T) {
	tests := map[string]struct {
		in                            []string
		street, number, suffix, line2 string
	}{
		"one line":                  {[]string{"Kerkstraat 12a"}, "Kerkstraat", "12", "a", ""},
		"second line is line2":      {[]string{"Kerkstraat 12a", "2e etage"}, "Kerkstraat", "12", "a", "2e etage"},
		"three lines joined":        {[]string{"Kerkstraat 12", "Gebouw B", "Unit 4"}, "Kerkstraat", "12", "", "Gebouw B, Unit 4"},
		"Dutch number line":         {[]string{"Kerkstraat", "12"}, "Kerkstraat", "12", "", ""},
		"Dutch number and suffix":   {[]string{"Laan van Meerdervoort", "1013", "B"}, "Laan van Meerdervoort", "1013", "B", ""},
		"Dutch, dash suffix":        {[]string{"Straat", "5", "-7"}, "Straat", "5", "7", ""},
		"Dutch with a fourth line":  {[]string{"Kerkstraat", "12", "a", "t.a.v. inkoop"}, "Kerkstraat", "12", "a", "t.a.v. inkoop"},
		"second line not numeric":   {[]string{"Kerkstraat", "12a"}, "Kerkstraat", "", "", "12a"},
		"empty trailing lines":      {[]string{"Kerkstraat 1", "", " "}, "Kerkstraat", "1", "", ""},
		"number-first street":       {[]string{"123 Oak Ave"}, "123 Oak Ave", "", "", ""},
		"no lines":                  {nil, "", "", "", ""},
		"empty line between others": {[]string{"Kerkstraat 1", "", "Unit 4"}, "Kerkstraat", "1", "", "Unit 4"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			street, number, suffix, line2 := splitStreetLines(tt.in)
			got := strings.Join([]string{street, number, suffix, line2}, "|")
			want := strings.Join([]string{tt.street, tt.number, tt.suffix, tt.line2}, "|")
			if got != want {
				t.Errorf("splitStreetLines(%q) = %s; want %s", tt.in, got, want)
			}
		})
	}
}
