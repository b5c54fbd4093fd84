package vatnumber

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := map[string]struct {
		in   string
		want Number
		err  error
	}{
		"canonical":            {in: "NL123456782B01", want: Number{"NL", "NL", "123456782B01"}},
		"lower case, spaces":   {in: " nl 1234 56 782 b01 ", want: Number{"NL", "NL", "123456782B01"}},
		"dots and dashes":      {in: "NL.123.456.782-B.01", want: Number{"NL", "NL", "123456782B01"}},
		"BTW label":            {in: "BTW: NL123456782B01", want: Number{"NL", "NL", "123456782B01"}},
		"BTW-nr. label":        {in: "btw-nr. NL 123456782 B01", want: Number{"NL", "NL", "123456782B01"}},
		"VAT No label":         {in: "VAT No: DE 123 456 788", want: Number{"DE", "DE", "123456788"}},
		"USt-IdNr. label":      {in: "USt-IdNr.: DE123456788", want: Number{"DE", "DE", "123456788"}},
		"UID-Nr. label":        {in: "UID-Nr. ATU12345675", want: Number{"AT", "AT", "U12345675"}},
		"no-break space":       {in: "BE\u00a00123.456.749", want: Number{"BE", "BE", "0123456749"}},
		"Greece as EL":         {in: "EL094014201", want: Number{"GR", "EL", "094014201"}},
		"Greece as GR":         {in: "GR094014201", want: Number{"GR", "EL", "094014201"}},
		"old Greek 8 digits":   {in: "EL94014201", want: Number{"GR", "EL", "094014201"}},
		"old Belgian 9 digits": {in: "BE123456749", want: Number{"BE", "BE", "0123456749"}},
		"Irish old form":       {in: "IE8Z49289F", want: Number{"IE", "IE", "8Z49289F"}},
		"Irish plus":           {in: "IE8+49289F", want: Number{"IE", "IE", "8+49289F"}},
		"not checked here":     {in: "NL123456789B02", want: Number{"NL", "NL", "123456789B02"}},
		"empty":                {in: "  ", err: ErrFormat},
		"label only":           {in: "BTW-nummer:", err: ErrFormat},
		"no prefix":            {in: "123456782B01", err: ErrFormat},
		"one letter":           {in: "N", err: ErrFormat},
		"prefix only":          {in: "NL", err: ErrFormat},
		"United Kingdom":       {in: "GB123456789", err: ErrNotEU},
		"Northern Ireland":     {in: "XI123456789", err: ErrNotEU},
		"Switzerland":          {in: "CHE-123.456.788 MWST", err: ErrNotEU},
		"odd character":        {in: "NL123456782B0!", err: ErrFormat},
		"non-ASCII letter":     {in: "NL12345678ÉB01", err: ErrFormat},
		"invalid UTF-8":        {in: "NL123\xff456782B01", err: ErrFormat},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
				}
				var e *Error
				if !errors.As(err, &e) || e.Reason == "" {
					t.Fatalf("Parse(%q) error %#v is not an *Error with a reason", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"nl 1234.56.782 b01":   "NL123456782B01",
		"BTW: NL123456782B01":  "NL123456782B01",
		"GR 094 014 201":       "EL094014201",
		"be 123.456.749":       "BE0123456749",
		"fr 40 303 265 045":    "FR40303265045",
		"NL123456789B02":       "NL123456789B02", // a wrong check digit normalizes all the same
		"ES-B-12345674":        "ESB12345674",
		"ATU 1234 5675":        "ATU12345675",
		"\tDE/123/456/788\r\n": "DE123456788",
	}
	for in, want := range tests {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := Normalize("GB123456789"); err == nil || got != "" {
		t.Errorf(`Normalize("GB123456789") = %q, %v; want an error`, got, err)
	}
}
