package vatnumber

import "strings"

// A memberState is one of the 27 EU member states as far as VAT numbers go.
type memberState struct {
	country string // ISO 3166-1 alpha-2 code
	prefix  string // VAT prefix; differs from country only for Greece
	name    string // English short name, for messages
}

// memberStates lists the member states in order of their VAT prefix.
var memberStates = []memberState{
	{"AT", "AT", "Austria"},
	{"BE", "BE", "Belgium"},
	{"BG", "BG", "Bulgaria"},
	{"CY", "CY", "Cyprus"},
	{"CZ", "CZ", "Czechia"},
	{"DE", "DE", "Germany"},
	{"DK", "DK", "Denmark"},
	{"EE", "EE", "Estonia"},
	{"GR", "EL", "Greece"},
	{"ES", "ES", "Spain"},
	{"FI", "FI", "Finland"},
	{"FR", "FR", "France"},
	{"HR", "HR", "Croatia"},
	{"HU", "HU", "Hungary"},
	{"IE", "IE", "Ireland"},
	{"IT", "IT", "Italy"},
	{"LT", "LT", "Lithuania"},
	{"LU", "LU", "Luxembourg"},
	{"LV", "LV", "Latvia"},
	{"MT", "MT", "Malta"},
	{"NL", "NL", "the Netherlands"},
	{"PL", "PL", "Poland"},
	{"PT", "PT", "Portugal"},
	{"RO", "RO", "Romania"},
	{"SE", "SE", "Sweden"},
	{"SI", "SI", "Slovenia"},
	{"SK", "SK", "Slovakia"},
}

var (
	byCountry = make(map[string]*memberState, len(memberStates))
	byPrefix  = make(map[string]*memberState, len(memberStates))
)

func init() {
	for i := range memberStates {
		ms := &memberStates[i]
		byCountry[ms.country] = ms
		byPrefix[ms.prefix] = ms
	}
}

// IsEU reports whether country, an ISO 3166-1 alpha-2 code in any case, is
// an EU member state. The VAT prefix EL is not an ISO code: IsEU("EL") is
// false and IsEU("GR") is true.
func IsEU(country string) bool {
	return byCountry[strings.ToUpper(strings.TrimSpace(country))] != nil
}

// Prefix returns the VAT-number prefix of a member state given by its ISO
// 3166-1 alpha-2 code in any case: the code itself, except "EL" for Greece
// ("GR"). It returns "" when country is not a member state.
func Prefix(country string) string {
	if ms := byCountry[strings.ToUpper(strings.TrimSpace(country))]; ms != nil {
		return ms.prefix
	}
	return ""
}

// Country returns the ISO 3166-1 alpha-2 code of the member state whose
// VAT numbers carry prefix (in any case): the prefix itself, except "GR"
// for "EL". It returns "" when prefix belongs to no member state.
func Country(prefix string) string {
	if ms := byPrefix[strings.ToUpper(strings.TrimSpace(prefix))]; ms != nil {
		return ms.country
	}
	return ""
}

// countryName returns the English name of a member state or the code
// itself for anything else.
func countryName(country string) string {
	if ms := byCountry[country]; ms != nil {
		return ms.name
	}
	return country
}
