// Package spectest checks HTTP requests and responses against SnelStart's
// own OpenAPI definition of the B2B API v2, so that the API client and the
// sandbox server are tested against the contract rather than against each
// other.
//
// The definition is embedded: testdata/snelstart-b2b-api-v2.yaml is a
// byte-for-byte copy of shared/reference/snelstart-b2b-api-v2.yaml (sha256
// [SpecSHA256]), so tests need nothing outside the checkout.
//
// A few things the definition gets wrong or leaves out are patched,
// narrowly, after loading; [Patches] lists each with its source. Everything
// else is validated as published, including readOnly properties in requests
// (send a [github.com/koppel/koppel/pkg/snelstart.Ref] with its id only),
// formats, enums, maxLength and the $top maxima (25 on /artikelen).
//
// Typical use in a test:
//
//	spec := spectest.Load(t)
//	spec.ValidateRequest(t, req, body)
//	spec.ValidateResponse(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
package spectest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed testdata/snelstart-b2b-api-v2.yaml
var specYAML []byte

// SpecSHA256 is the sha256 of the embedded definition, as
// shared/reference/snelstart-api.md names it.
const SpecSHA256 = "08a9f5ea4453ae5ebd6867aa029a037efa3b91fdab73f47b910c2bcdde2b6ff2"

// SchemaPrefix is the prefix of the definition's model schema names:
// SchemaPrefix + "Verkooporders.VerkoopOrderModel".
const SchemaPrefix = "SnelStart.B2B.Api.V2.Models."

// Patches describes, one line each, how the loaded definition differs from
// the published one. Each is narrow, and each names its source in
// shared/reference/snelstart-api.md.
var Patches = []string{
	`servers: "https://b2bapi.snelstart.nl/v2" becomes "/v2", so that requests to any host (a sandbox on 127.0.0.1) match on their path (§13)`,
	`POST /documenten/{documenttype} is dropped: its path template clashes with /documenten/{id}, which makes the document invalid, and koppel uploads no documents`,
	`$top on GET /artikelen and GET /artikelen/prijsafspraken has default 500 but maximum 25; the default becomes 25, the real limit (§2.2)`,
	`ArtikelQueryModel gains property "prijsafspraak" (a PrijsafspraakModel), which GET /artikelen and /artikelen/{id} return when relatieId is passed but the spec omits (§7.3)`,
	`GET /echo/{input} 200 accepts any JSON value: the spec's schema is an empty "type: object", APIM's placeholder for an untyped result, while the operation returns its input (§1.6)`,
	`format date-time accepts SnelStart's naive local time, "2024-05-01T00:00:00" with an optional fraction of up to 7 digits, and rejects a zone (§2.4, §13)`,
	`format uuid is checked: 36-character GUID text in either case (§2.4)`,
	`security schemes are not checked (no-op authentication): a test checks credentials itself`,
	`POST /b2b/token, absent from the spec, is checked against a definition written from §1.2: form grant_type=clientkey and clientkey in, {access_token, token_type "bearer", expires_in} out`,
	`a response status the operation does not list is accepted only if it is one the gateway or server can give any operation (401, 403, 404, 429, 500, 502, 503, 504), and then its body must have one of the error shapes of §3`,
}

// naiveDateTime is SnelStart's date-time: no zone, fraction of at most 7
// digits (.NET ticks).
var naiveDateTime = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,7})?$`)

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// tokenSpec describes the token endpoint, which the API definition leaves
// out, from snelstart-api.md §1.2.
const tokenSpec = `
openapi: 3.0.1
info:
  title: SnelStart token endpoint (snelstart-api.md section 1.2)
  version: '1'
paths:
  /b2b/token:
    post:
      operationId: b2b-token-POST
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [grant_type, clientkey]
              properties:
                grant_type:
                  type: string
                  enum: [clientkey]
                clientkey:
                  type: string
                  minLength: 1
      responses:
        '200':
          description: a new access token
          content:
            application/json:
              schema:
                type: object
                required: [access_token, token_type, expires_in]
                properties:
                  access_token:
                    type: string
                    minLength: 1
                  token_type:
                    type: string
                    enum: [bearer]
                  expires_in:
                    type: integer
                    minimum: 1
        '400':
          description: the koppelsleutel was refused
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/OAuthError'
        '401':
          description: the koppelsleutel was refused
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/OAuthError'
components:
  schemas:
    OAuthError:
      type: object
      required: [error]
      properties:
        error:
          type: string
        error_description:
          type: string
`

// genericStatuses are the statuses any operation may answer although the
// definition lists them for none or only some: the gateway's 401 (bad
// subscription key or token), 403 (scope or quota), 429 (rate limit), 5xx,
// and 404 (snelstart-api.md §2.1, §3).
var genericStatuses = map[int]bool{401: true, 403: true, 404: true, 429: true, 500: true, 502: true, 503: true, 504: true}

// A Spec is the loaded, patched definition with routers for the API and the
// token endpoint. It is safe for concurrent use.
type Spec struct {
	Doc *openapi3.T // the patched API definition; do not modify

	api, token routers.Router
	names      map[*openapi3.Schema]string // schema → "VerkooporderRegelModel.stuksprijs", for messages
}

var (
	loadOnce sync.Once
	loaded   *Spec
	errLoad  error
)

// Load returns the patched definition, parsed once per test binary. It fails
// t if the definition does not load.
func Load(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() { loaded, errLoad = New() })
	if errLoad != nil {
		t.Fatalf("spectest: %v", errLoad)
	}
	return loaded
}

// LoadRaw returns the definition exactly as published, unpatched and newly
// parsed, for tests that compare against it (such as the guard that every
// model field exists in the definition). As published it does not pass
// OpenAPI validation (see [Patches]), so it is not validated. It fails t if
// the definition does not load.
func LoadRaw(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := parse(specYAML)
	if err != nil {
		t.Fatalf("spectest: %v", err)
	}
	return doc
}

// New loads and patches the definition. Tests use [Load]; New is for
// programs, such as a sandbox that checks what it receives.
func New() (*Spec, error) {
	doc, err := parse(specYAML)
	if err != nil {
		return nil, err
	}
	if err := patch(doc); err != nil {
		return nil, fmt.Errorf("patch definition: %w", err)
	}
	if err := validate(doc); err != nil {
		return nil, err
	}
	api, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route definition: %w", err)
	}
	tdoc, err := parse([]byte(tokenSpec))
	if err == nil {
		err = validate(tdoc)
	}
	if err != nil {
		return nil, fmt.Errorf("token definition: %w", err)
	}
	token, err := gorillamux.NewRouter(tdoc)
	if err != nil {
		return nil, fmt.Errorf("route token definition: %w", err)
	}
	return &Spec{Doc: doc, api: api, token: token, names: schemaNames(doc)}, nil
}

func parse(data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load definition: %w", err)
	}
	return doc, nil
}

// validate checks doc as an OpenAPI document. The published examples use
// placeholders ("modifiedOn: string") that do not match their schemas, so
// examples are never validated.
func validate(doc *openapi3.T, opts ...openapi3.ValidationOption) error {
	opts = append(opts, openapi3.DisableExamplesValidation())
	if err := doc.Validate(context.Background(), opts...); err != nil {
		return fmt.Errorf("validate definition: %w", err)
	}
	return nil
}

// patch applies [Patches] to doc.
func patch(doc *openapi3.T) error {
	doc.Servers = openapi3.Servers{{URL: "/v2"}}

	if doc.Paths.Value("/documenten/{documenttype}") == nil || doc.Paths.Value("/documenten/{id}") == nil {
		return errors.New("the /documenten/{documenttype} clash is gone: drop the patch")
	}
	doc.Paths.Delete("/documenten/{documenttype}")

	for _, path := range []string{"/artikelen", "/artikelen/prijsafspraken"} {
		op := doc.Paths.Find(path)
		if op == nil || op.Get == nil {
			return fmt.Errorf("GET %s missing", path)
		}
		top := op.Get.Parameters.GetByInAndName(openapi3.ParameterInQuery, "$top")
		if top == nil || top.Schema == nil || top.Schema.Value.Max == nil || *top.Schema.Value.Max != 25 || top.Schema.Value.Default != 500.0 {
			return fmt.Errorf("GET %s: $top is no longer default 500, maximum 25: drop the patch", path)
		}
		top.Schema.Value.Default = 25.0
	}

	schemas := doc.Components.Schemas
	artikel, prijsafspraak := schemas[SchemaPrefix+"Artikelen.ArtikelQueryModel"], schemas[SchemaPrefix+"Prijsafspraken.PrijsafspraakModel"]
	if artikel == nil || prijsafspraak == nil {
		return errors.New("ArtikelQueryModel or PrijsafspraakModel missing")
	}
	if _, ok := artikel.Value.Properties["prijsafspraak"]; ok {
		return errors.New("ArtikelQueryModel already has prijsafspraak: drop the patch")
	}
	artikel.Value.Properties["prijsafspraak"] = &openapi3.SchemaRef{
		Ref:   "#/components/schemas/" + SchemaPrefix + "Prijsafspraken.PrijsafspraakModel",
		Value: prijsafspraak.Value,
	}

	echo := doc.Paths.Find("/echo/{input}")
	if echo == nil || echo.Get == nil {
		return errors.New("GET /echo/{input} missing")
	}
	ok := echo.Get.Responses.Status(http.StatusOK)
	if ok == nil {
		return errors.New("GET /echo/{input} has no 200 response")
	}
	for _, mt := range ok.Value.Content {
		mt.Schema = openapi3.NewSchemaRef("", &openapi3.Schema{}) // any JSON value
	}
	return nil
}

// schemaNames maps the definition's component schemas, and their inline
// property schemas, to short names for messages.
func schemaNames(doc *openapi3.T) map[*openapi3.Schema]string {
	names := make(map[*openapi3.Schema]string)
	for name, ref := range doc.Components.Schemas {
		if ref.Value != nil {
			names[ref.Value] = shortName(name)
		}
	}
	for name, ref := range doc.Components.Schemas {
		if ref.Value == nil {
			continue
		}
		for prop, p := range ref.Value.Properties {
			if p.Ref == "" && p.Value != nil && names[p.Value] == "" {
				names[p.Value] = shortName(name) + "." + prop
			}
			if p.Value != nil && p.Value.Items != nil && p.Value.Items.Ref == "" && p.Value.Items.Value != nil && names[p.Value.Items.Value] == "" {
				names[p.Value.Items.Value] = shortName(name) + "." + prop + "[]"
			}
		}
	}
	return names
}

func shortName(name string) string {
	name = strings.TrimPrefix(name, SchemaPrefix)
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return name
}

func (s *Spec) options() *openapi3filter.Options {
	o := &openapi3filter.Options{
		MultiError:          true,
		SkipSettingDefaults: true, // never change the request under test
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
				"date-time": openapi3.NewRegexpFormatValidator(naiveDateTime.String()),
				"uuid":      openapi3.NewRegexpFormatValidator(guid.String()),
			}),
		},
	}
	o.WithCustomSchemaErrorFunc(s.schemaMessage)
	return o
}

// schemaMessage words a schema error as "at /regels/0/stuksprijs: value must
// be a number (VerkooporderRegelModel.stuksprijs: type)".
func (s *Spec) schemaMessage(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" && e.Origin != nil {
		reason = e.Origin.Error()
	}
	if reason == "" {
		reason = "does not match"
	}
	where := s.names[e.Schema]
	if where == "" {
		where = "schema"
	}
	return fmt.Sprintf("at /%s: %s (%s: %s)", strings.Join(e.JSONPointer(), "/"), reason, where, e.SchemaField)
}

// route finds the operation of req, matching on its path only.
func (s *Spec) route(req *http.Request) (*routers.Route, map[string]string, error) {
	r := req.Clone(context.Background())
	r.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	r.Host = ""
	router := s.api
	if r.URL.Path == "/b2b/token" {
		router = s.token
	}
	route, params, err := router.FindRoute(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: no such operation in the SnelStart definition: %w", req.Method, req.URL.Path, err)
	}
	return route, params, nil
}

func opName(route *routers.Route) string {
	path := route.Path
	if len(route.Spec.Servers) > 0 {
		path = strings.TrimSuffix(route.Spec.Servers[0].URL, "/") + path
	}
	return fmt.Sprintf("%s %s (operation %s)", route.Method, path, route.Operation.OperationID)
}

// CheckRequest returns an error naming the operation and every place where
// req, with body as its body, breaks the definition; nil if it conforms.
// req.Body is not read.
func (s *Spec) CheckRequest(req *http.Request, body []byte) error {
	route, params, err := s.route(req)
	if err != nil {
		return err
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: s.options()}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s: request: %w", opName(route), err)
	}
	return nil
}

// CheckResponse returns an error naming the operation and every place where
// the response to req (status, header, body) breaks the definition; nil if
// it conforms. A status the operation does not list passes only if any
// operation may give it (401, 403, 404, 429, 5xx) with an error body of a
// known shape.
func (s *Spec) CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := s.route(req)
	if err != nil {
		return err
	}
	if route.Operation.Responses.Status(status) == nil {
		if !genericStatuses[status] {
			return fmt.Errorf("%s: response status %d is not in the definition", opName(route), status)
		}
		if err := checkErrorBody(body); err != nil {
			return fmt.Errorf("%s: response %d: %w", opName(route), status, err)
		}
		return nil
	}
	if status >= 400 {
		// The definition gives error responses no schema (§3): check the
		// body's shape instead.
		if err := checkErrorBody(body); err != nil {
			return fmt.Errorf("%s: response %d: %w", opName(route), status, err)
		}
	}
	if status == http.StatusNoContent && len(body) == 0 {
		return nil
	}
	if header == nil {
		header = http.Header{}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                s.options(),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s: response %d: %w", opName(route), status, err)
	}
	return nil
}

// checkErrorBody checks that an error body is empty or has one of the
// shapes of snelstart-api.md §3: an array of {errorCode, message}, or an
// object with message (any case), modelState, statusCode or an OAuth error.
func checkErrorBody(body []byte) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '[' {
		var items []map[string]any
		if err := json.Unmarshal(body, &items); err != nil {
			return fmt.Errorf("error body is not an array of objects: %w", err)
		}
		for i, it := range items {
			if _, ok := it["errorCode"].(string); !ok {
				return fmt.Errorf("error body [%d] has no string errorCode", i)
			}
			if _, ok := it["message"].(string); !ok {
				return fmt.Errorf("error body [%d] has no string message", i)
			}
		}
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Errorf("error body is neither a JSON array nor a JSON object: %w", err)
	}
	for _, k := range []string{"message", "Message", "error"} {
		if _, ok := obj[k].(string); ok {
			return nil
		}
	}
	return errors.New(`error body object has no "message", "Message" or OAuth "error" member`)
}

// ValidateRequest fails t, naming the operation and each schema path, if
// req with body breaks the definition (see [Spec.CheckRequest]).
func (s *Spec) ValidateRequest(t testing.TB, req *http.Request, body []byte) {
	t.Helper()
	if err := s.CheckRequest(req, body); err != nil {
		t.Errorf("SnelStart contract: %v", err)
	}
}

// ValidateResponse fails t, naming the operation and each schema path, if
// the response to req breaks the definition (see [Spec.CheckResponse]).
func (s *Spec) ValidateResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := s.CheckResponse(req, status, header, body); err != nil {
		t.Errorf("SnelStart contract: %v", err)
	}
}
