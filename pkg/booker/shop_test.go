package booker

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// omzetgroepen of the default seed, by VAT rate.
var omzetgroepByRate = map[string]snelstart.ID{
	"21": "2b000000-0000-4000-8000-000000000001",
	"9":  "2b000000-0000-4000-8000-000000000002",
	"0":  "2b000000-0000-4000-8000-000000000003",
}

// shopOrders normalizes shop order bodies with the platform's adapter, as
// the normalize stage does.
func shopOrders(t testing.TB, platform webshop.Platform, profile string, bodies [][]byte) []*koppelv1.Order {
	t.Helper()
	a, err := webshop.New(platform, webshop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*koppelv1.Order, len(bodies))
	for i, b := range bodies {
		if out[i], err = a.Normalize(profile, b); err != nil {
			t.Fatalf("normalize %s order %d: %v", platform, i, err)
		}
		out[i].Raw = nil
	}
	return out
}

// generatedOrders returns n orders of a sandbox shop (Dutch book-shop
// orders: prices including VAT on WooCommerce, excluding on Magento; 21, 9
// and 0 % lines, coupons, shipping, gift wrap), normalized.
func generatedOrders(t testing.TB, platform webshop.Platform, profile string, n int, seed uint64) []*koppelv1.Order {
	t.Helper()
	type shop interface {
		Orders() []shopsandbox.OrderInfo
		OrderJSON(id int64) ([]byte, bool)
	}
	var s shop
	if platform == webshop.Magento {
		s = shopsandbox.NewMagento(shopsandbox.Options{Orders: n, Seed: seed})
	} else {
		s = shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: n, Seed: seed})
	}
	var bodies [][]byte
	for _, oi := range s.Orders() {
		b, _ := s.OrderJSON(oi.ID)
		bodies = append(bodies, b)
	}
	return shopOrders(t, platform, profile, bodies)
}

// fixtureOrder reads a real shop payload from ../webshop/testdata.
func fixtureOrder(t testing.TB, platform webshop.Platform, profile, file string) *koppelv1.Order {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "webshop", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return shopOrders(t, platform, profile, [][]byte{b})[0]
}

// catalogue prepares resolved events for the exactly-once and throughput
// tests (faults_test.go, bench_test.go), which are about the ledger, not
// about VAT: it gives every SKU of the orders an artikel (adding it to the
// seed before the sandbox starts) and resolves the lines, and puts every
// order on relatie. The VAT tests (TestShopTotals, vat_test.go) resolve
// their articles through the real articles stage instead.
type catalogue struct {
	seed *snelstartsandbox.Seed
	ids  map[string]snelstart.ID // by artikelcode
}

func newCatalogue(seed *snelstartsandbox.Seed) *catalogue {
	c := &catalogue{seed: seed, ids: map[string]snelstart.ID{}}
	for _, a := range seed.Administraties[0].Artikelen {
		c.ids[a.Artikelcode] = a.ID
	}
	return c
}

// event resolves o as the customers and articles stages would.
func (c *catalogue) event(o *koppelv1.Order, relatie string) *koppelv1.OrderEvent {
	ev := &koppelv1.OrderEvent{Order: o, Customer: &koppelv1.CustomerResolution{RelatieId: relatie, MatchedBy: "email"}}
	for _, l := range o.GetLines() {
		code := l.GetSku()
		if code == "" {
			code = "SHOP-" + l.GetLineId()
		}
		id, ok := c.ids[code]
		if !ok {
			id = stableID(code)
			rate := snapRate(decimal.RequireFromString(orZero(l.GetTaxRate())), []decimal.Decimal{
				decimal.NewFromInt(21), decimal.NewFromInt(9), decimal.Zero})
			groep, ok := omzetgroepByRate[rate]
			if !ok {
				groep = omzetgroepByRate["21"]
			}
			c.seed.Administraties[0].Artikelen = append(c.seed.Administraties[0].Artikelen, snelstart.Artikel{
				ID: id, Artikelcode: code, Omschrijving: truncate(l.GetName(), 250),
				ArtikelOmzetgroep: snelstart.RefTo(groep), Verkoopprijs: dec(decimal.RequireFromString(orZero(l.GetUnitPriceIncl()))),
				IsNonActief: snelstart.Ptr(false),
			})
			c.ids[code] = id
		}
		ev.Articles = append(ev.Articles, &koppelv1.ArticleResolution{
			LineId: l.GetLineId(), ArtikelId: string(id), Artikelcode: code, Kind: kindProduct,
		})
	}
	return ev
}

func orZero(s string) string {
	if strings.TrimSpace(s) == "" {
		return "0"
	}
	return s
}

// stableID derives a GUID from s, so that seeds and golden files are
// reproducible.
func stableID(s string) snelstart.ID {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return snelstart.ID(x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32])
}
