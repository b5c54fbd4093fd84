// Package normalize is the normalize stage: it turns the shop's raw JSON on
// koppel.order.raw.<profile> into the canonical order and publishes it as a
// koppelv1.OrderEvent on koppel.order.received.<profile>.
//
// The output's Nats-Msg-Id is <profile>:<shop order id>:<revision>, so the
// same order revision arriving twice (two webhook deliveries, or a webhook
// and a poll) goes on once. A payload that cannot be normalized is
// dead-lettered with the reason and the raw body, never dropped.
package normalize

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// StageName is the stage's name in its durable consumer and DLQ subjects.
const StageName = "normalize"

// Handler returns the stage handler for the given adapters, keyed by
// profile id. now supplies the received-at time; nil means time.Now.
func Handler(adapters map[string]webshop.Adapter, now func() time.Time) pipeline.Handler {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
		a, ok := adapters[m.Profile]
		if !ok {
			return nil, pipeline.Permanent(fmt.Errorf("normalize: profile %q is not configured", m.Profile))
		}
		order, err := a.Normalize(m.Profile, m.Data)
		if err != nil {
			return nil, pipeline.Permanent(fmt.Errorf("normalize: %s payload: %w", a.Platform(), err))
		}
		ev := &koppelv1.OrderEvent{
			Order:       order,
			ReceivedAt:  timestamppb.New(now().UTC()),
			Source:      m.Header.Get(pipeline.HeaderSource),
			RawSequence: m.Sequence,
			DeliveryId:  deliveryID(m.Header),
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			return nil, pipeline.Permanent(fmt.Errorf("normalize: encode event: %w", err))
		}
		h := nats.Header{}
		h.Set(pipeline.HeaderProfile, m.Profile)
		h.Set(pipeline.HeaderOrder, order.GetShopOrderId())
		h.Set(pipeline.HeaderOrderNumber, order.GetNumber())
		h.Set(pipeline.HeaderPlatform, order.GetPlatform())
		if src := m.Header.Get(pipeline.HeaderSource); src != "" {
			h.Set(pipeline.HeaderSource, src)
		}
		return &pipeline.Output{
			Subject: pipeline.OrderSubject(pipeline.StepReceived, m.Profile),
			MsgID:   MsgID(order),
			Header:  h,
			Data:    data,
		}, nil
	}
}

// MsgID returns <profile>:<shop order id>:<revision>, the received
// message's Nats-Msg-Id.
func MsgID(o *koppelv1.Order) string {
	return o.GetProfile() + ":" + o.GetShopOrderId() + ":" + o.GetRevision()
}

// deliveryID picks the shop's own delivery id from the raw message's
// headers, when the shop sent one.
func deliveryID(h nats.Header) string {
	for _, k := range []string{"X-Wc-Webhook-Delivery-Id", "X-Koppel-Delivery-Id", "X-Shopify-Webhook-Id"} {
		if v := h.Get(pipeline.HeaderDeliveryPrefix + k); v != "" {
			return v
		}
	}
	return ""
}

// Stage returns the normalize stage for adapters, ready to Run.
func Stage(adapters map[string]webshop.Adapter, opts pipeline.Stage) *pipeline.Stage {
	opts.Name = StageName
	opts.Filter = pipeline.OrderFilter(pipeline.StepRaw)
	opts.Handler = Handler(adapters, nil)
	return &opts
}
