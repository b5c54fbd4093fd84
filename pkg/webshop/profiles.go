package webshop

import (
	"fmt"

	"github.com/koppel/koppel/pkg/profile"
)

// ForProfiles returns an adapter for every profile whose platform has one,
// keyed by profile id. A profile on a platform without an adapter yet is an
// error, so a configuration never silently drops a shop's orders.
func ForProfiles(profiles []profile.Profile) (map[string]Adapter, error) {
	out := make(map[string]Adapter, len(profiles))
	for i, p := range profiles {
		a, err := New(Platform(p.Webshop.Platform), Config{
			Secret:          p.Webshop.WebhookSecret,
			SignatureHeader: p.Webshop.SignatureHeader,
			TotalTolerance:  p.Orders.TotalTolerance,
		})
		if err != nil {
			return nil, fmt.Errorf("profiles[%d] (%s): %w", i, p.ID, err)
		}
		out[p.ID] = a
	}
	return out, nil
}

// ListerFor returns the REST client that polls p's shop, or ok false when
// the profile has no shop URL or credentials to poll with.
func ListerFor(p profile.Profile) (l Lister, ok bool, err error) {
	w := p.Webshop
	if w.URL == "" {
		return nil, false, nil
	}
	switch Platform(w.Platform) {
	case WooCommerce:
		if w.ConsumerKey == "" || w.ConsumerSecret == "" {
			return nil, false, nil
		}
		c, err := NewWooClient(WooConfig{URL: w.URL, ConsumerKey: w.ConsumerKey, ConsumerSecret: w.ConsumerSecret, QueryAuth: w.QueryAuth})
		return c, err == nil, err
	case Magento:
		if w.AccessToken == "" {
			return nil, false, nil
		}
		bearer := w.AccessTokenSecret == ""
		c, err := NewMagentoClient(MagentoConfig{URL: w.URL, ConsumerKey: w.ConsumerKey, ConsumerSecret: w.ConsumerSecret,
			AccessToken: w.AccessToken, AccessTokenSecret: w.AccessTokenSecret, Bearer: bearer})
		return c, err == nil, err
	}
	return nil, false, nil
}
