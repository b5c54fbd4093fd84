package webshop

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestNumUnmarshal(t *testing.T) {
	tests := map[string]struct {
		json    string
		want    string // fmtNum of the value; "" with set false
		unset   bool
		wantErr bool
	}{
		"money string":            {json: `"29.35"`, want: "29.35"},
		"negative string":         {json: `"-9.80"`, want: "-9.8"},
		"float price kept exact":  {json: `26.859504`, want: "26.859504"},
		"float that binary loses": {json: `0.1`, want: "0.1"},
		"shortest float repr":     {json: `3.3333333333333335`, want: "3.3333333333333335"},
		"Magento negative float":  {json: `-9.8`, want: "-9.8"},
		"integer":                 {json: `90`, want: "90"},
		"zero string":             {json: `"0"`, want: "0"},
		"Magento 4 decimals":      {json: `"32444.000000"`, want: "32444"},
		"exponent":                {json: `1.5e2`, want: "150"},
		"negative exponent":       {json: `15E-1`, want: "1.5"},
		"many digits":             {json: `12345678901234567890.123456789`, want: "12345678901234567890.123456789"},
		"escaped string":          {json: `"\u0031\u0032.5"`, want: "12.5"},
		"null":                    {json: `null`, unset: true},
		"empty string":            {json: `""`, unset: true},

		"comma decimal":      {json: `"12,50"`, wantErr: true},
		"text":               {json: `"abc"`, wantErr: true},
		"spaces":             {json: `" 12.5"`, wantErr: true},
		"plus sign":          {json: `"+5"`, wantErr: true},
		"leading dot":        {json: `".5"`, wantErr: true},
		"trailing dot":       {json: `"5."`, wantErr: true},
		"leading zeros":      {json: `"007"`, wantErr: true},
		"NaN":                {json: `"NaN"`, wantErr: true},
		"Infinity":           {json: `"Infinity"`, wantErr: true},
		"huge exponent":      {json: `1e999999`, wantErr: true},
		"tiny exponent":      {json: `1e-31`, wantErr: true},
		"too long":           {json: `"` + strings.Repeat("9", 65) + `"`, wantErr: true},
		"bool":               {json: `true`, wantErr: true},
		"object":             {json: `{"amount":"1.00"}`, wantErr: true},
		"array":              {json: `[1]`, wantErr: true},
		"unicode minus sign": {json: `"−5"`, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var n num
			err := json.Unmarshal([]byte(tt.json), &n)
			switch {
			case tt.wantErr:
				if err == nil {
					t.Fatalf("got %s, want an error", fmtNum(n.v))
				}
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					t.Errorf("error %T %v is not a *json.UnmarshalTypeError", err, err)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.unset:
				if n.set || !n.v.IsZero() {
					t.Errorf("got set=%v %s, want unset zero", n.set, fmtNum(n.v))
				}
			default:
				if !n.set || fmtNum(n.v) != tt.want {
					t.Errorf("got set=%v %s, want %s", n.set, fmtNum(n.v), tt.want)
				}
			}
		})
	}
}

func TestDecodeErrorNamesField(t *testing.T) {
	var o wooOrder
	err := decodeError(json.Unmarshal([]byte(`{"id":1,"line_items":[{"price":"x"}]}`), &o))
	if !strings.Contains(err.Error(), "line_items.price") || !strings.Contains(err.Error(), "a decimal") {
		t.Errorf("error does not name the field: %v", err)
	}
}

func TestFmtMoney(t *testing.T) {
	tests := []struct {
		in   string
		exp  int32
		want string
	}{
		{"29.35", 2, "29.35"},
		{"26.859504", 2, "26.859504"},
		{"32.500000", 2, "32.50"},
		{"9.8", 3, "9.800"},
		{"-9.8", 2, "-9.80"},
		{"0", 2, "0.00"},
		{"93.2", 3, "93.200"},
		{"1500", 0, "1500"},
		{"1E+3", 2, "1000.00"},
		{"0.1234", 2, "0.1234"},
	}
	for _, tt := range tests {
		if got := fmtMoney(decimal.RequireFromString(tt.in), tt.exp); got != tt.want {
			t.Errorf("fmtMoney(%s, %d) = %q, want %q", tt.in, tt.exp, got, tt.want)
		}
	}
}

// TestFormattingIgnoresGlobals guards against other packages flipping
// shopspring's global formatting switches.
func TestFormattingIgnoresGlobals(t *testing.T) {
	trim, sci := decimal.TrimTrailingZeros, decimal.UseScientificNotation
	t.Cleanup(func() { decimal.TrimTrailingZeros, decimal.UseScientificNotation = trim, sci })
	decimal.TrimTrailingZeros, decimal.UseScientificNotation = false, true
	if got := fmtMoney(decimal.RequireFromString("1500.500"), 2); got != "1500.50" {
		t.Errorf("fmtMoney = %q", got)
	}
	if got := fmtNum(decimal.RequireFromString("2.000")); got != "2" {
		t.Errorf("fmtNum = %q", got)
	}
}

func TestQuotient(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"6.00", "2", "3"},
		{"0.45", "2", "0.225"},
		{"10.00", "3", "3.333333"},
		{"1", "8", "0.125"},
		{"20", "6", "3.333333"},
	}
	for _, tt := range tests {
		q, ok := quotient(decimal.RequireFromString(tt.a), decimal.RequireFromString(tt.b))
		if !ok || fmtNum(q) != tt.want {
			t.Errorf("quotient(%s, %s) = %s, %v; want %s", tt.a, tt.b, fmtNum(q), ok, tt.want)
		}
	}
	if _, ok := quotient(decimal.NewFromInt(1), decimal.Zero); ok {
		t.Error("quotient by zero reported ok")
	}
}

func TestExponentAndTolerance(t *testing.T) {
	for cur, want := range map[string]int32{"EUR": 2, "usd": 2, "BHD": 3, "JPY": 0, "KWD": 3, "": 2, "XYZ": 2} {
		if got := exponent(cur); got != want {
			t.Errorf("exponent(%q) = %d, want %d", cur, got, want)
		}
	}
	for cur, want := range map[string]string{"EUR": "0.01", "BHD": "0.001", "JPY": "1"} {
		if got := fmtNum(tolerance(nil, exponent(cur))); got != want {
			t.Errorf("default tolerance for %s = %s, want %s", cur, got, want)
		}
	}
	five := decimal.RequireFromString("0.05")
	if got := tolerance(&five, 3); !got.Equal(five) {
		t.Errorf("configured tolerance = %s", got)
	}
	for _, bad := range []string{"-0.01", "abc", "0,01"} {
		if _, err := New(WooCommerce, Config{TotalTolerance: bad}); err == nil {
			t.Errorf("New with TotalTolerance %q: no error", bad)
		}
	}
	if _, err := New(Magento, Config{TotalTolerance: " 0.02 "}); err != nil {
		t.Errorf("New with TotalTolerance 0.02: %v", err)
	}
	if _, err := New("shopify", Config{}); err == nil {
		t.Error("New(shopify): no error")
	}
}

func TestIntBoolAndText(t *testing.T) {
	for in, want := range map[string]bool{`1`: true, `0`: false, `true`: true, `false`: false, `"1"`: true, `null`: false} {
		var f intBool
		if err := json.Unmarshal([]byte(in), &f); err != nil || bool(f) != want {
			t.Errorf("intBool %s = %v, %v; want %v", in, f, err, want)
		}
	}
	for _, bad := range []string{`2`, `"yes"`, `{}`} {
		var f intBool
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("intBool %s: no error", bad)
		}
	}
	for in, want := range map[string]string{`727`: "727", `"000000003"`: "000000003", `null`: "", `true`: "true", `820982911946154508`: "820982911946154508"} {
		var x text
		if err := json.Unmarshal([]byte(in), &x); err != nil || string(x) != want {
			t.Errorf("text %s = %q, %v; want %q", in, x, err, want)
		}
	}
	var x text
	if err := json.Unmarshal([]byte(`{"a":1}`), &x); err == nil {
		t.Error("text from an object: no error")
	}
}
