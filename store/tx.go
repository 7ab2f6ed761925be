package store

import (
	"context"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// Tx is one transaction over the typed accessors, for work that must commit
// as a whole: publishing (object, outbox entry and delivery jobs) or applying
// an inbound activity (its effects, its "seen" mark, and the removal of its
// journal entry). It never leaves the function it is passed to, and must not
// be used for network I/O: fetch first, then write.
type Tx struct {
	tx *bolt.Tx
	db *DB
}

// Update runs fn in one read-write transaction: everything fn writes commits
// together, or nothing does if fn returns an error.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return db.update(ctx, func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, db: db}) })
}

// View runs fn in a read-only transaction (a consistent snapshot).
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return db.view(ctx, func(tx *bolt.Tx) error { return fn(&Tx{tx: tx, db: db}) })
}

// NewID returns a new time-sortable ID (see DB.NewID).
func (t *Tx) NewID() string { return t.db.NewID() }

// Counters kept in the meta bucket, so that totals are O(1) to read.
const counterLocalObjects = "count_local_objects"

func (t *Tx) counter(name string) (int64, error) {
	b, err := bucket(t.tx, bucketMeta)
	if err != nil {
		return 0, err
	}
	v := b.Get([]byte(name))
	if len(v) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (t *Tx) addCounter(name string, delta int64) error {
	n, err := t.counter(name)
	if err != nil {
		return err
	}
	b, err := bucket(t.tx, bucketMeta)
	if err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(n+delta))
	return b.Put([]byte(name), v[:])
}
