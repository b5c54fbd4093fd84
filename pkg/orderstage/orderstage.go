// Package orderstage adapts a function that enriches one order event into
// a pipeline stage handler: it decodes the koppelv1.OrderEvent, calls the
// function, and publishes the enriched event to the next step with the
// Nats-Msg-Id <profile>:<shop order id>:<revision>:<stage>, so each stage
// forwards an order revision once however often its input is delivered.
package orderstage

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
)

// Func enriches ev in place. Errors follow pipeline.Handler: wrap with
// pipeline.Permanent what retrying cannot fix.
type Func func(ctx context.Context, ev *koppelv1.OrderEvent) error

// Handler returns a pipeline handler that runs fn as stage and publishes
// the result to koppel.order.<nextStep>.<profile>.
func Handler(stage, nextStep string, fn Func) pipeline.Handler {
	return func(ctx context.Context, m *pipeline.Message) (*pipeline.Output, error) {
		ev := &koppelv1.OrderEvent{}
		if err := proto.Unmarshal(m.Data, ev); err != nil {
			return nil, pipeline.Permanent(fmt.Errorf("%s: message is not an OrderEvent: %w", stage, err))
		}
		if ev.GetOrder() == nil {
			return nil, pipeline.Permanent(fmt.Errorf("%s: event has no order", stage))
		}
		if err := fn(ctx, ev); err != nil {
			return nil, err
		}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			return nil, pipeline.Permanent(fmt.Errorf("%s: encode event: %w", stage, err))
		}
		o := ev.GetOrder()
		h := nats.Header{}
		h.Set(pipeline.HeaderProfile, m.Profile)
		h.Set(pipeline.HeaderOrder, o.GetShopOrderId())
		h.Set(pipeline.HeaderOrderNumber, o.GetNumber())
		h.Set(pipeline.HeaderPlatform, o.GetPlatform())
		if src := m.Header.Get(pipeline.HeaderSource); src != "" {
			h.Set(pipeline.HeaderSource, src)
		}
		return &pipeline.Output{
			Subject: pipeline.OrderSubject(nextStep, m.Profile),
			MsgID:   MsgID(o, stage),
			Header:  h,
			Data:    data,
		}, nil
	}
}

// MsgID returns <profile>:<shop order id>:<revision>:<stage>.
func MsgID(o *koppelv1.Order, stage string) string {
	return o.GetProfile() + ":" + o.GetShopOrderId() + ":" + o.GetRevision() + ":" + stage
}
