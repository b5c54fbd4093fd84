package snelstart

// A Token is the body of a successful token response (POST [PathToken] on
// [DefaultAuthURL] with grant_type=clientkey). The token endpoint is not in
// the spec; the fields are those of snelstart-api.md §1.2. There is no
// refresh token: mint a new one before ExpiresIn runs out.
type Token struct {
	AccessToken string `json:"access_token"` // a JWT, sent as "Authorization: Bearer <AccessToken>"
	TokenType   string `json:"token_type"`   // "bearer"
	ExpiresIn   int    `json:"expires_in"`   // lifetime in seconds; 3599 live (§1.2)
}

// A Land is a country: the spec's LandModel, from GET /v2/landen. Landcode
// is the two-letter ISO 3166 code ("NL") and LandcodeISO the three-letter
// one ("NLD"); match a webshop's country on Landcode (snelstart-api.md
// §8.2). /v2/landen ignores $filter: load the list and match locally.
type Land struct {
	Naam        string `json:"naam,omitempty"`        // name, in Dutch
	LandcodeISO string `json:"landcodeISO,omitempty"` // ISO 3166 alpha-3, "NLD"
	Landcode    string `json:"landcode,omitempty"`    // ISO 3166 alpha-2, "NL"
	ID          ID     `json:"id,omitempty"`
	URI         string `json:"uri,omitempty"` // read-only
}

// CompanyInfo describes the administration a koppelsleutel opens: the
// spec's CompanyInfoModel, from GET /v2/companyInfo. The fields that matter
// for importing orders are AdministratieIdentifier and AdministratieNaam
// (which administration this is), VerkoopprijsArtikelbestandExclusiefBtw,
// RegelkortingVerkooporder, AantalDecimalenArtikelprijzen,
// AantalDecimalenArtikelaantallen, ArtikelcodeSoort, ArtikelcodeMaxLengte and
// FactureerBuitenlandsBtw (snelstart-api.md §8.5); the rest is carried so
// that nothing is lost in a round trip. PUT /v2/companyInfo changes only
// FactureerBuitenlandsBtw.
//
// Enumerations koppel does not use are plain strings; their values are in
// the spec.
type CompanyInfo struct {
	AdministratieIdentifier                 ID                         `json:"administratieIdentifier,omitempty"` // the administration's id
	AdministratieNaam                       string                     `json:"administratieNaam,omitempty"`       // the administration's name
	Bedrijfsnaam                            string                     `json:"bedrijfsnaam,omitempty"`            // company name
	Contactpersoon                          string                     `json:"contactpersoon,omitempty"`
	Adres                                   string                     `json:"adres,omitempty"`
	Postcode                                string                     `json:"postcode,omitempty"`
	Plaats                                  string                     `json:"plaats,omitempty"`
	Telefoon                                string                     `json:"telefoon,omitempty"`
	MobieleTelefoon                         string                     `json:"mobieleTelefoon,omitempty"`
	Fax                                     string                     `json:"fax,omitempty"`
	Bankrekeningnummer                      string                     `json:"bankrekeningnummer,omitempty"`
	Iban                                    string                     `json:"iban,omitempty"`
	Bic                                     string                     `json:"bic,omitempty"`
	Rechtsvorm                              string                     `json:"rechtsvorm,omitempty"` // legal form: NotSet, Eenmanszaak, Vof, Bv, Nv, Overige
	BtwNummer                               string                     `json:"btwNummer,omitempty"`
	BtwIdentificatieNummer                  string                     `json:"btwIdentificatieNummer,omitempty"`
	KvKNummer                               string                     `json:"kvKNummer,omitempty"` // sic: capital K twice, unlike Relatie's kvkNummer
	Email                                   string                     `json:"email,omitempty"`
	Website                                 string                     `json:"website,omitempty"`
	VrijeTekst1                             string                     `json:"vrijeTekst1,omitempty"`
	VrijeTekst2                             string                     `json:"vrijeTekst2,omitempty"`
	VrijeTekst3                             string                     `json:"vrijeTekst3,omitempty"`
	VrijeTekst4                             string                     `json:"vrijeTekst4,omitempty"`
	HuidigBoekjaar                          *int                       `json:"huidigBoekjaar,omitempty"`            // current financial year
	BeginmaandFiscaleBoekjaar               *int                       `json:"beginmaandFiscaleBoekjaar,omitempty"` // first month of the financial year
	BtwAangiftePeriodeSoort                 string                     `json:"btwAangiftePeriodeSoort,omitempty"`   // Maand, Kwartaal, Jaar
	IcpAangiftePeriodeSoort                 string                     `json:"icpAangiftePeriodeSoort,omitempty"`   // Maand, Kwartaal, Jaar
	BtwNummerFiscaleEenheid                 string                     `json:"btwNummerFiscaleEenheid,omitempty"`
	TussentijdseSuppletiesBerekenen         *bool                      `json:"tussentijdseSuppletiesBerekenen,omitempty"`
	MapUBLBestanden                         string                     `json:"mapUBLBestanden,omitempty"`
	BtwPercentageAangifteKredietbeperking   *Decimal                   `json:"btwPercentageAangifteKredietbeperking,omitempty"`
	MarkeergedragInlezenBankafschriften     string                     `json:"markeergedragInlezenBankafschriften,omitempty"` // AlleenBelangrijkste, Altijd
	VoorkeurenTijdensBoeken                 *bool                      `json:"voorkeurenTijdensBoeken,omitempty"`
	AantalVoorloopnullenGrootboekrekeningen *int                       `json:"aantalVoorloopnullenGrootboekrekeningen,omitempty"`
	KleineOndernemersregeling               *KleineOndernemersRegeling `json:"kleineOndernemersregeling,omitempty"`
	VolgendFactuurnummer                    *int                       `json:"volgendFactuurnummer,omitempty"`      // next invoice number
	VolgendVerkoopordernummer               *int                       `json:"volgendVerkoopordernummer,omitempty"` // next order number
	VolgendContantbonnummer                 *int                       `json:"volgendContantbonnummer,omitempty"`
	VolgendInkoopordernummer                *int                       `json:"volgendInkoopordernummer,omitempty"`
	VoorraadcontroleOrderinvoer             *bool                      `json:"voorraadcontroleOrderinvoer,omitempty"` // stock check on order entry
	AbonnementOvernemen                     *bool                      `json:"abonnementOvernemen,omitempty"`
	KolomGeleverdAutomatischVullen          *bool                      `json:"kolomGeleverdAutomatischVullen,omitempty"`
	VoorraadkolommenTonenInInkoop           *bool                      `json:"voorraadkolommenTonenInInkoop,omitempty"`
	BackorderGebruiken                      *bool                      `json:"backorderGebruiken,omitempty"`
	DeelleveringOrdersDefaultAan            *bool                      `json:"deelleveringOrdersDefaultAan,omitempty"`
	FactuurAlsBijlageVerkoopboeking         *bool                      `json:"factuurAlsBijlageVerkoopboeking,omitempty"`
	TekstregelsOvernemenNaarBackorder       string                     `json:"tekstregelsOvernemenNaarBackorder,omitempty"` // Geen, BovenArtikel, OnderArtikel, Alle
	// RegelkortingVerkooporder says how a line discount is computed.
	RegelkortingVerkooporder                       RegelkortingVerkooporder `json:"regelkortingVerkooporder,omitempty"`
	DrempelbedragVerkooporderbeheer                *Decimal                 `json:"drempelbedragVerkooporderbeheer,omitempty"`
	DrempelbedragVerkooporderbeheerMaxDagenUitstel *int                     `json:"drempelbedragVerkooporderbeheerMaxDagenUitstel,omitempty"`
	// VerkoopprijsArtikelbestandExclusiefBtw reports whether
	// Artikel.Verkoopprijs excludes VAT.
	VerkoopprijsArtikelbestandExclusiefBtw *bool `json:"verkoopprijsArtikelbestandExclusiefBtw,omitempty"`
	InkoopprijsArtikelbestandExclusiefBtw  *bool `json:"inkoopprijsArtikelbestandExclusiefBtw,omitempty"`
	// ArtikelcodeSoort and ArtikelcodeMaxLengte constrain new article codes
	// (ART-0003, ART-0004).
	ArtikelcodeSoort           ArtikelcodeSoort `json:"artikelcodeSoort,omitempty"`
	ArtikelcodeMaxLengte       *int             `json:"artikelcodeMaxLengte,omitempty"`
	BegindatumVoorraadtelling  LocalTime        `json:"begindatumVoorraadtelling,omitzero"`
	VoorraadTonenInZoekvenster *bool            `json:"voorraadTonenInZoekvenster,omitempty"`
	// AantalDecimalenArtikelprijzen and AantalDecimalenArtikelaantallen are
	// the decimal places SnelStart shows for prices and quantities.
	AantalDecimalenArtikelprijzen     *int   `json:"aantalDecimalenArtikelprijzen,omitempty"`
	AantalDecimalenArtikelaantallen   *int   `json:"aantalDecimalenArtikelaantallen,omitempty"`
	VerkooporderVoorraadVanafNiveau   string `json:"verkooporderVoorraadVanafNiveau,omitempty"`   // Alle, Offerte, BackOrder, Bevestiging, Werkbon, PakbonEnAfhaalbon, FactuurEnContantbon
	VoorraadSysteem                   string `json:"voorraadSysteem,omitempty"`                   // Fifo, Lifo
	MomentVoorraadBijwerken           string `json:"momentVoorraadBijwerken,omitempty"`           // BijBoekenOntvangst, BijBoekenInkoopfactuur
	RekeningTeOntvangenInkoopfacturen *Ref   `json:"rekeningTeOntvangenInkoopfacturen,omitempty"` // a GrootboekIdentifierModel
	DagboekVoorraadverschillen        *Ref   `json:"dagboekVoorraadverschillen,omitempty"`        // a GrootboekIdentifierModel
	BuitenlandseBtwGrootboek          *Ref   `json:"buitenlandseBtwGrootboek,omitempty"`          // ledger for foreign (OSS) VAT
	// FactureerBuitenlandsBtw reports whether SnelStart charges the VAT of
	// the customer's EU country on orders to consumers (OSS, §8.3).
	FactureerBuitenlandsBtw       *bool                               `json:"factureerBuitenlandsBtw,omitempty"`
	FactureerBuitenlandsBtwRanges []FactureerBuitenlandseBtwDateRange `json:"factureerBuitenlandsBtwRanges,omitempty"`
}

// KleineOndernemersRegeling is the small-business VAT scheme of a
// [CompanyInfo]: the spec's KleineOndernemersRegelingModel.
type KleineOndernemersRegeling struct {
	IsKleineOndernemersRegelingActief       *bool    `json:"isKleineOndernemersRegelingActief,omitempty"`
	MaximaalBedragVolledigeVerrekening      *Decimal `json:"maximaalBedragVolledigeVerrekening,omitempty"`
	MaximaalBedragKleineOndernemersRegeling *Decimal `json:"maximaalBedragKleineOndernemersRegeling,omitempty"`
}

// FactureerBuitenlandseBtwDateRange is a period in which a [CompanyInfo]
// charged foreign VAT: the spec's FactureerBuitenlandseBtwDateRangeModel,
// whose bounds are int64 with no documented unit.
type FactureerBuitenlandseBtwDateRange struct {
	From *int64 `json:"from,omitempty"`
	To   *int64 `json:"to,omitempty"`
}

// RegelkortingVerkooporder says how SnelStart applies a line discount (the
// spec's regelkortingVerkooporder).
type RegelkortingVerkooporder string

// The values of [RegelkortingVerkooporder].
const (
	RegelkortingBerekenenOverRegelBedrag RegelkortingVerkooporder = "BerekenenOverRegelBedrag" // over the line amount
	RegelkortingBerekenenOverStukprijs   RegelkortingVerkooporder = "BerekenenOverStukprijs"   // over the unit price
)

// ArtikelcodeSoort says whether article codes are numeric (the spec's
// artikelcodeSoort).
type ArtikelcodeSoort string

// The values of [ArtikelcodeSoort].
const (
	ArtikelcodeSoortNumeriek     ArtikelcodeSoort = "Numeriek"     // digits only (else ART-0003)
	ArtikelcodeSoortAlfanumeriek ArtikelcodeSoort = "Alfanumeriek" // letters and digits
)

// A BtwTarief is a VAT percentage for a btw-soort over a period: the spec's
// BtwTariefModel, from GET /v2/btwtarieven. The percentage of an order line
// is that of the row whose period holds the order's datum
// (vat-rounding.md §3.2). A zero DatumTotEnMet means open-ended.
type BtwTarief struct {
	BtwSoort      BtwSoort  `json:"btwSoort,omitempty"`
	BtwPercentage *Decimal  `json:"btwPercentage,omitempty"`
	DatumVanaf    LocalTime `json:"datumVanaf,omitzero"`
	DatumTotEnMet LocalTime `json:"datumTotEnMet,omitzero"`
}

// VatRates are one country's VAT rates for OSS: the spec's VatRatesModel,
// from GET /v2/vatrates. CountryCode is ISO 3166 alpha-3 ("DEU").
type VatRates struct {
	CountryCode string    `json:"countryCode,omitempty"`
	VatRates    []VatRate `json:"vatRates,omitempty"`
}

// A VatRate is one rate of a country (the spec's VatRateModel): RateCode is
// SR (standard), RRH, RRL (reduced high, low), PR (parking) or SRR (super
// reduced) (vat-rounding.md §3.2).
type VatRate struct {
	RateCode  string    `json:"rateCode,omitempty"`
	Rate      *Decimal  `json:"rate,omitempty"`
	ValidFrom LocalTime `json:"validFrom,omitzero"`
}

// A Kostenplaats is a cost centre: the spec's KostenplaatsModel, from GET
// /v2/kostenplaatsen. A verkooporder refers to one by id.
type Kostenplaats struct {
	Omschrijving string `json:"omschrijving,omitempty"`
	Nonactief    *bool  `json:"nonactief,omitempty"`
	Nummer       *int   `json:"nummer,omitempty"`
	ID           ID     `json:"id,omitempty"`
	URI          string `json:"uri,omitempty"` // read-only
}
