package snelstartsandbox

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// getArtikelen serves GET /v2/artikelen with OData, $top ≤ 25
// (snelstart-api.md §2.2), and with ?relatieId=&aantal= the prijsafspraak
// of each article for that customer (§7.3).
func (s *Sandbox) getArtikelen(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.Artikel](), snelstart.MaxTopArtikelen, snelstart.MaxTopArtikelen)
	if !ok {
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	pricing, ok := a.pricingFor(w, r)
	if !ok {
		return
	}
	items := deref(page(q, a.artikelen.all()))
	for i := range items {
		pricing.apply(a, &items[i])
	}
	writeList(w, q, items)
}

// getArtikel serves GET /v2/artikelen/{id}, with the prijsafspraak when
// relatieId is given.
func (s *Sandbox) getArtikel(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	art, ok := a.artikelen.get(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeArtikelNotFound)
		return
	}
	pricing, ok := a.pricingFor(w, r)
	if !ok {
		return
	}
	out := *art
	pricing.apply(a, &out)
	writeJSON(w, http.StatusOK, out)
}

// A pricing is the relatieId and aantal of an artikelen request.
type pricing struct {
	relatie *snelstart.Relatie // nil: no prijsafspraak wanted
	aantal  decimal.Decimal
	datum   snelstart.LocalTime
}

// pricingFor reads relatieId and aantal; an unknown relatie answers 404
// ART-0014. The caller holds a.mu.
func (a *Administratie) pricingFor(w http.ResponseWriter, r *http.Request) (pricing, bool) {
	p := pricing{aantal: decimal.NewFromInt(1), datum: a.sb.today()}
	v := r.URL.Query()
	if s := v.Get(snelstart.QueryAantal); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			writeMessage(w, http.StatusBadRequest, "The request is invalid.")
			return p, false
		}
		p.aantal = decimal.NewFromInt(n)
	}
	id := v.Get(snelstart.QueryRelatieID)
	if id == "" {
		return p, true
	}
	if !guidRe.MatchString(id) {
		writeMessage(w, http.StatusBadRequest, "The request is invalid.")
		return p, false
	}
	rel, ok := a.relaties.get(snelstart.ID(id))
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeArtikelKlantNotFound)
		return p, false
	}
	p.relatie = rel
	return p, true
}

func (p pricing) apply(a *Administratie, art *snelstart.Artikel) {
	if p.relatie != nil {
		pa := a.prijsafspraak(art, p.relatie, p.aantal, p.datum)
		art.Prijsafspraak = &pa
	}
}

// prijsafspraak works out the customer's price for aantal of art on datum:
// the price agreement whose period holds datum, and of its tiers the one
// with the highest vanaf not above aantal; else the article's own price.
// The caller holds a.mu.
func (a *Administratie) prijsafspraak(art *snelstart.Artikel, rel *snelstart.Relatie, aantal decimal.Decimal, datum snelstart.LocalTime) snelstart.Prijsafspraak {
	basis := dec(0, -2)
	if art.Verkoopprijs != nil {
		basis = *art.Verkoopprijs
	}
	pa := snelstart.Prijsafspraak{
		Relatie: ref("/relaties/", &snelstart.Ref{ID: rel.ID}), Artikel: ref("/artikelen/", &snelstart.Ref{ID: art.ID}),
		Datum: datum, Aantal: snelstart.Ptr(snelstart.NewDecimal(aantal)), Korting: snelstart.Ptr(dec(0, 0)),
		Verkoopprijs: &basis, Basisprijs: &basis, PrijsBepalingSoort: snelstart.PrijsBepalingSoortNormaleVerkoopprijs,
	}
	k := a.afspraak(art.ID, rel.ID, datum)
	if k == nil {
		return pa
	}
	var tier *PrijsAfspraakRegel
	for i := range k.PrijsAfspraken {
		t := &k.PrijsAfspraken[i]
		if t.Vanaf.LessThanOrEqual(aantal) && (tier == nil || t.Vanaf.GreaterThan(tier.Vanaf.Decimal)) {
			tier = t
		}
	}
	if tier == nil {
		return pa
	}
	switch k.PrijsIngave {
	case PrijsIngaveKorting, PrijsIngaveStaffelKorting:
		if tier.Korting == nil {
			return pa
		}
		pa.Korting = tier.Korting
		pa.Verkoopprijs = snelstart.Ptr(a.discounted(basis, *tier.Korting))
	default:
		if tier.Verkoopprijs == nil {
			return pa
		}
		pa.Verkoopprijs = tier.Verkoopprijs
	}
	pa.PrijsBepalingSoort = snelstart.PrijsBepalingSoortAfspraakPerArtikelklant
	pa.DatumVanaf, pa.DatumTotEnMet = k.Startdatum, k.Einddatum
	return pa
}

// discounted returns price less korting percent, rounded to the company's
// price decimals.
func (a *Administratie) discounted(price, korting snelstart.Decimal) snelstart.Decimal {
	v := price.Mul(decimal.NewFromInt(1).Sub(korting.Div(decimal.NewFromInt(100))))
	return snelstart.NewDecimal(a.roundPrice(v))
}

func (a *Administratie) roundPrice(v decimal.Decimal) decimal.Decimal {
	places := int32(2)
	if a.company.AantalDecimalenArtikelprijzen != nil {
		places = int32(*a.company.AantalDecimalenArtikelprijzen)
	}
	if a.sb.opts.Rounding == RoundHalfEven {
		return v.RoundBank(places)
	}
	return v.Round(places)
}

// afspraak returns the agreement of the relatie on the artikel that holds on
// datum, or nil. The caller holds a.mu.
func (a *Administratie) afspraak(artikel, relatie snelstart.ID, datum snelstart.LocalTime) *KlantAfspraak {
	for i := range a.afspraken {
		k := &a.afspraken[i]
		if k.Artikel.ID.Equal(artikel) && k.Relatie.ID.Equal(relatie) && inPeriod(datum, k.Startdatum, k.Einddatum) {
			return k
		}
	}
	return nil
}

// inPeriod reports whether the day of t is within [from, to]; a zero bound
// is open.
func inPeriod(t, from, to snelstart.LocalTime) bool {
	y, m, d := t.Date()
	day := snelstart.LocalDate(y, m, d)
	return (from.IsZero() || from.Compare(day) <= 0) && (to.IsZero() || day.Compare(to) <= 0)
}

// postArtikel serves POST /v2/artikelen: 201 with the ArtikelModel.
func (s *Sandbox) postArtikel(w http.ResponseWriter, r *http.Request, a *Administratie) {
	var art snelstart.Artikel
	if !decodeBody(w, r, &art, "") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ps problems
	if art.ID != "" {
		ps.add(snelstart.CodeIDMustBeEmpty)
	}
	if !a.checkArtikel(w, &art, nil, ps) {
		return
	}
	art.ID = snelstart.NewID()
	art.IsHoofdartikel, art.Subartikelen = snelstart.Ptr(false), nil
	art.TechnischeVoorraad, art.VrijeVoorraad = snelstart.Ptr(dec(0, 0)), snelstart.Ptr(dec(0, 0))
	stored := a.completeArtikel(&art)
	a.artikelen.put(stored.ID, stored)
	w.Header().Set("Location", snelstart.ItemPath(snelstart.PathArtikel, stored.ID))
	writeJSON(w, http.StatusCreated, artikelModel(stored))
}

// putArtikel serves PUT /v2/artikelen/{id}; the stock and sub-articles are
// read-only and kept.
func (s *Sandbox) putArtikel(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var art snelstart.Artikel
	if !decodeBody(w, r, &art, "") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.artikelen.get(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeArtikelNotFound)
		return
	}
	var ps problems
	if art.ID != "" && !art.ID.Equal(id) {
		ps.add(snelstart.CodeIDMismatch)
	}
	if !a.checkArtikel(w, &art, old, ps) {
		return
	}
	art.ID = old.ID
	art.IsHoofdartikel, art.Subartikelen = old.IsHoofdartikel, old.Subartikelen
	art.TechnischeVoorraad, art.VrijeVoorraad = old.TechnischeVoorraad, old.VrijeVoorraad
	stored := a.completeArtikel(&art)
	a.artikelen.put(stored.ID, stored)
	writeJSON(w, http.StatusOK, artikelModel(stored))
}

func (a *Administratie) completeArtikel(art *snelstart.Artikel) *snelstart.Artikel {
	art.ModifiedOn = a.sb.localNow()
	art.Prijsafspraak = nil
	if art.IsNonActief == nil {
		art.IsNonActief = snelstart.Ptr(false)
	}
	if art.VoorraadControle == nil {
		art.VoorraadControle = snelstart.Ptr(false)
	}
	return artikelRefs(art)
}

// artikelModel returns art as an ArtikelModel, which lacks the read-only
// isHoofdartikel and subartikelen of ArtikelQueryModel.
func artikelModel(art *snelstart.Artikel) snelstart.Artikel {
	c := *art
	c.IsHoofdartikel, c.Subartikelen = nil, nil
	return c
}

// checkArtikel validates art for POST (old nil) or PUT and answers 400 with
// every failure (snelstart-api.md §7.1).
func (a *Administratie) checkArtikel(w http.ResponseWriter, art *snelstart.Artikel, old *snelstart.Artikel, ps problems) bool {
	code := art.Artikelcode
	switch {
	case strings.TrimSpace(code) == "":
		ps.add(snelstart.CodeArtikelcodeRequired)
	case a.company.ArtikelcodeSoort == snelstart.ArtikelcodeSoortNumeriek && strings.Trim(code, "0123456789") != "":
		ps.add(snelstart.CodeArtikelcodeNotNumeric)
	case a.company.ArtikelcodeMaxLengte != nil && tooLong(code, *a.company.ArtikelcodeMaxLengte):
		ps.add(snelstart.CodeArtikelcodeTooLong)
	default:
		for _, o := range a.artikelen.all() {
			if o.Artikelcode == code && (old == nil || !o.ID.Equal(old.ID)) {
				ps.add(snelstart.CodeArtikelcodeExists)
				break
			}
		}
	}
	switch {
	case strings.TrimSpace(art.Omschrijving) == "":
		ps.add(snelstart.CodeArtikelOmschrijvingMissing)
	case tooLong(art.Omschrijving, 250):
		ps.add(snelstart.CodeArtikelOmschrijvingTooLong)
	}
	if g := art.ArtikelOmzetgroep; g == nil || g.ID == "" {
		ps.add(snelstart.CodeArtikelOmzetgroepRequired)
	} else if _, ok := a.groepen.get(g.ID); !ok {
		ps.add(snelstart.CodeArtikelOmzetgroepNotFound)
	}
	if rel := art.Relatie; rel != nil && rel.ID != "" {
		if _, ok := a.relaties.get(rel.ID); !ok {
			ps.add(snelstart.CodeRelatieNotFound, "relatie")
		}
	}
	if len(ps) > 0 {
		writeProblems(w, http.StatusBadRequest, ps)
		return false
	}
	return true
}

// getPrijsafspraken serves GET /v2/prijsafspraken. Its $filter is not a
// filter but the question: "Artikel/Id eq guid'…'" is required, and
// "Relatie/Id eq guid'…'", "Aantal eq N" and "Datum eq datetime'…'" may
// follow, joined by and (snelstart-api.md §7.3). Without Relatie/Id it
// answers the price of each customer that has an agreement on the article.
func (s *Sandbox) getPrijsafspraken(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.Prijsafspraak](), 0, snelstart.MaxTop)
	if !ok {
		return
	}
	var args afspraakArgs
	if q.filter != nil {
		if err := args.collect(q.filter.expr); err != nil {
			writeProblem(w, http.StatusBadRequest, snelstart.CodeInvalidODataFilter, err.Error())
			return
		}
	}
	if args.artikel == "" {
		writeProblem(w, http.StatusBadRequest, snelstart.CodeInvalidODataFilter, "Een $filter met Artikel/Id is verplicht.")
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	art, ok := a.artikelen.get(args.artikel)
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeArtikelNotFound)
		return
	}
	datum := args.datum
	if datum.IsZero() {
		datum = s.today()
	}
	aantal := decimal.NewFromInt(1)
	if args.aantal != nil {
		aantal = *args.aantal
	}
	var out []*snelstart.Prijsafspraak
	if args.relatie != "" {
		rel, ok := a.relaties.get(args.relatie)
		if !ok {
			writeProblem(w, http.StatusNotFound, snelstart.CodeRelatieNotFound)
			return
		}
		pa := a.prijsafspraak(art, rel, aantal, datum)
		out = append(out, &pa)
	} else {
		seen := map[string]bool{}
		for _, k := range a.afspraken {
			rel, ok := a.relaties.get(k.Relatie.ID)
			if !ok || !k.Artikel.ID.Equal(art.ID) || seen[key(rel.ID)] || a.afspraak(art.ID, rel.ID, datum) == nil {
				continue
			}
			seen[key(rel.ID)] = true
			pa := a.prijsafspraak(art, rel, aantal, datum)
			out = append(out, &pa)
		}
	}
	writeList(w, listQuery{top: q.top, selec: q.selec}, deref(page(listQuery{top: q.top, skip: q.skip}, out)))
}

// afspraakArgs are the terms of a /prijsafspraken filter.
type afspraakArgs struct {
	artikel, relatie snelstart.ID
	aantal           *decimal.Decimal
	datum            snelstart.LocalTime
}

func (args *afspraakArgs) collect(x expr) error {
	switch x := x.(type) {
	case *logicalExpr:
		if x.or {
			return unsupportedf("/prijsafspraken accepts only terms joined by 'and'")
		}
		if err := args.collect(x.left); err != nil {
			return err
		}
		return args.collect(x.right)
	case *compareExpr:
		p, okP := x.left.(*propExpr)
		c, okC := x.right.(*constExpr)
		if !okP || !okC || x.op != "eq" {
			return unsupportedf("/prijsafspraken accepts only 'Property eq value' terms")
		}
		switch path := propPath(p); path {
		case "Artikel/Id":
			args.artikel = snelstart.ID(c.v.s)
		case "Relatie/Id":
			args.relatie = snelstart.ID(c.v.s)
		case "Aantal":
			n := c.v.n
			args.aantal = &n
		case "Datum":
			args.datum = c.v.t
		default:
			return unsupportedf("/prijsafspraken cannot be asked by %s; use Artikel/Id, Relatie/Id, Aantal and Datum", path)
		}
		return nil
	}
	return unsupportedf("/prijsafspraken accepts only 'Property eq value' terms joined by 'and'")
}

func propPath(p *propExpr) string {
	if b, ok := p.base.(*propExpr); ok {
		return propPath(b) + "/" + p.prop.name
	}
	return p.prop.name
}

// artikelPrijsAfspraken is the spec's ArtikelPrijsAfsprakenModel, of GET
// /v2/artikelen/prijsafspraken.
type artikelPrijsAfspraken struct {
	ArtikelCode         string             `json:"artikelCode,omitempty"`
	ArtikelOmschrijving string             `json:"artikelOmschrijving,omitempty"`
	Basisprijs          *snelstart.Decimal `json:"basisprijs,omitempty"`
	KlantAfspraken      []klantAfspraken   `json:"klantAfspraken,omitempty"`
}

// klantAfspraken is the spec's KlantAfsprakenModel.
type klantAfspraken struct {
	RelatiePublicIdentifier snelstart.ID         `json:"relatiePublicIdentifier,omitempty"`
	RelatieCode             *int                 `json:"relatieCode,omitempty"`
	RelatieNaam             string               `json:"relatieNaam,omitempty"`
	Startdatum              snelstart.LocalTime  `json:"startdatum,omitzero"`
	Einddatum               snelstart.LocalTime  `json:"einddatum,omitzero"`
	PrijsIngave             PrijsIngave          `json:"prijsIngave,omitempty"`
	Status                  string               `json:"status,omitempty"` // Verlopen, Gepland, Actief
	PrijsAfspraken          []PrijsAfspraakRegel `json:"prijsAfspraken,omitempty"`
}

// getArtikelPrijsafspraken serves GET /v2/artikelen/prijsafspraken: each
// article that has price agreements, with them, OData and $top ≤ 25.
func (s *Sandbox) getArtikelPrijsafspraken(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[artikelPrijsAfspraken](), snelstart.MaxTopArtikelen, snelstart.MaxTopArtikelen)
	if !ok {
		return
	}
	today := s.today()
	a.mu.RLock()
	var all []*artikelPrijsAfspraken
	for _, art := range a.artikelen.all() {
		m := &artikelPrijsAfspraken{ArtikelCode: art.Artikelcode, ArtikelOmschrijving: art.Omschrijving, Basisprijs: art.Verkoopprijs}
		for _, k := range a.afspraken {
			rel, ok := a.relaties.get(k.Relatie.ID)
			if !ok || !k.Artikel.ID.Equal(art.ID) {
				continue
			}
			status := "Actief"
			switch {
			case !k.Einddatum.IsZero() && k.Einddatum.Compare(today) < 0:
				status = "Verlopen"
			case !k.Startdatum.IsZero() && k.Startdatum.Compare(today) > 0:
				status = "Gepland"
			}
			tiers := clone(k.PrijsAfspraken)
			for i := range tiers {
				if tiers[i].Verkoopprijs == nil && tiers[i].Korting != nil && art.Verkoopprijs != nil {
					tiers[i].Verkoopprijs = snelstart.Ptr(a.discounted(*art.Verkoopprijs, *tiers[i].Korting))
				}
			}
			m.KlantAfspraken = append(m.KlantAfspraken, klantAfspraken{
				RelatiePublicIdentifier: rel.ID, RelatieCode: rel.Relatiecode, RelatieNaam: rel.Naam,
				Startdatum: k.Startdatum, Einddatum: k.Einddatum, PrijsIngave: k.PrijsIngave, Status: status, PrijsAfspraken: tiers,
			})
		}
		if len(m.KlantAfspraken) > 0 {
			all = append(all, m)
		}
	}
	a.mu.RUnlock()
	writeList(w, q, deref(page(q, all)))
}
