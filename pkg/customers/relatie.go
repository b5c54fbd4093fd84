package customers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
)

// Field lengths SnelStart enforces on a relatie (snelstart-api.md §3.1, §6).
const (
	maxNaam     = 50  // naam (the spec's maxLength)
	maxStraat   = 50  // REL-0020
	maxPlaats   = 50  // REL-0021
	maxContact  = 50  // REL-0022
	maxPostcode = 25  // REL-0023
	maxTelefoon = 25  // REL-0012
	maxEmail    = 250 // REL-0085
)

// errCountry marks an order address whose country SnelStart does not know.
var errCountry = errors.New("country not in SnelStart's landen")

// relatieNaam is the naam of the relatie for o: the company, else the
// customer's name, else the billing name; "Webshopklant <number>" when the
// order names nobody.
func relatieNaam(o *koppelv1.Order) string {
	if n := companyOf(o); n != "" {
		return truncate(n, maxNaam)
	}
	if n := personOf(o); n != "" {
		return truncate(n, maxNaam)
	}
	return "Webshopklant " + firstNonEmpty(o.GetNumber(), o.GetShopOrderId())
}

func companyOf(o *koppelv1.Order) string {
	return firstNonEmpty(o.GetCustomer().GetCompany(), addressOf(o).GetCompany())
}

func personOf(o *koppelv1.Order) string {
	cu, ad := o.GetCustomer(), addressOf(o)
	if n := strings.Join(strings.Fields(cu.GetFirstName()+" "+cu.GetLastName()), " "); n != "" {
		return n
	}
	return strings.Join(strings.Fields(ad.GetFirstName()+" "+ad.GetLastName()), " ")
}

// truncate cuts s to at most n characters (runes), trimming spaces.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}

// FormatStraat joins a street, house number and suffix as SnelStart's
// straat holds them, in at most 50 characters (the street is shortened,
// never the number): "Dorpsstraat", "12", "a" give "Dorpsstraat 12a"; a
// numeric suffix is joined with a dash ("Kerkstraat 5-1"), a longer one
// with a space ("Hoofdweg 3 bis"). Without a number the street is returned
// as it is, since shops that have no number field keep it in the street.
func FormatStraat(street, number, suffix string) string {
	street, number, suffix = strings.TrimSpace(street), strings.TrimSpace(number), strings.Trim(suffix, " -/")
	if number == "" {
		return truncate(street, maxStraat)
	}
	hn := number
	switch {
	case suffix == "":
	case isDigits(suffix):
		hn += "-" + suffix
	case utf8.RuneCountInString(suffix) <= 2 && isLetters(suffix):
		hn += suffix
	default:
		hn += " " + suffix
	}
	room := maxStraat - utf8.RuneCountInString(hn) - 1
	if room <= 0 {
		return truncate(hn, maxStraat)
	}
	return strings.TrimSpace(truncate(street, room) + " " + hn)
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}

func isLetters(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

// newRelatie returns the relatie koppel creates for o: relatiesoort Klant,
// naam, vestigingsAdres from the billing address (straat with house number
// and suffix, postcode, plaats, land by the ISO-2 code matched on
// landcode), email, telefoon, btwNummer when btw is not empty (an ICP
// order's VAT number: any other order's is left out, since SnelStart books
// ICP for every relatie with a btwNummer in another member state) and,
// when code is not 0, the relatiecode. landen maps landcode to the land's
// id. Texts longer than SnelStart takes are shortened, except a phone
// number, which is left out rather than cut, and an email address, which
// is an error.
func newRelatie(o *koppelv1.Order, landen map[string]snelstart.ID, code int, memo, btw string) (*snelstart.Relatie, error) {
	r := &snelstart.Relatie{
		Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant},
		Naam:         relatieNaam(o),
		BtwNummer:    btw,
		Memo:         memo,
	}
	if code != 0 {
		r.Relatiecode = snelstart.Ptr(code)
	}
	if err := applyShopData(r, o, landen); err != nil {
		return nil, err
	}
	return r, nil
}

// applyShopData sets the fields that add_and_update keeps current with the
// shop: naam, vestigingsAdres, email and telefoon. An address is set only
// when it is complete (straat, postcode, plaats, land), as SnelStart
// requires (REL-0060); an existing contactpersoon is kept unless the order
// names one. An order email the relatie does not hold yet replaces the
// first of its addresses, keeping the others.
func applyShopData(r *snelstart.Relatie, o *koppelv1.Order, landen map[string]snelstart.ID) error {
	r.Naam = relatieNaam(o)
	ad := addressOf(o)
	straat := FormatStraat(ad.GetStreet(), ad.GetHouseNumber(), ad.GetHouseNumberSuffix())
	postcode := truncate(formatPostcode(ad.GetPostcode(), ad.GetCountry()), maxPostcode)
	plaats := truncate(ad.GetCity(), maxPlaats)
	country := strings.ToUpper(strings.TrimSpace(ad.GetCountry()))
	if straat != "" && postcode != "" && plaats != "" && country != "" {
		land, ok := landen[country]
		if !ok {
			return fmt.Errorf("%w: %q", errCountry, country)
		}
		next := snelstart.Adres{Straat: straat, Postcode: postcode, Plaats: plaats, Land: snelstart.RefTo(land)}
		if r.VestigingsAdres != nil {
			next.Contactpersoon = r.VestigingsAdres.Contactpersoon
		}
		if companyOf(o) != "" {
			if p := personOf(o); p != "" {
				next.Contactpersoon = truncate(p, maxContact)
			}
		}
		r.VestigingsAdres = &next
	}
	if email := NormalizeEmail(firstNonEmpty(o.GetCustomer().GetEmail(), o.GetBilling().GetEmail())); email != "" && !slices.Contains(EmailList(r.Email), email) {
		var kept []string
		for _, part := range strings.Split(r.Email, ";") {
			if part = strings.TrimSpace(part); part != "" {
				kept = append(kept, part)
			}
		}
		if len(kept) == 0 {
			kept = []string{email}
		} else {
			kept[0] = email
		}
		r.Email = strings.Join(kept, ";")
		if len(r.Email) > maxEmail {
			return fmt.Errorf("email addresses longer than %d characters (REL-0085)", maxEmail)
		}
	}
	if phone := firstNonEmpty(o.GetCustomer().GetPhone(), ad.GetPhone(), o.GetBilling().GetPhone()); phone != "" && utf8.RuneCountInString(phone) <= maxTelefoon {
		r.Telefoon = phone
	}
	return nil
}

// updateFrom returns a copy of cur with the shop's data of o applied, and
// whether anything changed. A btw that is not empty (an ICP order's VAT
// number) replaces a btwNummer that differs; an empty one leaves the
// card's as it is. The copy starts from the whole record, since a PUT
// replaces it (snelstart-api.md §6.3).
func updateFrom(cur *snelstart.Relatie, o *koppelv1.Order, landen map[string]snelstart.ID, btw string) (*snelstart.Relatie, bool, error) {
	next := *cur
	if cur.VestigingsAdres != nil {
		a := *cur.VestigingsAdres
		next.VestigingsAdres = &a
	}
	if err := applyShopData(&next, o, landen); err != nil {
		return nil, false, err
	}
	if btw != "" && NormalizeVAT(next.BtwNummer) != btw {
		next.BtwNummer = btw
	}
	return &next, !sameShopData(cur, &next), nil
}

func sameShopData(a, b *snelstart.Relatie) bool {
	return shopData(a) == shopData(b)
}

// shopData is the part of a relatie that add_and_update keeps current, as
// one string (the btwNummer only for ICP orders).
func shopData(r *snelstart.Relatie) string {
	var ad snelstart.Adres
	if r.VestigingsAdres != nil {
		ad = *r.VestigingsAdres
	}
	land := ""
	if ad.Land != nil {
		land = strings.ToLower(string(ad.Land.ID))
	}
	return strings.Join([]string{r.Naam, ad.Straat, ad.Postcode, ad.Plaats, land, ad.Contactpersoon, r.Email, r.Telefoon, r.BtwNummer}, "\x00")
}

// formatPostcode writes a Dutch postcode the way SnelStart's users do,
// "1234 AB"; others as the shop sent them.
func formatPostcode(postcode, country string) string {
	if n := NormalizePostcode(postcode); strings.EqualFold(strings.TrimSpace(country), "NL") && dutchPostcode.MatchString(n) {
		return n[:4] + " " + n[4:]
	}
	return strings.TrimSpace(postcode)
}
