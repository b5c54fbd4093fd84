package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/koppel/koppel/pkg/shopsandbox"
)

// sandboxCmd starts a stand-in for a third party: a WooCommerce or Magento
// shop with generated orders, or SnelStart.
func sandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("sandbox: which one: woocommerce, magento or snelstart?")
	}
	kind := args[0]
	if kind == "snelstart" {
		return snelstartSandboxCmd(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("sandbox "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8091", "listen address")
	orders := fs.Int("orders", 40, "orders generated at start")
	seed := fs.Uint64("seed", 1, "seed for the generated orders and credentials")
	key := fs.String("consumer-key", "", "API consumer key (default: generated)")
	secret := fs.String("consumer-secret", "", "API consumer secret (default: generated)")
	token := fs.String("access-token", "", "Magento access token (default: generated)")
	webhookSecret := fs.String("webhook-secret", "demo-secret", "secret that signs pushed webhooks")
	push := fs.String("push", "", "push a webhook for every order to this URL at start, e.g. http://localhost:8080/webhooks/demo-woo")
	drop := fs.Float64("drop", 0, "fraction of pushed webhooks to drop on purpose (0..1)")
	dup := fs.Float64("duplicate", 0, "fraction of pushed webhooks to send twice (0..1)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// Orders start a few hours back, so that a poller's first window (24h)
	// finds them.
	opts := shopsandbox.Options{Orders: *orders, Seed: *seed, ConsumerKey: *key, ConsumerSecret: *secret, AccessToken: *token,
		WebhookSecret: *webhookSecret, Epoch: time.Now().Add(-6 * time.Hour).UTC().Truncate(time.Second)}
	var shop interface {
		Options() shopsandbox.Options
		Push(context.Context, shopsandbox.PushOptions) (shopsandbox.PushResult, error)
	}
	var srv *shopsandbox.Server
	switch kind {
	case "woocommerce":
		w := shopsandbox.NewWooCommerce(opts)
		shop, srv = w, shopsandbox.NewServer(w)
	case "magento":
		m := shopsandbox.NewMagento(opts)
		shop, srv = m, shopsandbox.NewServer(m)
	default:
		return fmt.Errorf("sandbox: unknown kind %q (woocommerce, magento, snelstart)", kind)
	}
	if err := srv.Start(*addr); err != nil {
		return err
	}
	defer srv.Close()
	o := shop.Options()
	fmt.Fprintf(stdout, "%s sandbox on %s with %d orders (seed %d)\n", kind, srv.URL(), *orders, *seed)
	fmt.Fprintf(stdout, "  webshop.url: %s\n  consumer_key: %s\n  consumer_secret: %s\n", srv.URL(), o.ConsumerKey, o.ConsumerSecret)
	if kind == "magento" {
		fmt.Fprintf(stdout, "  access_token: %s\n  access_token_secret: %s\n", o.AccessToken, o.AccessTokenSecret)
	}
	if *push != "" {
		res, err := shop.Push(ctx, shopsandbox.PushOptions{URL: *push, Secret: *webhookSecret, DropFraction: *drop, DuplicateFraction: *dup})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "pushed %d webhook(s) for %d order event(s): %d dropped on purpose, %d duplicated, %d failed\n",
			res.Sent, res.Events, res.Dropped, res.Duplicated, res.Failed)
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
