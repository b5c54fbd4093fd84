package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/embeddednats"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
)

func dlqCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("dlq: which one: list, show, replay or discard?")
	}
	sub := args[0]
	fs := flag.NewFlagSet("dlq "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "configs/koppel.yaml", "config file (used when --nats is not given)")
	natsURL := fs.String("nats", "", "NATS server URL")
	stage := fs.String("stage", "", "list: only this stage")
	prof := fs.String("profile", "", "list: only this profile")
	limit := fs.Int("limit", 0, "list: at most this many")
	raw := fs.Bool("raw", false, "show: print the body exactly as stored")
	reason := fs.String("reason", "", "replay, discard: why (required for discard; recorded)")
	if err := fs.Parse(reorder(args[1:])); err != nil {
		return err
	}
	js, closeBus, err := dlqBus(ctx, *natsURL, *configPath, lookupEnv)
	if err != nil {
		return err
	}
	defer closeBus()

	switch sub {
	case "list":
		dls, err := pipeline.ListDeadLetters(ctx, js, pipeline.DeadLetterFilter{Stage: *stage, Profile: *prof, Limit: *limit})
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tSTAGE\tPROFILE\tORDER\tDELIVERIES\tERROR")
		for _, d := range dls {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.Sequence, d.Time.UTC().Format(time.RFC3339), d.Stage, d.Profile,
				orDash(d.Header.Get(pipeline.HeaderOrder)), d.Deliveries, oneLine(d.Error, 100))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "%d dead letter(s)\n", len(dls))
		return nil
	case "show":
		seqs, err := parseSeqs(fs.Args(), 1)
		if err != nil {
			return err
		}
		d, err := pipeline.GetDeadLetter(ctx, js, seqs[0])
		if err != nil {
			return err
		}
		if *raw {
			_, err := stdout.Write(d.Data)
			return err
		}
		showDeadLetter(stdout, d)
		return nil
	case "replay", "discard":
		seqs, err := parseSeqs(fs.Args(), -1)
		if err != nil {
			return err
		}
		var failed int
		for _, seq := range seqs {
			if sub == "replay" {
				to, err := pipeline.Replay(ctx, js, seq, actor(lookupEnv, *reason))
				if err != nil {
					failed++
					fmt.Fprintf(stderr, "dead letter %d: %v\n", seq, err)
					continue
				}
				fmt.Fprintf(stdout, "replayed dead letter %d as ORDERS message %d\n", seq, to)
			} else {
				if err := pipeline.Discard(ctx, js, seq, actor(lookupEnv, *reason)); err != nil {
					failed++
					fmt.Fprintf(stderr, "dead letter %d: %v\n", seq, err)
					continue
				}
				fmt.Fprintf(stdout, "discarded dead letter %d\n", seq)
			}
		}
		if failed > 0 {
			return fmt.Errorf("dlq %s: %d of %d failed", sub, failed, len(seqs))
		}
		return nil
	default:
		return fmt.Errorf("dlq: unknown command %q (list, show, replay, discard)", sub)
	}
}

// actor names the person at the terminal for the audit trail.
func actor(lookupEnv func(string) (string, bool), reason string) pipeline.Actor {
	name, _ := lookupEnv("USER")
	if name == "" {
		name = "cli"
	}
	return pipeline.Actor{Name: "cli:" + name, Reason: reason}
}

// reorder moves flags before positional arguments so "show 12 --raw" works
// like "show --raw 12".
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && name != "raw" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func parseSeqs(args []string, want int) ([]uint64, error) {
	if len(args) == 0 || (want > 0 && len(args) != want) {
		return nil, errors.New("dlq: give the dead letter's SEQ (see dlq list)")
	}
	out := make([]uint64, 0, len(args))
	for _, a := range args {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("dlq: %q is not a sequence number", a)
		}
		out = append(out, n)
	}
	return out, nil
}

// dlqBus connects to the bus the config names. With no nats.url it first
// tries the embedded server of a running koppel; when none answers it opens
// the store directory itself with a private embedded server.
func dlqBus(ctx context.Context, url, configPath string, lookupEnv func(string) (string, bool)) (jetstream.JetStream, func(), error) {
	var storeDir string
	if url == "" {
		cfg, err := profile.Load(configPath, lookupEnv)
		if err != nil {
			return nil, nil, err
		}
		url = cfg.NATS.URL
		if url == "" {
			listen := cfg.NATS.Listen
			if listen == "" {
				listen = "127.0.0.1:4222"
			}
			url = "nats://" + listen
			storeDir = cfg.NATS.StoreDir
		}
	}
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil && storeDir != "" {
		dir, aerr := filepath.Abs(storeDir)
		if aerr != nil {
			return nil, nil, aerr
		}
		if _, serr := os.Stat(dir); serr != nil {
			return nil, nil, fmt.Errorf("no koppel answers at %s and there is no store at %s", url, dir)
		}
		srv, serr := embeddednats.Start(embeddednats.Options{StoreDir: dir, Port: -1})
		if serr != nil {
			return nil, nil, fmt.Errorf("no koppel answers at %s, and opening %s failed: %w", url, dir, serr)
		}
		nc, err = nats.Connect(srv.ClientURL())
		if err != nil {
			srv.Shutdown()
			return nil, nil, err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, nil, err
		}
		return js, func() { nc.Close(); srv.Shutdown(); srv.WaitForShutdown() }, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

func showDeadLetter(w io.Writer, d *pipeline.DeadLetter) {
	fmt.Fprintf(w, "Dead letter %d (%s)\n", d.Sequence, d.Subject)
	fmt.Fprintf(w, "  stage:       %s\n  profile:     %s\n  origin:      %s #%d\n  deliveries:  %d\n  time:        %s\n  error:       %s\n",
		d.Stage, d.Profile, d.OriginSubject, d.OriginSequence, d.Deliveries, d.Time.UTC().Format(time.RFC3339), d.Error)
	keys := make([]string, 0, len(d.Header))
	for k := range d.Header {
		if !strings.HasPrefix(k, "Koppel-Dlq-") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "Headers:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(d.Header[k], ", "))
	}
	fmt.Fprintln(w, "Body:")
	fmt.Fprintln(w, renderBody(d))
}

// renderBody shows a protobuf event as JSON and anything else as text.
func renderBody(d *pipeline.DeadLetter) string {
	if !strings.Contains(d.OriginSubject, "."+pipeline.StepRaw+".") {
		var ev koppelv1.OrderEvent
		if err := proto.Unmarshal(d.Data, &ev); err == nil {
			if b, err := (protojson.MarshalOptions{Multiline: true}).Marshal(&ev); err == nil {
				return string(b)
			}
		}
	}
	return string(d.Data)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
