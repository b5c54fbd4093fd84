package vatnumber

import "strings"

// Check parses s as [Parse] does and checks it against the format and the
// check-digit rule of its member state. When country (an ISO 3166-1 alpha-2
// code in any case; "EL" is taken for "GR") is not empty, the number must
// belong to that member state, and a number typed without its prefix, such
// as "123456789B01" for country "NL", gets that member state's prefix. (A
// French number whose check key is two letters needs its prefix FR.)
//
// On success Check returns the number in canonical form; on failure an
// *[Error] of kind [ErrFormat], [ErrCheckDigit], [ErrCountry] or
// [ErrNotEU]. A number Check accepts may still not be issued: only
// [VIES.Check] knows.
//
// The rules, for the national part after the prefix:
//
//   - AT: U and 8 digits; the 2nd, 4th and 6th digit count with the digit
//     sum of their double, and the 8th is (10 − (sum + 4) mod 10) mod 10.
//   - BE: 10 digits starting with 0 or 1 (the old 9 digits get a leading
//     0); the last two are 97 − (the first eight mod 97).
//   - BG: 9 digits (legal entity: weights 1…8, or 3…10 when that leaves
//     10, mod 11, mod 10) or 10 digits (a personal number EGN with a valid
//     birth date and weights 2 4 8 5 10 9 7 3 6 mod 11 mod 10, a
//     foreigner's number with weights 21 19 17 13 11 9 7 3 1 mod 10, or
//     another with weights 4 3 2 7 6 5 4 3 2 and 11 − sum mod 11).
//   - CY: 8 digits, not starting with 12, and a letter: A + (the sum of the
//     odd-placed digits mapped 0→1 1→0 2→5 3→7 4→9 5→13 6→15 7→17 8→19
//     9→21 and the even-placed digits) mod 26.
//   - CZ: 8 digits, not starting with 9 (weights 8…2, (−sum) mod 11 with 0
//     read as 1, mod 10); 9 digits starting with 6 (a special scheme over
//     digits 2 to 8); or a birth number of 9 or 10 digits with a valid
//     date, the 10-digit one divisible by 11.
//   - DE: 9 digits, not starting with 0, ISO 7064 MOD 11,10.
//   - DK: 8 digits, not starting with 0, weights 2 7 6 5 4 3 2 1, mod 11 = 0.
//   - EE: 9 digits, weights 3 7 1 3 7 1 3 7 1, mod 10 = 0.
//   - EL: 9 digits (the old 8 get a leading 0); the first eight weighted
//     256 128 … 2, mod 11, mod 10, give the ninth.
//   - ES: 9 characters with 7 digits in the middle: a DNI (8 digits and a
//     letter), a NIE (X, Y or Z as 0, 1, 2), K, L or M and the DNI letter
//     of the 7 digits, each letter TRWAGMYFPDXBNJZSQVHLCKE[n mod 23]; or an
//     organisation (A–H, J, N, P–S, U–W) whose last character is the Luhn
//     check digit of the 7 digits or its letter in JABCDEFGHI.
//   - FI: 8 digits, weights 7 9 10 5 8 4 2 1, mod 11 = 0.
//   - FR: a 2-character key and the SIREN (9 digits, Luhn; except Monaco's
//     000…); a numeric key is (SIREN × 100 + 12) mod 97; a key with letters
//     follows the newer scheme.
//   - HR: 11 digits (OIB), ISO 7064 MOD 11,10.
//   - HU: 8 digits, weights 9 7 3 1 9 7 3 1, mod 10 = 0.
//   - IE: 7 digits, a check letter and optionally a second letter (W, A…),
//     or the old form digit, letter (or + or *), 5 digits, letter; the
//     check letter is WABCDEFGHIJKLMNOPQRSTUV[(weights 8…2 over the
//     digits + 9 × the second letter's value) mod 23].
//   - IT: 11 digits, the first seven not all 0, a tax-office code
//     (digits 8–10) of 001–100, 120, 121, 888 or 999, Luhn.
//   - LT: 9 digits with 1 as the 8th, or 12 with 1 as the 11th; weights
//     1…9,1… mod 11, or 3…9,1… when that leaves 10; mod 10.
//   - LU: 8 digits; the first six mod 89 are the last two.
//   - LV: 11 digits; a legal entity (first digit above 3) has weights
//     9 1 4 8 3 10 2 5 7 6 1 with sum mod 11 = 3; a person has a valid
//     birth date (or starts with 32) and (1 + weights 10 5 8 4 2 1 6 3 7 9)
//     mod 11 mod 10 as the last digit.
//   - MT: 8 digits, not starting with 0, weights 3 4 6 7 8 9 10 1, mod 37 = 0.
//   - NL: 9 digits, B and 2 digits (not 00); the 9 digits pass the 11-test
//     (9×d1 + … + 2×d8 − d9 ≡ 0 mod 11), or, for numbers issued to sole
//     proprietors since 2020, the whole number "NL…B.." passes ISO 7064
//     MOD 97-10 (letters as 10…35).
//   - PL: 10 digits, weights 6 5 7 2 3 4 5 6 7 mod 11 give the 10th.
//   - PT: 9 digits, not starting with 0, weights 9…2, (−sum) mod 11 mod 10.
//   - RO: 2 to 10 digits, not starting with 0; the others padded to 9
//     with weights 7 5 3 2 1 7 5 3 2, × 10 mod 11 mod 10, give the last.
//   - SE: 12 digits ending in 01; the first 10 pass Luhn.
//   - SI: 8 digits, not starting with 0, weights 8…2, 11 − sum mod 11
//     (10 read as 0, 11 invalid).
//   - SK: 10 digits, a birth number, or not starting with 0, with 2, 3, 4,
//     7, 8 or 9 as the third digit and divisible by 11.
//
// Not independently confirmed (taken from python-stdnum's notes, which
// say so themselves or give no primary source): the Latvian personal-code
// check, the French letter-key scheme, the Czech special 9-digit scheme,
// the Bulgarian 10-digit variants and the letters allowed as the second
// Irish letter. Numbers in those variants are rare among webshop
// customers; a false refusal there costs a manual correction, not money.
func Check(s, country string) (Number, error) {
	want := strings.ToUpper(strings.TrimSpace(country))
	if want == "EL" {
		want = "GR"
	}
	if want != "" && byCountry[want] == nil {
		return Number{}, &Error{Number: stripLabel(clean(s)), Reason: want + " is not an EU member state", Kind: ErrNotEU}
	}
	if want != "" {
		if c := stripLabel(clean(s)); c != "" && !(len(c) >= 2 && isUpper(c[0]) && isUpper(c[1])) {
			s = byCountry[want].prefix + c
		}
	}
	n, err := Parse(s)
	if err != nil {
		return Number{}, err
	}
	if want != "" && n.Country != want {
		return Number{}, &Error{
			Number: n.String(),
			Reason: "a VAT number of " + countryName(n.Country) + ", not of " + countryName(want),
			Kind:   ErrCountry,
		}
	}
	r := rules[n.Prefix]
	if p := r.check(n.Body); p != nil {
		reason := p.reason
		switch {
		case reason != "":
		case p.kind == ErrCheckDigit:
			reason = "check digit does not match"
		default:
			reason = "not the form of a VAT number of " + countryName(n.Country) + ", which is " + r.format
		}
		return Number{}, &Error{Number: n.String(), Reason: reason, Kind: p.kind}
	}
	return n, nil
}
