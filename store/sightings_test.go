package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestOneVotePerOrganisationAndAlert(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const alertA, alertB = "https://a.example/users/org/statuses/1", "https://a.example/users/org/statuses/10"
	put := func(alertIRI, actor, verdict string) bool {
		var replaced bool
		err := db.Update(ctx, func(tx *Tx) error {
			var err error
			replaced, err = tx.PutSighting(&Sighting{ID: actor + "/v/" + verdict, Alert: alertIRI, Actor: actor, Verdict: verdict,
				Raw: []byte(`{}`), ReceivedAt: time.Now().UTC()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return replaced
	}
	if put(alertA, "https://b.example/users/org", "confirmed") {
		t.Error("a first vote replaced something")
	}
	put(alertA, "https://c.example/users/org", "confirmed")
	if !put(alertA, "https://c.example/users/org", "disputed") {
		t.Error("a second vote of C did not replace its first")
	}
	// An alert whose IRI extends the first one's keeps its own votes.
	put(alertB, "https://b.example/users/org", "seen")

	votes, err := db.Sightings(ctx, alertA)
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 2 || votes[0].Verdict != "confirmed" || votes[1].Verdict != "disputed" {
		t.Errorf("votes on A: %+v", votes)
	}
	if votes, _ := db.Sightings(ctx, alertB); len(votes) != 1 || votes[0].Verdict != "seen" {
		t.Errorf("votes on B: %+v", votes)
	}
	err = db.Update(ctx, func(tx *Tx) error { _, err := tx.PutSighting(&Sighting{ID: "x", Alert: alertA}); return err })
	if err == nil {
		t.Error("a vote without an actor was stored")
	}
}

func TestTranslationsAreListedByAlertInArrivalOrder(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	const alertIRI = "https://a.example/users/org/statuses/1"
	var seqs []string
	for _, lang := range []string{"fr", "sw", "pt"} {
		tr := &Translation{ID: "https://b.example/t/" + lang, Alert: alertIRI, Language: lang, State: TranslationPending, Raw: []byte(`{}`)}
		if err := db.Update(ctx, func(tx *Tx) error { return tx.PutTranslation(tr) }); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, tr.Seq)
	}
	other := &Translation{ID: "https://b.example/t/x", Alert: alertIRI + "0", Language: "fr", Raw: []byte(`{}`)}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutTranslation(other) }); err != nil {
		t.Fatal(err)
	}
	// Deciding rewrites the record, not the index.
	tr, err := db.Translation(ctx, seqs[1])
	if err != nil {
		t.Fatal(err)
	}
	tr.State = TranslationAccepted
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutTranslation(tr) }); err != nil {
		t.Fatal(err)
	}
	list, err := db.Translations(ctx, alertIRI)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Language != "fr" || list[1].Language != "sw" || list[1].State != TranslationAccepted || list[2].Language != "pt" {
		t.Errorf("translations: %+v", list)
	}
	if _, err := db.Translation(ctx, "01NOSUCH"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown translation: %v", err)
	}
}
