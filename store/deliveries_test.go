package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func enqueueAt(t *testing.T, db *DB, now time.Time, b DeliveryBatch) int {
	t.Helper()
	var n int
	err := db.update(context.Background(), func(tx *bolt.Tx) error {
		var err error
		n, err = db.enqueueDeliveriesTx(tx, b, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func dueIDs(t *testing.T, db *DB, now time.Time) []*Delivery {
	t.Helper()
	due, _, err := db.DueDeliveries(context.Background(), now, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return due
}

func health(t *testing.T, db *DB, host string) PeerHealth {
	t.Helper()
	p, err := db.PeerHealthFor(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

func pending(t *testing.T, db *DB) int {
	t.Helper()
	n, err := db.PendingDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueueOneJobPerDistinctInboxAndOneBody(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	n := enqueueAt(t, db, t0, DeliveryBatch{
		Body: []byte(`{"type":"Create"}`), SignerID: "01ALICE", ActivityID: "https://here.example/a/1",
		Inboxes: []string{
			"https://a.example/users/x/inbox",
			"https://b.example/inbox",
			"https://A.EXAMPLE:443/users/x/inbox", // same as the first
			"https://a.example/users/y/inbox",
			"https://b.example/inbox", // duplicate
		},
	})
	if n != 3 {
		t.Fatalf("queued %d jobs, want 3", n)
	}
	due := dueIDs(t, db, t0)
	var got []string
	for _, d := range due {
		got = append(got, d.Inbox)
		if d.BodyID != due[0].BodyID || d.SignerID != "01ALICE" || d.ActivityID != "https://here.example/a/1" ||
			d.Attempts != 0 || !d.NextAttempt.Equal(t0) || !d.CreatedAt.Equal(t0) {
			t.Errorf("job %+v", d)
		}
	}
	// Interleaved by host: a, b, then a's second inbox.
	want := []string{"https://a.example/users/x/inbox", "https://b.example/inbox", "https://a.example/users/y/inbox"}
	if !slices.Equal(got, want) {
		t.Errorf("due inboxes = %q, want %q", got, want)
	}
	body, err := db.DeliveryBody(ctx, due[0].BodyID)
	if err != nil || string(body) != `{"type":"Create"}` {
		t.Errorf("body = %q, %v", body, err)
	}
	err = db.view(ctx, func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketDeliveryBodies).Stats().KeyN; n != 1 {
			t.Errorf("%d bodies stored, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if h := health(t, db, "a.example"); h.Backlog != 2 {
		t.Errorf("a.example backlog %d, want 2", h.Backlog)
	}
	if h := health(t, db, "b.example"); h.Backlog != 1 {
		t.Errorf("b.example backlog %d, want 1", h.Backlog)
	}
	if p := pending(t, db); p != 3 {
		t.Errorf("pending %d, want 3", p)
	}
}

func TestEnqueueRefusesBadBatchesAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	for name, b := range map[string]DeliveryBatch{
		"no signer":    {Body: []byte("{}"), Inboxes: []string{"https://a.example/inbox"}},
		"empty body":   {SignerID: "x", Inboxes: []string{"https://a.example/inbox"}},
		"relative URL": {Body: []byte("{}"), SignerID: "x", Inboxes: []string{"https://a.example/inbox", "/inbox"}},
		"ftp":          {Body: []byte("{}"), SignerID: "x", Inboxes: []string{"ftp://a.example/inbox"}},
		"userinfo":     {Body: []byte("{}"), SignerID: "x", Inboxes: []string{"https://u:p@a.example/inbox"}},
	} {
		if _, err := db.EnqueueDeliveries(ctx, b); err == nil {
			t.Errorf("%s: queued", name)
		}
	}
	if n, err := db.EnqueueDeliveries(ctx, DeliveryBatch{Body: []byte("{}"), SignerID: "x"}); n != 0 || err != nil {
		t.Errorf("no inboxes: %d, %v", n, err)
	}
	if p := pending(t, db); p != 0 {
		t.Errorf("pending %d after refused batches", p)
	}
	if h, err := db.PeerHealth(ctx); err != nil || len(h) != 0 {
		t.Errorf("peer health %v, %v", h, err)
	}
}

func TestEnqueueInsidePublishTransactionRollsBackTogether(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	boom := errors.New("storing the object failed")
	err := db.Update(ctx, func(tx *Tx) error {
		if n, err := tx.EnqueueDeliveries(DeliveryBatch{Body: []byte("{}"), SignerID: "x",
			Inboxes: []string{"https://a.example/inbox"}}); n != 1 || err != nil {
			t.Fatalf("enqueue in tx: %d, %v", n, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if p := pending(t, db); p != 0 {
		t.Errorf("pending %d after rollback", p)
	}
	if due := dueIDs(t, db, time.Now().Add(time.Hour)); len(due) != 0 {
		t.Errorf("%d jobs due after rollback", len(due))
	}
	err = db.Update(ctx, func(tx *Tx) error {
		_, err := tx.EnqueueDeliveries(DeliveryBatch{Body: []byte("{}"), SignerID: "x",
			Inboxes: []string{"https://a.example/inbox"}})
		return err
	})
	if err != nil || pending(t, db) != 1 {
		t.Errorf("committed enqueue: %v, pending %d", err, pending(t, db))
	}
}

func TestDueDeliveriesOrderSkipLimitAndNext(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("1"), SignerID: "x",
		Inboxes: []string{"https://a.example/1", "https://b.example/1", "https://c.example/1"}})
	enqueueAt(t, db, t0.Add(time.Minute), DeliveryBatch{Body: []byte("2"), SignerID: "x",
		Inboxes: []string{"https://a.example/2"}})

	due, next, err := db.DueDeliveries(ctx, t0, 0, nil)
	if err != nil || len(due) != 3 || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("at t0: %d due, next %v, %v", len(due), next, err)
	}
	var seen []string
	due, next, err = db.DueDeliveries(ctx, t0.Add(time.Hour), 2, func(id, host string) bool {
		seen = append(seen, host)
		return host == "b.example"
	})
	if err != nil || len(due) != 2 || due[0].Host != "a.example" || due[1].Host != "c.example" || !next.IsZero() {
		t.Fatalf("skip b, limit 2: %v, next %v, %v", due, next, err)
	}
	if !slices.Equal(seen, []string{"a.example", "b.example", "c.example"}) {
		t.Errorf("skip saw %q", seen)
	}
	if due, next, _ := db.DueDeliveries(ctx, t0.Add(-time.Second), 0, nil); len(due) != 0 || !next.Equal(t0) {
		t.Errorf("before t0: %d due, next %v", len(due), next)
	}
}

func TestCompleteReleasesBodyWithLastJobAndRecordsSuccess(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("body"), SignerID: "x",
		Inboxes: []string{"https://a.example/1", "https://a.example/2"}})
	due := dueIDs(t, db, t0)
	at := t0.Add(time.Second)
	if err := db.CompleteDelivery(ctx, due[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeliveryBody(ctx, due[0].BodyID); err != nil {
		t.Errorf("body gone while a job still needs it: %v", err)
	}
	if err := db.CompleteDelivery(ctx, due[1].ID, at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeliveryBody(ctx, due[0].BodyID); !errors.Is(err, ErrNotFound) {
		t.Errorf("body after last job: %v, want ErrNotFound", err)
	}
	if err := db.CompleteDelivery(ctx, due[1].ID, at); !errors.Is(err, ErrNotFound) {
		t.Errorf("completing twice: %v, want ErrNotFound", err)
	}
	h := health(t, db, "a.example")
	if h.Backlog != 0 || h.Delivered != 2 || !h.LastSuccess.Equal(at) || h.ConsecutiveFailures != 0 {
		t.Errorf("health %+v", h)
	}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDeliveries, bucketDeliveriesDue, bucketDeliveryBodies, bucketDeliveryRefs} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("%s has %d keys left", b, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetryReschedulesAndDeadLetterKeepsTheRecord(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("b"), SignerID: "x", Inboxes: []string{"https://a.example/1"}})
	id := dueIDs(t, db, t0)[0].ID
	next := t0.Add(30 * time.Second)
	if err := db.RetryDelivery(ctx, id, t0, next, "HTTP 503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if due := dueIDs(t, db, next.Add(-time.Nanosecond)); len(due) != 0 {
		t.Errorf("due before its next attempt: %v", due)
	}
	d, err := db.Delivery(ctx, id)
	if err != nil || d.Attempts != 1 || !d.NextAttempt.Equal(next) || d.LastError != "HTTP 503 Service Unavailable" {
		t.Fatalf("after retry: %+v, %v", d, err)
	}
	if due := dueIDs(t, db, next); len(due) != 1 || due[0].ID != id {
		t.Fatalf("due at next: %v", due)
	}
	h := health(t, db, "a.example")
	if h.Backlog != 1 || h.Failed != 1 || h.ConsecutiveFailures != 1 || !h.LastErrorAt.Equal(t0) {
		t.Errorf("health after retry %+v", h)
	}

	at := next.Add(time.Second)
	if err := db.DeadLetterDelivery(ctx, id, at, "HTTP 404 Not Found"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delivery(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("job still queued: %v", err)
	}
	dead, err := db.DeadDeliveries(ctx, 0)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v, %v", dead, err)
	}
	if dl := dead[0]; dl.ID != id || dl.Attempts != 2 || dl.LastError != "HTTP 404 Not Found" ||
		!dl.DeadAt.Equal(at) || dl.Inbox != "https://a.example/1" {
		t.Errorf("dead letter %+v", dl)
	}
	if _, err := db.DeliveryBody(ctx, d.BodyID); !errors.Is(err, ErrNotFound) {
		t.Errorf("dead letter kept its body: %v", err)
	}
	if n, err := db.PurgeDeadDeliveries(ctx, at); n != 0 || err != nil {
		t.Errorf("purge before its death: %d, %v", n, err)
	}
	if n, err := db.PurgeDeadDeliveries(ctx, at.Add(time.Nanosecond)); n != 1 || err != nil {
		t.Errorf("purge after its death: %d, %v", n, err)
	}
	if dead, _ := db.DeadDeliveries(ctx, 0); len(dead) != 0 {
		t.Errorf("dead letters after purge: %v", dead)
	}
	h = health(t, db, "a.example")
	if h.Backlog != 0 || h.Failed != 2 || h.Dead != 1 || h.ConsecutiveFailures != 2 || h.LastError != "HTTP 404 Not Found" {
		t.Errorf("health after dead letter %+v", h)
	}
}

func TestDeferPausesOneHostAndGivesUpOnOldJobs(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	old := t0.Add(-6 * 24 * time.Hour)
	enqueueAt(t, db, old, DeliveryBatch{Body: []byte("old"), SignerID: "x", Inboxes: []string{"https://dead.example/1"}})
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("new"), SignerID: "x",
		Inboxes: []string{"https://dead.example/1", "https://dead.example/2", "https://ok.example/1"}})
	until := t0.Add(5 * time.Minute)
	deferred, dead, err := db.DeferDeliveries(ctx, Deferral{
		Host: "dead.example", Now: t0, Until: until, GiveUpBefore: t0.Add(-5 * 24 * time.Hour), Reason: "circuit open",
	})
	if err != nil || deferred != 2 || dead != 1 {
		t.Fatalf("defer: %d deferred, %d dead, %v", deferred, dead, err)
	}
	due := dueIDs(t, db, t0)
	if len(due) != 1 || due[0].Host != "ok.example" {
		t.Errorf("due after pausing dead.example: %v", due)
	}
	later := dueIDs(t, db, until)
	if len(later) != 3 {
		t.Fatalf("due at until: %d jobs", len(later))
	}
	for _, d := range later {
		if d.Host == "dead.example" && (d.Attempts != 0 || !d.NextAttempt.Equal(until)) {
			t.Errorf("deferred job %+v", d)
		}
	}
	h := health(t, db, "dead.example")
	if h.Backlog != 2 || h.Dead != 1 || h.Failed != 0 || h.LastError != "circuit open" {
		t.Errorf("health %+v", h)
	}
	if deadLetters, _ := db.DeadDeliveries(ctx, 0); len(deadLetters) != 1 || deadLetters[0].Attempts != 0 {
		t.Errorf("dead letters %+v", deadLetters)
	}
}

func TestDeliveryQueueSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db := openTestDB(t, path)
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("b"), SignerID: "x",
		Inboxes: []string{"https://a.example/1", "https://b.example/1"}})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, path)
	if db.SchemaVersion() < 3 {
		t.Fatalf("schema version %d", db.SchemaVersion())
	}
	if due := dueIDs(t, db, t0); len(due) != 2 {
		t.Errorf("%d jobs due after reopen, want 2", len(due))
	}
	if p := pending(t, db); p != 2 {
		t.Errorf("pending %d after reopen", p)
	}
}

// Completions from many goroutines are group-committed and all land: the
// counts stay exact.
func TestConcurrentCompletionsKeepCountsExact(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	var inboxes []string
	for i := range 200 {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/inbox/%d", i%5, i))
	}
	enqueueAt(t, db, t0, DeliveryBatch{Body: []byte("b"), SignerID: "x", Inboxes: inboxes})
	due := dueIDs(t, db, t0)
	var wg sync.WaitGroup
	for i, d := range due {
		wg.Go(func() {
			var err error
			if i%4 == 0 {
				err = db.RetryDelivery(ctx, d.ID, t0, t0.Add(time.Minute), "HTTP 500")
			} else {
				err = db.CompleteDelivery(ctx, d.ID, t0)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := pending(t, db); p != 50 {
		t.Errorf("pending %d, want 50", p)
	}
	all, err := db.PeerHealth(ctx)
	if err != nil || len(all) != 5 {
		t.Fatalf("peer health %v, %v", all, err)
	}
	for _, h := range all {
		if h.Backlog != 10 || h.Delivered != 30 || h.Failed != 10 {
			t.Errorf("health %+v", h)
		}
	}
}

func BenchmarkEnqueue10000(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var inboxes []string
	for i := range 10000 {
		inboxes = append(inboxes, fmt.Sprintf("https://h%d.example/users/u%d/inbox", i%100, i))
	}
	body := make([]byte, 2200)
	for b.Loop() {
		if _, err := db.EnqueueDeliveries(context.Background(), DeliveryBatch{Body: body, SignerID: "x", Inboxes: inboxes}); err != nil {
			b.Fatal(err)
		}
	}
}
