package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// localAccount returns the local account an actor IRI names.
func (p *Processor) localAccount(ctx context.Context, iri string) (*store.Account, bool) {
	name, ok := p.urls.LocalUsername(iri)
	if !ok {
		return nil, false
	}
	a, err := p.db.AccountByUsername(ctx, name)
	if err != nil {
		return nil, false
	}
	return a, true
}

func (p *Processor) applyFollow(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	acct, ok := p.localAccount(ctx, act.ObjectIRI)
	if !ok {
		return permanentError{fmt.Errorf("follow of %s, which is not a local account", act.ObjectIRI)}
	}
	follower, err := p.remote.Actor(ctx, act.Actor, false)
	if err != nil {
		return err
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		f := &store.Follow{
			Followee: act.ObjectIRI, Follower: follower.IRI, FollowID: act.ID, State: store.FollowPending,
			Inbox: follower.Inbox, SharedInbox: follower.SharedInbox, CreatedAt: time.Now().UTC(),
		}
		if prev, err := t.Follow(f.Followee, f.Follower); err == nil && prev.State == store.FollowAccepted {
			// Already following (a re-sent Follow): accept again, keeping
			// the relation; the peer may have lost our first Accept.
			return p.outbox.acceptTx(ctx, t, acct, f)
		}
		if acct.Disabled {
			return p.outbox.rejectTx(ctx, t, acct, f)
		}
		auto := !acct.ManuallyApprovesFollowers
		if !auto {
			// Peers we added are approved by rule.
			if peer, err := t.Peer(follower.IRI); err == nil && peer.Local == acct.ID {
				auto = true
			}
		}
		if auto {
			if err := p.outbox.acceptTx(ctx, t, acct, f); err != nil {
				return err
			}
		} else if err := t.PutFollow(f); err != nil {
			return err
		}
		return p.hookReaction(ctx, t, nil, false, f)
	})
}

// followOf finds the follow an Accept/Reject/Undo refers to: embedded
// (Mastodon) or by its id.
func followOf(act *ap.Activity) (id, follower, followee string) {
	if inner := act.ObjectActivity; inner != nil {
		return inner.ID, inner.Actor, inner.ObjectIRI
	}
	return act.ObjectIRI, "", ""
}

func (p *Processor) applyAcceptReject(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	id, follower, followee := followOf(act)
	if followee != "" && followee != act.Actor {
		return permanentError{fmt.Errorf("%s answers a follow of %s", act.Actor, followee)}
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		// Only the followee may answer; find our follow of it.
		var f *store.Follow
		if follower != "" {
			f, _ = t.Follow(act.Actor, follower)
		}
		if f == nil {
			fs, err := t.Followers(act.Actor, "")
			if err != nil {
				return err
			}
			for _, c := range fs {
				if c.FollowID == id || (id == "" && c.State == store.FollowPending) {
					f = c
					break
				}
			}
		}
		if f == nil {
			p.log.DebugContext(ctx, "answer to an unknown follow", "activity", act.ID)
			return nil
		}
		if act.Type == "Reject" {
			return t.DeleteFollow(f.Followee, f.Follower)
		}
		f.State, f.AcceptedAt = store.FollowAccepted, time.Now().UTC()
		return t.PutFollow(f)
	})
}

func (p *Processor) applyUndo(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	inner := act.ObjectActivity
	return p.commit(ctx, e, func(t *store.Tx) error {
		if inner != nil && inner.Actor != "" && inner.Actor != act.Actor {
			return permanentError{fmt.Errorf("%s undoes an activity of %s", act.Actor, inner.Actor)}
		}
		if inner != nil && inner.Type == "Follow" {
			return t.DeleteFollow(inner.ObjectIRI, act.Actor)
		}
		// Like, Announce, or an Undo by id only (Mastodon's unfetchable
		// Follow ids included): remove what that id stored, if it is the
		// undoer's.
		id := act.ObjectIRI
		if o, err := t.Object(id); err == nil {
			if o.AttributedTo != act.Actor {
				return permanentError{fmt.Errorf("%s undoes %s, which is not theirs", act.Actor, id)}
			}
			if err := p.hookReaction(ctx, t, o, true, nil); err != nil {
				return err
			}
			return t.RemoveObject(id)
		}
		fs, err := t.Following(act.Actor, "")
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.FollowID == id {
				return t.DeleteFollow(f.Followee, f.Follower)
			}
		}
		return nil
	})
}

// objectFromOrigin returns the object of an activity, fetched from its
// origin when it came by reference or from a third party. It must be
// attributed to an actor on the host it was fetched from.
func (p *Processor) objectFromOrigin(ctx context.Context, act *ap.Activity) (*ap.Object, error) {
	if o := act.Object; o != nil && o.ID != "" && sameHost(o.ID, act.Actor) {
		return o, nil
	}
	// A third party's copy is the author's when the author's integrity
	// proof says so (proofs.go); a copy failing it is never stored.
	proven, tampered := p.relayedObject(ctx, act)
	if proven != nil {
		return proven, nil
	}
	if act.ObjectIRI == "" {
		return nil, permanentError{errors.New("activity has no object id")}
	}
	resp, err := p.remote.fetch.GetActivity(ctx, act.ObjectIRI)
	if err != nil {
		p.remote.instr.FetchError(err) // metrics
		if tampered != nil {
			return nil, refusedCopy(act, tampered, err)
		}
		return nil, fmt.Errorf("fetch %s from its origin: %w", act.ObjectIRI, err)
	}
	doc, err := ap.Parse(resp.Body)
	if err != nil {
		return nil, permanentError{fmt.Errorf("object %s: %w", act.ObjectIRI, err)}
	}
	o := doc.Object
	if o == nil {
		return nil, permanentError{fmt.Errorf("%s is a %s, not an object", act.ObjectIRI, doc.Type())}
	}
	// Served by another host (a mirror): the author's only with their proof.
	servedElsewhere := !sameHost(o.ID, resp.FinalURL) && !(hasProof(o) && p.provenObject(ctx, o) == nil)
	if o.ID != act.ObjectIRI || servedElsewhere || (o.AttributedTo != "" && !sameHost(o.AttributedTo, o.ID)) {
		return nil, permanentError{fmt.Errorf("object %s: %w", act.ObjectIRI, errWrongOrigin)}
	}
	return o, nil
}

// record builds the stored form of an inbound object.
func (p *Processor) record(ctx context.Context, o *ap.Object, from string) (*store.Object, error) {
	marshal := ap.Marshal
	if hasProof(o) {
		marshal = objectJSON // as signed, so the proof still verifies
	}
	raw, err := marshal(o.Raw)
	if err != nil {
		return nil, err
	}
	public := false
	for _, a := range append(append([]string{}, o.To...), o.Cc...) {
		public = public || ap.IsPublic(a)
	}
	return &store.Object{
		IRI: o.ID, Type: o.Type, AttributedTo: o.AttributedTo, InReplyTo: o.InReplyTo,
		Public: public, Raw: raw, Published: o.Published, Updated: o.Updated,
		Moderation: p.policy.InboundState(ctx, o.AttributedTo, o), ReceivedFrom: from,
	}, nil
}

func (p *Processor) applyCreate(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	o, err := p.objectFromOrigin(ctx, act)
	if err != nil {
		return err
	}
	if o.AttributedTo != "" && o.AttributedTo != act.Actor {
		return permanentError{fmt.Errorf("%s creates an object attributed to %s", act.Actor, o.AttributedTo)}
	}
	if o.AttributedTo == "" {
		o.AttributedTo = act.Actor
	}
	if err := p.checkProofs(ctx, e, act, o); err != nil {
		return err
	}
	rec, err := p.record(ctx, o, hostOf(act.Actor))
	if err != nil {
		return err
	}
	if rec.Moderation == store.ModRejected {
		// A blocked actor: nothing of theirs is stored.
		return p.skip(ctx, e)
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		if prev, err := t.Object(rec.IRI); err == nil && !prev.Deleted.IsZero() {
			return nil // deleted before its Create arrived: stay deleted
		}
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		return p.hookObject(ctx, t, rec, o)
	})
}

// hookObject tells the domain hook about a stored inbound object.
func (p *Processor) hookObject(ctx context.Context, t *store.Tx, rec *store.Object, o *ap.Object) error {
	for _, h := range p.Hooks {
		if err := h.InboundObject(ctx, t, rec, o); err != nil {
			if tocsin.ErrorCode(err) == tocsin.EINVALID {
				return permanentError{fmt.Errorf("%s refused: %w", rec.IRI, err)}
			}
			return err
		}
	}
	return nil
}

// hookReaction tells the reaction hooks about a reaction, an undone one,
// or a follow (exactly one of rec and f is set).
func (p *Processor) hookReaction(ctx context.Context, t *store.Tx, rec *store.Object, undo bool, f *store.Follow) error {
	for _, h := range p.Hooks {
		rh, ok := h.(ReactionHook)
		if !ok {
			continue
		}
		var err error
		switch {
		case f != nil:
			err = rh.InboundFollow(ctx, t, f)
		case undo:
			err = rh.InboundUndo(ctx, t, rec)
		default:
			err = rh.InboundReaction(ctx, t, rec)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) hookDelete(ctx context.Context, t *store.Tx, rec *store.Object) error {
	for _, h := range p.Hooks {
		if err := h.InboundDelete(ctx, t, rec); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) applyUpdate(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	if act.ObjectActor != nil || act.ObjectIRI == act.Actor {
		// A profile update: refetch the actor from its origin.
		if _, err := p.remote.Actor(ctx, act.Actor, true); err != nil {
			return err
		}
		return p.skip(ctx, e)
	}
	o, err := p.objectFromOrigin(ctx, act)
	if err != nil {
		return err
	}
	if o.AttributedTo != act.Actor {
		return permanentError{fmt.Errorf("%s updates an object attributed to %s", act.Actor, o.AttributedTo)}
	}
	if err := p.checkProofs(ctx, e, act, o); err != nil {
		return err
	}
	rec, err := p.record(ctx, o, hostOf(act.Actor))
	if err != nil {
		return err
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		prev, err := t.Object(rec.IRI)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// Its Create never reached us: the Update carries it whole.
		case err != nil:
			return err
		case !prev.Deleted.IsZero():
			return nil
		case prev.AttributedTo != act.Actor:
			return permanentError{fmt.Errorf("%s is not %s's", rec.IRI, act.Actor)}
		default:
			rec.Moderation = prev.Moderation // an edit does not bypass review
			if !o.Updated.After(prev.Updated) && !prev.Updated.IsZero() {
				return nil // an older edit arriving late
			}
		}
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		return p.hookObject(ctx, t, rec, o)
	})
}

func (p *Processor) applyDelete(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	target := act.ObjectIRI
	if target == act.Actor {
		return p.commit(ctx, e, func(t *store.Tx) error { return p.forgetActorTx(t, act.Actor) })
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		prev, err := t.Object(target)
		if errors.Is(err, store.ErrNotFound) {
			if !sameHost(target, act.Actor) {
				return nil
			}
			// Delete before Create: keep a tombstone so a late Create stays dead.
			tomb, _ := ap.Marshal(ap.Tombstone(target, time.Now().UTC(), ""))
			_, err := t.PutObject(&store.Object{IRI: target, Type: "Tombstone", AttributedTo: act.Actor, Raw: tomb, Deleted: time.Now().UTC(), ReceivedFrom: hostOf(act.Actor)})
			return err
		}
		if err != nil {
			return err
		}
		if prev.AttributedTo != act.Actor {
			return permanentError{fmt.Errorf("%s deletes %s, which is not theirs", act.Actor, target)}
		}
		if !prev.Deleted.IsZero() {
			return nil
		}
		now := time.Now().UTC()
		tomb, err := ap.Marshal(ap.Tombstone(target, now, prev.Type))
		if err != nil {
			return err
		}
		prev.FormerType, prev.Type, prev.Raw, prev.Deleted = prev.Type, "Tombstone", tomb, now
		if _, err := t.PutObject(prev); err != nil {
			return err
		}
		return p.hookDelete(ctx, t, prev)
	})
}

// forgetActorTx removes a deleted remote actor's content and relations.
func (p *Processor) forgetActorTx(t *store.Tx, actor string) error {
	iris, err := t.ObjectsByAuthor(actor)
	if err != nil {
		return err
	}
	for _, iri := range iris {
		o, err := t.Object(iri)
		if err != nil {
			return err
		}
		if err := t.RemoveObject(iri); err != nil {
			return err
		}
		if err := p.hookDelete(context.Background(), t, o); err != nil {
			return err
		}
	}
	following, err := t.Following(actor, "")
	if err != nil {
		return err
	}
	for _, f := range following {
		if err := t.DeleteFollow(f.Followee, f.Follower); err != nil {
			return err
		}
	}
	followers, err := t.Followers(actor, "")
	if err != nil {
		return err
	}
	for _, f := range followers {
		if err := t.DeleteFollow(f.Followee, f.Follower); err != nil {
			return err
		}
	}
	if err := t.DeleteRemoteActor(actor); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// applyReaction stores an Announce (boost) or Like: the reaction itself as
// a record, and for an Announce of a remote object, that object fetched
// from its origin.
func (p *Processor) applyReaction(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	target := act.ObjectIRI
	var announced *store.Object
	var announcedObj *ap.Object
	if act.Type == "Announce" && hostOf(target) != p.urls.Host() {
		o, err := p.objectFromOrigin(ctx, act)
		if err != nil {
			return err
		}
		announcedObj = o
		if announced, err = p.record(ctx, o, hostOf(o.ID)); err != nil {
			return err
		}
		if !announced.Public {
			// Non-public objects are never forwarded or boosted (TLP rules).
			return permanentError{fmt.Errorf("announce of non-public %s refused", target)}
		}
	}
	raw, err := ap.Marshal(act.Raw)
	if err != nil {
		return err
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		if announced != nil {
			if _, err := t.Object(announced.IRI); errors.Is(err, store.ErrNotFound) {
				if _, err := t.PutObject(announced); err != nil {
					return err
				}
				if err := p.hookObject(ctx, t, announced, announcedObj); err != nil {
					return err
				}
			}
		} else if hostOf(target) == p.urls.Host() {
			o, err := t.Object(target)
			if err != nil {
				return nil // a reaction to something we do not have
			}
			if act.Type == "Announce" && !o.Public {
				return permanentError{fmt.Errorf("announce of non-public %s refused", target)}
			}
		}
		rec := &store.Object{
			IRI: act.ID, Type: act.Type, AttributedTo: act.Actor, Target: target, Raw: raw,
			Published: act.Published, Public: true, Moderation: store.ModVisible, ReceivedFrom: hostOf(act.Actor),
		}
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		return p.hookReaction(ctx, t, rec, false, nil)
	})
}

func (p *Processor) applyMove(ctx context.Context, e *store.JournalEntry, act *ap.Activity) error {
	if act.ObjectIRI != act.Actor || act.Target == "" {
		return permanentError{errors.New("a Move must move its own actor to a target")}
	}
	a, err := p.remote.Actor(ctx, act.Actor, true)
	if err != nil {
		return err
	}
	return p.commit(ctx, e, func(t *store.Tx) error {
		a.MovedTo = act.Target
		return t.PutRemoteActor(a)
	})
}
