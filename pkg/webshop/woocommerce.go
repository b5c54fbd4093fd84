package webshop

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// wooSignatureHeader carries base64(HMAC-SHA256(raw body, secret)).
const wooSignatureHeader = "X-WC-Webhook-Signature"

// wooDeliveryHeaders are the headers WC_Webhook::deliver() sets besides the
// signature.
var wooDeliveryHeaders = []string{
	"X-WC-Webhook-Source",
	"X-WC-Webhook-Topic",
	"X-WC-Webhook-Resource",
	"X-WC-Webhook-Event",
	"X-WC-Webhook-ID",
	"X-WC-Webhook-Delivery-ID",
}

// wooCommerce is the [Adapter] for WooCommerce webhooks and REST (wc/v3 and
// wc/v2) orders. It holds no mutable state; its methods are safe for
// concurrent use.
type wooCommerce struct {
	secret []byte
	tol    *decimal.Decimal // nil: one minor unit of the order's currency
}

// newWooCommerce returns the WooCommerce adapter. An empty cfg.Secret is
// accepted, so that a poll-only profile can normalize orders, but then every
// signed delivery fails Verify.
func newWooCommerce(cfg Config) (Adapter, error) {
	tol, err := parseTolerance(cfg.TotalTolerance)
	if err != nil {
		return nil, err
	}
	return &wooCommerce{secret: []byte(cfg.Secret), tol: tol}, nil
}

// Platform implements [Adapter].
func (*wooCommerce) Platform() Platform { return WooCommerce }

// Verify implements [Adapter]. A body that is exactly "webhook_id=<digits>"
// is WooCommerce's ping and gives KindPing whether or not a signature header
// came with it. Anything else needs X-WC-Webhook-Signature to be the
// standard base64 of HMAC-SHA256 over body with the secret.
func (w *wooCommerce) Verify(h http.Header, body []byte) (Kind, error) {
	if isWooPing(body) {
		return KindPing, nil
	}
	if err := checkSignature(wooSignatureHeader, headerValue(h, wooSignatureHeader), w.secret, body); err != nil {
		return 0, err
	}
	return KindOrder, nil
}

// isWooPing reports whether body matches ^webhook_id=\d+$ exactly: no
// surrounding space or newline, no further form fields.
func isWooPing(body []byte) bool {
	id, ok := bytes.CutPrefix(body, []byte("webhook_id="))
	return ok && isDigits(string(id))
}

// DeliveryHeaders implements [Adapter]. It keeps X-WC-Webhook-Source, -Topic,
// -Resource, -Event, -ID and -Delivery-ID when present, keyed as
// http.CanonicalHeaderKey writes them ("X-Wc-Webhook-Topic").
func (*wooCommerce) DeliveryHeaders(h http.Header) map[string]string {
	return keepHeaders(h, wooDeliveryHeaders)
}

// wooOrder is the part of a WooCommerce REST order (wc/v3, wc/v2) that
// koppel reads, plus the keys that mark payloads that are not orders.
type wooOrder struct {
	ID                 text          `json:"id"`
	Number             text          `json:"number"`
	OrderKey           string        `json:"order_key"`
	Status             string        `json:"status"`
	Currency           string        `json:"currency"`
	PricesIncludeTax   bool          `json:"prices_include_tax"`
	DateCreatedGMT     *string       `json:"date_created_gmt"`
	DateModifiedGMT    *string       `json:"date_modified_gmt"`
	DatePaidGMT        *string       `json:"date_paid_gmt"`
	DiscountTotal      num           `json:"discount_total"`
	DiscountTax        num           `json:"discount_tax"`
	ShippingTotal      num           `json:"shipping_total"`
	ShippingTax        num           `json:"shipping_tax"`
	Total              num           `json:"total"`
	TotalTax           num           `json:"total_tax"`
	CustomerID         text          `json:"customer_id"`
	CustomerNote       string        `json:"customer_note"`
	Billing            wooAddress    `json:"billing"`
	Shipping           wooAddress    `json:"shipping"`
	PaymentMethod      string        `json:"payment_method"`
	PaymentMethodTitle string        `json:"payment_method_title"`
	TransactionID      string        `json:"transaction_id"`
	MetaData           []wooMeta     `json:"meta_data"`
	LineItems          []wooLineItem `json:"line_items"`
	TaxLines           []wooTaxLine  `json:"tax_lines"`
	ShippingLines      []wooCharge   `json:"shipping_lines"`
	FeeLines           []wooCharge   `json:"fee_lines"`
	CouponLines        []wooCoupon   `json:"coupon_lines"`

	// Not-an-order markers.
	Action        *json.RawMessage `json:"action"`         // action.* topics: {"action": hook, "arg": …}
	BillingPeriod *json.RawMessage `json:"billing_period"` // subscriptions
	Links         json.RawMessage  `json:"_links"`
}

type wooAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type wooMeta struct {
	Key          string          `json:"key"`
	Value        json.RawMessage `json:"value"`
	DisplayKey   json.RawMessage `json:"display_key"`
	DisplayValue json.RawMessage `json:"display_value"`
}

type wooLineItem struct {
	ID          text      `json:"id"`
	Name        string    `json:"name"`
	ProductID   text      `json:"product_id"`
	VariationID text      `json:"variation_id"`
	Quantity    num       `json:"quantity"`
	Subtotal    num       `json:"subtotal"`
	SubtotalTax num       `json:"subtotal_tax"`
	Total       num       `json:"total"`
	TotalTax    num       `json:"total_tax"`
	Taxes       []wooTax  `json:"taxes"`
	MetaData    []wooMeta `json:"meta_data"`
	SKU         string    `json:"sku"`
	Price       num       `json:"price"`     // a JSON float: total/quantity, unrounded
	TaxClass    *string   `json:"tax_class"` // "" is the standard class; absent says nothing
}

// wooTax is one rate's share of a line, shipping line or fee, unrounded.
type wooTax struct {
	ID       text `json:"id"` // tax rate id, matches tax_lines[].rate_id
	Total    num  `json:"total"`
	Subtotal num  `json:"subtotal"`
}

type wooTaxLine struct {
	RateID      text `json:"rate_id"`
	RatePercent num  `json:"rate_percent"` // WC 5.7+
	Compound    bool `json:"compound"`
}

// wooCharge is a shipping line (method_title, method_id) or a fee line (name).
type wooCharge struct {
	MethodTitle string   `json:"method_title"`
	MethodID    string   `json:"method_id"`
	Name        string   `json:"name"`
	Total       num      `json:"total"`
	TotalTax    num      `json:"total_tax"`
	Taxes       []wooTax `json:"taxes"`
}

type wooCoupon struct {
	Code        string `json:"code"`
	Discount    num    `json:"discount"`
	DiscountTax num    `json:"discount_tax"`
}

// Normalize implements [Adapter] for the body of an order.* webhook or a
// GET /wc/v3/orders/{id} (or wc/v2) response.
//
// Money comes from the JSON text as exact decimals, including
// line_items[].price, which WooCommerce writes as a float. Dates are the
// *_gmt fields (UTC); an absent or unparseable one is left unset. The
// revision is date_modified_gmt when it parses and the order's state hash
// (see revision).
// Names and titles have their HTML entities decoded ("&ndash;" → "–").
//
// Lines: unit prices are before discount. Without a discount the unit price
// excl. tax is line_items[].price when price × quantity rounds to total
// (it keeps Woo's unrounded 26.859504), else subtotal / quantity; the unit
// price incl. tax adds the unrounded taxes[].subtotal per unit. The tax rate
// is the sum of the line's tax_lines[].rate_percent (non-compound rates, WC
// 5.7+), else total_tax / total × 100 rounded to 2 decimals. Options are the
// item's meta_data whose key does not start with "_", by display_key and
// display_value when present; object and array values are skipped.
//
// Shipping and fee lines: a charge taxed at one rate gets that rate; one
// that the shop taxed at several rates, each on a part of it, gets one
// TaxShare per rate and the rate of the largest part (see charge). The
// customer's VAT number comes from order meta (wooVATKeys).
//
// Coupons are listed in Discounts. WooCommerce spreads them over the items,
// so they apply to "lines" and are already inside the line totals, which
// the total check then does not subtract again; coupons the items do not
// carry apply to the "order" (see discounts). Totals.LinesExcl is Σ line
// subtotals (before discount); FeesExcl is Σ fee totals.
//
// A deletion stub ({"id": N}), an action.* payload ({"action": …}) and a
// subscription (WooCommerce Subscriptions) give an error wrapping
// ErrNotOrder. Invalid JSON, a value of the wrong type and a missing id give
// an error wrapping ErrMalformed that names the field.
func (w *wooCommerce) Normalize(profile string, body []byte) (*koppelv1.Order, error) {
	var in wooOrder
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%w: woocommerce: %w", ErrMalformed, decodeError(err))
	}
	if err := in.classify(); err != nil {
		return nil, err
	}

	exp := exponent(in.Currency)
	o := in.header(profile, body)
	o.Payment = in.payment()
	o.Customer = in.customer()
	o.Billing = in.Billing.address(in.MetaData, "billing")
	o.Shipping = in.Shipping.address(in.MetaData, "shipping")
	rates := in.rates()
	o.Lines = in.lines(rates, exp)
	o.ShippingLines, o.FeeLines = in.charges(rates, hasZeroRate(in.TaxLines, o.Lines), exp)
	o.Discounts = in.discounts(o.Lines, tolerance(w.tol, exp), exp)
	o.Totals = in.totals(exp)
	checkTotals(o, in.Total.v, tolerance(w.tol, exp), exp)
	var modified string
	if in.DateModifiedGMT != nil {
		modified = *in.DateModifiedGMT
	}
	o.Revision = revision(o, modified)
	return o, nil
}

// header fills the order's identity, status, currency and dates; Normalize
// sets the revision last.
func (in *wooOrder) header(profile string, body []byte) *koppelv1.Order {
	return &koppelv1.Order{
		Profile:          profile,
		Platform:         string(WooCommerce),
		ShopOrderId:      string(in.ID),
		Number:           cmp.Or(string(in.Number), string(in.ID)),
		Status:           in.Status,
		Currency:         in.Currency,
		PricesIncludeTax: in.PricesIncludeTax,
		CreatedAt:        wooTime(in.DateCreatedGMT),
		UpdatedAt:        wooTime(in.DateModifiedGMT),
		CustomerNote:     in.CustomerNote,
		Raw:              bytes.Clone(body),
	}
}

// rates indexes tax_lines by rate id.
func (in *wooOrder) rates() wooRates {
	rates := make(wooRates, len(in.TaxLines))
	for _, t := range in.TaxLines {
		rates[string(t.RateID)] = t
	}
	return rates
}

func (in *wooOrder) lines(rates wooRates, exp int32) []*koppelv1.Line {
	var lines []*koppelv1.Line
	for _, it := range in.LineItems {
		lines = append(lines, it.line(rates, exp))
	}
	return lines
}

// charges converts shipping_lines and fee_lines; zeroRated says whether the
// order has a 0 % line, which a charge split over rates may then share.
func (in *wooOrder) charges(rates wooRates, zeroRated bool, exp int32) (shipping, fees []*koppelv1.Charge) {
	s := splitting{exp: exp, halfDown: in.PricesIncludeTax, zeroRated: zeroRated}
	for _, c := range in.ShippingLines {
		shipping = append(shipping, c.charge(c.MethodTitle, c.MethodID, rates, s))
	}
	for _, c := range in.FeeLines {
		fees = append(fees, c.charge(c.Name, "", rates, s))
	}
	return shipping, fees
}

// hasZeroRate reports whether the order has a 0 % tax rate or a line with
// an amount taxed at 0 %.
func hasZeroRate(taxLines []wooTaxLine, lines []*koppelv1.Line) bool {
	for _, t := range taxLines {
		if t.RatePercent.set && t.RatePercent.v.IsZero() {
			return true
		}
	}
	for _, l := range lines {
		if l.GetTaxRate() == "0" && !mustDecimal(l.GetTotalExcl()).IsZero() {
			return true
		}
	}
	return false
}

// discounts lists coupon_lines. WooCommerce spreads coupons over the items
// (subtotal − total on each); when the items carry at least the coupons'
// amount the coupons apply to "lines", otherwise to the "order". The rate
// is set when every discounted line has the same one.
func (in *wooOrder) discounts(lines []*koppelv1.Line, tol decimal.Decimal, exp int32) []*koppelv1.Discount {
	if len(in.CouponLines) == 0 {
		return nil
	}
	onLines, coupons := decimal.Zero, decimal.Zero
	for _, it := range in.LineItems {
		onLines = onLines.Add(it.Subtotal.v.Sub(it.Total.v))
	}
	for _, c := range in.CouponLines {
		coupons = coupons.Add(c.Discount.v)
	}
	appliesTo, rate := appliesToOrder, ""
	if !onLines.IsZero() && onLines.GreaterThanOrEqual(coupons.Sub(tol)) {
		appliesTo, rate = appliesToLines, discountedRate(lines)
	}
	var out []*koppelv1.Discount
	for _, c := range in.CouponLines {
		out = append(out, &koppelv1.Discount{
			Code:       c.Code,
			AmountExcl: fmtMoney(c.Discount.v, exp),
			AmountTax:  fmtMoney(c.DiscountTax.v, exp),
			AppliesTo:  appliesTo,
			TaxRate:    rate,
		})
	}
	return out
}

// discountedRate returns the tax rate shared by every line that carries a
// discount, or "" when they differ or none does.
func discountedRate(lines []*koppelv1.Line) string {
	rate := ""
	for _, l := range lines {
		if mustDecimal(l.GetDiscountExcl()).IsZero() {
			continue
		}
		if rate != "" && rate != l.GetTaxRate() {
			return ""
		}
		rate = l.GetTaxRate()
	}
	return rate
}

// totals are the order's own totals. LinesExcl is Σ line subtotals (before
// discount); FeesExcl is Σ fee totals.
func (in *wooOrder) totals(exp int32) *koppelv1.Totals {
	linesExcl, feesExcl := decimal.Zero, decimal.Zero
	for _, it := range in.LineItems {
		linesExcl = linesExcl.Add(it.Subtotal.v)
	}
	for _, c := range in.FeeLines {
		feesExcl = feesExcl.Add(c.Total.v)
	}
	total := in.Total.v
	return &koppelv1.Totals{
		LinesExcl:    fmtMoney(linesExcl, exp),
		ShippingExcl: fmtMoney(in.ShippingTotal.v, exp),
		FeesExcl:     fmtMoney(feesExcl, exp),
		DiscountExcl: fmtMoney(in.DiscountTotal.v, exp),
		Tax:          fmtMoney(in.TotalTax.v, exp),
		TotalExcl:    fmtMoney(total.Sub(in.TotalTax.v), exp),
		TotalIncl:    fmtMoney(total, exp),
	}
}

// classify returns an error for payloads that are not orders or lack an id.
func (in *wooOrder) classify() error {
	if in.Action != nil {
		hook, _ := scalarText(*in.Action)
		return fmt.Errorf("%w: woocommerce action payload %q", ErrNotOrder, hook)
	}
	if in.BillingPeriod != nil || in.isSubscriptionLink() {
		return fmt.Errorf("%w: woocommerce subscription %s", ErrNotOrder, in.ID)
	}
	id := string(in.ID)
	if id == "" {
		return fmt.Errorf("%w: woocommerce: missing id", ErrMalformed)
	}
	if !isDigits(id) || strings.TrimLeft(id, "0") == "" {
		return fmt.Errorf("%w: woocommerce: id %q is not a positive integer", ErrMalformed, id)
	}
	if in.Status == "" && in.Number == "" && in.OrderKey == "" && in.Currency == "" &&
		!in.Total.set && in.LineItems == nil {
		return fmt.Errorf("%w: woocommerce deletion stub for order %s", ErrNotOrder, id)
	}
	return nil
}

// isSubscriptionLink reports whether _links.self points at /subscriptions/.
func (in *wooOrder) isSubscriptionLink() bool {
	if len(in.Links) == 0 || in.Links[0] != '{' {
		return false
	}
	var links struct {
		Self []struct {
			Href string `json:"href"`
		} `json:"self"`
	}
	if json.Unmarshal(in.Links, &links) != nil {
		return false
	}
	for _, l := range links.Self {
		if strings.Contains(l.Href, "/subscriptions/") {
			return true
		}
	}
	return false
}

func (in *wooOrder) payment() *koppelv1.Payment {
	p := &koppelv1.Payment{
		Method:        in.PaymentMethod,
		Title:         html.UnescapeString(in.PaymentMethodTitle),
		TransactionId: in.TransactionID,
	}
	if in.DatePaidGMT != nil && *in.DatePaidGMT != "" {
		p.Paid = true
		p.PaidAt = wooTime(in.DatePaidGMT)
	}
	if p.Method == "" && p.Title == "" && p.TransactionId == "" && !p.Paid {
		return nil
	}
	return p
}

// wooVATKeys are the order meta keys that VAT and checkout plugins store
// the customer's VAT number under (WooCommerce core has no such field), in
// the order they are tried: keys that say they belong to the billing
// address first, then the generic English ones, then the Dutch ones.
var wooVATKeys = []string{
	"_billing_vat_number", "billing_vat_number", "_billing_eu_vat_number", "_billing_btw_nummer",
	"_vat_number", "vat_number", "vat_id", "vatnr", "vat_nr",
	"btwnummer", "btw_nummer",
}

func (in *wooOrder) customer() *koppelv1.Customer {
	b := in.Billing
	c := &koppelv1.Customer{
		Email:     strings.TrimSpace(b.Email),
		FirstName: strings.TrimSpace(b.FirstName),
		LastName:  strings.TrimSpace(b.LastName),
		Company:   strings.TrimSpace(b.Company),
		Phone:     strings.TrimSpace(b.Phone),
		VatNumber: metaString(in.MetaData, wooVATKeys...),
	}
	if id := string(in.CustomerID); id != "" && strings.TrimLeft(id, "0") != "" {
		c.ShopCustomerId = id
	} else {
		c.Guest = true // customer_id 0
	}
	return c
}

// address converts a billing or shipping address; kind is "billing" or
// "shipping". House-number plugins for NL shops store the split address in
// order meta (_billing_street_name, _billing_house_number,
// _billing_house_number_suffix); when the number is there it wins over
// splitting address_1. An all-empty address gives nil.
func (a wooAddress) address(meta []wooMeta, kind string) *koppelv1.Address {
	street, number, suffix := splitStreet(a.Address1)
	if n := metaString(meta, "_"+kind+"_house_number", kind+"_house_number"); n != "" {
		number = n
		suffix = strings.TrimLeft(metaString(meta, "_"+kind+"_house_number_suffix", kind+"_house_number_suffix"), "-/ ")
		if s := metaString(meta, "_"+kind+"_street_name", kind+"_street_name"); s != "" {
			street = s
		}
	}
	addr := &koppelv1.Address{
		FirstName:         strings.TrimSpace(a.FirstName),
		LastName:          strings.TrimSpace(a.LastName),
		Company:           strings.TrimSpace(a.Company),
		Street:            street,
		HouseNumber:       number,
		HouseNumberSuffix: suffix,
		AddressLine2:      strings.TrimSpace(a.Address2),
		Postcode:          strings.TrimSpace(a.Postcode),
		City:              strings.TrimSpace(a.City),
		Region:            strings.TrimSpace(a.State),
		Country:           strings.ToUpper(strings.TrimSpace(a.Country)),
		Email:             strings.TrimSpace(a.Email),
		Phone:             strings.TrimSpace(a.Phone),
	}
	if emptyAddress(addr) {
		return nil
	}
	return addr
}

// metaString returns the value of the first of keys, in the order given,
// that some meta entry has with a non-empty scalar value. Keys match
// without regard to case.
func metaString(meta []wooMeta, keys ...string) string {
	for _, k := range keys {
		for _, m := range meta {
			if !strings.EqualFold(m.Key, k) {
				continue
			}
			if s, ok := scalarText(m.Value); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// wooRates indexes tax_lines by rate id.
type wooRates map[string]wooTaxLine

// rate returns the tax rate, in percent, of a line or charge with these
// taxes[] entries, tax and net amount: the sum of the rate_percent of the
// rates that taxed it when all of them are known and none is compound, else
// tax/net × 100 rounded to 2 decimals, else "".
func (rs wooRates) rate(taxes []wooTax, tax, net decimal.Decimal) string {
	if len(taxes) > 0 {
		charged, listed := decimal.Zero, decimal.Zero
		known, anyCharged := true, false
		for _, t := range taxes {
			r, ok := rs[string(t.ID)]
			if !ok || !r.RatePercent.set || r.Compound {
				known = false
				break
			}
			listed = listed.Add(r.RatePercent.v)
			if !t.Total.v.IsZero() {
				charged = charged.Add(r.RatePercent.v)
				anyCharged = true
			}
		}
		switch {
		case known && anyCharged:
			return fmtNum(charged)
		case known:
			return fmtNum(listed)
		}
	}
	if r, ok := ratePercent(tax, net); ok {
		return fmtNum(r)
	}
	return ""
}

// unroundedTax sums the taxes[] entries (total or subtotal, chosen by pick),
// which WooCommerce keeps unrounded ("5.640496"); without entries it is
// fallback, the rounded 2-decimal field.
func unroundedTax(taxes []wooTax, pick func(wooTax) num, fallback decimal.Decimal) decimal.Decimal {
	sum, found := decimal.Zero, false
	for _, t := range taxes {
		if n := pick(t); n.set {
			sum, found = sum.Add(n.v), true
		}
	}
	if !found {
		return fallback
	}
	return sum
}

func (it *wooLineItem) line(rates wooRates, exp int32) *koppelv1.Line {
	qty := it.Quantity.v
	subtotal, total, totalTax := it.Subtotal.v, it.Total.v, it.TotalTax.v
	discount := subtotal.Sub(total)

	var unitExcl, unitIncl string
	unit, ok := it.Price.v, true
	if !discount.IsZero() || !it.Price.set || !unit.Mul(qty).Round(exp).Equal(total.Round(exp)) {
		unit, ok = quotient(subtotal, qty)
	}
	if ok {
		unitExcl = fmtMoney(unit, exp)
		taxSub := unroundedTax(it.Taxes, func(t wooTax) num { return t.Subtotal }, it.SubtotalTax.v)
		if perUnit, ok := quotient(taxSub, qty); ok {
			unitIncl = fmtMoney(unit.Add(perUnit), exp)
		}
	}

	return &koppelv1.Line{
		LineId:        string(it.ID),
		Sku:           strings.TrimSpace(it.SKU),
		Name:          html.UnescapeString(it.Name),
		Quantity:      fmtNum(qty),
		UnitPriceExcl: unitExcl,
		UnitPriceIncl: unitIncl,
		TaxRate:       rates.rate(it.Taxes, totalTax, total),
		DiscountExcl:  fmtMoney(discount, exp),
		TotalExcl:     fmtMoney(total, exp),
		TotalTax:      fmtMoney(totalTax, exp),
		TotalIncl:     fmtMoney(total.Add(totalTax), exp),
		Options:       wooOptions(it.MetaData),
		ProductId:     nonZeroID(it.ProductID),
		VariantId:     nonZeroID(it.VariationID),
		TaxClass:      wooTaxClass(it.TaxClass),
	}
}

// wooTaxClass returns the canonical tax class of a line: WooCommerce's
// standard class is the empty slug, which the canonical order calls
// "standard"; a payload without the field tells nothing ("").
func wooTaxClass(c *string) string {
	switch {
	case c == nil:
		return ""
	case strings.TrimSpace(*c) == "":
		return "standard"
	}
	return strings.TrimSpace(*c)
}

// wooOptions returns the visible item meta: keys not starting with "_",
// named by display_key and valued by display_value when those are scalars.
func wooOptions(meta []wooMeta) []*koppelv1.Option {
	var opts []*koppelv1.Option
	for _, m := range meta {
		if m.Key == "" || strings.HasPrefix(m.Key, "_") {
			continue
		}
		name, ok := scalarText(m.DisplayKey)
		if !ok || name == "" {
			name = m.Key
		}
		value, ok := scalarText(m.DisplayValue)
		if !ok {
			if value, ok = scalarText(m.Value); !ok {
				continue
			}
		}
		opts = append(opts, &koppelv1.Option{
			Name:  html.UnescapeString(name),
			Value: html.UnescapeString(value),
		})
	}
	return opts
}

// charge converts a shipping or fee line. A charge taxed at several rates
// that each cover a part of it (shipping tax class "inherit" split over a
// 21 % and a 9 % item) gets one TaxShare per rate (see splitCharge) and
// the rate of the largest share; a charge at one rate gets no shares.
// Without rate_percent for every rate, or with a compound rate, the rate
// is worked out from the amounts as for lines.
func (c *wooCharge) charge(title, method string, rates wooRates, s splitting) *koppelv1.Charge {
	ch := &koppelv1.Charge{
		Title:     html.UnescapeString(title),
		Method:    method,
		TotalExcl: fmtMoney(c.Total.v, s.exp),
		TotalTax:  fmtMoney(c.TotalTax.v, s.exp),
		TotalIncl: fmtMoney(c.Total.v.Add(c.TotalTax.v), s.exp),
		TaxRate:   rates.rate(c.Taxes, c.TotalTax.v, c.Total.v),
	}
	parts, ok := rates.parts(c.Taxes)
	if !ok {
		return ch
	}
	shares, stacked := splitCharge(c.Total.v, c.TotalTax.v, parts, s)
	switch {
	case stacked:
		// Every rate taxed the whole charge: the sum rates.rate gave.
	case len(shares) > 1:
		ch.Taxes = taxShares(shares, s.exp)
		ch.TaxRate = fmtNum(shares[largest(shares, func(sh share) decimal.Decimal { return sh.net })].rate)
	case len(shares) == 1:
		ch.TaxRate = fmtNum(shares[0].rate)
	}
	return ch
}

// parts returns a charge's taxes[] as rate and unrounded tax, and false
// when a rate is not in tax_lines with rate_percent or is compound.
func (rs wooRates) parts(taxes []wooTax) ([]taxPart, bool) {
	parts := make([]taxPart, 0, len(taxes))
	for _, t := range taxes {
		r, ok := rs[string(t.ID)]
		if !ok || !r.RatePercent.set || r.Compound {
			return nil, false
		}
		parts = append(parts, taxPart{rate: r.RatePercent.v, tax: t.Total.v})
	}
	return parts, true
}

// nonZeroID returns id, or "" for WooCommerce's 0 meaning "none".
func nonZeroID(id text) string {
	if strings.TrimLeft(string(id), "0") == "" {
		return ""
	}
	return string(id)
}

// wooTime parses a *_gmt timestamp ("2017-03-22T19:28:08", UTC without a
// zone). It also takes RFC 3339. nil, "" and anything unparseable give nil.
func wooTime(s *string) *timestamppb.Timestamp {
	if s == nil || *s == "" {
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", *s, time.UTC)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, *s); err != nil {
			return nil
		}
	}
	return timestamppb.New(t.UTC())
}
