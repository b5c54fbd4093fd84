package webshop

import (
	"context"
	"encoding/json"
	"time"
)

// A Lister reads a shop's orders through its REST API by modification time,
// for polling. [WooClient] and [MagentoClient] implement it.
//
// ListModified returns page number page (1-based) of the orders modified at
// or after since, in ascending order of modification time. Shops keep
// modification times to the second, so since is truncated to the second;
// the platform's own filter semantics are hidden (WooCommerce's
// modified_after is exclusive, so the WooCommerce client asks for one second
// earlier; Magento's gteq is inclusive). The order among orders modified in
// the same second is the shop's, not guaranteed stable between requests.
//
// Offset paging over a changing set can skip an order: when an order on a
// page already read is modified, it moves to the end and every later order
// moves one place forward. A poller that must see every order should page
// by time and use the page number only inside one second:
//
//	since, page := cursor.Add(-overlap), 1
//	for {
//		p, err := l.ListModified(ctx, since, page)
//		// handle err; process p.Orders, deduplicating on (ID, Modified)
//		if !p.More() || len(p.Orders) == 0 {
//			break // the new cursor is the greatest Modified seen
//		}
//		if last := p.Orders[len(p.Orders)-1].Modified; last.After(since) {
//			since, page = last, 1 // re-reads the orders of second last: dedupe drops them
//		} else {
//			page++ // a whole page in one second: step through that second
//		}
//	}
//
// (since, page) is the resumable position. The overlap (a few minutes)
// covers orders written with a modification time earlier than one already
// seen, as when a slow request commits after a faster one, and clocks that
// disagree; deduplication downstream, on the order id and its modification
// time (the revision koppel stores), makes the re-reads harmless.
//
// Errors are *[ShopError] values wrapping one of [ErrShopAuth],
// [ErrNotPlatform], [ErrBadPage], [ErrShopUnavailable] or [ErrShopRequest],
// or the context's error. Implementations are safe for concurrent use.
type Lister interface {
	// Platform reports which platform the shop runs.
	Platform() Platform
	// ListModified returns one page of the orders modified at or after
	// since, oldest first.
	ListModified(ctx context.Context, since time.Time, page int) (*Page, error)
}

// A Fetcher reads one order through a shop's REST API, as a webhook hint
// or a manual import asks for it. [WooClient] and [MagentoClient] implement it.
type Fetcher interface {
	// FetchOrder returns the order with the shop's internal id (WooCommerce
	// id, Magento entity_id). An unknown id gives an error wrapping
	// [ErrOrderNotFound]; other errors are as for [Lister].
	FetchOrder(ctx context.Context, id string) (*RawOrder, error)
}

// A RawOrder is one order as the shop's REST API returned it.
type RawOrder struct {
	// ID is the shop's internal order id as decimal text: WooCommerce's id,
	// Magento's entity_id. Never the display number.
	ID string
	// Modified is date_modified_gmt (WooCommerce) or updated_at (Magento)
	// in UTC. It is zero when the shop sent none that parses; a poller must
	// then not move its cursor on it.
	Modified time.Time
	// Body is the order's JSON exactly as the shop sent it: for a list, the
	// bytes of its element in the list response, never re-encoded. It can
	// be passed to [Adapter.Normalize] as is.
	Body json.RawMessage
}

// A Page is one page of a [Lister]'s answer.
type Page struct {
	// Number is the page asked for, 1-based.
	Number int
	// PerPage is the page size asked for.
	PerPage int
	// Total is the number of orders matching the query, as the shop counts
	// them (X-WP-Total, total_count); -1 when the shop did not say.
	Total int
	// TotalPages is the number of pages of PerPage orders; 0 when nothing
	// matches, -1 when the shop did not say.
	TotalPages int
	// Orders are the page's orders, oldest modification first. A page past
	// the last one has none, even where the shop answers it with the last
	// page again (Magento).
	Orders []RawOrder
}

// More reports whether a page after p may hold orders: p is not the last
// page by TotalPages, or, when the shop gave no page count, p is full.
func (p *Page) More() bool {
	if p.TotalPages >= 0 {
		return p.Number < p.TotalPages
	}
	return p.PerPage > 0 && len(p.Orders) >= p.PerPage
}
