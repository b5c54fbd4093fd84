package webshop

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
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
	// Magento shortens this one name in the base currency ("_amnt").
	BaseShippingDiscountTaxCompensationAmnt num `json:"base_shipping_discount_tax_compensation_amnt"`

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

	ShippingDiscountTaxCompensationAmount num `json:"shipping_discount_tax_compensation_amount"`
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
	OriginalPrice                 num               `json:"original_price"` // the catalogue price as entered
	BasePrice                     num               `json:"base_price"`
	BasePriceInclTax              num               `json:"base_price_incl_tax"`
	BaseOriginalPrice             num               `json:"base_original_price"`
	RowTotal                      num               `json:"row_total"`
	RowTotalInclTax               num               `json:"row_total_incl_tax"`
	TaxAmount                     num               `json:"tax_amount"`
	TaxPercent                    num               `json:"tax_percent"`
	DiscountAmount                num               `json:"discount_amount"` // positive on items
	DiscountTaxCompensationAmount num               `json:"discount_tax_compensation_amount"`
	ProductOption                 *magProductOption `json:"product_option"`
	// ProductOptions is the item model's own product_options, with labels
	// (attributes_info, options). GET /V1/orders leaves it out; payloads
	// built from the model carry it, as an object or JSON-encoded string.
	ProductOptions json.RawMessage `json:"product_options"`
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

type magShippingInfo struct {
	Address *magAddress `json:"address"`
	Method  string      `json:"method"`
}

type magPayment struct {
	Method                string            `json:"method"`
	AdditionalInformation []json.RawMessage `json:"additional_information"`
	LastTransID           text              `json:"last_trans_id"`
}

type magExtension struct {
	ShippingAssignments []struct {
		Shipping magShippingInfo `json:"shipping"`
	} `json:"shipping_assignments"`
	PaymentAdditionalInfo []struct {
		Key   string `json:"key"`
		Value text   `json:"value"`
	} `json:"payment_additional_info"`
	ItemAppliedTaxes []struct {
		Type         string `json:"type"` // "product", "shipping"
		AppliedTaxes []struct {
			Percent num `json:"percent"`
		} `json:"applied_taxes"`
	} `json:"item_applied_taxes"`
}

// Normalize implements [Adapter] for an order as GET /V1/orders/{id}
// returns it. A placeOrder-style wrapper {"increment_id", "order_id",
// "order": {…}} is unwrapped; Raw keeps the whole body.
//
// Money comes from the JSON numbers' text as exact decimals; 0/1 are
// booleans; created_at and updated_at ("YYYY-MM-DD HH:MM:SS") are UTC. The
// revision is updated_at when it parses and the order's state hash (see
// revision).
// PricesIncludeTax is read from the item amounts (see pricesIncludeTax):
// the order does not state how the catalogue was entered.
//
// Lines come from the items that carry the money (see bookedItems, line
// and options). Shipping is one charge from shipping_amount and
// shipping_incl_tax, before any shipping discount, titled
// shipping_description, with the method of
// extension_attributes.shipping_assignments[0], which is also the only
// source of the shipping address (virtual orders have none); see
// shippingCharge. The negative discount_amount becomes up to two Discounts
// with positive amounts (code: coupon_code, else discount_description):
// the part the items carry, and shipping_discount_amount on its own, which
// applies to "shipping"; see discounts. base_currency_code and base_*
// fill BaseCurrency and BaseTotals. Payment title is
// payment_additional_info's method_title, else additional_information[0];
// paid means total_paid ≥ grand_total.
//
// An Adobe I/O Events (CloudEvents) envelope and a search result give an
// error wrapping ErrNotOrder: fetch the order itself. Invalid JSON, a value
// of the wrong type and a missing entity_id give an error wrapping
// ErrMalformed that names the field.
func (m *magento) Normalize(profile string, body []byte) (*koppelv1.Order, error) {
	in, err := decodeMagento(body)
	if err != nil {
		return nil, err
	}
	currency := cmp.Or(in.OrderCurrencyCode, in.BaseCurrencyCode)
	exp := exponent(currency)
	o := in.header(profile, currency, body)
	o.Payment = in.payment()
	o.Customer = in.customer()
	o.Billing, o.Shipping = in.addresses()

	booked := bookedItems(in.Items)
	o.Lines = magentoLines(booked, exp)
	o.PricesIncludeTax = pricesIncludeTax(booked, exp)
	ship := in.shippingCharge(exp)
	if ship.charge != nil {
		o.ShippingLines = []*koppelv1.Charge{ship.charge}
	}
	o.Discounts = in.discounts(booked, o.Lines, ship, exp)
	o.Totals, o.BaseCurrency, o.BaseTotals = in.totals(exp)
	checkTotals(o, in.GrandTotal.v, tolerance(m.tol, exp), exp)
	o.Revision = revision(o, in.UpdatedAt)
	return o, nil
}

// decodeMagento parses body, unwraps a placeOrder-style wrapper and
// classifies the result.
func decodeMagento(body []byte) (*magOrder, error) {
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
	return &in, nil
}

// header fills the order's identity, status, currency and dates; Normalize
// sets the revision last.
func (in *magOrder) header(profile, currency string, body []byte) *koppelv1.Order {
	return &koppelv1.Order{
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
}

// addresses returns the billing address and the shipping address of
// shipping_assignments[0].
func (in *magOrder) addresses() (billing, shipping *koppelv1.Address) {
	if in.BillingAddress != nil {
		billing = in.BillingAddress.address()
	}
	if s := in.firstShipping(); s != nil && s.Address != nil {
		shipping = s.Address.address()
	}
	return billing, shipping
}

// firstShipping returns shipping_assignments[0].shipping, or nil.
func (in *magOrder) firstShipping() *magShippingInfo {
	if ext := in.ExtensionAttributes; ext != nil && len(ext.ShippingAssignments) > 0 {
		return &ext.ShippingAssignments[0].Shipping
	}
	return nil
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
