package snelstartsandbox_test

import (
	"net/http"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// TestLanden checks GET /v2/landen: all of ISO 3166-1, the sixteen ids the
// default seed always had, and a fixed id for every other country.
func TestLanden(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var landen []snelstart.Land
	mustDecode(t, e.call(http.MethodGet, snelstart.PathLanden, nil).body, &landen)
	if len(landen) != 249 {
		t.Errorf("%d landen, want the 249 of ISO 3166-1", len(landen))
	}
	byCode := map[string]snelstart.Land{}
	alpha3 := map[string]bool{}
	for _, l := range landen {
		if len(l.Landcode) != 2 || len(l.LandcodeISO) != 3 || l.Naam == "" || l.ID == "" || l.URI != "/landen/"+string(l.ID) {
			t.Errorf("incomplete land %+v", l)
		}
		if _, dup := byCode[l.Landcode]; dup || alpha3[l.LandcodeISO] {
			t.Errorf("%s / %s twice", l.Landcode, l.LandcodeISO)
		}
		byCode[l.Landcode], alpha3[l.LandcodeISO] = l, true
	}
	stable := map[string]struct{ id, iso, naam string }{
		"NL": {"1a000000-0000-4000-8000-000000000001", "NLD", "Nederland"},
		"BE": {"1a000000-0000-4000-8000-000000000002", "BEL", "België"},
		"DE": {"1a000000-0000-4000-8000-000000000003", "DEU", "Duitsland"},
		"FR": {"1a000000-0000-4000-8000-000000000004", "FRA", "Frankrijk"},
		"LU": {"1a000000-0000-4000-8000-000000000005", "LUX", "Luxemburg"},
		"AT": {"1a000000-0000-4000-8000-000000000006", "AUT", "Oostenrijk"},
		"ES": {"1a000000-0000-4000-8000-000000000007", "ESP", "Spanje"},
		"IT": {"1a000000-0000-4000-8000-000000000008", "ITA", "Italië"},
		"DK": {"1a000000-0000-4000-8000-000000000009", "DNK", "Denemarken"},
		"SE": {"1a000000-0000-4000-8000-00000000000a", "SWE", "Zweden"},
		"PL": {"1a000000-0000-4000-8000-00000000000b", "POL", "Polen"},
		"IE": {"1a000000-0000-4000-8000-00000000000c", "IRL", "Ierland"},
		"PT": {"1a000000-0000-4000-8000-00000000000d", "PRT", "Portugal"},
		"CH": {"1a000000-0000-4000-8000-00000000000e", "CHE", "Zwitserland"},
		"GB": {"1a000000-0000-4000-8000-00000000000f", "GBR", "Verenigd Koninkrijk"},
		"US": {"1a000000-0000-4000-8000-000000000010", "USA", "Verenigde Staten"},
		// The rest carry their alpha-2 code's bytes: A = 41, X = 58; G = 47, R = 52.
		"AX": {"1a000000-0000-4000-8001-000000004158", "ALA", "Ålandseilanden"},
		"GR": {"1a000000-0000-4000-8001-000000004752", "GRC", "Griekenland"},
	}
	for code, want := range stable {
		l := byCode[code]
		if string(l.ID) != want.id || l.LandcodeISO != want.iso || l.Naam != want.naam {
			t.Errorf("%s = %+v, want id %s, %s, %s", code, l, want.id, want.iso, want.naam)
		}
	}
	if landen[0].Landcode != "NL" {
		t.Errorf("the list starts with %s, want NL as before", landen[0].Landcode)
	}
	wantStatus(t, e.call(http.MethodGet, "/v2/landen/"+stable["AX"].id, nil), http.StatusOK)

	// A seed that lists its own landen gets exactly those.
	seed, err := snelstartsandbox.ParseSeed([]byte(`
subscriptionKeys: [demo]
administraties:
  - clientKey: demo
    companyInfo: {administratieNaam: Eigen landen}
    landen:
      - {id: 1a000000-0000-4000-8000-0000000000a1, naam: Nederland, landcode: NL, landcodeISO: NLD}
      - {naam: Belgie, landcode: BE, landcodeISO: BEL}
`))
	if err != nil {
		t.Fatal(err)
	}
	own := newEnv(t, snelstartsandbox.Options{Seed: &seed})
	mustDecode(t, own.call(http.MethodGet, snelstart.PathLanden, nil).body, &landen)
	if len(landen) != 2 || landen[0].ID != "1a000000-0000-4000-8000-0000000000a1" || landen[1].ID == "" {
		t.Errorf("own landen = %+v", landen)
	}
}

// TestVatRates checks GET /v2/vatrates and its neighbours against the EU
// rates of 2026 (vatrates.go).
func TestVatRates(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var all []snelstart.VatRates
	mustDecode(t, e.call(http.MethodGet, snelstart.PathVatRates, nil).body, &all)
	if len(all) != 27 {
		t.Errorf("%d countries, want the 27 member states", len(all))
	}
	// The standard rate in force on 2026-03-14: the latest SR row not after it.
	sr := map[string]string{}
	for _, c := range all {
		for _, r := range c.VatRates {
			if r.RateCode == "SR" && r.ValidFrom.Compare(snelstart.LocalDate(2026, 3, 14)) <= 0 {
				sr[c.CountryCode] = r.Rate.String()
			}
			switch r.RateCode {
			case "SR", "RRH", "RRL", "PR", "SRR":
			default:
				t.Errorf("%s: rate code %q", c.CountryCode, r.RateCode)
			}
		}
	}
	for country, want := range map[string]string{"NLD": "21", "DEU": "19", "BEL": "21", "FIN": "25.5", "EST": "24", "SVK": "23", "ROU": "21", "HUN": "27", "LUX": "17", "DNK": "25"} {
		if sr[country] != want {
			t.Errorf("%s standard rate %q, want %s", country, sr[country], want)
		}
	}
	if len(sr) != 27 {
		t.Errorf("%d countries with a standard rate, want 27", len(sr))
	}

	var de snelstart.VatRates
	mustDecode(t, e.call(http.MethodGet, "/v2/vatrates/DEU", nil).body, &de)
	if de.CountryCode != "DEU" || len(de.VatRates) != 2 {
		t.Errorf("/vatrates/DEU = %+v", de)
	}
	wantStatus(t, e.call(http.MethodGet, "/v2/vatrates/XYZ", nil), http.StatusNotFound)
	var filtered []snelstart.VatRates
	mustDecode(t, e.get(snelstart.PathVatRates, "$filter=CountryCode eq 'FRA'").body, &filtered)
	if len(filtered) != 1 || filtered[0].CountryCode != "FRA" {
		t.Errorf("$filter=CountryCode eq 'FRA': %+v", filtered)
	}
	var defs []snelstartsandbox.VatRateDefinition
	mustDecode(t, e.call(http.MethodGet, "/v2/vatratedefinitions", nil).body, &defs)
	if len(defs) != 5 || defs[0].RateCode != "SR" {
		t.Errorf("vatratedefinitions = %+v", defs)
	}
}

// TestKostenplaatsen checks the cost centres and an order's kostenplaats.
func TestKostenplaatsen(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var ks []snelstart.Kostenplaats
	mustDecode(t, e.call(http.MethodGet, snelstart.PathKostenplaatsen, nil).body, &ks)
	if len(ks) != 3 || ks[0].Omschrijving != "Webshop" || *ks[0].Nummer != 1 || !*ks[2].Nonactief {
		t.Errorf("kostenplaatsen = %+v", ks)
	}
	var k snelstart.Kostenplaats
	mustDecode(t, e.call(http.MethodGet, "/v2/kostenplaatsen/"+idKpWebshop, nil).body, &k)
	if string(k.ID) != idKpWebshop || k.URI != "/kostenplaatsen/"+idKpWebshop {
		t.Errorf("kostenplaats = %+v", k)
	}
	refusal{status: 404, codes: []string{"KPL-0001"}}.check(t, e.call(http.MethodGet, "/v2/kostenplaatsen/8c000000-0000-4000-8000-0000000000ff", nil))

	order := func(kp string) obj {
		return obj{"relatie": obj{"id": idJanJansen}, "datum": "2026-03-14T00:00:00", "kostenplaats": obj{"id": kp},
			"regels": []obj{{"artikel": obj{"id": idTshirt}, "stuksprijs": 10}}}
	}
	r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, order(idKpWebshop))
	wantStatus(t, r, http.StatusCreated)
	var o snelstart.VerkoopOrder
	mustDecode(t, r.body, &o)
	if o.Kostenplaats == nil || string(o.Kostenplaats.ID) != idKpWebshop || o.Kostenplaats.URI != "/kostenplaatsen/"+idKpWebshop {
		t.Errorf("order kostenplaats = %+v", o.Kostenplaats)
	}
	for name, tt := range map[string]struct{ id, code string }{
		"unknown":  {"8c000000-0000-4000-8000-0000000000ff", snelstart.CodeKostenplaatsNotFound},
		"inactive": {idKpBeurs, snelstart.CodeKostenplaatsNonactief},
	} {
		t.Run(name, func(t *testing.T) {
			refusal{codes: []string{tt.code}}.check(t, e.call(http.MethodPost, snelstart.PathVerkoopOrders, order(tt.id)))
		})
	}
}

// TestPutCompanyInfo: PUT /v2/companyInfo changes factureerBuitenlandsBtw
// and nothing else (vat-rounding.md §3.6).
func TestPutCompanyInfo(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var info snelstart.CompanyInfo
	mustDecode(t, e.call(http.MethodGet, snelstart.PathCompanyInfo, nil).body, &info)
	if info.FactureerBuitenlandsBtw == nil || *info.FactureerBuitenlandsBtw {
		t.Fatalf("default factureerBuitenlandsBtw = %v, want false", info.FactureerBuitenlandsBtw)
	}
	r := e.call(http.MethodPut, snelstart.PathCompanyInfo, obj{"factureerBuitenlandsBtw": true, "bedrijfsnaam": "Iets anders B.V."})
	wantStatus(t, r, http.StatusOK)
	mustDecode(t, e.call(http.MethodGet, snelstart.PathCompanyInfo, nil).body, &info)
	if !*info.FactureerBuitenlandsBtw || info.Bedrijfsnaam != "Koppel Demo B.V." {
		t.Errorf("after PUT: factureerBuitenlandsBtw %v, bedrijfsnaam %q; want true and unchanged", *info.FactureerBuitenlandsBtw, info.Bedrijfsnaam)
	}
	// A body without the field leaves it as it is.
	wantStatus(t, e.call(http.MethodPut, snelstart.PathCompanyInfo, obj{"plaats": "Utrecht"}), http.StatusOK)
	if got := e.sb.Admin("demo").CompanyInfo(); !*got.FactureerBuitenlandsBtw || got.Plaats != "Amsterdam" {
		t.Errorf("after a PUT without the field: %v, %q", *got.FactureerBuitenlandsBtw, got.Plaats)
	}
	refusal{codes: []string{"ALG-0106"}}.check(t, e.call(http.MethodPut, snelstart.PathCompanyInfo, ""))

	// The write needs settings:write.
	seed := snelstartsandbox.DefaultSeed()
	seed.Administraties[0].Scopes = []string{snelstart.ScopeSettingsRead}
	ro := newEnv(t, snelstartsandbox.Options{Seed: &seed})
	wantStatus(t, ro.call(http.MethodPut, snelstart.PathCompanyInfo, obj{"factureerBuitenlandsBtw": true}), http.StatusForbidden)
}

// TestBtwNummerFormats checks the REL-0088 format check of each EU member
// state (relaties.go btwFormats), with one valid and one invalid number
// each where the format has a catch.
func TestBtwNummerFormats(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var landen []snelstart.Land
	mustDecode(t, e.call(http.MethodGet, snelstart.PathLanden, nil).body, &landen)
	landID := map[string]string{}
	for _, l := range landen {
		landID[l.Landcode] = string(l.ID)
	}
	tests := []struct {
		land, nr string
		ok       bool
	}{
		{"AT", "ATU12345678", true}, {"AT", "AT12345678", false},
		{"BG", "BG123456789", true}, {"BG", "BG1234567890", true}, {"BG", "BG12345678", false},
		{"CY", "CY12345678X", true}, {"CY", "CY123456789", false},
		{"CZ", "CZ12345678", true}, {"CZ", "CZ12345678901", false},
		{"DK", "DK12345678", true}, {"EE", "EE123456789", true}, {"FI", "FI12345678", true},
		{"ES", "ESX1234567X", true}, {"ES", "ES12345678", false},
		{"GR", "EL123456789", true}, {"GR", "GR123456789", false},
		{"HR", "HR12345678901", true}, {"HU", "HU12345678", true},
		{"IE", "IE1234567WA", true}, {"IE", "IE1X23456A", true}, {"IE", "IE12345678", false},
		{"IT", "IT12345678901", true}, {"LT", "LT123456789", true}, {"LT", "LT1234567890", false},
		{"LU", "LU12345678", true}, {"LV", "LV12345678901", true}, {"MT", "MT12345678", true},
		{"PL", "PL1234567890", true}, {"PT", "PT123456789", true}, {"RO", "RO12", true}, {"RO", "RO1", false},
		{"SE", "SE123456789001", true}, {"SE", "SE123456789012", false},
		{"SI", "SI12345678", true}, {"SK", "SK1234567890", true}, {"SK", "SK123456789", false},
		{"DE", "DE123456789", true}, {"FR", "FRXX123456789", true}, {"BE", "BE2123456789", false},
		{"NL", "NL123456789B01", true},
	}
	for _, tt := range tests {
		t.Run(tt.nr, func(t *testing.T) {
			r := e.call(http.MethodPost, snelstart.PathRelaties, obj{"relatiesoort": []string{"Klant"}, "naam": "Firma " + tt.nr, "btwNummer": tt.nr,
				"vestigingsAdres": obj{"straat": "Straat 1", "postcode": "1000", "plaats": "Stad", "land": obj{"id": landID[tt.land]}}})
			if tt.ok {
				wantStatus(t, r, http.StatusCreated)
				return
			}
			refusal{codes: []string{snelstart.CodeBtwNummerNotValid}}.check(t, r)
		})
	}
}
