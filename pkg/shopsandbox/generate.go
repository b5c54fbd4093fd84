package shopsandbox

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// vat is a Dutch VAT rate class.
type vat int

const (
	vatHigh vat = iota // 21%: stationery, merchandise
	vatLow             // 9%: books and e-books
	vatZero            // 0%: gift vouchers (multi-purpose, no VAT at sale)
)

func (v vat) percent() int { return [...]int{21, 9, 0}[v] }

func (v vat) factor() decimal.Decimal { return decimal.New(int64(100+v.percent()), -2) }

func (v vat) rate() decimal.Decimal { return decimal.New(int64(v.percent()), -2) }

// product is a catalogue entry. Prices are consumer prices incl. VAT, the
// way Dutch shops set them.
type product struct {
	id       int64
	sku      string
	name     string
	price    string // incl. VAT
	vat      vat
	virtual  bool
	attr     string // variation attribute label ("Kleur"); "" for simple products
	variants []variant
}

type variant struct {
	id    int64
	sku   string
	value string // "Rood"
	optID int    // Magento option value id
	price string // "" = the product's price
}

func (p *product) slug() string { return "pa_" + strings.ToLower(p.attr) }

// catalogue is a small book shop.
var catalogue = []product{
	{id: 101, sku: "9789029568913", name: "De Avonden", price: "22.99", vat: vatLow},
	{id: 102, sku: "9789048847310", name: "Het Diner", price: "12.50", vat: vatLow},
	{id: 103, sku: "9789025369910", name: "Max Havelaar", price: "9.99", vat: vatLow},
	{id: 104, sku: "9789023493649", name: "Tirza", price: "15.00", vat: vatLow},
	{id: 105, sku: "9789023416358", name: "De ontdekking van de hemel", price: "24.99", vat: vatLow},
	{id: 106, sku: "9789029587280", name: "Turks fruit", price: "10.99", vat: vatLow},
	{id: 107, sku: "9789044621839", name: "Het Achterhuis", price: "14.99", vat: vatLow},
	{id: 108, sku: "9789073991194", name: "Nijntje in de speeltuin", price: "8.99", vat: vatLow},
	{id: 109, sku: "9789045112626", name: "Jip en Janneke", price: "19.99", vat: vatLow},
	{id: 110, sku: "9789047712671", name: "Kruistocht in spijkerbroek", price: "12.99", vat: vatLow},
	{id: 111, sku: "9789025442385", name: "Kunst & Cultuur in de Lage Landen", price: "34.95", vat: vatLow},
	{id: 112, sku: "EB-9789048847327", name: "E-book: Het Diner", price: "7.99", vat: vatLow, virtual: true},
	{id: 113, sku: "EB-9789025369927", name: "E-book: Max Havelaar", price: "4.99", vat: vatLow, virtual: true},
	{id: 120, sku: "BKL-SET4", name: "Boekenleggers set van 4", price: "4.95", vat: vatHigh},
	{id: 121, sku: "NB-A5-LIN", name: "Notitieboek A5 gelinieerd", price: "12.95", vat: vatHigh},
	{id: 122, sku: "LEESLAMP-01", name: "Leeslampje met klem", price: "14.95", vat: vatHigh},
	{id: 130, sku: "BB-CADEAU", name: "Boekenbon cadeaukaart", price: "25.00", vat: vatZero, virtual: true},
	{id: 131, sku: "BB-CADEAU-15", name: "Boekenbon cadeaukaart €15", price: "15.00", vat: vatZero, virtual: true},
	{id: 140, sku: "TAS-LIL", name: "Canvas tas 'Lezen is leuk'", price: "9.95", vat: vatHigh, attr: "Kleur",
		variants: []variant{
			{id: 1401, sku: "TAS-LIL-ROOD", value: "Rood", optID: 58},
			{id: 1402, sku: "TAS-LIL-BLAUW", value: "Blauw", optID: 59},
			{id: 1403, sku: "TAS-LIL-NATUREL", value: "Naturel", optID: 60},
		}},
	{id: 141, sku: "SHIRT-BW", name: "T-shirt Boekenwurm", price: "19.95", vat: vatHigh, attr: "Maat",
		variants: []variant{
			{id: 1411, sku: "SHIRT-BW-S", value: "S", optID: 166},
			{id: 1412, sku: "SHIRT-BW-M", value: "M", optID: 167},
			{id: 1413, sku: "SHIRT-BW-L", value: "L", optID: 168},
			{id: 1414, sku: "SHIRT-BW-XL", value: "XL", optID: 169, price: "21.95"},
		}},
	{id: 142, sku: "PARFUM", name: "Het Parfum", price: "12.99", vat: vatLow, attr: "Uitvoering",
		variants: []variant{
			{id: 1421, sku: "9789044653380", value: "Paperback", optID: 201},
			{id: 1422, sku: "9789044653397", value: "Gebonden", optID: 202, price: "24.99"},
		}},
}

// person is a customer's name and contact details.
type person struct {
	first, last    string
	email, phone   string
	company, vatID string
}

// address is a street address, Dutch unless country says otherwise.
type address struct {
	first, last, company string
	street               string
	number               int
	suffix               string // as typed after the number: "A", " hs", "-1"
	postcode, city       string
	state                string // US state code; "" elsewhere
	country              string // ISO 3166-1 alpha-2
	numberFirst          bool   // written "12 rue de la Paix"
	phone                string
}

// line1 is the street line as the customer typed it: "Kerkstraat 12A",
// or "12 rue de la Paix" where the number comes first.
func (a address) line1() string {
	if a.numberFirst {
		return strconv.Itoa(a.number) + a.suffix + " " + a.street
	}
	return a.street + " " + strconv.Itoa(a.number) + a.suffix
}

// suffixText is the suffix without separators, as house-number plugins
// store it: "A", "hs", "1".
func (a address) suffixText() string { return strings.TrimLeft(a.suffix, " -/") }

// kind is what kind of customer orders, which decides the VAT the shop
// charges: Dutch rates, or none at all.
type kind int

const (
	nlConsumer kind = iota // a Dutch consumer: Dutch VAT
	nlBusiness             // a Dutch business with a VAT number: Dutch VAT
	euBusiness             // a business elsewhere in the EU with a valid VAT number: no VAT (intra-community supply)
	euConsumer             // a consumer elsewhere in the EU: Dutch VAT (distance sales below the OSS threshold)
	exporting              // a customer outside the EU (US, CH, GB): no VAT (export)
	numKinds
)

// kindShares are the kinds' shares of the orders, in kind order.
var kindShares = [numKinds]float64{0.70, 0.10, 0.08, 0.07, 0.05}

// taxed reports whether the shop charges VAT to this kind of customer.
func (k kind) taxed() bool { return k != euBusiness && k != exporting }

// customer is a registered customer (id > 0) or a guest (id 0).
type customer struct {
	id      int64
	kind    kind
	person  person
	billing address
	// other is a second address some orders ship to (a gift, work).
	other *address
}

// status is an order's life-cycle state, mapped to each platform's names.
type status int

const (
	stPending    status = iota // awaiting payment
	stOnHold                   // bank transfer awaiting payment
	stProcessing               // paid, not shipped
	stCompleted                // shipped
	stCancelled                // payment abandoned
)

// payment is a payment method as both platforms name it.
type payment struct {
	woo, wooTitle   string
	mage, mageTitle string
	txnPrefix       string // "" = no transaction id
	offline         bool   // bank transfer: on-hold until paid by hand
}

var payments = []payment{
	{"mollie_wc_gateway_ideal", "iDEAL", "mollie_methods_ideal", "iDEAL", "tr_", false},
	{"mollie_wc_gateway_ideal", "iDEAL", "mollie_methods_ideal", "iDEAL", "tr_", false},
	{"mollie_wc_gateway_ideal", "iDEAL", "mollie_methods_ideal", "iDEAL", "tr_", false},
	{"mollie_wc_gateway_creditcard", "Creditcard", "mollie_methods_creditcard", "Creditcard", "tr_", false},
	{"mollie_wc_gateway_bancontact", "Bancontact", "mollie_methods_bancontact", "Bancontact", "tr_", false},
	{"ppcp-gateway", "PayPal", "paypal_express", "PayPal Express Checkout", "9", false},
	{"bacs", "Directe bankoverschrijving", "banktransfer", "Bankoverschrijving", "", true},
}

// coupon is a discount code.
type coupon struct {
	code    string
	percent int    // percent off eligible lines; 0 for a fixed amount
	amount  string // fixed amount off the cart, incl. VAT
	minimum string // minimum eligible subtotal incl. VAT
}

var coupons = []coupon{
	{code: "boekenweek10", percent: 10},
	{code: "welkom5", amount: "5.00", minimum: "20.00"},
	{code: "leesclub15", percent: 15},
}

// shipMethod is how an order travels.
type shipMethod int

const (
	shipNone   shipMethod = iota // virtual order
	shipPostNL                   // PostNL parcel; free above freeShipping (decided when rendering)
	shipPickup                   // collected in the shop
	shipEurope                   // PostNL parcel to another member state; never free
	shipWorld                    // PostNL parcel outside the EU; never free
)

// Shipping costs are set excl. VAT, as WooCommerce and Magento take them.
const (
	shippingExcl  = "4.09"  // 4.95 incl. 21%
	europeExcl    = "8.26"  // 10.00 incl. 21%
	worldExcl     = "16.53" // 20.00 incl. 21%
	freeShipping  = "20.00"
	giftWrapExcl  = "1.65" // 2.00 incl. 21%
	siteTZName    = "Europe/Amsterdam"
	wooVersion    = "9.2.3"
	magentoStore  = "Main Website\nMain Website Store\nDefault Store View"
	ordersPerUser = 3
)

// cartLine is one product (and variant) in a cart.
type cartLine struct {
	p       *product
	variant int // index into p.variants; -1 for a simple product
	qty     int
	itemID  int64 // the platform's order item id (Magento: the parent's)
}

func (l *cartLine) sku() string {
	if l.variant >= 0 {
		return l.p.variants[l.variant].sku
	}
	return l.p.sku
}

// unitIncl is the price incl. VAT of one unit.
func (l *cartLine) unitIncl() decimal.Decimal {
	s := l.p.price
	if l.variant >= 0 && l.p.variants[l.variant].price != "" {
		s = l.p.variants[l.variant].price
	}
	return decimal.RequireFromString(s)
}

// order is the platform-neutral state of one generated order; each
// platform renders it into its own JSON and computes its own amounts.
type order struct {
	id        int64
	number    string
	created   time.Time
	modified  time.Time
	paid      time.Time // zero: unpaid
	completed time.Time // zero: not completed
	status    status
	cust      *customer
	billing   address
	shipping  *address // nil: virtual order, nothing shipped
	lines     []cartLine
	coupon    *coupon
	ship      shipMethod
	giftWrap  bool
	pay       payment
	txnID     string
	note      string
	ip, ua    string
	key       string // Woo order_key, Magento protect_code
	chargeID  int64  // first of 8 item ids for the order's other items
	cartHash  string
	history   []historyEntry

	body []byte // rendered JSON; nil after a change
}

// historyEntry is a status change, for Magento's status_histories.
type historyEntry struct {
	at     time.Time
	status status
	note   string
}

// taxed reports whether the shop charged VAT on the order: not to a
// business elsewhere in the EU, nor outside the EU.
func (o *order) taxed() bool { return o.cust.kind.taxed() }

// rate is the VAT rate the shop charged on items of class v: none when
// the order is not taxed.
func (o *order) rate(v vat) decimal.Decimal {
	if !o.taxed() {
		return decimal.Zero
	}
	return v.rate()
}

// percent is rate in whole percent.
func (o *order) percent(v vat) int {
	if !o.taxed() {
		return 0
	}
	return v.percent()
}

// virtual reports whether nothing in the order is shipped.
func (o *order) virtual() bool {
	for _, l := range o.lines {
		if !l.p.virtual {
			return false
		}
	}
	return true
}

// generator makes orders deterministically from a seed. It is not safe for
// concurrent use; the shop holds it under its lock.
type generator struct {
	rng       *rand.Rand
	customers [numKinds][]*customer // registered customers by kind
	nextCust  int64
	nextID    int64
	idGap     int // largest gap between consecutive order ids (Woo post ids); 1 = none
	nextItem  int64
	numberFmt string // order number from id: "%d" (Woo) or "%09d" (Magento)
	clock     time.Time
	// awaiting are paid orders not yet completed, for bulk completion.
	awaiting []*order
}

func newGenerator(seed uint64, epoch time.Time, firstID int64, idGap int, numberFmt string) *generator {
	return &generator{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		nextCust:  2, // WordPress user 1 is the admin
		nextID:    firstID,
		idGap:     max(idGap, 1),
		nextItem:  firstID*3 + 17,
		numberFmt: numberFmt,
		clock:     epoch.UTC().Truncate(time.Second),
	}
}

func (g *generator) pick(n int) int { return g.rng.IntN(n) }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func pickOf[T any](g *generator, xs []T) T { return xs[g.pick(len(xs))] }

func (g *generator) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.pick(10)))
	}
	return b.String()
}

func (g *generator) alnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.pick(len(chars))]
	}
	return string(b)
}

func (g *generator) hexString(n int) string {
	const chars = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.pick(16)]
	}
	return string(b)
}

// phone is a Dutch phone number as customers type them, or one of land.
func (g *generator) phone(l *land) string {
	if l != nil {
		return l.phone + " " + strconv.Itoa(1+g.pick(9)) + g.digits(8)
	}
	switch g.pick(4) {
	case 0:
		return "06" + g.digits(8)
	case 1:
		return "06-" + g.digits(8)
	case 2:
		return "+316" + g.digits(8)
	default:
		return "0" + strconv.Itoa(10+g.pick(80)) + "-" + g.digits(7)
	}
}

func (g *generator) postcode(c city) string {
	return fmt.Sprintf("%s%02d %c%c", c.prefix, g.pick(100),
		postcodeLetters[g.pick(len(postcodeLetters))], postcodeLetters[g.pick(len(postcodeLetters))])
}

// address is a Dutch address, or one in l.
func (g *generator) address(l *land, first, last string) address {
	if l != nil {
		p := pickOf(g, l.places)
		return address{
			first: first, last: last,
			street:   pickOf(g, l.streets),
			number:   1 + g.pick(120),
			postcode: g.pattern(p.postcode),
			city:     p.city, state: p.state,
			country: l.code, numberFirst: l.numberFirst,
		}
	}
	c := pickOf(g, cities)
	return address{
		first: first, last: last,
		street:   pickOf(g, streets),
		number:   1 + g.pick(30) + g.pick(8)*g.pick(40),
		suffix:   pickOf(g, houseSuffixes),
		postcode: g.postcode(c),
		city:     c.name,
		country:  "NL",
	}
}

// pattern fills a postcode pattern: # becomes a digit, @ a letter.
func (g *generator) pattern(p string) string {
	b := []byte(p)
	for i, c := range b {
		switch c {
		case '#':
			b[i] = byte('0' + g.pick(10))
		case '@':
			b[i] = postcodeLetters[g.pick(len(postcodeLetters))]
		}
	}
	return string(b)
}

// emailLocal turns a name into the local part of an address:
// "Daniëlle", "van den Berg" → "danielle.vandenberg".
func emailLocal(first, last string) string {
	fold := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				b.WriteRune(r)
			case strings.ContainsRune("ëéèê", r):
				b.WriteByte('e')
			case strings.ContainsRune("öó", r):
				b.WriteByte('o')
			case strings.ContainsRune("üú", r):
				b.WriteByte('u')
			case strings.ContainsRune("ıïí", r):
				b.WriteByte('i')
			}
		}
		return b.String()
	}
	return fold(first) + "." + fold(last)
}

// names returns the first and last names people in l have; nil is NL.
func names(l *land) (first, last []string) {
	if l == nil {
		return firstNames, lastNames
	}
	return l.first, l.last
}

// person is someone of kind k in l (nil: NL); a business has a company
// name and its VAT number.
func (g *generator) person(k kind, l *land) person {
	firsts, lasts := names(l)
	domains := emailDomains
	if l != nil {
		domains = l.domains
	}
	first, last := pickOf(g, firsts), pickOf(g, lasts)
	p := person{first: first, last: last, phone: g.phone(l)}
	local := emailLocal(first, last)
	if g.chance(0.3) {
		local += strconv.Itoa(g.pick(99) + 1)
	}
	p.email = local + "@" + pickOf(g, domains)
	switch k {
	case nlBusiness:
		c := pickOf(g, companies)
		p.company, p.vatID = c.name, c.vatID
	case euBusiness:
		c := pickOf(g, l.companies)
		p.company, p.vatID = c.name, c.vatID
	}
	return p
}

// kind draws the kind of customer of the next order by kindShares.
func (g *generator) kind() kind {
	x := g.rng.Float64()
	for k, share := range kindShares {
		if x < share {
			return kind(k)
		}
		x -= share
	}
	return nlConsumer
}

// land is where a new customer of kind k lives: nil for NL.
func (g *generator) land(k kind) *land {
	switch k {
	case euBusiness, euConsumer:
		return pickOf(g, euLands)
	case exporting:
		return pickOf(g, exportLands)
	}
	return nil
}

func (g *generator) newCustomer(k kind, registered bool) *customer {
	l := g.land(k)
	p := g.person(k, l)
	c := &customer{kind: k, person: p, billing: g.address(l, p.first, p.last)}
	c.billing.company, c.billing.phone = p.company, p.phone
	if registered {
		c.id = g.nextCust
		g.nextCust += 1 + int64(g.pick(2))
	}
	if g.chance(0.2) {
		firsts, _ := names(l)
		other := g.address(l, pickOf(g, firsts), p.last)
		c.other = &other
	}
	return c
}

// customer picks the kind of customer by kindShares, then a guest (about
// a third of orders), a returning customer of that kind (skewed towards
// the first registered ones) or a new registered one.
func (g *generator) customer() *customer {
	k := g.kind()
	switch {
	case g.chance(0.35):
		return g.newCustomer(k, false)
	case len(g.customers[k]) > 0 && g.chance(1-1/float64(ordersPerUser)):
		cs := g.customers[k]
		return cs[int(float64(len(cs))*g.rng.Float64()*g.rng.Float64())]
	default:
		c := g.newCustomer(k, true)
		g.customers[k] = append(g.customers[k], c)
		return c
	}
}

// forSale are the catalogue entries a kind of customer buys. Gift
// vouchers (boekenbonnen, 0 %) are for Dutch consumers only: they are
// spent in Dutch shops, and a business's order carries VAT.
func forSale(k kind) []*product {
	var out []*product
	for i := range catalogue {
		if p := &catalogue[i]; k == nlConsumer || p.vat != vatZero {
			out = append(out, p)
		}
	}
	return out
}

func (g *generator) cart(k kind) []cartLine {
	n := 1
	for n < 5 && g.chance(0.4) {
		n++
	}
	products := forSale(k)
	var lines []cartLine
	used := map[string]bool{}
	for range n {
		p := pickOf(g, products)
		v := -1
		if len(p.variants) > 0 {
			v = g.pick(len(p.variants))
		}
		l := cartLine{p: p, variant: v, qty: 1}
		if used[l.sku()] {
			continue
		}
		used[l.sku()] = true
		if g.chance(0.2) {
			l.qty = 2 + g.pick(3)
		}
		lines = append(lines, l)
	}
	return lines
}

// next returns the next order id and advances with the platform's gaps.
func (g *generator) nextOrderID() int64 {
	id := g.nextID
	g.nextID += 1 + int64(g.pick(g.idGap))
	return id
}

// newOrder makes an order placed at t, paid or not, but not completed.
func (g *generator) newOrder(t time.Time) *order {
	c := g.customer()
	o := &order{
		id:      g.nextOrderID(),
		created: t,
		cust:    c,
		billing: c.billing,
		lines:   g.cart(c.kind),
		pay:     g.payment(c.billing.country),
		ip:      fmt.Sprintf("%d.%d.%d.%d", pickOf(g, []int{77, 84, 86, 145, 213}), g.pick(256), g.pick(256), 1+g.pick(254)),
		ua:      pickOf(g, userAgents),
		key:     g.alnum(13),
	}
	o.number = fmt.Sprintf(g.numberFmt, o.id)
	o.cartHash = g.hexString(32)
	for i := range o.lines {
		o.lines[i].itemID = g.nextItem // Magento: +1 is a configurable's child
		g.nextItem += 2 + int64(g.pick(3))
	}
	o.chargeID = g.nextItem // Woo: shipping, fee, coupon and tax items follow
	g.nextItem += 8
	if !o.virtual() {
		ship := c.billing
		if c.other != nil && g.chance(0.5) {
			ship = *c.other
		}
		o.shipping = &ship
		switch {
		case !inEU(ship.country):
			o.ship = shipWorld
		case ship.country != "NL":
			o.ship = shipEurope
		case g.chance(0.1):
			o.ship = shipPickup
		default:
			o.ship = shipPostNL
		}
	}
	if g.chance(0.18) {
		cp := pickOf(g, coupons)
		o.coupon = &cp
	}
	o.giftWrap = !o.virtual() && g.chance(0.08)
	if g.chance(0.07) {
		o.note = pickOf(g, customerNotes)
	}
	o.modified = t
	o.history = append(o.history, historyEntry{at: t, status: stPending})
	switch {
	case o.pay.offline:
		o.status = stOnHold
		o.history = append(o.history, historyEntry{at: t, status: stOnHold, note: "Wacht op bankoverschrijving."})
	case g.chance(0.06):
		o.status = stPending // abandoned payment
	default:
		g.markPaid(o, t.Add(time.Duration(3+g.pick(90))*time.Second))
	}
	return o
}

// payment picks how a customer in country pays: iDEAL is Dutch and
// Bancontact Belgian.
func (g *generator) payment(country string) payment {
	var ok []payment
	for _, p := range payments {
		switch p.woo {
		case "mollie_wc_gateway_ideal":
			if country != "NL" {
				continue
			}
		case "mollie_wc_gateway_bancontact":
			if country != "NL" && country != "BE" {
				continue
			}
		}
		ok = append(ok, p)
	}
	return pickOf(g, ok)
}

func (g *generator) markPaid(o *order, at time.Time) {
	o.status, o.paid, o.modified = stProcessing, at, at
	if o.pay.txnPrefix == "9" {
		o.txnID = "9" + strings.ToUpper(g.hexString(16))
	} else if o.pay.txnPrefix != "" {
		o.txnID = o.pay.txnPrefix + g.alnum(10)
	}
	o.history = append(o.history, historyEntry{at: at, status: stProcessing, note: "Betaling ontvangen."})
	g.awaiting = append(g.awaiting, o)
}

// history generates n orders from g.clock on: customers ordering at random
// moments, often several in one second; payments seconds later; bank
// transfers paid a day or two later; abandoned payments cancelled after an
// hour; and now and then a bulk "mark completed" by the shop owner, which
// gives many orders the same modification second.
func (g *generator) history(n int) []*order {
	var out []*order
	var pendingPay []*order
	for range n {
		if !g.chance(0.3) {
			g.clock = g.clock.Add(time.Duration(1+g.pick(600)) * time.Second)
		}
		o := g.newOrder(g.clock)
		out = append(out, o)
		if o.status == stPending || o.status == stOnHold {
			pendingPay = append(pendingPay, o)
		}
		// Settle older unpaid orders.
		var still []*order
		for _, p := range pendingPay {
			switch age := g.clock.Sub(p.created); {
			case p.status == stPending && age > time.Hour:
				at := p.created.Add(time.Hour)
				p.status, p.modified = stCancelled, at
				p.history = append(p.history, historyEntry{at: at, status: stCancelled, note: "Onbetaalde bestelling geannuleerd: tijdslimiet bereikt."})
			case p.status == stOnHold && age > 20*time.Hour && g.chance(0.3):
				g.markPaid(p, g.clock)
			default:
				still = append(still, p)
			}
		}
		pendingPay = still
		if len(g.awaiting) >= 6 && g.chance(0.12) {
			g.completeAwaiting(g.clock.Add(time.Duration(g.pick(30)) * time.Second))
		}
	}
	return out
}

// completeAwaiting marks every paid order awaiting shipment completed at
// the same second, as a bulk action in the shop's admin does.
func (g *generator) completeAwaiting(at time.Time) {
	var still []*order
	for _, o := range g.awaiting {
		if o.status != stProcessing || !o.paid.Before(at) {
			still = append(still, o)
			continue
		}
		o.status, o.completed, o.modified = stCompleted, at, at
		o.history = append(o.history, historyEntry{at: at, status: stCompleted, note: "Verzonden met PostNL."})
		o.body = nil
	}
	g.awaiting = still
}

// advance moves an order one step on in its life at t: pending and
// on-hold orders are paid, paid orders completed; completed and cancelled
// orders only get a note. It always changes the modification time to t.
func (g *generator) advance(o *order, t time.Time) {
	switch o.status {
	case stPending, stOnHold:
		g.markPaid(o, t)
	case stProcessing:
		o.status, o.completed = stCompleted, t
		o.history = append(o.history, historyEntry{at: t, status: stCompleted, note: "Verzonden met PostNL."})
	default:
		o.history = append(o.history, historyEntry{at: t, status: o.status, note: "Notitie toegevoegd."})
	}
	o.modified = t
	o.body = nil
}
