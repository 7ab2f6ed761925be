package store

// The outbound delivery queue: one job per (activity, target inbox), the body
// stored once per activity, dead letters, and per-peer health.
//
// Buckets (created by migration 3):
//
//	deliveries        key: job ID (ULID from NewID, 26 chars)
//	                  value: JSON Delivery
//	deliveries_due    key: 8-byte big-endian NextAttempt (unix nanoseconds) + job ID
//	                  value: the job's Host
//	                  order: by next attempt, then by ID (enqueue order), so the
//	                  jobs due at time T are a scan from the first key up to T
//	delivery_bodies   key: body ID (ULID)   value: the body bytes, as posted
//	delivery_refs     key: body ID          value: 8-byte big-endian count of
//	                  queued jobs still needing the body
//	deliveries_dead   key: job ID           value: JSON DeadDelivery
//	peer_health       key: Host (lowercase host[:port], default port dropped)
//	                  value: JSON PeerHealth
//
// Invariants, kept by every method below in the same transaction as the job
// record: each job in deliveries has exactly one deliveries_due entry, whose
// time is its NextAttempt; each job's body is in delivery_bodies and its
// delivery_refs count equals the number of queued jobs naming it (body and
// count are deleted together when it reaches zero: dead letters do not hold a
// body); PeerHealth.Backlog equals the number of queued jobs for the host.
//
// Claims (a job being posted right now) are not stored: a worker's claim is
// memory only, so after a crash the job is simply due again (at-least-once;
// peers deduplicate by activity id).

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketDeliveries     = []byte("deliveries")
	bucketDeliveriesDue  = []byte("deliveries_due")
	bucketDeliveryBodies = []byte("delivery_bodies")
	bucketDeliveryRefs   = []byte("delivery_refs")
	bucketDeliveriesDead = []byte("deliveries_dead")
	bucketPeerHealth     = []byte("peer_health")
)

// maxDeliveryError bounds the error text kept with a job or a peer: enough to
// act on, never a whole response body.
const maxDeliveryError = 512

// Delivery is one queued job: post the body BodyID to Inbox, signed as
// SignerID. The JSON tags define the stored format.
type Delivery struct {
	ID    string `json:"id"`
	Inbox string `json:"inbox"`
	// Host is Inbox's host, lowercase, with the scheme's default port
	// dropped: the key of its PeerHealth and of per-host limits.
	Host   string `json:"host"`
	BodyID string `json:"body_id"`
	// SignerID names the key to sign with: a local account ID, or "instance"
	// for the instance actor. The key is looked up at each attempt, so a
	// rotated key is used at once.
	SignerID string `json:"signer_id"`
	// ActivityID is the IRI of the activity posted, for logs and admins
	// (optional).
	ActivityID  string    `json:"activity_id,omitempty"`
	Attempts    int       `json:"attempts"` // attempts made so far
	NextAttempt time.Time `json:"next_attempt"`
	CreatedAt   time.Time `json:"created_at"`
	LastError   string    `json:"last_error,omitempty"`
}

// DeadDelivery is a job given up on: permanently refused by the peer, or
// still failing when its retry time ran out. Its body is not kept (the
// activity itself is in the activities bucket).
type DeadDelivery struct {
	Delivery
	DeadAt time.Time `json:"dead_at"`
}

// DeliveryBatch is one activity to post to many inboxes.
type DeliveryBatch struct {
	Body       []byte // the exact bytes to post
	SignerID   string // local account ID, or "instance"
	ActivityID string // optional, for logs and dead letters
	// Inboxes are absolute http(s) URLs. Duplicates (after lowercasing the
	// scheme and host and dropping a default port) are queued once.
	Inboxes []string
}

// PeerHealth is what the delivery queue knows about one peer host, for
// admins (`tocsin peer list`) and the delivery workers' logs.
type PeerHealth struct {
	Host        string    `json:"host"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// ConsecutiveFailures counts failed attempts since the last delivery
	// that succeeded (dead-lettering attempts included).
	ConsecutiveFailures int `json:"consecutive_failures"`
	// Backlog is the exact number of jobs queued for the host.
	Backlog   int   `json:"backlog"`
	Delivered int64 `json:"delivered"` // jobs delivered
	Failed    int64 `json:"failed"`    // failed attempts (retried or dead-lettered)
	Dead      int64 `json:"dead"`      // jobs dead-lettered
}

// Deferral pauses one host's due jobs (a circuit breaker is open for it).
type Deferral struct {
	Host string
	// Jobs for Host due at Now move to Until, without counting an attempt.
	Now, Until time.Time
	// Jobs created before GiveUpBefore are dead-lettered instead, with
	// Reason as their last error. Zero: none are.
	GiveUpBefore time.Time
	Reason       string
}

type deliveryBuckets struct{ jobs, due, bodies, refs, dead, health *bolt.Bucket }

func openDeliveryBuckets(tx *bolt.Tx) (deliveryBuckets, error) {
	var bs deliveryBuckets
	for _, x := range []struct {
		b    **bolt.Bucket
		name []byte
	}{
		{&bs.jobs, bucketDeliveries}, {&bs.due, bucketDeliveriesDue},
		{&bs.bodies, bucketDeliveryBodies}, {&bs.refs, bucketDeliveryRefs},
		{&bs.dead, bucketDeliveriesDead}, {&bs.health, bucketPeerHealth},
	} {
		b, err := bucket(tx, x.name)
		if err != nil {
			return bs, err
		}
		*x.b = b
	}
	return bs, nil
}

// dueKey is the deliveries_due key of a job due at t.
func dueKey(t time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(max(t.UnixNano(), 0)))
	return append(k, id...)
}

// EnqueueDeliveries queues b (one job per distinct inbox, the body stored
// once) in its own transaction and returns the number of jobs queued. See
// Tx.EnqueueDeliveries to queue in the transaction that stores the activity.
func (db *DB) EnqueueDeliveries(ctx context.Context, b DeliveryBatch) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = db.enqueueDeliveriesTx(tx, b, time.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue deliveries: %w", err)
	}
	return n, nil
}

// EnqueueDeliveries queues b within t: publishing stores the object, its
// outbox entry and its delivery jobs in one transaction, so either the
// author's post is stored and will be delivered, or neither. The jobs are
// due at once; the caller kicks the delivery workers after the commit.
func (t *Tx) EnqueueDeliveries(b DeliveryBatch) (int, error) {
	return t.db.enqueueDeliveriesTx(t.tx, b, time.Now())
}

// enqueueDeliveriesTx queues b in tx with CreatedAt and NextAttempt = now.
// An empty Inboxes list queues nothing and stores no body. An inbox that is
// not an absolute http(s) URL fails the whole batch (nothing is written, and
// the caller's transaction should be abandoned).
//
// Jobs are interleaved by host (the first inbox of each host, then the
// second...), so the due order spreads a fan-out across peers.
func (db *DB) enqueueDeliveriesTx(tx *bolt.Tx, b DeliveryBatch, now time.Time) (int, error) {
	if b.SignerID == "" {
		return 0, errors.New("delivery batch has no signer")
	}
	if len(b.Body) == 0 {
		return 0, errors.New("delivery batch has an empty body")
	}
	var hosts []string
	byHost := map[string][]string{}
	seen := make(map[string]struct{}, len(b.Inboxes))
	for _, raw := range b.Inboxes {
		inbox, host, err := normalizeInbox(raw)
		if err != nil {
			return 0, err
		}
		if _, dup := seen[inbox]; dup {
			continue
		}
		seen[inbox] = struct{}{}
		if _, ok := byHost[host]; !ok {
			hosts = append(hosts, host)
		}
		byHost[host] = append(byHost[host], inbox)
	}
	if len(seen) == 0 {
		return 0, nil
	}
	bs, err := openDeliveryBuckets(tx)
	if err != nil {
		return 0, err
	}
	bodyID := db.NewID()
	if err := bs.bodies.Put([]byte(bodyID), bytes.Clone(b.Body)); err != nil {
		return 0, err
	}
	if err := putCount(bs.refs, bodyID, uint64(len(seen))); err != nil {
		return 0, err
	}
	now = now.UTC()
	hostKey := map[string][]byte{}
	for _, h := range hosts {
		hostKey[h] = []byte(h)
	}
	for round := 0; ; round++ {
		queued := false
		for _, h := range hosts {
			if round >= len(byHost[h]) {
				continue
			}
			queued = true
			d := &Delivery{
				ID: db.NewID(), Inbox: byHost[h][round], Host: h, BodyID: bodyID,
				SignerID: b.SignerID, ActivityID: b.ActivityID,
				NextAttempt: now, CreatedAt: now,
			}
			if err := putJSON(bs.jobs, []byte(d.ID), d); err != nil {
				return 0, err
			}
			if err := bs.due.Put(dueKey(now, d.ID), hostKey[h]); err != nil {
				return 0, err
			}
		}
		if !queued {
			break
		}
	}
	for _, h := range hosts {
		n := len(byHost[h])
		if err := updateHealth(bs.health, h, func(p *PeerHealth) { p.Backlog += n }); err != nil {
			return 0, err
		}
	}
	return len(seen), nil
}

// normalizeInbox checks that raw is an absolute http(s) URL and returns it
// with scheme and host lowercased and a default port dropped, and its host.
func normalizeInbox(raw string) (inbox, host string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", "", fmt.Errorf("inbox %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", "", fmt.Errorf("inbox %q is not an absolute http(s) URL", raw)
	}
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (p == "443" && u.Scheme == "https") || (p == "80" && u.Scheme == "http") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Fragment = ""
	return u.String(), u.Host, nil
}

// DueDeliveries returns jobs due at now, in due order (earliest first, then
// enqueue order), at most limit of them (limit <= 0: no limit). skip, if not
// nil, is called with each due job's ID and Host in that order before the job
// is read; a job it skips is left out. Every job for which skip returns false
// is returned (so skip may count what it accepts), until limit is reached.
// skip runs inside a read transaction: it must not call the DB.
//
// next is the NextAttempt of the first job not yet due, when the scan
// reached it before limit; zero otherwise (no such job, or limit reached).
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int, skip func(id, host string) bool) (due []*Delivery, next time.Time, err error) {
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	nowKey := uint64(max(now.UnixNano(), 0))
	err = db.view(ctx, func(tx *bolt.Tx) error {
		due, next = nil, time.Time{}
		bs, err := openDeliveryBuckets(tx)
		if err != nil {
			return err
		}
		c := bs.due.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) <= 8 {
				return fmt.Errorf("malformed deliveries_due key %x", k)
			}
			if t := binary.BigEndian.Uint64(k[:8]); t > nowKey {
				next = time.Unix(0, int64(t)).UTC()
				return nil
			}
			if len(due) == limit {
				return nil
			}
			id := k[8:]
			if skip != nil && skip(string(id), string(v)) {
				continue
			}
			d, err := getJSON[Delivery](bs.jobs, id)
			if err != nil {
				return fmt.Errorf("delivery %s: %w", id, err)
			}
			due = append(due, d)
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: due deliveries: %w", err)
	}
	return due, next, nil
}

// Delivery returns the queued job with this ID, or an error wrapping
// ErrNotFound (delivered, dead-lettered, or never queued).
func (db *DB) Delivery(ctx context.Context, id string) (*Delivery, error) {
	var d *Delivery
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketDeliveries)
		if err != nil {
			return err
		}
		d, err = getJSON[Delivery](b, []byte(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: delivery %s: %w", id, err)
	}
	return d, nil
}

// DeliveryBody returns a copy of the body stored as bodyID, or an error
// wrapping ErrNotFound once no queued job needs it.
func (db *DB) DeliveryBody(ctx context.Context, bodyID string) ([]byte, error) {
	var body []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketDeliveryBodies)
		if err != nil {
			return err
		}
		v := b.Get([]byte(bodyID))
		if v == nil {
			return ErrNotFound
		}
		body = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: delivery body %s: %w", bodyID, err)
	}
	return body, nil
}

// CompleteDelivery records that job id was delivered at at: the job is
// removed, its body too if no other job needs it, and its peer's health
// records the success (backlog down by one, consecutive failures reset).
//
// Concurrent calls are group-committed (one fsync for many), so each call
// returns once durable but may wait a few milliseconds for its group. An
// unknown id is an error wrapping ErrNotFound.
func (db *DB) CompleteDelivery(ctx context.Context, id string, at time.Time) error {
	at = at.UTC()
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		bs, d, err := loadDelivery(tx, id)
		if err != nil {
			return err
		}
		if err := bs.remove(d); err != nil {
			return err
		}
		return updateHealth(bs.health, d.Host, func(p *PeerHealth) {
			p.Backlog--
			p.Delivered++
			p.LastSuccess = at
			p.ConsecutiveFailures = 0
		})
	})
	if err != nil {
		return fmt.Errorf("store: complete delivery %s: %w", id, err)
	}
	return nil
}

// RetryDelivery records a failed attempt of job id at at and reschedules it
// for next: Attempts+1, LastError errText, and a failure in its peer's
// health. Group-committed like CompleteDelivery. An unknown id is an error
// wrapping ErrNotFound.
func (db *DB) RetryDelivery(ctx context.Context, id string, at, next time.Time, errText string) error {
	at, next, errText = at.UTC(), next.UTC(), truncateError(errText)
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		bs, d, err := loadDelivery(tx, id)
		if err != nil {
			return err
		}
		if err := bs.due.Delete(dueKey(d.NextAttempt, d.ID)); err != nil {
			return err
		}
		d.Attempts++
		d.LastError = errText
		d.NextAttempt = next
		if err := putJSON(bs.jobs, []byte(d.ID), d); err != nil {
			return err
		}
		if err := bs.due.Put(dueKey(next, d.ID), []byte(d.Host)); err != nil {
			return err
		}
		return updateHealth(bs.health, d.Host, func(p *PeerHealth) {
			p.Failed++
			p.ConsecutiveFailures++
			p.LastError, p.LastErrorAt = errText, at
		})
	})
	if err != nil {
		return fmt.Errorf("store: retry delivery %s: %w", id, err)
	}
	return nil
}

// DeadLetterDelivery records a last failed attempt of job id at at and gives
// up on it: the job moves to deliveries_dead with Attempts+1 and LastError
// errText, its body is released, and its peer's health records the failure
// (backlog down by one). Group-committed like CompleteDelivery. An unknown
// id is an error wrapping ErrNotFound.
func (db *DB) DeadLetterDelivery(ctx context.Context, id string, at time.Time, errText string) error {
	at, errText = at.UTC(), truncateError(errText)
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		bs, d, err := loadDelivery(tx, id)
		if err != nil {
			return err
		}
		d.Attempts++
		if err := bs.bury(d, at, errText); err != nil {
			return err
		}
		return updateHealth(bs.health, d.Host, func(p *PeerHealth) {
			p.Failed++
			p.ConsecutiveFailures++
			p.LastError, p.LastErrorAt = errText, at
		})
	})
	if err != nil {
		return fmt.Errorf("store: dead-letter delivery %s: %w", id, err)
	}
	return nil
}

// DeferDeliveries applies f in one transaction: every job for f.Host due at
// f.Now is rescheduled to f.Until with no attempt counted, or dead-lettered
// (Attempts unchanged) if created before f.GiveUpBefore. It returns how many
// jobs moved each way.
func (db *DB) DeferDeliveries(ctx context.Context, f Deferral) (deferred, dead int, err error) {
	nowKey := uint64(max(f.Now.UnixNano(), 0))
	until, reason := f.Until.UTC(), truncateError(f.Reason)
	err = db.update(ctx, func(tx *bolt.Tx) error {
		deferred, dead = 0, 0
		bs, err := openDeliveryBuckets(tx)
		if err != nil {
			return err
		}
		var ids []string
		c := bs.due.Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k[:8]) <= nowKey; k, v = c.Next() {
			if string(v) == f.Host {
				ids = append(ids, string(k[8:]))
			}
		}
		for _, id := range ids {
			d, err := getJSON[Delivery](bs.jobs, []byte(id))
			if err != nil {
				return fmt.Errorf("delivery %s: %w", id, err)
			}
			if !f.GiveUpBefore.IsZero() && d.CreatedAt.Before(f.GiveUpBefore) {
				if err := bs.bury(d, f.Now.UTC(), reason); err != nil {
					return err
				}
				dead++
				continue
			}
			if err := bs.due.Delete(dueKey(d.NextAttempt, d.ID)); err != nil {
				return err
			}
			d.NextAttempt = until
			if err := putJSON(bs.jobs, []byte(d.ID), d); err != nil {
				return err
			}
			if err := bs.due.Put(dueKey(until, d.ID), []byte(d.Host)); err != nil {
				return err
			}
			deferred++
		}
		if dead == 0 {
			return nil
		}
		return updateHealth(bs.health, f.Host, func(p *PeerHealth) {
			p.LastError, p.LastErrorAt = reason, f.Now.UTC()
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: defer deliveries to %s: %w", f.Host, err)
	}
	return deferred, dead, nil
}

// DeadDeliveries returns up to limit dead letters (limit <= 0: all), most
// recently queued first.
func (db *DB) DeadDeliveries(ctx context.Context, limit int) ([]*DeadDelivery, error) {
	var out []*DeadDelivery
	err := db.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		b, err := bucket(tx, bucketDeliveriesDead)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			d, err := getJSON[DeadDelivery](b, k)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: dead deliveries: %w", err)
	}
	return out, nil
}

// PurgeDeadDeliveries deletes the dead letters that died before before and
// returns how many it deleted. Dead letters are kept until purged.
func (db *DB) PurgeDeadDeliveries(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b, err := bucket(tx, bucketDeliveriesDead)
		if err != nil {
			return err
		}
		var old [][]byte
		err = b.ForEach(func(k, _ []byte) error {
			d, err := getJSON[DeadDelivery](b, k)
			if err != nil {
				return err
			}
			if d.DeadAt.Before(before) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge dead deliveries: %w", err)
	}
	return n, nil
}

// PeerHealth returns the health of every peer host the queue has had jobs
// for, sorted by host.
func (db *DB) PeerHealth(ctx context.Context) ([]PeerHealth, error) {
	var out []PeerHealth
	err := db.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		b, err := bucket(tx, bucketPeerHealth)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			p, err := getJSON[PeerHealth](b, k)
			if err != nil {
				return err
			}
			out = append(out, *p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: peer health: %w", err)
	}
	return out, nil
}

// PeerHealthFor returns the health of host (lowercase host[:port], as in
// Delivery.Host), or an error wrapping ErrNotFound if no job was ever queued
// for it.
func (db *DB) PeerHealthFor(ctx context.Context, host string) (*PeerHealth, error) {
	var p *PeerHealth
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketPeerHealth)
		if err != nil {
			return err
		}
		p, err = getJSON[PeerHealth](b, []byte(strings.ToLower(host)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: peer health %s: %w", host, err)
	}
	return p, nil
}

// PendingDeliveries returns the number of queued jobs (due or not), the sum
// of the peers' backlogs: O(peers), not O(jobs).
func (db *DB) PendingDeliveries(ctx context.Context) (int, error) {
	n := 0
	err := db.view(ctx, func(tx *bolt.Tx) error {
		n = 0
		b, err := bucket(tx, bucketPeerHealth)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			p, err := getJSON[PeerHealth](b, k)
			if err != nil {
				return err
			}
			n += p.Backlog
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: pending deliveries: %w", err)
	}
	return n, nil
}

// batch runs fn in a group-committed read-write transaction (bbolt's Batch)
// unless ctx is already done. fn may run more than once (bbolt reruns the
// members of a failed group one by one), so it must only change tx.
func (db *DB) batch(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.noteWrite(db.bolt.Batch(fn))
}

func loadDelivery(tx *bolt.Tx, id string) (deliveryBuckets, *Delivery, error) {
	bs, err := openDeliveryBuckets(tx)
	if err != nil {
		return bs, nil, err
	}
	d, err := getJSON[Delivery](bs.jobs, []byte(id))
	return bs, d, err
}

// remove deletes job d and its due entry, and releases its body.
func (bs deliveryBuckets) remove(d *Delivery) error {
	if err := bs.due.Delete(dueKey(d.NextAttempt, d.ID)); err != nil {
		return err
	}
	if err := bs.jobs.Delete([]byte(d.ID)); err != nil {
		return err
	}
	n := getCount(bs.refs, d.BodyID)
	if n > 1 {
		return putCount(bs.refs, d.BodyID, n-1)
	}
	if err := bs.refs.Delete([]byte(d.BodyID)); err != nil {
		return err
	}
	return bs.bodies.Delete([]byte(d.BodyID))
}

// bury moves job d to the dead letters and takes it off its peer's backlog.
func (bs deliveryBuckets) bury(d *Delivery, at time.Time, errText string) error {
	if err := bs.remove(d); err != nil {
		return err
	}
	d.LastError = errText
	if err := putJSON(bs.dead, []byte(d.ID), &DeadDelivery{Delivery: *d, DeadAt: at}); err != nil {
		return err
	}
	return updateHealth(bs.health, d.Host, func(p *PeerHealth) {
		p.Backlog--
		p.Dead++
	})
}

func getCount(b *bolt.Bucket, key string) uint64 {
	v := b.Get([]byte(key))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putCount(b *bolt.Bucket, key string, n uint64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	return b.Put([]byte(key), v)
}

// updateHealth applies fn to host's PeerHealth (a zero one if absent).
func updateHealth(b *bolt.Bucket, host string, fn func(*PeerHealth)) error {
	p, err := getJSON[PeerHealth](b, []byte(host))
	if errors.Is(err, ErrNotFound) {
		p, err = &PeerHealth{Host: host}, nil
	}
	if err != nil {
		return err
	}
	fn(p)
	p.Backlog = max(p.Backlog, 0)
	return putJSON(b, []byte(host), p)
}

func truncateError(s string) string {
	if len(s) <= maxDeliveryError {
		return s
	}
	i := maxDeliveryError
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
