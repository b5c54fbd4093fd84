package webshop

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// oauth1 signs requests with OAuth 1.0a (RFC 5849) using HMAC-SHA256 and
// all four credentials of a Magento integration, the "one-legged" way: no
// token exchange, the access token is already granted. It is safe for
// concurrent use.
type oauth1 struct {
	consumerKey, consumerSecret string
	token, tokenSecret          string
	now                         func() time.Time // tests fix it; default time.Now
	nonce                       func() string    // tests fix it; default 16 random bytes, hex
}

// authorize sets the Authorization header of req to a signed
// "OAuth ..." value. The signature covers the method, the URL without
// query and the query parameters (RFC 5849 §3.4.1); GET requests carry no
// body parameters.
func (o *oauth1) authorize(req *http.Request) {
	now, nonce := time.Now, randomNonce
	if o.now != nil {
		now = o.now
	}
	if o.nonce != nil {
		nonce = o.nonce
	}
	params := [][2]string{
		{"oauth_consumer_key", o.consumerKey},
		{"oauth_nonce", nonce()},
		{"oauth_signature_method", "HMAC-SHA256"},
		{"oauth_timestamp", strconv.FormatInt(now().Unix(), 10)},
		{"oauth_token", o.token},
		{"oauth_version", "1.0"},
	}
	base := oauthBaseString(req.Method, req.URL, append(queryParams(req.URL.RawQuery), params...))
	sig := oauthSignature(sha256.New, base, o.consumerSecret, o.tokenSecret)
	params = append(params, [2]string{"oauth_signature", sig})
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, kv := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(percentEncode(kv[0]))
		b.WriteString(`="`)
		b.WriteString(percentEncode(kv[1]))
		b.WriteByte('"')
	}
	req.Header.Set("Authorization", b.String())
}

func randomNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// queryParams splits a raw query into decoded name/value pairs in the
// order they appear, as RFC 5849 §3.4.1.3.1 reads them: "+" is a space, a
// name without "=" has an empty value, and repeated names are all kept.
// An undecodable pair is kept as it is.
func queryParams(raw string) [][2]string {
	var out [][2]string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// oauthBaseString builds the signature base string of RFC 5849 §3.4.1:
// the upper-case method, the base string URI (§3.4.1.2: lower-case scheme
// and host, default port dropped, path kept, no query) and the normalized
// parameters (§3.4.1.3.2: each name and value percent-encoded, sorted by
// name then value in byte order, joined as name=value with "&"), each
// percent-encoded and joined with "&". params are decoded pairs: query,
// form body and oauth_* protocol parameters except oauth_signature and
// realm.
//
// Magento's check (laminas-oauth) sorts with strnatcmp instead of byte
// order; the two agree for the parameter names koppel sends, which differ
// before any run of digits that could compare otherwise.
func oauthBaseString(method string, u *url.URL, params [][2]string) string {
	enc := make([][2]string, 0, len(params))
	for _, kv := range params {
		if kv[0] == "oauth_signature" || kv[0] == "realm" {
			continue
		}
		enc = append(enc, [2]string{percentEncode(kv[0]), percentEncode(kv[1])})
	}
	slices.SortFunc(enc, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	pairs := make([]string, len(enc))
	for i, kv := range enc {
		pairs[i] = kv[0] + "=" + kv[1]
	}

	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return strings.ToUpper(method) + "&" +
		percentEncode(scheme+"://"+host+path) + "&" +
		percentEncode(strings.Join(pairs, "&"))
}

// oauthSignature returns base64(HMAC(key, base)) with key the encoded
// consumer secret and token secret joined by "&" (RFC 5849 §3.4.2).
func oauthSignature(h func() hash.Hash, base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(h, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
