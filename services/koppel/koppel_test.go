package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/shopsandbox"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
	"github.com/koppel/koppel/services/koppel/internal/allinone"
)

const testConfig = `
server:
  listen: "127.0.0.1:%d"
  admin_token: test-admin-token
sandbox:
  listen: "127.0.0.1:0"
nats:
  store_dir: %s
  listen: "127.0.0.1:%d"
profiles:
  - id: demo-woo
    webshop: {platform: woocommerce, webhook_secret: demo-secret}
    snelstart: {sandbox: true, rate_limit: {per_minute: 100000, concurrent: 50}}
    orders: {shipping_article: VERZEND, fee_article: TOESLAG, discount_article: KORTING}
    articles: {revenue_group: 1}
  - id: demo-magento
    webshop: {platform: magento, webhook_secret: demo-secret}
    snelstart: {sandbox: true, rate_limit: {per_minute: 100000, concurrent: 50}}
    orders: {shipping_article: VERZEND, fee_article: TOESLAG, discount_article: KORTING}
    articles: {revenue_group: 1}
`

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type instance struct {
	httpURL    string
	natsURL    string
	sandboxURL string
	config     string
}

// writeConfig writes testConfig, with extraProfiles (YAML list items)
// appended to its profiles.
func writeConfig(t *testing.T, dir string, extraProfiles ...string) (path string, httpPort, natsPort int) {
	t.Helper()
	httpPort, natsPort = freePort(t), freePort(t)
	path = filepath.Join(dir, "koppel.yaml")
	cfg := fmt.Sprintf(testConfig, httpPort, filepath.Join(dir, "nats"), natsPort) + strings.Join(extraProfiles, "")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, httpPort, natsPort
}

// startInProcess runs allinone.Run until the test ends, on testConfig
// with extraProfiles.
func startInProcess(t *testing.T, extraProfiles ...string) instance {
	t.Helper()
	path, _, _ := writeConfig(t, t.TempDir(), extraProfiles...)
	cfg, err := profile.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan instance, 1)
	done := make(chan error, 1)
	go func() {
		done <- allinone.Run(ctx, cfg, slogDiscard(), allinone.Options{Started: func(a allinone.Addrs) {
			started <- instance{httpURL: "http://" + a.HTTP, natsURL: a.NATS, sandboxURL: a.SnelStartSandbox, config: path}
		}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case in := <-started:
		return in
	case err := <-done:
		t.Fatalf("koppel did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("koppel did not start in 20s")
	}
	return instance{}
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte("demo-secret"))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func postOrder(t testing.TB, url, profile, header string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/"+profile, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// received waits until n canonical orders are on koppel.order.received.>,
// and a little longer to see that no more arrive.
func received(t *testing.T, natsURL string, n int) []*koppelv1.OrderEvent {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	var out []*koppelv1.OrderEvent
	for {
		out = out[:0]
		st, err := js.Stream(ctx, pipeline.StreamOrders)
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); ; {
			m, err := st.GetMsg(ctx, seq, jetstream.WithGetMsgSubject("koppel.order.received.>"))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var ev koppelv1.OrderEvent
			if err := proto.Unmarshal(m.Data, &ev); err != nil {
				t.Fatalf("received message %d is not an OrderEvent: %v", m.Sequence, err)
			}
			out = append(out, &ev)
			seq = m.Sequence + 1
		}
		if len(out) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return out
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebhookToCanonicalOrder is the "done when": signed orders
// posted to a running koppel are in ORDERS as canonical orders, once.
func TestWebhookToCanonicalOrder(t *testing.T) {
	in := startInProcess(t)
	woo := fixture(t, "rest_v2_order_12345_nl_eur_prices_incl_tax_custom_number.json")
	mag := fixture(t, "rest_order_000000016_guest_bhd_coupon_placeorder_response.json")
	for range 2 {
		if code := postOrder(t, in.httpURL, "demo-woo", "X-WC-Webhook-Signature", woo); code != http.StatusAccepted {
			t.Fatalf("woo: %d", code)
		}
		if code := postOrder(t, in.httpURL, "demo-magento", "X-Koppel-Signature", mag); code != http.StatusAccepted {
			t.Fatalf("magento: %d", code)
		}
	}
	evs := received(t, in.natsURL, 2)
	time.Sleep(300 * time.Millisecond)
	if evs = received(t, in.natsURL, 2); len(evs) != 2 {
		t.Fatalf("%d canonical orders, want 2 (each once)", len(evs))
	}
	got := map[string]string{}
	for _, ev := range evs {
		got[ev.GetOrder().GetProfile()] = ev.GetOrder().GetShopOrderId()
	}
	if got["demo-woo"] != "12345" || got["demo-magento"] == "" {
		t.Errorf("orders by profile: %v", got)
	}

	env := func(string) (string, bool) { return "", false }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"orders", "show", "demo-woo", "12345-xxx", "--config", in.config}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Order 12345 (number 12345-xxx) in demo-woo: ") || !strings.Contains(s, "totals differ by 2.46") {
		t.Errorf("orders show:\n%s", s)
	}
	out.Reset()
	if err := run(context.Background(), []string{"orders", "-o", "json", "--config", in.config}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, `"shop_order_id": "12345"`) || !strings.Contains(s, `"profile": "demo-magento"`) {
		t.Errorf("orders -o json:\n%s", s)
	}
	if err := run(context.Background(), []string{"orders", "show", "demo-woo", "1", "--config", in.config, "--token", "wrong"}, io.Discard, io.Discard, env); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: %v", err)
	}

	out.Reset()
	c := &admin.Client{BaseURL: in.httpURL, Token: "test-admin-token"}
	health, err := c.Raw(context.Background(), "/health")
	if err != nil || !strings.Contains(string(health), `"snelstart_rate_limits"`) || !strings.Contains(string(health), `"calls_last_minute"`) {
		t.Errorf("health: %s %v", health, err)
	}

	resp, err := http.Get(in.httpURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`koppel_webhook_requests_total{outcome="stored",profile="demo-woo"} 1`,
		`koppel_webhook_requests_total{outcome="duplicate",profile="demo-woo"} 1`, "koppel_webhook_duration_seconds_bucket"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestDLQCommands dead-letters a subscription payload (not an order) and
// lists, shows and replays it with the CLI against the running koppel.
func TestDLQCommands(t *testing.T) {
	in := startInProcess(t)
	sub := fixture(t, "webhook_subscription_100580_nl_eur_ideal_unicode.json")
	if code := postOrder(t, in.httpURL, "demo-woo", "X-WC-Webhook-Signature", sub); code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	env := func(string) (string, bool) { return "", false }
	var out bytes.Buffer
	deadline := time.Now().Add(10 * time.Second)
	for {
		out.Reset()
		if err := run(context.Background(), []string{"dlq", "list", "--config", in.config}, &out, io.Discard, env); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "1 dead letter(s)") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "normalize") || !strings.Contains(out.String(), "demo-woo") || !strings.Contains(out.String(), "1 dead letter(s)") {
		t.Fatalf("dlq list:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"dlq", "show", "1", "--config", in.config}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "koppel.order.raw.demo-woo") || !strings.Contains(out.String(), "not an order") {
		t.Errorf("dlq show:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"dlq", "show", "1", "--raw", "--config", in.config}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), sub) {
		t.Error("dlq show --raw does not print the body as received")
	}
	out.Reset()
	if err := run(context.Background(), []string{"dlq", "replay", "1", "--config", in.config}, &out, io.Discard, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "replayed dead letter 1") {
		t.Errorf("dlq replay: %s", out.String())
	}
	// Still not an order, so it comes back as a new dead letter.
	deadline = time.Now().Add(10 * time.Second)
	for {
		out.Reset()
		if err := run(context.Background(), []string{"dlq", "list", "--config", in.config}, &out, io.Discard, env); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "\n2 ") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.HasPrefix(strings.SplitN(out.String(), "\n", 3)[1], "2 ") {
		t.Errorf("after replay, want dead letter 2 only:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"dlq", "replay", "1", "--config", in.config}, io.Discard, io.Discard, env); err == nil {
		t.Error("replaying a dead letter twice succeeded")
	}
}

// TestCrashLosesNothingBooksOnce runs the real binary against a SnelStart
// sandbox outside it, posts orders, kills koppel with SIGKILL while it is
// still booking, starts it again on the same data, and counts: every order
// the shop was told is stored becomes exactly one verkooporder.
func TestCrashLosesNothingBooksOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "koppel")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// SnelStart answers slowly enough that the kill lands mid-stream.
	if _, err := sb.AddFault(snelstartsandbox.Fault{Kind: "latency", Latency: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	sbSrv := httptest.NewServer(sb)
	defer sbSrv.Close()

	path, httpPort, natsPort := writeConfig(t, dir)
	cfgText, _ := os.ReadFile(path)
	cfgText = []byte(strings.Replace(string(cfgText), `listen: "127.0.0.1:0"`, `url: "`+sbSrv.URL+`"`, 1))
	os.WriteFile(path, cfgText, 0o600)
	url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "--config", path)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "koppel started") {
					close(ready)
					io.Copy(io.Discard, stderr)
					return
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatal("binary did not start")
		}
		return cmd
	}

	shop := shopsandbox.NewWooCommerce(shopsandbox.Options{Orders: 120, Seed: 21})
	orders := shop.Orders()
	cmd := start()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(orders); j += 8 {
				body, _ := shop.OrderJSON(orders[j].ID)
				if code := postOrder(t, url, "demo-woo", "X-WC-Webhook-Signature", body); code != http.StatusAccepted {
					t.Errorf("order %d: %d", orders[j].ID, code)
				}
			}
		}()
	}
	wg.Wait()
	// Kill while orders are still being booked.
	c := sandboxClient(t, sbSrv.URL)
	deadline := time.Now().Add(30 * time.Second)
	for len(koppelOrders(t, c)) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	bookedBeforeKill := len(koppelOrders(t, c))
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no drain
		t.Fatal(err)
	}
	cmd.Wait()

	cmd = start()
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	var perOrder map[string]int
	deadline = time.Now().Add(crashRecovery)
	for time.Now().Before(deadline) {
		perOrder = map[string]int{}
		for _, o := range koppelOrders(t, c) {
			perOrder[o.Memo]++
		}
		if len(perOrder) == len(orders) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	total := len(koppelOrders(t, c))
	if len(perOrder) != len(orders) || total != len(orders) {
		t.Fatalf("killed after %d of %d booked; after restart %d verkooporders for %d orders, want each once", bookedBeforeKill, len(orders), total, len(perOrder))
	}
	if bookedBeforeKill >= len(orders) {
		t.Errorf("all %d orders were booked before the kill; the kill did not land mid-stream", len(orders))
	}
	t.Logf("killed with %d of %d booked; after restart %d verkooporders, each once", bookedBeforeKill, len(orders), total)
	_ = natsURL
}

// crashRecovery bounds how long the restarted koppel may take to book what
// the killed one left: claims of the dead process must run out first.
const crashRecovery = 4 * time.Minute

// koppelOrders lists the verkooporders koppel booked (those with its memo
// tag) in the sandbox.
func koppelOrders(t testing.TB, c *snelstart.Client) []snelstart.VerkoopOrder {
	t.Helper()
	all, err := c.ListVerkoopOrders(context.Background(), snelstart.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []snelstart.VerkoopOrder
	for _, o := range all {
		if strings.Contains(o.Memo, "koppel:demo-woo:") {
			out = append(out, o)
		}
	}
	return out
}
