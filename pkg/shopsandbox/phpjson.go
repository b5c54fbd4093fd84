package shopsandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// mustPHPJSON encodes v the way PHP's json_encode does with its default flags,
// which both WooCommerce (wp_json_encode) and Magento use: compact, "/" as
// "\/", every non-ASCII character as a lower-case \uXXXX escape (surrogate
// pairs beyond the BMP), and <, >, & and ' left alone. Receivers must
// therefore hash and store the bytes as sent, not a re-encoding.
func mustPHPJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only the sandbox's own JSON types come here, which have no
		// channels, functions or non-finite floats: like regexp.MustCompile,
		// failing is a bug in this package, not a runtime condition.
		panic(fmt.Sprintf("shopsandbox: encode: %v", err))
	}
	return phpEscape(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// phpEscape rewrites Go's JSON output into PHP's escaping. Outside strings
// JSON has neither "/" nor non-ASCII bytes, so a byte-level pass is safe.
func phpEscape(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '/':
			out = append(out, '\\', '/')
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			i += n
			if r > 0xFFFF {
				r -= 0x10000
				out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
				continue
			}
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}

// num is an amount written as a JSON number with the shortest exact text
// ("252", "199.13", "-9.8"), the way PHP writes Magento's floats.
type num struct{ decimal.Decimal }

func (n num) MarshalJSON() ([]byte, error) { return []byte(n.String()), nil }

func numOf(d decimal.Decimal) num { return num{d} }
