package snelstartsandbox_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func relatiecodes(t *testing.T, r response) []int {
	t.Helper()
	var rels []snelstart.Relatie
	mustDecode(t, r.body, &rels)
	codes := []int{}
	for _, rel := range rels {
		codes = append(codes, *rel.Relatiecode)
	}
	return codes
}

// TestRelatiesFilter runs $filter on the default seed's relaties, whose
// codes are 0 (Eigen), -1, -2, then 1 to 9; the test adds 10, "'t Hoekje".
func TestRelatiesFilter(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.clock.advance(time.Hour)
	wantStatus(t, e.call(http.MethodPost, snelstart.PathRelaties, map[string]any{
		"relatiesoort": []string{"Klant"}, "naam": "'t Hoekje", "email": "info@hoekje.example"}), http.StatusCreated)

	tests := map[string]struct {
		filter string
		want   []int
	}{
		"email eq":                  {`Email eq 'jan.jansen@example.nl'`, []int{3, 5}},
		"substringof eq true":       {`substringof('jan.jansen@example.nl', Email) eq true`, []int{3, 4, 5}},
		"substringof bare":          {`substringof('jan.jansen@example.nl',Email)`, []int{3, 4, 5}},
		"startswith":                {`startswith(Naam,'Jansen') eq true`, []int{1, 2}},
		"endswith":                  {`endswith(Email,'.example')`, []int{6, 7, 8, 9, 10}},
		"tolower":                   {`tolower(Naam) eq 'jan jansen'`, []int{3, 5}},
		"toupper":                   {`toupper(VestigingsAdres/Plaats) eq 'ALKMAAR'`, []int{2, 3, 4}},
		"length":                    {`length(Naam) eq 9`, []int{2, 4, 10}},
		"indexof":                   {`indexof(Naam,'Jansen') eq 0`, []int{1, 2}},
		"number eq":                 {`Relatiecode eq 2`, []int{2}},
		"klanten with code above 0": {`Relatiecode gt 0 and Relatiesoort/any(r:r eq 'Klant')`, []int{1, 2, 3, 4, 5, 6, 7, 8, 10}},
		"any with spaces":           {`Relatiesoort/any(x: x eq 'Eigen')`, []int{0}},
		"any without predicate":     {`Relatiesoort/any() and Relatiecode lt 0`, []int{-1, -2}},
		"all":                       {`Relatiesoort/all(r: r eq 'Leverancier')`, []int{-1, 9}},
		"or and parentheses":        {`(Relatiecode ge 7 or Relatiecode lt -1) and Relatiecode ne 10`, []int{-2, 7, 8, 9}},
		"not":                       {`not (Relatiecode gt 0)`, []int{0, -1, -2}},
		"nested path":               {`VestigingsAdres/Plaats eq 'Alkmaar'`, []int{2, 3, 4}},
		"nested guid ne":            {`VestigingsAdres/Land/Id ne guid'1a000000-0000-4000-8000-000000000001' and Relatiecode gt 0`, []int{7, 8, 10}},
		"guid in upper case":        {`Id eq guid'5E000000-0000-4000-8000-000000000006'`, []int{6}},
		"datetime":                  {`ModifiedOn gt datetime'2026-03-14T11:30:00'`, []int{10}},
		"datetime date only":        {`ModifiedOn lt datetime'2026-03-15'`, []int{0, -1, -2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		"year":                      {`year(ModifiedOn) eq 2025`, []int{}},
		"enum as string":            {`IncassoSoort eq 'Geen'`, []int{1}},
		"ne null":                   {`IncassoSoort ne null`, []int{1}},
		"eq null":                   {`BtwNummer eq null and Relatiecode gt 0`, []int{2, 3, 4, 5, 6, 9, 10}},
		"bool":                      {`Nonactief eq true`, []int{5}},
		"quote escaping":            {`Naam eq '''t Hoekje'`, []int{10}},
		"custom field lambda":       {`ExtraVeldenKlant/any(e: e/Waarde eq '5299' and e/Naam eq 'lidmaatschapnummer')`, []int{1}},
		"outer property in lambda":  {`Relatiesoort/any(r: r eq 'Klant' and Relatiecode eq 4)`, []int{4}},
		"no match":                  {`Email eq 'nobody@example.nl'`, []int{}},
		"decimal literal":           {`Factuurkorting gt 0.5m or Relatiecode eq 1.0`, []int{1}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := e.get(snelstart.PathRelaties, "$filter="+tt.filter)
			wantStatus(t, r, http.StatusOK)
			if got := relatiecodes(t, r); !slices.Equal(got, tt.want) {
				t.Errorf("$filter=%s: relatiecodes %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

// TestFilterRefused checks the 400s: unknown (or wrongly cased) properties
// and ill-typed expressions in ASP.NET's {"Message"} shape, syntax the
// sandbox cannot parse as ALG-0104.
func TestFilterRefused(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	const relatieModel = "SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel"
	tests := map[string]struct {
		filter string
		code   string // "" means the {"Message"} shape
		msg    string // substring
	}{
		"lower-case property":   {`naam eq 'Jansen B.V.'`, "", "Could not find a property named 'naam' on type '" + relatieModel + "'."},
		"lower-case nested":     {`VestigingsAdres/plaats eq 'Alkmaar'`, "", "Could not find a property named 'plaats' on type 'SnelStart.B2B.Api.V2.Models.Relaties.AdresModel'."},
		"unknown property":      {`Nonsense eq 'x'`, "", "Could not find a property named 'Nonsense'"},
		"uri is not filterable": {`Uri eq '/relaties/x'`, "", "Could not find a property named 'Uri'"},
		"int vs string":         {`Relatiecode eq '2'`, "", "Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'Equal'"},
		"guid vs string":        {`Id eq '5e000000-0000-4000-8000-000000000006'`, "", "'Edm.Guid' and 'Edm.String'"},
		"not boolean":           {`Naam`, "", "must evaluate to a single boolean value"},
		"and of strings":        {`Naam and Email`, "", "operator kind 'And'"},
		"unknown function":      {`contains(Naam,'x')`, "", "Unknown function 'contains'."},
		"function case":         {`StartsWith(Naam,'J') eq true`, "", "Unknown function 'StartsWith'."},
		"wrong arguments":       {`startswith(Relatiecode,'J')`, "", "No function signature for the function with name 'startswith'"},
		"collection property":   {`Relatiesoort/Naam eq 'x'`, "", "is not a single value"},
		"keyword case":          {`Naam Eq 'x'`, snelstart.CodeInvalidODataFilter, "unexpected 'Eq'"},
		"missing operand":       {`Naam eq`, snelstart.CodeInvalidODataFilter, "expected a value, found end of filter"},
		"unterminated string":   {`Naam eq 'x`, snelstart.CodeInvalidODataFilter, "unterminated string literal"},
		"double quotes":         {`Naam eq "x"`, snelstart.CodeInvalidODataFilter, `unexpected character '"'`},
		"unbalanced":            {`(Naam eq 'x'`, snelstart.CodeInvalidODataFilter, "expected ')'"},
		"bad guid":              {`Id eq guid'123'`, snelstart.CodeInvalidODataFilter, "unrecognized 'Edm.Guid' literal"},
		"bad datetime":          {`ModifiedOn gt datetime'14-03-2026'`, snelstart.CodeInvalidODataFilter, "unrecognized 'Edm.DateTime' literal"},
		"datetimeoffset":        {`ModifiedOn gt datetimeoffset'2026-01-01T00:00:00Z'`, snelstart.CodeInvalidODataFilter, "datetimeoffset"},
		"arithmetic":            {`Relatiecode add 1 eq 2`, snelstart.CodeInvalidODataFilter, "arithmetic operator 'add' is not supported"},
		"unsupported function":  {`substring(Naam,1) eq 'x'`, snelstart.CodeInvalidODataFilter, "'substring' is not supported"},
		"too many nodes":        {strings.Repeat("Relatiecode eq 1 or ", 30) + "Relatiecode eq 2", snelstart.CodeInvalidODataFilter, "node count limit of '100'"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := e.get(snelstart.PathRelaties, "$filter="+tt.filter)
			wantStatus(t, r, http.StatusBadRequest)
			se := r.err()
			if tt.code == "" {
				if !strings.HasPrefix(string(r.body), `{"Message":`) {
					t.Errorf("body %s, want the {\"Message\"} shape", r.body)
				}
			} else if !se.HasCode(tt.code) {
				t.Errorf("codes %v, want %s; body %s", se.Codes, tt.code, r.body)
			}
			if !strings.Contains(se.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", se.Error(), tt.msg)
			}
		})
	}
}

// TestFilterOnOtherEndpoints: the OData endpoints apply $filter; the others
// ignore it and answer the whole list (snelstart-api.md §10 item 2).
func TestFilterOnOtherEndpoints(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	count := func(r response) int {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		var items []map[string]any
		mustDecode(t, r.body, &items)
		return len(items)
	}
	tests := map[string]struct {
		path, query string
		want        int
	}{
		"landen ignore $filter":                 {snelstart.PathLanden, "$filter=Nonsense eq 'x'", 249}, // all of ISO 3166-1
		"landen ignore $top":                    {snelstart.PathLanden, "$top=1", 249},
		"artikelomzetgroepen ignore $filter":    {snelstart.PathArtikelOmzetgroepen, "$filter=Nummer eq 1", 3},
		"verkoopordersjablonen ignore $filter":  {snelstart.PathVerkoopOrderSjablonen, "$filter=Omschrijving eq 'Webshop'", 3},
		"filter without $ is no filter":         {snelstart.PathRelaties, "filter=Naam eq 'Jansen B.V.'", 12},
		"artikelcode":                           {snelstart.PathArtikelen, "$filter=Artikelcode eq '308'", 1},
		"inactive articles":                     {snelstart.PathArtikelen, "$filter=IsNonActief eq true", 1},
		"negative stock":                        {snelstart.PathArtikelen, "$filter=VrijeVoorraad lt 0", 1},
		"article custom field":                  {snelstart.PathArtikelen, "$filter=ExtraVelden/any(e:e/Waarde eq 'rood' and e/Naam eq 'kleur')", 1},
		"articles of a revenue group":           {snelstart.PathArtikelen, "$filter=ArtikelOmzetgroep/Id eq guid'" + idLaag + "'", 8},
		"order by betalingskenmerk":             {snelstart.PathVerkoopOrders, "$filter=Betalingskenmerk eq '1001'", 1},
		"no order with that betalingskenmerk":   {snelstart.PathVerkoopOrders, "$filter=Betalingskenmerk eq 'nope'", 0},
		"orders of a customer since a date":     {snelstart.PathVerkoopOrders, "$filter=Relatie/Id eq guid'" + idJansenBV + "' and Datum ge datetime'2026-01-01T00:00:00'", 1},
		"orders with an article":                {snelstart.PathVerkoopOrders, "$filter=Regels/any(r: r/Artikel/Id eq guid'" + idKoffie + "')", 1},
		"invoice by number":                     {snelstart.PathVerkoopFacturen, "$filter=Factuurnummer eq '20260001'", 1},
		"invoice of an order":                   {snelstart.PathVerkoopFacturen, "$filter=VerkoopOrders/any(o: o/Id eq guid'" + idOrder10001 + "')", 1},
		"price agreements of an article number": {"/v2/artikelen/prijsafspraken", "$filter=ArtikelCode eq '308'", 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := count(e.get(tt.path, tt.query)); got != tt.want {
				t.Errorf("GET %s?%s: %d items, want %d", tt.path, tt.query, got, tt.want)
			}
		})
	}
	r := e.get(snelstart.PathVerkoopOrders, "$filter=Nonsense eq 'x'")
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "VerkoopOrderModel") {
		t.Errorf("unknown property on verkooporders: %d %s, want 400", r.status, r.body)
	}
}

// TestPaging checks $top and $skip: a bare JSON array, pages of at most
// $top, $top at most 25 on artikelen and 500 elsewhere.
func TestPaging(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	var all []int
	for skip := 0; ; skip += 5 {
		r := e.get(snelstart.PathRelaties, "$top=5&$skip="+strconv.Itoa(skip))
		wantStatus(t, r, http.StatusOK)
		if r.body[0] != '[' {
			t.Fatalf("body is not a bare array: %s", r.body)
		}
		page := relatiecodes(t, r)
		all = append(all, page...)
		if len(page) < 5 {
			break
		}
	}
	if want := []int{0, -1, -2, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(all, want) {
		t.Errorf("paged relatiecodes %v, want %v", all, want)
	}
	if got := relatiecodes(t, e.get(snelstart.PathRelaties, "$filter=Relatiecode gt 0&$top=2&$skip=3")); !slices.Equal(got, []int{4, 5}) {
		t.Errorf("filtered page = %v, want [4 5]", got)
	}
	if got := relatiecodes(t, e.get(snelstart.PathRelaties, "$skip=100")); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}

	var arts []snelstart.Artikel
	r := e.get(snelstart.PathArtikelen, "")
	mustDecode(t, r.body, &arts)
	if len(arts) != 22 {
		t.Errorf("artikelen without $top: %d, want all 22 (under the 25 default)", len(arts))
	}
	wantStatus(t, e.get(snelstart.PathArtikelen, "$top=25"), http.StatusOK)

	for path, top := range map[string]string{snelstart.PathArtikelen: "26", snelstart.PathRelaties: "501", snelstart.PathVerkoopOrders: "501"} {
		req := e.request(http.MethodGet, path+odataQuery("$top="+top), nil)
		req.Header.Set(headerInvalid, "$top above the spec's maximum")
		r := e.send(req)
		limit := "500"
		if path == snelstart.PathArtikelen {
			limit = "25"
		}
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "The limit of '"+limit+"' for Top query has been exceeded. The value from the incoming request is '"+top+"'.") {
			t.Errorf("GET %s?$top=%s: %d %s", path, top, r.status, r.body)
		}
	}
	r = e.get(snelstart.PathRelaties, "$expand=VestigingsAdres")
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "'Expand' is not allowed") {
		t.Errorf("$expand: %d %s", r.status, r.body)
	}
}

func TestSelect(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	r := e.get(snelstart.PathRelaties, "$filter=Relatiecode eq 1&$select=Id,Naam")
	wantStatus(t, r, http.StatusOK)
	if want := `[{"id":"` + idJansenBV + `","naam":"Jansen B.V."}]`; string(r.body) != want {
		t.Errorf("$select: %s, want %s", r.body, want)
	}
	r = e.get(snelstart.PathRelaties, "$select=naam")
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Could not find a property named 'naam'") {
		t.Errorf("$select=naam: %d %s", r.status, r.body)
	}
}
