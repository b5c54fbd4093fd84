package spectest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart/spectest"
)

var jsonHeader = http.Header{"Content-Type": {"application/json; charset=utf-8"}}

func TestEmbeddedDefinitionIsTheReference(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "snelstart-b2b-api-v2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != spectest.SpecSHA256 {
		t.Errorf("testdata definition sha256 = %s, want %s", got, spectest.SpecSHA256)
	}
}

func TestLandenResponse(t *testing.T) {
	t.Parallel()
	spec := spectest.Load(t)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:18080/v2/landen", nil)
	tests := map[string]struct {
		status  int
		body    string
		wantErr string // substring of the error; "" means valid
	}{
		"two countries": {
			status: 200,
			body: `[{"naam":"Nederland","landcodeISO":"NLD","landcode":"NL","id":"c4335f00-c6a6-48fd-b89f-108657d12ccf","uri":"/landen/c4335f00-c6a6-48fd-b89f-108657d12ccf"},
			        {"naam":"België","landcodeISO":"BEL","landcode":"BE","id":"96588D87-DE68-4345-A999-F7F4ED07A9DC"}]`,
		},
		"empty list":       {status: 200, body: `[]`},
		"object not array": {status: 200, body: `{"naam":"Nederland"}`, wantErr: "at /: "},
		"naam is a number": {
			status:  200,
			body:    `[{"naam":42,"landcode":"NL","id":"c4335f00-c6a6-48fd-b89f-108657d12ccf"}]`,
			wantErr: "at /0/naam",
		},
		"id is not a guid": {
			status:  200,
			body:    `[{"naam":"Nederland","id":"NL"}]`,
			wantErr: "at /0/id",
		},
		"status not in the definition": {status: 418, body: `{}`, wantErr: "status 418"},
		"gateway 429":                  {status: 429, body: `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 12 seconds."}`},
		"gateway 401 without message":  {status: 401, body: `{"statusCode":401}`, wantErr: "no \"message\""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := spec.CheckResponse(req, tt.status, jsonHeader, []byte(tt.body))
			if err != nil {
				t.Log(err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckResponse: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("CheckResponse accepted an invalid response")
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("CheckResponse error %q does not contain %q", err, tt.wantErr)
			}
			if err != nil && tt.status == 200 && !strings.Contains(err.Error(), "GET /v2/landen (operation v2-landen-GET)") {
				t.Errorf("error %q does not name the operation", err)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	spec := spectest.Load(t)
	const order = `{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0"},"datum":"2025-03-14T00:00:00",
		"verkooporderBtwIngaveModel":"Inclusief","regels":[{"artikel":{"id":"36cda20f-3b9b-4abe-8764-d0ec4b869707"},"stuksprijs":24.95,"aantal":2}]}`
	tests := map[string]struct {
		method, target, contentType, body string
		wantErr                           string
	}{
		"post order":               {method: "POST", target: "/v2/verkooporders", contentType: "application/json", body: order},
		"post order on any host":   {method: "POST", target: "http://127.0.0.1:39999/v2/verkooporders", contentType: "application/json", body: order},
		"order without relatie":    {method: "POST", target: "/v2/verkooporders", contentType: "application/json", body: `{"datum":"2025-03-14T00:00:00"}`, wantErr: `property "relatie" is missing`},
		"order date with zone":     {method: "POST", target: "/v2/verkooporders", contentType: "application/json", body: `{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0"},"datum":"2025-03-14T00:00:00Z"}`, wantErr: "at /datum"},
		"order with read-only uri": {method: "POST", target: "/v2/verkooporders", contentType: "application/json", body: `{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0","uri":"/relaties/x"},"datum":"2025-03-14T00:00:00"}`, wantErr: "at /relatie/uri"},
		"unknown procesStatus":     {method: "POST", target: "/v2/verkooporders", contentType: "application/json", body: `{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0"},"datum":"2025-03-14T00:00:00","procesStatus":"Verzonden"}`, wantErr: "at /procesStatus"},
		"artikelen top 25":         {method: "GET", target: "/v2/artikelen?$top=25&$skip=50"},
		"artikelen top 500":        {method: "GET", target: "/v2/artikelen?$top=500", wantErr: `"$top"`},
		"artikel with relatie":     {method: "GET", target: "/v2/artikelen/36cda20f-3b9b-4abe-8764-d0ec4b869707?relatieId=5830cec3-8929-4703-80b4-bd695402a7b0&aantal=2"},
		"unknown path":             {method: "GET", target: "/v2/bestellingen", wantErr: "no such operation"},
		"no PATCH":                 {method: "PATCH", target: "/v2/verkooporders/5830cec3-8929-4703-80b4-bd695402a7b0", wantErr: "no such operation"},
		"token":                    {method: "POST", target: "https://auth.snelstart.nl/b2b/token", contentType: "application/x-www-form-urlencoded", body: "grant_type=clientkey&clientkey=a2V5OnNlY3JldA%3D%3D"},
		"token without clientkey":  {method: "POST", target: "/b2b/token", contentType: "application/x-www-form-urlencoded", body: "grant_type=clientkey", wantErr: "clientkey"},
		"token as json":            {method: "POST", target: "/b2b/token", contentType: "application/json", body: `{"grant_type":"clientkey","clientkey":"x"}`, wantErr: "Content-Type"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			err := spec.CheckRequest(req, []byte(tt.body))
			if err != nil {
				t.Log(err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckRequest: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("CheckRequest accepted an invalid request")
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("CheckRequest error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestResponses(t *testing.T) {
	t.Parallel()
	spec := spectest.Load(t)
	const id = "36cda20f-3b9b-4abe-8764-d0ec4b869707"
	tests := map[string]struct {
		method, target string
		status         int
		body           string
		wantErr        string
	}{
		"artikel with prijsafspraak": {
			method: "GET", target: "/v2/artikelen/" + id + "?relatieId=5830cec3-8929-4703-80b4-bd695402a7b0&aantal=1", status: 200,
			body: `{"artikelcode":"308","omschrijving":"T-shirt","verkoopprijs":24.95,"id":"` + id + `",
				"prijsafspraak":{"relatie":{"id":"5830cec3-8929-4703-80b4-bd695402a7b0"},"artikel":{"id":"` + id + `"},"datum":"2025-03-14T00:00:00",
				"aantal":1,"korting":10.0,"verkoopprijs":22.46,"basisprijs":24.95,"prijsBepalingSoort":"AfspraakPerArtikelklant"}}`,
		},
		"artikel with bad prijsafspraak": {
			method: "GET", target: "/v2/artikelen/" + id, status: 200,
			body:    `{"id":"` + id + `","prijsafspraak":{"prijsBepalingSoort":"Gratis"}}`,
			wantErr: "at /prijsafspraak/prijsBepalingSoort",
		},
		"order with fractional modifiedOn": {
			method: "GET", target: "/v2/verkooporders/" + id, status: 200,
			body: `{"relatie":{"id":"` + id + `","uri":"/relaties/` + id + `"},"datum":"2025-03-14T00:00:00","modifiedOn":"2025-03-14T10:22:31.517","nummer":20250042,"totaalInclusiefBtw":49.86}`,
		},
		"order missing datum": {
			method: "GET", target: "/v2/verkooporders/" + id, status: 200,
			body:    `{"relatie":{"id":"` + id + `"}}`,
			wantErr: `property "datum" is missing`,
		},
		"business rule error": {
			method: "POST", target: "/v2/verkooporders", status: 400,
			body: `[{"errorCode":"VOR-0002","message":"De relatie is geen klant"}]`,
		},
		"error array without code": {
			method: "POST", target: "/v2/verkooporders", status: 400,
			body:    `[{"message":"De relatie is geen klant"}]`,
			wantErr: "errorCode",
		},
		"echo":            {method: "GET", target: "/v2/echo/hallo", status: 200, body: `"hallo"`},
		"echo empty":      {method: "GET", target: "/v2/echo/x", status: 204},
		"delete order":    {method: "DELETE", target: "/v2/verkooporders/" + id, status: 201, body: `{}`},
		"token":           {method: "POST", target: "/b2b/token", status: 200, body: `{"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig","token_type":"bearer","expires_in":3599}`},
		"token no type":   {method: "POST", target: "/b2b/token", status: 200, body: `{"access_token":"x","expires_in":3599}`, wantErr: "token_type"},
		"token refused":   {method: "POST", target: "/b2b/token", status: 400, body: `{"error":"GrantType clientkey was found. Parameter clientkey does not contain a valid value"}`},
		"company info":    {method: "GET", target: "/v2/companyInfo", status: 200, body: `{"administratieIdentifier":"` + id + `","administratieNaam":"Demo","regelkortingVerkooporder":"BerekenenOverStukprijs"}`},
		"relaties page":   {method: "GET", target: "/v2/relaties?%24filter=Relatiesoort%2Fany%28r%3Ar+eq+%27Klant%27%29&%24top=500", status: 200, body: `[{"relatiesoort":["Klant"],"naam":"Jansen B.V.","relatiecode":2,"id":"` + id + `"}]`},
		"relatie naam 51": {method: "GET", target: "/v2/relaties/" + id, status: 200, body: `{"naam":"` + strings.Repeat("x", 51) + `"}`, wantErr: "at /naam"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			err := spec.CheckResponse(req, tt.status, jsonHeader, []byte(tt.body))
			if err != nil {
				t.Log(err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckResponse: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("CheckResponse accepted an invalid response")
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("CheckResponse error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestValidateFailsTheTest checks that the testing.TB helpers report through
// t, using a recorder in place of a real test.
func TestValidateFailsTheTest(t *testing.T) {
	spec := spectest.Load(t)
	req := httptest.NewRequest(http.MethodGet, "/v2/landen", nil)
	rec := &recorder{TB: t}
	spec.ValidateResponse(rec, req, 200, jsonHeader, []byte(`[{"naam":1}]`))
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "SnelStart contract: GET /v2/landen") {
		t.Errorf("ValidateResponse reported %q", rec.errors)
	}
	rec.errors = nil
	spec.ValidateResponse(rec, req, 200, jsonHeader, []byte(`[{"naam":"Nederland"}]`))
	spec.ValidateRequest(rec, req, nil)
	if len(rec.errors) != 0 {
		t.Errorf("valid exchange reported %q", rec.errors)
	}
}

type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
