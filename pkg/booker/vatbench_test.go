package booker

import (
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// BenchmarkVATPlan measures what the VAT check costs the booker per order,
// without SnelStart: building the sample order's verkooporder (the
// baseline, as before the check existed) against building it and
// computing SnelStart's totals under both candidate rules and comparing
// them with the shop's, as prepare does before every POST.
//
//	go test -run '^$' -bench VATPlan -benchmem ./pkg/booker/
func BenchmarkVATPlan(b *testing.B) {
	s := testSettings()
	s = s.withDefaults()
	ev := sampleEvent("bench")
	facts := vat.Facts{Table: vat.NewTable([]snelstart.BtwTarief{
		{BtwSoort: snelstart.BtwSoortHoog, BtwPercentage: snelstart.Ptr(snelstart.NewDecimal(mustDecimal("21")))},
		{BtwSoort: snelstart.BtwSoortLaag, BtwPercentage: snelstart.Ptr(snelstart.NewDecimal(mustDecimal("9")))},
		{BtwSoort: snelstart.BtwSoortGeen, BtwPercentage: snelstart.Ptr(snelstart.NewDecimal(mustDecimal("0")))},
	})}
	soorten := map[string]snelstart.BtwSoort{"VERZEND": "Hoog", "TOESLAG": "Hoog", "KORTING": "Hoog", "VERZEND-LAAG": "Laag", "KORTING-LAAG": "Laag", "TOESLAG-LAAG": "Laag"}
	newInput := func() input {
		in := input{s: &s, ev: ev, loc: snelstart.Amsterdam(), fx: mustDecimal("1"), priceDecimals: 2, qtyDecimals: 2,
			ingave: snelstart.BtwIngaveInclusief, facts: facts, notes: new([]string),
			article: func(code string) (chargeArtikel, error) {
				return chargeArtikel{ID: stableID(code), Code: code, Soort: soorten[code]}, nil
			}}
		if err := in.decideRegime(nil); err != nil {
			b.Fatal(err)
		}
		return in
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := build(newInput()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build+vatcheck", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := newInput()
			vo, rs, err := build(in)
			if err != nil {
				b.Fatal(err)
			}
			if err := in.checkPlan(vo, rs, &snelstart.CompanyInfo{}, &plan{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
