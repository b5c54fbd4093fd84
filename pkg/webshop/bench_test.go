package webshop

import (
	"net/http"
	"testing"
)

// benchBody is the real NL WooCommerce order (wc/v2, PHP escaping, order
// meta from several plugins): 5.3 KB.
const benchBody = "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json"

func BenchmarkWooCommerceNormalize(b *testing.B) {
	body := readTestdata(b, benchBody)
	a := newAdapter(b, WooCommerce, Config{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Normalize(testProfile, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	body := readTestdata(b, benchBody)
	a := newAdapter(b, WooCommerce, Config{Secret: testSecret})
	h := http.Header{}
	h.Set("X-WC-Webhook-Signature", sign(testSecret, body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
