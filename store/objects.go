package store

// Objects and activities: everything with an ActivityPub id that we store,
// local or remote.
//
// Buckets:
//   objects           IRI -> JSON Object (the record below; Raw holds the AS2 JSON)
//   objects_by_seq    Seq (ULID, time-sortable) -> IRI: every object in arrival
//                     order, so timelines and "latest" lists are key-range scans
//   outbox            account ID + 0x00 + ULID -> activity IRI: a local actor's
//                     outbox, oldest first
//   activities        IRI -> JSON Activity: activities we sent (served on GET)

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

var (
	bucketObjects      = []byte("objects")
	bucketObjectsBySeq = []byte("objects_by_seq")
	bucketOutbox       = []byte("outbox")
	bucketActivities   = []byte("activities")
)

// Moderation states of an object.
const (
	ModVisible  = "visible"
	ModPending  = "pending"
	ModLimited  = "limited"
	ModRejected = "rejected"
)

// Object is a stored ActivityPub object (Note, Article, Question, Page...).
type Object struct {
	IRI          string          `json:"iri"`
	Seq          string          `json:"seq"` // set on first store; never changes
	Type         string          `json:"type"`
	AttributedTo string          `json:"attributed_to"`
	Local        bool            `json:"local,omitempty"`
	AccountID    string          `json:"account_id,omitempty"` // the local author
	InReplyTo    string          `json:"in_reply_to,omitempty"`
	Target       string          `json:"target,omitempty"` // what a Like or Announce is of
	Public       bool            `json:"public,omitempty"` // addressed to as:Public
	Raw          json.RawMessage `json:"raw"`              // the AS2 JSON as received or sent
	Published    time.Time       `json:"published"`
	Updated      time.Time       `json:"updated,omitzero"`
	Deleted      time.Time       `json:"deleted,omitzero"` // a Tombstone since then
	FormerType   string          `json:"former_type,omitempty"`
	Moderation   string          `json:"moderation,omitempty"`
	ReceivedFrom string          `json:"received_from,omitempty"` // host that sent it
	UpdatedAt    time.Time       `json:"stored_at"`
}

// Activity is an activity we sent, kept to serve it on GET.
type Activity struct {
	IRI       string          `json:"iri"`
	Type      string          `json:"type"`
	AccountID string          `json:"account_id"`
	Raw       json.RawMessage `json:"raw"`
	Public    bool            `json:"public,omitempty"`
	Published time.Time       `json:"published"`
}

// PutObject stores o, keyed by its IRI. A new object gets a Seq; an existing
// one keeps its Seq (an Update does not move it in timelines). It reports
// whether the object was new.
func (t *Tx) PutObject(o *Object) (created bool, err error) {
	b, err := bucket(t.tx, bucketObjects)
	if err != nil {
		return false, err
	}
	key := []byte(o.IRI)
	wasLive, wasPublic := false, false
	if prev, err := getJSON[Object](b, key); err == nil {
		o.Seq = prev.Seq
		wasLive = prev.Local && prev.Deleted.IsZero()
		wasPublic = wasLive && prev.Public
	} else if err != ErrNotFound {
		return false, err
	} else {
		created = true
		if o.Seq == "" {
			o.Seq = t.db.NewID()
		}
		seq, err := bucket(t.tx, bucketObjectsBySeq)
		if err != nil {
			return false, err
		}
		if err := seq.Put([]byte(o.Seq), key); err != nil {
			return false, err
		}
	}
	if isLive := o.Local && o.Deleted.IsZero(); isLive != wasLive {
		delta := int64(1)
		if wasLive {
			delta = -1
		}
		if err := t.addCounter(counterLocalObjects, delta); err != nil {
			return false, err
		}
	}
	if isPublic := o.Local && o.Deleted.IsZero() && o.Public; isPublic != wasPublic {
		delta := int64(1)
		if wasPublic {
			delta = -1
		}
		if err := t.addPublicCount(o.AccountID, delta); err != nil {
			return false, err
		}
	}
	if err := t.syncReviewQueue(o, false); err != nil {
		return false, err
	}
	o.UpdatedAt = time.Now().UTC()
	return created, putJSON(b, key, o)
}

// Object returns the object with the given IRI, or ErrNotFound.
func (t *Tx) Object(iri string) (*Object, error) {
	b, err := bucket(t.tx, bucketObjects)
	if err != nil {
		return nil, err
	}
	o, err := getJSON[Object](b, []byte(iri))
	if err == ErrNotFound {
		return nil, fmt.Errorf("object %s: %w", iri, ErrNotFound)
	}
	return o, err
}

// RemoveObject deletes an object and its sequence entry outright (used for
// remote content we must not keep; local deletions leave a Tombstone).
func (t *Tx) RemoveObject(iri string) error {
	o, err := t.Object(iri)
	if err != nil {
		return err
	}
	b, err := bucket(t.tx, bucketObjects)
	if err != nil {
		return err
	}
	seq, err := bucket(t.tx, bucketObjectsBySeq)
	if err != nil {
		return err
	}
	if err := seq.Delete([]byte(o.Seq)); err != nil {
		return err
	}
	if err := t.syncReviewQueue(o, true); err != nil {
		return err
	}
	return b.Delete([]byte(iri))
}

// ObjectsByAuthor returns the IRIs of every stored object attributed to
// actor (a scan: used when an actor is deleted, which is rare).
func (t *Tx) ObjectsByAuthor(actor string) ([]string, error) {
	return t.ObjectsWhere(func(v []byte) bool {
		var o struct {
			AttributedTo string `json:"attributed_to"`
		}
		return json.Unmarshal(v, &o) == nil && o.AttributedTo == actor
	})
}

// PutActivity stores an activity we sent.
func (t *Tx) PutActivity(a *Activity) error {
	b, err := bucket(t.tx, bucketActivities)
	if err != nil {
		return err
	}
	return putJSON(b, []byte(a.IRI), a)
}

// Activity returns an activity we sent, or ErrNotFound.
func (t *Tx) Activity(iri string) (*Activity, error) {
	b, err := bucket(t.tx, bucketActivities)
	if err != nil {
		return nil, err
	}
	a, err := getJSON[Activity](b, []byte(iri))
	if err == ErrNotFound {
		return nil, fmt.Errorf("activity %s: %w", iri, ErrNotFound)
	}
	return a, err
}

// AppendOutbox adds an activity to a local account's outbox.
func (t *Tx) AppendOutbox(accountID, activityIRI string) error {
	b, err := bucket(t.tx, bucketOutbox)
	if err != nil {
		return err
	}
	return b.Put(outboxKey(accountID, t.db.NewID()), []byte(activityIRI))
}

func outboxKey(accountID, id string) []byte {
	k := make([]byte, 0, len(accountID)+1+len(id))
	k = append(k, accountID...)
	k = append(k, 0)
	return append(k, id...)
}

// OutboxPage returns up to limit activity IRIs of an account's outbox,
// newest first, strictly older than the cursor before ("" = from the
// newest), and the cursor of the last item returned.
func (t *Tx) OutboxPage(accountID, before string, limit int) (iris []string, last string, err error) {
	b, err := bucket(t.tx, bucketOutbox)
	if err != nil {
		return nil, "", err
	}
	prefix := outboxKey(accountID, "")
	c := b.Cursor()
	var k, v []byte
	if before == "" {
		// Position after the last key with this prefix.
		end := append(append([]byte{}, prefix[:len(prefix)-1]...), 1)
		if k, v = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		c.Seek(outboxKey(accountID, before))
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(iris) < limit; k, v = c.Prev() {
		iris = append(iris, string(v))
		last = string(k[len(prefix):])
	}
	return iris, last, nil
}

// Object returns the object with the given IRI, or ErrNotFound.
func (db *DB) Object(ctx context.Context, iri string) (*Object, error) {
	return viewValue(ctx, db, func(t *Tx) (*Object, error) { return t.Object(iri) })
}

// Activity returns an activity we sent, or ErrNotFound.
func (db *DB) Activity(ctx context.Context, iri string) (*Activity, error) {
	return viewValue(ctx, db, func(t *Tx) (*Activity, error) { return t.Activity(iri) })
}

// CountLocalObjects counts objects published by local accounts and not
// deleted (NodeInfo's localPosts), from a counter kept by PutObject.
func (db *DB) CountLocalObjects(ctx context.Context) (int64, error) {
	return viewValue(ctx, db, func(t *Tx) (int64, error) { return t.counter(counterLocalObjects) })
}

// CountLocalPublicObjects counts the live public objects of local accounts:
// what strangers may be told (NodeInfo, instance statistics). Objects for
// a TLP audience are left out, or the counts would say when confidential
// alerts are issued.
func (db *DB) CountLocalPublicObjects(ctx context.Context) (int64, error) {
	return viewValue(ctx, db, func(t *Tx) (int64, error) { return t.counter(counterLocalPublicObjects) })
}

// CountPublicObjects counts a local account's live public objects (its
// statuses_count and outbox size as strangers see them).
func (t *Tx) CountPublicObjects(accountID string) (int, error) {
	n, err := t.counter(publicObjectsCounter(accountID))
	return int(n), err
}

// addPublicCount moves the instance's and accountID's public object
// counters by delta.
func (t *Tx) addPublicCount(accountID string, delta int64) error {
	if err := t.addCounter(counterLocalPublicObjects, delta); err != nil {
		return err
	}
	return t.addCounter(publicObjectsCounter(accountID), delta)
}

// ObjectsWhere returns the IRIs of stored objects whose JSON record
// matches (a scan: for rare admin actions such as blocking a domain).
func (t *Tx) ObjectsWhere(match func(record []byte) bool) ([]string, error) {
	b, err := bucket(t.tx, bucketObjects)
	if err != nil {
		return nil, err
	}
	var out []string
	err = b.ForEach(func(k, v []byte) error {
		if match(v) {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}
