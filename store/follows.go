package store

// Follow relations, both directions, local and remote actors alike.
//
// Buckets:
//   follows               followee IRI + 0x00 + follower IRI -> JSON Follow
//                         (scan a followee's prefix: its followers)
//   follows_by_follower   follower IRI + 0x00 + followee IRI -> empty
//                         (scan a follower's prefix: whom it follows)

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

var (
	bucketFollows           = []byte("follows")
	bucketFollowsByFollower = []byte("follows_by_follower")
)

// Follow states.
const (
	FollowPending  = "pending"
	FollowAccepted = "accepted"
)

// Follow is one follow relation. Inbox and SharedInbox are the follower's,
// kept so fan-out needs no actor lookups.
type Follow struct {
	Followee    string    `json:"followee"`
	Follower    string    `json:"follower"`
	FollowID    string    `json:"follow_id"` // the Follow activity's IRI
	State       string    `json:"state"`
	Inbox       string    `json:"inbox,omitempty"`
	SharedInbox string    `json:"shared_inbox,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	AcceptedAt  time.Time `json:"accepted_at,omitzero"`
}

func pairKey(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

// PutFollow stores or replaces a follow relation.
func (t *Tx) PutFollow(f *Follow) error {
	b, err := bucket(t.tx, bucketFollows)
	if err != nil {
		return err
	}
	idx, err := bucket(t.tx, bucketFollowsByFollower)
	if err != nil {
		return err
	}
	if err := idx.Put(pairKey(f.Follower, f.Followee), nil); err != nil {
		return err
	}
	return putJSON(b, pairKey(f.Followee, f.Follower), f)
}

// Follow returns the relation of follower to followee, or ErrNotFound.
func (t *Tx) Follow(followee, follower string) (*Follow, error) {
	b, err := bucket(t.tx, bucketFollows)
	if err != nil {
		return nil, err
	}
	f, err := getJSON[Follow](b, pairKey(followee, follower))
	if err == ErrNotFound {
		return nil, fmt.Errorf("follow of %s by %s: %w", followee, follower, ErrNotFound)
	}
	return f, err
}

// DeleteFollow removes a relation; removing an absent one is not an error.
func (t *Tx) DeleteFollow(followee, follower string) error {
	b, err := bucket(t.tx, bucketFollows)
	if err != nil {
		return err
	}
	idx, err := bucket(t.tx, bucketFollowsByFollower)
	if err != nil {
		return err
	}
	if err := idx.Delete(pairKey(follower, followee)); err != nil {
		return err
	}
	return b.Delete(pairKey(followee, follower))
}

// Followers returns followee's followers in the given state ("" = all), in
// key order.
func (t *Tx) Followers(followee, state string) ([]*Follow, error) {
	b, err := bucket(t.tx, bucketFollows)
	if err != nil {
		return nil, err
	}
	prefix := pairKey(followee, "")
	var out []*Follow
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		f, err := getJSON[Follow](b, k)
		if err != nil {
			return nil, err
		}
		if state == "" || f.State == state {
			out = append(out, f)
		}
	}
	return out, nil
}

// Following returns the relations in which follower follows someone.
func (t *Tx) Following(follower, state string) ([]*Follow, error) {
	idx, err := bucket(t.tx, bucketFollowsByFollower)
	if err != nil {
		return nil, err
	}
	prefix := pairKey(follower, "")
	var out []*Follow
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		f, err := t.Follow(string(k[len(prefix):]), follower)
		if err != nil {
			return nil, err
		}
		if state == "" || f.State == state {
			out = append(out, f)
		}
	}
	return out, nil
}

// FollowerInboxes returns the distinct inboxes that reach followee's
// accepted followers, using a follower's shared inbox when it has one.
func (t *Tx) FollowerInboxes(followee string) ([]string, error) {
	fs, err := t.Followers(followee, FollowAccepted)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(fs))
	var out []string
	for _, f := range fs {
		inbox := f.SharedInbox
		if inbox == "" {
			inbox = f.Inbox
		}
		if inbox != "" && !seen[inbox] {
			seen[inbox] = true
			out = append(out, inbox)
		}
	}
	return out, nil
}

// RemoveFollowsWithInbox removes every relation whose follower is reached
// through inbox (a 410 Gone from it), and returns how many went.
func (t *Tx) RemoveFollowsWithInbox(inbox string) (int, error) {
	b, err := bucket(t.tx, bucketFollows)
	if err != nil {
		return 0, err
	}
	var gone []*Follow
	err = b.ForEach(func(k, v []byte) error {
		f, err := getJSON[Follow](b, k)
		if err != nil {
			return err
		}
		if f.Inbox == inbox || f.SharedInbox == inbox {
			gone = append(gone, f)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, f := range gone {
		if err := t.DeleteFollow(f.Followee, f.Follower); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// Followers returns followee's followers in state ("" = all).
func (db *DB) Followers(ctx context.Context, followee, state string) ([]*Follow, error) {
	var out []*Follow
	err := db.View(ctx, func(t *Tx) error {
		var err error
		out, err = t.Followers(followee, state)
		return err
	})
	return out, err
}

// Following returns whom follower follows, in state ("" = all).
func (db *DB) Following(ctx context.Context, follower, state string) ([]*Follow, error) {
	var out []*Follow
	err := db.View(ctx, func(t *Tx) error {
		var err error
		out, err = t.Following(follower, state)
		return err
	})
	return out, err
}

// Follow returns one relation, or ErrNotFound.
func (db *DB) Follow(ctx context.Context, followee, follower string) (*Follow, error) {
	return viewValue(ctx, db, func(t *Tx) (*Follow, error) { return t.Follow(followee, follower) })
}
