// Package orderstage adapts a function that enriches one order event into
// a pipeline stage handler: it decodes the koppelv1.OrderEvent, calls the
// function, and publishes the enriched event to the next step with the
// Nats-Msg-Id <profile>:<shop order id>:<revision>:<stage>, so each stage
// forwards an order revision once however often its input is delivered.
package orderstage

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
)

// ErrSkip marks an order a stage leaves alone on purpose (its shop status
// is not imported, say). Return it through Skip.
var ErrSkip = errors.New("order skipped")

// Skip returns an error that makes Handler publish the event to
// koppel.order.skipped.<profile> with reason, instead of to the next
// step: the order goes no further, and its timeline says why.
func Skip(reason string) error { return &skipError{reason: reason} }

type skipError struct{ reason string }

func (e *skipError) Error() string        { return "skipped: " + e.reason }
func (e *skipError) Is(target error) bool { return target == ErrSkip }

// HeaderSkipReason carries the reason on a skipped order.
const HeaderSkipReason = "Koppel-Skip-Reason"

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
		next, reason := nextStep, ""
		if err := fn(ctx, ev); err != nil {
			var skip *skipError
			if !errors.As(err, &skip) {
				return nil, err
			}
			next, reason = pipeline.StepSkipped, skip.reason
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
		id := MsgID(o, stage)
		if reason != "" {
			h.Set(HeaderSkipReason, reason)
			id += ":skipped"
		}
		return &pipeline.Output{
			Subject: pipeline.OrderSubject(next, m.Profile),
			MsgID:   id,
			Header:  h,
			Data:    data,
		}, nil
	}
}

// MsgID returns <profile>:<shop order id>:<revision>:<stage>.
func MsgID(o *koppelv1.Order, stage string) string {
	return o.GetProfile() + ":" + o.GetShopOrderId() + ":" + o.GetRevision() + ":" + stage
}
