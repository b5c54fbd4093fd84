package snelstartsandbox

import (
	"fmt"
	"net/http"
	"reflect"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// getVerkoopOrders serves GET /v2/verkooporders with OData, $top ≤ 500.
func (s *Sandbox) getVerkoopOrders(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.VerkoopOrder](), snelstart.MaxTop, snelstart.MaxTop)
	if !ok {
		return
	}
	a.mu.RLock()
	all := a.orders.all()
	a.mu.RUnlock()
	writeList(w, q, deref(page(q, all)))
}

func (s *Sandbox) getVerkoopOrder(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOneOrCode(w, r, a, &a.orders, snelstart.CodeOrderNotFound)
}

// postVerkoopOrder serves POST /v2/verkooporders: it validates the order,
// fills in what SnelStart fills in (nummer, modifiedOn, defaults, line
// totals, the two order totals) and answers 201 with the stored order.
func (s *Sandbox) postVerkoopOrder(w http.ResponseWriter, r *http.Request, a *Administratie) {
	var o snelstart.VerkoopOrder
	if !decodeBody(w, r, &o, "") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ps problems
	if o.ID != "" {
		ps.add(snelstart.CodeIDMustBeEmpty)
	}
	if o.Nummer != nil {
		ps.add(snelstart.CodeOrderNummerMustBeEmpty)
	}
	rel, ok := a.checkOrder(w, &o, ps)
	if !ok {
		return
	}
	o.ID = snelstart.NewID()
	nr := 1
	if a.company.VolgendVerkoopordernummer != nil {
		nr = *a.company.VolgendVerkoopordernummer
	}
	a.company.VolgendVerkoopordernummer = snelstart.Ptr(nr + 1)
	o.Nummer = snelstart.Ptr(nr)
	o.Verkoopfactuur = nil
	a.completeOrder(&o, rel)
	b, err := a.computeTotals(s, &o)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "An error has occurred.")
		return
	}
	a.breakdowns[key(o.ID)] = b
	stored := orderRefs(&o)
	a.orders.put(stored.ID, stored)
	w.Header().Set("Location", snelstart.ItemPath(snelstart.PathVerkoopOrder, stored.ID))
	writeJSON(w, http.StatusCreated, stored)
}

// putVerkoopOrder serves PUT /v2/verkooporders/{id}, which replaces the
// order. Only a quotation (procesStatus Offerte) can be changed: any other
// answers VOR-0015 (snelstart-api.md §5.2, an inference from the code's
// text).
func (s *Sandbox) putVerkoopOrder(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var o snelstart.VerkoopOrder
	if !decodeBody(w, r, &o, "") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.orders.get(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeOrderNotFound)
		return
	}
	if old.ProcesStatus != snelstart.ProcesStatusOfferte {
		writeProblem(w, http.StatusBadRequest, snelstart.CodeOrderNotOfferte)
		return
	}
	var ps problems
	if o.ID != "" && !o.ID.Equal(id) {
		ps.add(snelstart.CodeIDMismatch)
	}
	rel, ok := a.checkOrder(w, &o, ps)
	if !ok {
		return
	}
	o.ID, o.Nummer, o.Verkoopfactuur = old.ID, old.Nummer, old.Verkoopfactuur
	a.completeOrder(&o, rel)
	b, err := a.computeTotals(s, &o)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "An error has occurred.")
		return
	}
	a.breakdowns[key(o.ID)] = b
	stored := orderRefs(&o)
	a.orders.put(stored.ID, stored)
	writeJSON(w, http.StatusOK, stored)
}

// deleteVerkoopOrder serves DELETE /v2/verkooporders/{id}, which answers
// 201 with an empty object, as the spec says (snelstart-api.md §10 item 20).
func (s *Sandbox) deleteVerkoopOrder(w http.ResponseWriter, r *http.Request, a *Administratie) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.orders.get(id); !ok {
		writeProblem(w, http.StatusNotFound, snelstart.CodeOrderNotFound)
		return
	}
	a.orders.delete(id)
	delete(a.breakdowns, key(id))
	writeJSON(w, http.StatusCreated, struct{}{})
}

// checkOrder validates o (snelstart-api.md §3.1, §5.2) and returns its
// relatie, or answers 400 with every failure: first the model-binding
// failures, then the business rules (ps holds those the caller found). The
// caller holds a.mu.
func (a *Administratie) checkOrder(w http.ResponseWriter, o *snelstart.VerkoopOrder, ps problems) (*snelstart.Relatie, bool) {
	ms := modelState{}
	if o.Relatie == nil || o.Relatie.ID == "" {
		ms.add("relatie", "The Relatie field is required.")
	}
	if o.Datum.IsZero() {
		ms.add("datum", "The Datum field is required.")
	}
	if k := o.Krediettermijn; k != nil && (*k < 0 || *k > 100) {
		ms.add("krediettermijn", "The field Krediettermijn must be between 0 and 100.")
	}
	switch o.ProcesStatus {
	case "", snelstart.ProcesStatusOrder, snelstart.ProcesStatusOfferte, snelstart.ProcesStatusBevestiging,
		snelstart.ProcesStatusWerkbon, snelstart.ProcesStatusPakbon, snelstart.ProcesStatusAfhaalbon:
	case snelstart.ProcesStatusContantbon, snelstart.ProcesStatusFactuur:
		ms.add("procesStatus", "Contantbon en Factuur zijn niet beschikbaar.")
	default:
		ms.add("procesStatus", "Error converting value %q to type 'ProcesStatusModel'.", o.ProcesStatus)
	}
	switch o.VerkoopOrderStatus {
	case "", snelstart.VerkoopOrderStatusInBehandeling, snelstart.VerkoopOrderStatusUitgevoerd, snelstart.VerkoopOrderStatusService:
	default:
		ms.add("verkoopOrderStatus", "Error converting value %q to type 'VerkoopOrderStatusModel'.", o.VerkoopOrderStatus)
	}
	switch o.VerkooporderBtwIngaveModel {
	case "", snelstart.BtwIngaveInclusief, snelstart.BtwIngaveExclusief:
	default:
		ms.add("verkooporderBtwIngaveModel", "Error converting value %q to type 'VerkooporderBtwIngaveModel'.", o.VerkooporderBtwIngaveModel)
	}
	if tooLong(o.Omschrijving, 50) {
		ms.add("omschrijving", "The field Omschrijving must be a string with a maximum length of 50.")
	}
	for i, l := range o.Regels {
		if tooLong(l.Omschrijving, 250) {
			ms.add(fmt.Sprintf("regels[%d].omschrijving", i), "The field Omschrijving must be a string with a maximum length of 250.")
		}
		if (l.Artikel == nil || l.Artikel.ID == "") && l.Stuksprijs != nil && !l.Stuksprijs.IsZero() {
			ms.add(fmt.Sprintf("regels[%d].artikel", i), "Een regel met een bedrag moet een artikel hebben: de btw volgt uit het artikel.")
		}
	}
	if len(ms) > 0 {
		writeModelState(w, ms)
		return nil, false
	}

	rel, ok := a.relaties.get(o.Relatie.ID)
	switch {
	case !ok:
		ps.add(snelstart.CodeRelatieNotFound)
	case isTrue(rel.Nonactief):
		ps.add(snelstart.CodeItemNonactief, "relatie")
	case !hasSoort(rel, snelstart.RelatiesoortKlant):
		ps.add(snelstart.CodeRelatieNotKlant)
	}
	for _, ad := range []*snelstart.Adres{o.Afleveradres, o.Factuuradres} {
		if ad == nil {
			continue
		}
		if tooLong(ad.Straat, 50) {
			ps.add(snelstart.CodeOrderStraatTooLong)
		}
		if tooLong(ad.Postcode, 25) {
			ps.add(snelstart.CodeOrderPostcodeTooLong)
		}
		if tooLong(ad.Plaats, 50) {
			ps.add(snelstart.CodeOrderPlaatsTooLong)
		}
		if tooLong(ad.Contactpersoon, 50) {
			ps.add(snelstart.CodeOrderContactpersoonTooLong)
		}
		if ad.Land != nil && ad.Land.ID != "" && !a.hasLand(ad.Land.ID) {
			ps.add(snelstart.CodeOrderLandNotFound)
		}
	}
	if tooLong(o.Orderreferentie, 50) {
		ps.add(snelstart.CodeOrderreferentieTooLong)
	}
	if o.Incassomachtiging != nil && o.Incassomachtiging.ID != "" {
		ps.add(snelstart.CodeIncassomachtigingNotFound)
	}
	if k := o.Kostenplaats; k != nil && k.ID != "" {
		a.checkKostenplaats(&ps, k.ID)
	}
	if t := o.Verkoopordersjabloon; t != nil && t.ID != "" && !t.ID.Equal(snelstart.NilID) {
		if sj, ok := a.sjablonen.get(t.ID); !ok {
			ps.add(snelstart.CodeInvalidID, "verkoopordersjabloon")
		} else if isTrue(sj.Nonactief) {
			ps.add(snelstart.CodeItemNonactief, "verkoopordersjabloon")
		}
	}
	for i, l := range o.Regels {
		if l.Artikel == nil || l.Artikel.ID == "" {
			continue
		}
		if art, ok := a.artikelen.get(l.Artikel.ID); !ok {
			ps.add(snelstart.CodeArtikelNotFound, fmt.Sprintf("regels[%d]", i))
		} else if isTrue(art.IsNonActief) {
			ps.add(snelstart.CodeItemNonactief, fmt.Sprintf("regels[%d]", i))
		}
	}
	if rel != nil {
		_, vps := a.orderBtw(o, rel)
		ps = append(ps, vps...)
	}
	if len(ps) > 0 {
		writeProblems(w, http.StatusBadRequest, ps)
		return nil, false
	}
	return rel, true
}

// completeOrder fills in what SnelStart fills in when a field is left out
// (snelstart-api.md §5.1, §5.2): the template (the first active one for none
// or the all-zero id), the price entry mode (the template's), procesStatus
// Order, verkoopOrderStatus InBehandeling, the customer's krediettermijn
// (else 14) and factuurkorting (else 0), the template's blocking, and per
// line the article's description, quantity 1 and the customer's price. The
// caller holds a.mu.
func (a *Administratie) completeOrder(o *snelstart.VerkoopOrder, rel *snelstart.Relatie) {
	o.ModifiedOn = a.sb.localNow()
	var sj *snelstart.VerkoopOrderSjabloon
	if t := o.Verkoopordersjabloon; t != nil && t.ID != "" && !t.ID.Equal(snelstart.NilID) {
		sj, _ = a.sjablonen.get(t.ID)
	} else {
		for _, c := range a.sjablonen.all() {
			if !isTrue(c.Nonactief) {
				sj = c
				break
			}
		}
		o.Verkoopordersjabloon = nil
		if sj != nil {
			o.Verkoopordersjabloon = &snelstart.Ref{ID: sj.ID}
		}
	}
	if o.VerkooporderBtwIngaveModel == "" {
		o.VerkooporderBtwIngaveModel = snelstart.BtwIngaveExclusief
		if sj != nil && sj.PrijsIngaveExclusiefBtw != nil && !*sj.PrijsIngaveExclusiefBtw {
			o.VerkooporderBtwIngaveModel = snelstart.BtwIngaveInclusief
		}
	}
	if o.ProcesStatus == "" {
		o.ProcesStatus = snelstart.ProcesStatusOrder
	}
	if o.VerkoopOrderStatus == "" {
		o.VerkoopOrderStatus = snelstart.VerkoopOrderStatusInBehandeling
	}
	if o.Krediettermijn == nil {
		o.Krediettermijn = snelstart.Ptr(14)
		if rel.Krediettermijn != nil {
			o.Krediettermijn = snelstart.Ptr(min(max(*rel.Krediettermijn, 0), 100))
		}
	}
	if o.Geblokkeerd == nil {
		o.Geblokkeerd = snelstart.Ptr(sj != nil && isTrue(sj.NieuweOrdersBlokkeren))
	}
	if o.Factuurkorting == nil {
		o.Factuurkorting = snelstart.Ptr(dec(0, 0))
		if rel.Factuurkorting != nil {
			o.Factuurkorting = snelstart.Ptr(*rel.Factuurkorting)
		}
	}
	if sj != nil {
		for i := range o.ExtraHoofdVelden {
			o.ExtraHoofdVelden[i].Omschrijving = veldOmschrijving(sj.ExtraHoofdVelden, o.ExtraHoofdVelden[i].VeldNummer)
		}
	}
	regels := make([]snelstart.VerkoopOrderRegel, len(o.Regels))
	for i, l := range o.Regels {
		if sj != nil {
			l.ExtraRegelVelden = append([]snelstart.IngaveGegeven(nil), l.ExtraRegelVelden...)
			for j := range l.ExtraRegelVelden {
				l.ExtraRegelVelden[j].Omschrijving = veldOmschrijving(sj.ExtraRegelVelden, l.ExtraRegelVelden[j].VeldNummer)
			}
		}
		if l.Aantal == nil {
			l.Aantal = snelstart.Ptr(dec(1, 0))
		}
		if l.KortingsPercentage == nil {
			l.KortingsPercentage = snelstart.Ptr(dec(0, 0))
		}
		if l.Artikel != nil && l.Artikel.ID != "" {
			art, _ := a.artikelen.get(l.Artikel.ID)
			if l.Omschrijving == "" {
				l.Omschrijving = art.Omschrijving
			}
			if l.Stuksprijs == nil {
				l.Stuksprijs = snelstart.Ptr(a.defaultPrice(art, rel, l.Aantal.Decimal, o))
			}
		} else if l.Stuksprijs == nil {
			l.Stuksprijs = snelstart.Ptr(dec(0, -2))
		}
		regels[i] = l
	}
	o.Regels = regels
}

func veldOmschrijving(defs []snelstart.IngaveGegevenSjabloon, nr *int) string {
	for _, d := range defs {
		if nr != nil && d.VeldNummer != nil && *d.VeldNummer == *nr {
			return d.Omschrijving
		}
	}
	return ""
}

// defaultPrice is the unit price of a line that has none: the customer's
// price (a price agreement, else the article's verkoopprijs), converted to
// the order's entry mode with the article's VAT rate when the article file
// holds prices the other way (unconfirmed, snelstart-api.md §11 question 12).
func (a *Administratie) defaultPrice(art *snelstart.Artikel, rel *snelstart.Relatie, aantal decimal.Decimal, o *snelstart.VerkoopOrder) snelstart.Decimal {
	pa := a.prijsafspraak(art, rel, aantal, o.Datum)
	price := pa.Verkoopprijs.Decimal
	fileExcl := isTrue(a.company.VerkoopprijsArtikelbestandExclusiefBtw)
	orderExcl := o.VerkooporderBtwIngaveModel != snelstart.BtwIngaveInclusief
	if fileExcl == orderExcl {
		return snelstart.NewDecimal(price)
	}
	_, rate := a.lineVAT(art, o.Datum)
	f := decimal.NewFromInt(1).Add(rate.Div(decimal.NewFromInt(100)))
	if fileExcl {
		return snelstart.NewDecimal(a.roundPrice(price.Mul(f)))
	}
	return snelstart.NewDecimal(a.roundPrice(price.Div(f)))
}

// lineVAT returns the btw-soort of art's revenue group and its percentage
// on datum.
func (a *Administratie) lineVAT(art *snelstart.Artikel, datum snelstart.LocalTime) (snelstart.BtwSoort, decimal.Decimal) {
	soort := snelstart.BtwSoortGeen
	if art != nil && art.ArtikelOmzetgroep != nil {
		if g, ok := a.groepen.get(art.ArtikelOmzetgroep.ID); ok {
			soort = g.VerkoopNederlandBtwSoort
		}
	}
	return soort, a.rate(soort, datum)
}

// rate returns the percentage of soort on the day of datum from the VAT
// table; 0 if the table has none.
func (a *Administratie) rate(soort snelstart.BtwSoort, datum snelstart.LocalTime) decimal.Decimal {
	for _, t := range a.btw {
		if t.BtwSoort == soort && inPeriod(datum, t.DatumVanaf, t.DatumTotEnMet) {
			return t.BtwPercentage.Decimal
		}
	}
	return decimal.Zero
}

// computeTotals sets each line's totaal and the order's totals, and returns
// the breakdown. A line's VAT follows from the order's regime (orderBtw):
// under Dutch VAT from its article's revenue group and the VAT table on
// the order's datum; a line without an article has none. The caller holds
// a.mu (or owns a, while it is built).
func (a *Administratie) computeTotals(sb *Sandbox, o *snelstart.VerkoopOrder) (Breakdown, error) {
	for i, l := range o.Regels {
		if l.Artikel != nil && l.Artikel.ID != "" {
			if _, ok := a.artikelen.get(l.Artikel.ID); !ok {
				return Breakdown{}, fmt.Errorf("regel %d: no artikel %s", i, l.Artikel.ID)
			}
		}
	}
	var rel *snelstart.Relatie
	if o.Relatie != nil {
		rel, _ = a.relaties.get(o.Relatie.ID)
	}
	b, ps := a.orderBtw(o, rel)
	if len(ps) > 0 {
		return Breakdown{}, fmt.Errorf("%s %s: %s", ps[0].ErrorCode, ps[0].Message, ps[0].Details)
	}
	lines := make([]TotalsLine, len(o.Regels))
	for i, l := range o.Regels {
		rb := b.Regels[i]
		tl := TotalsLine{BtwSoort: rb.BtwSoort, BtwPercentage: rb.BtwPercentage, Aantal: dec(1, 0)}
		if l.Stuksprijs != nil {
			tl.Stuksprijs = *l.Stuksprijs
		}
		if l.Aantal != nil {
			tl.Aantal = *l.Aantal
		}
		if l.KortingsPercentage != nil {
			tl.KortingsPercentage = *l.KortingsPercentage
		}
		lines[i] = tl
	}
	var fk snelstart.Decimal
	if o.Factuurkorting != nil {
		fk = *o.Factuurkorting
	}
	ingave := o.VerkooporderBtwIngaveModel
	if ingave == "" {
		ingave = snelstart.BtwIngaveExclusief
	}
	rules := TotalsRules{Regelkorting: a.company.RegelkortingVerkooporder, VAT: sb.opts.VAT, Rounding: sb.opts.Rounding}
	t := ComputeTotals(rules, ingave, fk, lines)
	regels := make([]snelstart.VerkoopOrderRegel, len(o.Regels))
	copy(regels, o.Regels)
	for i := range regels {
		regels[i].Totaal = snelstart.Ptr(t.Regels[i])
	}
	o.Regels = regels
	o.TotaalExclusiefBtw = snelstart.Ptr(t.TotaalExclusiefBtw)
	o.TotaalInclusiefBtw = snelstart.Ptr(t.TotaalInclusiefBtw)
	b.Totals = t
	return b, nil
}
