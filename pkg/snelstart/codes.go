package snelstart

// SnelStart error codes, as [Error].Codes holds them (snelstart-api.md §3.1,
// from SnelStart's "B2B API versie 2 foutcodes" page). All come with HTTP
// 400 (a few also with 404). The published list is incomplete: unlisted
// codes such as REL-0088 do occur, so match on the codes you act on and treat
// the rest as a permanent rejection. Comments give SnelStart's Dutch text in
// English.

// General codes (ALG).
const (
	CodeIDMustBeEmpty      = "ALG-0100" // "Het ID dient leeg te zijn": do not send id on POST
	CodeIDMismatch         = "ALG-0101" // the id in the URL differs from the id in the body
	CodeUnknownError       = "ALG-0102" // unknown error
	CodeInvalidID          = "ALG-0103" // invalid id
	CodeInvalidODataFilter = "ALG-0104" // "Ongeldig OData filter": $filter does not parse
	CodeItemNonactief      = "ALG-0105" // the item is inactive (nonactief)
	CodeEmptyRequest       = "ALG-0106" // the request has no data
)

// Verkooporder codes (VOR), all that are published but the extra-field
// codes VOR-0016 to VOR-0036, which report an invalid or unknown value of a
// template's extra field (date, article, revenue group, amount, invoice,
// ledger, customer, supplier, country, integer, text too long, field number).
const (
	CodeOrderNotFound              = "VOR-0001" // "Verkooporder niet gevonden": no such order
	CodeRelatieNotKlant            = "VOR-0002" // "De relatie is geen klant": the order's relatie is not a customer
	CodeFactuurRelatieNotKlant     = "VOR-0003" // the invoice relation is not a customer
	CodeMachtigingNotOfKlant       = "VOR-0004" // the direct-debit mandate belongs to another customer
	CodeOrderNummerMustBeEmpty     = "VOR-0005" // a new order must not carry an order number (nummer)
	CodeOrderStraatTooLong         = "VOR-0006" // address straat longer than 50
	CodeOrderPostcodeTooLong       = "VOR-0007" // address postcode longer than 25
	CodeOrderPlaatsTooLong         = "VOR-0008" // address plaats longer than 50
	CodeOrderContactpersoonTooLong = "VOR-0009" // address contactpersoon longer than 50
	CodeOrderLandNotFound          = "VOR-0010" // address land id not found
	CodeOrderreferentieTooLong     = "VOR-0011" // orderreferentie longer than 50
	CodeIncassomachtigingNotFound  = "VOR-0013" // direct-debit mandate not found
	CodeOrderHasInkooporders       = "VOR-0014" // the order has linked purchase orders, so it cannot be deleted
	CodeOrderNotOfferte            = "VOR-0015" // "Verkooporder is geen offerte en kan niet worden aangepast": only a quotation can be changed with PUT
)

// Relatie codes (REL), the published selection of snelstart-api.md §3.1.
const (
	CodeRelatiesoortGeen             = "REL-0001" // relatiesoort must not be empty ("geen")
	CodeRelatieNotFound              = "REL-0005" // "Relatie niet gevonden": no such relation
	CodeKvkNummerInvalid             = "REL-0006" // invalid kvkNummer
	CodeNaamRequired                 = "REL-0007" // naam is required
	CodeRelatiecodeInUse             = "REL-0008" // "Relatiecode reeds in gebruik": relatiecode already taken
	CodeTelefoonTooLong              = "REL-0012" // telefoon longer than 25
	CodeMobieleTelefoonTooLong       = "REL-0013" // mobieleTelefoon longer than 25
	CodeVestigingsStraatTooLong      = "REL-0020" // vestigingsAdres.straat longer than 50 (REL-0021–0023: plaats, contactpersoon 50, postcode 25)
	CodeCorrespondentieStraatTooLong = "REL-0025" // correspondentieAdres.straat longer than 50 (REL-0026–0028 likewise)
	CodeRelatieIDMismatch            = "REL-0047" // the id in the URL differs from the id in the body
	CodeRelatiesoortEigen            = "REL-0048" // relatiesoort must not contain Eigen
	CodeCorrespondentieLandNotFound  = "REL-0055" // correspondentieAdres land id not found
	CodeVestigingsLandNotFound       = "REL-0056" // vestigingsAdres land id not found
	CodeBtwNummerInvalid             = "REL-0057" // btwNummer must be 2–50 letters and digits (REL-0058, REL-0059 likewise)
	CodeVestigingsAdresIncomplete    = "REL-0060" // if any vestigingsAdres field is set, all but contactpersoon must be
	CodeEmailInvalid                 = "REL-0061" // invalid email
	CodeRelatieIDMustBeEmpty         = "REL-0063" // do not send id on POST
	CodeRelatiesoortImmutable        = "REL-0064" // relatiesoort cannot be changed
	CodeKlantAndLeverancier          = "REL-0065" // a relation cannot be both klant and leverancier
	CodeRelatieInvalidJSON           = "REL-0066" // invalid JSON or properties
	CodeEmailSeparator               = "REL-0084" // several email addresses must be separated by ";"
	CodeEmailTooLong                 = "REL-0085" // email longer than 250
	CodeOinInvalid                   = "REL-0086" // oin must be exactly 20 digits
	CodeBtwNummerCountry             = "REL-0087" // btwNummer's country differs from the vestigingsAdres country
	CodeBtwNummerNotValid            = "REL-0088" // "Het opgegeven nummer is geen geldig btw-nummer": checked for real; unlisted on older pages
)

// Artikel codes (ART), the published selection of snelstart-api.md §3.1.
const (
	CodeArtikelNotFound            = "ART-0001" // "Artikel bestaat niet": no such article
	CodeArtikelcodeRequired        = "ART-0002" // artikelcode is required
	CodeArtikelcodeNotNumeric      = "ART-0003" // artikelcode must be numeric (CompanyInfo.ArtikelcodeSoort is Numeriek)
	CodeArtikelcodeTooLong         = "ART-0004" // artikelcode longer than CompanyInfo.ArtikelcodeMaxLengte
	CodeArtikelcodeExists          = "ART-0005" // artikelcode already exists
	CodeArtikelOmschrijvingMissing = "ART-0006" // omschrijving is required
	CodeArtikelOmschrijvingTooLong = "ART-0007" // omschrijving longer than 250
	CodeArtikelOmzetgroepRequired  = "ART-0008" // artikelOmzetgroep is required
	CodeArtikelOmzetgroepNotFound  = "ART-0009" // artikelOmzetgroep not found
	CodeArtikelKlantNotFound       = "ART-0014" // "De opgegeven klant kan niet worden gevonden": unknown relatieId on a price lookup
)

// Extra-field codes (REF), the selection of snelstart-api.md §3.1.
const (
	CodeExtraVeldDateFormat    = "REF-0008" // date value not in yyyy-MM-ddTHH:mm:ss
	CodeExtraVeldNotDecimal    = "REF-0010" // money value is not a decimal
	CodeExtraVeldOutOfRange    = "REF-0012" // money value outside ±1e11
	CodeExtraVeldTooManyPlaces = "REF-0013" // money value with more than 4 decimals
	CodeExtraVeldInvalidJSON   = "REF-0016" // invalid JSON
)

// Boeking codes (BOE), the few that concern what a verkooporder refers to.
// SnelStart documents them for boekingen; whether a verkooporder answers
// them too is not published (vat-rounding.md §8 item 7).
const (
	CodeKostenplaatsNotFound  = "BOE-0019" // "De kostenplaats is niet gevonden": no such cost centre
	CodeKostenplaatsNonactief = "BOE-0026" // "De kostenplaats is verwijderd en staat op nonactief": the cost centre is inactive
	CodeBoekenOpEUNotAllowed  = "BOE-0080" // "Voor deze klant is boeken op een omzetrekening voor EU niet toegestaan": EU revenue for a customer without a valid btwNummer (vat-rounding.md §3.4)
	CodeGrootboekfunctieNone  = "BOE-0081" // "Er is geen grootboekrekening aanwezig voor de volgende grootboekfuncties": a ledger with the function the booking needs is missing
)

// Kostenplaats codes (KPL), the one koppel can meet.
const (
	CodeKPLNotFound = "KPL-0001" // "Kostenplaats niet gevonden": no such cost centre
)
