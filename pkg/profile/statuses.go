package profile

import (
	"slices"
	"strings"
)

// Imports reports whether orders in the shop status are imported (related
// to a customer, given articles and booked). Statuses compare without case,
// surrounding space and WooCommerce's "wc-" prefix, so "Processing",
// "processing" and "wc-processing" are one status. An empty ImportStatuses
// imports every status.
//
// This is the only place the rule is written: the customers stage and the
// booker both ask it.
func (o Orders) Imports(status string) bool {
	if len(o.ImportStatuses) == 0 {
		return true
	}
	st := normStatus(status)
	return slices.ContainsFunc(o.ImportStatuses, func(x string) bool { return normStatus(x) == st })
}

// normStatus is a shop status as Imports compares it.
func normStatus(s string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "wc-")
}
