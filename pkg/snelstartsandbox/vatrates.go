package snelstartsandbox

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file serves GET /v2/vatrates, /v2/vatrates/{id} and
// /v2/vatratedefinitions, the EU countries' VAT rates that SnelStart uses
// for OSS (vat-rounding.md §3.2, §3.6; the spec's VatRatesModel,
// VatRateModel and VatRateDefinitionModel).

// The rate codes of a VatRateModel (vat-rounding.md §3.2, from SnelStart's
// OSS page and webwinkelfacturen's gloss).
const (
	RateCodeStandaard     = "SR"  // standard rate
	RateCodeVerlaagdHoog  = "RRH" // reduced rate, the higher of two
	RateCodeVerlaagdLaag  = "RRL" // reduced rate, the lower of two (or the only one)
	RateCodeParking       = "PR"  // parking rate
	RateCodeSuperVerlaagd = "SRR" // super-reduced rate, below 5 %
)

// A VatRateDefinition is a row of GET /v2/vatratedefinitions: the spec's
// VatRateDefinitionModel. Package snelstart has no model for it, as koppel
// does not read it.
type VatRateDefinition struct {
	RateCode  string `json:"rateCode,omitempty"`
	ShortName string `json:"shortName,omitempty"`
	Name      string `json:"name,omitempty"`
}

// vatRateDefinitions are the five codes with webwinkelfacturen's Dutch
// names (vat-rounding.md [S9]). SnelStart's shortName and name texts are
// UNCONFIRMED.
var vatRateDefinitions = []VatRateDefinition{
	{RateCode: RateCodeStandaard, ShortName: "Standaard", Name: "Standaard tarief"},
	{RateCode: RateCodeVerlaagdHoog, ShortName: "Verlaagd hoog", Name: "Verlaagd tarief hoog"},
	{RateCode: RateCodeVerlaagdLaag, ShortName: "Verlaagd laag", Name: "Verlaagd tarief laag"},
	{RateCode: RateCodeParking, ShortName: "Parking", Name: "Parkeertarief"},
	{RateCode: RateCodeSuperVerlaagd, ShortName: "Super verlaagd", Name: "Super verlaagd tarief"},
}

// A vatRateRow is one rate of defaultVatRates: country (alpha-3), code,
// percentage, valid from.
type vatRateRow struct {
	country, code, rate, from string
}

// ossStart is the validFrom of every rate that has not changed since OSS
// began on 2021-07-01 (vat-rounding.md §3.6): the date each such rate
// really took effect is older, and what SnelStart gives as validFrom is
// UNCONFIRMED.
const ossStart = "2021-07-01"

// defaultVatRates are the rates of the 27 member states in force in 2026:
// the standard rate (SR), the reduced rates (RRH the higher, RRL the lower;
// a country's only reduced rate is RRL), the super-reduced (SRR) and the
// parking rate (PR) where the country has one. Rates for parts of a country
// (the Greek islands, Madeira and the Azores, Corsica) are left out.
// Standard rates keep their previous value too, so that an order dated
// before a change gets the old rate.
//
// Source: the European Commission's Taxes in Europe Database (TEDB), which
// its "VAT rates" page (taxation-customs.ec.europa.eu) refers to, as
// compiled in vatnode/eu-vat-rates-data (rates of 2026-07-01, standard-rate
// history with dates), each recent change checked against news of it: FI 25.5 % from 2024-09-01 and
// 13.5 % (was 14 %) from 2026-01-01; EE 24 % from 2025-07-01 and 13 % from
// 2025-01-01; SK 23 %, 19 % and 5 % from 2025-01-01; RO 21 % and one
// reduced 11 % from 2025-08-01; LT 12 % (was 9 %) from 2026-01-01; CZ one
// reduced 12 % from 2024-01-01; AT 4.9 % on basic foods from 2026-07-01;
// LU 17 % again from 2024-01-01. Which codes SnelStart gives each country's
// rates, and which rows it returns, are UNCONFIRMED: it publishes neither.
var defaultVatRates = []vatRateRow{
	{"AUT", "SR", "20", ossStart}, {"AUT", "RRH", "13", ossStart}, {"AUT", "RRL", "10", ossStart}, {"AUT", "PR", "13", ossStart}, {"AUT", "SRR", "4.9", "2026-07-01"},
	{"BEL", "SR", "21", ossStart}, {"BEL", "RRH", "12", ossStart}, {"BEL", "RRL", "6", ossStart}, {"BEL", "PR", "12", ossStart},
	{"BGR", "SR", "20", ossStart}, {"BGR", "RRL", "9", ossStart},
	{"CYP", "SR", "19", ossStart}, {"CYP", "RRH", "9", ossStart}, {"CYP", "RRL", "5", ossStart}, {"CYP", "SRR", "3", ossStart},
	{"CZE", "SR", "21", ossStart}, {"CZE", "RRL", "12", "2024-01-01"},
	{"DEU", "SR", "19", ossStart}, {"DEU", "RRL", "7", ossStart},
	{"DNK", "SR", "25", ossStart},
	{"EST", "SR", "20", ossStart}, {"EST", "SR", "22", "2024-01-01"}, {"EST", "SR", "24", "2025-07-01"}, {"EST", "RRH", "13", "2025-01-01"}, {"EST", "RRL", "9", ossStart},
	{"ESP", "SR", "21", ossStart}, {"ESP", "RRL", "10", ossStart}, {"ESP", "SRR", "4", ossStart},
	{"FIN", "SR", "24", ossStart}, {"FIN", "SR", "25.5", "2024-09-01"}, {"FIN", "RRH", "13.5", "2026-01-01"}, {"FIN", "RRL", "10", ossStart},
	{"FRA", "SR", "20", ossStart}, {"FRA", "RRH", "10", ossStart}, {"FRA", "RRL", "5.5", ossStart}, {"FRA", "SRR", "2.1", ossStart},
	{"GRC", "SR", "24", ossStart}, {"GRC", "RRH", "13", ossStart}, {"GRC", "RRL", "6", ossStart},
	{"HRV", "SR", "25", ossStart}, {"HRV", "RRH", "13", ossStart}, {"HRV", "RRL", "5", ossStart},
	{"HUN", "SR", "27", ossStart}, {"HUN", "RRH", "18", ossStart}, {"HUN", "RRL", "5", ossStart},
	{"IRL", "SR", "23", ossStart}, {"IRL", "RRH", "13.5", ossStart}, {"IRL", "RRL", "9", ossStart}, {"IRL", "SRR", "4.8", ossStart}, {"IRL", "PR", "13.5", ossStart},
	{"ITA", "SR", "22", ossStart}, {"ITA", "RRH", "10", ossStart}, {"ITA", "RRL", "5", ossStart}, {"ITA", "SRR", "4", ossStart},
	{"LTU", "SR", "21", ossStart}, {"LTU", "RRH", "12", "2026-01-01"}, {"LTU", "RRL", "5", ossStart},
	{"LUX", "SR", "17", ossStart}, {"LUX", "SR", "16", "2023-01-01"}, {"LUX", "SR", "17", "2024-01-01"}, {"LUX", "RRH", "14", ossStart}, {"LUX", "RRL", "8", ossStart}, {"LUX", "SRR", "3", ossStart}, {"LUX", "PR", "14", ossStart},
	{"LVA", "SR", "21", ossStart}, {"LVA", "RRH", "12", ossStart}, {"LVA", "RRL", "5", ossStart},
	{"MLT", "SR", "18", ossStart}, {"MLT", "RRH", "7", ossStart}, {"MLT", "RRL", "5", ossStart},
	{"NLD", "SR", "21", ossStart}, {"NLD", "RRL", "9", ossStart},
	{"POL", "SR", "23", ossStart}, {"POL", "RRH", "8", ossStart}, {"POL", "RRL", "5", ossStart},
	{"PRT", "SR", "23", ossStart}, {"PRT", "RRH", "13", ossStart}, {"PRT", "RRL", "6", ossStart}, {"PRT", "PR", "13", ossStart},
	{"ROU", "SR", "19", ossStart}, {"ROU", "SR", "21", "2025-08-01"}, {"ROU", "RRL", "11", "2025-08-01"},
	{"SWE", "SR", "25", ossStart}, {"SWE", "RRH", "12", ossStart}, {"SWE", "RRL", "6", ossStart},
	{"SVN", "SR", "22", ossStart}, {"SVN", "RRH", "9.5", ossStart}, {"SVN", "RRL", "5", ossStart},
	{"SVK", "SR", "20", ossStart}, {"SVK", "SR", "23", "2025-01-01"}, {"SVK", "RRH", "19", "2025-01-01"}, {"SVK", "RRL", "5", ossStart},
}

// defaultVatRatesModels returns defaultVatRates as GET /v2/vatrates lists
// them: one VatRatesModel per country, in table order.
func defaultVatRatesModels() []snelstart.VatRates {
	var out []snelstart.VatRates
	for _, r := range defaultVatRates {
		if len(out) == 0 || out[len(out)-1].CountryCode != r.country {
			out = append(out, snelstart.VatRates{CountryCode: r.country})
		}
		from, err := snelstart.ParseLocalTime(r.from + "T00:00:00")
		if err != nil {
			panic("snelstartsandbox: vat rate date " + r.from) // the table is tested
		}
		rate := snelstart.NewDecimal(decimal.RequireFromString(r.rate))
		last := &out[len(out)-1]
		last.VatRates = append(last.VatRates, snelstart.VatRate{RateCode: r.code, Rate: &rate, ValidFrom: from})
	}
	return out
}

// vatRate returns the rate of the country (alpha-3) for code on the day of
// datum: that of the row with the latest validFrom on or before it (the
// spec's VatRateModel.validFrom: "Staat hier 2020-01-01 dan is dit
// percentage al op 1 januari geldig"). The caller holds a.mu.
func (a *Administratie) vatRate(country, code string, datum snelstart.LocalTime) (decimal.Decimal, bool) {
	var best *snelstart.VatRate
	for _, vr := range a.vatRates {
		if !strings.EqualFold(vr.CountryCode, country) {
			continue
		}
		for i, r := range vr.VatRates {
			if r.RateCode != code || r.Rate == nil || !inPeriod(datum, r.ValidFrom, snelstart.LocalTime{}) {
				continue
			}
			if best == nil || r.ValidFrom.Compare(best.ValidFrom) >= 0 {
				best = &vr.VatRates[i]
			}
		}
	}
	if best == nil {
		return decimal.Zero, false
	}
	return best.Rate.Decimal, true
}

// ossRate returns the rate for an OSS ledger's rateCode in the country
// (alpha-3) on datum, and the code it came from. A country without that
// code falls back, a sandbox assumption (UNCONFIRMED): a reduced, parking
// or super-reduced code to the lower of the country's RRH and RRL, and a
// country with neither to its standard rate (Denmark has no reduced rate).
// It reports false when the country has no rate at all. The caller holds
// a.mu.
func (a *Administratie) ossRate(country, code string, datum snelstart.LocalTime) (decimal.Decimal, string, bool) {
	if r, ok := a.vatRate(country, code, datum); ok {
		return r, code, true
	}
	var low decimal.Decimal
	lowCode := ""
	for _, c := range []string{RateCodeVerlaagdHoog, RateCodeVerlaagdLaag} {
		if r, ok := a.vatRate(country, c, datum); ok && (lowCode == "" || r.LessThan(low)) {
			low, lowCode = r, c
		}
	}
	if lowCode != "" && code != RateCodeStandaard {
		return low, lowCode, true
	}
	r, ok := a.vatRate(country, RateCodeStandaard, datum)
	return r, RateCodeStandaard, ok
}

// getVatRates serves GET /v2/vatrates, which takes OData ($top ≤ 500).
func (s *Sandbox) getVatRates(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.VatRates](), snelstart.MaxTop, snelstart.MaxTop)
	if !ok {
		return
	}
	a.mu.RLock()
	all := make([]*snelstart.VatRates, len(a.vatRates))
	for i := range a.vatRates {
		all[i] = &a.vatRates[i]
	}
	a.mu.RUnlock()
	writeList(w, q, deref(page(q, all)))
}

// getVatRatesOf serves GET /v2/vatrates/{id}, the rates "bij een landcode"
// (the spec). The sandbox takes the alpha-3 code of VatRatesModel's
// countryCode and, UNCONFIRMED, the alpha-2 code too; an unknown code
// answers 404.
func (s *Sandbox) getVatRatesOf(w http.ResponseWriter, r *http.Request, a *Administratie) {
	code := strings.ToUpper(r.PathValue("id"))
	if len(code) == 2 {
		code = alpha3(code)
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, vr := range a.vatRates {
		if strings.EqualFold(vr.CountryCode, code) {
			writeJSON(w, http.StatusOK, vr)
			return
		}
	}
	writeMessage(w, http.StatusNotFound, "Er zijn geen vat rates gevonden voor landcode '"+r.PathValue("id")+"'.")
}

// getVatRateDefinitions serves GET /v2/vatratedefinitions, which takes
// OData ($top ≤ 500).
func (s *Sandbox) getVatRateDefinitions(w http.ResponseWriter, r *http.Request, _ *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[VatRateDefinition](), snelstart.MaxTop, snelstart.MaxTop)
	if !ok {
		return
	}
	all := make([]*VatRateDefinition, len(vatRateDefinitions))
	for i := range vatRateDefinitions {
		all[i] = &vatRateDefinitions[i]
	}
	writeList(w, q, deref(page(q, all)))
}
