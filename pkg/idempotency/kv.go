package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KVOptions tunes a JetStream KV store.
type KVOptions struct {
	// Bucket names the ledger bucket; the locks and cache buckets get
	// "_locks" and "_cache" appended. Default "koppel_ledger".
	Bucket string
	// CacheTTL is how long a cached lookup lives. Default 24h.
	CacheTTL time.Duration
	// Replicas for the buckets. Default 1.
	Replicas int
	// Now is the clock that judges leases. Default time.Now. Workers
	// sharing a bucket must have clocks within a small part of a lease.
	Now func() time.Time
}

// KV is a Store on JetStream key-value buckets: claims are created with
// Create (only if absent) and changed with Update against the revision read,
// so two workers can never both win a key.
type KV struct {
	ledger, locks, cache jetstream.KeyValue
	now                  func() time.Time
}

// NewKV creates (or opens) the buckets and returns a Store on them.
func NewKV(ctx context.Context, js jetstream.JetStream, o KVOptions) (*KV, error) {
	if o.Bucket == "" {
		o.Bucket = "koppel_ledger"
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 24 * time.Hour
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	open := func(cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
		cfg.History = 1
		cfg.Storage = jetstream.FileStorage
		cfg.Replicas = o.Replicas
		kv, err := js.CreateOrUpdateKeyValue(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("idempotency: bucket %s: %w", cfg.Bucket, err)
		}
		return kv, nil
	}
	s := &KV{now: o.Now}
	var err error
	if s.ledger, err = open(jetstream.KeyValueConfig{Bucket: o.Bucket, Description: "koppel effect ledger: writes to SnelStart"}); err != nil {
		return nil, err
	}
	if s.locks, err = open(jetstream.KeyValueConfig{Bucket: o.Bucket + "_locks", Description: "koppel short locks"}); err != nil {
		return nil, err
	}
	if s.cache, err = open(jetstream.KeyValueConfig{Bucket: o.Bucket + "_cache", Description: "koppel lookup cache", TTL: o.CacheTTL}); err != nil {
		return nil, err
	}
	return s, nil
}

// kvKey maps any string to a valid KV key: characters outside
// [A-Za-z0-9_-/.] (and '=') become =XX, so keys stay readable
// ("effect:demo-woo:relatie:a@b.nl" → "effect=3Ademo-woo=3Arelatie=3Aa=40b.nl").
func kvKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '/':
			b.WriteByte(c)
		case c == '.' && i > 0 && i < len(k)-1 && k[i-1] != '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	if b.Len() == 0 {
		return "=00"
	}
	return b.String()
}

// maxAttempts bounds the read-compare-write loops against concurrent
// writers; each lost race means someone else made progress.
const maxAttempts = 16

// Claim implements Store.
func (s *KV) Claim(ctx context.Context, key, owner string, lease time.Duration) (Claim, error) {
	k := kvKey(key)
	for range maxAttempts {
		now := s.now()
		until := now.Add(lease)
		mine := encode(Record{State: StateClaimed, Owner: owner, Until: until})
		if _, err := s.ledger.Create(ctx, k, mine); err == nil {
			return Claim{Outcome: Acquired, Until: until}, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return Claim{}, fmt.Errorf("idempotency: claim %s: %w", key, err)
		}
		e, err := s.ledger.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released between our create and get
		}
		if err != nil {
			return Claim{}, fmt.Errorf("idempotency: claim %s: %w", key, err)
		}
		r, err := decode(key, e.Value())
		if err != nil {
			return Claim{}, err
		}
		outcome := Acquired
		switch {
		case r.State == StateDone:
			return Claim{Outcome: Done, Result: r.Result}, nil
		case r.Owner == owner:
		case r.Until.After(now):
			return Claim{Outcome: Busy, Holder: r.Owner, Until: r.Until}, nil
		default:
			outcome = TookOver
		}
		if _, err := s.ledger.Update(ctx, k, mine, e.Revision()); err == nil {
			return Claim{Outcome: outcome, Until: until}, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return Claim{}, fmt.Errorf("idempotency: claim %s: %w", key, err)
		}
	}
	return Claim{}, fmt.Errorf("idempotency: claim %s: too much contention", key)
}

// Complete implements Store.
func (s *KV) Complete(ctx context.Context, key, owner string, result []byte) error {
	k := kvKey(key)
	for range maxAttempts {
		e, r, err := s.read(ctx, s.ledger, key, k)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: complete %s", ErrNotOwner, key)
			}
			return err
		}
		if r.Owner != owner {
			return fmt.Errorf("%w: complete %s", ErrNotOwner, key)
		}
		if r.State == StateDone {
			return nil
		}
		_, err = s.ledger.Update(ctx, k, encode(Record{State: StateDone, Owner: owner, Result: result}), e.Revision())
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("idempotency: complete %s: %w", key, err)
		}
	}
	return fmt.Errorf("idempotency: complete %s: too much contention", key)
}

// Release implements Store.
func (s *KV) Release(ctx context.Context, key, owner string) error {
	return s.deleteOwned(ctx, s.ledger, "release", key, owner, true)
}

// Get implements Store.
func (s *KV) Get(ctx context.Context, key string) (Record, error) {
	_, r, err := s.read(ctx, s.ledger, key, kvKey(key))
	return r, err
}

// TryLock implements Store.
func (s *KV) TryLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	k := kvKey(name)
	for range maxAttempts {
		now := s.now()
		mine := encode(Record{State: StateClaimed, Owner: owner, Until: now.Add(ttl)})
		if _, err := s.locks.Create(ctx, k, mine); err == nil {
			return nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("idempotency: lock %s: %w", name, err)
		}
		e, r, err := s.read(ctx, s.locks, name, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if r.Owner != owner && r.Until.After(now) {
			return fmt.Errorf("%w: %s", ErrLocked, name)
		}
		if _, err := s.locks.Update(ctx, k, mine, e.Revision()); err == nil {
			return nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("idempotency: lock %s: %w", name, err)
		}
	}
	return fmt.Errorf("%w: %s (contended)", ErrLocked, name)
}

// Unlock implements Store.
func (s *KV) Unlock(ctx context.Context, name, owner string) error {
	return s.deleteOwned(ctx, s.locks, "unlock", name, owner, false)
}

// CacheGet implements Store.
func (s *KV) CacheGet(ctx context.Context, key string) ([]byte, bool, error) {
	e, err := s.cache.Get(ctx, kvKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("idempotency: cache get %s: %w", key, err)
	}
	return e.Value(), true, nil
}

// CacheSet implements Store.
func (s *KV) CacheSet(ctx context.Context, key string, value []byte) error {
	if _, err := s.cache.Put(ctx, kvKey(key), value); err != nil {
		return fmt.Errorf("idempotency: cache set %s: %w", key, err)
	}
	return nil
}

// CacheDelete implements Store.
func (s *KV) CacheDelete(ctx context.Context, key string) error {
	if err := s.cache.Delete(ctx, kvKey(key)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("idempotency: cache delete %s: %w", key, err)
	}
	return nil
}

// Close implements Store; the NATS connection belongs to the caller.
func (s *KV) Close() error { return nil }

func (s *KV) read(ctx context.Context, kv jetstream.KeyValue, key, k string) (jetstream.KeyValueEntry, Record, error) {
	e, err := kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, Record{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, Record{}, fmt.Errorf("idempotency: get %s: %w", key, err)
	}
	r, err := decode(key, e.Value())
	return e, r, err
}

func (s *KV) deleteOwned(ctx context.Context, kv jetstream.KeyValue, op, key, owner string, claimedOnly bool) error {
	k := kvKey(key)
	for range maxAttempts {
		e, r, err := s.read(ctx, kv, key, k)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %s %s", ErrNotOwner, op, key)
		}
		if err != nil {
			return err
		}
		if r.Owner != owner || (claimedOnly && r.State != StateClaimed) {
			return fmt.Errorf("%w: %s %s", ErrNotOwner, op, key)
		}
		err = kv.Delete(ctx, k, jetstream.LastRevision(e.Revision()))
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("idempotency: %s %s: %w", op, key, err)
		}
	}
	return fmt.Errorf("idempotency: %s %s: too much contention", op, key)
}
