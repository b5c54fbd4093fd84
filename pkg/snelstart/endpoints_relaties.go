package snelstart

import (
	"context"
	"errors"
	"net/http"
)

// GetRelatie returns the active relatie id (GET /v2/relaties/{id}, scope
// relaties:read); an unknown or inactive one gives a 404 *[Error].
func (c *Client) GetRelatie(ctx context.Context, id ID) (*Relatie, error) {
	return get[Relatie](ctx, c, PathRelatie, id)
}

// ListRelaties returns the relaties that match f (GET /v2/relaties, scope
// relaties:read), reading every page of 500. Each is checked against f
// locally (see [Filter]). The zero Filter lists all, including the own
// relation (Eigen) and the fixtures with negative relatiecodes.
func (c *Client) ListRelaties(ctx context.Context, f Filter) ([]Relatie, error) {
	return list[Relatie](ctx, c, PathRelaties, f, MaxTop)
}

// CreateRelatie creates r (POST /v2/relaties, scope relaties:write) and
// returns the relatie SnelStart made, with its ID. r.ID must be empty
// (REL-0063); read-only properties are not sent. On a failure, check
// [ErrOutcomeUnknown] before creating it again.
func (c *Client) CreateRelatie(ctx context.Context, r *Relatie) (*Relatie, error) {
	if r == nil {
		return nil, &opError{op: "POST " + PathRelaties, lead: []error{ErrInvalidRequest}, err: errors.New("nil relatie")}
	}
	var v Relatie
	if err := c.do(ctx, request{method: http.MethodPost, template: PathRelaties, path: PathRelaties, body: r.forWrite(), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// UpdateRelatie replaces the relatie r.ID with r (PUT /v2/relaties/{id},
// scope relaties:write) and returns what SnelStart stored. PUT replaces the
// whole record: start from [Client.GetRelatie] and change that, or the
// fields left out are wiped (snelstart-api.md §6.3).
func (c *Client) UpdateRelatie(ctx context.Context, r *Relatie) (*Relatie, error) {
	if r == nil {
		return nil, &opError{op: "PUT " + PathRelatie, lead: []error{ErrInvalidRequest}, err: errors.New("nil relatie")}
	}
	path, err := itemPath(http.MethodPut, PathRelatie, r.ID)
	if err != nil {
		return nil, err
	}
	var v Relatie
	if err := c.do(ctx, request{method: http.MethodPut, template: PathRelatie, path: path, body: r.forWrite(), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}
