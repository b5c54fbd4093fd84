package shopsandbox

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// WooCommerce is a fake WooCommerce shop: the REST API v3 order endpoints
//
//	GET /wp-json/wc/v3/orders        list: page, per_page (max 100),
//	                                 modified_after/_before, after/before,
//	                                 dates_are_gmt, orderby (date, id,
//	                                 modified), order, status
//	GET /wp-json/wc/v3/orders/{id}   one order
//
// with X-WP-Total, X-WP-TotalPages and Link headers, HTTP Basic or
// query-string (consumer_key, consumer_secret) authentication, and
// WordPress's error JSON ({"code", "message", "data": {"status"}}). Date
// filters compare whole seconds; modified_after and after are exclusive,
// as WooCommerce's date queries are; without dates_are_gmt=true they are
// read as the site's time (Europe/Amsterdam). Orders with the same sort key
// are ordered by id. Other /wp-json paths answer rest_no_route, other
// paths an HTML 404 page.
//
// Orders are WooCommerce 9.x REST orders of a Dutch shop whose catalogue
// prices include VAT: money as strings except line_items[].price (a JSON
// float), unrounded taxes[] per rate (21%, 9%, 0%), shipping taxed at the
// shipped items' rates (split in proportion to their net), variations
// with attribute meta, PHP escaping (\/, \u00eb). Businesses elsewhere in
// the EU are VAT-exempt (meta is_vat_exempt, _billing_vat_number) and
// customers outside the EU match no tax rate: their orders carry no taxes
// and no tax_lines. WooCommerce is safe for concurrent use.
type WooCommerce struct {
	*shop
	loc *time.Location
}

// NewWooCommerce returns a fake WooCommerce shop with orders generated
// from opts.
func NewWooCommerce(opts Options) *WooCommerce {
	opts = opts.withDefaults(platformWoo)
	w := &WooCommerce{loc: amsterdam()}
	s := newShop(platformWoo, opts, 1001, 3, "%d")
	s.render = w.render
	s.statusName = wooStatus
	w.shop = s
	return w
}

// amsterdam returns the site's time zone, or a fixed CET when the system
// has no zone database.
func amsterdam() *time.Location {
	if loc, err := time.LoadLocation(siteTZName); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}

func wooStatus(s status) string {
	return [...]string{"pending", "on-hold", "processing", "completed", "cancelled"}[s]
}

// Woo tax rates as a Dutch shop sets them up: rate id, class slug, label.
var wooRates = [...]struct {
	id    int
	class string
	label string
}{
	vatHigh: {1, "", "BTW 21%"},
	vatLow:  {2, "reduced-rate", "BTW 9%"},
	vatZero: {3, "zero-rate", "BTW 0%"},
}

// JSON shapes, fields in the order WooCommerce writes them.
type (
	wooOrderJSON struct {
		ID                 int64            `json:"id"`
		ParentID           int64            `json:"parent_id"`
		Status             string           `json:"status"`
		Currency           string           `json:"currency"`
		Version            string           `json:"version"`
		PricesIncludeTax   bool             `json:"prices_include_tax"`
		DateCreated        string           `json:"date_created"`
		DateModified       string           `json:"date_modified"`
		DiscountTotal      string           `json:"discount_total"`
		DiscountTax        string           `json:"discount_tax"`
		ShippingTotal      string           `json:"shipping_total"`
		ShippingTax        string           `json:"shipping_tax"`
		CartTax            string           `json:"cart_tax"`
		Total              string           `json:"total"`
		TotalTax           string           `json:"total_tax"`
		CustomerID         int64            `json:"customer_id"`
		OrderKey           string           `json:"order_key"`
		Billing            wooAddressJSON   `json:"billing"`
		Shipping           wooAddressJSON   `json:"shipping"`
		PaymentMethod      string           `json:"payment_method"`
		PaymentMethodTitle string           `json:"payment_method_title"`
		TransactionID      string           `json:"transaction_id"`
		CustomerIPAddress  string           `json:"customer_ip_address"`
		CustomerUserAgent  string           `json:"customer_user_agent"`
		CreatedVia         string           `json:"created_via"`
		CustomerNote       string           `json:"customer_note"`
		DateCompleted      *string          `json:"date_completed"`
		DatePaid           *string          `json:"date_paid"`
		CartHash           string           `json:"cart_hash"`
		Number             string           `json:"number"`
		MetaData           []wooMetaJSON    `json:"meta_data"`
		LineItems          []wooLineJSON    `json:"line_items"`
		TaxLines           []wooTaxLineJSON `json:"tax_lines"`
		ShippingLines      []wooChargeJSON  `json:"shipping_lines"`
		FeeLines           []wooChargeJSON  `json:"fee_lines"`
		CouponLines        []wooCouponJSON  `json:"coupon_lines"`
		Refunds            []struct{}       `json:"refunds"`
		PaymentURL         string           `json:"payment_url"`
		IsEditable         bool             `json:"is_editable"`
		NeedsPayment       bool             `json:"needs_payment"`
		NeedsProcessing    bool             `json:"needs_processing"`
		DateCreatedGMT     string           `json:"date_created_gmt"`
		DateModifiedGMT    string           `json:"date_modified_gmt"`
		DateCompletedGMT   *string          `json:"date_completed_gmt"`
		DatePaidGMT        *string          `json:"date_paid_gmt"`
		CurrencySymbol     string           `json:"currency_symbol"`
		Links              wooLinksJSON     `json:"_links"`
	}
	wooLinksJSON struct {
		Self       []wooHrefJSON `json:"self"`
		Collection []wooHrefJSON `json:"collection"`
		Customer   []wooHrefJSON `json:"customer,omitempty"`
	}
	wooHrefJSON struct {
		Href string `json:"href"`
	}
	wooAddressJSON struct {
		FirstName string  `json:"first_name"`
		LastName  string  `json:"last_name"`
		Company   string  `json:"company"`
		Address1  string  `json:"address_1"`
		Address2  string  `json:"address_2"`
		City      string  `json:"city"`
		State     string  `json:"state"`
		Postcode  string  `json:"postcode"`
		Country   string  `json:"country"`
		Email     *string `json:"email,omitempty"`
		Phone     string  `json:"phone"`
	}
	wooMetaJSON struct {
		ID           int64  `json:"id"`
		Key          string `json:"key"`
		Value        any    `json:"value"`
		DisplayKey   string `json:"display_key,omitempty"`
		DisplayValue any    `json:"display_value,omitempty"`
	}
	wooTaxJSON struct {
		ID       int    `json:"id"`
		Total    string `json:"total"`
		Subtotal string `json:"subtotal"`
	}
	wooLineJSON struct {
		ID          int64         `json:"id"`
		Name        string        `json:"name"`
		ProductID   int64         `json:"product_id"`
		VariationID int64         `json:"variation_id"`
		Quantity    int           `json:"quantity"`
		TaxClass    string        `json:"tax_class"`
		Subtotal    string        `json:"subtotal"`
		SubtotalTax string        `json:"subtotal_tax"`
		Total       string        `json:"total"`
		TotalTax    string        `json:"total_tax"`
		Taxes       []wooTaxJSON  `json:"taxes"`
		MetaData    []wooMetaJSON `json:"meta_data"`
		SKU         string        `json:"sku"`
		Price       float64       `json:"price"`
		Image       wooImageJSON  `json:"image"`
		ParentName  *string       `json:"parent_name"`
	}
	wooImageJSON struct {
		ID  string `json:"id"`
		Src string `json:"src"`
	}
	wooTaxLineJSON struct {
		ID               int64         `json:"id"`
		RateCode         string        `json:"rate_code"`
		RateID           int           `json:"rate_id"`
		Label            string        `json:"label"`
		Compound         bool          `json:"compound"`
		TaxTotal         string        `json:"tax_total"`
		ShippingTaxTotal string        `json:"shipping_tax_total"`
		RatePercent      int           `json:"rate_percent"`
		MetaData         []wooMetaJSON `json:"meta_data"`
	}
	// wooChargeJSON is a shipping line or a fee line; unused keys are
	// left out per kind.
	wooChargeJSON struct {
		ID          int64         `json:"id"`
		MethodTitle string        `json:"method_title,omitempty"`
		MethodID    string        `json:"method_id,omitempty"`
		InstanceID  string        `json:"instance_id,omitempty"`
		Name        string        `json:"name,omitempty"`
		TaxClass    *string       `json:"tax_class,omitempty"`
		TaxStatus   string        `json:"tax_status,omitempty"`
		Amount      string        `json:"amount,omitempty"`
		Total       string        `json:"total"`
		TotalTax    string        `json:"total_tax"`
		Taxes       []wooTaxJSON  `json:"taxes"`
		MetaData    []wooMetaJSON `json:"meta_data"`
	}
	wooCouponJSON struct {
		ID            int64         `json:"id"`
		Code          string        `json:"code"`
		Discount      string        `json:"discount"`
		DiscountTax   string        `json:"discount_tax"`
		DiscountType  string        `json:"discount_type"`
		NominalAmount float64       `json:"nominal_amount"`
		FreeShipping  bool          `json:"free_shipping"`
		MetaData      []wooMetaJSON `json:"meta_data"`
	}
)

// wooLineCalc is one line's money the way WooCommerce keeps it for a
// catalogue with prices incl. VAT: net and tax unrounded to 6 decimals,
// before (sub) and after (tot) the coupon.
type wooLineCalc struct {
	netSub, taxSub decimal.Decimal
	netTot, taxTot decimal.Decimal
}

// couponShares splits a coupon over the lines' gross amounts (incl. VAT):
// a percentage per line, or a fixed amount in proportion, the last
// eligible line taking the rounding rest. Gift vouchers (0%) are excluded.
// It returns nil when the coupon does not apply (minimum not met).
func couponShares(c *coupon, gross []decimal.Decimal, lines []cartLine) []decimal.Decimal {
	if c == nil {
		return nil
	}
	shares := make([]decimal.Decimal, len(lines))
	eligible := decimal.Zero
	last := -1
	for i, l := range lines {
		if l.p.vat != vatZero {
			eligible = eligible.Add(gross[i])
			last = i
		}
	}
	if last < 0 || (c.minimum != "" && eligible.LessThan(decimal.RequireFromString(c.minimum))) {
		return nil
	}
	if c.percent > 0 {
		for i, l := range lines {
			if l.p.vat != vatZero {
				shares[i] = gross[i].Mul(decimal.New(int64(c.percent), -2)).Round(2)
			}
		}
		return shares
	}
	amount := decimal.Min(decimal.RequireFromString(c.amount), eligible)
	rest := amount
	for i, l := range lines {
		if l.p.vat == vatZero {
			continue
		}
		if i == last {
			shares[i] = rest
			break
		}
		shares[i] = amount.Mul(gross[i]).DivRound(eligible, 2)
		rest = rest.Sub(shares[i])
	}
	return shares
}

func r2(d decimal.Decimal) string { return d.StringFixed(2) }

// highestVAT is the rate shipping and fees are taxed at: the highest rate
// of the shipped lines ("shipping tax class based on cart items").
func highestVAT(lines []cartLine) vat {
	best := vatZero
	for _, l := range lines {
		if !l.p.virtual && l.p.vat.percent() > best.percent() {
			best = l.p.vat
		}
	}
	return best
}

func (w *WooCommerce) local(t time.Time) string {
	return t.In(w.loc).Format("2006-01-02T15:04:05")
}

func gmt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

func optionalTime(t time.Time, f func(time.Time) string) *string {
	if t.IsZero() {
		return nil
	}
	s := f(t)
	return &s
}

func wooName(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }

// wooAddress renders an address; email is set for billing only.
func wooAddress(a *address, email *string) wooAddressJSON {
	if a == nil {
		return wooAddressJSON{Country: "", Email: email}
	}
	return wooAddressJSON{
		FirstName: a.first, LastName: a.last, Company: a.company,
		Address1: a.line1(), City: a.city, State: a.state, Postcode: a.postcode, Country: a.country,
		Email: email, Phone: a.phone,
	}
}

// render writes o as GET /wp-json/wc/v3/orders/{id} returns it.
func (w *WooCommerce) render(o *order) []byte {
	out := w.header(o)
	m := &wooMoney{rateTax: map[vat]decimal.Decimal{}, rateShip: map[vat]decimal.Decimal{},
		shipBase: map[vat]decimal.Decimal{}, next: o.chargeID}
	out.LineItems = w.lines(o, m)
	out.ShippingLines = w.shippingLines(o, m)
	out.FeeLines = feeLines(o, m)
	out.CouponLines = couponLines(o, m)
	out.TaxLines = taxLines(m)
	m.totals(&out)
	return mustPHPJSON(out)
}

// wooMoney is an order's money as WooCommerce adds it up, for a shop
// that rounds tax per line: what each step of render adds to the totals.
type wooMoney struct {
	rateTax  map[vat]decimal.Decimal // rounded item and fee tax per rate
	rateShip map[vat]decimal.Decimal // rounded shipping tax per rate
	shipBase map[vat]decimal.Decimal // shipped items' net after the coupon per rate: the split of shipping tax
	sum      decimal.Decimal         // Σ rounded line totals incl. tax
	cartTax  decimal.Decimal         // Σ rounded item and fee tax
	discNet  decimal.Decimal         // the coupon, excl. tax
	discTax  decimal.Decimal
	shipNet  decimal.Decimal
	shipTax  decimal.Decimal // Σ rounded shipping tax per rate
	feeNet   decimal.Decimal
	feeTax   decimal.Decimal // rounded
	next     int64           // the id of the next shipping, fee, coupon or tax item
}

// header renders everything but the money: identity, dates, customer,
// addresses, payment and meta data.
func (w *WooCommerce) header(o *order) wooOrderJSON {
	site := w.opts.SiteURL
	out := wooOrderJSON{
		ID: o.id, Status: wooStatus(o.status), Currency: "EUR", Version: wooVersion,
		PricesIncludeTax: true,
		DateCreated:      w.local(o.created), DateModified: w.local(o.modified),
		CustomerID: o.cust.id, OrderKey: "wc_order_" + o.key,
		PaymentMethod: o.pay.woo, PaymentMethodTitle: o.pay.wooTitle, TransactionID: o.txnID,
		CustomerIPAddress: o.ip, CustomerUserAgent: o.ua, CreatedVia: "checkout",
		CustomerNote: o.note, CartHash: o.cartHash, Number: o.number,
		DateCompleted: optionalTime(o.completed, w.local), DatePaid: optionalTime(o.paid, w.local),
		DateCreatedGMT: gmt(o.created), DateModifiedGMT: gmt(o.modified),
		DateCompletedGMT: optionalTime(o.completed, gmt), DatePaidGMT: optionalTime(o.paid, gmt),
		CurrencySymbol:  "&euro;",
		Refunds:         []struct{}{},
		IsEditable:      o.status == stPending || o.status == stOnHold,
		NeedsPayment:    o.status == stPending || o.status == stOnHold,
		NeedsProcessing: !o.virtual(),
	}
	if out.NeedsPayment {
		out.PaymentURL = fmt.Sprintf("%s/afrekenen/order-pay/%d/?pay_for_order=true&key=wc_order_%s", site, o.id, o.key)
	}
	email := o.cust.person.email
	out.Billing = wooAddress(&o.billing, &email)
	out.Shipping = wooAddress(o.shipping, nil)
	out.Shipping.Phone = ""
	out.MetaData = w.orderMeta(o)
	out.Links = wooLinksJSON{
		Self:       []wooHrefJSON{{fmt.Sprintf("%s/wp-json/wc/v3/orders/%d", site, o.id)}},
		Collection: []wooHrefJSON{{site + "/wp-json/wc/v3/orders"}},
	}
	if o.cust.id != 0 {
		out.Links.Customer = []wooHrefJSON{{fmt.Sprintf("%s/wp-json/wc/v3/customers/%d", site, o.cust.id)}}
	}
	return out
}

// lines renders the line items. Catalogue prices include Dutch VAT; for a
// customer who pays none (a business elsewhere in the EU, a customer
// outside it) WooCommerce takes the base rate's tax off the price, to the
// cent, and charges no tax on it. The coupon applies to what the customer
// pays.
func (w *WooCommerce) lines(o *order, m *wooMoney) []wooLineJSON {
	gross := make([]decimal.Decimal, len(o.lines))
	for i := range o.lines {
		l := &o.lines[i]
		gross[i] = l.unitIncl().Mul(decimal.NewFromInt(int64(l.qty)))
		if !o.taxed() {
			gross[i] = gross[i].DivRound(l.p.vat.factor(), 2)
		}
	}
	shares := couponShares(o.coupon, gross, o.lines)
	out := []wooLineJSON{}
	for i := range o.lines {
		l := &o.lines[i]
		tot := gross[i]
		if shares != nil {
			tot = tot.Sub(shares[i])
		}
		c := wooLineCalc{netSub: gross[i], netTot: tot, taxSub: decimal.Zero, taxTot: decimal.Zero}
		if o.taxed() {
			c.netSub = gross[i].DivRound(l.p.vat.factor(), 6)
			c.taxSub = gross[i].Sub(c.netSub)
			c.netTot = tot.DivRound(l.p.vat.factor(), 6)
			c.taxTot = tot.Sub(c.netTot)
			m.rateTax[l.p.vat] = m.rateTax[l.p.vat].Add(c.taxTot.Round(2))
			if !l.p.virtual {
				m.shipBase[l.p.vat] = m.shipBase[l.p.vat].Add(c.netTot)
			}
		}
		m.discNet = m.discNet.Add(c.netSub.Sub(c.netTot))
		m.discTax = m.discTax.Add(c.taxSub.Sub(c.taxTot))
		m.sum = m.sum.Add(c.netTot.Round(2)).Add(c.taxTot.Round(2))
		m.cartTax = m.cartTax.Add(c.taxTot.Round(2))
		out = append(out, w.line(o, l, c))
	}
	return out
}

// shippingLines renders the shipping line: free in NL above the
// threshold after the coupon, flat rates abroad. Its tax follows the
// shipped items ("shipping tax class based on cart items", split as
// WooCommerce Germanized does): each rate of the shipped items taxes the
// share of the shipping cost that its items' net is of theirs.
func (w *WooCommerce) shippingLines(o *order, m *wooMoney) []wooChargeJSON {
	if o.shipping == nil {
		return []wooChargeJSON{}
	}
	method, title, instance, net := "local_pickup", "Afhalen in de winkel", "4", ""
	switch o.ship {
	case shipPostNL:
		if m.sum.GreaterThanOrEqual(decimal.RequireFromString(freeShipping)) {
			method, title, instance = "free_shipping", "Gratis verzending", "2"
		} else {
			method, title, instance, net = "flat_rate", "PostNL Pakket", "1", shippingExcl
		}
	case shipEurope:
		method, title, instance, net = "flat_rate", "PostNL Pakket Europa", "5", europeExcl
	case shipWorld:
		method, title, instance, net = "flat_rate", "PostNL Pakket Wereld", "6", worldExcl
	}
	if net != "" {
		m.shipNet = decimal.RequireFromString(net)
	}
	taxes := []wooTaxJSON{}
	if o.taxed() && !m.shipNet.IsZero() {
		for _, t := range shippingTaxes(m.shipNet, m.shipBase, o.lines) {
			m.rateShip[t.vat] = roundTax(t.tax)
			m.shipTax = m.shipTax.Add(roundTax(t.tax))
			taxes = append(taxes, wooTaxJSON{ID: wooRates[t.vat].id, Total: t.tax.String(), Subtotal: ""})
		}
	}
	var items []string
	for _, l := range o.lines {
		if !l.p.virtual {
			items = append(items, fmt.Sprintf("%s &times; %d", wooName(l.p.name), l.qty))
		}
	}
	id := m.next
	m.next++
	return []wooChargeJSON{{
		ID: id, MethodTitle: title, MethodID: method, InstanceID: instance,
		Total: r2(m.shipNet), TotalTax: r2(m.shipTax), Taxes: taxes,
		MetaData: []wooMetaJSON{{ID: id*10 + 1, Key: "Artikelen", Value: strings.Join(items, ", "),
			DisplayKey: "Artikelen", DisplayValue: strings.Join(items, ", ")}},
	}}
}

// rateTax is an unrounded tax at one rate.
type rateTax struct {
	vat vat
	tax decimal.Decimal
}

// shippingTaxes splits the tax on shipping cost net over the rates of the
// shipped items, in proportion to their net after the coupon (base), each
// part's tax unrounded to 6 decimals as WooCommerce keeps it. Without a
// base (every shipped item free) the highest rate taxes it all.
func shippingTaxes(net decimal.Decimal, base map[vat]decimal.Decimal, lines []cartLine) []rateTax {
	total := decimal.Zero
	for _, b := range base {
		total = total.Add(b)
	}
	if !total.IsPositive() {
		v := highestVAT(lines)
		return []rateTax{{v, net.Mul(v.rate()).Round(6)}}
	}
	var out []rateTax
	for _, v := range []vat{vatHigh, vatLow, vatZero} {
		if b, ok := base[v]; ok {
			out = append(out, rateTax{v, net.Mul(b).Div(total).Mul(v.rate()).Round(6)})
		}
	}
	return out
}

// roundTax rounds a tax to cents as WooCommerce does when prices include
// tax: halves towards zero (PHP_ROUND_HALF_DOWN).
func roundTax(d decimal.Decimal) decimal.Decimal {
	if t := d.Truncate(2); d.Sub(t).Abs().Equal(decimal.New(5, -3)) {
		return t
	}
	return d.Round(2)
}

// feeLines renders the gift-wrapping fee, taxed at the highest rate of the
// shipped items.
func feeLines(o *order, m *wooMoney) []wooChargeJSON {
	if !o.giftWrap {
		return []wooChargeJSON{}
	}
	m.feeNet = decimal.RequireFromString(giftWrapExcl)
	taxes := []wooTaxJSON{}
	if o.taxed() {
		v := highestVAT(o.lines)
		tax := m.feeNet.Mul(v.rate()).Round(6)
		m.feeTax = tax.Round(2)
		m.rateTax[v] = m.rateTax[v].Add(m.feeTax)
		m.cartTax = m.cartTax.Add(m.feeTax)
		taxes = append(taxes, wooTaxJSON{ID: wooRates[v].id, Total: tax.String(), Subtotal: ""})
	}
	id := m.next
	m.next++
	empty := ""
	return []wooChargeJSON{{
		ID: id, Name: "Cadeauverpakking", TaxClass: &empty, TaxStatus: "taxable",
		Amount: r2(m.feeNet), Total: r2(m.feeNet), TotalTax: r2(m.feeTax),
		Taxes: taxes, MetaData: []wooMetaJSON{},
	}}
}

// couponLines renders the coupon, when it applied to the lines.
func couponLines(o *order, m *wooMoney) []wooCouponJSON {
	if o.coupon == nil || (m.discNet.IsZero() && m.discTax.IsZero()) {
		return []wooCouponJSON{}
	}
	cp := wooCouponJSON{ID: m.next, Code: o.coupon.code,
		Discount: r2(m.discNet.Round(2)), DiscountTax: r2(m.discTax.Round(2)), MetaData: []wooMetaJSON{}}
	m.next++
	if o.coupon.percent > 0 {
		cp.DiscountType, cp.NominalAmount = "percent", float64(o.coupon.percent)
	} else {
		cp.DiscountType = "fixed_cart"
		cp.NominalAmount, _ = decimal.RequireFromString(o.coupon.amount).Float64()
	}
	return []wooCouponJSON{cp}
}

// taxLines renders one tax line per rate charged, in rate id order: none
// when the customer paid no VAT.
func taxLines(m *wooMoney) []wooTaxLineJSON {
	out := []wooTaxLineJSON{}
	for _, v := range []vat{vatHigh, vatLow, vatZero} {
		it, okI := m.rateTax[v]
		sh, okS := m.rateShip[v]
		if !okI && !okS {
			continue
		}
		out = append(out, wooTaxLineJSON{
			ID: m.next, RateCode: "NL-" + wooRates[v].label + "-1", RateID: wooRates[v].id, Label: wooRates[v].label,
			TaxTotal: r2(it), ShippingTaxTotal: r2(sh), RatePercent: v.percent(),
			MetaData: []wooMetaJSON{},
		})
		m.next++
	}
	return out
}

// totals writes the order's totals.
func (m *wooMoney) totals(out *wooOrderJSON) {
	out.DiscountTotal, out.DiscountTax = r2(m.discNet.Round(2)), r2(m.discTax.Round(2))
	out.ShippingTotal, out.ShippingTax = r2(m.shipNet), r2(m.shipTax)
	out.CartTax = r2(m.cartTax)
	out.TotalTax = r2(m.cartTax.Add(m.shipTax))
	out.Total = r2(m.sum.Add(m.shipNet).Add(m.shipTax).Add(m.feeNet).Add(m.feeTax))
}

func (w *WooCommerce) line(o *order, l *cartLine, c wooLineCalc) wooLineJSON {
	rate := wooRates[l.p.vat]
	price, _ := c.netTot.Float64()
	out := wooLineJSON{
		ID: l.itemID, Name: wooName(l.p.name), ProductID: l.p.id, Quantity: l.qty, TaxClass: rate.class,
		Subtotal: r2(c.netSub.Round(2)), SubtotalTax: r2(c.taxSub.Round(2)),
		Total: r2(c.netTot.Round(2)), TotalTax: r2(c.taxTot.Round(2)),
		Taxes:    []wooTaxJSON{},
		MetaData: []wooMetaJSON{},
		SKU:      l.sku(),
		Price:    price / float64(l.qty),
		Image: wooImageJSON{ID: strconv.FormatInt(l.p.id+5000, 10),
			Src: fmt.Sprintf("%s/wp-content/uploads/2024/11/%s.jpg", w.opts.SiteURL, strings.ToLower(l.p.sku))},
	}
	if o.taxed() {
		out.Taxes = append(out.Taxes, wooTaxJSON{ID: rate.id, Total: c.taxTot.String(), Subtotal: c.taxSub.String()})
	}
	if l.variant >= 0 {
		v := l.p.variants[l.variant]
		out.VariationID = v.id
		out.Name = wooName(l.p.name) + " - " + v.value
		parent := wooName(l.p.name)
		out.ParentName = &parent
		out.MetaData = append(out.MetaData, wooMetaJSON{
			ID: l.itemID*10 + 1, Key: l.p.slug(), Value: strings.ToLower(v.value),
			DisplayKey: l.p.attr, DisplayValue: v.value,
		})
	}
	return out
}

// orderMeta is the order's meta_data: the VAT-exempt flag every order has
// (set for a business elsewhere in the EU with a VAT number), order
// attribution, a company's VAT number as an EU VAT plugin stores it, and
// the house-number plugin's split address of Dutch addresses.
func (w *WooCommerce) orderMeta(o *order) []wooMetaJSON {
	id := o.id * 100
	exempt := "no"
	if o.cust.kind == euBusiness {
		exempt = "yes"
	}
	meta := []wooMetaJSON{
		{ID: id + 1, Key: "is_vat_exempt", Value: exempt},
		{ID: id + 2, Key: "_wc_order_attribution_source_type", Value: []string{"typein", "organic", "referral"}[o.id%3]},
		{ID: id + 3, Key: "_wc_order_attribution_device_type", Value: []string{"Desktop", "Mobile"}[o.id%2]},
	}
	if v := o.cust.person.vatID; v != "" {
		meta = append(meta, wooMetaJSON{ID: id + 4, Key: "_billing_vat_number", Value: v})
	}
	if w.opts.SplitHouseNumber {
		add := func(kind string, a *address, n int64) {
			meta = append(meta,
				wooMetaJSON{ID: id + n, Key: "_" + kind + "_street_name", Value: a.street},
				wooMetaJSON{ID: id + n + 1, Key: "_" + kind + "_house_number", Value: strconv.Itoa(a.number)},
				wooMetaJSON{ID: id + n + 2, Key: "_" + kind + "_house_number_suffix", Value: a.suffixText()},
			)
		}
		if o.billing.country == "NL" {
			add("billing", &o.billing, 10)
		}
		if o.shipping != nil && o.shipping.country == "NL" {
			add("shipping", o.shipping, 20)
		}
	}
	return meta
}

// wooError writes WordPress's REST error JSON.
func wooError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(mustPHPJSON(map[string]any{"code": code, "message": msg, "data": map[string]int{"status": status}}))
}

// ServeHTTP implements http.Handler.
func (w *WooCommerce) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: rw}
	auth, fault := w.serve(sw, r)
	w.record(r, auth, "", cmp.Or(sw.status, http.StatusOK), fault)
}

func (w *WooCommerce) serve(sw *statusWriter, r *http.Request) (auth string, fk FaultKind) {
	const api = "/wp-json/wc/v3/orders"
	path := strings.TrimSuffix(r.URL.Path, "/")
	if !strings.HasPrefix(path, "/wp-json") {
		htmlNotFound(sw, "Boekhandel")
		return "", 0
	}
	page := 0
	if path == api {
		page = 1
		if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil {
			page = p
		}
	}
	w.mu.Lock()
	f := w.takeFault(page)
	w.mu.Unlock()
	if f != nil {
		fk = f.Kind
		if serveFault(sw, r, f, wooError) {
			return "", fk
		}
		if f.Kind == FaultGarbage {
			sw.buf = &bytes.Buffer{}
			defer func() {
				sw.ResponseWriter.WriteHeader(cmp.Or(sw.status, http.StatusOK))
				sw.ResponseWriter.Write(garble(sw.buf.Bytes()))
			}()
		}
	}

	id, single := strings.CutPrefix(path, api+"/")
	if (path != api && !single) || r.Method != http.MethodGet || (single && !isDigits(id)) {
		wooError(sw, http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
		return "", fk
	}
	auth, ok := w.authenticate(sw, r, single)
	if !ok {
		return auth, fk
	}
	if single {
		n, _ := strconv.ParseInt(id, 10, 64)
		body, found := w.OrderJSON(n)
		if !found {
			wooError(sw, http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
			return auth, fk
		}
		sw.Header().Set("Content-Type", "application/json; charset=UTF-8")
		sw.Write(body)
		return auth, fk
	}
	w.list(sw, r)
	return auth, fk
}

// authenticate checks HTTP Basic, then the query string, the way
// WC_REST_Authentication does, and answers 401 itself when that fails.
func (w *WooCommerce) authenticate(rw http.ResponseWriter, r *http.Request, single bool) (string, bool) {
	key, secret, basic := r.BasicAuth()
	how := "basic"
	if !basic {
		q := r.URL.Query()
		key, secret, how = q.Get("consumer_key"), q.Get("consumer_secret"), "query"
	}
	switch {
	case key == "" && secret == "":
		what := "list resources"
		if single {
			what = "view this resource"
		}
		wooError(rw, http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot "+what+".")
		return "", false
	case subtle.ConstantTimeCompare([]byte(key), []byte(w.opts.ConsumerKey)) != 1:
		wooError(rw, http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
		return "", false
	case subtle.ConstantTimeCompare([]byte(secret), []byte(w.opts.ConsumerSecret)) != 1:
		wooError(rw, http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
		return "", false
	}
	return how, true
}

// wooQuery is a parsed list request.
type wooQuery struct {
	page, perPage int
	orderby       string
	desc          bool
	statuses      []string // nil: any
	// Date bounds, exclusive, zero when absent.
	modAfter, modBefore, after, before time.Time
}

func (w *WooCommerce) parseQuery(q url.Values) (wooQuery, string) {
	wq := wooQuery{page: 1, perPage: 10, orderby: "date", desc: true}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return wq, "page must be greater than or equal to 1"
		}
		wq.page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > w.opts.MaxPageSize {
			return wq, fmt.Sprintf("per_page must be between 1 (inclusive) and %d (inclusive)", w.opts.MaxPageSize)
		}
		wq.perPage = n
	}
	if v := q.Get("orderby"); v != "" {
		switch v {
		case "date", "id", "modified", "include", "title", "slug":
			wq.orderby = v
		default:
			return wq, "orderby is not one of date, id, include, title, slug, modified."
		}
	}
	if v := q.Get("order"); v != "" {
		switch v {
		case "asc", "desc":
			wq.desc = v == "desc"
		default:
			return wq, "order is not one of asc, desc."
		}
	}
	if v := q.Get("status"); v != "" && v != "any" {
		wq.statuses = strings.Split(v, ",")
	}
	gmtDates := q.Get("dates_are_gmt") == "true" || q.Get("dates_are_gmt") == "1"
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"modified_after", &wq.modAfter}, {"modified_before", &wq.modBefore}, {"after", &wq.after}, {"before", &wq.before}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, ok := w.parseDate(v, gmtDates)
		if !ok {
			return wq, "Invalid date."
		}
		*d.dst = t
	}
	return wq, ""
}

// parseDate reads an ISO 8601 date as rest_parse_date does: with a zone it
// is that instant; without one it is UTC when dates_are_gmt, else the
// site's time. Fractions of a second are dropped: the database keeps
// seconds.
func (w *WooCommerce) parseDate(v string, gmtDates bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Truncate(time.Second), true
	}
	loc := w.loc
	if gmtDates {
		loc = time.UTC
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t.UTC().Truncate(time.Second), true
		}
	}
	return time.Time{}, false
}

func (w *WooCommerce) list(rw http.ResponseWriter, r *http.Request) {
	q, bad := w.parseQuery(r.URL.Query())
	if bad != "" {
		wooError(rw, http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+bad)
		return
	}
	w.mu.Lock()
	var match []*order
	for _, o := range w.orders {
		if q.statuses != nil && !slices.Contains(q.statuses, wooStatus(o.status)) {
			continue
		}
		if !q.modAfter.IsZero() && !o.modified.After(q.modAfter) ||
			!q.modBefore.IsZero() && !o.modified.Before(q.modBefore) ||
			!q.after.IsZero() && !o.created.After(q.after) ||
			!q.before.IsZero() && !o.created.Before(q.before) {
			continue
		}
		match = append(match, o)
	}
	key := func(o *order) time.Time { return o.created }
	switch q.orderby {
	case "modified":
		key = func(o *order) time.Time { return o.modified }
	case "id", "include", "title", "slug":
		key = func(*order) time.Time { return time.Time{} }
	}
	slices.SortStableFunc(match, func(a, b *order) int {
		c := cmp.Or(key(a).Compare(key(b)), cmp.Compare(a.id, b.id))
		if q.desc {
			return -c
		}
		return c
	})
	total := len(match)
	pages := (total + q.perPage - 1) / q.perPage
	var buf bytes.Buffer
	buf.WriteByte('[')
	from := min((q.page-1)*q.perPage, total)
	for i, o := range match[from:min(from+q.perPage, total)] {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(w.bodyOf(o))
	}
	buf.WriteByte(']')
	w.mu.Unlock()

	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("X-WP-Total", strconv.Itoa(total))
	h.Set("X-WP-TotalPages", strconv.Itoa(pages))
	h.Set("Allow", "GET, POST")
	base := w.opts.SiteURL + "/wp-json/wc/v3/orders"
	link := func(p int, rel string) string {
		// add_query_arg: the request's query in its order, page replaced
		// or appended.
		var parts []string
		for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
			if part != "" && !strings.HasPrefix(part, "page=") {
				parts = append(parts, part)
			}
		}
		parts = append(parts, "page="+strconv.Itoa(p))
		return fmt.Sprintf("<%s?%s>; rel=%q", base, strings.Join(parts, "&"), rel)
	}
	var links []string
	if q.page > 1 {
		links = append(links, link(min(q.page-1, max(pages, 1)), "prev"))
	}
	if pages > q.page {
		links = append(links, link(q.page+1, "next"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	rw.Write(buf.Bytes())
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
