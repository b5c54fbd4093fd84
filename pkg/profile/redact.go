package profile

import (
	"net/url"
	"slices"
	"strings"
)

// redacted is the text that replaces a secret in a [Config.Redacted] copy.
const redacted = "[redacted]"

// Redacted returns a deep copy of c that is safe to print or log: every
// non-empty secret (admin token, webshop credentials and webhook secrets,
// SnelStart keys) is replaced by "[redacted]", and so is the password in the
// NATS and Redis URLs. c itself is not modified.
func (c *Config) Redacted() *Config {
	if c == nil {
		return nil
	}
	r := *c
	r.Server.AdminToken = redact(r.Server.AdminToken)
	r.NATS.URL = redactURL(r.NATS.URL)
	r.Idempotency.RedisURL = redactURL(r.Idempotency.RedisURL)
	r.Profiles = slices.Clone(c.Profiles)
	for i := range r.Profiles {
		p := &r.Profiles[i]
		p.Orders.ImportStatuses = slices.Clone(p.Orders.ImportStatuses)
		p.Webshop.ConsumerKey = redact(p.Webshop.ConsumerKey)
		p.Webshop.ConsumerSecret = redact(p.Webshop.ConsumerSecret)
		p.Webshop.AccessToken = redact(p.Webshop.AccessToken)
		p.Webshop.AccessTokenSecret = redact(p.Webshop.AccessTokenSecret)
		p.Webshop.WebhookSecret = redact(p.Webshop.WebhookSecret)
		p.SnelStart.ClientKey = redact(p.SnelStart.ClientKey)
		p.SnelStart.SubscriptionKey = redact(p.SnelStart.SubscriptionKey)
	}
	return &r
}

func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactURL replaces the password in each of the comma-separated URLs in s
// (NATS accepts a list). A URL with userinfo that does not parse is replaced
// whole, since where its secret sits cannot be told.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for i, part := range parts {
		u, err := url.Parse(strings.TrimSpace(part))
		switch {
		case err != nil:
			if strings.Contains(part, "@") {
				parts[i] = redacted
			}
		case u.User != nil:
			if _, hasPassword := u.User.Password(); hasPassword {
				u.User = url.UserPassword(u.User.Username(), "x")
				parts[i] = strings.Replace(u.String(), ":x@", ":"+redacted+"@", 1)
			}
		}
	}
	return strings.Join(parts, ",")
}
