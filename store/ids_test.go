package store

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

func TestNewIDsAreUniqueAndSortInCreationOrder(t *testing.T) {
	db := newTestDB(t)
	const goroutines, perGoroutine = 8, 1250 // 10,000 IDs
	before := time.Now().Add(-time.Millisecond)
	results := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, perGoroutine)
			for i := range ids {
				ids[i] = db.NewID()
			}
			results[g] = ids
		}()
	}
	wg.Wait()
	after := time.Now().Add(time.Millisecond)

	seen := make(map[string]bool, goroutines*perGoroutine)
	for g, ids := range results {
		if !slices.IsSorted(ids) {
			t.Errorf("goroutine %d: IDs not in creation order", g)
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("duplicate ID %s", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != goroutines*perGoroutine {
		t.Fatalf("%d unique IDs, want %d", len(seen), goroutines*perGoroutine)
	}
	id := results[0][0]
	parsed, err := ulid.ParseStrict(id)
	if err != nil {
		t.Fatalf("ID %q is not a ULID: %v", id, err)
	}
	if ts := ulid.Time(parsed.Time()); ts.Before(before) || ts.After(after) {
		t.Errorf("ID time %v outside [%v, %v]", ts, before, after)
	}
}
