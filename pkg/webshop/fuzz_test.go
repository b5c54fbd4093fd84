package webshop

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Plain `go test` runs only the seeds below; fuzz with
// go test -run x -fuzz FuzzWooCommerceNormalize -fuzztime 20s ./webshop

func seedFixtures(f *testing.F, p Platform) {
	for _, fx := range fixtures {
		if fx.platform == p {
			f.Add(readTestdata(f, fx.file))
		}
	}
}

// checkNormalize is the fuzz property: no panic; success means a shop
// order id and Raw equal to the input; failure wraps one of the sentinels.
func checkNormalize(t *testing.T, a Adapter, body []byte) {
	o, err := a.Normalize(testProfile, body)
	if err != nil {
		if o != nil {
			t.Fatalf("order %v returned with error %v", o, err)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotOrder) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		return
	}
	if o.GetShopOrderId() == "" {
		t.Fatal("order without ShopOrderId")
	}
	if !bytes.Equal(o.GetRaw(), body) {
		t.Fatal("Raw differs from the body")
	}
	if o.GetTotalCheck() == nil || o.GetTotals() == nil {
		t.Fatal("order without totals")
	}
}

func FuzzWooCommerceNormalize(f *testing.F) {
	seedFixtures(f, WooCommerce)
	f.Add(wooCouponBody("36.37"))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(`{"action":"x","arg":1}`))
	f.Add([]byte(`{"id":1,"status":"processing","line_items":[{"quantity":0,"price":1e30,"total":"-0"}]}`))
	a, err := New(WooCommerce, Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkNormalize(t, a, body) })
}

func FuzzMagentoNormalize(f *testing.F) {
	seedFixtures(f, Magento)
	f.Add(magentoOrder(`[{"item_id":1,"product_type":"bundle"},{"item_id":2,"parent_item_id":1,"row_total":1}]`, `"grand_total":1`))
	f.Add([]byte(`{"order":{"order":{"entity_id":1}}}`))
	a, err := New(Magento, Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkNormalize(t, a, body) })
}

// FuzzVerify checks both adapters: a body signed with the secret verifies as
// an order (or a WooCommerce ping), and a signature header that is not the
// body's MAC never does.
func FuzzVerify(f *testing.F) {
	body := readTestdata(f, "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	f.Add(body, sign(testSecret, body), true)
	f.Add(body, sign(testSecret, body), false)
	f.Add([]byte("webhook_id=9"), "", false)
	f.Add([]byte("webhook_id=9"), "x", false)
	f.Add([]byte{}, "", false)
	f.Add([]byte(`{"id":1}`), "not base64", false)
	woo, err := New(WooCommerce, Config{Secret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	mag, err := New(Magento, Config{Secret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig string, signIt bool) {
		if signIt {
			sig = sign(testSecret, body)
		}
		// Valid means: after trimming surrounding space, standard base64 of
		// exactly the body's MAC (the decoder skips \r and \n).
		got, decErr := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
		want, _ := base64.StdEncoding.DecodeString(sign(testSecret, body))
		valid := decErr == nil && bytes.Equal(got, want)
		ping := isWooPing(body)

		h := http.Header{}
		h.Set("X-WC-Webhook-Signature", sig)
		h.Set("X-Koppel-Signature", sig)
		kind, err := woo.Verify(h, body)
		switch {
		case ping:
			if kind != KindPing || err != nil {
				t.Fatalf("woocommerce ping: %v, %v", kind, err)
			}
		case valid:
			if kind != KindOrder || err != nil {
				t.Fatalf("woocommerce, valid signature: %v, %v", kind, err)
			}
		default:
			if kind != 0 || !errors.Is(err, ErrSignature) {
				t.Fatalf("woocommerce, wrong signature %q: %v, %v", sig, kind, err)
			}
		}

		kind, err = mag.Verify(h, body)
		if valid != (kind == KindOrder && err == nil) || (!valid && !errors.Is(err, ErrSignature)) {
			t.Fatalf("magento, valid=%v: %v, %v", valid, kind, err)
		}
	})
}
