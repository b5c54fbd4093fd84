package webshop

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// defaultMagentoSignatureHeader carries base64(HMAC-SHA256(raw body,
// secret)) for Magento pushes, unless Config.SignatureHeader names another.
const defaultMagentoSignatureHeader = "X-Koppel-Signature"

// magentoDeliveryHeaders are the unsigned headers the koppel push module
// for Magento sends with an order: the event ("sales_order_save_after"),
// a delivery id, and the store code.
var magentoDeliveryHeaders = []string{
	"X-Koppel-Event",
	"X-Koppel-Delivery-Id",
	"X-Magento-Store",
}

// magento is the [Adapter] for Magento 2 / Adobe Commerce orders, pushed
// by a module that signs the REST order JSON with a shared secret, or
// polled. It holds no mutable state; its methods are safe for concurrent
// use.
type magento struct {
	secret []byte
	header string
	tol    *decimal.Decimal // nil: one minor unit of the order's currency
}

// newMagento returns the Magento adapter. An empty cfg.Secret is accepted,
// so that a poll-only profile can normalize orders, but then every delivery
// fails Verify.
func newMagento(cfg Config) (Adapter, error) {
	tol, err := parseTolerance(cfg.TotalTolerance)
	if err != nil {
		return nil, err
	}
	header := strings.TrimSpace(cfg.SignatureHeader)
	if header == "" {
		header = defaultMagentoSignatureHeader
	}
	return &magento{secret: []byte(cfg.Secret), header: header, tol: tol}, nil
}

// Platform implements [Adapter].
func (*magento) Platform() Platform { return Magento }

// Verify implements [Adapter]. The signature header (Config.SignatureHeader,
// default X-Koppel-Signature) must be the standard base64 of HMAC-SHA256
// over body with the secret. Magento has no ping: an unsigned delivery is
// an error wrapping ErrSignature.
func (m *magento) Verify(h http.Header, body []byte) (Kind, error) {
	if err := checkSignature(m.header, headerValue(h, m.header), m.secret, body); err != nil {
		return 0, err
	}
	return KindOrder, nil
}

// DeliveryHeaders implements [Adapter]. It keeps X-Koppel-Event,
// X-Koppel-Delivery-Id and X-Magento-Store when present (they are not
// signed), keyed as http.CanonicalHeaderKey writes them. The configured
// signature header is never among them.
func (m *magento) DeliveryHeaders(h http.Header) map[string]string {
	out := keepHeaders(h, magentoDeliveryHeaders)
	delete(out, http.CanonicalHeaderKey(m.header))
	return out
}

// magOrder is the part of a Magento REST order (GET /V1/orders/{id}) that
// koppel reads, plus the keys of payloads that wrap an order or are none.
type magOrder struct {
	EntityID            text          `json:"entity_id"`
	IncrementID         text          `json:"increment_id"`
	Status              string        `json:"status"`
	State               string        `json:"state"`
	CreatedAt           string        `json:"created_at"`
	UpdatedAt           string        `json:"updated_at"`
	OrderCurrencyCode   string        `json:"order_currency_code"`
	BaseCurrencyCode    string        `json:"base_currency_code"`
	CustomerID          text          `json:"customer_id"`
	CustomerIsGuest     intBool       `json:"customer_is_guest"`
	CustomerEmail       string        `json:"customer_email"`
	CustomerFirstname   string        `json:"customer_firstname"`
	CustomerLastname    string        `json:"customer_lastname"`
	CustomerTaxvat      string        `json:"customer_taxvat"`
	CustomerNote        string        `json:"customer_note"`
	CouponCode          string        `json:"coupon_code"`
	DiscountDescription string        `json:"discount_description"`
	ShippingDescription string        `json:"shipping_description"`
	Items               []magItem     `json:"items"`
	BillingAddress      *magAddress   `json:"billing_address"`
	Payment             *magPayment   `json:"payment"`
	ExtensionAttributes *magExtension `json:"extension_attributes"`
	magTotals

	BaseGrandTotal                    num `json:"base_grand_total"`
	BaseSubtotal                      num `json:"base_subtotal"`
	BaseTaxAmount                     num `json:"base_tax_amount"`
	BaseShippingAmount                num `json:"base_shipping_amount"`
	BaseDiscountAmount                num `json:"base_discount_amount"`
	BaseDiscountTaxCompensationAmount num `json:"base_discount_tax_compensation_amount"`

	// Wrappers and not-an-order markers.
	SpecVersion    *json.RawMessage `json:"specversion"` // Adobe I/O Events (CloudEvents) envelope
	EventType      json.RawMessage  `json:"type"`
	Order          json.RawMessage  `json:"order"` // {increment_id, order_id, order: {…}} placeOrder responses
	SearchCriteria *json.RawMessage `json:"search_criteria"`
}

// magTotals are the order-currency totals.
type magTotals struct {
	GrandTotal                    num `json:"grand_total"`
	Subtotal                      num `json:"subtotal"`
	TaxAmount                     num `json:"tax_amount"`
	ShippingAmount                num `json:"shipping_amount"`
	ShippingTaxAmount             num `json:"shipping_tax_amount"`
	ShippingInclTax               num `json:"shipping_incl_tax"`
	ShippingDiscountAmount        num `json:"shipping_discount_amount"`
	DiscountAmount                num `json:"discount_amount"` // negative
	DiscountTaxCompensationAmount num `json:"discount_tax_compensation_amount"`
	TotalPaid                     num `json:"total_paid"`
}

type magItem struct {
	ItemID                        text              `json:"item_id"`
	ParentItemID                  text              `json:"parent_item_id"`
	ProductID                     text              `json:"product_id"`
	ProductType                   string            `json:"product_type"`
	SKU                           string            `json:"sku"`
	Name                          string            `json:"name"`
	QtyOrdered                    num               `json:"qty_ordered"`
	Price                         num               `json:"price"`
	PriceInclTax                  num               `json:"price_incl_tax"`
	RowTotal                      num               `json:"row_total"`
	RowTotalInclTax               num               `json:"row_total_incl_tax"`
	TaxAmount                     num               `json:"tax_amount"`
	TaxPercent                    num               `json:"tax_percent"`
	DiscountAmount                num               `json:"discount_amount"` // positive on items
	DiscountTaxCompensationAmount num               `json:"discount_tax_compensation_amount"`
	ProductOption                 *magProductOption `json:"product_option"`
}

type magProductOption struct {
	ExtensionAttributes struct {
		ConfigurableItemOptions []magOption `json:"configurable_item_options"`
		CustomOptions           []magOption `json:"custom_options"`
	} `json:"extension_attributes"`
}

type magOption struct {
	OptionID    json.RawMessage `json:"option_id"`
	OptionValue json.RawMessage `json:"option_value"`
}

type magAddress struct {
	Firstname  string `json:"firstname"`
	Lastname   string `json:"lastname"`
	Company    string `json:"company"`
	Street     []text `json:"street"`
	City       string `json:"city"`
	Postcode   text   `json:"postcode"`
	CountryID  string `json:"country_id"`
	Region     string `json:"region"`
	RegionCode string `json:"region_code"`
	Telephone  text   `json:"telephone"`
	Email      string `json:"email"`
	VatID      string `json:"vat_id"`
}

type magPayment struct {
	Method                string            `json:"method"`
	AdditionalInformation []json.RawMessage `json:"additional_information"`
	LastTransID           text              `json:"last_trans_id"`
}

type magExtension struct {
	ShippingAssignments []struct {
		Shipping struct {
			Address *magAddress `json:"address"`
			Method  string      `json:"method"`
		} `json:"shipping"`
	} `json:"shipping_assignments"`
	PaymentAdditionalInfo []struct {
		Key   string `json:"key"`
		Value text   `json:"value"`
	} `json:"payment_additional_info"`
}

// Normalize implements [Adapter] for an order as GET /V1/orders/{id}
// returns it. A placeOrder-style wrapper {"increment_id", "order_id",
// "order": {…}} is unwrapped; Raw keeps the whole body.
//
// Money comes from the JSON numbers' text as exact decimals; 0/1 are
// booleans; created_at and updated_at ("YYYY-MM-DD HH:MM:SS") are UTC. The
// revision is updated_at when it parses, else the body's SHA-256.
// PricesIncludeTax stays false: the order does not say how the catalogue
// was entered.
//
// Lines come from items without parent_item_id. A configurable parent and
// its zero-priced child make one line: sku, name and variant id from the
// child, money and options (configurable_item_options, custom_options) from
// the parent. A bundle whose children carry a row_total (dynamic price) is
// booked as its children and the parent is left out; any other parent
// (fixed-price bundle) is booked alone. A child whose parent is missing is
// booked as it is. Line money: unit prices are price and price_incl_tax,
// the discount excl. tax is discount_amount − discount_tax_compensation,
// total_excl is row_total minus that discount, total_tax is tax_amount.
// Some shops report row_total already net of the discount (row_total =
// price × qty − discount, where Magento writes price × qty); that is
// detected so the discount is not taken twice.
//
// Shipping is one charge from shipping_amount, shipping_tax_amount and
// shipping_incl_tax, titled shipping_description, with the method of
// extension_attributes.shipping_assignments[0], which is also the only
// source of the shipping address (virtual orders have none). The negative
// discount_amount becomes one Discount with positive amounts (code:
// coupon_code, else discount_description). Item discounts are inside the
// line totals; the total check subtracts only shipping_discount_amount.
// base_currency_code and base_* fill BaseCurrency and BaseTotals. Payment
// title is payment_additional_info's method_title, else
// additional_information[0]; paid means total_paid ≥ grand_total.
//
// An Adobe I/O Events (CloudEvents) envelope and a search result give an
// error wrapping ErrNotOrder: fetch the order itself. Invalid JSON, a value
// of the wrong type and a missing entity_id give an error wrapping
// ErrMalformed that names the field.
func (m *magento) Normalize(profile string, body []byte) (*koppelv1.Order, error) {
	var in magOrder
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%w: magento: %w", ErrMalformed, decodeError(err))
	}
	if in.EntityID == "" && in.SpecVersion == nil && len(in.Order) > 0 && in.Order[0] == '{' {
		var inner magOrder
		if err := json.Unmarshal(in.Order, &inner); err != nil {
			return nil, fmt.Errorf("%w: magento: in \"order\": %w", ErrMalformed, decodeError(err))
		}
		in = inner
	}
	if err := in.classify(); err != nil {
		return nil, err
	}

	currency := cmp.Or(in.OrderCurrencyCode, in.BaseCurrencyCode)
	exp := exponent(currency)
	o := &koppelv1.Order{
		Profile:      profile,
		Platform:     string(Magento),
		ShopOrderId:  string(in.EntityID),
		Number:       string(in.IncrementID),
		Status:       cmp.Or(in.Status, in.State),
		Currency:     currency,
		CreatedAt:    magentoTime(in.CreatedAt),
		UpdatedAt:    magentoTime(in.UpdatedAt),
		CustomerNote: in.CustomerNote,
		Raw:          bytes.Clone(body),
	}
	o.Revision = bodyRevision(body)
	if o.UpdatedAt != nil {
		o.Revision = in.UpdatedAt
	}
	o.Payment = in.payment()
	o.Customer = in.customer()
	if in.BillingAddress != nil {
		o.Billing = in.BillingAddress.address()
	}
	shippingMethod := ""
	if ext := in.ExtensionAttributes; ext != nil && len(ext.ShippingAssignments) > 0 {
		s := ext.ShippingAssignments[0].Shipping
		shippingMethod = s.Method
		if s.Address != nil {
			o.Shipping = s.Address.address()
		}
	}
	o.Lines = magentoLines(in.Items, exp)

	t := in.magTotals
	if in.ShippingDescription != "" || !t.ShippingAmount.v.IsZero() || !t.ShippingInclTax.v.IsZero() {
		incl := t.ShippingInclTax.v
		if !t.ShippingInclTax.set {
			incl = t.ShippingAmount.v.Add(t.ShippingTaxAmount.v)
		}
		rate := ""
		if r, ok := ratePercent(t.ShippingTaxAmount.v, t.ShippingAmount.v); ok {
			rate = fmtNum(r)
		}
		o.ShippingLines = []*koppelv1.Charge{{
			Title:     in.ShippingDescription,
			Method:    shippingMethod,
			TotalExcl: fmtMoney(t.ShippingAmount.v, exp),
			TotalTax:  fmtMoney(t.ShippingTaxAmount.v, exp),
			TotalIncl: fmtMoney(incl, exp),
			TaxRate:   rate,
		}}
	}
	discount := t.DiscountAmount.v.Abs()
	discountTax := t.DiscountTaxCompensationAmount.v
	if !discount.IsZero() {
		o.Discounts = []*koppelv1.Discount{{
			Code:       cmp.Or(in.CouponCode, in.DiscountDescription),
			AmountExcl: fmtMoney(discount.Sub(discountTax), exp),
			AmountTax:  fmtMoney(discountTax, exp),
		}}
	}
	o.Totals = magentoTotals(t.Subtotal.v, t.ShippingAmount.v, discount.Sub(discountTax), t.TaxAmount.v, t.GrandTotal.v, exp)
	if in.BaseCurrencyCode != "" {
		bexp := exponent(in.BaseCurrencyCode)
		o.BaseCurrency = in.BaseCurrencyCode
		o.BaseTotals = magentoTotals(in.BaseSubtotal.v, in.BaseShippingAmount.v,
			in.BaseDiscountAmount.v.Abs().Sub(in.BaseDiscountTaxCompensationAmount.v),
			in.BaseTaxAmount.v, in.BaseGrandTotal.v, bexp)
	}
	checkTotals(o, t.GrandTotal.v, t.ShippingDiscountAmount.v.Abs(), tolerance(m.tol, exp), exp)
	return o, nil
}

// classify returns an error for payloads that are not orders or lack an id.
func (in *magOrder) classify() error {
	if in.SpecVersion != nil {
		typ, _ := scalarText(in.EventType)
		return fmt.Errorf("%w: magento: CloudEvents envelope of type %q; fetch the order itself", ErrNotOrder, typ)
	}
	id := string(in.EntityID)
	if id == "" && in.SearchCriteria != nil {
		return fmt.Errorf("%w: magento: a search result, not one order", ErrNotOrder)
	}
	if id == "" {
		return fmt.Errorf("%w: magento: missing entity_id", ErrMalformed)
	}
	if !isDigits(id) || strings.TrimLeft(id, "0") == "" {
		return fmt.Errorf("%w: magento: entity_id %q is not a positive integer", ErrMalformed, id)
	}
	return nil
}

func (in *magOrder) payment() *koppelv1.Payment {
	if in.Payment == nil {
		return nil
	}
	p := &koppelv1.Payment{
		Method:        in.Payment.Method,
		TransactionId: string(in.Payment.LastTransID),
		Paid: in.TotalPaid.set && in.GrandTotal.set &&
			in.TotalPaid.v.GreaterThanOrEqual(in.GrandTotal.v),
	}
	if ext := in.ExtensionAttributes; ext != nil {
		for _, kv := range ext.PaymentAdditionalInfo {
			if kv.Key == "method_title" && kv.Value != "null" {
				p.Title = string(kv.Value)
			}
		}
	}
	if p.Title == "" && len(in.Payment.AdditionalInformation) > 0 {
		p.Title, _ = scalarText(in.Payment.AdditionalInformation[0])
	}
	return p
}

func (in *magOrder) customer() *koppelv1.Customer {
	c := &koppelv1.Customer{
		Guest:     bool(in.CustomerIsGuest) || in.CustomerID == "",
		Email:     strings.TrimSpace(in.CustomerEmail),
		FirstName: strings.TrimSpace(in.CustomerFirstname),
		LastName:  strings.TrimSpace(in.CustomerLastname),
		VatNumber: strings.TrimSpace(in.CustomerTaxvat),
	}
	if !c.Guest {
		c.ShopCustomerId = string(in.CustomerID)
	}
	if b := in.BillingAddress; b != nil {
		c.Company = strings.TrimSpace(b.Company)
		c.Phone = strings.TrimSpace(string(b.Telephone))
		c.VatNumber = cmp.Or(c.VatNumber, strings.TrimSpace(b.VatID))
		c.Email = cmp.Or(c.Email, strings.TrimSpace(b.Email))
	}
	return c
}

func (a *magAddress) address() *koppelv1.Address {
	lines := make([]string, len(a.Street))
	for i, l := range a.Street {
		lines[i] = string(l)
	}
	street, number, suffix, line2 := splitStreetLines(lines)
	addr := &koppelv1.Address{
		FirstName:         strings.TrimSpace(a.Firstname),
		LastName:          strings.TrimSpace(a.Lastname),
		Company:           strings.TrimSpace(a.Company),
		Street:            street,
		HouseNumber:       number,
		HouseNumberSuffix: suffix,
		AddressLine2:      line2,
		Postcode:          strings.TrimSpace(string(a.Postcode)),
		City:              strings.TrimSpace(a.City),
		Region:            strings.TrimSpace(cmp.Or(a.RegionCode, a.Region)),
		Country:           strings.ToUpper(strings.TrimSpace(a.CountryID)),
		Email:             strings.TrimSpace(a.Email),
		Phone:             strings.TrimSpace(string(a.Telephone)),
	}
	if emptyAddress(addr) {
		return nil
	}
	return addr
}

// magentoLines books each item's money once (see Normalize).
func magentoLines(items []magItem, exp int32) []*koppelv1.Line {
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
	var lines []*koppelv1.Line
	for i := range items {
		it := &items[i]
		if it.ParentItemID != "" {
			if !top[string(it.ParentItemID)] {
				lines = append(lines, it.line(exp)) // orphan: its parent is not in the payload
			}
			continue
		}
		kids := children[string(it.ItemID)]
		switch {
		case it.ProductType == "configurable" && len(kids) > 0:
			l := it.line(exp)
			child := kids[0]
			l.Sku = cmp.Or(strings.TrimSpace(child.SKU), l.Sku)
			l.Name = cmp.Or(strings.TrimSpace(child.Name), l.Name)
			l.VariantId = string(child.ProductID)
			lines = append(lines, l)
		case it.ProductType == "bundle" && anyRowTotal(kids):
			for _, k := range kids {
				lines = append(lines, k.line(exp))
			}
		default:
			lines = append(lines, it.line(exp))
		}
	}
	return lines
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

func (it *magItem) line(exp int32) *koppelv1.Line {
	qty := it.QtyOrdered.v
	row := it.RowTotal.v
	disc := it.DiscountAmount.v
	if !disc.IsZero() && it.Price.set {
		gross := it.Price.v.Mul(qty).Round(exp)
		if !row.Round(exp).Equal(gross) && row.Add(disc).Round(exp).Equal(gross) {
			row = gross // row_total was reported net of the discount
		}
	}
	discExcl := disc.Sub(it.DiscountTaxCompensationAmount.v)
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
		Options:      it.options(),
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

// options returns the item's configurable and custom options as Magento's
// REST API gives them: option ids and value ids, not labels.
func (it *magItem) options() []*koppelv1.Option {
	if it.ProductOption == nil {
		return nil
	}
	ext := it.ProductOption.ExtensionAttributes
	var opts []*koppelv1.Option
	for _, o := range slices.Concat(ext.ConfigurableItemOptions, ext.CustomOptions) {
		name, _ := scalarText(o.OptionID)
		value, ok := scalarText(o.OptionValue)
		if name == "" || !ok {
			continue
		}
		opts = append(opts, &koppelv1.Option{Name: name, Value: value})
	}
	return opts
}

// magentoTotals builds Totals; fees are zero, as Magento has none.
func magentoTotals(subtotal, shipping, discount, tax, grand decimal.Decimal, exp int32) *koppelv1.Totals {
	return &koppelv1.Totals{
		LinesExcl:    fmtMoney(subtotal, exp),
		ShippingExcl: fmtMoney(shipping, exp),
		FeesExcl:     fmtMoney(decimal.Zero, exp),
		DiscountExcl: fmtMoney(discount, exp),
		Tax:          fmtMoney(tax, exp),
		TotalExcl:    fmtMoney(grand.Sub(tax), exp),
		TotalIncl:    fmtMoney(grand, exp),
	}
}

// magentoTime parses "2006-01-02 15:04:05" (UTC) or RFC 3339; "" and
// anything unparseable give nil.
func magentoTime(s string) *timestamppb.Timestamp {
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateTime, s, time.UTC)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return nil
		}
	}
	return timestamppb.New(t.UTC())
}
