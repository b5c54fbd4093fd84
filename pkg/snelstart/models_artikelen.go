package snelstart

// An Artikel is an article (product, or a service line such as shipping):
// the spec's ArtikelQueryModel, from GET /v2/artikelen and GET
// /v2/artikelen/{id}. POST and PUT use ArtikelModel, which lacks the
// read-only IsHoofdartikel and Subartikelen; the same type serves both.
//
// Prijsafspraak is not in the spec: SnelStart adds it when the request
// passes relatieId (and aantal), as in
// GET /v2/artikelen/{id}?relatieId=…&aantal=… (snelstart-api.md §7.3).
type Artikel struct {
	IsHoofdartikel *bool        `json:"isHoofdartikel,omitempty"` // read-only: has sub-articles
	Subartikelen   []Subartikel `json:"subartikelen,omitempty"`
	// Artikelcode is the article code, a string even when numeric; required
	// on POST.
	Artikelcode string `json:"artikelcode,omitempty"`
	// Omschrijving is the description, at most 250; required on POST.
	Omschrijving string `json:"omschrijving,omitempty"`
	// ArtikelOmzetgroep is the revenue group, which decides the VAT of
	// order lines for this article; required on POST.
	ArtikelOmzetgroep *Ref `json:"artikelOmzetgroep,omitempty"`
	// Verkoopprijs is the sales price, including VAT when
	// CompanyInfo.VerkoopprijsArtikelbestandExclusiefBtw is false.
	Verkoopprijs       *Decimal    `json:"verkoopprijs,omitempty"`
	Inkoopprijs        *Decimal    `json:"inkoopprijs,omitempty"` // purchase price
	Eenheid            string      `json:"eenheid,omitempty"`     // unit
	ModifiedOn         LocalTime   `json:"modifiedOn,omitzero"`
	Relatie            *Ref        `json:"relatie,omitempty"`            // the supplier
	IsNonActief        *bool       `json:"isNonActief,omitempty"`        // inactive
	VoorraadControle   *bool       `json:"voorraadControle,omitempty"`   // stock is tracked
	TechnischeVoorraad *Decimal    `json:"technischeVoorraad,omitempty"` // read-only: stock on hand
	VrijeVoorraad      *Decimal    `json:"vrijeVoorraad,omitempty"`      // read-only: stock available
	ExtraVelden        []ExtraVeld `json:"extraVelden,omitempty"`        // custom fields ("vrije velden")
	ID                 ID          `json:"id,omitempty"`
	URI                string      `json:"uri,omitempty"` // read-only
	// Prijsafspraak is the customer price for the relatieId and aantal of
	// the request; absent otherwise. Not in the spec (snelstart-api.md §7.3,
	// from SnelStart's .NET client and the iwd-nl client).
	Prijsafspraak *Prijsafspraak `json:"prijsafspraak,omitempty"`
}

// A Subartikel is a component of a main article: the spec's
// SubartikelModel.
type Subartikel struct {
	Artikelcode string   `json:"artikelcode,omitempty"`
	Aantal      *Decimal `json:"aantal,omitempty"` // quantity per main article
	ID          ID       `json:"id,omitempty"`
	URI         string   `json:"uri,omitempty"` // read-only
}

// An ArtikelOmzetgroep is an article revenue group: the spec's
// ArtikelOmzetGroepModel, from GET /v2/artikelomzetgroepen. Its revenue
// ledger and VerkoopNederlandBtwSoort decide the VAT of every order line
// whose article is in the group (snelstart-api.md §7.2).
type ArtikelOmzetgroep struct {
	Nummer       *int   `json:"nummer,omitempty"`
	Omschrijving string `json:"omschrijving,omitempty"` // at most 50
	// VerkoopGrootboekNederlandIdentifier is the revenue ledger account for
	// sales in the Netherlands (a GrootboekIdentifierModel).
	VerkoopGrootboekNederlandIdentifier *Ref `json:"verkoopGrootboekNederlandIdentifier,omitempty"`
	// VerkoopNederlandBtwSoort is the Dutch VAT kind of sales in the group.
	VerkoopNederlandBtwSoort BtwSoort `json:"verkoopNederlandBtwSoort,omitempty"`
	ID                       ID       `json:"id,omitempty"`
	URI                      string   `json:"uri,omitempty"` // read-only
}

// BtwSoort is a Dutch VAT kind (the spec's verkoopNederlandBtwSoort): which
// rate applies, not the percentage itself (GET /v2/btwtarieven maps kinds to
// percentages by date).
type BtwSoort string

// The values of [BtwSoort].
const (
	BtwSoortGeen   BtwSoort = "Geen"   // no VAT
	BtwSoortLaag   BtwSoort = "Laag"   // reduced rate (9 % since 2019)
	BtwSoortHoog   BtwSoort = "Hoog"   // standard rate (21 %)
	BtwSoortOverig BtwSoort = "Overig" // other
)

// A Prijsafspraak is the price a customer pays for an article, after price
// agreements and promotions: the spec's PrijsafspraakModel, from GET
// /v2/prijsafspraken?$filter=Artikel/Id eq guid'…' (a filter on Artikel/Id
// is required), and the shape of [Artikel].Prijsafspraak.
type Prijsafspraak struct {
	Relatie       *Ref      `json:"relatie,omitempty"`
	Artikel       *Ref      `json:"artikel,omitempty"`
	Datum         LocalTime `json:"datum,omitzero"`         // the date the price is asked for
	Aantal        *Decimal  `json:"aantal,omitempty"`       // the quantity the price is asked for
	Korting       *Decimal  `json:"korting,omitempty"`      // read-only: discount in percent
	Verkoopprijs  *Decimal  `json:"verkoopprijs,omitempty"` // the price under the agreement
	Basisprijs    *Decimal  `json:"basisprijs,omitempty"`   // the price without agreements
	DatumVanaf    LocalTime `json:"datumVanaf,omitzero"`    // the agreement holds from; zero if not applicable
	DatumTotEnMet LocalTime `json:"datumTotEnMet,omitzero"` // the agreement holds to, inclusive; zero if not applicable
	// PrijsBepalingSoort says which rule produced Verkoopprijs.
	PrijsBepalingSoort PrijsBepalingSoort `json:"prijsBepalingSoort,omitempty"`
}

// PrijsBepalingSoort says which pricing rule produced a [Prijsafspraak]'s
// price (the spec's prijsBepalingSoort).
type PrijsBepalingSoort string

// The values of [PrijsBepalingSoort]. "Artikelkortingsgroep" and
// "klantkortingsgroep" are discount groups of articles and of customers.
const (
	PrijsBepalingSoortNormaleVerkoopprijs                                  PrijsBepalingSoort = "NormaleVerkoopprijs" // the article's own price
	PrijsBepalingSoortActieprijzenPerArtikel                               PrijsBepalingSoort = "ActieprijzenPerArtikel"
	PrijsBepalingSoortActieprijzenPerArtikelkortingsgroep                  PrijsBepalingSoort = "ActieprijzenPerArtikelkortingsgroep"
	PrijsBepalingSoortAfspraakPerArtikelklant                              PrijsBepalingSoort = "AfspraakPerArtikelklant"
	PrijsBepalingSoortAfspraakPerArtikelPerKlantkortingsgroep              PrijsBepalingSoort = "AfspraakPerArtikelPerKlantkortingsgroep"
	PrijsBepalingSoortAfspraakPerKlantPerArtikelkortingsgroep              PrijsBepalingSoort = "AfspraakPerKlantPerArtikelkortingsgroep"
	PrijsBepalingSoortAfspraakPerArtikelkortingsgroepPerKlantkortingsgroep PrijsBepalingSoort = "AfspraakPerArtikelkortingsgroepPerKlantkortingsgroep"
)
