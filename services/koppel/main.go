// Command koppel is the all-in-one binary: `koppel run` starts an embedded
// NATS server with JetStream plus every koppel service in one process, and
// `koppel dlq` inspects and replays dead letters.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "koppel:", err)
		os.Exit(1)
	}
}

const usage = `koppel books webshop orders into SnelStart.

Usage:
  koppel run     --config FILE             start everything in one process
  koppel orders  [list] [--profile P]      recently active orders and their step
  koppel orders  show PROFILE ORDER        an order's timeline (ORDER: shop id or number)
  koppel dlq     list [--stage S] [--profile P] [--error TEXT] [--order O]
  koppel dlq     show SEQ [--raw]
  koppel dlq     replay SEQ... [--reason TEXT]
  koppel dlq     replay --stage S|--profile P|--error TEXT|--order O [--dry-run] [--reason TEXT]
  koppel dlq     discard SEQ... --reason TEXT
  koppel tasks   [list] | run PROFILE TASK
  koppel import  --profile P [--since TIME|DURATION] | --profile P --resume
  koppel sandbox woocommerce|magento [--addr A] [--orders N] [--push URL --drop F]
  koppel sandbox snelstart [--addr A] [--seed FILE]
  koppel version

orders, dlq and tasks talk to a running koppel through its admin API: the
address and token come from --config (server.listen, server.admin_token), or
from --url and --token. Add -o json for scripts.
`

// run is the whole program; main only supplies the process's context,
// arguments, output and environment.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], stderr, lookupEnv)
	case "orders":
		return ordersCmd(ctx, args[1:], stdout, stderr, lookupEnv)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr, lookupEnv)
	case "sandbox":
		return sandboxCmd(ctx, args[1:], stdout, stderr)
	case "tasks":
		return tasksCmd(ctx, args[1:], stdout, stderr, lookupEnv)
	case "dlq":
		return dlqCmd(ctx, args[1:], stdout, stderr, lookupEnv)
	case "version":
		fmt.Fprintln(stdout, "koppel", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
