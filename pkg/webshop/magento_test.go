package webshop

import (
	"errors"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// TestMagentoConfigurableBookedOnce uses the hand-built payload of
// webshops.md §B.2: a configurable parent with the child's sku and all the
// money, and a zero-priced simple child with parent_item_id and a copy of
// the parent under parent_item.
func TestMagentoConfigurableBookedOnce(t *testing.T) {
	o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, readTestdata(t, "magento_configurable_parent_child.json"))
	if err != nil {
		t.Fatal(err)
	}
	assertProto(t, "lines", o.GetLines(), []*koppelv1.Line{{
		LineId: "101", Sku: "MH07-XL-Black", Name: "Hero Hoodie-XL-Black", Quantity: "1",
		UnitPriceExcl: "199.13", UnitPriceIncl: "229.00", TaxRate: "15", DiscountExcl: "0.00",
		TotalExcl: "199.13", TotalTax: "29.87", TotalIncl: "229.00",
		Options:   []*koppelv1.Option{{Name: "93", Value: "49"}, {Name: "144", Value: "170"}},
		ProductId: "158", VariantId: "1234",
	}})
	if tc := o.GetTotalCheck(); !tc.GetOk() || tc.GetComputedIncl() != "252.00" {
		t.Errorf("total check = %v", tc)
	}
	if p := o.GetPayment(); !p.GetPaid() || p.GetTitle() != "Check / Money order" {
		t.Errorf("payment = %v", p)
	}
	// The Dutch three-line street convention in the shipping address.
	if s := o.GetShipping(); s.GetStreet() != "Olaya Street" || s.GetHouseNumber() != "7" || s.GetHouseNumberSuffix() != "B" {
		t.Errorf("shipping = %v", s)
	}
}

// magentoOrder wraps items (a JSON array) into a minimal REST order.
func magentoOrder(items, totals string) []byte {
	return []byte(`{"entity_id":77,"increment_id":"000000077","status":"processing","order_currency_code":"EUR",
"base_currency_code":"EUR","updated_at":"2025-01-02 03:04:05","customer_is_guest":1,` + totals + `,"items":` + items + `}`)
}

func TestMagentoBundles(t *testing.T) {
	dynamic := `[
 {"item_id":1,"product_type":"bundle","sku":"BOX","name":"Giftbox","qty_ordered":1,"price":0,"row_total":0,"tax_amount":0,"product_id":5},
 {"item_id":2,"parent_item_id":1,"product_type":"simple","sku":"TEA","name":"Thee","qty_ordered":2,"price":5,"price_incl_tax":5.45,
  "row_total":10,"row_total_incl_tax":10.9,"tax_amount":0.9,"tax_percent":9,"product_id":6,"parent_item":{"item_id":1}},
 {"item_id":3,"parent_item_id":1,"product_type":"simple","sku":"MUG","name":"Mok","qty_ordered":1,"price":8,"price_incl_tax":9.68,
  "row_total":8,"row_total_incl_tax":9.68,"tax_amount":1.68,"tax_percent":21,"product_id":7,"parent_item":{"item_id":1}}]`
	fixed := `[
 {"item_id":1,"product_type":"bundle","sku":"BOX","name":"Giftbox","qty_ordered":1,"price":18,"price_incl_tax":21.78,
  "row_total":18,"row_total_incl_tax":21.78,"tax_amount":3.78,"tax_percent":21,"product_id":5},
 {"item_id":2,"parent_item_id":1,"product_type":"simple","sku":"TEA","name":"Thee","qty_ordered":2,"price":0,"row_total":0,"tax_amount":0},
 {"item_id":3,"parent_item_id":1,"product_type":"simple","sku":"MUG","name":"Mok","qty_ordered":1,"price":0,"row_total":0,"tax_amount":0}]`
	orphan := `[{"item_id":9,"parent_item_id":8,"product_type":"simple","sku":"LOST","name":"Kind","qty_ordered":1,"price":4,
  "row_total":4,"tax_amount":0.84,"tax_percent":21}]`
	tests := map[string]struct {
		items, totals string
		skus          []string
		incl          []string
	}{
		"dynamic price: children": {items: dynamic, totals: `"subtotal":18,"tax_amount":2.58,"grand_total":20.58`,
			skus: []string{"TEA", "MUG"}, incl: []string{"10.90", "9.68"}},
		"fixed price: parent": {items: fixed, totals: `"subtotal":18,"tax_amount":3.78,"grand_total":21.78`,
			skus: []string{"BOX"}, incl: []string{"21.78"}},
		"orphan child": {items: orphan, totals: `"subtotal":4,"tax_amount":0.84,"grand_total":4.84`,
			skus: []string{"LOST"}, incl: []string{"4.84"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, magentoOrder(tt.items, tt.totals))
			if err != nil {
				t.Fatal(err)
			}
			var skus, incl []string
			for _, l := range o.GetLines() {
				skus = append(skus, l.GetSku())
				incl = append(incl, l.GetTotalIncl())
			}
			if strings.Join(skus, ",") != strings.Join(tt.skus, ",") || strings.Join(incl, ",") != strings.Join(tt.incl, ",") {
				t.Errorf("lines: skus %v incl %v; want %v %v", skus, incl, tt.skus, tt.incl)
			}
			if !o.GetTotalCheck().GetOk() {
				t.Errorf("total check = %v", o.GetTotalCheck())
			}
			if o.GetShipping() != nil || len(o.GetShippingLines()) != 0 {
				t.Errorf("virtual order got shipping %v %v", o.GetShipping(), o.GetShippingLines())
			}
		})
	}
}

// TestMagentoDiscounts covers an item discount (row_total before discount,
// as Magento normally writes it) plus a shipping discount, which no line
// carries and the total check must subtract.
func TestMagentoDiscounts(t *testing.T) {
	items := `[{"item_id":1,"product_type":"simple","sku":"A","name":"A","qty_ordered":2,"price":50,"price_incl_tax":60.5,
 "row_total":100,"row_total_incl_tax":121,"discount_amount":10,"discount_percent":10,"tax_amount":18.9,"tax_percent":21}]`
	totals := `"subtotal":100,"discount_amount":-15,"coupon_code":"VIJFTIEN","tax_amount":21,"shipping_amount":10,
"shipping_tax_amount":2.1,"shipping_incl_tax":12.1,"shipping_discount_amount":5,"shipping_description":"Flat Rate - Fixed",
"grand_total":116,"total_paid":100`
	o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, magentoOrder(items, totals))
	if err != nil {
		t.Fatal(err)
	}
	assertProto(t, "lines", o.GetLines(), []*koppelv1.Line{{
		LineId: "1", Sku: "A", Name: "A", Quantity: "2", UnitPriceExcl: "50.00", UnitPriceIncl: "60.50", TaxRate: "21",
		DiscountExcl: "10.00", TotalExcl: "90.00", TotalTax: "18.90", TotalIncl: "108.90",
	}})
	assertProto(t, "discounts", o.GetDiscounts(), []*koppelv1.Discount{{Code: "VIJFTIEN", AmountExcl: "15.00", AmountTax: "0.00"}})
	assertProto(t, "shipping", o.GetShippingLines(), []*koppelv1.Charge{{
		Title: "Flat Rate - Fixed", TotalExcl: "10.00", TotalTax: "2.10", TotalIncl: "12.10", TaxRate: "21"}})
	// 108.90 + 12.10 − 5 (shipping discount) = 116.00; the item discount is not taken twice.
	assertProto(t, "total check", []*koppelv1.TotalCheck{o.GetTotalCheck()}, []*koppelv1.TotalCheck{{
		ComputedIncl: "116.00", ReportedIncl: "116.00", Difference: "0.00", Ok: true}})
	if o.GetPayment() != nil {
		t.Errorf("payment without a payment object = %v", o.GetPayment())
	}
}

// TestMagentoBHD checks the 3-decimal currency: amounts keep three
// decimals and the default tolerance is one fils (0.001 BHD), not 0.01.
func TestMagentoBHD(t *testing.T) {
	body := readTestdata(t, "rest_order_000000016_guest_bhd_coupon_placeorder_response.json")
	tests := map[string]struct {
		tolerance, grand, diff string
		ok                     bool
	}{
		"as reported":                {grand: "93.2", diff: "0.000", ok: true},
		"one fils off":               {grand: "93.201", diff: "-0.001", ok: true},
		"two fils off":               {grand: "93.202", diff: "-0.002"},
		"nine fils, tolerance 0.01":  {tolerance: "0.01", grand: "93.209", diff: "-0.009", ok: true},
		"eleven fils, tolerance .01": {tolerance: "0.01", grand: "93.211", diff: "-0.011"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			b := strings.Replace(string(body), `"grand_total": 93.2,`, `"grand_total": `+tt.grand+`,`, 1)
			o, err := newAdapter(t, Magento, Config{TotalTolerance: tt.tolerance}).Normalize(testProfile, []byte(b))
			if err != nil {
				t.Fatal(err)
			}
			tc := o.GetTotalCheck()
			if tc.GetDifference() != tt.diff || tc.GetOk() != tt.ok || tc.GetComputedIncl() != "93.200" {
				t.Errorf("total check = %v; want difference %s ok %v", tc, tt.diff, tt.ok)
			}
		})
	}
}

func TestMagentoNotOrdersAndMalformed(t *testing.T) {
	tests := map[string]struct {
		body    string
		want    error
		mention string
	}{
		"CloudEvents order envelope": {body: `{"specversion":"1.0","type":"com.adobe.commerce.observer.sales_order_save_after","data":{"value":{"entity_id":1}}}`,
			want: ErrNotOrder, mention: "sales_order_save_after"},
		"search result": {body: `{"items":[{"entity_id":1}],"search_criteria":{"filter_groups":[]},"total_count":1}`, want: ErrNotOrder},

		"invalid JSON":        {body: `{"entity_id":1,`, want: ErrMalformed, mention: "invalid JSON"},
		"array":               {body: `[]`, want: ErrMalformed, mention: "array"},
		"empty object":        {body: `{}`, want: ErrMalformed, mention: "entity_id"},
		"entity_id text":      {body: `{"entity_id":"abc"}`, want: ErrMalformed, mention: "entity_id"},
		"bad grand_total":     {body: `{"entity_id":1,"grand_total":"abc"}`, want: ErrMalformed, mention: "grand_total"},
		"bad guest flag":      {body: `{"entity_id":1,"customer_is_guest":"maybe"}`, want: ErrMalformed, mention: "customer_is_guest"},
		"bad item price":      {body: `{"entity_id":1,"items":[{"item_id":1,"price":[1]}]}`, want: ErrMalformed, mention: "items.price"},
		"street not an array": {body: `{"entity_id":1,"billing_address":{"street":"Kerkstraat 1"}}`, want: ErrMalformed, mention: "billing_address.street"},
		"wrapped bad order":   {body: `{"increment_id":"1","order_id":1,"order":{"entity_id":1,"grand_total":true}}`, want: ErrMalformed, mention: "grand_total"},
		"wrapped, no id":      {body: `{"increment_id":"1","order_id":1,"order":{}}`, want: ErrMalformed, mention: "entity_id"},
	}
	a := newAdapter(t, Magento, Config{})
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
