package store

import (
	"context"
	"testing"
	"time"
)

// TestPublicObjectCountsFollowVisibility checks the counters strangers'
// counts come from, as objects are published, raised out of public view
// and deleted, and that migration 12 derives the same numbers from the
// objects alone.
func TestPublicObjectCountsFollowVisibility(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	put := func(o Object) {
		t.Helper()
		if err := db.Update(ctx, func(t *Tx) error { _, err := t.PutObject(&o); return err }); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, total int64, perAccount map[string]int) {
		t.Helper()
		n, err := db.CountLocalPublicObjects(ctx)
		if err != nil || n != total {
			t.Errorf("%s: instance count %d (%v), want %d", when, n, err, total)
		}
		for id, want := range perAccount {
			var got int
			if err := db.View(ctx, func(t *Tx) (err error) { got, err = t.CountPublicObjects(id); return err }); err != nil || got != want {
				t.Errorf("%s: %s's count %d (%v), want %d", when, id, got, err, want)
			}
		}
	}
	local := func(iri, acct string, public bool) Object {
		return Object{IRI: iri, Type: "Note", Local: true, AccountID: acct, Public: public, Raw: []byte(`{}`), Published: time.Now()}
	}
	put(local("https://a.example/1", "org", true))
	put(local("https://a.example/2", "org", false)) // AMBER
	put(local("https://a.example/3", "other", true))
	put(Object{IRI: "https://b.example/1", Type: "Note", Public: true, Raw: []byte(`{}`)}) // remote
	check("published", 2, map[string]int{"org": 1, "other": 1})

	put(local("https://a.example/1", "org", false)) // raised out of public view
	check("raised", 1, map[string]int{"org": 0, "other": 1})
	put(local("https://a.example/2", "org", true)) // lowered to CLEAR
	check("lowered", 2, map[string]int{"org": 1, "other": 1})
	gone := local("https://a.example/3", "other", true)
	gone.Deleted = time.Now()
	put(gone)
	check("deleted", 1, map[string]int{"org": 1, "other": 0})

	// The migration counts the same from the objects alone.
	if err := db.Update(ctx, func(t *Tx) error {
		for _, k := range []string{counterLocalPublicObjects, publicObjectsCounter("org"), publicObjectsCounter("other")} {
			if err := t.tx.Bucket(bucketMeta).Delete([]byte(k)); err != nil {
				return err
			}
		}
		return countPublicObjects(t.tx)
	}); err != nil {
		t.Fatal(err)
	}
	check("recounted by the migration", 1, map[string]int{"org": 1, "other": 0})
}
