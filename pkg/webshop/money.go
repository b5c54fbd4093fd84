package webshop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Limits on a decoded number, so that a hostile payload ("1e999999") cannot
// make later arithmetic allocate without bound. Real shop amounts use a few
// digits on either side of the point.
const (
	maxNumberText = 64 // bytes of the number's text
	maxExponent   = 30 // |exponent| after parsing, as in 1e30 or 1e-30
)

// num is a money amount, quantity or rate read from shop JSON as an exact
// decimal: from a JSON number's text ("26.859504", "199.13"), or from a JSON
// string holding one ("29.35"). It never passes through float64. null and ""
// leave it unset (set == false, value zero). Anything else fails decoding with
// a *json.UnmarshalTypeError, so encoding/json reports the field path.
type num struct {
	v   decimal.Decimal
	set bool
}

var decimalType = reflect.TypeFor[decimal.Decimal]()

// UnmarshalJSON implements json.Unmarshaler.
func (n *num) UnmarshalJSON(b []byte) error {
	*n = num{}
	switch {
	case len(b) == 0:
		return &json.UnmarshalTypeError{Value: "empty value", Type: decimalType}
	case b[0] == 'n':
		return nil // null
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		d, err := parseDecimal(s)
		if err != nil {
			return &json.UnmarshalTypeError{Value: fmt.Sprintf("string %.40q (%v)", s, err), Type: decimalType}
		}
		n.v, n.set = d, true
		return nil
	case b[0] == '-' || isDigit(b[0]):
		d, err := parseDecimal(string(b))
		if err != nil {
			return &json.UnmarshalTypeError{Value: fmt.Sprintf("number %.40s (%v)", b, err), Type: decimalType}
		}
		n.v, n.set = d, true
		return nil
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: decimalType}
	}
}

// parseDecimal parses s, which must follow the JSON number grammar
// (-?int[.frac][e±exp]), within the limits above.
func parseDecimal(s string) (decimal.Decimal, error) {
	if len(s) > maxNumberText {
		return decimal.Decimal{}, errors.New("too long")
	}
	if !isJSONNumber(s) {
		return decimal.Decimal{}, errors.New("not a decimal number")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, errors.New("not a decimal number")
	}
	if e := d.Exponent(); e > maxExponent || e < -maxExponent {
		return decimal.Decimal{}, errors.New("exponent out of range")
	}
	return d, nil
}

// isJSONNumber reports whether s is a number as RFC 8259 writes it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// text is a scalar JSON value kept as text: ids (Woo's 727, Magento's
// "000000003"), option values and the like. A number keeps its exact text, a
// string its value, a boolean becomes "true" or "false", and null becomes "".
// Objects and arrays fail decoding with a *json.UnmarshalTypeError.
type text string

var stringType = reflect.TypeFor[string]()

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return &json.UnmarshalTypeError{Value: "empty value", Type: stringType}
	case b[0] == '"':
		s, err := unquote(b)
		*t = text(s)
		return err
	case b[0] == 'n':
		*t = ""
	case b[0] == '-' || isDigit(b[0]) || b[0] == 't' || b[0] == 'f':
		*t = text(b)
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
	}
	return nil
}

// intBool is a boolean as Magento writes it: 0/1 (also true/false, "0"/"1").
// null leaves it false.
type intBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *intBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "1", "true", `"1"`, `"true"`:
		*f = true
	case "0", "false", `"0"`, `"false"`, `""`, "null":
		*f = false
	default:
		return &json.UnmarshalTypeError{Value: fmt.Sprintf("%.20s", b), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// unquote decodes a JSON string literal.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		if in := b[1 : len(b)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
			return string(in), nil // fast path: nothing to unescape
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// jsonKind names the kind of the JSON value starting b, for error messages.
func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	}
	return "value"
}

// currencyExponents lists the ISO 4217 currencies whose minor unit is not
// two decimals. Every other code, known or not, counts as two.
var currencyExponents = map[string]int32{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// exponent returns the number of decimals of currency's minor unit.
func exponent(currency string) int32 {
	if e, ok := currencyExponents[strings.ToUpper(currency)]; ok {
		return e
	}
	return 2
}

// decimals returns how many decimals d needs to be written without loss.
func decimals(d decimal.Decimal) int32 {
	if e := d.Normalize().Exponent(); e < 0 {
		return -e
	}
	return 0
}

// fmtMoney writes d with at least exp decimals (the currency's minor unit)
// and more only when d has more significant digits: 29.35 stays "29.35",
// 26.859504 stays "26.859504", 9.8 in BHD becomes "9.800".
// It does not depend on shopspring's global formatting switches.
func fmtMoney(d decimal.Decimal, exp int32) string {
	return d.StringFixed(max(decimals(d), exp))
}

// fmtNum writes d without trailing zeros: quantities and rates ("1", "7.5").
func fmtNum(d decimal.Decimal) string {
	return d.StringFixed(decimals(d))
}

// quotient returns a/b exactly when the quotient has at most 12 decimals,
// otherwise rounded half away from zero to 6 decimals (10/3 → 3.333333).
// ok is false when b is zero.
func quotient(a, b decimal.Decimal) (q decimal.Decimal, ok bool) {
	if b.IsZero() {
		return decimal.Decimal{}, false
	}
	q = a.DivRound(b, 12)
	if q.Mul(b).Equal(a) {
		return q, true
	}
	return a.DivRound(b, 6), true
}

// hundred is 100, for percentages.
var hundred = decimal.NewFromInt(100)

// ratePercent returns tax/net as a percentage rounded to 2 decimals, "0"
// when both are zero, and ok false when net is zero but tax is not.
func ratePercent(tax, net decimal.Decimal) (rate decimal.Decimal, ok bool) {
	if net.IsZero() {
		return decimal.Decimal{}, tax.IsZero()
	}
	return tax.Mul(hundred).DivRound(net, 2), true
}

// scalarText returns a scalar JSON value as text, as [text] does, and false
// for objects, arrays, null and an absent value.
func scalarText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] == '{' || raw[0] == '[' || raw[0] == 'n' {
		return "", false
	}
	var t text
	if err := t.UnmarshalJSON(raw); err != nil {
		return "", false
	}
	return string(t), true
}

// decodeError turns an encoding/json error into a message that names the
// field: "line_items.total: cannot use string \"abc\" (not a decimal
// number) as a decimal".
func decodeError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("payload is a JSON %s, not an object", te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("%s: cannot use %s as %s", te.Field, te.Value, typeName(te.Type))
	default:
		return fmt.Errorf("invalid JSON: %w", err)
	}
}

func typeName(t reflect.Type) string {
	switch {
	case t == nil:
		return "this field"
	case t == decimalType:
		return "a decimal"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	default:
		return t.String()
	}
}
