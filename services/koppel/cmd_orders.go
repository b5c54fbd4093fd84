package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
)

// ordersCmd lists the canonical orders on koppel.order.received, the
// normalize stage's output, so a person can read back what koppel made of
// a delivery.
func ordersCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file (used when --nats is not given)")
	natsURL := fs.String("nats", "", "NATS server URL")
	prof := fs.String("profile", "", "only this profile")
	asJSON := fs.Bool("json", false, "print each order as JSON (protojson), without the raw body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	js, closeBus, err := dlqBus(ctx, *natsURL, *configPath, lookupEnv)
	if err != nil {
		return err
	}
	defer closeBus()
	stream, err := js.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		return fmt.Errorf("open ORDERS stream: %w", err)
	}
	subject := pipeline.OrderFilter(pipeline.StepReceived)
	if *prof != "" {
		subject = pipeline.OrderSubject(pipeline.StepReceived, *prof)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "SEQ\tPROFILE\tORDER\tNUMBER\tSTATUS\tCURRENCY\tTOTAL\tLINES\tTOTALS CHECK")
	}
	n := 0
	for seq := uint64(1); ; n++ {
		m, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return err
		}
		seq = m.Sequence + 1
		var ev koppelv1.OrderEvent
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			return fmt.Errorf("message %d: %w", m.Sequence, err)
		}
		o := ev.GetOrder()
		if *asJSON {
			o.Raw = nil
			b, err := protojson.MarshalOptions{Multiline: true}.Marshal(&ev)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		check := "ok"
		if !o.GetTotalCheck().GetOk() {
			check = "differs by " + o.GetTotalCheck().GetDifference()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.Sequence, o.GetProfile(), o.GetShopOrderId(), o.GetNumber(),
			o.GetStatus(), o.GetCurrency(), o.GetTotals().GetTotalIncl(), len(o.GetLines()), check)
	}
	if !*asJSON {
		tw.Flush()
		fmt.Fprintf(stdout, "%d order(s)\n", n)
	}
	return nil
}
