package customers_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func newCustomer() (*koppelv1.Customer, *koppelv1.Address) {
	return &koppelv1.Customer{ShopCustomerId: "4242", Email: "new@example.nl", FirstName: "Piet", LastName: "Nieuw", Phone: "0201111111"},
		&koppelv1.Address{Street: "Stationsplein", HouseNumber: "1", Postcode: "1012 AB", City: "Amsterdam", Country: "NL"}
}

func TestFixedCustomer(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessManual, FixedCustomerCode: 1}, nil)
	cu, ad := newCustomer()
	for i := range 3 {
		ev := event(pid, "10"+string(rune('0'+i)), cu, ad)
		if err := r.Resolve(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if ev.Customer.GetRelatiecode() != 1 || ev.Customer.GetMatchedBy() != customers.ByFixed {
			t.Fatalf("resolution %v, want relatie 1, fixed", ev.Customer)
		}
	}
	if n := s.sb.Calls().Count("GET", snelstart.PathRelaties); n != 1 {
		t.Errorf("%d lookups for three orders, want 1 (cached)", n)
	}
	if s.posts() != 0 {
		t.Error("manual processing wrote")
	}

	r, pid = newResolver(t, s, store, profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessManual, FixedCustomerCode: 9}, nil)
	err := r.Resolve(ctx, event(pid, "2001", cu, ad))
	if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "fixed_customer_code 9") {
		t.Errorf("fixed code of a leverancier: %v, want a dead letter naming the setting", err)
	}
}

func TestFieldLengthsAndCountries(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchEmail, Processing: customers.ProcessAdd}, nil)
	long := strings.Repeat("Groothandel ", 6)
	cu := &koppelv1.Customer{Guest: true, Email: "lang@example.nl", Company: long, FirstName: strings.Repeat("Jan", 20), LastName: "X",
		Phone: "+31 (0)20 123 456 789 ext. 12"}
	ad := &koppelv1.Address{Street: strings.Repeat("Heel lange straatnaam ", 4), HouseNumber: "1234", HouseNumberSuffix: "bis",
		Postcode: "1234AB", City: strings.Repeat("Plaats", 10), Country: "NL"}
	ev := event(pid, "3001", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	got := s.byID(t, ev.Customer.GetRelatieId())
	if n := len([]rune(got.Naam)); n > 50 || !strings.HasPrefix(long, got.Naam) {
		t.Errorf("naam %q (%d)", got.Naam, n)
	}
	a := got.VestigingsAdres
	if len([]rune(a.Straat)) > 50 || !strings.HasSuffix(a.Straat, " 1234 bis") || len([]rune(a.Plaats)) > 50 || len([]rune(a.Contactpersoon)) > 50 {
		t.Errorf("address %+v", a)
	}
	if got.Telefoon != "" {
		t.Errorf("telefoon %q: a phone longer than 25 must be left out, not cut", got.Telefoon)
	}

	ad2 := &koppelv1.Address{Street: "Main Street", HouseNumber: "1", Postcode: "12345", City: "Nowhere", Country: "ZZ"}
	err := r.Resolve(ctx, event(pid, "3002", &koppelv1.Customer{Guest: true, Email: "zz@example.nl", FirstName: "Z"}, ad2))
	if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), `"ZZ"`) {
		t.Errorf("unknown country: %v, want a dead letter naming it", err)
	}

	// A guest without an address: a relatie without vestigingsAdres.
	ev = event(pid, "3003", &koppelv1.Customer{Guest: true, Email: "kaal@example.nl", LastName: "Kaal"}, nil)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := s.byID(t, ev.Customer.GetRelatieId()); got.VestigingsAdres != nil || got.Naam != "Kaal" {
		t.Errorf("relatie %+v", got)
	}
}

// TestStaleCache: a cached relatie that was deactivated in SnelStart is
// trusted until VerifyAfter, then read again, dropped and re-resolved.
func TestStaleCache(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd},
		func(o *customers.Options) { o.Now = clock; o.VerifyAfter = time.Hour })
	cu := &koppelv1.Customer{Guest: true, Email: "anna@devries.example", FirstName: "Anna", LastName: "de Vries"}
	ad := &koppelv1.Address{Street: "Oudegracht", HouseNumber: "45", Postcode: "3511 AB", City: "Utrecht", Country: "NL"}
	ev := event(pid, "4001", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil || ev.Customer.GetRelatiecode() != 6 {
		t.Fatalf("%v %v", ev.Customer, err)
	}
	anna, err := s.client.GetRelatie(ctx, snelstart.ID(ev.Customer.GetRelatieId()))
	if err != nil {
		t.Fatal(err)
	}
	anna.Nonactief = snelstart.Ptr(true)
	if _, err := s.client.UpdateRelatie(ctx, anna); err != nil {
		t.Fatal(err)
	}
	s.sb.ResetCalls()
	ev = event(pid, "4002", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil || ev.Customer.GetRelatiecode() != 6 || s.sb.Calls().Total() != 0 {
		t.Fatalf("within VerifyAfter: %v %v, %d calls; want the cached relatie and no call", ev.Customer, err, s.sb.Calls().Total())
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	ev = event(pid, "4003", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if ev.Customer.GetRelatiecode() == 6 || !ev.Customer.GetCreated() {
		t.Fatalf("after VerifyAfter: %v, want a new relatie in place of the deactivated one", ev.Customer)
	}
	if s.sb.Calls().Count("GET", snelstart.PathRelatie) != 1 {
		t.Errorf("calls %v, want one GET of the cached relatie", s.sb.Calls().ByOperation())
	}
}

// TestUpdateOnlyWhenShopDataChanges: with add_and_update, a returning
// customer whose shop data did not change costs no call; a change is
// written once.
func TestUpdateOnlyWhenShopDataChanges(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchCode, Processing: customers.ProcessAddAndUpdate}, nil)
	cu := &koppelv1.Customer{ShopCustomerId: "6", Email: "anna@devries.example", FirstName: "Anna", LastName: "de Vries"}
	ad := &koppelv1.Address{Street: "Oudegracht", HouseNumber: "45", Postcode: "3511 AB", City: "Utrecht", Country: "NL"}
	ev := event(pid, "5001", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil || ev.Customer.GetUpdated() {
		t.Fatalf("%v %v: nothing to update", ev.Customer, err)
	}
	s.sb.ResetCalls()
	if err := r.Resolve(ctx, event(pid, "5002", cu, ad)); err != nil || s.sb.Calls().Total() != 0 {
		t.Fatalf("same data: %v, %v calls", err, s.sb.Calls().ByOperation())
	}
	cu.Phone = "0309999999"
	ev = event(pid, "5003", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil || !ev.Customer.GetUpdated() {
		t.Fatalf("changed phone: %v %v, want updated", ev.Customer, err)
	}
	if got := s.byCode(t, 6); got.Telefoon != "0309999999" {
		t.Errorf("telefoon %q", got.Telefoon)
	}
	s.sb.ResetCalls()
	if err := r.Resolve(ctx, event(pid, "5004", cu, ad)); err != nil || s.sb.Calls().Total() != 0 {
		t.Fatalf("after the update: %v, %v calls", err, s.sb.Calls().ByOperation())
	}
}

// TestLostResponse: the POST creates the relatie but its answer is lost;
// koppel looks it up instead of posting again.
func TestLostResponse(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	var logs bytes.Buffer
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd},
		func(o *customers.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
	if _, err := s.sb.AddFault(snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathRelaties, Count: 1}); err != nil {
		t.Fatal(err)
	}
	cu, ad := newCustomer()
	ev := event(pid, "6001", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if !ev.Customer.GetCreated() || s.posts() != 1 {
		t.Fatalf("%v after %d POSTs", ev.Customer, s.posts())
	}
	for _, secret := range []string{"new@example.nl", "Piet", "Nieuw", "Stationsplein", "1012"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs hold customer data %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), ev.Customer.GetRelatieId()) {
		t.Errorf("logs lack the relatie id:\n%s", logs.String())
	}
}

// TestUnknownOutcomeNotFound: the POST fails with a 503 that SnelStart
// did not act on. koppel keeps its claim, so the next attempts wait for the
// lease, look again, and only then post again: one relatie in the end.
func TestUnknownOutcomeNotFound(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchEmail, Processing: customers.ProcessAdd},
		func(o *customers.Options) {
			o.Lease, o.LockTTL, o.LockWait = 300*time.Millisecond, 300*time.Millisecond, 50*time.Millisecond
		})
	if _, err := s.sb.AddFault(snelstartsandbox.Fault{Kind: snelstartsandbox.FaultError, Status: 503, Method: "POST", Path: snelstart.PathRelaties, Count: 1}); err != nil {
		t.Fatal(err)
	}
	cu, ad := newCustomer()
	before := len(s.admin.Relaties())
	err := r.Resolve(ctx, event(pid, "7001", cu, ad))
	if err == nil || errors.Is(err, pipeline.ErrPermanent) || !errors.Is(err, snelstart.ErrOutcomeUnknown) {
		t.Fatalf("first attempt: %v, want a transient unknown outcome", err)
	}
	err = r.Resolve(ctx, event(pid, "7001", cu, ad))
	if err == nil || errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "another worker") {
		t.Fatalf("second attempt within the lease: %v, want busy (the locks are kept until they expire)", err)
	}
	time.Sleep(350 * time.Millisecond)
	ev := event(pid, "7001", cu, ad)
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if made := len(s.admin.Relaties()) - before; s.posts() != 2 || made != 1 {
		t.Errorf("%d POSTs, %d relaties made; want 2 POSTs (one refused) and one relatie", s.posts(), made)
	}
}

// TestOneNewCustomerManyWorkers: ten orders of one new customer resolved
// at once make one relatie; a guest order of the same customer, which has
// other keys, shares the email lock and finds it.
func TestOneNewCustomerManyWorkers(t *testing.T) {
	s := newSandbox(t, nil)
	store := kvStore(t)
	ctx := context.Background()
	r, pid := newResolver(t, s, store, profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd}, nil)
	cu, ad := newCustomer()
	guest := &koppelv1.Customer{Guest: true, Email: cu.Email, FirstName: cu.FirstName, LastName: cu.LastName}
	var wg sync.WaitGroup
	ids := make([]string, 12)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cu
			if i%4 == 3 {
				c = guest
			}
			for {
				ev := event(pid, "80"+string(rune('a'+i)), c, ad)
				err := r.Resolve(ctx, ev)
				if err == nil {
					ids[i] = ev.Customer.GetRelatieId()
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
			t.Fatalf("resolved to different relaties: %v", ids)
		}
	}
	if s.posts() != 1 {
		t.Errorf("%d POSTs, want 1", s.posts())
	}
}
