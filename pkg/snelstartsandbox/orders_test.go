package snelstartsandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func TestVerkoopOrderLifecycle(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	body := obj{
		"relatie": obj{"id": idJanJansen}, "datum": "2026-03-14T00:00:00",
		"omschrijving": "Webshop order 100234", "betalingskenmerk": "100234", "orderreferentie": "WS-100234",
		"memo":         "webshop:demo:100234",
		"afleveradres": obj{"contactpersoon": "J. Jansen", "straat": "Dorpsstraat 12a", "postcode": "1234 AB", "plaats": "Alkmaar", "land": land(idNL)},
		"regels": []obj{
			{"artikel": obj{"id": idTshirt}, "stuksprijs": 24.95, "aantal": 2, "kortingsPercentage": 10},
			{"artikel": obj{"id": idVerzend}, "aantal": 1},
			{"artikel": obj{"id": idKoffie}},
		},
	}
	r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, body)
	wantStatus(t, r, http.StatusCreated)
	var o snelstart.VerkoopOrder
	mustDecode(t, r.body, &o)

	// What SnelStart fills in: number, template (the first active, "Webshop", prices incl. VAT),
	// statuses, the customer's payment term, descriptions, prices and line totals.
	if *o.Nummer != 10002 || o.ModifiedOn.IsZero() || o.URI != "/verkooporders/"+string(o.ID) {
		t.Errorf("nummer %d, modifiedOn %s, uri %s", *o.Nummer, o.ModifiedOn, o.URI)
	}
	if o.Verkoopordersjabloon == nil || string(o.Verkoopordersjabloon.ID) != idWebshop || o.VerkooporderBtwIngaveModel != snelstart.BtwIngaveInclusief {
		t.Errorf("template %+v, ingave %s; want Webshop, Inclusief", o.Verkoopordersjabloon, o.VerkooporderBtwIngaveModel)
	}
	if o.ProcesStatus != snelstart.ProcesStatusOrder || o.VerkoopOrderStatus != snelstart.VerkoopOrderStatusInBehandeling || *o.Krediettermijn != 14 {
		t.Errorf("procesStatus %s, verkoopOrderStatus %s, krediettermijn %d", o.ProcesStatus, o.VerkoopOrderStatus, *o.Krediettermijn)
	}
	// 2 × 24.95 less 10 % = 44.91; shipping 4.95 (the article's price); coffee 7.49 (quantity 1).
	if o.Regels[1].Omschrijving != "Verzendkosten" || o.Regels[1].Stuksprijs.String() != "4.95" || o.Regels[2].Aantal.String() != "1" {
		t.Errorf("filled lines = %+v", o.Regels)
	}
	// 21 %: 44.91 + 4.95 = 49.86 gross → 41.21 net; 9 %: 7.49 → 6.87. incl 57.35, excl 48.08.
	if o.Regels[0].Totaal.String() != "44.91" || o.TotaalInclusiefBtw.String() != "57.35" || o.TotaalExclusiefBtw.String() != "48.08" {
		t.Errorf("totaal %s, totals %s / %s; want 44.91, 48.08 / 57.35", o.Regels[0].Totaal, o.TotaalExclusiefBtw, o.TotaalInclusiefBtw)
	}
	if r.header.Get("Location") != "/v2/verkooporders/"+string(o.ID) {
		t.Errorf("Location %q", r.header.Get("Location"))
	}

	r = e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idAnna}, "datum": "2026-03-15T00:00:00", "betalingskenmerk": "100235"})
	wantStatus(t, r, http.StatusCreated)
	var o2 snelstart.VerkoopOrder
	mustDecode(t, r.body, &o2)
	if *o2.Nummer != 10003 {
		t.Errorf("second order nummer %d, want 10003", *o2.Nummer)
	}

	var found []snelstart.VerkoopOrder
	mustDecode(t, e.get(snelstart.PathVerkoopOrders, "$filter=Betalingskenmerk eq '100234'").body, &found)
	if len(found) != 1 || found[0].ID != o.ID {
		t.Errorf("lookup by betalingskenmerk = %+v", found)
	}
	wantStatus(t, e.call(http.MethodGet, "/v2/verkooporders/"+string(o.ID), nil), http.StatusOK)

	// PUT changes only a quotation.
	refusal{codes: []string{"VOR-0015"}}.check(t, e.call(http.MethodPut, "/v2/verkooporders/"+string(o.ID), body))
	r = e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idAnna}, "datum": "2026-03-15T00:00:00", "procesStatus": "Offerte"})
	var offerte snelstart.VerkoopOrder
	mustDecode(t, r.body, &offerte)
	r = e.call(http.MethodPut, "/v2/verkooporders/"+string(offerte.ID), obj{"relatie": obj{"id": idAnna}, "datum": "2026-03-16T00:00:00",
		"procesStatus": "Offerte", "regels": []obj{{"artikel": obj{"id": idMok}, "aantal": 2}}})
	wantStatus(t, r, http.StatusOK)
	mustDecode(t, r.body, &offerte)
	if offerte.TotaalInclusiefBtw.String() != "19.90" || *offerte.Nummer != 10004 {
		t.Errorf("updated offerte: %s, nummer %d", offerte.TotaalInclusiefBtw, *offerte.Nummer)
	}

	// Invoicing, as a person does in SnelStart.
	f, err := e.sb.Admin("demo").Factureer(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	var facturen []snelstart.VerkoopFactuur
	mustDecode(t, e.get(snelstart.PathVerkoopFacturen, "$filter=VerkoopOrders/any(v: v/Id eq guid'"+string(o.ID)+"')").body, &facturen)
	if len(facturen) != 1 || facturen[0].Factuurnummer != f.Factuurnummer || facturen[0].FactuurBedrag.String() != "57.35" {
		t.Errorf("invoice of the order = %+v", facturen)
	}
	mustDecode(t, e.call(http.MethodGet, "/v2/verkooporders/"+string(o.ID), nil).body, &o)
	if o.Verkoopfactuur == nil || o.Verkoopfactuur.ID != f.ID || o.ProcesStatus != snelstart.ProcesStatusFactuur {
		t.Errorf("invoiced order: %+v, %s", o.Verkoopfactuur, o.ProcesStatus)
	}

	// DELETE answers 201 with an empty object.
	r = e.call(http.MethodDelete, "/v2/verkooporders/"+string(o2.ID), nil)
	if r.status != http.StatusCreated || string(r.body) != "{}" {
		t.Errorf("DELETE: %d %s, want 201 {}", r.status, r.body)
	}
	refusal{status: 404, codes: []string{"VOR-0001"}}.check(t, e.call(http.MethodGet, "/v2/verkooporders/"+string(o2.ID), nil))
	refusal{status: 404, codes: []string{"VOR-0001"}}.check(t, e.call(http.MethodDelete, "/v2/verkooporders/"+string(o2.ID), nil))
	if n := len(e.sb.Admin("demo").VerkoopOrders()); n != 3 {
		t.Errorf("%d orders, want 3", n)
	}
	r = e.callInvalid(http.MethodGet, "/v2/verkooporders/not-a-guid", nil, "id is not a uuid")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "No HTTP resource was found") {
		t.Errorf("malformed id: %d %s", r.status, r.body)
	}
}

// TestPriceAgreements checks the prijsafspraak of GET /artikelen?relatieId=
// (snelstart-api.md §7.3) and GET /prijsafspraken.
func TestPriceAgreements(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	artikel := func(id, query string) snelstart.Artikel {
		t.Helper()
		r := e.call(http.MethodGet, "/v2/artikelen/"+id+query, nil)
		wantStatus(t, r, http.StatusOK)
		var a snelstart.Artikel
		mustDecode(t, r.body, &a)
		return a
	}
	tests := map[string]struct {
		artikel, query               string
		verkoopprijs, korting, soort string
	}{
		// Jansen B.V.: 10 % on coffee: 7.49 × 0.9 = 6.741 → 6.74.
		"korting":               {idKoffie, "?relatieId=" + idJansenBV + "&aantal=1", "6.74", "10", "AfspraakPerArtikelklant"},
		"staffel, first tier":   {idBoek, "?relatieId=" + idJansenBV + "&aantal=9", "18.99", "5", "AfspraakPerArtikelklant"},   // 19.99 × 0.95 = 18.9905
		"staffel, second tier":  {idBoek, "?relatieId=" + idJansenBV + "&aantal=10", "16.99", "15", "AfspraakPerArtikelklant"}, // 19.99 × 0.85 = 16.9915
		"fixed price in period": {idTshirt, "?relatieId=" + idAnna, "19.95", "0", "AfspraakPerArtikelklant"},
		"no agreement":          {idTshirt, "?relatieId=" + idJansenBV, "24.95", "0", "NormaleVerkoopprijs"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a := artikel(tt.artikel, tt.query)
			pa := a.Prijsafspraak
			if pa == nil {
				t.Fatal("no prijsafspraak")
			}
			if pa.Verkoopprijs.String() != tt.verkoopprijs || pa.Korting.String() != tt.korting || string(pa.PrijsBepalingSoort) != tt.soort {
				t.Errorf("prijsafspraak = verkoopprijs %s, korting %s, %s; want %s, %s, %s", pa.Verkoopprijs, pa.Korting, pa.PrijsBepalingSoort, tt.verkoopprijs, tt.korting, tt.soort)
			}
			if pa.Basisprijs.String() != a.Verkoopprijs.String() || pa.Relatie == nil || pa.Artikel == nil {
				t.Errorf("prijsafspraak = %+v", pa)
			}
		})
	}
	if a := artikel(idKoffie, ""); a.Prijsafspraak != nil {
		t.Errorf("prijsafspraak without relatieId: %+v", a.Prijsafspraak)
	}
	var list []snelstart.Artikel
	mustDecode(t, e.get(snelstart.PathArtikelen, "$filter=Artikelcode eq 'KOFFIE-1KG'&relatieId="+idJansenBV+"&aantal=2").body, &list)
	if len(list) != 1 || list[0].Prijsafspraak == nil || list[0].Prijsafspraak.Verkoopprijs.String() != "6.74" {
		t.Errorf("list with relatieId = %+v", list)
	}
	refusal{status: 404, codes: []string{"ART-0014"}}.check(t, e.call(http.MethodGet, "/v2/artikelen/"+idKoffie+"?relatieId=5e000000-0000-4000-8000-0000000000ee", nil))

	// The agreement for Anna holds during 2026 only.
	e.clock.advance(365 * 24 * time.Hour)
	e.login()
	if a := artikel(idTshirt, "?relatieId="+idAnna); a.Prijsafspraak.Verkoopprijs.String() != "24.95" {
		t.Errorf("after the period: %s, want the normal 24.95", a.Prijsafspraak.Verkoopprijs)
	}

	// GET /prijsafspraken asks by filter; Artikel/Id is required.
	var pas []snelstart.Prijsafspraak
	r := e.get(snelstart.PathPrijsafspraken, "$filter=Artikel/Id eq guid'"+idBoek+"' and Relatie/Id eq guid'"+idJansenBV+"' and Aantal eq 12 and Datum eq datetime'2026-06-01'")
	wantStatus(t, r, http.StatusOK)
	mustDecode(t, r.body, &pas)
	if len(pas) != 1 || pas[0].Verkoopprijs.String() != "16.99" || pas[0].Aantal.String() != "12" {
		t.Errorf("prijsafspraken = %s", r.body)
	}
	mustDecode(t, e.get(snelstart.PathPrijsafspraken, "$filter=Artikel/Id eq guid'"+idTshirt+"' and Datum eq datetime'2026-06-01T00:00:00'").body, &pas)
	if len(pas) != 1 || string(pas[0].Relatie.ID) != idAnna {
		t.Errorf("agreements on the T-shirt = %+v", pas)
	}
	for filter, code := range map[string]string{
		"Relatie/Id eq guid'" + idJansenBV + "'":                   "ALG-0104",
		"Artikel/Id eq guid'" + idBoek + "' or Aantal eq 2":        "ALG-0104",
		"Artikel/Id eq guid'4d000000-0000-4000-8000-0000000000ff'": "ART-0001",
	} {
		r := e.get(snelstart.PathPrijsafspraken, "$filter="+filter)
		if se := r.err(); r.status < 400 || !se.HasCode(code) {
			t.Errorf("$filter=%s: %d %s, want %s", filter, r.status, r.body, code)
		}
	}

	// An order line without stuksprijs gets the customer's price, in the order's entry mode.
	r = e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idJansenBV}, "datum": "2026-03-14T00:00:00",
		"verkooporderBtwIngaveModel": "Exclusief", "regels": []obj{{"artikel": obj{"id": idKoffie}, "aantal": 2}}})
	var o snelstart.VerkoopOrder
	mustDecode(t, r.body, &o)
	// 6.74 incl. 9 % (the article file holds prices incl. VAT) → 6.74 / 1.09 = 6.1835 → 6.18 excl.
	if o.Regels[0].Stuksprijs.String() != "6.18" {
		t.Errorf("default stuksprijs = %s, want 6.18", o.Regels[0].Stuksprijs)
	}
}
