package store

// Timelines, reactions and notifications for the Mastodon client API.
//
// Buckets (every key that ends in a Seq or ULID sorts by time, so a page
// is one cursor walk over a prefix, newest first):
//   home_timeline          account ID + 0x00 + object Seq -> object IRI: what a
//                          local account's home timeline shows, written when an
//                          object is applied (fan-out on write)
//   public_timeline        object Seq -> object IRI: public, visible statuses
//   tag_timeline           lowercased tag + 0x00 + object Seq -> object IRI
//   favourites             account ID + 0x00 + object IRI -> Like activity IRI
//   favourites_by_object   object IRI + 0x00 + actor IRI -> Like activity IRI
//   reblogs_by_object      object IRI + 0x00 + actor IRI -> Announce activity IRI
//   bookmarks              account ID + 0x00 + object Seq -> object IRI
//   notifications          account ID + 0x00 + notification ULID -> JSON Notification
//   idempotency            account ID + 0x00 + Idempotency-Key -> status IRI + time
//   status_edits           object IRI + 0x00 + ULID -> JSON previous version
//   replies                parent IRI + 0x00 + reply Seq -> reply IRI (created
//                          on first write: a read of a missing one is empty)
//   local_timeline         object Seq -> object IRI: public, visible statuses
//                          written here (created on first write)

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketHomeTimeline       = []byte("home_timeline")
	bucketPublicTimeline     = []byte("public_timeline")
	bucketTagTimeline        = []byte("tag_timeline")
	bucketFavourites         = []byte("favourites")
	bucketFavouritesByObject = []byte("favourites_by_object")
	bucketReblogsByObject    = []byte("reblogs_by_object")
	bucketBookmarks          = []byte("bookmarks")
	bucketNotifications      = []byte("notifications")
	bucketIdempotency        = []byte("idempotency")
	bucketStatusEdits        = []byte("status_edits")
	bucketReplies            = []byte("replies")
	bucketLocalTimeline      = []byte("local_timeline")
)

// Page selects a page of a time-ordered list, as Mastodon's max_id,
// since_id and min_id do: entries strictly older than MaxID, strictly newer
// than SinceID (newest first) or MinID (the oldest ones after it; still
// returned newest first). Limit is the most to return.
type Page struct {
	MaxID, SinceID, MinID string
	Limit                 int
}

// Entry is one timeline entry: the key's Seq (or ULID) and what it names.
type Entry struct {
	ID, IRI string
}

// TimelineKey is prefix + 0x00 + id (prefix "" for unprefixed lists).
func timelineKey(prefix, id string) []byte {
	if prefix == "" {
		return []byte(id)
	}
	return pairKey(prefix, id)
}

// optionalBucket returns a bucket created on first write: nil when it does
// not exist yet in a read-only transaction.
func (t *Tx) optionalBucket(name []byte) (*bolt.Bucket, error) {
	if b := t.tx.Bucket(name); b != nil || !t.tx.Writable() {
		return b, nil
	}
	return t.tx.CreateBucketIfNotExists(name)
}

// page walks the entries of prefix in b that p selects. filter, when set,
// skips entries (it sees the value) without counting them toward Limit.
func page(b *bolt.Bucket, prefix string, p Page, filter func(id, v string) bool) []Entry {
	if b == nil || p.Limit <= 0 {
		return nil
	}
	var pfx []byte
	if prefix != "" {
		pfx = pairKey(prefix, "")
	}
	idOf := func(k []byte) string { return string(k[len(pfx):]) }
	keep := func(k, v []byte) bool { return filter == nil || filter(idOf(k), string(v)) }
	c := b.Cursor()
	var out []Entry
	if p.MinID != "" && p.MaxID == "" && p.SinceID == "" {
		// Oldest first after MinID, then reversed.
		k, v := c.Seek(timelineKey(prefix, p.MinID))
		if k != nil && string(k) == string(timelineKey(prefix, p.MinID)) {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, pfx) && len(out) < p.Limit; k, v = c.Next() {
			if keep(k, v) {
				out = append(out, Entry{ID: idOf(k), IRI: string(v)})
			}
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	var k, v []byte
	if p.MaxID != "" {
		c.Seek(timelineKey(prefix, p.MaxID))
		k, v = c.Prev()
	} else if pfx == nil {
		k, v = c.Last()
	} else {
		end := append(append([]byte{}, pfx[:len(pfx)-1]...), 1)
		if k, v = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	lower := p.SinceID
	if lower == "" {
		lower = p.MinID
	}
	for ; k != nil && bytes.HasPrefix(k, pfx) && len(out) < p.Limit; k, v = c.Prev() {
		id := idOf(k)
		if lower != "" && id <= lower {
			break
		}
		if keep(k, v) {
			out = append(out, Entry{ID: id, IRI: string(v)})
		}
	}
	return out
}

func (t *Tx) putEntry(name []byte, prefix, id, iri string) error {
	b, err := t.optionalBucket(name)
	if err != nil {
		return err
	}
	return b.Put(timelineKey(prefix, id), []byte(iri))
}

func (t *Tx) deleteEntry2(name []byte, prefix, id string) error {
	b, err := t.optionalBucket(name)
	if err != nil || b == nil {
		return err
	}
	return b.Delete(timelineKey(prefix, id))
}

func (t *Tx) pageOf(name []byte, prefix string, p Page, filter func(id, iri string) bool) ([]Entry, error) {
	b, err := t.optionalBucket(name)
	if err != nil {
		return nil, err
	}
	return page(b, prefix, p, filter), nil
}

// AddHome puts an object (by Seq and IRI) in a local account's home timeline.
func (t *Tx) AddHome(accountID, seq, iri string) error {
	return t.putEntry(bucketHomeTimeline, accountID, seq, iri)
}

// RemoveHome takes an object out of a home timeline.
func (t *Tx) RemoveHome(accountID, seq string) error {
	return t.deleteEntry2(bucketHomeTimeline, accountID, seq)
}

// HomePage returns a page of an account's home timeline, newest first.
func (t *Tx) HomePage(accountID string, p Page) ([]Entry, error) {
	return t.pageOf(bucketHomeTimeline, accountID, p, nil)
}

// AddPublic puts a public, visible object in the public timeline, and in
// the local one too when local.
func (t *Tx) AddPublic(seq, iri string, local bool) error {
	if err := t.putEntry(bucketPublicTimeline, "", seq, iri); err != nil {
		return err
	}
	if local {
		return t.putEntry(bucketLocalTimeline, "", seq, iri)
	}
	return nil
}

// RemovePublic takes an object out of the public and local timelines.
func (t *Tx) RemovePublic(seq string) error {
	if err := t.deleteEntry2(bucketPublicTimeline, "", seq); err != nil {
		return err
	}
	return t.deleteEntry2(bucketLocalTimeline, "", seq)
}

// PublicPage returns a page of the public timeline (local only: the
// statuses written here), newest first. filter may skip entries.
func (t *Tx) PublicPage(local bool, p Page, filter func(seq, iri string) bool) ([]Entry, error) {
	if local {
		return t.pageOf(bucketLocalTimeline, "", p, filter)
	}
	return t.pageOf(bucketPublicTimeline, "", p, filter)
}

// AddTag puts an object in a hashtag's timeline (tag compared lowercased).
func (t *Tx) AddTag(tag, seq, iri string) error {
	return t.putEntry(bucketTagTimeline, strings.ToLower(tag), seq, iri)
}

// RemoveTag takes an object out of a hashtag's timeline.
func (t *Tx) RemoveTag(tag, seq string) error {
	return t.deleteEntry2(bucketTagTimeline, strings.ToLower(tag), seq)
}

// TagPage returns a page of a hashtag's timeline, newest first.
func (t *Tx) TagPage(tag string, p Page, filter func(seq, iri string) bool) ([]Entry, error) {
	return t.pageOf(bucketTagTimeline, strings.ToLower(tag), p, filter)
}

// AddReply indexes a reply under its parent.
func (t *Tx) AddReply(parentIRI, seq, iri string) error {
	return t.putEntry(bucketReplies, parentIRI, seq, iri)
}

// Replies returns the direct replies to an object, oldest first.
func (t *Tx) Replies(parentIRI string, limit int) ([]Entry, error) {
	b, err := t.optionalBucket(bucketReplies)
	if err != nil || b == nil {
		return nil, err
	}
	prefix := pairKey(parentIRI, "")
	var out []Entry
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
		out = append(out, Entry{ID: string(k[len(prefix):]), IRI: string(v)})
	}
	return out, nil
}

// CountReplies counts the direct replies to an object.
func (t *Tx) CountReplies(parentIRI string) (int, error) {
	b, err := t.optionalBucket(bucketReplies)
	if err != nil || b == nil {
		return 0, err
	}
	return countPrefix(b, pairKey(parentIRI, "")), nil
}

func countPrefix(b *bolt.Bucket, prefix []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// ObjectBySeq returns the object with the given Seq (a status id), or
// ErrNotFound.
func (t *Tx) ObjectBySeq(seq string) (*Object, error) {
	b, err := bucket(t.tx, bucketObjectsBySeq)
	if err != nil {
		return nil, err
	}
	iri := b.Get([]byte(seq))
	if iri == nil {
		return nil, fmt.Errorf("object #%s: %w", seq, ErrNotFound)
	}
	return t.Object(string(iri))
}

// LocalAccountByUsername returns a local account inside a transaction, or
// ErrNotFound.
func (t *Tx) LocalAccountByUsername(username string) (*Account, error) {
	idx, err := bucket(t.tx, bucketAccountsByUsername)
	if err != nil {
		return nil, err
	}
	id := idx.Get([]byte(foldKey(username)))
	if id == nil {
		return nil, fmt.Errorf("account %q: %w", username, ErrNotFound)
	}
	return t.LocalAccount(string(id))
}

// LocalAccount returns a local account by ID inside a transaction, or
// ErrNotFound.
func (t *Tx) LocalAccount(id string) (*Account, error) {
	b, err := bucket(t.tx, bucketAccounts)
	if err != nil {
		return nil, err
	}
	a, err := getJSON[Account](b, []byte(id))
	if err == ErrNotFound {
		return nil, fmt.Errorf("account %s: %w", id, ErrNotFound)
	}
	return a, err
}

// Reactions.

// PutReaction records that actor favourited (Like) or boosted (Announce)
// object with the activity activityIRI; accountID, for a local actor, also
// files it under the account's favourites.
func (t *Tx) PutReaction(kind, objectIRI, actorIRI, accountID, activityIRI string) error {
	name := bucketFavouritesByObject
	if kind == "Announce" {
		name = bucketReblogsByObject
	}
	b, err := bucket(t.tx, name)
	if err != nil {
		return err
	}
	if err := b.Put(pairKey(objectIRI, actorIRI), []byte(activityIRI)); err != nil {
		return err
	}
	if kind == "Like" && accountID != "" {
		fav, err := bucket(t.tx, bucketFavourites)
		if err != nil {
			return err
		}
		return fav.Put(pairKey(accountID, objectIRI), []byte(activityIRI))
	}
	return nil
}

// DeleteReaction removes a reaction; removing an absent one is not an error.
func (t *Tx) DeleteReaction(kind, objectIRI, actorIRI, accountID string) error {
	name := bucketFavouritesByObject
	if kind == "Announce" {
		name = bucketReblogsByObject
	}
	b, err := bucket(t.tx, name)
	if err != nil {
		return err
	}
	if err := b.Delete(pairKey(objectIRI, actorIRI)); err != nil {
		return err
	}
	if kind == "Like" && accountID != "" {
		fav, err := bucket(t.tx, bucketFavourites)
		if err != nil {
			return err
		}
		return fav.Delete(pairKey(accountID, objectIRI))
	}
	return nil
}

// Reaction returns the activity IRI of actor's reaction of kind to object,
// or "" when there is none.
func (t *Tx) Reaction(kind, objectIRI, actorIRI string) (string, error) {
	name := bucketFavouritesByObject
	if kind == "Announce" {
		name = bucketReblogsByObject
	}
	b, err := bucket(t.tx, name)
	if err != nil {
		return "", err
	}
	return string(b.Get(pairKey(objectIRI, actorIRI))), nil
}

// Reactors returns the actors who reacted with kind to object, with their
// activity IRIs, in actor order.
func (t *Tx) Reactors(kind, objectIRI string, limit int) (actors, activities []string, err error) {
	name := bucketFavouritesByObject
	if kind == "Announce" {
		name = bucketReblogsByObject
	}
	b, err := bucket(t.tx, name)
	if err != nil {
		return nil, nil, err
	}
	prefix := pairKey(objectIRI, "")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(actors) < limit; k, v = c.Next() {
		actors = append(actors, string(k[len(prefix):]))
		activities = append(activities, string(v))
	}
	return actors, activities, nil
}

// CountReactions counts the reactions of kind to object.
func (t *Tx) CountReactions(kind, objectIRI string) (int, error) {
	name := bucketFavouritesByObject
	if kind == "Announce" {
		name = bucketReblogsByObject
	}
	b, err := bucket(t.tx, name)
	if err != nil {
		return 0, err
	}
	return countPrefix(b, pairKey(objectIRI, "")), nil
}

// Favourites returns the IRIs of objects a local account favourited (in
// IRI order; up to limit).
func (t *Tx) Favourites(accountID string, limit int) ([]string, error) {
	b, err := bucket(t.tx, bucketFavourites)
	if err != nil {
		return nil, err
	}
	prefix := pairKey(accountID, "")
	var out []string
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out, nil
}

// Bookmarks.

// PutBookmark bookmarks an object for a local account.
func (t *Tx) PutBookmark(accountID, seq, iri string) error {
	return t.putEntry(bucketBookmarks, accountID, seq, iri)
}

// DeleteBookmark removes a bookmark.
func (t *Tx) DeleteBookmark(accountID, seq string) error {
	return t.deleteEntry2(bucketBookmarks, accountID, seq)
}

// Bookmarked reports whether an account bookmarked the object with seq.
func (t *Tx) Bookmarked(accountID, seq string) (bool, error) {
	b, err := bucket(t.tx, bucketBookmarks)
	if err != nil {
		return false, err
	}
	return b.Get(timelineKey(accountID, seq)) != nil, nil
}

// BookmarkPage returns a page of an account's bookmarks, newest first.
func (t *Tx) BookmarkPage(accountID string, p Page) ([]Entry, error) {
	return t.pageOf(bucketBookmarks, accountID, p, nil)
}

// Notifications.

// Notification is one notification of a local account.
type Notification struct {
	ID        string    `json:"id"` // a ULID
	AccountID string    `json:"account_id"`
	Type      string    `json:"type"`  // Mastodon's: mention, favourite, reblog, follow...
	Actor     string    `json:"actor"` // who caused it
	Object    string    `json:"object,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// PutNotification stores n, giving it an ID when it has none.
func (t *Tx) PutNotification(n *Notification) error {
	if n.ID == "" {
		n.ID = t.NewID()
	}
	b, err := bucket(t.tx, bucketNotifications)
	if err != nil {
		return err
	}
	return putJSON(b, pairKey(n.AccountID, n.ID), n)
}

// NotificationByID returns one of an account's notifications, or ErrNotFound.
func (t *Tx) NotificationByID(accountID, id string) (*Notification, error) {
	b, err := bucket(t.tx, bucketNotifications)
	if err != nil {
		return nil, err
	}
	n, err := getJSON[Notification](b, pairKey(accountID, id))
	if err == ErrNotFound {
		return nil, fmt.Errorf("notification %s: %w", id, ErrNotFound)
	}
	return n, err
}

// DeleteNotification dismisses one notification.
func (t *Tx) DeleteNotification(accountID, id string) error {
	b, err := bucket(t.tx, bucketNotifications)
	if err != nil {
		return err
	}
	return b.Delete(pairKey(accountID, id))
}

// ClearNotifications dismisses all of an account's notifications.
func (t *Tx) ClearNotifications(accountID string) error {
	b, err := bucket(t.tx, bucketNotifications)
	if err != nil {
		return err
	}
	prefix := pairKey(accountID, "")
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte{}, k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// NotificationPage returns a page of an account's notifications, newest
// first; keep, when set, selects which (by type) count.
func (t *Tx) NotificationPage(accountID string, p Page, keep func(*Notification) bool) ([]*Notification, error) {
	b, err := bucket(t.tx, bucketNotifications)
	if err != nil {
		return nil, err
	}
	var out []*Notification
	var decodeErr error
	entries := page(b, accountID, p, func(_, v string) bool {
		var n Notification
		if err := json.Unmarshal([]byte(v), &n); err != nil {
			decodeErr = err
			return false
		}
		if keep != nil && !keep(&n) {
			return false
		}
		out = append(out, &n)
		return true
	})
	if decodeErr != nil {
		return nil, decodeErr
	}
	if p.MinID != "" && p.MaxID == "" && p.SinceID == "" {
		// page reversed its entries; follow it.
		byID := make(map[string]*Notification, len(out))
		for _, n := range out {
			byID[n.ID] = n
		}
		out = out[:0]
		for _, e := range entries {
			out = append(out, byID[e.ID])
		}
	}
	return out, nil
}

// Idempotency.

// IdempotentStatus returns the status IRI an account's Idempotency-Key
// produced within ttl, or "".
func (t *Tx) IdempotentStatus(accountID, key string, ttl time.Duration, now time.Time) (string, error) {
	b, err := bucket(t.tx, bucketIdempotency)
	if err != nil {
		return "", err
	}
	v := b.Get(pairKey(accountID, key))
	if v == nil {
		return "", nil
	}
	var rec struct {
		IRI string    `json:"iri"`
		At  time.Time `json:"at"`
	}
	if err := json.Unmarshal(v, &rec); err != nil || now.Sub(rec.At) > ttl {
		return "", nil
	}
	return rec.IRI, nil
}

// PutIdempotentStatus remembers the status an Idempotency-Key produced.
func (t *Tx) PutIdempotentStatus(accountID, key, iri string, at time.Time) error {
	b, err := bucket(t.tx, bucketIdempotency)
	if err != nil {
		return err
	}
	return putJSON(b, pairKey(accountID, key), map[string]any{"iri": iri, "at": at})
}

// Edits.

// PutStatusEdit keeps a previous version of an object before an edit.
func (t *Tx) PutStatusEdit(prev *Object) error {
	b, err := bucket(t.tx, bucketStatusEdits)
	if err != nil {
		return err
	}
	return putJSON(b, pairKey(prev.IRI, t.NewID()), prev)
}

// StatusEdits returns an object's previous versions, oldest first.
func (t *Tx) StatusEdits(iri string) ([]*Object, error) {
	b, err := bucket(t.tx, bucketStatusEdits)
	if err != nil {
		return nil, err
	}
	prefix := pairKey(iri, "")
	var out []*Object
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var o Object
		if err := json.Unmarshal(v, &o); err != nil {
			return nil, fmt.Errorf("decode edit of %s: %w", iri, err)
		}
		out = append(out, &o)
	}
	return out, nil
}

// HomeTimeline is HomePage in its own read transaction.
func (db *DB) HomeTimeline(ctx context.Context, accountID string, p Page) ([]Entry, error) {
	return viewValue(ctx, db, func(t *Tx) ([]Entry, error) { return t.HomePage(accountID, p) })
}

// OnCommit runs fn after the transaction commits (never if it rolls back):
// the place to publish streaming events about what it wrote.
func (t *Tx) OnCommit(fn func()) { t.tx.OnCommit(fn) }
