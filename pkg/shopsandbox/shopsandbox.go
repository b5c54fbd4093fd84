// Package shopsandbox runs fake WooCommerce and Magento 2 shops for tests
// and demos: REST order APIs that page, filter, sort and authenticate the
// way the real ones do for what koppel uses, serving generated orders that
// look and add up like real Dutch book-shop orders, and a webhook pusher
// that signs deliveries as the platforms (or koppel's Magento module) do.
//
// The orders exercise VAT: about 70 % come from Dutch consumers (lines at
// 21 % and 9 %, now and then a gift voucher at 0 %), 10 % from Dutch
// businesses with a VAT number, 8 % from businesses elsewhere in the EU
// with a valid VAT number, charged no VAT (an intra-community supply), 7 %
// from EU consumers charged Dutch VAT (below the OSS threshold) and 5 %
// from customers in the US, Switzerland and the UK, charged no VAT (an
// export).
//
// [NewWooCommerce] and [NewMagento] return http.Handlers; [Server] serves
// one on a loopback port. Orders come from a seeded generator, so the same
// Options give the same orders byte for byte. Both shops can change their
// orders while running ([WooCommerce.Touch], [WooCommerce.AddOrders]) so a
// poller sees updates, and can be made to fail ([Fault]).
//
// What the fakes do not do: create, update or delete through the API,
// refunds, other resources than orders, WooCommerce's OAuth 1.0a for plain
// HTTP, Magento store scoping, and the Link header's exact URL encoding.
package shopsandbox

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Options configure a sandbox shop. The zero value gives a working shop of
// 40 orders with generated credentials; read them back with Options().
type Options struct {
	// Orders is the number of orders generated at start; 0 means 40 and a
	// negative number none.
	Orders int
	// Seed makes the generated orders, credentials and webhook drops
	// reproducible. Equal options give equal orders.
	Seed uint64
	// Epoch is when the first generated order is placed; default
	// 2025-03-03 08:00:00 UTC. Later orders follow minutes apart, often
	// several in one second.
	Epoch time.Time
	// Clock is the shop's clock for changes made while it runs (Touch,
	// AddOrders); default time.Now. Changes never go back in time: a change
	// lands at least one second after the order's previous modification.
	Clock func() time.Time
	// SiteURL is the shop's public URL as it appears inside orders
	// (_links, X-WC-Webhook-Source); default an example.nl host. It does not
	// need to be where the sandbox listens.
	SiteURL string

	// ConsumerKey and ConsumerSecret are the WooCommerce REST key or the
	// Magento integration's consumer; AccessToken and AccessTokenSecret the
	// Magento integration's token. Empty fields get generated values.
	ConsumerKey       string
	ConsumerSecret    string
	AccessToken       string
	AccessTokenSecret string
	// RejectBearer makes Magento refuse the access token as a bearer token,
	// as Magento 2.4.4 and later do by default.
	RejectBearer bool
	// WebhookSecret signs pushed webhooks; empty gets a generated value.
	WebhookSecret string
	// WebhookID is the WooCommerce webhook's id (X-WC-Webhook-ID); default 7.
	WebhookID int

	// MaxPageSize is the largest page a list request may ask for: per_page
	// for WooCommerce (default 100, its schema maximum), pageSize for
	// Magento (default 300, 2.4.7's input limit). Larger asks get the
	// platform's 400.
	MaxPageSize int
	// SplitHouseNumber renders addresses as Dutch house-number plugins
	// store them: WooCommerce meta _billing_street_name, _house_number and
	// _house_number_suffix; Magento three street lines (street, number,
	// suffix). Otherwise the number is only inside the street line.
	SplitHouseNumber bool
	// Faults are armed at start, as if passed to InjectFault in order.
	Faults []Fault
}

func (o Options) withDefaults(platform string) Options {
	if o.Orders == 0 {
		o.Orders = 40
	}
	if o.Epoch.IsZero() {
		o.Epoch = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.WebhookID == 0 {
		o.WebhookID = 7
	}
	// Credentials come from their own generator so that changing them
	// does not change the orders.
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	token := func(n int) string {
		const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		return string(b)
	}
	hex40 := func() string {
		const chars = "0123456789abcdef"
		b := make([]byte, 40)
		for i := range b {
			b[i] = chars[r.IntN(16)]
		}
		return string(b)
	}
	switch platform {
	case platformWoo:
		o.SiteURL = cmp.Or(o.SiteURL, "https://boekhandel-woo.example.nl")
		o.MaxPageSize = cmp.Or(o.MaxPageSize, 100)
		o.ConsumerKey = cmp.Or(o.ConsumerKey, "ck_"+hex40())
		o.ConsumerSecret = cmp.Or(o.ConsumerSecret, "cs_"+hex40())
	default:
		o.SiteURL = cmp.Or(o.SiteURL, "https://boekhandel-magento.example.nl")
		o.MaxPageSize = cmp.Or(o.MaxPageSize, 300)
		o.ConsumerKey = cmp.Or(o.ConsumerKey, token(32))
		o.ConsumerSecret = cmp.Or(o.ConsumerSecret, token(32))
		o.AccessToken = cmp.Or(o.AccessToken, token(32))
		o.AccessTokenSecret = cmp.Or(o.AccessTokenSecret, token(32))
	}
	o.WebhookSecret = cmp.Or(o.WebhookSecret, "whsec-"+token(24))
	return o
}

const (
	platformWoo     = "woocommerce"
	platformMagento = "magento"
)

// FaultKind says how a [Fault] breaks a response.
type FaultKind int

const (
	// FaultGarbage answers 200 with the right headers and a body cut off
	// half-way with junk appended: JSON that does not parse.
	FaultGarbage FaultKind = iota + 1
	// FaultStatus answers Fault.Status (default 503) with a proxy's HTML
	// error page for 502 to 504 and the platform's error JSON otherwise.
	FaultStatus
	// FaultRateLimit answers 429 with Retry-After: Fault.RetryAfter in
	// whole seconds (default 1) and the platform's error JSON.
	FaultRateLimit
	// FaultLatency waits Fault.Latency (or until the client gives up) and
	// then answers normally.
	FaultLatency
	// FaultHTML answers 200 with an HTML maintenance page, as a shop in
	// maintenance mode or behind a login wall does.
	FaultHTML
)

func (k FaultKind) String() string {
	switch k {
	case FaultGarbage:
		return "garbage"
	case FaultStatus:
		return "status"
	case FaultRateLimit:
		return "rate-limit"
	case FaultLatency:
		return "latency"
	case FaultHTML:
		return "html"
	default:
		return "FaultKind(" + strconv.Itoa(int(k)) + ")"
	}
}

// A Fault breaks some of a shop's API responses. Faults are checked in
// the order they were armed; the first that matches a request handles it
// and uses up one of its Times. Faults act before authentication, like a
// proxy or rate limiter in front of the shop, except FaultGarbage, which
// breaks the response the shop would have given.
type Fault struct {
	Kind FaultKind
	// Page limits the fault to list requests for this page (WooCommerce
	// page, Magento searchCriteria[currentPage]; absent counts as 1).
	// 0 matches every API request, single orders included.
	Page int
	// Times is how many requests the fault breaks; 0 means once, a
	// negative number every request until ClearFaults.
	Times int
	// Status is FaultStatus's status code; default 503.
	Status int
	// RetryAfter is FaultRateLimit's Retry-After (and FaultStatus's, when
	// set), rounded up to whole seconds; default 1s for FaultRateLimit.
	RetryAfter time.Duration
	// Latency is FaultLatency's delay.
	Latency time.Duration
}

// A Request is one API request the shop received, as its request log
// keeps it.
type Request struct {
	Method string
	Path   string
	// Query is the decoded query, with consumer_secret replaced by
	// "REDACTED".
	Query url.Values
	// Auth is how the request authenticated: "basic", "query", "bearer",
	// "oauth", or "" when it did not (or a fault answered first).
	Auth string
	// Reason says why authentication failed, when the shop can tell
	// (Magento: "signature mismatch", "nonce already used"); the client
	// only sees the platform's generic 401.
	Reason string
	// Status is the status the shop answered.
	Status int
	// Fault is the kind of fault that handled it, 0 for none.
	Fault FaultKind
}

// OrderInfo is the shop's view of one order.
type OrderInfo struct {
	ID       int64
	Number   string
	Status   string // the platform's status name
	Created  time.Time
	Modified time.Time // UTC, whole seconds
}

// shop is the state both fakes share: orders, pending webhook events,
// faults and the request log. Its exported methods are promoted to
// [WooCommerce] and [Magento]. All access holds mu.
type shop struct {
	platform string
	opts     Options

	// render writes an order's JSON as the platform's API returns it; status
	// names a status the platform's way.
	render     func(*order) []byte
	statusName func(status) string

	mu      sync.Mutex
	gen     *generator
	orders  []*order // by id
	byID    map[int64]*order
	events  []event // pending webhook events, oldest first
	faults  []*armedFault
	log     []Request
	pushes  uint64               // Push calls so far, to vary drop decisions between calls
	nonces  map[string]time.Time // Magento OAuth nonces seen, with when
	lastMod time.Time            // latest modification time of any order
}

type armedFault struct {
	Fault
	left int // < 0: unlimited
}

// event is a pending webhook delivery: an order was created or updated.
type event struct {
	id    int64
	topic string // "created" or "updated"
}

func newShop(platform string, opts Options, firstID int64, idGap int, numberFmt string) *shop {
	s := &shop{
		platform: platform,
		opts:     opts,
		byID:     map[int64]*order{},
		nonces:   map[string]time.Time{},
		gen:      newGenerator(opts.Seed, opts.Epoch, firstID, idGap, numberFmt),
	}
	if opts.Orders > 0 {
		for _, o := range s.gen.history(opts.Orders) {
			s.add(o)
		}
	}
	for _, f := range opts.Faults {
		s.arm(f)
	}
	return s
}

// add stores a new order and queues its "created" event. mu held or not
// yet shared.
func (s *shop) add(o *order) {
	s.orders = append(s.orders, o)
	s.byID[o.id] = o
	s.queue(o.id, "created")
	s.lastMod = maxTime(s.lastMod, o.modified)
}

// queue adds a webhook event unless the same one is already pending, as
// WooCommerce schedules one delivery per webhook and resource at a time.
func (s *shop) queue(id int64, topic string) {
	for _, e := range s.events {
		if e.id == id && e.topic == topic {
			return
		}
	}
	s.events = append(s.events, event{id: id, topic: topic})
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Options returns the options in effect, defaults and generated
// credentials filled in.
func (s *shop) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.opts
	o.Faults = slices.Clone(o.Faults)
	return o
}

// Orders returns every order, oldest modification first (ties by id).
func (s *shop) Orders() []OrderInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrderInfo, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, OrderInfo{ID: o.id, Number: o.number, Status: s.statusName(o.status),
			Created: o.created, Modified: o.modified})
	}
	slices.SortFunc(out, func(a, b OrderInfo) int {
		return cmp.Or(a.Modified.Compare(b.Modified), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// OrderJSON returns the order's JSON exactly as the API serves it now.
func (s *shop) OrderJSON(id int64) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return bytes.Clone(s.bodyOf(o)), true
}

// bodyOf returns the cached rendering of o. mu held.
func (s *shop) bodyOf(o *order) []byte {
	if o.body == nil {
		o.body = s.render(o)
	}
	return o.body
}

// changeTime is when a change now lands: the clock's second, but at least
// one second after every order in prev was last modified. mu held.
func (s *shop) changeTime(prev ...*order) time.Time {
	t := s.opts.Clock().UTC().Truncate(time.Second)
	for _, o := range prev {
		if !t.After(o.modified) {
			t = o.modified.Add(time.Second)
		}
	}
	return t
}

// Touch moves each order one step on, all in the same second: unpaid
// orders are paid, paid ones completed, others get a note. Every touched
// order gets that second as its modification time, which is returned, and
// an "updated" webhook event. An unknown id fails the whole call.
func (s *shop) Touch(ids ...int64) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	os := make([]*order, 0, len(ids))
	for _, id := range ids {
		o, ok := s.byID[id]
		if !ok {
			return time.Time{}, fmt.Errorf("shopsandbox: no order %d", id)
		}
		os = append(os, o)
	}
	t := s.changeTime(os...)
	for _, o := range os {
		s.gen.advance(o, t)
		s.queue(o.id, "updated")
	}
	s.lastMod = maxTime(s.lastMod, t)
	return t, nil
}

// AddOrders places n new orders, all in one second no earlier than the
// latest modification in the shop, with "created" webhook events, and
// returns their ids.
func (s *shop) AddOrders(n int) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.opts.Clock().UTC().Truncate(time.Second)
	if !t.After(s.lastMod) {
		t = s.lastMod.Add(time.Second)
	}
	var ids []int64
	for range n {
		o := s.gen.newOrder(t)
		// Payment takes seconds in history; a live order is placed and
		// paid in the same second here, so that n orders share it.
		if !o.paid.IsZero() {
			o.paid, o.modified = t, t
			for i := range o.history {
				o.history[i].at = t
			}
		}
		s.add(o)
		ids = append(ids, o.id)
	}
	return ids
}

// InjectFault arms f for the requests that follow.
func (s *shop) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm(f)
}

func (s *shop) arm(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.faults = append(s.faults, &armedFault{Fault: f, left: left})
}

// ClearFaults disarms every fault.
func (s *shop) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the request log, oldest first.
func (s *shop) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// takeFault returns the first armed fault matching a request for page
// (0: not a list request) and uses it up. mu held.
func (s *shop) takeFault(page int) *Fault {
	for i, f := range s.faults {
		if f.Page != 0 && f.Page != page {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		fc := f.Fault
		return &fc
	}
	return nil
}

// record appends a request to the log.
func (s *shop) record(r *http.Request, auth, reason string, status int, fault FaultKind) {
	q := r.URL.Query()
	if q.Has("consumer_secret") {
		q.Set("consumer_secret", "REDACTED")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: q, Auth: auth, Reason: reason, Status: status, Fault: fault})
}

// statusWriter remembers the status written, and buffers the body when
// asked, so a garbage fault can break what the shop would have sent.
type statusWriter struct {
	http.ResponseWriter
	status int
	buf    *bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	if w.buf == nil {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.buf != nil {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// serveFault answers a request with fault f, or for FaultLatency waits
// and returns false so the request is served normally. errJSON writes the
// platform's error JSON.
func serveFault(w http.ResponseWriter, r *http.Request, f *Fault, errJSON func(w http.ResponseWriter, status int, code, msg string)) (handled bool) {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		return false
	case FaultRateLimit:
		w.Header().Set("Retry-After", retryAfterSeconds(cmp.Or(f.RetryAfter, time.Second)))
		errJSON(w, http.StatusTooManyRequests, "rate_limited", "Too many requests. Try again later.")
	case FaultStatus:
		status := cmp.Or(f.Status, http.StatusServiceUnavailable)
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
		}
		if status >= 502 && status <= 504 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
				status, http.StatusText(status), status, http.StatusText(status))
			return true
		}
		errJSON(w, status, "internal_server_error", "Er is een kritieke fout opgetreden op deze website.")
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<!DOCTYPE html>\n<html lang=\"nl-NL\"><head><meta charset=\"UTF-8\"><title>Onderhoud</title></head>"+
			"<body><h1>We zijn zo terug</h1><p>De webwinkel is even in onderhoud.</p></body></html>\n")
	default:
		return false
	}
	return true
}

func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// garble cuts a JSON body half-way and appends junk.
func garble(body []byte) []byte {
	cut := len(body) / 2
	return append(bytes.Clone(body[:cut]), "\x00<?php // Fatal error: Allowed memory size exhausted"...)
}

// htmlNotFound is a theme's 404 page, what a path outside the API gets.
func htmlNotFound(w http.ResponseWriter, title string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"nl-NL\"><head><meta charset=\"UTF-8\"><title>Pagina niet gevonden – %s</title></head>"+
		"<body><h1>Oeps! Deze pagina bestaat niet.</h1></body></html>\n", title)
}

// A Server serves a shop's handler on a TCP address. Its methods are safe
// for concurrent use.
type Server struct {
	handler http.Handler

	mu  sync.Mutex
	srv *http.Server
	url string
}

// NewServer returns a server for h; it does not listen until Start.
func NewServer(h http.Handler) *Server { return &Server{handler: h} }

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in
// the background until Close. It fails when the server already runs or
// the address cannot be bound.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("shopsandbox: server already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("shopsandbox: listen %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go func(srv *http.Server) { _ = srv.Serve(ln) }(s.srv)
	return nil
}

// URL returns the base URL the server listens on, "http://127.0.0.1:port",
// or "" before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the server: it closes the listener and every connection,
// without waiting for requests in flight.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	s.srv, s.url = nil, ""
	return err
}

// Shutdown stops the server gracefully, waiting for requests in flight
// until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.srv, s.url = nil, ""
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}
