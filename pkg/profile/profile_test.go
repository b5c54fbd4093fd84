package profile

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// exampleEnv sets every variable testdata/koppel.example.yaml refers to.
func exampleEnv() func(string) (string, bool) {
	return env(map[string]string{
		"KOPPEL_ADMIN_TOKEN":         "example-admin-token",
		"WOO_CONSUMER_KEY":           "ck_example",
		"WOO_CONSUMER_SECRET":        "cs_example",
		"WOO_WEBHOOK_SECRET":         "example-webhook-secret",
		"SNELSTART_CLIENT_KEY":       "example-client-key",
		"SNELSTART_SUBSCRIPTION_KEY": "example-subscription-key",
	})
}

func TestLoadShippedConfig(t *testing.T) {
	const path = "../../configs/koppel.yaml"
	tests := map[string]struct {
		env        map[string]string
		wantSecret string
	}{
		"empty environment": {env: map[string]string{}, wantSecret: "demo-secret"},
		"secret from environment": {
			env:        map[string]string{"KOPPEL_DEMO_WEBHOOK_SECRET": "from-env"},
			wantSecret: "from-env",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Load(path, env(tc.env))
			if err != nil {
				t.Fatalf("Load(%s): %v", path, err)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for id, platform := range map[string]string{"demo-woo": "woocommerce", "demo-magento": "magento"} {
				p, ok := c.Profile(id)
				if !ok {
					t.Fatalf("Profile(%q) not found", id)
				}
				if p.Webshop.Platform != platform || p.Webshop.WebhookSecret != tc.wantSecret || !p.SnelStart.Sandbox {
					t.Errorf("profile %s: platform %q, webhook_secret %q, sandbox %v; want %q, %q, true",
						id, p.Webshop.Platform, p.Webshop.WebhookSecret, p.SnelStart.Sandbox, platform, tc.wantSecret)
				}
				// The demo administration's three omzetgroepen, by btw-soort.
				if g := p.Articles.RevenueGroups; g["hoog"] != 1 || g["laag"] != 2 || g["geen"] != 3 || p.Orders.OnTotalMismatch != MismatchHold {
					t.Errorf("profile %s: revenue_groups %v, on_total_mismatch %q; want hoog 1, laag 2, geen 3 and hold", id, g, p.Orders.OnTotalMismatch)
				}
			}
			if len(c.Profiles) != 2 {
				t.Errorf("got %d profiles, want 2", len(c.Profiles))
			}
			if c.Server.Listen != ":8080" || c.Server.AdminToken != "dev-admin-token" || c.NATS.URL != "" || c.NATS.StoreDir != "./data/nats" {
				t.Errorf("server/nats = %+v %+v, want the built-in defaults", c.Server, c.NATS)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.yaml", nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load of a missing file: error %v, want one wrapping os.ErrNotExist", err)
	}
}

func TestParseExample(t *testing.T) {
	data := mustRead(t, "testdata/koppel.example.yaml")
	c, err := Parse(data, "koppel.example.yaml", exampleEnv())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p, ok := c.Profile("demo-woo")
	if !ok {
		t.Fatal(`Profile("demo-woo") not found`)
	}
	if got := p.Schedule.ImportOrders; got != Duration(5*time.Minute) {
		t.Errorf("schedule.import_orders = %s, want 5m", got)
	}
	if got := p.Orders.ImportStatuses; !slices.Equal(got, []string{"processing", "completed"}) {
		t.Errorf("orders.import_statuses = %q", got)
	}
	if p.SnelStart.RateLimit != (RateLimit{PerMinute: 500, Concurrent: 50}) || p.Articles.RevenueGroup != 1 {
		t.Errorf("rate_limit %+v, revenue_group %d; want {500 50}, 1", p.SnelStart.RateLimit, p.Articles.RevenueGroup)
	}
	if _, ok := c.Profile("nope"); ok {
		t.Error(`Profile("nope") found a profile`)
	}

	// The header comment mentions ${VAR}; only real references count.
	_, err = Parse(data, "koppel.example.yaml", nil)
	if !errors.Is(err, ErrUnsetVariable) || !strings.Contains(err.Error(), "koppel.example.yaml: line 6: ${KOPPEL_ADMIN_TOKEN}") {
		t.Errorf("Parse with no environment: error %v, want ErrUnsetVariable for KOPPEL_ADMIN_TOKEN on line 6", err)
	}
}

func TestParseDecodeErrors(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want []string // substrings of the error
	}{
		"unknown key": {
			yaml: "server:\n  listen: \":8080\"\n  listn: x\n",
			want: []string{"line 3", "listn"},
		},
		"unknown key in a profile": {
			yaml: "profiles:\n  - id: a\n    webshop:\n      platform: magento\n      secret: x\n",
			want: []string{"line 5", "secret"},
		},
		"duration without unit": {
			yaml: "nats:\n  duplicate_window: 6\n",
			want: []string{"line 2", `invalid duration "6"`},
		},
		"duration as a list": {
			yaml: "profiles:\n  - schedule:\n      reconcile: [1h]\n",
			want: []string{"line 3", "want a duration"},
		},
		"wrong type":   {yaml: "server:\n  body_limit: lots\n", want: []string{"line 2", "lots"}},
		"syntax error": {yaml: "server:\n  listen: [\n", want: []string{"test.yaml: yaml:"}},
		"empty":        {yaml: "# nothing\n", want: []string{"test.yaml: no configuration"}},
		"two documents": {
			yaml: "server: {listen: ':1'}\n---\nserver: {listen: ':2'}\n",
			want: []string{"one YAML document"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "test.yaml", nil)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want an error", c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			var verr *ValidationError
			if errors.As(err, &verr) {
				t.Errorf("decode error %v is a *ValidationError", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	const base = "server: {listen: ':8080'}\nnats: {store_dir: ./data}\n"
	tests := map[string]struct {
		yaml string
		want []string // "path: message", or just "path"
	}{
		"no profiles": {yaml: base, want: []string{"profiles: at least one profile is required"}},
		"many mistakes": {
			yaml: `
server: {listen: "", body_limit: -1}
nats: {duplicate_window: -1h}
idempotency: {redis_url: "http://localhost"}
profiles:
  - id: Shop_1
    webshop: {platform: woocommerce, url: "ftp://shop"}
    snelstart: {sandbox: false, rate_limit: {per_minute: -1}}
    orders: {description: sometimes, total_tolerance: "-0.5", import_statuses: [paid, ""]}
    articles: {revenue_group: 1, code_field: "extra:"}
    customers: {match: fuzzy}
    schedule: {reconcile: -5m}
  - id: shop-2
    webshop: {platform: shopfy}
    snelstart: {sandbox: true}
    articles: {processing: manual}
    customers: {fixed_customer_code: 7}
  - id: shop-2
    webshop: {platform: magento, webhook_secret: s}
    snelstart: {sandbox: true}
    articles: {revenue_group: 3}
    orders: {lines: some, payment_reference: invoice, total_tolerance: "a cent", addresses: billing, product_options: line}
  - webshop: {platform: generic}
    snelstart: {sandbox: true}
    articles: {revenue_group: 3, processing: replace}
    customers: {processing: manual, fixed_customer_code: -2}
`,
			want: []string{
				"server.body_limit: must be a positive number of bytes, not -1",
				"nats.store_dir",
				"nats.duplicate_window: must be positive, not -1h0m0s",
				"idempotency.redis_url",
				`profiles[0].id: "Shop_1" must be lower-case letters, digits and '-', starting with a letter or digit`,
				"profiles[0].webshop.url",
				"profiles[0].webshop.webhook_secret: required for woocommerce",
				"profiles[0].snelstart.client_key: required unless sandbox is true",
				"profiles[0].snelstart.subscription_key: required unless sandbox is true",
				"profiles[0].snelstart.rate_limit.per_minute",
				"profiles[0].orders.import_statuses[1]: must not be empty",
				`profiles[0].orders.description: "sometimes" is not one of auto, profile, order_number, empty`,
				"profiles[0].orders.total_tolerance",
				"profiles[0].articles.code_field",
				`profiles[0].customers.match: "fuzzy" is not one of code, email, code_or_email, email_and_postcode, code_or_email_and_postcode, smart`,
				"profiles[0].schedule.reconcile: must not be negative, not -5m0s",
				`profiles[1].webshop.platform: "shopfy" is not one of woocommerce, magento, shopify, lightspeed, generic`,
				"profiles[1].customers.fixed_customer_code: only applies when customers.processing is manual",
				`profiles[2].id: "shop-2" is also the id of profiles[1]`,
				`profiles[2].orders.payment_reference: "invoice" is not one of order_number, none`,
				`profiles[2].orders.lines: "some" is not one of full, code_and_quantity, snelstart_description`,
				`profiles[2].orders.addresses: "billing" is not one of shop, customer`,
				`profiles[2].orders.total_tolerance: "a cent" is not a non-negative decimal such as "0.01"`,
				"profiles[3].id: required",
				`profiles[3].articles.processing: "replace" is not one of add, add_and_update, manual`,
				"profiles[3].customers.fixed_customer_code: must not be negative",
			},
		},
		"revenue groups by btw-soort": {
			yaml: base + "profiles:\n  - {id: a, webshop: {platform: generic}, snelstart: {sandbox: true}, articles: {revenue_groups: {hoog: 1, laag: 0, nul: 3}}}\n",
			want: []string{
				`profiles[0].articles.revenue_groups.laag: must be an artikelomzetgroep number above 0`,
				`profiles[0].articles.revenue_groups: key "nul" is not a btw-soort: use hoog, laag, geen, overig`,
			},
		},
		"VAT settings": {
			yaml: base + "profiles:\n  - {id: a, webshop: {platform: generic}, snelstart: {sandbox: true}, orders: {on_total_mismatch: correction_line, rate_articles: {hoog: {}}}, articles: {on_rate_mismatch: ignore}}\n",
			want: []string{
				`profiles[0].orders.correction_article: required when orders.on_total_mismatch is correction_line: the artikelcode (in an omzetgroep with btw-soort Geen) the correction is booked on`,
				`profiles[0].orders.rate_articles: key "hoog" is not a VAT rate in percent such as "9"`,
				`profiles[0].articles.on_rate_mismatch: "ignore" is not one of dead_letter, rate_article`,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "test.yaml", nil)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Parse error %v, want a *ValidationError", err)
			}
			got := make([]string, len(verr.Problems))
			for i, p := range verr.Problems {
				got[i] = p.String()
				if i < len(tc.want) && !strings.Contains(tc.want[i], ": ") {
					got[i] = p.Path // the case checks only the path
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if lines := strings.Count(err.Error(), "\n"); lines != len(tc.want) {
				t.Errorf("error has %d line breaks, want one per problem (%d):\n%s", lines, len(tc.want), err)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	var c *Config
	var verr *ValidationError
	if err := c.Validate(); !errors.As(err, &verr) {
		t.Errorf("(*Config)(nil).Validate() = %v, want a *ValidationError", err)
	}
}

func TestDefaults(t *testing.T) {
	const doc = `
server: {listen: ":8080"}
nats: {store_dir: ./data, url: ""}
profiles:
  - id: woo
    webshop: {platform: woocommerce, webhook_secret: s}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
  - id: mage
    webshop: {platform: magento, webhook_secret: s}
    snelstart: {sandbox: true}
    articles: {revenue_group: 1}
    orders: {lines: code_and_quantity, total_tolerance: "0"}
`
	c, err := Parse([]byte(doc), "test.yaml", nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	woo, mage := c.Profiles[0], c.Profiles[1]
	tests := map[string]struct{ got, want any }{
		"server.body_limit":                     {c.Server.BodyLimit, int64(1 << 20)},
		"server.publish_timeout":                {c.Server.PublishTimeout, Duration(5 * time.Second)},
		"nats.duplicate_window":                 {c.NATS.DuplicateWindow, Duration(6 * time.Hour)},
		"woocommerce signature_header":          {woo.Webshop.SignatureHeader, ""},
		"magento signature_header":              {mage.Webshop.SignatureHeader, "X-Koppel-Signature"},
		"orders.payment_reference":              {woo.Orders.PaymentReference, "order_number"},
		"orders.description":                    {woo.Orders.Description, "auto"},
		"orders.lines":                          {woo.Orders.Lines, "full"},
		"orders.lines when set":                 {mage.Orders.Lines, "code_and_quantity"},
		"orders.total_tolerance":                {woo.Orders.TotalTolerance, ""},
		"orders.total_tolerance when set":       {mage.Orders.TotalTolerance, "0"},
		"articles.code_field":                   {woo.Articles.CodeField, "artikelcode"},
		"articles.processing":                   {woo.Articles.Processing, "add"},
		"customers.match":                       {woo.Customers.Match, "smart"},
		"customers.processing":                  {woo.Customers.Processing, "add"},
		"schedule.import_orders has no default": {woo.Schedule.ImportOrders, Duration(0)},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", name, tc.got, tc.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	secrets := map[string]string{
		"ADMIN":   "s3cret-admin-token",
		"CK":      "s3cret-consumer-key",
		"CS":      "s3cret-consumer-secret",
		"AT":      "s3cret-access-token",
		"WH":      "s3cret-webhook",
		"CLIENT":  "s3cret-client-key",
		"SUB":     "s3cret-subscription-key",
		"REDISPW": "s3cret-redis-password",
		"NATSPW":  "s3cret-nats-password",
	}
	const doc = `
server: {listen: ":8080", admin_token: "${ADMIN}"}
nats: {url: "nats://koppel:${NATSPW}@n1:4222,nats://n2:4222"}
idempotency: {redis_url: "redis://default:${REDISPW}@redis:6379/0"}
profiles:
  - id: shop-a
    name: Shop A
    webshop:
      platform: woocommerce
      consumer_key: ${CK}
      consumer_secret: ${CS}
      access_token: ${AT}
      webhook_secret: ${WH}
    snelstart: {sandbox: false, client_key: "${CLIENT}", subscription_key: "${SUB}"}
    orders: {import_statuses: [processing]}
    articles: {revenue_group: 1}
`
	c, err := Parse([]byte(doc), "test.yaml", env(secrets))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	orig := fmt.Sprintf("%+v", c)
	r := c.Redacted()

	printed := fmt.Sprintf("%+v", r)
	for name, s := range secrets {
		if strings.Contains(printed, s) {
			t.Errorf("redacted copy shows %s: %s", name, printed)
		}
	}
	if got := strings.Count(printed, "[redacted]"); got != len(secrets) {
		t.Errorf("%d secrets redacted, want %d: %s", got, len(secrets), printed)
	}
	if want := "redis://default:[redacted]@redis:6379/0"; r.Idempotency.RedisURL != want {
		t.Errorf("redis_url = %q, want %q", r.Idempotency.RedisURL, want)
	}
	if want := "nats://koppel:[redacted]@n1:4222,nats://n2:4222"; r.NATS.URL != want {
		t.Errorf("nats.url = %q, want %q", r.NATS.URL, want)
	}
	if r.Profiles[0].ID != "shop-a" || r.Server.Listen != ":8080" {
		t.Errorf("redaction changed more than secrets: %+v", r)
	}

	// The copy is deep: neither the redaction nor changes to it reach c.
	r.Profiles[0].Orders.ImportStatuses[0] = "changed"
	r.Profiles[0].Name = "changed"
	if got := fmt.Sprintf("%+v", c); got != orig {
		t.Errorf("Redacted modified the original:\n%s\nwant\n%s", got, orig)
	}

	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("profile loaded", "profile", c.Profiles[0], "by_pointer", &c.Profiles[0])
	out := buf.String()
	for name, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("slog output shows %s: %s", name, out)
		}
	}
	want := `{"id":"shop-a","name":"Shop A","platform":"woocommerce"}`
	if strings.Count(out, want) != 2 {
		t.Errorf("slog output %s, want the profile logged twice as %s", out, want)
	}
}

func TestRedactURL(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"empty":          {"", ""},
		"no credentials": {"redis://redis:6379/0", "redis://redis:6379/0"},
		"user only":      {"nats://token@n1:4222", "nats://token@n1:4222"},
		"password only":  {"redis://:pw@redis:6379", "redis://:[redacted]@redis:6379"},
		"escaped user":   {"redis://a%3Ax:pw@h", "redis://a%3Ax:[redacted]@h"},
		"unparsable":     {"redis://u:p@h:port%zz", "[redacted]"},
		"bare host":      {"localhost:4222", "localhost:4222"},
	}
	for name, tc := range tests {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("%s: redactURL(%q) = %q, want %q", name, tc.in, got, tc.want)
		}
	}
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestLoadDistributedConfig(t *testing.T) {
	const path = "../../deploy/koppel.distributed.yaml"
	secrets := map[string]string{"KOPPEL_ADMIN_TOKEN": "t", "WOO_WEBHOOK_SECRET": "w", "MAGENTO_WEBHOOK_SECRET": "m"}
	c, err := Load(path, env(secrets))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if c.NATS.Replicas != 3 || !strings.Contains(c.NATS.URL, "nats3") || c.Idempotency.RedisURL == "" {
		t.Errorf("nats %+v, redis %q", c.NATS, c.Idempotency.RedisURL)
	}
	// Without its secrets the distributed config refuses to start.
	delete(secrets, "WOO_WEBHOOK_SECRET")
	if _, err := Load(path, env(secrets)); err == nil || !strings.Contains(err.Error(), "WOO_WEBHOOK_SECRET") {
		t.Errorf("missing secret: err = %v", err)
	}
}
