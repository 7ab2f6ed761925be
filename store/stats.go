package store

// Read-only figures for monitoring (package metrics): the queues' depths,
// bbolt's own statistics and the file size. Everything here is cheap enough
// to run on every Prometheus scrape.

import (
	"context"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// QueueStats are the depths of the inbound journal and the delivery queue.
type QueueStats struct {
	// JournalDepth is the number of inbound activities waiting to be
	// applied, counted up to the limit given to QueueStats.
	JournalDepth int
	// DeliveryBacklog is the number of queued delivery jobs (the sum of the
	// per-peer backlog counters: no scan of the queue).
	DeliveryBacklog int
	// DeadLetters is the number of dead letters kept, counted up to the
	// same limit.
	DeadLetters int
	// Peers is the number of peer hosts with delivery health records.
	Peers int
}

// QueueStats reads the queue depths in one read transaction. The journal
// depth comes from its counter; the dead letters are counted with a cursor
// up to limit keys (a bounded read); the delivery backlog comes from the
// per-peer counters.
func (db *DB) QueueStats(ctx context.Context, limit int) (QueueStats, error) {
	var s QueueStats
	err := db.view(ctx, func(tx *bolt.Tx) error {
		s = QueueStats{}
		n, err := (&Tx{tx: tx, db: db}).counter(counterJournal)
		if err != nil {
			return err
		}
		s.JournalDepth = int(n)
		dead, err := bucket(tx, bucketDeliveriesDead)
		if err != nil {
			return err
		}
		s.DeadLetters, _ = countKeys(dead, limit)
		h, err := bucket(tx, bucketPeerHealth)
		if err != nil {
			return err
		}
		return h.ForEach(func(k, _ []byte) error {
			p, err := getJSON[PeerHealth](h, k)
			if err != nil {
				return err
			}
			s.Peers++
			s.DeliveryBacklog += p.Backlog
			return nil
		})
	})
	if err != nil {
		return QueueStats{}, fmt.Errorf("store: queue stats: %w", err)
	}
	return s, nil
}

func countKeys(b *bolt.Bucket, limit int) (n int, capped bool) {
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if n >= limit {
			return n, true
		}
		n++
	}
	return n, false
}

// BoltStats returns bbolt's statistics (transactions, pages, free list).
func (db *DB) BoltStats() bolt.Stats { return db.bolt.Stats() }

// FileSize returns the size of the database file in bytes.
func (db *DB) FileSize() (int64, error) {
	fi, err := os.Stat(db.path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Ping runs an empty read transaction: it fails once the database is
// closed. It does not time out by itself: see package metrics' readiness.
func (db *DB) Ping(ctx context.Context) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		_, err := bucket(tx, bucketInboxJournal)
		return err
	})
}
