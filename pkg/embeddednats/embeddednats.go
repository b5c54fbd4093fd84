// Package embeddednats starts a NATS server with JetStream inside the
// current process, for the all-in-one binary and for tests.
package embeddednats

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configures an embedded server.
type Options struct {
	// StoreDir is where JetStream keeps its files. Required.
	StoreDir string
	// Host and Port the server listens on for clients. Port 0 picks
	// 4222; -1 picks a free port.
	Host string
	Port int
	// ServerName names the server in JetStream metadata. Default "koppel".
	ServerName string
	// ReadyTimeout bounds the wait for the server to accept clients.
	// Default 10s.
	ReadyTimeout time.Duration
}

// Start starts the server and waits until it accepts connections. The
// caller must call Shutdown (and WaitForShutdown) on the result.
func Start(o Options) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("embeddednats: StoreDir is required")
	}
	if o.ServerName == "" {
		o.ServerName = "koppel"
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: o.ServerName,
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		// Large enough for a webshop order with its headers.
		MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("embeddednats: new server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(o.ReadyTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("embeddednats: not ready after %s", o.ReadyTimeout)
	}
	return srv, nil
}
