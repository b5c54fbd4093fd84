package webshop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// checkSignature reports whether sig, the value of header, is the standard
// (padded) base64 of HMAC-SHA256(body, secret). It compares the raw MAC bytes
// in constant time. The error wraps ErrSignature and says which header and
// what was wrong, never the expected value.
func checkSignature(header, sig string, secret, body []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", ErrSignature)
	}
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, header)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: %s header is not standard base64", ErrSignature, header)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignature, header)
	}
	return nil
}

// headerValue returns the first value of header name. Besides the canonical
// key it finds keys stored in another case, as in a map built by hand from
// a proxy's lower-cased HTTP/2 headers.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && vs[0] != "" && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// keepHeaders returns the non-empty values of names from h, keyed by their
// canonical form (http.CanonicalHeaderKey).
func keepHeaders(h http.Header, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		if v := headerValue(h, n); v != "" {
			out[http.CanonicalHeaderKey(n)] = v
		}
	}
	return out
}
