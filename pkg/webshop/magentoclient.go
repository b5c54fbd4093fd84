package webshop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MagentoConfig configures a [MagentoClient].
type MagentoConfig struct {
	// URL is the store's base URL, without "/rest": "https://shop.example.nl",
	// or with a path when Magento lives in a subdirectory.
	URL string
	// StoreCode is put in the path as /rest/{StoreCode}/V1/…: "default",
	// "all", or empty for /rest/V1/…. Orders are global, so it rarely
	// matters for reading them.
	StoreCode string
	// The four credentials of a Magento integration (System › Extensions ›
	// Integrations). Requests are signed with OAuth 1.0a, HMAC-SHA256,
	// using all four.
	ConsumerKey       string
	ConsumerSecret    string
	AccessToken       string
	AccessTokenSecret string
	// Bearer sends AccessToken alone as "Authorization: Bearer …" instead
	// of signing. Magento 2.4.4 and later refuse that unless "Allow OAuth
	// Access Tokens to be used as standalone Bearer tokens" is on
	// (oauth/consumer/enable_integration_as_bearer). Only AccessToken is
	// then required.
	Bearer bool
	// PageSize is searchCriteria[pageSize]; default 100. Magento 2.4.7 and
	// later refuse sizes over the store's maximum (300 by default).
	PageSize int
	// REST tunes timeouts, retries and the HTTP client.
	REST RESTOptions
}

// A MagentoClient reads orders through the Magento 2 / Adobe Commerce REST
// API (/rest/V1/orders). It implements [Lister] and [Fetcher] and is safe
// for concurrent use.
type MagentoClient struct {
	rest     restClient
	prefix   string  // "/rest/V1" or "/rest/{store}/V1"
	signer   *oauth1 // nil in bearer mode
	pageSize int
}

// NewMagentoClient returns a client for the store cfg describes. It fails
// when the URL is not an absolute http(s) URL without credentials, or when
// credentials are missing for the chosen mode (Bearer: AccessToken; else all
// four). It sends no request.
func NewMagentoClient(cfg MagentoConfig) (*MagentoClient, error) {
	base, err := parseShopURL(Magento, cfg.URL)
	if err != nil {
		return nil, err
	}
	var authorize func(*http.Request)
	var signer *oauth1
	switch {
	case cfg.Bearer && cfg.AccessToken == "":
		return nil, fmt.Errorf("webshop: magento %s: bearer mode needs the access token", base)
	case cfg.Bearer:
		token := cfg.AccessToken
		authorize = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }
	case cfg.ConsumerKey == "" || cfg.ConsumerSecret == "" || cfg.AccessToken == "" || cfg.AccessTokenSecret == "":
		return nil, fmt.Errorf("webshop: magento %s: OAuth needs consumer key and secret, access token and token secret", base)
	default:
		signer = &oauth1{
			consumerKey: cfg.ConsumerKey, consumerSecret: cfg.ConsumerSecret,
			token: cfg.AccessToken, tokenSecret: cfg.AccessTokenSecret,
		}
		authorize = func(req *http.Request) { signer.authorize(req) }
	}
	size := cfg.PageSize
	switch {
	case size == 0:
		size = 100
	case size < 0:
		return nil, fmt.Errorf("webshop: magento page size %d: want a positive size", size)
	}
	prefix := "/rest/V1"
	if s := strings.Trim(cfg.StoreCode, "/ "); s != "" {
		prefix = "/rest/" + url.PathEscape(s) + "/V1"
	}
	return &MagentoClient{
		rest: restClient{
			platform:  Magento,
			base:      base,
			shop:      base.String(),
			opts:      cfg.REST.withDefaults(),
			authorize: authorize,
		},
		prefix:   prefix,
		signer:   signer,
		pageSize: size,
	}, nil
}

// Platform implements [Lister].
func (*MagentoClient) Platform() Platform { return Magento }

// magentoSearchQuery is the searchCriteria for orders with updated_at ≥
// since, oldest first, one page of size.
func magentoSearchQuery(since time.Time, size, page int) query {
	const f = "searchCriteria[filter_groups][0][filters][0]"
	return query{
		{f + "[field]", "updated_at"},
		{f + "[value]", since.UTC().Truncate(time.Second).Format(time.DateTime)},
		{f + "[condition_type]", "gteq"},
		{"searchCriteria[sortOrders][0][field]", "updated_at"},
		{"searchCriteria[sortOrders][0][direction]", "ASC"},
		{"searchCriteria[pageSize]", strconv.Itoa(size)},
		{"searchCriteria[currentPage]", strconv.Itoa(page)},
	}
}

// ListModified implements [Lister] with GET /rest/V1/orders and the
// searchCriteria updated_at gteq since (UTC, "YYYY-MM-DD HH:MM:SS"), sorted
// by updated_at ASC, pageSize and currentPage, brackets and spaces
// percent-encoded. TotalPages is computed from total_count. Magento
// answers a currentPage past the end with the last page again, so such a
// page is returned without orders. Each item's entity_id and updated_at
// are read for ID and Modified; an item that is not an object with a
// positive integer entity_id makes the page ErrBadPage, and a JSON object
// without items and total_count is ErrNotPlatform.
func (c *MagentoClient) ListModified(ctx context.Context, since time.Time, page int) (*Page, error) {
	if page < 1 {
		return nil, fmt.Errorf("webshop: magento list orders: page %d: pages start at 1", page)
	}
	const op = "list orders"
	u := c.rest.endpoint(c.prefix+"/orders", magentoSearchQuery(since, c.pageSize, page).encode())
	resp, err := c.rest.get(ctx, u, op, page)
	if err != nil {
		return nil, err
	}
	if err := c.rest.classify(resp, op, page); err != nil {
		return nil, err
	}
	if err := c.rest.checkJSON(resp, op, page); err != nil {
		return nil, err
	}
	var list struct {
		Items      *[]json.RawMessage `json:"items"`
		TotalCount *int               `json:"total_count"`
	}
	if err := json.Unmarshal(resp.body, &list); err != nil {
		kind := ErrBadPage
		if firstByte(resp.body) == '[' && json.Valid(resp.body) {
			kind = ErrNotPlatform
		}
		return nil, c.rest.errorf(kind, op, page, nil, decodeError(err))
	}
	if list.TotalCount == nil {
		return nil, c.rest.errorf(ErrNotPlatform, op, page, nil,
			fmt.Errorf("answer has no total_count: not a Magento search result"))
	}
	p := &Page{
		Number:     page,
		PerPage:    c.pageSize,
		Total:      *list.TotalCount,
		TotalPages: pagesFor(*list.TotalCount, c.pageSize),
	}
	if page > p.TotalPages || list.Items == nil {
		return p, nil
	}
	p.Orders = make([]RawOrder, 0, len(*list.Items))
	for i, body := range *list.Items {
		o, err := magentoRawOrder(body)
		if err != nil {
			return nil, c.rest.errorf(ErrBadPage, op, page, nil, fmt.Errorf("item %d on the page: %w", i+1, err))
		}
		p.Orders = append(p.Orders, o)
	}
	return p, nil
}

// FetchOrder implements [Fetcher] with GET /rest/V1/orders/{id}. A 404
// whose body is Magento's JSON error gives ErrOrderNotFound; a 404 without
// one ErrNotPlatform.
func (c *MagentoClient) FetchOrder(ctx context.Context, id string) (*RawOrder, error) {
	if !isDigits(id) {
		return nil, fmt.Errorf("webshop: magento get order %q: id is not a number", id)
	}
	op := "get order " + id
	resp, err := c.rest.get(ctx, c.rest.endpoint(c.prefix+"/orders/"+id, ""), op, 0)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusNotFound && errorMessage(resp.body) != "" &&
		!strings.Contains(errorMessage(resp.body), "does not match any route") {
		return nil, c.rest.errorf(ErrOrderNotFound, op, 0, resp, nil)
	}
	if err := c.rest.classify(resp, op, 0); err != nil {
		return nil, err
	}
	if err := c.rest.checkJSON(resp, op, 0); err != nil {
		return nil, err
	}
	o, err := magentoRawOrder(resp.body)
	if err != nil {
		return nil, c.rest.errorf(ErrBadPage, op, 0, nil, err)
	}
	return &o, nil
}

// magentoRawOrder reads entity_id and updated_at from one order's JSON.
func magentoRawOrder(body []byte) (RawOrder, error) {
	var head struct {
		EntityID  text   `json:"entity_id"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return RawOrder{}, decodeError(err)
	}
	id := string(head.EntityID)
	if !isDigits(id) || strings.TrimLeft(id, "0") == "" {
		return RawOrder{}, fmt.Errorf("entity_id %q is not a positive integer", id)
	}
	o := RawOrder{ID: id, Body: json.RawMessage(body)}
	if ts := magentoTime(head.UpdatedAt); ts != nil {
		o.Modified = ts.AsTime().UTC()
	}
	return o, nil
}
