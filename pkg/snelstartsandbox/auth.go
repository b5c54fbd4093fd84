package snelstartsandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

// Gateway texts of Azure API Management for the subscription key
// (snelstart-api.md §1.1, §3).
const (
	msgMissingSubscriptionKey = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
	msgInvalidSubscriptionKey = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
	// msgDenied is ASP.NET Web API's answer to a missing, unknown or
	// expired bearer token.
	msgDenied = "Authorization has been denied for this request."
	// errBadClientKey is the token endpoint's answer to an unknown
	// koppelsleutel, as schakl's fake, modelled on live behaviour, gives it
	// (snelstart-api.md §1.2).
	errBadClientKey = "GrantType clientkey was found. Parameter clientkey does not contain a valid value"
)

// checkSubscriptionKey answers 401 in the gateway's shape unless r carries a
// known subscription key, in the Ocp-Apim-Subscription-Key header or the
// subscription-key query parameter.
func (s *Sandbox) checkSubscriptionKey(w http.ResponseWriter, r *http.Request) bool {
	k := r.Header.Get(snelstart.HeaderSubscriptionKey)
	if k == "" {
		k = r.URL.Query().Get("subscription-key")
	}
	switch {
	case k == "":
		writeGateway(w, http.StatusUnauthorized, msgMissingSubscriptionKey)
		return false
	case !s.subKeys[k]:
		writeGateway(w, http.StatusUnauthorized, msgInvalidSubscriptionKey)
		return false
	}
	return true
}

// tokenClaims is the payload of a sandbox access token: a JWT whose scopes
// claim lists the granted scopes, as SnelStart's does (snelstart-api.md
// §1.2). sub is the administratieIdentifier; jti numbers the tokens of the
// sandbox, so that [Sandbox.ExpireTokens] can refuse those issued before
// it; times are Unix seconds with a fraction.
type tokenClaims struct {
	Sub    string   `json:"sub"`
	Scopes []string `json:"scopes"`
	Jti    string   `json:"jti"`
	Iat    float64  `json:"iat"`
	Exp    float64  `json:"exp"`
}

var tokenHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func unixSeconds(t time.Time) float64 {
	return math.Round(float64(t.UnixNano())/1e6) / 1e3
}

// token serves POST /b2b/token: form grant_type=clientkey&clientkey=…; no
// subscription key needed.
func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if r.PostForm.Get(snelstart.TokenFieldGrantType) != snelstart.GrantTypeClientKey {
		writeOAuth(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	a := s.admins[r.PostForm.Get(snelstart.TokenFieldClientKey)]
	if a == nil {
		writeOAuth(w, http.StatusBadRequest, errBadClientKey)
		return
	}
	if c := callFrom(r.Context()); c != nil {
		c.admin = a
	}
	now := s.now()
	claims := tokenClaims{Sub: string(a.company.AdministratieIdentifier), Scopes: a.scopes,
		Jti: strconv.FormatInt(s.tokenSeq.Add(1), 10), Iat: unixSeconds(now), Exp: unixSeconds(now.Add(s.lifetime))}
	payload, _ := json.Marshal(claims)
	unsigned := tokenHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, snelstart.Token{
		AccessToken: unsigned + "." + s.sign(unsigned),
		TokenType:   snelstart.TokenTypeBearer,
		ExpiresIn:   max(1, int(s.lifetime/time.Second)),
	})
}

func (s *Sandbox) sign(unsigned string) string {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(unsigned))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authenticate returns the administration and scopes of r's bearer token,
// or answers 401 as ASP.NET Web API does for a missing, unknown or expired
// token.
func (s *Sandbox) authenticate(w http.ResponseWriter, r *http.Request) (*Administratie, []string, bool) {
	deny := func() (*Administratie, []string, bool) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeMessage(w, http.StatusUnauthorized, msgDenied)
		return nil, nil, false
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return deny()
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 || parts[0] != tokenHeader {
		return deny()
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.sign(parts[0]+"."+parts[1]))) {
		return deny()
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return deny()
	}
	var c tokenClaims
	if json.Unmarshal(payload, &c) != nil {
		return deny()
	}
	seq, err := strconv.ParseInt(c.Jti, 10, 64)
	if err != nil || seq <= s.tokenCutoff.Load() || unixSeconds(s.now()) >= c.Exp {
		return deny()
	}
	a := s.byAdmin[strings.ToLower(c.Sub)]
	if a == nil {
		return deny()
	}
	return a, c.Scopes, true
}
