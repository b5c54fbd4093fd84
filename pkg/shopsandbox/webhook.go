package shopsandbox

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// PushOptions configure a webhook push.
type PushOptions struct {
	// URL is the delivery URL; required.
	URL string
	// Secret signs the deliveries; default Options.WebhookSecret.
	Secret string
	// IDs pushes these orders (with their pending event's topic, else
	// "updated") instead of every pending event.
	IDs []int64
	// DropFraction (0 to 1) of the events are not delivered at all, as
	// when WooCommerce's queue stalls or a delivery fails and is never
	// retried. Which ones is decided by Options.Seed and the number of
	// earlier pushes, so a run repeats exactly.
	DropFraction float64
	// DuplicateFraction (0 to 1) of the delivered events are sent twice in
	// a row with the same delivery id, as a retrying sender does.
	DuplicateFraction float64
	// SignatureHeader names Magento's signature header; default
	// "X-Koppel-Signature". WooCommerce always uses X-WC-Webhook-Signature.
	SignatureHeader string
	// Client sends the deliveries; default one that follows no redirects,
	// with WooCommerce's 60 s timeout or 10 s for Magento.
	Client *http.Client
}

// PushResult counts what a push did.
type PushResult struct {
	// Events is the number of order events considered.
	Events int
	// Sent is the number of HTTP requests made, duplicates included.
	Sent int
	// Dropped is the number of events not delivered on purpose.
	Dropped int
	// Duplicated is the number of events delivered twice.
	Duplicated int
	// Failed is the number of requests that got no answer or one the
	// platform counts as failed (WooCommerce: outside 200–302; Magento
	// module: not 2xx).
	Failed int
	// Deliveries has one entry per event, in the order sent.
	Deliveries []Delivery
}

// A Delivery is what happened to one order event.
type Delivery struct {
	OrderID int64
	// Topic is "order.created" or "order.updated" for WooCommerce and
	// "sales_order_save_after" for Magento.
	Topic string
	// DeliveryID is the X-WC-Webhook-Delivery-ID or X-Koppel-Delivery-Id
	// sent ("" when dropped).
	DeliveryID string
	// Dropped is true when the event was not sent.
	Dropped bool
	// Requests is how many requests were sent: 0, 1, or 2 when duplicated.
	Requests int
	// Status is the status of the last answer, 0 when dropped or none came.
	Status int
	// Err is the transport error of the last request, if any.
	Err error
}

// pushItem is an event ready to send, snapshotted under the lock.
type pushItem struct {
	id    int64
	topic string
	body  []byte
}

// Push delivers the pending order events (or opts.IDs) to opts.URL as the
// platform would, signed with HMAC-SHA256 of the exact body, and takes them
// off the pending list, dropped ones included. Bodies are the orders' JSON
// at delivery time, as WooCommerce builds them. WooCommerce deliveries
// carry the X-WC-Webhook-Source, -Topic, -Resource, -Event, -Signature,
// -ID and -Delivery-ID headers and WooCommerce's User-Agent; Magento ones
// X-Koppel-Event, X-Koppel-Delivery-Id, X-Magento-Store and the signature
// header. Deliveries are sent one at a time. Push fails without sending
// anything when the URL is empty or an id is unknown, and stops early,
// returning what it did so far, when ctx ends.
func (s *shop) Push(ctx context.Context, opts PushOptions) (PushResult, error) {
	if opts.URL == "" {
		return PushResult{}, errors.New("shopsandbox: push: no URL")
	}
	if opts.DropFraction < 0 || opts.DropFraction > 1 || opts.DuplicateFraction < 0 || opts.DuplicateFraction > 1 {
		return PushResult{}, errors.New("shopsandbox: push: fractions must be between 0 and 1")
	}
	secret := []byte(cmp.Or(opts.Secret, s.opts.WebhookSecret))
	client := opts.Client
	if client == nil {
		timeout := 10 * time.Second
		if s.platform == platformWoo {
			timeout = time.Minute
		}
		client = &http.Client{
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}

	s.mu.Lock()
	items, err := s.takeEvents(opts.IDs)
	if err != nil {
		s.mu.Unlock()
		return PushResult{}, err
	}
	s.pushes++
	rng := rand.New(rand.NewPCG(s.opts.Seed, 0xd15c0+s.pushes))
	s.mu.Unlock()

	res := PushResult{Events: len(items)}
	for _, it := range items {
		// Two draws per event, always, so changing one fraction does not
		// change the other's decisions.
		drop, dup := rng.Float64() < opts.DropFraction, rng.Float64() < opts.DuplicateFraction
		d := Delivery{OrderID: it.id, Topic: s.topicName(it.topic)}
		if drop {
			d.Dropped = true
			res.Dropped++
			res.Deliveries = append(res.Deliveries, d)
			continue
		}
		h := s.deliveryHeaders(it, secret, rng, opts.SignatureHeader)
		d.DeliveryID = h.Get("X-Koppel-Delivery-Id")
		if v := h["X-WC-Webhook-Delivery-ID"]; len(v) > 0 { // set in WooCommerce's casing
			d.DeliveryID = v[0]
		}
		copies := 1
		if dup {
			copies = 2
			res.Duplicated++
		}
		for range copies {
			if err := ctx.Err(); err != nil {
				res.Deliveries = append(res.Deliveries, d)
				return res, err
			}
			d.Requests++
			res.Sent++
			d.Status, d.Err = deliver(ctx, client, opts.URL, h, it.body)
			if !s.delivered(d.Status) {
				res.Failed++
			}
		}
		res.Deliveries = append(res.Deliveries, d)
	}
	return res, ctx.Err()
}

// takeEvents removes and returns the events to push: every pending one,
// or one per id in ids. mu held.
func (s *shop) takeEvents(ids []int64) ([]pushItem, error) {
	var items []pushItem
	if ids == nil {
		for _, e := range s.events {
			items = append(items, pushItem{id: e.id, topic: e.topic, body: bytes.Clone(s.bodyOf(s.byID[e.id]))})
		}
		s.events = nil
		return items, nil
	}
	for _, id := range ids {
		o, ok := s.byID[id]
		if !ok {
			return nil, fmt.Errorf("shopsandbox: push: no order %d", id)
		}
		topic := "updated"
		for _, e := range s.events {
			if e.id == id {
				topic = e.topic
				break
			}
		}
		items = append(items, pushItem{id: id, topic: topic, body: bytes.Clone(s.bodyOf(o))})
	}
	kept := s.events[:0]
	for _, e := range s.events {
		if !containsID(ids, e.id) {
			kept = append(kept, e)
		}
	}
	s.events = kept
	return items, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// PendingEvents returns how many order events wait for a push.
func (s *shop) PendingEvents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

func (s *shop) topicName(topic string) string {
	if s.platform == platformWoo {
		return "order." + topic
	}
	return "sales_order_save_after"
}

// delivered reports whether the platform counts status as delivered.
func (s *shop) delivered(status int) bool {
	if s.platform == platformWoo {
		return status >= 200 && status < 303 // WC_Webhook::log_delivery
	}
	return status >= 200 && status < 300
}

// deliveryHeaders builds one delivery's headers.
func (s *shop) deliveryHeaders(it pushItem, secret []byte, rng *rand.Rand, sigHeader string) http.Header {
	mac := hmac.New(sha256.New, secret)
	mac.Write(it.body)
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if s.platform == platformWoo {
		// wp_hash($webhook_id . strtotime('now')): HMAC-MD5 with the site's
		// salt, the same for two deliveries of one webhook in one second.
		now := s.opts.Clock().Unix()
		salt := hmac.New(md5.New, []byte(fmt.Sprintf("sandbox-salt-%d", s.opts.Seed)))
		fmt.Fprintf(salt, "%d%d", s.opts.WebhookID, now)
		h.Set("User-Agent", "WooCommerce/"+wooVersion+" Hookshot (WordPress/6.6.1)")
		h["X-WC-Webhook-Source"] = []string{s.opts.SiteURL + "/"}
		h["X-WC-Webhook-Topic"] = []string{"order." + it.topic}
		h["X-WC-Webhook-Resource"] = []string{"order"}
		h["X-WC-Webhook-Event"] = []string{it.topic}
		h["X-WC-Webhook-Signature"] = []string{sig}
		h["X-WC-Webhook-ID"] = []string{strconv.Itoa(s.opts.WebhookID)}
		h["X-WC-Webhook-Delivery-ID"] = []string{hex.EncodeToString(salt.Sum(nil))}
		return h
	}
	var id [16]byte
	for i := range id {
		id[i] = byte(rng.UintN(256))
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // a version 4 UUID
	u := hex.EncodeToString(id[:])
	h.Set("User-Agent", "Koppel_Push/1.2 (Magento/2.4.7)")
	h.Set("X-Koppel-Event", "sales_order_save_after")
	h.Set("X-Koppel-Delivery-Id", u[:8]+"-"+u[8:12]+"-"+u[12:16]+"-"+u[16:20]+"-"+u[20:])
	h.Set("X-Magento-Store", "default")
	h.Set(cmp.Or(sigHeader, "X-Koppel-Signature"), sig)
	return h
}

// deliver POSTs one delivery and returns the answer's status.
func deliver(ctx context.Context, c *http.Client, url string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	return resp.StatusCode, nil
}
