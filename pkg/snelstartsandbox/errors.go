package snelstartsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/koppel/koppel/pkg/snelstart"
)

// The sandbox answers failures in the body shapes SnelStart and its gateway
// use (snelstart-api.md §3):
//
//   - business rules: 400 with a JSON array of {"errorCode","message"};
//   - model binding (malformed JSON, wrong types, spec limits without a
//     SnelStart code): 400 {"message","modelState"};
//   - OData and routing: {"Message"} with a capital M;
//   - the gateway (subscription key, rate limit, unknown operation):
//     {"statusCode","message"};
//   - the token endpoint: OAuth style {"error"}.

// A problem is one element of a business-rule error array.
type problem struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	Details   string `json:"details,omitempty"`
}

// messages holds SnelStart's Dutch text for the codes the sandbox gives.
var messages = map[string]string{
	snelstart.CodeIDMustBeEmpty:                "Het ID dient leeg te zijn.",
	snelstart.CodeIDMismatch:                   "Het ID in de URL komt niet overeen met het ID in de request data.",
	snelstart.CodeInvalidID:                    "Ongeldig ID.",
	snelstart.CodeInvalidODataFilter:           "Ongeldig OData filter.",
	snelstart.CodeItemNonactief:                "Het item is nonactief.",
	snelstart.CodeEmptyRequest:                 "De request data is leeg.",
	snelstart.CodeOrderNotFound:                "Verkooporder niet gevonden.",
	snelstart.CodeRelatieNotKlant:              "De relatie is geen klant.",
	snelstart.CodeOrderNummerMustBeEmpty:       "Bij een nieuwe verkooporder moet het veld ordernummer leeg zijn.",
	snelstart.CodeOrderStraatTooLong:           "Straat mag maximaal 50 tekens bevatten.",
	snelstart.CodeOrderPostcodeTooLong:         "Postcode mag maximaal 25 tekens bevatten.",
	snelstart.CodeOrderPlaatsTooLong:           "Plaats mag maximaal 50 tekens bevatten.",
	snelstart.CodeOrderContactpersoonTooLong:   "Contactpersoon mag maximaal 50 tekens bevatten.",
	snelstart.CodeOrderLandNotFound:            "LandId niet gevonden.",
	snelstart.CodeOrderreferentieTooLong:       "Orderreferentie mag maximaal 50 tekens bevatten.",
	snelstart.CodeIncassomachtigingNotFound:    "Incassomachtiging niet gevonden.",
	snelstart.CodeOrderNotOfferte:              "Verkooporder is geen offerte en kan niet worden aangepast.",
	snelstart.CodeRelatiesoortGeen:             "RelatieSoort mag niet 'geen' zijn.",
	snelstart.CodeRelatieNotFound:              "Relatie niet gevonden.",
	snelstart.CodeKvkNummerInvalid:             "KvkNummer is ongeldig.",
	snelstart.CodeNaamRequired:                 "Naam moet gevuld zijn.",
	snelstart.CodeRelatiecodeInUse:             "Relatiecode reeds in gebruik.",
	snelstart.CodeTelefoonTooLong:              "Telefoon mag maximaal 25 tekens bevatten.",
	snelstart.CodeMobieleTelefoonTooLong:       "MobieleTelefoon mag maximaal 25 tekens bevatten.",
	snelstart.CodeVestigingsStraatTooLong:      "VestigingsAdres.Straat mag maximaal 50 tekens bevatten.",
	"REL-0021":                                 "VestigingsAdres.Plaats mag maximaal 50 tekens bevatten.",
	"REL-0022":                                 "VestigingsAdres.Contactpersoon mag maximaal 50 tekens bevatten.",
	"REL-0023":                                 "VestigingsAdres.Postcode mag maximaal 25 tekens bevatten.",
	snelstart.CodeCorrespondentieStraatTooLong: "CorrespondentieAdres.Straat mag maximaal 50 tekens bevatten.",
	"REL-0026":                      "CorrespondentieAdres.Plaats mag maximaal 50 tekens bevatten.",
	"REL-0027":                      "CorrespondentieAdres.Contactpersoon mag maximaal 50 tekens bevatten.",
	"REL-0028":                      "CorrespondentieAdres.Postcode mag maximaal 25 tekens bevatten.",
	snelstart.CodeRelatieIDMismatch: "Het ID in de URL komt niet overeen met het ID van de relatie.",
	snelstart.CodeRelatiesoortEigen: "RelatieSoort mag niet 'eigen' bevatten.",
	snelstart.CodeCorrespondentieLandNotFound: "CorrespondentieAdres.LandId niet gevonden.",
	snelstart.CodeVestigingsLandNotFound:      "VestigingsAdres.LandId niet gevonden.",
	snelstart.CodeBtwNummerInvalid:            "BtwNummer moet uit 2 tot 50 letters en cijfers bestaan.",
	snelstart.CodeVestigingsAdresIncomplete:   "Als een veld van het VestigingsAdres gevuld is, moeten alle velden behalve Contactpersoon gevuld zijn.",
	snelstart.CodeEmailInvalid:                "Email is ongeldig.",
	snelstart.CodeRelatieIDMustBeEmpty:        "Het ID dient leeg te zijn.",
	snelstart.CodeRelatiesoortImmutable:       "RelatieSoort mag niet aangepast worden.",
	snelstart.CodeKlantAndLeverancier:         "Een relatie kan niet zowel klant als leverancier zijn.",
	snelstart.CodeRelatieInvalidJSON:          "Ongeldige JSON of properties.",
	snelstart.CodeEmailSeparator:              "Meerdere emailadressen moeten gescheiden worden door een ';'.",
	snelstart.CodeEmailTooLong:                "Email mag maximaal 250 tekens bevatten.",
	snelstart.CodeOinInvalid:                  "Oin moet uit precies 20 cijfers bestaan.",
	snelstart.CodeBtwNummerCountry:            "De landcode van het BtwNummer komt niet overeen met het land van het VestigingsAdres.",
	snelstart.CodeBtwNummerNotValid:           "Het opgegeven nummer is geen geldig btw-nummer.",
	snelstart.CodeArtikelNotFound:             "Artikel bestaat niet.",
	snelstart.CodeArtikelcodeRequired:         "Artikelcode is verplicht.",
	snelstart.CodeArtikelcodeNotNumeric:       "Artikelcode is geen nummer.",
	snelstart.CodeArtikelcodeTooLong:          "Artikelcode is te lang.",
	snelstart.CodeArtikelcodeExists:           "Artikelcode bestaat al.",
	snelstart.CodeArtikelOmschrijvingMissing:  "Omschrijving is verplicht.",
	snelstart.CodeArtikelOmschrijvingTooLong:  "Omschrijving is te lang.",
	snelstart.CodeArtikelOmzetgroepRequired:   "Artikelomzetgroep is verplicht.",
	snelstart.CodeArtikelOmzetgroepNotFound:   "Artikelomzetgroep bestaat niet.",
	snelstart.CodeArtikelKlantNotFound:        "De opgegeven klant kan niet worden gevonden.",
	snelstart.CodeUnknownError:                "Onbekende fout.",
	snelstart.CodeKostenplaatsNotFound:        "De kostenplaats is niet gevonden.",
	snelstart.CodeKostenplaatsNonactief:       "De kostenplaats is verwijderd en staat op nonactief.",
	snelstart.CodeGrootboekfunctieNone:        "Er is geen grootboekrekening aanwezig voor de volgende grootboekfuncties.",
	snelstart.CodeKPLNotFound:                 "Kostenplaats niet gevonden.",
}

// problems collects business-rule failures; a request is refused with all
// of them at once.
type problems []problem

// add records code with SnelStart's text and optional details.
func (ps *problems) add(code string, details ...any) {
	p := problem{ErrorCode: code, Message: messages[code]}
	if len(details) > 0 {
		p.Details = fmt.Sprint(details...)
	}
	*ps = append(*ps, p)
}

// A modelState collects model-binding failures by property path, in the
// ASP.NET Web API shape.
type modelState map[string][]string

func (m modelState) add(field, format string, args ...any) {
	m["model."+field] = append(m["model."+field], fmt.Sprintf(format, args...))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"Message":"An error has occurred."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeProblems(w http.ResponseWriter, status int, ps problems) { writeJSON(w, status, ps) }

func writeProblem(w http.ResponseWriter, status int, code string, details ...any) {
	var ps problems
	ps.add(code, details...)
	writeProblems(w, status, ps)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Message string `json:"Message"`
	}{msg})
}

func writeModelState(w http.ResponseWriter, m modelState) {
	writeJSON(w, http.StatusBadRequest, struct {
		Message    string     `json:"message"`
		ModelState modelState `json:"modelState"`
	}{"The request is invalid.", m})
}

func writeGateway(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}{status, msg})
}

func writeOAuth(w http.ResponseWriter, status int, errText string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{errText})
}
