package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestEnsureInstanceKeyFirstWriterWins(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	if _, err := db.InstanceKey(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("InstanceKey before any = %v, want ErrNotFound", err)
	}

	const writers = 8
	type result struct {
		key     *InstanceKey
		created bool
	}
	results := make([]result, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := &InstanceKey{PrivateKeyPEM: fmt.Sprintf("private-%d", i), PublicKeyPEM: fmt.Sprintf("public-%d", i)}
			got, created, err := db.EnsureInstanceKey(ctx, k)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = result{got, created}
		}()
	}
	wg.Wait()

	stored, err := db.InstanceKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}
	created := 0
	for i, r := range results {
		if r.created {
			created++
			if r.key.PrivateKeyPEM != fmt.Sprintf("private-%d", i) {
				t.Errorf("writer %d created the key but got %q back", i, r.key.PrivateKeyPEM)
			}
		}
		if *r.key != *stored {
			t.Errorf("writer %d got %+v, stored is %+v", i, r.key, stored)
		}
	}
	if created != 1 {
		t.Errorf("%d writers created the key, want exactly 1", created)
	}
}
