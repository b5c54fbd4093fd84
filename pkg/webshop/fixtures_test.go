package webshop

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/koppelv1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

// fixture is one payload in testdata/: a shop body copied from
// /work/shared/fixtures (file names kept) or built by hand.
type fixture struct {
	file     string
	platform Platform
	notOrder bool // normalizing it must fail with ErrNotOrder
}

var fixtures = []fixture{
	// WooCommerce.
	{file: "rest_v3_order_727_docs_variation_guest.json", platform: WooCommerce},
	{file: "rest_v3_order_45_airbyte_coupon_refund_admin_created.json", platform: WooCommerce},
	{file: "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json", platform: WooCommerce},
	{file: "webhook_order_15_pipedream_zero_total_empty_sku_empty_shipping.json", platform: WooCommerce},
	// Derived from rest_v2_order_12345 (same shop, customer and plugin meta,
	// as wc/v3) to have what no public sample has: a 21 % and a 9 % item,
	// and shipping and a fee each taxed at both rates. The amounts are
	// worked out by hand in TestWooCommerceSplitCharges.
	{file: "rest_v3_order_12346_nl_eur_21_9_split_shipping_derived.json", platform: WooCommerce},
	// Cut short by its source (no line_items, no *_gmt dates), but an order:
	// it normalizes, and the total check records the missing lines.
	{file: "partial_webhook_order_107207_nl_onhold_prices_incl_tax.json", platform: WooCommerce},
	// A WooCommerce Subscriptions object (billing_period, _links to /subscriptions/).
	{file: "webhook_subscription_100580_nl_eur_ideal_unicode.json", platform: WooCommerce, notOrder: true},

	// Magento.
	{file: "rest_order_3_adobe_docs_tutorial_items_elided.json", platform: Magento},
	{file: "rest_order_000000016_guest_bhd_coupon_placeorder_response.json", platform: Magento},
	{file: "rest_order_000000144_guest_twd_unicode_canceled.json", platform: Magento},
	{file: "magento_configurable_parent_child.json", platform: Magento},
	// An Adobe I/O Events envelope of a product save.
	{file: "io_event_cloudevent_envelope_product_save_docs.json", platform: Magento, notOrder: true},
}

const testProfile = "test-profile"

func TestNormalizeFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(strings.TrimSuffix(fx.file, ".json"), func(t *testing.T) {
			t.Parallel()
			body := readTestdata(t, fx.file)
			o, err := newAdapter(t, fx.platform, Config{}).Normalize(testProfile, body)
			if fx.notOrder {
				if !errors.Is(err, ErrNotOrder) {
					t.Fatalf("Normalize = %v, %v; want an error wrapping ErrNotOrder", o, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if !bytes.Equal(o.GetRaw(), body) {
				t.Error("Raw differs from the input bytes")
			}
			if o.GetProfile() != testProfile || o.GetPlatform() != string(fx.platform) {
				t.Errorf("profile, platform = %q, %q", o.GetProfile(), o.GetPlatform())
			}
			checkGolden(t, fx.file, renderOrder(t, o))
		})
	}
}

// TestFixtureList makes sure every shared fixture copied into testdata/ is
// in the table above, so a new one cannot be forgotten.
func TestFixtureList(t *testing.T) {
	listed := map[string]bool{}
	for _, fx := range fixtures {
		listed[fx.file] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("testdata/%s is not in the fixtures table", filepath.Base(f))
		}
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, g := range goldens {
		if !listed[filepath.Base(g)] {
			t.Errorf("testdata/golden/%s has no fixture", filepath.Base(g))
		}
	}
}

// renderOrder renders o without Raw as indented protojson. protojson
// randomizes its whitespace on purpose, so the output is compacted and
// re-indented with encoding/json to make it byte-stable.
func renderOrder(t testing.TB, o *koppelv1.Order) []byte {
	t.Helper()
	c := proto.Clone(o).(*koppelv1.Order)
	c.Raw = nil
	b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(c)
	if err != nil {
		t.Fatalf("protojson: %v", err)
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		t.Fatal(err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// checkGolden compares got with testdata/golden/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./webshop -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./webshop -update and review the diff):\n%s",
			path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line of want and got.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return "(no line differs)"
}

// editJSON decodes body with the numbers' text kept, lets edit change the
// object, and encodes it again: a variant of a real payload for one test.
func editJSON(t testing.TB, body []byte, edit func(o map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var o map[string]any
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	edit(o)
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonAt walks o along keys and array indexes ("line_items", 0, "taxes").
func jsonAt(t testing.TB, o any, path ...any) map[string]any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			o = o.(map[string]any)[k]
		case int:
			o = o.([]any)[k]
		}
	}
	m, ok := o.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", path)
	}
	return m
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newAdapter(t testing.TB, p Platform, cfg Config) Adapter {
	t.Helper()
	a, err := New(p, cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", p, err)
	}
	return a
}

// assertProto compares two lists of messages with proto.Equal.
func assertProto[M proto.Message](t *testing.T, what string, got, want []M) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d, want %d:\n got  %v\n want %v", what, len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s[%d]:\n got  %v\n want %v", what, i, got[i], want[i])
		}
	}
}
