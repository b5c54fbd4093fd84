package webshop

import (
	"encoding/json"
	"errors"
	"maps"
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
		Options:   []*koppelv1.Option{{Value: "XL"}, {Value: "Black"}}, // from the child's name
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

// magentoVariant is the configurable fixture with the parent item's money
// and the order's totals replaced: a Dutch store in EUR at 21 %. Strings
// that are numbers go in as JSON numbers, as Magento writes them; an
// object is merged into the one it replaces.
func magentoVariant(t *testing.T, item, order map[string]any) []byte {
	return editJSON(t, readTestdata(t, "magento_configurable_parent_child.json"), func(o map[string]any) {
		o["order_currency_code"], o["base_currency_code"] = "EUR", "EUR"
		it := jsonAt(t, o, "items", 0)
		for k, v := range item {
			it[k] = json.Number(v.(string))
		}
		for k, v := range order {
			if s, ok := v.(string); ok && isJSONNumber(s) {
				v = json.Number(s)
			}
			if m, ok := v.(map[string]any); ok {
				if old, ok := o[k].(map[string]any); ok {
					maps.Copy(old, m)
					continue
				}
			}
			o[k] = v
		}
	})
}

// TestMagentoShippingDiscount books a 10 % coupon on an item and on the
// shipping, as Magento computes it with VAT after discount, once with
// catalogue and shipping prices excl. VAT and once incl. VAT. Both come to
// the same canonical amounts; only prices_include_tax differs.
//
//	excl. VAT: item 100.00 − 10.00 = 90.00, VAT 18.90 (row_total_incl_tax 121.00
//	           has the VAT before discount, 21.00)
//	           shipping 10.00, VAT before 2.10 (shipping_incl_tax 12.10),
//	           discount 1.00, VAT after 9.00 × 21 % = 1.89
//	           discount_amount −11.00, tax 18.90 + 1.89 = 20.79
//	           grand 100 + 10 − 11 + 20.79 = 119.79
//	incl. VAT: item 121.00 gross, discount 12.10 gross, VAT after 108.90 × 21/121
//	           = 18.90, compensation 21.00 − 18.90 = 2.10
//	           shipping 12.10 gross, discount 1.21 gross, VAT after 10.89 × 21/121
//	           = 1.89, shipping compensation 2.10 − 1.89 = 0.21
//	           grand 100 + 10 − 13.31 + 20.79 + 2.10 + 0.21 = 119.79
//	canonical: line 90.00 + 18.90 = 108.90; shipping before discount 10.00 +
//	           2.10 = 12.10; shipping discount 1.00 + (2.10 − 1.89) 0.21 = 1.21;
//	           items' discount 10.00 + (121.00 − 100.00 − 18.90) 2.10
//	           check 108.90 + 12.10 − 1.21 = 119.79
func TestMagentoShippingDiscount(t *testing.T) {
	applied := map[string]any{"item_applied_taxes": []any{
		map[string]any{"type": "product", "item_id": 101, "applied_taxes": []any{map[string]any{"percent": json.Number("21"), "amount": json.Number("18.9")}}},
		map[string]any{"type": "shipping", "applied_taxes": []any{map[string]any{"percent": json.Number("21"), "amount": json.Number("1.89")}}},
	}}
	common := map[string]any{"subtotal": "100", "shipping_amount": "10", "shipping_incl_tax": "12.1",
		"shipping_tax_amount": "1.89", "tax_amount": "20.79", "grand_total": "119.79", "total_paid": "119.79",
		"coupon_code": "TIEN", "extension_attributes": applied}
	commonItem := map[string]any{"price": "100", "price_incl_tax": "121", "row_total": "100",
		"row_total_incl_tax": "121", "tax_amount": "18.9", "tax_percent": "21"}
	tests := map[string]struct {
		item, order map[string]any
		incl        bool
	}{
		"prices excl. VAT": {
			item: map[string]any{"original_price": "100", "discount_amount": "10", "discount_tax_compensation_amount": "0"},
			order: map[string]any{"discount_amount": "-11", "shipping_discount_amount": "1",
				"discount_tax_compensation_amount": "0", "shipping_discount_tax_compensation_amount": "0"},
		},
		"prices incl. VAT": {
			item: map[string]any{"original_price": "121", "discount_amount": "12.1", "discount_tax_compensation_amount": "2.1"},
			order: map[string]any{"discount_amount": "-13.31", "shipping_discount_amount": "1.21",
				"discount_tax_compensation_amount": "2.1", "shipping_discount_tax_compensation_amount": "0.21"},
			incl: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			maps.Copy(tt.order, common)
			maps.Copy(tt.item, commonItem)
			o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, magentoVariant(t, tt.item, tt.order))
			if err != nil {
				t.Fatal(err)
			}
			if o.GetPricesIncludeTax() != tt.incl {
				t.Errorf("prices_include_tax = %v, want %v", o.GetPricesIncludeTax(), tt.incl)
			}
			l := o.GetLines()[0]
			if l.GetDiscountExcl() != "10.00" || l.GetTotalExcl() != "90.00" || l.GetTotalIncl() != "108.90" {
				t.Errorf("line = %v", l)
			}
			assertProto(t, "shipping", o.GetShippingLines(), []*koppelv1.Charge{{Title: "Flat Rate - Fixed",
				Method: "flatrate_flatrate", TotalExcl: "10.00", TotalTax: "2.10", TotalIncl: "12.10", TaxRate: "21"}})
			assertProto(t, "discounts", o.GetDiscounts(), []*koppelv1.Discount{
				{Code: "TIEN", AmountExcl: "10.00", AmountTax: "2.10", AppliesTo: "lines", TaxRate: "21"},
				{Code: "TIEN", AmountExcl: "1.00", AmountTax: "0.21", AppliesTo: "shipping", TaxRate: "21"},
			})
			if d := o.GetTotals().GetDiscountExcl(); d != "11.00" {
				t.Errorf("totals discount excl = %s, want 11.00", d)
			}
			assertProto(t, "total check", []*koppelv1.TotalCheck{o.GetTotalCheck()}, []*koppelv1.TotalCheck{{
				ComputedIncl: "119.79", ReportedIncl: "119.79", Difference: "0.00", Ok: true}})
		})
	}
}

// TestMagentoEntryMode reads prices_include_tax from the item amounts in
// both directions (see pricesIncludeTax). The row cases are a special
// price (original_price is the regular 12.95) at quantity 3:
//
//	incl. VAT: 9.99 × 3 = 29.97 = row_total_incl_tax (exact), VAT 29.97 × 21/121
//	           = 5.20, row_total 24.77, price 24.77 / 3 = 8.26 and 8.26 × 3 ≠ 24.77
//	excl. VAT: 8.26 × 3 = 24.78 = row_total (exact), VAT 5.20, row_total_incl_tax
//	           29.98, price_incl_tax 9.99 and 9.99 × 3 ≠ 29.98
func TestMagentoEntryMode(t *testing.T) {
	tests := map[string]struct {
		item map[string]any
		want bool
	}{
		"original_price is the gross price": {want: true, item: map[string]any{
			"price": "20.62", "price_incl_tax": "24.95", "original_price": "24.95", "tax_amount": "4.33"}},
		"original_price is the net price": {item: map[string]any{
			"price": "20.62", "price_incl_tax": "24.95", "original_price": "20.62", "tax_amount": "4.33"}},
		"base amounts when the order's do not tell": {want: true, item: map[string]any{
			"price": "20.62", "price_incl_tax": "24.95", "original_price": "0", "tax_amount": "4.33",
			"base_price": "20.62", "base_price_incl_tax": "24.95", "base_original_price": "24.95"}},
		"special price, gross row exact": {want: true, item: map[string]any{
			"qty_ordered": "3", "price": "8.26", "price_incl_tax": "9.99", "original_price": "12.95", "base_original_price": "12.95",
			"row_total": "24.77", "row_total_incl_tax": "29.97", "tax_amount": "5.2"}},
		"special price, net row exact": {item: map[string]any{
			"qty_ordered": "3", "price": "8.26", "price_incl_tax": "9.99", "original_price": "12.95", "base_original_price": "12.95",
			"row_total": "24.78", "row_total_incl_tax": "29.98", "tax_amount": "5.2"}},
		"discount tax compensation": {want: true, item: map[string]any{
			"price": "20.62", "price_incl_tax": "24.95", "original_price": "19.95", "tax_amount": "3.98",
			"discount_amount": "2.5", "discount_tax_compensation_amount": "0.43"}},
		"untaxed: no sign": {item: map[string]any{
			"price": "24.95", "price_incl_tax": "24.95", "original_price": "24.95", "tax_amount": "0"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, magentoVariant(t, tt.item, nil))
			if err != nil {
				t.Fatal(err)
			}
			if o.GetPricesIncludeTax() != tt.want {
				t.Errorf("prices_include_tax = %v, want %v", o.GetPricesIncludeTax(), tt.want)
			}
		})
	}
}

// TestMagentoShippingRate: untaxed shipping is at 0 % even when Magento
// lists the rate its tax class would have had; taxed shipping takes the
// percent Magento applied rather than the rounded ratio.
func TestMagentoShippingRate(t *testing.T) {
	applied := func(percent string) map[string]any {
		return map[string]any{"item_applied_taxes": []any{map[string]any{"type": "shipping",
			"applied_taxes": []any{map[string]any{"percent": json.Number(percent), "amount": json.Number("0")}}}}}
	}
	tests := map[string]struct {
		order map[string]any
		want  string
	}{
		"untaxed, a rate applied":   {want: "0", order: map[string]any{"shipping_amount": "5", "shipping_tax_amount": "0", "shipping_incl_tax": "5", "extension_attributes": applied("21")}},
		"untaxed, no applied taxes": {want: "0", order: map[string]any{"shipping_amount": "5", "shipping_tax_amount": "0", "shipping_incl_tax": "5", "extension_attributes": map[string]any{"item_applied_taxes": []any{}}}},
		"taxed, rate applied":       {want: "21", order: map[string]any{"shipping_amount": "4.13", "shipping_tax_amount": "0.87", "shipping_incl_tax": "5", "extension_attributes": applied("21")}},
		"taxed, ratio":              {want: "21.07", order: map[string]any{"shipping_amount": "4.13", "shipping_tax_amount": "0.87", "shipping_incl_tax": "5", "extension_attributes": map[string]any{"item_applied_taxes": []any{}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, magentoVariant(t, nil, tt.order))
			if err != nil {
				t.Fatal(err)
			}
			if got := o.GetShippingLines()[0].GetTaxRate(); got != tt.want {
				t.Errorf("shipping tax_rate = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMagentoOptionLabels: labels come from product_options when the
// payload has them, object or JSON-encoded; otherwise values only, never
// the ids of product_option.
func TestMagentoOptionLabels(t *testing.T) {
	attributes := `{"info_buyRequest":{"qty":1},"attributes_info":[{"label":"Size","value":"XL","option_id":93,"option_value":"49"},` +
		`{"label":"Color","value":"Black","option_id":144,"option_value":"170"}],"simple_name":"Hero Hoodie-XL-Black"}`
	labelled := []*koppelv1.Option{{Name: "Size", Value: "XL"}, {Name: "Color", Value: "Black"}}
	tests := map[string]struct {
		edit func(parent, child map[string]any)
		want []*koppelv1.Option
	}{
		"product_options object": {want: labelled, edit: func(parent, _ map[string]any) {
			var po map[string]any
			if err := json.Unmarshal([]byte(attributes), &po); err != nil {
				t.Fatal(err)
			}
			parent["product_options"] = po
		}},
		"product_options as a JSON string": {want: labelled, edit: func(parent, _ map[string]any) {
			parent["product_options"] = attributes
		}},
		"labels on the child only": {want: labelled, edit: func(_, child map[string]any) {
			child["product_options"] = attributes
		}},
		"PHP-serialized product_options": {want: []*koppelv1.Option{{Value: "XL"}, {Value: "Black"}}, edit: func(parent, _ map[string]any) {
			parent["product_options"] = `a:1:{s:15:"attributes_info";a:0:{}}`
		}},
		"child name not built from the parent's": {edit: func(_, child map[string]any) {
			child["name"] = "Hero Hoodie zwart XL"
		}},
		"custom options: typed text kept, chosen ids left out": {
			want: []*koppelv1.Option{{Value: "XL"}, {Value: "Black"}, {Value: "Voor Jan"}},
			edit: func(parent, _ map[string]any) {
				ext := jsonAt(t, parent, "product_option", "extension_attributes")
				ext["custom_options"] = []any{
					map[string]any{"option_id": "7", "option_value": "Voor Jan"},
					map[string]any{"option_id": "8", "option_value": "12"},
					map[string]any{"option_id": "9", "option_value": "3,4"},
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			body := editJSON(t, readTestdata(t, "magento_configurable_parent_child.json"), func(o map[string]any) {
				tt.edit(jsonAt(t, o, "items", 0), jsonAt(t, o, "items", 1))
			})
			o, err := newAdapter(t, Magento, Config{}).Normalize(testProfile, body)
			if err != nil {
				t.Fatal(err)
			}
			assertProto(t, "options", o.GetLines()[0].GetOptions(), tt.want)
		})
	}
}
