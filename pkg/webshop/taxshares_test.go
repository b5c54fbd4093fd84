package webshop

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestRoundHalf(t *testing.T) {
	tests := []struct {
		in       string
		exp      int32
		halfDown bool
		want     string
	}{
		{"0.315", 2, false, "0.32"},
		{"0.315", 2, true, "0.31"},
		{"-0.315", 2, true, "-0.31"},
		{"-0.315", 2, false, "-0.32"},
		{"0.3151", 2, true, "0.32"}, // above the half: up either way
		{"0.6237", 2, true, "0.62"},
		{"1.0005", 3, true, "1"},
	}
	for _, tt := range tests {
		got := roundHalf(decimal.RequireFromString(tt.in), tt.exp, tt.halfDown)
		if !got.Equal(decimal.RequireFromString(tt.want)) {
			t.Errorf("roundHalf(%s, %d, %v) = %s, want %s", tt.in, tt.exp, tt.halfDown, got, tt.want)
		}
	}
}

// TestSplitChargeNegative splits a discount fee (WooCommerce fees can be
// negative) the way it splits shipping: −0.315 / 0.21 = −1.50,
// −0.09 / 0.09 = −1.00; the tax half −0.315 rounds towards zero.
func TestSplitChargeNegative(t *testing.T) {
	d := decimal.RequireFromString
	shares, stacked := splitCharge(d("-2.50"), d("-0.40"),
		[]taxPart{{rate: d("21"), tax: d("-0.315")}, {rate: d("9"), tax: d("-0.09")}},
		splitting{exp: 2, halfDown: true})
	if stacked || len(shares) != 2 {
		t.Fatalf("shares %v, stacked %v", shares, stacked)
	}
	want := []share{{d("21"), d("-1.50"), d("-0.31")}, {d("9"), d("-1.00"), d("-0.09")}}
	for i, w := range want {
		if g := shares[i]; !g.rate.Equal(w.rate) || !g.net.Equal(w.net) || !g.tax.Equal(w.tax) {
			t.Errorf("share %d = %v, want %v", i, g, w)
		}
	}
}
