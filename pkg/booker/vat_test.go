package booker

import (
	"context"
	"errors"
	"maps"
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
	"github.com/koppel/koppel/pkg/vat"
)

// The tests in this file book hand-worked orders, one per VAT situation,
// through the real articles stage and the real booker against the SnelStart
// sandbox over HTTP. Each case's arithmetic is in the comment above it;
// amounts are the shop's own, as its adapter normalizes them.
//
// The customers stage is not run: each event carries the CustomerResolution
// it would record (relatie, regime, the card's btwNummer and country), and a
// relatie the seed lacks is created in the sandbox by the test. The articles
// stage is run (articles.Resolve, processing add), so every line's
// btw_soort, and the omzetgroep of an article it creates, comes from the
// rate the shop charged.

const vatProfile = "demo-woo"

// artCorrectie is the default seed's correction article (omzetgroep Geen).
const artCorrectie = "4d000000-0000-4000-8000-00000000000a"

// vatDay is when the cases' orders are placed: Hoog 21 %, Laag 9 %.
var vatDay = time.Date(2026, 3, 14, 9, 12, 0, 0, time.UTC)

// A place is a country of the default seed with an address in it.
type place struct {
	id                               snelstart.ID
	street, number, postcode, plaats string
}

var places = map[string]place{
	"NL": {"1a000000-0000-4000-8000-000000000001", "Dorpsstraat", "12", "1234 AB", "Alkmaar"},
	"BE": {"1a000000-0000-4000-8000-000000000002", "Meir", "50", "2000", "Antwerpen"},
	"DE": {"1a000000-0000-4000-8000-000000000003", "Friedrichstraße", "43", "10117", "Berlin"},
	"CH": {"1a000000-0000-4000-8000-00000000000e", "Bahnhofstrasse", "7", "8001", "Zürich"},
	"US": {"1a000000-0000-4000-8000-000000000010", "Broadway", "1500", "10036", "New York"},
}

// vatRig is one SnelStart sandbox with the stages that run against it: the
// articles stage and the booker of profile demo-woo, sharing one effect
// ledger.
type vatRig struct {
	ts  *testSandbox
	c   *snelstart.Client
	art *articles.Resolver
	b   *Booker
}

// newVATRig starts a sandbox computing VAT by method, and the stages; tweak
// changes the booker's settings.
func newVATRig(t *testing.T, method snelstartsandbox.VATMethod, tweak func(*Settings)) *vatRig {
	t.Helper()
	ts := newSandbox(t, nil, snelstartsandbox.Options{VAT: method})
	c := ts.client(t, 0)
	st, _ := newKV(t)
	s := Settings{
		Profile: vatProfile, Name: "Boekhandel Demo", Template: "Webshop",
		ShippingArticle: "VERZEND", FeeArticle: "TOESLAG", DiscountArticle: "KORTING", CorrectionArticle: "CORRECTIE",
	}
	if tweak != nil {
		tweak(&s)
	}
	art, err := articles.New(articles.Options{
		Profiles: []profile.Profile{{
			ID:       vatProfile,
			Articles: profile.Articles{Processing: articles.ProcessAdd, CodeField: articles.FieldArtikelcode},
			Orders:   profile.Orders{ShippingArticle: s.ShippingArticle, FeeArticle: s.FeeArticle, DiscountArticle: s.DiscountArticle},
		}},
		Clients: func(string) (*snelstart.Client, error) { return c, nil },
		Store:   st,
		Owner:   "vat-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &vatRig{ts: ts, c: c, art: art, b: newBooker(t, s, st, c, Options{})}
}

// book runs the articles stage, which must resolve the order, then the
// booker, and returns the booker's error.
func (r *vatRig) book(t *testing.T, ev *koppelv1.OrderEvent) error {
	t.Helper()
	if err := r.art.Resolve(context.Background(), ev); err != nil {
		t.Fatalf("articles stage: %v", err)
	}
	return r.b.Book(context.Background(), ev)
}

// bookOK books ev, which must be booked as [wantBooked] says, and returns
// what the sandbox holds for it (see [vatRig.booked]).
func (r *vatRig) bookOK(t *testing.T, ev *koppelv1.OrderEvent, regime vat.Regime, excl, incl string) (snelstart.VerkoopOrder, snelstartsandbox.Breakdown) {
	t.Helper()
	if err := r.book(t, ev); err != nil {
		t.Fatal(err)
	}
	wantBooked(t, ev, regime, excl, incl)
	return r.booked(t, ev)
}

// booked returns the verkooporder the sandbox holds for ev's booking and
// what the sandbox worked out for it beyond the API (regime, VAT per
// soort).
func (r *vatRig) booked(t *testing.T, ev *koppelv1.OrderEvent) (snelstart.VerkoopOrder, snelstartsandbox.Breakdown) {
	t.Helper()
	id := snelstart.ID(ev.GetBooking().GetVerkooporderId())
	for _, vo := range r.ts.admin().VerkoopOrders() {
		if vo.ID.Equal(id) {
			b, ok := r.ts.admin().Breakdown(id)
			if !ok {
				t.Fatalf("no breakdown of verkooporder %s", id)
			}
			return vo, b
		}
	}
	t.Fatalf("the sandbox has no verkooporder %q", id)
	return snelstart.VerkoopOrder{}, snelstartsandbox.Breakdown{}
}

// newKlant creates a klant living in country, with btwNummer btw (may be
// empty), as the customers stage would have, and returns its id.
func (r *vatRig) newKlant(t *testing.T, naam, country, btw string) string {
	t.Helper()
	l := places[country]
	rel, err := r.c.CreateRelatie(context.Background(), &snelstart.Relatie{
		Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant}, Naam: naam, BtwNummer: btw,
		VestigingsAdres: &snelstart.Adres{Straat: l.street + " " + l.number, Postcode: l.postcode, Plaats: l.plaats, Land: snelstart.RefTo(l.id)},
	})
	if err != nil {
		t.Fatalf("create relatie %s: %v", naam, err)
	}
	return string(rel.ID)
}

// setOSS switches companyInfo.factureerBuitenlandsBtw.
func (r *vatRig) setOSS(t *testing.T, on bool) {
	t.Helper()
	if _, err := r.c.UpdateCompanyInfo(context.Background(), &snelstart.CompanyInfo{FactureerBuitenlandsBtw: snelstart.Ptr(on)}); err != nil {
		t.Fatal(err)
	}
}

// vatOrder returns an order of demo-woo placed on vatDay, billed and
// delivered in country, with the shop's totals.
func vatOrder(id, country string, incl bool, totalExcl, tax, totalIncl string, lines ...*koppelv1.Line) *koppelv1.Order {
	l := places[country]
	addr := &koppelv1.Address{FirstName: "Sam", LastName: "Klant", Street: l.street, HouseNumber: l.number, Postcode: l.postcode, City: l.plaats, Country: country}
	platform := "woocommerce"
	if !incl {
		platform = "magento"
	}
	return &koppelv1.Order{
		Profile: vatProfile, Platform: platform, ShopOrderId: id, Number: "WS-" + id, Status: "processing",
		Revision: "2026-03-14T09:12:00Z", Currency: "EUR", PricesIncludeTax: incl, CreatedAt: timestamppb.New(vatDay),
		Payment:  &koppelv1.Payment{Method: "ideal", Title: "iDEAL", Paid: true},
		Customer: &koppelv1.Customer{Email: "klant-" + id + "@example.com", FirstName: "Sam", LastName: "Klant"},
		Billing:  addr, Shipping: addr, Lines: lines,
		Totals:     &koppelv1.Totals{Tax: tax, TotalExcl: totalExcl, TotalIncl: totalIncl},
		TotalCheck: &koppelv1.TotalCheck{ComputedIncl: totalIncl, ReportedIncl: totalIncl, Difference: "0.00", Ok: true},
	}
}

// item is a product line: qty at unitExcl/unitIncl, charged rate percent,
// with the shop's line totals excl. VAT and VAT (the total incl. VAT is
// their sum, as the shop reports it).
func item(id, sku, name, qty, rate, unitExcl, unitIncl, excl, tax string) *koppelv1.Line {
	return &koppelv1.Line{LineId: id, Sku: sku, Name: name, Quantity: qty, TaxRate: rate, UnitPriceExcl: unitExcl, UnitPriceIncl: unitIncl,
		TotalExcl: excl, TotalTax: tax, TotalIncl: mustDecimal(excl).Add(mustDecimal(tax)).StringFixed(2)}
}

// charge is a shipping or fee charge at one rate.
func charge(title, rate, excl, tax string) *koppelv1.Charge {
	return &koppelv1.Charge{Title: title, TaxRate: rate, TotalExcl: excl, TotalTax: tax,
		TotalIncl: mustDecimal(excl).Add(mustDecimal(tax)).StringFixed(2)}
}

// resolution is the CustomerResolution the customers stage records.
func resolution(relatie, regime, btw, country string) *koppelv1.CustomerResolution {
	return &koppelv1.CustomerResolution{RelatieId: relatie, MatchedBy: "email", Regime: regime, BtwNummer: btw, Land: country}
}

// wantDec fails unless got is the decimal want.
func wantDec(t *testing.T, what, got, want string) {
	t.Helper()
	g, err := decimal.NewFromString(got)
	if err != nil || !g.Equal(mustDecimal(want)) {
		t.Errorf("%s = %q, want %s", what, got, want)
	}
}

// wantBooked checks that ev was booked under regime with SnelStart's
// totals excl and incl (the shop's, to the cent) and no attention needed.
func wantBooked(t *testing.T, ev *koppelv1.OrderEvent, regime vat.Regime, excl, incl string) {
	t.Helper()
	bk := ev.GetBooking()
	wantDec(t, "totaalExclusiefBtw", bk.GetTotaalExclusiefBtw(), excl)
	wantDec(t, "totaalInclusiefBtw", bk.GetTotaalInclusiefBtw(), incl)
	if bk.GetDifference() != "0.00" || bk.GetDifferenceExcl() != "0.00" {
		t.Errorf("difference with the shop: incl. %s, excl. %s; want 0.00", bk.GetDifference(), bk.GetDifferenceExcl())
	}
	if bk.GetRegime() != string(regime) {
		t.Errorf("regime = %q, want %q", bk.GetRegime(), regime)
	}
	if bk.GetAttention() != "" || bk.GetVatRule() == "" {
		t.Errorf("attention %q, vat_rule %q: SnelStart should agree with koppel", bk.GetAttention(), bk.GetVatRule())
	}
}

// wantShopTax checks the shop's VAT per rate that the booking records
// beside koppel's expectation, by rate.
func wantShopTax(t *testing.T, ev *koppelv1.OrderEvent, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, g := range ev.GetBooking().GetVat() {
		got[g.GetRate()] = g.GetShopTax()
	}
	if !maps.Equal(got, want) {
		t.Errorf("the booking's shop VAT per rate = %v, want %v", got, want)
	}
}

// groep returns the breakdown's VAT group of soort at rate.
func groep(t *testing.T, b snelstartsandbox.Breakdown, soort snelstart.BtwSoort, rate string) snelstartsandbox.BtwGroep {
	t.Helper()
	for _, g := range b.Totals.Groepen {
		if g.BtwSoort == soort && g.BtwPercentage.Equal(mustDecimal(rate)) {
			return g
		}
	}
	t.Fatalf("no VAT group %s at %s %% in %+v", soort, rate, b.Totals.Groepen)
	return snelstartsandbox.BtwGroep{}
}

// wantVAT checks the VAT SnelStart worked out for its lines of soort at
// rate.
func wantVAT(t *testing.T, b snelstartsandbox.Breakdown, soort snelstart.BtwSoort, rate, want string) {
	t.Helper()
	if got := groep(t, b, soort, rate).Btw; !got.Equal(mustDecimal(want)) {
		t.Errorf("VAT at %s %% (%s) = %s, want %s", rate, soort, got, want)
	}
}

// regelsOn returns the order's lines on artikel id.
func regelsOn(vo snelstart.VerkoopOrder, id string) []snelstart.VerkoopOrderRegel {
	var out []snelstart.VerkoopOrderRegel
	for _, r := range vo.Regels {
		if r.Artikel != nil && r.Artikel.ID.Equal(snelstart.ID(id)) {
			out = append(out, r)
		}
	}
	return out
}

// wantPrice checks that vo has exactly one line on artikel id, priced
// stuksprijs.
func wantPrice(t *testing.T, vo snelstart.VerkoopOrder, what, id, stuksprijs string) {
	t.Helper()
	rs := regelsOn(vo, id)
	if len(rs) != 1 || rs[0].Stuksprijs == nil || !rs[0].Stuksprijs.Equal(mustDecimal(stuksprijs)) {
		t.Errorf("%s: lines on artikel %s = %+v, want one at %s", what, id, rs, stuksprijs)
	}
}

// mixedNL is case 1's order: a Dutch consumer's WooCommerce order, prices
// including VAT, rounded per line (woocommerce_tax_round_at_subtotal no):
//
//	line  article                         gross          net = gross/(1+p)      VAT
//	1     T-shirt 2 × 24.95 (21 %)        49.90   49.90/1.21 = 41.2397 → 41.24   8.66
//	2     new book 1 × 19.99 (9 %)        19.99   19.99/1.09 = 18.3394 → 18.34   1.65
//	3     coffee 3 × 7.49 (9 %)           22.47   22.47/1.09 = 20.6147 → 20.61   1.86
//	4     tea 1 × 3.35 (9 %)               3.35    3.35/1.09 =  3.0734 →  3.07   0.28
//	      PostNL 4.09 + 0.8589 (21 %)      4.95                            4.09   0.86
//	      iDEAL fee 0.29 + 0.0609 (21 %)   0.35                            0.29   0.06
//	      shop                           101.01                           87.64  13.37
//
// The shop's VAT per rate: 21 % 8.66 + 0.86 + 0.06 = 9.58; 9 % 1.65 + 1.86
// + 0.28 = 3.79.
func mixedNL(id string) *koppelv1.OrderEvent {
	o := vatOrder(id, "NL", true, "87.64", "13.37", "101.01",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "2", "21", "20.619835", "24.95", "41.24", "8.66"),
		item("2", "9789044646711", "Het Achterhuis (paperback)", "1", "9", "18.339450", "19.99", "18.34", "1.65"),
		item("3", "KOFFIE-1KG", "Koffiebonen 1 kg", "3", "9", "6.871560", "7.49", "20.61", "1.86"),
		item("4", "THEE-GROEN", "Groene thee 100 g", "1", "9", "3.073394", "3.35", "3.07", "0.28"),
	)
	o.ShippingLines = []*koppelv1.Charge{charge("PostNL Pakket", "21", "4.09", "0.86")}
	o.FeeLines = []*koppelv1.Charge{charge("Toeslag iDEAL", "21", "0.29", "0.06")}
	o.Totals.LinesExcl, o.Totals.ShippingExcl, o.Totals.FeesExcl = "83.26", "4.09", "0.29"
	return &koppelv1.OrderEvent{Order: o, Customer: resolution(relJanJansen, "domestic", "", "NL")}
}

// TestVATMixedRatesNL (case 1): mixedNL booked Inclusief. SnelStart's
// lines are what the customer paid, so totaalInclusiefBtw is 101.01 under
// either VAT rule. Per rate SnelStart computes:
//
//	Hoog 21 %: 49.90 + 4.95 + 0.35 = 55.20; 55.20/1.21 = 45.6198 → 45.62; VAT 9.58
//	Laag  9 %: 19.99 + 22.47 + 3.35 = 45.81; 45.81/1.09 = 42.0275 → 42.03; VAT 3.78
//	excl. 87.65, incl. 101.01
//
// and per line (the sandbox's switch), as the shop did:
//
//	Hoog: 41.24 + 4.09 + 0.29 = 45.62; VAT 9.58
//	Laag: 18.34 + 20.61 + 3.07 = 42.02; VAT 3.79
//	excl. 87.64, incl. 101.01
//
// So at 9 % SnelStart per rate is a cent below the shop's 3.79: within a
// cent a line (three lines), and the booking says which rule SnelStart's
// totals agreed with. The new book is created in omzetgroep 2 (Laag), the
// group of the 9 % it was charged.
func TestVATMixedRatesNL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   snelstartsandbox.VATMethod
		excl     string
		hoog     string
		laag     string
		wantRule string
	}{
		{"vat_per_rate", snelstartsandbox.VATPerRate, "87.65", "9.58", "3.78", "per_rate"},
		{"vat_per_line", snelstartsandbox.VATPerLine, "87.64", "9.58", "3.79", "per_line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newVATRig(t, tc.method, nil)
			ev := mixedNL("5001")
			if err := r.book(t, ev); err != nil {
				t.Fatal(err)
			}
			bk := ev.GetBooking()
			wantDec(t, "totaalInclusiefBtw", bk.GetTotaalInclusiefBtw(), "101.01")
			wantDec(t, "totaalExclusiefBtw", bk.GetTotaalExclusiefBtw(), tc.excl)
			if bk.GetDifference() != "0.00" || bk.GetRegime() != string(vat.Domestic) || bk.GetVatRule() != tc.wantRule || bk.GetAttention() != "" {
				t.Errorf("booking: difference %s, regime %q, vat_rule %q (want %s), attention %q", bk.GetDifference(), bk.GetRegime(), bk.GetVatRule(), tc.wantRule, bk.GetAttention())
			}
			vo, b := r.booked(t, ev)
			wantDec(t, "the sandbox's totaalInclusiefBtw", vo.TotaalInclusiefBtw.String(), "101.01")
			if b.Regime != snelstartsandbox.RegimeNederland {
				t.Errorf("sandbox regime %s", b.Regime)
			}
			for _, g := range []struct {
				soort      snelstart.BtwSoort
				rate, want string
				shop       string
				lines      int64
			}{
				{snelstart.BtwSoortHoog, "21", tc.hoog, "9.58", 3},
				{snelstart.BtwSoortLaag, "9", tc.laag, "3.79", 3},
			} {
				wantVAT(t, b, g.soort, g.rate, g.want)
				got := groep(t, b, g.soort, g.rate).Btw.Decimal
				if off := got.Sub(mustDecimal(g.shop)).Abs(); off.GreaterThan(decimal.New(g.lines, -2)) {
					t.Errorf("VAT at %s %%: SnelStart %s, shop %s: more than a cent a line apart", g.rate, got, g.shop)
				}
			}
			wantShopTax(t, ev, map[string]string{"21": "9.58", "9": "3.79"})

			// The book was new: the articles stage created it in the
			// omzetgroep of the 9 % the shop charged, and said so.
			book := ev.GetArticles()[1]
			if book.GetLineId() != "2" || !book.GetCreated() || book.GetBtwSoort() != string(snelstart.BtwSoortLaag) {
				t.Fatalf("book's resolution %v, want a created article of btw-soort Laag", book)
			}
			a, err := r.c.GetArtikel(context.Background(), snelstart.ID(book.GetArtikelId()))
			if err != nil {
				t.Fatal(err)
			}
			if a.Artikelcode != "9789044646711" || a.ArtikelOmzetgroep == nil || !a.ArtikelOmzetgroep.ID.Equal(omzetgroepByRate["9"]) {
				t.Errorf("new book: artikel %s in omzetgroep %v, want %s (Laag)", a.Artikelcode, a.ArtikelOmzetgroep, omzetgroepByRate["9"])
			}
			wantPrice(t, vo, "new book", book.GetArtikelId(), "19.99")
			wantPrice(t, vo, "shipping", artVerzend, "4.95")
			wantPrice(t, vo, "fee", artToeslag, "0.35")
		})
	}
}

// TestVATUnitPriceRounding: line totals that no unit price in cents
// reproduces, in an order without discounts (WooCommerce, prices incl.
// VAT, a bundle price spread over the items):
//
//	tote bag 3 × 8.223333 = 24.67 (21 %)   net 24.67/1.21 = 20.3884 → 20.39   VAT 4.28
//	cards    7 × 2.857143 = 20.00 (9 %)    net 20.00/1.09 = 18.3486 → 18.35   VAT 1.65
//	shipping 4.09 + 0.86 (21 %)            4.95
//	shop: excl. 42.83, VAT 6.79, incl. 49.62
//
// SnelStart takes unit prices in cents (aantalDecimalenArtikelprijzen 2):
// 3 × 8.22 = 24.66 is a cent short, 7 × 2.86 = 20.02 two cents over. Each
// rate's rounding goes on a line of the rate's discount article: +0.01 on
// KORTING, −0.02 on KORTING-LAAG. SnelStart per rate: Hoog 24.66 + 0.01 +
// 4.95 = 29.62, /1.21 = 24.4793 → 24.48, VAT 5.14 (4.28 + 0.86); Laag
// 20.02 − 0.02 = 20.00 → 18.35, VAT 1.65; excl. 42.83, incl. 49.62, the
// shop's. (Before the rounding line, a rate without a discount kept its
// rounding: incl. 49.63, booked a cent off within the tolerance.)
func TestVATUnitPriceRounding(t *testing.T) {
	order := func() *koppelv1.OrderEvent {
		o := vatOrder("5008", "NL", true, "42.83", "6.79", "49.62",
			item("1", "TAS-NATUREL", "Katoenen tas naturel", "3", "21", "6.796143", "8.223333", "20.39", "4.28"),
			item("2", "KAARTEN-7", "Ansichtkaarten, set van 7", "7", "9", "2.621232", "2.857143", "18.35", "1.65"))
		o.ShippingLines = []*koppelv1.Charge{charge("PostNL Pakket", "21", "4.09", "0.86")}
		return &koppelv1.OrderEvent{Order: o, Customer: resolution(relJanJansen, "domestic", "", "NL")}
	}
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	ev := order()
	vo, b := r.bookOK(t, ev, vat.Domestic, "42.83", "49.62")
	wantPrice(t, vo, "tote bags", ev.GetArticles()[0].GetArtikelId(), "8.22")
	wantPrice(t, vo, "cards", ev.GetArticles()[1].GetArtikelId(), "2.86")
	wantPrice(t, vo, "rounding at 21 %", artKorting, "0.01")
	wantPrice(t, vo, "rounding at 9 %", artKortingLaag, "-0.02")
	for _, rs := range [][]snelstart.VerkoopOrderRegel{regelsOn(vo, artKorting), regelsOn(vo, artKortingLaag)} {
		if len(rs) == 1 && rs[0].Omschrijving != "Afronding stuksprijzen" {
			t.Errorf("rounding line %q, want \"Afronding stuksprijzen\"", rs[0].Omschrijving)
		}
	}
	wantVAT(t, b, snelstart.BtwSoortHoog, "21", "5.14")
	wantVAT(t, b, snelstart.BtwSoortLaag, "9", "1.65")

	// A profile without a discount article books the order as before:
	// 24.66 + 4.95 + 20.02 = 49.63, a cent over the shop's, within the
	// tolerance, and reported.
	t.Run("no discount article", func(t *testing.T) {
		r := newVATRig(t, snelstartsandbox.VATPerRate, func(s *Settings) { s.DiscountArticle = "" })
		ev := order()
		if err := r.book(t, ev); err != nil {
			t.Fatal(err)
		}
		if bk := ev.GetBooking(); bk.GetDifference() != "0.01" || bk.GetAttention() != "" {
			t.Errorf("difference %s, attention %q; want 0.01, none", bk.GetDifference(), bk.GetAttention())
		}
		vo, _ := r.booked(t, ev)
		if n := len(regelsOn(vo, artKorting)) + len(regelsOn(vo, artKortingLaag)); n != 0 {
			t.Errorf("%d rounding lines without a discount article", n)
		}
	})
}

// TestVATShippingSplit (case 2): WooCommerce taxed shipping "inherit" over
// a 21 % and a 9 % item, in proportion to their net amounts (20.62 and
// 13.74: 60/40), and its adapter gives the charge two tax shares:
//
//	T-shirt 1 × 24.95 (21 %)   net 24.95/1.21 = 20.6198 → 20.62   VAT 4.33
//	coffee  2 × 7.49  (9 %)    net 14.98/1.09 = 13.7431 → 13.74   VAT 1.24
//	shipping 4.95 net: 2.97 at 21 % (VAT 2.97 × 0.21 = 0.6237 → 0.62)
//	                   1.98 at  9 % (VAT 1.98 × 0.09 = 0.1782 → 0.18)
//	shop: excl. 20.62 + 13.74 + 4.95 = 39.31, VAT 4.33 + 1.24 + 0.80 = 6.37, incl. 45.68
//
// Entered Inclusief, the shipping goes on two lines: VERZEND 2.97 + 0.62 =
// 3.59 and VERZEND-LAAG 1.98 + 0.18 = 2.16 (together the charge's 5.75).
// SnelStart per rate: Hoog 24.95 + 3.59 = 28.54, /1.21 = 23.5868 → 23.59,
// VAT 4.95 (the shop's 4.33 + 0.62); Laag 14.98 + 2.16 = 17.14, /1.09 =
// 15.7248 → 15.72, VAT 1.42 (the shop's 1.24 + 0.18); excl. 39.31, incl.
// 45.68.
func TestVATShippingSplit(t *testing.T) {
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	o := vatOrder("5002", "NL", true, "39.31", "6.37", "45.68",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "1", "21", "20.619835", "24.95", "20.62", "4.33"),
		item("2", "KOFFIE-1KG", "Koffiebonen 1 kg", "2", "9", "6.871560", "7.49", "13.74", "1.24"),
	)
	o.ShippingLines = []*koppelv1.Charge{{Title: "PostNL Pakket", Method: "flat_rate", TaxRate: "21", TotalExcl: "4.95", TotalTax: "0.80", TotalIncl: "5.75",
		Taxes: []*koppelv1.TaxShare{{Rate: "21", TotalExcl: "2.97", Tax: "0.62"}, {Rate: "9", TotalExcl: "1.98", Tax: "0.18"}}}}
	ev := &koppelv1.OrderEvent{Order: o, Customer: resolution(relJanJansen, "domestic", "", "NL")}
	vo, b := r.bookOK(t, ev, vat.Domestic, "39.31", "45.68")
	wantPrice(t, vo, "shipping at 21 %", artVerzend, "3.59")
	wantPrice(t, vo, "shipping at 9 %", artVerzendLaag, "2.16")
	wantVAT(t, b, snelstart.BtwSoortHoog, "21", "4.95")
	wantVAT(t, b, snelstart.BtwSoortLaag, "9", "1.42")
	wantShopTax(t, ev, map[string]string{"21": "4.95", "9": "1.42"})
	if notes := strings.Join(ev.GetBooking().GetNotes(), "\n"); !strings.Contains(notes, `shipping "PostNL Pakket" split over 2 VAT rates`) {
		t.Errorf("notes %q: want the split noted", notes)
	}
}

// TestVATIntraCommunity (case 3): a German company with VAT number
// DE811569869 (valid check digit), billed and delivered in Germany, buys
// without VAT, prices excluding VAT:
//
//	T-shirt 10 × 20.62 = 206.20 (0 %)
//	coffee   5 × 6.87  =  34.35 (0 %)
//	shipping             12.50 (0 %)
//	shop: excl. 253.05, VAT 0.00, incl. 253.05
//
// The relatie carries the btwNummer and a German vestigingsadres, so
// SnelStart books an intra-community supply: every line at 0 % on its
// group's "binnen EU" ledger, excl. = incl. = 253.05.
func TestVATIntraCommunity(t *testing.T) {
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	relatie := r.newKlant(t, "Buchhandlung Weber GmbH", "DE", "DE811569869")
	o := vatOrder("5003", "DE", false, "253.05", "0.00", "253.05",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "10", "0", "20.62", "20.62", "206.20", "0.00"),
		item("2", "KOFFIE-1KG", "Koffiebonen 1 kg", "5", "0", "6.87", "6.87", "34.35", "0.00"),
	)
	o.Customer.Company, o.Billing.Company = "Buchhandlung Weber GmbH", "Buchhandlung Weber GmbH"
	o.Customer.VatNumber = "DE 811 569 869"
	o.ShippingLines = []*koppelv1.Charge{charge("DHL Paket International", "0", "12.50", "0.00")}
	ev := &koppelv1.OrderEvent{Order: o, Customer: resolution(relatie, "icp", "DE811569869", "DE")}
	vo, b := r.bookOK(t, ev, vat.ICP, "253.05", "253.05")
	if b.Regime != snelstartsandbox.RegimeICP || !vo.TotaalInclusiefBtw.Equal(vo.TotaalExclusiefBtw.Decimal) {
		t.Errorf("sandbox: regime %s, excl. %s, incl. %s; want ICP without VAT", b.Regime, vo.TotaalExclusiefBtw, vo.TotaalInclusiefBtw)
	}
	for i, rb := range b.Regels {
		if !rb.BtwPercentage.IsZero() {
			t.Errorf("line %d at %s %%", i, rb.BtwPercentage)
		}
	}
}

// TestVATCardFixedThenReplayed: an ICP order whose relatie card lacks the
// VAT number (as the customers stage recorded it) is held, since SnelStart
// would charge Dutch VAT; after a person adds the number to the card in
// SnelStart, the same event (a replay of the dead letter) books, because
// the booker reads the card again before it holds an order for it.
func TestVATCardFixedThenReplayed(t *testing.T) {
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	relatie := r.newKlant(t, "Buchhandlung Weber GmbH", "DE", "")
	o := vatOrder("5009", "DE", false, "206.20", "0.00", "206.20",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "10", "0", "20.62", "20.62", "206.20", "0.00"))
	o.Customer.Company, o.Billing.Company, o.Customer.VatNumber = "Buchhandlung Weber GmbH", "Buchhandlung Weber GmbH", "DE811569869"
	ev := &koppelv1.OrderEvent{Order: o, Customer: resolution(relatie, "icp", "", "DE")}
	if err := r.book(t, clone(ev)); !errors.Is(err, vat.ErrNoRegime) || !strings.Contains(err.Error(), "SnelStart would book it as domestic") {
		t.Fatalf("Book = %v, want it held: the card has no btw-nummer", err)
	}
	if n := len(r.ts.admin().VerkoopOrders()); r.ts.postCount() != 0 {
		t.Fatalf("%d verkooporders posted for a held order", n)
	}
	card, err := r.c.GetRelatie(context.Background(), snelstart.ID(relatie))
	if err != nil {
		t.Fatal(err)
	}
	card.BtwNummer = "DE811569869"
	if _, err := r.c.UpdateRelatie(context.Background(), card); err != nil {
		t.Fatal(err)
	}
	replay := clone(ev) // the dead letter carries the card as it was
	r.bookOK(t, replay, vat.ICP, "206.20", "206.20")
	if !slices.ContainsFunc(replay.GetBooking().GetNotes(), func(n string) bool { return strings.Contains(n, "card read again") }) {
		t.Errorf("notes %q, want one saying the card was read again", replay.GetBooking().GetNotes())
	}
}

// refusedForVAT checks that the order of ev fits no VAT regime: the
// articles stage and the booker each dead-letter it (a permanent error
// wrapping vat.ErrNoRegime) with a reason containing want, and nothing is
// written to SnelStart. The event is one from before the customers stage
// recorded a regime, as both stages accept: the articles stage asks package
// vat, and refuses; the booker asks again before it writes (for such
// events and for replays), and refuses before it reads a line.
func refusedForVAT(t *testing.T, r *vatRig, ev *koppelv1.OrderEvent, want string) {
	t.Helper()
	ctx := context.Background()
	artikelen, orders := len(r.ts.admin().Artikelen()), len(r.ts.admin().VerkoopOrders())
	for _, stage := range []struct {
		name string
		run  func(context.Context, *koppelv1.OrderEvent) error
	}{{"articles stage", r.art.Resolve}, {"booker", r.b.Book}} {
		err := stage.run(ctx, clone(ev))
		if !errors.Is(err, pipeline.ErrPermanent) || !errors.Is(err, vat.ErrNoRegime) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant a dead letter saying %q", stage.name, err, want)
		}
	}
	if n, m := len(r.ts.admin().Artikelen()), len(r.ts.admin().VerkoopOrders()); n != artikelen || m != orders || r.ts.postCount() != 0 {
		t.Errorf("written: %d artikelen, %d verkooporders (%d POSTs); want none", n-artikelen, m-orders, r.ts.postCount())
	}
}

// TestVATIntraCommunityWithoutNumber (case 4): the same German company's
// order without VAT, but without a VAT number: SnelStart books ICP only
// for a relatie with a valid btw-nummer, so it fits no regime.
func TestVATIntraCommunityWithoutNumber(t *testing.T) {
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	relatie := r.newKlant(t, "Buchhandlung Weber GmbH", "DE", "")
	o := vatOrder("5004", "DE", false, "206.20", "0.00", "206.20",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "10", "0", "20.62", "20.62", "206.20", "0.00"))
	o.Customer.Company, o.Billing.Company = "Buchhandlung Weber GmbH", "Buchhandlung Weber GmbH"
	refusedForVAT(t, r, &koppelv1.OrderEvent{Order: o, Customer: resolution(relatie, "", "", "")},
		"the order goes to DE without VAT, as an intra-community supply, but the customer gave no VAT number")
}

// TestVATExport (case 5): consumers outside the EU, charged no VAT.
//
//	US, WooCommerce, prices incl. VAT (none charged: the net price):
//	  T-shirt 2 × 20.62 = 41.24, shipping 15.00; excl. = incl. = 56.24
//	CH, Magento, prices excl. VAT:
//	  coffee 3 × 6.87 = 20.61, book 1 × 18.34, shipping 12.50; excl. = incl. = 51.45
//
// SnelStart books an export: 0 % on each group's "buiten EU" ledger, so
// the totals are the shop's and carry no VAT. The same US order charged 21
// % VAT fits no regime.
func TestVATExport(t *testing.T) {
	for _, tc := range []struct {
		country, id string
		incl        bool
		total       string
		lines       []*koppelv1.Line
		shipping    string
	}{
		{"US", "5005", true, "56.24", []*koppelv1.Line{
			item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "2", "0", "20.62", "20.62", "41.24", "0.00")}, "15.00"},
		{"CH", "5006", false, "51.45", []*koppelv1.Line{
			item("1", "KOFFIE-1KG", "Koffiebonen 1 kg", "3", "0", "6.87", "6.87", "20.61", "0.00"),
			item("2", "308", "Kookboek Snel en Simpel", "1", "0", "18.34", "18.34", "18.34", "0.00")}, "12.50"},
	} {
		t.Run(tc.country, func(t *testing.T) {
			r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
			relatie := r.newKlant(t, "Sam Klant", tc.country, "")
			o := vatOrder(tc.id, tc.country, tc.incl, tc.total, "0.00", tc.total, tc.lines...)
			o.ShippingLines = []*koppelv1.Charge{charge("PostNL Internationaal", "0", tc.shipping, "0.00")}
			ev := &koppelv1.OrderEvent{Order: o, Customer: resolution(relatie, "export", "", tc.country)}
			if _, b := r.bookOK(t, ev, vat.Export, tc.total, tc.total); b.Regime != snelstartsandbox.RegimeExport {
				t.Errorf("sandbox regime %s, want Export", b.Regime)
			}
		})
	}
	t.Run("US with VAT", func(t *testing.T) {
		// T-shirt 2 × 24.95 incl. 21 %: net 41.24, VAT 8.66; shipping
		// 15.00 + 3.15; incl. 68.05.
		r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
		relatie := r.newKlant(t, "Sam Klant", "US", "")
		o := vatOrder("5007", "US", true, "56.24", "11.81", "68.05",
			item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "2", "21", "20.619835", "24.95", "41.24", "8.66"))
		o.ShippingLines = []*koppelv1.Charge{charge("PostNL Internationaal", "21", "15.00", "3.15")}
		refusedForVAT(t, r, &koppelv1.OrderEvent{Order: o, Customer: resolution(relatie, "", "", "")},
			"the order goes to US, outside the EU, but the shop charged VAT (21 %)")
	})
}

// TestVATOSS (case 6): consumers in Germany and Belgium charged their own
// country's VAT, with OSS on (PUT companyInfo factureerBuitenlandsBtw).
// SnelStart takes the rate of each group's OSS ledger (Hoog: SR, Laag: RRL)
// from /vatrates for the delivery country: DE 19 and 7 %, BE 21 and 6 %.
//
// DE, prices incl. VAT (per line, as WooCommerce):
//
//	T-shirt 1 × 24.54 (19 %)   24.54/1.19 = 20.6218 → 20.62   VAT 3.92
//	coffee  2 × 7.35  (7 %)    14.70/1.07 = 13.7383 → 13.74   VAT 0.96
//	shipping 4.16 + 4.16 × 0.19 = 0.7904 → 0.79 (19 %)  4.95
//	shop: excl. 38.52, VAT 5.67, incl. 44.19
//	SnelStart: Hoog 24.54 + 4.95 = 29.49, /1.19 = 24.7815 → 24.78, VAT 4.71 (3.92 + 0.79)
//	           Laag 14.70/1.07 → 13.74, VAT 0.96; excl. 38.52, incl. 44.19
//
// DE, prices excl. VAT (Magento, VAT per rate): T-shirt 20.62, coffee 2 ×
// 6.87 = 13.74, shipping 4.16; 19 %: (20.62 + 4.16) × 0.19 = 4.7082 → 4.71;
// 7 %: 13.74 × 0.07 = 0.9618 → 0.96; excl. 38.52, incl. 44.19. SnelStart
// Exclusief computes the same.
//
// BE, prices incl. VAT:
//
//	T-shirt 2 × 24.95 (21 %)   49.90/1.21 = 41.2397 → 41.24   VAT 8.66
//	coffee  1 × 7.28  (6 %)     7.28/1.06 =  6.8679 →  6.87   VAT 0.41
//	shipping 4.09 + 0.86 (21 %)  4.95
//	shop: excl. 52.20, VAT 9.93, incl. 62.13
//	SnelStart: Hoog 49.90 + 4.95 = 54.85, /1.21 = 45.3306 → 45.33, VAT 9.52 (8.66 + 0.86)
//	           Laag 7.28/1.06 → 6.87, VAT 0.41; excl. 52.20, incl. 62.13
//
// BE, prices excl. VAT: 21 %: (41.24 + 4.09) × 0.21 = 9.5193 → 9.52; 6 %:
// 6.87 × 0.06 = 0.4122 → 0.41; excl. 52.20, incl. 62.13.
//
// With OSS switched off after the articles stage resolved the DE order
// (the customers and articles stages ran with it on), the booker
// dead-letters it: SnelStart would charge Dutch VAT on it. So it does for
// the DE order of a relatie whose card has a btwNummer, whom SnelStart
// does not count as a consumer.
func TestVATOSS(t *testing.T) {
	type rate struct {
		soort            snelstart.BtwSoort
		rate, vat, gross string
	}
	de := func(id string, incl bool) *koppelv1.Order {
		o := vatOrder(id, "DE", incl, "38.52", "5.67", "44.19",
			item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "1", "19", "20.62", "24.54", "20.62", "3.92"),
			item("2", "KOFFIE-1KG", "Koffiebonen 1 kg", "2", "7", "6.87", "7.35", "13.74", "0.96"))
		o.ShippingLines = []*koppelv1.Charge{charge("DHL Paket", "19", "4.16", "0.79")}
		return o
	}
	be := func(id string, incl bool) *koppelv1.Order {
		o := vatOrder(id, "BE", incl, "52.20", "9.93", "62.13",
			item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "2", "21", "20.62", "24.95", "41.24", "8.66"),
			item("2", "KOFFIE-1KG", "Koffiebonen 1 kg", "1", "6", "6.87", "7.28", "6.87", "0.41"))
		o.ShippingLines = []*koppelv1.Charge{charge("bpost", "21", "4.09", "0.86")}
		return o
	}
	for _, tc := range []struct {
		name       string
		order      *koppelv1.Order
		excl, incl string
		hoog, laag rate
		shipPrice  string // the shipping line's stuksprijs
	}{
		{"DE incl", de("5010", true), "38.52", "44.19",
			rate{snelstart.BtwSoortHoog, "19", "4.71", "29.49"}, rate{snelstart.BtwSoortLaag, "7", "0.96", "14.70"}, "4.95"},
		{"DE excl", de("5011", false), "38.52", "44.19",
			rate{snelstart.BtwSoortHoog, "19", "4.71", "29.49"}, rate{snelstart.BtwSoortLaag, "7", "0.96", "14.70"}, "4.16"},
		{"BE incl", be("5012", true), "52.20", "62.13",
			rate{snelstart.BtwSoortHoog, "21", "9.52", "54.85"}, rate{snelstart.BtwSoortLaag, "6", "0.41", "7.28"}, "4.95"},
		{"BE excl", be("5013", false), "52.20", "62.13",
			rate{snelstart.BtwSoortHoog, "21", "9.52", "54.85"}, rate{snelstart.BtwSoortLaag, "6", "0.41", "7.28"}, "4.09"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
			r.setOSS(t, true)
			country := tc.order.GetShipping().GetCountry()
			relatie := r.newKlant(t, "Sam Klant", country, "")
			ev := &koppelv1.OrderEvent{Order: tc.order, Customer: resolution(relatie, "oss", "", country)}
			vo, b := r.bookOK(t, ev, vat.OSS, tc.excl, tc.incl)
			if b.Regime != snelstartsandbox.RegimeOSS {
				t.Errorf("sandbox regime %s, want OSS", b.Regime)
			}
			for _, want := range []rate{tc.hoog, tc.laag} {
				wantVAT(t, b, want.soort, want.rate, want.vat)
				if g := groep(t, b, want.soort, want.rate); !g.InclusiefBtw.Equal(mustDecimal(want.gross)) {
					t.Errorf("%s at %s %%: gross %s, want %s", want.soort, want.rate, g.InclusiefBtw, want.gross)
				}
			}
			wantPrice(t, vo, "shipping", artVerzend, tc.shipPrice)
		})
	}

	// A Dutch business's card (btwNummer NL001234567B01) with goods
	// delivered to Germany, charged Germany's rates: the shop order has no
	// VAT number, so package vat calls it OSS, but SnelStart treats a
	// relatie with a btwNummer as no consumer and charges Dutch VAT
	// (vat-rounding.md §3.6): 24.54 at 21 % is not what the customer was
	// charged. The booker refuses it before the POST.
	t.Run("DE, business card with VAT number", func(t *testing.T) {
		r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
		r.setOSS(t, true)
		ev := &koppelv1.OrderEvent{Order: de("5015", true), Customer: resolution(relJansenBV, "oss", "NL001234567B01", "NL")}
		if err := r.art.Resolve(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		err := r.b.Book(context.Background(), ev)
		if !errors.Is(err, pipeline.ErrPermanent) || !errors.Is(err, vat.ErrNoRegime) || !strings.Contains(err.Error(), "SnelStart would book it as domestic from the relatie card") {
			t.Errorf("Book = %v\nwant a dead letter: SnelStart books a relatie with a btwNummer at Dutch VAT", err)
		}
		if r.ts.postCount() != 0 {
			t.Errorf("%d POSTs", r.ts.postCount())
		}
	})

	t.Run("DE with OSS off", func(t *testing.T) {
		r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
		r.setOSS(t, true)
		relatie := r.newKlant(t, "Sam Klant", "DE", "")
		ev := &koppelv1.OrderEvent{Order: de("5014", true), Customer: resolution(relatie, "oss", "", "DE")}
		if err := r.art.Resolve(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		r.setOSS(t, false)
		err := r.b.Book(context.Background(), ev)
		if !errors.Is(err, pipeline.ErrPermanent) || !errors.Is(err, vat.ErrNoRegime) || !strings.Contains(err.Error(), "companyInfo.factureerBuitenlandsBtw is off") {
			t.Errorf("Book = %v\nwant a dead letter saying OSS is off", err)
		}
		if n := len(r.ts.admin().VerkoopOrders()); r.ts.postCount() != 0 || n != 1 { // the seed's one order
			t.Errorf("%d POSTs, %d verkooporders", r.ts.postCount(), n)
		}
	})
}

// TestVATZeroRatedNL (case 7): Dutch orders charged no VAT. Delivered in
// the Netherlands an order is domestic whoever buys (vat.Decide), so a line
// at 0 % must be on an article of btw-soort Geen, or SnelStart charges the
// article's rate; the articles stage checks that.
//
//   - A consumer's T-shirt at 0 %: its article is in omzetgroep Hoog, so
//     SnelStart would charge 21 %. The articles stage dead-letters the
//     order, naming the article and both btw-soorten; nothing is booked.
//   - A Dutch business with a VAT number, the same T-shirt at 0 % (the
//     shop treated it as an intra-community supply, which a supply within
//     NL never is): dead-lettered in the articles stage likewise.
//   - The same business buying a gift card (CADEAUBON-25, omzetgroep Geen)
//     at 0 %: 25.00, VAT 0.00. Booked, domestic, excl. = incl. = 25.00.
func TestVATZeroRatedNL(t *testing.T) {
	shirt := func(id string) *koppelv1.Order {
		return vatOrder(id, "NL", true, "20.62", "0.00", "20.62",
			item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "1", "0", "20.62", "20.62", "20.62", "0.00"))
	}
	business := func(o *koppelv1.Order) *koppelv1.OrderEvent {
		o.Customer.Company, o.Customer.VatNumber, o.Billing.Company = "Jansen B.V.", "NL001234567B01", "Jansen B.V."
		return &koppelv1.OrderEvent{Order: o, Customer: resolution(relJansenBV, "domestic", "NL001234567B01", "NL")}
	}
	for name, ev := range map[string]*koppelv1.OrderEvent{
		"consumer":                 {Order: shirt("5020"), Customer: resolution(relJanJansen, "domestic", "", "NL")},
		"business with VAT number": business(shirt("5021")),
	} {
		t.Run(name+", article in Hoog", func(t *testing.T) {
			r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
			err := r.art.Resolve(context.Background(), ev)
			if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), `artikel "TSHIRT-RD-L"`) || !strings.Contains(err.Error(), "btw-soort Hoog") {
				t.Errorf("articles stage: %v\nwant a dead letter naming TSHIRT-RD-L and btw-soort Hoog", err)
			}
			if len(ev.GetArticles()) != 0 || r.ts.postCount() != 0 {
				t.Errorf("resolved %v, %d POSTs", ev.GetArticles(), r.ts.postCount())
			}
		})
	}
	t.Run("business with VAT number, gift card in Geen", func(t *testing.T) {
		r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
		ev := business(vatOrder("5022", "NL", true, "25.00", "0.00", "25.00",
			item("1", "CADEAUBON-25", "Cadeaubon 25 euro", "1", "0", "25.00", "25.00", "25.00", "0.00")))
		_, b := r.bookOK(t, ev, vat.Domestic, "25.00", "25.00")
		if got := ev.GetArticles()[0].GetBtwSoort(); got != string(snelstart.BtwSoortGeen) {
			t.Errorf("gift card's btw_soort %q, want Geen", got)
		}
		if b.Regime != snelstartsandbox.RegimeNederland || !groep(t, b, snelstart.BtwSoortGeen, "0").Btw.IsZero() {
			t.Errorf("sandbox: regime %s, groups %+v", b.Regime, b.Totals.Groepen)
		}
	})
}

// TestVATShippingDiscount (case 8): a Magento order, prices excluding VAT
// (VAT per rate), whose coupon takes 2.00 off the shipping only. The
// shop's shipping tax class is its reduced one, so shipping is at 9 %:
//
//	T-shirt 1 × 20.62 (21 %)           VAT 20.62 × 0.21 = 4.3302 → 4.33
//	cookbook 2 × 18.34 = 36.68 (9 %)
//	shipping 6.95 (9 %), before the discount: VAT 6.95 × 0.09 = 0.6255 → 0.63
//	shipping discount 2.00 (9 %): VAT 0.63 − 0.45 = 0.18, where 0.45 is
//	  Magento's VAT on the shipping after it: 4.95 × 0.09 = 0.4455 → 0.45
//	9 %: (36.68 + 4.95) × 0.09 = 3.7467 → 3.75
//	shop: excl. 20.62 + 36.68 + 6.95 − 2.00 = 62.25, VAT 8.08, incl. 70.33
//
// koppel books the shipping at its full 6.95 on VERZEND-LAAG and the
// discount as a line of its own, −2.00 on KORTING-LAAG, the discount
// article of the shipping's rate. SnelStart Exclusief per rate: Hoog 20.62
// → 4.33; Laag 36.68 + 6.95 − 2.00 = 41.63 → 3.7467 → 3.75; excl. 62.25,
// incl. 70.33.
func TestVATShippingDiscount(t *testing.T) {
	r := newVATRig(t, snelstartsandbox.VATPerRate, nil)
	o := vatOrder("5030", "NL", false, "62.25", "8.08", "70.33",
		item("1", "TSHIRT-RD-L", "T-shirt rood, maat L", "1", "21", "20.62", "24.95", "20.62", "4.33"),
		item("2", "308", "Kookboek Snel en Simpel", "2", "9", "18.34", "19.99", "36.68", "3.30"))
	o.ShippingLines = []*koppelv1.Charge{charge("Flat Rate - Fixed", "9", "6.95", "0.63")}
	o.Discounts = []*koppelv1.Discount{{Code: "VERZENDKORTING", AmountExcl: "2.00", AmountTax: "0.18", AppliesTo: "shipping", TaxRate: "9"}}
	o.Totals.LinesExcl, o.Totals.ShippingExcl, o.Totals.DiscountExcl = "57.30", "6.95", "2.00"
	ev := &koppelv1.OrderEvent{Order: o, Customer: resolution(relJanJansen, "domestic", "", "NL")}
	vo, b := r.bookOK(t, ev, vat.Domestic, "62.25", "70.33")
	wantPrice(t, vo, "shipping", artVerzendLaag, "6.95")
	wantPrice(t, vo, "shipping discount", artKortingLaag, "-2.00")
	if rs := regelsOn(vo, artKorting); len(rs) != 0 {
		t.Errorf("a discount line on KORTING (Hoog): %+v", rs)
	}
	wantShopTax(t, ev, map[string]string{"21": "4.33", "9": "3.75"})
	wantVAT(t, b, snelstart.BtwSoortHoog, "21", "4.33")
	wantVAT(t, b, snelstart.BtwSoortLaag, "9", "3.75")
}

// TestVATTotalMismatch (case 9): mixedNL (lines 101.01 incl. VAT, koppel
// expects excl. 87.65 per rate) with the shop's total changed:
//
//   - 2.46 below its lines (98.55, excl. 98.55 − 13.37 = 85.18), as in the
//     README's order 12345. hold: held, nothing posted, the reason names
//     101.01, 98.55 and the likely cause. book_and_flag: booked at 101.01,
//     difference 101.01 − 98.55 = 2.46, flagged. correction_line: 2.46 is
//     beyond the tolerance (0.05): held.
//   - 0.03 above its lines (101.04, excl. 87.67), correction_line with
//     tolerance 0.05: a VAT-free CORRECTIE line of +0.03 makes SnelStart's
//     total 101.01 + 0.03 = 101.04, the shop's; excl. 87.65 + 0.03 = 87.68,
//     a cent from the shop's 87.67, within a cent a line.
func TestVATTotalMismatch(t *testing.T) {
	withTotal := func(id, incl, excl, diff string) *koppelv1.OrderEvent {
		ev := mixedNL(id)
		o := ev.Order
		o.Totals.TotalIncl, o.Totals.TotalExcl = incl, excl
		o.TotalCheck = &koppelv1.TotalCheck{ComputedIncl: "101.01", ReportedIncl: incl, Difference: diff, Ok: false}
		return ev
	}
	for _, tc := range []struct {
		name      string
		mode      string
		tolerance string
		ev        *koppelv1.OrderEvent
		held      bool
		incl      string // SnelStart's total when booked
		diff      string
		corr      string
	}{
		{"hold", profile.MismatchHold, "", withTotal("5040", "98.55", "85.18", "2.46"), true, "", "", ""},
		{"book_and_flag", profile.MismatchBookAndFlag, "", withTotal("5041", "98.55", "85.18", "2.46"), false, "101.01", "2.46", ""},
		{"correction_line within tolerance", profile.MismatchCorrectionLine, "0.05", withTotal("5042", "101.04", "87.67", "-0.03"), false, "101.04", "0.00", "0.03"},
		{"correction_line beyond tolerance", profile.MismatchCorrectionLine, "0.05", withTotal("5043", "98.55", "85.18", "2.46"), true, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newVATRig(t, snelstartsandbox.VATPerRate, func(s *Settings) {
				s.OnTotalMismatch = tc.mode
				if tc.tolerance != "" {
					s.TotalTolerance = mustDecimal(tc.tolerance)
				}
			})
			before := len(r.ts.admin().VerkoopOrders())
			err := r.book(t, tc.ev)
			if tc.held {
				if !errors.Is(err, ErrHeld) || !errors.Is(err, pipeline.ErrPermanent) {
					t.Fatalf("Book = %v, want held (a dead letter)", err)
				}
				for _, want := range []string{"101.01", "98.55", "likely cause"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("reason %q lacks %q", err, want)
					}
				}
				if n := len(r.ts.admin().VerkoopOrders()); n != before || r.ts.postCount() != 0 {
					t.Errorf("%d verkooporders posted (%d POSTs), want none", n-before, r.ts.postCount())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			bk := tc.ev.GetBooking()
			wantDec(t, "totaalInclusiefBtw", bk.GetTotaalInclusiefBtw(), tc.incl)
			if bk.GetDifference() != tc.diff || bk.GetCorrection() != tc.corr {
				t.Errorf("difference %q, correction %q; want %q, %q", bk.GetDifference(), bk.GetCorrection(), tc.diff, tc.corr)
			}
			vo, _ := r.booked(t, tc.ev)
			if tc.corr == "" {
				if bk.GetAttention() == "" || !strings.Contains(bk.GetAttention(), "98.55") {
					t.Errorf("attention %q: want the mismatch flagged", bk.GetAttention())
				}
				if rs := regelsOn(vo, artCorrectie); len(rs) != 0 {
					t.Errorf("correction lines %+v", rs)
				}
				return
			}
			wantPrice(t, vo, "correction", artCorrectie, tc.corr)
			if bk.GetAttention() != "" || bk.GetVatRule() != "per_rate" {
				t.Errorf("attention %q, vat_rule %q: corrected, nothing should need a look", bk.GetAttention(), bk.GetVatRule())
			}
		})
	}
}
