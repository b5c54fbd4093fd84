package snelstart

import (
	"context"
	"errors"
	"net/http"
)

// CreateVerkoopOrder creates the sales order o (POST /v2/verkooporders,
// scope orders:write) and returns the order SnelStart made, with its ID,
// Nummer and totals. o.Relatie and o.Datum are required; o.ID and
// o.Nummer must be empty; read-only properties are not sent.
//
// SnelStart has no idempotency key: the Client never sends the order
// twice. A failure wrapping [ErrOutcomeUnknown] (timeout, dropped
// connection, 5xx or 429 after sending) may have created the order: look
// for it with [Client.ListVerkoopOrders] by Betalingskenmerk before
// creating it again. A failure wrapping [ErrNotApplied] created nothing.
func (c *Client) CreateVerkoopOrder(ctx context.Context, o *VerkoopOrder) (*VerkoopOrder, error) {
	if o == nil {
		return nil, &opError{op: "POST " + PathVerkoopOrders, lead: []error{ErrInvalidRequest}, err: errors.New("nil verkooporder")}
	}
	var v VerkoopOrder
	if err := c.do(ctx, request{method: http.MethodPost, template: PathVerkoopOrders, path: PathVerkoopOrders, body: o.forWrite(), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// GetVerkoopOrder returns the sales order id (GET /v2/verkooporders/{id},
// scope orders:read).
func (c *Client) GetVerkoopOrder(ctx context.Context, id ID) (*VerkoopOrder, error) {
	return get[VerkoopOrder](ctx, c, PathVerkoopOrder, id)
}

// ListVerkoopOrders returns the sales orders that match f (GET
// /v2/verkooporders, scope orders:read), reading every page of 500. Each is
// checked against f locally (see [Filter]), so a filter SnelStart does
// not apply cannot make an unrelated order look like a duplicate:
//
//	c.ListVerkoopOrders(ctx, snelstart.Eq("Betalingskenmerk", "100234"))
func (c *Client) ListVerkoopOrders(ctx context.Context, f Filter) ([]VerkoopOrder, error) {
	return list[VerkoopOrder](ctx, c, PathVerkoopOrders, f, MaxTop)
}

// DeleteVerkoopOrder deletes the sales order id (DELETE
// /v2/verkooporders/{id}, scope orders:write; SnelStart answers 201). It is
// refused with VOR-0014 when purchase orders are linked. Like every write
// it is not retried; a failure wrapping [ErrOutcomeUnknown] may have
// deleted it.
func (c *Client) DeleteVerkoopOrder(ctx context.Context, id ID) error {
	path, err := itemPath(http.MethodDelete, PathVerkoopOrder, id)
	if err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodDelete, template: PathVerkoopOrder, path: path})
}

// ListVerkoopOrderSjablonen returns every sales order template (GET
// /v2/verkoopordersjablonen, scope orders:read). The endpoint has no OData:
// pick locally, and skip the Nonactief ones.
func (c *Client) ListVerkoopOrderSjablonen(ctx context.Context) ([]VerkoopOrderSjabloon, error) {
	return getAll[VerkoopOrderSjabloon](ctx, c, PathVerkoopOrderSjablonen)
}

// ListVerkoopFacturen returns the sales invoices that match f (GET
// /v2/verkoopfacturen, scope orders:read), reading every page of 500, each
// checked against f locally (see [Filter]):
//
//	c.ListVerkoopFacturen(ctx, snelstart.Eq("Relatie/Id", relatie))
func (c *Client) ListVerkoopFacturen(ctx context.Context, f Filter) ([]VerkoopFactuur, error) {
	return list[VerkoopFactuur](ctx, c, PathVerkoopFacturen, f, MaxTop)
}
