package booker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
)

// AdministrationCurrency is the currency of every SnelStart administration:
// amounts on a verkooporder are euros.
const AdministrationCurrency = "EUR"

// Field limits of a verkooporder (snelstart-api.md §3.1 VOR-0006…0011, §5.1,
// §5.2: the omschrijving limit of 50 is webwinkelfacturen's, unconfirmed).
const (
	maxOrderOmschrijving = 50
	maxLineOmschrijving  = 250
	maxStraat            = 50
	maxPostcode          = 25
	maxPlaats            = 50
	maxContactpersoon    = 50
)

// The kinds of an article resolution and of a charge line.
const (
	kindProduct  = "product"
	kindShipping = "shipping"
	kindFee      = "fee"
	kindDiscount = "discount"
)

// memoPrefix starts the machine tag koppel writes in every verkooporder's
// memo: koppel:<profile>:<shop order id>. The tag tells koppel's own orders
// apart from any other order with the same betalingskenmerk.
const memoPrefix = "koppel:"

// memoTag returns the memo of the verkooporder that books the shop order.
func memoTag(profile, shopOrderID string) string {
	return memoPrefix + profile + ":" + shopOrderID
}

// betalingskenmerk returns the payment reference s gives the order: its
// display number (its shop id when it has none), or "" for
// PaymentReferenceNone.
func betalingskenmerk(s *Settings, o *koppelv1.Order) string {
	if s.PaymentReference == PaymentReferenceNone {
		return ""
	}
	return cmp.Or(strings.TrimSpace(o.GetNumber()), o.GetShopOrderId())
}

// input is everything build needs besides the event: the reference data
// looked up in SnelStart.
type input struct {
	s             *Settings
	ev            *koppelv1.OrderEvent
	loc           *time.Location
	ingave        snelstart.BtwIngave // the order's price entry
	priceDecimals int32               // companyInfo.aantalDecimalenArtikelprijzen
	template      snelstart.ID        // "" sends none
	landen        map[string]snelstart.ID
	charges       map[string]snelstart.ID // folded artikelcode → id, for shipping, fee and discount lines
	relatie       *snelstart.Relatie      // the customer card, for AddressesCustomer
	fx            decimal.Decimal         // multiplies every shop amount; 1 for EUR orders
}

// build maps the order event to the verkooporder koppel posts. It makes no
// call: every SnelStart id it needs is in in. Errors are permanent (a
// missing article, an amount that is not a number).
func build(in input) (*snelstart.VerkoopOrder, error) {
	s, ev := in.s, in.ev
	o := ev.GetOrder()
	vo := &snelstart.VerkoopOrder{
		Relatie:                    snelstart.RefTo(snelstart.ID(ev.GetCustomer().GetRelatieId())),
		ProcesStatus:               s.ProcessStatus,
		Datum:                      orderDate(o, ev, in.loc),
		Omschrijving:               truncate(description(s, o), maxOrderOmschrijving),
		Betalingskenmerk:           betalingskenmerk(s, o),
		VerkooporderBtwIngaveModel: in.ingave,
		Memo:                       memoTag(s.Profile, o.GetShopOrderId()),
		VerkoopOrderStatus:         s.OrderStatus,
	}
	if s.CostCenter != "" {
		vo.Kostenplaats = snelstart.RefTo(s.CostCenter)
	}
	if in.template != "" {
		vo.Verkoopordersjabloon = snelstart.RefTo(in.template)
	}
	switch s.Addresses {
	case AddressesCustomer:
		if r := in.relatie; r != nil {
			vo.Afleveradres = cardAdres(r.VestigingsAdres)
			vo.Factuuradres = cmp.Or(cardAdres(r.CorrespondentieAdres), vo.Afleveradres)
		}
	default:
		vo.Afleveradres = shopAdres(o.GetShipping(), in.landen)
		vo.Factuuradres = shopAdres(o.GetBilling(), in.landen)
	}
	lines, err := buildLines(in)
	if err != nil {
		return nil, err
	}
	vo.Regels = lines
	return vo, nil
}

// orderDate is the day the order was placed, in the administration's zone,
// at midnight, as SnelStart's own examples send datum.
func orderDate(o *koppelv1.Order, ev *koppelv1.OrderEvent, loc *time.Location) snelstart.LocalTime {
	t := time.Now()
	switch {
	case o.GetCreatedAt() != nil:
		t = o.GetCreatedAt().AsTime()
	case ev.GetReceivedAt() != nil:
		t = ev.GetReceivedAt().AsTime()
	}
	y, m, d := t.In(loc).Date()
	return snelstart.LocalDate(y, m, d)
}

// description returns the omschrijving s asks for, before truncation.
func description(s *Settings, o *koppelv1.Order) string {
	switch s.Description {
	case DescriptionEmpty:
		return ""
	case DescriptionProfile:
		return cmp.Or(s.Name, s.Profile)
	case DescriptionOrderNumber:
		return "Webshoporder " + cmp.Or(o.GetNumber(), o.GetShopOrderId())
	}
	// "processing · iDEAL · betaald": a long payment title is cut to fit,
	// so that status and paid state always show.
	const sep = " · "
	status := truncate(strings.TrimSpace(o.GetStatus()), 20)
	p := o.GetPayment()
	if p == nil {
		return status
	}
	paid := "onbetaald"
	if p.GetPaid() {
		paid = "betaald"
	}
	title := cmp.Or(strings.TrimSpace(p.GetTitle()), strings.TrimSpace(p.GetMethod()))
	room := maxOrderOmschrijving - utf8.RuneCountInString(status) - utf8.RuneCountInString(paid) - 2*utf8.RuneCountInString(sep)
	if utf8.RuneCountInString(title) > room {
		title = truncate(title, room-1) + "…"
	}
	var parts []string
	for _, s := range []string{status, title, paid} {
		if s != "" && s != "…" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep)
}

// rateSums accumulates amounts per VAT rate, keeping the rates in order of
// first use so that the lines built from it come out in a stable order.
type rateSums struct {
	rates []string
	sum   map[string]decimal.Decimal
}

func (r *rateSums) add(rate string, d decimal.Decimal) {
	if r.sum == nil {
		r.sum = map[string]decimal.Decimal{}
	}
	if _, ok := r.sum[rate]; !ok {
		r.rates = append(r.rates, rate)
	}
	r.sum[rate] = r.sum[rate].Add(d)
}

// buildLines returns the order lines: the products (with an options line
// under each when s asks for it), then shipping, fees and discounts.
//
// In the shop's own price entry (Inclusief when its prices include VAT),
// each product line carries its price before discounts, so that what the
// customer saw stays on the order, and the discounts follow as one negative
// line per VAT rate on the discount article of that rate. The discount line
// of a rate also absorbs that rate's rounding of unit prices, so the lines
// of each rate add up to exactly what the shop charged for them.
func buildLines(in input) ([]snelstart.VerkoopOrderRegel, error) {
	s, ev := in.s, in.ev
	o := ev.GetOrder()
	incl := in.ingave == snelstart.BtwIngaveInclusief
	fromShop := s.Lines != LinesCodeAndQuantity
	rates := knownRates(s, o)
	res := resolutions(ev)

	var out []snelstart.VerkoopOrderRegel
	var disc, residue rateSums
	for _, l := range o.GetLines() {
		r := res[l.GetLineId()]
		if r == nil || r.GetArtikelId() == "" {
			return nil, fmt.Errorf("line %s has no SnelStart artikel: the articles stage did not resolve it", l.GetLineId())
		}
		qty, err := parse(l.GetQuantity(), "quantity of line "+l.GetLineId())
		if err != nil {
			return nil, err
		}
		rate, err := parse(cmp.Or(l.GetTaxRate(), "0"), "tax rate of line "+l.GetLineId())
		if err != nil {
			return nil, err
		}
		rk := snapRate(rate, rates)
		d, total, err := lineAmounts(l, rate, incl, in.fx)
		if err != nil {
			return nil, err
		}
		if d.Sign() != 0 {
			disc.add(rk, d)
		}
		line := snelstart.VerkoopOrderRegel{
			Artikel: snelstart.RefTo(snelstart.ID(r.GetArtikelId())),
			Aantal:  dec(qty),
		}
		if fromShop {
			before := total.Add(d)
			unit := unitPrice(l, incl, qty, before, in.fx, in.priceDecimals)
			line.Stuksprijs = dec(unit)
			residue.add(rk, unit.Mul(qty).Round(2).Sub(before))
		} else if p := cmp.Or(r.GetAgreedPrice(), r.GetVerkoopprijs()); p != "" {
			price, err := parse(p, "SnelStart price of line "+l.GetLineId())
			if err != nil {
				return nil, err
			}
			line.Stuksprijs = dec(price)
		}
		opts := optionsText(l.GetOptions())
		optionLine := ""
		switch {
		case s.Lines == LinesFull:
			line.Omschrijving = l.GetName()
			if opts != "" && s.ProductOptions == OptionsDescription {
				line.Omschrijving = withOptions(l.GetName(), opts)
			}
		case opts != "" && s.ProductOptions == OptionsDescription && r.GetOmschrijving() != "":
			line.Omschrijving = withOptions(r.GetOmschrijving(), opts)
		case opts != "" && s.ProductOptions == OptionsDescription:
			optionLine = opts // SnelStart's description is unknown here: keep the options on a line of their own
		}
		if opts != "" && s.ProductOptions == OptionsLine {
			optionLine = opts
		}
		line.Omschrijving = truncate(line.Omschrijving, maxLineOmschrijving)
		out = append(out, line)
		if optionLine != "" {
			out = append(out, snelstart.VerkoopOrderRegel{Omschrijving: truncate(optionLine, maxLineOmschrijving)})
		}
	}

	for _, c := range []struct {
		kind, title string
		lines       []*koppelv1.Charge
	}{
		{kindShipping, "Verzendkosten", o.GetShippingLines()},
		{kindFee, "Toeslag", o.GetFeeLines()},
	} {
		for i, ch := range c.lines {
			line, ok, err := chargeLine(in, c.kind, cmp.Or(strings.TrimSpace(ch.GetTitle()), c.title), ch, rates, incl)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %w", c.kind, i+1, err)
			}
			if ok {
				out = append(out, line)
			}
		}
	}

	discounts, err := discountLines(in, &disc, &residue, rates, incl, fromShop)
	if err != nil {
		return nil, err
	}
	return append(out, discounts...), nil
}

// unitPrice returns the unit price for a line whose amount before
// discounts is before, at the administration's price decimals: the shop's
// own unit price or before/qty, whichever reproduces before more closely,
// the shop's on a tie. (WooCommerce derives a unit price including VAT from
// the rounded net subtotal, so 10.00 may come as 9.994862; a discount
// including VAT derived from the shop's net discount may be a cent off, so
// before/qty may come out as 24.955 for 24.95.) Whatever rounding remains
// goes to the rate's discount line, or shows in the totals check.
func unitPrice(l *koppelv1.Line, incl bool, qty, before, fx decimal.Decimal, places int32) decimal.Decimal {
	if qty.IsZero() {
		return before
	}
	derived := before.Div(qty).Round(places)
	shopText := l.GetUnitPriceExcl()
	if incl {
		shopText = l.GetUnitPriceIncl()
	}
	shop, err := decimal.NewFromString(shopText)
	if err != nil {
		return derived
	}
	shop = shop.Mul(fx).Round(places)
	off := func(u decimal.Decimal) decimal.Decimal { return u.Mul(qty).Round(2).Sub(before).Abs() }
	if off(derived).LessThan(off(shop)) {
		return derived
	}
	return shop
}

// lineAmounts returns a product line's discount and total after it, in the
// order's entry, converted with fx and rounded to cents. In an Inclusief
// order the discount including VAT is the shop's discount excluding VAT at
// the line's rate, rounded, so that line total plus discount is the line's
// price before discounts.
func lineAmounts(l *koppelv1.Line, rate decimal.Decimal, incl bool, fx decimal.Decimal) (discount, total decimal.Decimal, err error) {
	d, err := parseOr0(l.GetDiscountExcl(), "discount of line "+l.GetLineId())
	if err != nil {
		return d, d, err
	}
	t := l.GetTotalExcl()
	if incl {
		t = l.GetTotalIncl()
		d = d.Mul(decimal.NewFromInt(100).Add(rate)).Div(decimal.NewFromInt(100))
	}
	total, err = parse(t, "total of line "+l.GetLineId())
	if err != nil {
		return d, d, err
	}
	return money(d.Mul(fx)), money(total.Mul(fx)), nil
}

// chargeLine returns the line of a shipping or fee charge, on the article
// for its kind and rate; ok is false for a charge of zero.
func chargeLine(in input, kind, title string, ch *koppelv1.Charge, rates []decimal.Decimal, incl bool) (snelstart.VerkoopOrderRegel, bool, error) {
	v := ch.GetTotalExcl()
	if incl {
		v = ch.GetTotalIncl()
	}
	amount, err := parseOr0(v, "amount")
	if err != nil {
		return snelstart.VerkoopOrderRegel{}, false, err
	}
	amount = money(amount.Mul(in.fx))
	if amount.IsZero() {
		return snelstart.VerkoopOrderRegel{}, false, nil
	}
	rate, err := parseOr0(ch.GetTaxRate(), "tax rate")
	if err != nil {
		return snelstart.VerkoopOrderRegel{}, false, err
	}
	id, err := in.chargeArticle(kind, snapRate(rate, rates))
	if err != nil {
		return snelstart.VerkoopOrderRegel{}, false, err
	}
	return snelstart.VerkoopOrderRegel{
		Artikel:      snelstart.RefTo(id),
		Omschrijving: truncate(title, maxLineOmschrijving),
		Stuksprijs:   dec(amount),
		Aantal:       dec(decimal.NewFromInt(1)),
	}, true, nil
}

// discountLines returns one negative line per VAT rate of the discounts on
// the product lines, or, when the shop did not spread its discounts over
// the lines, one line for the order's discounts.
func discountLines(in input, disc, residue *rateSums, rates []decimal.Decimal, incl, absorb bool) ([]snelstart.VerkoopOrderRegel, error) {
	o := in.ev.GetOrder()
	title := "Korting"
	var codes []string
	for _, d := range o.GetDiscounts() {
		if c := strings.TrimSpace(d.GetCode()); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(codes) > 0 {
		title += " " + strings.Join(codes, ", ")
	}
	line := func(rate string, amount decimal.Decimal) (snelstart.VerkoopOrderRegel, error) {
		id, err := in.chargeArticle(kindDiscount, rate)
		if err != nil {
			return snelstart.VerkoopOrderRegel{}, fmt.Errorf("discount: %w", err)
		}
		return snelstart.VerkoopOrderRegel{
			Artikel:      snelstart.RefTo(id),
			Omschrijving: truncate(title, maxLineOmschrijving),
			Stuksprijs:   dec(amount.Neg()),
			Aantal:       dec(decimal.NewFromInt(1)),
		}, nil
	}

	var out []snelstart.VerkoopOrderRegel
	if len(disc.rates) > 0 {
		for _, rk := range disc.rates {
			amount := disc.sum[rk]
			if absorb {
				amount = amount.Add(residue.sum[rk])
			}
			if amount.IsZero() {
				continue
			}
			l, err := line(rk, amount)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		return out, nil
	}

	// Discounts the shop did not spread over the lines.
	excl, tax, err := orderDiscount(o)
	if err != nil {
		return nil, err
	}
	amount := excl
	if incl {
		amount = excl.Add(tax)
	}
	amount = money(amount.Mul(in.fx))
	if amount.IsZero() {
		return nil, nil
	}
	l, err := line(orderDiscountRate(excl, tax, rates), amount)
	if err != nil {
		return nil, err
	}
	return []snelstart.VerkoopOrderRegel{l}, nil
}

// orderDiscount returns the sum of the order's discounts, excluding VAT and
// its VAT.
func orderDiscount(o *koppelv1.Order) (excl, tax decimal.Decimal, err error) {
	for i, d := range o.GetDiscounts() {
		e, err := parseOr0(d.GetAmountExcl(), fmt.Sprintf("discount %d", i+1))
		if err != nil {
			return excl, tax, err
		}
		t, err := parseOr0(d.GetAmountTax(), fmt.Sprintf("discount %d tax", i+1))
		if err != nil {
			return excl, tax, err
		}
		excl, tax = excl.Add(e), tax.Add(t)
	}
	return excl, tax, nil
}

// orderDiscountRate is the VAT rate of an order-level discount: its VAT
// over its amount, snapped to a known rate.
func orderDiscountRate(excl, tax decimal.Decimal, rates []decimal.Decimal) string {
	rate := decimal.Zero
	if !excl.IsZero() {
		rate = tax.Div(excl).Mul(decimal.NewFromInt(100))
	}
	return snapRate(rate, rates)
}

// chargeArticle returns the article id for a charge of kind at rate.
func (in input) chargeArticle(kind, rate string) (snelstart.ID, error) {
	code := in.s.chargeArticle(kind, rate)
	if code == "" {
		return "", fmt.Errorf("the order has a %s line but orders.%s_article is not set", kind, kind)
	}
	id, ok := in.charges[foldCode(code)]
	if !ok {
		return "", fmt.Errorf("artikel %q for %s lines was not looked up", code, kind)
	}
	return id, nil
}

// chargeCodes returns the artikelcodes the order's charges and discounts
// will be booked on, so they can be looked up before build runs.
func chargeCodes(s *Settings, o *koppelv1.Order) []string {
	rates := knownRates(s, o)
	var codes []string
	addCode := func(kind, rateText string) {
		rate, err := decimal.NewFromString(cmp.Or(rateText, "0"))
		if err != nil {
			return
		}
		if c := s.chargeArticle(kind, snapRate(rate, rates)); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	for _, ch := range o.GetShippingLines() {
		addCode(kindShipping, ch.GetTaxRate())
	}
	for _, ch := range o.GetFeeLines() {
		addCode(kindFee, ch.GetTaxRate())
	}
	lineDiscount := false
	for _, l := range o.GetLines() {
		if d, err := decimal.NewFromString(l.GetDiscountExcl()); err == nil && !d.IsZero() {
			lineDiscount = true
			addCode(kindDiscount, l.GetTaxRate())
		}
	}
	if excl, tax, err := orderDiscount(o); !lineDiscount && err == nil && !excl.Add(tax).IsZero() {
		if c := s.chargeArticle(kindDiscount, orderDiscountRate(excl, tax, rates)); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	return codes
}

// resolutions returns the product lines' article resolutions by line id.
func resolutions(ev *koppelv1.OrderEvent) map[string]*koppelv1.ArticleResolution {
	m := make(map[string]*koppelv1.ArticleResolution, len(ev.GetArticles()))
	for _, a := range ev.GetArticles() {
		if k := a.GetKind(); k == "" || k == kindProduct {
			m[a.GetLineId()] = a
		}
	}
	return m
}

// knownRates returns the VAT rates the order's charges are matched to: its
// product lines' rates and the rates of s.RateArticles.
func knownRates(s *Settings, o *koppelv1.Order) []decimal.Decimal {
	var out []decimal.Decimal
	add := func(t string) {
		d, err := decimal.NewFromString(t)
		if err != nil {
			return
		}
		if !slices.ContainsFunc(out, d.Equal) {
			out = append(out, d)
		}
	}
	for _, l := range o.GetLines() {
		add(l.GetTaxRate())
	}
	for _, k := range sortedKeys(s.RateArticles) {
		add(k)
	}
	return out
}

// snapRate returns the rate as a key ("21", "9"): the nearest known rate
// within half a percentage point, else the rate itself. Shops that derive
// a charge's rate from its rounded amounts report 21.03 for 21.
func snapRate(rate decimal.Decimal, known []decimal.Decimal) string {
	half := decimal.New(5, -1)
	best, found := decimal.Zero, false
	for _, k := range known {
		diff := k.Sub(rate).Abs()
		if diff.LessThanOrEqual(half) && (!found || diff.LessThan(best.Sub(rate).Abs())) {
			best, found = k, true
		}
	}
	if found {
		return best.String()
	}
	return rate.String()
}

// optionsText returns "Maat: L, Kleur: rood".
func optionsText(opts []*koppelv1.Option) string {
	var parts []string
	for _, o := range opts {
		n, v := strings.TrimSpace(o.GetName()), strings.TrimSpace(o.GetValue())
		switch {
		case n != "" && v != "":
			parts = append(parts, n+": "+v)
		case v != "":
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}

// withOptions returns "name (options)", cutting the name, never the
// options, to fit a line's omschrijving.
func withOptions(name, opts string) string {
	suffix := " (" + opts + ")"
	room := maxLineOmschrijving - utf8.RuneCountInString(suffix)
	if room < 10 {
		return truncate(name+suffix, maxLineOmschrijving)
	}
	return truncate(name, room) + suffix
}

// shopAdres returns a shop address as SnelStart's AdresModel, or nil when
// it is empty: the street with house number and suffix (and the second
// address line when it fits), each field cut to SnelStart's limit.
func shopAdres(a *koppelv1.Address, landen map[string]snelstart.ID) *snelstart.Adres {
	if a == nil {
		return nil
	}
	straat := strings.TrimSpace(a.GetStreet())
	if nr := strings.TrimSpace(a.GetHouseNumber()); nr != "" {
		straat = strings.TrimSpace(straat + " " + nr + suffixText(a.GetHouseNumberSuffix()))
	}
	if l2 := strings.TrimSpace(a.GetAddressLine2()); l2 != "" && utf8.RuneCountInString(straat)+2+utf8.RuneCountInString(l2) <= maxStraat {
		straat += ", " + l2
	}
	contact := strings.TrimSpace(strings.TrimSpace(a.GetFirstName()) + " " + strings.TrimSpace(a.GetLastName()))
	ad := &snelstart.Adres{
		Contactpersoon: truncate(cmp.Or(contact, strings.TrimSpace(a.GetCompany())), maxContactpersoon),
		Straat:         truncate(straat, maxStraat),
		Postcode:       truncate(strings.TrimSpace(a.GetPostcode()), maxPostcode),
		Plaats:         truncate(strings.TrimSpace(a.GetCity()), maxPlaats),
	}
	if id, ok := landen[strings.ToUpper(strings.TrimSpace(a.GetCountry()))]; ok {
		ad.Land = snelstart.RefTo(id)
	}
	if *ad == (snelstart.Adres{}) {
		return nil
	}
	return ad
}

// suffixText joins a house number suffix to the number: "12a", "12-1",
// "12 bis".
func suffixText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(s); s[0] == '-' || s[0] == '/' || utf8.RuneLen(r) == len(s) {
		return s
	}
	return " " + s
}

// cardAdres copies an address of the customer card for an order, sending
// its country as a link only; nil when it has no street.
func cardAdres(a *snelstart.Adres) *snelstart.Adres {
	if a == nil || a.Straat == "" {
		return nil
	}
	c := *a
	if c.Land != nil {
		c.Land = snelstart.RefTo(c.Land.ID)
	}
	return &c
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n]))
}

func foldCode(code string) string { return strings.ToLower(strings.TrimSpace(code)) }

// money rounds to cents, half away from zero.
func money(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

func dec(d decimal.Decimal) *snelstart.Decimal { return snelstart.Ptr(snelstart.NewDecimal(d)) }

func parse(s, what string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Zero, fmt.Errorf("%s %q is not a decimal", what, s)
	}
	return d, nil
}

func parseOr0(s, what string) (decimal.Decimal, error) {
	if strings.TrimSpace(s) == "" {
		return decimal.Zero, nil
	}
	return parse(s, what)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
