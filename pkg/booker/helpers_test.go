package booker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// Ids of the default sandbox seed (snelstartsandbox/default_seed.yaml).
const (
	relJansenBV  = "5e000000-0000-4000-8000-000000000001" // has an earlier order on template Webshop
	relJanJansen = "5e000000-0000-4000-8000-000000000003"
	relAnna      = "5e000000-0000-4000-8000-000000000006" // price agreement: TSHIRT-RD-L at 19.95
	relPeeters   = "5e000000-0000-4000-8000-000000000007" // no orders: used by one test only
	relMuller    = "5e000000-0000-4000-8000-000000000008" // no orders: used by one test only

	artVerzend     = "4d000000-0000-4000-8000-000000000001"
	artVerzendLaag = "4d000000-0000-4000-8000-000000000002"
	artToeslag     = "4d000000-0000-4000-8000-000000000003"
	artKorting     = "4d000000-0000-4000-8000-000000000004"
	artKortingLaag = "4d000000-0000-4000-8000-000000000005"
	artTshirt      = "4d000000-0000-4000-8000-000000000010" // 21 %
	artKoffie      = "4d000000-0000-4000-8000-000000000012" // 9 %

	sjabloonWebshop   = "3c000000-0000-4000-8000-000000000001"
	sjabloonStandaard = "3c000000-0000-4000-8000-000000000002"
)

// testSandbox is a SnelStart sandbox served over loopback HTTP, with a
// client per profile that records the verkooporders it posts.
type testSandbox struct {
	SB  *snelstartsandbox.Sandbox
	URL string

	mu    sync.Mutex
	posts [][]byte // bodies of POST /v2/verkooporders, in order
}

// newSandbox starts a sandbox from seed (nil: the default seed) with no
// rate limit, for t.
func newSandbox(t testing.TB, seed *snelstartsandbox.Seed, opts snelstartsandbox.Options) *testSandbox {
	t.Helper()
	opts.Seed = seed
	if opts.RateLimit == nil {
		opts.RateLimit = &snelstartsandbox.RateLimit{}
	}
	sb, err := snelstartsandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	return &testSandbox{SB: sb, URL: srv.URL}
}

// client returns a client of the demo administration that records its
// verkooporder POSTs. timeout bounds each HTTP attempt (0: 10 s).
func (ts *testSandbox) client(t testing.TB, timeout time.Duration) *snelstart.Client {
	t.Helper()
	c, err := snelstart.New(snelstart.Config{
		AuthURL: ts.URL, BaseURL: ts.URL, ClientKey: "demo", SubscriptionKey: "demo",
		Limits:         snelstart.Limits{MaxConcurrent: 256},
		Retry:          snelstart.RetryPolicy{InitialInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond, MaxAttempts: 6},
		RequestTimeout: cmpOr(timeout, 10*time.Second),
		HTTPClient:     &http.Client{Transport: &recorder{ts: ts, next: http.DefaultTransport}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// recorder keeps the bodies of verkooporder POSTs.
type recorder struct {
	ts   *testSandbox
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == snelstart.PathVerkoopOrders && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.ts.mu.Lock()
		r.ts.posts = append(r.ts.posts, body)
		r.ts.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

func (ts *testSandbox) lastPost() []byte {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.posts) == 0 {
		return nil
	}
	return ts.posts[len(ts.posts)-1]
}

func (ts *testSandbox) postCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.posts)
}

// admin returns the demo administration.
func (ts *testSandbox) admin() *snelstartsandbox.Administratie { return ts.SB.Admin("demo") }

// ordersByKenmerk counts the sandbox's verkooporders per betalingskenmerk.
func (ts *testSandbox) ordersByKenmerk() map[string][]snelstart.VerkoopOrder {
	m := map[string][]snelstart.VerkoopOrder{}
	for _, o := range ts.admin().VerkoopOrders() {
		m[o.Betalingskenmerk] = append(m[o.Betalingskenmerk], o)
	}
	return m
}

// newKV returns a JetStream KV effect ledger on a fresh embedded server.
func newKV(t testing.TB) (idempotency.Store, *natstest.Server) {
	t.Helper()
	bus := natstest.Run(t)
	st, err := idempotency.NewKV(context.Background(), bus.JS, idempotency.KVOptions{Bucket: "booker_test"})
	if err != nil {
		t.Fatal(err)
	}
	return st, bus
}

// newBooker returns a Booker for one profile whose orders go to c.
func newBooker(t testing.TB, s Settings, st idempotency.Store, c *snelstart.Client, o Options) *Booker {
	t.Helper()
	o.Profiles = map[string]Settings{s.Profile: s}
	o.Clients = func(string) (*snelstart.Client, error) { return c, nil }
	o.Store = st
	if o.Now == nil {
		o.Now = func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }
	}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testSettings are a profile's settings as the example configuration has
// them (shared/design/koppel.example.yaml), with rate articles for 9 %.
func testSettings() Settings {
	return Settings{
		Profile: "demo-woo", Name: "Boekhandel Demo",
		ImportStatuses:  []string{"processing", "completed"},
		Template:        "Webshop",
		ShippingArticle: "VERZEND", FeeArticle: "TOESLAG", DiscountArticle: "KORTING",
		RateArticles: map[string]RateArticles{"9": {Shipping: "VERZEND-LAAG", Discount: "KORTING-LAAG"}},
	}.withDefaults()
}

// sampleEvent is a WooCommerce-like order with prices including VAT: two
// T-shirts (21 %) with options and a bag of coffee (9 %), a coupon spread
// over both, PostNL shipping and a payment fee; resolved to seed ids as
// the customers and articles stages would.
func sampleEvent(id string) *koppelv1.OrderEvent {
	return &koppelv1.OrderEvent{
		Order: &koppelv1.Order{
			Profile: "demo-woo", Platform: "woocommerce", ShopOrderId: id, Number: "WS-" + id, Status: "processing",
			Revision: "2026-03-14T09:12:00Z",
			Payment:  &koppelv1.Payment{Method: "mollie_wc_gateway_ideal", Title: "iDEAL", TransactionId: "tr_x", Paid: true},
			Currency: "EUR", PricesIncludeTax: true,
			CreatedAt: timestamppb.New(time.Date(2026, 3, 14, 9, 12, 0, 0, time.UTC)),
			Billing: &koppelv1.Address{FirstName: "Piet", LastName: "Jansen", Company: "Jansen B.V.", Street: "Coolsingel",
				HouseNumber: "1", HouseNumberSuffix: "a", Postcode: "3012 AA", City: "Rotterdam", Country: "NL"},
			Shipping: &koppelv1.Address{FirstName: "Piet", LastName: "Jansen", Street: "Meir", HouseNumber: "50",
				Postcode: "2000", City: "Antwerpen", Country: "BE"},
			Lines: []*koppelv1.Line{
				{LineId: "11", Sku: "TSHIRT-RD-L", Name: "T-shirt rood", Quantity: "2", UnitPriceExcl: "20.619835", UnitPriceIncl: "24.95",
					TaxRate: "21", DiscountExcl: "4.12", TotalExcl: "37.12", TotalTax: "7.79", TotalIncl: "44.91",
					Options: []*koppelv1.Option{{Name: "Maat", Value: "L"}, {Name: "Kleur", Value: "rood"}}},
				{LineId: "12", Sku: "KOFFIE-1KG", Name: "Koffiebonen 1 kg", Quantity: "3", UnitPriceExcl: "6.87156", UnitPriceIncl: "7.49",
					TaxRate: "9", DiscountExcl: "2.06", TotalExcl: "18.55", TotalTax: "1.67", TotalIncl: "20.22"},
			},
			ShippingLines: []*koppelv1.Charge{{Title: "PostNL Pakket", Method: "flat_rate", TotalExcl: "4.09", TotalTax: "0.86", TotalIncl: "4.95", TaxRate: "21"}},
			FeeLines:      []*koppelv1.Charge{{Title: "Toeslag iDEAL", TotalExcl: "0.29", TotalTax: "0.06", TotalIncl: "0.35", TaxRate: "21"}},
			Discounts:     []*koppelv1.Discount{{Code: "boekenweek10", AmountExcl: "6.18", AmountTax: "1.06"}},
			Totals:        &koppelv1.Totals{LinesExcl: "61.85", ShippingExcl: "4.09", FeesExcl: "0.29", DiscountExcl: "6.18", Tax: "10.38", TotalExcl: "60.05", TotalIncl: "70.43"},
		},
		Customer: &koppelv1.CustomerResolution{RelatieId: relJansenBV, Relatiecode: 1, MatchedBy: "email"},
		Articles: []*koppelv1.ArticleResolution{
			{LineId: "11", ArtikelId: artTshirt, Artikelcode: "TSHIRT-RD-L", Omschrijving: "T-shirt rood, maat L", Verkoopprijs: "24.95", Kind: kindProduct},
			{LineId: "12", ArtikelId: artKoffie, Artikelcode: "KOFFIE-1KG", Omschrijving: "Koffiebonen 1 kg", Verkoopprijs: "7.49", Kind: kindProduct},
		},
	}
}

// exclusive turns sampleEvent into a Magento-like order with prices
// excluding VAT.
func exclusive(ev *koppelv1.OrderEvent) *koppelv1.OrderEvent {
	o := ev.Order
	o.Platform, o.PricesIncludeTax = "magento", false
	o.Lines[0].UnitPriceExcl, o.Lines[0].DiscountExcl, o.Lines[0].TotalExcl, o.Lines[0].TotalTax, o.Lines[0].TotalIncl = "20.62", "4.12", "37.12", "7.80", "44.92"
	o.Lines[1].UnitPriceExcl, o.Lines[1].DiscountExcl, o.Lines[1].TotalExcl, o.Lines[1].TotalTax, o.Lines[1].TotalIncl = "6.87", "2.06", "18.55", "1.67", "20.22"
	o.Discounts[0].AmountTax = "1.05"
	o.Totals.Tax, o.Totals.TotalIncl = "10.39", "70.44"
	return ev
}

// prettyJSON re-indents a JSON body for a golden file.
func prettyJSON(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", b, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func mustDec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustDecimal(s string) decimal.Decimal { return decimal.RequireFromString(s) }
