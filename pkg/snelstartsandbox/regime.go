package snelstartsandbox

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file decides the VAT regime of a verkooporder, vat-rounding.md §7.2
// step 3: Dutch VAT, an intra-community supply (ICP) at 0 %, an export at
// 0 %, or the destination country's VAT (OSS). The arithmetic stays in
// package vatcalc; the regime only sets each line's btw-soort and rate.

// A Grootboekfunctie is the function of a ledger, which "bepaalt wat er met
// de btw gebeurt" (vat-rounding.md §3.1 [S4]): the spec's
// GrootboekModel.grootboekfunctie. The sandbox knows the four for sales
// abroad.
type Grootboekfunctie string

// The functions of the ledgers for sales abroad (vat-rounding.md §3.1,
// §3.4–§3.6; the numbers are SnelStart's function codes).
const (
	FunctieVerkopenExportBinnenEU             Grootboekfunctie = "VerkopenExportBinnenEU"             // 80: goods to EU businesses (ICP), rubriek 3b
	FunctieDienstverleningBinnenEU            Grootboekfunctie = "DienstverleningBinnenEU"            // 88: services to EU businesses (ICP), rubriek 3b
	FunctieVerkopenExportBuitenEU             Grootboekfunctie = "VerkopenExportBuitenEU"             // 81: export outside the EU, rubriek 3a
	FunctieInstallatieTeleverkoopBinnenEUgeen Grootboekfunctie = "InstallatieTeleverkoopBinnenEUgeen" // 84: distance sales to EU consumers (OSS), with a vatRateCode
)

// A Grootboek is a ledger of a revenue group for sales abroad: the fields
// of the spec's GrootboekModel that decide VAT. SnelStart links an
// omzetgroep to a ledger for "Landen binnen EU" and one for "Landen buiten
// EU" besides the Nederland ledger, and OSS adds a function-84 ledger with
// a vatRateCode (vat-rounding.md §3.1, §3.6). GET /v2/artikelomzetgroepen
// shows only the Nederland ledger, so these live in the sandbox only: in
// the seed's grootboekenBuitenland, never in the API's JSON.
type Grootboek struct {
	ID               snelstart.ID     `json:"id,omitempty"`
	Omschrijving     string           `json:"omschrijving,omitempty"`
	Grootboekfunctie Grootboekfunctie `json:"grootboekfunctie"`
	// VatRateCode is the OSS ledger's rate code (SR, RRH, RRL, PR, SRR):
	// the rate of the destination country that applies.
	VatRateCode string `json:"vatRateCode,omitempty"`
}

// A SeedOmzetgroep is a revenue group of a [Seed]: the spec's
// ArtikelOmzetGroepModel plus its ledgers for sales abroad, which
// SnelStart's API does not show (vat-rounding.md §3.1).
type SeedOmzetgroep struct {
	snelstart.ArtikelOmzetgroep
	GrootboekenBuitenland []Grootboek `json:"grootboekenBuitenland,omitempty"`
}

// buitenland are the ledgers for sales abroad of one revenue group, by
// what they are for.
type buitenland struct {
	ledgers  []Grootboek // as seeded, for snapshots
	binnenEU *Grootboek  // ICP
	buitenEU *Grootboek  // export
	oss      *Grootboek  // OSS
}

// newBuitenland sorts a group's ledgers by function; a function the
// sandbox does not know, a second ledger for the same purpose or an OSS
// ledger without a rate code is a seed error.
func newBuitenland(ledgers []Grootboek) (buitenland, error) {
	b := buitenland{ledgers: ledgers}
	for i := range ledgers {
		g := &ledgers[i]
		var slot **Grootboek
		switch g.Grootboekfunctie {
		case FunctieVerkopenExportBinnenEU, FunctieDienstverleningBinnenEU:
			slot = &b.binnenEU
		case FunctieVerkopenExportBuitenEU:
			slot = &b.buitenEU
		case FunctieInstallatieTeleverkoopBinnenEUgeen:
			if !validRateCode(g.VatRateCode) {
				return b, fmt.Errorf("OSS grootboek %s: vatRateCode %q is none of SR, RRH, RRL, PR, SRR", g.ID, g.VatRateCode)
			}
			slot = &b.oss
		default:
			return b, fmt.Errorf("grootboek %s: grootboekfunctie %q is not one for sales abroad", g.ID, g.Grootboekfunctie)
		}
		if *slot != nil {
			return b, fmt.Errorf("grootboek %s: a second ledger for %s", g.ID, g.Grootboekfunctie)
		}
		*slot = g
	}
	return b, nil
}

func validRateCode(c string) bool {
	for _, d := range vatRateDefinitions {
		if d.RateCode == c {
			return true
		}
	}
	return false
}

// A Regime is the VAT treatment of a whole verkooporder (vat-rounding.md
// §7.2 step 3).
type Regime string

// The regimes.
const (
	// RegimeNederland is Dutch VAT: the revenue group's btw-soort at its
	// rate in btwtarieven on the order's datum (§3.3). It also applies to
	// an EU consumer when OSS is off, and to an EU business that does not
	// qualify for ICP.
	RegimeNederland Regime = "Nederland"
	// RegimeICP is an intra-community supply to a business in another EU
	// country: 0 % on the group's "binnen EU" ledger (§3.4).
	RegimeICP Regime = "ICP"
	// RegimeExport is a supply outside the EU: 0 % on the group's "buiten
	// EU" ledger (§3.5).
	RegimeExport Regime = "Export"
	// RegimeOSS is a distance sale to a consumer in another EU country with
	// companyInfo.factureerBuitenlandsBtw on: the destination country's
	// rate for the group's OSS ledger's rate code (§3.6). A line whose
	// group has no OSS ledger keeps Dutch VAT.
	RegimeOSS Regime = "OSS"
)

// A Breakdown is what the sandbox worked out for a verkooporder beyond what
// the API returns, for test assertions (vat-rounding.md §7.2 step 7).
type Breakdown struct {
	Regime Regime
	// Land is the ISO alpha-2 code of the country that decided the regime:
	// the relatie's vestigingsadres for ICP, else the delivery country.
	Land   string
	Regels []RegelBtw // per order line
	Totals Totals     // the amounts, with the per-rate breakdown in Groepen
}

// A RegelBtw is the VAT of one order line.
type RegelBtw struct {
	Regime        Regime // RegimeNederland for a line of an OSS order whose group has no OSS ledger
	BtwSoort      snelstart.BtwSoort
	BtwPercentage snelstart.Decimal
	Grootboek     snelstart.ID // the ledger for sales abroad, if any
	RateCode      string       // OSS: the rate code whose rate applies (after any fallback)
}

// orderBtw decides the regime of o for its relatie rel (nil: unknown, so
// Dutch) and each line's VAT. It returns the problems that refuse the
// order: a line whose group lacks the ledger its regime needs (BOE-0081),
// and an OSS country without rates. Lines whose article is unknown are
// left to the caller's ART-0001. The caller holds a.mu.
func (a *Administratie) orderBtw(o *snelstart.VerkoopOrder, rel *snelstart.Relatie) (Breakdown, problems) {
	var b Breakdown
	var ps problems
	b.Regime, b.Land = a.regime(o, rel)
	b.Regels = make([]RegelBtw, len(o.Regels))
	for i, l := range o.Regels {
		var g *snelstart.ArtikelOmzetgroep
		if l.Artikel != nil && l.Artikel.ID != "" {
			art, ok := a.artikelen.get(l.Artikel.ID)
			if !ok {
				continue
			}
			if art.ArtikelOmzetgroep != nil {
				g, _ = a.groepen.get(art.ArtikelOmzetgroep.ID)
			}
		}
		rb, p := a.regelBtw(b, g, o.Datum)
		if p != nil {
			p.Details = fmt.Sprintf("regels[%d]: %s", i, p.Details)
			ps = append(ps, *p)
		}
		b.Regels[i] = rb
	}
	return b, ps
}

// regime returns the regime of o for rel (nil: unknown) and the alpha-2
// code of the country that decided it. Which address decides is
// UNCONFIRMED (vat-rounding.md §3.4, §8 item 7); the sandbox takes, in
// this order:
//
//  1. ICP when the relatie's vestigingsadres is in an EU country other than
//     the Netherlands and the relatie has a btwNummer of that country (the
//     prefix REL-0087 checks; EL for Greece). The afleveradres plays no
//     part.
//  2. Otherwise the delivery country, the afleveradres's land, else the
//     vestigingsadres's, else the Netherlands, decides: the Netherlands is
//     Dutch VAT; a country outside the EU is export; an EU country is OSS
//     for a relatie without btwNummer (a "particulier", §3.6) when
//     factureerBuitenlandsBtw is on, and Dutch VAT otherwise.
func (a *Administratie) regime(o *snelstart.VerkoopOrder, rel *snelstart.Relatie) (Regime, string) {
	vest, dest := "NL", "NL"
	if rel != nil {
		if c := a.landcode(rel.VestigingsAdres); c != "" {
			vest, dest = c, c
		}
	}
	if c := a.landcode(o.Afleveradres); c != "" {
		dest = c
	}
	switch {
	case rel != nil && vest != "NL" && euLanden[vest] && btwNummerOf(rel.BtwNummer, vest):
		return RegimeICP, vest
	case dest == "NL":
		return RegimeNederland, dest
	case !euLanden[dest]:
		return RegimeExport, dest
	case rel != nil && strings.TrimSpace(rel.BtwNummer) == "" && isTrue(a.company.FactureerBuitenlandsBtw):
		return RegimeOSS, dest
	}
	return RegimeNederland, dest
}

// regelBtw returns the VAT of a line of group g (nil: a line without an
// article, which has no VAT) under the order's regime, or the problem that
// refuses it.
func (a *Administratie) regelBtw(b Breakdown, g *snelstart.ArtikelOmzetgroep, datum snelstart.LocalTime) (RegelBtw, *problem) {
	dutch := func() RegelBtw {
		soort := snelstart.BtwSoortGeen
		if g != nil {
			soort = g.VerkoopNederlandBtwSoort
		}
		return RegelBtw{Regime: RegimeNederland, BtwSoort: soort, BtwPercentage: snelstart.NewDecimal(a.rate(soort, datum))}
	}
	if g == nil {
		return dutch(), nil
	}
	ledgers := a.buitenland[key(g.ID)]
	// ICP and export carry no Dutch VAT: their lines are Geen at 0 % in the
	// breakdown (a sandbox choice; the ledgers' btwSoort is read-only and
	// not published).
	zero := func(gb *Grootboek) RegelBtw {
		return RegelBtw{Regime: b.Regime, BtwSoort: snelstart.BtwSoortGeen, BtwPercentage: snelstart.NewDecimal(decimal.New(0, 0)), Grootboek: gb.ID}
	}
	switch b.Regime {
	case RegimeICP:
		if ledgers.binnenEU == nil {
			return dutch(), missingLedger(g, FunctieVerkopenExportBinnenEU, FunctieDienstverleningBinnenEU)
		}
		return zero(ledgers.binnenEU), nil
	case RegimeExport:
		if ledgers.buitenEU == nil {
			return dutch(), missingLedger(g, FunctieVerkopenExportBuitenEU)
		}
		return zero(ledgers.buitenEU), nil
	case RegimeOSS:
		if ledgers.oss == nil {
			return dutch(), nil
		}
		rb, p := a.ossRegel(b.Land, g, ledgers.oss, datum)
		if p != nil {
			return dutch(), p
		}
		return rb, nil
	}
	return dutch(), nil
}

// ossRegel returns the VAT of a line of group g on its OSS ledger gb for a
// consumer in the country (alpha-2): the country's rate for the ledger's
// rate code (or its fallback) on datum. A country without rates in
// vatrates, which only a seed can cause, refuses the order with ALG-0102.
func (a *Administratie) ossRegel(land string, g *snelstart.ArtikelOmzetgroep, gb *Grootboek, datum snelstart.LocalTime) (RegelBtw, *problem) {
	country := alpha3(land)
	rate, code, ok := a.ossRate(country, gb.VatRateCode, datum)
	if !ok {
		return RegelBtw{}, &problem{ErrorCode: snelstart.CodeUnknownError, Message: messages[snelstart.CodeUnknownError],
			Details: fmt.Sprintf("vatrates heeft geen tarief voor %s op %s (sandbox)", country, datum)}
	}
	return RegelBtw{Regime: RegimeOSS, BtwSoort: g.VerkoopNederlandBtwSoort, BtwPercentage: snelstart.NewDecimal(rate),
		Grootboek: gb.ID, RateCode: code}, nil
}

// missingLedger is the refusal of a line whose group has no ledger with
// one of the functions. SnelStart's code for this on a verkooporder is
// UNCONFIRMED (vat-rounding.md §7.2 step 3 asks for a BOE-0080-style 400,
// §8 item 7): the sandbox answers BOE-0081, whose text says what is wrong
// ("Er is geen grootboekrekening aanwezig voor de volgende
// grootboekfuncties"), rather than BOE-0080, which SnelStart gives when
// the customer lacks a valid btw-nummer for an EU ledger (§3.4 [S7]), a
// case the sandbox never books.
func missingLedger(g *snelstart.ArtikelOmzetgroep, functies ...Grootboekfunctie) *problem {
	names := make([]string, len(functies))
	for i, f := range functies {
		names[i] = string(f)
	}
	nr := 0
	if g.Nummer != nil {
		nr = *g.Nummer
	}
	return &problem{ErrorCode: snelstart.CodeGrootboekfunctieNone, Message: messages[snelstart.CodeGrootboekfunctieNone],
		Details: fmt.Sprintf("%s (artikelomzetgroep %d %s)", strings.Join(names, " of "), nr, g.Omschrijving)}
}

// landcode returns the alpha-2 code of an address's land, or "" when the
// address, its land or the land's code is missing.
func (a *Administratie) landcode(ad *snelstart.Adres) string {
	if ad == nil || ad.Land == nil || ad.Land.ID == "" {
		return ""
	}
	l, ok := a.landen.get(ad.Land.ID)
	if !ok {
		return ""
	}
	return strings.ToUpper(l.Landcode)
}

// btwNummerOf reports whether nr is a VAT number of the country (alpha-2):
// its prefix is the country's code, EL for Greece.
func btwNummerOf(nr, country string) bool {
	nr = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(nr), " ", ""))
	if len(nr) < 3 {
		return false
	}
	prefix := nr[:2]
	if prefix == "EL" {
		prefix = "GR"
	}
	return prefix == country
}
