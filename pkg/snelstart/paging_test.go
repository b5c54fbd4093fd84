package snelstart_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
)

// paged serves items as SnelStart pages a collection: $skip, then at most
// $top. With ignoreSkip it always serves the first page.
func paged[T any](t *testing.T, items []T, ignoreSkip bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		top, err1 := strconv.Atoi(q.Get("$top"))
		skip, err2 := strconv.Atoi(q.Get("$skip"))
		if err1 != nil || err2 != nil {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		if ignoreSkip {
			skip = 0
		}
		page := items[min(skip, len(items)):min(skip+top, len(items))]
		writeJSON(w, 200, page)
	}
}

func relaties(n int) []snelstart.Relatie {
	rs := make([]snelstart.Relatie, n)
	for i := range rs {
		rs[i] = snelstart.Relatie{
			ID: snelstart.NewID(), Naam: fmt.Sprintf("Klant %d", i), Relatiecode: snelstart.Ptr(i + 1),
			Email: fmt.Sprintf("klant%d@example.nl", i), Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant},
		}
	}
	return rs
}

func TestPaging(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		n         int
		wantCalls int
	}{{0, 1}, {499, 1}, {500, 2}, {1000, 3}, {1203, 3}} {
		t.Run(fmt.Sprintf("%d relaties", tc.n), func(t *testing.T) {
			f := newFake(t)
			f.handle("GET /v2/relaties", paged(t, relaties(tc.n), false))
			got, err := f.client().ListRelaties(ctx, snelstart.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Errorf("%d relaties, want %d", len(got), tc.n)
			}
			qs := f.queriesOf("GET /v2/relaties")
			if len(qs) != tc.wantCalls {
				t.Fatalf("%d calls, want %d: %q", len(qs), tc.wantCalls, qs)
			}
			for i, q := range qs {
				if want := fmt.Sprintf("$skip=%d&$top=500", 500*i); q != want {
					t.Errorf("call %d: query %q, want %q", i, q, want)
				}
			}
		})
	}
	t.Run("artikelen by 25", func(t *testing.T) {
		f := newFake(t)
		as := make([]snelstart.Artikel, 60)
		for i := range as {
			as[i] = snelstart.Artikel{ID: snelstart.NewID(), Artikelcode: strconv.Itoa(i), Omschrijving: "Artikel"}
		}
		f.handle("GET /v2/artikelen", paged(t, as, false))
		got, err := f.client().ListArtikelen(ctx, snelstart.Eq("IsNonActief", false))
		if err == nil && len(got) != 0 {
			t.Errorf("%d artikelen matched IsNonActief eq false although none has the field", len(got))
		}
		got, err = f.client().ListArtikelen(ctx, snelstart.Filter{})
		if err != nil || len(got) != 60 {
			t.Fatalf("%d artikelen, %v", len(got), err)
		}
		qs := f.queriesOf("GET /v2/artikelen")
		if want := "$skip=50&$top=25"; len(qs) != 6 || qs[5] != want {
			t.Errorf("queries %q, want 2×3 ending %q", qs, want)
		}
	})
	t.Run("prijsafspraken without ids", func(t *testing.T) {
		f := newFake(t)
		ps := []snelstart.Prijsafspraak{
			{Artikel: snelstart.RefTo(artikelID), Relatie: snelstart.RefTo(relatieID), Aantal: dec("1"), Verkoopprijs: dec("24.95")},
			{Artikel: snelstart.RefTo(artikelID), Relatie: snelstart.RefTo(relatieID), Aantal: dec("6"), Verkoopprijs: dec("22.00")},
		}
		f.handle("GET /v2/prijsafspraken", paged(t, ps, false))
		got, err := f.client().ListPrijsafspraken(ctx, snelstart.And(snelstart.Eq("Artikel/Id", artikelID), snelstart.Eq("Relatie/Id", relatieID)))
		if err != nil || len(got) != 2 {
			t.Fatalf("%v, %v", got, err)
		}
	})
	t.Run("endless: $skip ignored", func(t *testing.T) {
		f := newFake(t)
		f.handle("GET /v2/relaties", paged(t, relaties(700), true))
		_, err := f.client().ListRelaties(ctx, snelstart.Filter{})
		if !errors.Is(err, snelstart.ErrPaging) || !snelstart.IsPermanent(err) {
			t.Fatalf("error %v, want ErrPaging", err)
		}
		if got := f.hitsOf("GET /v2/relaties"); got != 2 {
			t.Errorf("%d calls, want 2 (the same page twice)", got)
		}
	})
	t.Run("endless: too many pages", func(t *testing.T) {
		f := newFake(t)
		f.handle("GET /v2/relaties", paged(t, relaties(1203), false))
		_, err := f.client(func(c *snelstart.Config) { c.MaxPages = 2 }).ListRelaties(ctx, snelstart.Filter{})
		if !errors.Is(err, snelstart.ErrPaging) {
			t.Fatalf("error %v, want ErrPaging", err)
		}
		if got := f.hitsOf("GET /v2/relaties"); got != 2 {
			t.Errorf("%d calls, want 2", got)
		}
	})
}

// An endpoint that ignores $filter returns everything; the local check
// must leave only what the filter asks for.
func TestIgnoredFilterIsCheckedLocally(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	rs := relaties(3)
	rs[1].Email = "o'brien@example.nl"
	f.handle("GET /v2/relaties", paged(t, rs, false))
	orders := []snelstart.VerkoopOrder{
		{ID: snelstart.NewID(), Relatie: snelstart.RefTo(relatieID), Datum: snelstart.LocalDate(2025, 3, 1), Betalingskenmerk: "100233"},
		{ID: snelstart.NewID(), Relatie: snelstart.RefTo(relatieID), Datum: snelstart.LocalDate(2025, 3, 2), Betalingskenmerk: "100234"},
		{ID: snelstart.NewID(), Relatie: snelstart.RefTo(relatieID), Datum: snelstart.LocalDate(2025, 3, 3)},
	}
	f.handle("GET /v2/verkooporders", paged(t, orders, false))
	f.handle("GET /v2/verkoopfacturen", paged(t, []snelstart.VerkoopFactuur{
		{ID: snelstart.NewID(), Factuurnummer: "F-1", Relatie: snelstart.RefTo(snelstart.NewID())},
	}, false))
	c := f.client()

	got, err := c.ListRelaties(ctx, snelstart.Eq("Email", "o'brien@example.nl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != rs[1].ID {
		t.Errorf("got %d relaties, want only %s", len(got), rs[1].ID)
	}
	if q := f.queriesOf("GET /v2/relaties"); len(q) != 1 || q[0] != "$filter=Email%20eq%20%27o%27%27brien%40example.nl%27&$skip=0&$top=500" {
		t.Errorf("query %q", q)
	}

	dup, err := c.ListVerkoopOrders(ctx, snelstart.Eq("Betalingskenmerk", "100234"))
	if err != nil || len(dup) != 1 || dup[0].ID != orders[1].ID {
		t.Errorf("lookup by Betalingskenmerk: %v, %v", dup, err)
	}
	none, err := c.ListVerkoopOrders(ctx, snelstart.Eq("Betalingskenmerk", "999"))
	if err != nil || len(none) != 0 {
		t.Errorf("a missing order was found: %v, %v", none, err)
	}
	inv, err := c.ListVerkoopFacturen(ctx, snelstart.Eq("Relatie/Id", relatieID))
	if err != nil || len(inv) != 0 {
		t.Errorf("another customer's invoice: %v, %v", inv, err)
	}
}
