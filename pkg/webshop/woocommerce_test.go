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
	assertProto(t, "discounts", o.GetDiscounts(), []*koppelv1.Discount{{Code: "tien", AmountExcl: "3.00", AmountTax: "0.51"}})
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
	if o.GetRevision() != "2025-03-01T09:05:00" || o.GetUpdatedAt().AsTime().Format("15:04") != "09:05" {
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

func TestWooCommerceRevisionFallback(t *testing.T) {
	a := newAdapter(t, WooCommerce, Config{})
	body := []byte(`{"id":7,"status":"pending","date_modified_gmt":null}`)
	o, err := a.Normalize(testProfile, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := bodyRevision(body); o.GetRevision() != want || !strings.HasPrefix(want, "sha256:") || len(want) != 7+64 {
		t.Errorf("revision = %q, want %q", o.GetRevision(), want)
	}
	o2, _ := a.Normalize(testProfile, []byte(`{"id":7,"status":"processing","date_modified_gmt":null}`))
	if o2.GetRevision() == o.GetRevision() {
		t.Error("different bodies gave the same hash revision")
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
