package webshop

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// splitStreet splits a street line written street-first, the Dutch, Belgian
// and German way, into street, house number and suffix:
//
//	"Kerkstraat 12a"               → "Kerkstraat", "12", "a"
//	"Laan van Meerdervoort 1013 B" → "Laan van Meerdervoort", "1013", "B"
//	"Straat 5-7"                   → "Straat", "5", "7"
//	"Rue de la Loi 16 bus 2"       → "Rue de la Loi", "16", "bus 2"
//	"2e Helmersstraat 7 hs"        → "2e Helmersstraat", "7", "hs"
//
// The house number is the leading digits of a word that starts with a digit
// and follows text containing a letter; the suffix is the rest of the line,
// without a leading "-", "/" or ",". The first such word whose suffix is
// short (at most 3 words, 12 characters) wins, else the last one, so
// "Appartement 4, Kerkstraat 12" keeps "Appartement 4, Kerkstraat" as the
// street. A street name with a number in it followed by the house number
// ("Plein 1940-1945 12") is split at the first number; that is rare enough to
// accept. A line with no such number ("Test"), or written number-first
// ("969 Market", "221,Baker-street (e)"), comes back whole as the street:
// later stages write street, number and suffix in that order, so splitting a
// number-first address would reorder it.
func splitStreet(line string) (street, number, suffix string) {
	line = strings.TrimSpace(line)
	words := strings.Fields(line)
	found := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		if !isDigit(w[0]) {
			continue
		}
		st := strings.TrimRight(strings.Join(words[:i], " "), ",")
		if !strings.ContainsFunc(st, unicode.IsLetter) {
			continue
		}
		n := 1
		for n < len(w) && isDigit(w[n]) {
			n++
		}
		rest := w[n:]
		if i+1 < len(words) {
			rest += " " + strings.Join(words[i+1:], " ")
		}
		rest = strings.TrimSpace(strings.TrimLeft(rest, "-/, "))
		street, number, suffix, found = st, w[:n], rest, true
		if len(strings.Fields(rest)) <= 3 && utf8.RuneCountInString(rest) <= 12 {
			return street, number, suffix
		}
	}
	if found {
		return street, number, suffix // the last candidate
	}
	return line, "", ""
}

// splitStreetLines splits Magento's street array. Most shops put the whole
// street line first and extra lines after it ("Kerkstraat 12a", "2e etage");
// the first line is split with [splitStreet] and the rest is joined into
// address_line2 with ", ". Dutch shops often configure three street lines
// instead: street, house number, suffix. When the second line is only digits
// that convention is assumed, and lines after the third go to address_line2.
func splitStreetLines(lines []string) (street, number, suffix, line2 string) {
	var ls []string
	for _, l := range lines {
		ls = append(ls, strings.TrimSpace(l))
	}
	for len(ls) > 0 && ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	switch {
	case len(ls) == 0:
		return "", "", "", ""
	case len(ls) >= 2 && isDigits(ls[1]):
		street, number = ls[0], ls[1]
		if len(ls) >= 3 {
			suffix = strings.TrimLeft(ls[2], "-/ ")
			line2 = joinNonEmpty(ls[3:], ", ")
		}
		return street, number, suffix, line2
	default:
		street, number, suffix = splitStreet(ls[0])
		return street, number, suffix, joinNonEmpty(ls[1:], ", ")
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func joinNonEmpty(parts []string, sep string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

// emptyAddress reports whether a carries nothing at all, as WooCommerce's
// all-empty shipping address of a virtual or admin-created order.
func emptyAddress(a *koppelv1.Address) bool {
	return a.GetFirstName() == "" && a.GetLastName() == "" && a.GetCompany() == "" &&
		a.GetStreet() == "" && a.GetHouseNumber() == "" && a.GetHouseNumberSuffix() == "" &&
		a.GetAddressLine2() == "" && a.GetPostcode() == "" && a.GetCity() == "" &&
		a.GetRegion() == "" && a.GetCountry() == "" && a.GetEmail() == "" && a.GetPhone() == ""
}
