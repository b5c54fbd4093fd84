// Package natstest runs a real NATS server with JetStream for tests: an
// embedded server per test, on a free port, storing in t.TempDir().
package natstest

import (
	"net"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/embeddednats"
)

// Server is a running test server and a client connected to it.
type Server struct {
	*server.Server
	Dir  string
	Port int // the client port, kept across Restart
	NC   *nats.Conn
	JS   jetstream.JetStream
}

// Run starts a JetStream server for t and connects to it. Both are closed
// when the test ends.
func Run(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	srv, err := embeddednats.Start(embeddednats.Options{StoreDir: dir, Port: -1})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	s := &Server{Server: srv, Dir: dir, Port: srv.Addr().(*net.TCPAddr).Port}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	s.NC, s.JS = Connect(t, srv.ClientURL())
	return s
}

// Connect dials url and returns the connection and its JetStream context,
// closed when the test ends.
func Connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatalf("connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// Stop shuts the server down, as a crash of the bus would. Clients keep
// trying to reconnect.
func (s *Server) Stop() {
	s.Server.Shutdown()
	s.Server.WaitForShutdown()
}

// Restart stops the server and starts a new one on the same store directory
// and port, as a crash and restart would. Existing clients reconnect.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	srv, err := embeddednats.Start(embeddednats.Options{StoreDir: s.Dir, Port: s.Port})
	if err != nil {
		t.Fatalf("restart nats: %v", err)
	}
	s.Server = srv
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
}
