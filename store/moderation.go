package store

// Moderation: trust levels per remote domain and actor, the review queue,
// rejections, content rules and the append-only audit log.
//
// Buckets:
//   domain_trust    host -> JSON Trust
//   actor_trust     actor IRI -> JSON Trust
//   review_queue    object Seq (ULID) -> object IRI: inbound objects held for
//                   a moderator, oldest first; PutObject keeps it in step with
//                   Object.Moderation
//   rejections      object IRI -> JSON Rejection (the object itself is removed)
//   mod_rules       rule ID (ULID) -> JSON Rule
//   audit_log       8-byte big-endian sequence -> JSON AuditEntry. Append only:
//                   no method changes or deletes an entry.

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

var (
	bucketDomainTrust = []byte("domain_trust")
	bucketActorTrust  = []byte("actor_trust")
	bucketReviewQueue = []byte("review_queue")
	bucketRejections  = []byte("rejections")
	bucketModRules    = []byte("mod_rules")
	bucketAuditLog    = []byte("audit_log")
)

// Trust levels of a remote domain or actor.
const (
	TrustTrusted = "trusted" // visible at once
	TrustReview  = "review"  // held for a moderator
	TrustLimited = "limited" // visible only to those who follow the author
	TrustBlocked = "blocked" // refused at the inbox, nothing stored
)

// Trust is an admin's decision about a remote domain or actor.
type Trust struct {
	Subject   string    `json:"subject"` // host, or actor IRI
	Level     string    `json:"level"`
	Reason    string    `json:"reason,omitempty"` // public (shared trust lists may publish it)
	Note      string    `json:"note,omitempty"`   // private to moderators
	Source    string    `json:"source,omitempty"` // "" local, else the trust list subscription's ID
	By        string    `json:"by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Rejection records a moderator's refusal of a held object.
type Rejection struct {
	IRI    string    `json:"iri"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Rule sends matching inbound posts from any origin to review.
type Rule struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // "keyword" or "link"
	Pattern   string    `json:"pattern"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditEntry is one moderation or admin action: who, what, target, when,
// why.
type AuditEntry struct {
	Seq     uint64    `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`  // who acted: a username, "cli", or "system"
	Action  string    `json:"action"` // e.g. "domain.block", "review.approve"
	Target  string    `json:"target"`
	Reason  string    `json:"reason,omitempty"`
	Details string    `json:"details,omitempty"`
}

func trustBucket(domain bool) []byte {
	if domain {
		return bucketDomainTrust
	}
	return bucketActorTrust
}

func trustKey(subject string, domain bool) []byte {
	if domain {
		return []byte(strings.ToLower(subject))
	}
	return []byte(subject)
}

// PutTrust stores a decision about a domain (domain=true) or actor.
func (t *Tx) PutTrust(tr *Trust, domain bool) error {
	b, err := bucket(t.tx, trustBucket(domain))
	if err != nil {
		return err
	}
	return putJSON(b, trustKey(tr.Subject, domain), tr)
}

// DeleteTrust removes a decision (the default applies again).
func (t *Tx) DeleteTrust(subject string, domain bool) error {
	b, err := bucket(t.tx, trustBucket(domain))
	if err != nil {
		return err
	}
	return b.Delete(trustKey(subject, domain))
}

// Trust returns the decision about a domain or actor, or ErrNotFound.
func (t *Tx) Trust(subject string, domain bool) (*Trust, error) {
	b, err := bucket(t.tx, trustBucket(domain))
	if err != nil {
		return nil, err
	}
	tr, err := getJSON[Trust](b, trustKey(subject, domain))
	if err == ErrNotFound {
		return nil, fmt.Errorf("trust of %s: %w", subject, ErrNotFound)
	}
	return tr, err
}

// Trust returns the decision about a domain or actor, or ErrNotFound.
func (db *DB) Trust(ctx context.Context, subject string, domain bool) (*Trust, error) {
	return viewValue(ctx, db, func(t *Tx) (*Trust, error) { return t.Trust(subject, domain) })
}

// Trusts lists the decisions about domains (domain=true) or actors.
func (db *DB) Trusts(ctx context.Context, domain bool) ([]*Trust, error) {
	var out []*Trust
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, trustBucket(domain))
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			tr, err := getJSON[Trust](b, k)
			if err != nil {
				return err
			}
			out = append(out, tr)
			return nil
		})
	})
	return out, err
}

// syncReviewQueue keeps review_queue in step with an object's moderation
// state (called by PutObject and RemoveObject).
func (t *Tx) syncReviewQueue(o *Object, removed bool) error {
	b, err := bucket(t.tx, bucketReviewQueue)
	if err != nil {
		return err
	}
	if !removed && o.Moderation == ModPending && o.Deleted.IsZero() {
		return b.Put([]byte(o.Seq), []byte(o.IRI))
	}
	return b.Delete([]byte(o.Seq))
}

// ReviewQueue returns the IRIs of held objects, oldest first, after the
// cursor (an object Seq; "" from the start).
func (db *DB) ReviewQueue(ctx context.Context, after string, limit int) ([]*Object, error) {
	var out []*Object
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketReviewQueue)
		if err != nil {
			return err
		}
		c := b.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			o, err := t.Object(string(v))
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// PutRejection records a rejected object.
func (t *Tx) PutRejection(r *Rejection) error {
	b, err := bucket(t.tx, bucketRejections)
	if err != nil {
		return err
	}
	return putJSON(b, []byte(r.IRI), r)
}

// Rejection returns the rejection of an object, or ErrNotFound.
func (db *DB) Rejection(ctx context.Context, iri string) (*Rejection, error) {
	var r *Rejection
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketRejections)
		if err != nil {
			return err
		}
		r, err = getJSON[Rejection](b, []byte(iri))
		if err == ErrNotFound {
			return fmt.Errorf("rejection of %s: %w", iri, ErrNotFound)
		}
		return err
	})
	return r, err
}

// PutRule stores a content rule, assigning its ID when empty.
func (t *Tx) PutRule(r *Rule) error {
	b, err := bucket(t.tx, bucketModRules)
	if err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = t.db.NewID()
	}
	return putJSON(b, []byte(r.ID), r)
}

// DeleteRule removes a content rule.
func (t *Tx) DeleteRule(id string) error {
	b, err := bucket(t.tx, bucketModRules)
	if err != nil {
		return err
	}
	if b.Get([]byte(id)) == nil {
		return fmt.Errorf("rule %s: %w", id, ErrNotFound)
	}
	return b.Delete([]byte(id))
}

// Rules lists the content rules.
func (db *DB) Rules(ctx context.Context) ([]*Rule, error) {
	var out []*Rule
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketModRules)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			r, err := getJSON[Rule](b, k)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// AppendAudit appends an entry to the audit log, in the transaction of the
// action it records (so an action and its record commit together).
func (t *Tx) AppendAudit(e *AuditEntry) error {
	b, err := bucket(t.tx, bucketAuditLog)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return putJSON(b, k[:], e)
}

// AuditFilter selects audit entries; empty fields do not filter.
type AuditFilter struct {
	Actor, Action, Target string
	Before                uint64 // only entries with a smaller Seq; 0 = from the newest
	Limit                 int
}

// AuditLog returns entries newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var out []*AuditEntry
	err := db.View(ctx, func(t *Tx) error {
		b, err := bucket(t.tx, bucketAuditLog)
		if err != nil {
			return err
		}
		c := b.Cursor()
		k, _ := c.Last()
		if f.Before > 0 {
			var bk [8]byte
			binary.BigEndian.PutUint64(bk[:], f.Before)
			c.Seek(bk[:])
			k, _ = c.Prev()
		}
		for ; k != nil && len(out) < f.Limit; k, _ = c.Prev() {
			e, err := getJSON[AuditEntry](b, k)
			if err != nil {
				return err
			}
			if (f.Actor == "" || e.Actor == f.Actor) && (f.Action == "" || strings.HasPrefix(e.Action, f.Action)) &&
				(f.Target == "" || strings.Contains(e.Target, f.Target)) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}
