package booker

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
)

// The values of the enumerated [Settings].
const (
	PaymentReferenceOrderNumber = "order_number" // betalingskenmerk = the shop's order number
	PaymentReferenceNone        = "none"         // no betalingskenmerk

	DescriptionAuto        = "auto"         // "processing · iDEAL · betaald"
	DescriptionProfile     = "profile"      // the profile's name
	DescriptionOrderNumber = "order_number" // "Webshoporder 1042"
	DescriptionEmpty       = "empty"        // no omschrijving

	LinesFull                 = "full"                  // code, description, quantity and price from the shop
	LinesCodeAndQuantity      = "code_and_quantity"     // price and description from SnelStart
	LinesSnelStartDescription = "snelstart_description" // description from SnelStart, the rest from the shop

	AddressesShop     = "shop"     // afleveradres and factuuradres from the shop order
	AddressesCustomer = "customer" // both from the relatie's card in SnelStart

	OptionsDescription = "description" // "T-shirt (Maat: L, Kleur: rood)"
	OptionsLine        = "line"        // a text line of its own under the product
	OptionsNone        = "none"        // left out
)

// Settings are a profile's choices for booking its orders as verkooporders.
// [FromProfile] fills them from the profile's orders: section, and
// [Settings.Validate] checks the whole.
//
// The zero value of an optional field means SnelStart's own default: no
// template sends none (SnelStart takes its default template), no
// ProcessStatus sends none (SnelStart makes an Order), and so on.
type Settings struct {
	// Profile is the profile id; Name its display name, used by
	// Description "profile".
	Profile string
	Name    string

	// ImportStatuses are the shop statuses to book, compared as
	// [profile.Orders.Imports] does (without case and WooCommerce's "wc-"
	// prefix). Empty books every status. An order in another status is
	// skipped (acked, nothing published) unless it was booked already.
	ImportStatuses []string
	// Template is the verkoopordersjabloon, by omschrijving (without case)
	// or by id; empty sends none.
	Template string
	// ReuseLastTemplate uses the template of the customer's most recent
	// earlier verkooporder (or, when it has none, of the orders on its
	// most recent verkoopfactuur), falling back to Template.
	ReuseLastTemplate bool
	// PaymentReference fills the betalingskenmerk: PaymentReferenceOrderNumber
	// or PaymentReferenceNone.
	PaymentReference string
	// CheckDuplicateReference looks for an existing verkooporder of the
	// same relatie with the same betalingskenmerk before creating one, and
	// links to it instead.
	CheckDuplicateReference bool
	// Description chooses the omschrijving: DescriptionAuto,
	// DescriptionProfile, DescriptionOrderNumber or DescriptionEmpty.
	Description string
	// Lines chooses what order lines carry: LinesFull,
	// LinesCodeAndQuantity or LinesSnelStartDescription.
	Lines string
	// ShippingArticle, FeeArticle and DiscountArticle are the artikelcodes
	// of the articles shipping, fee and discount lines at the Hoog rate
	// are booked on; SnelStart takes their VAT from the article's
	// omzetgroep. A charge at another btw-soort goes on the article with
	// the soort appended ("VERZEND-LAAG", "KORTING-GEEN") unless
	// RateArticles names one for its rate.
	ShippingArticle string
	FeeArticle      string
	DiscountArticle string
	// RateArticles maps a VAT rate in percent ("9", "0") to the articles
	// for charges at that rate. (orders.rate_articles)
	RateArticles map[string]RateArticles
	// TotalTolerance is the largest difference between SnelStart's
	// totaalInclusiefBtw and the shop's total that still counts as a match;
	// zero means one cent.
	TotalTolerance decimal.Decimal

	// OnTotalMismatch is what happens when the totals koppel would book
	// disagree with the shop's: MismatchHold (default), MismatchCorrectionLine
	// or MismatchBookAndFlag (orders.on_total_mismatch).
	OnTotalMismatch string
	// CorrectionArticle is the artikelcode, in an omzetgroep of btw-soort
	// Geen, of the correction line (orders.correction_article).
	CorrectionArticle string

	// CostCenter is the kostenplaats, by id. (orders.cost_center)
	CostCenter snelstart.ID
	// ProcessStatus is the procesStatus (Order, Offerte, Bevestiging,
	// Werkbon, Pakbon or Afhaalbon). (orders.process_status)
	ProcessStatus snelstart.ProcesStatus
	// OrderStatus is the verkoopOrderStatus (InBehandeling, Uitgevoerd or
	// Service). (orders.order_status)
	OrderStatus snelstart.VerkoopOrderStatus
	// Addresses chooses where afleveradres and factuuradres come from:
	// AddressesShop (default) or AddressesCustomer. (orders.addresses)
	Addresses string
	// ProductOptions chooses where a line's product options go:
	// OptionsDescription (default), OptionsLine or OptionsNone. (orders.product_options)
	ProductOptions string
	// ConvertCurrency books an order in another currency than the
	// administration's (EUR) in EUR when the shop reports its totals in
	// EUR as the base currency; without it such an order is dead-lettered.
	// (orders.convert_currency)
	ConvertCurrency bool
}

// RateArticles are the artikelcodes for the charges at one VAT rate; an
// empty code falls back to the profile-wide article.
type RateArticles struct {
	Shipping string `yaml:"shipping"`
	Fee      string `yaml:"fee"`
	Discount string `yaml:"discount"`
}

// FromProfile returns the settings of p's orders: section with the
// defaults applied.
func FromProfile(p profile.Profile) Settings {
	o := p.Orders
	s := Settings{
		Profile:                 p.ID,
		Name:                    cmp.Or(p.Name, p.ID),
		ImportStatuses:          slices.Clone(o.ImportStatuses),
		Template:                o.Template,
		ReuseLastTemplate:       o.ReuseLastTemplate,
		PaymentReference:        o.PaymentReference,
		CheckDuplicateReference: o.CheckDuplicateReference,
		Description:             o.Description,
		Lines:                   o.Lines,
		ShippingArticle:         o.ShippingArticle,
		FeeArticle:              o.FeeArticle,
		DiscountArticle:         o.DiscountArticle,
		OnTotalMismatch:         o.OnTotalMismatch,
		CorrectionArticle:       o.CorrectionArticle,
	}
	if d, err := decimal.NewFromString(o.TotalTolerance); err == nil {
		s.TotalTolerance = d
	}
	s.CostCenter = snelstart.ID(o.CostCenter)
	s.ProcessStatus = snelstart.ProcesStatus(o.ProcessStatus)
	s.OrderStatus = snelstart.VerkoopOrderStatus(o.OrderStatus)
	s.Addresses = o.Addresses
	s.ProductOptions = o.ProductOptions
	s.ConvertCurrency = o.ConvertCurrency
	if len(o.RateArticles) > 0 {
		s.RateArticles = make(map[string]RateArticles, len(o.RateArticles))
		for rate, a := range o.RateArticles {
			s.RateArticles[rate] = RateArticles{Shipping: a.Shipping, Fee: a.Fee, Discount: a.Discount}
		}
	}
	return s.withDefaults()
}

// SettingsFor returns the validated settings of every profile, by id.
func SettingsFor(profiles []profile.Profile) (map[string]Settings, error) {
	out := make(map[string]Settings, len(profiles))
	var errs []error
	for _, p := range profiles {
		s := FromProfile(p)
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		out[p.ID] = s
	}
	return out, errors.Join(errs...)
}

func (s Settings) withDefaults() Settings {
	s.PaymentReference = cmp.Or(s.PaymentReference, PaymentReferenceOrderNumber)
	s.Description = cmp.Or(s.Description, DescriptionAuto)
	s.Lines = cmp.Or(s.Lines, LinesFull)
	s.Addresses = cmp.Or(s.Addresses, AddressesShop)
	s.ProductOptions = cmp.Or(s.ProductOptions, OptionsDescription)
	s.OnTotalMismatch = cmp.Or(s.OnTotalMismatch, profile.MismatchHold)
	if s.TotalTolerance.IsZero() {
		s.TotalTolerance = decimal.New(1, -2)
	}
	return s
}

// Validate reports every setting that is not one of its allowed values,
// joined into one error; nil when all are fine. Empty fields that have a
// default are fine.
func (s Settings) Validate() error {
	s = s.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("booker: profile %s: orders.%s: %s", s.Profile, field, fmt.Sprintf(format, args...)))
	}
	oneOf := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}
	oneOf("payment_reference", s.PaymentReference, PaymentReferenceOrderNumber, PaymentReferenceNone)
	oneOf("description", s.Description, DescriptionAuto, DescriptionProfile, DescriptionOrderNumber, DescriptionEmpty)
	oneOf("lines", s.Lines, LinesFull, LinesCodeAndQuantity, LinesSnelStartDescription)
	oneOf("addresses", s.Addresses, AddressesShop, AddressesCustomer)
	oneOf("product_options", s.ProductOptions, OptionsDescription, OptionsLine, OptionsNone)
	oneOf("on_total_mismatch", s.OnTotalMismatch, profile.MismatchHold, profile.MismatchCorrectionLine, profile.MismatchBookAndFlag)
	if s.OnTotalMismatch == profile.MismatchCorrectionLine && strings.TrimSpace(s.CorrectionArticle) == "" {
		bad("correction_article", "required with on_total_mismatch: correction_line")
	}
	switch s.ProcessStatus {
	case "", snelstart.ProcesStatusOrder, snelstart.ProcesStatusOfferte, snelstart.ProcesStatusBevestiging,
		snelstart.ProcesStatusWerkbon, snelstart.ProcesStatusPakbon, snelstart.ProcesStatusAfhaalbon:
	case snelstart.ProcesStatusContantbon, snelstart.ProcesStatusFactuur:
		bad("process_status", "%s cannot be set through the API: a person invoices the order in SnelStart", s.ProcessStatus)
	default:
		bad("process_status", "%q is not one of Order, Offerte, Bevestiging, Werkbon, Pakbon, Afhaalbon", s.ProcessStatus)
	}
	switch s.OrderStatus {
	case "", snelstart.VerkoopOrderStatusInBehandeling, snelstart.VerkoopOrderStatusUitgevoerd, snelstart.VerkoopOrderStatusService:
	default:
		bad("order_status", "%q is not one of InBehandeling, Uitgevoerd, Service", s.OrderStatus)
	}
	if s.CostCenter != "" && !isGUID(string(s.CostCenter)) {
		bad("cost_center", "%q is not a kostenplaats id (a GUID)", s.CostCenter)
	}
	if s.TotalTolerance.IsNegative() {
		bad("total_tolerance", "must not be negative")
	}
	for _, rate := range slices.Sorted(maps.Keys(s.RateArticles)) {
		if _, err := decimal.NewFromString(rate); err != nil {
			bad("rate_articles", "%q is not a VAT rate in percent such as \"9\"", rate)
		}
	}
	return errors.Join(errs...)
}

// imports reports whether orders in the shop status are booked, by the
// profile's rule ([profile.Orders.Imports]).
func (s *Settings) imports(status string) bool {
	return profile.Orders{ImportStatuses: s.ImportStatuses}.Imports(status)
}

// chargeArticle returns the artikelcode for a charge of kind at rate, of
// btw-soort soort: the rate's own article from RateArticles, else the
// kind's article for Hoog (and for an order whose rate says nothing about
// the soort, soort ""), else that code with "-" and the soort in capitals
// ("VERZEND-LAAG"). "" when the kind has no article.
func (s *Settings) chargeArticle(kind, rate string, soort snelstart.BtwSoort) string {
	ra := s.RateArticles[rate]
	var own, base string
	switch kind {
	case kindShipping:
		own, base = ra.Shipping, s.ShippingArticle
	case kindFee:
		own, base = ra.Fee, s.FeeArticle
	default:
		own, base = ra.Discount, s.DiscountArticle
	}
	switch {
	case own != "":
		return own
	case base == "" || soort == "" || soort == snelstart.BtwSoortHoog:
		return base
	}
	return base + "-" + strings.ToUpper(string(soort))
}

// isGUID reports whether s is a GUID in its 36-character form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
