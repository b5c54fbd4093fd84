package snelstartsandbox_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// Land ids of the default seed (landen.go: the first sixteen are numbered,
// the rest carry their alpha-2 code's ASCII bytes).
const (
	idLandBE = "1a000000-0000-4000-8000-000000000002"
	idLandDE = "1a000000-0000-4000-8000-000000000003"
	idLandDK = "1a000000-0000-4000-8000-000000000009"
	idLandCH = "1a000000-0000-4000-8000-00000000000e"
	idLandUS = "1a000000-0000-4000-8000-000000000010"
	idLandEE = "1a000000-0000-4000-8001-000000004545" // E = 0x45
	idLandGR = "1a000000-0000-4000-8001-000000004752" // G = 0x47, R = 0x52

	idMuller          = "5e000000-0000-4000-8000-000000000008" // Müller Kaffeehaus GmbH, Berlin, DE123456789
	idPeeters         = "5e000000-0000-4000-8000-000000000007" // Boekhandel Peeters BV, Antwerpen, BE0123456749
	idKpWebshop       = "8c000000-0000-4000-8000-000000000001"
	idKpBeurs         = "8c000000-0000-4000-8000-000000000003" // nonactief
	idLedgerHoogEU    = "9f000000-0000-4000-8000-000000008100"
	idLedgerHoogOSS   = "9f000000-0000-4000-8000-000000008400"
	idLedgerLaagOSS   = "9f000000-0000-4000-8000-000000008410"
	idLedgerHoogNonEU = "9f000000-0000-4000-8000-000000008200"
)

// klantIn creates a customer whose vestigingsadres is in the land, with
// btwNummer if not empty, and returns its id.
func (e *env) klantIn(land, btwNummer string) string {
	e.t.Helper()
	body := obj{"relatiesoort": []string{"Klant"}, "naam": "Klant " + land[len(land)-4:],
		"vestigingsAdres": obj{"straat": "Hauptstraße 1", "postcode": "10115", "plaats": "Stad", "land": obj{"id": land}}}
	if btwNummer != "" {
		body["btwNummer"] = btwNummer
	}
	r := e.call(http.MethodPost, snelstart.PathRelaties, body)
	wantStatus(e.t, r, http.StatusCreated)
	var rel snelstart.Relatie
	mustDecode(e.t, r.body, &rel)
	return string(rel.ID)
}

// setOSS switches companyInfo.factureerBuitenlandsBtw over the API.
func (e *env) setOSS(on bool) {
	e.t.Helper()
	r := e.call(http.MethodPut, snelstart.PathCompanyInfo, obj{"factureerBuitenlandsBtw": on})
	wantStatus(e.t, r, http.StatusOK)
	var info snelstart.CompanyInfo
	mustDecode(e.t, r.body, &info)
	if info.FactureerBuitenlandsBtw == nil || *info.FactureerBuitenlandsBtw != on {
		e.t.Fatalf("PUT companyInfo answered factureerBuitenlandsBtw %v, want %v", info.FactureerBuitenlandsBtw, on)
	}
}

// A groep is an expected line of the per-rate breakdown: soort, rate,
// excl., VAT.
type groep struct{ soort, rate, excl, btw string }

// TestRegimes posts orders under each VAT regime of vat-rounding.md §7.2
// step 3 and checks the totals, the regime and the per-rate breakdown,
// worked out by hand below. Lines: T-shirt (Hoog: NL 21 %, OSS SR), koffie
// (Laag: NL 9 %, OSS RRL), cadeaubon (Geen: 0 %, no OSS ledger). The order
// date is 2026-03-14 unless a case says otherwise.
func TestRegimes(t *testing.T) {
	hoogLaag := []line{{idTshirt, "1", "100.00", ""}, {idKoffie, "1", "50.00", ""}}
	tshirt := func(p string) []line { return []line{{idTshirt, "1", p, ""}} }
	tests := map[string]struct {
		klant     func(e *env) string // the relatie; nil: Jan Jansen (NL, no btwNummer)
		aflever   string              // afleveradres land id
		oss       bool                // PUT factureerBuitenlandsBtw true first
		ingave    snelstart.BtwIngave // "" is Exclusief
		datum     string
		lines     []line
		excl      string
		incl      string
		regime    snelstartsandbox.Regime
		land      string
		groepen   []groep // nil: not checked
		rateCodes []string
	}{
		// 100.00 × 21 % = 21.00; 50.00 × 9 % = 4.50; 150.00 + 25.50 = 175.50.
		"NL 21 and 9": {lines: hoogLaag, excl: "150.00", incl: "175.50", regime: snelstartsandbox.RegimeNederland, land: "NL",
			groepen: []groep{{"Hoog", "21", "100.00", "21.00"}, {"Laag", "9", "50.00", "4.50"}}},
		// Müller GmbH: Berlin and DE123456789, so ICP: both lines at 0 %, one group Geen 0.
		"DE company with btwNummer, ICP": {klant: func(*env) string { return idMuller }, lines: hoogLaag, excl: "150.00", incl: "150.00",
			regime: snelstartsandbox.RegimeICP, land: "DE", groepen: []groep{{"Geen", "0", "150.00", "0.00"}}},
		// Inclusief at 0 %: the gross price is the net price.
		"BE company with btwNummer, ICP, inclusief": {klant: func(*env) string { return idPeeters }, ingave: snelstart.BtwIngaveInclusief,
			lines: tshirt("24.95"), excl: "24.95", incl: "24.95", regime: snelstartsandbox.RegimeICP, land: "BE"},
		// ICP is decided by the vestigingsadres: a delivery to the Netherlands stays ICP.
		"ICP ignores the afleveradres": {klant: func(*env) string { return idMuller }, aflever: idNL, lines: tshirt("10.00"),
			excl: "10.00", incl: "10.00", regime: snelstartsandbox.RegimeICP, land: "DE"},
		// OSS does not apply to a business: still ICP.
		"ICP with OSS on": {klant: func(*env) string { return idMuller }, oss: true, lines: tshirt("10.00"),
			excl: "10.00", incl: "10.00", regime: snelstartsandbox.RegimeICP, land: "DE"},
		// A US consumer: export, 0 %, inclusief 24.95 stays 24.95.
		"US export": {klant: func(e *env) string { return e.klantIn(idLandUS, "") }, ingave: snelstart.BtwIngaveInclusief,
			lines: tshirt("24.95"), excl: "24.95", incl: "24.95", regime: snelstartsandbox.RegimeExport, land: "US",
			groepen: []groep{{"Geen", "0", "24.95", "0.00"}}},
		// A Dutch customer delivered to Switzerland: the afleveradres decides, export.
		"CH export by afleveradres": {aflever: idLandCH, lines: hoogLaag, excl: "150.00", incl: "150.00",
			regime: snelstartsandbox.RegimeExport, land: "CH"},
		// DE consumer, OSS on: T-shirt SR 19 %: 100.00 → 19.00; koffie RRL 7 %: 50.00 → 3.50; 172.50.
		"DE consumer, OSS, exclusief": {klant: func(e *env) string { return e.klantIn(idLandDE, "") }, oss: true, lines: hoogLaag,
			excl: "150.00", incl: "172.50", regime: snelstartsandbox.RegimeOSS, land: "DE",
			groepen: []groep{{"Hoog", "19", "100.00", "19.00"}, {"Laag", "7", "50.00", "3.50"}}, rateCodes: []string{"SR", "RRL"}},
		// vat-rounding.md §3.6: 12.10 gross to DE is 12.10 / 1.19 = 10.168… → 10.17 + 1.93.
		"DE consumer, OSS, inclusief": {klant: func(e *env) string { return e.klantIn(idLandDE, "") }, oss: true,
			ingave: snelstart.BtwIngaveInclusief, lines: tshirt("12.10"), excl: "10.17", incl: "12.10",
			regime: snelstartsandbox.RegimeOSS, land: "DE", groepen: []groep{{"Hoog", "19", "10.17", "1.93"}}},
		// BE 21 %: 12.10 / 1.21 = 10.00.
		"BE consumer, OSS, inclusief": {klant: func(e *env) string { return e.klantIn(idLandBE, "") }, oss: true,
			ingave: snelstart.BtwIngaveInclusief, lines: tshirt("12.10"), excl: "10.00", incl: "12.10",
			regime: snelstartsandbox.RegimeOSS, land: "BE"},
		// BE: SR 21 % on 100.00 = 21.00; RRL 6 % on 50.00 = 3.00; 174.00.
		"BE consumer, OSS, exclusief": {klant: func(e *env) string { return e.klantIn(idLandBE, "") }, oss: true, lines: hoogLaag,
			excl: "150.00", incl: "174.00", regime: snelstartsandbox.RegimeOSS, land: "BE",
			groepen: []groep{{"Hoog", "21", "100.00", "21.00"}, {"Laag", "6", "50.00", "3.00"}}},
		// OSS off: an EU consumer pays Dutch VAT, 175.50 as in the first case.
		"DE consumer, OSS off": {klant: func(e *env) string { return e.klantIn(idLandDE, "") }, lines: hoogLaag,
			excl: "150.00", incl: "175.50", regime: snelstartsandbox.RegimeNederland, land: "DE"},
		// A Dutch consumer delivered to Germany: the afleveradres picks the OSS country; 12.10 → 10.17.
		"NL consumer delivered to DE, OSS": {aflever: idLandDE, oss: true, ingave: snelstart.BtwIngaveInclusief, lines: tshirt("12.10"),
			excl: "10.17", incl: "12.10", regime: snelstartsandbox.RegimeOSS, land: "DE"},
		// Geen has no OSS ledger: the gift card keeps Dutch Geen 0 %; 2 × 25.00.
		"OSS without an OSS ledger": {klant: func(e *env) string { return e.klantIn(idLandDE, "") }, oss: true,
			lines: []line{{idCadeaubon, "2", "25.00", ""}}, excl: "50.00", incl: "50.00", regime: snelstartsandbox.RegimeOSS, land: "DE",
			groepen: []groep{{"Geen", "0", "50.00", "0.00"}}, rateCodes: []string{""}},
		// Denmark has no reduced rate: RRL falls back to SR 25 %; 50.00 → 12.50.
		"DK consumer, OSS, laag falls back": {klant: func(e *env) string { return e.klantIn(idLandDK, "") }, oss: true,
			lines: []line{{idKoffie, "1", "50.00", ""}}, excl: "50.00", incl: "62.50", regime: snelstartsandbox.RegimeOSS, land: "DK",
			rateCodes: []string{"SR"}},
		// Estonia's standard rate by date: 22 % until 2025-06-30 (100.00 → 122.00), 24 % from 2025-07-01 (124.00).
		"EE before the rise": {klant: func(e *env) string { return e.klantIn(idLandEE, "") }, oss: true, datum: "2025-06-30T00:00:00",
			lines: tshirt("100.00"), excl: "100.00", incl: "122.00", regime: snelstartsandbox.RegimeOSS, land: "EE"},
		"EE after the rise": {klant: func(e *env) string { return e.klantIn(idLandEE, "") }, oss: true, datum: "2025-07-01T00:00:00",
			lines: tshirt("100.00"), excl: "100.00", incl: "124.00", regime: snelstartsandbox.RegimeOSS, land: "EE"},
		// A Greek company (EL prefix) gets ICP like any other.
		"GR company with EL btwNummer, ICP": {klant: func(e *env) string { return e.klantIn(idLandGR, "EL123456789") }, lines: tshirt("10.00"),
			excl: "10.00", incl: "10.00", regime: snelstartsandbox.RegimeICP, land: "GR"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, snelstartsandbox.Options{})
			klant := idJanJansen
			if tt.klant != nil {
				klant = tt.klant(e)
			}
			if tt.oss {
				e.setOSS(true)
			}
			datum := tt.datum
			if datum == "" {
				datum = "2026-03-14T00:00:00"
			}
			ingave := tt.ingave
			if ingave == "" {
				ingave = snelstart.BtwIngaveExclusief
			}
			body := obj{"relatie": obj{"id": klant}, "datum": datum, "verkooporderBtwIngaveModel": ingave}
			if tt.aflever != "" {
				body["afleveradres"] = obj{"straat": "Weg 1", "postcode": "1000", "plaats": "Stad", "land": obj{"id": tt.aflever}}
			}
			var regels []obj
			for _, l := range tt.lines {
				regels = append(regels, l.json())
			}
			body["regels"] = regels
			r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, body)
			wantStatus(t, r, http.StatusCreated)
			var o snelstart.VerkoopOrder
			mustDecode(t, r.body, &o)
			if o.TotaalExclusiefBtw.String() != tt.excl || o.TotaalInclusiefBtw.String() != tt.incl {
				t.Errorf("totals %s / %s, want %s / %s", o.TotaalExclusiefBtw, o.TotaalInclusiefBtw, tt.excl, tt.incl)
			}
			// GET returns the same totals.
			var got snelstart.VerkoopOrder
			mustDecode(t, e.call(http.MethodGet, "/v2/verkooporders/"+string(o.ID), nil).body, &got)
			if got.TotaalInclusiefBtw.String() != tt.incl {
				t.Errorf("GET totaalInclusiefBtw %s, want %s", got.TotaalInclusiefBtw, tt.incl)
			}
			b, ok := e.sb.Admin("demo").Breakdown(o.ID)
			if !ok || b.Regime != tt.regime || b.Land != tt.land {
				t.Fatalf("breakdown regime %q land %q (%v), want %q %q", b.Regime, b.Land, ok, tt.regime, tt.land)
			}
			if tt.groepen != nil {
				var gs []groep
				for _, g := range b.Totals.Groepen {
					gs = append(gs, groep{string(g.BtwSoort), g.BtwPercentage.String(), g.ExclusiefBtw.String(), g.Btw.String()})
				}
				if !slices.Equal(gs, tt.groepen) {
					t.Errorf("groepen %v, want %v", gs, tt.groepen)
				}
			}
			if tt.rateCodes != nil {
				var codes []string
				for _, rb := range b.Regels {
					codes = append(codes, rb.RateCode)
				}
				if !slices.Equal(codes, tt.rateCodes) {
					t.Errorf("rate codes %v, want %v", codes, tt.rateCodes)
				}
			}
		})
	}
}

// TestRegimeLedgers checks which ledger each regime books on (a
// sandbox-internal fact, never in the API's JSON) and that a revenue group
// without the ledger a regime needs refuses the order with BOE-0081.
func TestRegimeLedgers(t *testing.T) {
	t.Run("ledgers", func(t *testing.T) {
		e := newEnv(t, snelstartsandbox.Options{})
		e.setOSS(true)
		for _, tt := range []struct {
			klant, ledger string
			artikel       string
		}{
			{idMuller, idLedgerHoogEU, idTshirt},
			{e.klantIn(idLandUS, ""), idLedgerHoogNonEU, idTshirt},
			{e.klantIn(idLandDE, ""), idLedgerHoogOSS, idTshirt},
			{e.klantIn(idLandBE, ""), idLedgerLaagOSS, idKoffie},
		} {
			r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": tt.klant}, "datum": "2026-03-14T00:00:00",
				"regels": []obj{{"artikel": obj{"id": tt.artikel}, "aantal": 1, "stuksprijs": 10}}})
			wantStatus(t, r, http.StatusCreated)
			var o snelstart.VerkoopOrder
			mustDecode(t, r.body, &o)
			b, _ := e.sb.Admin("demo").Breakdown(o.ID)
			if len(b.Regels) != 1 || string(b.Regels[0].Grootboek) != tt.ledger {
				t.Errorf("%s: line ledger %+v, want %s", b.Regime, b.Regels, tt.ledger)
			}
		}
		// The API shows only the Nederland ledger of a revenue group.
		r := e.call(http.MethodGet, "/v2/artikelomzetgroepen/"+idHoog, nil)
		if containsAny(string(r.body), "grootboekenBuitenland", "000000008100", "000000008400") || !containsAny(string(r.body), "000000008000") {
			t.Errorf("revenue group JSON shows the sandbox's ledgers: %s", r.body)
		}
	})

	without := func(groep string, functie snelstartsandbox.Grootboekfunctie) *snelstartsandbox.Seed {
		seed := snelstartsandbox.DefaultSeed()
		for i, g := range seed.Administraties[0].ArtikelOmzetgroepen {
			if string(g.ID) == groep {
				seed.Administraties[0].ArtikelOmzetgroepen[i].GrootboekenBuitenland = slices.DeleteFunc(g.GrootboekenBuitenland,
					func(gb snelstartsandbox.Grootboek) bool { return gb.Grootboekfunctie == functie })
			}
		}
		return &seed
	}
	tests := map[string]struct {
		seed   *snelstartsandbox.Seed
		klant  func(e *env) string
		regels []obj
	}{
		"ICP without an EU ledger": {
			seed:   without(idHoog, snelstartsandbox.FunctieVerkopenExportBinnenEU),
			klant:  func(*env) string { return idMuller },
			regels: []obj{{"artikel": obj{"id": idKoffie}, "stuksprijs": 5}, {"artikel": obj{"id": idTshirt}, "stuksprijs": 10}},
		},
		"export without a non-EU ledger": {
			seed:   without(idLaag, snelstartsandbox.FunctieVerkopenExportBuitenEU),
			klant:  func(e *env) string { return e.klantIn(idLandUS, "") },
			regels: []obj{{"artikel": obj{"id": idKoffie}, "stuksprijs": 5}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, snelstartsandbox.Options{Seed: tt.seed})
			before := len(e.sb.Admin("demo").VerkoopOrders())
			r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": tt.klant(e)}, "datum": "2026-03-14T00:00:00", "regels": tt.regels})
			refusal{codes: []string{snelstart.CodeGrootboekfunctieNone}}.check(t, r)
			if !containsAny(string(r.body), "regels[") {
				t.Errorf("the refusal does not say which line: %s", r.body)
			}
			if n := len(e.sb.Admin("demo").VerkoopOrders()); n != before {
				t.Errorf("%d orders after a refusal, want %d", n, before)
			}
		})
	}
	// The same order for a Dutch customer books: the missing ledger matters only to its regime.
	e := newEnv(t, snelstartsandbox.Options{Seed: without(idHoog, snelstartsandbox.FunctieVerkopenExportBinnenEU)})
	wantStatus(t, e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idJanJansen}, "datum": "2026-03-14T00:00:00",
		"regels": []obj{{"artikel": obj{"id": idTshirt}, "stuksprijs": 10}}}), http.StatusCreated)
}

func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

// TestSeedLedgers: the ledgers for sales abroad survive a snapshot, and a
// seed with ledgers the sandbox cannot use is refused.
func TestSeedLedgers(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	snap := e.sb.Snapshot()
	var hoog snelstartsandbox.SeedOmzetgroep
	for _, g := range snap.Administraties[0].ArtikelOmzetgroepen {
		if string(g.ID) == idHoog {
			hoog = g
		}
	}
	if len(hoog.GrootboekenBuitenland) != 3 || hoog.GrootboekenBuitenland[2].VatRateCode != "SR" {
		t.Errorf("snapshot of hoog = %+v", hoog)
	}
	again := newEnv(t, snelstartsandbox.Options{Seed: &snap})
	r := again.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idMuller}, "datum": "2026-03-14T00:00:00",
		"regels": []obj{{"artikel": obj{"id": idTshirt}, "stuksprijs": 10}}})
	wantStatus(t, r, http.StatusCreated)
	var o snelstart.VerkoopOrder
	mustDecode(t, r.body, &o)
	if b, _ := again.sb.Admin("demo").Breakdown(o.ID); b.Regime != snelstartsandbox.RegimeICP || string(b.Regels[0].Grootboek) != idLedgerHoogEU {
		t.Errorf("after a snapshot: %+v", b)
	}

	for name, ledgers := range map[string]string{
		"unknown function":    `[{grootboekfunctie: VerkopenOmzetHoog}]`,
		"OSS without a code":  `[{grootboekfunctie: InstallatieTeleverkoopBinnenEUgeen}]`,
		"OSS with a bad code": `[{grootboekfunctie: InstallatieTeleverkoopBinnenEUgeen, vatRateCode: XX}]`,
		"two ledgers for ICP": `[{grootboekfunctie: VerkopenExportBinnenEU}, {grootboekfunctie: DienstverleningBinnenEU}]`,
		"two export ledgers":  `[{grootboekfunctie: VerkopenExportBuitenEU}, {grootboekfunctie: VerkopenExportBuitenEU}]`,
		"no grootboekfunctie": `[{id: 9f000000-0000-4000-8000-000000000001}]`,
		"unknown field":       `[{functie: VerkopenExportBinnenEU}]`,
	} {
		t.Run(name, func(t *testing.T) {
			seed, err := snelstartsandbox.ParseSeed([]byte("administraties: [{clientKey: c, artikelOmzetgroepen: [{nummer: 1, verkoopNederlandBtwSoort: Hoog, grootboekenBuitenland: " + ledgers + "}]}]"))
			if err == nil {
				var sb *snelstartsandbox.Sandbox
				if sb, err = snelstartsandbox.New(snelstartsandbox.Options{Seed: &seed}); err == nil {
					sb.Close()
				}
			}
			if err == nil {
				t.Error("accepted")
			}
		})
	}
}
