package dashboard_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/koppel/koppel/pkg/browsertest"
	"github.com/koppel/koppel/pkg/pipeline"
)

// wantStatus is the status the order's timeline shows once the replayed
// order has passed every stage this test runs. When the test gains a
// booking stage, this becomes "booked".
const wantStatus = pipeline.StepArticles

// TestBrowser does what an operator does, in headless Chromium: log in,
// find the dead-lettered order on the DLQ page, open it, replay it once the
// article exists in SnelStart, and watch the order's timeline move on.
func TestBrowser(t *testing.T) {
	e := newEnv(t, token, false)
	dl := e.waitDeadLetters(t, 1)[0]
	shots := t.TempDir()
	ctx := browsertest.New(t, 45*time.Second)
	console := recordConsole(ctx)

	// Every page sends a stranger to the login form.
	browsertest.Step(t, ctx, "open the DLQ page", chromedp.Navigate(e.srv.URL+"/dlq"), chromedp.WaitVisible(chromedp.ID("token")))
	if loc := browsertest.Read(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login?next=%2Fdlq") {
		t.Fatalf("not sent to the login form: %s", loc)
	}
	// The first Tab reaches the skip link.
	browsertest.Step(t, ctx, "tab to the skip link", chromedp.KeyEvent("\t"))
	if focused := browsertest.Read(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Skip to main content" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}

	browsertest.Step(t, ctx, "log in", chromedp.SendKeys(chromedp.ID("token"), token))
	browsertest.ClickAndLoad(t, ctx, "submit the login form", chromedp.CSS(`form[action="/login"] button[type="submit"]`))
	row := `//table[contains(@class, "dlq")]//tr[.//a[contains(., "12345-xxx")]]`
	browsertest.Step(t, ctx, "find the order on the DLQ page", chromedp.WaitVisible(row))
	if title := browsertest.Read(t, ctx, chromedp.Title()); title != "Dead letters · koppel" {
		t.Errorf("after login, title %q", title)
	}
	if text := browsertest.Read(t, ctx, chromedp.Text(row)); !strings.Contains(text, "c00000003660") || !strings.Contains(text, "articles") {
		t.Errorf("DLQ row: %q", text)
	}
	screenshot(t, ctx, shots, "dlq")

	browsertest.ClickAndLoad(t, ctx, "open the dead letter", row+`//a[starts-with(@href, "/dlq/")]`)
	replay := fmt.Sprintf("replay-%d", dl.Sequence)
	browsertest.Step(t, ctx, "see the dead letter", chromedp.WaitVisible(chromedp.ID(replay)))
	if h1 := browsertest.Read(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != fmt.Sprintf("Dead letter %d", dl.Sequence) {
		t.Errorf("detail page heading %q", h1)
	}

	// The article is added in SnelStart; then the operator replays.
	e.known.Store(true)
	browsertest.Step(t, ctx, "write a note", chromedp.SendKeys(chromedp.ID("replay-reason-"+fmt.Sprint(dl.Sequence)), "artikel aangemaakt"))
	browsertest.ClickAndLoad(t, ctx, "click Replay", chromedp.CSS("#"+replay+` button[type="submit"]`))
	if loc := browsertest.Read(t, ctx, chromedp.Location()); !strings.Contains(loc, "/orders/shop/12345?ok=replayed") {
		t.Errorf("after replay, at %s", loc)
	}
	if flash := browsertest.Read(t, ctx, chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, "replayed") {
		t.Errorf("flash %q", flash)
	}

	// The page is server-rendered: reload until the stage has caught up,
	// as a person would.
	status := ""
	for deadline := time.Now().Add(15 * time.Second); ; {
		status = browsertest.Read(t, ctx, chromedp.Text(chromedp.ID("order-status")))
		if status == wantStatus || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
		browsertest.Step(t, ctx, "reload the timeline", chromedp.Reload())
	}
	if status != wantStatus {
		t.Fatalf("the timeline shows status %q, want %q", status, wantStatus)
	}
	timeline := browsertest.Read(t, ctx, chromedp.Text(chromedp.CSS("table.timeline")))
	for _, w := range []string{"replay", "by dashboard: artikel aangemaakt", "articles", "c00000003660"} {
		if !strings.Contains(timeline, w) {
			t.Errorf("timeline lacks %q:\n%s", w, timeline)
		}
	}
	screenshot(t, ctx, shots, "timeline")

	for _, m := range console.all() {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
			t.Errorf("browser console: %s", m)
		}
	}
}

// consoleLog collects what pages write to the browser console.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func recordConsole(ctx context.Context) *consoleLog {
	l := &consoleLog{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.msgs = append(l.msgs, m)
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *consoleLog) all() []chromedp.ConsoleMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), l.msgs...)
}

// screenshot saves the whole page as <dir>/<name>.png and, for a person to
// look at, /tmp/koppel-dashboard-<name>.png.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	for _, path := range []string{filepath.Join(dir, name+".png"), "/tmp/koppel-dashboard-" + name + ".png"} {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot: /tmp/koppel-dashboard-%s.png", name)
}
