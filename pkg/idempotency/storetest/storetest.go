// Package storetest is the conformance suite every idempotency.Store
// implementation must pass. Run it from the implementation's tests:
//
//	storetest.Run(t, func(t *testing.T) idempotency.Store { return newStore(t) })
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/idempotency"
)

// Run runs every conformance test against fresh stores from newStore.
func Run(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	tests := map[string]func(t *testing.T, s idempotency.Store){
		"claim once":                         claimOnce,
		"same owner renews":                  sameOwnerRenews,
		"complete then done":                 completeThenDone,
		"complete needs owner":               completeNeedsOwner,
		"release lets another claim":         releaseLetsAnother,
		"expired lease is taken over":        expiredLeaseTakenOver,
		"late complete after takeover fails": lateCompleteFails,
		"concurrent claimers":                concurrentClaimers,
		"concurrent takeover":                concurrentTakeover,
		"lock excludes":                      lockExcludes,
		"lock expires":                       lockExpires,
		"unlock needs owner":                 unlockNeedsOwner,
		"cache":                              cache,
		"odd keys":                           oddKeys,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

func claim(t *testing.T, s idempotency.Store, key, owner string, lease time.Duration) idempotency.Claim {
	t.Helper()
	c, err := s.Claim(ctx, key, owner, lease)
	if err != nil {
		t.Fatalf("Claim(%s, %s): %v", key, owner, err)
	}
	return c
}

func want(t *testing.T, c idempotency.Claim, o idempotency.Outcome) {
	t.Helper()
	if c.Outcome != o {
		t.Fatalf("outcome %s, want %s (%+v)", c.Outcome, o, c)
	}
}

func claimOnce(t *testing.T, s idempotency.Store) {
	c := claim(t, s, "effect:p:verkooporder:1", "w1", time.Minute)
	want(t, c, idempotency.Acquired)
	if time.Until(c.Until) < 50*time.Second {
		t.Errorf("lease until %v, want about a minute from now", c.Until)
	}
	c = claim(t, s, "effect:p:verkooporder:1", "w2", time.Minute)
	want(t, c, idempotency.Busy)
	if c.Holder != "w1" {
		t.Errorf("holder %q, want w1", c.Holder)
	}
	r, err := s.Get(ctx, "effect:p:verkooporder:1")
	if err != nil || r.State != idempotency.StateClaimed || r.Owner != "w1" {
		t.Errorf("Get: %+v %v", r, err)
	}
	if _, err := s.Get(ctx, "effect:p:verkooporder:2"); !errors.Is(err, idempotency.ErrNotFound) {
		t.Errorf("Get(absent) err = %v, want ErrNotFound", err)
	}
}

func sameOwnerRenews(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "w1", 200*time.Millisecond), idempotency.Acquired)
	want(t, claim(t, s, "k", "w1", time.Minute), idempotency.Acquired)
	time.Sleep(300 * time.Millisecond)
	// The renewed lease still runs: another owner is kept out.
	want(t, claim(t, s, "k", "w2", time.Minute), idempotency.Busy)
}

func completeThenDone(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "w1", time.Minute), idempotency.Acquired)
	id := []byte("6f1b8a4e-0c1d-4e6f-9a3b-2f4c5d6e7f80")
	if err := s.Complete(ctx, "k", "w1", id); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, "k", "w1", id); err != nil {
		t.Errorf("second Complete by the owner: %v", err)
	}
	for _, owner := range []string{"w1", "w2"} {
		c := claim(t, s, "k", owner, time.Minute)
		want(t, c, idempotency.Done)
		if !bytes.Equal(c.Result, id) {
			t.Errorf("result %q, want %q", c.Result, id)
		}
	}
	r, err := s.Get(ctx, "k")
	if err != nil || r.State != idempotency.StateDone || !bytes.Equal(r.Result, id) {
		t.Errorf("Get: %+v %v", r, err)
	}
	if err := s.Release(ctx, "k", "w1"); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Release of a done key: %v, want ErrNotOwner", err)
	}
}

func completeNeedsOwner(t *testing.T, s idempotency.Store) {
	if err := s.Complete(ctx, "never", "w1", []byte("x")); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Complete unclaimed: %v, want ErrNotOwner", err)
	}
	want(t, claim(t, s, "k", "w1", time.Minute), idempotency.Acquired)
	if err := s.Complete(ctx, "k", "w2", []byte("x")); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Complete by another: %v, want ErrNotOwner", err)
	}
	if err := s.Release(ctx, "k", "w2"); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Release by another: %v, want ErrNotOwner", err)
	}
}

func releaseLetsAnother(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "w1", time.Minute), idempotency.Acquired)
	if err := s.Release(ctx, "k", "w1"); err != nil {
		t.Fatal(err)
	}
	want(t, claim(t, s, "k", "w2", time.Minute), idempotency.Acquired)
}

func expiredLeaseTakenOver(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "w1", 100*time.Millisecond), idempotency.Acquired)
	time.Sleep(250 * time.Millisecond)
	want(t, claim(t, s, "k", "w2", time.Minute), idempotency.TookOver)
	want(t, claim(t, s, "k", "w1", time.Minute), idempotency.Busy)
}

func lateCompleteFails(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "w1", 100*time.Millisecond), idempotency.Acquired)
	time.Sleep(250 * time.Millisecond)
	want(t, claim(t, s, "k", "w2", time.Minute), idempotency.TookOver)
	if err := s.Complete(ctx, "k", "w1", []byte("late")); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Complete after takeover: %v, want ErrNotOwner", err)
	}
	if err := s.Complete(ctx, "k", "w2", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	c := claim(t, s, "k", "w3", time.Minute)
	if c.Outcome != idempotency.Done || string(c.Result) != "mine" {
		t.Errorf("after takeover and complete: %+v", c)
	}
}

func concurrentClaimers(t *testing.T, s idempotency.Store) {
	const workers = 32
	for round := range 5 {
		key := fmt.Sprintf("effect:p:relatie:%d", round)
		var acquired atomic.Int32
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := s.Claim(ctx, key, fmt.Sprintf("w%d", w), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if c.Outcome == idempotency.Acquired || c.Outcome == idempotency.TookOver {
					acquired.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := acquired.Load(); n != 1 {
			t.Errorf("round %d: %d claimers won, want exactly 1", round, n)
		}
	}
}

func concurrentTakeover(t *testing.T, s idempotency.Store) {
	want(t, claim(t, s, "k", "dead", 50*time.Millisecond), idempotency.Acquired)
	time.Sleep(150 * time.Millisecond)
	var won atomic.Int32
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.Claim(ctx, "k", fmt.Sprintf("w%d", w), time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			switch c.Outcome {
			case idempotency.TookOver:
				won.Add(1)
			case idempotency.Acquired:
				t.Errorf("a takeover reported as a fresh claim")
			}
		}()
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d workers took over an expired claim, want exactly 1", n)
	}
}

func lockExcludes(t *testing.T, s idempotency.Store) {
	var inside, overlaps, total atomic.Int32
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				unlock, err := idempotency.Lock(lctx, s, "relatie:match:a@b.nl", fmt.Sprintf("w%d", w), 10*time.Second)
				cancel()
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				time.Sleep(time.Millisecond)
				total.Add(1)
				inside.Add(-1)
				if err := unlock(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 || total.Load() != 40 {
		t.Errorf("%d overlaps in %d critical sections", overlaps.Load(), total.Load())
	}
}

func lockExpires(t *testing.T, s idempotency.Store) {
	if err := s.TryLock(ctx, "l", "w1", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.TryLock(ctx, "l", "w2", time.Minute); !errors.Is(err, idempotency.ErrLocked) {
		t.Fatalf("TryLock while held: %v, want ErrLocked", err)
	}
	if err := s.TryLock(ctx, "l", "w1", time.Minute); err != nil {
		t.Errorf("re-lock by the holder: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.TryLock(ctx, "l", "w2", time.Minute); !errors.Is(err, idempotency.ErrLocked) {
		t.Fatalf("TryLock after renewal: %v, want ErrLocked", err)
	}
	if err := s.TryLock(ctx, "l2", "w1", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if err := s.TryLock(ctx, "l2", "w2", time.Minute); err != nil {
		t.Errorf("TryLock after expiry: %v", err)
	}
}

func unlockNeedsOwner(t *testing.T, s idempotency.Store) {
	if err := s.TryLock(ctx, "l", "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, "l", "w2"); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Errorf("Unlock by another: %v, want ErrNotOwner", err)
	}
	if err := s.Unlock(ctx, "l", "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.TryLock(ctx, "l", "w2", time.Minute); err != nil {
		t.Errorf("TryLock after unlock: %v", err)
	}
}

func cache(t *testing.T, s idempotency.Store) {
	if _, ok, err := s.CacheGet(ctx, "sku:p:ABC-1"); ok || err != nil {
		t.Fatalf("CacheGet absent: ok %v err %v", ok, err)
	}
	if err := s.CacheSet(ctx, "sku:p:ABC-1", []byte("artikel-id")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.CacheGet(ctx, "sku:p:ABC-1")
	if !ok || err != nil || string(v) != "artikel-id" {
		t.Fatalf("CacheGet: %q %v %v", v, ok, err)
	}
	if err := s.CacheDelete(ctx, "sku:p:ABC-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.CacheGet(ctx, "sku:p:ABC-1"); ok {
		t.Error("value still cached after CacheDelete")
	}
	if err := s.CacheDelete(ctx, "never-set"); err != nil {
		t.Errorf("CacheDelete absent: %v", err)
	}
}

// oddKeys uses the characters real match keys hold: e-mail addresses,
// spaces, dots at the ends, unicode.
func oddKeys(t *testing.T, s idempotency.Store) {
	keys := []string{"relatie:email:jan.de.vries@voorbeeld.nl", "relatie:npa:Jansen 1234AB 12-a", ".dot.", "a..b", "sku:Æble/ø", "", "k=3A"}
	for i, k := range keys {
		want(t, claim(t, s, k, "w1", time.Minute), idempotency.Acquired)
		if err := s.Complete(ctx, k, "w1", []byte(fmt.Sprint(i))); err != nil {
			t.Fatalf("Complete(%q): %v", k, err)
		}
	}
	for i, k := range keys {
		c := claim(t, s, k, "w2", time.Minute)
		if c.Outcome != idempotency.Done || string(c.Result) != fmt.Sprint(i) {
			t.Errorf("key %q: %+v (keys must not collide)", k, c)
		}
	}
}
