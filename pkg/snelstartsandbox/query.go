package snelstartsandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/koppel/koppel/pkg/snelstart"
)

// A listQuery is the OData part of a list request: $filter, $top, $skip and
// $select.
type listQuery struct {
	filter *filter
	top    int
	skip   int
	selec  []string // JSON names; nil means all
}

// parseList reads the OData query options of r for a collection of model
// (a model struct type) whose $top may be at most maxTop (0: no maximum) and
// defaults to defTop. It answers 400 and reports false when an option is
// invalid:
//
//   - an unknown property (wrong case included) or ill-typed expression:
//     {"Message": …}, as ASP.NET's OData layer words it;
//   - $filter syntax the sandbox cannot parse: ALG-0104 "Ongeldig OData
//     filter", with the reason in details;
//   - $top above the maximum: {"Message":"The limit of '25' for Top query
//     has been exceeded. …"} (snelstart-api.md §2.2);
//   - $expand: not allowed (§2.3).
//
// $orderby and $inlinecount are ignored (unconfirmed on SnelStart).
func parseList(w http.ResponseWriter, r *http.Request, model reflect.Type, maxTop, defTop int) (listQuery, bool) {
	q := listQuery{top: defTop}
	v := r.URL.Query()
	if _, ok := v["$expand"]; ok {
		writeMessage(w, http.StatusBadRequest, "The query specified in the URI is not valid. Query option 'Expand' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
		return q, false
	}
	if s, ok := v["$top"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 0 {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("The query specified in the URI is not valid. Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", s[0]))
			return q, false
		}
		if maxTop > 0 && n > maxTop {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("The query specified in the URI is not valid. The limit of '%d' for Top query has been exceeded. The value from the incoming request is '%d'.", maxTop, n))
			return q, false
		}
		q.top = n
	}
	if s, ok := v["$skip"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 0 {
			writeMessage(w, http.StatusBadRequest, fmt.Sprintf("The query specified in the URI is not valid. Invalid value '%s' for $skip query option found. The $skip query option requires a non-negative integer value.", s[0]))
			return q, false
		}
		q.skip = n
	}
	if s, ok := v["$filter"]; ok {
		f, err := compileFilter(s[0], model)
		if err != nil {
			writeFilterError(w, err)
			return q, false
		}
		q.filter = f
	}
	if s, ok := v["$select"]; ok && strings.TrimSpace(s[0]) != "*" {
		et := edmOf(model)
		for _, name := range strings.Split(s[0], ",") {
			name = strings.TrimSpace(name)
			if strings.Contains(name, "/") {
				writeProblem(w, http.StatusBadRequest, snelstart.CodeInvalidODataFilter, fmt.Sprintf("$select of a nested property ('%s') is not supported by the sandbox", name))
				return q, false
			}
			if _, ok := et.props[name]; !ok {
				writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Could not find a property named '%s' on type '%s'.", name, et.name))
				return q, false
			}
			r, n := utf8.DecodeRuneInString(name)
			q.selec = append(q.selec, string(unicode.ToLower(r))+name[n:])
		}
	}
	return q, true
}

func writeFilterError(w http.ResponseWriter, err error) {
	var fe *filterError
	if errors.As(err, &fe) && fe.kind == filterSemantic {
		writeMessage(w, http.StatusBadRequest, fe.msg)
		return
	}
	writeProblem(w, http.StatusBadRequest, snelstart.CodeInvalidODataFilter, err.Error())
}

// page applies q's filter, $skip and $top to items.
func page[T any](q listQuery, items []*T) []*T {
	out := make([]*T, 0, min(len(items), q.top))
	skipped := 0
	for _, it := range items {
		if len(out) >= q.top {
			break
		}
		if !q.filter.match(it) {
			continue
		}
		if skipped < q.skip {
			skipped++
			continue
		}
		out = append(out, it)
	}
	return out
}

// writeList answers 200 with items as a bare JSON array, as SnelStart does
// (no count, no next link), keeping only the $select properties.
func writeList[T any](w http.ResponseWriter, q listQuery, items []T) {
	if q.selec == nil {
		if items == nil {
			items = []T{}
		}
		writeJSON(w, http.StatusOK, items)
		return
	}
	out := make([]map[string]json.RawMessage, 0, len(items))
	for _, it := range items {
		b, err := json.Marshal(it)
		var m map[string]json.RawMessage
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "An error has occurred.")
			return
		}
		sel := map[string]json.RawMessage{}
		for _, k := range q.selec {
			if v, ok := m[k]; ok {
				sel[k] = v
			}
		}
		out = append(out, sel)
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeBody reads r's JSON body into v. An empty body (or null) answers
// ALG-0106; JSON that does not fit the model answers the model-binding
// shape, or the problem invalidCode if that is not empty (relaties use
// REL-0066).
func decodeBody(w http.ResponseWriter, r *http.Request, v any, invalidCode string) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		writeMessage(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
		return false
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		writeProblem(w, http.StatusBadRequest, snelstart.CodeEmptyRequest)
		return false
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		field, msg := "model", err.Error()
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = "model." + te.Field
			msg = fmt.Sprintf("Error converting value of type %s to %s.", te.Value, te.Type)
		}
		if invalidCode != "" {
			writeProblem(w, http.StatusBadRequest, invalidCode, field+": "+msg)
			return false
		}
		writeJSON(w, http.StatusBadRequest, struct {
			Message    string              `json:"message"`
			ModelState map[string][]string `json:"modelState"`
		}{"The request is invalid.", map[string][]string{field: {msg}}})
		return false
	}
	if ms := badIDs(reflect.ValueOf(v), "model", modelState{}); len(ms) > 0 {
		if invalidCode != "" {
			for field, msgs := range ms {
				writeProblem(w, http.StatusBadRequest, invalidCode, field+": "+msgs[0])
				return false
			}
		}
		writeModelState(w, ms)
		return false
	}
	return true
}

// badIDs adds to ms every id in v (a decoded model) that is not a GUID, as
// ASP.NET's model binding refuses it, by JSON path.
func badIDs(v reflect.Value, path string, ms modelState) modelState {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			badIDs(v.Elem(), path, ms)
		}
	case reflect.Slice:
		for i := range v.Len() {
			badIDs(v.Index(i), fmt.Sprintf("%s[%d]", path, i), ms)
		}
	case reflect.Struct:
		if v.Type() == typeDecimal || v.Type() == typeLocalTime {
			return ms
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			badIDs(v.Field(i), path+"."+name, ms)
		}
	case reflect.String:
		if v.Type() == typeID && v.Len() > 0 && !guidRe.MatchString(v.String()) {
			ms[path] = append(ms[path], fmt.Sprintf("Error converting value %q to type 'System.Guid'.", v.String()))
		}
	}
	return ms
}

// tooLong reports whether s has more than n characters.
func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }
