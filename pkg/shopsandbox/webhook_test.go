package shopsandbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/webshop"
)

// pusher is a shop that pushes webhooks.
type pusher interface {
	mutableShop
	Options() shopsandbox.Options
	Push(context.Context, shopsandbox.PushOptions) (shopsandbox.PushResult, error)
}

var pushers = map[webshop.Platform]func(shopsandbox.Options) pusher{
	webshop.WooCommerce: func(o shopsandbox.Options) pusher { return shopsandbox.NewWooCommerce(o) },
	webshop.Magento:     func(o shopsandbox.Options) pusher { return shopsandbox.NewMagento(o) },
}

// received is one delivery as the receiver saw it.
type received struct {
	orderID    string
	deliveryID string
	headers    map[string]string
}

// receiver verifies every delivery with koppel's adapter for p and the
// shop's secret, normalizes it, and answers status.
type receiver struct {
	t       *testing.T
	adapter webshop.Adapter
	status  int

	mu   sync.Mutex
	got  []received
	errs []error
}

func newReceiver(t *testing.T, p webshop.Platform, secret string, status int) (*receiver, *httptest.Server) {
	a, err := webshop.New(p, webshop.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, adapter: a, status: status}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	kind, err := rc.adapter.Verify(r.Header, body)
	if err == nil && kind != webshop.KindOrder {
		err = errors.New("not an order delivery: " + kind.String())
	}
	if err != nil {
		rc.errs = append(rc.errs, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	o, err := rc.adapter.Normalize("push", body)
	if err != nil {
		rc.errs = append(rc.errs, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !o.GetTotalCheck().GetOk() {
		rc.errs = append(rc.errs, errors.New("total check failed for order "+o.GetShopOrderId()))
	}
	h := rc.adapter.DeliveryHeaders(r.Header)
	rc.got = append(rc.got, received{
		orderID:    o.GetShopOrderId(),
		deliveryID: h["X-Wc-Webhook-Delivery-Id"] + h["X-Koppel-Delivery-Id"],
		headers:    h,
	})
	w.WriteHeader(rc.status)
}

func TestPushDropsAndDuplicates(t *testing.T) {
	for p, newShop := range pushers {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			opts := shopsandbox.Options{Orders: 80, Seed: 21}
			s := newShop(opts)
			rc, srv := newReceiver(t, p, s.Options().WebhookSecret, http.StatusOK)
			res, err := s.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL, DropFraction: 0.25, DuplicateFraction: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", shopsandbox.PushResult{Events: res.Events, Sent: res.Sent, Dropped: res.Dropped, Duplicated: res.Duplicated, Failed: res.Failed})
			if len(rc.errs) > 0 {
				t.Fatalf("receiver rejected deliveries: %v", rc.errs)
			}
			if res.Events != 80 || res.Sent != 80-res.Dropped+res.Duplicated || res.Failed != 0 || len(res.Deliveries) != 80 {
				t.Errorf("result %+v does not add up", res)
			}
			if res.Dropped < 8 || res.Dropped > 32 || res.Duplicated < 5 || res.Duplicated > 25 {
				t.Errorf("dropped %d, duplicated %d of 80; want about 20 and 12", res.Dropped, res.Duplicated)
			}
			if len(rc.got) != res.Sent {
				t.Fatalf("receiver got %d deliveries, push sent %d", len(rc.got), res.Sent)
			}
			copies := map[string]int{}
			deliveryIDs := map[string]map[string]bool{}
			for _, g := range rc.got {
				copies[g.orderID]++
				if deliveryIDs[g.orderID] == nil {
					deliveryIDs[g.orderID] = map[string]bool{}
				}
				deliveryIDs[g.orderID][g.deliveryID] = true
			}
			var dropped []int64
			for _, d := range res.Deliveries {
				id := strconv.FormatInt(d.OrderID, 10)
				switch {
				case d.Dropped:
					dropped = append(dropped, d.OrderID)
					if copies[id] != 0 {
						t.Errorf("order %s dropped but received", id)
					}
				case copies[id] != d.Requests || d.Status != http.StatusOK:
					t.Errorf("order %s: received %d times, sent %d, status %d", id, copies[id], d.Requests, d.Status)
				case len(deliveryIDs[id]) != 1 || !deliveryIDs[id][d.DeliveryID]:
					t.Errorf("order %s: delivery ids %v, push says %q", id, deliveryIDs[id], d.DeliveryID)
				}
			}
			first := rc.got[0].headers
			if p == webshop.WooCommerce {
				if first["X-Wc-Webhook-Topic"] != "order.created" || first["X-Wc-Webhook-Source"] != s.Options().SiteURL+"/" ||
					first["X-Wc-Webhook-Resource"] != "order" || first["X-Wc-Webhook-Id"] != "7" || len(first["X-Wc-Webhook-Delivery-Id"]) != 32 {
					t.Errorf("woo delivery headers %v", first)
				}
			} else if first["X-Koppel-Event"] != "sales_order_save_after" || first["X-Magento-Store"] != "default" || len(first["X-Koppel-Delivery-Id"]) != 36 {
				t.Errorf("magento delivery headers %v", first)
			}
			if s.PendingEvents() != 0 {
				t.Errorf("%d events still pending", s.PendingEvents())
			}

			// The same seed drops the same deliveries.
			again := newShop(opts)
			res2, err := again.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL, DropFraction: 0.25, DuplicateFraction: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			var dropped2 []int64
			for _, d := range res2.Deliveries {
				if d.Dropped {
					dropped2 = append(dropped2, d.OrderID)
				}
			}
			if !slices.Equal(dropped, dropped2) || res2.Duplicated != res.Duplicated {
				t.Errorf("second run dropped %v (dup %d), first %v (dup %d)", dropped2, res2.Duplicated, dropped, res.Duplicated)
			}
		})
	}
}

// TestPushUpdates: touched orders are pushed once as updates, with the
// body as it is at delivery time.
func TestPushUpdates(t *testing.T) {
	for p, newShop := range pushers {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			s := newShop(shopsandbox.Options{Orders: 10, Seed: 2})
			rc, srv := newReceiver(t, p, s.Options().WebhookSecret, http.StatusOK)
			if _, err := s.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			orders := s.Orders()
			if _, err := s.Touch(orders[1].ID, orders[4].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Touch(orders[1].ID); err != nil { // a second change: still one pending event
				t.Fatal(err)
			}
			res, err := s.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if res.Events != 2 || res.Sent != 2 || res.Dropped != 0 || res.Duplicated != 0 || len(rc.got) != 12 {
				t.Fatalf("update push %+v; receiver has %d", res, len(rc.got))
			}
			if p == webshop.WooCommerce {
				if topic := rc.got[10].headers["X-Wc-Webhook-Topic"]; topic != "order.updated" {
					t.Errorf("topic %q", topic)
				}
			}
			if len(rc.errs) > 0 {
				t.Errorf("receiver: %v", rc.errs)
			}
		})
	}
}

func TestPushCountsFailures(t *testing.T) {
	tests := map[string]struct {
		platform   webshop.Platform
		status     int
		wantFailed int
	}{
		"woo 302 counts as delivered": {webshop.WooCommerce, http.StatusFound, 0},
		"woo 500 fails":               {webshop.WooCommerce, http.StatusInternalServerError, 3},
		"magento 302 fails":           {webshop.Magento, http.StatusFound, 3},
		"magento 202 delivered":       {webshop.Magento, http.StatusAccepted, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := pushers[tt.platform](shopsandbox.Options{Orders: 5, Seed: 3})
			_, srv := newReceiver(t, tt.platform, s.Options().WebhookSecret, tt.status)
			orders := s.Orders()
			res, err := s.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL, IDs: []int64{orders[0].ID, orders[2].ID, orders[3].ID}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 3 || res.Failed != tt.wantFailed {
				t.Errorf("sent %d, failed %d; want 3, %d", res.Sent, res.Failed, tt.wantFailed)
			}
			if s.PendingEvents() != 2 {
				t.Errorf("%d pending; pushing by id must leave the other 2 created events", s.PendingEvents())
			}
		})
	}
}

func TestPushWrongSecretIsRejected(t *testing.T) {
	for p, newShop := range pushers {
		s := newShop(shopsandbox.Options{Orders: 2})
		rc, srv := newReceiver(t, p, "another secret", http.StatusOK)
		res, err := s.Push(context.Background(), shopsandbox.PushOptions{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.errs) != 2 || res.Failed != 2 {
			t.Errorf("%s: receiver errors %v, failed %d; want the signature refused twice", p, rc.errs, res.Failed)
		}
		for _, e := range rc.errs {
			if !errors.Is(e, webshop.ErrSignature) {
				t.Errorf("%s: %v", p, e)
			}
		}
	}
	if _, err := pushers[webshop.Magento](shopsandbox.Options{}).Push(context.Background(), shopsandbox.PushOptions{}); err == nil {
		t.Error("Push without a URL succeeded")
	}
}
