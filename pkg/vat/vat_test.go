package vat_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// rows are GET /btwtarieven as SnelStart lists them (vat-rounding.md §3.2),
// plus an Overig row at 9 %, which no rate may ever map to.
var rows = []snelstart.BtwTarief{
	tarief(snelstart.BtwSoortGeen, "0", snelstart.LocalDate(1900, 1, 1), snelstart.LocalTime{}),
	tarief(snelstart.BtwSoortLaag, "6", snelstart.LocalDate(1986, 10, 1), snelstart.LocalDate(2018, 12, 31)),
	tarief(snelstart.BtwSoortLaag, "9", snelstart.LocalDate(2019, 1, 1), snelstart.LocalTime{}),
	tarief(snelstart.BtwSoortHoog, "19", snelstart.LocalDate(1900, 1, 1), snelstart.LocalDate(2012, 9, 30)),
	tarief(snelstart.BtwSoortHoog, "21", snelstart.LocalDate(2012, 10, 1), snelstart.LocalTime{}),
	tarief(snelstart.BtwSoortOverig, "9", snelstart.LocalDate(2019, 1, 1), snelstart.LocalTime{}),
}

func tarief(soort snelstart.BtwSoort, pct string, from, to snelstart.LocalTime) snelstart.BtwTarief {
	return snelstart.BtwTarief{BtwSoort: soort, BtwPercentage: snelstart.Ptr(snelstart.NewDecimal(decimal.RequireFromString(pct))), DatumVanaf: from, DatumTotEnMet: to}
}

func TestTableSoort(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	// 00:30 on 1 January 2019 in Amsterdam is still 31 December 2018 in
	// UTC: the date of the caller's zone counts.
	newYear := time.Date(2019, 1, 1, 0, 30, 0, 0, ams)
	table := vat.NewTable(rows)
	tests := map[string]struct {
		table vat.Table
		rate  string
		day   time.Time
		want  snelstart.BtwSoort // "" for none
	}{
		"Laag 6 % on its last day":              {table, "6", day(2018, 12, 31), snelstart.BtwSoortLaag},
		"Laag 6 % the day after":                {table, "6", day(2019, 1, 1), ""},
		"Laag 9 % the day before":               {table, "9", day(2018, 12, 31), ""},
		"Laag 9 % on its first day":             {table, "9", day(2019, 1, 1), snelstart.BtwSoortLaag},
		"Laag 9 % in 2026, not Overig":          {table, "9", day(2026, 3, 14), snelstart.BtwSoortLaag},
		"9 % at 00:30 on 1 Jan in Amsterdam":    {table, "9", newYear, snelstart.BtwSoortLaag},
		"6 % at 00:30 on 1 Jan in Amsterdam":    {table, "6", newYear, ""},
		"6 % at that instant in UTC":            {table, "6", newYear.UTC(), snelstart.BtwSoortLaag},
		"Hoog 19 % on its last day":             {table, "19", day(2012, 9, 30), snelstart.BtwSoortHoog},
		"Hoog 19 % the day after":               {table, "19", day(2012, 10, 1), ""},
		"Hoog 21 %":                             {table, "21", day(2026, 3, 14), snelstart.BtwSoortHoog},
		"21.03 % (a rate from rounded amounts)": {table, "21.03", day(2026, 3, 14), snelstart.BtwSoortHoog},
		"20.50 %, the edge of the tolerance":    {table, "20.50", day(2026, 3, 14), snelstart.BtwSoortHoog},
		"20.4 %, beyond it":                     {table, "20.4", day(2026, 3, 14), ""},
		"Geen 0 %":                              {table, "0", day(2026, 3, 14), snelstart.BtwSoortGeen},
		"the zero Table":                        {vat.Table{}, "21", day(2026, 3, 14), ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := tt.table.Soort(decimal.RequireFromString(tt.rate), tt.day)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Soort(%s, %s) = %q, %v; want %q", tt.rate, tt.day, got, ok, tt.want)
			}
		})
	}
}

// facts are an administration's: the Dutch table and, from GET /vatrates,
// Germany's and Belgium's rates (Germany with a standard rate from 2027
// that is not valid yet).
func facts(oss bool) vat.Facts {
	from := snelstart.LocalDate(2021, 7, 1)
	r := func(code, pct string, from snelstart.LocalTime) snelstart.VatRate {
		return snelstart.VatRate{RateCode: code, Rate: snelstart.Ptr(snelstart.NewDecimal(decimal.RequireFromString(pct))), ValidFrom: from}
	}
	return vat.Facts{Table: vat.NewTable(rows), OSS: oss, VatRates: []snelstart.VatRates{
		{CountryCode: "DEU", VatRates: []snelstart.VatRate{r("SR", "19", from), r("RRL", "7", from), r("SR", "20", snelstart.LocalDate(2027, 1, 1))}},
		{CountryCode: "BEL", VatRates: []snelstart.VatRate{r("SR", "21", from), r("RRH", "12", from), r("RRL", "6", from)}},
	}}
}

// order returns an order billed in billing and delivered in shipping (""
// for none) with a line per rate, each 10.00 excl. VAT.
// company gives o's customer a company name, as a business has.
func company(o *koppelv1.Order) *koppelv1.Order {
	if o.Customer == nil {
		o.Customer = &koppelv1.Customer{}
	}
	o.Customer.Company = "Muster GmbH"
	return o
}

func order(billing, shipping, vatNumber string, rates ...string) *koppelv1.Order {
	o := &koppelv1.Order{Customer: &koppelv1.Customer{VatNumber: vatNumber}}
	if billing != "" {
		o.Billing = &koppelv1.Address{Country: billing}
	}
	if shipping != "" {
		o.Shipping = &koppelv1.Address{Country: shipping}
	}
	for _, rate := range rates {
		o.Lines = append(o.Lines, &koppelv1.Line{TaxRate: rate, TotalExcl: "10.00"})
	}
	return o
}

func TestDecide(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	withShipping := func(o *koppelv1.Order, c *koppelv1.Charge) *koppelv1.Order {
		o.ShippingLines = append(o.ShippingLines, c)
		return o
	}
	split := func(rate1, rate2 string) *koppelv1.Charge { // shipping taxed "inherit" over two rates
		return &koppelv1.Charge{TotalExcl: "4.95", TaxRate: rate1, Taxes: []*koppelv1.TaxShare{{Rate: rate1, TotalExcl: "2.97"}, {Rate: rate2, TotalExcl: "1.98"}}}
	}
	freeLine := order("", "US", "", "0")
	freeLine.Lines = append(freeLine.Lines, &koppelv1.Line{TaxRate: "21", TotalExcl: "0.00"}) // a free gift "at" 21 %
	tests := map[string]struct {
		order   *koppelv1.Order
		oss     bool
		want    vat.Regime // "" when it fits none
		country string
		number  string // the canonical VAT number of an ICP order
		reason  string // in the RegimeError
	}{
		"NL, taxed":                           {order: order("NL", "NL", "", "21", "9"), want: vat.Domestic, country: "NL"},
		"NL consumer at 0 %":                  {order: order("NL", "NL", "", "0"), want: vat.Domestic, country: "NL"},
		"NL business with VAT number at 0 %":  {order: order("NL", "NL", "NL001234567B01", "0"), want: vat.Domestic, country: "NL"},
		"no address at all":                   {order: order("", "", "", "21"), want: vat.Domestic, country: "NL"},
		"the shipping country decides":        {order: order("DE", "nl", "", "21"), want: vat.Domestic, country: "NL"},
		"else the billing country":            {order: order("BE", "", "", "21"), want: vat.Domestic, country: "BE"},
		"export, no VAT":                      {order: order("US", "US", "", "0"), want: vat.Export, country: "US"},
		"export, a free line says nothing":    {order: freeLine, want: vat.Export, country: "US"},
		"export with VAT charged":             {order: withShipping(order("CH", "CH", "", "0"), &koppelv1.Charge{TaxRate: "21", TotalExcl: "12.50"}), reason: "the order goes to CH, outside the EU, but the shop charged VAT (0 %, 21 %)", country: "CH"},
		"ICP":                                 {order: order("DE", "DE", " de 811 569 869 ", "0"), want: vat.ICP, country: "DE", number: "DE811569869"},
		"ICP without VAT number":              {order: company(order("DE", "DE", "", "0")), reason: "the customer gave no VAT number", country: "DE"},
		"EU consumer, nothing taxed":          {order: order("BE", "BE", "", "0"), want: vat.Domestic, country: "BE"},
		"ICP, check digit wrong":              {order: order("DE", "DE", "DE811569868", "0"), reason: "the customer's VAT number is not valid", country: "DE"},
		"ICP, number of another state":        {order: order("DE", "DE", "BE0123456749", "0"), reason: "the customer's VAT number is not valid", country: "DE"},
		"OSS on, the destination's rates":     {order: withShipping(order("DE", "DE", "", "19", "7"), split("19", "7")), oss: true, want: vat.OSS, country: "DE"},
		"OSS on, a rate within the tolerance": {order: order("DE", "DE", "", "18.98"), oss: true, want: vat.OSS, country: "DE"},
		"OSS on, BE 21 % is Belgium's own":    {order: order("BE", "BE", "", "21", "6"), oss: true, want: vat.OSS, country: "BE"},
		"OSS on, Dutch rates charged":         {order: order("DE", "DE", "", "21"), oss: true, reason: "so SnelStart charges DE's rates, but the shop charged 21 %", country: "DE"},
		"OSS on, a shipping share at 9 %":     {order: withShipping(order("DE", "DE", "", "19"), split("19", "9")), oss: true, reason: "the shop charged 19 %, 9 %", country: "DE"},
		"OSS on, a rate not valid yet":        {order: order("DE", "DE", "", "20"), oss: true, reason: "the shop charged 20 %", country: "DE"},
		"OSS off, Dutch rates charged":        {order: order("NL", "DE", "", "21", "9"), want: vat.Domestic, country: "DE"},
		"OSS off, the destination's rate":     {order: order("DE", "DE", "", "19"), reason: "companyInfo.factureerBuitenlandsBtw is off", country: "DE"},
		"neither Dutch nor the destination's": {order: order("DE", "DE", "", "15"), reason: "the shop charged 15 % to a customer in DE: neither Dutch rates (Hoog 21 %, Laag 9 %, Geen 0 %) nor DE's own", country: "DE"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := vat.Decide(tt.order, facts(tt.oss), day)
			if d.Country != tt.country {
				t.Errorf("Country = %q, want %q", d.Country, tt.country)
			}
			if tt.want == "" {
				var re *vat.RegimeError
				if !errors.As(err, &re) || !errors.Is(err, vat.ErrNoRegime) || re.Country != tt.country || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("Decide = %+v, %v; want a RegimeError saying %q", d, err, tt.reason)
				}
				return
			}
			if err != nil || d.Regime != tt.want || d.VATNumber != tt.number || d.Why == "" {
				t.Errorf("Decide = %+v, %v; want regime %s, VAT number %q", d, err, tt.want, tt.number)
			}
		})
	}
}

func TestApplied(t *testing.T) {
	tests := map[string]struct {
		cardVAT, cardLand, dest string
		oss                     bool
		want                    vat.Regime
	}{
		"ICP: EU card with VAT number":                 {"DE811569869", "DE", "DE", false, vat.ICP},
		"ICP whatever the destination":                 {"DE811569869", " de ", "NL", true, vat.ICP},
		"NL card with VAT number, delivered in NL":     {"NL001234567B01", "NL", "NL", true, vat.Domestic},
		"NL card with VAT number, to DE, OSS on":       {"NL001234567B01", "NL", "DE", true, vat.Domestic},
		"non-EU card with VAT number, to DE, OSS on":   {"CHE123456789", "CH", "DE", true, vat.Domestic},
		"EU card without VAT number, OSS on":           {"", "DE", "DE", true, vat.OSS},
		"EU card without VAT number, OSS off":          {"", "DE", "DE", false, vat.Domestic},
		"NL card, delivered to BE, OSS on":             {"", "NL", "be", true, vat.OSS},
		"export":                                       {"", "US", "US", true, vat.Export},
		"export of a NL business":                      {"NL001234567B01", "NL", "CH", false, vat.Export},
		"non-EU card with VAT number, delivered in NL": {"CHE123456789", "CH", "NL", false, vat.Domestic},
		"Dutch":          {"", "NL", "NL", true, vat.Domestic},
		"no destination": {"", "", "", true, vat.Domestic},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := vat.Applied(tt.cardVAT, tt.cardLand, tt.dest, vat.Facts{OSS: tt.oss}); got != tt.want {
				t.Errorf("Applied(%q, %q, %q, OSS %v) = %s, want %s", tt.cardVAT, tt.cardLand, tt.dest, tt.oss, got, tt.want)
			}
		})
	}
}

func TestClassSoort(t *testing.T) {
	for class, want := range map[string]snelstart.BtwSoort{
		"standard": snelstart.BtwSoortHoog, "reduced-rate": snelstart.BtwSoortLaag, "zero-rate": snelstart.BtwSoortGeen,
		"gereduceerd-tarief": snelstart.BtwSoortLaag, "Nultarief": snelstart.BtwSoortGeen, "btw-hoog": snelstart.BtwSoortHoog,
		"": "", "luxury": "",
	} {
		got, ok := vat.ClassSoort(class)
		if got != want || ok != (want != "") {
			t.Errorf("ClassSoort(%q) = %q, %v; want %q", class, got, ok, want)
		}
	}
}
