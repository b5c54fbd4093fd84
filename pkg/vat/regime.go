package vat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vatnumber"
)

// Home is the country of every SnelStart administration: Dutch VAT applies
// to orders delivered in it.
const Home = "NL"

// A Regime is how the VAT of a whole order is booked (vat-rounding.md §3).
type Regime string

// The regimes.
const (
	// Domestic: Dutch VAT at the btw-soort of each article (also for an EU
	// consumer below the OSS threshold, charged Dutch VAT).
	Domestic Regime = "domestic"
	// ICP: an intra-community supply to a business in another member state
	// with a valid VAT number, at 0 %; the relatie carries the number.
	ICP Regime = "icp"
	// Export: delivered outside the EU, at 0 %.
	Export Regime = "export"
	// OSS: an EU consumer charged the destination country's rate, booked
	// only when the administration invoices foreign VAT
	// (companyInfo.factureerBuitenlandsBtw).
	OSS Regime = "oss"
)

// Facts are what the regime and the btw-soort of a rate depend on in the
// administration: its rate table, whether it invoices foreign VAT (OSS)
// and the member states' rates for OSS.
type Facts struct {
	Table    Table
	OSS      bool                 // companyInfo.factureerBuitenlandsBtw
	VatRates []snelstart.VatRates // GET /vatrates
}

// A Decision is the regime of one order.
type Decision struct {
	Regime Regime
	// Country is where the goods go (ISO 3166 alpha-2): the shipping
	// country, else the billing country, else [Home].
	Country string
	// VATNumber is the customer's VAT number in its canonical form
	// ("DE811907980") for an ICP order; empty otherwise.
	VATNumber string
	// Why says in a sentence how the regime was chosen.
	Why string
}

// A RegimeError says why an order fits no regime; the order must wait for
// a person (it is a dead letter with this message).
type RegimeError struct {
	Country string
	Reason  string
}

func (e *RegimeError) Error() string { return "VAT regime: " + e.Reason }

// ErrNoRegime matches every [RegimeError] with errors.Is.
var ErrNoRegime = errors.New("order fits no VAT regime")

// Is reports target == ErrNoRegime.
func (e *RegimeError) Is(target error) bool { return target == ErrNoRegime }

// Decide returns the regime of o from what the shop charged: the
// destination, the rates on its lines and charges and the customer's VAT
// number, with f for the administration's side. An order that fits no
// regime is a *[RegimeError] saying why and what to do:
//
//   - delivered in NL: Domestic (a line at 0 % must then be on an article
//     of btw-soort Geen, which the articles stage checks);
//   - another member state, no VAT charged: ICP, when the customer's VAT
//     number is valid (format and check digit) and from that state; a
//     consumer (no company, no VAT number) is domestic, on Geen articles;
//   - another member state, Dutch rates charged: Domestic (distance sales
//     below the OSS threshold); when the administration has OSS on,
//     SnelStart would charge the destination's rate, so the rates must be
//     the destination's too;
//   - another member state, the destination's own rates charged: OSS,
//     when the administration invoices foreign VAT;
//   - outside the EU, no VAT charged: Export; VAT charged: no regime.
func Decide(o *koppelv1.Order, f Facts, day time.Time) (Decision, error) {
	d := Decision{Country: destination(o)}
	rates, _ := chargedRates(o)
	taxed := slices.ContainsFunc(rates, func(r decimal.Decimal) bool { return !r.IsZero() })
	fail := func(format string, args ...any) (Decision, error) {
		return d, &RegimeError{Country: d.Country, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case d.Country == Home:
		// A Dutch order at 0 % (a gift card, a VAT-free book) books on
		// articles of btw-soort Geen; the articles stage refuses a line
		// whose article has another soort, so a Dutch customer charged no
		// VAT on taxed goods is a dead letter there, naming the article.
		d.Regime, d.Why = Domestic, "delivered in NL"
		return d, nil
	case alpha3[d.Country] == "":
		if taxed {
			return fail("the order goes to %s, outside the EU, but the shop charged VAT (%s): SnelStart books an export at 0 %%; correct the order in the shop or book it by hand", d.Country, rateList(rates))
		}
		d.Regime, d.Why = Export, "delivered outside the EU ("+d.Country+") at 0 %"
		return d, nil
	case !taxed && consumer(o):
		// A consumer abroad charged no VAT at all (a gift card, VAT-free
		// goods): Dutch rules, on articles of btw-soort Geen, which the
		// articles stage checks; a taxed article at 0 % is its dead letter.
		d.Regime, d.Why = Domestic, "EU consumer in "+d.Country+", nothing taxed"
		return d, nil
	case !taxed:
		return icp(d, o)
	}
	dutch := allIn(rates, f.Table.dutchRates(day))
	foreign := allIn(rates, f.countryRates(d.Country, day))
	switch {
	case f.OSS && foreign:
		d.Regime, d.Why = OSS, fmt.Sprintf("EU consumer in %s charged %s's rate (%s), OSS on", d.Country, d.Country, rateList(rates))
		return d, nil
	case f.OSS:
		return fail("the order goes to a consumer in %s and the administration invoices foreign VAT (OSS), so SnelStart charges %s's rates, but the shop charged %s; set the shop's tax for %s to its own rates, or switch OSS off in SnelStart", d.Country, d.Country, rateList(rates), d.Country)
	case dutch:
		d.Regime, d.Why = Domestic, fmt.Sprintf("EU consumer in %s charged Dutch VAT (OSS off)", d.Country)
		return d, nil
	case foreign:
		return fail("the shop charged %s's own rate (%s) to a consumer in %s (OSS), but this SnelStart administration does not invoice foreign VAT (companyInfo.factureerBuitenlandsBtw is off); switch on \"Factureren met buitenlandse btw\" in SnelStart, then replay", d.Country, rateList(rates), d.Country)
	}
	return fail("the shop charged %s to a customer in %s: neither Dutch rates (%s) nor %s's own", rateList(rates), d.Country, f.Table.Rates(day), d.Country)
}

// consumer reports whether o's customer gave neither a company nor a VAT
// number: an untaxed order of such a customer is no intra-community supply.
func consumer(o *koppelv1.Order) bool {
	return strings.TrimSpace(o.GetCustomer().GetVatNumber()) == "" &&
		strings.TrimSpace(o.GetCustomer().GetCompany()) == "" && strings.TrimSpace(o.GetBilling().GetCompany()) == ""
}

// icp decides an untaxed order to another member state.
func icp(d Decision, o *koppelv1.Order) (Decision, error) {
	raw := strings.TrimSpace(o.GetCustomer().GetVatNumber())
	billing := strings.ToUpper(strings.TrimSpace(o.GetBilling().GetCountry()))
	if raw == "" {
		return d, &RegimeError{Country: d.Country, Reason: fmt.Sprintf("the order goes to %s without VAT, as an intra-community supply, but the customer gave no VAT number: SnelStart books ICP at 0 %% only for a relatie with a valid btw-nummer (BOE-0080); add the number to the order in the shop, or charge VAT, then replay", d.Country)}
	}
	n, err := vatnumber.Check(raw, billing)
	if err != nil {
		return d, &RegimeError{Country: d.Country, Reason: fmt.Sprintf("the order goes to %s without VAT, as an intra-community supply, but the customer's VAT number is not valid: %v; correct it in the shop, then replay", d.Country, err)}
	}
	d.Regime, d.VATNumber = ICP, n.String()
	d.Why = fmt.Sprintf("EU business in %s with VAT number %s, no VAT charged", d.Country, d.VATNumber)
	return d, nil
}

// Soort returns the btw-soort of the omzetgroep an article charged at rate
// belongs in under d, and false when the rate says nothing about it (ICP
// and export are 0 % whatever the article's soort) or matches no soort.
// Domestic rates map through the table on day; an OSS rate maps to Hoog
// when it is the destination's standard rate and to Laag when reduced,
// and 0 % to Geen.
func (d Decision) Soort(f Facts, rate decimal.Decimal, day time.Time) (snelstart.BtwSoort, bool) {
	switch d.Regime {
	case Domestic:
		return f.Table.Soort(rate, day)
	case OSS:
		if rate.IsZero() {
			return snelstart.BtwSoortGeen, true
		}
		for _, r := range f.countryRateCodes(d.Country, day) {
			if r.rate.Sub(rate).Abs().LessThanOrEqual(RateTolerance) {
				if r.code == "SR" {
					return snelstart.BtwSoortHoog, true
				}
				return snelstart.BtwSoortLaag, true
			}
		}
	}
	return "", false
}

// destination is where the order goes: shipping country, else billing
// country, else Home.
func destination(o *koppelv1.Order) string {
	for _, c := range []string{o.GetShipping().GetCountry(), o.GetBilling().GetCountry()} {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			return c
		}
	}
	return Home
}

// chargedRates returns the distinct VAT rates of o's product lines and
// charges (each share of a charge split over rates), and whether anything
// in o costs money. A line or charge without a rate counts as 0 %.
func chargedRates(o *koppelv1.Order) (rates []decimal.Decimal, paid bool) {
	add := func(rate, amount string) {
		if a, err := decimal.NewFromString(strings.TrimSpace(amount)); err == nil && !a.IsZero() {
			paid = true
		} else {
			return // a free line says nothing about the regime
		}
		r, err := decimal.NewFromString(strings.TrimSpace(rate))
		if err != nil {
			r = decimal.Zero
		}
		if !slices.ContainsFunc(rates, r.Equal) {
			rates = append(rates, r)
		}
	}
	for _, l := range o.GetLines() {
		add(l.GetTaxRate(), l.GetTotalExcl())
	}
	for _, c := range append(slices.Clone(o.GetShippingLines()), o.GetFeeLines()...) {
		if len(c.GetTaxes()) > 1 {
			for _, t := range c.GetTaxes() {
				add(t.GetRate(), t.GetTotalExcl())
			}
			continue
		}
		add(c.GetTaxRate(), c.GetTotalExcl())
	}
	return rates, paid
}

// allIn reports whether every non-zero rate is within RateTolerance of one
// of known.
func allIn(rates, known []decimal.Decimal) bool {
	for _, r := range rates {
		if r.IsZero() {
			continue
		}
		if !slices.ContainsFunc(known, func(k decimal.Decimal) bool { return k.Sub(r).Abs().LessThanOrEqual(RateTolerance) }) {
			return false
		}
	}
	return true
}

// dutchRates returns the percentages of Hoog, Laag and Geen on day.
func (t Table) dutchRates(day time.Time) []decimal.Decimal {
	var out []decimal.Decimal
	for _, s := range []snelstart.BtwSoort{snelstart.BtwSoortHoog, snelstart.BtwSoortLaag, snelstart.BtwSoortGeen} {
		if r, ok := t.Rate(s, day); ok {
			out = append(out, r)
		}
	}
	return out
}

type rateCode struct {
	code string
	rate decimal.Decimal
}

// countryRateCodes returns the rates of the member state with alpha-2 code
// country valid on day (the latest validFrom not after day per rate code),
// from GET /vatrates, which keys countries by alpha-3.
func (f Facts) countryRateCodes(country string, day time.Time) []rateCode {
	iso3 := alpha3[strings.ToUpper(country)]
	var out []rateCode
	for _, c := range f.VatRates {
		if !strings.EqualFold(c.CountryCode, iso3) {
			continue
		}
		latest := map[string]snelstart.VatRate{}
		for _, r := range c.VatRates {
			if r.Rate == nil || (!r.ValidFrom.IsZero() && civil(r.ValidFrom.In(time.UTC)).After(civil(day))) {
				continue
			}
			if cur, ok := latest[r.RateCode]; !ok || cur.ValidFrom.Compare(r.ValidFrom) < 0 {
				latest[r.RateCode] = r
			}
		}
		for code, r := range latest {
			out = append(out, rateCode{code: code, rate: r.Rate.Decimal})
		}
	}
	slices.SortFunc(out, func(a, b rateCode) int { return strings.Compare(a.code, b.code) })
	return out
}

func (f Facts) countryRates(country string, day time.Time) []decimal.Decimal {
	var out []decimal.Decimal
	for _, r := range f.countryRateCodes(country, day) {
		out = append(out, r.rate)
	}
	return append(out, decimal.Zero)
}

// rateList returns "21 %, 9 %".
func rateList(rates []decimal.Decimal) string {
	var parts []string
	for _, r := range rates {
		parts = append(parts, r.String()+" %")
	}
	return strings.Join(parts, ", ")
}

// alpha3 maps the member states' ISO 3166 alpha-2 codes to the alpha-3
// codes GET /vatrates uses.
var alpha3 = map[string]string{
	"AT": "AUT", "BE": "BEL", "BG": "BGR", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
	"EE": "EST", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GR": "GRC", "HR": "HRV", "HU": "HUN",
	"IE": "IRL", "IT": "ITA", "LT": "LTU", "LU": "LUX", "LV": "LVA", "MT": "MLT", "NL": "NLD",
	"PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE", "SI": "SVN", "SK": "SVK",
}

// Applied returns the regime SnelStart itself will apply to an order
// (vat-rounding.md §3, §7.2 step 3): ICP for a relatie whose card has a
// btwNummer and an EU country other than NL (cardLand, the vestigingsadres
// country); export when the goods go (dest) outside the EU; OSS for an EU
// destination other than NL when the administration invoices foreign VAT
// and the card has no btwNummer ("een klant is een particulier als er geen
// btw nummer op de klantkaart staat", §3.6); else domestic. Which address
// SnelStart reads for each is unconfirmed (§3.4); these are the sandbox's
// and koppel's assumption.
func Applied(cardVAT, cardLand, dest string, f Facts) Regime {
	cardLand, dest = strings.ToUpper(strings.TrimSpace(cardLand)), strings.ToUpper(strings.TrimSpace(dest))
	hasVAT := strings.TrimSpace(cardVAT) != ""
	switch {
	case hasVAT && cardLand != Home && alpha3[cardLand] != "":
		return ICP
	case dest != "" && dest != Home && alpha3[dest] == "":
		return Export
	case dest != "" && dest != Home && f.OSS && !hasVAT:
		return OSS
	}
	return Domestic
}
