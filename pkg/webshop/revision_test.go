package webshop

import (
	"fmt"
	"regexp"
	"testing"
)

// TestRevision: two states of one order in the same second get two
// revisions; one state in two bodies (a webhook and a poll) gets one.
func TestRevision(t *testing.T) {
	const (
		woo     = `{"id":7,"status":%q,"currency":"EUR","date_modified_gmt":%s,"total":"10.00","line_items":[{"id":1,"name":"Koffie","quantity":1,"subtotal":"10.00","total":"10.00","price":10}]%s}`
		mag     = `{"entity_id":9,"increment_id":"000000009","status":%q,"order_currency_code":"EUR","updated_at":%s,"grand_total":0,"items":[]%s}`
		second  = `"2025-03-01T09:05:00"`
		magTime = `"2025-03-01 09:05:00"`
		links   = `,"_links":{"self":[{"href":"https://shop.example/wp-json/wc/v3/orders/7"}]}`
	)
	tests := []struct {
		name     string
		platform Platform
		a, b     string
		same     bool
		pattern  string // what a's revision looks like
	}{
		{"woo pending then processing in one second", WooCommerce,
			fmt.Sprintf(woo, "pending", second, ""), fmt.Sprintf(woo, "processing", second, ""), false,
			`^2025-03-01T09:05:00#[0-9a-f]{12}$`},
		{"woo one state, webhook and poll body", WooCommerce,
			fmt.Sprintf(woo, "processing", second, ""), fmt.Sprintf(woo, "processing", second, links), true, ""},
		{"woo one state, a later modification time", WooCommerce,
			fmt.Sprintf(woo, "processing", second, ""), fmt.Sprintf(woo, "processing", `"2025-03-01T09:05:01"`, ""), false, ""},
		{"woo without modification time: the state hash", WooCommerce,
			fmt.Sprintf(woo, "pending", "null", ""), fmt.Sprintf(woo, "processing", "null", ""), false,
			`^sha256:[0-9a-f]{64}$`},
		{"woo without modification time, one state in two bodies", WooCommerce,
			fmt.Sprintf(woo, "pending", "null", ""), fmt.Sprintf(woo, "pending", "null", links), true, ""},
		{"magento pending then processing in one second", Magento,
			fmt.Sprintf(mag, "pending", magTime, ""), fmt.Sprintf(mag, "processing", magTime, ""), false,
			`^2025-03-01 09:05:00#[0-9a-f]{12}$`},
		{"magento one state in two bodies", Magento,
			fmt.Sprintf(mag, "processing", magTime, ""), fmt.Sprintf(mag, "processing", magTime, `,"extension_attributes":{}`), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAdapter(t, tt.platform, Config{})
			oa, err := a.Normalize(testProfile, []byte(tt.a))
			if err != nil {
				t.Fatalf("Normalize a: %v", err)
			}
			ob, err := a.Normalize(testProfile, []byte(tt.b))
			if err != nil {
				t.Fatalf("Normalize b: %v", err)
			}
			ra, rb := oa.GetRevision(), ob.GetRevision()
			if (ra == rb) != tt.same {
				t.Errorf("revisions %q and %q: same = %v, want %v", ra, rb, ra == rb, tt.same)
			}
			if tt.pattern != "" && !regexp.MustCompile(tt.pattern).MatchString(ra) {
				t.Errorf("revision %q does not match %s", ra, tt.pattern)
			}
			again, _ := a.Normalize(testProfile, []byte(tt.a))
			if again.GetRevision() != ra {
				t.Errorf("one body twice: %q then %q", ra, again.GetRevision())
			}
		})
	}
}
