package snelstartsandbox_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/spectest"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func TestSnapshotRoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := newEnv(t, snelstartsandbox.Options{SnapshotFile: file})
	r := e.call(http.MethodPost, snelstart.PathRelaties, obj{"relatiesoort": []string{"Klant"}, "naam": "Snapshot Klant", "email": "snap@example.nl"})
	wantStatus(t, r, http.StatusCreated)
	var rel snelstart.Relatie
	mustDecode(t, r.body, &rel)
	r = e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": rel.ID}, "datum": "2026-03-14T00:00:00",
		"regels": []obj{{"artikel": obj{"id": idKoffie}, "aantal": 1.5, "stuksprijs": 3.333}}})
	wantStatus(t, r, http.StatusCreated)
	var order snelstart.VerkoopOrder
	mustDecode(t, r.body, &order)
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}

	e2 := newEnv(t, snelstartsandbox.Options{SnapshotFile: file})
	a := e2.sb.Admin("demo")
	got, ok := a.VerkoopOrder(order.ID)
	if !ok || got.TotaalInclusiefBtw.String() != order.TotaalInclusiefBtw.String() || got.Regels[0].Stuksprijs.String() != "3.333" {
		t.Fatalf("order after reload = %+v, %v", got, ok)
	}
	if tot, ok := a.Totals(order.ID); !ok || len(tot.Groepen) != 1 {
		t.Errorf("breakdown after reload = %+v, %v", tot, ok)
	}
	var rels []snelstart.Relatie
	mustDecode(t, e2.get(snelstart.PathRelaties, "$filter=Email eq 'snap@example.nl'").body, &rels)
	if len(rels) != 1 || *rels[0].Relatiecode != 10 {
		t.Errorf("relatie after reload = %+v", rels)
	}
	r = e2.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": rel.ID}, "datum": "2026-03-15T00:00:00"})
	var next snelstart.VerkoopOrder
	mustDecode(t, r.body, &next)
	if *next.Nummer != *order.Nummer+1 {
		t.Errorf("nummer after reload %d, want %d", *next.Nummer, *order.Nummer+1)
	}
	if _, err := snelstartsandbox.LoadSeed(file); err != nil {
		t.Errorf("the snapshot is not a valid seed: %v", err)
	}
}

func TestSnapshotInterval(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := newEnv(t, snelstartsandbox.Options{SnapshotFile: file, SnapshotInterval: 20 * time.Millisecond})
	wantStatus(t, e.call(http.MethodPost, snelstart.PathRelaties, obj{"relatiesoort": []string{"Klant"}, "naam": "Tussendoor"}), http.StatusCreated)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if data, err := os.ReadFile(file); err == nil && strings.Contains(string(data), "Tussendoor") {
			return
		}
	}
	t.Error("no snapshot with the new relatie was written at the interval")
}

func TestParseSeed(t *testing.T) {
	s, err := snelstartsandbox.ParseSeed([]byte(`
subscriptionKeys: [k1]
administraties:
  - clientKey: c1
    companyInfo: {administratieNaam: Mini, regelkortingVerkooporder: BerekenenOverStukprijs}
    artikelOmzetgroepen: [{id: 2b000000-0000-4000-8000-0000000000a1, nummer: 1, omschrijving: Hoog, verkoopNederlandBtwSoort: Hoog}]
    artikelen:
      - {artikelcode: A1, omschrijving: Een, artikelOmzetgroep: {id: 2b000000-0000-4000-8000-0000000000a1}, verkoopprijs: 3.333, inkoopprijs: 1e2}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Administraties[0].Artikelen[0].Verkoopprijs.String(); got != "3.333" {
		t.Errorf("verkoopprijs %s, want the digits as written", got)
	}
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{Seed: &s})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if a := sb.Admin("c1").Artikelen(); len(a) != 1 || a[0].ID == "" || a[0].URI == "" {
		t.Errorf("artikel gets an id and uri: %+v", a)
	}
	if info := sb.Admin("c1").CompanyInfo(); info.AdministratieIdentifier == "" || *info.AantalDecimalenArtikelprijzen != 2 {
		t.Errorf("company info defaults: %+v", info)
	}

	for name, seed := range map[string]string{
		"unknown field":      "administraties: [{clientKey: c, companyInfo: {}, nonsense: 1}]",
		"not a seed":         "- 1\n- 2",
		"unknown omzetgroep": "administraties: [{clientKey: c, artikelen: [{artikelcode: A, artikelOmzetgroep: {id: 2b000000-0000-4000-8000-0000000000ff}}]}]",
		"no administratie":   "subscriptionKeys: [k]",
		"duplicate client":   "administraties: [{clientKey: c}, {clientKey: c}]",
	} {
		s, err := snelstartsandbox.ParseSeed([]byte(seed))
		if err == nil {
			var sb *snelstartsandbox.Sandbox
			sb, err = snelstartsandbox.New(snelstartsandbox.Options{Seed: &s})
			if err == nil {
				sb.Close()
			}
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCallCounts(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.login()
	e.get(snelstart.PathRelaties, "$filter=Email eq 'info@jansen.nl'")
	e.call(http.MethodPost, snelstart.PathVerkoopOrders, newOrder())
	e.call(http.MethodPost, snelstart.PathVerkoopOrders, obj{"relatie": obj{"id": idLeverancier}, "datum": "2026-03-14T00:00:00"})
	e.call(http.MethodGet, "/v2/verkooporders/"+idOrder10001, nil)

	c := e.sb.Calls()
	if c.Total() != 5 || c.Count("POST", snelstart.PathVerkoopOrders) != 2 || c.Count("", snelstart.PathToken) != 1 ||
		c[snelstartsandbox.Call{Method: "POST", Path: snelstart.PathVerkoopOrders, Status: 400}] != 1 {
		t.Errorf("calls = %v", c)
	}
	if m := c.ByMethod(); m["GET"] != 2 || m["POST"] != 3 {
		t.Errorf("by method = %v", m)
	}
	if op := c.ByOperation(); op["GET /v2/verkooporders/{id}"] != 1 {
		t.Errorf("by operation = %v", op)
	}
	if a := e.sb.Admin("demo").Calls(); a.Total() != 5 {
		t.Errorf("administration calls = %v", a)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/_sandbox/stats", nil)
	r := e.send(req)
	var stats struct {
		Total          int
		Administraties map[string]struct{ Total int }
	}
	mustDecode(t, r.body, &stats)
	if stats.Total != 5 || stats.Administraties["demo"].Total != 5 {
		t.Errorf("stats = %s", r.body)
	}
	e.sb.ResetCalls()
	if n := e.sb.Calls().Total(); n != 0 {
		t.Errorf("%d calls after reset", n)
	}
}

// TestStart serves the sandbox on a port of its own; the one answer is
// checked against the spec here, since it does not pass through contract.
func TestStart(t *testing.T) {
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, sb.URL()+snelstart.PathToken, strings.NewReader("grant_type=clientkey&clientkey=demo"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	spec := spectest.Load(t)
	spec.ValidateRequest(t, req, []byte("grant_type=clientkey&clientkey=demo"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	spec.ValidateResponse(t, req, resp.StatusCode, resp.Header, body)
	validated.Add(1)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token: %d", resp.StatusCode)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Post(sb.URL()+snelstart.PathToken, "application/x-www-form-urlencoded", nil); err == nil {
		resp.Body.Close()
		t.Error("the server still answers after Close")
	}
}
