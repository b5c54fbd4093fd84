package snelstart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// A param is one query parameter; params keep their order.
type param struct{ name, value string }

// encodeQuery writes params as a query string. Names are written as they
// are ($filter, $top: '$' is allowed in a query), values escaped with
// spaces as %20 rather than '+', which not every server reads as a space.
func encodeQuery(params ...param) string {
	var b strings.Builder
	for _, p := range params {
		if p.value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(strings.ReplaceAll(url.QueryEscape(p.value), "+", "%20"))
	}
	return b.String()
}

// list reads every page of the OData collection at path: $top=top and
// $skip growing by the page's length, until a page comes back shorter than
// top (the collections carry no count or next link, snelstart-api.md
// §2.2). Each object is checked against f locally and dropped if it does
// not match; an object seen on an earlier page (the collection shifted
// under the paging) is skipped. A full page with nothing new, or more than
// the Client's MaxPages pages, ends the listing with [ErrPaging].
func list[T any](ctx context.Context, c *Client, path string, f Filter, top int, extra ...param) ([]T, error) {
	op := http.MethodGet + " " + path
	if err := f.Err(); err != nil {
		return nil, &opError{op: op, err: err}
	}
	var out []T
	seen := make(map[string]bool)
	dropped := 0
	for page, skip := 0, 0; ; page++ {
		if page >= c.maxPages {
			return nil, &opError{op: op, lead: []error{ErrPaging}, err: fmt.Errorf("more than %d pages of %d", c.maxPages, top)}
		}
		params := append([]param{
			{QueryFilter, f.String()},
			{QuerySkip, strconv.Itoa(skip)},
			{QueryTop, strconv.Itoa(top)},
		}, extra...)
		var items []json.RawMessage
		if err := c.do(ctx, request{method: http.MethodGet, template: path, path: path, query: encodeQuery(params...), out: &items}); err != nil {
			return nil, err
		}
		fresh := 0
		for _, item := range items {
			key := itemKey(item)
			if seen[key] {
				continue
			}
			seen[key] = true
			fresh++
			ok, err := f.Match(item)
			if err != nil {
				return nil, &opError{op: op, err: err}
			}
			if !ok {
				dropped++
				continue
			}
			var v T
			if err := json.Unmarshal(item, &v); err != nil {
				return nil, &opError{op: op, lead: []error{ErrDecode}, err: err}
			}
			out = append(out, v)
		}
		switch {
		case len(items) < top:
			if dropped > 0 {
				c.log.WarnContext(ctx, "snelstart did not apply the filter; dropped objects that do not match it",
					"path", path, "dropped", dropped, "kept", len(out))
			}
			return out, nil
		case len(items) > top:
			// $top was ignored, so the collection came whole.
			c.log.WarnContext(ctx, "snelstart ignored $top; taking the page as the whole collection", "path", path, "items", len(items), "top", top)
			return out, nil
		case fresh == 0:
			return nil, &opError{op: op, lead: []error{ErrPaging}, err: fmt.Errorf("page at $skip=%d held only objects already read: the API ignores $skip", skip)}
		}
		skip += len(items)
	}
}

// itemKey identifies a listed object: its id, or its JSON for the models
// that have none (prijsafspraken).
func itemKey(item json.RawMessage) string {
	var k struct {
		ID ID `json:"id"`
	}
	if json.Unmarshal(item, &k) == nil && k.ID != "" {
		return "id:" + strings.ToLower(string(k.ID))
	}
	return "json:" + string(item)
}

// getAll reads a collection that has no OData (no $filter, $top or
// $skip): the whole list in one response.
func getAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var out []T
	err := c.do(ctx, request{method: http.MethodGet, template: path, path: path, out: &out})
	return out, err
}

// get reads one object.
func get[T any](ctx context.Context, c *Client, template string, id ID, params ...param) (*T, error) {
	path, err := itemPath(http.MethodGet, template, id)
	if err != nil {
		return nil, err
	}
	var v T
	if err := c.do(ctx, request{method: http.MethodGet, template: template, path: path, query: encodeQuery(params...), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}
