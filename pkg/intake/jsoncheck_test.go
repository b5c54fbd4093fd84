package intake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	cases := []string{
		``, ` `, `{}`, `[]`, `[`, `]`, `{`, `}`, `{"a":1}`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[,1]`,
		`{,"a":1}`, `{"a":1 "b":2}`, `"x"`, `"\u00e9\/"`, `"\u00g9"`, `"\x"`, "\"a\tb\"", "\"a\x01\"",
		`-`, `-0`, `01`, `1.`, `1.5e`, `1.5e+3`, `1E-2`, `-0.0`, `truex`, `true`, `nul`, `null `, ` false`,
		`[1 2]`, `{"a":[1,{"b":null}]}`, `{"a":[1,{"b":null}]`, `[[[[[[]]]]]]`, `{"id":12345} x`, `{}{}`,
		`webhook_id=9`, `{"a":"b"}` + "\n", `[1,[2,[3]],{}]`, `{"":""}`, `{1:2}`, `"unterminated`,
	}
	for _, c := range cases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"a":[1,-2.5e3,true,false,null,"\u0041"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", data, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body, err := os.ReadFile("testdata/rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("koppel", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			validJSON(body)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			json.Valid(body)
		}
	})
}
