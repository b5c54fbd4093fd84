package customers

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
)

func TestNormalization(t *testing.T) {
	for in, want := range map[string]string{"1234 ab": "1234AB", "1234AB": "1234AB", " 1234-ab ": "1234AB", "10115": "10115", "": ""} {
		if got := NormalizePostcode(in); got != want {
			t.Errorf("NormalizePostcode(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{" Jan@Example.NL ": "jan@example.nl", "": ""} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
	if got := EmailList("boekhouding@example.nl; Jan.Jansen@example.nl;;"); !slices.Equal(got, []string{"boekhouding@example.nl", "jan.jansen@example.nl"}) {
		t.Errorf("EmailList = %q", got)
	}
	for in, want := range map[string]string{"nl 0012.34.567.b01": "NL001234567B01", "BE 0123-456-749": "BE0123456749"} {
		if got := NormalizeVAT(in); got != want {
			t.Errorf("NormalizeVAT(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Jansen B.V.": "jansen bv", "jansen  BV": "jansen bv", "J. Jansen": "j jansen", "Müller Kaffeehaus GmbH": "müller kaffeehaus gmbh"} {
		if got := FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStraat(t *testing.T) {
	split := map[string][3]string{
		"Dorpsstraat 12a":    {"Dorpsstraat", "12", "a"},
		"Dorpsstraat 12 A":   {"Dorpsstraat", "12", "A"},
		"Kerkstraat 5-1":     {"Kerkstraat", "5", "1"},
		"2e Helmersstraat 5": {"2e Helmersstraat", "5", ""},
		"Hauptstraße 5":      {"Hauptstraße", "5", ""},
		"Meir 50":            {"Meir", "50", ""},
		"12 Main Street":     {"12 Main Street", "", ""},
		"Postbus":            {"Postbus", "", ""},
	}
	for in, want := range split {
		s, n, x := SplitStraat(in)
		if [3]string{s, n, x} != want {
			t.Errorf("SplitStraat(%q) = %q %q %q, want %q", in, s, n, x, want)
		}
	}
	format := map[[3]string]string{
		{"Dorpsstraat", "12", "a"}:             "Dorpsstraat 12a",
		{"Kerkstraat", "5", "1"}:               "Kerkstraat 5-1",
		{"Hoofdweg", "3", "bis"}:               "Hoofdweg 3 bis",
		{"Dorpsstraat 12a", "", ""}:            "Dorpsstraat 12a",
		{strings.Repeat("Lange", 12), "7", ""}: strings.Repeat("Lange", 9) + "Lan 7",
	}
	for in, want := range format {
		if got := FormatStraat(in[0], in[1], in[2]); got != want || len([]rune(got)) > maxStraat {
			t.Errorf("FormatStraat(%q) = %q, want %q", in, got, want)
		}
	}
	if houseKey("12", "A") != houseKey("12", "-a") || houseKey("12", "a") == houseKey("1", "2a") {
		t.Error("houseKey does not fold suffixes, or confuses numbers")
	}
}

func TestKeysOf(t *testing.T) {
	o := &koppelv1.Order{
		Customer: &koppelv1.Customer{ShopCustomerId: "42", Email: " Jan@Example.nl", FirstName: "Jan", LastName: "Jansen", VatNumber: "nl0012.34.567.b01"},
		Billing:  &koppelv1.Address{Street: "Dorpsstraat", HouseNumber: "12", HouseNumberSuffix: "A", Postcode: "1234 ab", City: "Alkmaar", Country: "NL"},
	}
	k := KeysOf(o)
	want := Keys{Code: 42, Email: "jan@example.nl", Postcode: "1234AB", VAT: "NL001234567B01", Name: "jan jansen", House: "12|a"}
	k.postcodeRaw, k.vatRaw = "", ""
	if k != want {
		t.Errorf("KeysOf = %+v, want %+v", k, want)
	}
	o.Customer.Guest = true
	if KeysOf(o).Code != 0 {
		t.Error("a guest has a code")
	}
	o.Customer.Guest, o.Customer.ShopCustomerId = false, "cus_8f2"
	if KeysOf(o).Code != 0 {
		t.Error("a non-numeric customer id became a code")
	}
	o.Billing = &koppelv1.Address{}
	o.Shipping = &koppelv1.Address{Street: "Kerkplein 3", Postcode: "9711AB"}
	if k := KeysOf(o); k.Postcode != "9711AB" || k.House != "3|" {
		t.Errorf("keys from the shipping address: %+v", k)
	}
}

func rel(code int, naam, email, straat, postcode string, active bool) snelstart.Relatie {
	r := snelstart.Relatie{ID: snelstart.NewID(), Relatiecode: snelstart.Ptr(code), Naam: naam, Email: email,
		Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant}, Nonactief: snelstart.Ptr(!active)}
	if straat != "" {
		r.VestigingsAdres = &snelstart.Adres{Straat: straat, Postcode: postcode, Plaats: "X"}
	}
	return r
}

// TestClassify runs every mode over the look-alikes of the default
// sandbox seed: two klanten sharing an email and postcode, one holding two
// addresses, an inactive one, and the fixtures that are no customers.
func TestClassify(t *testing.T) {
	cands := []snelstart.Relatie{
		rel(3, "Jan Jansen", "jan.jansen@example.nl", "Dorpsstraat 12a", "1234 AB", true),
		rel(4, "J. Jansen", "boekhouding@example.nl;jan.jansen@example.nl", "Dorpsstraat 12a", "1234 AB", true),
		rel(5, "Jan Jansen", "jan.jansen@example.nl", "Kerkplein 3", "9711 AB", false),
		rel(6, "Anna de Vries", "anna@devries.example", "Oudegracht 45", "3511 AB", true),
		rel(-2, "Klant onbekend", "anna@devries.example", "", "", true),
	}
	cands[3].BtwNummer = "NL001234567B01"
	byCode := map[int]snelstart.ID{}
	for _, c := range cands {
		byCode[*c.Relatiecode] = c.ID
	}
	tests := map[string]struct {
		keys Keys
		want map[string]string // mode → "6", "ambiguous", "none"
	}{
		"code matches, email shared": {
			keys: Keys{Code: 3, Email: "jan.jansen@example.nl", Postcode: "1234AB"},
			want: map[string]string{MatchCode: "3", MatchEmail: "ambiguous", MatchCodeOrEmail: "3", MatchEmailAndPostcode: "ambiguous", MatchCodeOrEmailAndPostcode: "3", MatchSmart: "3"},
		},
		"second address of a relatie": {
			keys: Keys{Email: "boekhouding@example.nl", Postcode: "1234AB"},
			want: map[string]string{MatchCode: "none", MatchEmail: "4", MatchCodeOrEmail: "4", MatchEmailAndPostcode: "4", MatchCodeOrEmailAndPostcode: "4", MatchSmart: "4"},
		},
		"same email, other postcode": {
			keys: Keys{Email: "anna@devries.example", Postcode: "1000AA"},
			want: map[string]string{MatchCode: "none", MatchEmail: "6", MatchCodeOrEmail: "6", MatchEmailAndPostcode: "none", MatchCodeOrEmailAndPostcode: "none", MatchSmart: "6"},
		},
		"inactive relatie only": {
			keys: Keys{Email: "jan.jansen@example.nl", Postcode: "9711AB"},
			want: map[string]string{MatchCode: "none", MatchEmail: "ambiguous", MatchEmailAndPostcode: "none", MatchSmart: "ambiguous"},
		},
		"code contradicted by email and postcode": {
			keys: Keys{Code: 6, Email: "piet@example.nl", Postcode: "9999ZZ"},
			want: map[string]string{MatchCode: "6", MatchCodeOrEmail: "6", MatchSmart: "none"},
		},
		"VAT number": {
			keys: Keys{VAT: "NL001234567B01", Email: "new@example.nl"},
			want: map[string]string{MatchEmail: "none", MatchSmart: "6"},
		},
		"name, postcode and house number": {
			keys: Keys{Email: "other@example.nl", Name: "anna de vries", Postcode: "3511AB", House: "45|"},
			want: map[string]string{MatchEmail: "none", MatchEmailAndPostcode: "none", MatchSmart: "6"},
		},
		"look-alike name at one address": {
			keys: Keys{Name: "jan jansen", Postcode: "1234AB", House: "12|a"},
			want: map[string]string{MatchSmart: "3"},
		},
	}
	for name, tt := range tests {
		for mode, want := range tt.want {
			v := classify(steps(mode), tt.keys, cands)
			got := "none"
			switch {
			case v.tied != nil:
				got = "ambiguous"
			case v.found != nil:
				got = "?"
				for code, id := range byCode {
					if id == v.found.ID {
						got = strconv.Itoa(code)
					}
				}
			}
			if got != want {
				t.Errorf("%s, %s: got %s, want %s", name, mode, got, want)
			}
		}
	}
}

func TestQuery(t *testing.T) {
	k := Keys{Code: 3, Email: "jan@example.nl", Postcode: "1234AB", postcodeRaw: "1234 ab", VAT: "NL1", vatRaw: "nl 1", Name: "jan", House: "1|"}
	got := query(steps(MatchSmart), k).String()
	for _, want := range []string{"Relatiesoort/any(x:x eq 'Klant')", "Relatiecode eq 3", "substringof('jan@example.nl', Email) eq true",
		"BtwNummer eq 'NL1'", "BtwNummer eq 'nl 1'", "VestigingsAdres/Postcode eq '1234 AB'", "VestigingsAdres/Postcode eq '1234AB'", "VestigingsAdres/Postcode eq '1234 ab'"} {
		if !strings.Contains(got, want) {
			t.Errorf("query lacks %s: %s", want, got)
		}
	}
	if strings.Count(got, "substringof") != 1 {
		t.Errorf("query repeats a term: %s", got)
	}
	if !query(steps(MatchCode), Keys{Email: "x@y.z"}).IsZero() {
		t.Error("code mode queries an order without a code")
	}
}

func TestUpdateFrom(t *testing.T) {
	landen := map[string]snelstart.ID{"NL": "1a000000-0000-4000-8000-000000000001"}
	o := &koppelv1.Order{ShopOrderId: "1",
		Customer: &koppelv1.Customer{Email: "new@x.nl", FirstName: "Jan", LastName: "Jansen", Phone: "0612345678"},
		Billing:  &koppelv1.Address{Street: "Dorpsstraat", HouseNumber: "12", HouseNumberSuffix: "a", Postcode: "1234ab", City: "Alkmaar", Country: "NL"}}
	cur := &snelstart.Relatie{ID: snelstart.NewID(), Naam: "Jan Jansen", Email: "Old@x.nl; Boekhouding@x.nl", Memo: "m", Krediettermijn: snelstart.Ptr(30),
		VestigingsAdres: &snelstart.Adres{Contactpersoon: "Piet", Straat: "Dorpsstraat 12a", Postcode: "1234 AB", Plaats: "Alkmaar", Land: snelstart.RefTo(landen["NL"])}}
	next, changed, err := updateFrom(cur, o, landen, "")
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	if next.Email != "new@x.nl;Boekhouding@x.nl" || next.Telefoon != "0612345678" || next.Memo != "m" || *next.Krediettermijn != 30 ||
		next.VestigingsAdres.Contactpersoon != "Piet" || cur.Email != "Old@x.nl; Boekhouding@x.nl" {
		t.Errorf("next %+v, cur %+v", next, cur)
	}
	if _, changed, _ := updateFrom(next, o, landen, ""); changed {
		t.Error("applying the same shop data twice changes the relatie")
	}
	o.Customer.Email = "BOEKHOUDING@x.nl"
	if n, changed, _ := updateFrom(next, o, landen, ""); changed || n.Email != next.Email {
		t.Errorf("an address the relatie holds in another case changed it: %q", n.Email)
	}
}
