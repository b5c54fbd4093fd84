package profile

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Defaults for settings left out of the configuration.
const (
	DefaultBodyLimit       = 1 << 20 // bytes
	DefaultPublishTimeout  = 5 * time.Second
	DefaultDuplicateWindow = 6 * time.Hour
	DefaultNATSListen      = "127.0.0.1:4222"
	DefaultListen          = ":8080"
	DefaultSandboxListen   = "127.0.0.1:8090"
	// DefaultSignatureHeader carries the webhook signature for magento.
	DefaultSignatureHeader = "X-Koppel-Signature"
)

// The allowed values of the enumerated settings, as listed in messages.
const (
	platforms         = "woocommerce, magento, shopify, lightspeed, generic"
	webhookPlatforms  = "woocommerce, magento" // those that push signed webhooks
	descriptions      = "auto, profile, order_number, empty"
	lineKinds         = "full, code_and_quantity, snelstart_description"
	paymentReferences = "order_number, none"
	processings       = "add, add_and_update, manual"
	matches           = "code, email, code_or_email, email_and_postcode, code_or_email_and_postcode, smart"
	addressSources    = "shop, customer"
	optionPlacements  = "description, line, none"
	processStatuses   = "Order, Offerte, Bevestiging, Werkbon, Pakbon, Afhaalbon"
	orderStatuses     = "InBehandeling, Uitgevoerd, Service"
	totalMismatches   = "hold, correction_line, book_and_flag"
	rateMismatches    = "dead_letter, rate_article"
)

// A Problem is one thing wrong with a configuration.
type Problem struct {
	Path    string // where, as YAML keys: "profiles[1].webshop.platform"
	Message string // what, e.g. `"shopfy" is not one of woocommerce, ...`
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// A ValidationError lists every problem [Config.Validate] found, in the order
// of the configuration.
type ValidationError struct {
	Problems []Problem
}

// Error returns a header line followed by one line per problem.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// setDefaults fills in the settings left at their zero value that have a
// default.
func (c *Config) setDefaults() {
	c.Server.BodyLimit = cmp.Or(c.Server.BodyLimit, DefaultBodyLimit)
	c.Server.PublishTimeout = cmp.Or(c.Server.PublishTimeout, Duration(DefaultPublishTimeout))
	c.Server.Listen = cmp.Or(c.Server.Listen, DefaultListen)
	c.Sandbox.Listen = cmp.Or(c.Sandbox.Listen, DefaultSandboxListen)
	if c.NATS.URL == "" {
		c.NATS.Listen = cmp.Or(c.NATS.Listen, DefaultNATSListen)
	}
	c.NATS.DuplicateWindow = cmp.Or(c.NATS.DuplicateWindow, Duration(DefaultDuplicateWindow))
	for i := range c.Profiles {
		p := &c.Profiles[i]
		if p.Webshop.Platform == "magento" {
			p.Webshop.SignatureHeader = cmp.Or(p.Webshop.SignatureHeader, DefaultSignatureHeader)
		}
		p.Orders.PaymentReference = cmp.Or(p.Orders.PaymentReference, "order_number")
		p.Orders.Description = cmp.Or(p.Orders.Description, "auto")
		p.Orders.Lines = cmp.Or(p.Orders.Lines, "full")
		p.Articles.CodeField = cmp.Or(p.Articles.CodeField, "artikelcode")
		p.Articles.Processing = cmp.Or(p.Articles.Processing, "add")
		p.Customers.Match = cmp.Or(p.Customers.Match, "smart")
		p.Customers.Processing = cmp.Or(p.Customers.Processing, "add")
		p.Orders.OnTotalMismatch = cmp.Or(p.Orders.OnTotalMismatch, MismatchHold)
		p.Articles.OnRateMismatch = cmp.Or(p.Articles.OnRateMismatch, RateMismatchDeadLetter)
	}
}

// validID reports whether id matches [a-z0-9][a-z0-9-]*.
func validID(id string) bool {
	for i, r := range id {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || i > 0 && r == '-') {
			return false
		}
	}
	return id != ""
}

// Validate checks the whole configuration as it stands, defaults included,
// and returns a [*ValidationError] listing every problem, or nil.
func (c *Config) Validate() error {
	var ps problems
	if c == nil {
		ps.add("", "no configuration")
		return &ValidationError{Problems: ps}
	}
	if c.Server.Listen == "" {
		ps.add("server.listen", "required, e.g. \":8080\"")
	}
	if c.Server.BodyLimit <= 0 {
		ps.add("server.body_limit", "must be a positive number of bytes, not %d", c.Server.BodyLimit)
	}
	ps.nonNegative("server.publish_timeout", c.Server.PublishTimeout)
	if c.NATS.URL == "" && c.NATS.StoreDir == "" {
		ps.add("nats.store_dir", "required for the embedded server (nats.url is empty)")
	}
	if r := c.NATS.Replicas; r != 0 && r != 1 && r != 3 && r != 5 {
		ps.add("nats.replicas", "must be 1, 3 or 5, not %d", r)
	}
	if c.NATS.DuplicateWindow <= 0 {
		ps.add("nats.duplicate_window", "must be positive, not %s", c.NATS.DuplicateWindow)
	}
	if u := c.Idempotency.RedisURL; u != "" {
		if parsed, err := url.Parse(u); err != nil || (parsed.Scheme != "redis" && parsed.Scheme != "rediss") {
			ps.add("idempotency.redis_url", "must be a redis:// or rediss:// URL")
		}
	}

	if len(c.Profiles) == 0 {
		ps.add("profiles", "at least one profile is required")
	}
	seen := make(map[string]int, len(c.Profiles))
	for i := range c.Profiles {
		path := fmt.Sprintf("profiles[%d]", i)
		id := c.Profiles[i].ID
		if j, dup := seen[id]; dup && id != "" {
			ps.add(path+".id", "%q is also the id of profiles[%d]", id, j)
		} else {
			seen[id] = i
		}
		c.Profiles[i].validate(&ps, path)
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// validate adds p's problems to ps, with paths under path.
func (p *Profile) validate(ps *problems, path string) {
	switch {
	case p.ID == "":
		ps.add(path+".id", "required")
	case !validID(p.ID):
		ps.add(path+".id", "%q must be lower-case letters, digits and '-', starting with a letter or digit", p.ID)
	}

	w := p.Webshop
	ps.oneOf(path+".webshop.platform", w.Platform, platforms)
	if w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.add(path+".webshop.url", "%q is not an http(s) URL", w.URL)
		}
	}
	if w.WebhookSecret == "" && slices.Contains(strings.Split(webhookPlatforms, ", "), w.Platform) {
		ps.add(path+".webshop.webhook_secret", "required for %s", w.Platform)
	}

	s := p.SnelStart
	if !s.Sandbox {
		if s.ClientKey == "" {
			ps.add(path+".snelstart.client_key", "required unless sandbox is true")
		}
		if s.SubscriptionKey == "" {
			ps.add(path+".snelstart.subscription_key", "required unless sandbox is true")
		}
	}
	if s.RateLimit.PerMinute < 0 {
		ps.add(path+".snelstart.rate_limit.per_minute", "must not be negative")
	}
	if s.RateLimit.Concurrent < 0 {
		ps.add(path+".snelstart.rate_limit.concurrent", "must not be negative")
	}

	o := p.Orders
	for i, st := range o.ImportStatuses {
		if strings.TrimSpace(st) == "" {
			ps.add(fmt.Sprintf("%s.orders.import_statuses[%d]", path, i), "must not be empty")
		}
	}
	ps.oneOf(path+".orders.payment_reference", o.PaymentReference, paymentReferences)
	ps.oneOf(path+".orders.description", o.Description, descriptions)
	ps.oneOf(path+".orders.lines", o.Lines, lineKinds)
	ps.optional(path+".orders.addresses", o.Addresses, addressSources)
	ps.optional(path+".orders.product_options", o.ProductOptions, optionPlacements)
	ps.optional(path+".orders.process_status", o.ProcessStatus, processStatuses)
	ps.optional(path+".orders.order_status", o.OrderStatus, orderStatuses)
	if d, err := decimal.NewFromString(o.TotalTolerance); o.TotalTolerance != "" && (err != nil || d.IsNegative()) {
		ps.add(path+".orders.total_tolerance", "%q is not a non-negative decimal such as \"0.01\"", o.TotalTolerance)
	}
	ps.oneOf(path+".orders.on_total_mismatch", o.OnTotalMismatch, totalMismatches)
	if o.OnTotalMismatch == MismatchCorrectionLine && strings.TrimSpace(o.CorrectionArticle) == "" {
		ps.add(path+".orders.correction_article", "required when orders.on_total_mismatch is correction_line: the artikelcode (in an omzetgroep with btw-soort Geen) the correction is booked on")
	}
	for _, rate := range slices.Sorted(maps.Keys(o.RateArticles)) {
		if d, err := decimal.NewFromString(rate); err != nil || d.IsNegative() {
			ps.add(path+".orders.rate_articles", "key %q is not a VAT rate in percent such as \"9\"", rate)
		}
	}

	a := p.Articles
	if name, ok := strings.CutPrefix(a.CodeField, "extra:"); !(a.CodeField == "artikelcode" || ok && strings.TrimSpace(name) != "") {
		ps.add(path+".articles.code_field", "%q is neither artikelcode nor extra:<name>", a.CodeField)
	}
	ps.oneOf(path+".articles.processing", a.Processing, processings)
	switch {
	case a.RevenueGroup < 0:
		ps.add(path+".articles.revenue_group", "must not be negative")
	}
	for _, soort := range slices.Sorted(maps.Keys(a.RevenueGroups)) {
		switch n := a.RevenueGroups[soort]; {
		case !slices.Contains(BtwSoorten, soort):
			ps.add(path+".articles.revenue_groups", "key %q is not a btw-soort: use %s", soort, strings.Join(BtwSoorten, ", "))
		case n <= 0:
			ps.add(path+".articles.revenue_groups."+soort, "must be an artikelomzetgroep number above 0")
		}
	}
	ps.oneOf(path+".articles.on_rate_mismatch", a.OnRateMismatch, rateMismatches)

	cu := p.Customers
	ps.oneOf(path+".customers.match", cu.Match, matches)
	ps.oneOf(path+".customers.processing", cu.Processing, processings)
	switch {
	case cu.FixedCustomerCode < 0:
		ps.add(path+".customers.fixed_customer_code", "must not be negative")
	case cu.FixedCustomerCode != 0 && cu.Processing != "manual":
		ps.add(path+".customers.fixed_customer_code", "only applies when customers.processing is manual")
	}

	ps.nonNegative(path+".schedule.import_orders", p.Schedule.ImportOrders)
	ps.nonNegative(path+".schedule.refresh_caches", p.Schedule.RefreshCaches)
	ps.nonNegative(path+".schedule.reconcile", p.Schedule.Reconcile)
}

// problems collects the problems of one validation.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// oneOf adds a problem unless v is one of allowed, a ", "-separated list.
func (ps *problems) oneOf(path, v, allowed string) {
	switch {
	case v == "":
		ps.add(path, "required: one of %s", allowed)
	case !slices.Contains(strings.Split(allowed, ", "), v):
		ps.add(path, "%q is not one of %s", v, allowed)
	}
}

// optional is oneOf for a setting that may be left empty.
func (ps *problems) optional(path, v, allowed string) {
	if v != "" {
		ps.oneOf(path, v, allowed)
	}
}

func (ps *problems) nonNegative(path string, d Duration) {
	if d < 0 {
		ps.add(path, "must not be negative, not %s", d)
	}
}
