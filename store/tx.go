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
const (
	counterLocalObjects = "count_local_objects"
	counterJournal      = "count_inbox_journal" // entries waiting in the inbox journal
	// counterLocalPublicObjects counts live public local objects; each
	// account's share is under publicObjectsCounter(account ID).
	counterLocalPublicObjects = "count_local_public_objects"
)

func publicObjectsCounter(accountID string) string { return "count_public_objects/" + accountID }

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

// viewValue runs get in a read-only transaction and returns its result:
// the shape of every single-record read of a DB.
func viewValue[T any](ctx context.Context, db *DB, get func(*Tx) (T, error)) (T, error) {
	var out T
	err := db.View(ctx, func(t *Tx) error {
		var err error
		out, err = get(t)
		return err
	})
	return out, err
}

// Report returns a report by ID, or ErrNotFound.
func (db *DB) Report(ctx context.Context, id string) (*Report, error) {
	return viewValue(ctx, db, func(t *Tx) (*Report, error) { return t.Report(id) })
}

// ObjectBySeq returns an object by its Seq, or ErrNotFound.
func (db *DB) ObjectBySeq(ctx context.Context, seq string) (*Object, error) {
	return viewValue(ctx, db, func(t *Tx) (*Object, error) { return t.ObjectBySeq(seq) })
}
