package federation

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// Processor applies journalled inbound activities: parse (go-fed's cost,
// kept off the acknowledgement path), fetch what arrived by reference, then
// apply every effect in one transaction that also marks the activity seen
// and removes it from the journal. Activities of one actor are applied in
// arrival order (one lane per actor hash, and one committer applying in the
// order the lanes hand over); different actors in parallel.
//
// The pipeline has no barriers: a reader hands entries to long-lived lanes
// as they are journalled, lanes parse and hand their effects to the
// committer without waiting for it, and the committer writes every waiting
// effect in one transaction.
type Processor struct {
	db      *store.DB
	urls    URLs
	remote  *Remote
	outbox  *Outbox
	policy  Policy
	log     *slog.Logger
	workers int
	kick    chan struct{}
	// commits carries applied entries to the committer, which writes all
	// those waiting in one transaction: one fsync for many activities.
	commits chan commitReq
	// lastKick is when the inbox last journalled an activity (unix nanos).
	lastKick atomic.Int64
	// inflight counts entries handed to the committer and not finished.
	inflight sync.WaitGroup
	instr    Instruments // metrics

	mu sync.Mutex
	// pending holds the entries handed to a lane and not yet finished, so
	// that a rescan of the journal does not hand them out twice.
	pending map[uint64]struct{}
	retries map[uint64]retryState
	// OnApplied, when set, is called after an activity's effects commit
	// (timelines and streaming hook in here).
	OnApplied func(ctx context.Context, doc *ap.Document)
	// Hooks keep domain records of inbound objects (structured alerts,
	// notes, timelines) in the transaction that stores them, in the order
	// they were added (AddHook). A hook that also implements ReactionHook is
	// told about reactions and follows too.
	Hooks []ObjectHook
}

// AddHook registers an inbound object hook. Call it before Run.
func (p *Processor) AddHook(h ObjectHook) { p.Hooks = append(p.Hooks, h) }

// ReactionHook is told, inside the applying transaction, about inbound
// reactions (a Like or Announce stored; one undone, before it is removed)
// and follows (stored pending, or accepted at once). An ObjectHook may
// implement it.
type ReactionHook interface {
	InboundReaction(ctx context.Context, t *store.Tx, rec *store.Object) error
	InboundUndo(ctx context.Context, t *store.Tx, rec *store.Object) error
	InboundFollow(ctx context.Context, t *store.Tx, f *store.Follow) error
}

// ObjectHook is told about inbound objects inside the transaction that
// stores them, so a domain record and its object commit together. An error
// with code EINVALID refuses the activity for good.
type ObjectHook interface {
	InboundObject(ctx context.Context, t *store.Tx, rec *store.Object, o *ap.Object) error
	InboundDelete(ctx context.Context, t *store.Tx, rec *store.Object) error
}

type retryState struct {
	attempts int
	next     time.Time
}

// maxApplyAttempts bounds retries of an entry whose effects fail for a
// passing reason (its origin is down); then it is dropped with a log line.
const maxApplyAttempts = 8

// laneQueue is how many entries wait for each lane: enough that a lane
// with several busy actors does not hold the reader up for long.
const laneQueue = 256

// NewProcessor returns a Processor with the given number of workers.
func NewProcessor(db *store.DB, urls URLs, remote *Remote, outbox *Outbox, policy Policy, workers int, log *slog.Logger) *Processor {
	if workers <= 0 {
		workers = 8
	}
	return &Processor{
		db: db, urls: urls, remote: remote, outbox: outbox, policy: policy, log: log,
		workers: workers, kick: make(chan struct{}, 1),
		pending: map[uint64]struct{}{}, retries: map[uint64]retryState{},
		commits: make(chan commitReq, maxGroup),
		instr:   noInstruments{},
	}
}

// Kick wakes the processor: new entries were journalled.
func (p *Processor) Kick() {
	p.lastKick.Store(time.Now().UnixNano())
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Idle reports whether the journal is empty and nothing is being applied.
func (p *Processor) Idle(ctx context.Context) bool {
	p.mu.Lock()
	busy := len(p.pending) > 0
	p.mu.Unlock()
	if busy {
		return false
	}
	n, err := p.db.JournalLength(ctx)
	return err == nil && n == 0
}

// Run applies journal entries until ctx is cancelled. Entries left by a
// crash are applied first: the journal is replayed from its start.
func (p *Processor) Run(ctx context.Context) error {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	if n, err := p.db.JournalLength(ctx); err == nil && n > 0 {
		p.log.InfoContext(ctx, "applying inbound activities left in the journal", "entries", n)
	}
	defer p.instr.Stopped(ProcessorWorker) // metrics: heartbeat
	// The committer outlives the lanes: it finishes every entry they
	// handed over before it stops.
	commitCtx, stopCommitter := context.WithCancel(context.WithoutCancel(ctx))
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		p.committer(commitCtx)
	}()
	lanes := make([]chan *store.JournalEntry, p.workers)
	var lanesDone sync.WaitGroup
	for i := range lanes {
		lanes[i] = make(chan *store.JournalEntry, laneQueue)
		lanesDone.Add(1)
		go func() {
			defer lanesDone.Done()
			p.lane(ctx, lanes[i])
		}()
	}
	defer func() {
		for _, l := range lanes {
			close(l)
		}
		lanesDone.Wait()
		p.inflight.Wait()
		stopCommitter()
		<-committerDone
	}()
	// Journal sequence numbers only grow (one writer assigns them as it
	// commits), so the reader keeps a cursor; it goes back to the start
	// for entries waiting to be retried, and once a second when idle.
	var after uint64
	for {
		p.instr.Beat(ProcessorWorker) // metrics: heartbeat
		entries, err := p.db.JournalEntries(ctx, after, 512)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			p.log.ErrorContext(ctx, "read inbox journal", "error", err)
		}
		for _, e := range entries {
			after = e.Seq
			if !p.claim(e) {
				continue
			}
			select {
			case lanes[p.laneOf(e)] <- e:
			case <-ctx.Done():
				p.release(e.Seq)
				return nil
			}
		}
		if len(entries) > 0 {
			continue
		}
		if p.retryDue() {
			after = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.kick:
		case <-ticker.C:
			// Now and then start over, so that an entry left behind (its
			// drop failed, say) is not forgotten until the next start.
			after = 0
		}
	}
}

// claim marks e as handed to a lane, unless it is already with one or
// waits for its next attempt.
func (p *Processor) claim(e *store.JournalEntry) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[e.Seq]; ok {
		return false
	}
	if r, ok := p.retries[e.Seq]; ok && time.Now().Before(r.next) {
		return false
	}
	p.pending[e.Seq] = struct{}{}
	return true
}

func (p *Processor) release(seq uint64) {
	p.mu.Lock()
	delete(p.pending, seq)
	p.mu.Unlock()
}

// retryDue reports whether an entry that failed is due for another attempt.
func (p *Processor) retryDue() bool {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for seq, r := range p.retries {
		if _, ok := p.pending[seq]; !ok && !now.Before(r.next) {
			return true
		}
	}
	return false
}

// laneOf picks the lane of e's actor, so one actor's activities are applied
// in order.
func (p *Processor) laneOf(e *store.JournalEntry) int {
	h := fnv.New32a()
	h.Write([]byte(e.Actor))
	return int(h.Sum32() % uint32(p.workers))
}

// lane applies the entries handed to it until the channel is closed.
func (p *Processor) lane(ctx context.Context, in <-chan *store.JournalEntry) {
	unpaced := 0 // entries this lane may still apply without pacing
	for e := range in {
		if ctx.Err() != nil {
			p.release(e.Seq)
			continue
		}
		if unpaced > 0 {
			unpaced--
		} else if !p.pace(ctx) {
			unpaced = paceBatch
		}
		p.applyEntry(ctx, e)
	}
}

// Pacing: while inbound POSTs keep arriving (one within floodQuiet), the
// acknowledgements get the CPU and bbolt's writer lock, and the journal
// absorbs the burst (durability first): on two cores, applying during a
// flood costs about a third of the acknowledgements. A lane waits for the
// flood to pause, at most maxPace (bursts of half a second are absorbed
// whole); then it applies paceBatch entries before it waits again, so a
// long flood still sees progress; and no lane waits once the journal holds
// maxDeferred entries.
const (
	floodQuiet  = 20 * time.Millisecond
	maxPace     = 500 * time.Millisecond
	paceBatch   = 64
	maxDeferred = 20000
)

// pace waits while a flood lasts. It reports false when it stopped waiting
// for another reason than the flood's end (maxPace, a long journal).
func (p *Processor) pace(ctx context.Context) bool {
	deadline := time.Now().Add(maxPace)
	for time.Since(time.Unix(0, p.lastKick.Load())) < floodQuiet {
		if !time.Now().Before(deadline) {
			return false
		}
		if n, err := p.db.JournalLength(ctx); err != nil || n >= maxDeferred {
			return false
		}
		select {
		case <-ctx.Done():
			return true
		case <-time.After(floodQuiet):
		}
	}
	return true
}

// permanentError marks an entry that can never be applied.
type permanentError struct{ error }

func (p *Processor) applyEntry(ctx context.Context, e *store.JournalEntry) {
	doc, err := ap.Parse(e.Body)
	if err != nil {
		p.finish(ctx, e, nil, permanentError{err})
		return
	}
	st := &entryState{e: e, doc: doc}
	err = p.apply(context.WithValue(ctx, entryStateKey{}, st), e, doc)
	if st.queued && err == nil {
		return // the committer finishes it
	}
	p.finish(ctx, e, doc, err)
}

// entryState travels in the context of one entry's apply, so that commit
// can hand the entry's completion to the committer.
type entryState struct {
	e      *store.JournalEntry
	doc    *ap.Document
	queued bool
}

type entryStateKey struct{}

// finish records the outcome of one entry: applied (forget its retries,
// tell OnApplied), or failed (retry later with backoff, or drop it when the
// failure is permanent or has lasted maxApplyAttempts).
func (p *Processor) finish(ctx context.Context, e *store.JournalEntry, doc *ap.Document, err error) {
	// Released last: Idle stays false until OnApplied has run.
	defer p.release(e.Seq)
	if err == nil {
		p.mu.Lock()
		delete(p.retries, e.Seq)
		p.mu.Unlock()
		if p.OnApplied != nil && doc != nil {
			p.OnApplied(ctx, doc)
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	log := p.log.With("activity", e.ActivityID, "actor", e.Actor)
	var perm permanentError
	p.mu.Lock()
	r := p.retries[e.Seq]
	if !errors.Is(err, store.ErrDiskFull) {
		// A full disk is the instance's fault, not the activity's: the
		// entry waits however long it lasts and is never dropped for it.
		r.attempts++
	}
	r.next = time.Now().Add(time.Duration(1<<min(r.attempts, 10)) * time.Second)
	p.retries[e.Seq] = r
	p.mu.Unlock()
	if errors.As(err, &perm) || r.attempts >= maxApplyAttempts {
		log.WarnContext(ctx, "inbound activity dropped", "error", err, "attempts", r.attempts)
		if derr := p.db.DropJournalEntry(ctx, e.Seq); derr != nil {
			log.ErrorContext(ctx, "drop journal entry", "error", derr)
		}
		p.mu.Lock()
		delete(p.retries, e.Seq)
		p.mu.Unlock()
		return
	}
	log.InfoContext(ctx, "inbound activity will be retried", "error", err, "attempts", r.attempts)
}

// commit hands fn, with the entry's exactly-once bookkeeping, to the
// committer. Called from an entry's apply, it does not wait: the lane goes
// on parsing the next entry while the commit is grouped with others, and
// the committer finishes the entry (applyBatch waits for all of them).
// Elsewhere it waits for the commit.
func (p *Processor) commit(ctx context.Context, e *store.JournalEntry, fn func(*store.Tx) error) error {
	st, _ := ctx.Value(entryStateKey{}).(*entryState)
	req := commitReq{e: e, fn: fn}
	var done chan error
	if st != nil && st.e == e && !st.queued {
		st.queued = true
		doc := st.doc
		base := context.WithoutCancel(ctx)
		p.inflight.Add(1)
		req.finish = func(err error) {
			defer p.inflight.Done()
			if err == nil {
				p.outbox.done()
			}
			p.finish(base, e, doc, err)
		}
	} else {
		done = make(chan error, 1)
		req.finish = func(err error) {
			if err == nil {
				p.outbox.done()
			}
			done <- err
		}
	}
	select {
	case p.commits <- req:
	case <-ctx.Done():
		if st != nil && st.queued && done == nil {
			st.queued = false
			p.inflight.Done()
		}
		return ctx.Err()
	}
	if done != nil {
		return <-done
	}
	return nil
}

// commitReq is one applied entry waiting for the committer.
type commitReq struct {
	e      *store.JournalEntry
	fn     func(*store.Tx) error
	finish func(error) // called by the committer once the outcome is known
}

// maxGroup bounds how many entries one transaction applies.
const maxGroup = 256

// committer group-commits the entries the lanes have applied: everything
// waiting goes into one transaction (store.ApplyJournalEntries), so a
// burst costs one fsync per group, not one per activity. If the group
// fails, each entry is applied alone, so one bad entry fails only itself.
// It runs until ctx is cancelled, answering every request it took.
func (p *Processor) committer(ctx context.Context) {
	for {
		var first commitReq
		select {
		case first = <-p.commits:
		case <-ctx.Done():
			return
		}
		group := []commitReq{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-p.commits:
				group = append(group, r)
			default:
				break gather
			}
		}
		entries := make([]*store.JournalEntry, len(group))
		fns := make([]func(*store.Tx) error, len(group))
		for i, r := range group {
			entries[i], fns[i] = r.e, r.fn
		}
		if len(group) > 1 {
			if err := p.db.ApplyJournalEntries(ctx, entries, fns); err == nil {
				for _, r := range group {
					r.finish(nil)
				}
				continue
			}
		}
		for _, r := range group {
			_, err := p.db.ApplyJournalEntry(ctx, r.e, r.fn)
			r.finish(err)
		}
	}
}

// skip removes an entry that needs no effect.
func (p *Processor) skip(ctx context.Context, e *store.JournalEntry) error {
	return p.commit(ctx, e, func(*store.Tx) error { return nil })
}

// apply dispatches on the activity type. Every path ends in commit or skip.
func (p *Processor) apply(ctx context.Context, e *store.JournalEntry, doc *ap.Document) error {
	act := doc.Activity
	if act == nil {
		return permanentError{fmt.Errorf("a %s is not an activity", doc.Type())}
	}
	if act.Actor != e.Actor {
		return permanentError{fmt.Errorf("actor %s is not the signer %s", act.Actor, e.Actor)}
	}
	switch act.Type {
	case "Follow":
		return p.applyFollow(ctx, e, act)
	case "Accept", "Reject":
		if act.ObjectActivity != nil && act.ObjectActivity.Type == "Offer" {
			return p.applyOfferAnswer(ctx, e, act) // translations.go
		}
		return p.applyAcceptReject(ctx, e, act)
	case "Offer":
		return p.applyOffer(ctx, e, act) // translations.go
	case "Undo":
		return p.applyUndo(ctx, e, act)
	case "Create":
		return p.applyCreate(ctx, e, act)
	case "Update":
		return p.applyUpdate(ctx, e, act)
	case "Delete":
		return p.applyDelete(ctx, e, act)
	case "Announce", "Like":
		return p.applyReaction(ctx, e, act)
	case "Move":
		return p.applyMove(ctx, e, act)
	case "Flag":
		return p.commit(ctx, e, func(t *store.Tx) error {
			target := ""
			var objects []string
			for _, id := range act.Objects {
				if u, ok := p.urls.LocalUsername(id); ok && target == "" {
					target = p.urls.Actor(u)
					continue
				}
				objects = append(objects, id)
			}
			comment := act.Content
			if comment == "" {
				comment = act.Summary
			}
			return t.PutReport(&store.Report{FlagID: act.ID, Reporter: act.Actor, Target: target, Objects: objects, Comment: comment, CreatedAt: time.Now().UTC()})
		})
	}
	if IsTocsinType(doc, act.Type, TypeSighting) {
		return p.applySighting(ctx, e, doc) // sightings.go
	}
	p.log.DebugContext(ctx, "ignored activity of unsupported type", "type", act.Type, "activity", act.ID)
	return p.skip(ctx, e)
}
