// Package profile is koppel's configuration: the server, the NATS connection,
// the idempotency store and the profiles, each of which links one webshop to
// one SnelStart administration.
//
// A configuration is a YAML file read with [Load] or [Parse]. Before decoding,
// ${VAR} and ${VAR:-default} references are replaced from an injected
// environment lookup, so secrets need not live in the file. Unknown keys are
// errors. After decoding, defaults are applied and [Config.Validate] checks
// the whole configuration at once, reporting every problem with its path in a
// [*ValidationError].
//
// A Config holds secrets. Log or print only [Config.Redacted] copies; a
// [Profile] logged through log/slog shows only its id, name and platform.
package profile

import (
	"fmt"
	"log/slog"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is a whole koppel configuration. A Config returned by [Load] or
// [Parse] has its defaults applied and has passed [Config.Validate]. It is
// not modified afterwards by this package and may be read concurrently.
type Config struct {
	Server      Server      `yaml:"server"`
	NATS        NATS        `yaml:"nats"`
	Idempotency Idempotency `yaml:"idempotency"`
	// Sandbox configures the SnelStart sandbox koppel run starts in-process
	// when a profile has snelstart.sandbox: true.
	Sandbox  Sandbox   `yaml:"sandbox"`
	Profiles []Profile `yaml:"profiles"`
}

// Server configures the HTTP listener that serves webhooks, the admin API,
// the dashboard, /metrics and /healthz.
type Server struct {
	Listen     string `yaml:"listen"`      // address; default ":8080"
	AdminToken string `yaml:"admin_token"` // bearer token for the admin API; secret
	// BodyLimit is the largest webhook body accepted, in bytes. Zero means
	// 1 MiB.
	BodyLimit int64 `yaml:"body_limit"`
	// PublishTimeout bounds the wait for a JetStream PubAck before a webhook
	// is answered 503. Zero means 5s.
	PublishTimeout Duration `yaml:"publish_timeout"`
}

// NATS configures the message bus.
type NATS struct {
	// URL is the NATS server to connect to. Empty starts an embedded server
	// (all-in-one), which then keeps its JetStream data in StoreDir.
	URL      string `yaml:"url"`
	StoreDir string `yaml:"store_dir"`
	// Listen is where the embedded server takes client connections, so
	// that `koppel dlq` and other tools can reach a running koppel. Zero
	// means 127.0.0.1:4222. Unused when URL is set.
	Listen string `yaml:"listen"`
	// Replicas is how many servers keep each stream (1, 3 or 5); a
	// clustered deployment uses 3. Zero means 1.
	Replicas int `yaml:"replicas"`
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. It must
	// cover a poller overlap and a redelivery storm. Zero means 6h.
	DuplicateWindow Duration `yaml:"duplicate_window"`
}

// Sandbox configures the in-process SnelStart sandbox.
type Sandbox struct {
	// Listen is where it serves /b2b/token and /v2/...; default
	// 127.0.0.1:8090.
	Listen string `yaml:"listen"`
	// Seed is a seed file (JSON or YAML); empty: the built-in demo
	// administration (client key and subscription key "demo").
	Seed string `yaml:"seed"`
	// Snapshot keeps the sandbox's state across restarts when set.
	Snapshot string `yaml:"snapshot"`
	// URL points sandbox profiles at a sandbox running elsewhere (e.g.
	// `koppel sandbox snelstart`) instead of starting one in-process.
	URL string `yaml:"url"`
}

// Idempotency configures the store behind the effect ledger and the lookup
// caches.
type Idempotency struct {
	// RedisURL selects Redis (redis:// or rediss://). Empty selects a
	// JetStream KV bucket. A password in the URL is a secret.
	RedisURL string `yaml:"redis_url"`
}

// Profile links one webshop to one SnelStart administration, with the rules
// for its orders, articles and customers.
//
// A Profile is a [slog.LogValuer]: logging one shows only its ID, Name and
// platform, never its secrets.
type Profile struct {
	// ID names the profile in URLs (POST /webhooks/{id}) and subjects. It is
	// unique within a Config and matches [a-z0-9][a-z0-9-]*.
	ID        string    `yaml:"id"`
	Name      string    `yaml:"name"`
	Webshop   Webshop   `yaml:"webshop"`
	SnelStart SnelStart `yaml:"snelstart"`
	Orders    Orders    `yaml:"orders"`
	Articles  Articles  `yaml:"articles"`
	Customers Customers `yaml:"customers"`
	Schedule  Schedule  `yaml:"schedule"`
}

// Webshop says which shop a profile serves and how to reach and verify it.
type Webshop struct {
	// Platform is one of woocommerce, magento, shopify, lightspeed or
	// generic.
	Platform string `yaml:"platform"`
	URL      string `yaml:"url"` // the shop's base URL, for polling

	// Credentials for the shop's REST API; secrets. WooCommerce uses the
	// consumer key and secret, Magento the access token.
	ConsumerKey    string `yaml:"consumer_key"`
	ConsumerSecret string `yaml:"consumer_secret"`
	AccessToken    string `yaml:"access_token"`
	// AccessTokenSecret completes Magento's four integration credentials
	// (OAuth 1.0a); without it koppel sends AccessToken as a bearer token.
	AccessTokenSecret string `yaml:"access_token_secret"`
	// QueryAuth sends the WooCommerce key in the query string, for servers
	// that strip the Authorization header.
	QueryAuth bool `yaml:"query_auth"`

	// WebhookSecret keys the HMAC signature on webhook deliveries; secret.
	// It is required for the platforms that push webhooks (woocommerce,
	// magento).
	WebhookSecret string `yaml:"webhook_secret"`
	// SignatureHeader is the header that carries the signature where the
	// platform lets it be chosen. It defaults to "X-Koppel-Signature" for
	// magento and is empty otherwise.
	SignatureHeader string `yaml:"signature_header"`
}

// SnelStart says which SnelStart administration a profile books into.
type SnelStart struct {
	// Sandbox selects the built-in SnelStart sandbox instead of the real
	// API. Without it, ClientKey and SubscriptionKey are required.
	Sandbox         bool      `yaml:"sandbox"`
	ClientKey       string    `yaml:"client_key"`       // koppelsleutel; secret
	SubscriptionKey string    `yaml:"subscription_key"` // Ocp-Apim-Subscription-Key; secret
	RateLimit       RateLimit `yaml:"rate_limit"`
}

// RateLimit bounds the calls to one SnelStart administration. Zero leaves the
// limit to the SnelStart client's own default.
type RateLimit struct {
	PerMinute  int `yaml:"per_minute"`
	Concurrent int `yaml:"concurrent"`
}

// Orders says which shop orders to import and how to book them as
// verkooporders.
type Orders struct {
	// ImportStatuses are the shop statuses to import (see [Orders.Imports]);
	// empty imports every status.
	ImportStatuses []string `yaml:"import_statuses"`
	// Template is the verkoopordersjabloon, by omschrijving or id.
	Template string `yaml:"template"`
	// ReuseLastTemplate uses the template of the customer's last order or
	// invoice first ("laatste overnemen").
	ReuseLastTemplate bool `yaml:"reuse_last_template"`
	// PaymentReference fills the betalingskenmerk: order_number (default)
	// or none.
	PaymentReference string `yaml:"payment_reference"`
	// CheckDuplicateReference looks the betalingskenmerk up in SnelStart
	// before booking.
	CheckDuplicateReference bool `yaml:"check_duplicate_reference"`
	// Description sets the omschrijving: auto (default), profile,
	// order_number or empty.
	Description string `yaml:"description"`
	// Lines says what the order lines carry: full (default),
	// code_and_quantity or snelstart_description.
	Lines string `yaml:"lines"`
	// Artikelcodes booked for shipping, fees and discounts.
	ShippingArticle string `yaml:"shipping_article"`
	FeeArticle      string `yaml:"fee_article"`
	DiscountArticle string `yaml:"discount_article"`
	// TotalTolerance is the largest difference, as a decimal amount in the
	// order's currency, between computed and reported totals that still
	// counts as matching. Empty means one minor unit of the order's
	// currency (0.01 for EUR, 0.001 for BHD, 1 for JPY).
	TotalTolerance string `yaml:"total_tolerance"`
	// CostCenter is the kostenplaats (its SnelStart id) booked orders get.
	CostCenter string `yaml:"cost_center"`
	// ProcessStatus is the procesStatus (Order, Offerte, Bevestiging,
	// Werkbon, Pakbon, Afhaalbon); empty: SnelStart's Order.
	ProcessStatus string `yaml:"process_status"`
	// OrderStatus is the verkoopOrderStatus (InBehandeling, Uitgevoerd,
	// Service); empty: SnelStart's default.
	OrderStatus string `yaml:"order_status"`
	// Addresses: "shop" (afleveradres and factuuradres from the shop
	// order, default) or "customer" (from the relatie card in SnelStart).
	Addresses string `yaml:"addresses"`
	// ProductOptions (size, colour, add-ons): "description" (merged into
	// the line's description, default), "line" (a text line of their own)
	// or "none".
	ProductOptions string `yaml:"product_options"`
	// ConvertCurrency books an order in another currency in EUR when the
	// shop supplies base-currency amounts; otherwise such an order is
	// dead-lettered.
	ConvertCurrency bool `yaml:"convert_currency"`
	// RateArticles maps a VAT rate in percent ("9", "0") to the shipping,
	// fee and discount articles for lines at that rate; missing rates use
	// the articles above.
	RateArticles map[string]RateArticles `yaml:"rate_articles"`
	// OnTotalMismatch says what happens when the totals koppel would book
	// disagree with the shop's beyond the tolerance: hold (default: the
	// order is not booked and waits in the dead letters, needing
	// attention), correction_line (book with a VAT-free correction line on
	// CorrectionArticle, at most the tolerance) or book_and_flag (book and
	// mark the booking as needing attention).
	OnTotalMismatch string `yaml:"on_total_mismatch"`
	// CorrectionArticle is the artikelcode of the correction line's
	// article; its omzetgroep must have btw-soort Geen.
	CorrectionArticle string `yaml:"correction_article"`
}

// The values of [Orders.OnTotalMismatch].
const (
	MismatchHold           = "hold"
	MismatchCorrectionLine = "correction_line"
	MismatchBookAndFlag    = "book_and_flag"
)

// The values of [Articles.OnRateMismatch].
const (
	RateMismatchDeadLetter  = "dead_letter"
	RateMismatchRateArticle = "rate_article"
)

// RateArticles are the charge articles for one VAT rate.
type RateArticles struct {
	Shipping string `yaml:"shipping"`
	Fee      string `yaml:"fee"`
	Discount string `yaml:"discount"`
}

// Articles says how shop products map to SnelStart artikelen.
type Articles struct {
	// CodeField is the SnelStart field that holds the shop SKU: artikelcode
	// (default) or extra:<name> for an extra field.
	CodeField string `yaml:"code_field"`
	// RevenueGroup is the artikelomzetgroep number for articles koppel
	// creates; required unless Processing is manual.
	RevenueGroup int `yaml:"revenue_group"`
	// RevenueGroups maps a btw-soort (hoog, laag, geen, overig) to the
	// artikelomzetgroep number that articles koppel creates at that soort
	// go into. A soort it does not name is discovered from SnelStart's
	// omzetgroepen (the only one of that soort, else the lowest number);
	// RevenueGroup remains the fallback for a one-rate shop.
	RevenueGroups map[string]int `yaml:"revenue_groups"`
	// Processing is add (default), add_and_update or manual.
	Processing string `yaml:"processing"`
	// OnRateMismatch says what happens when an existing article's
	// omzetgroep has another btw-soort than the VAT rate the shop charged:
	// dead_letter (default: the order waits, naming the article, both
	// rates and the fix) or rate_article (the line is booked on the
	// order's charge article of the shop's rate, with the product's name).
	OnRateMismatch string `yaml:"on_rate_mismatch"`
}

// The btw-soorten that [Articles.RevenueGroups] may name, lower case.
var BtwSoorten = []string{"hoog", "laag", "geen", "overig"}

// Customers says how shop customers map to SnelStart relaties.
type Customers struct {
	// Match is code, email, code_or_email, email_and_postcode,
	// code_or_email_and_postcode or smart (default).
	Match string `yaml:"match"`
	// Processing is add (default), add_and_update or manual.
	Processing string `yaml:"processing"`
	// FixedCustomerCode, with Processing manual, books every order on this
	// relatiecode. Zero books only known customers.
	FixedCustomerCode int `yaml:"fixed_customer_code"`
	// VIESCheck checks an EU business customer's VAT number with the EU's
	// VIES service before an order is booked as an intra-community supply
	// (off by default: koppel then checks format and check digit only).
	// While VIES is down the order waits; it is never refused for it.
	VIESCheck bool `yaml:"vies_check"`
}

// Schedule holds the intervals of a profile's periodic tasks. Zero disables a
// task.
type Schedule struct {
	ImportOrders  Duration `yaml:"import_orders"` // polling fallback for missed webhooks
	RefreshCaches Duration `yaml:"refresh_caches"`
	Reconcile     Duration `yaml:"reconcile"`
}

// Profile returns the profile with the given id. The returned profile is
// shared with c and must not be modified.
func (c *Config) Profile(id string) (*Profile, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.Profiles {
		if c.Profiles[i].ID == id {
			return &c.Profiles[i], true
		}
	}
	return nil, false
}

// LogValue implements [slog.LogValuer]. It reports only the profile's id,
// name and platform.
func (p Profile) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", p.ID),
		slog.String("name", p.Name),
		slog.String("platform", p.Webshop.Platform),
	)
}

// A Duration is a [time.Duration] written in YAML as Go duration text such as
// "90s", "5m" or "6h". A bare 0 is accepted too.
type Duration time.Duration

// UnmarshalYAML implements [yaml.Unmarshaler].
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: want a duration such as 5m, not a list or map", n.Line),
		}}
	}
	if n.ShortTag() == "!!null" || n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: invalid duration %q: write it like 90s, 5m or 6h", n.Line, n.Value),
		}}
	}
	*d = Duration(v)
	return nil
}

// String returns d formatted like [time.Duration.String].
func (d Duration) String() string { return time.Duration(d).String() }
