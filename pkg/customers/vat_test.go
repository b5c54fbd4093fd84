package customers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/customers"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vatnumber"
	"github.com/koppel/koppel/pkg/viessandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// VAT numbers of the tests: DE811569869 and NL853746333B01 are registered
// (VIES confirmed the German one in public recordings); DE811569868 has a
// wrong check digit.
const (
	vatDE        = "DE811569869"
	vatDEBadSum  = "DE811569868"
	wooFixture   = "rest_v3_order_12346_nl_eur_21_9_split_shipping_derived.json"
	landDEcode   = "DE"
	customerCode = 1042
)

// wooEvent returns the WooCommerce order of wooFixture (a 21 % and a 9 %
// item, shipping and a fee taxed at both rates), as its webhook delivers
// it, placed on 1 June 2026 as order id for the profile pid, changed by
// edits, and normalized by the WooCommerce adapter.
func wooEvent(t *testing.T, pid, id string, edits ...func(map[string]any)) *koppelv1.OrderEvent {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "webshop", "testdata", wooFixture))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["id"], m["number"] = json.Number(id), id
	m["date_created"], m["date_created_gmt"] = "2026-06-01T12:00:00", "2026-06-01T10:00:00"
	for _, edit := range edits {
		edit(m)
	}
	if body, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	a, err := webshop.New(webshop.WooCommerce, webshop.Config{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.Normalize(pid, body)
	if err != nil {
		t.Fatal(err)
	}
	return &koppelv1.OrderEvent{Order: o}
}

// germanCompany moves the order's customer to a company in Berlin with
// shop customer number 1042.
func germanCompany(m map[string]any) {
	for _, k := range []string{"billing", "shipping"} {
		ad := m[k].(map[string]any)
		ad["company"], ad["address_1"], ad["postcode"], ad["city"], ad["country"] = "Kaffeerösterei Schmidt GmbH", "Friedrichstraße 100", "10117", "Berlin", "DE"
	}
	m["billing"].(map[string]any)["email"] = "einkauf@schmidt.example"
	m["customer_id"] = json.Number("1042")
}

// withVAT puts number in the order meta under _billing_vat_number, where
// the common EU VAT plugins keep it.
func withVAT(number string) func(map[string]any) {
	return func(m map[string]any) {
		m["meta_data"] = append(m["meta_data"].([]any), map[string]any{"id": json.Number("470001"), "key": "_billing_vat_number", "value": number})
	}
}

// untaxed removes every tax from the order, as WooCommerce sends an order
// of a customer exempt from VAT: no tax lines, every tax amount 0.00, the
// total the sum of the nets.
func untaxed(m map[string]any) {
	m["tax_lines"] = []any{}
	for _, k := range []string{"cart_tax", "shipping_tax", "total_tax", "discount_tax"} {
		m[k] = "0.00"
	}
	for _, k := range []string{"line_items", "shipping_lines", "fee_lines"} {
		for _, x := range m[k].([]any) {
			l := x.(map[string]any)
			l["total_tax"], l["taxes"] = "0.00", []any{}
			if _, ok := l["subtotal_tax"]; ok {
				l["subtotal_tax"] = "0.00"
			}
		}
	}
	m["total"] = "57.45" // 30.00 + 20.00 + 4.95 + 2.50
	m["meta_data"] = append(m["meta_data"].([]any), map[string]any{"id": json.Number("470002"), "key": "is_vat_exempt", "value": "yes"})
}

// toCountry moves the order's addresses to a country outside the EU.
func toCountry(country, postcode, city string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range []string{"billing", "shipping"} {
			ad := m[k].(map[string]any)
			ad["address_1"], ad["postcode"], ad["city"], ad["country"] = "1 Main Street", postcode, city, country
		}
	}
}

// seedGerman creates the German company in SnelStart as relatie 1042, with
// the order's email and address, and btwNummer btw.
func seedGerman(t *testing.T, s *sandbox, btw string) snelstart.Relatie {
	t.Helper()
	landDE := landID(t, s, landDEcode)
	rel, err := s.client.CreateRelatie(context.Background(), &snelstart.Relatie{Relatiesoort: []snelstart.Relatiesoort{snelstart.RelatiesoortKlant},
		Relatiecode: snelstart.Ptr(customerCode), Naam: "Kaffeerösterei Schmidt GmbH", Email: "einkauf@schmidt.example", BtwNummer: btw,
		VestigingsAdres: &snelstart.Adres{Contactpersoon: "theo vdb", Straat: "Friedrichstraße 100", Postcode: "10117", Plaats: "Berlin", Land: snelstart.RefTo(landDE)}})
	if err != nil {
		t.Fatal(err)
	}
	return *rel
}

func landID(t *testing.T, s *sandbox, code string) snelstart.ID {
	t.Helper()
	landen, err := s.client.ListLanden(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range landen {
		if l.Landcode == code {
			return l.ID
		}
	}
	t.Fatalf("no land %s", code)
	return ""
}

func wantDeadLetter(t *testing.T, err error, texts ...string) {
	t.Helper()
	if !errors.Is(err, pipeline.ErrPermanent) {
		t.Fatalf("err %v, want a dead letter", err)
	}
	for _, text := range texts {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("dead letter %q lacks %q", err, text)
		}
	}
}

// TestRegimeOfNewCustomers: the regime of orders of customers SnelStart
// does not know yet, and whether the new relatie carries the VAT number:
// only an intra-community supply's does.
func TestRegimeOfNewCustomers(t *testing.T) {
	tests := map[string]struct {
		edits  []func(map[string]any)
		regime string
		btw    string // on the new relatie
		land   string
	}{
		"German company with a valid VAT number at 0 %": {edits: []func(map[string]any){germanCompany, withVAT("DE 811 569 869"), untaxed},
			regime: "icp", btw: vatDE, land: "DE"},
		"Dutch consumer at 21 % and 9 %":                   {regime: "domestic", land: "NL"},
		"EU business that paid Dutch VAT":                  {edits: []func(map[string]any){germanCompany, withVAT(vatDE)}, regime: "domestic", land: "DE"},
		"export to the US at 0 %":                          {edits: []func(map[string]any){toCountry("US", "10001", "New York"), untaxed}, regime: "export", land: "US"},
		"Dutch business with a VAT number at 21 % and 9 %": {edits: []func(map[string]any){withVAT("NL853746333B01")}, regime: "domestic", land: "NL"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, nil)
			ctx := context.Background()
			r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd}, nil)
			ev := wooEvent(t, pid, "9101", tt.edits...)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatal(err)
			}
			res := ev.GetCustomer()
			if !res.GetCreated() || res.GetRegime() != tt.regime || res.GetBtwNummer() != tt.btw || res.GetLand() != tt.land {
				t.Fatalf("resolution %v, want created, regime %s, btw_nummer %q, land %s", res, tt.regime, tt.btw, tt.land)
			}
			if got := s.byID(t, res.GetRelatieId()); got.BtwNummer != tt.btw {
				t.Errorf("the new relatie has btwNummer %q, want %q", got.BtwNummer, tt.btw)
			}

			// The customer's next order comes from the cache, card and all,
			// without a SnelStart call.
			s.sb.ResetCalls()
			ev = wooEvent(t, pid, "9102", tt.edits...)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if got := ev.GetCustomer(); got.GetRelatieId() != res.GetRelatieId() || got.GetRegime() != tt.regime || got.GetBtwNummer() != tt.btw || got.GetLand() != tt.land {
				t.Errorf("second order: %v, want the first's relatie and card", got)
			}
			if n := s.sb.Calls().Total(); n != 0 {
				t.Errorf("second order of a known customer: calls %v, want none", s.sb.Calls().ByOperation())
			}
		})
	}
}

// TestRegimeDeadLetters: an order that fits no VAT regime is a dead letter
// with the reason, before any relatie is written.
func TestRegimeDeadLetters(t *testing.T) {
	tests := map[string]struct {
		edits []func(map[string]any)
		texts []string
	}{
		"ICP-looking order without VAT number": {edits: []func(map[string]any){germanCompany, untaxed},
			texts: []string{"customers: order 9201: VAT regime:", "goes to DE without VAT", "gave no VAT number", "BOE-0080"}},
		"VAT number with a wrong check digit": {edits: []func(map[string]any){germanCompany, withVAT(vatDEBadSum), untaxed},
			texts: []string{"customers: order 9201: VAT regime:", vatDEBadSum + ": check digit does not match", "correct it in the shop"}},
		"export charged VAT": {edits: []func(map[string]any){toCountry("US", "10001", "New York")},
			texts: []string{"goes to US, outside the EU, but the shop charged VAT"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, nil)
			before := len(s.admin.Relaties())
			r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd}, nil)
			err := r.Resolve(context.Background(), wooEvent(t, pid, "9201", tt.edits...))
			wantDeadLetter(t, err, tt.texts...)
			if s.posts() != 0 || s.puts() != 0 || len(s.admin.Relaties()) != before {
				t.Errorf("wrote to SnelStart: %d POST, %d PUT", s.posts(), s.puts())
			}
			if n := s.sb.Calls().Count("GET", snelstart.PathRelaties); n != 0 {
				t.Errorf("%d relatie lookups; the regime is decided before any", n)
			}
		})
	}
}

// TestICPKnownCustomerWithoutNumber: the German company is in SnelStart
// without a btwNummer. add_and_update writes the order's number on the
// card, once; add dead-letters the order naming the card and the number,
// and books it after the bookkeeper has added the number.
func TestICPKnownCustomerWithoutNumber(t *testing.T) {
	ctx := context.Background()
	icp := []func(map[string]any){germanCompany, withVAT(vatDE), untaxed}

	t.Run("add_and_update", func(t *testing.T) {
		s := newSandbox(t, nil)
		seeded := seedGerman(t, s, "")
		r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAddAndUpdate}, nil)
		s.sb.ResetCalls()
		for delivery := 1; delivery <= 2; delivery++ {
			ev := wooEvent(t, pid, "9301", icp...)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatalf("delivery %d: %v", delivery, err)
			}
			res := ev.GetCustomer()
			if res.GetRelatiecode() != customerCode || !snelstart.ID(res.GetRelatieId()).Equal(seeded.ID) ||
				delivery == 1 && !res.GetUpdated() || res.GetRegime() != "icp" || res.GetBtwNummer() != vatDE || res.GetLand() != "DE" {
				t.Fatalf("delivery %d: resolution %v, want relatie %d updated with %s, regime icp, land DE", delivery, res, customerCode, vatDE)
			}
		}
		if got := s.byCode(t, customerCode); got.BtwNummer != vatDE || got.Email != seeded.Email {
			t.Errorf("card after the update: btwNummer %q, email %q", got.BtwNummer, got.Email)
		}
		if s.puts() != 1 || s.posts() != 0 {
			t.Errorf("%d PUT, %d POST; want the number written once", s.puts(), s.posts())
		}
	})

	for _, proc := range []string{customers.ProcessAdd, customers.ProcessManual} {
		t.Run(proc, func(t *testing.T) {
			s := newSandbox(t, nil)
			seeded := seedGerman(t, s, "")
			r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: proc}, nil)
			s.sb.ResetCalls()
			err := r.Resolve(ctx, wooEvent(t, pid, "9302", icp...))
			wantDeadLetter(t, err, "customers: order 9302: the relatie card 1042 has no btw-nummer; SnelStart books ICP only with one: add DE811569869 to the card or set customers.processing: add_and_update, then replay")
			if s.puts() != 0 || s.posts() != 0 {
				t.Errorf("%s wrote: %d PUT, %d POST", proc, s.puts(), s.posts())
			}

			// The bookkeeper adds the number; the replay finds the card
			// corrected, though the match was cached.
			seeded.BtwNummer = vatDE
			if _, err := s.client.UpdateRelatie(ctx, &seeded); err != nil {
				t.Fatal(err)
			}
			ev := wooEvent(t, pid, "9302", icp...)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatalf("replay after the fix: %v", err)
			}
			if res := ev.GetCustomer(); res.GetRelatiecode() != customerCode || res.GetBtwNummer() != vatDE || res.GetLand() != "DE" || res.GetRegime() != "icp" {
				t.Errorf("replay: %v", res)
			}
		})
	}
}

// TestCardWithNumberForDomesticOrder: a card that has a btwNummer is left
// as it is for an order that is not ICP, under add_and_update too; the
// resolution shows the card, so the booker holds the order with its reason.
func TestCardWithNumberForDomesticOrder(t *testing.T) {
	s := newSandbox(t, nil)
	ctx := context.Background()
	seedGerman(t, s, vatDE)
	r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAddAndUpdate}, nil)
	ev := wooEvent(t, pid, "9401", germanCompany, withVAT(vatDE))
	if err := r.Resolve(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if res := ev.GetCustomer(); res.GetRelatiecode() != customerCode || res.GetRegime() != "domestic" || res.GetBtwNummer() != vatDE || res.GetLand() != "DE" {
		t.Errorf("resolution %v, want relatie 1042, domestic, the card's btw_nummer and land", res)
	}
	if got := s.byCode(t, customerCode); got.BtwNummer != vatDE {
		t.Errorf("btwNummer %q: koppel removed it", got.BtwNummer)
	}
}

// newVIES serves a VIES sandbox in which the German number is registered.
func newVIES(t *testing.T) (*viessandbox.Sandbox, string) {
	t.Helper()
	sb := viessandbox.New()
	sb.Register(vatDE, viessandbox.Trader{Name: "Kaffeerösterei Schmidt GmbH", Address: "FRIEDRICHSTRASSE 100\n10117 BERLIN"})
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	return sb, srv.URL
}

// TestVIES: with customers.vies_check, an ICP order's number is checked
// with VIES before the relatie is written: valid books (and is not asked
// again that day), invalid is a dead letter naming the number, an outage
// makes the order wait.
func TestVIES(t *testing.T) {
	ctx := context.Background()
	icp := []func(map[string]any){germanCompany, withVAT(vatDE), untaxed}
	cu := profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd, VIESCheck: true}

	t.Run("valid", func(t *testing.T) {
		s := newSandbox(t, nil)
		vies, url := newVIES(t)
		var logs bytes.Buffer
		r, pid := newResolver(t, s, kvStore(t), cu, func(o *customers.Options) {
			o.VIESURL = url
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		for _, id := range []string{"9501", "9502"} {
			ev := wooEvent(t, pid, id, icp...)
			if err := r.Resolve(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if res := ev.GetCustomer(); res.GetRegime() != "icp" || res.GetBtwNummer() != vatDE {
				t.Fatalf("order %s: %v", id, res)
			}
		}
		if reqs := vies.Requests(); len(reqs) != 1 || reqs[0].CountryCode != "DE" || reqs[0].VATNumber != "811569869" {
			t.Errorf("VIES requests %+v, want one check of the number (the second order uses the day's answer)", reqs)
		}
		if !strings.Contains(logs.String(), "VAT number valid in VIES") || !strings.Contains(logs.String(), `"vies_request"`) {
			t.Errorf("the VIES answer is not in the log:\n%s", logs.String())
		}
		for _, secret := range []string{"Schmidt", "FRIEDRICH", "einkauf@", vatDE, "811569869"} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("logs hold customer data %q:\n%s", secret, logs.String())
			}
		}
	})

	t.Run("invalid", func(t *testing.T) {
		s := newSandbox(t, nil)
		vies, url := newVIES(t)
		vies.Deregister(vatDE)
		r, pid := newResolver(t, s, kvStore(t), cu, func(o *customers.Options) { o.VIESURL = url })
		err := r.Resolve(ctx, wooEvent(t, pid, "9503", icp...))
		wantDeadLetter(t, err, "customers: order 9503: VIES reports VAT number DE811569869 as not valid", "correct the number in the shop")
		if s.posts() != 0 {
			t.Errorf("%d POSTs for an invalid number", s.posts())
		}
	})

	t.Run("MS_UNAVAILABLE waits", func(t *testing.T) {
		s := newSandbox(t, nil)
		vies, url := newVIES(t)
		vies.AddFault(viessandbox.Fault{Country: "DE", Code: "MS_UNAVAILABLE"})
		r, pid := newResolver(t, s, kvStore(t), cu, func(o *customers.Options) { o.VIESURL = url })
		err := r.Resolve(ctx, wooEvent(t, pid, "9504", icp...))
		if err == nil || errors.Is(err, pipeline.ErrPermanent) || !errors.Is(err, vatnumber.ErrUnavailable) || !strings.Contains(err.Error(), "MS_UNAVAILABLE") {
			t.Fatalf("err %v, want a wait for VIES", err)
		}
		if strings.Contains(err.Error(), "811569869") {
			t.Errorf("the wait's reason, which the stage logs, holds the VAT number: %v", err)
		}
		if s.posts() != 0 {
			t.Errorf("%d POSTs while VIES is down", s.posts())
		}
	})
}

// TestVIESOutageWaitsInTheStage: through the stage, an order whose number
// VIES cannot check keeps waiting far beyond MaxDeliver without being
// dead-lettered, and is forwarded once VIES answers.
func TestVIESOutageWaitsInTheStage(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Run(t)
	if err := pipeline.EnsureStreams(ctx, ns.JS, pipeline.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, nil)
	vies, url := newVIES(t)
	vies.AddFault(viessandbox.Fault{Country: "DE", Code: "MS_UNAVAILABLE"})
	r, pid := newResolver(t, s, kvStore(t), profile.Customers{Match: customers.MatchSmart, Processing: customers.ProcessAdd, VIESCheck: true},
		func(o *customers.Options) { o.VIESURL, o.VIESWait = url, 20*time.Millisecond })
	stage := r.Stage(pipeline.Stage{MaxDeliver: 2, AckWait: 2 * time.Second, Backoff: pipeline.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- stage.Run(runCtx, ns.JS) }()
	t.Cleanup(func() { cancel(); <-done })

	data, err := proto.Marshal(wooEvent(t, pid, "9601", germanCompany, withVAT(vatDE), untaxed))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ns.JS.Publish(ctx, pipeline.OrderSubject(pipeline.StepReceived, pid), data); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(vies.Requests()) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(vies.Requests()); n < 6 {
		t.Fatalf("%d VIES checks; the order does not keep waiting", n)
	}
	dls, err := pipeline.ListDeadLetters(ctx, ns.JS, pipeline.DeadLetterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 0 {
		t.Fatalf("dead-lettered while VIES was down: %+v", dls)
	}

	vies.ClearFaults()
	cons, err := ns.JS.OrderedConsumer(ctx, pipeline.StreamOrders, jetstream.OrderedConsumerConfig{FilterSubjects: []string{pipeline.OrderSubject(pipeline.StepCustomer, pid)}})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatalf("not forwarded after VIES came back: %v", err)
	}
	var out koppelv1.OrderEvent
	if err := proto.Unmarshal(msg.Data(), &out); err != nil {
		t.Fatal(err)
	}
	if res := out.GetCustomer(); res.GetRegime() != "icp" || res.GetBtwNummer() != vatDE || !res.GetCreated() {
		t.Errorf("forwarded resolution %v", res)
	}
}
