package snelstartsandbox_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// TestDefaultSeedServesEveryOperation reads every operation of the default
// seed, checking each answer against the spec.
func TestDefaultSeedServesEveryOperation(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	for _, path := range []string{
		snelstart.PathCompanyInfo, snelstart.EchoPath("hallo"), snelstart.PathLanden, "/v2/landen/" + idNL,
		"/v2/btwtarieven", snelstart.PathArtikelOmzetgroepen, "/v2/artikelomzetgroepen/" + idHoog,
		snelstart.PathVerkoopOrderSjablonen, "/v2/verkoopordersjablonen/" + idWebshop,
		snelstart.PathRelaties, "/v2/relaties/" + idJansenBV, snelstart.PathArtikelen, "/v2/artikelen/" + idTshirt,
		"/v2/artikelen/prijsafspraken", snelstart.PathVerkoopOrders, "/v2/verkooporders/" + idOrder10001,
		snelstart.PathVerkoopFacturen, "/v2/verkoopfacturen/7a000000-0000-4000-8000-000000000001",
		snelstart.PathVatRates, "/v2/vatrates/NLD", "/v2/vatratedefinitions",
		snelstart.PathKostenplaatsen, "/v2/kostenplaatsen/8c000000-0000-4000-8000-000000000002",
	} {
		r := e.call(http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}

	if r := e.call(http.MethodGet, snelstart.EchoPath("hallo"), nil); string(r.body) != `"hallo"` {
		t.Errorf("echo: %s", r.body)
	}

	var info snelstart.CompanyInfo
	mustDecode(t, e.call(http.MethodGet, snelstart.PathCompanyInfo, nil).body, &info)
	if info.AdministratieNaam != "Koppel Demo" || info.RegelkortingVerkooporder != snelstart.RegelkortingBerekenenOverRegelBedrag {
		t.Errorf("companyInfo = %+v", info)
	}
	var landen []snelstart.Land
	mustDecode(t, e.call(http.MethodGet, snelstart.PathLanden, nil).body, &landen)
	codes := map[string]string{}
	for _, l := range landen {
		codes[l.Landcode] = l.LandcodeISO
	}
	if codes["NL"] != "NLD" || codes["BE"] != "BEL" || codes["DE"] != "DEU" {
		t.Errorf("landen codes = %v", codes)
	}
	var artikelen []snelstart.Artikel
	mustDecode(t, e.get(snelstart.PathArtikelen, "$top=25").body, &artikelen)
	var artCodes []string
	for _, a := range artikelen {
		artCodes = append(artCodes, a.Artikelcode)
	}
	for _, c := range []string{"VERZEND", "TOESLAG", "KORTING"} {
		if !slices.Contains(artCodes, c) {
			t.Errorf("default seed lacks article %s; has %v", c, artCodes)
		}
	}
	var order snelstart.VerkoopOrder
	mustDecode(t, e.call(http.MethodGet, "/v2/verkooporders/"+idOrder10001, nil).body, &order)
	if order.TotaalInclusiefBtw.String() != "19.93" {
		t.Errorf("seeded order totaalInclusiefBtw = %s, want 19.93", order.TotaalInclusiefBtw)
	}
}
