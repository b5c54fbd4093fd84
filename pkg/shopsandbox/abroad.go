package shopsandbox

// Customers outside the Netherlands: businesses elsewhere in the EU with a
// VAT number, EU consumers and customers outside the EU. Names, places and
// companies are made up; the VAT numbers pass their member state's
// check-digit rule (generate_test.go checks them with vatnumber.Check),
// and DE811569869 is a known valid one.

// land is a country customers order from.
type land struct {
	code        string // ISO 3166-1 alpha-2, as both platforms write it
	eu          bool
	numberFirst bool   // the house number comes before the street: "12 rue de la Paix"
	phone       string // international prefix of its phone numbers
	places      []place
	streets     []string
	first, last []string
	domains     []string
	companies   []company // businesses with a VAT number; EU members only
}

// place is a town and the pattern of its postcodes: # is a digit, @ a
// letter; state is the US state code.
type place struct {
	city, postcode, state string
}

// company is a business customer and its VAT number.
type company struct {
	name, vatID string
}

// euLands are the member states EU customers live in, the neighbours
// more often than the rest.
var euLands = []*land{landDE, landDE, landDE, landBE, landBE, landBE, landFR, landAT, landIT, landES, landIE, landDK}

// exportLands are outside the EU: no VAT on what goes there.
var exportLands = []*land{landUS, landCH, landGB}

var landDE = &land{code: "DE", eu: true, phone: "+49",
	places:  []place{{"Berlin", "10###", ""}, {"Köln", "50###", ""}, {"Düsseldorf", "40###", ""}, {"Aachen", "520##", ""}, {"Münster", "481##", ""}},
	streets: []string{"Hauptstraße", "Schillerstraße", "Goethestraße", "Am Markt", "Bahnhofstraße", "Lindenallee"},
	first:   []string{"Lukas", "Anna", "Jonas", "Lena", "Felix", "Jürgen", "Sabine"},
	last:    []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner"},
	domains: []string{"web.de", "gmx.de", "t-online.de", "gmail.com"},
	companies: []company{
		{"Buchhandlung Lesezeichen GmbH", "DE811569869"},
		{"Bücherstube am Markt GmbH", "DE130684257"},
		{"Antiquariat Nordlicht e.K.", "DE716605910"},
		{"Stadtbibliothek Förderverein e.V.", "DE811019970"},
	}}

var landBE = &land{code: "BE", eu: true, phone: "+32",
	places:  []place{{"Antwerpen", "20##", ""}, {"Gent", "90##", ""}, {"Brussel", "10##", ""}, {"Leuven", "30##", ""}, {"Liège", "40##", ""}},
	streets: []string{"Kerkstraat", "Meir", "Stationsstraat", "Rue de la Loi", "Veldstraat", "Grote Markt"},
	first:   []string{"Lotte", "Wout", "Elise", "Arne", "Camille", "Jef", "Marie"},
	last:    []string{"Peeters", "Janssens", "Maes", "Claes", "Dubois", "Willems", "Goossens"},
	domains: []string{"telenet.be", "skynet.be", "proximus.be", "gmail.com"},
	companies: []company{
		{"Boekhandel Het Leesmoment BV", "BE0260798455"},
		{"Librairie La Page Blanche SRL", "BE0898016892"},
		{"Stripwinkel De Ballon BV", "BE0528521722"},
	}}

var landFR = &land{code: "FR", eu: true, numberFirst: true, phone: "+33",
	places:  []place{{"Paris", "750##", ""}, {"Lille", "590##", ""}, {"Lyon", "6900#", ""}, {"Nantes", "440##", ""}},
	streets: []string{"rue de la Paix", "avenue Victor Hugo", "rue du Moulin", "boulevard Voltaire", "place de l'Église"},
	first:   []string{"Camille", "Léa", "Hugo", "Chloé", "Théo", "Élodie"},
	last:    []string{"Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard"},
	domains: []string{"orange.fr", "free.fr", "laposte.net", "gmail.com"},
	companies: []company{
		{"Librairie du Canal SARL", "FR31957329931"},
		{"Éditions Belle Lettre SAS", "FR58700291289"},
	}}

var landAT = &land{code: "AT", eu: true, phone: "+43",
	places:  []place{{"Wien", "1###", ""}, {"Graz", "80##", ""}, {"Salzburg", "50##", ""}},
	streets: []string{"Mariahilfer Straße", "Landstraße", "Herrengasse", "Kirchengasse"},
	first:   []string{"Maximilian", "Sophie", "Florian", "Katharina", "Elias"},
	last:    []string{"Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner"},
	domains: []string{"gmx.at", "aon.at", "chello.at", "gmail.com"},
	companies: []company{
		{"Buchhandlung Donaublick GmbH", "ATU30351507"},
		{"Lesecafé Wienerwald OG", "ATU13918082"},
	}}

var landIT = &land{code: "IT", eu: true, phone: "+39",
	places:  []place{{"Milano", "201##", ""}, {"Roma", "001##", ""}, {"Bologna", "401##", ""}},
	streets: []string{"Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante"},
	first:   []string{"Giulia", "Marco", "Francesca", "Luca", "Chiara"},
	last:    []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"},
	domains: []string{"libero.it", "tiscali.it", "alice.it", "gmail.com"},
	companies: []company{
		{"Libreria Il Segnalibro S.r.l.", "IT29556060498"},
		{"Cartoleria Arcobaleno S.r.l.", "IT43047280821"},
	}}

var landES = &land{code: "ES", eu: true, phone: "+34",
	places:  []place{{"Madrid", "280##", ""}, {"Barcelona", "080##", ""}, {"Valencia", "460##", ""}},
	streets: []string{"Calle Mayor", "Calle de Alcalá", "Gran Via", "Avenida de la Constitución"},
	first:   []string{"Lucía", "Hugo", "Martina", "Pablo", "Sofía"},
	last:    []string{"García", "Fernández", "González", "Rodríguez", "López", "Martínez"},
	domains: []string{"telefonica.net", "yahoo.es", "hotmail.es", "gmail.com"},
	companies: []company{
		{"Librería La Pluma S.L.", "ESB73084147"},
		{"Papelería Mar Azul S.L.", "ESB8672049G"},
	}}

var landIE = &land{code: "IE", eu: true, numberFirst: true, phone: "+353",
	places:  []place{{"Dublin", "D0# @#@#", ""}, {"Cork", "T12 @#@#", ""}, {"Galway", "H91 @#@#", ""}},
	streets: []string{"Main Street", "O'Connell Street", "Church Road", "Patrick Street"},
	first:   []string{"Aoife", "Seán", "Niamh", "Conor", "Siobhán"},
	last:    []string{"Murphy", "Kelly", "O'Sullivan", "Walsh", "Byrne", "Ryan"},
	domains: []string{"eircom.net", "gmail.com", "outlook.ie"},
	companies: []company{
		{"Liffey Books Ltd", "IE4260333Q"},
		{"Claddagh Stationers Ltd", "IE6336401T"},
	}}

var landDK = &land{code: "DK", eu: true, phone: "+45",
	places:  []place{{"København", "1###", ""}, {"Aarhus", "80##", ""}, {"Odense", "50##", ""}},
	streets: []string{"Strøget", "Vestergade", "Nørregade", "Søndergade"},
	first:   []string{"Freja", "Magnus", "Ida", "Søren", "Mette"},
	last:    []string{"Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen"},
	domains: []string{"mail.dk", "jubii.dk", "gmail.com"},
	companies: []company{
		{"Boghandel Nørrebro ApS", "DK40012354"},
		{"Papirhuset Fyn ApS", "DK61538658"},
	}}

var landUS = &land{code: "US", numberFirst: true, phone: "+1",
	places:  []place{{"New York", "100##", "NY"}, {"Boston", "021##", "MA"}, {"Grand Rapids", "495##", "MI"}, {"Seattle", "981##", "WA"}},
	streets: []string{"Main Street", "Fifth Avenue", "Oak Street", "Holland Avenue"},
	first:   []string{"Emily", "Michael", "Sarah", "David", "Jessica"},
	last:    []string{"Smith", "Johnson", "Van Dyke", "Williams", "DeVries"},
	domains: []string{"gmail.com", "yahoo.com", "outlook.com", "icloud.com"}}

var landCH = &land{code: "CH", phone: "+41",
	places:  []place{{"Zürich", "80##", ""}, {"Basel", "40##", ""}, {"Genève", "12##", ""}},
	streets: []string{"Bahnhofstrasse", "Seestrasse", "Rue du Rhône", "Dorfstrasse"},
	first:   []string{"Noah", "Mia", "Luca", "Lea", "Matteo"},
	last:    []string{"Müller", "Meier", "Keller", "Brunner", "Favre"},
	domains: []string{"bluewin.ch", "gmx.ch", "gmail.com"}}

var landGB = &land{code: "GB", numberFirst: true, phone: "+44",
	places:  []place{{"London", "SW1A #@@", ""}, {"Manchester", "M1 #@@", ""}, {"Norwich", "NR2 #@@", ""}},
	streets: []string{"High Street", "Station Road", "Church Lane", "Victoria Road"},
	first:   []string{"Oliver", "Amelia", "Harry", "Isla", "George"},
	last:    []string{"Smith", "Jones", "Taylor", "Brown", "Evans"},
	domains: []string{"btinternet.com", "gmail.com", "outlook.com", "sky.com"}}

// inEU reports whether country is a member state, NL included.
func inEU(country string) bool {
	if country == "NL" {
		return true
	}
	for _, l := range euLands {
		if l.code == country {
			return true
		}
	}
	return false
}
