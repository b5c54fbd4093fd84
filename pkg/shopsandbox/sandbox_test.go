package shopsandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// get sends GET path?query to h with header set, and returns the status,
// headers and body.
func get(t *testing.T, h http.Handler, path string, query string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path+"?"+query, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.Bytes()
}

func basic(o shopsandbox.Options) http.Header {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(o.ConsumerKey, o.ConsumerSecret)
	return r.Header
}

func bearer(o shopsandbox.Options) http.Header {
	return http.Header{"Authorization": {"Bearer " + o.AccessToken}}
}

// ids reads the ids of a WooCommerce list or Magento search result.
func ids(t *testing.T, body []byte) []int64 {
	t.Helper()
	var list []struct {
		ID int64 `json:"id"`
	}
	var res struct {
		Items []struct {
			EntityID int64 `json:"entity_id"`
		} `json:"items"`
	}
	var out []int64
	if json.Unmarshal(body, &list) == nil {
		for _, o := range list {
			out = append(out, o.ID)
		}
		return out
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("not a list: %v: %.200s", err, body)
	}
	for _, o := range res.Items {
		out = append(out, o.EntityID)
	}
	return out
}

// cluster returns a modification second several orders share and the
// orders modified at or after it.
func cluster(t *testing.T, orders []shopsandbox.OrderInfo) (time.Time, []int64) {
	t.Helper()
	count := map[time.Time]int{}
	for _, o := range orders[1:] {
		count[o.Modified]++
	}
	var best time.Time
	for ts, n := range count {
		if n > count[best] || n == count[best] && ts.Before(best) {
			best = ts
		}
	}
	if count[best] < 3 {
		t.Fatalf("no cluster: %d", count[best])
	}
	var from []int64
	for _, o := range orders {
		if !o.Modified.Before(best) {
			from = append(from, o.ID)
		}
	}
	return best, from
}

func wooError(t *testing.T, body []byte) (code string, status int) {
	t.Helper()
	var e struct {
		Code string `json:"code"`
		Data struct {
			Status int `json:"status"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not a WordPress error: %.200s", body)
	}
	return e.Code, e.Data.Status
}

func TestWooCommerceList(t *testing.T) {
	s := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 60, Seed: 12})
	o := s.Options()
	all := s.Orders()
	second, from := cluster(t, all)
	utc := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	if ams == nil {
		ams = time.FixedZone("CET", 3600)
	}
	asc := "orderby=modified&order=asc&per_page=100"

	tests := map[string]struct {
		query string
		want  []int64
	}{
		"modified_after is exclusive": {
			query: asc + "&dates_are_gmt=true&modified_after=" + utc(second),
			want:  slices.DeleteFunc(slices.Clone(from), func(id int64) bool { return modifiedAt(all, id).Equal(second) }),
		},
		"one second earlier includes the second": {
			query: asc + "&dates_are_gmt=true&modified_after=" + utc(second.Add(-time.Second)),
			want:  from,
		},
		"without dates_are_gmt the site's time": {
			query: asc + "&modified_after=" + second.Add(-time.Second).In(ams).Format("2006-01-02T15:04:05"),
			want:  from,
		},
		"with a zone the instant": {
			query: asc + "&modified_after=" + url.QueryEscape(second.Add(-time.Second).In(ams).Format(time.RFC3339)),
			want:  from,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			status, h, body := get(t, s, "/wp-json/wc/v3/orders", tt.query, basic(o))
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if got := ids(t, body); !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
			if h.Get("X-WP-Total") != strconv.Itoa(len(tt.want)) {
				t.Errorf("X-WP-Total %q, want %d", h.Get("X-WP-Total"), len(tt.want))
			}
		})
	}

	t.Run("paging headers", func(t *testing.T) {
		status, h, body := get(t, s, "/wp-json/wc/v3/orders", "per_page=7&page=2", basic(o))
		if status != http.StatusOK || h.Get("X-WP-Total") != "60" || h.Get("X-WP-TotalPages") != "9" {
			t.Fatalf("status %d, total %q, pages %q", status, h.Get("X-WP-Total"), h.Get("X-WP-TotalPages"))
		}
		if l := h.Get("Link"); !strings.Contains(l, `page=3>; rel="next"`) || !strings.Contains(l, `page=1>; rel="prev"`) {
			t.Errorf("Link %q", l)
		}
		// Default order: newest created first.
		got := ids(t, body)
		if len(got) != 7 || got[0] < got[6] {
			t.Errorf("page 2 by date desc: %v", got)
		}
		_, h, body = get(t, s, "/wp-json/wc/v3/orders", "per_page=7&page=10", basic(o))
		if got := ids(t, body); len(got) != 0 || strings.Contains(h.Get("Link"), "next") {
			t.Errorf("past the end: %v, Link %q", got, h.Get("Link"))
		}
	})

	errorsTests := map[string]struct {
		path, query string
		header      http.Header
		status      int
		code        string
	}{
		"per_page over 100": {"/wp-json/wc/v3/orders", "per_page=101", basic(o), 400, "rest_invalid_param"},
		"bad orderby":       {"/wp-json/wc/v3/orders", "orderby=price", basic(o), 400, "rest_invalid_param"},
		"no credentials":    {"/wp-json/wc/v3/orders", "", nil, 401, "woocommerce_rest_cannot_view"},
		"wrong key":         {"/wp-json/wc/v3/orders", "consumer_key=ck_x&consumer_secret=" + o.ConsumerSecret, nil, 401, "woocommerce_rest_authentication_error"},
		"wrong secret":      {"/wp-json/wc/v3/orders", "consumer_key=" + o.ConsumerKey + "&consumer_secret=cs_x", nil, 401, "woocommerce_rest_authentication_error"},
		"unknown order":     {"/wp-json/wc/v3/orders/99", "", basic(o), 404, "woocommerce_rest_shop_order_invalid_id"},
		"unknown route":     {"/wp-json/wc/v3/coupons", "", basic(o), 404, "rest_no_route"},
	}
	for name, tt := range errorsTests {
		t.Run(name, func(t *testing.T) {
			status, _, body := get(t, s, tt.path, tt.query, tt.header)
			code, dataStatus := wooError(t, body)
			if status != tt.status || dataStatus != tt.status || code != tt.code {
				t.Errorf("%d %s (data.status %d), want %d %s", status, code, dataStatus, tt.status, tt.code)
			}
		})
	}
	t.Run("query string auth", func(t *testing.T) {
		status, _, body := get(t, s, "/wp-json/wc/v3/orders/"+strconv.FormatInt(all[0].ID, 10),
			"consumer_key="+o.ConsumerKey+"&consumer_secret="+o.ConsumerSecret, nil)
		want, _ := s.OrderJSON(all[0].ID)
		if status != 200 || !bytes.Equal(body, want) {
			t.Errorf("status %d", status)
		}
		last := s.Requests()[len(s.Requests())-1]
		if last.Auth != "query" || last.Query.Get("consumer_secret") != "REDACTED" {
			t.Errorf("logged %+v", last)
		}
	})
	t.Run("outside the API", func(t *testing.T) {
		status, h, body := get(t, s, "/winkel/", "", nil)
		if status != 404 || !strings.Contains(h.Get("Content-Type"), "html") || !bytes.HasPrefix(body, []byte("<!DOCTYPE html>")) {
			t.Errorf("%d %q %.40s", status, h.Get("Content-Type"), body)
		}
	})
}

func modifiedAt(orders []shopsandbox.OrderInfo, id int64) time.Time {
	for _, o := range orders {
		if o.ID == id {
			return o.Modified
		}
	}
	return time.Time{}
}

// magentoQuery builds a searchCriteria query for updated_at cond value,
// ascending, with pageSize and currentPage when not 0.
func magentoQuery(cond, value string, size, page int) string {
	q := url.Values{}
	f := "searchCriteria[filter_groups][0][filters][0]"
	q.Set(f+"[field]", "updated_at")
	q.Set(f+"[value]", value)
	q.Set(f+"[condition_type]", cond)
	q.Set("searchCriteria[sortOrders][0][field]", "updated_at")
	q.Set("searchCriteria[sortOrders][0][direction]", "ASC")
	if size > 0 {
		q.Set("searchCriteria[pageSize]", strconv.Itoa(size))
	}
	if page > 0 {
		q.Set("searchCriteria[currentPage]", strconv.Itoa(page))
	}
	return q.Encode() // "+" for spaces, as PHP accepts
}

func TestMagentoList(t *testing.T) {
	s := shopsandbox.NewMagento(shopsandbox.Options{Orders: 45, Seed: 12})
	o := s.Options()
	all := s.Orders()
	second, from := cluster(t, all)
	ts := second.Format(time.DateTime)
	total := func(body []byte) int {
		var r struct {
			TotalCount int `json:"total_count"`
		}
		json.Unmarshal(body, &r)
		return r.TotalCount
	}

	t.Run("gteq includes the second, gt does not", func(t *testing.T) {
		_, _, body := get(t, s, "/rest/V1/orders", magentoQuery("gteq", ts, 0, 0), bearer(o))
		if got := ids(t, body); !slices.Equal(got, from) || total(body) != len(from) {
			t.Errorf("gteq: got %v (total %d)\nwant %v", got, total(body), from)
		}
		_, _, body = get(t, s, "/rest/default/V1/orders", magentoQuery("gt", ts, 0, 0), bearer(o))
		for _, id := range ids(t, body) {
			if !modifiedAt(all, id).After(second) {
				t.Errorf("gt: order %d modified %s", id, modifiedAt(all, id))
			}
		}
	})
	t.Run("past the end repeats the last page", func(t *testing.T) {
		_, _, last := get(t, s, "/rest/V1/orders", magentoQuery("gteq", "2000-01-01 00:00:00", 10, 5), bearer(o))
		_, _, past := get(t, s, "/rest/V1/orders", magentoQuery("gteq", "2000-01-01 00:00:00", 10, 9), bearer(o))
		if got, want := ids(t, past), ids(t, last); len(got) != 5 || !slices.Equal(got, want) || total(past) != 45 {
			t.Errorf("page 9 of 5: %v, last page %v, total %d", got, want, total(past))
		}
		var echo struct {
			SearchCriteria struct {
				PageSize    int `json:"page_size"`
				CurrentPage int `json:"current_page"`
			} `json:"search_criteria"`
		}
		json.Unmarshal(past, &echo)
		if echo.SearchCriteria.PageSize != 10 || echo.SearchCriteria.CurrentPage != 9 {
			t.Errorf("search_criteria echo %+v", echo.SearchCriteria)
		}
	})
	errorsTests := map[string]struct {
		path, query string
		header      http.Header
		status      int
		message     string
	}{
		"pageSize over the limit": {"/rest/V1/orders", magentoQuery("gteq", ts, 301, 1), bearer(o), 400, "Maximum SearchCriteria pageSize is %max"},
		"no searchCriteria":       {"/rest/V1/orders", "", bearer(o), 400, "\"%fieldName\" is required. Enter and try again."},
		"no credentials":          {"/rest/V1/orders", magentoQuery("gteq", ts, 10, 1), nil, 401, "The consumer isn't authorized to access %resources."},
		"wrong bearer":            {"/rest/V1/orders", magentoQuery("gteq", ts, 10, 1), http.Header{"Authorization": {"Bearer nope"}}, 401, "The consumer isn't authorized to access %resources."},
		"unknown order":           {"/rest/V1/orders/4242", "", bearer(o), 404, "The entity that was requested doesn't exist. Verify the entity and try again."},
		"unknown route":           {"/rest/V1/invoices", "", bearer(o), 404, "Request does not match any route."},
	}
	for name, tt := range errorsTests {
		t.Run(name, func(t *testing.T) {
			status, _, body := get(t, s, tt.path, tt.query, tt.header)
			var e struct {
				Message string `json:"message"`
			}
			json.Unmarshal(body, &e)
			if status != tt.status || e.Message != tt.message {
				t.Errorf("%d %q, want %d %q", status, e.Message, tt.status, tt.message)
			}
		})
	}
	t.Run("bearer refused when disabled", func(t *testing.T) {
		off := shopsandbox.NewMagento(shopsandbox.Options{Orders: 2, RejectBearer: true})
		if status, _, _ := get(t, off, "/rest/V1/orders", magentoQuery("gteq", ts, 10, 1), bearer(off.Options())); status != 401 {
			t.Errorf("status %d", status)
		}
	})
}

// TestMagentoOAuthReplay: a signed request is accepted once; its nonce
// cannot be used again.
func TestMagentoOAuthReplay(t *testing.T) {
	s := shopsandbox.NewMagento(shopsandbox.Options{Orders: 3, Seed: 1})
	srv := httptest.NewServer(s)
	defer srv.Close()
	var signed *http.Request
	o := s.Options()
	c, err := webshop.NewMagentoClient(webshop.MagentoConfig{
		URL: srv.URL, ConsumerKey: o.ConsumerKey, ConsumerSecret: o.ConsumerSecret,
		AccessToken: o.AccessToken, AccessTokenSecret: o.AccessTokenSecret,
		REST: webshop.RESTOptions{MaxAttempts: 1, HTTPClient: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			signed = r.Clone(context.Background())
			return http.DefaultTransport.RoundTrip(r)
		})}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListModified(context.Background(), time.Time{}, 1); err != nil {
		t.Fatalf("first use: %v", err)
	}
	resp, err := http.DefaultClient.Do(signed)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs := s.Requests()
	if resp.StatusCode != 401 || reqs[1].Reason != "nonce already used" || reqs[0].Auth != "oauth" {
		t.Errorf("replay: %d %+v", resp.StatusCode, reqs)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type mutableShop interface {
	sandboxShop
	Touch(...int64) (time.Time, error)
	AddOrders(int) []int64
	PendingEvents() int
}

// TestTouchAndAddOrders: changes land at the shop's clock, never before
// an order's last change, and show in listings.
func TestTouchAndAddOrders(t *testing.T) {
	for p, newShop := range map[webshop.Platform]func(shopsandbox.Options) mutableShop{
		webshop.WooCommerce: func(o shopsandbox.Options) mutableShop { return shopsandbox.NewWooCommerce(o) },
		webshop.Magento:     func(o shopsandbox.Options) mutableShop { return shopsandbox.NewMagento(o) },
	} {
		t.Run(string(p), func(t *testing.T) {
			now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) // inside the generated history
			s := newShop(shopsandbox.Options{Orders: 20, Seed: 5, Clock: func() time.Time { return now }})
			if s.PendingEvents() != 20 {
				t.Errorf("%d pending events after start, want 20 created", s.PendingEvents())
			}
			before := s.Orders()
			last := before[len(before)-1].Modified
			a, b := before[0], before[5]
			bodyA, _ := s.OrderJSON(a.ID)
			at, err := s.Touch(a.ID, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !at.After(a.Modified) || !at.After(b.Modified) {
				t.Errorf("touched at %s, not after %s and %s", at, a.Modified, b.Modified)
			}
			after := s.Orders()
			for _, o := range after {
				if (o.ID == a.ID || o.ID == b.ID) && !o.Modified.Equal(at) {
					t.Errorf("touched order %d modified %s, want %s", o.ID, o.Modified, at)
				}
			}
			if bodyB, _ := s.OrderJSON(a.ID); bytes.Equal(bodyA, bodyB) {
				t.Error("touching did not change the order's JSON")
			}
			if _, err := s.Touch(999999); err == nil {
				t.Error("Touch of an unknown order succeeded")
			}
			newIDs := s.AddOrders(4)
			added := s.Orders()[len(after):]
			if len(newIDs) != 4 || len(added) != 4 {
				t.Fatalf("AddOrders(4) = %v; %d new in Orders", newIDs, len(added))
			}
			for _, o := range added {
				if !o.Modified.Equal(added[0].Modified) || !o.Modified.After(maxTime(last, at)) || !slices.Contains(newIDs, o.ID) {
					t.Errorf("new order %+v; want all in one second after %s", o, maxTime(last, at))
				}
			}
			a2 := normalizeAll(t, p, s)
			for _, o := range a2 {
				if !o.GetTotalCheck().GetOk() {
					t.Errorf("order %s after changes: %v", o.GetShopOrderId(), o.GetTotalCheck())
				}
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func TestFaults(t *testing.T) {
	s := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 30, Seed: 1})
	auth := basic(s.Options())
	list := func(page int) (int, http.Header, []byte) {
		return get(t, s, "/wp-json/wc/v3/orders", fmt.Sprintf("per_page=10&page=%d", page), auth)
	}
	s.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultGarbage, Page: 2})
	if status, _, body := list(1); status != 200 || !json.Valid(body) {
		t.Errorf("page 1 hit by a page 2 fault: %d", status)
	}
	if status, h, body := list(2); status != 200 || json.Valid(body) || h.Get("X-WP-Total") != "30" {
		t.Errorf("garbage page: %d, valid JSON %v, X-WP-Total %q", status, json.Valid(body), h.Get("X-WP-Total"))
	}
	if _, _, body := list(2); !json.Valid(body) {
		t.Error("a one-off fault hit twice")
	}

	s.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultRateLimit, RetryAfter: 1500 * time.Millisecond})
	if status, h, _ := list(1); status != 429 || h.Get("Retry-After") != "2" {
		t.Errorf("rate limit: %d, Retry-After %q", status, h.Get("Retry-After"))
	}

	s.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultStatus, Status: 500, Times: -1})
	for range 3 {
		if status, _, _ := list(3); status != 500 {
			t.Errorf("persistent 500: %d", status)
		}
	}
	s.ClearFaults()
	if status, _, _ := list(3); status != 200 {
		t.Errorf("after ClearFaults: %d", status)
	}

	s.InjectFault(shopsandbox.Fault{Kind: shopsandbox.FaultLatency, Latency: 80 * time.Millisecond})
	t0 := time.Now()
	if status, _, _ := list(1); status != 200 || time.Since(t0) < 80*time.Millisecond {
		t.Errorf("latency: %d after %s", status, time.Since(t0))
	}

	var faults []shopsandbox.FaultKind
	for _, r := range s.Requests() {
		faults = append(faults, r.Fault)
	}
	want := []shopsandbox.FaultKind{0, shopsandbox.FaultGarbage, 0, shopsandbox.FaultRateLimit,
		shopsandbox.FaultStatus, shopsandbox.FaultStatus, shopsandbox.FaultStatus, 0, shopsandbox.FaultLatency}
	if !slices.Equal(faults, want) {
		t.Errorf("logged faults %v, want %v", faults, want)
	}
}

func TestServer(t *testing.T) {
	s := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 2})
	srv := shopsandbox.NewServer(s)
	if srv.URL() != "" {
		t.Errorf("URL before Start: %q", srv.URL())
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
	u := srv.URL()
	req, _ := http.NewRequest(http.MethodGet, u+"/wp-json/wc/v3/orders", nil)
	req.SetBasicAuth(s.Options().ConsumerKey, s.Options().ConsumerSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(ids(t, body)) != 2 {
		t.Errorf("GET %s: %d %.100s", u, resp.StatusCode, body)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(u + "/wp-json/wc/v3/orders"); err == nil {
		t.Error("server still answers after Close")
	}
}
