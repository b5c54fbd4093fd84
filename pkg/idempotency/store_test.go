package idempotency_test

import (
	"context"
	"testing"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/idempotency/storetest"
	"github.com/koppel/koppel/pkg/natstest"
	"github.com/koppel/koppel/pkg/redistest"
)

// TestStores runs the one conformance suite against both implementations:
// Redis on a real redis-server, KV on an embedded nats-server.
func TestStores(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Run(t)
		storetest.Run(t, func(t *testing.T) idempotency.Store {
			rdb := srv.Client(t)
			if err := rdb.FlushDB(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			return idempotency.NewRedis(rdb, idempotency.RedisOptions{})
		})
	})
	t.Run("kv", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) idempotency.Store {
			bus := natstest.Run(t)
			s, err := idempotency.NewKV(context.Background(), bus.JS, idempotency.KVOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func TestConnectRedisErrors(t *testing.T) {
	if _, err := idempotency.ConnectRedis(context.Background(), "http://nope", idempotency.RedisOptions{}); err == nil {
		t.Error("bad URL accepted")
	}
	srv := redistest.Run(t)
	s, err := idempotency.ConnectRedis(context.Background(), srv.URL, idempotency.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}
