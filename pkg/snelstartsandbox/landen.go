package snelstartsandbox

import (
	"fmt"

	"github.com/koppel/koppel/pkg/snelstart"
)

// SnelStart's GET /v2/landen lists about 250 countries, every one of ISO
// 3166-1 (snelstart-api.md §2.3, §8.2: "returns all ~250 countries"), with
// landcode the alpha-2 and landcodeISO the alpha-3 code. A seed without
// landen gets this list. The codes are ISO 3166-1's (249 entries); the names
// are the usual Dutch ones. SnelStart's own spelling of each name, and the
// order in which it lists them, are UNCONFIRMED.

// An isoLand is one country of ISO 3166-1.
type isoLand struct {
	alpha2, alpha3, naam string
}

// isoLanden holds every country of ISO 3166-1. The first sixteen are the
// countries the default seed has always had, in its order and with its ids
// (see landID); the rest follow by alpha-2 code.
var isoLanden = []isoLand{
	{"NL", "NLD", "Nederland"},
	{"BE", "BEL", "België"},
	{"DE", "DEU", "Duitsland"},
	{"FR", "FRA", "Frankrijk"},
	{"LU", "LUX", "Luxemburg"},
	{"AT", "AUT", "Oostenrijk"},
	{"ES", "ESP", "Spanje"},
	{"IT", "ITA", "Italië"},
	{"DK", "DNK", "Denemarken"},
	{"SE", "SWE", "Zweden"},
	{"PL", "POL", "Polen"},
	{"IE", "IRL", "Ierland"},
	{"PT", "PRT", "Portugal"},
	{"CH", "CHE", "Zwitserland"},
	{"GB", "GBR", "Verenigd Koninkrijk"},
	{"US", "USA", "Verenigde Staten"},
	{"AD", "AND", "Andorra"},
	{"AE", "ARE", "Verenigde Arabische Emiraten"},
	{"AF", "AFG", "Afghanistan"},
	{"AG", "ATG", "Antigua en Barbuda"},
	{"AI", "AIA", "Anguilla"},
	{"AL", "ALB", "Albanië"},
	{"AM", "ARM", "Armenië"},
	{"AO", "AGO", "Angola"},
	{"AQ", "ATA", "Antarctica"},
	{"AR", "ARG", "Argentinië"},
	{"AS", "ASM", "Amerikaans-Samoa"},
	{"AU", "AUS", "Australië"},
	{"AW", "ABW", "Aruba"},
	{"AX", "ALA", "Ålandseilanden"},
	{"AZ", "AZE", "Azerbeidzjan"},
	{"BA", "BIH", "Bosnië en Herzegovina"},
	{"BB", "BRB", "Barbados"},
	{"BD", "BGD", "Bangladesh"},
	{"BF", "BFA", "Burkina Faso"},
	{"BG", "BGR", "Bulgarije"},
	{"BH", "BHR", "Bahrein"},
	{"BI", "BDI", "Burundi"},
	{"BJ", "BEN", "Benin"},
	{"BL", "BLM", "Saint-Barthélemy"},
	{"BM", "BMU", "Bermuda"},
	{"BN", "BRN", "Brunei"},
	{"BO", "BOL", "Bolivia"},
	{"BQ", "BES", "Bonaire, Sint Eustatius en Saba"},
	{"BR", "BRA", "Brazilië"},
	{"BS", "BHS", "Bahama's"},
	{"BT", "BTN", "Bhutan"},
	{"BV", "BVT", "Bouveteiland"},
	{"BW", "BWA", "Botswana"},
	{"BY", "BLR", "Belarus"},
	{"BZ", "BLZ", "Belize"},
	{"CA", "CAN", "Canada"},
	{"CC", "CCK", "Cocoseilanden"},
	{"CD", "COD", "Congo-Kinshasa"},
	{"CF", "CAF", "Centraal-Afrikaanse Republiek"},
	{"CG", "COG", "Congo-Brazzaville"},
	{"CI", "CIV", "Ivoorkust"},
	{"CK", "COK", "Cookeilanden"},
	{"CL", "CHL", "Chili"},
	{"CM", "CMR", "Kameroen"},
	{"CN", "CHN", "China"},
	{"CO", "COL", "Colombia"},
	{"CR", "CRI", "Costa Rica"},
	{"CU", "CUB", "Cuba"},
	{"CV", "CPV", "Kaapverdië"},
	{"CW", "CUW", "Curaçao"},
	{"CX", "CXR", "Christmaseiland"},
	{"CY", "CYP", "Cyprus"},
	{"CZ", "CZE", "Tsjechië"},
	{"DJ", "DJI", "Djibouti"},
	{"DM", "DMA", "Dominica"},
	{"DO", "DOM", "Dominicaanse Republiek"},
	{"DZ", "DZA", "Algerije"},
	{"EC", "ECU", "Ecuador"},
	{"EE", "EST", "Estland"},
	{"EG", "EGY", "Egypte"},
	{"EH", "ESH", "Westelijke Sahara"},
	{"ER", "ERI", "Eritrea"},
	{"ET", "ETH", "Ethiopië"},
	{"FI", "FIN", "Finland"},
	{"FJ", "FJI", "Fiji"},
	{"FK", "FLK", "Falklandeilanden"},
	{"FM", "FSM", "Micronesia"},
	{"FO", "FRO", "Faeröer"},
	{"GA", "GAB", "Gabon"},
	{"GD", "GRD", "Grenada"},
	{"GE", "GEO", "Georgië"},
	{"GF", "GUF", "Frans-Guyana"},
	{"GG", "GGY", "Guernsey"},
	{"GH", "GHA", "Ghana"},
	{"GI", "GIB", "Gibraltar"},
	{"GL", "GRL", "Groenland"},
	{"GM", "GMB", "Gambia"},
	{"GN", "GIN", "Guinee"},
	{"GP", "GLP", "Guadeloupe"},
	{"GQ", "GNQ", "Equatoriaal-Guinea"},
	{"GR", "GRC", "Griekenland"},
	{"GS", "SGS", "Zuid-Georgia en de Zuidelijke Sandwicheilanden"},
	{"GT", "GTM", "Guatemala"},
	{"GU", "GUM", "Guam"},
	{"GW", "GNB", "Guinee-Bissau"},
	{"GY", "GUY", "Guyana"},
	{"HK", "HKG", "Hongkong"},
	{"HM", "HMD", "Heardeiland en McDonaldeilanden"},
	{"HN", "HND", "Honduras"},
	{"HR", "HRV", "Kroatië"},
	{"HT", "HTI", "Haïti"},
	{"HU", "HUN", "Hongarije"},
	{"ID", "IDN", "Indonesië"},
	{"IL", "ISR", "Israël"},
	{"IM", "IMN", "Man"},
	{"IN", "IND", "India"},
	{"IO", "IOT", "Brits Indische Oceaanterritorium"},
	{"IQ", "IRQ", "Irak"},
	{"IR", "IRN", "Iran"},
	{"IS", "ISL", "IJsland"},
	{"JE", "JEY", "Jersey"},
	{"JM", "JAM", "Jamaica"},
	{"JO", "JOR", "Jordanië"},
	{"JP", "JPN", "Japan"},
	{"KE", "KEN", "Kenia"},
	{"KG", "KGZ", "Kirgizië"},
	{"KH", "KHM", "Cambodja"},
	{"KI", "KIR", "Kiribati"},
	{"KM", "COM", "Comoren"},
	{"KN", "KNA", "Saint Kitts en Nevis"},
	{"KP", "PRK", "Noord-Korea"},
	{"KR", "KOR", "Zuid-Korea"},
	{"KW", "KWT", "Koeweit"},
	{"KY", "CYM", "Kaaimaneilanden"},
	{"KZ", "KAZ", "Kazachstan"},
	{"LA", "LAO", "Laos"},
	{"LB", "LBN", "Libanon"},
	{"LC", "LCA", "Saint Lucia"},
	{"LI", "LIE", "Liechtenstein"},
	{"LK", "LKA", "Sri Lanka"},
	{"LR", "LBR", "Liberia"},
	{"LS", "LSO", "Lesotho"},
	{"LT", "LTU", "Litouwen"},
	{"LV", "LVA", "Letland"},
	{"LY", "LBY", "Libië"},
	{"MA", "MAR", "Marokko"},
	{"MC", "MCO", "Monaco"},
	{"MD", "MDA", "Moldavië"},
	{"ME", "MNE", "Montenegro"},
	{"MF", "MAF", "Sint-Maarten (Frans deel)"},
	{"MG", "MDG", "Madagaskar"},
	{"MH", "MHL", "Marshalleilanden"},
	{"MK", "MKD", "Noord-Macedonië"},
	{"ML", "MLI", "Mali"},
	{"MM", "MMR", "Myanmar"},
	{"MN", "MNG", "Mongolië"},
	{"MO", "MAC", "Macau"},
	{"MP", "MNP", "Noordelijke Marianen"},
	{"MQ", "MTQ", "Martinique"},
	{"MR", "MRT", "Mauritanië"},
	{"MS", "MSR", "Montserrat"},
	{"MT", "MLT", "Malta"},
	{"MU", "MUS", "Mauritius"},
	{"MV", "MDV", "Maldiven"},
	{"MW", "MWI", "Malawi"},
	{"MX", "MEX", "Mexico"},
	{"MY", "MYS", "Maleisië"},
	{"MZ", "MOZ", "Mozambique"},
	{"NA", "NAM", "Namibië"},
	{"NC", "NCL", "Nieuw-Caledonië"},
	{"NE", "NER", "Niger"},
	{"NF", "NFK", "Norfolkeiland"},
	{"NG", "NGA", "Nigeria"},
	{"NI", "NIC", "Nicaragua"},
	{"NO", "NOR", "Noorwegen"},
	{"NP", "NPL", "Nepal"},
	{"NR", "NRU", "Nauru"},
	{"NU", "NIU", "Niue"},
	{"NZ", "NZL", "Nieuw-Zeeland"},
	{"OM", "OMN", "Oman"},
	{"PA", "PAN", "Panama"},
	{"PE", "PER", "Peru"},
	{"PF", "PYF", "Frans-Polynesië"},
	{"PG", "PNG", "Papoea-Nieuw-Guinea"},
	{"PH", "PHL", "Filipijnen"},
	{"PK", "PAK", "Pakistan"},
	{"PM", "SPM", "Saint-Pierre en Miquelon"},
	{"PN", "PCN", "Pitcairneilanden"},
	{"PR", "PRI", "Puerto Rico"},
	{"PS", "PSE", "Palestina"},
	{"PW", "PLW", "Palau"},
	{"PY", "PRY", "Paraguay"},
	{"QA", "QAT", "Qatar"},
	{"RE", "REU", "Réunion"},
	{"RO", "ROU", "Roemenië"},
	{"RS", "SRB", "Servië"},
	{"RU", "RUS", "Rusland"},
	{"RW", "RWA", "Rwanda"},
	{"SA", "SAU", "Saoedi-Arabië"},
	{"SB", "SLB", "Salomonseilanden"},
	{"SC", "SYC", "Seychellen"},
	{"SD", "SDN", "Soedan"},
	{"SG", "SGP", "Singapore"},
	{"SH", "SHN", "Sint-Helena, Ascension en Tristan da Cunha"},
	{"SI", "SVN", "Slovenië"},
	{"SJ", "SJM", "Spitsbergen en Jan Mayen"},
	{"SK", "SVK", "Slowakije"},
	{"SL", "SLE", "Sierra Leone"},
	{"SM", "SMR", "San Marino"},
	{"SN", "SEN", "Senegal"},
	{"SO", "SOM", "Somalië"},
	{"SR", "SUR", "Suriname"},
	{"SS", "SSD", "Zuid-Soedan"},
	{"ST", "STP", "Sao Tomé en Principe"},
	{"SV", "SLV", "El Salvador"},
	{"SX", "SXM", "Sint Maarten"},
	{"SY", "SYR", "Syrië"},
	{"SZ", "SWZ", "Eswatini"},
	{"TC", "TCA", "Turks- en Caicoseilanden"},
	{"TD", "TCD", "Tsjaad"},
	{"TF", "ATF", "Franse Zuidelijke Gebieden"},
	{"TG", "TGO", "Togo"},
	{"TH", "THA", "Thailand"},
	{"TJ", "TJK", "Tadzjikistan"},
	{"TK", "TKL", "Tokelau"},
	{"TL", "TLS", "Oost-Timor"},
	{"TM", "TKM", "Turkmenistan"},
	{"TN", "TUN", "Tunesië"},
	{"TO", "TON", "Tonga"},
	{"TR", "TUR", "Turkije"},
	{"TT", "TTO", "Trinidad en Tobago"},
	{"TV", "TUV", "Tuvalu"},
	{"TW", "TWN", "Taiwan"},
	{"TZ", "TZA", "Tanzania"},
	{"UA", "UKR", "Oekraïne"},
	{"UG", "UGA", "Oeganda"},
	{"UM", "UMI", "Kleine afgelegen eilanden van de Verenigde Staten"},
	{"UY", "URY", "Uruguay"},
	{"UZ", "UZB", "Oezbekistan"},
	{"VA", "VAT", "Vaticaanstad"},
	{"VC", "VCT", "Saint Vincent en de Grenadines"},
	{"VE", "VEN", "Venezuela"},
	{"VG", "VGB", "Britse Maagdeneilanden"},
	{"VI", "VIR", "Amerikaanse Maagdeneilanden"},
	{"VN", "VNM", "Vietnam"},
	{"VU", "VUT", "Vanuatu"},
	{"WF", "WLF", "Wallis en Futuna"},
	{"WS", "WSM", "Samoa"},
	{"YE", "YEM", "Jemen"},
	{"YT", "MYT", "Mayotte"},
	{"ZA", "ZAF", "Zuid-Afrika"},
	{"ZM", "ZMB", "Zambia"},
	{"ZW", "ZWE", "Zimbabwe"},
}

// seededLanden is how many of isoLanden keep the ids 1a000000-…-000000000001
// to …-000000000010 that demos and tests refer to.
const seededLanden = 16

// landID returns the fixed id of the i-th country of isoLanden: the first
// sixteen are numbered 1 to 16 (hexadecimal 01 to 10), the others carry
// their alpha-2 code's two ASCII bytes, so that DK is …-8000-000000000009
// and AX is …-8001-000000004158, whatever is added to the list.
func landID(i int) snelstart.ID {
	if i < seededLanden {
		return snelstart.ID(fmt.Sprintf("1a000000-0000-4000-8000-%012x", i+1))
	}
	a2 := isoLanden[i].alpha2
	return snelstart.ID(fmt.Sprintf("1a000000-0000-4000-8001-%012x", int(a2[0])<<8|int(a2[1])))
}

// defaultLanden returns the countries of isoLanden as GET /v2/landen lists
// them, each with its fixed id.
func defaultLanden() []snelstart.Land {
	out := make([]snelstart.Land, len(isoLanden))
	for i, l := range isoLanden {
		out[i] = snelstart.Land{Naam: l.naam, Landcode: l.alpha2, LandcodeISO: l.alpha3, ID: landID(i)}
	}
	return out
}

// alpha3 returns the ISO 3166-1 alpha-3 code of an alpha-2 code, or "".
func alpha3(alpha2 string) string {
	for _, l := range isoLanden {
		if l.alpha2 == alpha2 {
			return l.alpha3
		}
	}
	return ""
}

// euLanden are the alpha-2 codes of the 27 member states of the European
// Union (vat-rounding.md §3.4–§3.6 decide ICP, export and OSS by membership).
// The sandbox goes by the ISO code alone: territories outside the EU VAT
// area that have a code of their own (Åland AX, Réunion RE, …) count as
// outside the EU, and those that have none (the Canary Islands) as their
// country; SnelStart's own list is UNCONFIRMED.
var euLanden = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true,
	"EE": true, "ES": true, "FI": true, "FR": true, "GR": true, "HR": true, "HU": true,
	"IE": true, "IT": true, "LT": true, "LU": true, "LV": true, "MT": true, "NL": true,
	"PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true,
}
