package webshop

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// bookedItem is an item whose money is booked: money carries the amounts;
// variant, when set, is the zero-priced child of a configurable parent,
// which names the product that was sold.
type bookedItem struct {
	money   *magItem
	variant *magItem
}

// bookedItems picks the items that carry each item's money once. Lines
// come from items without parent_item_id. A configurable parent and its
// zero-priced child make one booked item. A bundle whose children carry a
// row_total (dynamic price) is booked as its children and the parent is
// left out; any other parent (fixed-price bundle) is booked alone. A
// child whose parent is missing is booked as it is.
func bookedItems(items []magItem) []bookedItem {
	top := make(map[string]bool, len(items))
	children := make(map[string][]*magItem)
	for i := range items {
		it := &items[i]
		if it.ParentItemID == "" {
			top[string(it.ItemID)] = true
		} else {
			children[string(it.ParentItemID)] = append(children[string(it.ParentItemID)], it)
		}
	}
	var booked []bookedItem
	for i := range items {
		it := &items[i]
		if it.ParentItemID != "" {
			if !top[string(it.ParentItemID)] {
				booked = append(booked, bookedItem{money: it}) // orphan: its parent is not in the payload
			}
			continue
		}
		kids := children[string(it.ItemID)]
		switch {
		case it.ProductType == "configurable" && len(kids) > 0:
			booked = append(booked, bookedItem{money: it, variant: kids[0]})
		case it.ProductType == "bundle" && anyRowTotal(kids):
			for _, k := range kids {
				booked = append(booked, bookedItem{money: k})
			}
		default:
			booked = append(booked, bookedItem{money: it})
		}
	}
	return booked
}

// anyRowTotal reports whether a bundle's children carry money, which
// means the bundle has a dynamic price.
func anyRowTotal(kids []*magItem) bool {
	for _, k := range kids {
		if !k.RowTotal.v.IsZero() {
			return true
		}
	}
	return false
}

// magentoLines makes a line of each booked item: money and options from
// the item that carries the money, sku, name and variant id from a
// configurable's child.
func magentoLines(booked []bookedItem, exp int32) []*koppelv1.Line {
	lines := make([]*koppelv1.Line, 0, len(booked))
	for _, b := range booked {
		l := b.money.line(exp)
		l.Options = b.options()
		if v := b.variant; v != nil {
			l.Sku = cmp.Or(strings.TrimSpace(v.SKU), l.Sku)
			l.Name = cmp.Or(strings.TrimSpace(v.Name), l.Name)
			l.VariantId = string(v.ProductID)
		}
		lines = append(lines, l)
	}
	return lines
}

// line converts the item's money. Unit prices are price and
// price_incl_tax, the discount excl. tax is discount_amount −
// discount_tax_compensation, total_excl is row_total minus that discount,
// total_tax is tax_amount. Some shops report row_total already net of the
// discount (row_total = price × qty − discount, where Magento writes
// price × qty); that is detected so the discount is not taken twice.
func (it *magItem) line(exp int32) *koppelv1.Line {
	qty := it.QtyOrdered.v
	row, _ := it.grossRow(exp)
	discExcl := it.DiscountAmount.v.Sub(it.DiscountTaxCompensationAmount.v)
	totalExcl := row.Sub(discExcl)
	tax := it.TaxAmount.v

	unitExcl, haveUnit := it.Price.v, it.Price.set
	if !haveUnit {
		unitExcl, haveUnit = quotient(row, qty)
	}
	unitIncl, haveIncl := it.PriceInclTax.v, it.PriceInclTax.set
	if !haveIncl && it.RowTotalInclTax.set {
		unitIncl, haveIncl = quotient(it.RowTotalInclTax.v, qty)
	}
	l := &koppelv1.Line{
		LineId:       string(it.ItemID),
		Sku:          strings.TrimSpace(it.SKU),
		Name:         strings.TrimSpace(it.Name),
		Quantity:     fmtNum(qty),
		DiscountExcl: fmtMoney(discExcl, exp),
		TotalExcl:    fmtMoney(totalExcl, exp),
		TotalTax:     fmtMoney(tax, exp),
		TotalIncl:    fmtMoney(totalExcl.Add(tax), exp),
		ProductId:    string(it.ProductID),
	}
	if haveUnit {
		l.UnitPriceExcl = fmtMoney(unitExcl, exp)
	}
	if haveIncl {
		l.UnitPriceIncl = fmtMoney(unitIncl, exp)
	}
	if it.TaxPercent.set {
		l.TaxRate = fmtNum(it.TaxPercent.v)
	} else if r, ok := ratePercent(tax, totalExcl); ok {
		l.TaxRate = fmtNum(r)
	}
	return l
}

// options returns the booked item's options as labels and values.
//
// The labels are in the item model's product_options (attributes_info for
// configurable attributes, options for custom options: "Size: XL"), which
// payloads built from the model carry and GET /V1/orders does not; the
// money item's are used, else the variant's. The REST order has only
// product_option.extension_attributes: ids of attributes and of their
// values ("93": 49), which are never printed. Without labels:
//   - configurable options: the variant's name is commonly the parent's
//     name with the values appended ("Hero Hoodie" → "Hero Hoodie-XL-Black");
//     when it splits into exactly one value per option, the values are
//     kept without a name ("XL", "Black"). Otherwise there are none; the
//     line's name and sku are the variant's anyway.
//   - custom options: a value that is not a list of ids (the text a
//     customer typed) is kept without a name; ids of chosen values are
//     left out.
func (b bookedItem) options() []*koppelv1.Option {
	if opts := b.money.labelledOptions(); len(opts) > 0 {
		return opts
	}
	if b.variant != nil {
		if opts := b.variant.labelledOptions(); len(opts) > 0 {
			return opts
		}
	}
	if b.money.ProductOption == nil {
		return nil
	}
	ext := b.money.ProductOption.ExtensionAttributes
	var opts []*koppelv1.Option
	if b.variant != nil {
		for _, v := range variantValues(b.money.Name, b.variant.Name, len(ext.ConfigurableItemOptions)) {
			opts = append(opts, &koppelv1.Option{Value: v})
		}
	}
	for _, o := range ext.CustomOptions {
		if v, ok := scalarText(o.OptionValue); ok && strings.TrimSpace(v) != "" && !isIDList(v) {
			opts = append(opts, &koppelv1.Option{Value: strings.TrimSpace(v)})
		}
	}
	return opts
}

// magLabel is an entry of product_options.attributes_info or .options.
type magLabel struct {
	Label      json.RawMessage `json:"label"`
	Value      json.RawMessage `json:"value"`
	PrintValue json.RawMessage `json:"print_value"`
}

// labelledOptions reads the labels in the item's product_options, an
// object or a JSON-encoded one. Anything it cannot read gives none: the
// field is free-form and never a reason to reject an order.
func (it *magItem) labelledOptions() []*koppelv1.Option {
	raw := it.ProductOptions
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		raw = json.RawMessage(s)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var po struct {
		AttributesInfo []magLabel `json:"attributes_info"`
		Options        []magLabel `json:"options"`
	}
	if json.Unmarshal(raw, &po) != nil {
		return nil
	}
	var opts []*koppelv1.Option
	for _, l := range append(po.AttributesInfo, po.Options...) {
		name, _ := scalarText(l.Label)
		value, ok := scalarText(l.PrintValue)
		if !ok || strings.TrimSpace(value) == "" {
			value, _ = scalarText(l.Value)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if value == "" {
			continue
		}
		opts = append(opts, &koppelv1.Option{Name: name, Value: value})
	}
	return opts
}

// variantValues returns the n option values appended to parent's name in
// variant's name ("Hero Hoodie", "Hero Hoodie-XL-Black", 2 → XL, Black),
// or nil when variant's name is not built that way.
func variantValues(parent, variant string, n int) []string {
	parent, variant = strings.TrimSpace(parent), strings.TrimSpace(variant)
	suffix, ok := strings.CutPrefix(variant, parent+"-")
	if n == 0 || parent == "" || !ok {
		return nil
	}
	values := strings.Split(suffix, "-")
	if len(values) != n {
		return nil
	}
	for i, v := range values {
		if values[i] = strings.TrimSpace(v); values[i] == "" {
			return nil
		}
	}
	return values
}

// isIDList reports whether s is one id or a comma-separated list of ids,
// as Magento writes the chosen values of a select or checkbox option.
func isIDList(s string) bool {
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id == "" || !isDigits(id) {
			return false
		}
	}
	return true
}
