package booker

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
)

func TestUnitPrice(t *testing.T) {
	tests := map[string]struct {
		line        *koppelv1.Line
		incl        bool
		qty, before string
		want        string
	}{
		// WooCommerce derives the unit price incl. VAT from the rounded
		// net subtotal: 10.00 arrives as 9.994862; before/qty is exact.
		"woo unit price off by rounding": {line: &koppelv1.Line{UnitPriceIncl: "9.994862"}, incl: true, qty: "1", before: "10.00", want: "10.00"},
		// A discount incl. VAT derived from the net one is a cent high:
		// before/qty is 24.955; the shop's 24.95 is as close, and wins.
		"tie goes to the shop's price": {line: &koppelv1.Line{UnitPriceIncl: "24.95"}, incl: true, qty: "2", before: "49.91", want: "24.95"},
		"exclusive":                    {line: &koppelv1.Line{UnitPriceExcl: "20.62"}, qty: "2", before: "41.24", want: "20.62"},
		"no shop price":                {line: &koppelv1.Line{}, incl: true, qty: "3", before: "22.47", want: "7.49"},
		"zero quantity":                {line: &koppelv1.Line{UnitPriceIncl: "5"}, incl: true, qty: "0", before: "0", want: "0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := unitPrice(tt.line, tt.incl, mustDec(t, tt.qty), mustDec(t, tt.before), decimal.NewFromInt(1), 2)
			if !got.Equal(mustDec(t, tt.want)) {
				t.Errorf("unitPrice = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSnapRate(t *testing.T) {
	known := []decimal.Decimal{decimal.NewFromInt(21), decimal.NewFromInt(9), decimal.Zero}
	for in, want := range map[string]string{"21.03": "21", "9.05": "9", "20.6": "21", "0.00": "0", "6": "6", "15": "15", "8.4": "8.4"} {
		if got := snapRate(mustDec(t, in), known); got != want {
			t.Errorf("snapRate(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestDescription(t *testing.T) {
	o := &koppelv1.Order{Number: "1042", ShopOrderId: "77", Status: "processing",
		Payment: &koppelv1.Payment{Method: "mollie_wc_gateway_ideal", Title: "iDEAL", Paid: true}}
	s := Settings{Profile: "shop", Name: "Boekhandel"}
	for mode, want := range map[string]string{
		DescriptionAuto:        "processing · iDEAL · betaald",
		DescriptionProfile:     "Boekhandel",
		DescriptionOrderNumber: "Webshoporder 1042",
		DescriptionEmpty:       "",
	} {
		s.Description = mode
		if got := description(&s, o); got != want {
			t.Errorf("%s: %q, want %q", mode, got, want)
		}
	}
	s.Description = DescriptionAuto
	o.Payment = &koppelv1.Payment{Method: "bacs"}
	if got := description(&s, o); got != "processing · bacs · onbetaald" {
		t.Errorf("no title: %q", got)
	}
	o.Payment = nil
	if got := description(&s, o); got != "processing" {
		t.Errorf("no payment: %q", got)
	}
	o.Payment = &koppelv1.Payment{Title: strings.Repeat("Klarna achteraf ", 10), Paid: true}
	got := description(&s, o)
	if n := len([]rune(got)); n > maxOrderOmschrijving || !strings.HasPrefix(got, "processing · Klarna") || !strings.HasSuffix(got, "… · betaald") {
		t.Errorf("long title: %q (%d characters)", got, n)
	}
}

func TestShopAdres(t *testing.T) {
	landen := map[string]snelstart.ID{"NL": "nl-id", "BE": "be-id"}
	tests := map[string]struct {
		in   *koppelv1.Address
		want *snelstart.Adres
		note string // part of the note koppel records, "" for none
	}{
		"suffix letter": {
			in:   &koppelv1.Address{FirstName: "Jan", LastName: "Jansen", Street: "Dorpsstraat", HouseNumber: "12", HouseNumberSuffix: "a", Postcode: "1234 AB", City: "Alkmaar", Country: "nl"},
			want: &snelstart.Adres{Contactpersoon: "Jan Jansen", Straat: "Dorpsstraat 12a", Postcode: "1234 AB", Plaats: "Alkmaar", Land: snelstart.RefTo("nl-id")},
		},
		"suffix word and second line": {
			in:   &koppelv1.Address{Company: "Peeters BV", Street: "Meir", HouseNumber: "50", HouseNumberSuffix: "bus 3", AddressLine2: "2e verdieping", Postcode: "2000", City: "Antwerpen", Country: "BE"},
			want: &snelstart.Adres{Contactpersoon: "Peeters BV", Straat: "Meir 50 bus 3, 2e verdieping", Postcode: "2000", Plaats: "Antwerpen", Land: snelstart.RefTo("be-id")},
		},
		"number in street, unknown country, second line too long": {
			in:   &koppelv1.Address{Street: "Hauptstraße 5", AddressLine2: strings.Repeat("x", 40), City: "Berlin", Country: "DE"},
			want: &snelstart.Adres{Straat: "Hauptstraße 5", Plaats: "Berlin"},
		},
		"long street keeps its whole number": {
			// 45 + 1 + 5 = 51 runes do not fit: the street is cut on its
			// last space within 50 − 6 = 44 runes.
			in:   &koppelv1.Address{Street: "Burgemeester van Karnebeeklaan Zuidzijde Oost", HouseNumber: "112", HouseNumberSuffix: "-3", City: strings.Repeat("é", 60)},
			want: &snelstart.Adres{Straat: "Burgemeester van Karnebeeklaan Zuidzijde 112-3", Plaats: strings.Repeat("é", 50)},
			note: `afleveradres: street shortened to "Burgemeester van Karnebeeklaan Zuidzijde" to keep house number 112-3 whole`,
		},
		"long street without a number is cut on a word": {
			in:   &koppelv1.Address{Street: "Rijksstraatweg tussen Oude Molen en Nieuwe Brug en verder", City: "Haren"},
			want: &snelstart.Adres{Straat: "Rijksstraatweg tussen Oude Molen en Nieuwe Brug en", Plaats: "Haren"},
			note: "afleveradres street: description cut to 50 characters",
		},
		"empty": {in: &koppelv1.Address{}, want: nil},
		"nil":   {in: nil, want: nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var notes []string
			in := input{landen: landen, notes: &notes}
			got, err := in.shopAdres(tt.in, "afleveradres")
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, got) != mustJSON(t, tt.want) {
				t.Errorf("shopAdres = %s, want %s", mustJSON(t, got), mustJSON(t, tt.want))
			}
			if all := strings.Join(notes, "\n"); !strings.Contains(all, tt.note) || (tt.note == "") != (all == "") {
				t.Errorf("notes %q, want one containing %q", notes, tt.note)
			}
		})
	}
}

// TestShopAdresNumberWithoutRoom dead-letters an address whose house
// number leaves no room for a street, rather than cut the number.
func TestShopAdresNumberWithoutRoom(t *testing.T) {
	in := input{notes: new([]string)}
	_, err := in.shopAdres(&koppelv1.Address{Street: "Dorpsstraat", HouseNumber: strings.Repeat("1", 45)}, "factuuradres")
	if err == nil || !strings.Contains(err.Error(), "leaves no room for its street") {
		t.Fatalf("shopAdres error %v, want one saying the number leaves no room", err)
	}
}

func TestCurrency(t *testing.T) {
	eur := &koppelv1.Order{Currency: "eur", Totals: &koppelv1.Totals{TotalIncl: "10.00"}}
	usd := &koppelv1.Order{ShopOrderId: "1", Currency: "USD", Totals: &koppelv1.Totals{TotalIncl: "110.00"},
		BaseCurrency: "EUR", BaseTotals: &koppelv1.Totals{TotalIncl: "100.00"}}
	s := Settings{}
	if fx, total, err := currency(&s, eur); err != nil || !fx.Equal(decimal.NewFromInt(1)) || total.String() != "10" {
		t.Errorf("EUR: %s, %s, %v", fx, total, err)
	}
	if _, _, err := currency(&s, usd); err == nil || !strings.Contains(err.Error(), "convert_currency is off") {
		t.Errorf("USD without conversion: %v", err)
	}
	s.ConvertCurrency = true
	fx, total, err := currency(&s, usd)
	if err != nil || !total.Equal(mustDec(t, "100")) || !fx.Mul(mustDec(t, "110")).Round(2).Equal(mustDec(t, "100")) {
		t.Errorf("USD with EUR base: %s, %s, %v", fx, total, err)
	}
	usd.BaseCurrency = "USD"
	if _, _, err := currency(&s, usd); err == nil || !strings.Contains(err.Error(), "no amounts in EUR") {
		t.Errorf("USD with USD base: %v", err)
	}
	if _, _, err := currency(&s, &koppelv1.Order{}); err == nil {
		t.Error("no currency: booked")
	}
}

func TestSettings(t *testing.T) {
	p := profile.Profile{ID: "shop", Orders: profile.Orders{ImportStatuses: []string{"Processing"}, TotalTolerance: "0.05",
		ShippingArticle: "VERZEND"}}
	s := FromProfile(p)
	if s.PaymentReference != PaymentReferenceOrderNumber || s.Description != DescriptionAuto || s.Lines != LinesFull ||
		s.Addresses != AddressesShop || s.ProductOptions != OptionsDescription || s.Name != "shop" || s.TotalTolerance.String() != "0.05" {
		t.Errorf("defaults: %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, st := range []string{"processing", "wc-processing", " PROCESSING "} {
		if !s.imports(st) {
			t.Errorf("imports(%q) = false", st)
		}
	}
	if s.imports("pending") {
		t.Error("imports(pending)")
	}
	bad := s
	bad.ProcessStatus, bad.OrderStatus, bad.CostCenter, bad.Lines = snelstart.ProcesStatusFactuur, "Klaar", "42", "alles"
	bad.RateArticles = map[string]RateArticles{"laag": {}}
	err := bad.Validate()
	for _, want := range []string{"process_status", "order_status", "cost_center", "orders.lines", "rate_articles"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate of bad settings = %v, want a problem with %s", err, want)
		}
	}
	for _, tc := range []struct {
		rate  string
		soort snelstart.BtwSoort
		want  string
	}{
		{"21", snelstart.BtwSoortHoog, "VERZEND"},
		{"9", snelstart.BtwSoortLaag, "VERZEND-LAAG"},
		{"0", snelstart.BtwSoortGeen, "VERZEND-GEEN"},
		{"0", "", "VERZEND"}, // ICP or export: the rate says nothing about the soort
	} {
		if got := s.chargeArticle(kindShipping, tc.rate, tc.soort); got != tc.want {
			t.Errorf("chargeArticle(shipping, %s, %s) = %q, want %q", tc.rate, tc.soort, got, tc.want)
		}
	}
	s.RateArticles = map[string]RateArticles{"9": {Shipping: "VERZEND-9"}}
	if got := s.chargeArticle(kindShipping, "9", snelstart.BtwSoortLaag); got != "VERZEND-9" {
		t.Errorf("chargeArticle at 9 with a rate article = %q", got)
	}
}
