package snelstartsandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func addFault(t *testing.T, sb *snelstartsandbox.Sandbox, f snelstartsandbox.Fault) snelstartsandbox.Fault {
	t.Helper()
	f, err := sb.AddFault(f)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newOrder() obj {
	return obj{"relatie": obj{"id": idJanJansen}, "datum": "2026-03-14T00:00:00", "betalingskenmerk": "LOST-1",
		"regels": []obj{{"artikel": obj{"id": idMok}, "aantal": 1}}}
}

func TestFaultLatency(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.login()
	addFault(t, e.sb, snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLatency, Method: "GET", Path: snelstart.PathLand, Latency: 150 * time.Millisecond})
	start := time.Now()
	wantStatus(t, e.call(http.MethodGet, "/v2/landen/"+idNL, nil), http.StatusOK)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("call took %s, want at least the 150ms latency", d)
	}
}

func TestFaultErrors(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{Faults: []snelstartsandbox.Fault{
		{Kind: snelstartsandbox.FaultError, Method: "POST", Path: snelstart.PathVerkoopOrders, Count: 2},
		{Kind: snelstartsandbox.FaultError, Method: "GET", Path: snelstart.PathVerkoopOrder, Status: 500, Count: 1},
		{Kind: snelstartsandbox.FaultError, Path: snelstart.PathToken, Status: 502, Count: 1},
	}})
	r := e.tokenFor("demo")
	if r.status != http.StatusBadGateway {
		t.Errorf("token with a fault: %d %s", r.status, r.body)
	}
	for i := range 2 {
		r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, newOrder())
		if r.status != http.StatusServiceUnavailable || string(r.body) != `{"statusCode":503,"message":"Service Unavailable"}` {
			t.Errorf("POST %d: %d %s, want the 503 fault", i, r.status, r.body)
		}
		if !r.err().Temporary() {
			t.Error("a 503 is not temporary")
		}
	}
	wantStatus(t, e.call(http.MethodPost, snelstart.PathVerkoopOrders, newOrder()), http.StatusCreated)
	r = e.call(http.MethodGet, "/v2/verkooporders/"+idOrder10001, nil)
	if r.status != 500 || string(r.body) != `{"Message":"An error has occurred."}` {
		t.Errorf("GET with a 500 fault: %d %s", r.status, r.body)
	}
	wantStatus(t, e.call(http.MethodGet, "/v2/verkooporders/"+idOrder10001, nil), http.StatusOK)
	if n := len(e.sb.Admin("demo").VerkoopOrders()); n != 2 {
		t.Errorf("%d orders, want 2: faulted POSTs must not write", n)
	}
	for _, f := range e.sb.Faults() {
		if f.Fired != f.Count {
			t.Errorf("fault %d fired %d times, want %d", f.ID, f.Fired, f.Count)
		}
	}
}

// TestFaultProbabilityIsSeeded: the same seed gives the same faults for the
// same sequence of calls.
func TestFaultProbabilityIsSeeded(t *testing.T) {
	run := func(seed uint64) []int {
		e := newEnv(t, snelstartsandbox.Options{FaultSeed: seed, Faults: []snelstartsandbox.Fault{
			{Kind: snelstartsandbox.FaultError, Method: "GET", Path: snelstart.PathLanden, Probability: 0.5},
		}})
		var got []int
		for range 24 {
			got = append(got, e.call(http.MethodGet, snelstart.PathLanden, nil).status)
		}
		return got
	}
	a, b := run(42), run(42)
	if !slices.Equal(a, b) {
		t.Errorf("seed 42 gave %v, then %v", a, b)
	}
	if !slices.Contains(a, 200) || !slices.Contains(a, 503) {
		t.Errorf("probability 0.5 gave %v", a)
	}
}

func TestFaultTimeout(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.login()
	addFault(t, e.sb, snelstartsandbox.Fault{Kind: snelstartsandbox.FaultTimeout, Method: "GET", Path: snelstart.PathRelaties})
	client := *e.srv.Client()
	client.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := client.Do(e.request(http.MethodGet, snelstart.PathRelaties, nil))
	if err == nil || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("hanging call: err %v after %s, want the client's timeout", err, time.Since(start))
	}

	// Close releases calls still hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		resp, err := e.srv.Client().Do(e.request(http.MethodGet, snelstart.PathRelaties, nil).WithContext(ctx))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := e.sb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after Close: %v, want a dropped connection", err)
	}
	unanswered := snelstartsandbox.Call{Method: "GET", Path: snelstart.PathRelaties, Status: 0}
	for deadline := time.Now().Add(5 * time.Second); e.sb.Calls()[unanswered] < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.sb.Calls()[unanswered]; n != 2 {
		t.Errorf("%d unanswered calls counted, want 2", n)
	}
}

// TestFaultLostResponse: the write takes effect, the answer is lost.
func TestFaultLostResponse(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	e.login()
	addFault(t, e.sb, snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathVerkoopOrders, Count: 1})
	if resp, err := e.srv.Client().Do(e.request(http.MethodPost, snelstart.PathVerkoopOrders, newOrder())); err == nil {
		resp.Body.Close()
		t.Fatalf("POST answered %d, want a dropped connection", resp.StatusCode)
	}
	var found []snelstart.VerkoopOrder
	mustDecode(t, e.get(snelstart.PathVerkoopOrders, "$filter=Betalingskenmerk eq 'LOST-1'").body, &found)
	if len(found) != 1 {
		t.Fatalf("after the lost answer %d orders with the betalingskenmerk, want 1 (the write took effect)", len(found))
	}

	addFault(t, e.sb, snelstartsandbox.Fault{Kind: snelstartsandbox.FaultLostResponse, Method: "POST", Path: snelstart.PathVerkoopOrders, Status: 502, Count: 1})
	r := e.call(http.MethodPost, snelstart.PathVerkoopOrders, newOrder())
	if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), `"statusCode":502`) {
		t.Errorf("lost answer as 502: %d %s", r.status, r.body)
	}
	mustDecode(t, e.get(snelstart.PathVerkoopOrders, "$filter=Betalingskenmerk eq 'LOST-1'").body, &found)
	if len(found) != 2 {
		t.Errorf("%d orders, want 2", len(found))
	}
	wantStatus(t, e.call(http.MethodPost, snelstart.PathVerkoopOrders, newOrder()), http.StatusCreated)
}

// TestFaultControlEndpoint drives faults over HTTP, under /_sandbox/,
// which is not part of SnelStart.
func TestFaultControlEndpoint(t *testing.T) {
	e := newEnv(t, snelstartsandbox.Options{})
	post := func(body string) response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/_sandbox/faults", strings.NewReader(body))
		return e.send(req)
	}
	r := post(`{"kind":"error","method":"GET","path":"/v2/landen","status":504,"count":1,"latency":"10ms"}`)
	wantStatus(t, r, http.StatusCreated)
	var f snelstartsandbox.Fault
	mustDecode(t, r.body, &f)
	if f.ID == 0 || f.Latency != 10*time.Millisecond || f.Status != 504 {
		t.Errorf("created fault = %+v", f)
	}
	if r := post(`{"kind":"explode"}`); r.status != http.StatusBadRequest {
		t.Errorf("bad fault: %d %s", r.status, r.body)
	}
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusGatewayTimeout)
	wantStatus(t, e.call(http.MethodGet, snelstart.PathLanden, nil), http.StatusOK)

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/_sandbox/faults", nil)
	r = e.send(req)
	var list []snelstartsandbox.Fault
	mustDecode(t, r.body, &list)
	if len(list) != 1 || list[0].Fired != 1 {
		t.Errorf("faults = %s", r.body)
	}
	req, _ = http.NewRequest(http.MethodDelete, e.srv.URL+"/_sandbox/faults", nil)
	wantStatus(t, e.send(req), http.StatusNoContent)
	if n := len(e.sb.Faults()); n != 0 {
		t.Errorf("%d faults after DELETE", n)
	}
	if b, _ := json.Marshal(snelstartsandbox.Fault{Kind: "latency", Latency: 1500 * time.Millisecond}); !strings.Contains(string(b), `"latency":"1.5s"`) {
		t.Errorf("fault JSON %s", b)
	}
}
