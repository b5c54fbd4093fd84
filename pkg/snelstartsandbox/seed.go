package snelstartsandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/koppel/koppel/pkg/snelstart"
)

// A Seed is the state a [Sandbox] starts from: the valid subscription keys
// and one or more administrations. It is also the format of a snapshot
// ([Sandbox.Snapshot]), so a snapshot file can be used as a seed.
//
// Under each administration everything is in SnelStart's own JSON shape (the
// models of package snelstart), except BtwTarieven, VatRates and
// Prijsafspraken, whose field names come from the spec's BtwTariefModel,
// VatRatesModel and KlantAfsprakenModel, and the grootboekenBuitenland of a
// revenue group ([SeedOmzetgroep]), which the API does not show.
// default_seed.yaml, returned by [DefaultSeed], is an annotated example.
type Seed struct {
	// SubscriptionKeys are the valid Ocp-Apim-Subscription-Key values, for
	// every administration (the key identifies the partner, not the
	// administration).
	SubscriptionKeys []string            `json:"subscriptionKeys"`
	Administraties   []SeedAdministratie `json:"administraties"`
}

// A SeedAdministratie is one administration, opened by its ClientKey (the
// koppelsleutel).
type SeedAdministratie struct {
	ClientKey string `json:"clientKey"`
	// Scopes are granted to its tokens; empty means all twenty scopes of
	// snelstart-api.md §1.3.
	Scopes      []string              `json:"scopes,omitempty"`
	CompanyInfo snelstart.CompanyInfo `json:"companyInfo"`
	BtwTarieven []BtwTarief           `json:"btwTarieven,omitempty"` // empty: the Dutch table of vat-rounding.md §3.2
	// VatRates are the EU countries' rates of GET /v2/vatrates, for OSS;
	// empty means the 27 member states' rates of 2026 (vatrates.go).
	VatRates []snelstart.VatRates `json:"vatRates,omitempty"`
	// Landen are the countries of GET /v2/landen; empty means all of ISO
	// 3166-1, as SnelStart lists them, with fixed ids (landen.go).
	Landen                []snelstart.Land                 `json:"landen,omitempty"`
	Kostenplaatsen        []snelstart.Kostenplaats         `json:"kostenplaatsen,omitempty"`
	ArtikelOmzetgroepen   []SeedOmzetgroep                 `json:"artikelOmzetgroepen,omitempty"`
	VerkoopOrderSjablonen []snelstart.VerkoopOrderSjabloon `json:"verkoopordersjablonen,omitempty"`
	Artikelen             []snelstart.Artikel              `json:"artikelen,omitempty"`
	Relaties              []snelstart.Relatie              `json:"relaties,omitempty"`
	Prijsafspraken        []KlantAfspraak                  `json:"prijsafspraken,omitempty"`
	VerkoopOrders         []snelstart.VerkoopOrder         `json:"verkooporders,omitempty"`
	VerkoopFacturen       []snelstart.VerkoopFactuur       `json:"verkoopfacturen,omitempty"`
}

// A BtwTarief is a row of GET /v2/btwtarieven: [snelstart.BtwTarief].
type BtwTarief = snelstart.BtwTarief

// PrijsIngave says how a [KlantAfspraak] sets the price (the spec's
// prijsIngave of KlantAfsprakenModel).
type PrijsIngave string

// The values of [PrijsIngave].
const (
	PrijsIngaveBedrag         PrijsIngave = "Bedrag"         // a fixed price
	PrijsIngaveStaffelBedrag  PrijsIngave = "StaffelBedrag"  // fixed prices by quantity
	PrijsIngaveKorting        PrijsIngave = "Korting"        // a discount percentage
	PrijsIngaveStaffelKorting PrijsIngave = "StaffelKorting" // discount percentages by quantity
)

// A KlantAfspraak is a price agreement between one customer and one article:
// the spec's KlantAfsprakenModel (of GET /v2/artikelen/prijsafspraken) plus
// the relatie and artikel it belongs to. The sandbox answers
// GET /v2/prijsafspraken, GET /v2/artikelen/prijsafspraken and the
// prijsafspraak of GET /v2/artikelen?relatieId= from these.
type KlantAfspraak struct {
	Relatie     snelstart.Ref       `json:"relatie"`
	Artikel     snelstart.Ref       `json:"artikel"`
	PrijsIngave PrijsIngave         `json:"prijsIngave"`
	Startdatum  snelstart.LocalTime `json:"startdatum,omitzero"` // zero: no start
	Einddatum   snelstart.LocalTime `json:"einddatum,omitzero"`  // inclusive; zero: no end
	// PrijsAfspraken are the tiers, each from a quantity on: Korting for
	// the Korting kinds, Verkoopprijs for the Bedrag kinds.
	PrijsAfspraken []PrijsAfspraakRegel `json:"prijsAfspraken"`
}

// A PrijsAfspraakRegel is one tier of a [KlantAfspraak]: the spec's
// PrijsAfspraakModel.
type PrijsAfspraakRegel struct {
	Vanaf        snelstart.Decimal  `json:"vanaf"`                  // from this quantity on
	Korting      *snelstart.Decimal `json:"korting,omitempty"`      // discount in percent
	Verkoopprijs *snelstart.Decimal `json:"verkoopprijs,omitempty"` // price
}

//go:embed default_seed.yaml
var defaultSeedYAML []byte

// DefaultSeed returns the seed of default_seed.yaml: subscription key "demo"
// and one administration, "Koppel Demo", opened by client key "demo", with
// Dutch company info (OSS off), every country of ISO 3166-1, the EU VAT
// rates of 2026, three cost centres, revenue groups for hoog (21 %), laag
// (9 %) and geen btw with ledgers for the EU and beyond (and for OSS, hoog
// and laag), the templates "Webshop" (prices incl. VAT) and
// "Standaard", the service articles VERZEND, VERZEND-LAAG, TOESLAG, KORTING
// and KORTING-LAAG, nine products, customers including look-alikes, price
// agreements, and one invoiced order.
func DefaultSeed() Seed {
	s, err := ParseSeed(defaultSeedYAML)
	if err != nil {
		// The embedded file is tested; this is a build defect.
		panic(fmt.Sprintf("snelstartsandbox: default seed: %v", err))
	}
	return s
}

// LoadSeed reads a seed from a JSON or YAML file.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("read seed: %w", err)
	}
	s, err := ParseSeed(data)
	if err != nil {
		return Seed{}, fmt.Errorf("seed %s: %w", path, err)
	}
	return s, nil
}

// ParseSeed parses a seed in JSON or YAML. Unknown fields are errors, so that
// a misspelt name does not go unnoticed. Numbers keep their digits: 3.333 is
// never a float64.
func ParseSeed(data []byte) (Seed, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Seed{}, fmt.Errorf("parse seed: %w", err)
	}
	var buf bytes.Buffer
	if len(root.Content) > 0 {
		if err := yamlToJSON(&buf, root.Content[0]); err != nil {
			return Seed{}, fmt.Errorf("parse seed: %w", err)
		}
	} else {
		buf.WriteString("{}")
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return Seed{}, fmt.Errorf("decode seed: %w", err)
	}
	return s, nil
}

// yamlToJSON writes the YAML node n as JSON, keeping number literals as
// written.
func yamlToJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return yamlToJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return yamlToJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			buf.Write(k)
			buf.WriteByte(':')
			if err := yamlToJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := yamlToJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			buf.WriteString("null")
		case "!!bool":
			b, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err != nil {
				return fmt.Errorf("line %d: boolean %q", n.Line, n.Value)
			}
			buf.WriteString(strconv.FormatBool(b))
		case "!!int":
			i, ok := new(big.Int).SetString(strings.ReplaceAll(n.Value, "_", ""), 0)
			if !ok {
				return fmt.Errorf("line %d: integer %q", n.Line, n.Value)
			}
			buf.WriteString(i.String())
		case "!!float":
			if !json.Valid([]byte(n.Value)) {
				return fmt.Errorf("line %d: number %q is not a decimal", n.Line, n.Value)
			}
			buf.WriteString(n.Value)
		default:
			s, _ := json.Marshal(n.Value)
			buf.Write(s)
		}
	}
	return nil
}

// allScopes are the twenty scopes of snelstart-api.md §1.3.
var allScopes = []string{
	"artikelen:read", "artikelen:write", "bankieren:read", "bankieren:write",
	"boekhouden:read", "boekhouden:write", "btwaangiftes:read", "btwaangiftes:write",
	"documenten:read", "documenten:write", "kas:read", "kas:write",
	"memoriaal:read", "memoriaal:write", "orders:read", "orders:write",
	"relaties:read", "relaties:write", "settings:read", "settings:write",
}

// defaultBtwTarieven is the Dutch table of vat-rounding.md §3.2.
func defaultBtwTarieven() []BtwTarief {
	d := func(s string) snelstart.LocalTime { lt, _ := snelstart.ParseLocalTime(s + "T00:00:00"); return lt }
	p := func(n int64) *snelstart.Decimal { return snelstart.Ptr(dec(n, 0)) }
	return []BtwTarief{
		{BtwSoort: snelstart.BtwSoortGeen, BtwPercentage: p(0), DatumVanaf: d("1900-01-01")},
		{BtwSoort: snelstart.BtwSoortLaag, BtwPercentage: p(6), DatumVanaf: d("1986-10-01"), DatumTotEnMet: d("2018-12-31")},
		{BtwSoort: snelstart.BtwSoortLaag, BtwPercentage: p(9), DatumVanaf: d("2019-01-01")},
		{BtwSoort: snelstart.BtwSoortHoog, BtwPercentage: p(19), DatumVanaf: d("1900-01-01"), DatumTotEnMet: d("2012-09-30")},
		{BtwSoort: snelstart.BtwSoortHoog, BtwPercentage: p(21), DatumVanaf: d("2012-10-01")},
	}
}

// clone returns a deep copy of v through JSON; the models round-trip
// exactly.
func clone[T any](v T) T {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("snelstartsandbox: clone %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("snelstartsandbox: clone %T: %v", v, err))
	}
	return out
}

// saveSeed writes s as indented JSON to path, atomically.
func saveSeed(path string, s Seed) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// loadSnapshot reads the snapshot at path; it reports false, without error,
// when there is none yet.
func loadSnapshot(path string) (Seed, bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return Seed{}, false, nil
	}
	s, err := LoadSeed(path)
	if err != nil {
		return Seed{}, false, err
	}
	return s, true, nil
}
