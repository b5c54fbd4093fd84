package snelstart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/spectest"
)

// An exception is a JSON name of a Go struct that the spec's schema lacks,
// with the reason and, if the field is an object, the schema it follows.
type exception struct {
	why    string
	schema string // under spectest.SchemaPrefix; "" if not an object
}

// models pairs each model type with the spec schema(s) it must match. The
// exceptions are the only JSON names allowed that the schema lacks: this is
// the "never invent a field" guard.
var models = []struct {
	value  any
	schema string // under spectest.SchemaPrefix
	except map[string]exception
}{
	{snelstart.VerkoopOrder{}, "Verkooporders.VerkoopOrderModel", nil},
	{snelstart.VerkoopOrderSjabloon{}, "Verkoopordersjablonen.VerkoopOrderSjabloonModel", nil},
	{snelstart.VerkoopFactuur{}, "Verkoopfacturen.VerkoopfactuurModel", nil},
	{snelstart.Relatie{}, "Relaties.RelatieModel", nil},
	{snelstart.Relatie{}, "Relaties.RelatieWriteModel", map[string]exception{
		"fax": {why: "RelatieModel only; empty when writing"},
	}},
	{snelstart.Artikel{}, "Artikelen.ArtikelQueryModel", map[string]exception{
		"prijsafspraak": {why: "snelstart-api.md §7.3: returned with relatieId, omitted by the spec", schema: "Prijsafspraken.PrijsafspraakModel"},
	}},
	{snelstart.Artikel{}, "Artikelen.ArtikelModel", map[string]exception{
		"prijsafspraak":  {why: "snelstart-api.md §7.3", schema: "Prijsafspraken.PrijsafspraakModel"},
		"isHoofdartikel": {why: "ArtikelQueryModel only (read-only)"},
		"subartikelen":   {why: "ArtikelQueryModel only", schema: "Artikelen.SubartikelModel"},
	}},
	{snelstart.ArtikelOmzetgroep{}, "Artikelen.ArtikelOmzetGroepModel", nil},
	{snelstart.Prijsafspraak{}, "Prijsafspraken.PrijsafspraakModel", nil},
	{snelstart.Land{}, "Landen.LandModel", nil},
	{snelstart.CompanyInfo{}, "CompanyInfo.CompanyInfoModel", nil},
	{snelstart.BtwTarief{}, "BtwTarieven.BtwTariefModel", nil},
	{snelstart.VatRates{}, "VatRates.VatRatesModel", nil},
	{snelstart.VatRate{}, "VatRates.VatRateModel", nil},
	{snelstart.Kostenplaats{}, "Kostenplaatsen.KostenplaatsModel", nil},
}

// enums lists the constants of each enumeration type, to compare with the
// spec's enum. An enumeration whose schema has no enum must be in
// enumsWithoutSpecEnum.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[snelstart.ProcesStatus](): strs(snelstart.ProcesStatusOrder, snelstart.ProcesStatusOfferte, snelstart.ProcesStatusBevestiging,
		snelstart.ProcesStatusWerkbon, snelstart.ProcesStatusPakbon, snelstart.ProcesStatusAfhaalbon, snelstart.ProcesStatusContantbon, snelstart.ProcesStatusFactuur),
	reflect.TypeFor[snelstart.VerkoopOrderStatus](): strs(snelstart.VerkoopOrderStatusInBehandeling, snelstart.VerkoopOrderStatusUitgevoerd, snelstart.VerkoopOrderStatusService),
	reflect.TypeFor[snelstart.BtwIngave]():          strs(snelstart.BtwIngaveInclusief, snelstart.BtwIngaveExclusief),
	reflect.TypeFor[snelstart.SoortVeld](): strs(snelstart.SoortVeldGeheelGetal, snelstart.SoortVeldBedrag, snelstart.SoortVeldDatum, snelstart.SoortVeldTekst,
		snelstart.SoortVeldKlant, snelstart.SoortVeldLeverancier, snelstart.SoortVeldArtikel, snelstart.SoortVeldArtikelgroep, snelstart.SoortVeldLand,
		snelstart.SoortVeldFactuur, snelstart.SoortVeldGrootboekrekening),
	reflect.TypeFor[snelstart.Aanmaningsoort](): strs(snelstart.AanmaningsoortNee, snelstart.AanmaningsoortOnderneming, snelstart.AanmaningsoortConsument),
	reflect.TypeFor[snelstart.IncassoSoort]():   strs(snelstart.IncassoSoortGeen, snelstart.IncassoSoortCore, snelstart.IncassoSoortB2B),
	reflect.TypeFor[snelstart.BtwSoort]():       strs(snelstart.BtwSoortGeen, snelstart.BtwSoortLaag, snelstart.BtwSoortHoog, snelstart.BtwSoortOverig),
	reflect.TypeFor[snelstart.PrijsBepalingSoort](): strs(snelstart.PrijsBepalingSoortNormaleVerkoopprijs, snelstart.PrijsBepalingSoortActieprijzenPerArtikel,
		snelstart.PrijsBepalingSoortActieprijzenPerArtikelkortingsgroep, snelstart.PrijsBepalingSoortAfspraakPerArtikelklant,
		snelstart.PrijsBepalingSoortAfspraakPerArtikelPerKlantkortingsgroep, snelstart.PrijsBepalingSoortAfspraakPerKlantPerArtikelkortingsgroep,
		snelstart.PrijsBepalingSoortAfspraakPerArtikelkortingsgroepPerKlantkortingsgroep),
	reflect.TypeFor[snelstart.RegelkortingVerkooporder](): strs(snelstart.RegelkortingBerekenenOverRegelBedrag, snelstart.RegelkortingBerekenenOverStukprijs),
	reflect.TypeFor[snelstart.ArtikelcodeSoort]():         strs(snelstart.ArtikelcodeSoortNumeriek, snelstart.ArtikelcodeSoortAlfanumeriek),
}

// enumsWithoutSpecEnum are enumeration types whose schema is a plain string.
var enumsWithoutSpecEnum = map[reflect.Type]string{
	// The spec types relatiesoort items as string and lists Klant and
	// Leverancier in the description; Eigen is from snelstart-api.md §6.1.
	reflect.TypeFor[snelstart.Relatiesoort](): "Klant, Leverancier, Eigen",
}

func strs[S ~string](vs ...S) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

var (
	typeDecimal   = reflect.TypeFor[snelstart.Decimal]()
	typeLocalTime = reflect.TypeFor[snelstart.LocalTime]()
	typeID        = reflect.TypeFor[snelstart.ID]()
)

// TestModelsMatchSpec checks, for every model and everything it contains,
// that each JSON name exists in the spec's schema (or is a listed
// exception), that each schema property has a field, and that the Go type
// fits the schema's type, format and enum.
func TestModelsMatchSpec(t *testing.T) {
	doc := spectest.LoadRaw(t)
	for _, m := range models {
		t.Run(m.schema, func(t *testing.T) {
			s := schema(t, doc, m.schema)
			c := &checker{t: t, doc: doc}
			c.object(reflect.TypeOf(m.value), s, shortName(m.schema), m.except)
			if c.fields == 0 {
				t.Error("no field checked")
			}
		})
	}
}

func schema(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref := doc.Components.Schemas[spectest.SchemaPrefix+name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("no schema %s in the spec", name)
	}
	return ref.Value
}

func shortName(name string) string { return name[strings.LastIndex(name, ".")+1:] }

type checker struct {
	t      *testing.T
	doc    *openapi3.T
	fields int
}

func (c *checker) object(typ reflect.Type, s *openapi3.Schema, path string, except map[string]exception) {
	if typ.Kind() != reflect.Struct {
		c.t.Errorf("%s: Go type %s is not a struct but the schema is an object", path, typ)
		return
	}
	if !s.Type.Is(openapi3.TypeObject) {
		c.t.Errorf("%s: Go type %s is a struct but the schema type is %v", path, typ, s.Type)
	}
	seen := map[string]bool{}
	for f := range reflectFields(typ) {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			c.t.Errorf("%s: field %s.%s has no JSON name", path, typ.Name(), f.Name)
			continue
		}
		if !strings.Contains(opts, "omit") && name != "factuurnummer" {
			c.t.Errorf("%s.%s: field %s.%s is neither omitempty nor omitzero, so a request would always carry it", path, name, typ.Name(), f.Name)
		}
		seen[name] = true
		c.fields++
		prop := s.Properties[name]
		if prop == nil {
			ex, ok := except[name]
			switch {
			case !ok:
				c.t.Errorf("%s: JSON name %q of %s.%s is not in the spec's schema: invented field?", path, name, typ.Name(), f.Name)
			case ex.schema != "": // the schema of the object, or of the array's items
				ft := f.Type
				for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
					ft = ft.Elem()
				}
				c.object(ft, schema(c.t, c.doc, ex.schema), path+"."+name, nil)
			}
			continue
		}
		if _, ok := except[name]; ok {
			c.t.Errorf("%s: %q is listed as an exception but the schema has it: drop the exception", path, name)
		}
		c.value(f.Type, prop.Value, path+"."+name)
	}
	for name := range s.Properties {
		if !seen[name] {
			c.t.Errorf("%s: schema property %q has no field in %s: it would be lost in a round trip", path, name, typ)
		}
	}
}

func reflectFields(typ reflect.Type) func(func(reflect.StructField) bool) {
	return func(yield func(reflect.StructField) bool) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.IsExported() && !yield(f) {
				return
			}
		}
	}
}

func (c *checker) value(typ reflect.Type, s *openapi3.Schema, path string) {
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch {
	case typ == typeDecimal:
		c.want(s, openapi3.TypeNumber, path, typ)
	case typ == typeLocalTime:
		c.want(s, openapi3.TypeString, path, typ)
		if s.Format != "date-time" {
			c.t.Errorf("%s: LocalTime for a string of format %q", path, s.Format)
		}
	case typ == typeID:
		c.want(s, openapi3.TypeString, path, typ)
		if s.Format != "uuid" {
			c.t.Errorf("%s: ID for a string of format %q", path, s.Format)
		}
	case typ.Kind() == reflect.String:
		c.want(s, openapi3.TypeString, path, typ)
		if s.Format == "uuid" || s.Format == "date-time" {
			c.t.Errorf("%s: plain %s for a string of format %q", path, typ, s.Format)
		}
		c.enum(typ, s, path)
	case typ.Kind() == reflect.Int || typ.Kind() == reflect.Int64:
		c.want(s, openapi3.TypeInteger, path, typ)
	case typ.Kind() == reflect.Bool:
		c.want(s, openapi3.TypeBoolean, path, typ)
	case typ.Kind() == reflect.Slice:
		c.want(s, openapi3.TypeArray, path, typ)
		if s.Items != nil {
			c.value(typ.Elem(), s.Items.Value, path+"[]")
		}
	case typ.Kind() == reflect.Struct:
		c.object(typ, s, path, nil)
	default:
		c.t.Errorf("%s: unexpected Go type %s", path, typ)
	}
}

func (c *checker) want(s *openapi3.Schema, typ string, path string, goType reflect.Type) {
	if !s.Type.Is(typ) {
		c.t.Errorf("%s: Go type %s for schema type %v, want %s", path, goType, s.Type, typ)
	}
}

func (c *checker) enum(typ reflect.Type, s *openapi3.Schema, path string) {
	if typ.PkgPath() == "" { // plain string: any value fits
		return
	}
	consts, isEnum := enums[typ]
	if len(s.Enum) == 0 {
		if _, ok := enumsWithoutSpecEnum[typ]; !ok && isEnum {
			c.t.Errorf("%s: %s has constants but the schema has no enum", path, typ)
		}
		return
	}
	if !isEnum {
		c.t.Errorf("%s: schema has enum %v but %s is not in the test's enums", path, s.Enum, typ)
		return
	}
	var spec []string
	for _, v := range s.Enum {
		spec = append(spec, fmt.Sprint(v))
	}
	if !slices.Equal(sorted(spec), sorted(consts)) {
		c.t.Errorf("%s: %s constants %v, spec enum %v", path, typ, consts, spec)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestRoundTripSpecExamples decodes the spec's own example of each
// operation into the Go model and encodes it again, and checks that every
// field and every digit survives. The examples use placeholders: "string"
// for dates and 0 for numbers; dates become "2024-05-01T13:45:30.1234567" and
// numbers 12.3450 before the round trip. The re-encoded response is also
// validated against the spec.
func TestRoundTripSpecExamples(t *testing.T) {
	doc := spectest.LoadRaw(t)
	spec := spectest.Load(t)
	tests := []struct {
		method, path, part string // part: "request" or a status
		model              func() any
	}{
		{"POST", "/verkooporders", "request", func() any { return new(snelstart.VerkoopOrder) }},
		{"POST", "/verkooporders", "201", func() any { return new(snelstart.VerkoopOrder) }},
		{"GET", "/verkooporders", "200", func() any { return new([]snelstart.VerkoopOrder) }},
		{"GET", "/verkooporders/{id}", "200", func() any { return new(snelstart.VerkoopOrder) }},
		{"GET", "/verkoopordersjablonen", "200", func() any { return new([]snelstart.VerkoopOrderSjabloon) }},
		{"GET", "/verkoopordersjablonen/{id}", "200", func() any { return new(snelstart.VerkoopOrderSjabloon) }},
		{"GET", "/verkoopfacturen", "200", func() any { return new([]snelstart.VerkoopFactuur) }},
		{"GET", "/verkoopfacturen/{id}", "200", func() any { return new(snelstart.VerkoopFactuur) }},
		{"GET", "/relaties", "200", func() any { return new([]snelstart.Relatie) }},
		{"GET", "/relaties/{id}", "200", func() any { return new(snelstart.Relatie) }},
		{"POST", "/relaties", "request", func() any { return new(snelstart.Relatie) }},
		{"PUT", "/relaties/{id}", "request", func() any { return new(snelstart.Relatie) }},
		{"GET", "/artikelen", "200", func() any { return new([]snelstart.Artikel) }},
		{"GET", "/artikelen/{id}", "200", func() any { return new(snelstart.Artikel) }},
		{"POST", "/artikelen", "request", func() any { return new(snelstart.Artikel) }},
		{"GET", "/prijsafspraken", "200", func() any { return new([]snelstart.Prijsafspraak) }},
		{"GET", "/artikelomzetgroepen", "200", func() any { return new([]snelstart.ArtikelOmzetgroep) }},
		{"GET", "/landen", "200", func() any { return new([]snelstart.Land) }},
		{"GET", "/landen/{id}", "200", func() any { return new(snelstart.Land) }},
		{"GET", "/companyInfo", "200", func() any { return new(snelstart.CompanyInfo) }},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.part, func(t *testing.T) {
			example, s := specExample(t, doc, tt.method, tt.path, tt.part)
			in, err := json.Marshal(fillPlaceholders(example, s))
			if err != nil {
				t.Fatal(err)
			}
			model := tt.model()
			if err := json.Unmarshal(in, model); err != nil {
				t.Fatalf("decode the spec's example: %v\n%s", err, in)
			}
			out, err := json.Marshal(model)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diff("", generic(t, in), generic(t, out)) {
				t.Error(d)
			}
			if tt.part != "request" {
				target := "/v2" + strings.ReplaceAll(tt.path, "{id}", "36cda20f-3b9b-4abe-8764-d0ec4b869707")
				req := httptest.NewRequest(tt.method, target, nil)
				spec.ValidateResponse(t, req, atoi(t, tt.part), http.Header{"Content-Type": {"application/json"}}, out)
			}
		})
	}
}

// specExample returns the application/json example and schema of an
// operation's request body or response.
func specExample(t *testing.T, doc *openapi3.T, method, path, part string) (any, *openapi3.Schema) {
	t.Helper()
	item := doc.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("no %s %s in the spec", method, path)
	}
	op := item.GetOperation(method)
	var content openapi3.Content
	if part == "request" {
		content = op.RequestBody.Value.Content
	} else {
		content = op.Responses.Value(part).Value.Content
	}
	mt := content.Get("application/json")
	if mt == nil || mt.Example == nil || mt.Schema == nil {
		t.Fatalf("%s %s %s has no application/json example", method, path, part)
	}
	return mt.Example, mt.Schema.Value
}

// fillPlaceholders replaces the spec examples' placeholders with values that
// test the wire types: every date-time with a naive timestamp with a
// fraction, every number with 12.3450, whose last digit float64 would drop.
func fillPlaceholders(v any, s *openapi3.Schema) any {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			var ps *openapi3.Schema
			if p := s.Properties[k]; p != nil {
				ps = p.Value
			}
			out[k] = fillPlaceholders(x, ps)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			var is *openapi3.Schema
			if s.Items != nil {
				is = s.Items.Value
			}
			out[i] = fillPlaceholders(x, is)
		}
		return out
	case string:
		if s.Format == "date-time" {
			return "2024-05-01T13:45:30.1234567"
		}
	case float64:
		if s.Type.Is(openapi3.TypeNumber) {
			return json.Number("12.3450") // float64 would give 12.345
		}
	}
	return v
}

func generic(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// diff lists where want and got differ; numbers compare by their text.
func diff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %v", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s/%s: lost in the round trip (was %v)", path, k, wv))
				continue
			}
			out = append(out, diff(path+"/"+k, wv, gv)...)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s/%s: added in the round trip (%v)", path, k, gv))
			}
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		var out []string
		for i := range w {
			out = append(out, diff(fmt.Sprintf("%s/%d", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEndpointsInSpec checks each endpoint koppel uses against the spec:
// the operation exists with that method, and it needs exactly the scope
// given (the spec names scopes in the operation's description).
func TestEndpointsInSpec(t *testing.T) {
	doc := spectest.LoadRaw(t)
	for _, e := range snelstart.Endpoints() {
		t.Run(e.Method+" "+e.Path, func(t *testing.T) {
			path := strings.TrimPrefix(e.Path, snelstart.APIPrefix)
			item := doc.Paths.Value(path)
			if item == nil {
				t.Fatalf("path %s is not in the spec", path)
			}
			op := item.GetOperation(e.Method)
			if op == nil {
				t.Fatalf("%s %s is not in the spec", e.Method, path)
			}
			if got := scopes(op.Description); !slices.Equal(got, nonEmpty(e.Scope)) {
				t.Errorf("spec scopes %q, Endpoints says %q", got, e.Scope)
			}
		})
	}
}

// scopes reads "Voor deze operatie zijn de volgende scopes benodigd:\r\n- x".
func scopes(description string) []string {
	_, list, ok := strings.Cut(description, "scopes benodigd:")
	if !ok {
		return nil
	}
	var out []string
	for line := range strings.SplitSeq(list, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok {
			out = append(out, s)
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
