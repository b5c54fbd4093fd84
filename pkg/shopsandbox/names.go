package shopsandbox

// Dutch data for the generator. Some entries are there to exercise
// escaping and parsing: diacritics (Zoë, Yılmaz), an apostrophe ('t Hart,
// 's-Hertogenbosch), an ampersand in a product name, a street with a digit
// in its name (2e Helmersstraat) and multi-word streets.

var firstNames = []string{
	"Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Bram", "Thijs", "Jesse", "Ruben",
	"Emma", "Julia", "Sophie", "Tess", "Zoë", "Mila", "Sara", "Noor", "Fenna", "Lotte",
	"Anouk", "Daniëlle", "Joëlle", "Eva", "Iris", "Maarten", "Pieter", "Willem", "Henk",
	"Ingrid", "Marieke", "Annelies", "Sanne", "Femke", "Niels", "Jeroen", "Koen", "Stijn",
	"Mohammed", "Yasmina", "Aylin", "Gerrit", "Wilma", "Kees", "Ria",
}

var lastNames = []string{
	"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
	"Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
	"Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
	"de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
	"van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "van der Heijden",
	"Schouten", "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas",
	"Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom", "Huisman",
	"'t Hart", "El Idrissi", "Yılmaz", "Öztürk",
}

var emailDomains = []string{
	"gmail.com", "gmail.com", "gmail.com", "hotmail.com", "hotmail.nl", "outlook.com",
	"live.nl", "ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl", "icloud.com",
}

var streets = []string{
	"Kerkstraat", "Dorpsstraat", "Molenweg", "Schoolstraat", "Julianastraat",
	"Wilhelminastraat", "Beatrixlaan", "Stationsweg", "Hoofdstraat", "Marktplein",
	"Prinsengracht", "Keizersgracht", "Laan van Meerdervoort", "Oudegracht", "Coolsingel",
	"2e Helmersstraat", "Burgemeester de Withstraat", "Van Limburg Stirumstraat",
	"Lindenlaan", "Eikenlaan", "Populierenweg", "Nieuwe Binnenweg", "Oranjestraat",
	"Graaf Florisstraat", "Sint Jansstraat", "Koningsweg", "Zuiderzeeweg",
}

// houseSuffixes are appended to the house number as shops receive them.
// The empty suffix dominates.
var houseSuffixes = []string{
	"", "", "", "", "", "", "", "", "", "", "", "",
	"A", "B", "a", " hs", " 2", "-1", "-II", " bis", " rd",
}

// city is a city with the first two digits of its postcodes.
type city struct {
	name   string
	prefix string
}

var cities = []city{
	{"Amsterdam", "10"}, {"Rotterdam", "30"}, {"Den Haag", "25"}, {"Utrecht", "35"},
	{"Eindhoven", "56"}, {"Groningen", "97"}, {"Tilburg", "50"}, {"Almere", "13"},
	{"Breda", "48"}, {"Nijmegen", "65"}, {"Haarlem", "20"}, {"Arnhem", "68"},
	{"Zwolle", "80"}, {"Leeuwarden", "89"}, {"Maastricht", "62"}, {"'s-Hertogenbosch", "52"},
	{"Leiden", "23"}, {"Delft", "26"}, {"Enschede", "75"}, {"Apeldoorn", "73"},
}

// postcodeLetters are the letters Dutch postcodes use (no F, I, O, Q, U, Y).
const postcodeLetters = "ABCDEGHJKLMNPRSTVWXZ"

// companies are Dutch business customers. Their VAT numbers pass the
// Dutch check (the 11-test or, NL496241435B01, the 2020 MOD 97-10 rule);
// NL853746333B01 is a known valid one.
var companies = []company{
	{"Bibliotheek Oost", "NL853746333B01"},
	{"Basisschool De Regenboog", "NL862703050B01"},
	{"Uitgeverij Kleinood B.V.", "NL199501944B01"},
	{"Advocatenkantoor Smit & Partners", "NL496241435B01"},
	{"Leesclub 't Boekje", "NL534253465B01"},
	{"Zorggroep Het Anker", "NL519099771B01"},
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
	"Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
}

var customerNotes = []string{
	"Graag bij de buren afgeven als ik niet thuis ben.",
	"Het is een cadeau, graag zonder pakbon.",
	"Kunt u het boek laten signeren?",
	"Bezorgen na 17:00 uur a.u.b.",
}
