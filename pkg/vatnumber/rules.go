package vatnumber

import (
	"strconv"
	"strings"
	"time"
)

// A rule is one member state's format and check for the national part of
// its VAT numbers.
type rule struct {
	// format completes "a VAT number of <member state> is …".
	format string
	// check returns nil for a well-formed body, else what is wrong. It is
	// called with a body of upper-case letters, digits, + and * only.
	check func(body string) *problem
}

// rules holds the rule of every member state, by VAT prefix.
var rules = map[string]rule{
	"AT": {"AT, the letter U and 8 digits, as ATU12345675", checkAT},
	"BE": {"BE and 10 digits starting with 0 or 1, as BE0123456749", checkBE},
	"BG": {"BG and 9 or 10 digits, as BG123456786", checkBG},
	"CY": {"CY, 8 digits and a letter, as CY10259033P", checkCY},
	"CZ": {"CZ and 8, 9 or 10 digits, as CZ12345679", checkCZ},
	"DE": {"DE and 9 digits, not starting with 0, as DE123456788", mod11_10Rule(9, true)},
	"DK": {"DK and 8 digits, not starting with 0, as DK12345674", weightedRule(8, true, 11, 2, 7, 6, 5, 4, 3, 2, 1)},
	"EE": {"EE and 9 digits, as EE101234568", weightedRule(9, false, 10, 3, 7, 1, 3, 7, 1, 3, 7, 1)},
	"EL": {"EL and 9 digits, as EL123456783", checkEL},
	"ES": {"ES and 9 characters, a letter or digit first and last and 7 digits between, as ESB12345674", checkES},
	"FI": {"FI and 8 digits, as FI12345671", weightedRule(8, false, 11, 7, 9, 10, 5, 8, 4, 2, 1)},
	"FR": {"FR, 2 check characters and the 9-digit SIREN, as FR40303265045", checkFR},
	"HR": {"HR and 11 digits, as HR12345678903", mod11_10Rule(11, false)},
	"HU": {"HU and 8 digits, as HU12345676", weightedRule(8, false, 10, 9, 7, 3, 1, 9, 7, 3, 1)},
	"IE": {"IE, 7 digits and 1 or 2 letters, as IE1234567T or IE1234567FA", checkIE},
	"IT": {"IT and 11 digits, as IT12345670017", checkIT},
	"LT": {"LT and 9 or 12 digits, as LT123456715", checkLT},
	"LU": {"LU and 8 digits, as LU12345613", checkLU},
	"LV": {"LV and 11 digits, as LV40003009497", checkLV},
	"MT": {"MT and 8 digits, not starting with 0, as MT12345634", weightedRule(8, true, 37, 3, 4, 6, 7, 8, 9, 10, 1)},
	"NL": {"NL, 9 digits, the letter B and 2 digits, as NL123456782B01", checkNL},
	"PL": {"PL and 10 digits, as PL1234567883", checkPL},
	"PT": {"PT and 9 digits, not starting with 0, as PT123456789", checkPT},
	"RO": {"RO and 2 to 10 digits, not starting with 0, as RO1234567897", checkRO},
	"SE": {"SE and 12 digits ending in 01, as SE123456789701", checkSE},
	"SI": {"SI and 8 digits, not starting with 0, as SI12345679", checkSI},
	"SK": {"SK and 10 digits, as SK1234567895", checkSK},
}

// wrongForm is the problem of a body of the wrong length or characters;
// the caller words it from the rule's format.
var wrongForm = badFormat("")

// digitsOK is the start of most rules: exactly n digits, not
// starting with 0 when noZero.
func digitsOK(b string, n int, noZero bool) bool {
	return len(b) == n && allDigits(b) && !(noZero && b[0] == '0')
}

// weightedRule is the rule of n digits whose sum weighted by weights is a
// multiple of m.
func weightedRule(n int, noZero bool, m int, weights ...int) func(string) *problem {
	return func(b string) *problem {
		if !digitsOK(b, n, noZero) {
			return wrongForm
		}
		if weightedSum(b, weights...)%m != 0 {
			return badCheck("")
		}
		return nil
	}
}

// mod11_10Rule is the rule of n digits of which the last is the ISO/IEC
// 7064 MOD 11,10 check digit of the others.
func mod11_10Rule(n int, noZero bool) func(string) *problem {
	return func(b string) *problem {
		if !digitsOK(b, n, noZero) {
			return wrongForm
		}
		if mod11_10CheckDigit(b[:n-1]) != digit(b, n-1) {
			return badCheck("")
		}
		return nil
	}
}

func checkAT(b string) *problem {
	if len(b) != 9 || b[0] != 'U' || !allDigits(b[1:]) {
		return wrongForm
	}
	d := b[1:]
	sum := 0
	for i := 0; i < 7; i++ {
		v := digit(d, i)
		if i%2 == 1 { // the 2nd, 4th and 6th digit count doubled, digit sum
			v = 2*v/10 + 2*v%10
		}
		sum += v
	}
	if mod(-(sum+4), 10) != digit(d, 7) {
		return badCheck("")
	}
	return nil
}

func checkBE(b string) *problem {
	if !digitsOK(b, 10, false) {
		return wrongForm
	}
	if b[0] != '0' && b[0] != '1' {
		return badFormat("a VAT number of Belgium starts with 0 or 1 after BE")
	}
	if strings.Trim(b, "0") == "" {
		return wrongForm
	}
	if 97-mod97(b[:8]) != atoi(b[8:]) {
		return badCheck("")
	}
	return nil
}

func checkBG(b string) *problem {
	if !allDigits(b) {
		return wrongForm
	}
	switch len(b) {
	case 9: // a legal entity
		s := 0
		for i := 0; i < 8; i++ {
			s += (i + 1) * digit(b, i)
		}
		if s%11 == 10 {
			s = 0
			for i := 0; i < 8; i++ {
				s += (i + 3) * digit(b, i)
			}
		}
		if s%11%10 != digit(b, 8) {
			return badCheck("")
		}
		return nil
	case 10: // a person (EGN), a foreigner (LNCh) or another taxable person
		if bgPersonValid(b) || bgForeignerValid(b) || bgOtherValid(b) {
			return nil
		}
		return badCheck("")
	}
	return wrongForm
}

// bgPersonValid checks a 10-digit Bulgarian personal number (EGN): a birth
// date YYMMDD (month +20 for the 1800s, +40 for the 2000s) and a check
// digit.
func bgPersonValid(b string) bool {
	year, month, day := 1900+atoi(b[0:2]), atoi(b[2:4]), atoi(b[4:6])
	switch {
	case month > 40:
		year, month = year+100, month-40
	case month > 20:
		year, month = year-100, month-20
	}
	if !validDate(year, month, day) {
		return false
	}
	return weightedSum(b, 2, 4, 8, 5, 10, 9, 7, 3, 6)%11%10 == digit(b, 9)
}

// bgForeignerValid checks a 10-digit Bulgarian number of a foreigner.
func bgForeignerValid(b string) bool {
	return weightedSum(b, 21, 19, 17, 13, 11, 9, 7, 3, 1)%10 == digit(b, 9)
}

// bgOtherValid checks a 10-digit Bulgarian number of another taxable
// person; a computed check of 10 matches no digit.
func bgOtherValid(b string) bool {
	return mod(-weightedSum(b, 4, 3, 2, 7, 6, 5, 4, 3, 2), 11) == digit(b, 9)
}

// cyOdd is what a digit in an odd position (1st, 3rd, …) of a Cypriot
// number counts for.
var cyOdd = [10]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21}

func checkCY(b string) *problem {
	if len(b) != 9 || !allDigits(b[:8]) || !isUpper(b[8]) {
		return wrongForm
	}
	if b[:2] == "12" {
		return badFormat("a VAT number of Cyprus does not start with 12 after CY")
	}
	sum := 0
	for i := 0; i < 8; i++ {
		if i%2 == 0 {
			sum += cyOdd[digit(b, i)]
		} else {
			sum += digit(b, i)
		}
	}
	if byte('A'+sum%26) != b[8] {
		return badCheck("check letter does not match")
	}
	return nil
}

func checkCZ(b string) *problem {
	if !allDigits(b) {
		return wrongForm
	}
	switch {
	case len(b) == 8: // a legal entity
		if b[0] == '9' {
			return badFormat("a VAT number of Czechia of 8 digits does not start with 9")
		}
		c := mod(-weightedSum(b, 8, 7, 6, 5, 4, 3, 2), 11)
		if c == 0 {
			c = 1
		}
		if c%10 != digit(b, 7) {
			return badCheck("")
		}
		return nil
	case len(b) == 9 && b[0] == '6': // a special case for individuals
		x := weightedSum(b[1:], 8, 7, 6, 5, 4, 3, 2) % 11
		if mod(8-mod(10-x, 11), 10) != digit(b, 8) {
			return badCheck("")
		}
		return nil
	case len(b) == 9 || len(b) == 10: // an individual's birth number
		return birthNumber(b, "Czechia")
	}
	return wrongForm
}

// birthNumber checks a Czech or Slovak birth number (rodné číslo): YYMMDD,
// with 50 added to the month for women and 20 more when the serials ran
// out, then 3 digits (until 1953) or 4 digits of which the whole number is
// divisible by 11 (its first 9 digits leaving 10 then end in 0).
func birthNumber(b, state string) *problem {
	year := 1900 + atoi(b[0:2])
	month := atoi(b[2:4]) % 50 % 20
	day := atoi(b[4:6])
	if len(b) == 9 {
		if year >= 1980 {
			year -= 100
		}
		if year > 1953 {
			return badFormat("a VAT number of " + state + " of 9 digits holds a birth date before 1954")
		}
	} else if year < 1954 {
		year += 100
	}
	if !validDate(year, month, day) {
		return badFormat("the birth date in this VAT number of " + state + " does not exist")
	}
	if len(b) == 10 {
		n, _ := strconv.ParseInt(b[:9], 10, 64)
		if int(n%11%10) != digit(b, 9) {
			return badCheck("")
		}
	}
	return nil
}

func checkEL(b string) *problem {
	if !digitsOK(b, 9, false) {
		return wrongForm
	}
	if weightedSum(b, 256, 128, 64, 32, 16, 8, 4, 2)%11%10 != digit(b, 8) {
		return badCheck("")
	}
	return nil
}

// dniLetters are the check letters of Spanish personal numbers, by the
// number modulo 23.
const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// esEntityTypes are the first letters of Spanish numbers of legal entities
// and other organisations (CIF).
const esEntityTypes = "ABCDEFGHJNPQRSUVW"

func checkES(b string) *problem {
	if len(b) != 9 || !allDigits(b[1:8]) {
		return wrongForm
	}
	first, last := b[0], b[8]
	var digits string
	switch {
	case isDigit(first): // a Spaniard: DNI, 8 digits and a letter
		digits = b[:8]
	case strings.IndexByte("KLM", first) >= 0: // Spaniards without DNI, foreigners without NIE
		digits = b[1:8]
	case strings.IndexByte("XYZ", first) >= 0: // a foreigner: NIE, X, Y, Z count as 0, 1, 2
		digits = string('0'+first-'X') + b[1:8]
	case strings.IndexByte(esEntityTypes, first) >= 0: // an organisation: CIF
		c := luhnCheckDigit(b[1:8])
		if !isDigit(last) && !isUpper(last) {
			return wrongForm
		}
		if last != byte('0'+c) && last != "JABCDEFGHI"[c] {
			return badCheck("")
		}
		return nil
	default:
		return badFormat("a VAT number of Spain does not start with the letter " + string(first))
	}
	if !isUpper(last) {
		return badFormat("a VAT number of Spain of a person ends in a letter")
	}
	if dniLetters[atoi(digits)%23] != last {
		return badCheck("check letter does not match")
	}
	return nil
}

// frKeyAlphabet are the characters of a French check key: digits and the
// letters other than I and O.
const frKeyAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

func checkFR(b string) *problem {
	if len(b) != 11 || !allDigits(b[2:]) ||
		strings.IndexByte(frKeyAlphabet, b[0]) < 0 || strings.IndexByte(frKeyAlphabet, b[1]) < 0 {
		return wrongForm
	}
	siren := b[2:]
	// A SIREN has a Luhn check digit; numbers from Monaco, whose SIREN
	// part starts with 000, have none.
	if !strings.HasPrefix(siren, "000") && !luhnValid(siren) {
		return badCheck("the SIREN's check digit does not match")
	}
	if isDigit(b[0]) && isDigit(b[1]) {
		if mod97(siren+"12") != atoi(b[:2]) {
			return badCheck("")
		}
		return nil
	}
	// The newer key of letters and digits.
	k0, k1 := strings.IndexByte(frKeyAlphabet, b[0]), strings.IndexByte(frKeyAlphabet, b[1])
	var c int
	if isDigit(b[0]) {
		c = k0*24 + k1 - 10
	} else {
		c = k0*34 + k1 - 100
	}
	n, _ := strconv.Atoi(siren)
	if (n+1+c/11)%11 != c%11 {
		return badCheck("")
	}
	return nil
}

// ieLetters are the Irish check letters by value; the second letter of a
// 9-character number counts with its value too.
const ieLetters = "WABCDEFGHIJKLMNOPQRSTUV"

func checkIE(b string) *problem {
	if (len(b) != 8 && len(b) != 9) || !isDigit(b[0]) || strings.IndexByte(ieLetters, b[7]) < 0 {
		return wrongForm
	}
	var digits string
	extra := 0
	switch {
	case allDigits(b[:7]): // the current form: 7 digits, check letter, maybe a second letter
		digits = b[:7]
		if len(b) == 9 {
			extra = strings.IndexByte(ieLetters, b[8])
			if extra < 0 {
				return wrongForm
			}
		}
	case len(b) == 8 && (isUpper(b[1]) || b[1] == '+' || b[1] == '*') && allDigits(b[2:7]):
		// the old form: digit, letter or + or *, 5 digits, check letter;
		// it counts as 0, the 5 digits and the first digit
		digits = "0" + b[2:7] + b[:1]
	default:
		return wrongForm
	}
	sum := 9 * extra
	for i := 0; i < 7; i++ {
		sum += (8 - i) * digit(digits, i)
	}
	if ieLetters[sum%23] != b[7] {
		return badCheck("check letter does not match")
	}
	return nil
}

func checkIT(b string) *problem {
	if len(b) != 11 || !allDigits(b) || b[:7] == "0000000" {
		return wrongForm
	}
	office := b[7:10]
	if (office < "001" || office > "100") && office != "120" && office != "121" && office != "888" && office != "999" {
		return badFormat("the tax office code " + office + " in this VAT number of Italy does not exist")
	}
	if !luhnValid(b) {
		return badCheck("")
	}
	return nil
}

func checkLT(b string) *problem {
	if !allDigits(b) || !(len(b) == 9 && b[7] == '1' || len(b) == 12 && b[10] == '1') {
		return wrongForm
	}
	n := len(b) - 1
	sum := 0
	for i := 0; i < n; i++ {
		sum += (1 + i%9) * digit(b, i)
	}
	if sum%11 == 10 {
		sum = 0
		for i := 0; i < n; i++ {
			sum += (1 + (i+2)%9) * digit(b, i)
		}
	}
	if sum%11%10 != digit(b, n) {
		return badCheck("")
	}
	return nil
}

func checkLU(b string) *problem {
	if !digitsOK(b, 8, false) {
		return wrongForm
	}
	if atoi(b[:6])%89 != atoi(b[6:]) {
		return badCheck("")
	}
	return nil
}

func checkLV(b string) *problem {
	if !digitsOK(b, 11, false) {
		return wrongForm
	}
	if b[0] > '3' { // a legal entity
		if weightedSum(b, 9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1)%11 != 3 {
			return badCheck("")
		}
		return nil
	}
	// A person: DDMMYY and a century digit (0 for the 1800s, 1 for the
	// 1900s, 2 for the 2000s), or 32 and no date for codes issued from
	// July 2017.
	if !strings.HasPrefix(b, "32") {
		year := 1800 + 100*digit(b, 6) + atoi(b[4:6])
		if !validDate(year, atoi(b[2:4]), atoi(b[0:2])) {
			return badFormat("the birth date in this VAT number of Latvia does not exist")
		}
	}
	if (1+weightedSum(b, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9))%11%10 != digit(b, 10) {
		return badCheck("")
	}
	return nil
}

func checkNL(b string) *problem {
	if len(b) != 12 || !allDigits(b[:9]) || b[9] != 'B' || !allDigits(b[10:]) {
		return wrongForm
	}
	if b[:9] == "000000000" || b[10:] == "00" {
		return wrongForm
	}
	// Numbers issued before 2020 (and still to legal entities) carry the
	// RSIN or BSN, which passes the 11-test: 9×d1 + 8×d2 + … + 2×d8 − d9
	// is a multiple of 11. Numbers issued to sole proprietors since
	// 1 January 2020 instead pass ISO 7064 MOD 97-10 over the whole
	// number, letters counted as A=10 … Z=35.
	elevenTest := mod(weightedSum(b, 9, 8, 7, 6, 5, 4, 3, 2)-digit(b, 8), 11) == 0
	if !elevenTest && mod97(lettersToDigits("NL"+b)) != 1 {
		return badCheck("")
	}
	return nil
}

func checkPL(b string) *problem {
	if !digitsOK(b, 10, false) {
		return wrongForm
	}
	if weightedSum(b, 6, 5, 7, 2, 3, 4, 5, 6, 7)%11 != digit(b, 9) {
		return badCheck("")
	}
	return nil
}

func checkPT(b string) *problem {
	if !digitsOK(b, 9, true) {
		return wrongForm
	}
	if mod(-weightedSum(b, 9, 8, 7, 6, 5, 4, 3, 2), 11)%10 != digit(b, 8) {
		return badCheck("")
	}
	return nil
}

func checkRO(b string) *problem {
	if len(b) < 2 || len(b) > 10 || !allDigits(b) || b[0] == '0' {
		return wrongForm
	}
	n := len(b) - 1
	padded := strings.Repeat("0", 9-n) + b[:n]
	if 10*weightedSum(padded, 7, 5, 3, 2, 1, 7, 5, 3, 2)%11%10 != digit(b, n) {
		return badCheck("")
	}
	return nil
}

func checkSE(b string) *problem {
	if len(b) != 12 || !allDigits(b) || b[10:] != "01" {
		return wrongForm
	}
	if !luhnValid(b[:10]) {
		return badCheck("")
	}
	return nil
}

func checkSI(b string) *problem {
	if !digitsOK(b, 8, true) {
		return wrongForm
	}
	c := 11 - weightedSum(b, 8, 7, 6, 5, 4, 3, 2)%11
	if c == 10 {
		c = 0
	}
	if c != digit(b, 7) { // a computed 11 matches no digit
		return badCheck("")
	}
	return nil
}

func checkSK(b string) *problem {
	if !digitsOK(b, 10, false) {
		return wrongForm
	}
	// An individual may use the birth number.
	if birthNumber(b, "Slovakia") == nil {
		return nil
	}
	if b[0] == '0' || strings.IndexByte("234789", b[2]) < 0 {
		return badFormat("a VAT number of Slovakia has 2, 3, 4, 7, 8 or 9 as its third digit")
	}
	n, _ := strconv.ParseInt(b, 10, 64)
	if n%11 != 0 {
		return badCheck("")
	}
	return nil
}

// atoi returns the value of a short string of ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + digit(s, i)
	}
	return n
}

// validDate reports whether year-month-day is a date of the calendar.
func validDate(year, month, day int) bool {
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t.Day() == day && t.Month() == time.Month(month)
}
