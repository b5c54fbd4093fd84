package idempotency

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// Open returns the store a configuration names: Redis at redisURL when it
// is set, else the JetStream KV buckets on js with the given replicas.
func Open(ctx context.Context, redisURL string, js jetstream.JetStream, replicas int) (Store, error) {
	if redisURL != "" {
		return ConnectRedis(ctx, redisURL, RedisOptions{})
	}
	return NewKV(ctx, js, KVOptions{Replicas: replicas})
}
