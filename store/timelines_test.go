package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func entryIDs(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestHomeTimelinePagesNewestFirstPerAccount(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	err := db.Update(ctx, func(tx *Tx) error {
		for _, seq := range []string{"01A", "01B", "01C", "01D", "01E"} {
			if err := tx.AddHome("acct1", seq, "iri-"+seq); err != nil {
				return err
			}
		}
		return tx.AddHome("acct2", "01Z", "other")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    Page
		want []string
	}{
		{Page{Limit: 3}, []string{"01E", "01D", "01C"}},
		{Page{Limit: 3, MaxID: "01C"}, []string{"01B", "01A"}},
		{Page{Limit: 10, SinceID: "01C"}, []string{"01E", "01D"}},
		{Page{Limit: 2, MinID: "01A"}, []string{"01C", "01B"}},
	} {
		got, err := db.HomeTimeline(ctx, "acct1", tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(entryIDs(got), tc.want) {
			t.Errorf("%+v: got %v, want %v", tc.p, entryIDs(got), tc.want)
		}
	}
	if got, _ := db.HomeTimeline(ctx, "acct2", Page{Limit: 5}); len(got) != 1 || got[0].IRI != "other" {
		t.Errorf("acct2: %v", got)
	}
}

func TestReactionsNotificationsAndIdempotency(t *testing.T) {
	db := newTestDB(t)
	ctx := context.Background()
	now := time.Now()
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.PutReaction("Like", "obj", "actorA", "acctA", "likeA"); err != nil {
			return err
		}
		if err := tx.PutReaction("Announce", "obj", "actorB", "", "boostB"); err != nil {
			return err
		}
		if n, _ := tx.CountReactions("Like", "obj"); n != 1 {
			t.Errorf("likes %d", n)
		}
		if favs, _ := tx.Favourites("acctA", 10); !slices.Equal(favs, []string{"obj"}) {
			t.Errorf("favourites %v", favs)
		}
		if err := tx.DeleteReaction("Like", "obj", "actorA", "acctA"); err != nil {
			return err
		}
		if r, _ := tx.Reaction("Like", "obj", "actorA"); r != "" {
			t.Errorf("like survives its undo")
		}
		for _, typ := range []string{"follow", "mention", "favourite"} {
			if err := tx.PutNotification(&Notification{AccountID: "acctA", Type: typ, Actor: "x", CreatedAt: now}); err != nil {
				return err
			}
		}
		ns, err := tx.NotificationPage("acctA", Page{Limit: 10}, func(n *Notification) bool { return n.Type != "mention" })
		if err != nil || len(ns) != 2 || ns[0].Type != "favourite" {
			t.Errorf("notifications %v %v", ns, err)
		}
		if err := tx.PutIdempotentStatus("acctA", "k", "status", now); err != nil {
			return err
		}
		if iri, _ := tx.IdempotentStatus("acctA", "k", time.Hour, now); iri != "status" {
			t.Errorf("idempotency %q", iri)
		}
		if iri, _ := tx.IdempotentStatus("acctA", "k", time.Hour, now.Add(2*time.Hour)); iri != "" {
			t.Errorf("expired idempotency key still answers")
		}
		return tx.ClearNotifications("acctA")
	})
	if err != nil {
		t.Fatal(err)
	}
}
