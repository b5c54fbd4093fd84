package snelstartsandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/snelstart/spectest"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

// BenchmarkSandbox measures the sandbox over loopback HTTP, without rate
// limits: a filtered relaties lookup and an order POST one at a time, and a
// mix of both from parallel clients. The first answer of each kind is
// checked against the spec; the timed loop is not.
func BenchmarkSandbox(b *testing.B) {
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{RateLimit: &snelstartsandbox.RateLimit{}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(func() { srv.Close(); _ = sb.Close() })
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	resp, err := client.Post(srv.URL+snelstart.PathToken, "application/x-www-form-urlencoded", bytes.NewBufferString("grant_type=clientkey&clientkey=demo"))
	if err != nil {
		b.Fatal(err)
	}
	var tok snelstart.Token
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	spec := spectest.Load(b)

	filtered := srv.URL + snelstart.PathRelaties + "?%24filter=Email%20eq%20%27jan.jansen%40example.nl%27%20and%20Relatiecode%20gt%200"
	order, _ := json.Marshal(map[string]any{"relatie": map[string]any{"id": idJanJansen}, "datum": "2026-03-14T00:00:00",
		"betalingskenmerk": "BENCH", "verkooporderBtwIngaveModel": "Inclusief",
		"regels": []map[string]any{
			{"artikel": map[string]any{"id": idTshirt}, "aantal": 2, "stuksprijs": 24.95, "kortingsPercentage": 10},
			{"artikel": map[string]any{"id": idKoffie}, "aantal": 1, "stuksprijs": 7.49},
			{"artikel": map[string]any{"id": idVerzend}, "aantal": 1, "stuksprijs": 4.95},
		}})
	newReq := func(post bool) *http.Request {
		var req *http.Request
		if post {
			req, _ = http.NewRequest(http.MethodPost, srv.URL+snelstart.PathVerkoopOrders, bytes.NewReader(order))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req, _ = http.NewRequest(http.MethodGet, filtered, nil)
		}
		req.Header.Set(snelstart.HeaderSubscriptionKey, "demo")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return req
	}
	do := func(b *testing.B, post bool, check bool) {
		req := newReq(post)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[bool]int{false: 200, true: 201}[post]; resp.StatusCode != want {
			b.Fatalf("%s: %d %s", req.URL.Path, resp.StatusCode, body)
		}
		if check {
			var reqBody []byte
			if post {
				reqBody = order
			}
			spec.ValidateRequest(b, newReq(post), reqBody)
			spec.ValidateResponse(b, req, resp.StatusCode, resp.Header, body)
		}
	}
	callsPerSecond := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	}

	b.Run("GET filtered relaties", func(b *testing.B) {
		do(b, false, true)
		for b.Loop() {
			do(b, false, false)
		}
		callsPerSecond(b)
	})
	b.Run("POST verkooporder", func(b *testing.B) {
		do(b, true, true)
		for b.Loop() {
			do(b, true, false)
		}
		callsPerSecond(b)
	})
	b.Run("mixed, parallel clients", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				do(b, i%4 == 0, false)
			}
		})
		callsPerSecond(b)
	})
}
