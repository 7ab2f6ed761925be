// Package ratelimit is an in-memory token-bucket rate limiter keyed by
// string (an IP, an account, a domain), with bounded memory.
//
// Each key has a bucket of Limit tokens that refills continuously at Limit
// per Window: a client may burst up to Limit requests, then gets one more
// every Window/Limit. A bucket that has refilled completely is the same as
// no bucket, so it can be forgotten at any time without changing any
// verdict: that is how idle keys are evicted. When more than MaxKeys keys
// are active at once (a flood from many addresses), the longest-idle
// sampled bucket is forgotten, which only ever errs towards letting a
// request through.
package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

const shards = 32

// Limiter limits the rate of requests per key. A nil *Limiter allows
// everything. It is safe for concurrent use.
type Limiter struct {
	limit    float64
	window   time.Duration
	perNanos float64 // tokens per nanosecond
	shardCap int
	seed     maphash.Seed
	shards   [shards]shard
}

type shard struct {
	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep int64
}

type bucket struct {
	tokens float64
	at     int64 // unix nanoseconds of the last update
}

// Result is a limiter's verdict, with what the X-RateLimit-* headers say.
type Result struct {
	Allowed   bool
	Limit     int
	Remaining int
	// Reset is when the bucket will be full again.
	Reset time.Time
	// RetryAfter is, when refused, how long until one request is allowed.
	RetryAfter time.Duration
}

// New returns a limiter of limit requests per window per key, remembering
// at most about maxKeys keys. limit <= 0 returns nil: no limit.
func New(limit int, window time.Duration, maxKeys int) *Limiter {
	if limit <= 0 || window <= 0 {
		return nil
	}
	l := &Limiter{
		limit:    float64(limit),
		window:   window,
		perNanos: float64(limit) / float64(window.Nanoseconds()),
		shardCap: max(maxKeys/shards, 1),
		seed:     maphash.MakeSeed(),
	}
	for i := range l.shards {
		l.shards[i].m = make(map[string]*bucket)
	}
	return l
}

// Limit returns the number of requests allowed per window (0 for nil).
func (l *Limiter) Limit() int {
	if l == nil {
		return 0
	}
	return int(l.limit)
}

// Allow takes one token from key's bucket if it has one.
func (l *Limiter) Allow(key string, now time.Time) Result {
	return l.do(key, now, true, true)
}

// Peek reports whether key's bucket has a token, without taking it.
func (l *Limiter) Peek(key string, now time.Time) Result {
	return l.do(key, now, false, false)
}

// Charge takes one token from key's bucket, down to empty, whatever the
// verdict: for requests found worth counting only after they were served.
func (l *Limiter) Charge(key string, now time.Time) {
	l.do(key, now, true, false)
}

func (l *Limiter) do(key string, now time.Time, take, needToken bool) Result {
	if l == nil {
		return Result{Allowed: true}
	}
	ns := now.UnixNano()
	s := &l.shards[maphash.String(l.seed, key)%shards]
	s.mu.Lock()
	b := s.m[key]
	if b == nil {
		if !take {
			s.mu.Unlock()
			return l.result(true, l.limit, ns)
		}
		if len(s.m) >= l.shardCap {
			l.evict(s, ns)
		}
		b = &bucket{tokens: l.limit, at: ns}
		s.m[key] = b
	} else {
		l.refill(b, ns)
	}
	allowed := b.tokens >= 1
	if take && (allowed || !needToken) {
		b.tokens = max(b.tokens-1, 0)
	}
	tokens := b.tokens
	s.mu.Unlock()
	return l.result(allowed, tokens, ns)
}

func (l *Limiter) refill(b *bucket, ns int64) {
	if ns > b.at {
		b.tokens = min(l.limit, b.tokens+float64(ns-b.at)*l.perNanos)
		b.at = ns
	}
}

func (l *Limiter) result(allowed bool, tokens float64, ns int64) Result {
	r := Result{
		Allowed:   allowed,
		Limit:     int(l.limit),
		Remaining: int(math.Floor(tokens)),
		Reset:     time.Unix(0, ns+int64((l.limit-tokens)/l.perNanos)).UTC(),
	}
	if !allowed {
		r.RetryAfter = time.Duration((1 - tokens) / l.perNanos)
	}
	return r
}

// evict makes room in a full shard: first forget every bucket that has
// refilled (at most one sweep per refill interval of one token, so a flood
// of new keys does not sweep on every request); if none could be, forget
// the longest-idle of a few sampled buckets.
func (l *Limiter) evict(s *shard, ns int64) {
	if ns-s.lastSweep >= int64(1/l.perNanos) {
		s.lastSweep = ns
		for k, b := range s.m {
			l.refill(b, ns)
			if b.tokens >= l.limit {
				delete(s.m, k)
			}
		}
		if len(s.m) < l.shardCap {
			return
		}
	}
	var oldest string
	oldestAt := int64(math.MaxInt64)
	n := 0
	for k, b := range s.m { // map order is random: a sample
		if b.at < oldestAt {
			oldest, oldestAt = k, b.at
		}
		if n++; n == 8 {
			break
		}
	}
	delete(s.m, oldest)
}

// Len returns the number of keys remembered now.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
