package webshop

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const testSecret = "s3cr&t <with> 'quotes'"

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// headersFromCapture reads a *.headers.txt capture: comment lines (#), a
// request line, then "name: value" lines up to the first blank line. Names
// are kept exactly as written, so the lower-cased proxy capture stays
// lower-cased, as in a header map built by hand from it.
func headersFromCapture(t *testing.T, name string) http.Header {
	t.Helper()
	h := http.Header{}
	sc := bufio.NewScanner(bytes.NewReader(readTestdata(t, name)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"), strings.HasPrefix(line, "POST "):
			continue
		case strings.TrimSpace(line) == "":
			return h
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: bad header line %q", name, line)
		}
		h[k] = append(h[k], strings.TrimSpace(v))
	}
	return h
}

// wooDelivery returns the headers of a real WooCommerce delivery with the
// signature replaced by sig ("" removes it).
func wooDelivery(t *testing.T, sig string) http.Header {
	h := headersFromCapture(t, "webhook_action_order_status_changed_wc9.2.3_captured.headers.txt")
	delete(h, "x-wc-webhook-signature")
	if sig != "" {
		h["x-wc-webhook-signature"] = []string{sig}
	}
	return h
}

func TestWooCommerceVerify(t *testing.T) {
	// The NL order: PHP escaping ("\/", "\u20ac") that Go would not reproduce.
	body := readTestdata(t, "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	if !bytes.Contains(body, []byte(`\/`)) {
		t.Fatal("fixture lost its \\/ escapes")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	reencoded, _ := json.Marshal(v)
	tampered := bytes.Replace(body, []byte(`"total":"30.04"`), []byte(`"total":"3.04"`), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("tampering changed nothing")
	}
	good := sign(testSecret, body)
	canonical := http.Header{}
	canonical.Set("X-WC-Webhook-Signature", good)

	tests := map[string]struct {
		header   http.Header
		body     []byte
		want     Kind
		wantFail bool
	}{
		"valid, captured lower-case headers": {header: wooDelivery(t, good), body: body, want: KindOrder},
		"valid, canonical header":            {header: canonical, body: body, want: KindOrder},
		"valid, trailing space in header":    {header: wooDelivery(t, good+" "), body: body, want: KindOrder},
		"wrong secret":                       {header: wooDelivery(t, sign("other", body)), body: body, wantFail: true},
		"missing header":                     {header: wooDelivery(t, ""), body: body, wantFail: true},
		"no headers at all":                  {header: nil, body: body, wantFail: true},
		"tampered body":                      {header: wooDelivery(t, good), body: tampered, wantFail: true},
		"re-encoded body (\\/ lost)":         {header: wooDelivery(t, good), body: reencoded, wantFail: true},
		"non-base64 header":                  {header: wooDelivery(t, "not base64!"), body: body, wantFail: true},
		"hex instead of base64":              {header: wooDelivery(t, strings.Repeat("ab", 32)), body: body, wantFail: true},
		"unpadded base64":                    {header: wooDelivery(t, strings.TrimRight(good, "=")), body: body, wantFail: true},
		"truncated MAC":                      {header: wooDelivery(t, base64.StdEncoding.EncodeToString([]byte("short"))), body: body, wantFail: true},
		"captured signature on {}":           {header: headersFromCapture(t, "webhook_action_order_status_changed_wc9.2.3_captured.headers.txt"), body: []byte("{}"), wantFail: true},

		"ping":                           {header: nil, body: []byte("webhook_id=9"), want: KindPing},
		"ping, long id":                  {header: nil, body: []byte("webhook_id=1234567890"), want: KindPing},
		"ping with a signature header":   {header: wooDelivery(t, "garbage"), body: []byte("webhook_id=9"), want: KindPing},
		"ping, no id":                    {header: nil, body: []byte("webhook_id="), wantFail: true},
		"ping, letters":                  {header: nil, body: []byte("webhook_id=9a"), wantFail: true},
		"ping, trailing newline":         {header: nil, body: []byte("webhook_id=9\n"), wantFail: true},
		"ping, leading space":            {header: nil, body: []byte(" webhook_id=9"), wantFail: true},
		"ping, extra field":              {header: nil, body: []byte("webhook_id=9&x=1"), wantFail: true},
		"ping, upper case":               {header: nil, body: []byte("WEBHOOK_ID=9"), wantFail: true},
		"ping as JSON":                   {header: nil, body: []byte(`{"webhook_id":9}`), wantFail: true},
		"empty body, unsigned":           {header: nil, body: nil, wantFail: true},
		"empty body, signed":             {header: wooDelivery(t, sign(testSecret, nil)), body: nil, want: KindOrder},
		"unsigned order":                 {header: nil, body: body, wantFail: true},
		"signed with the empty secret":   {header: wooDelivery(t, sign("", body)), body: body, wantFail: true},
		"signature of the body plus \\n": {header: wooDelivery(t, sign(testSecret, append(bytes.Clone(body), '\n'))), body: body, wantFail: true},
	}
	a := newAdapter(t, WooCommerce, Config{Secret: testSecret})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			kind, err := a.Verify(tt.header, tt.body)
			if tt.wantFail {
				if !errors.Is(err, ErrSignature) || kind != 0 {
					t.Fatalf("Verify = %v, %v; want 0 and an error wrapping ErrSignature", kind, err)
				}
				return
			}
			if err != nil || kind != tt.want {
				t.Fatalf("Verify = %v, %v; want %v", kind, err, tt.want)
			}
		})
	}
}

func TestVerifyWithoutSecret(t *testing.T) {
	body := []byte(`{"id":1}`)
	for _, p := range []Platform{WooCommerce, Magento} {
		a := newAdapter(t, p, Config{})
		h := http.Header{}
		h.Set("X-WC-Webhook-Signature", sign("", body))
		h.Set("X-Koppel-Signature", sign("", body))
		if _, err := a.Verify(h, body); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: Verify without a secret = %v; want ErrSignature", p, err)
		}
	}
	if kind, err := newAdapter(t, WooCommerce, Config{}).Verify(nil, []byte("webhook_id=1")); kind != KindPing || err != nil {
		t.Errorf("ping without a secret = %v, %v", kind, err)
	}
}

func TestMagentoVerify(t *testing.T) {
	body := readTestdata(t, "rest_order_000000144_guest_twd_unicode_canceled.json")
	good := sign(testSecret, body)
	with := func(name, value string) http.Header {
		h := http.Header{}
		h.Set("X-Koppel-Event", "sales_order_save_after")
		if name != "" {
			h.Set(name, value)
		}
		return h
	}
	tests := map[string]struct {
		cfg      Config
		header   http.Header
		body     []byte
		wantFail bool
	}{
		"valid, default header":           {header: with("X-Koppel-Signature", good), body: body},
		"valid, lower-case header":        {header: http.Header{"x-koppel-signature": {good}}, body: body},
		"valid, custom header":            {cfg: Config{SignatureHeader: "X-Shop-Hmac"}, header: with("X-Shop-Hmac", good), body: body},
		"custom header, default sent":     {cfg: Config{SignatureHeader: "X-Shop-Hmac"}, header: with("X-Koppel-Signature", good), body: body, wantFail: true},
		"wrong secret":                    {header: with("X-Koppel-Signature", sign("other", body)), body: body, wantFail: true},
		"missing header":                  {header: with("", ""), body: body, wantFail: true},
		"tampered body":                   {header: with("X-Koppel-Signature", good), body: bytes.Replace(body, []byte("500"), []byte("5"), 1), wantFail: true},
		"non-base64 header":               {header: with("X-Koppel-Signature", "%%%"), body: body, wantFail: true},
		"no ping on Magento":              {header: nil, body: []byte("webhook_id=9"), wantFail: true},
		"WooCommerce header is not taken": {header: with("X-WC-Webhook-Signature", good), body: body, wantFail: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Secret = testSecret
			kind, err := newAdapter(t, Magento, cfg).Verify(tt.header, tt.body)
			if tt.wantFail {
				if !errors.Is(err, ErrSignature) || kind != 0 {
					t.Fatalf("Verify = %v, %v; want 0 and an error wrapping ErrSignature", kind, err)
				}
				return
			}
			if err != nil || kind != KindOrder {
				t.Fatalf("Verify = %v, %v; want order", kind, err)
			}
		})
	}
}

func TestDeliveryHeaders(t *testing.T) {
	woo := newAdapter(t, WooCommerce, Config{Secret: testSecret})
	got := woo.DeliveryHeaders(headersFromCapture(t, "webhook_action_order_status_changed_wc9.2.3_captured.headers.txt"))
	want := map[string]string{
		"X-Wc-Webhook-Source":      "https://yasmeera.id/",
		"X-Wc-Webhook-Topic":       "action.woocommerce_order_status_changed",
		"X-Wc-Webhook-Resource":    "action",
		"X-Wc-Webhook-Event":       "woocommerce_order_status_changed",
		"X-Wc-Webhook-Id":          "9",
		"X-Wc-Webhook-Delivery-Id": "7516fc0970a9289c8cec3ec950ff0c28",
	}
	assertMap(t, "woocommerce", got, want)

	// The header template as WooCommerce spells the names, via http.Header.Add.
	h := http.Header{}
	for k, v := range headersFromCapture(t, "webhook_order_updated_from_source.headers.txt") {
		h.Add(k, v[0])
	}
	if got := woo.DeliveryHeaders(h); got["X-Wc-Webhook-Topic"] != "order.updated" || got["X-Wc-Webhook-Signature"] != "" || len(got) != 6 {
		t.Errorf("woocommerce, source template: %v", got)
	}

	mag := newAdapter(t, Magento, Config{Secret: testSecret})
	h = http.Header{}
	h.Set("X-Koppel-Signature", "sig")
	h.Set("X-Koppel-Event", "sales_order_save_after")
	h.Set("X-Koppel-Delivery-Id", "d-1")
	h.Set("X-Magento-Store", "default")
	h.Set("User-Agent", "Magento")
	assertMap(t, "magento", mag.DeliveryHeaders(h), map[string]string{
		"X-Koppel-Event":       "sales_order_save_after",
		"X-Koppel-Delivery-Id": "d-1",
		"X-Magento-Store":      "default",
	})
	assertMap(t, "magento, none", mag.DeliveryHeaders(nil), map[string]string{})
}

func assertMap(t *testing.T, name string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", name, k, got[k], v)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindOrder: "order", KindPing: "ping", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
