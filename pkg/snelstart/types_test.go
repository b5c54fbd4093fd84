package snelstart_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

func TestDecimalJSON(t *testing.T) {
	tests := map[string]struct {
		in, out string // out "" means same as in
	}{
		"three places":       {in: "12.345"},
		"one place":          {in: "12.5"},
		"trailing zeros":     {in: "121.00"},
		"integer":            {in: "2"},
		"negative":           {in: "-0.0043"},
		"zero":               {in: "0"},
		"zero with places":   {in: "0.0"},
		"many digits":        {in: "123456789012345678901234.5678901234"},
		"exponent":           {in: "1.5e2", out: "150"},
		"negative exponent":  {in: "125e-2", out: "1.25"},
		"decimal string":     {in: `"121.00"`, out: "121.00"},
		"not float64 digits": {in: "0.1", out: "0.1"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var d snelstart.Decimal
			if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			got, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.out
			if want == "" {
				want = tt.in
			}
			if string(got) != want {
				t.Errorf("round trip of %s = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestDecimalIgnoresGlobalSettings(t *testing.T) {
	// decimal.TrimTrailingZeros is true by default and would turn 121.00
	// into 121; Decimal.String must not depend on it.
	d, err := snelstart.ParseDecimal("121.00")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "121.00" {
		t.Errorf("String() = %q, want 121.00", got)
	}
	sum := snelstart.NewDecimal(d.Add(decimal.RequireFromString("0.005")))
	if got := sum.String(); got != "121.005" {
		t.Errorf("sum = %q, want 121.005", got)
	}
}

func TestDecimalRejects(t *testing.T) {
	for _, in := range []string{`"abc"`, `true`, `{}`, `"1.2.3"`} {
		var d snelstart.Decimal
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("Unmarshal(%s) = %s, want an error", in, d)
		}
	}
}

func TestOptionalDecimal(t *testing.T) {
	var r snelstart.VerkoopOrderRegel
	if err := json.Unmarshal([]byte(`{"stuksprijs":null,"aantal":2.0,"kortingsPercentage":0}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Stuksprijs != nil {
		t.Errorf("null stuksprijs = %v, want nil", r.Stuksprijs)
	}
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	// 0 is a value (no discount), not "unset": it stays.
	if want := `{"aantal":2.0,"kortingsPercentage":0}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

func TestLocalTimeJSON(t *testing.T) {
	tests := map[string]struct {
		in, out string
	}{
		"date":             {in: `"2024-05-01T00:00:00"`},
		"time":             {in: `"2024-05-01T13:45:30"`},
		"two digits":       {in: `"2018-08-07T06:24:48.12"`},
		"three digits":     {in: `"2025-03-14T10:22:31.517"`},
		"seven digits":     {in: `"2025-03-14T10:22:31.1234567"`},
		"trailing zero":    {in: `"2025-03-14T10:22:31.120"`, out: `"2025-03-14T10:22:31.12"`},
		"below .NET ticks": {in: `"2025-03-14T10:22:31.123456789"`, out: `"2025-03-14T10:22:31.1234567"`},
		"null is not set":  {in: `null`},
		"zero fraction":    {in: `"2025-03-14T10:22:31.0"`, out: `"2025-03-14T10:22:31"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var lt snelstart.LocalTime
			if err := json.Unmarshal([]byte(tt.in), &lt); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			got, err := json.Marshal(lt)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.out
			if want == "" {
				want = tt.in
			}
			if string(got) != want {
				t.Errorf("round trip of %s = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestLocalTimeRejects(t *testing.T) {
	for _, in := range []string{
		`"2024-05-01T00:00:00Z"`,      // zone
		`"2024-05-01T00:00:00+02:00"`, // offset
		`"2024-05-01"`,                // date only
		`"2024-5-1T00:00:00"`,         // one-digit month
		`"2024-02-30T00:00:00"`,       // no such day
		`"string"`,                    // the spec's placeholder
		`20240501`,
	} {
		var lt snelstart.LocalTime
		if err := json.Unmarshal([]byte(in), &lt); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, lt)
		}
	}
}

func TestLocalTimeConversions(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam") // package snelstart embeds time/tzdata
	if err != nil {
		t.Fatal(err)
	}
	instant := time.Date(2024, 3, 31, 0, 30, 0, 0, time.UTC) // 01:30 CET, the night clocks go forward
	lt := snelstart.NewLocalTime(instant.In(ams))
	if got, want := lt.String(), "2024-03-31T01:30:00"; got != want {
		t.Errorf("NewLocalTime(in Amsterdam) = %s, want %s", got, want)
	}
	if back := lt.In(ams); !back.Equal(instant) {
		t.Errorf("In(Amsterdam) = %s, want %s", back, instant)
	}
	if d := snelstart.LocalDate(2025, time.March, 14); d.String() != "2025-03-14T00:00:00" {
		t.Errorf("LocalDate = %s", d)
	}
	if a, b := snelstart.LocalDate(2025, 3, 14), snelstart.LocalDate(2025, 3, 14); a != b || a.Compare(b) != 0 {
		t.Errorf("equal dates compare unequal")
	}
	parsed, err := snelstart.ParseLocalTime("2025-03-14T00:00:00.000")
	if err != nil || parsed != snelstart.LocalDate(2025, 3, 14) {
		t.Errorf("ParseLocalTime with a zero fraction = %v, %v; want == LocalDate", parsed, err)
	}
}

func TestLocalTimeOmitZero(t *testing.T) {
	got, err := json.Marshal(snelstart.VerkoopOrder{Relatie: snelstart.RefTo("5830cec3-8929-4703-80b4-bd695402a7b0")})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0"}}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

func TestID(t *testing.T) {
	a := snelstart.ID("96588D87-DE68-4345-A999-F7F4ED07A9DC")
	if !a.Equal("96588d87-de68-4345-a999-f7f4ed07a9dc") {
		t.Error("Equal is case-sensitive")
	}
	if a.Equal(snelstart.NilID) {
		t.Error("Equal matched a different id")
	}
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[snelstart.ID]bool{}
	for range 100 {
		id := snelstart.NewID()
		if !v4.MatchString(string(id)) {
			t.Fatalf("NewID() = %q, not a version 4 GUID", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestPaths(t *testing.T) {
	id := snelstart.ID("36cda20f-3b9b-4abe-8764-d0ec4b869707")
	if got, want := snelstart.ItemPath(snelstart.PathVerkoopOrder, id), "/v2/verkooporders/36cda20f-3b9b-4abe-8764-d0ec4b869707"; got != want {
		t.Errorf("ItemPath = %q, want %q", got, want)
	}
	if got, want := snelstart.EchoPath("a b/c"), "/v2/echo/a%20b%2Fc"; got != want {
		t.Errorf("EchoPath = %q, want %q", got, want)
	}
	// Every endpoint is also a valid, unambiguous http.ServeMux pattern, as
	// a sandbox registers them.
	mux := http.NewServeMux()
	for _, e := range snelstart.Endpoints() {
		if !strings.HasPrefix(e.Path, snelstart.APIPrefix+"/") {
			t.Errorf("%s %s lacks the %s prefix", e.Method, e.Path, snelstart.APIPrefix)
		}
		mux.HandleFunc(e.Method+" "+e.Path, func(http.ResponseWriter, *http.Request) {})
	}
	mux.HandleFunc("POST "+snelstart.PathToken, func(http.ResponseWriter, *http.Request) {})
}
