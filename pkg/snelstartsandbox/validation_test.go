package snelstartsandbox_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// A refusal is an expected 400 (or 404): either SnelStart error codes in
// the array shape, or the model-binding shape with modelState keys.
type refusal struct {
	status     int      // 0 means 400
	codes      []string // the array shape: exactly these codes
	modelState []string // the modelState shape: these keys
	invalid    string   // the request breaks the spec on purpose (see headerInvalid)
}

func (want refusal) check(t *testing.T, r response) {
	t.Helper()
	status := want.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	se := r.err()
	if want.codes != nil {
		if r.body[0] != '[' || !slices.Equal(se.Codes, want.codes) {
			t.Errorf("codes %v, want %v; body %s", se.Codes, want.codes, r.body)
		}
		for _, m := range se.Messages {
			if m == "" {
				t.Errorf("a problem without message: %s", r.body)
			}
		}
	}
	if want.modelState != nil {
		if !strings.Contains(string(r.body), `"message":"The request is invalid."`) {
			t.Errorf("body %s, want the model-binding shape", r.body)
		}
		for _, k := range want.modelState {
			if _, ok := se.Fields[k]; !ok {
				t.Errorf("modelState has no %q: %v", k, se.Fields)
			}
		}
	}
}

func (e *env) callInvalid(method, path string, body any, invalid string) response {
	e.t.Helper()
	req := e.request(method, path, body)
	if invalid != "" {
		req.Header.Set(headerInvalid, invalid)
	}
	return e.send(req)
}

type obj = map[string]any

func land(id string) obj { return obj{"id": id} }

func TestRelatieValidation(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	base := func(extra obj) obj {
		b := obj{"relatiesoort": []string{"Klant"}, "naam": "Nieuwe Klant"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	long := strings.Repeat("x", 51)
	adres := func(extra obj) obj {
		a := obj{"straat": "Dorpsstraat 1", "postcode": "1234 AB", "plaats": "Alkmaar", "land": land(idNL)}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	tests := map[string]struct {
		body any
		want refusal
	}{
		"id on POST":                 {base(obj{"id": "5e000000-0000-4000-8000-0000000000aa"}), refusal{codes: []string{"REL-0063"}}},
		"no relatiesoort":            {obj{"naam": "X"}, refusal{codes: []string{"REL-0001"}}},
		"eigen":                      {base(obj{"relatiesoort": []string{"Eigen"}}), refusal{codes: []string{"REL-0048"}}},
		"klant and leverancier":      {base(obj{"relatiesoort": []string{"Klant", "Leverancier"}}), refusal{codes: []string{"REL-0065"}}},
		"no naam":                    {obj{"relatiesoort": []string{"Klant"}}, refusal{codes: []string{"REL-0007"}}},
		"naam too long":              {base(obj{"naam": long}), refusal{modelState: []string{"model.naam"}, invalid: "naam maxLength 50"}},
		"relatiecode in use":         {base(obj{"relatiecode": 1}), refusal{codes: []string{"REL-0008"}}},
		"telefoon too long":          {base(obj{"telefoon": strings.Repeat("0", 26), "mobieleTelefoon": strings.Repeat("6", 26)}), refusal{codes: []string{"REL-0012", "REL-0013"}}},
		"vestigingsadres too long":   {base(obj{"vestigingsAdres": adres(obj{"straat": long, "plaats": long, "contactpersoon": long, "postcode": long[:26]})}), refusal{codes: []string{"REL-0020", "REL-0021", "REL-0022", "REL-0023"}}},
		"correspondentie too long":   {base(obj{"correspondentieAdres": obj{"straat": long, "postcode": long[:26]}}), refusal{codes: []string{"REL-0025", "REL-0028"}}},
		"vestigingsadres partial":    {base(obj{"vestigingsAdres": obj{"straat": "Dorpsstraat 1"}}), refusal{codes: []string{"REL-0060"}}},
		"vestigingsadres bad land":   {base(obj{"vestigingsAdres": adres(obj{"land": land("1a000000-0000-4000-8000-0000000000ff")})}), refusal{codes: []string{"REL-0056"}}},
		"correspondentie bad land":   {base(obj{"correspondentieAdres": obj{"land": land("1a000000-0000-4000-8000-0000000000ff")}}), refusal{codes: []string{"REL-0055"}}},
		"email invalid":              {base(obj{"email": "jan@"}), refusal{codes: []string{"REL-0061"}}},
		"emails with comma":          {base(obj{"email": "a@x.nl,b@x.nl"}), refusal{codes: []string{"REL-0084"}}},
		"email too long":             {base(obj{"email": strings.Repeat("a", 250) + "@x.nl"}), refusal{codes: []string{"REL-0085"}}},
		"btwnummer not alphanumeric": {base(obj{"btwNummer": "NL-123"}), refusal{codes: []string{"REL-0057"}}},
		"btwnummer other country":    {base(obj{"btwNummer": "BE0123456749", "vestigingsAdres": adres(nil)}), refusal{codes: []string{"REL-0087"}}},
		"btwnummer not valid":        {base(obj{"btwNummer": "NL12345678B01"}), refusal{codes: []string{"REL-0088"}}},
		"kvknummer invalid":          {base(obj{"kvkNummer": "12-34"}), refusal{codes: []string{"REL-0006"}}},
		"oin invalid":                {base(obj{"oin": "123"}), refusal{codes: []string{"REL-0086"}}},
		"factuurrelatie unknown":     {base(obj{"factuurRelatie": obj{"id": "5e000000-0000-4000-8000-0000000000ee"}}), refusal{codes: []string{"REL-0005"}}},
		"several at once":            {obj{"relatiesoort": []string{"Klant"}, "email": "x", "oin": "1"}, refusal{codes: []string{"REL-0007", "REL-0061", "REL-0086"}}},
		"wrong json type":            {`{"relatiesoort":["Klant"],"naam":12}`, refusal{codes: []string{"REL-0066"}, invalid: "naam is a number"}},
		"malformed json":             {`{"naam":`, refusal{codes: []string{"REL-0066"}, invalid: "not JSON"}},
		"malformed land id":          {base(obj{"vestigingsAdres": adres(obj{"land": land("NL")})}), refusal{codes: []string{"REL-0066"}, invalid: "land id is not a uuid"}},
		"empty body":                 {"", refusal{codes: []string{"ALG-0106"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.want.check(t, e.callInvalid(http.MethodPost, snelstart.PathRelaties, tt.body, tt.want.invalid))
		})
	}

	// PUT: the id in the URL rules; relatiesoort cannot change; the record is replaced.
	put := func(id string, body any) response { return e.call(http.MethodPut, "/v2/relaties/"+id, body) }
	refusal{codes: []string{"REL-0047"}}.check(t, put(idJansenBV, base(obj{"id": idAnna})))
	refusal{codes: []string{"REL-0064"}}.check(t, put(idJansenBV, base(obj{"relatiesoort": []string{"Leverancier"}})))
	refusal{status: 404, codes: []string{"REL-0005"}}.check(t, put("5e000000-0000-4000-8000-0000000000ee", base(nil)))
	r := put(idJansenBV, base(obj{"naam": "Jansen Holding B.V.", "email": "nieuw@jansen.nl"}))
	wantStatus(t, r, http.StatusOK)
	var rel snelstart.Relatie
	mustDecode(t, r.body, &rel)
	if rel.Naam != "Jansen Holding B.V." || rel.BtwNummer != "" || rel.VestigingsAdres != nil || *rel.Relatiecode != 1 {
		t.Errorf("PUT did not replace the record (keeping relatiecode): %+v", rel)
	}
	if len(rel.ExtraVeldenKlant) != 1 {
		t.Errorf("PUT dropped the read-only extraVeldenKlant: %+v", rel.ExtraVeldenKlant)
	}
	refusal{status: 404, codes: []string{"REL-0005"}}.check(t, e.call(http.MethodGet, "/v2/relaties/"+idInactief, nil))
}

func TestRelatieCreate(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	body := obj{"relatiesoort": []string{"Klant"}, "naam": "Jansen B.V.", "email": "info@jansen.nl;factuur@jansen.nl",
		"btwNummer": "NL001234567B01", "kvkNummer": "24123456", "incassoSoort": "Core",
		"vestigingsAdres": obj{"straat": "Coolsingel 1", "postcode": "3012 AA", "plaats": "Rotterdam", "land": land(idNL)}}
	r := e.call(http.MethodPost, snelstart.PathRelaties, body)
	wantStatus(t, r, http.StatusCreated)
	var rel snelstart.Relatie
	mustDecode(t, r.body, &rel)
	if *rel.Relatiecode != 10 || rel.ID == "" || rel.URI != "/relaties/"+string(rel.ID) || !*rel.Bankieren || rel.ModifiedOn.IsZero() {
		t.Errorf("created relatie = %+v", rel)
	}
	if rel.VestigingsAdres.Land.URI != "/landen/"+idNL {
		t.Errorf("land uri = %q", rel.VestigingsAdres.Land.URI)
	}
	if r.header.Get("Location") != "/v2/relaties/"+string(rel.ID) {
		t.Errorf("Location = %q", r.header.Get("Location"))
	}
	wantStatus(t, e.call(http.MethodGet, "/v2/relaties/"+string(rel.ID), nil), http.StatusOK)
	if n := len(e.sb.Admin("demo").Relaties()); n != 13 {
		t.Errorf("%d relaties, want 13", n)
	}
}

func TestArtikelValidation(t *testing.T) {
	seed := snelstartsandbox.DefaultSeed()
	numeric := seed.Administraties[0]
	numeric.ClientKey = "numeriek"
	numeric.CompanyInfo.AdministratieIdentifier = "0d0d0d0d-0000-4000-8000-000000000002"
	numeric.CompanyInfo.ArtikelcodeSoort = snelstart.ArtikelcodeSoortNumeriek
	seed.Administraties = append(seed.Administraties, numeric)
	e := newEnv(t, snelstartsandbox.Options{Seed: &seed})
	base := func(extra obj) obj {
		b := obj{"artikelcode": "NIEUW-1", "omschrijving": "Nieuw artikel", "artikelOmzetgroep": obj{"id": idHoog}, "verkoopprijs": 12.5}
		for k, v := range extra {
			b[k] = v
			if v == nil {
				delete(b, k)
			}
		}
		return b
	}
	tests := map[string]struct {
		body any
		want refusal
	}{
		"id on POST":            {base(obj{"id": idTshirt}), refusal{codes: []string{"ALG-0100"}}},
		"no artikelcode":        {base(obj{"artikelcode": ""}), refusal{codes: []string{"ART-0002"}}},
		"artikelcode too long":  {base(obj{"artikelcode": strings.Repeat("A", 21)}), refusal{codes: []string{"ART-0004"}}},
		"artikelcode exists":    {base(obj{"artikelcode": "308"}), refusal{codes: []string{"ART-0005"}}},
		"no omschrijving":       {base(obj{"omschrijving": ""}), refusal{codes: []string{"ART-0006"}}},
		"omschrijving too long": {base(obj{"omschrijving": strings.Repeat("o", 251)}), refusal{codes: []string{"ART-0007"}, invalid: "omschrijving maxLength 250"}},
		"no omzetgroep":         {base(obj{"artikelOmzetgroep": nil}), refusal{codes: []string{"ART-0008"}}},
		"unknown omzetgroep":    {base(obj{"artikelOmzetgroep": obj{"id": "2b000000-0000-4000-8000-0000000000ff"}}), refusal{codes: []string{"ART-0009"}}},
		"wrong json type":       {`{"artikelcode":"X","verkoopprijs":"duur"}`, refusal{modelState: []string{"model"}, invalid: "verkoopprijs is not a number"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.want.check(t, e.callInvalid(http.MethodPost, snelstart.PathArtikelen, tt.body, tt.want.invalid))
		})
	}
	r := e.call(http.MethodPost, snelstart.PathArtikelen, base(nil))
	wantStatus(t, r, http.StatusCreated)
	var art snelstart.Artikel
	mustDecode(t, r.body, &art)
	if art.IsHoofdartikel != nil || art.ArtikelOmzetgroep.URI != "/artikelomzetgroepen/"+idHoog || art.VrijeVoorraad.String() != "0" {
		t.Errorf("created artikel = %+v", art)
	}
	refusal{codes: []string{"ALG-0101"}}.check(t, e.call(http.MethodPut, "/v2/artikelen/"+string(art.ID), base(obj{"id": idTshirt})))
	refusal{status: 404, codes: []string{"ART-0001"}}.check(t, e.call(http.MethodPut, "/v2/artikelen/4d000000-0000-4000-8000-0000000000ff", base(nil)))
	r = e.call(http.MethodPut, "/v2/artikelen/"+idTshirt, base(obj{"artikelcode": "TSHIRT-RD-L", "verkoopprijs": 29.95}))
	wantStatus(t, r, http.StatusOK)
	mustDecode(t, r.body, &art)
	if art.Verkoopprijs.String() != "29.95" || art.VrijeVoorraad.String() != "36" {
		t.Errorf("PUT artikel = %+v (stock is read-only and kept)", art)
	}

	e.key, e.token = "numeriek", ""
	refusal{codes: []string{"ART-0003"}}.check(t, e.call(http.MethodPost, snelstart.PathArtikelen, base(nil)))
	wantStatus(t, e.call(http.MethodPost, snelstart.PathArtikelen, base(obj{"artikelcode": "4711"})), http.StatusCreated)
}

func TestVerkoopOrderValidation(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	regel := func(artikel string) obj { return obj{"artikel": obj{"id": artikel}, "stuksprijs": 10, "aantal": 1} }
	base := func(extra obj) obj {
		b := obj{"relatie": obj{"id": idJanJansen}, "datum": "2026-03-14T00:00:00", "regels": []obj{regel(idTshirt)}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	long := strings.Repeat("x", 51)
	tests := map[string]struct {
		body any
		want refusal
	}{
		"id on POST":               {base(obj{"id": "6f000000-0000-4000-8000-0000000000aa"}), refusal{codes: []string{"ALG-0100"}}},
		"nummer on POST":           {base(obj{"nummer": 42}), refusal{codes: []string{"VOR-0005"}}},
		"relatie is a leverancier": {base(obj{"relatie": obj{"id": idLeverancier}}), refusal{codes: []string{"VOR-0002"}}},
		"relatie unknown":          {base(obj{"relatie": obj{"id": "5e000000-0000-4000-8000-0000000000ee"}}), refusal{codes: []string{"REL-0005"}}},
		"relatie inactive":         {base(obj{"relatie": obj{"id": idInactief}}), refusal{codes: []string{"ALG-0105"}}},
		"afleveradres too long": {base(obj{"afleveradres": obj{"straat": long, "postcode": long[:26], "plaats": long, "contactpersoon": long}}),
			refusal{codes: []string{"VOR-0006", "VOR-0007", "VOR-0008", "VOR-0009"}}},
		"factuuradres bad land":    {base(obj{"factuuradres": obj{"land": land("1a000000-0000-4000-8000-0000000000ff")}}), refusal{codes: []string{"VOR-0010"}}},
		"orderreferentie too long": {base(obj{"orderreferentie": long}), refusal{codes: []string{"VOR-0011"}}},
		"incassomachtiging":        {base(obj{"incassomachtiging": obj{"id": "8a000000-0000-4000-8000-000000000001"}}), refusal{codes: []string{"VOR-0013"}}},
		"unknown artikel":          {base(obj{"regels": []obj{regel(idTshirt), regel("4d000000-0000-4000-8000-0000000000ff")}}), refusal{codes: []string{"ART-0001"}}},
		"inactive artikel":         {base(obj{"regels": []obj{regel(idOud)}}), refusal{codes: []string{"ALG-0105"}}},
		"inactive template":        {base(obj{"verkoopordersjabloon": obj{"id": idOudSjabloon}}), refusal{codes: []string{"ALG-0105"}}},
		"unknown template":         {base(obj{"verkoopordersjabloon": obj{"id": "3c000000-0000-4000-8000-0000000000ff"}}), refusal{codes: []string{"ALG-0103"}}},
		"several at once":          {base(obj{"nummer": 1, "relatie": obj{"id": idLeverancier}, "orderreferentie": long}), refusal{codes: []string{"VOR-0005", "VOR-0002", "VOR-0011"}}},
		"no relatie or datum":      {obj{"omschrijving": "x"}, refusal{modelState: []string{"model.relatie", "model.datum"}, invalid: "relatie and datum are required"}},
		"krediettermijn above 100": {base(obj{"krediettermijn": 101}), refusal{modelState: []string{"model.krediettermijn"}, invalid: "krediettermijn maximum 100"}},
		"procesStatus Factuur":     {base(obj{"procesStatus": "Factuur"}), refusal{modelState: []string{"model.procesStatus"}}},
		"omschrijving above 50":    {base(obj{"omschrijving": long}), refusal{modelState: []string{"model.omschrijving"}}},
		"regel omschrijving above 250": {base(obj{"regels": []obj{{"artikel": obj{"id": idTshirt}, "omschrijving": strings.Repeat("r", 251)}}}),
			refusal{modelState: []string{"model.regels[0].omschrijving"}, invalid: "omschrijving maxLength 250"}},
		"priced line without artikel": {base(obj{"regels": []obj{{"omschrijving": "Los bedrag", "stuksprijs": 5}}}), refusal{modelState: []string{"model.regels[0].artikel"}}},
		"datum with a zone":           {base(obj{"datum": "2026-03-14T00:00:00Z"}), refusal{modelState: []string{"model"}, invalid: "datum with a zone"}},
		"aantal not a number":         {`{"relatie":{"id":"` + idJanJansen + `"},"datum":"2026-03-14T00:00:00","regels":[{"aantal":"twee"}]}`, refusal{modelState: []string{"model"}, invalid: "aantal is text"}},
		"malformed guid":              {base(obj{"relatie": obj{"id": "jan"}}), refusal{modelState: []string{"model.relatie.id"}, invalid: "id is not a uuid"}},
		"empty body":                  {"  ", refusal{codes: []string{"ALG-0106"}, invalid: "no body"}},
		"null body":                   {"null", refusal{codes: []string{"ALG-0106"}, invalid: "null body"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tt.want.check(t, e.callInvalid(http.MethodPost, snelstart.PathVerkoopOrders, tt.body, tt.want.invalid))
		})
	}
	if n := len(e.sb.Admin("demo").VerkoopOrders()); n != 1 {
		t.Errorf("%d orders after refused POSTs, want the 1 seeded", n)
	}
}
