package customers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// Ids of the default sandbox seed.
const (
	landNL = snelstart.ID("1a000000-0000-4000-8000-000000000001")
	landBE = snelstart.ID("1a000000-0000-4000-8000-000000000002")
)

// A sandbox is the SnelStart sandbox served over loopback HTTP with a
// client for its demo administration.
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

// byCode returns the relatie with the relatiecode.
func (s *sandbox) byCode(t testing.TB, code int) snelstart.Relatie {
	t.Helper()
	for _, r := range s.admin.Relaties() {
		if r.Relatiecode != nil && *r.Relatiecode == code {
			return r
		}
	}
	t.Fatalf("no relatie %d", code)
	return snelstart.Relatie{}
}

func (s *sandbox) byID(t testing.TB, id string) snelstart.Relatie {
	t.Helper()
	for _, r := range s.admin.Relaties() {
		if r.ID.Equal(snelstart.ID(id)) {
			return r
		}
	}
	t.Fatalf("no relatie %s", id)
	return snelstart.Relatie{}
}

func (s *sandbox) posts() int { return s.sb.Calls().Count("POST", snelstart.PathRelaties) }
func (s *sandbox) puts() int  { return s.sb.Calls().Count("PUT", snelstart.PathRelatie) }

// kvStore returns an idempotency store on an embedded NATS server.
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

// newResolver returns a resolver for one profile with the settings, under
// a profile id of its own, so that tests sharing a store do not share keys.
func newResolver(t testing.TB, s *sandbox, store idempotency.Store, cu profile.Customers, tweak func(*customers.Options)) (*customers.Resolver, string) {
	t.Helper()
	id := fmt.Sprintf("p%d", profileSeq.Add(1))
	o := customers.Options{
		Profiles: []profile.Profile{{ID: id, Customers: cu}},
		Clients:  func(string) (*snelstart.Client, error) { return s.client, nil },
		Store:    store,
		Owner:    "test",
		Lease:    time.Second,
	}
	if tweak != nil {
		tweak(&o)
	}
	r, err := customers.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r, id
}

func event(profileID, orderID string, cu *koppelv1.Customer, billing *koppelv1.Address) *koppelv1.OrderEvent {
	return &koppelv1.OrderEvent{Order: &koppelv1.Order{Profile: profileID, ShopOrderId: orderID, Number: "W" + orderID,
		Revision: "r1", Customer: cu, Billing: billing}}
}

// A scenario is an order against the look-alikes of the default seed, with
// what each matching mode makes of it: a relatiecode, "ambiguous" or "new".
type scenario struct {
	customer *koppelv1.Customer
	billing  *koppelv1.Address
	want     map[string]string
	// the new relatie's data, when one is made
	straat, postcode string
	land             snelstart.ID
	btw              string // only an intra-community supply puts the VAT number on the card
}

var scenarios = map[string]scenario{
	"A code present and known, email shared by two": {
		customer: &koppelv1.Customer{ShopCustomerId: "3", Email: "Jan.Jansen@example.nl", FirstName: "Jan", LastName: "Jansen", Phone: "0611111111"},
		billing:  &koppelv1.Address{Street: "Dorpsstraat", HouseNumber: "12", HouseNumberSuffix: "a", Postcode: "1234 ab", City: "Alkmaar", Country: "NL"},
		want:     modes("3", "ambiguous", "3", "ambiguous", "3", "3"),
	},
	"B guest, two customers share the email": {
		customer: &koppelv1.Customer{Guest: true, Email: "jan.jansen@example.nl", FirstName: "Jan", LastName: "Jansen"},
		billing:  &koppelv1.Address{Street: "Dorpsstraat 12a", Postcode: "1234AB", City: "Alkmaar", Country: "NL"},
		want:     modes("new", "ambiguous", "ambiguous", "ambiguous", "ambiguous", "ambiguous"),
		straat:   "Dorpsstraat 12a", postcode: "1234 AB", land: landNL,
	},
	"C a customer with two emails": {
		customer: &koppelv1.Customer{Guest: true, Email: "boekhouding@example.nl", FirstName: "J.", LastName: "Jansen", Phone: "0722222222"},
		billing:  &koppelv1.Address{Street: "Dorpsstraat", HouseNumber: "12", HouseNumberSuffix: "A", Postcode: "1234 AB", City: "Alkmaar", Country: "NL"},
		want:     modes("new", "4", "4", "4", "4", "4"),
		straat:   "Dorpsstraat 12A", postcode: "1234 AB", land: landNL,
	},
	"D same email, different postcode": {
		customer: &koppelv1.Customer{Guest: true, Email: "anna@devries.example", FirstName: "Anna", LastName: "de Vries"},
		billing:  &koppelv1.Address{Street: "Damrak", HouseNumber: "1", Postcode: "1012 LG", City: "Amsterdam", Country: "NL"},
		want:     modes("new", "6", "6", "new", "new", "6"),
		straat:   "Damrak 1", postcode: "1012 LG", land: landNL,
	},
	"E code absent, VAT number known": {
		customer: &koppelv1.Customer{Guest: true, Email: "inkoop@jansen.nl", Company: "Jansen B.V.", FirstName: "Piet", LastName: "Jansen", VatNumber: "NL 0012.34.567.B01"},
		billing:  &koppelv1.Address{Street: "Coolsingel", HouseNumber: "1", Postcode: "3012AA", City: "Rotterdam", Country: "NL"},
		want:     modes("new", "new", "new", "new", "new", "1"),
		straat:   "Coolsingel 1", postcode: "3012 AA", land: landNL,
	},
	"F code present, unknown customer": {
		customer: &koppelv1.Customer{ShopCustomerId: "4242", Email: "new@example.nl", FirstName: "Piet", LastName: "Nieuw", Phone: "+31 6 1234 5678"},
		billing:  &koppelv1.Address{Street: "Stationsplein", HouseNumber: "1", Postcode: "1012 ab", City: "Amsterdam", Country: "nl"},
		want:     modes("new", "new", "new", "new", "new", "new"),
		straat:   "Stationsplein 1", postcode: "1012 AB", land: landNL,
	},
	"G code of somebody else": {
		customer: &koppelv1.Customer{ShopCustomerId: "6", Email: "piet@example.nl", FirstName: "Piet", LastName: "Puk"},
		billing:  &koppelv1.Address{Street: "Markt", HouseNumber: "1", Postcode: "9999 ZZ", City: "Ergens", Country: "NL"},
		want:     modes("6", "new", "6", "new", "6", "new"),
		straat:   "Markt 1", postcode: "9999 ZZ", land: landNL,
	},
	"H name, postcode and house number": {
		customer: &koppelv1.Customer{Guest: true, Email: "other@example.nl", FirstName: "Anna", LastName: "de Vries"},
		billing:  &koppelv1.Address{Street: "Oudegracht", HouseNumber: "45", Postcode: "3511 AB", City: "Utrecht", Country: "NL"},
		want:     modes("new", "new", "new", "new", "new", "6"),
		straat:   "Oudegracht 45", postcode: "3511 AB", land: landNL,
	},
	"I Belgian company, land by landcode": {
		customer: &koppelv1.Customer{ShopCustomerId: "77", Email: "info@dupont.example", Company: "Librairie Dupont SA", FirstName: "Marie", LastName: "Dupont", VatNumber: "BE 0987.654.394"},
		billing:  &koppelv1.Address{Street: "Rue Neuve", HouseNumber: "10", Postcode: "1000", City: "Bruxelles", Country: "BE"},
		want:     modes("new", "new", "new", "new", "new", "new"),
		straat:   "Rue Neuve 10", postcode: "1000", land: landBE, btw: "BE0987654394",
	},
}

func modes(code, email, codeOrEmail, emailAndPostcode, codeOrEmailAndPostcode, smart string) map[string]string {
	return map[string]string{customers.MatchCode: code, customers.MatchEmail: email, customers.MatchCodeOrEmail: codeOrEmail,
		customers.MatchEmailAndPostcode: emailAndPostcode, customers.MatchCodeOrEmailAndPostcode: codeOrEmailAndPostcode, customers.MatchSmart: smart}
}

var (
	allModes       = []string{customers.MatchCode, customers.MatchEmail, customers.MatchCodeOrEmail, customers.MatchEmailAndPostcode, customers.MatchCodeOrEmailAndPostcode, customers.MatchSmart}
	allProcessings = []string{customers.ProcessAdd, customers.ProcessAddAndUpdate, customers.ProcessManual}
)

// TestMatchingTimesProcessing runs every scenario through every matching
// mode under every processing mode, each against a fresh sandbox, and
// delivers each order twice.
func TestMatchingTimesProcessing(t *testing.T) {
	store := kvStore(t)
	for name, sc := range scenarios {
		for _, mode := range allModes {
			for _, proc := range allProcessings {
				t.Run(name+"/"+mode+"/"+proc, func(t *testing.T) {
					checkScenario(t, store, sc, mode, proc)
				})
			}
		}
	}
}

func checkScenario(t *testing.T, store idempotency.Store, sc scenario, mode, proc string) {
	ctx := context.Background()
	s := newSandbox(t, nil)
	r, pid := newResolver(t, s, store, profile.Customers{Match: mode, Processing: proc}, nil)
	before := len(s.admin.Relaties())
	want := sc.want[mode]

	var first *koppelv1.CustomerResolution
	for delivery := 1; delivery <= 2; delivery++ {
		ev := event(pid, "1001", sc.customer, sc.billing)
		err := r.Resolve(ctx, ev)
		switch {
		case want == "ambiguous":
			if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "ambiguous customer") {
				t.Fatalf("delivery %d: err %v, want an ambiguous-customer dead letter", delivery, err)
			}
			if strings.Contains(err.Error(), "@") {
				t.Errorf("the reason holds an email address: %v", err)
			}
		case want == "new" && proc == customers.ProcessManual:
			if !errors.Is(err, pipeline.ErrPermanent) || !strings.Contains(err.Error(), "unknown customer") {
				t.Fatalf("delivery %d: err %v, want an unknown-customer dead letter", delivery, err)
			}
		case err != nil:
			t.Fatalf("delivery %d: %v", delivery, err)
		case delivery == 1:
			first = ev.GetCustomer()
		case ev.GetCustomer().GetRelatieId() != first.GetRelatieId():
			t.Fatalf("redelivery resolved %s, first delivery %s", ev.GetCustomer().GetRelatieId(), first.GetRelatieId())
		}
	}
	created := len(s.admin.Relaties()) - before
	switch {
	case want == "ambiguous" || want == "new" && proc == customers.ProcessManual:
		if created != 0 || s.posts() != 0 || s.puts() != 0 {
			t.Errorf("wrote to SnelStart: %d relaties made, %d POST, %d PUT", created, s.posts(), s.puts())
		}
	case want == "new":
		if created != 1 || s.posts() != 1 {
			t.Fatalf("%d relaties made with %d POSTs, want 1", created, s.posts())
		}
		if !first.GetCreated() || first.GetMatchedBy() != customers.ByCreated {
			t.Errorf("resolution %v, want created", first)
		}
		checkNew(t, s.byID(t, first.GetRelatieId()), sc, mode)
	default:
		code, _ := strconv.Atoi(want)
		seeded := s.byCode(t, code)
		if !seeded.ID.Equal(snelstart.ID(first.GetRelatieId())) || first.GetRelatiecode() != int64(code) || first.GetCreated() {
			t.Fatalf("resolution %v, want relatie %d (%s)", first, code, seeded.ID)
		}
		if created != 0 || s.posts() != 0 {
			t.Errorf("%d relaties made, want none", created)
		}
		if first.GetMatchedBy() == "" || first.GetMatchKey() == "" {
			t.Errorf("resolution %v lacks matched_by or match_key", first)
		}
		checkUpdate(t, s, seeded, first, sc, proc)
	}
}

// checkNew checks a relatie koppel created: a klant with the order's data,
// the land found by landcode, and the shop's customer number as its
// relatiecode where the mode matches by code and the number is free.
func checkNew(t *testing.T, got snelstart.Relatie, sc scenario, mode string) {
	t.Helper()
	if !slices.Equal(got.Relatiesoort, []snelstart.Relatiesoort{snelstart.RelatiesoortKlant}) {
		t.Errorf("relatiesoort %v", got.Relatiesoort)
	}
	ad := got.VestigingsAdres
	if ad == nil || ad.Straat != sc.straat || ad.Postcode != sc.postcode || ad.Plaats != sc.billing.City || ad.Land == nil || !ad.Land.ID.Equal(sc.land) {
		t.Errorf("vestigingsAdres %+v, want %s, %s, %s, land %s", ad, sc.straat, sc.postcode, sc.billing.City, sc.land)
	}
	if got.Email != strings.ToLower(sc.customer.Email) || got.Telefoon != sc.customer.Phone {
		t.Errorf("email %q telefoon %q", got.Email, got.Telefoon)
	}
	if got.BtwNummer != sc.btw {
		t.Errorf("btwNummer %q, want %q", got.BtwNummer, sc.btw)
	}
	naam := sc.customer.Company
	if naam == "" {
		naam = sc.customer.FirstName + " " + sc.customer.LastName
	}
	if got.Naam != naam {
		t.Errorf("naam %q, want %q", got.Naam, naam)
	}
	if sc.customer.Company != "" && (ad == nil || ad.Contactpersoon != sc.customer.FirstName+" "+sc.customer.LastName) {
		t.Errorf("contactpersoon of a company: %+v", ad)
	}
	shopCode, _ := strconv.Atoi(sc.customer.ShopCustomerId)
	byCode := mode != customers.MatchEmail && mode != customers.MatchEmailAndPostcode
	switch {
	case got.Relatiecode == nil:
		t.Error("no relatiecode")
	case byCode && shopCode != 0 && shopCode != 6 && *got.Relatiecode != shopCode:
		t.Errorf("relatiecode %d, want the shop's customer number %d", *got.Relatiecode, shopCode)
	case (!byCode || shopCode == 6) && *got.Relatiecode == shopCode:
		t.Errorf("relatiecode %d is the shop's customer number, which this mode does not use or is taken", *got.Relatiecode)
	}
	if !strings.Contains(got.Memo, "koppel") {
		t.Errorf("memo %q does not say koppel made it", got.Memo)
	}
}

// checkUpdate checks that add_and_update brings a matched relatie in line
// with the shop (keeping its other email addresses), and that the other
// processing modes leave it alone.
func checkUpdate(t *testing.T, s *sandbox, seeded snelstart.Relatie, res *koppelv1.CustomerResolution, sc scenario, proc string) {
	t.Helper()
	now := s.byID(t, string(seeded.ID))
	if proc != customers.ProcessAddAndUpdate {
		if s.puts() != 0 || res.GetUpdated() || now.Email != seeded.Email || now.Naam != seeded.Naam {
			t.Errorf("%s changed the relatie: %d PUT, updated %v", proc, s.puts(), res.GetUpdated())
		}
		return
	}
	if !res.GetUpdated() || s.puts() != 1 {
		t.Errorf("add_and_update: updated %v with %d PUTs, want 1 (the redelivery must not PUT again)", res.GetUpdated(), s.puts())
	}
	for _, e := range customers.EmailList(seeded.Email) {
		if e != customers.NormalizeEmail(sc.customer.Email) && !slices.Contains(customers.EmailList(now.Email), e) && len(customers.EmailList(seeded.Email)) > 1 {
			t.Errorf("update dropped the relatie's other address: %q", now.Email)
		}
	}
	if !slices.Contains(customers.EmailList(now.Email), customers.NormalizeEmail(sc.customer.Email)) {
		t.Errorf("email %q lacks the shop's", now.Email)
	}
	if sc.customer.Phone != "" && now.Telefoon != sc.customer.Phone {
		t.Errorf("telefoon %q, want %q", now.Telefoon, sc.customer.Phone)
	}
	if now.VestigingsAdres == nil || customers.NormalizePostcode(now.VestigingsAdres.Postcode) != customers.NormalizePostcode(sc.billing.Postcode) {
		t.Errorf("vestigingsAdres %+v not updated", now.VestigingsAdres)
	}
	if now.Krediettermijn == nil && seeded.Krediettermijn != nil || now.BtwNummer != seeded.BtwNummer || now.Memo != seeded.Memo {
		t.Error("the update wiped fields koppel does not manage")
	}
}

// TestStatusNotImportedIsSkipped: an order in a shop status the profile
// does not import makes no relatie and calls SnelStart not at all.
func TestStatusNotImportedIsSkipped(t *testing.T) {
	s := newSandbox(t, nil)
	r, id := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd},
		func(o *customers.Options) { o.Profiles[0].Orders.ImportStatuses = []string{"processing", "completed"} })
	before := s.sb.Calls().Total()
	ev := event(id, "77", &koppelv1.Customer{Email: "nieuw@example.nl", FirstName: "Nina", LastName: "Nieuw"},
		&koppelv1.Address{Street: "Laan", HouseNumber: "1", Postcode: "1000 AA", City: "Amsterdam", Country: "NL"})
	ev.Order.Status = "on-hold"
	err := r.Resolve(context.Background(), ev)
	if !errors.Is(err, orderstage.ErrSkip) || !strings.Contains(err.Error(), `"on-hold" is not imported`) {
		t.Fatalf("Resolve = %v, want a skip naming the status", err)
	}
	if n := s.sb.Calls().Total() - before; n != 0 || ev.GetCustomer() != nil {
		t.Errorf("%d SnelStart calls and customer %v for a skipped order", n, ev.GetCustomer())
	}
	ev.Order.Status = "processing"
	if err := r.Resolve(context.Background(), ev); err != nil || ev.GetCustomer().GetRelatieId() == "" {
		t.Errorf("imported status: %v, %v", err, ev.GetCustomer())
	}
}

// TestImportStatusesWithoutCase: the stage asks the profile's rule
// (profile.Orders.Imports), the one the booker asks, so
// import_statuses: [Processing] imports a "processing" order instead of
// skipping every order.
func TestImportStatusesWithoutCase(t *testing.T) {
	s := newSandbox(t, nil)
	r, id := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd},
		func(o *customers.Options) { o.Profiles[0].Orders.ImportStatuses = []string{"Processing"} })
	ev := event(id, "78", &koppelv1.Customer{Email: "hoofd@example.nl", FirstName: "Hanna", LastName: "Hoofd"},
		&koppelv1.Address{Street: "Laan", HouseNumber: "2", Postcode: "1000 AA", City: "Amsterdam", Country: "NL"})
	ev.Order.Status = "wc-pending"
	if err := r.Resolve(context.Background(), ev); !errors.Is(err, orderstage.ErrSkip) {
		t.Fatalf("pending: Resolve = %v, want a skip", err)
	}
	for _, st := range []string{"processing", "wc-processing"} {
		ev.Order.Status = st
		if err := r.Resolve(context.Background(), ev); err != nil || ev.GetCustomer().GetRelatieId() == "" {
			t.Errorf("%s: Resolve = %v, customer %v; want a relatie", st, err, ev.GetCustomer())
		}
	}
}
