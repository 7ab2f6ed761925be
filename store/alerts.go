package store

// Threat alerts and good-practice notes (package alert), local and from
// peers, indexed so that filtered listings, newest first, scan only what they
// may return.
//
// Buckets (created by migration 4):
//
//	alerts                key: IRI   value: JSON AlertRecord
//	alerts_by_seq         key: Seq (ULID, 26 chars)   value: summary + IRI
//	                      order: arrival; listings walk it backwards
//	alerts_by_country     key: country code     + 0x00 + Seq   value: summary
//	alerts_by_category    key: category slug    + 0x00 + Seq   value: summary
//	alerts_by_severity    key: severity slug    + 0x00 + Seq   value: summary
//	alerts_by_status      key: status slug      + 0x00 + Seq   value: summary
//	alerts_by_tlp         key: TLP name ("AMBER+STRICT") + 0x00 + Seq
//	                                                           value: summary
//	alerts_by_moderation  key: moderation state + 0x00 + Seq   value: summary
//	alerts_by_origin      key: "local" or "peer" + 0x00 + Seq  value: summary
//	alerts_by_expiry      key: 8-byte big-endian Expires (unix seconds, sign
//	                      bit flipped so that earlier always sorts first) + IRI
//	                      value: empty; only alerts that are active or
//	                      updated, have an expiry and no ExpiredAt yet
//	notes                 key: IRI   value: JSON NoteRecord
//	notes_by_seq          key: Seq   value: summary + IRI
//	notes_by_country      key: country code + 0x00 + Seq       value: summary
//	notes_by_topic        key: lower-cased topic + 0x00 + Seq  value: summary
//	notes_by_moderation   key: moderation state + 0x00 + Seq   value: summary
//	notes_by_origin       key: "local" or "peer" + 0x00 + Seq  value: summary
//	listing_counts        key: index bucket name + 0x00 + value, or the name
//	                      of a *_by_seq bucket
//	                      value: 8-byte big-endian number of its entries
//	listing_codes         key: index bucket name + 0x00 + value
//	                      value: uvarint code of the value in that field
//	                      key: index bucket name   value: uvarint last code
//	                      given (codes start at 1, are never reused)
//
// Each posting list (the keys of one index value) is in Seq order, so the
// records with a given value are a backwards range scan, newest first.
//
// A summary holds, in a few dozen bytes, everything a filter looks at, so a
// listing checks a candidate without another lookup and decodes only the
// records it returns:
//
//	byte 0     format (1)
//	byte 1     flags: bit 0 set when Published is set
//	bytes 2-9  Published, unix nanoseconds (clamped to years 1678-2262), big-endian
//	per indexed field, in the order of the index buckets above: uvarint
//	number of values, then the uvarint code (listing_codes) of each
//
// Invariants, kept by the Put and Delete methods in the transaction that
// writes the record: every record has exactly one *_by_seq entry; every
// index holds exactly one entry per value of its field in the record; the
// *_by_seq entry and every index entry of a record hold the summary computed
// from the record; every count in listing_counts equals the number of
// entries it counts. Indexed values never contain a NUL byte.
//
// Listing plan: the filter's values are translated to codes (a value never
// stored matches nothing); the scan is driven by the filtered field whose
// posting lists (merged, when the filter names several values) are shortest
// by listing_counts, or by the *_by_seq walk when none is shorter. Each
// candidate's summary is checked against the whole filter; only the page
// returned is decoded.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/tlp"
)

var (
	bucketAlerts             = []byte("alerts")
	bucketAlertsBySeq        = []byte("alerts_by_seq")
	bucketAlertsByCountry    = []byte("alerts_by_country")
	bucketAlertsByCategory   = []byte("alerts_by_category")
	bucketAlertsBySeverity   = []byte("alerts_by_severity")
	bucketAlertsByStatus     = []byte("alerts_by_status")
	bucketAlertsByTLP        = []byte("alerts_by_tlp")
	bucketAlertsByModeration = []byte("alerts_by_moderation")
	bucketAlertsByOrigin     = []byte("alerts_by_origin")
	bucketAlertsByExpiry     = []byte("alerts_by_expiry")
	bucketNotes              = []byte("notes")
	bucketNotesBySeq         = []byte("notes_by_seq")
	bucketNotesByCountry     = []byte("notes_by_country")
	bucketNotesByTopic       = []byte("notes_by_topic")
	bucketNotesByModeration  = []byte("notes_by_moderation")
	bucketNotesByOrigin      = []byte("notes_by_origin")
	bucketListingCounts      = []byte("listing_counts")
	bucketListingCodes       = []byte("listing_codes")
)

// Origin filter values and the values of the origin indexes.
const (
	OriginLocal = "local" // published on this instance
	OriginPeer  = "peer"  // received from another instance
)

// Page sizes of ListAlerts and ListNotes.
const (
	DefaultListLimit = 20  // when the filter's Limit is 0 or less
	MaxListLimit     = 200 // a larger Limit is lowered to this
)

// AlertRecord is a stored threat alert. The JSON tags define the stored
// format: renaming a tag needs a migration.
type AlertRecord struct {
	IRI string `json:"iri"` // the ActivityPub id; the key
	// Seq is the local, time-sortable ID (a ULID): assigned on first store
	// (or taken from the caller, who may have put it in the IRI), never
	// changed; listings are newest Seq first. Alert.ID is kept equal to it.
	Seq       string `json:"seq"`
	Local     bool   `json:"local,omitempty"`      // published here
	AccountID string `json:"account_id,omitempty"` // the local organisation account, when Local
	Origin    string `json:"origin,omitempty"`     // the host it came from; "" when Local

	Alert     alert.Alert      `json:"alert"`
	Revisions []alert.Revision `json:"revisions,omitempty"` // edit history, oldest first
	// Moderation is ModVisible, ModPending, ModLimited or ModRejected; ""
	// is stored as ModVisible.
	Moderation string `json:"moderation"`
	// Extensions are the peer's fields we do not know, kept verbatim so that
	// nothing a peer sent is lost.
	Extensions map[string]json.RawMessage `json:"extensions,omitempty"`
	// ExpiredAt is when the expiry scheduler handled the alert's expiry;
	// AlertsDueToExpire skips an alert once it is set. PutAlert clears it
	// when Alert.Expires changes and the caller left it as stored.
	ExpiredAt time.Time `json:"expired_at,omitzero"`
	StoredAt  time.Time `json:"stored_at"` // set by PutAlert
}

// NoteRecord is a stored good-practice note. The JSON tags define the stored
// format.
type NoteRecord struct {
	IRI        string             `json:"iri"`
	Seq        string             `json:"seq"` // as AlertRecord.Seq; Note.ID is kept equal to it
	Local      bool               `json:"local,omitempty"`
	AccountID  string             `json:"account_id,omitempty"`
	Origin     string             `json:"origin,omitempty"`
	Note       alert.PracticeNote `json:"note"`
	Revisions  []alert.Revision   `json:"revisions,omitempty"`
	Moderation string             `json:"moderation"` // "" is stored as ModVisible
	StoredAt   time.Time          `json:"stored_at"`
}

// AlertFilter selects alerts for ListAlerts. Fields left empty do not
// filter; within a field any listed value matches (an alert matches a
// country when it lists it among its countries); fields combine with AND.
// Values match exactly as stored (alert.Alert.Normalize upper-cases country
// codes and writes slugs).
type AlertFilter struct {
	Countries  []string
	Categories []string
	Severities []string
	Statuses   []string
	TLPs       []tlp.Level
	Origin     string    // "" (any), OriginLocal or OriginPeer
	Since      time.Time // Published at or after Since (zero: no bound)
	Until      time.Time // Published before Until (zero: no bound)
	// Moderation lists the moderation states to include; empty means
	// ModVisible only.
	Moderation []string
	Limit      int    // page size: DefaultListLimit when <= 0, at most MaxListLimit
	MaxSeq     string // cursor: only records with Seq strictly less; "" starts at the newest
}

// NoteFilter selects notes for ListNotes, with the rules of AlertFilter.
// Topics match case-insensitively.
type NoteFilter struct {
	Countries    []string
	Topics       []string
	Origin       string
	Since, Until time.Time
	Moderation   []string
	Limit        int
	MaxSeq       string
}

// family describes one kind of listed record: its buckets and, in summary
// order, the index bucket of each filterable field.
type family struct {
	what    string // for messages: "alert"
	records []byte
	bySeq   []byte
	fields  [][]byte
}

// The alert family's fields, in summary order.
const (
	alertCountry = iota
	alertCategory
	alertSeverity
	alertStatus
	alertTLP
	alertModeration
	alertOrigin
	alertFieldCount
)

// The note family's fields, in summary order.
const (
	noteCountry = iota
	noteTopic
	noteModeration
	noteOrigin
	noteFieldCount
)

var (
	alertFamily = family{what: "alert", records: bucketAlerts, bySeq: bucketAlertsBySeq, fields: [][]byte{
		alertCountry:    bucketAlertsByCountry,
		alertCategory:   bucketAlertsByCategory,
		alertSeverity:   bucketAlertsBySeverity,
		alertStatus:     bucketAlertsByStatus,
		alertTLP:        bucketAlertsByTLP,
		alertModeration: bucketAlertsByModeration,
		alertOrigin:     bucketAlertsByOrigin,
	}}
	noteFamily = family{what: "note", records: bucketNotes, bySeq: bucketNotesBySeq, fields: [][]byte{
		noteCountry:    bucketNotesByCountry,
		noteTopic:      bucketNotesByTopic,
		noteModeration: bucketNotesByModeration,
		noteOrigin:     bucketNotesByOrigin,
	}}
)

// entry is what the indexes hold about one record.
type entry struct {
	iri, seq  string
	published time.Time
	fields    [][]string // per family field: its values, without repeats
}

// PutAlert stores r, keyed by r.IRI, replacing any stored alert with that
// IRI and updating every index in the same transaction. A new alert gets
// r.Seq (a new ID, or the caller's if it is a valid unused ULID); a stored
// one keeps its Seq. It sets r.Seq, r.Alert.ID, r.Alert.URI (when empty),
// r.Moderation (when empty) and r.StoredAt, and reports whether the alert
// was new.
func (t *Tx) PutAlert(r *AlertRecord) (created bool, err error) {
	if r.Alert.URI == "" {
		r.Alert.URI = r.IRI
	}
	if r.Alert.URI != r.IRI {
		return false, tocsin.Errorf(tocsin.EINVALID, "alert %s: its uri is %s", r.IRI, r.Alert.URI)
	}
	if r.Moderation == "" {
		r.Moderation = ModVisible
	}
	var old *entry
	prev, err := t.Alert(r.IRI)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return false, err
	default:
		old = alertEntry(prev)
		if !prev.Alert.Expires.Equal(r.Alert.Expires) && prev.ExpiredAt.Equal(r.ExpiredAt) {
			r.ExpiredAt = time.Time{} // a new expiry is due again
		}
	}
	stamp := func(seq string) { r.Seq, r.Alert.ID, r.StoredAt = seq, seq, time.Now().UTC() }
	if err := t.putRecord(&alertFamily, old, alertEntry(r), stamp, r); err != nil {
		return false, err
	}
	exp, err := bucket(t.tx, bucketAlertsByExpiry)
	if err != nil {
		return false, err
	}
	if k := expiryKey(prev); k != nil {
		if err := exp.Delete(k); err != nil {
			return false, err
		}
	}
	if k := expiryKey(r); k != nil {
		if err := exp.Put(k, nil); err != nil {
			return false, err
		}
	}
	return prev == nil, nil
}

// Alert returns the alert with the given IRI, or an error wrapping
// ErrNotFound.
func (t *Tx) Alert(iri string) (*AlertRecord, error) {
	return getRecord[AlertRecord](t, &alertFamily, iri)
}

// DeleteAlert removes the alert with the given IRI and all its index
// entries, or returns an error wrapping ErrNotFound. (A retraction keeps
// the record with status retracted; this is for content we must not keep.)
func (t *Tx) DeleteAlert(iri string) error {
	r, err := t.Alert(iri)
	if err != nil {
		return err
	}
	if err := t.deleteEntry(&alertFamily, alertEntry(r)); err != nil {
		return err
	}
	if k := expiryKey(r); k != nil {
		exp, err := bucket(t.tx, bucketAlertsByExpiry)
		if err != nil {
			return err
		}
		return exp.Delete(k)
	}
	return nil
}

// PutNote stores r as PutAlert stores an alert.
func (t *Tx) PutNote(r *NoteRecord) (created bool, err error) {
	if r.Note.URI == "" {
		r.Note.URI = r.IRI
	}
	if r.Note.URI != r.IRI {
		return false, tocsin.Errorf(tocsin.EINVALID, "note %s: its uri is %s", r.IRI, r.Note.URI)
	}
	if r.Moderation == "" {
		r.Moderation = ModVisible
	}
	var old *entry
	prev, err := t.Note(r.IRI)
	switch {
	case err == nil:
		old = noteEntry(prev)
	case !errors.Is(err, ErrNotFound):
		return false, err
	}
	stamp := func(seq string) { r.Seq, r.Note.ID, r.StoredAt = seq, seq, time.Now().UTC() }
	if err := t.putRecord(&noteFamily, old, noteEntry(r), stamp, r); err != nil {
		return false, err
	}
	return old == nil, nil
}

// Note returns the note with the given IRI, or an error wrapping
// ErrNotFound.
func (t *Tx) Note(iri string) (*NoteRecord, error) {
	return getRecord[NoteRecord](t, &noteFamily, iri)
}

// DeleteNote removes the note with the given IRI and its index entries, or
// returns an error wrapping ErrNotFound.
func (t *Tx) DeleteNote(iri string) error {
	r, err := t.Note(iri)
	if err != nil {
		return err
	}
	return t.deleteEntry(&noteFamily, noteEntry(r))
}

// ListAlerts returns one page of the alerts matching f, newest Seq first,
// and the cursor for the next page (f.MaxSeq = next): the Seq of the last
// alert returned when the page is full, "" when no alert is left. (A full
// last page still returns a cursor, whose page is then empty.)
func (t *Tx) ListAlerts(f AlertFilter) ([]*AlertRecord, string, error) {
	q, err := f.query()
	if err != nil {
		return nil, "", err
	}
	return listPage[AlertRecord](t, &alertFamily, q)
}

// ListNotes returns one page of the notes matching f, as ListAlerts does.
func (t *Tx) ListNotes(f NoteFilter) ([]*NoteRecord, string, error) {
	q, err := f.query()
	if err != nil {
		return nil, "", err
	}
	return listPage[NoteRecord](t, &noteFamily, q)
}

// AlertsDueToExpire returns up to limit alerts (all when limit <= 0) that
// are active or updated, whose Expires is at or before now and whose
// ExpiredAt is not set, soonest expiry first. The expiry scheduler handles
// each and stores it with ExpiredAt set (or a new status), which removes it
// from this list.
func (t *Tx) AlertsDueToExpire(now time.Time, limit int) ([]*AlertRecord, error) {
	exp, err := bucket(t.tx, bucketAlertsByExpiry)
	if err != nil {
		return nil, err
	}
	b, err := bucket(t.tx, bucketAlerts)
	if err != nil {
		return nil, err
	}
	bound := expirySeconds(now)
	var out []*AlertRecord
	c := exp.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], bound[:]) <= 0; k, _ = c.Next() {
		r, err := getJSON[AlertRecord](b, k[8:])
		if err != nil {
			return nil, fmt.Errorf("alerts_by_expiry names alert %s: %w (index damaged)", k[8:], err)
		}
		if r.Alert.Expires.After(now) {
			continue // later within the same second
		}
		out = append(out, r)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// Alert returns the alert with the given IRI, or an error wrapping
// ErrNotFound.
func (db *DB) Alert(ctx context.Context, iri string) (*AlertRecord, error) {
	return viewValue(ctx, db, func(t *Tx) (*AlertRecord, error) { return t.Alert(iri) })
}

// Note returns the note with the given IRI, or an error wrapping
// ErrNotFound.
func (db *DB) Note(ctx context.Context, iri string) (*NoteRecord, error) {
	return viewValue(ctx, db, func(t *Tx) (*NoteRecord, error) { return t.Note(iri) })
}

// ListAlerts is Tx.ListAlerts in its own read transaction.
func (db *DB) ListAlerts(ctx context.Context, f AlertFilter) (recs []*AlertRecord, next string, err error) {
	err = db.View(ctx, func(t *Tx) error {
		recs, next, err = t.ListAlerts(f)
		return err
	})
	return recs, next, err
}

// ListNotes is Tx.ListNotes in its own read transaction.
func (db *DB) ListNotes(ctx context.Context, f NoteFilter) (recs []*NoteRecord, next string, err error) {
	err = db.View(ctx, func(t *Tx) error {
		recs, next, err = t.ListNotes(f)
		return err
	})
	return recs, next, err
}

// AlertsDueToExpire is Tx.AlertsDueToExpire in its own read transaction.
func (db *DB) AlertsDueToExpire(ctx context.Context, now time.Time, limit int) (recs []*AlertRecord, err error) {
	err = db.View(ctx, func(t *Tx) error {
		recs, err = t.AlertsDueToExpire(now, limit)
		return err
	})
	return recs, err
}

func alertEntry(r *AlertRecord) *entry {
	a := &r.Alert
	fields := make([][]string, alertFieldCount)
	fields[alertCountry] = distinct(a.Countries)
	fields[alertCategory] = []string{string(a.Category)}
	fields[alertSeverity] = []string{string(a.Severity)}
	fields[alertStatus] = []string{string(a.Status)}
	fields[alertTLP] = []string{a.TLP.String()}
	fields[alertModeration] = []string{r.Moderation}
	fields[alertOrigin] = []string{originOf(r.Local)}
	return &entry{iri: r.IRI, seq: r.Seq, published: a.Published, fields: fields}
}

func noteEntry(r *NoteRecord) *entry {
	n := &r.Note
	fields := make([][]string, noteFieldCount)
	fields[noteCountry] = distinct(n.Countries)
	fields[noteTopic] = distinct(lowerAll(n.Topics))
	fields[noteModeration] = []string{r.Moderation}
	fields[noteOrigin] = []string{originOf(r.Local)}
	return &entry{iri: r.IRI, seq: r.Seq, published: n.Published, fields: fields}
}

func originOf(local bool) string {
	if local {
		return OriginLocal
	}
	return OriginPeer
}

// expiryKey returns r's alerts_by_expiry key, or nil when r (which may be
// nil) does not belong in the index.
func expiryKey(r *AlertRecord) []byte {
	if r == nil || r.Alert.Expires.IsZero() || !r.ExpiredAt.IsZero() ||
		(r.Alert.Status != alert.StatusActive && r.Alert.Status != alert.StatusUpdated) {
		return nil
	}
	s := expirySeconds(r.Alert.Expires)
	return append(s[:], r.IRI...)
}

func expirySeconds(t time.Time) [8]byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(t.Unix())^(1<<63))
	return k
}

// getRecord reads one record of fam by IRI.
func getRecord[T any](t *Tx, fam *family, iri string) (*T, error) {
	b, err := bucket(t.tx, fam.records)
	if err != nil {
		return nil, err
	}
	r, err := getJSON[T](b, []byte(iri))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", fam.what, iri, err)
	}
	return r, nil
}

// putRecord stores rec, a record of fam described by next, replacing the
// summary and index entries of old (nil for a new record). Its Seq is old's,
// or for a new record next.seq when that is a valid unused ULID, or a new
// ID; stamp sets it (and the other stored-by-us fields) in rec before rec is
// encoded. Nothing is written when rec does not encode.
func (t *Tx) putRecord(fam *family, old, next *entry, stamp func(seq string), rec any) error {
	if next.iri == "" {
		return tocsin.Errorf(tocsin.EINVALID, "%s: the IRI is required", fam.what)
	}
	for i, vals := range next.fields {
		for _, v := range vals {
			if strings.IndexByte(v, 0) >= 0 {
				return tocsin.Errorf(tocsin.EINVALID, "%s %s: %s value %q contains a NUL byte",
					fam.what, next.iri, fam.fields[i], v)
			}
		}
	}
	seqB, err := bucket(t.tx, fam.bySeq)
	if err != nil {
		return err
	}
	switch {
	case old != nil:
		next.seq = old.seq
	case next.seq == "":
		next.seq = t.db.NewID()
	default:
		if _, err := ulid.ParseStrict(next.seq); err != nil {
			return tocsin.Errorf(tocsin.EINVALID, "%s %s: seq %q is not a ULID", fam.what, next.iri, next.seq)
		}
		if seqB.Get([]byte(next.seq)) != nil {
			return fmt.Errorf("%s %s: seq %s is taken: %w", fam.what, next.iri, next.seq, ErrConflict)
		}
	}
	stamp(next.seq)
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("%s %s: encode: %w", fam.what, next.iri, err)
	}

	codes, err := bucket(t.tx, bucketListingCodes)
	if err != nil {
		return err
	}
	counts, err := bucket(t.tx, bucketListingCounts)
	if err != nil {
		return err
	}
	sum, err := summarize(codes, fam, next, true)
	if err != nil {
		return err
	}
	var oldSum []byte
	if old != nil {
		if oldSum, err = summarize(codes, fam, old, true); err != nil {
			return err
		}
	} else if err := addCount(counts, fam.bySeq, 1); err != nil {
		return err
	}
	for i, name := range fam.fields {
		var was []string
		if old != nil {
			was = old.fields[i]
		}
		ib, err := bucket(t.tx, name)
		if err != nil {
			return err
		}
		for _, v := range was {
			if !slices.Contains(next.fields[i], v) {
				if err := unindex(ib, counts, name, v, next.seq); err != nil {
					return err
				}
			}
		}
		for _, v := range next.fields[i] {
			isNew := !slices.Contains(was, v)
			if isNew {
				if err := addCount(counts, countKey(name, v), 1); err != nil {
					return err
				}
			}
			if isNew || !bytes.Equal(sum, oldSum) {
				if err := ib.Put(postingKey(v, next.seq), sum); err != nil {
					return err
				}
			}
		}
	}
	if err := seqB.Put([]byte(next.seq), append(sum, next.iri...)); err != nil {
		return err
	}
	b, err := bucket(t.tx, fam.records)
	if err != nil {
		return err
	}
	return b.Put([]byte(next.iri), data)
}

// deleteEntry removes a record with its summary and index entries.
func (t *Tx) deleteEntry(fam *family, e *entry) error {
	counts, err := bucket(t.tx, bucketListingCounts)
	if err != nil {
		return err
	}
	for i, name := range fam.fields {
		ib, err := bucket(t.tx, name)
		if err != nil {
			return err
		}
		for _, v := range e.fields[i] {
			if err := unindex(ib, counts, name, v, e.seq); err != nil {
				return err
			}
		}
	}
	if err := addCount(counts, fam.bySeq, -1); err != nil {
		return err
	}
	seqB, err := bucket(t.tx, fam.bySeq)
	if err != nil {
		return err
	}
	if err := seqB.Delete([]byte(e.seq)); err != nil {
		return err
	}
	b, err := bucket(t.tx, fam.records)
	if err != nil {
		return err
	}
	return b.Delete([]byte(e.iri))
}

func unindex(ib, counts *bolt.Bucket, name []byte, v, seq string) error {
	if err := ib.Delete(postingKey(v, seq)); err != nil {
		return err
	}
	return addCount(counts, countKey(name, v), -1)
}

func postingKey(v, seq string) []byte {
	k := make([]byte, 0, len(v)+1+len(seq))
	k = append(k, v...)
	k = append(k, 0)
	return append(k, seq...)
}

// countKey is the listing_counts and listing_codes key of one index value.
func countKey(index []byte, v string) []byte {
	k := make([]byte, 0, len(index)+1+len(v))
	k = append(k, index...)
	k = append(k, 0)
	return append(k, v...)
}

func addCount(counts *bolt.Bucket, key []byte, delta int64) error {
	n := readCount(counts, key) + delta
	if n <= 0 {
		return counts.Delete(key)
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(n))
	return counts.Put(key, v[:])
}

func readCount(counts *bolt.Bucket, key []byte) int64 {
	v := counts.Get(key)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// codeOf returns the code of value v of the field indexed in bucket index,
// or 0 when it has none and assign is false. Codes are given in turn from 1
// and never reused or changed.
func codeOf(codes *bolt.Bucket, index []byte, v string, assign bool) (uint64, error) {
	key := countKey(index, v)
	if c, n := binary.Uvarint(codes.Get(key)); n > 0 {
		return c, nil
	}
	if !assign {
		return 0, nil
	}
	last, _ := binary.Uvarint(codes.Get(index))
	c := binary.AppendUvarint(nil, last+1)
	if err := codes.Put(index, c); err != nil {
		return 0, err
	}
	return last + 1, codes.Put(key, c)
}

const summaryFormat = 1

// summarize encodes e's summary (without the IRI), giving codes to values
// seen for the first time when assign is set.
func summarize(codes *bolt.Bucket, fam *family, e *entry, assign bool) ([]byte, error) {
	out := make([]byte, 10, 16+2*len(e.fields)+len(e.iri))
	out[0] = summaryFormat
	if !e.published.IsZero() {
		out[1] = 1
		binary.BigEndian.PutUint64(out[2:], uint64(unixNanos(e.published)))
	}
	for i, vals := range e.fields {
		out = binary.AppendUvarint(out, uint64(len(vals)))
		for _, v := range vals {
			c, err := codeOf(codes, fam.fields[i], v, assign)
			if err != nil {
				return nil, err
			}
			out = binary.AppendUvarint(out, c)
		}
	}
	return out, nil
}

// unixNanos is t in unix nanoseconds, clamped to the int64 range.
func unixNanos(t time.Time) int64 {
	switch s := t.Unix(); {
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var errSummary = errors.New("summary damaged")

// listQuery is a filter in the form the listing engine runs, the same for
// every family.
type listQuery struct {
	sets         [][]string // per family field: the values that match; nil matches any
	codes        [][]uint64 // sets in codes (listing_codes), set by list
	since, until int64      // unix nanoseconds
	hasSince     bool
	hasUntil     bool
	limit        int
	maxSeq       string
}

// newQuery sets up what every family's filter has but its field sets.
func newQuery(fields int, since, until time.Time, limit int, maxSeq string) listQuery {
	q := listQuery{sets: make([][]string, fields), limit: limit, maxSeq: maxSeq}
	switch {
	case q.limit <= 0:
		q.limit = DefaultListLimit
	case q.limit > MaxListLimit:
		q.limit = MaxListLimit
	}
	if !since.IsZero() {
		q.since, q.hasSince = unixNanos(since), true
	}
	if !until.IsZero() {
		q.until, q.hasUntil = unixNanos(until), true
	}
	return q
}

func (f AlertFilter) query() (listQuery, error) {
	q := newQuery(alertFieldCount, f.Since, f.Until, f.Limit, f.MaxSeq)
	q.sets[alertCountry] = distinct(f.Countries)
	q.sets[alertCategory] = distinct(f.Categories)
	q.sets[alertSeverity] = distinct(f.Severities)
	q.sets[alertStatus] = distinct(f.Statuses)
	if len(f.TLPs) > 0 {
		names := make([]string, len(f.TLPs))
		for i, l := range f.TLPs {
			names[i] = l.String()
		}
		q.sets[alertTLP] = distinct(names)
	}
	q.sets[alertModeration] = moderationSet(f.Moderation)
	var err error
	q.sets[alertOrigin], err = originSet(f.Origin)
	return q, err
}

func (f NoteFilter) query() (listQuery, error) {
	q := newQuery(noteFieldCount, f.Since, f.Until, f.Limit, f.MaxSeq)
	q.sets[noteCountry] = distinct(f.Countries)
	q.sets[noteTopic] = distinct(lowerAll(f.Topics))
	q.sets[noteModeration] = moderationSet(f.Moderation)
	var err error
	q.sets[noteOrigin], err = originSet(f.Origin)
	return q, err
}

func moderationSet(states []string) []string {
	if len(states) == 0 {
		return []string{ModVisible}
	}
	return distinct(states)
}

func originSet(origin string) ([]string, error) {
	switch origin {
	case "":
		return nil, nil
	case OriginLocal, OriginPeer:
		return []string{origin}, nil
	}
	return nil, tocsin.Errorf(tocsin.EINVALID, "unknown origin %q: want %q, %q or none", origin, OriginLocal, OriginPeer)
}

// match reports whether the summary at the start of v satisfies q, and
// returns the offset where the summary ends (in *_by_seq, the IRI follows).
// q.codes must be set.
func (q *listQuery) match(v []byte) (end int, ok bool, err error) {
	if len(v) < 10 || v[0] != summaryFormat {
		return 0, false, errSummary
	}
	if q.hasSince || q.hasUntil {
		if v[1]&1 == 0 {
			return 0, false, nil
		}
		p := int64(binary.BigEndian.Uint64(v[2:10]))
		if (q.hasSince && p < q.since) || (q.hasUntil && p >= q.until) {
			return 0, false, nil
		}
	}
	off := 10
	for _, want := range q.codes {
		n, w := binary.Uvarint(v[off:])
		if w <= 0 {
			return 0, false, errSummary
		}
		off += w
		found := want == nil
		for ; n > 0; n-- {
			c, w := binary.Uvarint(v[off:])
			if w <= 0 {
				return 0, false, errSummary
			}
			off += w
			found = found || slices.Contains(want, c)
		}
		if !found {
			return 0, false, nil
		}
	}
	return off, true, nil
}

// listPage runs q over fam and decodes the page it selects.
func listPage[T any](t *Tx, fam *family, q listQuery) ([]*T, string, error) {
	iris, next, err := t.list(fam, q)
	if err != nil {
		return nil, "", err
	}
	b, err := bucket(t.tx, fam.records)
	if err != nil {
		return nil, "", err
	}
	out := make([]*T, 0, len(iris))
	for _, iri := range iris {
		r, err := getJSON[T](b, []byte(iri))
		if err != nil {
			return nil, "", fmt.Errorf("%s_by_seq names %s %s: %w (index damaged)", fam.what+"s", fam.what, iri, err)
		}
		out = append(out, r)
	}
	return out, next, nil
}

// list returns the IRIs of the page q selects, newest first, and the cursor
// of the next page.
func (t *Tx) list(fam *family, q listQuery) (iris []string, next string, err error) {
	if q.hasSince && q.hasUntil && q.until <= q.since {
		return nil, "", nil
	}
	seqB, err := bucket(t.tx, fam.bySeq)
	if err != nil {
		return nil, "", err
	}
	codes, err := bucket(t.tx, bucketListingCodes)
	if err != nil {
		return nil, "", err
	}
	counts, err := bucket(t.tx, bucketListingCounts)
	if err != nil {
		return nil, "", err
	}
	// Translate the filter to codes, and pick the shortest scan.
	driver, shortest := -1, readCount(counts, fam.bySeq)
	q.codes = make([][]uint64, len(q.sets))
	for i, set := range q.sets {
		if set == nil {
			continue
		}
		var n int64
		for _, v := range set {
			c, err := codeOf(codes, fam.fields[i], v, false)
			if err != nil {
				return nil, "", err
			}
			if c != 0 {
				q.codes[i] = append(q.codes[i], c)
				n += readCount(counts, countKey(fam.fields[i], v))
			}
		}
		if q.codes[i] == nil {
			return nil, "", nil // no record was ever stored with any of these values
		}
		if n < shortest {
			driver, shortest = i, n
		}
	}

	var lastSeq []byte
	// take adds a matching record to the page and reports whether it is full.
	take := func(seq, iri []byte) bool {
		iris = append(iris, string(iri))
		lastSeq = seq
		return len(iris) == q.limit
	}

	if driver < 0 {
		c := seqB.Cursor()
		for k, v := seekBefore(c, []byte(q.maxSeq)); k != nil; k, v = c.Prev() {
			end, ok, err := q.match(v)
			if err != nil {
				return nil, "", fmt.Errorf("%s %s: %w", fam.bySeq, k, err)
			}
			if ok && take(k, v[end:]) {
				return iris, string(lastSeq), nil
			}
		}
		return iris, "", nil
	}

	ib, err := bucket(t.tx, fam.fields[driver])
	if err != nil {
		return nil, "", err
	}
	var lists []*posting
	for _, v := range q.sets[driver] {
		if p := newPosting(ib, v, q.maxSeq); p.key != nil {
			lists = append(lists, p)
		}
	}
	var prev []byte
	for {
		// Merge the posting lists, newest first; a record in several of
		// them (two of the countries asked for) comes up once per list, in
		// a row, and is checked once.
		var top *posting
		for _, p := range lists {
			if p.key != nil && (top == nil || bytes.Compare(p.seq(), top.seq()) > 0) {
				top = p
			}
		}
		if top == nil {
			return iris, "", nil
		}
		if seq := top.seq(); !bytes.Equal(seq, prev) {
			prev = seq
			_, ok, err := q.match(top.value)
			if err != nil {
				return nil, "", fmt.Errorf("%s %q: %w", fam.fields[driver], top.key, err)
			}
			if ok {
				// The posting's value is the summary; in *_by_seq the IRI
				// follows it.
				v := seqB.Get(seq)
				if !bytes.HasPrefix(v, top.value) {
					return nil, "", fmt.Errorf("%s %q disagrees with %s (index damaged)", fam.fields[driver], top.key, fam.bySeq)
				}
				if take(seq, v[len(top.value):]) {
					return iris, string(lastSeq), nil
				}
			}
		}
		top.prev()
	}
}

// seekBefore positions c at the last key strictly less than bound (the last
// key of all when bound is empty) and returns it.
func seekBefore(c *bolt.Cursor, bound []byte) (k, v []byte) {
	if len(bound) == 0 {
		return c.Last()
	}
	if k, _ := c.Seek(bound); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// posting walks one posting list (one index value) backwards.
type posting struct {
	c      *bolt.Cursor
	prefix []byte
	key    []byte // current key; nil when done
	value  []byte // current value: the record's summary
}

func newPosting(ib *bolt.Bucket, v, maxSeq string) *posting {
	p := &posting{c: ib.Cursor(), prefix: postingKey(v, "")}
	bound := postingKey(v, maxSeq)
	if maxSeq == "" {
		bound[len(bound)-1] = 1 // just past the whole list
	}
	p.key, p.value = seekBefore(p.c, bound)
	p.check()
	return p
}

func (p *posting) seq() []byte { return p.key[len(p.prefix):] }

func (p *posting) prev() {
	p.key, p.value = p.c.Prev()
	p.check()
}

func (p *posting) check() {
	if p.key != nil && !bytes.HasPrefix(p.key, p.prefix) {
		p.key = nil
	}
}

// distinct returns list without repeats (first of each kept), or nil when
// it is empty.
func distinct(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func lowerAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}

// bySeq returns the IRI a family's record with the given Seq has, or
// ErrNotFound (the API addresses alerts and notes by their Seq).
func (t *Tx) bySeq(fam *family, seq string) (string, error) {
	b, err := bucket(t.tx, fam.bySeq)
	if err != nil {
		return "", err
	}
	v := b.Get([]byte(seq))
	if v == nil {
		return "", fmt.Errorf("%s %s: %w", fam.what, seq, ErrNotFound)
	}
	if len(v) < 10 || v[0] != summaryFormat {
		return "", errSummary
	}
	off := 10
	for range fam.fields {
		n, w := binary.Uvarint(v[off:])
		if w <= 0 {
			return "", errSummary
		}
		off += w
		for ; n > 0; n-- {
			if _, w = binary.Uvarint(v[off:]); w <= 0 {
				return "", errSummary
			}
			off += w
		}
	}
	return string(v[off:]), nil
}

// AlertBySeq returns the alert with the given Seq, or ErrNotFound.
func (db *DB) AlertBySeq(ctx context.Context, seq string) (*AlertRecord, error) {
	var r *AlertRecord
	err := db.View(ctx, func(t *Tx) error {
		iri, err := t.bySeq(&alertFamily, seq)
		if err != nil {
			return err
		}
		r, err = t.Alert(iri)
		return err
	})
	return r, err
}

// NoteBySeq returns the note with the given Seq, or ErrNotFound.
func (db *DB) NoteBySeq(ctx context.Context, seq string) (*NoteRecord, error) {
	var r *NoteRecord
	err := db.View(ctx, func(t *Tx) error {
		iri, err := t.bySeq(&noteFamily, seq)
		if err != nil {
			return err
		}
		r, err = t.Note(iri)
		return err
	})
	return r, err
}
