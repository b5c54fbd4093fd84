package snelstart

import (
	"net/http"
	"net/url"
	"strings"
)

// Hosts of the live API (snelstart-api.md §0). The token endpoint and the API
// are on different hosts; a sandbox may serve both.
const (
	DefaultAuthURL = "https://auth.snelstart.nl"   // serves PathToken
	DefaultBaseURL = "https://b2bapi.snelstart.nl" // serves the /v2 paths
)

// PathToken is the token endpoint on [DefaultAuthURL]. It is not in the spec
// (snelstart-api.md §1.2): POST an application/x-www-form-urlencoded body
// "grant_type=clientkey&clientkey=<koppelsleutel>", without the subscription
// key; the answer is a [Token].
const PathToken = "/b2b/token"

// Form fields and values of the token request (snelstart-api.md §1.2).
const (
	TokenFieldGrantType = "grant_type"
	TokenFieldClientKey = "clientkey" // the koppelsleutel, URL-encoded in the form body
	GrantTypeClientKey  = "clientkey"
	TokenTypeBearer     = "bearer"
)

// HeaderSubscriptionKey carries the partner's subscription key on every API
// call (the spec's security scheme apiKeyHeader); the token call does not
// need it (snelstart-api.md §1.1).
const HeaderSubscriptionKey = "Ocp-Apim-Subscription-Key"

// Paths of the API operations koppel uses, as templates in the spec's form
// with the /v2 prefix. A template's "{id}" (or "{input}") is also a wildcard
// of [http.ServeMux] patterns; [ItemPath] and [EchoPath] fill it in.
const (
	APIPrefix = "/v2"

	PathCompanyInfo           = "/v2/companyInfo"                // the administration: [CompanyInfo]
	PathEcho                  = "/v2/echo/{input}"               // connectivity test; needs no scope
	PathLanden                = "/v2/landen"                     // countries: [Land]
	PathLand                  = "/v2/landen/{id}"                //
	PathArtikelOmzetgroepen   = "/v2/artikelomzetgroepen"        // revenue groups: [ArtikelOmzetgroep]
	PathArtikelOmzetgroep     = "/v2/artikelomzetgroepen/{id}"   //
	PathVerkoopOrderSjablonen = "/v2/verkoopordersjablonen"      // order templates: [VerkoopOrderSjabloon]
	PathVerkoopOrderSjabloon  = "/v2/verkoopordersjablonen/{id}" //
	PathRelaties              = "/v2/relaties"                   // relations: [Relatie]; OData, $top ≤ 500
	PathRelatie               = "/v2/relaties/{id}"              //
	PathArtikelen             = "/v2/artikelen"                  // articles: [Artikel]; OData, $top ≤ 25
	PathArtikel               = "/v2/artikelen/{id}"             // ?relatieId=&aantal= adds Artikel.Prijsafspraak
	PathPrijsafspraken        = "/v2/prijsafspraken"             // customer prices: [Prijsafspraak]; $filter on Artikel/Id required
	PathVerkoopOrders         = "/v2/verkooporders"              // sales orders: [VerkoopOrder]; OData, $top ≤ 500
	PathVerkoopOrder          = "/v2/verkooporders/{id}"         //
	PathVerkoopFacturen       = "/v2/verkoopfacturen"            // sales invoices: [VerkoopFactuur]; OData, $top ≤ 500
	PathVerkoopFactuur        = "/v2/verkoopfacturen/{id}"       //
	PathBtwTarieven           = "/v2/btwtarieven"                // Dutch VAT rates by soort and date: [BtwTarief]
	PathVatRates              = "/v2/vatrates"                   // EU countries' VAT rates (OSS): [VatRates]
	PathKostenplaatsen        = "/v2/kostenplaatsen"             // cost centres: [Kostenplaats]
)

// ItemPath returns template with its "{id}" replaced by id, escaped:
// ItemPath(PathVerkoopOrder, id) is "/v2/verkooporders/<id>".
func ItemPath(template string, id ID) string {
	return strings.Replace(template, "{id}", url.PathEscape(string(id)), 1)
}

// EchoPath returns the path of GET /v2/echo/{input} for input.
func EchoPath(input string) string {
	return strings.Replace(PathEcho, "{input}", url.PathEscape(input), 1)
}

// Query parameters of the list operations (snelstart-api.md §2.2, §2.3,
// §7.3). Collections are bare JSON arrays with no count or next link: page
// with $skip while a page comes back full.
const (
	QueryTop       = "$top"
	QuerySkip      = "$skip"
	QueryFilter    = "$filter"   // OData v3; property names in UpperCamelCase
	QueryRelatieID = "relatieId" // on the artikelen paths: add the customer's Prijsafspraak
	QueryAantal    = "aantal"    // on the artikelen paths: the quantity to price, an integer

	MaxTop          = 500 // the largest $top on relaties, verkooporders, verkoopfacturen
	MaxTopArtikelen = 25  // the largest $top on artikelen
)

// OAuth scopes, as the token's scopes claim lists them (snelstart-api.md
// §1.3). A call whose token lacks the scope gets 403.
const (
	ScopeArtikelenRead  = "artikelen:read"
	ScopeArtikelenWrite = "artikelen:write"
	ScopeOrdersRead     = "orders:read"
	ScopeOrdersWrite    = "orders:write"
	ScopeRelatiesRead   = "relaties:read"
	ScopeRelatiesWrite  = "relaties:write"
	ScopeSettingsRead   = "settings:read"
	ScopeSettingsWrite  = "settings:write"
)

// An Endpoint is one API operation koppel uses, with the scope its token
// needs.
type Endpoint struct {
	Method string // http.MethodGet, …
	Path   string // a Path… template, such as [PathVerkoopOrder]
	Scope  string // the required scope; "" for none
}

// Endpoints returns the API operations koppel uses, in the spec's paths and
// scopes; a test checks each against the spec. The token endpoint, which is
// not in the spec, is not listed.
func Endpoints() []Endpoint {
	return []Endpoint{
		{http.MethodGet, PathCompanyInfo, ScopeSettingsRead},
		{http.MethodPut, PathCompanyInfo, ScopeSettingsWrite}, // changes only factureerBuitenlandsBtw
		{http.MethodGet, PathEcho, ""},
		{http.MethodGet, PathLanden, ScopeSettingsRead},
		{http.MethodGet, PathLand, ScopeSettingsRead},
		{http.MethodGet, PathBtwTarieven, ScopeSettingsRead},
		{http.MethodGet, PathVatRates, ScopeSettingsRead},
		{http.MethodGet, PathKostenplaatsen, ScopeSettingsRead},
		{http.MethodGet, PathArtikelOmzetgroepen, ScopeArtikelenRead},
		{http.MethodGet, PathArtikelOmzetgroep, ScopeArtikelenRead},
		{http.MethodGet, PathVerkoopOrderSjablonen, ScopeOrdersRead},
		{http.MethodGet, PathVerkoopOrderSjabloon, ScopeOrdersRead},
		{http.MethodGet, PathRelaties, ScopeRelatiesRead},
		{http.MethodPost, PathRelaties, ScopeRelatiesWrite},
		{http.MethodGet, PathRelatie, ScopeRelatiesRead},
		{http.MethodPut, PathRelatie, ScopeRelatiesWrite},
		{http.MethodGet, PathArtikelen, ScopeArtikelenRead},
		{http.MethodPost, PathArtikelen, ScopeArtikelenWrite},
		{http.MethodGet, PathArtikel, ScopeArtikelenRead},
		{http.MethodGet, PathPrijsafspraken, ScopeRelatiesRead},
		{http.MethodGet, PathVerkoopOrders, ScopeOrdersRead},
		{http.MethodPost, PathVerkoopOrders, ScopeOrdersWrite},
		{http.MethodGet, PathVerkoopOrder, ScopeOrdersRead},
		{http.MethodDelete, PathVerkoopOrder, ScopeOrdersWrite}, // answers 201 per the spec
		{http.MethodGet, PathVerkoopFacturen, ScopeOrdersRead},
		{http.MethodGet, PathVerkoopFactuur, ScopeOrdersRead},
	}
}
