package orderstage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/orderstage"
	"github.com/koppel/koppel/pkg/pipeline"
)

func TestHandler(t *testing.T) {
	ev := &koppelv1.OrderEvent{Order: &koppelv1.Order{Profile: "shop", ShopOrderId: "727", Revision: "2024-01-02T03:04:05Z", Platform: "woocommerce"}}
	data, _ := proto.Marshal(ev)
	h := orderstage.Handler("customers", pipeline.StepCustomer, func(_ context.Context, ev *koppelv1.OrderEvent) error {
		ev.Customer = &koppelv1.CustomerResolution{RelatieId: "r-1", Relatiecode: 1001}
		return nil
	})
	hdr := nats.Header{}
	hdr.Set(pipeline.HeaderSource, "poll")
	out, err := h(context.Background(), &pipeline.Message{Subject: "koppel.order.received.shop", Profile: "shop", Data: data, Header: hdr})
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "koppel.order.customer.shop" || out.MsgID != "shop:727:2024-01-02T03:04:05Z:customers" {
		t.Errorf("subject %s id %s", out.Subject, out.MsgID)
	}
	if out.Header.Get(pipeline.HeaderOrder) != "727" || out.Header.Get(pipeline.HeaderSource) != "poll" {
		t.Errorf("headers %v", out.Header)
	}
	var got koppelv1.OrderEvent
	if err := proto.Unmarshal(out.Data, &got); err != nil || got.GetCustomer().GetRelatiecode() != 1001 || got.GetOrder().GetShopOrderId() != "727" {
		t.Errorf("forwarded event %v %v", &got, err)
	}

	for name, body := range map[string][]byte{"garbage": []byte("{not proto"), "no order": mustMarshal(&koppelv1.OrderEvent{Source: "x"})} {
		if _, err := h(context.Background(), &pipeline.Message{Profile: "shop", Data: body}); !errors.Is(err, pipeline.ErrPermanent) {
			t.Errorf("%s: err %v, want permanent", name, err)
		}
	}
	boom := errors.New("snelstart 503")
	failing := orderstage.Handler("customers", pipeline.StepCustomer, func(context.Context, *koppelv1.OrderEvent) error { return boom })
	if _, err := failing(context.Background(), &pipeline.Message{Profile: "shop", Data: data}); !errors.Is(err, boom) || errors.Is(err, pipeline.ErrPermanent) {
		t.Errorf("transient error not passed through: %v", err)
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSkip(t *testing.T) {
	ev := &koppelv1.OrderEvent{Order: &koppelv1.Order{Profile: "shop", ShopOrderId: "9", Revision: "r1", Status: "on-hold"}}
	data, _ := proto.Marshal(ev)
	h := orderstage.Handler("customers", pipeline.StepCustomer, func(context.Context, *koppelv1.OrderEvent) error {
		return orderstage.Skip(`shop status "on-hold" is not imported`)
	})
	out, err := h(context.Background(), &pipeline.Message{Profile: "shop", Data: data, Header: nats.Header{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "koppel.order.skipped.shop" || out.MsgID != "shop:9:r1:customers:skipped" ||
		out.Header.Get(orderstage.HeaderSkipReason) != `shop status "on-hold" is not imported` {
		t.Errorf("skipped output %s %s %v", out.Subject, out.MsgID, out.Header)
	}
	if !errors.Is(orderstage.Skip("x"), orderstage.ErrSkip) {
		t.Error("Skip does not match ErrSkip")
	}
}
