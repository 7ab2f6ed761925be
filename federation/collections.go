package federation

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// pageSize is the number of items per collection page.
const pageSize = 20

// OutboxCollection returns a local account's outbox as an
// OrderedCollection, or (page=true) one page of it, newest first: only
// public activities are listed.
func (f *Federation) OutboxCollection(ctx context.Context, acct *store.Account, page bool, maxID string) (map[string]any, error) {
	id := f.URLs.Outbox(acct.Username)
	var out map[string]any
	err := f.DB.View(ctx, func(t *store.Tx) error {
		if !page {
			n, err := t.CountPublicObjects(acct.ID)
			if err != nil {
				return err
			}
			out = ap.OrderedCollection(id, n, id+"?page=true")
			return nil
		}
		var items []any
		cursor := maxID
		// Skip non-public activities without returning short pages too early.
		for len(items) < pageSize {
			iris, last, err := t.OutboxPage(acct.ID, cursor, pageSize)
			if err != nil {
				return err
			}
			for _, iri := range iris {
				a, err := t.Activity(iri)
				if err != nil || !PublicActivity(t, a) {
					continue
				}
				items = append(items, json.RawMessage(a.Raw))
			}
			if len(iris) < pageSize {
				cursor = ""
				break
			}
			cursor = last
		}
		pageID := id + "?page=true"
		if maxID != "" {
			pageID += "&max_id=" + url.QueryEscape(maxID)
		}
		next := ""
		if cursor != "" {
			next = id + "?page=true&max_id=" + url.QueryEscape(cursor)
		}
		out = ap.OrderedCollectionPage(pageID, id, next, "", items)
		return nil
	})
	return out, err
}

// PublicActivity reports whether strangers may read a, an activity we
// sent: it was public, and the object it carries (a Create's or Update's)
// still is. A CLEAR alert raised to AMBER, or deleted, takes the public
// activities that carried its earlier versions with it.
func PublicActivity(t *store.Tx, a *store.Activity) bool {
	if !a.Public {
		return false
	}
	if a.Type != "Create" && a.Type != "Update" {
		return true
	}
	var env struct {
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(a.Raw, &env) != nil {
		return false
	}
	var id string
	if json.Unmarshal(env.Object, &id) != nil {
		var o struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(env.Object, &o) != nil {
			return false
		}
		id = o.ID
	}
	o, err := t.Object(id)
	if err != nil {
		// Not an object we keep (an actor Update, say): as it was sent.
		return true
	}
	return o.Public && o.Deleted.IsZero()
}

// FollowCollection returns a local account's followers (or following) as
// an OrderedCollection of accepted relations; page n (from 1) lists actor
// IRIs.
func (f *Federation) FollowCollection(ctx context.Context, acct *store.Account, followers bool, page int) (map[string]any, error) {
	actor := f.URLs.Actor(acct.Username)
	id := f.URLs.Following(acct.Username)
	var rel []*store.Follow
	var err error
	if followers {
		id = f.URLs.Followers(acct.Username)
		rel, err = f.DB.Followers(ctx, actor, store.FollowAccepted)
	} else {
		rel, err = f.DB.Following(ctx, actor, store.FollowAccepted)
	}
	if err != nil {
		return nil, err
	}
	if page <= 0 {
		return ap.OrderedCollection(id, len(rel), id+"?page=1"), nil
	}
	start := (page - 1) * pageSize
	var items []any
	for i := start; i < len(rel) && i < start+pageSize; i++ {
		if followers {
			items = append(items, rel[i].Follower)
		} else {
			items = append(items, rel[i].Followee)
		}
	}
	next := ""
	if start+pageSize < len(rel) {
		next = id + "?page=" + itoa(page+1)
	}
	prev := ""
	if page > 1 {
		prev = id + "?page=" + itoa(page-1)
	}
	return ap.OrderedCollectionPage(id+"?page="+itoa(page), id, next, prev, items), nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
