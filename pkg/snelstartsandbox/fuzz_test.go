package snelstartsandbox

import (
	"reflect"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
)

// FuzzFilter checks that compiling and running any $filter never panics:
// a filter either compiles and runs, or is refused with a filterError.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`Email eq 'jan@example.nl'`,
		`substringof('jan', Email) eq true and Relatiecode gt 0`,
		`startswith(Naam,'J') or not (Nonactief eq true)`,
		`tolower(VestigingsAdres/Plaats) eq 'alkmaar'`,
		`Relatiesoort/any(r:r eq 'Klant') and ExtraVeldenKlant/all(e: e/Naam ne null)`,
		`Id eq guid'75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae'`,
		`ModifiedOn gt datetime'2017-07-16T23:59:59.999' and year(ModifiedOn) eq 2017`,
		`Naam eq '''t Hoekje'`,
		`Relatiecode eq -2 or Factuurkorting ge 1.5m`,
		`Regels/any(r: r/Artikel/Id eq guid'75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae')`,
		`((Naam eq 'x'`, `Naam eq`, `guid'x'`, `length(concat(Naam, Email)) lt indexof(Naam,'a')`,
		`Relatiesoort/any(r: Relatiesoort/any(s: s eq r))`,
	} {
		f.Add(s)
	}
	models := []reflect.Type{reflect.TypeFor[snelstart.Relatie](), reflect.TypeFor[snelstart.VerkoopOrder](), reflect.TypeFor[snelstart.Artikel]()}
	one, code := 1, -2
	samples := []any{
		&snelstart.Relatie{},
		&snelstart.Relatie{Naam: "Jan", Relatiecode: &code, Relatiesoort: []snelstart.Relatiesoort{"Klant"}, Email: "jan@example.nl",
			VestigingsAdres:  &snelstart.Adres{Plaats: "Alkmaar", Land: &snelstart.Ref{ID: "75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae"}},
			ExtraVeldenKlant: []snelstart.ExtraVeld{{Naam: "x"}}, Nonactief: new(bool)},
		&snelstart.VerkoopOrder{Nummer: &one, Regels: []snelstart.VerkoopOrderRegel{{Artikel: &snelstart.Ref{ID: "75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae"}}, {}}},
		&snelstart.Artikel{},
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, m := range models {
			flt, err := compileFilter(src, m)
			if err != nil {
				if _, ok := err.(*filterError); !ok {
					t.Fatalf("compileFilter(%q) returned %T, want *filterError", src, err)
				}
				continue
			}
			for _, s := range samples {
				if reflect.TypeOf(s).Elem() == m {
					flt.match(s)
				}
			}
		}
	})
}
