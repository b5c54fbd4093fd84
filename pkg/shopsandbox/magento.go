package shopsandbox

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Magento is a fake Magento 2 / Adobe Commerce store: the REST order
// endpoints
//
//	GET /rest/V1/orders              searchCriteria: filter_groups (filters
//	                                 ORed in a group, groups ANDed; fields
//	                                 updated_at, created_at, entity_id,
//	                                 increment_id, status, state,
//	                                 customer_email; conditions eq, neq, gt,
//	                                 gteq, lt, lteq, in, nin, like),
//	                                 sortOrders, pageSize, currentPage
//	GET /rest/V1/orders/{id}         one order
//
// also under /rest/{store_code}/V1/…, answering {"items", "search_criteria",
// "total_count"}. Without pageSize every match is returned; a pageSize over
// Options.MaxPageSize is refused as 2.4.7 does; a currentPage past the end
// returns the last page again, as Magento's collections do. Requests
// authenticate with the integration's access token as a bearer token
// (unless RejectBearer) or with OAuth 1.0a signatures (HMAC-SHA256 or
// HMAC-SHA1) over all four credentials, checked the way Magento checks them
// (query parameters decoded with rawurldecode, natural sort order, a 600 s
// timestamp window and no reused nonces). Failures answer 401 with
// Magento's error JSON ({"message", "parameters"}). Other /rest paths
// answer "Request does not match any route.", other paths an HTML 404 page.
//
// Orders are Magento 2.4 REST orders of a Dutch shop with catalogue prices
// excluding VAT: money as JSON numbers, 0/1 booleans, UTC timestamps
// "YYYY-MM-DD HH:MM:SS", configurable products as a parent carrying the
// money and a zero-priced child, shipping address only in
// extension_attributes.shipping_assignments, shipping taxed at the highest
// rate of the shipped items. A business elsewhere in the EU has its VAT
// number in customer_taxvat and the billing vat_id and is in the
// intra-EU customer group, untaxed; outside the EU nothing is taxed.
// Magento is safe for concurrent use.
type Magento struct {
	*shop
}

// NewMagento returns a fake Magento store with orders generated from opts.
func NewMagento(opts Options) *Magento {
	opts = opts.withDefaults(platformMagento)
	m := &Magento{}
	s := newShop(platformMagento, opts, 1, 1, "%09d")
	s.render = m.render
	s.statusName = func(st status) string { return magentoState(st)[1] }
	m.shop = s
	return m
}

// magentoState returns the state and status of an order in st.
func magentoState(st status) [2]string {
	return [...][2]string{
		stPending:    {"new", "pending"},
		stOnHold:     {"new", "pending"},
		stProcessing: {"processing", "processing"},
		stCompleted:  {"complete", "complete"},
		stCancelled:  {"canceled", "canceled"},
	}[st]
}

func mtime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// Magento's configurable attribute ids, by attribute label.
var magentoAttrIDs = map[string]string{"Kleur": "93", "Maat": "144", "Uitvoering": "212"}

// JSON shapes, fields in the order Magento writes them.
type (
	magOrderJSON struct {
		AppliedRuleIDs                        string           `json:"applied_rule_ids,omitempty"`
		BaseCurrencyCode                      string           `json:"base_currency_code"`
		BaseDiscountAmount                    num              `json:"base_discount_amount"`
		BaseGrandTotal                        num              `json:"base_grand_total"`
		BaseDiscountTaxCompensationAmount     num              `json:"base_discount_tax_compensation_amount"`
		BaseShippingAmount                    num              `json:"base_shipping_amount"`
		BaseShippingDiscountAmount            num              `json:"base_shipping_discount_amount"`
		BaseShippingDiscountTaxCompensationAm num              `json:"base_shipping_discount_tax_compensation_amnt"`
		BaseShippingInclTax                   num              `json:"base_shipping_incl_tax"`
		BaseShippingTaxAmount                 num              `json:"base_shipping_tax_amount"`
		BaseSubtotal                          num              `json:"base_subtotal"`
		BaseSubtotalInclTax                   num              `json:"base_subtotal_incl_tax"`
		BaseTaxAmount                         num              `json:"base_tax_amount"`
		BaseTotalDue                          num              `json:"base_total_due"`
		BaseTotalInvoiced                     *num             `json:"base_total_invoiced,omitempty"`
		BaseTotalPaid                         *num             `json:"base_total_paid,omitempty"`
		BaseToGlobalRate                      int              `json:"base_to_global_rate"`
		BaseToOrderRate                       int              `json:"base_to_order_rate"`
		BillingAddressID                      int64            `json:"billing_address_id"`
		CouponCode                            string           `json:"coupon_code,omitempty"`
		CreatedAt                             string           `json:"created_at"`
		CustomerEmail                         string           `json:"customer_email"`
		CustomerFirstname                     string           `json:"customer_firstname"`
		CustomerGroupID                       int              `json:"customer_group_id"`
		CustomerID                            *int64           `json:"customer_id,omitempty"`
		CustomerIsGuest                       int              `json:"customer_is_guest"`
		CustomerLastname                      string           `json:"customer_lastname"`
		CustomerNote                          string           `json:"customer_note,omitempty"`
		CustomerNoteNotify                    int              `json:"customer_note_notify"`
		CustomerTaxvat                        string           `json:"customer_taxvat,omitempty"`
		DiscountAmount                        num              `json:"discount_amount"`
		DiscountDescription                   string           `json:"discount_description,omitempty"`
		EmailSent                             int              `json:"email_sent"`
		EntityID                              int64            `json:"entity_id"`
		GlobalCurrencyCode                    string           `json:"global_currency_code"`
		GrandTotal                            num              `json:"grand_total"`
		DiscountTaxCompensationAmount         num              `json:"discount_tax_compensation_amount"`
		IncrementID                           string           `json:"increment_id"`
		IsVirtual                             int              `json:"is_virtual"`
		OrderCurrencyCode                     string           `json:"order_currency_code"`
		ProtectCode                           string           `json:"protect_code"`
		QuoteID                               int64            `json:"quote_id"`
		RemoteIP                              string           `json:"remote_ip"`
		ShippingAmount                        num              `json:"shipping_amount"`
		ShippingDescription                   string           `json:"shipping_description,omitempty"`
		ShippingDiscountAmount                num              `json:"shipping_discount_amount"`
		ShippingDiscountTaxCompensationAmount num              `json:"shipping_discount_tax_compensation_amount"`
		ShippingInclTax                       num              `json:"shipping_incl_tax"`
		ShippingTaxAmount                     num              `json:"shipping_tax_amount"`
		State                                 string           `json:"state"`
		Status                                string           `json:"status"`
		StoreCurrencyCode                     string           `json:"store_currency_code"`
		StoreID                               int              `json:"store_id"`
		StoreName                             string           `json:"store_name"`
		StoreToBaseRate                       int              `json:"store_to_base_rate"`
		StoreToOrderRate                      int              `json:"store_to_order_rate"`
		Subtotal                              num              `json:"subtotal"`
		SubtotalInclTax                       num              `json:"subtotal_incl_tax"`
		TaxAmount                             num              `json:"tax_amount"`
		TotalDue                              num              `json:"total_due"`
		TotalInvoiced                         *num             `json:"total_invoiced,omitempty"`
		TotalItemCount                        int              `json:"total_item_count"`
		TotalPaid                             *num             `json:"total_paid,omitempty"`
		TotalQtyOrdered                       int              `json:"total_qty_ordered"`
		UpdatedAt                             string           `json:"updated_at"`
		Weight                                num              `json:"weight"`
		Items                                 []*magItemJSON   `json:"items"`
		BillingAddress                        magAddressJSON   `json:"billing_address"`
		Payment                               magPaymentJSON   `json:"payment"`
		StatusHistories                       []magHistoryJSON `json:"status_histories"`
		ExtensionAttributes                   magOrderExtJSON  `json:"extension_attributes"`
	}
	magItemJSON struct {
		AmountRefunded                    num               `json:"amount_refunded"`
		AppliedRuleIDs                    string            `json:"applied_rule_ids,omitempty"`
		BaseAmountRefunded                num               `json:"base_amount_refunded"`
		BaseDiscountAmount                num               `json:"base_discount_amount"`
		BaseDiscountInvoiced              num               `json:"base_discount_invoiced"`
		BaseDiscountTaxCompensationAmount *num              `json:"base_discount_tax_compensation_amount,omitempty"`
		BaseOriginalPrice                 num               `json:"base_original_price"`
		BasePrice                         num               `json:"base_price"`
		BasePriceInclTax                  *num              `json:"base_price_incl_tax,omitempty"`
		BaseRowInvoiced                   num               `json:"base_row_invoiced"`
		BaseRowTotal                      num               `json:"base_row_total"`
		BaseRowTotalInclTax               *num              `json:"base_row_total_incl_tax,omitempty"`
		BaseTaxAmount                     num               `json:"base_tax_amount"`
		BaseTaxInvoiced                   num               `json:"base_tax_invoiced"`
		CreatedAt                         string            `json:"created_at"`
		DiscountAmount                    num               `json:"discount_amount"`
		DiscountInvoiced                  num               `json:"discount_invoiced"`
		DiscountPercent                   int               `json:"discount_percent"`
		FreeShipping                      int               `json:"free_shipping"`
		DiscountTaxCompensationAmount     *num              `json:"discount_tax_compensation_amount,omitempty"`
		IsQtyDecimal                      int               `json:"is_qty_decimal"`
		IsVirtual                         int               `json:"is_virtual"`
		ItemID                            int64             `json:"item_id"`
		Name                              string            `json:"name"`
		NoDiscount                        int               `json:"no_discount"`
		OrderID                           int64             `json:"order_id"`
		OriginalPrice                     num               `json:"original_price"`
		ParentItemID                      *int64            `json:"parent_item_id,omitempty"`
		Price                             num               `json:"price"`
		PriceInclTax                      *num              `json:"price_incl_tax,omitempty"`
		ProductID                         int64             `json:"product_id"`
		ProductType                       string            `json:"product_type"`
		QtyCanceled                       int               `json:"qty_canceled"`
		QtyInvoiced                       int               `json:"qty_invoiced"`
		QtyOrdered                        int               `json:"qty_ordered"`
		QtyRefunded                       int               `json:"qty_refunded"`
		QtyShipped                        int               `json:"qty_shipped"`
		QuoteItemID                       int64             `json:"quote_item_id"`
		RowInvoiced                       num               `json:"row_invoiced"`
		RowTotal                          num               `json:"row_total"`
		RowTotalInclTax                   *num              `json:"row_total_incl_tax,omitempty"`
		RowWeight                         num               `json:"row_weight"`
		SKU                               string            `json:"sku"`
		StoreID                           int               `json:"store_id"`
		TaxAmount                         num               `json:"tax_amount"`
		TaxInvoiced                       num               `json:"tax_invoiced"`
		TaxPercent                        int               `json:"tax_percent"`
		UpdatedAt                         string            `json:"updated_at"`
		Weight                            num               `json:"weight"`
		ParentItem                        *magItemJSON      `json:"parent_item,omitempty"`
		ProductOption                     *magProductOption `json:"product_option,omitempty"`
	}
	magProductOption struct {
		ExtensionAttributes struct {
			ConfigurableItemOptions []magOptionJSON `json:"configurable_item_options"`
		} `json:"extension_attributes"`
	}
	magOptionJSON struct {
		OptionID    string `json:"option_id"`
		OptionValue int    `json:"option_value"`
	}
	magAddressJSON struct {
		AddressType       string   `json:"address_type"`
		City              string   `json:"city"`
		Company           string   `json:"company,omitempty"`
		CountryID         string   `json:"country_id"`
		CustomerAddressID *int64   `json:"customer_address_id,omitempty"`
		CustomerID        *int64   `json:"customer_id,omitempty"`
		Email             string   `json:"email"`
		EntityID          int64    `json:"entity_id"`
		Firstname         string   `json:"firstname"`
		Lastname          string   `json:"lastname"`
		ParentID          int64    `json:"parent_id"`
		Postcode          string   `json:"postcode"`
		Region            string   `json:"region,omitempty"`
		RegionCode        string   `json:"region_code,omitempty"`
		Street            []string `json:"street"`
		Telephone         string   `json:"telephone"`
		VatID             string   `json:"vat_id,omitempty"`
	}
	magPaymentJSON struct {
		AccountStatus         *string  `json:"account_status"`
		AdditionalInformation []string `json:"additional_information"`
		AmountOrdered         num      `json:"amount_ordered"`
		AmountPaid            *num     `json:"amount_paid,omitempty"`
		BaseAmountOrdered     num      `json:"base_amount_ordered"`
		BaseAmountPaid        *num     `json:"base_amount_paid,omitempty"`
		BaseShippingAmount    num      `json:"base_shipping_amount"`
		CcLast4               *string  `json:"cc_last4"`
		EntityID              int64    `json:"entity_id"`
		LastTransID           string   `json:"last_trans_id,omitempty"`
		Method                string   `json:"method"`
		ParentID              int64    `json:"parent_id"`
		ShippingAmount        num      `json:"shipping_amount"`
	}
	magHistoryJSON struct {
		Comment            string `json:"comment"`
		CreatedAt          string `json:"created_at"`
		EntityID           int64  `json:"entity_id"`
		EntityName         string `json:"entity_name"`
		IsCustomerNotified *int   `json:"is_customer_notified"`
		IsVisibleOnFront   int    `json:"is_visible_on_front"`
		ParentID           int64  `json:"parent_id"`
		Status             string `json:"status"`
	}
	magOrderExtJSON struct {
		ShippingAssignments   []magAssignmentJSON   `json:"shipping_assignments"`
		PaymentAdditionalInfo []magKeyValueJSON     `json:"payment_additional_info"`
		AppliedTaxes          []magAppliedTaxJSON   `json:"applied_taxes,omitempty"`
		ItemAppliedTaxes      []magItemAppliedTaxes `json:"item_applied_taxes,omitempty"`
		ConvertingFromQuote   bool                  `json:"converting_from_quote"`
	}
	magAssignmentJSON struct {
		Shipping magShippingJSON `json:"shipping"`
		Items    []*magItemJSON  `json:"items"`
	}
	magShippingJSON struct {
		Address *magAddressJSON  `json:"address,omitempty"`
		Method  string           `json:"method,omitempty"`
		Total   magShipTotalJSON `json:"total"`
	}
	magShipTotalJSON struct {
		BaseShippingAmount     num `json:"base_shipping_amount"`
		BaseShippingInclTax    num `json:"base_shipping_incl_tax"`
		BaseShippingTaxAmount  num `json:"base_shipping_tax_amount"`
		ShippingAmount         num `json:"shipping_amount"`
		ShippingInclTax        num `json:"shipping_incl_tax"`
		ShippingTaxAmount      num `json:"shipping_tax_amount"`
		ShippingDiscountAmount num `json:"shipping_discount_amount"`
	}
	magKeyValueJSON struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	magAppliedTaxJSON struct {
		Code       string `json:"code"`
		Title      string `json:"title"`
		Percent    int    `json:"percent"`
		Amount     num    `json:"amount"`
		BaseAmount num    `json:"base_amount"`
	}
	magItemAppliedTaxes struct {
		Type         string              `json:"type"`
		ItemID       *int64              `json:"item_id,omitempty"`
		AppliedTaxes []magAppliedTaxJSON `json:"applied_taxes"`
	}
)

func ptrNum(d decimal.Decimal) *num { n := numOf(d); return &n }

// magentoIntraEUGroup is the customer group Magento's VAT validation puts
// a customer with a valid VAT number of another member state in; its
// customer tax class has no tax rules, so nothing is taxed.
const magentoIntraEUGroup = 4

var zero = numOf(decimal.Zero)

// magLineCalc is one line's money as Magento computes it for a catalogue
// with prices excl. VAT: unit price rounded to cents, tax per row after
// the discount.
type magLineCalc struct {
	price, priceIncl, row, rowIncl, disc, tax decimal.Decimal
}

// render writes o as GET /rest/V1/orders/{id} returns it.
func (m *Magento) render(o *order) []byte {
	created, updated := mtime(o.created), mtime(o.modified)
	paid := !o.paid.IsZero()
	shipped := o.status == stCompleted

	rows := make([]decimal.Decimal, len(o.lines))
	calc := make([]magLineCalc, len(o.lines))
	for i := range o.lines {
		l := &o.lines[i]
		c := &calc[i]
		c.price = l.unitIncl().DivRound(l.p.vat.factor(), 2)
		c.priceIncl = c.price.Add(c.price.Mul(o.rate(l.p.vat)).Round(2))
		c.row = c.price.Mul(decimal.NewFromInt(int64(l.qty)))
		c.rowIncl = c.row.Add(c.row.Mul(o.rate(l.p.vat)).Round(2))
		rows[i] = c.row
	}
	shares := couponShares(o.coupon, rows, o.lines)
	subtotal, subtotalIncl, disc, itemTax := decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	rateTax := map[vat]decimal.Decimal{}
	for i := range o.lines {
		c := &calc[i]
		if shares != nil {
			c.disc = shares[i]
		}
		c.tax = c.row.Sub(c.disc).Mul(o.rate(o.lines[i].p.vat)).Round(2)
		subtotal, subtotalIncl = subtotal.Add(c.row), subtotalIncl.Add(c.rowIncl)
		disc, itemTax = disc.Add(c.disc), itemTax.Add(c.tax)
		rateTax[o.lines[i].p.vat] = rateTax[o.lines[i].p.vat].Add(c.tax)
	}

	// Shipping.
	shipMethod, shipDesc := "", ""
	shipAmt, shipTax := decimal.Zero, decimal.Zero
	shipVAT := highestVAT(o.lines)
	if o.shipping != nil {
		switch {
		case o.ship == shipPickup:
			shipMethod, shipDesc = "instore_pickup", "Afhalen in de winkel - Afhalen"
		case o.ship == shipEurope:
			shipMethod, shipDesc = "tablerate_bestway", "PostNL - Pakket Europa"
			shipAmt = decimal.RequireFromString(europeExcl)
		case o.ship == shipWorld:
			shipMethod, shipDesc = "tablerate_bestway", "PostNL - Pakket Wereld"
			shipAmt = decimal.RequireFromString(worldExcl)
		case subtotal.Sub(disc).Add(itemTax).GreaterThanOrEqual(decimal.RequireFromString(freeShipping)):
			shipMethod, shipDesc = "freeshipping_freeshipping", "Gratis verzending - Gratis"
		default:
			shipMethod, shipDesc = "flatrate_flatrate", "PostNL - Pakket"
			shipAmt = decimal.RequireFromString(shippingExcl)
		}
		shipTax = shipAmt.Mul(o.rate(shipVAT)).Round(2)
	}
	tax := itemTax.Add(shipTax)
	grand := subtotal.Sub(disc).Add(shipAmt).Add(tax)
	due := grand
	if paid {
		due = decimal.Zero
	}

	st := magentoState(o.status)
	out := magOrderJSON{
		BaseCurrencyCode: "EUR", GlobalCurrencyCode: "EUR", OrderCurrencyCode: "EUR", StoreCurrencyCode: "EUR",
		BaseDiscountAmount: numOf(disc.Neg()), DiscountAmount: numOf(disc.Neg()),
		BaseGrandTotal: numOf(grand), GrandTotal: numOf(grand),
		BaseDiscountTaxCompensationAmount: zero, DiscountTaxCompensationAmount: zero,
		BaseShippingAmount: numOf(shipAmt), ShippingAmount: numOf(shipAmt),
		BaseShippingDiscountAmount: zero, ShippingDiscountAmount: zero,
		BaseShippingDiscountTaxCompensationAm: zero, ShippingDiscountTaxCompensationAmount: zero,
		BaseShippingInclTax: numOf(shipAmt.Add(shipTax)), ShippingInclTax: numOf(shipAmt.Add(shipTax)),
		BaseShippingTaxAmount: numOf(shipTax), ShippingTaxAmount: numOf(shipTax),
		BaseSubtotal: numOf(subtotal), Subtotal: numOf(subtotal),
		BaseSubtotalInclTax: numOf(subtotalIncl), SubtotalInclTax: numOf(subtotalIncl),
		BaseTaxAmount: numOf(tax), TaxAmount: numOf(tax),
		BaseTotalDue: numOf(due), TotalDue: numOf(due),
		BaseToGlobalRate: 1, BaseToOrderRate: 1,
		BillingAddressID: o.id*2 - 1,
		CreatedAt:        created, UpdatedAt: updated,
		CustomerEmail:     o.cust.person.email,
		CustomerFirstname: o.cust.person.first, CustomerLastname: o.cust.person.last,
		CustomerNote: o.note, CustomerNoteNotify: 1, CustomerTaxvat: o.cust.person.vatID,
		EmailSent: 1, EntityID: o.id, IncrementID: o.number,
		ProtectCode: strings.ToLower(o.key[:6]), QuoteID: o.id*3 + 100, RemoteIP: o.ip,
		ShippingDescription: shipDesc,
		State:               st[0], Status: st[1],
		StoreID: 1, StoreName: magentoStore,
		TotalItemCount: len(o.lines),
		Weight:         zero,
	}
	if o.cust.id != 0 {
		id := o.cust.id
		out.CustomerID, out.CustomerGroupID = &id, 1
	} else {
		out.CustomerIsGuest = 1
	}
	if o.cust.kind == euBusiness {
		out.CustomerGroupID = magentoIntraEUGroup
	}
	if o.virtual() {
		out.IsVirtual = 1
	}
	if shares != nil {
		out.AppliedRuleIDs, out.CouponCode, out.DiscountDescription = "3", o.coupon.code, o.coupon.code
	}
	if paid {
		out.BaseTotalPaid, out.TotalPaid = ptrNum(grand), ptrNum(grand)
		out.BaseTotalInvoiced, out.TotalInvoiced = ptrNum(grand), ptrNum(grand)
	}

	// Items: a configurable parent carries the money, its child is zero.
	weight := decimal.Zero
	for i := range o.lines {
		l, c := &o.lines[i], calc[i]
		w := decimal.New(35, -2) // kg
		if l.p.virtual {
			w = decimal.Zero
		}
		rowW := w.Mul(decimal.NewFromInt(int64(l.qty)))
		weight = weight.Add(rowW)
		out.TotalQtyOrdered += l.qty
		it := &magItemJSON{
			AmountRefunded: zero, BaseAmountRefunded: zero,
			BaseDiscountAmount: numOf(c.disc), DiscountAmount: numOf(c.disc),
			BaseDiscountInvoiced: zero, DiscountInvoiced: zero,
			BaseDiscountTaxCompensationAmount: &zero, DiscountTaxCompensationAmount: &zero,
			BaseOriginalPrice: numOf(c.price), OriginalPrice: numOf(c.price),
			BasePrice: numOf(c.price), Price: numOf(c.price),
			BasePriceInclTax: ptrNum(c.priceIncl), PriceInclTax: ptrNum(c.priceIncl),
			BaseRowInvoiced: zero, RowInvoiced: zero,
			BaseRowTotal: numOf(c.row), RowTotal: numOf(c.row),
			BaseRowTotalInclTax: ptrNum(c.rowIncl), RowTotalInclTax: ptrNum(c.rowIncl),
			BaseTaxAmount: numOf(c.tax), TaxAmount: numOf(c.tax),
			BaseTaxInvoiced: zero, TaxInvoiced: zero,
			CreatedAt: created, UpdatedAt: updated,
			ItemID: l.itemID, Name: l.p.name, OrderID: o.id,
			ProductID: l.p.id, ProductType: "simple",
			QtyOrdered: l.qty, QuoteItemID: l.itemID + 7000,
			RowWeight: numOf(rowW), SKU: l.sku(), StoreID: 1,
			TaxPercent: o.percent(l.p.vat), Weight: numOf(w),
		}
		if l.p.virtual {
			it.IsVirtual, it.ProductType = 1, "virtual"
			if l.p.vat == vatZero {
				it.ProductType = "giftcard"
			}
		}
		if c.disc.IsPositive() {
			it.AppliedRuleIDs = "3"
			if o.coupon.percent > 0 {
				it.DiscountPercent = o.coupon.percent
			}
		}
		if paid {
			it.QtyInvoiced, it.BaseRowInvoiced, it.RowInvoiced = l.qty, numOf(c.row), numOf(c.row)
			it.BaseTaxInvoiced, it.TaxInvoiced = numOf(c.tax), numOf(c.tax)
			it.BaseDiscountInvoiced, it.DiscountInvoiced = numOf(c.disc), numOf(c.disc)
		}
		if shipped && !l.p.virtual {
			it.QtyShipped = l.qty
		}
		out.Items = append(out.Items, it)
		if l.variant < 0 {
			continue
		}
		v := l.p.variants[l.variant]
		it.ProductType = "configurable"
		it.ProductOption = &magProductOption{}
		it.ProductOption.ExtensionAttributes.ConfigurableItemOptions = []magOptionJSON{
			{OptionID: magentoAttrIDs[l.p.attr], OptionValue: v.optID},
		}
		parentID := l.itemID
		child := &magItemJSON{
			AmountRefunded: zero, BaseAmountRefunded: zero,
			BaseDiscountAmount: zero, DiscountAmount: zero, BaseDiscountInvoiced: zero, DiscountInvoiced: zero,
			BaseOriginalPrice: zero, OriginalPrice: zero, BasePrice: zero, Price: zero,
			BaseRowInvoiced: zero, RowInvoiced: zero, BaseRowTotal: zero, RowTotal: zero,
			BaseTaxAmount: zero, TaxAmount: zero, BaseTaxInvoiced: zero, TaxInvoiced: zero,
			CreatedAt: created, UpdatedAt: updated,
			ItemID: l.itemID + 1, Name: l.p.name + "-" + v.value, OrderID: o.id,
			ParentItemID: &parentID, ProductID: v.id, ProductType: "simple",
			QtyOrdered: l.qty, QtyInvoiced: it.QtyInvoiced, QtyShipped: it.QtyShipped,
			QuoteItemID: l.itemID + 7001, RowWeight: zero, SKU: v.sku, StoreID: 1,
			Weight: numOf(w), ParentItem: it,
		}
		out.Items = append(out.Items, child)
	}
	out.Weight = numOf(weight)

	email := o.cust.person.email
	out.BillingAddress = m.address("billing", &o.billing, o, email, o.id*2-1)
	out.Payment = magPaymentJSON{
		AdditionalInformation: []string{o.pay.mageTitle},
		AmountOrdered:         numOf(grand), BaseAmountOrdered: numOf(grand),
		BaseShippingAmount: numOf(shipAmt), ShippingAmount: numOf(shipAmt),
		EntityID: o.id, ParentID: o.id, Method: o.pay.mage, LastTransID: o.txnID,
	}
	if paid {
		out.Payment.AmountPaid, out.Payment.BaseAmountPaid = ptrNum(grand), ptrNum(grand)
	}
	for i := len(o.history) - 1; i >= 0; i-- { // newest first
		h := o.history[i]
		var notified *int
		if h.status != stPending {
			one := 1
			notified = &one
		}
		out.StatusHistories = append(out.StatusHistories, magHistoryJSON{
			Comment: h.note, CreatedAt: mtime(h.at), EntityID: o.id*10 + int64(i), EntityName: "order",
			IsCustomerNotified: notified, ParentID: o.id, Status: magentoState(h.status)[1],
		})
	}
	if out.StatusHistories == nil {
		out.StatusHistories = []magHistoryJSON{}
	}

	ship := magShippingJSON{
		Method: shipMethod,
		Total: magShipTotalJSON{
			BaseShippingAmount: numOf(shipAmt), ShippingAmount: numOf(shipAmt),
			BaseShippingInclTax: numOf(shipAmt.Add(shipTax)), ShippingInclTax: numOf(shipAmt.Add(shipTax)),
			BaseShippingTaxAmount: numOf(shipTax), ShippingTaxAmount: numOf(shipTax),
			ShippingDiscountAmount: zero,
		},
	}
	if o.shipping != nil {
		a := m.address("shipping", o.shipping, o, email, o.id*2)
		ship.Address = &a
	}
	ext := magOrderExtJSON{
		ShippingAssignments:   []magAssignmentJSON{{Shipping: ship, Items: out.Items}},
		PaymentAdditionalInfo: []magKeyValueJSON{{Key: "method_title", Value: o.pay.mageTitle}},
	}
	if !shipTax.IsZero() {
		rateTax[shipVAT] = rateTax[shipVAT].Add(shipTax)
	}
	applied := func(v vat, amount decimal.Decimal) magAppliedTaxJSON {
		code := fmt.Sprintf("NL BTW %d%%", v.percent())
		return magAppliedTaxJSON{Code: code, Title: code, Percent: v.percent(), Amount: numOf(amount), BaseAmount: numOf(amount)}
	}
	for _, v := range []vat{vatHigh, vatLow} {
		if a, ok := rateTax[v]; ok && a.IsPositive() {
			ext.AppliedTaxes = append(ext.AppliedTaxes, applied(v, a))
		}
	}
	for i := range o.lines {
		if calc[i].tax.IsPositive() {
			id := o.lines[i].itemID
			ext.ItemAppliedTaxes = append(ext.ItemAppliedTaxes, magItemAppliedTaxes{
				Type: "product", ItemID: &id, AppliedTaxes: []magAppliedTaxJSON{applied(o.lines[i].p.vat, calc[i].tax)},
			})
		}
	}
	if shipTax.IsPositive() {
		ext.ItemAppliedTaxes = append(ext.ItemAppliedTaxes, magItemAppliedTaxes{
			Type: "shipping", AppliedTaxes: []magAppliedTaxJSON{applied(shipVAT, shipTax)},
		})
	}
	out.ExtensionAttributes = ext
	return mustPHPJSON(out)
}

// address renders a billing or shipping address. Registered customers'
// addresses link to their address book.
func (m *Magento) address(kind string, a *address, o *order, email string, entity int64) magAddressJSON {
	street := []string{a.line1()}
	if m.opts.SplitHouseNumber && a.country == "NL" {
		street = []string{a.street, strconv.Itoa(a.number)}
		if s := a.suffixText(); s != "" {
			street = append(street, s)
		}
	}
	out := magAddressJSON{
		AddressType: kind, City: a.city, Company: a.company, CountryID: a.country, Email: email,
		EntityID: entity, Firstname: a.first, Lastname: a.last, ParentID: o.id,
		Postcode: a.postcode, Region: a.state, RegionCode: a.state, Street: street,
		Telephone: cmp.Or(a.phone, o.cust.person.phone),
	}
	if kind == "billing" {
		out.VatID = o.cust.person.vatID
	}
	if o.cust.id != 0 {
		cid, aid := o.cust.id, o.cust.id*10
		if a != &o.cust.billing && o.cust.other != nil && a.street == o.cust.other.street {
			aid++
		}
		out.CustomerID, out.CustomerAddressID = &cid, &aid
	}
	return out
}

// magentoError writes Magento's error JSON; parameters may be nil.
func magentoError(w http.ResponseWriter, status int, msg string, params any) {
	body := map[string]any{"message": msg}
	if params != nil {
		body["parameters"] = params
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(mustPHPJSON(body))
}

// magentoFaultError adapts magentoError to serveFault.
func magentoFaultError(w http.ResponseWriter, status int, _, msg string) {
	magentoError(w, status, msg, nil)
}

func magentoUnauthorized(w http.ResponseWriter) {
	magentoError(w, http.StatusUnauthorized, "The consumer isn't authorized to access %resources.",
		map[string]string{"resources": "Magento_Sales::actions_view"})
}

var magentoRoute = regexp.MustCompile(`^/rest/(?:([A-Za-z0-9_]+)/)?V1/orders(?:/([^/]+))?/?$`)

// ServeHTTP implements http.Handler.
func (m *Magento) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: rw}
	auth, reason, fault := m.serve(sw, r)
	m.record(r, auth, reason, cmp.Or(sw.status, http.StatusOK), fault)
}

func (m *Magento) serve(sw *statusWriter, r *http.Request) (auth, reason string, fk FaultKind) {
	if !strings.HasPrefix(r.URL.Path, "/rest/") {
		htmlNotFound(sw, "Boekhandel")
		return "", "", 0
	}
	match := magentoRoute.FindStringSubmatch(r.URL.Path)
	page := 0
	if match != nil && match[2] == "" {
		page = 1
		if p, err := strconv.Atoi(r.URL.Query().Get("searchCriteria[currentPage]")); err == nil {
			page = p
		}
	}
	m.mu.Lock()
	f := m.takeFault(page)
	m.mu.Unlock()
	if f != nil {
		fk = f.Kind
		if serveFault(sw, r, f, magentoFaultError) {
			return "", "", fk
		}
		if f.Kind == FaultGarbage {
			sw.buf = &bytes.Buffer{}
			defer func() {
				sw.ResponseWriter.WriteHeader(cmp.Or(sw.status, http.StatusOK))
				sw.ResponseWriter.Write(garble(sw.buf.Bytes()))
			}()
		}
	}
	if match == nil || r.Method != http.MethodGet || (match[2] != "" && !isDigits(match[2])) {
		magentoError(sw, http.StatusNotFound, "Request does not match any route.", nil)
		return "", "", fk
	}
	auth, reason = m.authenticate(r)
	if auth == "" {
		magentoUnauthorized(sw)
		return "", reason, fk
	}
	if id := match[2]; id != "" {
		n, _ := strconv.ParseInt(id, 10, 64)
		body, ok := m.OrderJSON(n)
		if !ok {
			magentoError(sw, http.StatusNotFound, "The entity that was requested doesn't exist. Verify the entity and try again.", nil)
			return auth, "", fk
		}
		sw.Header().Set("Content-Type", "application/json; charset=utf-8")
		sw.Write(body)
		return auth, "", fk
	}
	m.list(sw, r)
	return auth, "", fk
}

// authenticate returns "bearer" or "oauth" for a request that
// authenticates, else "" and why not (for the request log only; the
// client sees Magento's one generic message).
func (m *Magento) authenticate(r *http.Request) (how, reason string) {
	h := r.Header.Get("Authorization")
	switch {
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		if m.opts.RejectBearer {
			return "", "bearer tokens are disabled"
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[7:])), []byte(m.opts.AccessToken)) != 1 {
			return "", "unknown bearer token"
		}
		return "bearer", ""
	case len(h) > 6 && strings.EqualFold(h[:6], "oauth "):
		if err := m.verifyOAuth(r, h[6:]); err != "" {
			return "", err
		}
		return "oauth", ""
	case h == "":
		return "", "no Authorization header"
	default:
		return "", "unsupported Authorization scheme"
	}
}

// verifyOAuth checks an OAuth 1.0a request the way Magento's
// Oauth\Helper\Request and laminas-oauth do, and returns "" or the reason
// it fails.
func (m *Magento) verifyOAuth(r *http.Request, header string) string {
	p := map[string]string{}
	for part := range strings.SplitSeq(header, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.HasPrefix(name, "oauth_") {
			continue
		}
		p[rawurldecode(name)] = rawurldecode(strings.Trim(value, `"`))
	}
	for _, k := range []string{"oauth_consumer_key", "oauth_signature", "oauth_signature_method", "oauth_nonce", "oauth_timestamp", "oauth_token"} {
		if p[k] == "" {
			return "missing " + k
		}
	}
	if v, ok := p["oauth_version"]; ok && v != "1.0" {
		return "oauth_version is not 1.0"
	}
	if p["oauth_consumer_key"] != m.opts.ConsumerKey {
		return "unknown consumer key"
	}
	if p["oauth_token"] != m.opts.AccessToken {
		return "unknown access token"
	}
	var newHash func() hash.Hash
	switch p["oauth_signature_method"] {
	case "HMAC-SHA256":
		newHash = sha256.New
	case "HMAC-SHA1":
		newHash = sha1.New
	default:
		return "unsupported signature method " + p["oauth_signature_method"]
	}
	ts, err := strconv.ParseInt(p["oauth_timestamp"], 10, 64)
	if err != nil {
		return "bad timestamp"
	}
	now := time.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > 600*time.Second || d < -600*time.Second {
		return "timestamp outside the 600 s window"
	}

	// Signed parameters: the header's protocol parameters and the query's
	// (name=value pairs only, rawurldecode'd, oauth_* from the query
	// ignored), keyed by name as PHP arrays are.
	params := map[string]string{}
	for k, v := range p {
		if k != "oauth_signature" {
			params[k] = v
		}
	}
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		kv := strings.Split(part, "=")
		if len(kv) == 2 && !strings.HasPrefix(kv[0], "oauth_") {
			params[rawurldecode(kv[0])] = rawurldecode(kv[1])
		}
	}
	enc := make([][2]string, 0, len(params))
	for k, v := range params {
		enc = append(enc, [2]string{rfc3986(k), rfc3986(v)})
	}
	slices.SortFunc(enc, func(a, b [2]string) int { return strnatcmp(a[0], b[0]) })
	pairs := make([]string, len(enc))
	for i, kv := range enc {
		pairs[i] = kv[0] + "=" + kv[1]
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	base := r.Method + "&" + rfc3986(scheme+"://"+host+r.URL.EscapedPath()) + "&" + rfc3986(strings.Join(pairs, "&"))
	mac := hmac.New(newHash, []byte(rfc3986(m.opts.ConsumerSecret)+"&"+rfc3986(m.opts.AccessTokenSecret)))
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(p["oauth_signature"])) != 1 {
		return "signature mismatch"
	}

	// A nonce may be used once; remember them for the timestamp window.
	m.mu.Lock()
	defer m.mu.Unlock()
	for n, at := range m.nonces {
		if now.Sub(at) > 20*time.Minute {
			delete(m.nonces, n)
		}
	}
	if _, used := m.nonces[p["oauth_nonce"]]; used {
		return "nonce already used"
	}
	m.nonces[p["oauth_nonce"]] = now
	return ""
}

// rawurldecode is PHP's rawurldecode: %XX decoded, "+" kept.
func rawurldecode(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// rfc3986 is PHP's rawurlencode (laminas Utility::urlEncode).
func rfc3986(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string(hex[c>>4]) + string(hex[c&15]))
	}
	return b.String()
}

// strnatcmp compares like PHP's strnatcmp: runs of digits compare as
// numbers, everything else byte by byte.
func strnatcmp(a, b string) int {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x, y := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
			if c := cmp.Compare(len(x), len(y)); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(a[i], b[j]); c != 0 {
			return c
		}
		i++
		j++
	}
	return cmp.Compare(len(a)-i, len(b)-j)
}

// magFilter is one searchCriteria filter.
type magFilter struct {
	Field         string `json:"field"`
	Value         string `json:"value"`
	ConditionType string `json:"condition_type"`
}

// magSearchCriteria is searchCriteria as Magento echoes it.
type magSearchCriteria struct {
	FilterGroups []struct {
		Filters []magFilter `json:"filters"`
	} `json:"filter_groups"`
	SortOrders  []magSortOrder `json:"sort_orders,omitempty"`
	PageSize    *int           `json:"page_size,omitempty"`
	CurrentPage *int           `json:"current_page,omitempty"`
}

type magSortOrder struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

var (
	reFilter = regexp.MustCompile(`^searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(field|value|condition_type)\]$`)
	reSort   = regexp.MustCompile(`^searchCriteria\[sortOrders\]\[(\d+)\]\[(field|direction)\]$`)
)

// parseSearchCriteria reads searchCriteria from the query as PHP does
// ("+" is a space). It returns a message for a 400 on bad input.
func parseSearchCriteria(q url.Values) (magSearchCriteria, string) {
	var sc magSearchCriteria
	type key struct{ g, f int }
	filters := map[key]*magFilter{}
	sorts := map[int]*magSortOrder{}
	seen := false
	for name, vals := range q {
		if !strings.HasPrefix(name, "searchCriteria") || len(vals) == 0 {
			continue
		}
		seen = true
		v := vals[len(vals)-1]
		if m := reFilter.FindStringSubmatch(name); m != nil {
			g, _ := strconv.Atoi(m[1])
			f, _ := strconv.Atoi(m[2])
			if g > 20 || f > 20 {
				return sc, "too many filters"
			}
			k := key{g, f}
			if filters[k] == nil {
				filters[k] = &magFilter{}
			}
			switch m[3] {
			case "field":
				filters[k].Field = v
			case "value":
				filters[k].Value = v
			default:
				filters[k].ConditionType = v
			}
			continue
		}
		if m := reSort.FindStringSubmatch(name); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i > 20 {
				return sc, "too many sort orders"
			}
			if sorts[i] == nil {
				sorts[i] = &magSortOrder{Direction: "ASC"}
			}
			if m[2] == "field" {
				sorts[i].Field = v
			} else {
				sorts[i].Direction = strings.ToUpper(v)
			}
			continue
		}
		switch name {
		case "searchCriteria[pageSize]", "searchCriteria[currentPage]":
			n, err := strconv.Atoi(v)
			if err != nil {
				return sc, fmt.Sprintf("%q is not a number", name)
			}
			if name == "searchCriteria[pageSize]" {
				sc.PageSize = &n
			} else {
				sc.CurrentPage = &n
			}
		}
	}
	if !seen {
		return sc, "searchCriteria"
	}
	gs := map[int][]key{}
	for k := range filters {
		gs[k.g] = append(gs[k.g], k)
	}
	for _, g := range slices.Sorted(mapKeys(gs)) {
		ks := gs[g]
		slices.SortFunc(ks, func(a, b key) int { return cmp.Compare(a.f, b.f) })
		var group struct {
			Filters []magFilter `json:"filters"`
		}
		for _, k := range ks {
			f := *filters[k]
			f.ConditionType = cmp.Or(f.ConditionType, "eq")
			group.Filters = append(group.Filters, f)
		}
		sc.FilterGroups = append(sc.FilterGroups, group)
	}
	for _, i := range slices.Sorted(mapKeys(sorts)) {
		sc.SortOrders = append(sc.SortOrders, *sorts[i])
	}
	if sc.FilterGroups == nil {
		sc.FilterGroups = make([]struct {
			Filters []magFilter `json:"filters"`
		}, 0)
	}
	return sc, ""
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fieldValue returns an order's value for a filter or sort field: a
// time, a number or a string. ok is false for an unknown field.
func fieldValue(o *order, field string) (any, bool) {
	switch field {
	case "updated_at":
		return o.modified, true
	case "created_at":
		return o.created, true
	case "entity_id":
		return o.id, true
	case "increment_id":
		return o.number, true
	case "status":
		return magentoState(o.status)[1], true
	case "state":
		return magentoState(o.status)[0], true
	case "customer_email":
		return o.cust.person.email, true
	}
	return nil, false
}

// compareField compares an order's field with a filter value the way
// MySQL would: dates as times, ids as numbers, the rest as strings.
func compareField(v any, s string) (int, bool) {
	switch v := v.(type) {
	case time.Time:
		for _, layout := range []string{time.DateTime, "2006-01-02T15:04:05", time.DateOnly, time.RFC3339} {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return v.Compare(t), true
			}
		}
		return 0, false
	case int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		return cmp.Compare(v, n), true
	case string:
		return strings.Compare(v, s), true
	}
	return 0, false
}

// matches reports whether o passes f; bad is set for a filter Magento
// would refuse.
func matches(o *order, f magFilter) (ok bool, bad string) {
	v, known := fieldValue(o, f.Field)
	if !known {
		return false, fmt.Sprintf("%q is not a filterable field", f.Field)
	}
	switch f.ConditionType {
	case "in", "nin":
		in := false
		for part := range strings.SplitSeq(f.Value, ",") {
			if c, ok := compareField(v, strings.TrimSpace(part)); ok && c == 0 {
				in = true
			}
		}
		return in == (f.ConditionType == "in"), ""
	case "like":
		pat := strings.ToLower(f.Value)
		s := strings.ToLower(fmt.Sprint(v))
		switch {
		case strings.HasPrefix(pat, "%") && strings.HasSuffix(pat, "%"):
			return strings.Contains(s, strings.Trim(pat, "%")), ""
		case strings.HasPrefix(pat, "%"):
			return strings.HasSuffix(s, pat[1:]), ""
		case strings.HasSuffix(pat, "%"):
			return strings.HasPrefix(s, pat[:len(pat)-1]), ""
		}
		return s == pat, ""
	}
	c, ok := compareField(v, f.Value)
	if !ok {
		return false, fmt.Sprintf("%q is not a valid value for %s", f.Value, f.Field)
	}
	switch f.ConditionType {
	case "eq":
		return c == 0, ""
	case "neq":
		return c != 0, ""
	case "gt":
		return c > 0, ""
	case "gteq":
		return c >= 0, ""
	case "lt":
		return c < 0, ""
	case "lteq":
		return c <= 0, ""
	}
	return false, fmt.Sprintf("condition type %q is not supported", f.ConditionType)
}

func (m *Magento) list(rw http.ResponseWriter, r *http.Request) {
	sc, bad := parseSearchCriteria(r.URL.Query())
	switch {
	case bad == "searchCriteria":
		magentoError(rw, http.StatusBadRequest, "\"%fieldName\" is required. Enter and try again.",
			map[string]string{"fieldName": "searchCriteria"})
		return
	case bad != "":
		magentoError(rw, http.StatusBadRequest, bad, nil)
		return
	case sc.PageSize != nil && *sc.PageSize > m.opts.MaxPageSize:
		magentoError(rw, http.StatusBadRequest, "Maximum SearchCriteria pageSize is %max",
			map[string]int{"max": m.opts.MaxPageSize})
		return
	case sc.PageSize != nil && *sc.PageSize < 1:
		magentoError(rw, http.StatusBadRequest, "pageSize must be a positive number", nil)
		return
	}
	for _, s := range sc.SortOrders {
		if _, ok := fieldValue(&order{cust: &customer{}}, s.Field); !ok || (s.Direction != "ASC" && s.Direction != "DESC") {
			magentoError(rw, http.StatusBadRequest, fmt.Sprintf("cannot sort by %q %q", s.Field, s.Direction), nil)
			return
		}
	}

	m.mu.Lock()
	var match []*order
	for _, o := range m.orders {
		pass := true
		for _, g := range sc.FilterGroups {
			hit := false
			for _, f := range g.Filters {
				ok, bad := matches(o, f)
				if bad != "" {
					m.mu.Unlock()
					magentoError(rw, http.StatusBadRequest, bad, nil)
					return
				}
				hit = hit || ok
			}
			pass = pass && hit
		}
		if pass {
			match = append(match, o)
		}
	}
	slices.SortStableFunc(match, func(a, b *order) int {
		for _, s := range sc.SortOrders {
			va, _ := fieldValue(a, s.Field)
			vb, _ := fieldValue(b, s.Field)
			c := 0
			switch x := va.(type) {
			case time.Time:
				c = x.Compare(vb.(time.Time))
			case int64:
				c = cmp.Compare(x, vb.(int64))
			case string:
				c = strings.Compare(x, vb.(string))
			}
			if s.Direction == "DESC" {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.id, b.id)
	})
	total := len(match)
	items := match
	if sc.PageSize != nil {
		size := *sc.PageSize
		page := 1
		if sc.CurrentPage != nil && *sc.CurrentPage > 1 {
			page = *sc.CurrentPage
		}
		last := max((total+size-1)/size, 1)
		page = min(page, last) // past the end: the last page again
		from := min((page-1)*size, total)
		items = match[from:min(from+size, total)]
	}
	var buf bytes.Buffer
	buf.WriteString(`{"items":[`)
	for i, o := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(m.bodyOf(o))
	}
	m.mu.Unlock()
	buf.WriteString(`],"search_criteria":`)
	buf.Write(mustPHPJSON(sc))
	fmt.Fprintf(&buf, `,"total_count":%d}`, total)
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Write(buf.Bytes())
}
