package snelstartsandbox

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file implements the subset of OData v3 $filter that SnelStart's
// ASP.NET Web API OData stack understands and koppel needs
// (snelstart-api.md §2.3): comparison (eq ne gt ge lt le), and, or, not,
// parentheses; literals 'text' (with '' for a quote), numbers, true, false,
// null, guid'…' and datetime'…'; property paths such as Relatie/Id or
// VestigingsAdres/Land/Id; the lambdas any and all over collections
// (Relatiesoort/any(r:r eq 'Klant')); and the functions substringof,
// startswith, endswith, tolower, toupper, trim, length, indexof, concat,
// year, month and day.
//
// Property names are the model's JSON names in UpperCamelCase and are
// case-sensitive, as are keywords and function names. A filter is parsed and
// type-checked against the model type before it is run, so that an unknown
// property or an ill-typed comparison is a 400 even on an empty collection.

// maxFilterNodes is ASP.NET Web API OData's default MaxNodeCount.
const maxFilterNodes = 100

// maxFilterDepth bounds nesting, so that "((((…" cannot exhaust the stack.
const maxFilterDepth = 40

// A filterErrorKind says how SnelStart words a refused filter.
type filterErrorKind int

const (
	// filterSyntax and filterUnsupported answer 400 with code ALG-0104.
	filterSyntax filterErrorKind = iota
	filterUnsupported
	// filterSemantic (unknown property, incompatible types) answers 400
	// {"Message": …}, as ASP.NET's OData layer does (snelstart-api.md §3).
	filterSemantic
)

// A filterError is a $filter that does not parse or does not type-check.
type filterError struct {
	kind filterErrorKind
	msg  string
}

func (e *filterError) Error() string { return e.msg }

// edmKind is the EDM type of a filter expression.
type edmKind int

const (
	edmNull edmKind = iota // the literal null
	edmBool
	edmString
	edmInt
	edmDecimal
	edmDouble
	edmGuid
	edmDateTime
	edmComplex
	edmCollection
)

// An edmType describes a model type for filtering.
type edmType struct {
	kind  edmKind
	name  string              // "Edm.String", or the model's full name for a complex type
	props map[string]*edmProp // complex: by UpperCamelCase name
	elem  *edmType            // collection: the element type
}

// An edmProp is a filterable property of a complex type.
type edmProp struct {
	name  string // UpperCamelCase
	index []int  // field index in the Go struct
	typ   *edmType
}

var (
	edmBoolType     = &edmType{kind: edmBool, name: "Edm.Boolean"}
	edmStringType   = &edmType{kind: edmString, name: "Edm.String"}
	edmIntType      = &edmType{kind: edmInt, name: "Edm.Int32"}
	edmDecimalType  = &edmType{kind: edmDecimal, name: "Edm.Decimal"}
	edmDoubleType   = &edmType{kind: edmDouble, name: "Edm.Double"}
	edmGuidType     = &edmType{kind: edmGuid, name: "Edm.Guid"}
	edmDateTimeType = &edmType{kind: edmDateTime, name: "Edm.DateTime"}
	edmNullType     = &edmType{kind: edmNull, name: "null"}
)

var (
	typeID        = reflect.TypeFor[snelstart.ID]()
	typeDecimal   = reflect.TypeFor[snelstart.Decimal]()
	typeLocalTime = reflect.TypeFor[snelstart.LocalTime]()
)

// modelNames are the full names SnelStart's OData layer uses in messages.
var modelNames = map[reflect.Type]string{
	reflect.TypeFor[snelstart.Relatie]():        "SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel",
	reflect.TypeFor[snelstart.Artikel]():        "SnelStart.B2B.Api.V2.Models.Artikelen.ArtikelModel",
	reflect.TypeFor[snelstart.VerkoopOrder]():   "SnelStart.B2B.Api.V2.Models.Verkooporders.VerkoopOrderModel",
	reflect.TypeFor[snelstart.VerkoopFactuur](): "SnelStart.B2B.Api.V2.Models.Verkoopfacturen.VerkoopfactuurModel",
	reflect.TypeFor[snelstart.Prijsafspraak]():  "SnelStart.B2B.Api.V2.Models.Prijsafspraken.PrijsafspraakModel",
	reflect.TypeFor[snelstart.Adres]():          "SnelStart.B2B.Api.V2.Models.Relaties.AdresModel",
	reflect.TypeFor[snelstart.Ref]():            "SnelStart.B2B.Api.V2.Models.IdentifierModel",
	reflect.TypeFor[snelstart.ExtraVeld]():      "SnelStart.B2B.Api.V2.Models.ExtraVeldModel",
	reflect.TypeFor[artikelPrijsAfspraken]():    "SnelStart.B2B.Api.V2.Models.Artikelen.ArtikelPrijsAfsprakenModel",
	reflect.TypeFor[klantAfspraken]():           "SnelStart.B2B.Api.V2.Models.Artikelen.KlantAfsprakenModel",
	reflect.TypeFor[snelstart.VatRates]():       "SnelStart.B2B.Api.V2.Models.VatRates.VatRatesModel",
	reflect.TypeFor[snelstart.VatRate]():        "SnelStart.B2B.Api.V2.Models.VatRates.VatRateModel",
	reflect.TypeFor[VatRateDefinition]():        "SnelStart.B2B.Api.V2.Models.VatRates.VatRateDefinitionModel",
}

// notFilterable are JSON names that are not properties of the OData model:
// Uri properties cannot be filtered (snelstart-api.md §2.3), and
// prijsafspraak is added to articles outside the model (§7.3).
var notFilterable = map[string]bool{"uri": true, "inkoopBoekingenUri": true, "verkoopBoekingenUri": true, "prijsafspraak": true}

var edmCache sync.Map // reflect.Type → *edmType

// edmMu serializes building new struct types, so that a type is published
// in edmCache only once all its properties are filled in.
var edmMu sync.Mutex

// edmOf returns the EDM type of the Go type t, built by reflection over the
// JSON names of the models (which are the spec's).
func edmOf(t reflect.Type) *edmType {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v, ok := edmCache.Load(t); ok {
		return v.(*edmType)
	}
	edmMu.Lock()
	defer edmMu.Unlock()
	building := map[reflect.Type]*edmType{}
	et := edmBuild(t, building)
	for bt, v := range building {
		edmCache.Store(bt, v)
	}
	return et
}

// edmBuild builds t's EDM type; struct types under construction are in
// building (models refer to themselves through sub-articles and the like).
// The caller holds edmMu.
func edmBuild(t reflect.Type, building map[reflect.Type]*edmType) *edmType {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case typeID:
		return edmGuidType
	case typeDecimal:
		return edmDecimalType
	case typeLocalTime:
		return edmDateTimeType
	}
	switch t.Kind() {
	case reflect.String:
		return edmStringType
	case reflect.Bool:
		return edmBoolType
	case reflect.Int, reflect.Int32, reflect.Int64:
		return edmIntType
	case reflect.Float64, reflect.Float32:
		return edmDoubleType
	case reflect.Slice:
		return &edmType{kind: edmCollection, name: "Collection(" + edmBuild(t.Elem(), building).name + ")", elem: edmBuild(t.Elem(), building)}
	case reflect.Struct:
		if v, ok := edmCache.Load(t); ok {
			return v.(*edmType)
		}
		if et, ok := building[t]; ok {
			return et
		}
		et := &edmType{kind: edmComplex, name: modelNames[t], props: map[string]*edmProp{}}
		if et.name == "" {
			et.name = t.Name()
		}
		building[t] = et
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" || notFilterable[name] {
				continue
			}
			r, n := utf8.DecodeRuneInString(name)
			upper := string(unicode.ToUpper(r)) + name[n:]
			et.props[upper] = &edmProp{name: upper, index: f.Index, typ: edmBuild(f.Type, building)}
		}
		return et
	}
	return &edmType{kind: edmComplex, name: t.String(), props: map[string]*edmProp{}}
}

// A value is the result of evaluating a filter expression.
type value struct {
	k  edmKind // edmNull for null
	b  bool
	s  string // string; lower-case GUID
	n  decimal.Decimal
	t  snelstart.LocalTime
	rv reflect.Value // complex (a struct) or collection (a slice)
}

var nullValue = value{k: edmNull}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// valueOf converts a model field to a value of type et. Empty strings,
// zero times and nil pointers are null, as SnelStart's database has them.
func valueOf(rv reflect.Value, et *edmType) value {
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			if et.kind == edmCollection {
				return value{k: edmCollection}
			}
			return nullValue
		}
		rv = rv.Elem()
	}
	switch et.kind {
	case edmString:
		if rv.Len() == 0 {
			return nullValue
		}
		return value{k: edmString, s: rv.String()}
	case edmGuid:
		if rv.Len() == 0 {
			return nullValue
		}
		return value{k: edmGuid, s: strings.ToLower(rv.String())}
	case edmBool:
		return value{k: edmBool, b: rv.Bool()}
	case edmInt:
		return value{k: edmInt, n: decimal.NewFromInt(rv.Int())}
	case edmDouble:
		return value{k: edmDouble, n: decimal.NewFromFloat(rv.Float())}
	case edmDecimal:
		return value{k: edmDecimal, n: rv.Interface().(snelstart.Decimal).Decimal}
	case edmDateTime:
		lt := rv.Interface().(snelstart.LocalTime)
		if lt.IsZero() {
			return nullValue
		}
		return value{k: edmDateTime, t: lt}
	case edmComplex, edmCollection:
		return value{k: et.kind, rv: rv}
	}
	return nullValue
}

// A filter is a compiled $filter for one model type.
type filter struct {
	root *edmType
	expr expr
}

// match reports whether item (a model struct or a pointer to one) passes.
func (f *filter) match(item any) bool {
	if f == nil {
		return true
	}
	rv := reflect.ValueOf(item)
	for rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	e := &env{root: rv}
	v := f.expr.eval(e)
	return v.k == edmBool && v.b
}

// env is the evaluation environment: the item and the lambda variables.
type env struct {
	root reflect.Value
	vars []binding
}

type binding struct {
	name string
	v    value
}

// An expr is a type-checked filter expression.
type expr interface {
	typ() *edmType
	eval(e *env) value
}

// compileFilter parses and type-checks src against the model type of
// example (a value of the model struct).
func compileFilter(src string, model reflect.Type) (*filter, error) {
	root := edmOf(model)
	p := &parser{src: src, root: root}
	if err := p.lex(); err != nil {
		return nil, err
	}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.syntaxf(t.pos, "unexpected %s", t.describe())
	}
	if k := x.typ().kind; k != edmBool && k != edmNull {
		return nil, &filterError{kind: filterSemantic, msg: "The $filter expression must evaluate to a single boolean value."}
	}
	return &filter{root: root, expr: x}, nil
}

// Tokens.

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokGuid
	tokDateTime
	tokOtherLiteral // datetimeoffset'…', time'…', binary'…', X'…'
	tokLParen
	tokRParen
	tokComma
	tokSlash
	tokColon
	tokMinus
)

type token struct {
	kind tokKind
	pos  int    // byte offset in the filter
	text string // identifier, unquoted string, number text, literal body
	pfx  string // prefix of a typed literal: "guid", "datetime", …
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return fmt.Sprintf("string '%s'", t.text)
	case tokIdent, tokNumber:
		return fmt.Sprintf("'%s'", t.text)
	case tokGuid, tokDateTime, tokOtherLiteral:
		return fmt.Sprintf("%s'%s'", t.pfx, t.text)
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokComma:
		return "','"
	case tokSlash:
		return "'/'"
	case tokColon:
		return "':'"
	case tokMinus:
		return "'-'"
	}
	return "token"
}

type parser struct {
	src   string
	root  *edmType
	toks  []token
	i     int
	nodes int
	depth int
	vars  []lambdaVar // lambda variables in scope, innermost last
}

type lambdaVar struct {
	name string
	typ  *edmType
}

func (p *parser) syntaxf(pos int, format string, args ...any) error {
	return &filterError{kind: filterSyntax, msg: fmt.Sprintf("syntax error at position %d in '%s': %s", pos, p.src, fmt.Sprintf(format, args...))}
}

func unsupportedf(format string, args ...any) error {
	return &filterError{kind: filterUnsupported, msg: fmt.Sprintf(format, args...)}
}

func semanticf(format string, args ...any) error {
	return &filterError{kind: filterSemantic, msg: fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// lex splits p.src into tokens.
func (p *parser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			p.toks = append(p.toks, token{kind: tokLParen, pos: i})
			i++
		case c == ')':
			p.toks = append(p.toks, token{kind: tokRParen, pos: i})
			i++
		case c == ',':
			p.toks = append(p.toks, token{kind: tokComma, pos: i})
			i++
		case c == '/':
			p.toks = append(p.toks, token{kind: tokSlash, pos: i})
			i++
		case c == ':':
			p.toks = append(p.toks, token{kind: tokColon, pos: i})
			i++
		case c == '\'':
			text, n, err := p.quoted(i)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, token{kind: tokString, pos: i, text: text})
			i = n
		case isDigit(c) || c == '-' && i+1 < len(s) && isDigit(s[i+1]):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
				j += 2
				for j < len(s) && isDigit(s[j]) {
					j++
				}
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && isDigit(s[k]) {
					for k < len(s) && isDigit(s[k]) {
						k++
					}
					j = k
				}
			}
			if j < len(s) && strings.IndexByte("mMdDfFlL", s[j]) >= 0 {
				j++
			}
			if j < len(s) && isIdentPart(s[j]) {
				return p.syntaxf(i, "malformed number '%s'", s[i:min(j+1, len(s))])
			}
			p.toks = append(p.toks, token{kind: tokNumber, pos: i, text: s[i:j]})
			i = j
		case c == '-':
			p.toks = append(p.toks, token{kind: tokMinus, pos: i})
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' {
				text, n, err := p.quoted(j)
				if err != nil {
					return err
				}
				kind := tokOtherLiteral
				switch word {
				case "guid":
					kind = tokGuid
				case "datetime":
					kind = tokDateTime
				case "datetimeoffset", "time", "binary", "X":
				default:
					return p.syntaxf(i, "unrecognized literal prefix '%s'", word)
				}
				p.toks = append(p.toks, token{kind: kind, pos: i, text: text, pfx: word})
				i = n
				continue
			}
			p.toks = append(p.toks, token{kind: tokIdent, pos: i, text: word})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return p.syntaxf(i, "unexpected character '%c'", r)
		}
	}
	p.toks = append(p.toks, token{kind: tokEOF, pos: len(s)})
	return nil
}

// quoted reads the '…' literal that starts at s[i], with ” for a quote.
func (p *parser) quoted(i int) (text string, next int, err error) {
	var b strings.Builder
	for j := i + 1; j < len(p.src); j++ {
		if p.src[j] != '\'' {
			b.WriteByte(p.src[j])
			continue
		}
		if j+1 < len(p.src) && p.src[j+1] == '\'' {
			b.WriteByte('\'')
			j++
			continue
		}
		return b.String(), j + 1, nil
	}
	return "", 0, p.syntaxf(i, "unterminated string literal")
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == word
}

func (p *parser) expect(kind tokKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, p.syntaxf(t.pos, "expected %s, found %s", what, t.describe())
	}
	return t, nil
}

// node counts a node of the expression tree against maxFilterNodes.
func (p *parser) node() error {
	p.nodes++
	if p.nodes > maxFilterNodes {
		return unsupportedf("The node count limit of '%d' has been exceeded. To increase the limit, set the 'MaxNodeCount' property on EnableQueryAttribute or ODataValidationSettings.", maxFilterNodes)
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return unsupportedf("the filter is nested more than %d levels deep", maxFilterDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseOr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if left, err = p.logical("Or", left, right); err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) parseAnd() (expr, error) {
	left, err := p.parseComparison()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		right, err := p.parseComparison()
		if err != nil {
			return nil, err
		}
		if left, err = p.logical("And", left, right); err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) logical(op string, left, right expr) (expr, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	for _, x := range []expr{left, right} {
		if k := x.typ().kind; k != edmBool && k != edmNull {
			return nil, semanticf("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", left.typ().name, right.typ().name, op)
		}
	}
	return &logicalExpr{or: op == "Or", left: left, right: right}, nil
}

var comparisonOps = map[string]string{"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}

var arithmeticOps = map[string]bool{"add": true, "sub": true, "mul": true, "div": true, "mod": true}

func (p *parser) parseComparison() (expr, error) {
	left, err := p.parseArithmetic()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		opName, ok := comparisonOps[t.text]
		if t.kind != tokIdent || !ok {
			return left, nil
		}
		p.next()
		right, err := p.parseArithmetic()
		if err != nil {
			return nil, err
		}
		if err := p.node(); err != nil {
			return nil, err
		}
		if !comparable(left.typ(), right.typ(), t.text == "eq" || t.text == "ne") {
			return nil, semanticf("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", left.typ().name, right.typ().name, opName)
		}
		left = &compareExpr{op: t.text, left: left, right: right}
	}
}

func isNumeric(k edmKind) bool { return k == edmInt || k == edmDecimal || k == edmDouble }

// comparable reports whether values of types a and b may be compared.
// Numbers compare across numeric types; null compares with anything by eq
// and ne.
func comparable(a, b *edmType, equality bool) bool {
	if a.kind == edmNull || b.kind == edmNull {
		return equality && a.kind != edmComplex && b.kind != edmComplex && a.kind != edmCollection && b.kind != edmCollection
	}
	if isNumeric(a.kind) && isNumeric(b.kind) {
		return true
	}
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case edmString, edmGuid, edmDateTime:
		return true
	case edmBool:
		return equality
	}
	return false
}

func (p *parser) parseArithmetic() (expr, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokIdent && arithmeticOps[t.text] {
		return nil, unsupportedf("the arithmetic operator '%s' is not supported by the sandbox", t.text)
	}
	return x, nil
}

func (p *parser) parseUnary() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if p.isWord("not") {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if err := p.node(); err != nil {
			return nil, err
		}
		if k := x.typ().kind; k != edmBool && k != edmNull {
			return nil, semanticf("A unary operator with an incompatible type was detected. Found operand type '%s' for operator kind 'Not'.", x.typ().name)
		}
		return &notExpr{x: x}, nil
	}
	if t := p.peek(); t.kind == tokMinus {
		return nil, unsupportedf("negation of an expression is not supported by the sandbox (write a negative number as -5)")
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (expr, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	t := p.next()
	switch t.kind {
	case tokLParen:
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, "')'"); err != nil {
			return nil, err
		}
		return x, nil
	case tokString:
		return &constExpr{t: edmStringType, v: value{k: edmString, s: t.text}}, nil
	case tokNumber:
		return p.number(t)
	case tokGuid:
		if !guidRe.MatchString(t.text) {
			return nil, p.syntaxf(t.pos, "unrecognized 'Edm.Guid' literal guid'%s'", t.text)
		}
		return &constExpr{t: edmGuidType, v: value{k: edmGuid, s: strings.ToLower(t.text)}}, nil
	case tokDateTime:
		lt, ok := parseDateTimeLiteral(t.text)
		if !ok {
			return nil, p.syntaxf(t.pos, "unrecognized 'Edm.DateTime' literal datetime'%s'", t.text)
		}
		return &constExpr{t: edmDateTimeType, v: value{k: edmDateTime, t: lt}}, nil
	case tokOtherLiteral:
		if t.pfx == "datetimeoffset" {
			return nil, unsupportedf("datetimeoffset'…' literals are not supported: SnelStart dates have no zone, use datetime'%s'", t.text)
		}
		return nil, unsupportedf("%s'…' literals are not supported by the sandbox", t.pfx)
	case tokIdent:
		switch t.text {
		case "true", "false":
			return &constExpr{t: edmBoolType, v: value{k: edmBool, b: t.text == "true"}}, nil
		case "null":
			return &constExpr{t: edmNullType, v: nullValue}, nil
		case "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "add", "sub", "mul", "div", "mod":
			return nil, p.syntaxf(t.pos, "expected a value, found keyword '%s'", t.text)
		}
		if p.peek().kind == tokLParen {
			return p.call(t)
		}
		return p.member(t)
	}
	return nil, p.syntaxf(t.pos, "expected a value, found %s", t.describe())
}

func (p *parser) number(t token) (expr, error) {
	text := t.text
	suffix := text[len(text)-1]
	typ := edmIntType
	switch suffix {
	case 'm', 'M':
		typ, text = edmDecimalType, text[:len(text)-1]
	case 'd', 'D', 'f', 'F':
		typ, text = edmDoubleType, text[:len(text)-1]
	case 'l', 'L':
		text = text[:len(text)-1]
	default:
		if strings.ContainsAny(text, ".eE") {
			typ = edmDoubleType
		}
	}
	n, err := decimal.NewFromString(text)
	if err != nil || n.Exponent() < -28 || len(text) > 40 {
		return nil, p.syntaxf(t.pos, "malformed number '%s'", t.text)
	}
	return &constExpr{t: typ, v: value{k: typ.kind, n: n}}, nil
}

// parseDateTimeLiteral parses the body of a datetime'…' literal: a
// SnelStart local time, or a date with optional hours and minutes.
func parseDateTimeLiteral(s string) (snelstart.LocalTime, bool) {
	if lt, err := snelstart.ParseLocalTime(s); err == nil {
		return lt, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return snelstart.NewLocalTime(t), true
		}
	}
	return snelstart.LocalTime{}, false
}

// member parses a property path that starts with t: a lambda variable or a
// property of the model, then /Property, /any(…) or /all(…) steps.
func (p *parser) member(t token) (expr, error) {
	var x expr
	for i := len(p.vars) - 1; i >= 0; i-- {
		if p.vars[i].name == t.text {
			x = &varExpr{name: t.text, t: p.vars[i].typ}
			break
		}
	}
	if x == nil {
		prop, ok := p.root.props[t.text]
		if !ok {
			return nil, semanticf("Could not find a property named '%s' on type '%s'.", t.text, p.root.name)
		}
		x = &propExpr{base: nil, prop: prop}
	}
	for p.peek().kind == tokSlash {
		p.next()
		name, err := p.expect(tokIdent, "a property name")
		if err != nil {
			return nil, err
		}
		if err := p.node(); err != nil {
			return nil, err
		}
		bt := x.typ()
		if (name.text == "any" || name.text == "all") && p.peek().kind == tokLParen {
			if bt.kind != edmCollection {
				return nil, semanticf("The '%s' query option can only be applied to a collection; '%s' is of type '%s'.", name.text, t.text, bt.name)
			}
			if x, err = p.lambda(name.text, x); err != nil {
				return nil, err
			}
			continue
		}
		switch bt.kind {
		case edmComplex:
			prop, ok := bt.props[name.text]
			if !ok {
				return nil, semanticf("Could not find a property named '%s' on type '%s'.", name.text, bt.name)
			}
			x = &propExpr{base: x, prop: prop}
		case edmCollection:
			return nil, semanticf("The parent value for a property access of a property '%s' is not a single value. Property access can only be applied to a single value.", name.text)
		default:
			return nil, semanticf("Could not find a property named '%s' on type '%s'.", name.text, bt.name)
		}
	}
	return x, nil
}

// lambda parses "(v: predicate)" or "()" after Collection/any or /all.
func (p *parser) lambda(kind string, coll expr) (expr, error) {
	p.next() // (
	if kind == "any" && p.peek().kind == tokRParen {
		p.next()
		return &lambdaExpr{all: false, coll: coll}, nil
	}
	v, err := p.expect(tokIdent, "a lambda variable")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokColon, "':'"); err != nil {
		return nil, err
	}
	for _, lv := range p.vars {
		if lv.name == v.text {
			return nil, semanticf("The range variable '%s' has already been declared.", v.text)
		}
	}
	p.vars = append(p.vars, lambdaVar{name: v.text, typ: coll.typ().elem})
	body, err := p.parseOr()
	p.vars = p.vars[:len(p.vars)-1]
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tokRParen, "')'"); err != nil {
		return nil, err
	}
	if k := body.typ().kind; k != edmBool && k != edmNull {
		return nil, semanticf("The expression of the '%s' query option must evaluate to a single boolean value.", kind)
	}
	return &lambdaExpr{all: kind == "all", coll: coll, name: v.text, body: body}, nil
}

// A function is a filter function: its argument types and result type.
type function struct {
	args []edmKind
	res  *edmType
	eval func(args []value) value
}

var functions = map[string]function{
	"substringof": {[]edmKind{edmString, edmString}, edmBoolType, func(a []value) value {
		return boolValue(strings.Contains(a[1].s, a[0].s))
	}},
	"startswith": {[]edmKind{edmString, edmString}, edmBoolType, func(a []value) value {
		return boolValue(strings.HasPrefix(a[0].s, a[1].s))
	}},
	"endswith": {[]edmKind{edmString, edmString}, edmBoolType, func(a []value) value {
		return boolValue(strings.HasSuffix(a[0].s, a[1].s))
	}},
	"tolower": {[]edmKind{edmString}, edmStringType, func(a []value) value { return stringValue(strings.ToLower(a[0].s)) }},
	"toupper": {[]edmKind{edmString}, edmStringType, func(a []value) value { return stringValue(strings.ToUpper(a[0].s)) }},
	"trim":    {[]edmKind{edmString}, edmStringType, func(a []value) value { return stringValue(strings.TrimSpace(a[0].s)) }},
	"length": {[]edmKind{edmString}, edmIntType, func(a []value) value {
		return value{k: edmInt, n: decimal.NewFromInt(int64(utf8.RuneCountInString(a[0].s)))}
	}},
	"indexof": {[]edmKind{edmString, edmString}, edmIntType, func(a []value) value {
		i := strings.Index(a[0].s, a[1].s)
		if i > 0 {
			i = utf8.RuneCountInString(a[0].s[:i])
		}
		return value{k: edmInt, n: decimal.NewFromInt(int64(i))}
	}},
	"concat": {[]edmKind{edmString, edmString}, edmStringType, func(a []value) value { return stringValue(a[0].s + a[1].s) }},
	"year": {[]edmKind{edmDateTime}, edmIntType, func(a []value) value {
		y, _, _ := a[0].t.Date()
		return value{k: edmInt, n: decimal.NewFromInt(int64(y))}
	}},
	"month": {[]edmKind{edmDateTime}, edmIntType, func(a []value) value {
		_, m, _ := a[0].t.Date()
		return value{k: edmInt, n: decimal.NewFromInt(int64(m))}
	}},
	"day": {[]edmKind{edmDateTime}, edmIntType, func(a []value) value {
		_, _, d := a[0].t.Date()
		return value{k: edmInt, n: decimal.NewFromInt(int64(d))}
	}},
}

// knownUnsupported are OData v3 functions the sandbox does not implement.
var knownUnsupported = map[string]bool{
	"substring": true, "replace": true, "hour": true, "minute": true, "second": true,
	"round": true, "floor": true, "ceiling": true, "isof": true, "cast": true,
}

func boolValue(b bool) value     { return value{k: edmBool, b: b} }
func stringValue(s string) value { return value{k: edmString, s: s} }

func (p *parser) call(name token) (expr, error) {
	fn, ok := functions[name.text]
	if !ok {
		if knownUnsupported[name.text] {
			return nil, unsupportedf("the function '%s' is not supported by the sandbox", name.text)
		}
		return nil, semanticf("Unknown function '%s'.", name.text)
	}
	p.next() // (
	var args []expr
	if p.peek().kind != tokRParen {
		for {
			a, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect(tokRParen, "')' or ','"); err != nil {
		return nil, err
	}
	ok = len(args) == len(fn.args)
	for i := 0; ok && i < len(args); i++ {
		k := args[i].typ().kind
		ok = k == fn.args[i] || k == edmNull
	}
	if !ok {
		var want []string
		for _, k := range fn.args {
			want = append(want, kindName(k)+" Nullable=true")
		}
		return nil, semanticf("No function signature for the function with name '%s' matches the specified arguments. The function signatures considered are: %s(%s).", name.text, name.text, strings.Join(want, ", "))
	}
	return &callExpr{fn: fn, args: args}, nil
}

func kindName(k edmKind) string {
	switch k {
	case edmString:
		return "Edm.String"
	case edmDateTime:
		return "Edm.DateTime"
	}
	return "Edm.Object"
}

// Expressions.

type constExpr struct {
	t *edmType
	v value
}

func (c *constExpr) typ() *edmType   { return c.t }
func (c *constExpr) eval(*env) value { return c.v }
func (v *varExpr) typ() *edmType     { return v.t }
func (x *propExpr) typ() *edmType    { return x.prop.typ }
func (x *logicalExpr) typ() *edmType { return edmBoolType }
func (x *notExpr) typ() *edmType     { return edmBoolType }
func (x *compareExpr) typ() *edmType { return edmBoolType }
func (x *lambdaExpr) typ() *edmType  { return edmBoolType }
func (x *callExpr) typ() *edmType    { return x.fn.res }

type varExpr struct {
	name string
	t    *edmType
}

func (v *varExpr) eval(e *env) value {
	for i := len(e.vars) - 1; i >= 0; i-- {
		if e.vars[i].name == v.name {
			return e.vars[i].v
		}
	}
	return nullValue
}

type propExpr struct {
	base expr // nil: the item itself
	prop *edmProp
}

func (x *propExpr) eval(e *env) value {
	var rv reflect.Value
	if x.base == nil {
		rv = e.root
	} else {
		b := x.base.eval(e)
		if b.k != edmComplex {
			return nullValue // a property of null is null
		}
		rv = b.rv
	}
	f, err := rv.FieldByIndexErr(x.prop.index)
	if err != nil {
		return nullValue
	}
	return valueOf(f, x.prop.typ)
}

type logicalExpr struct {
	or          bool
	left, right expr
}

func (x *logicalExpr) eval(e *env) value {
	l := x.left.eval(e)
	lt := l.k == edmBool && l.b
	if x.or && lt {
		return boolValue(true)
	}
	if !x.or && !lt {
		return boolValue(false)
	}
	r := x.right.eval(e)
	return boolValue(r.k == edmBool && r.b)
}

type notExpr struct{ x expr }

func (x *notExpr) eval(e *env) value {
	v := x.x.eval(e)
	if v.k != edmBool {
		return nullValue
	}
	return boolValue(!v.b)
}

type compareExpr struct {
	op          string
	left, right expr
}

func (x *compareExpr) eval(e *env) value {
	l, r := x.left.eval(e), x.right.eval(e)
	if l.k == edmNull || r.k == edmNull {
		both := l.k == edmNull && r.k == edmNull
		switch x.op {
		case "eq":
			return boolValue(both)
		case "ne":
			return boolValue(!both)
		}
		return boolValue(false)
	}
	var c int
	switch {
	case isNumeric(l.k):
		c = l.n.Cmp(r.n)
	case l.k == edmString || l.k == edmGuid:
		c = strings.Compare(l.s, r.s)
	case l.k == edmDateTime:
		c = l.t.Compare(r.t)
	case l.k == edmBool:
		if l.b != r.b {
			c = 1
		}
	}
	switch x.op {
	case "eq":
		return boolValue(c == 0)
	case "ne":
		return boolValue(c != 0)
	case "gt":
		return boolValue(c > 0)
	case "ge":
		return boolValue(c >= 0)
	case "lt":
		return boolValue(c < 0)
	}
	return boolValue(c <= 0)
}

type lambdaExpr struct {
	all  bool
	coll expr
	name string
	body expr // nil for any()
}

func (x *lambdaExpr) eval(e *env) value {
	c := x.coll.eval(e)
	if c.k != edmCollection || !c.rv.IsValid() {
		return boolValue(x.all)
	}
	n := c.rv.Len()
	if x.body == nil {
		return boolValue(n > 0)
	}
	elem := x.coll.typ().elem
	for i := range n {
		e.vars = append(e.vars, binding{name: x.name, v: valueOf(c.rv.Index(i), elem)})
		v := x.body.eval(e)
		e.vars = e.vars[:len(e.vars)-1]
		ok := v.k == edmBool && v.b
		if x.all && !ok {
			return boolValue(false)
		}
		if !x.all && ok {
			return boolValue(true)
		}
	}
	return boolValue(x.all)
}

type callExpr struct {
	fn   function
	args []expr
}

func (x *callExpr) eval(e *env) value {
	vals := make([]value, len(x.args))
	for i, a := range x.args {
		vals[i] = a.eval(e)
		if vals[i].k == edmNull {
			return nullValue
		}
	}
	return x.fn.eval(vals)
}
