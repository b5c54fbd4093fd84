package snelstart_test

import (
	"errors"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

func TestFilterString(t *testing.T) {
	modified := snelstart.NewLocalTime(mustTime(t, "2017-07-16T23:59:59.999"))
	tests := map[string]struct {
		f    snelstart.Filter
		want string
	}{
		"zero":              {snelstart.Filter{}, ""},
		"string":            {snelstart.Eq("Email", "bart@snelstart.nl"), "Email eq 'bart@snelstart.nl'"},
		"quote escaped":     {snelstart.Eq("Email", "a'b@x.nl"), "Email eq 'a''b@x.nl'"},
		"injection escaped": {snelstart.Eq("Naam", "x' or Naam ne 'y"), "Naam eq 'x'' or Naam ne ''y'"},
		"guid from ID":      {snelstart.Eq("Id", relatieID), "Id eq guid'" + string(relatieID) + "'"},
		"guid helper":       {snelstart.Eq("Relatie/Id", snelstart.Guid(relatieID)), "Relatie/Id eq guid'" + string(relatieID) + "'"},
		"datetime":          {snelstart.Gt("ModifiedOn", modified), "ModifiedOn gt datetime'2017-07-16T23:59:59.999'"},
		"datetime helper":   {snelstart.Ge("Datum", snelstart.DateTime(snelstart.LocalDate(2025, 3, 14))), "Datum ge datetime'2025-03-14T00:00:00'"},
		"int":               {snelstart.Eq("Relatiecode", 2), "Relatiecode eq 2"},
		"int gt":            {snelstart.Gt("Relatiecode", 0), "Relatiecode gt 0"},
		"negative":          {snelstart.Lt("VrijeVoorraad", -3), "VrijeVoorraad lt -3"},
		"whole decimal":     {snelstart.Eq("Aantal", *dec("6.00")), "Aantal eq 6"},
		"decimal":           {snelstart.Le("Aantal", *dec("6.5")), "Aantal le 6.5M"},
		"bool":              {snelstart.Eq("IsNonActief", false), "IsNonActief eq false"},
		"null":              {snelstart.Ne("IncassoSoort", nil), "IncassoSoort ne null"},
		"enum":              {snelstart.Eq("IncassoSoort", snelstart.IncassoSoortCore), "IncassoSoort eq 'Core'"},
		"numeric code text": {snelstart.Eq("Artikelcode", "308"), "Artikelcode eq '308'"},
		"nested path":       {snelstart.Ne("VestigingsAdres/Land/Id", landID), "VestigingsAdres/Land/Id ne guid'" + string(landID) + "'"},
		"substringof":       {snelstart.Substringof("O'Brien", "Naam"), "substringof('O''Brien', Naam) eq true"},
		"startswith":        {snelstart.Startswith("Naam", "Test"), "startswith(Naam,'Test') eq true"},
		"any of values":     {snelstart.AnyEq("Relatiesoort", snelstart.RelatiesoortKlant), "Relatiesoort/any(x:x eq 'Klant')"},
		"any of objects": {
			snelstart.Any("ExtraVeldenKlant", snelstart.And(snelstart.Eq("Waarde", "5299"), snelstart.Eq("Naam", "lidmaatschapnummer"))),
			"ExtraVeldenKlant/any(x:x/Waarde eq '5299' and x/Naam eq 'lidmaatschapnummer')",
		},
		"and": {
			snelstart.And(snelstart.Gt("Relatiecode", 0), snelstart.AnyEq("Relatiesoort", "Klant")),
			"Relatiecode gt 0 and Relatiesoort/any(x:x eq 'Klant')",
		},
		"and flattens, skips zero": {
			snelstart.And(snelstart.Eq("A", 1), snelstart.Filter{}, snelstart.And(snelstart.Eq("B", 2), snelstart.Eq("C", 3))),
			"A eq 1 and B eq 2 and C eq 3",
		},
		"or inside and": {
			snelstart.And(snelstart.Eq("Artikel/Id", artikelID), snelstart.Or(snelstart.Eq("Aantal", 1), snelstart.Eq("Aantal", 6))),
			"Artikel/Id eq guid'" + string(artikelID) + "' and (Aantal eq 1 or Aantal eq 6)",
		},
		"not":             {snelstart.Not(snelstart.Eq("Email", "x")), "not (Email eq 'x')"},
		"one-element and": {snelstart.And(snelstart.Eq("Email", "x")), "Email eq 'x'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if err := tc.f.Err(); err != nil {
				t.Fatalf("Err: %v", err)
			}
			if got := tc.f.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	tests := map[string]snelstart.Filter{
		"lower-case name":      snelstart.Eq("email", "x"),
		"lower-case segment":   snelstart.Eq("VestigingsAdres/land/Id", landID),
		"empty name":           snelstart.Eq("", "x"),
		"float":                snelstart.Eq("Aantal", 1.5),
		"bad guid":             snelstart.Eq("Id", snelstart.ID("x' or 1 eq 1 or Id eq guid'")),
		"zero datetime":        snelstart.Eq("ModifiedOn", snelstart.LocalTime{}),
		"ordered guid":         snelstart.Gt("Id", relatieID),
		"ordered null":         snelstart.Lt("Email", nil),
		"error inside and":     snelstart.And(snelstart.Eq("Email", "x"), snelstart.Eq("naam", "y")),
		"error inside any":     snelstart.Any("ExtraVelden", snelstart.Eq("naam", "y")),
		"lower-case substring": snelstart.Substringof("x", "naam"),
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(f.Err(), snelstart.ErrInvalidRequest) {
				t.Errorf("Err() = %v, want ErrInvalidRequest", f.Err())
			}
			if f.String() != "" {
				t.Errorf("String() = %q for a broken filter", f.String())
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	klant := snelstart.Relatie{
		ID: relatieID, Naam: "O'Brien Handel", Email: "Info@Obrien.nl ", Relatiecode: snelstart.Ptr(12),
		Relatiesoort:     []snelstart.Relatiesoort{snelstart.RelatiesoortKlant},
		VestigingsAdres:  &snelstart.Adres{Straat: "Dorpsstraat 1", Postcode: "1234 AB", Plaats: "Alkmaar", Land: snelstart.RefTo(landID)},
		ModifiedOn:       snelstart.LocalDate(2025, 3, 14),
		ExtraVeldenKlant: []snelstart.ExtraVeld{{Naam: "lid", Waarde: "5299"}},
		Factuurkorting:   dec("2.5"),
	}
	tests := map[string]struct {
		f    snelstart.Filter
		want bool
	}{
		"email, case and trailing space ignored": {snelstart.Eq("Email", "info@obrien.nl"), true},
		"other email":                            {snelstart.Eq("Email", "jan@example.nl"), false},
		"ne":                                     {snelstart.Ne("Email", "jan@example.nl"), true},
		"guid any case":                          {snelstart.Eq("Id", snelstart.ID("75B4FE7B-062B-4AE1-BAD1-5C5E3866A2AE")), true},
		"nested guid":                            {snelstart.Eq("VestigingsAdres/Land/Id", landID), true},
		"int":                                    {snelstart.Eq("Relatiecode", 12), true},
		"int gt":                                 {snelstart.Gt("Relatiecode", 12), false},
		"int ge":                                 {snelstart.Ge("Relatiecode", 12), true},
		"decimal":                                {snelstart.Lt("Factuurkorting", *dec("3")), true},
		"datetime":                               {snelstart.Gt("ModifiedOn", snelstart.LocalDate(2025, 3, 13)), true},
		"datetime not after":                     {snelstart.Gt("ModifiedOn", snelstart.LocalDate(2025, 3, 14)), false},
		"null field":                             {snelstart.Eq("IncassoSoort", nil), true},
		"null field ne value":                    {snelstart.Ne("IncassoSoort", "Core"), true},
		"null field eq value":                    {snelstart.Eq("IncassoSoort", "Core"), false},
		"substringof":                            {snelstart.Substringof("obrien", "Email"), true},
		"startswith":                             {snelstart.Startswith("Naam", "o'brien"), true},
		"startswith not":                         {snelstart.Startswith("Naam", "Handel"), false},
		"any value":                              {snelstart.AnyEq("Relatiesoort", "Klant"), true},
		"any value not":                          {snelstart.AnyEq("Relatiesoort", "Leverancier"), false},
		"any object":                             {snelstart.Any("ExtraVeldenKlant", snelstart.And(snelstart.Eq("Naam", "lid"), snelstart.Eq("Waarde", "5299"))), true},
		"any object not":                         {snelstart.Any("ExtraVeldenKlant", snelstart.And(snelstart.Eq("Naam", "lid"), snelstart.Eq("Waarde", "1"))), false},
		"or":                                     {snelstart.Or(snelstart.Eq("Relatiecode", 1), snelstart.Eq("Relatiecode", 12)), true},
		"and":                                    {snelstart.And(snelstart.Eq("Relatiecode", 12), snelstart.Eq("Email", "x")), false},
		"not":                                    {snelstart.Not(snelstart.Eq("Relatiecode", 1)), true},
		"zero filter":                            {snelstart.Filter{}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.f.Match(klant)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: got %v, want %v", tc.f, got, tc.want)
			}
		})
	}
	t.Run("type mismatch", func(t *testing.T) {
		if _, err := snelstart.Eq("Relatiecode", "12").Match(klant); !errors.Is(err, snelstart.ErrInvalidRequest) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("raw JSON", func(t *testing.T) {
		ok, err := snelstart.Eq("Email", "a@b.nl").Match([]byte(`{"email":"a@b.nl"}`))
		if err != nil || !ok {
			t.Errorf("%v, %v", ok, err)
		}
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02T15:04:05.999", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
