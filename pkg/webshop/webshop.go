// Package webshop verifies webshop deliveries and normalizes shop orders into
// koppel's canonical order (koppelv1.Order). Each platform has an Adapter;
// New returns the one a profile names.
//
// Adapters work on the raw request bytes: signatures are checked on exactly
// what the shop sent, and money is parsed from the JSON text as exact
// decimals, never as float64.
package webshop

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// Platform names a webshop platform as profiles spell it.
type Platform string

// The platforms koppel has adapters for.
const (
	WooCommerce Platform = "woocommerce"
	Magento     Platform = "magento"
)

// Kind says what a verified delivery is.
type Kind int

const (
	// KindOrder is a signed delivery whose body should be stored and normalized.
	KindOrder Kind = iota + 1
	// KindPing is a platform's unsigned liveness ping (WooCommerce's
	// "webhook_id=N"); it is answered 200 and not stored.
	KindPing
)

// String returns "order", "ping" or "Kind(n)".
func (k Kind) String() string {
	switch k {
	case KindOrder:
		return "order"
	case KindPing:
		return "ping"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Sentinel errors. Adapters wrap them with detail; test with errors.Is.
var (
	// ErrSignature means the signature header is missing or does not match.
	ErrSignature = errors.New("webshop: missing or invalid signature")
	// ErrNotOrder means the payload is valid JSON but not an order
	// (a WooCommerce deletion stub, a subscription, an action payload).
	ErrNotOrder = errors.New("webshop: payload is not an order")
	// ErrMalformed means the payload cannot be read as the platform's order.
	ErrMalformed = errors.New("webshop: malformed order")
)

// Config is what an adapter needs from its profile.
type Config struct {
	// Secret is the shared webhook secret used for HMAC signatures.
	Secret string
	// SignatureHeader overrides the header that carries the signature
	// (Magento pushes; default "X-Koppel-Signature").
	SignatureHeader string
	// TotalTolerance is the largest difference, in the order's currency,
	// between computed and reported total that still counts as matching
	// (TotalCheck.ok). Empty means one minor unit of the order's currency:
	// "0.01" for EUR and most others, "0.001" for BHD, "1" for JPY.
	TotalTolerance string
}

// Adapter verifies deliveries from one platform and normalizes its orders.
type Adapter interface {
	// Platform reports which platform the adapter serves.
	Platform() Platform
	// Verify checks a delivery on its raw body and headers. It returns
	// KindPing for the platform's unsigned ping, KindOrder for a delivery
	// whose signature matches, and an error wrapping ErrSignature otherwise.
	// Verify does not decode the body as JSON.
	Verify(h http.Header, body []byte) (Kind, error)
	// DeliveryHeaders returns the delivery's own headers worth keeping with
	// the stored body (topic, event, delivery id, source), keyed by their
	// canonical names. The signature itself is not among them.
	DeliveryHeaders(h http.Header) map[string]string
	// Normalize turns a shop order's JSON into the canonical order for
	// profile. The returned order carries body in Raw, and its Revision is
	// the shop's modification time and a hash of the order's state (see
	// revision). Errors wrap ErrMalformed or ErrNotOrder.
	Normalize(profile string, body []byte) (*koppelv1.Order, error)
}

// New returns the adapter for platform, configured with cfg. It fails for
// an unknown platform and for a TotalTolerance that is not a non-negative
// decimal. Adapters hold no mutable state and are safe for concurrent use.
func New(platform Platform, cfg Config) (Adapter, error) {
	switch platform {
	case WooCommerce:
		return newWooCommerce(cfg)
	case Magento:
		return newMagento(cfg)
	default:
		return nil, fmt.Errorf("webshop: no adapter for platform %q", platform)
	}
}
