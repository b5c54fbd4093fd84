package webshop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// wooMaxPerPage is the largest per_page WooCommerce accepts (its schema's
// maximum).
const wooMaxPerPage = 100

// WooConfig configures a [WooClient].
type WooConfig struct {
	// URL is the shop's home URL, as in X-WC-Webhook-Source:
	// "https://shop.example.nl", or with a path when WordPress lives in a
	// subdirectory. The API is under URL + "/wp-json/wc/v3".
	URL string
	// ConsumerKey ("ck_…") and ConsumerSecret ("cs_…") are a WooCommerce
	// REST API key with read access.
	ConsumerKey    string
	ConsumerSecret string
	// QueryAuth sends the key as consumer_key and consumer_secret query
	// parameters instead of HTTP Basic, for servers that strip the
	// Authorization header ("Consumer key is missing"). The secret is then
	// in every request URL, and so in the shop's access logs; use it only
	// when Basic fails.
	QueryAuth bool
	// PerPage is the page size, 1 to 100; default 100.
	PerPage int
	// REST tunes timeouts, retries and the HTTP client.
	REST RESTOptions
}

// A WooClient reads orders through the WooCommerce REST API v3
// (/wp-json/wc/v3/orders). It implements [Lister] and [Fetcher] and is safe
// for concurrent use.
type WooClient struct {
	rest    restClient
	perPage int
}

// NewWooClient returns a client for the shop cfg describes. It fails when
// the URL is not an absolute http(s) URL without credentials, the key or
// secret is empty, or PerPage is over 100. It sends no request.
func NewWooClient(cfg WooConfig) (*WooClient, error) {
	base, err := parseShopURL(WooCommerce, cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" {
		return nil, fmt.Errorf("webshop: woocommerce %s: consumer key and secret are required", base)
	}
	per := cfg.PerPage
	switch {
	case per == 0:
		per = wooMaxPerPage
	case per < 0 || per > wooMaxPerPage:
		return nil, fmt.Errorf("webshop: woocommerce per_page %d: want 1 to %d", per, wooMaxPerPage)
	}
	key, secret, queryAuth := cfg.ConsumerKey, cfg.ConsumerSecret, cfg.QueryAuth
	c := &WooClient{perPage: per}
	c.rest = restClient{
		platform: WooCommerce,
		base:     base,
		shop:     base.String(),
		opts:     cfg.REST.withDefaults(),
		authorize: func(req *http.Request) {
			if !queryAuth {
				req.SetBasicAuth(key, secret)
				return
			}
			q := query{{"consumer_key", key}, {"consumer_secret", secret}}.encode()
			if req.URL.RawQuery != "" {
				q = req.URL.RawQuery + "&" + q
			}
			req.URL.RawQuery = q
		},
	}
	return c, nil
}

// Platform implements [Lister].
func (*WooClient) Platform() Platform { return WooCommerce }

// ListModified implements [Lister] with
//
//	GET /wp-json/wc/v3/orders?modified_after=T&dates_are_gmt=true
//	    &orderby=modified&order=asc&per_page=N&page=P
//
// where T is since in UTC, truncated to the second, minus one second,
// written without a zone ("2025-05-01T09:59:59"): modified_after is
// exclusive and WooCommerce keeps seconds, so this lists the orders
// modified at or after since. status is left at its default, "any", which
// leaves out trashed orders. Total and TotalPages come from X-WP-Total and
// X-WP-TotalPages. Each order's id and date_modified_gmt are read for ID
// and Modified; an element that is not an object with a positive integer
// id makes the page ErrBadPage.
//
// A page past the last one has no orders; WooCommerce answers it with an
// empty list or, in some versions, a 400 "invalid page number", and both
// give an empty page.
func (c *WooClient) ListModified(ctx context.Context, since time.Time, page int) (*Page, error) {
	if page < 1 {
		return nil, fmt.Errorf("webshop: woocommerce list orders: page %d: pages start at 1", page)
	}
	after := since.UTC().Truncate(time.Second).Add(-time.Second)
	q := query{
		{"modified_after", after.Format("2006-01-02T15:04:05")},
		{"dates_are_gmt", "true"},
		{"orderby", "modified"},
		{"order", "asc"},
		{"per_page", strconv.Itoa(c.perPage)},
		{"page", strconv.Itoa(page)},
	}
	const op = "list orders"
	resp, err := c.rest.get(ctx, c.rest.endpoint("/wp-json/wc/v3/orders", q.encode()), op, page)
	if err != nil {
		return nil, err
	}
	p := &Page{Number: page, PerPage: c.perPage, Total: -1, TotalPages: -1}
	if resp.status == http.StatusBadRequest && strings.Contains(errorMessage(resp.body), "invalid_page_number") {
		return p, nil
	}
	if err := c.rest.classify(resp, op, page); err != nil {
		return nil, err
	}
	if err := c.rest.checkJSON(resp, op, page); err != nil {
		return nil, err
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(resp.body, &elems); err != nil {
		kind := ErrBadPage
		if firstByte(resp.body) == '{' && json.Valid(resp.body) {
			kind = ErrNotPlatform // a JSON object where the order list should be
		}
		return nil, c.rest.errorf(kind, op, page, nil, decodeError(err))
	}
	if n, err := strconv.Atoi(resp.header.Get("X-WP-Total")); err == nil && n >= 0 {
		p.Total = n
	}
	if n, err := strconv.Atoi(resp.header.Get("X-WP-TotalPages")); err == nil && n >= 0 {
		p.TotalPages = n
	}
	if page > p.TotalPages && p.TotalPages >= 0 {
		return p, nil
	}
	p.Orders = make([]RawOrder, 0, len(elems))
	for i, body := range elems {
		o, err := wooRawOrder(body)
		if err != nil {
			return nil, c.rest.errorf(ErrBadPage, op, page, nil, fmt.Errorf("order %d on the page: %w", i+1, err))
		}
		p.Orders = append(p.Orders, o)
	}
	return p, nil
}

// FetchOrder implements [Fetcher] with GET /wp-json/wc/v3/orders/{id}.
// WooCommerce's "woocommerce_rest_shop_order_invalid_id" 404 gives
// ErrOrderNotFound; any other 404 ErrNotPlatform.
func (c *WooClient) FetchOrder(ctx context.Context, id string) (*RawOrder, error) {
	if !isDigits(id) {
		return nil, fmt.Errorf("webshop: woocommerce get order %q: id is not a number", id)
	}
	op := "get order " + id
	resp, err := c.rest.get(ctx, c.rest.endpoint("/wp-json/wc/v3/orders/"+id, ""), op, 0)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNotFound && strings.Contains(errorMessage(resp.body), "invalid_id") {
		return nil, c.rest.errorf(ErrOrderNotFound, op, 0, resp, nil)
	}
	if err := c.rest.classify(resp, op, 0); err != nil {
		return nil, err
	}
	if err := c.rest.checkJSON(resp, op, 0); err != nil {
		return nil, err
	}
	o, err := wooRawOrder(resp.body)
	if err != nil {
		return nil, c.rest.errorf(ErrBadPage, op, 0, nil, err)
	}
	return &o, nil
}

// wooRawOrder reads id and date_modified_gmt from one order's JSON.
func wooRawOrder(body []byte) (RawOrder, error) {
	var head struct {
		ID              text    `json:"id"`
		DateModifiedGMT *string `json:"date_modified_gmt"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return RawOrder{}, decodeError(err)
	}
	if !isDigits(string(head.ID)) || strings.TrimLeft(string(head.ID), "0") == "" {
		return RawOrder{}, fmt.Errorf("id %q is not a positive integer", head.ID)
	}
	o := RawOrder{ID: string(head.ID), Body: json.RawMessage(body)}
	if ts := wooTime(head.DateModifiedGMT); ts != nil {
		o.Modified = ts.AsTime().UTC()
	}
	return o, nil
}
