package snelstart

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// A Filter is an OData v3 $filter expression (snelstart-api.md §2.3) that
// can also check an object itself. Build one with [Eq], [Ne], [Gt], [Ge],
// [Lt], [Le], [Substringof], [Startswith], [Any], [AnyEq], [And], [Or] and
// [Not]; [Filter.String] gives the text SnelStart receives, such as
//
//	Email eq 'o''brien@example.nl' and Relatiesoort/any(x:x eq 'Klant')
//
// Property names are the UpperCamelCase names SnelStart's OData needs
// (case-sensitive: "Email", "VestigingsAdres/Land/Id"); a name that does
// not start with an upper-case letter is an error, caught before any call.
// Values are literals of their Go type: string → 'text' with ' doubled,
// [ID] → guid'…', [LocalTime] → datetime'…', integers and [Decimal] → bare
// numbers (a fraction gets the v3 decimal suffix M: 6.5M), bool → true or
// false, nil → null. Any string type (such as [Relatiesoort]) is a string.
//
// # Local check
//
// SnelStart silently ignores $filter on endpoints that do not apply it,
// and a filter it ignores returns every object (§2.3, §10 item 2). So the
// list methods of [Client] check every returned object with
// [Filter.Match] and drop the ones that do not match: each helper carries
// its Go check. The check reads the object's JSON as SnelStart sent it,
// matching property names to JSON names without regard to case. It is
// deliberately no stricter than SnelStart's SQL Server: text comparisons
// ignore case and trailing spaces, GUIDs ignore case. It can only drop
// objects, never add them.
//
// The zero Filter is no filter: it renders as "" and matches everything.
// A Filter is immutable and safe for concurrent use.
type Filter struct {
	n   node
	err error
}

// String returns the $filter text; "" for the zero Filter or one with an
// error.
func (f Filter) String() string {
	if f.n == nil || f.err != nil {
		return ""
	}
	var b strings.Builder
	f.n.render(&b, "", 0)
	return b.String()
}

// Err returns the error made while building f, such as a lower-case
// property name or a value of an unsupported type; it wraps
// [ErrInvalidRequest].
func (f Filter) Err() error { return f.err }

// IsZero reports whether f is no filter.
func (f Filter) IsZero() bool { return f.n == nil && f.err == nil }

// Match reports whether v satisfies f, by the rules of the local check
// (see [Filter]). v is a model value (such as a [Relatie]), its JSON
// ([]byte or json.RawMessage), or JSON decoded into map[string]any. The
// zero Filter matches everything. An error means f cannot be evaluated
// against v: a value of another type than the property's.
func (f Filter) Match(v any) (bool, error) {
	if f.err != nil {
		return false, f.err
	}
	if f.n == nil {
		return true, nil
	}
	x, err := jsonValue(v)
	if err != nil {
		return false, err
	}
	return f.n.eval(x)
}

func jsonValue(v any) (any, error) {
	var raw []byte
	switch v := v.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case map[string]any:
		return v, nil
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("snelstart: filter: encode %T: %w", v, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("snelstart: filter: decode object: %w", err)
	}
	return x, nil
}

// requiresEq reports whether f can only match objects whose property at
// path equals some value: f is, or is an "and" of, path eq value.
func (f Filter) requiresEq(path string) bool {
	return f.err == nil && f.n != nil && f.n.requiresEq(path)
}

type node interface {
	// render writes the expression; prefix is the lambda variable the
	// property paths are relative to ("" at the top), depth the lambda
	// nesting.
	render(b *strings.Builder, prefix string, depth int)
	eval(x any) (bool, error)
	requiresEq(path string) bool
}

var propertyPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*(/[A-Z][A-Za-z0-9_]*)*$`)

func filterErr(format string, args ...any) Filter {
	return Filter{err: fmt.Errorf("%w: filter: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))}
}

func checkProperty(p string) error {
	if !propertyPattern.MatchString(p) {
		return fmt.Errorf("%w: filter: property %q: SnelStart needs UpperCamelCase names such as \"Email\" or \"VestigingsAdres/Land/Id\" (case-sensitive)", ErrInvalidRequest, p)
	}
	return nil
}

// Comparison operators.
const (
	opEq = "eq"
	opNe = "ne"
	opGt = "gt"
	opGe = "ge"
	opLt = "lt"
	opLe = "le"
)

func compare(op, property string, value any) Filter {
	if err := checkProperty(property); err != nil {
		return Filter{err: err}
	}
	v, err := toValue(value)
	if err != nil {
		return Filter{err: fmt.Errorf("%w: filter: %s: %w", ErrInvalidRequest, property, err)}
	}
	if op != opEq && op != opNe && (v.kind == kindNull || v.kind == kindBool || v.kind == kindGUID) {
		return filterErr("%s %s %s: only eq and ne compare with %s", property, op, v, v.kind)
	}
	return Filter{n: &cmpNode{path: strings.Split(property, "/"), op: op, v: v}}
}

// Eq is "property eq value": Eq("Email", "jan@example.nl") is
// Email eq 'jan@example.nl'.
func Eq(property string, value any) Filter { return compare(opEq, property, value) }

// Ne is "property ne value"; Ne("IncassoSoort", nil) is IncassoSoort ne null.
func Ne(property string, value any) Filter { return compare(opNe, property, value) }

// Gt is "property gt value": Gt("ModifiedOn", t) is ModifiedOn gt
// datetime'…'.
func Gt(property string, value any) Filter { return compare(opGt, property, value) }

// Ge is "property ge value".
func Ge(property string, value any) Filter { return compare(opGe, property, value) }

// Lt is "property lt value".
func Lt(property string, value any) Filter { return compare(opLt, property, value) }

// Le is "property le value".
func Le(property string, value any) Filter { return compare(opLe, property, value) }

// Substringof is "substringof('text', property) eq true": the property
// holds text. The local check ignores case.
func Substringof(text, property string) Filter {
	if err := checkProperty(property); err != nil {
		return Filter{err: err}
	}
	return Filter{n: &funcNode{name: "substringof", path: strings.Split(property, "/"), text: text}}
}

// Startswith is "startswith(property,'text') eq true": the property
// begins with text. The local check ignores case.
func Startswith(property, text string) Filter {
	if err := checkProperty(property); err != nil {
		return Filter{err: err}
	}
	return Filter{n: &funcNode{name: "startswith", path: strings.Split(property, "/"), text: text}}
}

// Any is "collection/any(x:f)": some element of the collection of objects
// matches f, whose property names are those of the element:
//
//	Any("ExtraVeldenKlant", And(Eq("Naam", "lidnummer"), Eq("Waarde", "5299")))
//
// is ExtraVeldenKlant/any(x:x/Naam eq 'lidnummer' and x/Waarde eq '5299').
func Any(collection string, f Filter) Filter {
	if err := checkProperty(collection); err != nil {
		return Filter{err: err}
	}
	if f.err != nil {
		return f
	}
	if f.n == nil {
		return filterErr("%s/any: empty condition", collection)
	}
	return Filter{n: &anyNode{path: strings.Split(collection, "/"), inner: f.n}}
}

// AnyEq is "collection/any(x:x eq value)": the collection of values holds
// value. AnyEq("Relatiesoort", RelatiesoortKlant) is
// Relatiesoort/any(x:x eq 'Klant').
func AnyEq(collection string, value any) Filter {
	if err := checkProperty(collection); err != nil {
		return Filter{err: err}
	}
	v, err := toValue(value)
	if err != nil {
		return Filter{err: fmt.Errorf("%w: filter: %s: %w", ErrInvalidRequest, collection, err)}
	}
	return Filter{n: &anyNode{path: strings.Split(collection, "/"), inner: &cmpNode{op: opEq, v: v}}}
}

// And is "f1 and f2 and …". Zero Filters are left out; And() is the zero
// Filter.
func And(fs ...Filter) Filter { return logic("and", fs) }

// Or is "f1 or f2 or …". Zero Filters are left out; Or() is the zero
// Filter.
func Or(fs ...Filter) Filter { return logic("or", fs) }

func logic(op string, fs []Filter) Filter {
	var kids []node
	for _, f := range fs {
		if f.err != nil {
			return f
		}
		if f.n == nil {
			continue
		}
		if l, ok := f.n.(*logicNode); ok && l.op == op {
			kids = append(kids, l.kids...)
			continue
		}
		kids = append(kids, f.n)
	}
	switch len(kids) {
	case 0:
		return Filter{}
	case 1:
		return Filter{n: kids[0]}
	}
	return Filter{n: &logicNode{op: op, kids: kids}}
}

// Not is "not (f)".
func Not(f Filter) Filter {
	if f.err != nil {
		return f
	}
	if f.n == nil {
		return filterErr("not of an empty filter")
	}
	return Filter{n: &notNode{kid: f.n}}
}

// A Value is an OData v3 literal whose form its Go type does not decide:
// make one with [Guid], [DateTime] or [Null]. The comparison helpers also
// take plain Go values (see [Filter]).
type Value struct {
	kind valueKind
	s    string          // text of a string, guid or datetime
	d    decimal.Decimal // number
	b    bool
	lt   LocalTime
}

type valueKind int

const (
	kindNull valueKind = iota
	kindString
	kindGUID
	kindDateTime
	kindNumber
	kindBool
)

func (k valueKind) String() string {
	return [...]string{"null", "a string", "a guid", "a datetime", "a number", "a bool"}[k]
}

// Guid returns the literal guid'id'. An id that is not a GUID makes the
// filter fail with [ErrInvalidRequest].
func Guid(id ID) Value { return Value{kind: kindGUID, s: string(id)} }

// DateTime returns the literal datetime'2006-01-02T15:04:05[.fff]': SnelStart's
// naive local time.
func DateTime(t LocalTime) Value { return Value{kind: kindDateTime, lt: t, s: t.String()} }

// Null returns the literal null.
func Null() Value { return Value{kind: kindNull} }

// String returns v as OData v3 writes it.
func (v Value) String() string {
	switch v.kind {
	case kindString:
		return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
	case kindGUID:
		return "guid'" + v.s + "'"
	case kindDateTime:
		return "datetime'" + v.s + "'"
	case kindNumber:
		if v.d.Exponent() >= 0 || v.d.Equal(v.d.Truncate(0)) {
			return v.d.Truncate(0).String()
		}
		return Decimal{v.d}.String() + "M" // Edm.Decimal literal; a bare 6.5 is Edm.Double in v3
	case kindBool:
		if v.b {
			return "true"
		}
		return "false"
	}
	return "null"
}

var (
	idType        = reflect.TypeFor[ID]()
	localTimeType = reflect.TypeFor[LocalTime]()
)

func toValue(x any) (Value, error) {
	switch x := x.(type) {
	case nil:
		return Null(), nil
	case Value:
		switch x.kind {
		case kindGUID:
			if !guidPattern.MatchString(x.s) {
				return Value{}, fmt.Errorf("%q is not a GUID", x.s)
			}
		case kindDateTime:
			if x.lt.IsZero() {
				return Value{}, errors.New("zero LocalTime as datetime")
			}
		}
		return x, nil
	case ID:
		return toValue(Guid(x))
	case LocalTime:
		return toValue(DateTime(x))
	case Decimal:
		return Value{kind: kindNumber, d: x.Decimal}, nil
	case *Decimal:
		if x == nil {
			return Null(), nil
		}
		return Value{kind: kindNumber, d: x.Decimal}, nil
	case decimal.Decimal:
		return Value{kind: kindNumber, d: x}, nil
	case bool:
		return Value{kind: kindBool, b: x}, nil
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.String:
		if rv.Type() == idType {
			return toValue(ID(rv.String()))
		}
		return Value{kind: kindString, s: rv.String()}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Value{kind: kindNumber, d: decimal.NewFromInt(rv.Int())}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Value{kind: kindNumber, d: decimal.NewFromUint64(rv.Uint())}, nil
	}
	if rv.Type() == localTimeType {
		return toValue(rv.Interface().(LocalTime))
	}
	return Value{}, fmt.Errorf("value of type %T cannot be an OData literal (use string, ID, LocalTime, an integer, Decimal, bool or nil; never float)", x)
}

// cmpNode is "path op value"; an empty path is the lambda variable itself.
type cmpNode struct {
	path []string
	op   string
	v    Value
}

func writePath(b *strings.Builder, prefix string, path []string) {
	switch {
	case prefix == "":
		b.WriteString(strings.Join(path, "/"))
	case len(path) == 0:
		b.WriteString(prefix)
	default:
		b.WriteString(prefix + "/" + strings.Join(path, "/"))
	}
}

func (n *cmpNode) render(b *strings.Builder, prefix string, _ int) {
	writePath(b, prefix, n.path)
	b.WriteString(" " + n.op + " " + n.v.String())
}

func (n *cmpNode) requiresEq(path string) bool {
	return n.op == opEq && strings.Join(n.path, "/") == path && n.v.kind != kindNull
}

func (n *cmpNode) eval(x any) (bool, error) {
	field := lookup(x, n.path)
	if n.v.kind == kindNull || field == nil {
		isNull := field == nil
		bothNull := isNull && n.v.kind == kindNull
		switch n.op {
		case opEq:
			return bothNull, nil
		case opNe:
			return !bothNull, nil
		}
		return false, nil
	}
	c, ok, err := n.cmp(field)
	if err != nil {
		return false, fmt.Errorf("%w: filter %s: %w", ErrInvalidRequest, strings.Join(n.path, "/"), err)
	}
	if !ok { // equality only
		switch n.op {
		case opEq:
			return c == 0, nil
		case opNe:
			return c != 0, nil
		}
		return false, fmt.Errorf("%w: filter %s: %s is not ordered", ErrInvalidRequest, strings.Join(n.path, "/"), n.v.kind)
	}
	switch n.op {
	case opEq:
		return c == 0, nil
	case opNe:
		return c != 0, nil
	case opGt:
		return c > 0, nil
	case opGe:
		return c >= 0, nil
	case opLt:
		return c < 0, nil
	}
	return c <= 0, nil // opLe
}

// cmp compares field with the value: -1, 0 or +1, and whether the kind is
// ordered.
func (n *cmpNode) cmp(field any) (c int, ordered bool, err error) {
	mismatch := func() error { return fmt.Errorf("the object has %T, the filter compares with %s", field, n.v.kind) }
	switch n.v.kind {
	case kindString:
		s, ok := field.(string)
		if !ok {
			return 0, false, mismatch()
		}
		return strings.Compare(foldText(s), foldText(n.v.s)), true, nil
	case kindGUID:
		s, ok := field.(string)
		if !ok {
			return 0, false, mismatch()
		}
		if strings.EqualFold(s, n.v.s) {
			return 0, false, nil
		}
		return 1, false, nil
	case kindDateTime:
		s, ok := field.(string)
		if !ok {
			return 0, false, mismatch()
		}
		t, err := ParseLocalTime(s)
		if err != nil {
			return 0, false, err
		}
		return t.Compare(n.v.lt), true, nil
	case kindNumber:
		var d decimal.Decimal
		var err error
		switch f := field.(type) {
		case json.Number:
			d, err = decimal.NewFromString(f.String())
		case string: // SnelStart accepts decimal strings (§2.4); tolerate them back
			d, err = decimal.NewFromString(f)
		case float64:
			d = decimal.NewFromFloat(f)
		default:
			return 0, false, mismatch()
		}
		if err != nil {
			return 0, false, mismatch()
		}
		return d.Cmp(n.v.d), true, nil
	case kindBool:
		b, ok := field.(bool)
		if !ok {
			return 0, false, mismatch()
		}
		if b == n.v.b {
			return 0, false, nil
		}
		return 1, false, nil
	}
	return 0, false, mismatch()
}

// foldText is text as SQL Server's default collation compares it: without
// case and trailing spaces.
func foldText(s string) string { return strings.ToLower(strings.TrimRight(s, " ")) }

// lookup follows path through decoded JSON, matching names without regard
// to case; nil when a step is missing or null.
func lookup(x any, path []string) any {
	for _, name := range path {
		obj, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		v, found := obj[lowerFirst(name)]
		if !found {
			v = nil
			for k, kv := range obj {
				if strings.EqualFold(k, name) {
					v = kv
					break
				}
			}
		}
		x = v
	}
	return x
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// funcNode is substringof('text', path) eq true or startswith(path,'text')
// eq true.
type funcNode struct {
	name string
	path []string
	text string
}

func (n *funcNode) render(b *strings.Builder, prefix string, _ int) {
	lit := Value{kind: kindString, s: n.text}.String()
	if n.name == "substringof" {
		b.WriteString("substringof(" + lit + ", ")
		writePath(b, prefix, n.path)
		b.WriteString(") eq true")
		return
	}
	b.WriteString(n.name + "(")
	writePath(b, prefix, n.path)
	b.WriteString("," + lit + ") eq true")
}

func (n *funcNode) requiresEq(string) bool { return false }

func (n *funcNode) eval(x any) (bool, error) {
	field := lookup(x, n.path)
	if field == nil {
		return false, nil
	}
	s, ok := field.(string)
	if !ok {
		return false, fmt.Errorf("%w: filter %s(%s): the object has %T, not a string", ErrInvalidRequest, n.name, strings.Join(n.path, "/"), field)
	}
	s, t := strings.ToLower(s), strings.ToLower(n.text)
	if n.name == "substringof" {
		return strings.Contains(s, t), nil
	}
	return strings.HasPrefix(s, t), nil
}

// anyNode is path/any(x:inner).
type anyNode struct {
	path  []string
	inner node
}

func (n *anyNode) render(b *strings.Builder, prefix string, depth int) {
	v := "x"
	if depth > 0 {
		v = fmt.Sprintf("x%d", depth)
	}
	writePath(b, prefix, n.path)
	b.WriteString("/any(" + v + ":")
	n.inner.render(b, v, depth+1)
	b.WriteString(")")
}

func (n *anyNode) requiresEq(string) bool { return false }

func (n *anyNode) eval(x any) (bool, error) {
	field := lookup(x, n.path)
	if field == nil {
		return false, nil
	}
	elems, ok := field.([]any)
	if !ok {
		return false, fmt.Errorf("%w: filter %s/any: the object has %T, not a collection", ErrInvalidRequest, strings.Join(n.path, "/"), field)
	}
	for _, e := range elems {
		ok, err := n.inner.eval(e)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

type logicNode struct {
	op   string // "and", "or"
	kids []node
}

func (n *logicNode) render(b *strings.Builder, prefix string, depth int) {
	for i, k := range n.kids {
		if i > 0 {
			b.WriteString(" " + n.op + " ")
		}
		if _, nested := k.(*logicNode); nested {
			b.WriteString("(")
			k.render(b, prefix, depth)
			b.WriteString(")")
			continue
		}
		k.render(b, prefix, depth)
	}
}

func (n *logicNode) requiresEq(path string) bool {
	if n.op != "and" {
		return false
	}
	for _, k := range n.kids {
		if k.requiresEq(path) {
			return true
		}
	}
	return false
}

func (n *logicNode) eval(x any) (bool, error) {
	for _, k := range n.kids {
		ok, err := k.eval(x)
		if err != nil {
			return false, err
		}
		if n.op == "and" && !ok {
			return false, nil
		}
		if n.op == "or" && ok {
			return true, nil
		}
	}
	return n.op == "and", nil
}

type notNode struct{ kid node }

func (n *notNode) render(b *strings.Builder, prefix string, depth int) {
	b.WriteString("not (")
	n.kid.render(b, prefix, depth)
	b.WriteString(")")
}

func (n *notNode) requiresEq(string) bool { return false }

func (n *notNode) eval(x any) (bool, error) {
	ok, err := n.kid.eval(x)
	return !ok && err == nil, err
}
