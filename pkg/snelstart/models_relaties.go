package snelstart

// A Relatie is a business relation, customer (klant) or supplier
// (leverancier): the spec's RelatieModel, from GET /v2/relaties and GET
// /v2/relaties/{id}. POST and PUT take and return RelatieWriteModel, which
// has the same fields except Fax, so the same type serves both; leave Fax
// empty when writing.
//
// PUT replaces the whole record (snelstart-api.md §6.3): read, change, then
// write back everything, or fields left out are wiped. The type therefore
// carries every field of the model.
type Relatie struct {
	// Relatiesoort says whether the relation is a klant or a leverancier
	// (never both, REL-0065; it cannot change later, REL-0064).
	Relatiesoort         []Relatiesoort `json:"relatiesoort,omitempty"`
	ModifiedOn           LocalTime      `json:"modifiedOn,omitzero"`
	Relatiecode          *int           `json:"relatiecode,omitempty"`          // relation number; SnelStart assigns the next when nil
	Naam                 string         `json:"naam,omitempty"`                 // required on POST; full name, at most 50
	VestigingsAdres      *Adres         `json:"vestigingsAdres,omitempty"`      // business address; set all fields but contactpersoon, or none (REL-0060)
	CorrespondentieAdres *Adres         `json:"correspondentieAdres,omitempty"` // mailing address
	Telefoon             string         `json:"telefoon,omitempty"`             // at most 25
	MobieleTelefoon      string         `json:"mobieleTelefoon,omitempty"`      // at most 25
	Fax                  string         `json:"fax,omitempty"`                  // RelatieModel only, not writable
	// Email is the main email address; it may hold several addresses
	// separated by ";" (REL-0084).
	Email          string   `json:"email,omitempty"`
	BtwNummer      string   `json:"btwNummer,omitempty"`      // VAT number, validated by SnelStart (REL-0088)
	Factuurkorting *Decimal `json:"factuurkorting,omitempty"` // default invoice discount
	Krediettermijn *int     `json:"krediettermijn,omitempty"` // default payment term in days
	// Bankieren is true when IncassoSoort is Core or B2B.
	Bankieren                     *bool           `json:"bankieren,omitempty"`
	Nonactief                     *bool           `json:"nonactief,omitempty"`     // true: the relation counts as deleted
	KredietLimiet                 *Decimal        `json:"kredietLimiet,omitempty"` // credit limit in euros
	Memo                          string          `json:"memo,omitempty"`
	KvkNummer                     string          `json:"kvkNummer,omitempty"`  // Chamber of Commerce number, at most 12
	Oin                           string          `json:"oin,omitempty"`        // government organisation number, 20 digits
	WebsiteURL                    string          `json:"websiteUrl,omitempty"` // at most 100
	Aanmaningsoort                Aanmaningsoort  `json:"aanmaningsoort,omitempty"`
	OfferteEmailVersturen         *EmailVersturen `json:"offerteEmailVersturen,omitempty"`         // quotations
	BevestigingsEmailVersturen    *EmailVersturen `json:"bevestigingsEmailVersturen,omitempty"`    // confirmations
	FactuurEmailVersturen         *EmailVersturen `json:"factuurEmailVersturen,omitempty"`         // invoices
	AanmaningEmailVersturen       *EmailVersturen `json:"aanmaningEmailVersturen,omitempty"`       // reminders
	OfferteAanvraagEmailVersturen *EmailVersturen `json:"offerteAanvraagEmailVersturen,omitempty"` // quotation requests
	BestellingEmailVersturen      *EmailVersturen `json:"bestellingEmailVersturen,omitempty"`      // purchase orders
	UblBestandAlsBijlage          *bool           `json:"ublBestandAlsBijlage,omitempty"`          // attach UBL to invoice emails
	Iban                          string          `json:"iban,omitempty"`
	Bic                           string          `json:"bic,omitempty"`
	IncassoSoort                  IncassoSoort    `json:"incassoSoort,omitempty"`
	FactuurRelatie                *Ref            `json:"factuurRelatie,omitempty"`      // the relation invoiced instead
	InkoopBoekingenURI            string          `json:"inkoopBoekingenUri,omitempty"`  // read-only
	VerkoopBoekingenURI           string          `json:"verkoopBoekingenUri,omitempty"` // read-only
	Documents                     []Document      `json:"documents,omitempty"`
	ID                            ID              `json:"id,omitempty"`  // must be empty on POST (REL-0063)
	URI                           string          `json:"uri,omitempty"` // read-only
	// ExtraVeldenKlant are the customer's custom fields. Read-only here;
	// PUT /v2/relaties/{id}/customFields changes them.
	ExtraVeldenKlant []ExtraVeld `json:"extraVeldenKlant,omitempty"`
}

// Relatiesoort is the kind of a [Relatie] (an item of the spec's
// relatiesoort array, typed string there; its description lists Klant and
// Leverancier).
type Relatiesoort string

// The values of [Relatiesoort].
const (
	RelatiesoortKlant       Relatiesoort = "Klant"       // customer
	RelatiesoortLeverancier Relatiesoort = "Leverancier" // supplier
	// RelatiesoortEigen marks the administration's own relation. It is not
	// in the spec: it can be filtered on but not written (REL-0048;
	// snelstart-api.md §6.1).
	RelatiesoortEigen Relatiesoort = "Eigen"
)

// Aanmaningsoort is the kind of payment reminders a relation gets (the
// spec's aanmaningsoort).
type Aanmaningsoort string

// The values of [Aanmaningsoort].
const (
	AanmaningsoortNee         Aanmaningsoort = "Nee"         // no reminders
	AanmaningsoortOnderneming Aanmaningsoort = "Onderneming" // business
	AanmaningsoortConsument   Aanmaningsoort = "Consument"   // consumer
)

// IncassoSoort is the kind of direct debit that applies to a relation (the
// spec's incassoSoort).
type IncassoSoort string

// The values of [IncassoSoort].
const (
	IncassoSoortGeen IncassoSoort = "Geen" // none
	IncassoSoortCore IncassoSoort = "Core" // SEPA Core
	IncassoSoortB2B  IncassoSoort = "B2B"  // SEPA B2B
)

// EmailVersturen says whether and where SnelStart emails one kind of
// document to a relation: the spec's EmailVersturenModel.
type EmailVersturen struct {
	ShouldSend *bool  `json:"shouldSend,omitempty"`
	Email      string `json:"email,omitempty"`
	CcEmail    string `json:"ccEmail,omitempty"`
}

// An ExtraVeld is a custom field with its value as text: the spec's
// ExtraVeldRelatieModel (a relatie's extraVeldenKlant) and
// ExtraVeldArtikelModel (an artikel's extraVelden), which have the same
// fields.
type ExtraVeld struct {
	Naam   string `json:"naam,omitempty"`   // the field's name
	Waarde string `json:"waarde,omitempty"` // its value
}

// A Document is a reference to a file attached to a relation: the spec's
// DocumentModel.
type Document struct {
	ParentIdentifier ID     `json:"parentIdentifier,omitempty"` // the object it is attached to
	FileName         string `json:"fileName,omitempty"`
	ReadOnly         *bool  `json:"readOnly,omitempty"`
	ID               ID     `json:"id,omitempty"`
	URI              string `json:"uri,omitempty"` // read-only
}
