package webshop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// sandbox is what both fake shops offer.
type sandbox interface {
	http.Handler
	Options() shopsandbox.Options
	Orders() []shopsandbox.OrderInfo
	OrderJSON(id int64) ([]byte, bool)
	InjectFault(shopsandbox.Fault)
	Requests() []shopsandbox.Request
	Touch(ids ...int64) (time.Time, error)
	AddOrders(n int) []int64
}

// client is what both REST clients offer.
type client interface {
	webshop.Lister
	webshop.Fetcher
}

// mode is one platform with one way to authenticate.
type mode struct {
	platform webshop.Platform
	auth     string // as the sandbox logs it
	newShop  func(shopsandbox.Options) sandbox
	// newClient returns a client for the shop at url with its credentials;
	// per is the page size.
	newClient func(url string, o shopsandbox.Options, rest webshop.RESTOptions, per int) (client, error)
}

func newWoo(o shopsandbox.Options) sandbox     { return shopsandbox.NewWooCommerce(o) }
func newMagento(o shopsandbox.Options) sandbox { return shopsandbox.NewMagento(o) }

func wooClient(query bool) func(string, shopsandbox.Options, webshop.RESTOptions, int) (client, error) {
	return func(url string, o shopsandbox.Options, rest webshop.RESTOptions, per int) (client, error) {
		return webshop.NewWooClient(webshop.WooConfig{URL: url, ConsumerKey: o.ConsumerKey,
			ConsumerSecret: o.ConsumerSecret, QueryAuth: query, PerPage: per, REST: rest})
	}
}

func magentoClient(bearer bool) func(string, shopsandbox.Options, webshop.RESTOptions, int) (client, error) {
	return func(url string, o shopsandbox.Options, rest webshop.RESTOptions, per int) (client, error) {
		return webshop.NewMagentoClient(webshop.MagentoConfig{URL: url, ConsumerKey: o.ConsumerKey,
			ConsumerSecret: o.ConsumerSecret, AccessToken: o.AccessToken, AccessTokenSecret: o.AccessTokenSecret,
			Bearer: bearer, PageSize: per, REST: rest})
	}
}

var modes = map[string]mode{
	"woocommerce/basic":     {webshop.WooCommerce, "basic", newWoo, wooClient(false)},
	"woocommerce/query":     {webshop.WooCommerce, "query", newWoo, wooClient(true)},
	"magento/bearer":        {webshop.Magento, "bearer", newMagento, magentoClient(true)},
	"magento/oauth1-sha256": {webshop.Magento, "oauth", newMagento, magentoClient(false)},
}

// fastREST retries quickly so tests stay short.
var fastREST = webshop.RESTOptions{Timeout: 5 * time.Second, MaxAttempts: 4, RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 3 * time.Second}

// start serves a new sandbox for m over real HTTP and returns it with a
// client of page size per.
func start(t *testing.T, m mode, opts shopsandbox.Options, rest webshop.RESTOptions, per int) (sandbox, client, string) {
	t.Helper()
	s := m.newShop(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := m.newClient(srv.URL, s.Options(), rest, per)
	if err != nil {
		t.Fatal(err)
	}
	return s, c, srv.URL
}

// listAll reads every page for a fixed since.
func listAll(t *testing.T, c webshop.Lister, since time.Time) ([]webshop.RawOrder, []*webshop.Page) {
	t.Helper()
	var orders []webshop.RawOrder
	var pages []*webshop.Page
	for n := 1; ; n++ {
		p, err := c.ListModified(context.Background(), since, n)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		if p.Number != n {
			t.Fatalf("page %d reports number %d", n, p.Number)
		}
		orders = append(orders, p.Orders...)
		pages = append(pages, p)
		if !p.More() {
			return orders, pages
		}
		if n > 500 {
			t.Fatal("no end of pages")
		}
	}
}

var longAgo = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestListModifiedAllPages(t *testing.T) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := start(t, m, shopsandbox.Options{Orders: 137, Seed: 11}, fastREST, 25)
			if c.Platform() != m.platform {
				t.Errorf("Platform() = %s", c.Platform())
			}
			got, pages := listAll(t, c, longAgo)
			want := s.Orders()
			if len(got) != len(want) || len(pages) != 6 {
				t.Fatalf("%d orders on %d pages, want %d on 6", len(got), len(pages), len(want))
			}
			for _, p := range pages {
				if p.Total != 137 || p.TotalPages != 6 || p.PerPage != 25 {
					t.Errorf("page %d: total %d, pages %d, per page %d", p.Number, p.Total, p.TotalPages, p.PerPage)
				}
			}
			for i, o := range got {
				// Same order, same sort (the sandbox breaks ties by id, as
				// Orders does), same bytes as a single GET.
				w := want[i]
				if o.ID != fmt.Sprint(w.ID) || !o.Modified.Equal(w.Modified) || o.Modified.Location() != time.UTC {
					t.Fatalf("order %d: got %s at %s, want %d at %s", i, o.ID, o.Modified, w.ID, w.Modified)
				}
				body, _ := s.OrderJSON(w.ID)
				if !bytes.Equal(o.Body, body) {
					t.Fatalf("order %s: listed bytes differ from the order's JSON", o.ID)
				}
			}
			for _, r := range s.Requests() {
				if r.Auth != m.auth || r.Status != http.StatusOK {
					t.Errorf("request %s %v: auth %q status %d, want %q 200", r.Path, r.Query, r.Auth, r.Status, m.auth)
				}
			}
		})
	}
}

// TestListModifiedSinceInclusive: orders modified in the second of since
// are listed, earlier ones not, whatever the platform's own filter does
// (WooCommerce's modified_after is exclusive, Magento's gteq is not).
func TestListModifiedSinceInclusive(t *testing.T) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := start(t, m, shopsandbox.Options{Orders: 120, Seed: 4}, fastREST, 5)
			all := s.Orders()
			// The second shared by the most orders, not the first one.
			count := map[time.Time]int{}
			for _, o := range all[1:] {
				count[o.Modified]++
			}
			var second time.Time
			for ts, n := range count {
				if n > count[second] || n == count[second] && ts.Before(second) {
					second = ts
				}
			}
			if count[second] < 6 {
				t.Fatalf("biggest cluster has %d orders; the test wants more than a page (5)", count[second])
			}
			var want []string
			for _, o := range all {
				if !o.Modified.Before(second) {
					want = append(want, fmt.Sprint(o.ID))
				}
			}
			for _, since := range []time.Time{second, second.Add(700 * time.Millisecond), second.In(time.FixedZone("CET", 3600))} {
				got, _ := listAll(t, c, since)
				var ids []string
				for _, o := range got {
					ids = append(ids, o.ID)
					if o.Modified.Before(second) {
						t.Errorf("since %s: order %s modified %s", since, o.ID, o.Modified)
					}
				}
				if !slices.Equal(ids, want) {
					t.Errorf("since %s: got %d orders %v\nwant %d %v", since, len(ids), ids, len(want), want)
				}
			}
			if m.platform == webshop.WooCommerce {
				q := s.Requests()[0].Query
				wantAfter := second.Add(-time.Second).Format("2006-01-02T15:04:05")
				if q.Get("modified_after") != wantAfter || q.Get("dates_are_gmt") != "true" ||
					q.Get("orderby") != "modified" || q.Get("order") != "asc" || q.Get("per_page") != "5" {
					t.Errorf("query %v; want modified_after=%s (one second before since)", q, wantAfter)
				}
			} else {
				q := s.Requests()[0].Query
				if q.Get("searchCriteria[filter_groups][0][filters][0][value]") != second.Format(time.DateTime) ||
					q.Get("searchCriteria[filter_groups][0][filters][0][condition_type]") != "gteq" ||
					q.Get("searchCriteria[sortOrders][0][direction]") != "ASC" {
					t.Errorf("query %v", q)
				}
			}
		})
	}
}

// walk reads every order modified at or after since with the algorithm
// the Lister documentation gives, calling between(page) after each page.
func walk(t *testing.T, c webshop.Lister, since time.Time, between func(n int)) map[string]time.Time {
	t.Helper()
	seen := map[string]time.Time{}
	page := 1
	for n := 1; ; n++ {
		p, err := c.ListModified(context.Background(), since, page)
		if err != nil {
			t.Fatalf("since %s page %d: %v", since, page, err)
		}
		for _, o := range p.Orders {
			if o.Modified.After(seen[o.ID]) {
				seen[o.ID] = o.Modified
			}
		}
		if !p.More() || len(p.Orders) == 0 {
			return seen
		}
		if last := p.Orders[len(p.Orders)-1].Modified; last.After(since) {
			since, page = last, 1
		} else {
			page++
		}
		between(n)
		if n > 1000 {
			t.Fatal("walk does not end")
		}
	}
}

// TestWalkWhileOrdersChange runs the documented paging algorithm while the
// shop modifies orders already read and adds new ones between pages:
// plain offset paging would skip orders, the walk must not.
func TestWalkWhileOrdersChange(t *testing.T) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			s, c, _ := start(t, m, shopsandbox.Options{Orders: 90, Seed: 9, Clock: func() time.Time { return clock }}, fastREST, 7)
			before := s.Orders()
			seen := walk(t, c, longAgo, func(n int) {
				// Touch two orders the walk has already passed and add one.
				if n%3 == 0 {
					if _, err := s.Touch(before[n].ID, before[n+1].ID); err != nil {
						t.Fatal(err)
					}
					s.AddOrders(1)
				}
			})
			for _, o := range s.Orders() {
				if got, ok := seen[fmt.Sprint(o.ID)]; !ok || !got.Equal(o.Modified) {
					t.Errorf("order %d (modified %s): walk saw %v (%v)", o.ID, o.Modified, got, ok)
				}
			}
			if len(seen) <= len(before) {
				t.Errorf("walk saw %d orders; the shop started with %d and added more", len(seen), len(before))
			}
		})
	}
}

func TestFetchOrder(t *testing.T) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, c, url := start(t, m, shopsandbox.Options{Orders: 5, Seed: 2}, fastREST, 0)
			info := s.Orders()[2]
			o, err := c.FetchOrder(context.Background(), fmt.Sprint(info.ID))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := s.OrderJSON(info.ID)
			if o.ID != fmt.Sprint(info.ID) || !o.Modified.Equal(info.Modified) || !bytes.Equal(o.Body, body) {
				t.Errorf("FetchOrder = %s %s; want %d %s and the shop's bytes", o.ID, o.Modified, info.ID, info.Modified)
			}
			_, err = c.FetchOrder(context.Background(), "999999")
			if !errors.Is(err, webshop.ErrOrderNotFound) || !strings.Contains(err.Error(), url) {
				t.Errorf("unknown order: %v; want ErrOrderNotFound naming %s", err, url)
			}
			if _, err := c.FetchOrder(context.Background(), "12/../x"); err == nil {
				t.Error("FetchOrder accepted a non-numeric id")
			}
		})
	}
}

// TestRetries: 429 and 5xx are retried, Retry-After is honoured, and the
// retries end.
func TestRetries(t *testing.T) {
	type tc struct {
		fault        shopsandbox.Fault
		rest         webshop.RESTOptions
		wantErr      error
		wantRequests int
		minElapsed   time.Duration
		wantAfter    time.Duration // ShopError.RetryAfter
	}
	quick := fastREST
	quick.MaxAttempts = 3
	short := fastREST
	short.Timeout = 500 * time.Millisecond
	tests := map[string]tc{
		"503 twice":                {fault: shopsandbox.Fault{Kind: shopsandbox.FaultStatus, Times: 2}, rest: fastREST, wantRequests: 3},
		"502 proxy page":           {fault: shopsandbox.Fault{Kind: shopsandbox.FaultStatus, Status: 502}, rest: fastREST, wantRequests: 2},
		"429 with Retry-After 1":   {fault: shopsandbox.Fault{Kind: shopsandbox.FaultRateLimit, RetryAfter: time.Second}, rest: fastREST, wantRequests: 2, minElapsed: time.Second},
		"500 until attempts end":   {fault: shopsandbox.Fault{Kind: shopsandbox.FaultStatus, Status: 500, Times: -1}, rest: quick, wantErr: webshop.ErrShopUnavailable, wantRequests: 3},
		"Retry-After beyond limit": {fault: shopsandbox.Fault{Kind: shopsandbox.FaultRateLimit, RetryAfter: time.Hour}, rest: fastREST, wantErr: webshop.ErrShopUnavailable, wantRequests: 1, wantAfter: time.Hour},
		"slow answer times out":    {fault: shopsandbox.Fault{Kind: shopsandbox.FaultLatency, Latency: 5 * time.Second}, rest: short, wantRequests: 2},
		"501 is not retried":       {fault: shopsandbox.Fault{Kind: shopsandbox.FaultStatus, Status: 501, Times: -1}, rest: fastREST, wantErr: webshop.ErrShopRequest, wantRequests: 1},
	}
	for _, mname := range []string{"woocommerce/basic", "magento/oauth1-sha256"} {
		for name, tt := range tests {
			t.Run(mname+"/"+name, func(t *testing.T) {
				t.Parallel()
				s, c, _ := start(t, modes[mname], shopsandbox.Options{Orders: 12, Seed: 3, Faults: []shopsandbox.Fault{tt.fault}}, tt.rest, 5)
				t0 := time.Now()
				p, err := c.ListModified(context.Background(), longAgo, 1)
				elapsed := time.Since(t0)
				if n := len(s.Requests()); n != tt.wantRequests {
					t.Errorf("%d requests, want %d", n, tt.wantRequests)
				}
				if elapsed < tt.minElapsed {
					t.Errorf("answered after %s; Retry-After asked for %s", elapsed, tt.minElapsed)
				}
				if tt.wantErr == nil {
					if err != nil || len(p.Orders) != 5 {
						t.Fatalf("ListModified = %v, %v; want a full page", p, err)
					}
					return
				}
				var se *webshop.ShopError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &se) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if se.RetryAfter != tt.wantAfter || se.Page != 1 || se.Status == 0 {
					t.Errorf("ShopError %+v; want RetryAfter %s, Page 1, a status", se, tt.wantAfter)
				}
			})
		}
	}
}

func TestBadCredentials(t *testing.T) {
	tests := map[string]struct {
		mode    string
		opts    shopsandbox.Options
		corrupt func(*shopsandbox.Options) // what the client gets wrong
		reason  string                     // sandbox log, Magento only
	}{
		"woo wrong secret":           {mode: "woocommerce/basic", corrupt: func(o *shopsandbox.Options) { o.ConsumerSecret = "cs_wrong-secret-value" }},
		"woo wrong key by query":     {mode: "woocommerce/query", corrupt: func(o *shopsandbox.Options) { o.ConsumerKey = "ck_wrong-key-value" }},
		"magento wrong bearer":       {mode: "magento/bearer", corrupt: func(o *shopsandbox.Options) { o.AccessToken = "wrong-token-value" }, reason: "unknown bearer token"},
		"magento bearer disabled":    {mode: "magento/bearer", opts: shopsandbox.Options{RejectBearer: true}, corrupt: func(*shopsandbox.Options) {}, reason: "bearer tokens are disabled"},
		"magento wrong token secret": {mode: "magento/oauth1-sha256", corrupt: func(o *shopsandbox.Options) { o.AccessTokenSecret = "wrong-token-secret" }, reason: "signature mismatch"},
		"magento wrong consumer":     {mode: "magento/oauth1-sha256", corrupt: func(o *shopsandbox.Options) { o.ConsumerKey = "wrong-consumer-key" }, reason: "unknown consumer key"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := modes[tt.mode]
			opts := tt.opts
			opts.Orders, opts.Seed = 3, 1
			s := m.newShop(opts)
			srv := httptest.NewServer(s)
			defer srv.Close()
			creds := s.Options()
			tt.corrupt(&creds)
			c, err := m.newClient(srv.URL, creds, fastREST, 10)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListModified(context.Background(), longAgo, 1)
			var se *webshop.ShopError
			if !errors.Is(err, webshop.ErrShopAuth) || !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
				t.Fatalf("err = %v; want ErrShopAuth with 401", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, srv.URL) {
				t.Errorf("error %q does not name the shop %s", msg, srv.URL)
			}
			for _, secret := range []string{creds.ConsumerSecret, creds.AccessToken, creds.AccessTokenSecret,
				s.Options().ConsumerSecret, s.Options().AccessToken, s.Options().AccessTokenSecret} {
				if secret != "" && strings.Contains(msg, secret) {
					t.Errorf("error %q contains a secret", msg)
				}
			}
			reqs := s.Requests()
			if len(reqs) != 1 {
				t.Errorf("%d requests; a 401 must not be retried", len(reqs))
			}
			if tt.reason != "" && reqs[0].Reason != tt.reason {
				t.Errorf("sandbox refused for %q, want %q", reqs[0].Reason, tt.reason)
			}
		})
	}
}

// TestNotPlatform points clients at things that are not their platform's
// REST API.
func TestNotPlatform(t *testing.T) {
	wp404 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}`)
	})
	spa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><html><body><div id=app></div></body></html>")
	})
	jsonArray := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":1}]`)
	})
	wooShop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 3})
	magShop := shopsandbox.NewMagento(shopsandbox.Options{Orders: 3})
	maintenance := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 3, Faults: []shopsandbox.Fault{{Kind: shopsandbox.FaultHTML}}})
	tests := map[string]struct {
		handler http.Handler
		mode    string
		creds   shopsandbox.Options
	}{
		"woo client at magento":          {magShop, "woocommerce/basic", wooShop.Options()},
		"magento client at woocommerce":  {wooShop, "magento/bearer", magShop.Options()},
		"woo client at wordpress no woo": {wp404, "woocommerce/basic", wooShop.Options()},
		"woo client at a web app":        {spa, "woocommerce/basic", wooShop.Options()},
		"magento client at a web app":    {spa, "magento/oauth1-sha256", magShop.Options()},
		"magento client at a JSON list":  {jsonArray, "magento/bearer", magShop.Options()},
		"woo shop in maintenance":        {maintenance, "woocommerce/basic", maintenance.Options()},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, err := modes[tt.mode].newClient(srv.URL, tt.creds, fastREST, 10)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListModified(context.Background(), longAgo, 1)
			if !errors.Is(err, webshop.ErrNotPlatform) || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("err = %v; want ErrNotPlatform naming %s", err, srv.URL)
			}
		})
	}
}

func TestGarbagePage(t *testing.T) {
	for _, mname := range []string{"woocommerce/query", "magento/bearer"} {
		t.Run(mname, func(t *testing.T) {
			t.Parallel()
			s, c, _ := start(t, modes[mname], shopsandbox.Options{Orders: 30, Seed: 6,
				Faults: []shopsandbox.Fault{{Kind: shopsandbox.FaultGarbage, Page: 2}}}, fastREST, 10)
			if _, err := c.ListModified(context.Background(), longAgo, 1); err != nil {
				t.Fatalf("page 1: %v", err)
			}
			_, err := c.ListModified(context.Background(), longAgo, 2)
			var se *webshop.ShopError
			if !errors.Is(err, webshop.ErrBadPage) || !errors.As(err, &se) || se.Page != 2 {
				t.Fatalf("page 2: %v; want ErrBadPage for page 2", err)
			}
			if !strings.Contains(err.Error(), "page 2") {
				t.Errorf("error %q does not say which page", err)
			}
			if n := len(s.Requests()); n != 2 {
				t.Errorf("%d requests; a bad page is not retried", n)
			}
			// The fault was one-off: the page reads now.
			if p, err := c.ListModified(context.Background(), longAgo, 2); err != nil || len(p.Orders) != 10 {
				t.Errorf("page 2 again: %v, %v", p, err)
			}
		})
	}
}

// TestPagePastEnd: Magento answers a page past the end with the last page
// again; the client must not return those orders twice.
func TestPagePastEnd(t *testing.T) {
	for name, m := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c, _ := start(t, m, shopsandbox.Options{Orders: 23, Seed: 8}, fastREST, 10)
			p, err := c.ListModified(context.Background(), longAgo, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Orders) != 0 || p.More() || p.TotalPages != 3 || p.Total != 23 {
				t.Errorf("page 4 of 3: %d orders, more %v, %d pages, total %d", len(p.Orders), p.More(), p.TotalPages, p.Total)
			}
			p, err = c.ListModified(context.Background(), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 1)
			if err != nil || len(p.Orders) != 0 || p.More() || p.TotalPages != 0 || p.Total != 0 {
				t.Errorf("nothing modified since 2030: %+v, %v", p, err)
			}
		})
	}
}

// TestSecretsStayOutOfErrors: with query-string auth the secret is in the
// request URL; transport errors must not repeat it.
func TestSecretsStayOutOfErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	const secret = "cs_do-not-print-me"
	rest := fastREST
	rest.MaxAttempts = 2
	c, err := webshop.NewWooClient(webshop.WooConfig{URL: url, ConsumerKey: "ck_x", ConsumerSecret: secret, QueryAuth: true, REST: rest})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListModified(context.Background(), longAgo, 1)
	if !errors.Is(err, webshop.ErrShopUnavailable) {
		t.Fatalf("err = %v; want ErrShopUnavailable", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "consumer_secret") {
		t.Errorf("error leaks the query string: %v", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	rest := fastREST
	rest.RetryDelay = time.Minute
	s, c, _ := start(t, modes["woocommerce/basic"], shopsandbox.Options{Orders: 3,
		Faults: []shopsandbox.Fault{{Kind: shopsandbox.FaultStatus, Times: -1}}}, rest, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.ListModified(ctx, longAgo, 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 5*time.Second {
		t.Errorf("err = %v after %s; want the context's error at once", err, time.Since(t0))
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestNewClientRejectsBadConfig(t *testing.T) {
	tests := map[string]func() error{
		"woo ftp URL": func() error {
			_, err := webshop.NewWooClient(webshop.WooConfig{URL: "ftp://shop.example.nl", ConsumerKey: "ck", ConsumerSecret: "cs"})
			return err
		},
		"woo URL with credentials": func() error {
			_, err := webshop.NewWooClient(webshop.WooConfig{URL: "https://ck:cs_secret@shop.example.nl", ConsumerKey: "ck", ConsumerSecret: "cs"})
			if err != nil && strings.Contains(err.Error(), "cs_secret") {
				return fmt.Errorf("error leaks the URL's password: %v", err)
			}
			return err
		},
		"woo URL with query": func() error {
			_, err := webshop.NewWooClient(webshop.WooConfig{URL: "https://shop.example.nl/?x=1", ConsumerKey: "ck", ConsumerSecret: "cs"})
			return err
		},
		"woo no secret": func() error {
			_, err := webshop.NewWooClient(webshop.WooConfig{URL: "https://shop.example.nl", ConsumerKey: "ck"})
			return err
		},
		"woo per_page 101": func() error {
			_, err := webshop.NewWooClient(webshop.WooConfig{URL: "https://shop.example.nl", ConsumerKey: "ck", ConsumerSecret: "cs", PerPage: 101})
			return err
		},
		"magento oauth without token secret": func() error {
			_, err := webshop.NewMagentoClient(webshop.MagentoConfig{URL: "https://shop.example.nl", ConsumerKey: "a", ConsumerSecret: "b", AccessToken: "c"})
			return err
		},
		"magento bearer without token": func() error {
			_, err := webshop.NewMagentoClient(webshop.MagentoConfig{URL: "https://shop.example.nl", Bearer: true})
			return err
		},
		"magento no host": func() error {
			_, err := webshop.NewMagentoClient(webshop.MagentoConfig{URL: "https:///rest", Bearer: true, AccessToken: "t"})
			return err
		},
	}
	for name, build := range tests {
		t.Run(name, func(t *testing.T) {
			err := build()
			if err == nil || strings.Contains(err.Error(), "leaks") {
				t.Errorf("err = %v; want a configuration error", err)
			}
		})
	}
	if _, err := webshop.NewWooClient(webshop.WooConfig{URL: "https://shop.example.nl/winkel/", ConsumerKey: "ck", ConsumerSecret: "cs"}); err != nil {
		t.Errorf("a shop in a subdirectory: %v", err)
	}
}

// TestStoreCodeAndSubdirectory: the Magento store code and a base path end
// up in the request path.
func TestStoreCodeAndSubdirectory(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[],"search_criteria":{},"total_count":0}`)
	}))
	defer srv.Close()
	c, err := webshop.NewMagentoClient(webshop.MagentoConfig{URL: srv.URL + "/shop/", StoreCode: "default", Bearer: true, AccessToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListModified(context.Background(), longAgo, 1); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/shop/rest/default/V1/orders"}; !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
}

func TestPageMore(t *testing.T) {
	tests := map[string]struct {
		p    webshop.Page
		want bool
	}{
		"first of three":         {webshop.Page{Number: 1, PerPage: 10, TotalPages: 3}, true},
		"last of three":          {webshop.Page{Number: 3, PerPage: 10, TotalPages: 3}, false},
		"past the end":           {webshop.Page{Number: 4, PerPage: 10, TotalPages: 3}, false},
		"nothing matches":        {webshop.Page{Number: 1, PerPage: 10, TotalPages: 0}, false},
		"unknown count, full":    {webshop.Page{Number: 1, PerPage: 2, TotalPages: -1, Orders: make([]webshop.RawOrder, 2)}, true},
		"unknown count, partial": {webshop.Page{Number: 1, PerPage: 2, TotalPages: -1, Orders: make([]webshop.RawOrder, 1)}, false},
	}
	for name, tt := range tests {
		if got := tt.p.More(); got != tt.want {
			t.Errorf("%s: More() = %v, want %v", name, got, tt.want)
		}
	}
}
