package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An entry journalled by an older version (JSON) and one in the binary
// encoding are both read back whole, in order, after a reopen, and both
// are applied exactly once.
func TestJournalReadsJSONAndBinaryEntries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db := openTestDB(t, path)
	at := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	old := &JournalEntry{
		ActivityID: "https://old.example/activities/1", Actor: "https://old.example/users/a",
		KeyID: "https://old.example/users/a#main-key", Inbox: "org",
		Body: json.RawMessage(`{"id":"https://old.example/activities/1","type":"Like"}`), ReceivedAt: at,
	}
	// Written as the JSON encoding used before the binary one.
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInboxJournal)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(seq), data); err != nil {
			return err
		}
		return (&Tx{tx: tx, db: db}).addCounter(counterJournal, 1)
	}); err != nil {
		t.Fatal(err)
	}
	// A body with bytes that matter: non-ASCII text, escapes, spacing.
	body := []byte("{\"id\": \"https://new.example/activities/2\",\n \"type\":\"Create\",\"content\":\"Überschwemmung \\u00e9 <b>\"}")
	fresh := &JournalEntry{
		ActivityID: "https://new.example/activities/2", Actor: "https://new.example/users/b",
		KeyID: "https://new.example/users/b#key", Body: body, ReceivedAt: at.Add(time.Second),
	}
	if _, err := db.AppendJournal(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openTestDB(t, path)
	got, err := db.JournalEntries(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("journal holds %d entries, want 2", len(got))
	}
	for i, want := range []*JournalEntry{old, fresh} {
		g := got[i]
		if g.ActivityID != want.ActivityID || g.Actor != want.Actor || g.KeyID != want.KeyID || g.Inbox != want.Inbox ||
			!g.ReceivedAt.Equal(want.ReceivedAt) || !bytes.Equal(g.Body, want.Body) {
			t.Errorf("entry %d = %+v (body %s), want %+v (body %s)", i, g, g.Body, want, want.Body)
		}
	}
	if got[0].Seq >= got[1].Seq {
		t.Errorf("sequence numbers %d, %d not increasing", got[0].Seq, got[1].Seq)
	}

	runs := 0
	for range 2 { // the second time, both ids are seen: nothing runs
		for _, e := range got {
			if _, err := db.ApplyJournalEntry(ctx, e, func(*Tx) error { runs++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if runs != 2 {
		t.Errorf("effects ran %d times, want 2 (each activity once)", runs)
	}
	if n, err := db.JournalLength(ctx); err != nil || n != 0 {
		t.Errorf("journal length after applying = %d, %v; want 0", n, err)
	}
}

// A damaged binary entry is an error naming the entry, not a panic or a
// silently shortened body.
func TestJournalRefusesTruncatedBinaryEntry(t *testing.T) {
	e := &JournalEntry{ActivityID: "https://a.example/1", Actor: "https://a.example/u", Body: []byte(`{}`), ReceivedAt: time.Now()}
	data := encodeJournalEntry(e)
	for _, cut := range []int{1, 2, 10, 20} {
		if _, err := decodeJournalEntry(data[:cut]); err == nil {
			t.Errorf("entry cut to %d bytes decoded without error", cut)
		}
	}
	if _, err := decodeJournalEntry(data); err != nil {
		t.Errorf("whole entry: %v", err)
	}
}

// Concurrent appends are group-committed: each caller gets its own
// sequence number, every entry is there after a reopen, and the length
// counter agrees.
func TestJournalConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db := openTestDB(t, path)
	const writers, each = 32, 20
	seqs := make(chan uint64, writers*each)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				id := fmt.Sprintf("https://a.example/activities/%d-%d", w, i)
				seq, err := db.AppendJournal(ctx, &JournalEntry{ActivityID: id, Actor: "https://a.example/u", Body: []byte(`{"id":"` + id + `"}`), ReceivedAt: time.Now()})
				if err != nil {
					errs <- err
					return
				}
				seqs <- seq
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("sequence %d given twice", s)
		}
		seen[s] = true
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, path)
	got, err := db.JournalEntries(ctx, 0, writers*each+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each || len(seen) != writers*each {
		t.Fatalf("journal holds %d entries, callers got %d sequence numbers; want %d", len(got), len(seen), writers*each)
	}
	for _, e := range got {
		if !seen[e.Seq] || !bytes.Contains(e.Body, []byte(e.ActivityID)) {
			t.Fatalf("entry %d (%s) was not returned to a caller or has another's body", e.Seq, e.ActivityID)
		}
	}
	if n, err := db.JournalLength(ctx); err != nil || n != writers*each {
		t.Errorf("JournalLength = %d, %v; want %d", n, err, writers*each)
	}
}
