package connect_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/koppel/koppel/pkg/connect"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/snelstartsandbox"
)

func TestSandboxProfilesShareOneAdministration(t *testing.T) {
	sb, err := snelstartsandbox.New(snelstartsandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	profiles := []profile.Profile{
		{ID: "a", SnelStart: profile.SnelStart{Sandbox: true}},
		{ID: "b", SnelStart: profile.SnelStart{Sandbox: true, RateLimit: profile.RateLimit{PerMinute: 60, Concurrent: 2}}},
	}
	clients, err := connect.SnelStartClients(profiles, connect.Options{SandboxURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		c, err := clients.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.CompanyInfo(context.Background())
		if err != nil || info == nil {
			t.Fatalf("%s: company info: %v", id, err)
		}
	}
	if n := sb.Admin("demo").Calls().Count("POST", "/b2b/token"); n != 1 {
		t.Errorf("%d token calls for two profiles on one client key, want 1 (shared token source)", n)
	}
	u := clients.Usage()["a,b"]
	if u.CallsLastMinute != 2 || u.PerMinute != 60 || u.MaxConcurrent != 2 {
		t.Errorf("usage %+v, want 2 calls in the last minute of a shared 60/min, 2 concurrent budget", u)
	}
	if _, err := clients.Get("c"); err == nil {
		t.Error("client for an unknown profile")
	}
	if _, err := connect.SnelStartClients(profiles, connect.Options{}); err == nil {
		t.Error("sandbox profiles without a sandbox URL accepted")
	}
}
