package store

// The inbox journal: every verified inbound activity is appended here before
// the 202 is sent, and removed in the same transaction that applies it.
//
// Buckets:
//   inbox_journal   8-byte big-endian sequence -> JournalEntry (raw body,
//                   signer, receiving inbox, received-at) in a binary encoding
//                   (older entries: JSON; see encodeJournalEntry); replayed in
//                   order on start, so a crash after the 202 loses nothing
//   seen            activity IRI -> 8-byte big-endian unix-nano time it was
//                   applied: each activity id is applied once
//   reports         ULID -> JSON Report (Flag activities, local reports)

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketInboxJournal = []byte("inbox_journal")
	bucketSeen         = []byte("seen")
	bucketReports      = []byte("reports")
)

// JournalEntry is one verified inbound activity waiting to be applied.
type JournalEntry struct {
	Seq        uint64          `json:"-"`
	ActivityID string          `json:"activity_id"`
	Actor      string          `json:"actor"`  // the verified signer's actor
	KeyID      string          `json:"key_id"` // the key that signed it
	Inbox      string          `json:"inbox"`  // "" for the shared inbox, else the local username
	Body       json.RawMessage `json:"body"`
	ReceivedAt time.Time       `json:"received_at"`
}

// AppendJournal durably appends e and returns its sequence number.
// Concurrent callers are group-committed (see journalWriter): one fsync
// covers many requests, which is what lets the inbox acknowledge thousands
// per second. When AppendJournal returns nil, the entry is on disk.
func (db *DB) AppendJournal(ctx context.Context, e *JournalEntry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	req := &journalAppend{data: encodeJournalEntry(e), wake: make(chan bool, 1)}
	w := &db.journal
	w.mu.Lock()
	w.pending = append(w.pending, req)
	lead := !w.leading
	w.leading = true
	w.mu.Unlock()
	if lead || <-req.wake {
		db.leadJournal(context.WithoutCancel(ctx))
	}
	if req.err != nil {
		return 0, fmt.Errorf("append to inbox journal: %w", req.err)
	}
	e.Seq = req.seq
	return req.seq, nil
}

// journalWriter group-commits journal appends without a timer: the caller
// that finds no commit running becomes the leader and commits every append
// waiting (its own included) in one transaction; appends that arrive
// meanwhile wait, and the first of them leads the next group as soon as
// that commit ends. Under load the groups grow by themselves; alone, an
// append waits for one fsync, not for a batch window (bbolt's Batch waits
// up to 10 ms for company, which bounds acknowledgements at 64 in flight
// to about 64 per 10 ms).
type journalWriter struct {
	mu      sync.Mutex
	pending []*journalAppend
	leading bool // a leader is committing or about to
}

// journalAppend is one caller's append. wake receives exactly one value,
// unless the caller leads first: false when its append is done (seq or
// err set), true when it is to lead the next group (which holds it).
type journalAppend struct {
	data []byte
	seq  uint64
	err  error
	wake chan bool
}

// leadJournal commits the waiting appends, hands the lead to the first
// append that arrived during the commit (or ends it), and wakes the rest.
func (db *DB) leadJournal(ctx context.Context) {
	w := &db.journal
	w.mu.Lock()
	group := w.pending
	w.pending = nil
	w.mu.Unlock()
	db.commitJournal(ctx, group)
	w.mu.Lock()
	if len(w.pending) > 0 {
		w.pending[0].wake <- true
	} else {
		w.leading = false
	}
	w.mu.Unlock()
	for _, r := range group {
		r.wake <- false // never blocks: the leader's own value goes unread
	}
}

// commitJournal appends group in one transaction. If that fails, each
// append is tried alone, so one failure (a full disk) fails only itself.
func (db *DB) commitJournal(ctx context.Context, group []*journalAppend) {
	put := func(part []*journalAppend) error {
		return db.update(ctx, func(tx *bolt.Tx) error {
			b, err := bucket(tx, bucketInboxJournal)
			if err != nil {
				return err
			}
			for _, r := range part {
				if r.seq, err = b.NextSequence(); err != nil {
					return err
				}
				if err := b.Put(seqKey(r.seq), r.data); err != nil {
					return err
				}
			}
			return (&Tx{tx: tx, db: db}).addCounter(counterJournal, int64(len(part)))
		})
	}
	err := put(group)
	if err == nil || len(group) == 1 {
		for _, r := range group {
			r.err = err
		}
		return
	}
	for _, r := range group {
		r.err = put([]*journalAppend{r})
	}
}

// journalBinary starts an entry in the binary encoding: a version byte,
// then activity id, actor, key id and inbox (each a uvarint length and its
// bytes), the received-at time (varint unix nanoseconds), and the raw body
// to the end. Entries written before it are JSON objects, which start with
// '{', and are still read. The binary form spares the acknowledgement path
// a JSON encoding that validates and compacts the 2 KB body, and the
// processor a decoding of it.
const journalBinary = 0x01

func encodeJournalEntry(e *JournalEntry) []byte {
	n := 1 + 4*binary.MaxVarintLen64 + len(e.ActivityID) + len(e.Actor) + len(e.KeyID) + len(e.Inbox) + binary.MaxVarintLen64 + len(e.Body)
	b := make([]byte, 0, n)
	b = append(b, journalBinary)
	for _, s := range [...]string{e.ActivityID, e.Actor, e.KeyID, e.Inbox} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, e.ReceivedAt.UnixNano())
	return append(b, e.Body...)
}

// decodeJournalEntry decodes either encoding. The entry does not alias v
// (bbolt's memory is only valid in its transaction).
func decodeJournalEntry(v []byte) (*JournalEntry, error) {
	if len(v) == 0 || v[0] != journalBinary {
		var e JournalEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		return &e, nil
	}
	rest := v[1:]
	var fields [4]string
	for i := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return nil, errors.New("truncated binary entry")
		}
		fields[i] = string(rest[w : w+int(n)])
		rest = rest[w+int(n):]
	}
	nanos, w := binary.Varint(rest)
	if w <= 0 {
		return nil, errors.New("truncated binary entry")
	}
	return &JournalEntry{
		ActivityID: fields[0], Actor: fields[1], KeyID: fields[2], Inbox: fields[3],
		ReceivedAt: time.Unix(0, nanos).UTC(), Body: bytes.Clone(rest[w:]),
	}, nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// JournalEntries returns up to limit entries with sequence numbers greater
// than after, in order.
func (db *DB) JournalEntries(ctx context.Context, after uint64, limit int) ([]*JournalEntry, error) {
	var out []*JournalEntry
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketInboxJournal)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeJournalEntry(v)
			if err != nil {
				return fmt.Errorf("decode journal entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			e.Seq = binary.BigEndian.Uint64(k)
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// JournalLength returns how many entries wait to be applied, from a counter
// kept in the transactions that add and remove them (O(1): the processor
// and /readyz poll it).
func (db *DB) JournalLength(ctx context.Context) (int, error) {
	n, err := viewValue(ctx, db, func(t *Tx) (int64, error) { return t.counter(counterJournal) })
	return int(n), err
}

// Seen reports whether an activity id has been applied already.
func (db *DB) Seen(ctx context.Context, activityID string) (bool, error) {
	var seen bool
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketSeen)
		if err != nil {
			return err
		}
		seen = b.Get([]byte(activityID)) != nil
		return nil
	})
	return seen, err
}

// SeenAtInbox is the acknowledgement path's one read: whether activityID
// was applied already, and whether username has an inbox here (an error
// wrapping ErrNotFound when it has not; "" is the shared inbox). It tests
// keys only: nothing is decoded.
func (db *DB) SeenAtInbox(ctx context.Context, activityID, username string) (seen bool, err error) {
	err = db.view(ctx, func(tx *bolt.Tx) error {
		if username != "" {
			idx, err := bucket(tx, bucketAccountsByUsername)
			if err != nil {
				return err
			}
			accounts, err := bucket(tx, bucketAccounts)
			if err != nil {
				return err
			}
			id := idx.Get([]byte(foldKey(username)))
			if id == nil || accounts.Get(id) == nil {
				return fmt.Errorf("store: account with username %q: %w", username, ErrNotFound)
			}
		}
		b, err := bucket(tx, bucketSeen)
		if err != nil {
			return err
		}
		seen = b.Get([]byte(activityID)) != nil
		return nil
	})
	return seen, err
}

// ApplyJournalEntry applies one journal entry exactly once: in a single
// transaction it runs fn (unless the activity id was applied before), marks
// the id seen and removes the entry. If fn fails, nothing changes and the
// entry stays for a later attempt. It reports whether fn ran.
func (db *DB) ApplyJournalEntry(ctx context.Context, e *JournalEntry, fn func(*Tx) error) (applied bool, err error) {
	err = db.Update(ctx, func(t *Tx) error {
		applied = false
		seen, err := bucket(t.tx, bucketSeen)
		if err != nil {
			return err
		}
		journal, err := bucket(t.tx, bucketInboxJournal)
		if err != nil {
			return err
		}
		if e.ActivityID == "" || seen.Get([]byte(e.ActivityID)) == nil {
			if err := fn(t); err != nil {
				return err
			}
			applied = true
			if e.ActivityID != "" {
				var v [8]byte
				binary.BigEndian.PutUint64(v[:], uint64(time.Now().UnixNano()))
				if err := seen.Put([]byte(e.ActivityID), v[:]); err != nil {
					return err
				}
			}
		}
		return t.removeJournalEntry(journal, e.Seq)
	})
	return applied, err
}

// ApplyJournalEntries applies several entries in ONE transaction (one
// fsync), each exactly once as ApplyJournalEntry does: fns[i] runs for
// entries[i] unless its activity id was applied before (or earlier in the
// same group). If any fn fails, nothing commits and the error is returned;
// the caller then applies the entries one by one. fns may run again then,
// so they must write only through the transaction (OnCommit callbacks run
// only for the transaction that commits).
func (db *DB) ApplyJournalEntries(ctx context.Context, entries []*JournalEntry, fns []func(*Tx) error) error {
	if len(entries) != len(fns) {
		return fmt.Errorf("apply journal entries: %d entries, %d functions", len(entries), len(fns))
	}
	return db.Update(ctx, func(t *Tx) error {
		seen, err := bucket(t.tx, bucketSeen)
		if err != nil {
			return err
		}
		journal, err := bucket(t.tx, bucketInboxJournal)
		if err != nil {
			return err
		}
		for i, e := range entries {
			if e.ActivityID == "" || seen.Get([]byte(e.ActivityID)) == nil {
				if err := fns[i](t); err != nil {
					return fmt.Errorf("journal entry %d: %w", e.Seq, err)
				}
				if e.ActivityID != "" {
					var v [8]byte
					binary.BigEndian.PutUint64(v[:], uint64(time.Now().UnixNano()))
					if err := seen.Put([]byte(e.ActivityID), v[:]); err != nil {
						return err
					}
				}
			}
			if err := t.removeJournalEntry(journal, e.Seq); err != nil {
				return err
			}
		}
		return nil
	})
}

// DropJournalEntry removes an entry that can never be applied (it does not
// parse, say), so it does not block the ones after it.
func (db *DB) DropJournalEntry(ctx context.Context, seq uint64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketInboxJournal)
		if err != nil {
			return err
		}
		return (&Tx{tx: tx, db: db}).removeJournalEntry(b, seq)
	})
}

// removeJournalEntry deletes an entry and keeps the journal's length
// counter exact (a missing entry changes nothing).
func (t *Tx) removeJournalEntry(journal *bolt.Bucket, seq uint64) error {
	if journal.Get(seqKey(seq)) == nil {
		return nil
	}
	if err := journal.Delete(seqKey(seq)); err != nil {
		return err
	}
	return t.addCounter(counterJournal, -1)
}

// Report is a report about an account or its posts: a remote Flag, or a
// member's report.
type Report struct {
	ID        string    `json:"id"`
	FlagID    string    `json:"flag_id,omitempty"` // the Flag activity's IRI, when remote
	Reporter  string    `json:"reporter"`          // actor IRI (a remote instance actor, or a local account)
	Target    string    `json:"target"`            // the reported account's IRI
	Objects   []string  `json:"objects,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Local is true for a report made here (by a member or moderator).
	Local bool `json:"local,omitempty"`
	// Forwarded is the Flag's id when the report was sent to the origin.
	Forwarded string `json:"forwarded,omitempty"`
	// Resolution, once a moderator has acted.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	Action     string    `json:"action,omitempty"` // none, remove, limit, suspend
	Resolution string    `json:"resolution,omitempty"`
}

// Report returns a report by ID, or ErrNotFound.
func (t *Tx) Report(id string) (*Report, error) {
	b, err := bucket(t.tx, bucketReports)
	if err != nil {
		return nil, err
	}
	r, err := getJSON[Report](b, []byte(id))
	if err == ErrNotFound {
		return nil, fmt.Errorf("report %s: %w", id, ErrNotFound)
	}
	return r, err
}

// PutReport stores a report, assigning its ID when empty.
func (t *Tx) PutReport(r *Report) error {
	b, err := bucket(t.tx, bucketReports)
	if err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = t.db.NewID()
	}
	return putJSON(b, []byte(r.ID), r)
}

// Reports returns every report, oldest first.
func (db *DB) Reports(ctx context.Context) ([]*Report, error) {
	var out []*Report
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketReports)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			r, err := getJSON[Report](b, k)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}
