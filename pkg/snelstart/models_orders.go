package snelstart

// A VerkoopOrder is a sales order: the spec's VerkoopOrderModel, used as
// request and response of POST /v2/verkooporders, GET and PUT
// /v2/verkooporders/{id}, and as the items of GET /v2/verkooporders.
//
// Only Relatie and Datum are required. On POST, ID and Nummer must be empty
// (codes [CodeIDMustBeEmpty] and [CodeOrderNummerMustBeEmpty]): SnelStart
// assigns both, as it assigns the read-only fields Nummer, ModifiedOn,
// TotaalExclusiefBtw, TotaalInclusiefBtw, Verkoopfactuur and URI. Order
// lines carry no VAT code: VAT follows each line's article and its
// [ArtikelOmzetgroep] (snelstart-api.md §5.2).
type VerkoopOrder struct {
	Relatie *Ref `json:"relatie,omitempty"` // required; the relatie must be a klant (else VOR-0002)
	// ProcesStatus is the document stage; SnelStart uses Order when it is
	// empty. The API cannot set Contantbon or Factuur.
	ProcesStatus   ProcesStatus `json:"procesStatus,omitempty"`
	Nummer         *int         `json:"nummer,omitempty"`         // order number; read-only, must be empty on POST
	ModifiedOn     LocalTime    `json:"modifiedOn,omitzero"`      // read-only: last change
	Datum          LocalTime    `json:"datum,omitzero"`           // required: the order date
	Krediettermijn *int         `json:"krediettermijn,omitempty"` // payment term in days, 0–100; nil means the customer's
	Geblokkeerd    *bool        `json:"geblokkeerd,omitempty"`    // blocked; nil means the template's setting
	// Omschrijving is the order's description. The spec sets no limit;
	// webwinkelfacturen reports 50 (snelstart-api.md §5.2).
	Omschrijving      string `json:"omschrijving,omitempty"`
	Betalingskenmerk  string `json:"betalingskenmerk,omitempty"`  // payment reference: the shop order number (snelstart-api.md §9)
	Incassomachtiging *Ref   `json:"incassomachtiging,omitempty"` // direct-debit mandate of the same customer
	Afleveradres      *Adres `json:"afleveradres,omitempty"`      // delivery address
	Factuuradres      *Adres `json:"factuuradres,omitempty"`      // invoice address
	// VerkooporderBtwIngaveModel says whether the lines' Stuksprijs
	// includes VAT.
	VerkooporderBtwIngaveModel BtwIngave           `json:"verkooporderBtwIngaveModel,omitempty"`
	Kostenplaats               *Ref                `json:"kostenplaats,omitempty"` // cost centre
	Regels                     []VerkoopOrderRegel `json:"regels,omitempty"`       // order lines
	Memo                       string              `json:"memo,omitempty"`
	// Orderreferentie is printed on the invoice PDF and the e-invoice;
	// at most 50 characters (VOR-0011).
	Orderreferentie      string   `json:"orderreferentie,omitempty"`
	Factuurkorting       *Decimal `json:"factuurkorting,omitempty"`       // invoice discount; % or amount is unconfirmed (§5.2)
	Verkoopfactuur       *Ref     `json:"verkoopfactuur,omitempty"`       // read-only: set once a person has invoiced the order
	Verkoopordersjabloon *Ref     `json:"verkoopordersjabloon,omitempty"` // the [VerkoopOrderSjabloon] (template)
	// VerkoopOrderStatus is the handling status; SnelStart uses
	// InBehandeling when it is empty.
	VerkoopOrderStatus VerkoopOrderStatus `json:"verkoopOrderStatus,omitempty"`
	TotaalExclusiefBtw *Decimal           `json:"totaalExclusiefBtw,omitempty"` // read-only: total excluding VAT
	TotaalInclusiefBtw *Decimal           `json:"totaalInclusiefBtw,omitempty"` // read-only: total including VAT
	// ExtraHoofdVelden are the template's extra header fields
	// ("[experimenteel]" in the spec).
	ExtraHoofdVelden []IngaveGegeven `json:"extraHoofdVelden,omitempty"`
	ID               ID              `json:"id,omitempty"`  // assigned by SnelStart; must be empty on POST (ALG-0100)
	URI              string          `json:"uri,omitempty"` // read-only
}

// A VerkoopOrderRegel is one line of a [VerkoopOrder]: the spec's
// VerkooporderRegelModel. SnelStart computes Totaal from Aantal, Stuksprijs
// and KortingsPercentage when it is left out (snelstart-api.md §5.2).
type VerkoopOrderRegel struct {
	Artikel *Ref `json:"artikel,omitempty"` // the article, which decides VAT
	// Omschrijving is the line text, at most 250 characters; SnelStart uses
	// the article's description when it is empty.
	Omschrijving       string   `json:"omschrijving,omitempty"`
	Stuksprijs         *Decimal `json:"stuksprijs,omitempty"`         // unit price, incl. or excl. VAT per the order's BtwIngave
	Aantal             *Decimal `json:"aantal,omitempty"`             // quantity
	KortingsPercentage *Decimal `json:"kortingsPercentage,omitempty"` // line discount in percent
	Totaal             *Decimal `json:"totaal,omitempty"`             // line total
	// ExtraRegelVelden are the template's extra line fields (the spec's
	// RegelIngaveGegevenModel, "[experimenteel]").
	ExtraRegelVelden []IngaveGegeven `json:"extraRegelVelden,omitempty"`
}

// An Adres is a postal address: the spec's AdresModel, used for the
// afleveradres and factuuradres of an order and the vestigingsAdres and
// correspondentieAdres of a relatie.
type Adres struct {
	Contactpersoon string `json:"contactpersoon,omitempty"` // contact person, at most 50
	Straat         string `json:"straat,omitempty"`         // street including house number, at most 50
	Postcode       string `json:"postcode,omitempty"`       // at most 25
	Plaats         string `json:"plaats,omitempty"`         // city, at most 50
	Land           *Ref   `json:"land,omitempty"`           // the [Land] (country)
}

// An IngaveGegeven is the value of one extra field of a verkooporder
// template, on an order (extraHoofdVelden) or a line (extraRegelVelden): the
// spec's IngaveGegevenModel and RegelIngaveGegevenModel, which have the same
// fields.
type IngaveGegeven struct {
	VeldNummer   *int   `json:"veldNummer,omitempty"`   // field number in the template
	Omschrijving string `json:"omschrijving,omitempty"` // read-only: the field's label
	Waarde       string `json:"waarde,omitempty"`       // the value
}

// ProcesStatus is the document stage of a verkooporder (the spec's
// procesStatus).
type ProcesStatus string

// The values of [ProcesStatus]. The API cannot set ProcesStatusContantbon or
// ProcesStatusFactuur: a person invoices an order in SnelStart.
const (
	ProcesStatusOrder       ProcesStatus = "Order"
	ProcesStatusOfferte     ProcesStatus = "Offerte"     // quotation
	ProcesStatusBevestiging ProcesStatus = "Bevestiging" // order confirmation
	ProcesStatusWerkbon     ProcesStatus = "Werkbon"     // work order
	ProcesStatusPakbon      ProcesStatus = "Pakbon"      // packing slip
	ProcesStatusAfhaalbon   ProcesStatus = "Afhaalbon"   // pick-up slip
	ProcesStatusContantbon  ProcesStatus = "Contantbon"  // cash receipt
	ProcesStatusFactuur     ProcesStatus = "Factuur"     // invoice
)

// VerkoopOrderStatus is the handling status of a verkooporder (the spec's
// verkoopOrderStatus).
type VerkoopOrderStatus string

// The values of [VerkoopOrderStatus].
const (
	VerkoopOrderStatusInBehandeling VerkoopOrderStatus = "InBehandeling" // in progress (the default)
	VerkoopOrderStatusUitgevoerd    VerkoopOrderStatus = "Uitgevoerd"    // done
	VerkoopOrderStatusService       VerkoopOrderStatus = "Service"
)

// BtwIngave says whether the unit prices of a verkooporder include VAT (the
// spec's verkooporderBtwIngaveModel).
type BtwIngave string

// The values of [BtwIngave].
const (
	BtwIngaveInclusief BtwIngave = "Inclusief" // prices include VAT
	BtwIngaveExclusief BtwIngave = "Exclusief" // prices exclude VAT
)

// A VerkoopOrderSjabloon is a verkooporder template: the spec's
// VerkoopOrderSjabloonModel, from GET /v2/verkoopordersjablonen. An order
// refers to one in its Verkoopordersjabloon.
type VerkoopOrderSjabloon struct {
	Omschrijving string `json:"omschrijving,omitempty"`
	Nonactief    *bool  `json:"nonactief,omitempty"` // true: the template counts as deleted
	// PrijsIngaveExclusiefBtw reports whether prices are shown and entered
	// excluding VAT.
	PrijsIngaveExclusiefBtw *bool                   `json:"prijsIngaveExclusiefBtw,omitempty"`
	NieuweOrdersBlokkeren   *bool                   `json:"nieuweOrdersBlokkeren,omitempty"` // new orders start blocked
	ExtraHoofdVelden        []IngaveGegevenSjabloon `json:"extraHoofdVelden,omitempty"`      // extra header field definitions
	ExtraRegelVelden        []IngaveGegevenSjabloon `json:"extraRegelVelden,omitempty"`      // extra line field definitions
	ID                      ID                      `json:"id,omitempty"`
	URI                     string                  `json:"uri,omitempty"` // read-only
}

// An IngaveGegevenSjabloon defines one extra field of a
// [VerkoopOrderSjabloon]: the spec's IngaveGegevenSjabloonModel.
type IngaveGegevenSjabloon struct {
	VeldNummer         *int      `json:"veldNummer,omitempty"`
	Omschrijving       string    `json:"omschrijving,omitempty"`
	IngaveMasker       string    `json:"ingaveMasker,omitempty"` // input mask
	SoortVeld          SoortVeld `json:"soortVeld,omitempty"`
	MaximumTekstLengte *int      `json:"maximumTekstLengte,omitempty"` // maximum text length
}

// SoortVeld is the type of an extra template field (the spec's soortVeld).
type SoortVeld string

// The values of [SoortVeld].
const (
	SoortVeldGeheelGetal       SoortVeld = "GeheelGetal" // integer
	SoortVeldBedrag            SoortVeld = "Bedrag"      // amount
	SoortVeldDatum             SoortVeld = "Datum"       // date
	SoortVeldTekst             SoortVeld = "Tekst"       // text
	SoortVeldKlant             SoortVeld = "Klant"       // customer
	SoortVeldLeverancier       SoortVeld = "Leverancier" // supplier
	SoortVeldArtikel           SoortVeld = "Artikel"
	SoortVeldArtikelgroep      SoortVeld = "Artikelgroep"
	SoortVeldLand              SoortVeld = "Land"
	SoortVeldFactuur           SoortVeld = "Factuur"
	SoortVeldGrootboekrekening SoortVeld = "Grootboekrekening" // ledger account
)

// A VerkoopFactuur is a sales invoice: the spec's VerkoopfactuurModel, from
// GET /v2/verkoopfacturen (read-only; the API cannot create one). It exists
// once a person has invoiced one or more verkooporders in SnelStart.
type VerkoopFactuur struct {
	VerkoopBoeking  *Ref      `json:"verkoopBoeking,omitempty"` // the ledger entry
	ModifiedOn      LocalTime `json:"modifiedOn,omitzero"`
	OpenstaandSaldo *Decimal  `json:"openstaandSaldo,omitempty"` // outstanding balance; 0 means paid
	Factuurnummer   string    `json:"factuurnummer"`             // required; invoice number, at most 25
	VervalDatum     LocalTime `json:"vervalDatum,omitzero"`      // due date
	Relatie         *Ref      `json:"relatie,omitempty"`
	FactuurDatum    LocalTime `json:"factuurDatum,omitzero"`   // invoice date
	FactuurBedrag   *Decimal  `json:"factuurBedrag,omitempty"` // invoice total
	VerkoopOrders   []Ref     `json:"verkoopOrders,omitempty"` // the orders invoiced
	ID              ID        `json:"id,omitempty"`
	URI             string    `json:"uri,omitempty"` // read-only
}
