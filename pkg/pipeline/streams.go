package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig sets how the ORDERS and DLQ streams are created.
type StreamConfig struct {
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. It must
	// cover a poller's overlap and a redelivery storm. Zero means 6h.
	DuplicateWindow time.Duration
	// OrdersMaxAge and DLQMaxAge bound how long messages are kept.
	// Zero means 30 days and 90 days.
	OrdersMaxAge time.Duration
	DLQMaxAge    time.Duration
	// Replicas is the stream replication factor. Zero means 1.
	Replicas int
	// Memory selects memory storage instead of file storage; for benchmarks
	// only, never for a deployment.
	Memory bool
}

func (c StreamConfig) withDefaults() StreamConfig {
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = 6 * time.Hour
	}
	if c.OrdersMaxAge <= 0 {
		c.OrdersMaxAge = 30 * 24 * time.Hour
	}
	if c.DLQMaxAge <= 0 {
		c.DLQMaxAge = 90 * 24 * time.Hour
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	return c
}

// EnsureStreams creates the ORDERS, DLQ and AUDIT streams, or updates them to cfg
// when they exist. It is safe to call from every service at start-up.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) error {
	cfg = cfg.withDefaults()
	storage := jetstream.FileStorage
	if cfg.Memory {
		storage = jetstream.MemoryStorage
	}
	streams := []jetstream.StreamConfig{
		{
			Name:        StreamOrders,
			Description: "koppel orders: every step of every order",
			Subjects:    []string{SubjectOrderPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      cfg.OrdersMaxAge,
			Storage:     storage,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DuplicateWindow,
		},
		{
			Name:        StreamDLQ,
			Description: "koppel dead letters awaiting a person",
			Subjects:    []string{SubjectDLQPrefix + ">"},
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      cfg.DLQMaxAge,
			Storage:     storage,
			Replicas:    cfg.Replicas,
			Duplicates:  cfg.DuplicateWindow,
		},
	}
	for _, sc := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("pipeline: ensure stream %s: %w", sc.Name, err)
		}
	}
	return ensureAuditStream(ctx, js, cfg)
}
