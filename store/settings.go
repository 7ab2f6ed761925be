package store

// Per-account client settings for the Mastodon client API.
//
// Buckets:
//   markers            account ID + 0x00 + timeline ("home", "notifications") -> JSON Marker
//   account_settings   account ID -> JSON AccountSettings (default posting
//                      visibility, language, sensitive media)

import (
	"context"
	"fmt"
	"time"
)

var (
	bucketMarkers         = []byte("markers")
	bucketAccountSettings = []byte("account_settings")
)

// Marker is a timeline's read position for one account. Version counts
// the writes, starting at 1 (Mastodon's lock_version + 1 semantics are not
// needed: clients only show it).
type Marker struct {
	Timeline   string    `json:"timeline"`
	LastReadID string    `json:"last_read_id"`
	Version    int       `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Markers returns the account's markers of the given timelines that exist,
// keyed by timeline; a timeline without a marker is absent.
func (db *DB) Markers(ctx context.Context, accountID string, timelines []string) (map[string]*Marker, error) {
	out := make(map[string]*Marker, len(timelines))
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketMarkers)
		if err != nil {
			return err
		}
		for _, tl := range timelines {
			m, err := getJSON[Marker](b, pairKey(accountID, tl))
			if err == ErrNotFound {
				continue
			}
			if err != nil {
				return err
			}
			out[tl] = m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: markers of %s: %w", accountID, err)
	}
	return out, nil
}

// SetMarker saves the account's read position in a timeline and returns
// the marker, its version one more than before. Writes of one marker are
// serialised by the write transaction, so no version is lost.
func (db *DB) SetMarker(ctx context.Context, accountID, timeline, lastReadID string) (*Marker, error) {
	var out *Marker
	err := db.Update(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketMarkers)
		if err != nil {
			return err
		}
		key := pairKey(accountID, timeline)
		m, err := getJSON[Marker](b, key)
		if err == ErrNotFound {
			m, err = &Marker{Timeline: timeline}, nil
		}
		if err != nil {
			return err
		}
		m.LastReadID, m.Version, m.UpdatedAt = lastReadID, m.Version+1, time.Now().UTC()
		out = m
		return putJSON(b, key, m)
	})
	if err != nil {
		return nil, fmt.Errorf("store: set %s marker of %s: %w", timeline, accountID, err)
	}
	return out, nil
}

// AccountSettings are an account's client preferences: the defaults of new
// posts. The zero value means Mastodon's defaults (public, not sensitive,
// no language).
type AccountSettings struct {
	Privacy   string `json:"privacy,omitempty"` // public, unlisted, private, direct
	Sensitive bool   `json:"sensitive,omitempty"`
	Language  string `json:"language,omitempty"` // ISO 639-1
}

// AccountSettings returns an account's settings; an account that never
// saved any has the zero value.
func (db *DB) AccountSettings(ctx context.Context, accountID string) (*AccountSettings, error) {
	var out *AccountSettings
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketAccountSettings)
		if err != nil {
			return err
		}
		s, err := getJSON[AccountSettings](b, []byte(accountID))
		if err == ErrNotFound {
			s, err = &AccountSettings{}, nil
		}
		out = s
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: settings of %s: %w", accountID, err)
	}
	return out, nil
}

// UpdateAccountSettings reads, changes (fn) and saves an account's
// settings in one write transaction. fn must do no I/O; an error from it
// saves nothing and is returned wrapped.
func (db *DB) UpdateAccountSettings(ctx context.Context, accountID string, fn func(*AccountSettings) error) (*AccountSettings, error) {
	var out *AccountSettings
	err := db.Update(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketAccountSettings)
		if err != nil {
			return err
		}
		s, err := getJSON[AccountSettings](b, []byte(accountID))
		if err == ErrNotFound {
			s, err = &AccountSettings{}, nil
		}
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
		out = s
		return putJSON(b, []byte(accountID), s)
	})
	if err != nil {
		return nil, fmt.Errorf("store: update settings of %s: %w", accountID, err)
	}
	return out, nil
}
