package shopsandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// sandboxShop is what both fakes offer; the tests run against each.
type sandboxShop interface {
	Orders() []shopsandbox.OrderInfo
	OrderJSON(id int64) ([]byte, bool)
}

// platforms builds each fake with opts.
var platforms = map[webshop.Platform]func(shopsandbox.Options) sandboxShop{
	webshop.WooCommerce: func(o shopsandbox.Options) sandboxShop { return shopsandbox.NewWooCommerce(o) },
	webshop.Magento:     func(o shopsandbox.Options) sandboxShop { return shopsandbox.NewMagento(o) },
}

func normalizeAll(t *testing.T, p webshop.Platform, s sandboxShop) []*koppelv1.Order {
	t.Helper()
	a, err := webshop.New(p, webshop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*koppelv1.Order
	for _, info := range s.Orders() {
		body, ok := s.OrderJSON(info.ID)
		if !ok {
			t.Fatalf("order %d listed but not found", info.ID)
		}
		o, err := a.Normalize("sandbox", body)
		if err != nil {
			t.Fatalf("order %d: Normalize: %v\n%s", info.ID, err, body)
		}
		out = append(out, o)
	}
	return out
}

// TestGeneratedOrdersNormalize normalizes every generated order, for
// several seeds and both address styles, with the real adapters: every
// order must pass koppel's total check to the cent and carry what a Dutch
// shop's orders carry.
func TestGeneratedOrdersNormalize(t *testing.T) {
	postcode := regexp.MustCompile(`^[1-9][0-9]{3} [A-Z]{2}$`)
	for p, newShop := range platforms {
		for _, split := range []bool{false, true} {
			for _, seed := range []uint64{1, 2, 42} {
				t.Run(fmt.Sprintf("%s/split=%v/seed=%d", p, split, seed), func(t *testing.T) {
					t.Parallel()
					s := newShop(shopsandbox.Options{Orders: 150, Seed: seed, SplitHouseNumber: split})
					orders := normalizeAll(t, p, s)
					if len(orders) != 150 {
						t.Fatalf("%d orders, want 150", len(orders))
					}
					rates := map[string]int{}
					var guests, coupons, shipped, variants, suffixes, lines int
					customers := map[string]int{}
					for _, o := range orders {
						tc := o.GetTotalCheck()
						if !tc.GetOk() || tc.GetDifference() != "0.00" {
							t.Errorf("order %s: total check %v", o.GetShopOrderId(), tc)
						}
						if o.GetCurrency() != "EUR" {
							t.Errorf("order %s: currency %q", o.GetShopOrderId(), o.GetCurrency())
						}
						b := o.GetBilling()
						dutch := b.GetCountry() == "NL" && postcode.MatchString(b.GetPostcode()) && b.GetHouseNumber() != ""
						abroad := b.GetCountry() != "NL" && b.GetPostcode() != "" && b.GetCity() != ""
						if b.GetStreet() == "" || !dutch && !abroad {
							t.Errorf("order %s: billing address %v", o.GetShopOrderId(), b)
						}
						if b.GetHouseNumberSuffix() != "" {
							suffixes++
						}
						if o.GetCustomer().GetGuest() {
							guests++
						} else {
							customers[o.GetCustomer().GetShopCustomerId()]++
						}
						if len(o.GetDiscounts()) > 0 {
							coupons++
						}
						if len(o.GetShippingLines()) > 0 {
							shipped++
						}
						for _, l := range o.GetLines() {
							lines++
							rates[l.GetTaxRate()]++
							if l.GetVariantId() != "" {
								variants++
								if len(l.GetOptions()) == 0 {
									t.Errorf("order %s: variant line without options", o.GetShopOrderId())
								}
							}
						}
						if o.GetUpdatedAt() == nil || o.GetRevision() == "" {
							t.Errorf("order %s: no modification time", o.GetShopOrderId())
						}
					}
					for _, r := range []string{"21", "9", "0"} {
						if rates[r] == 0 {
							t.Errorf("no line at %s%% VAT (rates %v)", r, rates)
						}
					}
					returning := 0
					for _, n := range customers {
						if n > 1 {
							returning++
						}
					}
					t.Logf("%d lines, rates %v, %d guests, %d returning customers, %d coupons, %d shipped, %d variant lines, %d suffixes",
						lines, rates, guests, returning, coupons, shipped, variants, suffixes)
					for what, n := range map[string]int{"guest orders": guests, "returning customers": returning,
						"coupons": coupons, "shipped orders": shipped, "variant lines": variants, "house number suffixes": suffixes} {
						if n == 0 {
							t.Errorf("no %s among 150 orders", what)
						}
					}
				})
			}
		}
	}
}

// TestGeneratedOrdersDeterministic: equal options give equal bytes, another
// seed other orders.
func TestGeneratedOrdersDeterministic(t *testing.T) {
	for p, newShop := range platforms {
		t.Run(string(p), func(t *testing.T) {
			a := newShop(shopsandbox.Options{Orders: 30, Seed: 7})
			b := newShop(shopsandbox.Options{Orders: 30, Seed: 7})
			c := newShop(shopsandbox.Options{Orders: 30, Seed: 8})
			same, differ := 0, 0
			for _, info := range a.Orders() {
				ja, _ := a.OrderJSON(info.ID)
				jb, _ := b.OrderJSON(info.ID)
				if !bytes.Equal(ja, jb) {
					t.Fatalf("order %d differs between two shops with seed 7", info.ID)
				}
				if jc, ok := c.OrderJSON(info.ID); ok && bytes.Equal(ja, jc) {
					same++
				} else {
					differ++
				}
			}
			if differ == 0 || same > 0 {
				t.Errorf("seed 8 repeats seed 7: %d equal, %d different", same, differ)
			}
		})
	}
}

// TestGeneratedModificationClusters: many orders share a modification
// second, which is what cursors must cope with.
func TestGeneratedModificationClusters(t *testing.T) {
	for p, newShop := range platforms {
		t.Run(string(p), func(t *testing.T) {
			s := newShop(shopsandbox.Options{Orders: 200, Seed: 3})
			per := map[time.Time]int{}
			for _, o := range s.Orders() {
				per[o.Modified]++
			}
			sizes := slices.Sorted(func(yield func(int) bool) {
				for _, n := range per {
					if !yield(n) {
						return
					}
				}
			})
			biggest := sizes[len(sizes)-1]
			shared := 0
			for _, n := range sizes {
				if n > 1 {
					shared += n
				}
			}
			t.Logf("biggest cluster %d, %d of 200 orders share their second", biggest, shared)
			if biggest < 8 || shared < 40 {
				t.Errorf("biggest cluster %d, %d orders share a second; want ≥ 8 and ≥ 40", biggest, shared)
			}
		})
	}
}

// TestGeneratedJSONShape checks details of the wire format that koppel's
// adapters depend on or must cope with.
func TestGeneratedJSONShape(t *testing.T) {
	woo := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 80, Seed: 5})
	var sawFloatPrice, sawEscapedSlash, sawUnicodeEscape, sawVariation bool
	for _, info := range woo.Orders() {
		body, _ := woo.OrderJSON(info.ID)
		var o struct {
			Total     any `json:"total"`
			LineItems []struct {
				Price       json.Number `json:"price"`
				Total       any         `json:"total"`
				VariationID int64       `json:"variation_id"`
				ParentName  *string     `json:"parent_name"`
			} `json:"line_items"`
			DateModifiedGMT string `json:"date_modified_gmt"`
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&o); err != nil {
			t.Fatal(err)
		}
		if _, ok := o.Total.(string); !ok {
			t.Errorf("woo order %d: total is %T, want a string", info.ID, o.Total)
		}
		for _, l := range o.LineItems {
			if _, ok := l.Total.(string); !ok {
				t.Errorf("woo order %d: line total is %T", info.ID, l.Total)
			}
			if bytes.ContainsAny([]byte(l.Price.String()), ".") {
				sawFloatPrice = true
			}
			if l.VariationID != 0 && l.ParentName != nil {
				sawVariation = true
			}
		}
		if o.DateModifiedGMT != info.Modified.UTC().Format("2006-01-02T15:04:05") {
			t.Errorf("woo order %d: date_modified_gmt %q, Orders says %s", info.ID, o.DateModifiedGMT, info.Modified)
		}
		sawEscapedSlash = sawEscapedSlash || bytes.Contains(body, []byte(`https:\/\/`))
		sawUnicodeEscape = sawUnicodeEscape || bytes.Contains(body, []byte(`\u00`))
	}
	if !sawFloatPrice || !sawEscapedSlash || !sawUnicodeEscape || !sawVariation {
		t.Errorf("woo: float price %v, \\/ %v, \\u00XX %v, variation %v; want all", sawFloatPrice, sawEscapedSlash, sawUnicodeEscape, sawVariation)
	}

	mag := shopsandbox.NewMagento(shopsandbox.Options{Orders: 80, Seed: 5})
	var sawChild bool
	for _, info := range mag.Orders() {
		body, _ := mag.OrderJSON(info.ID)
		var o struct {
			GrandTotal any    `json:"grand_total"`
			UpdatedAt  string `json:"updated_at"`
			Items      []struct {
				ParentItemID *int64 `json:"parent_item_id"`
				Price        any    `json:"price"`
				ParentItem   *struct {
					ProductType string `json:"product_type"`
				} `json:"parent_item"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &o); err != nil {
			t.Fatal(err)
		}
		if _, ok := o.GrandTotal.(float64); !ok {
			t.Errorf("magento order %d: grand_total is %T, want a number", info.ID, o.GrandTotal)
		}
		if o.UpdatedAt != info.Modified.UTC().Format(time.DateTime) {
			t.Errorf("magento order %d: updated_at %q, Orders says %s", info.ID, o.UpdatedAt, info.Modified)
		}
		for _, it := range o.Items {
			if it.ParentItemID != nil {
				sawChild = true
				if it.Price != float64(0) || it.ParentItem == nil || it.ParentItem.ProductType != "configurable" {
					t.Errorf("magento order %d: child item price %v, parent %v", info.ID, it.Price, it.ParentItem)
				}
			}
		}
	}
	if !sawChild {
		t.Error("magento: no configurable child item among 80 orders")
	}
}
