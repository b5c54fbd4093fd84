package articles_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// More ids of the default sandbox seed.
const (
	groepLaag = snelstart.ID("2b000000-0000-4000-8000-000000000002")
	groepGeen = snelstart.ID("2b000000-0000-4000-8000-000000000003")
	koffie    = snelstart.ID("4d000000-0000-4000-8000-000000000012")
)

// Ids the tests' own seeds add.
const (
	groepHoog4  = snelstart.ID("2b000000-0000-4000-8000-0000000000a4")
	groepLaag8  = snelstart.ID("2b000000-0000-4000-8000-0000000000a8")
	omzetLaagID = snelstart.ID("4d000000-0000-4000-8000-0000000000a0")
)

// orderDay is when the tests' orders were placed: Hoog is 21 %, Laag 9 %.
var orderDay = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// taxed returns a line of one unit of sku at excl (excl. VAT) charged rate
// percent, with its VAT worked out as a shop would.
func taxed(id, sku, name, rate, excl string) *koppelv1.Line {
	net, pct := decimal.RequireFromString(excl), decimal.RequireFromString(rate)
	tax := net.Mul(pct).Div(decimal.NewFromInt(100)).Round(2)
	return &koppelv1.Line{LineId: id, Sku: sku, Name: name, Quantity: "1", UnitPriceExcl: net.StringFixed(2),
		UnitPriceIncl: net.Add(tax).StringFixed(2), TaxRate: rate, TotalExcl: net.StringFixed(2), TotalTax: tax.StringFixed(2)}
}

// vatEvent returns an order placed on orderDay, delivered in country, whose
// customer the customers stage gave regime ("" for an event from before
// it did).
func vatEvent(profileID, orderID, country, regime string, lines ...*koppelv1.Line) *koppelv1.OrderEvent {
	ev := event(profileID, orderID, lines...)
	ev.Order.CreatedAt = timestamppb.New(orderDay)
	ev.Order.Billing = &koppelv1.Address{Street: "Teststraat", HouseNumber: "1", Postcode: "1234 AB", City: "Teststad", Country: country}
	ev.Order.Shipping = ev.Order.Billing
	ev.Customer.Regime = regime
	return ev
}

// seedWith returns the default seed with extra omzetgroepen and artikelen,
// and without any rate article (OMZET-…) but those in arts: the tests
// choose where their rate articles are.
func seedWith(groups []snelstartsandbox.SeedOmzetgroep, arts ...snelstart.Artikel) *snelstartsandbox.Seed {
	seed := snelstartsandbox.DefaultSeed()
	a := &seed.Administraties[0]
	a.ArtikelOmzetgroepen = append(a.ArtikelOmzetgroepen, groups...)
	a.Artikelen = slices.DeleteFunc(a.Artikelen, func(x snelstart.Artikel) bool { return strings.HasPrefix(x.Artikelcode, "OMZET-") })
	a.Artikelen = append(a.Artikelen, arts...)
	return &seed
}

func group(id snelstart.ID, nummer int, naam string, soort snelstart.BtwSoort) snelstartsandbox.SeedOmzetgroep {
	return snelstartsandbox.SeedOmzetgroep{ArtikelOmzetgroep: snelstart.ArtikelOmzetgroep{ID: id, Nummer: snelstart.Ptr(nummer), Omschrijving: naam,
		VerkoopNederlandBtwSoort: soort, VerkoopGrootboekNederlandIdentifier: snelstart.RefTo("9f000000-0000-4000-8000-000000008000")}}
}

// omzetLaag is a rate article for btw-soort Laag in omzetgroep g.
func omzetLaag(g snelstart.ID) snelstart.Artikel {
	return snelstart.Artikel{ID: omzetLaagID, Artikelcode: "OMZET-LAAG", Omschrijving: "Omzet laag tarief", ArtikelOmzetgroep: snelstart.RefTo(g),
		Verkoopprijs: snelstart.Ptr(snelstart.NewDecimal(decimal.Zero)), Eenheid: "stuk", IsNonActief: snelstart.Ptr(false)}
}

// TestNewArticlesByRate: an order with a new SKU at 21 % and one at 9 %
// creates them in omzetgroepen with btw-soort Hoog and Laag, however those
// are found, and every resolution carries its article's btw-soort.
func TestNewArticlesByRate(t *testing.T) {
	tests := map[string]struct {
		seed     *snelstartsandbox.Seed
		articles profile.Articles
		regime   string
		hoog     snelstart.ID
		laag     snelstart.ID
	}{
		"revenue_groups":                  {articles: profile.Articles{RevenueGroups: map[string]int{"hoog": 1, "laag": 2}}, regime: "domestic", hoog: groepHoog, laag: groepLaag},
		"discovered, regime decided here": {hoog: groepHoog, laag: groepLaag},
		"revenue_group for its own btw-soort": {
			seed:     seedWith([]snelstartsandbox.SeedOmzetgroep{group(groepHoog4, 4, "Omzet webshop hoog", snelstart.BtwSoortHoog)}),
			articles: profile.Articles{RevenueGroup: 4}, regime: "domestic", hoog: groepHoog4, laag: groepLaag},
		"the lowest-numbered of two Laag groups": {
			seed:   seedWith([]snelstartsandbox.SeedOmzetgroep{group(groepLaag8, 8, "Omzet boeken", snelstart.BtwSoortLaag)}),
			regime: "domestic", hoog: groepHoog, laag: groepLaag},
		"revenue_groups names the second Laag group": {
			seed:     seedWith([]snelstartsandbox.SeedOmzetgroep{group(groepLaag8, 8, "Omzet boeken", snelstart.BtwSoortLaag)}),
			articles: profile.Articles{RevenueGroups: map[string]int{"laag": 8}}, regime: "domestic", hoog: groepHoog, laag: groepLaag8},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, tt.seed)
			ctx := context.Background()
			tt.articles.Processing = articles.ProcessAdd
			r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: tt.articles, Orders: profile.Orders{ShippingArticle: "VERZEND"}}, nil)
			var first []*koppelv1.ArticleResolution
			for delivery := 1; delivery <= 2; delivery++ {
				ev := vatEvent(pid, "9001", "NL", tt.regime, taxed("l1", "SHIRT-NIEUW", "Shirt", "21", "20.00"), taxed("l2", "BOEK-NIEUW", "Boek", "9", "15.00"))
				ev.Order.ShippingLines = []*koppelv1.Charge{{Title: "PostNL", TotalExcl: "4.09", TaxRate: "21", TotalIncl: "4.95"}}
				if err := r.Resolve(ctx, ev); err != nil {
					t.Fatal(err)
				}
				if delivery == 1 {
					first = ev.Articles
				}
				for i, a := range ev.Articles {
					if a.GetArtikelId() != first[i].GetArtikelId() {
						t.Fatalf("delivery 2 resolved %v, delivery 1 %v", a, first[i])
					}
				}
			}
			if len(first) != 3 || s.posts() != 2 {
				t.Fatalf("%d POSTs, resolutions %v", s.posts(), first)
			}
			for i, want := range []struct {
				code  string
				group snelstart.ID
				soort snelstart.BtwSoort
			}{{"SHIRT-NIEUW", tt.hoog, snelstart.BtwSoortHoog}, {"BOEK-NIEUW", tt.laag, snelstart.BtwSoortLaag}, {"VERZEND", groepHoog, snelstart.BtwSoortHoog}} {
				got := s.artikel(t, first[i].GetArtikelId())
				if got.Artikelcode != want.code || !got.ArtikelOmzetgroep.ID.Equal(want.group) || first[i].GetBtwSoort() != string(want.soort) || first[i].GetRateArticle() {
					t.Errorf("%s: artikel %s in omzetgroep %s, resolution %v; want omzetgroep %s, btw_soort %s", want.code, got.Artikelcode, got.ArtikelOmzetgroep.ID, first[i], want.group, want.soort)
				}
			}
		})
	}
}

// TestRevenueGroupsMisfit: revenue group settings that do not fit
// SnelStart are a dead letter naming the setting, before anything is
// written.
func TestRevenueGroupsMisfit(t *testing.T) {
	tests := map[string]struct {
		articles profile.Articles
		want     string
	}{
		"group of another btw-soort": {profile.Articles{RevenueGroups: map[string]int{"hoog": 1, "laag": 1}},
			`articles.revenue_groups.laag is 1, but omzetgroep 1 ("Omzet hoog tarief") has btw-soort Hoog, not Laag`},
		"no such group": {profile.Articles{RevenueGroups: map[string]int{"geen": 9}},
			"articles.revenue_groups.geen is 9, but SnelStart has no artikelomzetgroep 9"},
		"no such revenue_group": {profile.Articles{RevenueGroup: 99},
			"articles.revenue_group 99 is not an artikelomzetgroep in SnelStart"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, nil)
			tt.articles.Processing = articles.ProcessAdd
			r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: tt.articles}, nil)
			err := r.Resolve(context.Background(), vatEvent(pid, "9002", "NL", "domestic", taxed("l1", "BOEK-NIEUW", "Boek", "9", "15.00")))
			if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "correct the profile, then replay the order") {
				t.Fatalf("err %v\nwant a dead letter with %q", err, tt.want)
			}
			if s.posts() != 0 {
				t.Errorf("%d POSTs", s.posts())
			}
		})
	}
}

// TestRateMismatch: an existing article whose omzetgroep has another
// btw-soort than the rate the shop charged is a dead letter that names the
// article, both soorten and the fix; after the fix in SnelStart a replay
// books it, although the article is cached.
func TestRateMismatch(t *testing.T) {
	s := newSandbox(t, nil)
	ctx := context.Background()
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	// The shirt at 21 %, as its omzetgroep says: resolved and cached; a
	// free gift line at 0 % says nothing about the article.
	ev := vatEvent(pid, "9100", "NL", "domestic", taxed("l1", "TSHIRT-RD-L", "T-shirt rood, maat L", "21", "20.62"), taxed("l2", "MOK-WIT", "Mok wit 300 ml", "0", "0.00"))
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := ev.Articles[0]; got.GetArtikelId() != string(tshirtRood) || got.GetBtwSoort() != "Hoog" {
		t.Fatalf("resolution %v", got)
	}
	if got := ev.Articles[1]; got.GetBtwSoort() != "Hoog" || got.GetRateArticle() {
		t.Fatalf("free line: resolution %v", got)
	}

	s.sb.ResetCalls()
	ev = vatEvent(pid, "9101", "NL", "domestic", taxed("l1", "TSHIRT-RD-L", "T-shirt rood, maat L", "9", "22.89"))
	err := r.Resolve(ctx, ev)
	want := `articles: order 9101: line l1: artikel "TSHIRT-RD-L" is in omzetgroep 1 ("Omzet hoog tarief") with btw-soort Hoog (21 %), ` +
		`but the shop charged 9 % (btw-soort Laag); koppel does not book a line at another rate than the shop charged: ` +
		`move artikel "TSHIRT-RD-L" to an omzetgroep with btw-soort Laag in SnelStart, or set articles.on_rate_mismatch: rate_article ` +
		`(the line is then booked on artikel "OMZET-LAAG"), then replay the order`
	if !errors.Is(err, pipeline.ErrPermanent) || err.Error() != want {
		t.Fatalf("err %v\nwant %s", err, want)
	}
	if n := s.sb.Calls().Count("GET", snelstart.PathArtikel); n != 1 {
		t.Errorf("%d reads of the article; want 1: it is read again before the dead letter", n)
	}

	// The bookkeeper's fix, in SnelStart: the shirt moves to the Laag group.
	shirt, err := s.client.GetArtikel(ctx, tshirtRood)
	if err != nil {
		t.Fatal(err)
	}
	shirt.ArtikelOmzetgroep = snelstart.RefTo(groepLaag)
	if _, err := s.client.UpdateArtikel(ctx, shirt); err != nil {
		t.Fatal(err)
	}
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatalf("replay after the fix: %v", err)
	}
	if got := ev.Articles[0]; got.GetArtikelId() != string(tshirtRood) || got.GetBtwSoort() != "Laag" || got.GetRateArticle() {
		t.Errorf("replay: resolution %v", got)
	}
}

// TestRateArticle: with on_rate_mismatch rate_article, a line whose
// article has another btw-soort than the shop's rate is resolved to the
// rate article OMZET-<SOORT> of the shop's soort, with the customer's
// price of the product; the other lines as usual.
func TestRateArticle(t *testing.T) {
	ctx := context.Background()
	prof := profile.Profile{Orders: profile.Orders{Lines: articles.LinesCodeAndQuantity},
		Articles: profile.Articles{Processing: articles.ProcessAdd, OnRateMismatch: profile.RateMismatchRateArticle}}
	order := func(pid string) *koppelv1.OrderEvent {
		ev := vatEvent(pid, "9200", "NL", "domestic", taxed("l1", "TSHIRT-RD-L", "T-shirt rood, maat L", "9", "22.89"), taxed("l2", "KOFFIE-1KG", "Koffie", "9", "6.87"))
		ev.Customer.RelatieId = annaDeVries // a fixed price of 19.95 for the shirt in 2026
		return ev
	}

	s := newSandbox(t, seedWith(nil, omzetLaag(groepLaag)))
	r, pid := newResolver(t, s, kvStore(t), prof, nil)
	ev := order(pid)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, code, soort, price string
		rate                   bool
	}{
		{string(omzetLaagID), "OMZET-LAAG", "Laag", "19.95", true},
		{string(koffie), "KOFFIE-1KG", "Laag", "7.49", false},
	}
	for i, w := range want {
		got := ev.Articles[i]
		if got.GetArtikelId() != w.id || got.GetArtikelcode() != w.code || got.GetBtwSoort() != w.soort || got.GetAgreedPrice() != w.price ||
			got.GetRateArticle() != w.rate || got.GetLineId() != ev.Order.Lines[i].LineId || got.GetKind() != articles.KindProduct {
			t.Errorf("line %d: %v, want %+v", i+1, got, w)
		}
	}
	if s.posts()+s.puts() != 0 {
		t.Error("the rate article path wrote to SnelStart")
	}

	tests := map[string]struct {
		seed *snelstartsandbox.Seed
		want string
	}{
		"no rate article": {seedWith(nil),
			`articles: order 9200: line l1: artikel "TSHIRT-RD-L" has another btw-soort than the 9 % the shop charged (Laag), and articles.on_rate_mismatch is rate_article, but SnelStart has no active article with artikelcode "OMZET-LAAG": create it in an omzetgroep with btw-soort Laag (or move artikel "TSHIRT-RD-L" to one), then replay the order`},
		"rate article of another btw-soort": {seedWith(nil, omzetLaag(groepHoog)),
			`articles: order 9200: line l1: the rate article "OMZET-LAAG" for btw-soort Laag is in omzetgroep 1 ("Omzet hoog tarief") with btw-soort Hoog: move it to an omzetgroep with btw-soort Laag in SnelStart, then replay the order`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, tt.seed)
			r, pid := newResolver(t, s, kvStore(t), prof, nil)
			if err := r.Resolve(ctx, order(pid)); !errors.Is(err, pipeline.ErrPermanent) || err.Error() != tt.want {
				t.Fatalf("err %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestICPOrder: an intra-community supply is 0 % whatever the article, so
// a new article goes into the fallback group (articles.revenue_group, else
// the Hoog group) and a found one is taken as it is.
func TestICPOrder(t *testing.T) {
	for name, tt := range map[string]struct {
		revenueGroup int
		want         snelstart.ID
		soort        string
	}{
		"no revenue_group: the Hoog group": {0, groepHoog, "Hoog"},
		"revenue_group":                    {3, groepGeen, "Geen"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, nil)
			r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd, RevenueGroup: tt.revenueGroup}}, nil)
			ev := vatEvent(pid, "9300", "DE", "icp", taxed("l1", "EXPORT-NIEUW", "Nieuw", "0", "20.00"), taxed("l2", "KOFFIE-1KG", "Koffie", "0", "6.87"))
			ev.Order.Customer = &koppelv1.Customer{VatNumber: "DE811907980", Company: "Muster GmbH"}
			if err := r.Resolve(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			got := s.artikel(t, ev.Articles[0].GetArtikelId())
			if !got.ArtikelOmzetgroep.ID.Equal(tt.want) || ev.Articles[0].GetBtwSoort() != tt.soort || !ev.Articles[0].GetCreated() {
				t.Errorf("new article in omzetgroep %s, resolution %v; want omzetgroep %s", got.ArtikelOmzetgroep.ID, ev.Articles[0], tt.want)
			}
			if a := ev.Articles[1]; a.GetArtikelId() != string(koffie) || a.GetBtwSoort() != "Laag" || a.GetRateArticle() {
				t.Errorf("found article: %v", a)
			}
		})
	}
}

// TestICPOrderTaxClass: on an order charged no VAT the shop's tax class
// of the product still tells its usual soort: a new book of WooCommerce's
// class "reduced-rate" goes into the Laag group, so that later Dutch
// orders at 9 % find it in the right one.
func TestICPOrderTaxClass(t *testing.T) {
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	book := taxed("l1", "BOEK-EXPORT", "Boek", "0", "20.00")
	book.TaxClass = "reduced-rate"
	other := taxed("l2", "MOK-EXPORT", "Mok", "0", "8.00")
	other.TaxClass = "my-own-class" // unreadable: the fallback group
	ev := vatEvent(pid, "9301", "DE", "icp", book, other)
	ev.Order.Customer = &koppelv1.Customer{VatNumber: "DE811907980", Company: "Muster GmbH"}
	if err := r.Resolve(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if got := s.artikel(t, ev.Articles[0].GetArtikelId()); !got.ArtikelOmzetgroep.ID.Equal(groepLaag) || ev.Articles[0].GetBtwSoort() != "Laag" {
		t.Errorf("reduced-rate book in omzetgroep %s (%s), want the Laag group", got.ArtikelOmzetgroep.ID, ev.Articles[0].GetBtwSoort())
	}
	if got := s.artikel(t, ev.Articles[1].GetArtikelId()); !got.ArtikelOmzetgroep.ID.Equal(groepHoog) {
		t.Errorf("article of an unreadable class in omzetgroep %s, want the fallback (Hoog)", got.ArtikelOmzetgroep.ID)
	}
}

// TestRateOfNoSoort: a domestic line at a rate no btw-soort has is a dead
// letter naming the line, its rate and the rates SnelStart knows.
func TestRateOfNoSoort(t *testing.T) {
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	err := r.Resolve(context.Background(), vatEvent(pid, "9400", "NL", "domestic", taxed("l1", "TSHIRT-RD-L", "Shirt", "21", "20.62"), taxed("l2", "BOEK-7", "Boek", "7", "10.00")))
	want := `articles: order 9400: line l2 ("Boek") is charged 7 %, which is the rate of no btw-soort of this administration on 2026-06-01 (SnelStart knows Hoog 21 %, Laag 9 %, Geen 0 %), so SnelStart cannot book it at that rate: correct the product's tax class in the shop and replay the order, or book it by hand`
	if !errors.Is(err, pipeline.ErrPermanent) || err.Error() != want {
		t.Fatalf("err %v\nwant %s", err, want)
	}
	if s.posts() != 0 {
		t.Error("an article was created for a rate no btw-soort has")
	}
}
