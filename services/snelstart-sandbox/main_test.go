package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/snelstart/spectest"
)

// TestServesDemo starts the service on a free port, gets a token with the
// demo client key and reads the countries with the demo subscription key.
func TestServesDemo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--snapshot", t.TempDir() + "/state.json"}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	base := "http://" + addr
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err = http.PostForm(base+"/b2b/token", url.Values{"grant_type": {"clientkey"}, "clientkey": {"demo"}})
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	spec := spectest.Load(t)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	spec.ValidateResponse(t, resp.Request, resp.StatusCode, resp.Header, body)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != http.StatusOK || tok.ExpiresIn != 3599 {
		t.Fatalf("token: %d %s %v", resp.StatusCode, body, err)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/v2/landen", nil)
	req.Header.Set("Ocp-Apim-Subscription-Key", "demo")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	spec.ValidateRequest(t, req, nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	spec.ValidateResponse(t, req, resp.StatusCode, resp.Header, body)
	var landen []struct {
		Naam     string `json:"naam"`
		Landcode string `json:"landcode"`
	}
	if err := json.Unmarshal(body, &landen); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("landen: %d %s %v", resp.StatusCode, body, err)
	}
	if len(landen) == 0 || landen[0].Landcode != "NL" {
		t.Errorf("landen = %+v", landen)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--vat", "per-order"},
		{"--rounding", "down"},
		{"--rate-limit", "unlimited"},
		{"--fault", "{not json"},
		{"--seed", "/nonexistent/seed.yaml"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%s: accepted", strings.Join(args, " "))
		}
	}
}
