package customers

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/snelstart"
)

// Matching modes, the values of profile.Customers.Match.
const (
	MatchCode                   = "code"
	MatchEmail                  = "email"
	MatchCodeOrEmail            = "code_or_email"
	MatchEmailAndPostcode       = "email_and_postcode"
	MatchCodeOrEmailAndPostcode = "code_or_email_and_postcode"
	MatchSmart                  = "smart"
)

// Processing modes, the values of profile.Customers.Processing.
const (
	ProcessAdd          = "add"
	ProcessAddAndUpdate = "add_and_update"
	ProcessManual       = "manual"
)

// The rules that tie an order to a relatie, as CustomerResolution.matched_by
// and the kind of CustomerResolution.match_key name them.
const (
	ByCode             = "code"                       // relatiecode = the shop's customer number
	ByVAT              = "vat"                        // btwNummer
	ByEmailAndPostcode = "email_and_postcode"         // an address of email and the postcode of vestigingsAdres
	ByEmail            = "email"                      // an address of email, held by one klant only
	ByNameAndAddress   = "name_postcode_house_number" // naam, postcode and house number of vestigingsAdres
	ByCreated          = "created"                    // koppel created the relatie for this order
	ByFixed            = "fixed"                      // customers.fixed_customer_code
)

// Keys are the normalized values of an order that customer matching
// compares with SnelStart's relaties. A zero field is a key the order does
// not have.
type Keys struct {
	// Code is the shop's customer number as a relatiecode: the
	// shop_customer_id of a registered (not guest) customer when it is a
	// whole number from 1 to 2147483647; 0 otherwise.
	Code int
	// Email is the customer's email address, trimmed and in lower case.
	Email string
	// Postcode is the postcode of the billing address (the shipping
	// address when there is no billing address) in upper case without
	// spaces or dashes: "1234 ab" gives "1234AB".
	Postcode string
	// VAT is the VAT number in upper case, letters and digits only.
	VAT string
	// Name is the naam koppel would give the relatie, folded by [FoldName].
	Name string
	// House is the house number and suffix of the address, folded:
	// "12|a" for 12a, 12 A and 12-a.
	House string

	postcodeRaw string // as the shop wrote it, for the query
	vatRaw      string
}

// KeysOf returns the matching keys of o.
func KeysOf(o *koppelv1.Order) Keys {
	cu := o.GetCustomer()
	ad := addressOf(o)
	k := Keys{
		Email:       NormalizeEmail(firstNonEmpty(cu.GetEmail(), o.GetBilling().GetEmail())),
		Postcode:    NormalizePostcode(ad.GetPostcode()),
		VAT:         NormalizeVAT(cu.GetVatNumber()),
		Name:        FoldName(relatieNaam(o)),
		postcodeRaw: strings.TrimSpace(ad.GetPostcode()),
		vatRaw:      strings.TrimSpace(cu.GetVatNumber()),
	}
	if !cu.GetGuest() {
		if n, err := strconv.Atoi(strings.TrimSpace(cu.GetShopCustomerId())); err == nil && n > 0 && n <= math.MaxInt32 {
			k.Code = n
		}
	}
	number, suffix := strings.TrimSpace(ad.GetHouseNumber()), ad.GetHouseNumberSuffix()
	if number == "" {
		_, number, suffix = SplitStraat(ad.GetStreet())
	}
	k.House = houseKey(number, suffix)
	return k
}

// addressOf returns the address a relatie is made from: the billing
// address, or the shipping address when the order has no billing address.
func addressOf(o *koppelv1.Order) *koppelv1.Address {
	if b := o.GetBilling(); b.GetStreet() != "" || b.GetPostcode() != "" || b.GetCity() != "" {
		return b
	}
	if s := o.GetShipping(); s != nil {
		return s
	}
	return o.GetBilling()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// NormalizeEmail returns s trimmed and in lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// EmailList returns the addresses of a SnelStart email field, which may
// hold several separated by ";" (REL-0084), each normalized by
// [NormalizeEmail]; empty parts are dropped. A "," is read as a separator
// too, though SnelStart refuses it.
func EmailList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if e := NormalizeEmail(part); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// NormalizePostcode returns s in upper case without spaces or dashes, so
// that "1234 ab", "1234AB" and "1234-AB" compare equal.
func NormalizePostcode(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// NormalizeVAT returns the letters and digits of a VAT number in upper
// case: "nl 0012.34.567.b01" gives "NL001234567B01".
func NormalizeVAT(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToUpper(r)
		}
		return -1
	}, s)
}

// FoldName folds a relatie name for comparison: lower case, dots dropped,
// any other run of characters that are not letters or digits one space.
// "Jansen B.V." and "jansen  BV" both give "jansen bv"; "J. Jansen" gives
// "j jansen". Diacritics are kept.
func FoldName(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), ".", "")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
}

var straatRe = regexp.MustCompile(`^(.*?)[\s,]*(\d+)\s*[-/]?\s*([\p{L}\d]{0,6})\s*$`)

// SplitStraat splits a SnelStart straat, which holds the street and the
// house number ("Dorpsstraat 12a", "Kerkstraat 5-1"), into the street, the
// number and the suffix. A straat that does not end in a house number gives
// itself and two empty strings.
func SplitStraat(s string) (street, number, suffix string) {
	m := straatRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || strings.TrimSpace(m[1]) == "" {
		return strings.TrimSpace(s), "", ""
	}
	return strings.TrimSpace(m[1]), m[2], m[3]
}

// houseKey folds a house number and suffix: "12" and "A" give "12|a";
// "" when there is no number.
func houseKey(number, suffix string) string {
	number = strings.TrimLeft(strings.TrimSpace(number), "0")
	if number == "" {
		return ""
	}
	suffix = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, suffix)
	return number + "|" + suffix
}

// relatieHouse returns the folded house number of a relatie's
// vestigingsAdres.
func relatieHouse(r *snelstart.Relatie) string {
	if r.VestigingsAdres == nil {
		return ""
	}
	_, n, s := SplitStraat(r.VestigingsAdres.Straat)
	return houseKey(n, s)
}

func relatiePostcode(r *snelstart.Relatie) string {
	if r.VestigingsAdres == nil {
		return ""
	}
	return NormalizePostcode(r.VestigingsAdres.Postcode)
}

// postcodeVariants returns the forms a postcode may be stored in, for the
// query: as the shop wrote it, compact, and for a Dutch postcode "1234 AB".
func postcodeVariants(k Keys) []string {
	vs := []string{k.Postcode}
	if k.postcodeRaw != "" {
		vs = append(vs, k.postcodeRaw)
	}
	if dutchPostcode.MatchString(k.Postcode) {
		vs = append(vs, k.Postcode[:4]+" "+k.Postcode[4:])
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}

var dutchPostcode = regexp.MustCompile(`^[1-9][0-9]{3}[A-Z]{2}$`)

// hashKey returns a short, stable digest of personal data, for ledger,
// lock and cache keys, which must not hold email addresses or names.
func hashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:12])
}
