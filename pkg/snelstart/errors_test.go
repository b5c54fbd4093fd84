package snelstart_test

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

// The bodies are those of shared/reference/snelstart-api.md §1, §2.1 and §3.
func TestParseError(t *testing.T) {
	tests := map[string]struct {
		status    int
		header    http.Header
		body      string
		token     bool // parse with ParseTokenError
		codes     []string
		messages  []string
		fields    map[string][]string
		retry     time.Duration
		temporary bool
		gateway   bool
		text      string // substring of Error()
	}{
		"business rule array": {
			status: 400, body: `[{"errorCode":"VOR-0002","message":"De relatie is geen klant"}]`,
			codes: []string{"VOR-0002"}, messages: []string{"De relatie is geen klant"},
			text: "snelstart: 400 Bad Request [VOR-0002]: De relatie is geen klant",
		},
		"array of two with details": {
			status: 400,
			body:   `[{"errorCode":"REL-0007","message":"Naam moet gevuld zijn","details":null},{"errorCode":"REL-0061","message":"Email ongeldig","details":"info@@jansen.nl"}]`,
			codes:  []string{"REL-0007", "REL-0061"}, messages: []string{"Naam moet gevuld zijn", "Email ongeldig - info@@jansen.nl"},
			text: "[REL-0007 REL-0061]: Naam moet gevuld zijn; Email ongeldig - info@@jansen.nl",
		},
		"relatiecode in use": {
			status: 400, body: `[{"errorCode":"REL-0008","message":"Relatiecode reeds in gebruik"}]`,
			codes: []string{"REL-0008"}, messages: []string{"Relatiecode reeds in gebruik"},
		},
		"not found as code array": {
			status: 404, body: `[{"errorCode":"REL-0005","message":"Relatie niet gevonden"}]`,
			codes: []string{"REL-0005"}, messages: []string{"Relatie niet gevonden"},
		},
		"OData capital Message": {
			status:   400,
			body:     `{"Message":"Could not find a property named 'naam' on type 'SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel'."}`,
			messages: []string{"Could not find a property named 'naam' on type 'SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel'."},
		},
		"top limit": {
			status:   400,
			body:     `{"Message":"The limit of '25' for Top query has been exceeded. The value from the incoming request is '500'."}`,
			messages: []string{"The limit of '25' for Top query has been exceeded. The value from the incoming request is '500'."},
		},
		"model state": {
			status:   400,
			body:     `{"message":"The request is invalid.","modelState":{"model.datum":["Could not convert string to DateTime: morgen."],"model.regels[0].aantal":["Input string was not in a correct format."]}}`,
			messages: []string{"The request is invalid."},
			fields: map[string][]string{
				"model.datum":            {"Could not convert string to DateTime: morgen."},
				"model.regels[0].aantal": {"Input string was not in a correct format."},
			},
			text: "The request is invalid.; model.datum: Could not convert string to DateTime: morgen.; model.regels[0].aantal: Input",
		},
		"gateway bad subscription key": {
			status:   401,
			body:     `{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}`,
			messages: []string{"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."},
			gateway:  true,
		},
		"gateway rate limit with header": {
			status:   429,
			header:   http.Header{"Retry-After": {"7"}},
			body:     `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 12 seconds."}`,
			messages: []string{"Rate limit is exceeded. Try again in 12 seconds."},
			retry:    7 * time.Second, temporary: true, gateway: true,
			text: "(retry after 7s)",
		},
		"gateway rate limit without header": {
			status:   429,
			body:     `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 12 seconds."}`,
			messages: []string{"Rate limit is exceeded. Try again in 12 seconds."},
			retry:    12 * time.Second, temporary: true, gateway: true,
		},
		"gateway quota": {
			status:   403,
			body:     `{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:59:12."}`,
			messages: []string{"Out of call volume quota. Quota will be replenished in 00:59:12."},
			retry:    59*time.Minute + 12*time.Second, temporary: true, gateway: true,
		},
		"missing scope": {status: 403, body: ``, text: "snelstart: 403 Forbidden"},
		"token bad client key": {
			status: 400, token: true,
			body:     `{"error":"GrantType clientkey was found. Parameter clientkey does not contain a valid value"}`,
			messages: []string{"GrantType clientkey was found. Parameter clientkey does not contain a valid value"},
			text:     "snelstart token: 400 Bad Request",
		},
		"token OAuth with description": {
			status: 400,
			body:   `{"error":"invalid_grant","error_description":"The client key is invalid."}`, token: true,
			messages: []string{"invalid_grant: The client key is invalid."},
		},
		"server error html": {
			status: 502, body: "<html><body>Bad Gateway</body></html>\n<p>more</p>",
			messages: []string{"<html><body>Bad Gateway</body></html>"}, temporary: true,
		},
		"code only in text": {
			status: 400, body: `{"Message":"BOE-0021: Factuurnummer bestaat al"}`,
			codes: []string{"BOE-0021"}, messages: []string{"BOE-0021: Factuurnummer bestaat al"},
		},
		"unknown JSON": {status: 500, body: `{"foo":1}`, messages: []string{`{"foo":1}`}, temporary: true},
		"retry after as date": {
			status: 503, header: http.Header{"Retry-After": {"Mon, 02 Jan 2006 15:04:05 GMT"}}, // in the past: no wait
			temporary: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			parse := snelstart.ParseError
			if tt.token {
				parse = snelstart.ParseTokenError
			}
			e := parse(tt.status, tt.header, []byte(tt.body))
			if e.Status != tt.status {
				t.Errorf("Status = %d, want %d", e.Status, tt.status)
			}
			if !reflect.DeepEqual(e.Codes, tt.codes) {
				t.Errorf("Codes = %q, want %q", e.Codes, tt.codes)
			}
			if !reflect.DeepEqual(e.Messages, tt.messages) {
				t.Errorf("Messages = %q, want %q", e.Messages, tt.messages)
			}
			if !reflect.DeepEqual(e.Fields, tt.fields) {
				t.Errorf("Fields = %q, want %q", e.Fields, tt.fields)
			}
			if e.RetryAfter != tt.retry {
				t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, tt.retry)
			}
			if e.Temporary() != tt.temporary {
				t.Errorf("Temporary() = %t, want %t", e.Temporary(), tt.temporary)
			}
			if e.Permanent() == tt.temporary {
				t.Errorf("Permanent() = %t with Temporary() = %t", e.Permanent(), tt.temporary)
			}
			if e.Gateway != tt.gateway {
				t.Errorf("Gateway = %t, want %t", e.Gateway, tt.gateway)
			}
			if e.Token != tt.token {
				t.Errorf("Token = %t, want %t", e.Token, tt.token)
			}
			if !strings.Contains(e.Error(), tt.text) {
				t.Errorf("Error() = %q, want it to contain %q", e.Error(), tt.text)
			}
			if string(e.Body) != tt.body {
				t.Errorf("Body = %q, want the raw body", e.Body)
			}
		})
	}
}

func TestCredentialFailures(t *testing.T) {
	badSubscription := snelstart.ParseError(401, nil, []byte(`{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}`))
	missingSubscription := snelstart.ParseError(401, nil, []byte(`{"statusCode":401,"message":"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}`))
	badClientKey := snelstart.ParseTokenError(400, nil, []byte(`{"error":"GrantType clientkey was found. Parameter clientkey does not contain a valid value"}`))
	withdrawnClientKey := snelstart.ParseTokenError(401, nil, nil)
	expiredToken := snelstart.ParseError(401, nil, nil)
	notCustomer := snelstart.ParseError(400, nil, []byte(`[{"errorCode":"VOR-0002","message":"De relatie is geen klant"}]`))

	tests := map[string]struct {
		err                                  error
		subscription, clientKey, tokenReject bool
	}{
		"bad subscription key":     {err: badSubscription, subscription: true},
		"missing subscription key": {err: missingSubscription, subscription: true},
		"bad client key":           {err: badClientKey, clientKey: true},
		"withdrawn client key":     {err: withdrawnClientKey, clientKey: true},
		"expired token":            {err: expiredToken, tokenReject: true},
		"business rule":            {err: notCustomer},
		"wrapped bad subscription": {err: fmt.Errorf("create order 1042: %w", badSubscription), subscription: true},
		"other error":              {err: errors.New("connection reset")},
		"nil":                      {err: nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := snelstart.IsBadSubscriptionKey(tt.err); got != tt.subscription {
				t.Errorf("IsBadSubscriptionKey = %t, want %t", got, tt.subscription)
			}
			if got := snelstart.IsBadClientKey(tt.err); got != tt.clientKey {
				t.Errorf("IsBadClientKey = %t, want %t", got, tt.clientKey)
			}
			if got := snelstart.IsBadToken(tt.err); got != tt.tokenReject {
				t.Errorf("IsBadToken = %t, want %t", got, tt.tokenReject)
			}
		})
	}

	wrapped := fmt.Errorf("book order: %w", notCustomer)
	if !snelstart.HasCode(wrapped, snelstart.CodeRelatieNotKlant) || snelstart.HasCode(wrapped, snelstart.CodeOrderNotFound) {
		t.Errorf("HasCode on %v is wrong", wrapped)
	}
	var e *snelstart.Error
	if !errors.As(wrapped, &e) || !e.Permanent() {
		t.Errorf("errors.As(%v) did not give a permanent *Error", wrapped)
	}
}
