package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestBurstThenRefill(t *testing.T) {
	l := New(3, time.Minute, 100)
	now := time.Unix(1_700_000_000, 0)
	for i := range 3 {
		r := l.Allow("a", now)
		if !r.Allowed || r.Remaining != 2-i || r.Limit != 3 {
			t.Fatalf("request %d: %+v", i+1, r)
		}
	}
	r := l.Allow("a", now)
	if r.Allowed || r.Remaining != 0 || r.RetryAfter != 20*time.Second || !r.Reset.Equal(now.Add(time.Minute)) {
		t.Fatalf("4th: %+v", r)
	}
	if !l.Allow("b", now).Allowed {
		t.Fatal("another key is limited too")
	}
	if l.Allow("a", now.Add(19*time.Second)).Allowed {
		t.Fatal("refilled too early")
	}
	if !l.Allow("a", now.Add(20*time.Second)).Allowed {
		t.Fatal("not refilled after window/limit")
	}
}

func TestPeekAndCharge(t *testing.T) {
	l := New(2, time.Minute, 100)
	now := time.Now()
	if !l.Peek("d", now).Allowed || l.Len() != 0 {
		t.Fatal("peek of an unknown key must allow and remember nothing")
	}
	l.Charge("d", now)
	l.Charge("d", now)
	if l.Peek("d", now).Allowed {
		t.Fatal("charged twice, still allowed")
	}
	l.Charge("d", now) // floors at empty
	if !l.Peek("d", now.Add(30*time.Second)).Allowed {
		t.Fatal("charge went below empty")
	}
}

func TestNilAndZeroLimitAllowEverything(t *testing.T) {
	var l *Limiter
	if New(0, time.Minute, 10) != nil || !l.Allow("x", time.Now()).Allowed || l.Len() != 0 {
		t.Fatal("a zero limit must be off")
	}
	l.Charge("x", time.Now())
}

// TestMemoryStaysBounded floods the limiter with distinct keys, active and
// idle: it never remembers more than maxKeys, and keys that are still
// limited survive a flood of idle ones.
func TestMemoryStaysBounded(t *testing.T) {
	const maxKeys = 1000
	l := New(5, time.Minute, maxKeys)
	now := time.Now()
	for i := range 200_000 {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now.Add(time.Duration(i)*time.Millisecond))
		if i%10_000 == 0 && l.Len() > maxKeys {
			t.Fatalf("after %d keys: %d remembered", i, l.Len())
		}
	}
	if n := l.Len(); n > maxKeys {
		t.Fatalf("%d keys remembered, want <= %d", n, maxKeys)
	}
	// Idle keys (refilled) are evicted before a limited one.
	l = New(2, time.Hour, 64)
	start := time.Now()
	l.Allow("abuser", start)
	l.Allow("abuser", start)
	for i := range 10_000 {
		at := start.Add(time.Hour + time.Duration(i)*time.Second)
		l.Allow(fmt.Sprint("visitor", i), at)
	}
	if l.Len() > 64 {
		t.Fatalf("%d keys", l.Len())
	}
}

func TestConcurrentUseGrantsExactlyTheLimit(t *testing.T) {
	l := New(100, time.Hour, 1000)
	now := time.Now()
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				if l.Allow("k", now).Allowed {
					mu.Lock()
					granted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if granted != 100 {
		t.Fatalf("granted %d, want 100", granted)
	}
}

func BenchmarkAllowSameKey(b *testing.B) {
	l := New(1_000_000_000, time.Minute, 50_000)
	now := time.Now()
	for b.Loop() {
		l.Allow("203.0.113.7", now)
	}
}

func BenchmarkAllowParallelManyKeys(b *testing.B) {
	l := New(1000, time.Minute, 50_000)
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprint("198.51.", i>>8&255, ".", i&255, "/", i)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)], time.Now())
			i++
		}
	})
}
