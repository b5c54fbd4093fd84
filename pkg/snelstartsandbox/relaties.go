package snelstartsandbox

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/koppel/koppel/pkg/snelstart"
)

// getRelaties serves GET /v2/relaties with OData, $top ≤ 500, inactive
// relations included.
func (s *Sandbox) getRelaties(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.Relatie](), snelstart.MaxTop, snelstart.MaxTop)
	if !ok {
		return
	}
	a.mu.RLock()
	all := a.relaties.all()
	a.mu.RUnlock()
	writeList(w, q, deref(page(q, all)))
}

// getRelatie serves GET /v2/relaties/{id}, which returns active relations
// only (snelstart-api.md §4).
func (s *Sandbox) getRelatie(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a.mu.RLock()
	rel, ok := a.relaties.get(id)
	a.mu.RUnlock()
	if !ok || isTrue(rel.Nonactief) {
		writeProblem(w, http.StatusNotFound, snelstart.CodeRelatieNotFound)
		return
	}
	writeJSON(w, http.StatusOK, rel)
}

// postRelatie serves POST /v2/relaties: 201 with the RelatieWriteModel.
func (s *Sandbox) postRelatie(w http.ResponseWriter, r *http.Request, a *Administratie) {
	var rel snelstart.Relatie
	if !decodeBody(w, r, &rel, snelstart.CodeRelatieInvalidJSON) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ps problems
	if rel.ID != "" {
		ps.add(snelstart.CodeRelatieIDMustBeEmpty)
	}
	if !a.checkRelatie(w, &rel, nil, ps) {
		return
	}
	rel.ID = snelstart.NewID()
	if rel.Relatiecode == nil {
		next := 1
		for _, o := range a.relaties.all() {
			if o.Relatiecode != nil && *o.Relatiecode >= next {
				next = *o.Relatiecode + 1
			}
		}
		rel.Relatiecode = snelstart.Ptr(next)
	}
	rel.ExtraVeldenKlant, rel.Documents, rel.Fax = nil, nil, ""
	stored := a.completeRelatie(&rel)
	a.relaties.put(stored.ID, stored)
	w.Header().Set("Location", snelstart.ItemPath(snelstart.PathRelatie, stored.ID))
	writeJSON(w, http.StatusCreated, writeModel(stored))
}

// putRelatie serves PUT /v2/relaties/{id}, which replaces the whole record
// (snelstart-api.md §6.3); the read-only fields and a missing relatiecode
// are kept.
func (s *Sandbox) putRelatie(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var rel snelstart.Relatie
	if !decodeBody(w, r, &rel, snelstart.CodeRelatieInvalidJSON) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.relaties.get(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeRelatieNotFound)
		return
	}
	var ps problems
	if rel.ID != "" && !rel.ID.Equal(id) {
		ps.add(snelstart.CodeRelatieIDMismatch)
	}
	if !a.checkRelatie(w, &rel, old, ps) {
		return
	}
	rel.ID = old.ID
	if rel.Relatiecode == nil {
		rel.Relatiecode = old.Relatiecode
	}
	rel.ExtraVeldenKlant, rel.Documents, rel.Fax = old.ExtraVeldenKlant, old.Documents, old.Fax
	stored := a.completeRelatie(&rel)
	a.relaties.put(stored.ID, stored)
	writeJSON(w, http.StatusOK, writeModel(stored))
}

// completeRelatie fills the server-side fields of rel and returns it.
func (a *Administratie) completeRelatie(rel *snelstart.Relatie) *snelstart.Relatie {
	rel.ModifiedOn = a.sb.localNow()
	if rel.Nonactief == nil {
		rel.Nonactief = snelstart.Ptr(false)
	}
	rel.Bankieren = snelstart.Ptr(rel.IncassoSoort == snelstart.IncassoSoortCore || rel.IncassoSoort == snelstart.IncassoSoortB2B)
	return relatieRefs(rel)
}

// writeModel returns rel as a RelatieWriteModel, which has no fax.
func writeModel(rel *snelstart.Relatie) snelstart.Relatie {
	c := *rel
	c.Fax = ""
	return c
}

var (
	emailRe = regexp.MustCompile(`^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$`)
	alnumRe = regexp.MustCompile(`^[A-Za-z0-9]{2,50}$`)
	kvkRe   = regexp.MustCompile(`^[0-9]{1,12}$`)
	oinRe   = regexp.MustCompile(`^[0-9]{20}$`)
	// btwFormats are the VAT number formats of the 27 EU member states,
	// by the country's alpha-2 code, that the sandbox checks for REL-0088;
	// Greece's numbers start with EL. These are the formats VIES documents
	// for each country (letters and digits only, so Ireland's old numbers
	// with + or * are refused by REL-0057 first). SnelStart checks numbers
	// for real (snelstart-api.md §6.2); the sandbox does not model VIES and
	// checks no check digits. Numbers of other countries only need letters
	// and digits.
	btwFormats = map[string]*regexp.Regexp{
		"AT": regexp.MustCompile(`^ATU[0-9]{8}$`),
		"BE": regexp.MustCompile(`^BE[01][0-9]{9}$`),
		"BG": regexp.MustCompile(`^BG[0-9]{9,10}$`),
		"CY": regexp.MustCompile(`^CY[0-9]{8}[A-Z]$`),
		"CZ": regexp.MustCompile(`^CZ[0-9]{8,10}$`),
		"DE": regexp.MustCompile(`^DE[0-9]{9}$`),
		"DK": regexp.MustCompile(`^DK[0-9]{8}$`),
		"EE": regexp.MustCompile(`^EE[0-9]{9}$`),
		"ES": regexp.MustCompile(`^ES[0-9A-Z][0-9]{7}[0-9A-Z]$`),
		"FI": regexp.MustCompile(`^FI[0-9]{8}$`),
		"FR": regexp.MustCompile(`^FR[0-9A-Z]{2}[0-9]{9}$`),
		"GR": regexp.MustCompile(`^EL[0-9]{9}$`),
		"HR": regexp.MustCompile(`^HR[0-9]{11}$`),
		"HU": regexp.MustCompile(`^HU[0-9]{8}$`),
		"IE": regexp.MustCompile(`^IE([0-9]{7}[A-W][A-I]?|[0-9][A-Z][0-9]{5}[A-W])$`),
		"IT": regexp.MustCompile(`^IT[0-9]{11}$`),
		"LT": regexp.MustCompile(`^LT([0-9]{9}|[0-9]{12})$`),
		"LU": regexp.MustCompile(`^LU[0-9]{8}$`),
		"LV": regexp.MustCompile(`^LV[0-9]{11}$`),
		"MT": regexp.MustCompile(`^MT[0-9]{8}$`),
		"NL": regexp.MustCompile(`^NL[0-9]{9}B[0-9]{2}$`),
		"PL": regexp.MustCompile(`^PL[0-9]{10}$`),
		"PT": regexp.MustCompile(`^PT[0-9]{9}$`),
		"RO": regexp.MustCompile(`^RO[0-9]{2,10}$`),
		"SE": regexp.MustCompile(`^SE[0-9]{10}01$`),
		"SI": regexp.MustCompile(`^SI[0-9]{8}$`),
		"SK": regexp.MustCompile(`^SK[0-9]{10}$`),
	}
)

// checkRelatie validates rel for POST (old nil) or PUT and answers 400
// with every failure; ps holds failures found by the caller. Limits of the
// spec that have no SnelStart code answer in the model-binding shape.
func (a *Administratie) checkRelatie(w http.ResponseWriter, rel *snelstart.Relatie, old *snelstart.Relatie, ps problems) bool {
	ms := modelState{}
	if tooLong(rel.Naam, 50) {
		ms.add("naam", "The field Naam must be a string with a maximum length of 50.")
	}
	if tooLong(rel.WebsiteURL, 100) {
		ms.add("websiteUrl", "The field WebsiteUrl must be a string with a maximum length of 100.")
	}
	if tooLong(rel.Iban, 50) {
		ms.add("iban", "The field Iban must be a string with a maximum length of 50.")
	}
	if tooLong(rel.Bic, 15) {
		ms.add("bic", "The field Bic must be a string with a maximum length of 15.")
	}
	if len(ms) > 0 {
		writeModelState(w, ms)
		return false
	}

	klant, leverancier := hasSoort(rel, snelstart.RelatiesoortKlant), hasSoort(rel, snelstart.RelatiesoortLeverancier)
	switch {
	case len(rel.Relatiesoort) == 0:
		ps.add(snelstart.CodeRelatiesoortGeen)
	case hasSoort(rel, snelstart.RelatiesoortEigen):
		ps.add(snelstart.CodeRelatiesoortEigen)
	case klant && leverancier:
		ps.add(snelstart.CodeKlantAndLeverancier)
	case !klant && !leverancier:
		ps.add(snelstart.CodeRelatieInvalidJSON, "relatiesoort: ", rel.Relatiesoort)
	}
	if old != nil && len(rel.Relatiesoort) > 0 && !sameSoort(rel, old) {
		ps.add(snelstart.CodeRelatiesoortImmutable)
	}
	if strings.TrimSpace(rel.Naam) == "" {
		ps.add(snelstart.CodeNaamRequired)
	}
	if rel.Relatiecode != nil {
		for _, o := range a.relaties.all() {
			if o.Relatiecode != nil && *o.Relatiecode == *rel.Relatiecode && (old == nil || !o.ID.Equal(old.ID)) {
				ps.add(snelstart.CodeRelatiecodeInUse)
				break
			}
		}
	}
	if tooLong(rel.Telefoon, 25) {
		ps.add(snelstart.CodeTelefoonTooLong)
	}
	if tooLong(rel.MobieleTelefoon, 25) {
		ps.add(snelstart.CodeMobieleTelefoonTooLong)
	}
	if ad := rel.VestigingsAdres; ad != nil {
		a.checkRelatieAdres(&ps, ad, [4]string{snelstart.CodeVestigingsStraatTooLong, "REL-0021", "REL-0022", "REL-0023"}, snelstart.CodeVestigingsLandNotFound)
		set := ad.Straat != "" || ad.Postcode != "" || ad.Plaats != "" || ad.Contactpersoon != "" || ad.Land != nil
		if set && (ad.Straat == "" || ad.Postcode == "" || ad.Plaats == "" || ad.Land == nil || ad.Land.ID == "") {
			ps.add(snelstart.CodeVestigingsAdresIncomplete)
		}
	}
	if ad := rel.CorrespondentieAdres; ad != nil {
		a.checkRelatieAdres(&ps, ad, [4]string{snelstart.CodeCorrespondentieStraatTooLong, "REL-0026", "REL-0027", "REL-0028"}, snelstart.CodeCorrespondentieLandNotFound)
	}
	if e := rel.Email; e != "" {
		switch {
		case tooLong(e, 250):
			ps.add(snelstart.CodeEmailTooLong)
		case strings.Contains(e, ","):
			ps.add(snelstart.CodeEmailSeparator)
		default:
			for part := range strings.SplitSeq(e, ";") {
				if !emailRe.MatchString(strings.TrimSpace(part)) {
					ps.add(snelstart.CodeEmailInvalid)
					break
				}
			}
		}
	}
	if b := rel.BtwNummer; b != "" {
		a.checkBtwNummer(&ps, rel, b)
	}
	if rel.KvkNummer != "" && !kvkRe.MatchString(rel.KvkNummer) {
		ps.add(snelstart.CodeKvkNummerInvalid)
	}
	if rel.Oin != "" && !oinRe.MatchString(rel.Oin) {
		ps.add(snelstart.CodeOinInvalid)
	}
	if fr := rel.FactuurRelatie; fr != nil && fr.ID != "" {
		if _, ok := a.relaties.get(fr.ID); !ok {
			ps.add(snelstart.CodeRelatieNotFound, "factuurRelatie")
		}
	}
	if len(ps) > 0 {
		writeProblems(w, http.StatusBadRequest, ps)
		return false
	}
	return true
}

func sameSoort(a, b *snelstart.Relatie) bool {
	for _, s := range []snelstart.Relatiesoort{snelstart.RelatiesoortKlant, snelstart.RelatiesoortLeverancier} {
		if hasSoort(a, s) != hasSoort(b, s) {
			return false
		}
	}
	return true
}

// checkRelatieAdres checks an address of a relatie: codes are those of
// straat, plaats, contactpersoon and postcode too long.
func (a *Administratie) checkRelatieAdres(ps *problems, ad *snelstart.Adres, codes [4]string, landCode string) {
	if tooLong(ad.Straat, 50) {
		ps.add(codes[0])
	}
	if tooLong(ad.Plaats, 50) {
		ps.add(codes[1])
	}
	if tooLong(ad.Contactpersoon, 50) {
		ps.add(codes[2])
	}
	if tooLong(ad.Postcode, 25) {
		ps.add(codes[3])
	}
	if ad.Land != nil && ad.Land.ID != "" && !a.hasLand(ad.Land.ID) {
		ps.add(landCode)
	}
}

// checkBtwNummer checks a VAT number: letters and digits (REL-0057), the
// country of the vestigingsadres (REL-0087), and, for the EU member states,
// the national format (REL-0088; SnelStart checks numbers for real).
func (a *Administratie) checkBtwNummer(ps *problems, rel *snelstart.Relatie, b string) {
	b = strings.ToUpper(strings.ReplaceAll(b, " ", ""))
	if !alnumRe.MatchString(b) {
		ps.add(snelstart.CodeBtwNummerInvalid)
		return
	}
	prefix := b[:2]
	if prefix == "EL" {
		prefix = "GR"
	}
	if ad := rel.VestigingsAdres; ad != nil && ad.Land != nil {
		if l, ok := a.landen.get(ad.Land.ID); ok && l.Landcode != "" && !strings.EqualFold(l.Landcode, prefix) {
			ps.add(snelstart.CodeBtwNummerCountry)
			return
		}
	}
	if re, ok := btwFormats[prefix]; ok && !re.MatchString(b) {
		ps.add(snelstart.CodeBtwNummerNotValid)
		return
	}
	if prefix[0] < 'A' || prefix[0] > 'Z' || prefix[1] < 'A' || prefix[1] > 'Z' {
		ps.add(snelstart.CodeBtwNummerNotValid)
	}
}
