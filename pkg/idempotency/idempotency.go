// Package idempotency is koppel's effect ledger: before any write to
// SnelStart a stage claims a key, and after the write succeeds it records
// the result under that key for good. A redelivered or replayed message that
// finds the key done reuses the result instead of writing again; one that
// finds a live claim by another worker waits; one that finds a claim whose
// lease ran out knows the earlier write's outcome is unknown and must look in
// SnelStart before it writes.
//
// The same Store gives short locks (to serialize find-or-create per match
// key) and a lookup cache (sku → artikel id, match key → relatie id).
//
// Two implementations share one conformance suite (package storetest):
// Redis (NewRedis; SET NX PX claims and Lua compare-and-set) for
// distributed deployments, and a JetStream KV bucket (NewKV; create and
// update-with-revision), the all-in-one default.
package idempotency

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound means the key has no record.
	ErrNotFound = errors.New("idempotency: not found")
	// ErrNotOwner means the caller does not hold the claim or lock it tried
	// to complete, release or unlock (its lease ran out and another owner
	// took over, or it never held it).
	ErrNotOwner = errors.New("idempotency: not the owner")
	// ErrLocked means a lock is held by another owner (TryLock).
	ErrLocked = errors.New("idempotency: locked")
)

// State is the state of a ledger key.
type State string

const (
	// StateClaimed: an owner is writing; its lease may have run out.
	StateClaimed State = "claimed"
	// StateDone: the effect happened; Result holds its result. Permanent.
	StateDone State = "done"
)

// Record is what the store holds for a key.
type Record struct {
	Key    string
	State  State
	Owner  string
	Until  time.Time // end of the claim's lease (StateClaimed)
	Result []byte    // the effect's result (StateDone), e.g. a SnelStart id
}

// Outcome says what Claim found.
type Outcome int

const (
	// Acquired: the caller holds the claim now and may write.
	Acquired Outcome = iota + 1
	// TookOver: the caller holds the claim now, but an earlier owner's lease
	// ran out before it completed. Whether its write reached SnelStart is
	// unknown: look before writing again.
	TookOver
	// Done: the effect happened already; reuse Claim.Result.
	Done
	// Busy: another owner holds a live claim; try again after Claim.Until.
	Busy
)

func (o Outcome) String() string {
	switch o {
	case Acquired:
		return "acquired"
	case TookOver:
		return "took-over"
	case Done:
		return "done"
	case Busy:
		return "busy"
	}
	return "unknown"
}

// Claim is the answer to Store.Claim.
type Claim struct {
	Outcome Outcome
	Result  []byte    // Done: the recorded result
	Holder  string    // Busy: the live owner
	Until   time.Time // Acquired, TookOver: our lease; Busy: theirs
}

// Store is the effect ledger, locks and lookup cache. Implementations are
// safe for concurrent use by many processes.
type Store interface {
	// Claim takes key for owner for lease, unless the key is done or held
	// by another owner whose lease is still running. Claiming again as the
	// same owner renews the lease and answers Acquired.
	Claim(ctx context.Context, key, owner string, lease time.Duration) (Claim, error)
	// Complete records result under key and marks it done for good. Only
	// the claim's current owner may complete it; otherwise ErrNotOwner.
	Complete(ctx context.Context, key, owner string, result []byte) error
	// Release gives up owner's claim so another may try (the write failed
	// and did not happen). A done key cannot be released: ErrNotOwner.
	Release(ctx context.Context, key, owner string) error
	// Get returns key's record, or ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)

	// TryLock takes the short lock name for owner for ttl, or returns
	// ErrLocked when another owner holds it.
	TryLock(ctx context.Context, name, owner string, ttl time.Duration) error
	// Unlock releases owner's lock; ErrNotOwner when it expired and was
	// taken by another.
	Unlock(ctx context.Context, name, owner string) error

	// CacheGet returns a cached value, with ok false when absent.
	CacheGet(ctx context.Context, key string) (value []byte, ok bool, err error)
	// CacheSet stores a value for the store's cache lifetime.
	CacheSet(ctx context.Context, key string, value []byte) error
	// CacheDelete removes a cached value (after koppel created or updated
	// what it points to).
	CacheDelete(ctx context.Context, key string) error

	// Close releases the store's connections it owns.
	Close() error
}

// Lock waits until it holds the short lock name for owner, polling with a
// growing pause (10 ms up to 250 ms), and returns a function that unlocks
// it. It gives up when ctx ends.
func Lock(ctx context.Context, s Store, name, owner string, ttl time.Duration) (unlock func(context.Context) error, err error) {
	pause := 10 * time.Millisecond
	for {
		err := s.TryLock(ctx, name, owner, ttl)
		if err == nil {
			return func(ctx context.Context) error { return s.Unlock(ctx, name, owner) }, nil
		}
		if !errors.Is(err, ErrLocked) {
			return nil, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		if pause < 250*time.Millisecond {
			pause *= 2
		}
	}
}

// EffectKey returns the ledger key for an effect in SnelStart:
// effect:<profile>:<kind>:<key>, e.g. effect:demo-woo:verkooporder:727.
func EffectKey(profile, kind, key string) string {
	return strings.Join([]string{"effect", profile, kind, key}, ":")
}

// record encoding shared by the implementations: one line per field so a
// person can read it in redis-cli or `nats kv get`.
//
//	state\nowner\nuntil-unix-ms\nresult
func encode(r Record) []byte {
	var b strings.Builder
	b.WriteString(string(r.State))
	b.WriteByte('\n')
	b.WriteString(r.Owner)
	b.WriteByte('\n')
	if !r.Until.IsZero() {
		b.WriteString(itoa(r.Until.UnixMilli()))
	}
	b.WriteByte('\n')
	b.Write(r.Result)
	return []byte(b.String())
}

func decode(key string, v []byte) (Record, error) {
	parts := strings.SplitN(string(v), "\n", 4)
	if len(parts) != 4 {
		return Record{}, errors.New("idempotency: malformed record for " + key)
	}
	r := Record{Key: key, State: State(parts[0]), Owner: parts[1]}
	if parts[2] != "" {
		ms, err := atoi(parts[2])
		if err != nil {
			return Record{}, errors.New("idempotency: malformed lease in record for " + key)
		}
		r.Until = time.UnixMilli(ms)
	}
	if parts[3] != "" {
		r.Result = []byte(parts[3])
	}
	return r, nil
}
