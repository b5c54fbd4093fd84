package webshop

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/koppel/koppel/pkg/koppelv1"
)

func TestWooCommerceNotOrdersAndMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		want    error
		mention string // the error names this
	}{
		"deletion stub":         {body: `{"id":4711}`, want: ErrNotOrder, mention: "4711"},
		"deletion stub, spaced": {body: "{\n  \"id\": 4711\n}\n", want: ErrNotOrder},
		"action payload":        {body: `{"action":"woocommerce_order_status_changed","arg":123}`, want: ErrNotOrder, mention: "woocommerce_order_status_changed"},
		"subscription":          {body: `{"id":9,"status":"active","billing_period":"month","billing_interval":"1"}`, want: ErrNotOrder, mention: "subscription"},
		"subscription by link":  {body: `{"id":9,"status":"active","_links":{"self":[{"href":"https:\/\/s.nl\/wp-json\/wc\/v3\/subscriptions\/9"}]}}`, want: ErrNotOrder},

		"empty body":            {body: ``, want: ErrMalformed, mention: "invalid JSON"},
		"ping body":             {body: `webhook_id=9`, want: ErrMalformed, mention: "invalid JSON"},
		"truncated":             {body: `{"id":1,"status":"processing"`, want: ErrMalformed},
		"trailing garbage":      {body: `{"id":1,"status":"processing"} x`, want: ErrMalformed},
		"array":                 {body: `[{"id":1}]`, want: ErrMalformed, mention: "array"},
		"string":                {body: `"order"`, want: ErrMalformed},
		"missing id":            {body: `{"status":"processing","total":"10.00"}`, want: ErrMalformed, mention: "missing id"},
		"empty object":          {body: `{}`, want: ErrMalformed, mention: "missing id"},
		"id zero":               {body: `{"id":0,"status":"processing"}`, want: ErrMalformed, mention: "id"},
		"id not a number":       {body: `{"id":"abc","status":"processing"}`, want: ErrMalformed, mention: "id"},
		"id an object":          {body: `{"id":{"n":1},"status":"processing"}`, want: ErrMalformed, mention: "id"},
		"bad total":             {body: `{"id":1,"status":"processing","total":"ten"}`, want: ErrMalformed, mention: "total"},
		"bad line price":        {body: `{"id":1,"status":"processing","line_items":[{"id":1,"price":{"a":1}}]}`, want: ErrMalformed, mention: "line_items.price"},
		"bad tax in taxes":      {body: `{"id":1,"status":"processing","line_items":[{"id":1,"taxes":[{"id":1,"total":"1,5"}]}]}`, want: ErrMalformed, mention: "line_items.taxes.total"},
		"status a number":       {body: `{"id":1,"status":5}`, want: ErrMalformed, mention: "status"},
		"line_items an object":  {body: `{"id":1,"status":"processing","line_items":{"0":{}}}`, want: ErrMalformed, mention: "line_items"},
		"billing a string":      {body: `{"id":1,"status":"processing","billing":"x"}`, want: ErrMalformed, mention: "billing"},
		"prices_include_tax 1":  {body: `{"id":1,"status":"processing","prices_include_tax":1}`, want: ErrMalformed, mention: "prices_include_tax"},
		"quantity not a number": {body: `{"id":1,"status":"processing","line_items":[{"quantity":"two"}]}`, want: ErrMalformed, mention: "quantity"},
	}
	a := newAdapter(t, WooCommerce, Config{})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := a.Normalize(testProfile, []byte(tt.body))
			if !errors.Is(err, tt.want) || o != nil {
				t.Fatalf("Normalize = %v, %v; want nil and an error wrapping %v", o, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

// wooCouponOrder is a hand-built wc/v3 order with what no public fixture has:
// a non-zero coupon, two tax rates (21% and 9%), taxed shipping, a negative
// fee, an HTML entity, and house-number plugin meta.
const wooCouponOrder = `{"id":5001,"number":"5001","status":"processing","currency":"EUR","prices_include_tax":false,
"date_created_gmt":"2025-03-01T09:00:00","date_modified_gmt":"2025-03-01T09:05:00","date_paid_gmt":null,
"discount_total":"3.00","discount_tax":"0.51","shipping_total":"4.95","shipping_tax":"1.04","cart_tax":"4.59",
"total":"%TOTAL%","total_tax":"5.42","customer_id":0,"customer_note":"Graag na 17:00",
"billing":{"first_name":"Anaïs","last_name":"de Bruijn","company":"","address_1":"Voorbeeldstraat 25A","address_2":"",
"city":"Amsterdam","state":"","postcode":"1011 AB","country":"nl","email":"anais@example.nl","phone":"0612345678"},
"shipping":{"first_name":"","last_name":"","company":"","address_1":"","address_2":"","city":"","state":"","postcode":"","country":"","phone":""},
"payment_method":"bacs","payment_method_title":"Bank &amp; giro","transaction_id":"",
"meta_data":[{"id":1,"key":"_billing_street_name","value":"Voorbeeldstraat"},{"id":2,"key":"_billing_house_number","value":"25"},
{"id":3,"key":"_billing_house_number_suffix","value":"-A"},{"id":4,"key":"_billing_vat_number","value":"NL123456789B01"}],
"line_items":[
 {"id":1,"name":"Koffie &ndash; 1 kg","product_id":10,"variation_id":11,"quantity":2,"subtotal":"20.00","subtotal_tax":"4.20",
  "total":"18.00","total_tax":"3.78","taxes":[{"id":1,"total":"3.78","subtotal":"4.2"}],
  "meta_data":[{"id":9,"key":"pa_maling","value":"bonen","display_key":"Maling","display_value":"Hele bonen"},
   {"id":10,"key":"_reduced_stock","value":"2"},{"id":11,"key":"bundle","value":{"a":1}}],"sku":"KOF-1","price":9},
 {"id":2,"name":"Thee","product_id":12,"variation_id":0,"quantity":3,"subtotal":"10.00","subtotal_tax":"0.90",
  "total":"9.00","total_tax":"0.81","taxes":[{"id":2,"total":"0.81","subtotal":"0.9"}],"meta_data":[],"sku":"","price":3}],
"tax_lines":[{"id":7,"rate_code":"NL-21","rate_id":1,"label":"BTW hoog","compound":false,"tax_total":"3.57","shipping_tax_total":"1.04","rate_percent":21},
 {"id":8,"rate_code":"NL-9","rate_id":2,"label":"BTW laag","compound":false,"tax_total":"0.81","shipping_tax_total":"0.00","rate_percent":9}],
"shipping_lines":[{"id":20,"method_title":"PostNL","method_id":"flat_rate","total":"4.95","total_tax":"1.04","taxes":[{"id":1,"total":"1.0395","subtotal":""}]}],
"fee_lines":[{"id":30,"name":"Korting &amp; zo","tax_status":"taxable","total":"-1.00","total_tax":"-0.21","taxes":[{"id":1,"total":"-0.21","subtotal":""}]}],
"coupon_lines":[{"id":40,"code":"tien","discount":"3.00","discount_tax":"0.51"}]}`

func wooCouponBody(total string) []byte {
	return []byte(strings.Replace(wooCouponOrder, "%TOTAL%", total, 1))
}

func TestWooCommerceCouponOrder(t *testing.T) {
	o, err := newAdapter(t, WooCommerce, Config{}).Normalize(testProfile, wooCouponBody("36.37"))
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []*koppelv1.Line{
		{LineId: "1", Sku: "KOF-1", Name: "Koffie – 1 kg", Quantity: "2", UnitPriceExcl: "10.00", UnitPriceIncl: "12.10",
			TaxRate: "21", DiscountExcl: "2.00", TotalExcl: "18.00", TotalTax: "3.78", TotalIncl: "21.78",
			Options: []*koppelv1.Option{{Name: "Maling", Value: "Hele bonen"}}, ProductId: "10", VariantId: "11"},
		{LineId: "2", Name: "Thee", Quantity: "3", UnitPriceExcl: "3.333333", UnitPriceIncl: "3.633333",
			TaxRate: "9", DiscountExcl: "1.00", TotalExcl: "9.00", TotalTax: "0.81", TotalIncl: "9.81", ProductId: "12"},
	}
	assertProto(t, "lines", o.GetLines(), wantLines)
	assertProto(t, "shipping", o.GetShippingLines(), []*koppelv1.Charge{
		{Title: "PostNL", Method: "flat_rate", TotalExcl: "4.95", TotalTax: "1.04", TotalIncl: "5.99", TaxRate: "21"}})
	assertProto(t, "fees", o.GetFeeLines(), []*koppelv1.Charge{
		{Title: "Korting & zo", TotalExcl: "-1.00", TotalTax: "-0.21", TotalIncl: "-1.21", TaxRate: "21"}})
	assertProto(t, "discounts", o.GetDiscounts(), []*koppelv1.Discount{{Code: "tien", AmountExcl: "3.00", AmountTax: "0.51", AppliesTo: "lines"}})
	assertProto(t, "totals", []*koppelv1.Totals{o.GetTotals()}, []*koppelv1.Totals{{
		LinesExcl: "30.00", ShippingExcl: "4.95", FeesExcl: "-1.00", DiscountExcl: "3.00", Tax: "5.42", TotalExcl: "30.95", TotalIncl: "36.37"}})
	assertProto(t, "total check", []*koppelv1.TotalCheck{o.GetTotalCheck()}, []*koppelv1.TotalCheck{{
		ComputedIncl: "36.37", ReportedIncl: "36.37", Difference: "0.00", Ok: true}})
	assertProto(t, "billing", []*koppelv1.Address{o.GetBilling()}, []*koppelv1.Address{{
		FirstName: "Anaïs", LastName: "de Bruijn", Street: "Voorbeeldstraat", HouseNumber: "25", HouseNumberSuffix: "A",
		Postcode: "1011 AB", City: "Amsterdam", Country: "NL", Email: "anais@example.nl", Phone: "0612345678"}})
	if o.GetShipping() != nil {
		t.Errorf("all-empty shipping address = %v, want nil", o.GetShipping())
	}
	c := o.GetCustomer()
	if !c.GetGuest() || c.GetShopCustomerId() != "" || c.GetVatNumber() != "NL123456789B01" {
		t.Errorf("customer = %v", c)
	}
	p := o.GetPayment()
	if p.GetPaid() || p.GetPaidAt() != nil || p.GetTitle() != "Bank & giro" {
		t.Errorf("payment = %v", p)
	}
	if !strings.HasPrefix(o.GetRevision(), "2025-03-01T09:05:00#") || o.GetUpdatedAt().AsTime().Format("15:04") != "09:05" {
		t.Errorf("revision, updated_at = %q, %v", o.GetRevision(), o.GetUpdatedAt())
	}
	if o.GetCustomerNote() != "Graag na 17:00" {
		t.Errorf("customer note = %q", o.GetCustomerNote())
	}
}

func TestWooCommerceTotalTolerance(t *testing.T) {
	tests := map[string]struct {
		tolerance, total string
		diff             string
		ok               bool
	}{
		"exact":                  {total: "36.37", diff: "0.00", ok: true},
		"one cent under":         {total: "36.38", diff: "-0.01", ok: true},
		"one cent over":          {total: "36.36", diff: "0.01", ok: true},
		"two cents":              {total: "36.39", diff: "-0.02"},
		"two cents, tolerance 5": {tolerance: "0.05", total: "36.39", diff: "-0.02", ok: true},
		"exact required":         {tolerance: "0", total: "36.38", diff: "-0.01"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := newAdapter(t, WooCommerce, Config{TotalTolerance: tt.tolerance}).Normalize(testProfile, wooCouponBody(tt.total))
			if err != nil {
				t.Fatal(err)
			}
			tc := o.GetTotalCheck()
			if tc.GetDifference() != tt.diff || tc.GetOk() != tt.ok {
				t.Errorf("total check = %v; want difference %s ok %v", tc, tt.diff, tt.ok)
			}
		})
	}
}

// TestAdapterConcurrentUse runs one adapter from many goroutines; with
// -race it shows adapters share no mutable state.
func TestAdapterConcurrentUse(t *testing.T) {
	for _, fx := range []fixture{
		{file: "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json", platform: WooCommerce},
		{file: "magento_configurable_parent_child.json", platform: Magento},
	} {
		a := newAdapter(t, fx.platform, Config{Secret: testSecret})
		body := readTestdata(t, fx.file)
		h := map[string][]string{"X-Wc-Webhook-Signature": {sign(testSecret, body)}, "X-Koppel-Signature": {sign(testSecret, body)}}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := a.Verify(h, body); err != nil {
					t.Error(err)
				}
				if _, err := a.Normalize(testProfile, body); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// splitOrder is the derived real NL order (see fixtures_test.go): prices
// incl. VAT, a 21 % and a 9 % item, and shipping and a fee each taxed at
// both rates, in proportion to the items' net amounts (30.00 : 20.00).
const splitOrder = "rest_v3_order_12346_nl_eur_21_9_split_shipping_derived.json"

// TestWooCommerceSplitCharges works the fixture's charges out by hand.
//
//	items     21 %: 1 × 30.00 net, VAT 6.30      9 %: 2 × 10.00 net, VAT 1.80
//	shipping  4.95 net, taxes[] 21 %: 0.6237, 9 %: 0.1782, total_tax 0.80
//	          net per rate = tax / rate:  0.6237 / 0.21 = 2.97,  0.1782 / 0.09 = 1.98
//	          2.97 + 1.98 = 4.95 = total: no residue, no untaxed rest
//	          tax per rate, rounded: 0.62 + 0.18 = 0.80 = total_tax
//	          largest share 2.97 → tax_rate 21 (not 21 + 9 = 30)
//	fee       2.50 net, taxes[] 21 %: 0.315, 9 %: 0.09, total_tax 0.40
//	          0.315 / 0.21 = 1.50,  0.09 / 0.09 = 1.00,  1.50 + 1.00 = 2.50
//	          prices incl. VAT: WooCommerce rounds tax halves down, 0.315 → 0.31
//	          0.31 + 0.09 = 0.40 = total_tax
//	total     36.30 + 21.80 + 5.75 + 2.90 = 66.75 = total
func TestWooCommerceSplitCharges(t *testing.T) {
	o, err := newAdapter(t, WooCommerce, Config{}).Normalize(testProfile, readTestdata(t, splitOrder))
	if err != nil {
		t.Fatal(err)
	}
	assertProto(t, "shipping", o.GetShippingLines(), []*koppelv1.Charge{{
		Title: "PostNL", Method: "flat_rate", TotalExcl: "4.95", TotalTax: "0.80", TotalIncl: "5.75", TaxRate: "21",
		Taxes: []*koppelv1.TaxShare{{Rate: "21", TotalExcl: "2.97", Tax: "0.62"}, {Rate: "9", TotalExcl: "1.98", Tax: "0.18"}},
	}})
	assertProto(t, "fees", o.GetFeeLines(), []*koppelv1.Charge{{
		Title: "Verzekerd verzenden", TotalExcl: "2.50", TotalTax: "0.40", TotalIncl: "2.90", TaxRate: "21",
		Taxes: []*koppelv1.TaxShare{{Rate: "21", TotalExcl: "1.50", Tax: "0.31"}, {Rate: "9", TotalExcl: "1.00", Tax: "0.09"}},
	}})
	if tc := o.GetTotalCheck(); !tc.GetOk() || tc.GetComputedIncl() != "66.75" {
		t.Errorf("total check = %v", tc)
	}
}

// TestWooCommerceSplitVariants changes the fixture's shipping line (and
// lines) to the cases the split must get right; each case's arithmetic is
// in its comment.
func TestWooCommerceSplitVariants(t *testing.T) {
	type taxes = []any
	shipping := func(total, totalTax string, tx taxes) func(o map[string]any) {
		return func(o map[string]any) {
			s := jsonAt(t, o, "shipping_lines", 0)
			s["total"], s["total_tax"], s["taxes"] = total, totalTax, tx
		}
	}
	tax := func(id int, total string) map[string]any {
		return map[string]any{"id": id, "total": total, "subtotal": ""}
	}
	zeroRatedLine := func(o map[string]any) { // the book at 0 % instead of 9 %
		l := jsonAt(t, o, "line_items", 1)
		l["subtotal_tax"], l["total_tax"], l["taxes"] = "0.00", "0.00", []any{}
	}
	tests := map[string]struct {
		edits []func(map[string]any)
		want  *koppelv1.Charge
	}{
		// Taxes stored rounded: 0.88 / 0.21 = 4.190476 → 4.19, 0.25 / 0.09 = 2.777… → 2.78;
		// 4.19 + 2.78 = 6.97, 0.02 over 6.95: rounding, taken off the largest share.
		"rounded taxes, residue to the largest": {
			edits: []func(map[string]any){shipping("6.95", "1.13", taxes{tax(3, "0.88"), tax(4, "0.25")})},
			want: &koppelv1.Charge{TotalExcl: "6.95", TotalTax: "1.13", TotalIncl: "8.08", TaxRate: "21",
				Taxes: []*koppelv1.TaxShare{{Rate: "21", TotalExcl: "4.17", Tax: "0.88"}, {Rate: "9", TotalExcl: "2.78", Tax: "0.25"}}},
		},
		// 0.756 / 0.21 = 3.60 of 6.00: 2.40 bore no VAT, and the book is at 0 %.
		"untaxed rest with a 0 % line": {
			edits: []func(map[string]any){zeroRatedLine, shipping("6.00", "0.76", taxes{tax(3, "0.756")})},
			want: &koppelv1.Charge{TotalExcl: "6.00", TotalTax: "0.76", TotalIncl: "6.76", TaxRate: "21",
				Taxes: []*koppelv1.TaxShare{{Rate: "21", TotalExcl: "3.60", Tax: "0.76"}, {Rate: "0", TotalExcl: "2.40", Tax: "0.00"}}},
		},
		// The same charge without a 0 % line: the 2.40 goes to the only share,
		// which leaves one rate and no shares.
		"untaxed rest without a 0 % line": {
			edits: []func(map[string]any){shipping("6.00", "0.76", taxes{tax(3, "0.756")})},
			want:  &koppelv1.Charge{TotalExcl: "6.00", TotalTax: "0.76", TotalIncl: "6.76", TaxRate: "21"},
		},
		// One rate on the whole charge: 1.0395 / 0.21 = 4.95.
		"one rate": {
			edits: []func(map[string]any){shipping("4.95", "1.04", taxes{tax(3, "1.0395")})},
			want:  &koppelv1.Charge{TotalExcl: "4.95", TotalTax: "1.04", TotalIncl: "5.99", TaxRate: "21"},
		},
		// Both rates on the whole charge: 2.10 / 0.21 = 10.00 and
		// 0.90 / 0.09 = 10.00. Stacked, not split: the rates add up.
		"stacked rates": {
			edits: []func(map[string]any){shipping("10.00", "3.00", taxes{tax(3, "2.10"), tax(4, "0.90")})},
			want:  &koppelv1.Charge{TotalExcl: "10.00", TotalTax: "3.00", TotalIncl: "13.00", TaxRate: "30"},
		},
		// Before WC 5.7 tax_lines has no rate_percent: no split, the rate is
		// 0.80 / 4.95 = 16.16 %.
		"no rate_percent": {
			edits: []func(map[string]any){func(o map[string]any) {
				delete(jsonAt(t, o, "tax_lines", 0), "rate_percent")
				delete(jsonAt(t, o, "tax_lines", 1), "rate_percent")
			}},
			want: &koppelv1.Charge{TotalExcl: "4.95", TotalTax: "0.80", TotalIncl: "5.75", TaxRate: "16.16"},
		},
	}
	a := newAdapter(t, WooCommerce, Config{})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			body := editJSON(t, readTestdata(t, splitOrder), func(o map[string]any) {
				for _, e := range tt.edits {
					e(o)
				}
			})
			o, err := a.Normalize(testProfile, body)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Title, tt.want.Method = "PostNL", "flat_rate"
			assertProto(t, "shipping", o.GetShippingLines(), []*koppelv1.Charge{tt.want})
		})
	}
}

func TestWooCommerceVATNumber(t *testing.T) {
	tests := map[string]struct {
		meta string
		want string
	}{
		"Dutch key":              {meta: `{"key":"btw_nummer","value":"NL001234567B01"}`, want: "NL001234567B01"},
		"EU VAT plugin":          {meta: `{"key":"_billing_eu_vat_number","value":"DE123456789"}`, want: "DE123456789"},
		"empty key skipped":      {meta: `{"key":"vat_number","value":""},{"key":"vat_id","value":"BE0123456789"}`, want: "BE0123456789"},
		"billing key wins":       {meta: `{"key":"vat_nr","value":"NL1"},{"key":"_billing_vat_number","value":"NL2"}`, want: "NL2"},
		"key case ignored":       {meta: `{"key":"BtwNummer","value":" NL3 "}`, want: "NL3"},
		"object value skipped":   {meta: `{"key":"_vat_number","value":{"n":"x"}},{"key":"vatnr","value":"NL4"}`, want: "NL4"},
		"none of the known keys": {meta: `{"key":"_vat_country","value":"NL"}`},
	}
	a := newAdapter(t, WooCommerce, Config{})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(wooCouponBody("36.37")),
				`{"id":4,"key":"_billing_vat_number","value":"NL123456789B01"}`, tt.meta, 1)
			o, err := a.Normalize(testProfile, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := o.GetCustomer().GetVatNumber(); got != tt.want {
				t.Errorf("vat number = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestWooCommerceCouponTarget: coupons the items carry apply to "lines"
// (with the rate when the discounted lines share one); coupons they do not
// carry apply to the "order", and the total check subtracts them.
func TestWooCommerceCouponTarget(t *testing.T) {
	tests := map[string]struct {
		coffee, tea [2]string // total, total_tax; the fixture has 18.00 3.78, 9.00 0.81
		total       string
		appliesTo   string
		rate        string
	}{
		"spread over 21 % and 9 %": {coffee: [2]string{"18.00", "3.78"}, tea: [2]string{"9.00", "0.81"}, total: "36.37",
			appliesTo: "lines"},
		// Only the coffee carries the 2.00 + 1.00 of the coupon:
		// 20.57 + 10.90 + 5.99 − 1.21 = 36.25.
		"spread over 21 % only": {coffee: [2]string{"17.00", "3.57"}, tea: [2]string{"10.00", "0.90"}, total: "36.25",
			appliesTo: "lines", rate: "21"},
		// No item carries it: 24.20 + 10.90 + 5.99 − 1.21 − (3.00 + 0.51) = 36.37.
		"not spread": {coffee: [2]string{"20.00", "4.20"}, tea: [2]string{"10.00", "0.90"}, total: "36.37",
			appliesTo: "order"},
	}
	a := newAdapter(t, WooCommerce, Config{})
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			body := editJSON(t, wooCouponBody(tt.total), func(o map[string]any) {
				coffee, tea := jsonAt(t, o, "line_items", 0), jsonAt(t, o, "line_items", 1)
				coffee["total"], coffee["total_tax"] = tt.coffee[0], tt.coffee[1]
				tea["total"], tea["total_tax"] = tt.tea[0], tt.tea[1]
			})
			o, err := a.Normalize(testProfile, body)
			if err != nil {
				t.Fatal(err)
			}
			if d := o.GetDiscounts()[0]; d.GetAppliesTo() != tt.appliesTo || d.GetTaxRate() != tt.rate {
				t.Errorf("coupon = %v; want applies_to %q, tax_rate %q", d, tt.appliesTo, tt.rate)
			}
			if tc := o.GetTotalCheck(); !tc.GetOk() || tc.GetComputedIncl() != tt.total {
				t.Errorf("total check = %v", tc)
			}
		})
	}
}
