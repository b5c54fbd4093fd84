package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions tunes a Redis store.
type RedisOptions struct {
	// Prefix starts every key koppel writes. Default "koppel:".
	Prefix string
	// CacheTTL is how long a cached lookup lives. Default 24h.
	CacheTTL time.Duration
}

// Redis is a Store on Redis. Ledger records have no expiry; a claim's lease
// is kept inside the record and judged by the Redis server's clock, so
// workers with skewed clocks agree on when a lease ran out.
type Redis struct {
	rdb      redis.UniversalClient
	prefix   string
	cacheTTL time.Duration
	owned    bool
}

// NewRedis returns a Store on rdb. Close does not close rdb.
func NewRedis(rdb redis.UniversalClient, o RedisOptions) *Redis {
	if o.Prefix == "" {
		o.Prefix = "koppel:"
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 24 * time.Hour
	}
	return &Redis{rdb: rdb, prefix: o.Prefix, cacheTTL: o.CacheTTL}
}

// ConnectRedis dials the Redis at url (redis:// or rediss://), checks it
// answers, and returns a Store that closes the connection on Close.
func ConnectRedis(ctx context.Context, url string, o RedisOptions) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("idempotency: redis url: %w", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("idempotency: redis %s: %w", opt.Addr, err)
	}
	s := NewRedis(rdb, o)
	s.owned = true
	return s, nil
}

// Lua scripts: each reads and writes one key atomically. Records are
// "state\nowner\nuntil-ms\nresult" (see encode).
var (
	claimScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilms = now + tonumber(ARGV[2])
local mine = 'claimed\n' .. ARGV[1] .. '\n' .. untilms .. '\n'
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], mine)
  return {'acquired', '', tostring(untilms)}
end
local state, owner, u, result = string.match(v, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
if state == 'done' then
  return {'done', result, ''}
end
if owner == ARGV[1] then
  redis.call('SET', KEYS[1], mine)
  return {'acquired', '', tostring(untilms)}
end
if u ~= '' and tonumber(u) > now then
  return {'busy', owner, u}
end
redis.call('SET', KEYS[1], mine)
return {'tookover', '', tostring(untilms)}
`)
	completeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 'notowner' end
local state, owner = string.match(v, '^([^\n]*)\n([^\n]*)\n')
if owner ~= ARGV[1] then return 'notowner' end
if state == 'done' then return 'ok' end
redis.call('SET', KEYS[1], 'done\n' .. ARGV[1] .. '\n\n' .. ARGV[2])
return 'ok'
`)
	releaseScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 'notowner' end
local state, owner = string.match(v, '^([^\n]*)\n([^\n]*)\n')
if state ~= 'claimed' or owner ~= ARGV[1] then return 'notowner' end
redis.call('DEL', KEYS[1])
return 'ok'
`)
	lockScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'ok' end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 'ok'
end
return 'locked'
`)
	unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'ok'
end
return 'notowner'
`)
)

func (s *Redis) ledgerKey(k string) string { return s.prefix + k }
func (s *Redis) lockKey(k string) string   { return s.prefix + "lock:" + k }
func (s *Redis) cacheKey(k string) string  { return s.prefix + "cache:" + k }

// Claim implements Store.
func (s *Redis) Claim(ctx context.Context, key, owner string, lease time.Duration) (Claim, error) {
	res, err := claimScript.Run(ctx, s.rdb, []string{s.ledgerKey(key)}, owner, lease.Milliseconds()).StringSlice()
	if err != nil {
		return Claim{}, fmt.Errorf("idempotency: claim %s: %w", key, err)
	}
	if len(res) != 3 {
		return Claim{}, fmt.Errorf("idempotency: claim %s: unexpected reply %q", key, res)
	}
	until := msTime(res[2])
	switch res[0] {
	case "acquired":
		return Claim{Outcome: Acquired, Until: until}, nil
	case "tookover":
		return Claim{Outcome: TookOver, Until: until}, nil
	case "done":
		return Claim{Outcome: Done, Result: []byte(res[1])}, nil
	case "busy":
		return Claim{Outcome: Busy, Holder: res[1], Until: until}, nil
	}
	return Claim{}, fmt.Errorf("idempotency: claim %s: unexpected reply %q", key, res)
}

// Complete implements Store.
func (s *Redis) Complete(ctx context.Context, key, owner string, result []byte) error {
	return s.ownerOp(ctx, completeScript, "complete", s.ledgerKey(key), key, owner, string(result))
}

// Release implements Store.
func (s *Redis) Release(ctx context.Context, key, owner string) error {
	return s.ownerOp(ctx, releaseScript, "release", s.ledgerKey(key), key, owner)
}

// Get implements Store.
func (s *Redis) Get(ctx context.Context, key string) (Record, error) {
	v, err := s.rdb.Get(ctx, s.ledgerKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Record{}, fmt.Errorf("idempotency: get %s: %w", key, err)
	}
	return decode(key, v)
}

// TryLock implements Store.
func (s *Redis) TryLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	res, err := lockScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner, ttl.Milliseconds()).Text()
	if err != nil {
		return fmt.Errorf("idempotency: lock %s: %w", name, err)
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s", ErrLocked, name)
	}
	return nil
}

// Unlock implements Store.
func (s *Redis) Unlock(ctx context.Context, name, owner string) error {
	return s.ownerOp(ctx, unlockScript, "unlock", s.lockKey(name), name, owner)
}

// CacheGet implements Store.
func (s *Redis) CacheGet(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := s.rdb.Get(ctx, s.cacheKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("idempotency: cache get %s: %w", key, err)
	}
	return v, true, nil
}

// CacheSet implements Store.
func (s *Redis) CacheSet(ctx context.Context, key string, value []byte) error {
	if err := s.rdb.Set(ctx, s.cacheKey(key), value, s.cacheTTL).Err(); err != nil {
		return fmt.Errorf("idempotency: cache set %s: %w", key, err)
	}
	return nil
}

// CacheDelete implements Store.
func (s *Redis) CacheDelete(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.cacheKey(key)).Err(); err != nil {
		return fmt.Errorf("idempotency: cache delete %s: %w", key, err)
	}
	return nil
}

// Close implements Store.
func (s *Redis) Close() error {
	if s.owned {
		return s.rdb.Close()
	}
	return nil
}

func (s *Redis) ownerOp(ctx context.Context, script *redis.Script, op, redisKey, key string, args ...any) error {
	res, err := script.Run(ctx, s.rdb, []string{redisKey}, args...).Text()
	if err != nil {
		return fmt.Errorf("idempotency: %s %s: %w", op, key, err)
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s %s", ErrNotOwner, op, key)
	}
	return nil
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
