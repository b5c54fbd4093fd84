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
