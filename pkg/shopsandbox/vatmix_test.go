package shopsandbox_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/vatnumber"
	"github.com/koppel/koppel/pkg/webshop"
)

// memberStates are the EU's, by ISO 3166-1 alpha-2 code.
var memberStates = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR",
	"HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}

// kinds of customer, as koppel tells them apart from a normalized order.
const (
	nlConsumer = "Dutch consumer"
	nlBusiness = "Dutch business"
	euBusiness = "EU business (ICP)"
	euConsumer = "EU consumer"
	export     = "export"
)

// shareBounds are the shares of orders each kind must have among 1000.
var shareBounds = map[string][2]float64{
	nlConsumer: {0.64, 0.76},
	nlBusiness: {0.07, 0.13},
	euBusiness: {0.05, 0.11},
	euConsumer: {0.04, 0.10},
	export:     {0.025, 0.075},
}

// kindOf classifies an order by where it goes and the customer's VAT
// number.
func kindOf(o *koppelv1.Order) string {
	country, vat := o.GetBilling().GetCountry(), o.GetCustomer().GetVatNumber()
	switch {
	case country == "NL" && vat == "":
		return nlConsumer
	case country == "NL":
		return nlBusiness
	case !slices.Contains(memberStates, country):
		return export
	case vat != "":
		return euBusiness
	}
	return euConsumer
}

// rates returns the VAT rates an order charged: on its lines and on every
// part of its charges.
func rates(o *koppelv1.Order) []string {
	var out []string
	add := func(r string) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, l := range o.GetLines() {
		add(l.GetTaxRate())
	}
	for _, c := range append(slices.Clone(o.GetShippingLines()), o.GetFeeLines()...) {
		if len(c.GetTaxes()) > 0 {
			for _, s := range c.GetTaxes() {
				add(s.GetRate())
			}
			continue
		}
		if !mustDec(c.GetTotalExcl()).IsZero() {
			add(c.GetTaxRate())
		}
	}
	return out
}

func mustDec(s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	return decimal.RequireFromString(s)
}

// TestGeneratedVATMix: the orders mix Dutch consumers, Dutch businesses,
// businesses elsewhere in the EU (an intra-community supply, no VAT), EU
// consumers (Dutch VAT, below the OSS threshold) and customers outside the
// EU (no VAT) in about the shares the generator sets; every VAT number
// passes its member state's check; and the VAT charged fits the kind.
func TestGeneratedVATMix(t *testing.T) {
	const n = 1000
	dutch := []string{"21", "9", "0"}
	for p, newShop := range platforms {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			orders := normalizeAll(t, p, newShop(shopsandbox.Options{Orders: n, Seed: 9}))
			count := map[string]int{}
			var mixed, split int // Woo orders shipping 21 % and 9 % items at a cost, and how many split their shipping tax
			for _, o := range orders {
				k := kindOf(o)
				count[k]++
				id, vat, country := o.GetShopOrderId(), o.GetCustomer().GetVatNumber(), o.GetBilling().GetCountry()
				if vat != "" {
					if _, err := vatnumber.Check(vat, country); err != nil {
						t.Errorf("order %s (%s): VAT number %s: %v", id, k, vat, err)
					}
					if o.GetBilling().GetCompany() == "" {
						t.Errorf("order %s (%s): VAT number without a company", id, k)
					}
				}
				if dest := o.GetShipping().GetCountry(); dest != "" && dest != country {
					t.Errorf("order %s (%s): billed in %s, shipped to %s", id, k, country, dest)
				}
				rs := rates(o)
				tax := mustDec(o.GetTotals().GetTax())
				switch k {
				case euBusiness, export:
					if !tax.IsZero() || slices.ContainsFunc(rs, func(r string) bool { return r != "0" }) {
						t.Errorf("order %s (%s, %s): VAT %s at rates %v, want none", id, k, country, tax, rs)
					}
				default:
					if slices.ContainsFunc(rs, func(r string) bool { return !slices.Contains(dutch, r) }) {
						t.Errorf("order %s (%s): rates %v, want Dutch ones", id, k, rs)
					}
					if k == nlBusiness && !slices.ContainsFunc(rs, func(r string) bool { return r != "0" }) {
						t.Errorf("order %s (%s): no VAT charged to a Dutch business", id, k)
					}
				}
				if p == webshop.WooCommerce && k != euBusiness && k != export {
					m, s := checkWooShipping(t, o)
					mixed, split = mixed+m, split+s
				}
			}
			t.Logf("%v", count)
			if p == webshop.WooCommerce {
				t.Logf("%d orders ship items at 21 %% and 9 %% at a cost, %d split the shipping tax over both", mixed, split)
			}
			for k, b := range shareBounds {
				if share := float64(count[k]) / n; share < b[0] || share > b[1] {
					t.Errorf("%s: %d of %d orders, want a share from %.3f to %.3f", k, count[k], n, b[0], b[1])
				}
			}
			if p == webshop.WooCommerce && (mixed == 0 || split != mixed) {
				t.Errorf("%d mixed-rate orders shipped at a cost, %d with their shipping tax split over the rates", mixed, split)
			}
		})
	}
}

// wooTaxes is what checkWooShipping reads of a WooCommerce order.
type wooTaxes struct {
	TotalTax    string `json:"total_tax"`
	ShippingTax string `json:"shipping_tax"`
	CartTax     string `json:"cart_tax"`
	LineItems   []struct {
		TotalTax string `json:"total_tax"`
		Taxes    []struct {
			ID int `json:"id"`
		} `json:"taxes"`
	} `json:"line_items"`
	FeeLines []struct {
		TotalTax string `json:"total_tax"`
		Taxes    []struct {
			ID int `json:"id"`
		} `json:"taxes"`
	} `json:"fee_lines"`
	ShippingLines []struct {
		TotalTax string `json:"total_tax"`
		Taxes    []struct {
			ID    int    `json:"id"`
			Total string `json:"total"`
		} `json:"taxes"`
	} `json:"shipping_lines"`
	TaxLines []struct {
		RateID           int    `json:"rate_id"`
		RatePercent      int    `json:"rate_percent"`
		TaxTotal         string `json:"tax_total"`
		ShippingTaxTotal string `json:"shipping_tax_total"`
	} `json:"tax_lines"`
}

// checkWooShipping checks a taxed WooCommerce order's tax lines against its
// items, fee and shipping (tax per rate is the sum of their rounded tax;
// the rates add up to the order's tax), and that a shipping line of an
// order shipping items at 21 % and at 9 % carries one tax per rate, which
// koppel's adapter turns into a share per rate adding up to the charge.
// It returns whether the order is such an order and whether it split.
func checkWooShipping(t *testing.T, o *koppelv1.Order) (mixed, split int) {
	t.Helper()
	var in wooTaxes
	if err := json.Unmarshal(o.GetRaw(), &in); err != nil {
		t.Fatal(err)
	}
	items, ship := map[int]decimal.Decimal{}, map[int]decimal.Decimal{}
	for _, l := range in.LineItems {
		for _, tx := range l.Taxes {
			items[tx.ID] = items[tx.ID].Add(mustDec(l.TotalTax))
		}
	}
	for _, f := range in.FeeLines {
		for _, tx := range f.Taxes {
			items[tx.ID] = items[tx.ID].Add(mustDec(f.TotalTax))
		}
	}
	for _, s := range in.ShippingLines {
		for _, tx := range s.Taxes {
			ship[tx.ID] = ship[tx.ID].Add(mustDec(tx.Total).Round(2))
		}
	}
	sum := decimal.Zero
	for _, tl := range in.TaxLines {
		if got := mustDec(tl.TaxTotal); !got.Equal(items[tl.RateID]) {
			t.Errorf("order %s: tax line %d%% has %s, its items and fee %s", o.GetShopOrderId(), tl.RatePercent, got, items[tl.RateID])
		}
		if got := mustDec(tl.ShippingTaxTotal); !got.Equal(ship[tl.RateID]) {
			t.Errorf("order %s: tax line %d%% has shipping tax %s, its shipping lines %s", o.GetShopOrderId(), tl.RatePercent, got, ship[tl.RateID])
		}
		sum = sum.Add(mustDec(tl.TaxTotal)).Add(mustDec(tl.ShippingTaxTotal))
	}
	if !sum.Equal(mustDec(in.TotalTax)) {
		t.Errorf("order %s: tax lines add up to %s, total_tax is %s", o.GetShopOrderId(), sum, in.TotalTax)
	}

	var shipped []string
	for _, l := range o.GetLines() {
		if !virtual(l) && !slices.Contains(shipped, l.GetTaxRate()) {
			shipped = append(shipped, l.GetTaxRate())
		}
	}
	sh := o.GetShippingLines()
	if len(sh) == 0 || mustDec(sh[0].GetTotalExcl()).IsZero() || !slices.Contains(shipped, "21") || !slices.Contains(shipped, "9") {
		return 0, 0
	}
	c := sh[0]
	if len(c.GetTaxes()) != 2 {
		t.Errorf("order %s: shipping %s on items at %v has tax shares %v", o.GetShopOrderId(), c.GetTotalExcl(), shipped, c.GetTaxes())
		return 1, 0
	}
	excl, tax := decimal.Zero, decimal.Zero
	for _, s := range c.GetTaxes() {
		excl, tax = excl.Add(mustDec(s.GetTotalExcl())), tax.Add(mustDec(s.GetTax()))
	}
	if !excl.Equal(mustDec(c.GetTotalExcl())) || !tax.Equal(mustDec(c.GetTotalTax())) {
		t.Errorf("order %s: shipping shares %v add up to %s + %s, the charge is %s + %s",
			o.GetShopOrderId(), c.GetTaxes(), excl, tax, c.GetTotalExcl(), c.GetTotalTax())
	}
	return 1, 1
}

// virtual reports whether a line is an e-book or a gift card, which the
// sandbox never ships: their SKUs start with EB- and BB-.
func virtual(l *koppelv1.Line) bool {
	sku := l.GetSku()
	return len(sku) > 3 && (sku[:3] == "EB-" || sku[:3] == "BB-")
}
