package store

// Shared trust lists: this instance's subscriptions to other instances'
// published domain decisions, and what each list said.
//
// Buckets:
//   trust_subscriptions  subscription ID (ULID, so oldest first) -> JSON
//                        TrustSubscription
//   trust_list_fetched   subscription ID -> JSON []TrustListEntry: the list
//                        as the last successful fetch returned it, sorted by
//                        domain
//   trust_list_applied   subscription ID -> JSON []TrustListEntry: the list
//                        as it was when last applied (what the subscription
//                        currently decides); in auto mode the same as
//                        fetched after every refresh
//
// A domain decision a subscription made is a Trust in domain_trust whose
// Source is the subscription's ID; a local decision has an empty Source.
// Lists are stored whole, one value each: a list is at most
// MaxTrustListEntries entries and is always replaced whole.

import (
	"context"
	"fmt"
	"time"
)

var (
	bucketTrustSubscriptions = []byte("trust_subscriptions")
	bucketTrustListFetched   = []byte("trust_list_fetched")
	bucketTrustListApplied   = []byte("trust_list_applied")
)

// MaxTrustListEntries bounds the entries kept of one subscribed list.
const MaxTrustListEntries = 50000

// TrustSubscription is this instance's subscription to another instance's
// published trust list.
type TrustSubscription struct {
	ID       string `json:"id"`
	URL      string `json:"url"`              // the list's collection URL
	Source   string `json:"source,omitempty"` // what the admin gave: URL, handle or domain
	Priority int    `json:"priority"`         // higher wins when lists disagree
	Mode     string `json:"mode"`             // "review" or "auto"
	// Levels are the levels taken from the list: always "blocked", and
	// "limited" when the admin accepts limits too.
	Levels    []string  `json:"levels"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
	// LastFetch is the last refresh attempt; LastSuccess the last that
	// succeeded; LastError the error of the last attempt ("" when it
	// succeeded).
	LastFetch   time.Time `json:"last_fetch,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Entries     int       `json:"entries"` // entries in the last fetched list
	Skipped     int       `json:"skipped"` // entries of that list that were not valid
	AppliedAt   time.Time `json:"applied_at,omitzero"`
}

// TrustListEntry is one domain decision of a published trust list.
type TrustListEntry struct {
	Domain  string    `json:"domain"`
	Level   string    `json:"level"` // TrustBlocked or TrustLimited
	Reason  string    `json:"reason,omitempty"`
	Updated time.Time `json:"updated"`
}

// PutTrustSubscription stores a subscription, assigning its ID when empty.
func (t *Tx) PutTrustSubscription(s *TrustSubscription) error {
	b, err := bucket(t.tx, bucketTrustSubscriptions)
	if err != nil {
		return err
	}
	if s.ID == "" {
		s.ID = t.db.NewID()
	}
	return putJSON(b, []byte(s.ID), s)
}

// TrustSubscription returns a subscription, or ErrNotFound.
func (t *Tx) TrustSubscription(id string) (*TrustSubscription, error) {
	b, err := bucket(t.tx, bucketTrustSubscriptions)
	if err != nil {
		return nil, err
	}
	s, err := getJSON[TrustSubscription](b, []byte(id))
	if err == ErrNotFound {
		return nil, fmt.Errorf("trust list subscription %s: %w", id, ErrNotFound)
	}
	return s, err
}

// TrustSubscription returns a subscription, or ErrNotFound.
func (db *DB) TrustSubscription(ctx context.Context, id string) (*TrustSubscription, error) {
	return viewValue(ctx, db, func(t *Tx) (*TrustSubscription, error) { return t.TrustSubscription(id) })
}

// TrustSubscriptions lists the subscriptions, oldest first.
func (t *Tx) TrustSubscriptions() ([]*TrustSubscription, error) {
	b, err := bucket(t.tx, bucketTrustSubscriptions)
	if err != nil {
		return nil, err
	}
	var out []*TrustSubscription
	err = b.ForEach(func(k, _ []byte) error {
		s, err := getJSON[TrustSubscription](b, k)
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// TrustSubscriptions lists the subscriptions, oldest first.
func (db *DB) TrustSubscriptions(ctx context.Context) ([]*TrustSubscription, error) {
	return viewValue(ctx, db, func(t *Tx) ([]*TrustSubscription, error) { return t.TrustSubscriptions() })
}

// DeleteTrustSubscription removes a subscription and both of its lists
// (not the decisions it made: the caller resolves those first).
func (t *Tx) DeleteTrustSubscription(id string) error {
	for _, name := range [][]byte{bucketTrustSubscriptions, bucketTrustListFetched, bucketTrustListApplied} {
		b, err := bucket(t.tx, name)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

func trustListBucket(applied bool) []byte {
	if applied {
		return bucketTrustListApplied
	}
	return bucketTrustListFetched
}

// PutTrustList replaces a subscription's fetched (applied=false) or applied
// list.
func (t *Tx) PutTrustList(id string, applied bool, entries []TrustListEntry) error {
	if len(entries) > MaxTrustListEntries {
		return fmt.Errorf("trust list of %s: %d entries, at most %d are kept", id, len(entries), MaxTrustListEntries)
	}
	b, err := bucket(t.tx, trustListBucket(applied))
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []TrustListEntry{}
	}
	return putJSON(b, []byte(id), entries)
}

// TrustList returns a subscription's fetched or applied list; empty (not
// an error) when there is none yet.
func (t *Tx) TrustList(id string, applied bool) ([]TrustListEntry, error) {
	b, err := bucket(t.tx, trustListBucket(applied))
	if err != nil {
		return nil, err
	}
	l, err := getJSON[[]TrustListEntry](b, []byte(id))
	if err == ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trust list of %s: %w", id, err)
	}
	return *l, nil
}

// DomainTrustsFrom lists the domain decisions whose Source is source (a
// subscription ID; "" lists the local ones).
func (t *Tx) DomainTrustsFrom(source string) ([]*Trust, error) {
	b, err := bucket(t.tx, bucketDomainTrust)
	if err != nil {
		return nil, err
	}
	var out []*Trust
	err = b.ForEach(func(k, _ []byte) error {
		tr, err := getJSON[Trust](b, k)
		if err != nil {
			return err
		}
		if tr.Source == source {
			out = append(out, tr)
		}
		return nil
	})
	return out, err
}
