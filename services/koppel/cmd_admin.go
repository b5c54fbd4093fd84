package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/timeline"
)

// cliFlags are the flags every admin command takes.
type cliFlags struct {
	fs         *flag.FlagSet
	configPath *string
	url, token *string
	output     *string
	reason     *string
}

func newCLIFlags(name string, stderr io.Writer) *cliFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &cliFlags{
		fs:         fs,
		configPath: fs.String("config", "configs/koppel.yaml", "config file: where koppel listens and its admin token"),
		url:        fs.String("url", "", "koppel's address, e.g. http://localhost:8080 (default: from the config)"),
		token:      fs.String("token", "", "admin token (default: server.admin_token from the config)"),
		output:     fs.String("o", "table", "output: table or json"),
		reason:     fs.String("reason", "", "why (recorded; required for discard)"),
	}
}

// client builds an admin API client from the flags, falling back to the
// config file for the address and token.
func (f *cliFlags) client(lookupEnv func(string) (string, bool)) (*admin.Client, error) {
	if *f.output != "table" && *f.output != "json" {
		return nil, fmt.Errorf("-o %q: use table or json", *f.output)
	}
	url, token := *f.url, *f.token
	if url == "" || token == "" {
		cfg, err := profile.Load(*f.configPath, lookupEnv)
		if err != nil {
			return nil, fmt.Errorf("%w (or give --url and --token)", err)
		}
		if url == "" {
			url = listenURL(cfg.Server.Listen)
		}
		if token == "" {
			token = cfg.Server.AdminToken
		}
	}
	if token == "" {
		return nil, errors.New("no admin token: set server.admin_token (KOPPEL_ADMIN_TOKEN) or give --token")
	}
	user, _ := lookupEnv("USER")
	if user == "" {
		user = "cli"
	}
	return &admin.Client{BaseURL: strings.TrimRight(url, "/"), Token: token, Actor: "cli:" + user}, nil
}

// listenURL turns a listen address into a URL a local client can use.
func listenURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ordersCmd: koppel orders [list] | koppel orders show PROFILE ORDER.
func ordersCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	f := newCLIFlags("orders "+sub, stderr)
	prof := f.fs.String("profile", "", "list: only this profile")
	limit := f.fs.Int("limit", 50, "list: at most this many")
	attention := f.fs.Bool("attention", false, "list: only orders that need attention (booked with a remark, or held by the booker)")
	if err := f.fs.Parse(reorder(args)); err != nil {
		return err
	}
	c, err := f.client(lookupEnv)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		orders, err := c.RecentMatching(ctx, timeline.RecentFilter{Profile: *prof, Limit: *limit, Attention: *attention})
		if err != nil {
			return err
		}
		if *f.output == "json" {
			return printJSON(stdout, orders)
		}
		printOrders(stdout, orders)
		if *attention {
			fmt.Fprintf(stdout, "%d order(s) need attention\n", len(orders))
			return nil
		}
		fmt.Fprintf(stdout, "%d order(s)\n", len(orders))
		return nil
	case "show":
		if f.fs.NArg() != 2 {
			return errors.New("orders show: give PROFILE and ORDER (shop id or number)")
		}
		v, err := c.Order(ctx, f.fs.Arg(0), f.fs.Arg(1))
		if err != nil {
			return err
		}
		if *f.output == "json" {
			return printJSON(stdout, v)
		}
		fmt.Fprintf(stdout, "Order %s (number %s) in %s: %s\n\n", v.ShopOrderID, orDash(v.Number), v.Profile, statusText(v.Status))
		if v.Attention != "" {
			fmt.Fprintf(stdout, "NEEDS ATTENTION%s: %s\n\n", map[bool]string{true: " (held, not booked)"}[v.Status == timeline.StatusHeld], v.Attention)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tSTEP\tSEQ\tATTEMPTS\tWHAT")
		for _, e := range v.Entries {
			what := e.Summary
			if e.Error != "" {
				what += " — error: " + oneLine(e.Error, 160)
			}
			attempts := "-"
			if e.Attempts > 0 {
				attempts = strconv.FormatUint(e.Attempts, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s %d\t%s\t%s\n", e.Time.UTC().Format("2006-01-02 15:04:05"), e.Step, e.Stream, e.Sequence, attempts, what)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return printVAT(stdout, v.VAT)
	default:
		return fmt.Errorf("orders: unknown command %q (list, show)", sub)
	}
}

// dlqCmd: koppel dlq list|show|replay|discard.
func dlqCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("dlq: which one: list, show, replay or discard?")
	}
	sub := args[0]
	f := newCLIFlags("dlq "+sub, stderr)
	stage := f.fs.String("stage", "", "only this stage")
	prof := f.fs.String("profile", "", "only this profile")
	errText := f.fs.String("error", "", "only dead letters whose error contains this text")
	order := f.fs.String("order", "", "only this shop order (id or number)")
	limit := f.fs.Int("limit", 0, "list: at most this many")
	raw := f.fs.Bool("raw", false, "show: print only the body")
	dryRun := f.fs.Bool("dry-run", false, "replay by filter: only list what would be replayed")
	if err := f.fs.Parse(reorder(args[1:])); err != nil {
		return err
	}
	c, err := f.client(lookupEnv)
	if err != nil {
		return err
	}
	filter := pipeline.DeadLetterFilter{Stage: *stage, Profile: *prof, ErrorContains: *errText, Order: *order, Limit: *limit}

	switch sub {
	case "list":
		dls, err := c.DeadLetters(ctx, filter)
		if err != nil {
			return err
		}
		if *f.output == "json" {
			return printJSON(stdout, dls)
		}
		printDeadLetters(stdout, dls)
		fmt.Fprintf(stdout, "%d dead letter(s)\n", len(dls))
		return nil
	case "show":
		seqs, err := parseSeqs(f.fs.Args(), 1)
		if err != nil {
			return err
		}
		d, err := c.DeadLetter(ctx, seqs[0])
		if err != nil {
			return err
		}
		switch {
		case *raw && d.Raw != "":
			_, err = io.WriteString(stdout, d.Raw)
			return err
		case *raw:
			_, err = stdout.Write(d.Event)
			return err
		case *f.output == "json":
			return printJSON(stdout, d)
		}
		showDeadLetter(stdout, d)
		return nil
	case "replay", "discard":
		seqs, err := parseSeqs(f.fs.Args(), -1)
		if sub == "replay" && len(f.fs.Args()) == 0 {
			return bulkReplay(ctx, c, filter, *dryRun, *f.reason, *f.output, stdout)
		}
		if err != nil {
			return err
		}
		var failed int
		for _, seq := range seqs {
			if sub == "replay" {
				to, err := c.Replay(ctx, seq, *f.reason)
				if err != nil {
					failed++
					fmt.Fprintf(stderr, "dead letter %d: %v\n", seq, err)
					continue
				}
				fmt.Fprintf(stdout, "replayed dead letter %d as ORDERS message %d\n", seq, to)
			} else {
				if err := c.Discard(ctx, seq, *f.reason); err != nil {
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

func bulkReplay(ctx context.Context, c *admin.Client, f pipeline.DeadLetterFilter, dryRun bool, reason, output string, stdout io.Writer) error {
	if !f.Scoped() {
		return errors.New("dlq replay: give SEQ... or a scope (--stage, --profile, --error, --order); add --dry-run to see what would be replayed")
	}
	dls, err := c.BulkReplay(ctx, admin.BulkReplayRequest{Stage: f.Stage, Profile: f.Profile, Error: f.ErrorContains, Order: f.Order, DryRun: dryRun, Reason: reason})
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(stdout, dls)
	}
	printDeadLetters(stdout, dls)
	if dryRun {
		fmt.Fprintf(stdout, "would replay %d dead letter(s); run again without --dry-run to replay them\n", len(dls))
	} else {
		fmt.Fprintf(stdout, "replayed %d dead letter(s)\n", len(dls))
	}
	return nil
}

// tasksCmd: koppel tasks [list] | koppel tasks run PROFILE TASK.
func tasksCmd(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	f := newCLIFlags("tasks "+sub, stderr)
	if err := f.fs.Parse(reorder(args)); err != nil {
		return err
	}
	c, err := f.client(lookupEnv)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		tasks, err := c.Tasks(ctx)
		if err != nil {
			return err
		}
		if *f.output == "json" {
			return printJSON(stdout, tasks)
		}
		sort.Slice(tasks, func(i, j int) bool { return tasks[i].Profile+tasks[i].Task < tasks[j].Profile+tasks[j].Task })
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROFILE\tTASK\tEVERY\tLAST RUN\tOUTCOME\tNEXT RUN")
		for _, t := range tasks {
			last, outcome := "never", "-"
			if !t.LastRun.IsZero() {
				last = t.LastRun.UTC().Format(time.RFC3339)
				outcome = map[bool]string{true: "ok", false: "failed"}[t.LastOK]
				if t.LastNote != "" {
					outcome += ": " + oneLine(t.LastNote, 60)
				}
			}
			if t.Running {
				outcome = "running"
			}
			next := "-"
			if !t.NextRun.IsZero() {
				next = t.NextRun.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Profile, t.Task, t.Every, last, outcome, next)
		}
		return tw.Flush()
	case "run":
		if f.fs.NArg() != 2 {
			return errors.New("tasks run: give PROFILE and TASK")
		}
		if err := c.RunTask(ctx, f.fs.Arg(0), f.fs.Arg(1)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "started %s/%s\n", f.fs.Arg(0), f.fs.Arg(1))
		return nil
	default:
		return fmt.Errorf("tasks: unknown command %q (list, run)", sub)
	}
}

// statusText is an order status for people: the two that ask for a
// person say so.
func statusText(status string) string {
	switch status {
	case timeline.StatusAttention:
		return "booked, needs attention"
	case timeline.StatusHeld:
		return "held, needs attention"
	}
	return status
}

// printOrders prints recent orders as a table, with why each that needs
// attention does.
func printOrders(w io.Writer, orders []timeline.RecentOrder) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UPDATED\tPROFILE\tORDER\tNUMBER\tSTATUS\tATTENTION")
	for _, o := range orders {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Updated.UTC().Format(time.RFC3339), o.Profile, o.ShopOrderID, orDash(o.Number),
			statusText(o.Status), orDash(oneLine(o.Attention, 80)))
	}
	tw.Flush()
}

// printVAT prints how a booking booked the order's VAT: the regime, the
// rounding rule SnelStart's totals agreed with, the amounts per rate next
// to the shop's VAT, a correction line, the differences with the shop and
// what koppel changed (what needs attention is printed above the
// timeline). It prints nothing for an order not booked.
func printVAT(w io.Writer, v *timeline.BookingVAT) error {
	if v == nil {
		return nil
	}
	fmt.Fprintf(w, "\nVAT: %s", orDash(v.RegimeLabel))
	if v.RuleLabel != "" {
		fmt.Fprintf(w, "; rounding rule: %s", v.RuleLabel)
	}
	fmt.Fprintln(w)
	if len(v.Groups) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "BTW-SOORT\tRATE\tNET (KOPPEL)\tVAT (KOPPEL)\tVAT (SHOP)\tDIFFERENCE\t")
		for _, g := range v.Groups {
			fmt.Fprintf(tw, "%s\t%s %%\t%s\t%s\t%s\t%s\t\n", g.BtwSoort, g.Rate, g.Excl, g.Tax, g.ShopTax, orDash(g.TaxDifference))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if v.Correction != "" {
		fmt.Fprintf(w, "Correction line: %s (VAT-free)\n", v.Correction)
	}
	if v.Difference != "" || v.DifferenceExcl != "" {
		fmt.Fprintf(w, "SnelStart minus the shop: %s incl. VAT, %s excl. VAT\n", orDash(v.Difference), orDash(v.DifferenceExcl))
	}
	for _, n := range v.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	return nil
}

func printDeadLetters(w io.Writer, dls []admin.DeadLetterView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tSTAGE\tPROFILE\tORDER\tDELIVERIES\tERROR")
	for _, d := range dls {
		stage := d.Stage
		if d.Held {
			stage += " (held: needs attention)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.Sequence, d.Time.UTC().Format(time.RFC3339), stage, d.Profile,
			orDash(d.OrderNumber), d.Deliveries, oneLine(d.Error, 100))
	}
	tw.Flush()
}

func showDeadLetter(w io.Writer, d *admin.DeadLetterView) {
	fmt.Fprintf(w, "Dead letter %d\n", d.Sequence)
	fmt.Fprintf(w, "  stage:       %s\n  profile:     %s\n  order:       %s (number %s)\n  origin:      %s #%d\n  deliveries:  %d\n  time:        %s\n  error:       %s\n",
		d.Stage, d.Profile, orDash(d.Order), orDash(d.OrderNumber), d.OriginSubject, d.OriginSequence, d.Deliveries,
		d.Time.UTC().Format(time.RFC3339), d.Error)
	keys := make([]string, 0, len(d.Headers))
	for k := range d.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "Headers:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, d.Headers[k])
	}
	fmt.Fprintln(w, "Body:")
	if d.Raw != "" {
		fmt.Fprintln(w, d.Raw)
	} else {
		fmt.Fprintln(w, string(d.Event))
	}
}

// reorder moves flags before positional arguments so "show 12 --raw" works
// like "show --raw 12".
func reorder(args []string) []string {
	boolFlags := map[string]bool{"raw": true, "dry-run": true, "attention": true}
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolFlags[name] && i+1 < len(args) {
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
