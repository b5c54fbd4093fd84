package articles_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/articles"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// Ids of the default sandbox seed.
const (
	groepHoog   = snelstart.ID("2b000000-0000-4000-8000-000000000001")
	tshirtRood  = snelstart.ID("4d000000-0000-4000-8000-000000000010")
	tshirtBlauw = snelstart.ID("4d000000-0000-4000-8000-000000000011")
	verzend     = snelstart.ID("4d000000-0000-4000-8000-000000000001")
	toeslag     = snelstart.ID("4d000000-0000-4000-8000-000000000003")
	korting     = snelstart.ID("4d000000-0000-4000-8000-000000000004")
	jansenBV    = "5e000000-0000-4000-8000-000000000001"
	annaDeVries = "5e000000-0000-4000-8000-000000000006"
)

type sandbox struct {
	sb     *snelstartsandbox.Sandbox
	admin  *snelstartsandbox.Administratie
	client *snelstart.Client
}

func newSandbox(t testing.TB, seed *snelstartsandbox.Seed) *sandbox {
	t.Helper()
	warmOnce.Do(func() { warmFilterTypes(t) })
	return startSandbox(t, seed)
}

func startSandbox(t testing.TB, seed *snelstartsandbox.Seed) *sandbox {
	t.Helper()
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	c, err := snelstart.New(snelstart.Config{BaseURL: srv.URL, AuthURL: srv.URL, ClientKey: "demo", SubscriptionKey: "demo",
		Limits: snelstart.Limits{MaxConcurrent: 40}, RequestTimeout: 5 * time.Second,
		Retry: snelstart.RetryPolicy{InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return &sandbox{sb: sb, admin: sb.Admin("demo"), client: c}
}

var warmOnce sync.Once

// warmFilterTypes makes the sandbox compile one filter on each model the
// stages filter, one at a time, before any test runs filters
// concurrently: the sandbox's $filter type cache (edmOf) publishes a
// model's type before filling it, which the race detector reports when
// the first filters on a model arrive at once (reported to the sandbox's
// owner). The cache is global, so once per test binary, on a sandbox of
// its own, suffices.
func warmFilterTypes(t testing.TB) {
	c := startSandbox(t, nil).client
	ctx := context.Background()
	if _, err := c.ListRelaties(ctx, snelstart.Eq("Relatiecode", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListArtikelen(ctx, snelstart.Any("ExtraVelden", snelstart.And(snelstart.Eq("Naam", "x"), snelstart.Eq("Waarde", "y")))); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListPrijsafspraken(ctx, snelstart.And(snelstart.Eq("Artikel/Id", snelstart.ID("4d000000-0000-4000-8000-000000000012")),
		snelstart.Eq("Relatie/Id", snelstart.ID("5e000000-0000-4000-8000-000000000001")))); err != nil {
		t.Fatal(err)
	}
}

func (s *sandbox) artikel(t testing.TB, id string) snelstart.Artikel {
	t.Helper()
	for _, a := range s.admin.Artikelen() {
		if a.ID.Equal(snelstart.ID(id)) {
			return a
		}
	}
	t.Fatalf("no artikel %s", id)
	return snelstart.Artikel{}
}

func (s *sandbox) posts() int { return s.sb.Calls().Count("POST", snelstart.PathArtikelen) }
func (s *sandbox) puts() int  { return s.sb.Calls().Count("PUT", snelstart.PathArtikel) }

func kvStore(t testing.TB) idempotency.Store {
	t.Helper()
	ns := natstest.Run(t)
	st, err := idempotency.NewKV(context.Background(), ns.JS, idempotency.KVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

var profileSeq atomic.Int64

func newResolver(t testing.TB, s *sandbox, store idempotency.Store, p profile.Profile, tweak func(*articles.Options)) (*articles.Resolver, string) {
	t.Helper()
	p.ID = fmt.Sprintf("p%d", profileSeq.Add(1))
	if p.Articles.CodeField == "" {
		p.Articles.CodeField = articles.FieldArtikelcode
	}
	o := articles.Options{
		Profiles: []profile.Profile{p},
		Clients:  func(string) (*snelstart.Client, error) { return s.client, nil },
		Store:    store,
		Owner:    "test",
		Lease:    time.Second,
	}
	if tweak != nil {
		tweak(&o)
	}
	r, err := articles.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r, p.ID
}

func line(id, sku, name, incl string) *koppelv1.Line {
	return &koppelv1.Line{LineId: id, Sku: sku, Name: name, Quantity: "1", UnitPriceIncl: incl, UnitPriceExcl: incl}
}

func event(profileID, orderID string, lines ...*koppelv1.Line) *koppelv1.OrderEvent {
	return &koppelv1.OrderEvent{Order: &koppelv1.Order{Profile: profileID, ShopOrderId: orderID, Revision: "r1", Lines: lines},
		Customer: &koppelv1.CustomerResolution{RelatieId: jansenBV, Relatiecode: 1}}
}

// TestSKUTimesProcessing matches SKUs by artikelcode and by an extra
// field, under every processing mode, delivering each order twice.
func TestSKUTimesProcessing(t *testing.T) {
	store := kvStore(t)
	tests := map[string]struct {
		field, sku string
		want       string // an artikel id, "new", "ambiguous" or "inactive"
	}{
		"artikelcode known":           {articles.FieldArtikelcode, "TSHIRT-RD-L", string(tshirtRood)},
		"artikelcode known, blue":     {articles.FieldArtikelcode, "TSHIRT-BL-M", string(tshirtBlauw)},
		"artikelcode unknown":         {articles.FieldArtikelcode, "NEW-SKU-1", "new"},
		"artikelcode of inactive":     {articles.FieldArtikelcode, "OUD-001", "inactive"},
		"extra field known":           {"extra:maat", "L", string(tshirtRood)},
		"extra field unknown":         {"extra:maat", "XL", "new"},
		"extra field on two articles": {"extra:maat", "S", "ambiguous"},
	}
	for name, tt := range tests {
		for _, proc := range []string{articles.ProcessAdd, articles.ProcessAddAndUpdate, articles.ProcessManual} {
			t.Run(name+"/"+proc, func(t *testing.T) {
				s := newSandbox(t, nil)
				ctx := context.Background()
				for _, code := range []string{"SHIRT-S-1", "SHIRT-S-2"} { // two articles with maat S
					if _, err := s.client.CreateArtikel(ctx, &snelstart.Artikel{Artikelcode: code, Omschrijving: "Shirt S", ArtikelOmzetgroep: snelstart.RefTo(groepHoog),
						ExtraVelden: []snelstart.ExtraVeld{{Naam: "maat", Waarde: "S"}}}); err != nil {
						t.Fatal(err)
					}
				}
				s.sb.ResetCalls()
				r, pid := newResolver(t, s, store, profile.Profile{Articles: profile.Articles{CodeField: tt.field, Processing: proc}}, nil)
				before := len(s.admin.Artikelen())
				var first *koppelv1.ArticleResolution
				for delivery := 1; delivery <= 2; delivery++ {
					ev := event(pid, "1001", line("l1", tt.sku, "Shirt uit de shop", "19.99"))
					err := r.Resolve(ctx, ev)
					switch {
					case tt.want == "ambiguous" || tt.want == "inactive" || tt.want == "new" && proc == articles.ProcessManual:
						word := map[string]string{"ambiguous": "ambiguous SKU", "inactive": "inactive", "new": "unknown SKU"}[tt.want]
						if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), word) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.sku)) {
							t.Fatalf("err %v, want a dead letter with %q naming the SKU", err, word)
						}
						continue
					case err != nil:
						t.Fatal(err)
					}
					if len(ev.Articles) != 1 || ev.Articles[0].GetLineId() != "l1" || ev.Articles[0].GetKind() != articles.KindProduct {
						t.Fatalf("resolutions %v", ev.Articles)
					}
					if delivery == 1 {
						first = ev.Articles[0]
					} else if ev.Articles[0].GetArtikelId() != first.GetArtikelId() {
						t.Fatalf("redelivery resolved %s, first %s", ev.Articles[0].GetArtikelId(), first.GetArtikelId())
					}
				}
				made := len(s.admin.Artikelen()) - before
				switch {
				case first == nil:
					if made != 0 || s.posts() != 0 || s.puts() != 0 {
						t.Errorf("wrote: %d made, %d POST, %d PUT", made, s.posts(), s.puts())
					}
				case tt.want == "new":
					got := s.artikel(t, first.GetArtikelId())
					if made != 1 || s.posts() != 1 || !first.GetCreated() {
						t.Fatalf("%d made with %d POSTs, created %v; want one", made, s.posts(), first.GetCreated())
					}
					if got.Artikelcode != tt.sku || got.Omschrijving != "Shirt uit de shop" || got.Verkoopprijs.String() != "19.99" ||
						!got.ArtikelOmzetgroep.ID.Equal(groepHoog) || first.GetVerkoopprijs() != "19.99" || first.GetArtikelcode() != tt.sku {
						t.Errorf("new article %+v, resolution %v", got, first)
					}
					if tt.field != articles.FieldArtikelcode && (len(got.ExtraVelden) != 1 || got.ExtraVelden[0].Waarde != tt.sku) {
						t.Errorf("extra field not set: %+v", got.ExtraVelden)
					}
				default:
					if first.GetArtikelId() != tt.want || made != 0 || s.posts() != 0 {
						t.Fatalf("resolved %s with %d made; want %s", first.GetArtikelId(), made, tt.want)
					}
					got := s.artikel(t, tt.want)
					if proc == articles.ProcessAddAndUpdate {
						if !first.GetUpdated() || s.puts() != 1 || got.Omschrijving != "Shirt uit de shop" || got.Verkoopprijs.String() != "19.99" {
							t.Errorf("add_and_update: updated %v, %d PUTs, article %q %s", first.GetUpdated(), s.puts(), got.Omschrijving, got.Verkoopprijs)
						}
						if first.GetOmschrijving() != "Shirt uit de shop" || first.GetVerkoopprijs() != "19.99" {
							t.Errorf("resolution does not carry the updated article: %v", first)
						}
					} else if s.puts() != 0 || first.GetUpdated() || got.Omschrijving == "Shirt uit de shop" {
						t.Errorf("%s updated the article", proc)
					}
				}
			})
		}
	}
}

func TestNoSKU(t *testing.T) {
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	ev := event(pid, "2001", line("l1", "TSHIRT-RD-L", "Shirt", "24.95"), line("l2", " ", "Cadeauverpakking", "2.50"))
	err := r.Resolve(context.Background(), ev)
	if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), `line l2 ("Cadeauverpakking") has no SKU`) {
		t.Fatalf("err %v, want a dead letter naming the line", err)
	}
	if s.posts() != 0 || s.sb.Calls().Count("GET", "") != 0 {
		t.Errorf("calls %v", s.sb.Calls().ByOperation())
	}
}

func TestServiceArticles(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	orders := profile.Orders{ShippingArticle: "VERZEND", FeeArticle: "TOESLAG", DiscountArticle: "KORTING"}
	r, pid := newResolver(t, s, store, profile.Profile{Orders: orders, Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	ev := event(pid, "3001", line("l1", "MOK-WIT", "Mok", "9.95"))
	ev.Order.ShippingLines = []*koppelv1.Charge{{Title: "PostNL", TotalIncl: "4.95"}}
	ev.Order.Discounts = []*koppelv1.Discount{{Code: "WELKOM", AmountExcl: "1.00"}}
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range ev.Articles {
		got[a.GetKind()] = a.GetArtikelId()
	}
	want := map[string]string{articles.KindProduct: "4d000000-0000-4000-8000-000000000015", articles.KindShipping: string(verzend), articles.KindDiscount: string(korting)}
	if len(got) != len(want) {
		t.Fatalf("kinds %v, want %v (no fee article without fee lines)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	ev.Order.FeeLines = []*koppelv1.Charge{{Title: "Rembours", TotalIncl: "0.35"}}
	if err := r.Resolve(ctx, ev); err != nil || ev.Articles[len(ev.Articles)-2].GetArtikelId() != string(toeslag) {
		t.Fatalf("fee: %v %v", ev.Articles, err)
	}

	orders.ShippingArticle = "BESTAAT-NIET"
	r, pid = newResolver(t, s, store, profile.Profile{Orders: orders, Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	ev = event(pid, "3002", line("l1", "MOK-WIT", "Mok", "9.95"))
	ev.Order.ShippingLines = []*koppelv1.Charge{{Title: "PostNL", TotalIncl: "4.95"}}
	err := r.Resolve(ctx, ev)
	if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), `orders.shipping_article is "BESTAAT-NIET"`) {
		t.Fatalf("err %v, want a dead letter naming the setting", err)
	}
	if s.posts() != 0 {
		t.Error("a missing configured article was created")
	}
}

// TestCustomerPrices: with orders.lines code_and_quantity every line
// carries the customer's price for its quantity on the order's date.
func TestCustomerPrices(t *testing.T) {
	s := newSandbox(t, nil)
	ctx := context.Background()
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Orders: profile.Orders{Lines: articles.LinesCodeAndQuantity},
		Articles: profile.Articles{Processing: articles.ProcessManual}}, nil)
	tests := map[string]struct {
		relatie, sku, qty string
		day               time.Time
		want              string
	}{
		"10 % off coffee":             {jansenBV, "KOFFIE-1KG", "1", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), "6.74"},
		"tier of 10 cookbooks":        {jansenBV, "308", "10", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), "16.99"},
		"tier of 2 cookbooks":         {jansenBV, "308", "2", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), "18.99"},
		"fixed price in 2026":         {annaDeVries, "TSHIRT-RD-L", "1", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), "19.95"},
		"no agreement before 2026":    {annaDeVries, "TSHIRT-RD-L", "1", time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC), "24.95"},
		"no agreement for this klant": {annaDeVries, "KOFFIE-1KG", "3", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), "7.49"},
		"date in Amsterdam, not UTC":  {annaDeVries, "TSHIRT-RD-L", "1", time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC), "19.95"},
	}
	for name, tt := range tests {
		for delivery := 1; delivery <= 2; delivery++ {
			s.sb.ResetCalls()
			l := line("l1", tt.sku, "x", "1")
			l.Quantity = tt.qty
			ev := event(pid, "4001-"+name, l)
			ev.Customer.RelatieId = tt.relatie
			ev.Order.CreatedAt = timestamppb.New(tt.day)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := ev.Articles[0].GetAgreedPrice(); got != tt.want {
				t.Errorf("%s: agreed price %s, want %s", name, got, tt.want)
			}
			if n := s.sb.Calls().Count("GET", snelstart.PathPrijsafspraken); delivery == 2 && n != 0 {
				t.Errorf("%s: %d price lookups on the second delivery, want 0 (cached)", name, n)
			}
		}
	}
	ev := event(pid, "4002", line("l1", "MOK-WIT", "x", "1"))
	ev.Customer = nil
	if err := r.Resolve(ctx, ev); !errors.Is(err, pipeline.ErrPermanent) {
		t.Errorf("no customer: %v, want a dead letter", err)
	}
}

func TestAdministrationRules(t *testing.T) {
	seed := snelstartsandbox.DefaultSeed()
	seed.Administraties[0].CompanyInfo.ArtikelcodeSoort = snelstart.ArtikelcodeSoortNumeriek
	seed.Administraties[0].CompanyInfo.VerkoopprijsArtikelbestandExclusiefBtw = snelstart.Ptr(true)
	s := newSandbox(t, &seed)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	err := r.Resolve(ctx, event(pid, "5001", line("l1", "ABC-1", "x", "10")))
	if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "numeric artikelcodes") {
		t.Errorf("non-numeric SKU: %v", err)
	}
	l := &koppelv1.Line{LineId: "l1", Sku: "90001", Name: "Boek", Quantity: "1", UnitPriceExcl: "9.174311", UnitPriceIncl: "10.00"}
	ev := event(pid, "5002", l)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := s.artikel(t, ev.Articles[0].GetArtikelId()); got.Verkoopprijs.String() != "9.17" {
		t.Errorf("verkoopprijs %s, want the price excl. VAT rounded to 2 decimals", got.Verkoopprijs)
	}

	r, pid = newResolver(t, s, store, profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd, RevenueGroup: 99}}, nil)
	if err := r.Resolve(ctx, event(pid, "5003", line("l1", "90002", "x", "1"))); !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "revenue_group 99") {
		t.Errorf("unknown revenue group: %v", err)
	}
}

func TestLostResponse(t *testing.T) {
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	if _, err := s.sb.AddFault(snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathArtikelen, Count: 1}); err != nil {
		t.Fatal(err)
	}
	ev := event(pid, "6001", line("l1", "NIEUW-1", "Nieuw", "5.00"))
	if err := r.Resolve(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if s.posts() != 1 || !ev.Articles[0].GetCreated() || ev.Articles[0].GetArtikelcode() != "NIEUW-1" {
		t.Errorf("%d POSTs, resolution %v", s.posts(), ev.Articles[0])
	}
}

// TestStaleArticle: a cached article deactivated in SnelStart is read
// again after VerifyAfter and then dead-lettered as inactive.
func TestStaleArticle(t *testing.T) {
	s := newSandbox(t, nil)
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}},
		func(o *articles.Options) { o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now } })
	if err := r.Resolve(ctx, event(pid, "7001", line("l1", "MOK-WIT", "Mok", "9.95"))); err != nil {
		t.Fatal(err)
	}
	mok, err := s.client.GetArtikel(ctx, "4d000000-0000-4000-8000-000000000015")
	if err != nil {
		t.Fatal(err)
	}
	mok.IsNonActief = snelstart.Ptr(true)
	if _, err := s.client.UpdateArtikel(ctx, mok); err != nil {
		t.Fatal(err)
	}
	s.sb.ResetCalls()
	if err := r.Resolve(ctx, event(pid, "7002", line("l1", "MOK-WIT", "Mok", "9.95"))); err != nil || s.sb.Calls().Total() != 0 {
		t.Fatalf("within VerifyAfter: %v, %v calls", err, s.sb.Calls().ByOperation())
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if err := r.Resolve(ctx, event(pid, "7003", line("l1", "MOK-WIT", "Mok", "9.95"))); !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "inactive") {
		t.Fatalf("after VerifyAfter: %v, want an inactive-article dead letter", err)
	}
}

func TestOneNewSKUManyWorkers(t *testing.T) {
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, kvStore(t), profile.Profile{Articles: profile.Articles{Processing: articles.ProcessAdd}}, nil)
	var wg sync.WaitGroup
	ids := make([]string, 12)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ev := event(pid, fmt.Sprint(8000+i), line("l1", "HOT-SKU", "Populair", "12.50"), line("l2", "TSHIRT-RD-L", "Shirt", "24.95"))
				err := r.Resolve(context.Background(), ev)
				if err == nil {
					ids[i] = ev.Articles[0].GetArtikelId()
					return
				}
				if errors.Is(err, pipeline.ErrPermanent) {
					t.Error(err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("different articles: %v", ids)
		}
	}
	if s.posts() != 1 {
		t.Errorf("%d POSTs, want 1", s.posts())
	}
}
