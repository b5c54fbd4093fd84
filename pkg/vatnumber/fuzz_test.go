package vatnumber

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, tt := range validNumbers {
		f.Add(tt.in)
	}
	for _, s := range []string{"", "BTW", "btw-nr. nl 1234.56.782 b01", "GB123456789", "NL\xff", "IE8+49289F", "GR94014201"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if n != (Number{}) {
				t.Fatalf("Parse(%q) = %+v with error %v", s, n, err)
			}
			return
		}
		if n.Prefix != Prefix(n.Country) || n.Body == "" {
			t.Fatalf("Parse(%q) = %+v: inconsistent parts", s, n)
		}
		again, err := Parse(n.String())
		if err != nil || again != n {
			t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v, %v", s, n, n.String(), again, err)
		}
	})
}

// FuzzCheck checks that Check never panics and that a number it accepts is
// accepted again, as the same Number, however it is written: lower case,
// with spaces, dots and dashes, behind a label, with or without a country.
func FuzzCheck(f *testing.F) {
	for i, tt := range validNumbers {
		f.Add(tt.in, "", uint64(i)*0x9e3779b97f4a7c15)
	}
	f.Add("123456782B01", "NL", uint64(7))
	f.Add("NL123456789B02", "NL", uint64(1))
	f.Add("ESX1234567L", "es", uint64(3))
	f.Fuzz(func(t *testing.T, s, country string, seed uint64) {
		n, err := Check(s, country)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Check(%q, %q) error %T is not an *Error", s, country, err)
			}
			return
		}
		for _, c := range []string{"", n.Country, strings.ToLower(n.Country)} {
			re := reformat(n.String(), seed)
			again, err := Check(re, c)
			if err != nil || again != n {
				t.Fatalf("Check(%q, %q) = %+v, but Check(%q, %q) = %+v, %v", s, country, n, re, c, again, err)
			}
		}
	})
}

// reformat writes a canonical number as a customer might: letters in
// either case, separators between characters, maybe a label in front; the
// bits of seed decide.
func reformat(canonical string, seed uint64) string {
	next := func() uint64 { // xorshift
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed
	}
	if seed == 0 {
		seed = 1
	}
	var b strings.Builder
	switch next() % 4 {
	case 1:
		b.WriteString("BTW: ")
	case 2:
		b.WriteString("vat no. ")
	}
	for i := 0; i < len(canonical); i++ {
		c := canonical[i]
		if next()%2 == 0 && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
		b.WriteString([]string{"", "", " ", ".", "-", " - ", "\u00a0"}[next()%7])
	}
	return b.String()
}

// FuzzInterpret checks the reading of VIES answers: no panic, an error is
// exactly one of ErrUnavailable and ErrRefused, and "invalid" comes only
// from an answer that says so.
func FuzzInterpret(f *testing.F) {
	f.Add(200, []byte(`{"countryCode":"NL","vatNumber":"123456782B01","requestDate":"2026-05-31T07:43:04.734Z","valid":true,"name":"ACME BV","address":"---"}`))
	f.Add(200, []byte(`{"valid":false,"name":"---","address":"---"}`))
	f.Add(200, []byte(`{"actionSucceed":false,"errorWrappers":[{"error":"MS_MAX_CONCURRENT_REQ"}]}`))
	f.Add(400, []byte(`{"actionSucceed":false,"errorWrappers":[{"error":"INVALID_INPUT"}]}`))
	f.Add(500, []byte(`{"actionSucceed":false,"errorWrappers":[{"error":"MS_UNAVAILABLE","message":"x"}]}`))
	f.Add(200, []byte(`{"isValid":false,"userError":"INVALID"}`))
	f.Add(503, []byte(`<html></html>`))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		res, err := interpret("NL123456782B01", status, raw)
		if err != nil {
			if errors.Is(err, ErrUnavailable) == errors.Is(err, ErrRefused) {
				t.Fatalf("interpret(%d, %q) = %v: not exactly one of unavailable and refused", status, raw, err)
			}
			return
		}
		if res.Valid {
			return
		}
		var a checkAnswer
		if json.Unmarshal(raw, &a) != nil {
			t.Fatalf("interpret(%d, %q): invalid from an answer that is not JSON", status, raw)
		}
		code, _, _ := a.failure()
		says := a.Valid != nil && !*a.Valid || a.Valid == nil && a.IsValid != nil && !*a.IsValid
		if code != "INVALID_INPUT" && !says {
			t.Fatalf("interpret(%d, %q): invalid from an answer that does not say so", status, raw)
		}
	})
}
