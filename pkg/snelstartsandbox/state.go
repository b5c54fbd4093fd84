package snelstartsandbox

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/koppel/koppel/pkg/snelstart"
)

// A collection holds the objects of one kind in insertion order. Stored
// objects are never modified: an update stores a new object, so a reader
// may use what it got after releasing the lock.
type collection[T any] struct {
	order []string // lower-case ids
	byID  map[string]*T
}

func key(id snelstart.ID) string { return strings.ToLower(string(id)) }

func (c *collection[T]) get(id snelstart.ID) (*T, bool) {
	v, ok := c.byID[key(id)]
	return v, ok
}

func (c *collection[T]) put(id snelstart.ID, v *T) {
	if c.byID == nil {
		c.byID = map[string]*T{}
	}
	k := key(id)
	if _, ok := c.byID[k]; !ok {
		c.order = append(c.order, k)
	}
	c.byID[k] = v
}

func (c *collection[T]) delete(id snelstart.ID) {
	k := key(id)
	if _, ok := c.byID[k]; !ok {
		return
	}
	delete(c.byID, k)
	c.order = slices.DeleteFunc(c.order, func(s string) bool { return s == k })
}

// all returns the objects in insertion order; the slice is the caller's.
func (c *collection[T]) all() []*T {
	out := make([]*T, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, c.byID[k])
	}
	return out
}

func (c *collection[T]) len() int { return len(c.order) }

// An Administratie is the state of one SnelStart administration in a
// [Sandbox], opened by one client key. Its methods are safe for concurrent
// use with each other and with the HTTP API; what they return is a copy.
type Administratie struct {
	sb        *Sandbox
	clientKey string
	scopes    []string

	mu             sync.RWMutex
	company        snelstart.CompanyInfo
	btw            []BtwTarief
	vatRates       []snelstart.VatRates
	landen         collection[snelstart.Land]
	kostenplaatsen collection[snelstart.Kostenplaats]
	groepen        collection[snelstart.ArtikelOmzetgroep]
	buitenland     map[string]buitenland // a group's ledgers for sales abroad, by group id
	sjablonen      collection[snelstart.VerkoopOrderSjabloon]
	artikelen      collection[snelstart.Artikel]
	relaties       collection[snelstart.Relatie]
	afspraken      []KlantAfspraak
	orders         collection[snelstart.VerkoopOrder]
	facturen       collection[snelstart.VerkoopFactuur]
	breakdowns     map[string]Breakdown // by order id

	limiter *limiter
	calls   callCounter
}

// ClientKey returns the client key (koppelsleutel) that opens a.
func (a *Administratie) ClientKey() string { return a.clientKey }

// CompanyInfo returns the administration's company info, as GET
// /v2/companyInfo does.
func (a *Administratie) CompanyInfo() snelstart.CompanyInfo {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return clone(a.company)
}

// Relaties returns all relations, inactive ones included, in creation
// order.
func (a *Administratie) Relaties() []snelstart.Relatie { return values(a, &a.relaties) }

// Artikelen returns all articles in creation order.
func (a *Administratie) Artikelen() []snelstart.Artikel { return values(a, &a.artikelen) }

// VerkoopOrders returns all sales orders in creation order.
func (a *Administratie) VerkoopOrders() []snelstart.VerkoopOrder { return values(a, &a.orders) }

// VerkoopFacturen returns all sales invoices in creation order.
func (a *Administratie) VerkoopFacturen() []snelstart.VerkoopFactuur {
	return values(a, &a.facturen)
}

// Prijsafspraken returns the price agreements.
func (a *Administratie) Prijsafspraken() []KlantAfspraak {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return clone(a.afspraken)
}

// VerkoopOrder returns the sales order with the given id.
func (a *Administratie) VerkoopOrder(id snelstart.ID) (snelstart.VerkoopOrder, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	o, ok := a.orders.get(id)
	if !ok {
		return snelstart.VerkoopOrder{}, false
	}
	return clone(*o), true
}

// Totals returns the amounts the sandbox computed for the sales order,
// including the per-soort breakdown the API does not return.
func (a *Administratie) Totals(orderID snelstart.ID) (Totals, bool) {
	b, ok := a.Breakdown(orderID)
	return b.Totals, ok
}

// Breakdown returns what the sandbox worked out for the sales order and
// the API does not return: its VAT regime, each line's VAT and the
// per-rate amounts.
func (a *Administratie) Breakdown(orderID snelstart.ID) (Breakdown, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	b, ok := a.breakdowns[key(orderID)]
	return clone(b), ok
}

// Kostenplaatsen returns the cost centres, inactive ones included.
func (a *Administratie) Kostenplaatsen() []snelstart.Kostenplaats {
	return values(a, &a.kostenplaatsen)
}

// Calls returns the calls made on this administration's behalf, token
// calls included.
func (a *Administratie) Calls() CallCounts { return a.calls.snapshot() }

func values[T any](a *Administratie, c *collection[T]) []T {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]T, 0, c.len())
	for _, v := range c.all() {
		out = append(out, clone(*v))
	}
	return out
}

// Factureer invoices the sales order as a person does in SnelStart: it
// creates a [snelstart.VerkoopFactuur] for the order's total, links the two,
// and sets the order's procesStatus to Factuur. It fails if the order does
// not exist or was invoiced already.
func (a *Administratie) Factureer(orderID snelstart.ID) (snelstart.VerkoopFactuur, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.orders.get(orderID)
	if !ok {
		return snelstart.VerkoopFactuur{}, fmt.Errorf("factureer: no verkooporder %s", orderID)
	}
	if o.Verkoopfactuur != nil {
		return snelstart.VerkoopFactuur{}, fmt.Errorf("factureer: verkooporder %s is already invoiced", orderID)
	}
	now := a.sb.localNow()
	nr := 1
	if a.company.VolgendFactuurnummer != nil {
		nr = *a.company.VolgendFactuurnummer
	}
	a.company.VolgendFactuurnummer = snelstart.Ptr(nr + 1)
	days := 0
	if o.Krediettermijn != nil {
		days = *o.Krediettermijn
	}
	y, m, d := now.Date()
	total := dec(0, -2)
	if o.TotaalInclusiefBtw != nil {
		total = *o.TotaalInclusiefBtw
	}
	id := snelstart.NewID()
	f := &snelstart.VerkoopFactuur{
		ModifiedOn:      now,
		OpenstaandSaldo: &total,
		Factuurnummer:   fmt.Sprint(nr),
		VervalDatum:     snelstart.LocalDate(y, m, d+days),
		Relatie:         ref("/relaties/", o.Relatie),
		FactuurDatum:    snelstart.LocalDate(y, m, d),
		FactuurBedrag:   &total,
		VerkoopOrders:   []snelstart.Ref{*ref("/verkooporders/", &snelstart.Ref{ID: o.ID})},
		ID:              id,
		URI:             "/verkoopfacturen/" + string(id),
	}
	a.facturen.put(id, f)
	updated := *o
	updated.Verkoopfactuur = ref("/verkoopfacturen/", &snelstart.Ref{ID: id})
	updated.ProcesStatus = snelstart.ProcesStatusFactuur
	updated.ModifiedOn = now
	a.orders.put(o.ID, &updated)
	return clone(*f), nil
}

// ref returns a copy of r with its uri set to prefix + id, or nil.
func ref(prefix string, r *snelstart.Ref) *snelstart.Ref {
	if r == nil || r.ID == "" {
		return nil
	}
	return &snelstart.Ref{ID: r.ID, URI: prefix + string(r.ID)}
}

func refs(prefix string, rs []snelstart.Ref) []snelstart.Ref {
	var out []snelstart.Ref
	for i := range rs {
		if r := ref(prefix, &rs[i]); r != nil {
			out = append(out, *r)
		}
	}
	return out
}

func adresRefs(a *snelstart.Adres) *snelstart.Adres {
	if a == nil {
		return nil
	}
	c := *a
	c.Land = ref("/landen/", a.Land)
	return &c
}

// newAdministratie builds the state of sa, filling in ids and uris and
// checking the links between the seeded objects.
func newAdministratie(sb *Sandbox, sa SeedAdministratie) (*Administratie, error) {
	sa = clone(sa)
	a := &Administratie{sb: sb, clientKey: sa.ClientKey, scopes: sa.Scopes, company: sa.CompanyInfo, btw: sa.BtwTarieven,
		vatRates: sa.VatRates, afspraken: sa.Prijsafspraken, buitenland: map[string]buitenland{}, breakdowns: map[string]Breakdown{}}
	if len(a.scopes) == 0 {
		a.scopes = allScopes
	}
	if len(a.btw) == 0 {
		a.btw = defaultBtwTarieven()
	}
	if len(a.vatRates) == 0 {
		a.vatRates = defaultVatRatesModels()
	}
	if len(sa.Landen) == 0 {
		sa.Landen = defaultLanden()
	}
	c := &a.company
	if c.AdministratieIdentifier == "" {
		c.AdministratieIdentifier = snelstart.NewID()
	}
	if c.RegelkortingVerkooporder == "" {
		c.RegelkortingVerkooporder = snelstart.RegelkortingBerekenenOverRegelBedrag
	}
	if c.ArtikelcodeSoort == "" {
		c.ArtikelcodeSoort = snelstart.ArtikelcodeSoortAlfanumeriek
	}
	if c.AantalDecimalenArtikelprijzen == nil {
		c.AantalDecimalenArtikelprijzen = snelstart.Ptr(2)
	}
	if c.AantalDecimalenArtikelaantallen == nil {
		c.AantalDecimalenArtikelaantallen = snelstart.Ptr(2)
	}
	if c.VerkoopprijsArtikelbestandExclusiefBtw == nil {
		c.VerkoopprijsArtikelbestandExclusiefBtw = snelstart.Ptr(false)
	}
	if c.FactureerBuitenlandsBtw == nil {
		c.FactureerBuitenlandsBtw = snelstart.Ptr(false) // vat-rounding.md §7.1
	}
	var errs []error
	for _, l := range sa.Landen {
		l.ID = orNewID(l.ID)
		l.URI = "/landen/" + string(l.ID)
		a.landen.put(l.ID, &l)
	}
	for _, k := range sa.Kostenplaatsen {
		k.ID = orNewID(k.ID)
		k.URI = "/kostenplaatsen/" + string(k.ID)
		if k.Nonactief == nil {
			k.Nonactief = snelstart.Ptr(false)
		}
		a.kostenplaatsen.put(k.ID, &k)
	}
	for _, sg := range sa.ArtikelOmzetgroepen {
		g := sg.ArtikelOmzetgroep
		g.ID = orNewID(g.ID)
		g.URI = "/artikelomzetgroepen/" + string(g.ID)
		g.VerkoopGrootboekNederlandIdentifier = ref("/grootboeken/", g.VerkoopGrootboekNederlandIdentifier)
		a.groepen.put(g.ID, &g)
		b, err := newBuitenland(sg.GrootboekenBuitenland)
		if err != nil {
			errs = append(errs, fmt.Errorf("artikelomzetgroep %s: %w", g.ID, err))
		}
		a.buitenland[key(g.ID)] = b
	}
	for _, s := range sa.VerkoopOrderSjablonen {
		s.ID = orNewID(s.ID)
		s.URI = "/verkoopordersjablonen/" + string(s.ID)
		a.sjablonen.put(s.ID, &s)
	}
	now := sb.localNow()
	for _, r := range sa.Relaties {
		r.ID = orNewID(r.ID)
		if r.ModifiedOn.IsZero() {
			r.ModifiedOn = now
		}
		a.relaties.put(r.ID, relatieRefs(&r))
		for _, ad := range []*snelstart.Adres{r.VestigingsAdres, r.CorrespondentieAdres} {
			if ad != nil && ad.Land != nil && !a.hasLand(ad.Land.ID) {
				errs = append(errs, fmt.Errorf("relatie %q: no land %s", r.Naam, ad.Land.ID))
			}
		}
	}
	for _, ar := range sa.Artikelen {
		ar.ID = orNewID(ar.ID)
		if ar.ModifiedOn.IsZero() {
			ar.ModifiedOn = now
		}
		if ar.ArtikelOmzetgroep == nil {
			errs = append(errs, fmt.Errorf("artikel %q: no artikelOmzetgroep", ar.Artikelcode))
		} else if _, ok := a.groepen.get(ar.ArtikelOmzetgroep.ID); !ok {
			errs = append(errs, fmt.Errorf("artikel %q: no artikelOmzetgroep %s", ar.Artikelcode, ar.ArtikelOmzetgroep.ID))
		}
		a.artikelen.put(ar.ID, artikelRefs(&ar))
	}
	for i, k := range a.afspraken {
		if _, ok := a.relaties.get(k.Relatie.ID); !ok {
			errs = append(errs, fmt.Errorf("prijsafspraak %d: no relatie %s", i, k.Relatie.ID))
		}
		if _, ok := a.artikelen.get(k.Artikel.ID); !ok {
			errs = append(errs, fmt.Errorf("prijsafspraak %d: no artikel %s", i, k.Artikel.ID))
		}
		a.afspraken[i].Relatie = *ref("/relaties/", &k.Relatie)
		a.afspraken[i].Artikel = *ref("/artikelen/", &k.Artikel)
	}
	for _, f := range sa.VerkoopFacturen {
		f.ID = orNewID(f.ID)
		if f.ModifiedOn.IsZero() {
			f.ModifiedOn = now
		}
		f.URI = "/verkoopfacturen/" + string(f.ID)
		f.Relatie = ref("/relaties/", f.Relatie)
		f.VerkoopBoeking = ref("/verkoopboekingen/", f.VerkoopBoeking)
		f.VerkoopOrders = refs("/verkooporders/", f.VerkoopOrders)
		a.facturen.put(f.ID, &f)
	}
	for _, o := range sa.VerkoopOrders {
		o.ID = orNewID(o.ID)
		if o.ModifiedOn.IsZero() {
			o.ModifiedOn = now
		}
		if o.Relatie == nil {
			errs = append(errs, fmt.Errorf("verkooporder %s: no relatie", o.ID))
			continue
		}
		b, err := a.computeTotals(sb, &o)
		if err != nil {
			errs = append(errs, fmt.Errorf("verkooporder %s: %w", o.ID, err))
			continue
		}
		a.breakdowns[key(o.ID)] = b
		a.orders.put(o.ID, orderRefs(&o))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("administratie %q: %w", sa.ClientKey, errors.Join(errs...))
	}
	return a, nil
}

func orNewID(id snelstart.ID) snelstart.ID {
	if id == "" {
		return snelstart.NewID()
	}
	return id
}

func (a *Administratie) hasLand(id snelstart.ID) bool {
	_, ok := a.landen.get(id)
	return ok
}

// relatieRefs sets the uris of r and its links, in place, and returns r.
func relatieRefs(r *snelstart.Relatie) *snelstart.Relatie {
	r.URI = "/relaties/" + string(r.ID)
	r.VestigingsAdres = adresRefs(r.VestigingsAdres)
	r.CorrespondentieAdres = adresRefs(r.CorrespondentieAdres)
	r.FactuurRelatie = ref("/relaties/", r.FactuurRelatie)
	r.InkoopBoekingenURI = "/relaties/" + string(r.ID) + "/inkoopboekingen"
	r.VerkoopBoekingenURI = "/relaties/" + string(r.ID) + "/verkoopboekingen"
	return r
}

// artikelRefs sets the uris of ar and its links, in place, and returns ar.
func artikelRefs(ar *snelstart.Artikel) *snelstart.Artikel {
	ar.URI = "/artikelen/" + string(ar.ID)
	ar.ArtikelOmzetgroep = ref("/artikelomzetgroepen/", ar.ArtikelOmzetgroep)
	ar.Relatie = ref("/relaties/", ar.Relatie)
	for i := range ar.Subartikelen {
		ar.Subartikelen[i].URI = "/artikelen/" + string(ar.Subartikelen[i].ID)
	}
	return ar
}

// orderRefs sets the uris of o and its links, in place, and returns o.
func orderRefs(o *snelstart.VerkoopOrder) *snelstart.VerkoopOrder {
	o.URI = "/verkooporders/" + string(o.ID)
	o.Relatie = ref("/relaties/", o.Relatie)
	o.Incassomachtiging = ref("/doorlopendeincassomachtigingen/", o.Incassomachtiging)
	o.Afleveradres = adresRefs(o.Afleveradres)
	o.Factuuradres = adresRefs(o.Factuuradres)
	o.Kostenplaats = ref("/kostenplaatsen/", o.Kostenplaats)
	o.Verkoopfactuur = ref("/verkoopfacturen/", o.Verkoopfactuur)
	o.Verkoopordersjabloon = ref("/verkoopordersjablonen/", o.Verkoopordersjabloon)
	for i := range o.Regels {
		o.Regels[i].Artikel = ref("/artikelen/", o.Regels[i].Artikel)
	}
	return o
}

// seed returns the state of a as a seed, for snapshots.
func (a *Administratie) seed() SeedAdministratie {
	a.mu.RLock()
	defer a.mu.RUnlock()
	sa := SeedAdministratie{ClientKey: a.clientKey, CompanyInfo: a.company, BtwTarieven: a.btw, VatRates: a.vatRates, Prijsafspraken: a.afspraken}
	if !slices.Equal(a.scopes, allScopes) {
		sa.Scopes = a.scopes
	}
	for _, v := range a.landen.all() {
		sa.Landen = append(sa.Landen, *v)
	}
	for _, v := range a.kostenplaatsen.all() {
		sa.Kostenplaatsen = append(sa.Kostenplaatsen, *v)
	}
	for _, v := range a.groepen.all() {
		sa.ArtikelOmzetgroepen = append(sa.ArtikelOmzetgroepen, SeedOmzetgroep{ArtikelOmzetgroep: *v, GrootboekenBuitenland: a.buitenland[key(v.ID)].ledgers})
	}
	for _, v := range a.sjablonen.all() {
		sa.VerkoopOrderSjablonen = append(sa.VerkoopOrderSjablonen, *v)
	}
	for _, v := range a.artikelen.all() {
		sa.Artikelen = append(sa.Artikelen, *v)
	}
	for _, v := range a.relaties.all() {
		sa.Relaties = append(sa.Relaties, *v)
	}
	for _, v := range a.orders.all() {
		sa.VerkoopOrders = append(sa.VerkoopOrders, *v)
	}
	for _, v := range a.facturen.all() {
		sa.VerkoopFacturen = append(sa.VerkoopFacturen, *v)
	}
	return clone(sa)
}
