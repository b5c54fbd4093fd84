package snelstartsandbox_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// line is an order line for the totals table: article, quantity, unit
// price, line discount.
type line struct {
	artikel, aantal, stuksprijs, korting string
}

func (l line) json() obj {
	o := obj{"artikel": obj{"id": l.artikel}, "aantal": jsonNumber(l.aantal), "stuksprijs": jsonNumber(l.stuksprijs)}
	if l.korting != "" {
		o["kortingsPercentage"] = jsonNumber(l.korting)
	}
	return o
}

type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// totals is the expected totaalExclusiefBtw and totaalInclusiefBtw.
type totals struct{ excl, incl string }

// The four combinations of the two switches SnelStart does not publish.
const (
	rateUp   = "per rate, half-up"
	lineUp   = "per line, half-up"
	rateEven = "per rate, half-even"
	lineEven = "per line, half-even"
)

var switches = map[string]snelstartsandbox.Options{
	rateUp:   {VAT: snelstartsandbox.VATPerRate, Rounding: snelstartsandbox.RoundHalfUp},
	lineUp:   {VAT: snelstartsandbox.VATPerLine, Rounding: snelstartsandbox.RoundHalfUp},
	rateEven: {VAT: snelstartsandbox.VATPerRate, Rounding: snelstartsandbox.RoundHalfEven},
	lineEven: {VAT: snelstartsandbox.VATPerLine, Rounding: snelstartsandbox.RoundHalfEven},
}

// sameForAll expects the same totals under every switch.
func sameForAll(excl, incl string) map[string]totals {
	return map[string]totals{rateUp: {excl, incl}, lineUp: {excl, incl}, rateEven: {excl, incl}, lineEven: {excl, incl}}
}

// TestTotals posts orders and checks totaalExclusiefBtw and
// totaalInclusiefBtw under both switches (VAT per rate or per line; half-up
// or half-even), worked out by hand below (vat-rounding.md §1, §2, §6, §8).
// Rates: TSHIRT, VERZEND and KORTING hoog (21 %), KOFFIE and the cookbook
// laag (9 % from 2019, 6 % before), CADEAUBON geen (0 %).
func TestTotals(t *testing.T) {
	const thee = "4d000000-0000-4000-8000-000000000013"
	const korting = "4d000000-0000-4000-8000-000000000004"
	// The order of vat-rounding.md §6: 7 × 4.99 less 10 % (21 %), 3 × 7.49
	// (9 %), 1 × 3.35 (9 %), 1 × 4.95 shipping (21 %), 1 × −2.50 discount (21 %).
	mixed := []line{{idTshirt, "7", "4.99", "10"}, {idKoffie, "3", "7.49", ""}, {thee, "1", "3.35", ""}, {idVerzend, "1", "4.95", ""}, {korting, "1", "-2.50", ""}}
	tests := map[string]struct {
		ingave       snelstart.BtwIngave
		regelkorting snelstart.RegelkortingVerkooporder
		datum        string // default 2026-03-14
		factuur      string // factuurkorting
		lines        []line
		regel0       string // the first line's totaal
		want         map[string]totals
	}{
		// Lines (RegelBedrag): 7 × 4.99 × 0.9 = 31.437 → 31.44; 22.47; 3.35; 4.95; −2.50.
		// 21 %: 31.44 + 4.95 − 2.50 = 33.89 net; 9 %: 25.82 net; excl 59.71.
		// Per rate: 33.89 × 0.21 = 7.1169 → 7.12; 25.82 × 0.09 = 2.3238 → 2.32; incl 59.71 + 9.44 = 69.15.
		// Per line: 6.6024 → 6.60, 1.0395 → 1.04, −0.525 → −0.53 (half-up, away from zero)
		// or −0.52 (half-even); 2.0223 → 2.02, 0.3015 → 0.30. VAT 9.43 → 69.14, or 9.44 → 69.15.
		"mixed rates, exclusief": {
			ingave: snelstart.BtwIngaveExclusief, lines: mixed, regel0: "31.44",
			want: map[string]totals{rateUp: {"59.71", "69.15"}, lineUp: {"59.71", "69.14"}, rateEven: {"59.71", "69.15"}, lineEven: {"59.71", "69.15"}},
		},
		// Same lines as gross amounts: 21 % gross 33.89, 9 % gross 25.82; incl 59.71 always.
		// Per rate: 33.89 / 1.21 = 28.00826 → 28.01; 25.82 / 1.09 = 23.68807 → 23.69; excl 51.70.
		// Per line: 25.98347 → 25.98, 4.09091 → 4.09, −2.06612 → −2.07 (28.00);
		// 20.61468 → 20.61, 3.07339 → 3.07 (23.68); excl 51.68.
		"mixed rates, inclusief": {
			ingave: snelstart.BtwIngaveInclusief, lines: mixed, regel0: "31.44",
			want: map[string]totals{rateUp: {"51.70", "59.71"}, lineUp: {"51.68", "59.71"}, rateEven: {"51.70", "59.71"}, lineEven: {"51.68", "59.71"}},
		},
		// BerekenenOverStukprijs: 4.99 × 0.9 = 4.491 → 4.49; × 7 = 31.43. 21 % net 33.88, 9 % 25.82; excl 59.70.
		// Per rate: 33.88 × 0.21 = 7.1148 → 7.11; 2.32; incl 69.13.
		// Per line: 31.43 × 0.21 = 6.6003 → 6.60; 1.04; −0.53 or −0.52 (half-even); 2.02; 0.30.
		// Half-up 7.11 + 2.32 → 69.13; half-even 7.12 + 2.32 → 69.14.
		"mixed rates, discount over the unit price": {
			ingave: snelstart.BtwIngaveExclusief, regelkorting: snelstart.RegelkortingBerekenenOverStukprijs, lines: mixed, regel0: "31.43",
			want: map[string]totals{rateUp: {"59.70", "69.13"}, lineUp: {"59.70", "69.13"}, rateEven: {"59.70", "69.13"}, lineEven: {"59.70", "69.14"}},
		},
		// Inclusief, unit price: 21 % gross 33.88 → 33.88 / 1.21 = 28.0 → 28.00; 9 % 23.69; excl 51.69.
		// Per line: 31.43 / 1.21 = 25.97521 → 25.98; 4.09; −2.07 (28.00); 23.68; excl 51.68.
		"mixed rates, inclusief, discount over the unit price": {
			ingave: snelstart.BtwIngaveInclusief, regelkorting: snelstart.RegelkortingBerekenenOverStukprijs, lines: mixed, regel0: "31.43",
			want: map[string]totals{rateUp: {"51.69", "59.70"}, lineUp: {"51.68", "59.70"}, rateEven: {"51.69", "59.70"}, lineEven: {"51.68", "59.70"}},
		},
		// Half a cent: 12.50 × 0.21 = 2.625 → 2.63 (half-up) or 2.62 (half-even).
		"midpoint": {
			ingave: snelstart.BtwIngaveExclusief, lines: []line{{idTshirt, "1", "12.50", ""}}, regel0: "12.50",
			want: map[string]totals{rateUp: {"12.50", "15.13"}, lineUp: {"12.50", "15.13"}, rateEven: {"12.50", "15.12"}, lineEven: {"12.50", "15.12"}},
		},
		// vat-rounding.md §8 item 1: five lines of 0.30 at 21 %. Per line 0.063 → 0.06, × 5 = 0.30;
		// per rate 1.50 × 0.21 = 0.315 → 0.32 (half-up; half-even too, to the even 2).
		"per line or per rate": {
			ingave: snelstart.BtwIngaveExclusief, regel0: "0.30",
			lines: []line{{idTshirt, "1", "0.30", ""}, {idTshirt, "1", "0.30", ""}, {idTshirt, "1", "0.30", ""}, {idTshirt, "1", "0.30", ""}, {idTshirt, "1", "0.30", ""}},
			want:  map[string]totals{rateUp: {"1.50", "1.82"}, lineUp: {"1.50", "1.80"}, rateEven: {"1.50", "1.82"}, lineEven: {"1.50", "1.80"}},
		},
		// 37.50 + 12.50 at 21 %: per line 7.875 → 7.88 and 2.625 → 2.63 (10.51), half-even 7.88 + 2.62 (10.50);
		// per rate 50.00 × 0.21 = 10.50.
		"two midpoints": {
			ingave: snelstart.BtwIngaveExclusief, lines: []line{{idTshirt, "1", "37.50", ""}, {idMok, "1", "12.50", ""}}, regel0: "37.50",
			want: map[string]totals{rateUp: {"50.00", "60.50"}, lineUp: {"50.00", "60.51"}, rateEven: {"50.00", "60.50"}, lineEven: {"50.00", "60.50"}},
		},
		// Three gross lines of 1.00 at 21 %: per line 1 / 1.21 = 0.82645 → 0.83, × 3 = 2.49; per rate 3.00 / 1.21 = 2.47934 → 2.48.
		"inclusief per line or per rate": {
			ingave: snelstart.BtwIngaveInclusief, lines: []line{{idTshirt, "1", "1.00", ""}, {idMok, "1", "1.00", ""}, {idVerzend, "1", "1.00", ""}}, regel0: "1.00",
			want: map[string]totals{rateUp: {"2.48", "3.00"}, lineUp: {"2.49", "3.00"}, rateEven: {"2.48", "3.00"}, lineEven: {"2.49", "3.00"}},
		},
		// Decimal quantity: 1.5 × 3.333 = 4.9995 → 5.00 (both modes); VAT 5.00 × 0.21 = 1.05.
		"decimal quantity and price": {
			ingave: snelstart.BtwIngaveExclusief, lines: []line{{idTshirt, "1.5", "3.333", ""}}, regel0: "5.00",
			want: sameForAll("5.00", "6.05"),
		},
		// 2.5 × 0.25 = 0.625 → 0.63 (half-up) or 0.62 (half-even); VAT at 9 %: 0.0567 → 0.06 or 0.0558 → 0.06.
		"half a cent in the line amount": {
			ingave: snelstart.BtwIngaveExclusief, lines: []line{{idKoffie, "2.5", "0.25", ""}},
			want: map[string]totals{rateUp: {"0.63", "0.69"}, lineUp: {"0.63", "0.69"}, rateEven: {"0.62", "0.68"}, lineEven: {"0.62", "0.68"}},
		},
		// Discount over the unit price with a decimal quantity: 3.333 × 0.85 = 2.83305 → 2.83; × 1.5 = 4.245
		// → 4.25 (half-up) or 4.24 (half-even). VAT 21 %: 0.8925 → 0.89; 0.8904 → 0.89.
		"unit price discount and decimal quantity": {
			ingave: snelstart.BtwIngaveExclusief, regelkorting: snelstart.RegelkortingBerekenenOverStukprijs, lines: []line{{idTshirt, "1.5", "3.333", "15"}},
			want: map[string]totals{rateUp: {"4.25", "5.14"}, lineUp: {"4.25", "5.14"}, rateEven: {"4.24", "5.13"}, lineEven: {"4.24", "5.13"}},
		},
		// 0 %: 2 × 25.00 gift cards, net = gross; with a T-shirt at 21 %: 24.95 / 1.21 = 20.61983 → 20.62.
		"zero rate, inclusief": {
			ingave: snelstart.BtwIngaveInclusief, lines: []line{{idCadeaubon, "2", "25.00", ""}, {idTshirt, "1", "24.95", ""}}, regel0: "50.00",
			want: sameForAll("70.62", "74.95"),
		},
		"zero rate, exclusief": {
			ingave: snelstart.BtwIngaveExclusief, lines: []line{{idCadeaubon, "3", "10.00", ""}}, regel0: "30.00",
			want: sameForAll("30.00", "30.00"),
		},
		// The dated table: laag was 6 % until 2018-12-31. 10 × 7.49 = 74.90; × 0.06 = 4.494 → 4.49.
		"laag before 2019": {
			ingave: snelstart.BtwIngaveExclusief, datum: "2018-12-31T00:00:00", lines: []line{{idKoffie, "10", "7.49", ""}}, regel0: "74.90",
			want: sameForAll("74.90", "79.39"),
		},
		// From 2019-01-01 9 %: 74.90 × 0.09 = 6.741 → 6.74.
		"laag from 2019": {
			ingave: snelstart.BtwIngaveExclusief, datum: "2019-01-01T00:00:00", lines: []line{{idKoffie, "10", "7.49", ""}}, regel0: "74.90",
			want: sameForAll("74.90", "81.64"),
		},
		// Hoog was 19 % until 2012-09-30: 100.00 × 0.19 = 19.00.
		"hoog before October 2012": {
			ingave: snelstart.BtwIngaveExclusief, datum: "2012-09-30T00:00:00", lines: []line{{idTshirt, "1", "100", ""}},
			want: sameForAll("100.00", "119.00"),
		},
		// factuurkorting 10 % (a percentage, unconfirmed) per rate before VAT: 21 %: 100 → 90.00, VAT 18.90;
		// 9 %: 50 → 45.00, VAT 4.05. The line totals stay 100.00 and 50.00.
		"factuurkorting": {
			ingave: snelstart.BtwIngaveExclusief, factuur: "10", lines: []line{{idTshirt, "1", "100", ""}, {idKoffie, "1", "50", ""}}, regel0: "100.00",
			want: sameForAll("135.00", "157.95"),
		},
	}
	envs := map[string]*env{}
	envFor := func(sw string, rk snelstart.RegelkortingVerkooporder) *env {
		k := sw + string(rk)
		if envs[k] == nil {
			seed := snelstartsandbox.DefaultSeed()
			if rk != "" {
				seed.Administraties[0].CompanyInfo.RegelkortingVerkooporder = rk
			}
			opts := switches[sw]
			opts.Seed = &seed
			envs[k] = newEnv(t, opts)
		}
		return envs[k]
	}
	for name, tt := range tests {
		for sw, want := range tt.want {
			t.Run(fmt.Sprintf("%s/%s", name, sw), func(t *testing.T) {
				e := envFor(sw, tt.regelkorting)
				e.t = t
				datum := tt.datum
				if datum == "" {
					datum = "2026-03-14T00:00:00"
				}
				body := obj{"relatie": obj{"id": idJanJansen}, "datum": datum, "verkooporderBtwIngaveModel": tt.ingave}
				var regels []obj
				for _, l := range tt.lines {
					regels = append(regels, l.json())
				}
				body["regels"] = regels
				if tt.factuur != "" {
					body["factuurkorting"] = jsonNumber(tt.factuur)
				}
				r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, body)
				wantStatus(t, r, http.StatusCreated)
				var o snelstart.VerkoopOrder
				mustDecode(t, r.body, &o)
				got := totals{o.TotaalExclusiefBtw.String(), o.TotaalInclusiefBtw.String()}
				if got != want {
					t.Errorf("totaalExclusiefBtw, totaalInclusiefBtw = %s, %s; want %s, %s", got.excl, got.incl, want.excl, want.incl)
				}
				if tt.regel0 != "" && o.Regels[0].Totaal.String() != tt.regel0 {
					t.Errorf("first line totaal = %s, want %s", o.Regels[0].Totaal, tt.regel0)
				}
				br, ok := e.sb.Admin("demo").Totals(o.ID)
				if !ok || br.TotaalInclusiefBtw.String() != want.incl {
					t.Errorf("Totals breakdown = %+v, %v", br, ok)
				}
			})
		}
	}
}

// TestComputeTotalsBreakdown checks the per-soort breakdown the API does
// not return.
func TestComputeTotalsBreakdown(t *testing.T) {
	d := func(s string) snelstart.Decimal {
		v, err := snelstart.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	got := snelstartsandbox.ComputeTotals(snelstartsandbox.TotalsRules{}, snelstart.BtwIngaveExclusief, d("0"), []snelstartsandbox.TotalsLine{
		{Stuksprijs: d("10"), Aantal: d("2"), BtwSoort: snelstart.BtwSoortHoog, BtwPercentage: d("21")},
		{Stuksprijs: d("5"), Aantal: d("1"), BtwSoort: snelstart.BtwSoortLaag, BtwPercentage: d("9")},
		{Stuksprijs: d("1"), Aantal: d("1"), BtwSoort: snelstart.BtwSoortHoog, BtwPercentage: d("21")},
	})
	if len(got.Groepen) != 2 {
		t.Fatalf("groepen = %+v", got.Groepen)
	}
	hoog := got.Groepen[0]
	if hoog.BtwSoort != snelstart.BtwSoortHoog || hoog.ExclusiefBtw.String() != "21.00" || hoog.Btw.String() != "4.41" || hoog.InclusiefBtw.String() != "25.41" {
		t.Errorf("hoog = %+v", hoog)
	}
	if got.TotaalExclusiefBtw.String() != "26.00" || got.TotaalInclusiefBtw.String() != "30.86" {
		t.Errorf("totals = %s / %s, want 26.00 / 30.86", got.TotaalExclusiefBtw, got.TotaalInclusiefBtw)
	}
}
