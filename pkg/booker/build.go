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
	"github.com/koppel/koppel/pkg/vat"
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
// looked up in SnelStart, and the order's VAT regime.
type input struct {
	s             *Settings
	ev            *koppelv1.OrderEvent
	loc           *time.Location
	ingave        snelstart.BtwIngave // the order's price entry
	priceDecimals int32               // companyInfo.aantalDecimalenArtikelprijzen
	template      snelstart.ID        // "" sends none
	landen        map[string]snelstart.ID
	relatie       *snelstart.Relatie // the customer card, for AddressesCustomer
	fx            decimal.Decimal    // multiplies every shop amount; 1 for EUR orders
	facts         vat.Facts
	decision      vat.Decision // the regime of what the shop charged
	applied       vat.Regime   // the regime SnelStart will apply
	qtyDecimals   int32        // companyInfo.aantalDecimalenArtikelaantallen
	// article looks up a charge article by artikelcode (through the
	// profile's cache).
	article func(code string) (chargeArtikel, error)
	// notes collects what koppel changed to fit SnelStart, for the
	// timeline.
	notes *[]string
}

// note records a change made to fit SnelStart.
func (in input) note(s string) {
	if in.notes != nil && !slices.Contains(*in.notes, s) {
		*in.notes = append(*in.notes, s)
	}
}

// cut returns s cut to at most n runes on a word boundary, recording the
// cut as a note about what.
func (in input) cut(s string, n int, what string) string {
	c := cutOnWord(s, n)
	if c != s {
		in.note(fmt.Sprintf("%s: description cut to %d characters (SnelStart's limit), to %q", what, n, c))
	}
	return c
}

// cutOnWord cuts s to at most n runes, at the last space within the limit
// when there is one in its second half; a single long word is cut.
func cutOnWord(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n
	if r[n] != ' ' {
		for i := n - 1; i > n/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
	}
	return strings.TrimSpace(string(r[:cut]))
}

// build maps the order event to the verkooporder koppel posts, with each
// line's btw-soort and rate as SnelStart will apply them. Its only calls
// are in.article's. Errors are permanent (a missing article, an amount
// that is not a number).
func build(in input) (*snelstart.VerkoopOrder, []regel, error) {
	s, ev := in.s, in.ev
	o := ev.GetOrder()
	vo := &snelstart.VerkoopOrder{
		Relatie:                    snelstart.RefTo(snelstart.ID(ev.GetCustomer().GetRelatieId())),
		ProcesStatus:               s.ProcessStatus,
		Datum:                      orderDate(o, ev, in.loc),
		Omschrijving:               in.cut(description(s, o), maxOrderOmschrijving, "order"),
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
		var err error
		if vo.Afleveradres, err = in.shopAdres(o.GetShipping(), "afleveradres"); err != nil {
			return nil, nil, err
		}
		if vo.Factuuradres, err = in.shopAdres(o.GetBilling(), "factuuradres"); err != nil {
			return nil, nil, err
		}
	}
	lines, err := buildLines(in)
	if err != nil {
		return nil, nil, err
	}
	vo.Regels = regels(lines)
	return vo, lines, nil
}

// day is the order date as a time, for the dated rate tables.
func (in input) day() time.Time {
	return orderDate(in.ev.GetOrder(), in.ev, in.loc).In(time.UTC)
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
	return cutOnWord(name, room) + suffix
}

// shopAdres returns a shop address as SnelStart's AdresModel, or nil when
// it is empty: the street with house number and suffix (and the second
// address line when it fits), each field cut to SnelStart's limit. A
// street too long for its number is shortened, never the number: a cut
// into "Lange Straatweg 112-3" must not book number 11.
func (in input) shopAdres(a *koppelv1.Address, what string) (*snelstart.Adres, error) {
	if a == nil {
		return nil, nil
	}
	straat, err := in.straat(a, what)
	if err != nil {
		return nil, err
	}
	contact := strings.TrimSpace(strings.TrimSpace(a.GetFirstName()) + " " + strings.TrimSpace(a.GetLastName()))
	ad := &snelstart.Adres{
		Contactpersoon: truncate(cmp.Or(contact, strings.TrimSpace(a.GetCompany())), maxContactpersoon),
		Straat:         straat,
		Postcode:       truncate(strings.TrimSpace(a.GetPostcode()), maxPostcode),
		Plaats:         truncate(strings.TrimSpace(a.GetCity()), maxPlaats),
	}
	if id, ok := in.landen[strings.ToUpper(strings.TrimSpace(a.GetCountry()))]; ok {
		ad.Land = snelstart.RefTo(id)
	}
	if *ad == (snelstart.Adres{}) {
		return nil, nil
	}
	return ad, nil
}

// straat returns the street with its house number, at most maxStraat
// runes: the street name is cut on a word (noted) to keep the number whole;
// a number that leaves no room for a street is an error.
func (in input) straat(a *koppelv1.Address, what string) (string, error) {
	street := strings.TrimSpace(a.GetStreet())
	nr := strings.TrimSpace(a.GetHouseNumber())
	if nr != "" {
		nr += suffixText(a.GetHouseNumberSuffix())
	}
	full := strings.TrimSpace(street + " " + nr)
	if l2 := strings.TrimSpace(a.GetAddressLine2()); l2 != "" && utf8.RuneCountInString(full)+2+utf8.RuneCountInString(l2) <= maxStraat {
		full += ", " + l2
	}
	if utf8.RuneCountInString(full) <= maxStraat {
		return full, nil
	}
	if nr == "" {
		return in.cut(full, maxStraat, what+" street"), nil
	}
	room := maxStraat - 1 - utf8.RuneCountInString(nr)
	if room < 10 {
		return "", fmt.Errorf("the %s's house number %q leaves no room for its street within SnelStart's %d characters: correct the address in the shop, then replay", what, nr, maxStraat)
	}
	short := cutOnWord(street, room)
	in.note(fmt.Sprintf("%s: street shortened to %q to keep house number %s whole within SnelStart's %d characters", what, short, nr, maxStraat))
	return short + " " + nr, nil
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
