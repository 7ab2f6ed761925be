package store

// Sightings: the votes of organisations on an alert (corroboration, see
// FEDERATION.md "Corroboration"). An organisation has at most one vote per
// alert: a new vote replaces the previous one.
//
// Buckets (created by migration 9):
//
//	sightings   key: alert IRI + 0x00 + organisation actor IRI
//	            value: JSON Sighting
//	            order: by actor IRI within an alert; an alert's votes are one
//	            prefix scan, so a tally costs the number of organisations
//	            that voted (a few hundred at most: one per peer network)
//
// Bucket (created by migration 11):
//
//	sightings_due   key: alert IRI   value: 8-byte big-endian unix nanoseconds
//	                when the alert's Update with its new tally is due: votes
//	                arriving soon after the last Update are federated
//	                together (publish coalesces them); a few keys at most

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

var (
	bucketSightings    = []byte("sightings")
	bucketSightingsDue = []byte("sightings_due")
)

// Sighting is one organisation's vote on an alert, modelled on STIX 2.1
// Sighting (count, first_seen, last_seen, where_sighted) and MISP sighting
// types. The JSON tags define the stored format.
type Sighting struct {
	// ID is the activity's IRI (ours for a local vote, the voter's for a
	// remote one).
	ID        string    `json:"id"`
	Alert     string    `json:"alert"` // the alert's IRI
	Actor     string    `json:"actor"` // the voting organisation's actor IRI
	Verdict   string    `json:"verdict"`
	Count     int       `json:"count,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	Where     []string  `json:"where,omitempty"`   // ISO 3166-1 or -2 codes
	Content   string    `json:"content,omitempty"` // the comment, sanitised HTML
	Local     bool      `json:"local,omitempty"`   // voted by an organisation of this instance
	// Raw is the activity as the voter sent it (without @context), served
	// in the alert's sightings collection.
	Raw        json.RawMessage `json:"raw"`
	ReceivedAt time.Time       `json:"received_at"`
}

func sightingKey(alertIRI, actor string) []byte {
	k := make([]byte, 0, len(alertIRI)+1+len(actor))
	k = append(k, alertIRI...)
	k = append(k, 0)
	return append(k, actor...)
}

// PutSighting stores s as its actor's vote on its alert, replacing any
// earlier vote of that actor. It reports whether a vote was replaced.
func (t *Tx) PutSighting(s *Sighting) (replaced bool, err error) {
	if s.Alert == "" || s.Actor == "" {
		return false, fmt.Errorf("sighting %s: alert and actor are required", s.ID)
	}
	b, err := bucket(t.tx, bucketSightings)
	if err != nil {
		return false, err
	}
	k := sightingKey(s.Alert, s.Actor)
	replaced = b.Get(k) != nil
	return replaced, putJSON(b, k, s)
}

// Sightings returns the votes on an alert, by actor IRI.
func (t *Tx) Sightings(alertIRI string) ([]*Sighting, error) {
	b, err := bucket(t.tx, bucketSightings)
	if err != nil {
		return nil, err
	}
	prefix := sightingKey(alertIRI, "")
	var out []*Sighting
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		s := new(Sighting)
		if err := json.Unmarshal(v, s); err != nil {
			return nil, fmt.Errorf("decode sighting %q: %w", k, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Sightings returns the votes on an alert, by actor IRI.
func (db *DB) Sightings(ctx context.Context, alertIRI string) ([]*Sighting, error) {
	return viewValue(ctx, db, func(t *Tx) ([]*Sighting, error) { return t.Sightings(alertIRI) })
}

// MarkSightingsDue records that the alert's Update is due at at; an
// earlier mark is kept.
func (t *Tx) MarkSightingsDue(alertIRI string, at time.Time) error {
	b, err := bucket(t.tx, bucketSightingsDue)
	if err != nil {
		return err
	}
	if v := b.Get([]byte(alertIRI)); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= at.UnixNano() {
		return nil
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(at.UnixNano()))
	return b.Put([]byte(alertIRI), v[:])
}

// ClearSightingsDue removes the alert's mark, if any.
func (t *Tx) ClearSightingsDue(alertIRI string) error {
	b, err := bucket(t.tx, bucketSightingsDue)
	if err != nil {
		return err
	}
	return b.Delete([]byte(alertIRI))
}

// SightingsDue returns the alerts whose Update is due at now, at most limit.
func (db *DB) SightingsDue(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var out []string
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketSightingsDue)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
				out = append(out, string(k))
			}
		}
		return nil
	})
	return out, err
}
