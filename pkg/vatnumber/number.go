package vatnumber

import (
	"slices"
	"strings"
	"unicode"
)

// A Number is an EU VAT identification number split into its parts. The
// zero Number is no number. Its String method gives the canonical form.
type Number struct {
	// Country is the ISO 3166-1 alpha-2 code of the member state that
	// issued the number: "NL", "DE", and "GR" for Greece.
	Country string
	// Prefix is the number's VAT prefix: the same as Country, except "EL"
	// for Greece. It is the countryCode VIES expects.
	Prefix string
	// Body is the national part without separators, letters upper-case:
	// "123456789B01" for NL123456789B01.
	Body string
}

// String returns the number in its canonical form, prefix and body without
// separators, such as "NL123456789B01"; the empty string for the zero
// Number.
func (n Number) String() string { return n.Prefix + n.Body }

// labels are words shops and customers put in front of a VAT number, in
// upper case and without separators, longest first so that "BTWNR" is
// taken whole rather than "BTW" leaving "NR".
var labels = []string{
	"BTWIDENTIFICATIENUMMER", "UMSATZSTEUERID", "BTWNUMMER", "VATNUMBER",
	"VATREGNO", "USTIDNR", "MWSTNR", "BTWNR", "BTWID", "VATNO", "VATNR",
	"VATID", "USTID", "UIDNR", "MWST", "BTW", "VAT", "UID", "TVA", "IVA",
}

// separators are the characters besides white space that people put
// between the parts of a number: . - / : , _ and the Unicode dashes.
const separators = ".-/:,_\u2010\u2011\u2012\u2013\u2014"

// clean removes white space and separators from s and upper-cases ASCII
// letters. Any other character is kept, to be rejected by the caller; a
// byte that is not UTF-8 becomes U+FFFD.
func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), strings.ContainsRune(separators, r):
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripLabel removes one leading label such as "BTW" or "VAT NR" from a
// cleaned number, when something follows it.
func stripLabel(s string) string {
	for _, l := range labels {
		if len(s) > len(l) && strings.HasPrefix(s, l) {
			return s[len(l):]
		}
	}
	return s
}

// Parse tidies shop input into a [Number] without checking it against its
// member state's rules (use [Check] for that). It removes white space and
// the separators . - / : , _, upper-cases letters, and drops one leading
// label such as "BTW", "BTW-nr.", "VAT", "VAT No", "USt-IdNr.", "TVA" or
// "IVA". The prefix GR is taken for EL. Two old forms are brought up to
// date: a Belgian number of 9 digits gets its leading 0 and a Greek one of
// 8 digits its leading 0.
//
// Parse fails with an *[Error] of kind [ErrFormat] when the input is empty,
// has no letter prefix or holds characters that belong in no VAT number,
// and of kind [ErrNotEU] when the prefix is not that of a member state
// (GB, XI, CH, …).
func Parse(s string) (Number, error) {
	c := clean(s)
	if slices.Contains(labels, c) {
		c = ""
	}
	c = stripLabel(c)
	if c == "" {
		return Number{}, &Error{Reason: "no VAT number given", Kind: ErrFormat}
	}
	if len(c) < 2 || !isUpper(c[0]) || !isUpper(c[1]) {
		return Number{}, &Error{Number: c, Reason: "no country prefix (such as NL, DE or BE) in front of the number", Kind: ErrFormat}
	}
	prefix, body := c[:2], c[2:]
	if prefix == "GR" {
		prefix = "EL"
	}
	ms := byPrefix[prefix]
	if ms == nil {
		return Number{}, &Error{Number: c, Reason: notEUReason(prefix), Kind: ErrNotEU}
	}
	if body == "" {
		return Number{}, &Error{Number: c, Reason: "nothing after the country prefix", Kind: ErrFormat}
	}
	for i := 0; i < len(body); i++ {
		if !isUpper(body[i]) && !isDigit(body[i]) && body[i] != '+' && body[i] != '*' {
			return Number{}, &Error{Number: c, Reason: "holds characters that are not letters or digits", Kind: ErrFormat}
		}
	}
	switch {
	case prefix == "BE" && len(body) == 9 && allDigits(body):
		body = "0" + body // the form before 2005 had 9 digits
	case prefix == "EL" && len(body) == 8 && allDigits(body):
		body = "0" + body // the old form had 8 digits
	}
	return Number{Country: ms.country, Prefix: ms.prefix, Body: body}, nil
}

// notEUReason words an [ErrNotEU] for a two-letter prefix.
func notEUReason(prefix string) string {
	switch prefix {
	case "GB":
		return "GB (United Kingdom) is not an EU member state"
	case "XI":
		return "XI (Northern Ireland) is not an EU member state for this purpose"
	}
	return prefix + " is not the prefix of an EU member state"
}

// Normalize returns the canonical form of a VAT number, such as
// "NL123456789B01" for "nl 1234.56.789.b01" or "BTW: NL123456789B01". It
// parses as [Parse] does and checks nothing more: a number with a wrong
// check digit normalizes without error. Use [Check] to know that a number
// is well formed.
func Normalize(s string) (string, error) {
	n, err := Parse(s)
	if err != nil {
		return "", err
	}
	return n.String(), nil
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool { return s != "" && strings.TrimLeft(s, "0123456789") == "" }
