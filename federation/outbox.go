package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// Outbox publishes local actors' activities: each is stored with its
// object, outbox entry and one delivery job per distinct target inbox in
// one transaction, then the delivery workers are woken.
type Outbox struct {
	db     *store.DB
	urls   URLs
	remote *Remote
	policy Policy
	log    *slog.Logger
	kick   func() // wakes the delivery workers
	now    func() time.Time
	// proofKeys caches the accounts' object-signing keys (proofs.go).
	proofKeys proofKeys
}

// NewOutbox returns an Outbox. kick wakes the delivery workers.
func NewOutbox(db *store.DB, urls URLs, remote *Remote, policy Policy, log *slog.Logger, kick func()) *Outbox {
	return &Outbox{db: db, urls: urls, remote: remote, policy: policy, log: log, kick: kick, now: time.Now}
}

// Audience says who an object is addressed to.
type Audience struct {
	Public    bool     // as:Public in to, followers in cc
	Followers bool     // the author's followers (approved only)
	Actors    []string // named actors (remote or local IRIs)
}

// addressing returns to and cc for an audience.
func (o *Outbox) addressing(acct *store.Account, aud Audience) (to, cc []string) {
	followers := o.urls.Followers(acct.Username)
	switch {
	case aud.Public:
		to = []string{ap.PublicIRI}
		cc = append([]string{followers}, aud.Actors...)
	case aud.Followers:
		to = append([]string{followers}, aud.Actors...)
	default:
		to = append([]string{}, aud.Actors...)
	}
	return to, cc
}

// inboxes resolves an audience to distinct remote inboxes. Named remote
// actors are fetched first (network I/O stays outside transactions).
func (o *Outbox) inboxes(ctx context.Context, t *store.Tx, acct *store.Account, aud Audience, named map[string]*store.RemoteActor) ([]string, error) {
	var out []string
	if aud.Public || aud.Followers {
		fi, err := t.FollowerInboxes(o.urls.Actor(acct.Username))
		if err != nil {
			return nil, err
		}
		out = append(out, fi...)
	}
	for _, a := range named {
		inbox := a.SharedInbox
		if inbox == "" {
			inbox = a.Inbox
		}
		out = append(out, inbox)
	}
	return out, nil
}

func (o *Outbox) resolveNamed(ctx context.Context, aud Audience) (map[string]*store.RemoteActor, error) {
	named := map[string]*store.RemoteActor{}
	for _, iri := range aud.Actors {
		if hostOf(iri) == o.urls.Host() {
			continue
		}
		a, err := o.remote.Actor(ctx, iri, false)
		if err != nil {
			return nil, fmt.Errorf("recipient %s: %w", iri, err)
		}
		named[iri] = a
	}
	return named, nil
}

// send stores activity (JSON-LD map) as sent by acct and enqueues it to
// inboxes, all in t. Local and policy-refused hosts are skipped.
func (o *Outbox) send(ctx context.Context, t *store.Tx, acct *store.Account, iri string, activity map[string]any, inboxes []string, public, inOutbox bool) error {
	body, err := ap.Marshal(activity)
	if err != nil {
		return fmt.Errorf("encode %s: %w", iri, err)
	}
	typ, _ := activity["type"].(string)
	return o.sendBody(ctx, t, acct, iri, typ, body, inboxes, public, inOutbox)
}

// sendBody is send with the activity already encoded (and signed).
func (o *Outbox) sendBody(ctx context.Context, t *store.Tx, acct *store.Account, iri, typ string, body []byte, inboxes []string, public, inOutbox bool) error {
	if err := t.PutActivity(&store.Activity{IRI: iri, Type: typ, AccountID: acct.ID, Raw: body, Public: public, Published: o.now().UTC()}); err != nil {
		return err
	}
	if inOutbox {
		if err := t.AppendOutbox(acct.ID, iri); err != nil {
			return err
		}
	}
	return o.enqueue(ctx, t, acct.ID, iri, body, inboxes)
}

// enqueue queues body to the inboxes the policy allows, skipping our own.
func (o *Outbox) enqueue(ctx context.Context, t *store.Tx, signerID, iri string, body []byte, inboxes []string) error {
	var targets []string
	for _, inbox := range inboxes {
		h := hostOf(inbox)
		if h == "" || h == o.urls.Host() {
			continue
		}
		if err := o.policy.AllowOutbound(ctx, h); err != nil {
			o.log.DebugContext(ctx, "delivery refused by policy", "inbox", inbox, "reason", err)
			continue
		}
		targets = append(targets, inbox)
	}
	if len(targets) == 0 {
		return nil
	}
	_, err := t.EnqueueDeliveries(store.DeliveryBatch{
		Body: body, SignerID: signerID, ActivityID: iri, Inboxes: targets,
	})
	return err
}

// Flag sends a report to the server of the reported account, from the
// instance actor (so the reporting member stays anonymous, as Mastodon
// does). objects lists the reported account first, then its posts.
func (o *Outbox) Flag(ctx context.Context, objects []string, comment string) (string, error) {
	if len(objects) == 0 {
		return "", tocsin.Errorf(tocsin.EINVALID, "a report names at least the reported account")
	}
	target, err := o.remote.Actor(ctx, objects[0], false)
	if err != nil {
		return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + objects[0], Err: err}
	}
	inbox := target.SharedInbox
	if inbox == "" {
		inbox = target.Inbox
	}
	id := o.urls.InstanceActor() + "/flags/" + o.db.NewID()
	body, err := ap.Marshal(ap.NewFlag(id, o.urls.InstanceActor(), objects, comment, []string{target.IRI}))
	if err != nil {
		return "", err
	}
	err = o.db.Update(ctx, func(t *store.Tx) error { return o.enqueue(ctx, t, "instance", id, body, []string{inbox}) })
	if err != nil {
		return "", err
	}
	o.done()
	return id, nil
}

func (o *Outbox) done() {
	if o.kick != nil {
		o.kick()
	}
}

// Follow makes acct follow a remote actor: a pending relation until the
// peer Accepts.
func (o *Outbox) Follow(ctx context.Context, acct *store.Account, target string) (*store.Follow, error) {
	if hostOf(target) == o.urls.Host() {
		return nil, tocsin.Errorf(tocsin.EINVALID, "following local accounts is not supported yet")
	}
	remote, err := o.remote.Actor(ctx, target, false)
	if err != nil {
		return nil, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + target, Err: err}
	}
	actor := o.urls.Actor(acct.Username)
	id := o.urls.Activity(acct.Username, o.db.NewID())
	f := &store.Follow{Followee: remote.IRI, Follower: actor, FollowID: id, State: store.FollowPending, CreatedAt: o.now().UTC()}
	err = o.db.Update(ctx, func(t *store.Tx) error {
		if prev, err := t.Follow(remote.IRI, actor); err == nil && prev.State == store.FollowAccepted {
			f = prev
			return nil
		}
		if err := t.PutFollow(f); err != nil {
			return err
		}
		return o.send(ctx, t, acct, id, ap.NewFollow(id, actor, remote.IRI), []string{remote.Inbox}, false, true)
	})
	if err != nil {
		return nil, err
	}
	o.done()
	return f, nil
}

// Unfollow undoes acct's follow of target.
func (o *Outbox) Unfollow(ctx context.Context, acct *store.Account, target string) error {
	actor := o.urls.Actor(acct.Username)
	remote, err := o.db.RemoteActor(ctx, target)
	if err != nil {
		return err
	}
	err = o.db.Update(ctx, func(t *store.Tx) error {
		f, err := t.Follow(target, actor)
		if err != nil {
			return err
		}
		if err := t.DeleteFollow(target, actor); err != nil {
			return err
		}
		id := o.urls.Activity(acct.Username, t.NewID())
		undo := ap.NewUndo(id, actor, ap.NewFollow(f.FollowID, actor, target))
		return o.send(ctx, t, acct, id, undo, []string{remote.Inbox}, false, true)
	})
	if err != nil {
		return err
	}
	o.done()
	return nil
}

// NoteInput is an object to publish: a Note (alerts, posts) or an Article
// (good-practice notes).
type NoteInput struct {
	Type       string // "Note" (default) or "Article"
	Name       string
	Summary    string
	Content    string // HTML, already sanitised
	Language   string
	InReplyTo  string
	Sensitive  bool
	Tags       []map[string]any
	Extensions map[string]any // our namespace's fields, already prefixed
	Audience   Audience
}

func (o *Outbox) buildObject(acct *store.Account, iri string, in NoteInput, published time.Time, to, cc []string) map[string]any {
	typ := in.Type
	if typ == "" {
		typ = "Note"
	}
	obj := map[string]any{
		"id":           iri,
		"type":         typ,
		"attributedTo": o.urls.Actor(acct.Username),
		"content":      in.Content,
		"published":    published.UTC().Format(time.RFC3339),
		"to":           to,
		"cc":           cc,
		"url":          iri,
		"sensitive":    in.Sensitive,
	}
	if in.Language != "" {
		obj["contentMap"] = map[string]string{in.Language: in.Content}
	}
	if in.Name != "" {
		obj["name"] = in.Name
	}
	if in.Summary != "" {
		obj["summary"] = in.Summary
	}
	if in.InReplyTo != "" {
		obj["inReplyTo"] = in.InReplyTo
	}
	if len(in.Tags) > 0 {
		tags := make([]any, len(in.Tags))
		for i, t := range in.Tags {
			tags[i] = t
		}
		obj["tag"] = tags
	}
	for k, v := range in.Extensions {
		obj[k] = v
	}
	return obj
}

// Publish creates an object as acct and federates its Create.
func (o *Outbox) Publish(ctx context.Context, acct *store.Account, in NoteInput) (*store.Object, error) {
	iri := o.urls.Object(acct.Username, o.db.NewID())
	to, cc := o.addressing(acct, in.Audience)
	now := o.now().UTC().Truncate(time.Second)
	return o.PublishObject(ctx, acct, o.buildObject(acct, iri, in, now, to, cc), in.Audience, nil)
}

// Addressing returns the to and cc of an audience for acct's objects.
func (o *Outbox) Addressing(acct *store.Account, aud Audience) (to, cc []string) {
	return o.addressing(acct, aud)
}

// PublishObject stores a prepared object (its "id" minted by
// URLs.Object, its to/cc from Addressing) and federates its Create to the
// audience, in one transaction together with whatever also does (the
// caller's own records, e.g. the structured alert). federate=false (TLP:RED)
// is done by passing a zero Audience: nothing is delivered.
func (o *Outbox) PublishObject(ctx context.Context, acct *store.Account, obj map[string]any, aud Audience, also func(*store.Tx, *store.Object) error) (*store.Object, error) {
	named, err := o.resolveNamed(ctx, aud)
	if err != nil {
		return nil, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: err.Error(), Err: err}
	}
	iri, _ := obj["id"].(string)
	typ, _ := obj["type"].(string)
	if iri == "" || typ == "" {
		return nil, fmt.Errorf("publish: object needs an id and a type")
	}
	now := o.now().UTC().Truncate(time.Second)
	if _, ok := obj["published"]; !ok {
		obj["published"] = now.Format(time.RFC3339)
	}
	// The stored object (served on GET, embedded by whoever relays it)
	// carries its author's integrity proof, and so does its Create.
	raw, to, cc, err := o.encodeSigned(acct, obj)
	if err != nil {
		return nil, err
	}
	actID := iri + "/activity"
	body, err := o.signedActivity(acct, ap.NewCreate(actID, o.urls.Actor(acct.Username), obj, to, cc, now), raw)
	if err != nil {
		return nil, err
	}
	inReplyTo, _ := obj["inReplyTo"].(string)
	seq := iri[strings.LastIndexByte(iri, '/')+1:]
	rec := &store.Object{
		IRI: iri, Seq: seq, Type: typ, AttributedTo: o.urls.Actor(acct.Username), Local: true,
		AccountID: acct.ID, InReplyTo: inReplyTo, Public: aud.Public, Raw: raw,
		Published: now, Moderation: store.ModVisible,
	}
	err = o.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		if also != nil {
			if err := also(t, rec); err != nil {
				return err
			}
		}
		inboxes, err := o.inboxes(ctx, t, acct, aud, named)
		if err != nil {
			return err
		}
		return o.sendBody(ctx, t, acct, actID, "Create", body, inboxes, aud.Public, true)
	})
	if err != nil {
		return nil, err
	}
	o.done()
	return rec, nil
}

// encodeSigned encodes obj as acct publishes it, with acct's integrity
// proof, and returns its addressing.
func (o *Outbox) encodeSigned(acct *store.Account, obj map[string]any) (raw []byte, to, cc []string, err error) {
	to, _ = obj["to"].([]string)
	cc, _ = obj["cc"].([]string)
	if raw, err = ap.Marshal(obj); err != nil {
		return nil, nil, nil, err
	}
	raw, err = o.sign(acct, raw)
	return raw, to, cc, err
}

// Update replaces a local object's content and federates an Update to the
// same audience.
func (o *Outbox) Update(ctx context.Context, acct *store.Account, iri string, in NoteInput) (*store.Object, error) {
	prev, err := o.ownObject(ctx, acct, iri)
	if err != nil {
		return nil, err
	}
	to, cc := o.addressing(acct, in.Audience)
	return o.UpdateObject(ctx, acct, o.buildObject(acct, iri, in, prev.Published, to, cc), in.Audience, nil)
}

// UpdateObject replaces a local object with obj (same "id") and federates
// an Update to aud, in one transaction with also.
func (o *Outbox) UpdateObject(ctx context.Context, acct *store.Account, obj map[string]any, aud Audience, also func(*store.Tx, *store.Object) error) (*store.Object, error) {
	iri, _ := obj["id"].(string)
	prev, err := o.ownObject(ctx, acct, iri)
	if err != nil {
		return nil, err
	}
	named, err := o.resolveNamed(ctx, aud)
	if err != nil {
		return nil, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: err.Error(), Err: err}
	}
	now := o.now().UTC().Truncate(time.Second)
	if !now.After(prev.Updated) {
		// Peers ignore an Update not newer than the one they hold, and
		// times have whole seconds (see UpdateObjectTx).
		now = prev.Updated.Add(time.Second)
	}
	obj["updated"] = now.Format(time.RFC3339)
	delete(obj, "proof") // the previous state's, when obj was made from the stored copy
	// A fresh proof for the new state, on the object and its Update.
	raw, to, cc, err := o.encodeSigned(acct, obj)
	if err != nil {
		return nil, err
	}
	id := o.urls.Activity(acct.Username, o.db.NewID())
	body, err := o.signedActivity(acct, ap.NewUpdate(id, o.urls.Actor(acct.Username), obj, to, cc, now), raw)
	if err != nil {
		return nil, err
	}
	rec := *prev
	rec.Raw, rec.Updated, rec.Public = raw, now, aud.Public
	err = o.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.PutObject(&rec); err != nil {
			return err
		}
		if also != nil {
			if err := also(t, &rec); err != nil {
				return err
			}
		}
		inboxes, err := o.inboxes(ctx, t, acct, aud, named)
		if err != nil {
			return err
		}
		return o.sendBody(ctx, t, acct, id, "Update", body, inboxes, rec.Public, true)
	})
	if err != nil {
		return nil, err
	}
	o.done()
	return &rec, nil
}

// Delete replaces a local object with a Tombstone (served with 410) and
// federates a Delete to everyone who may hold it.
func (o *Outbox) Delete(ctx context.Context, acct *store.Account, iri string, aud Audience) error {
	return o.DeleteObject(ctx, acct, iri, aud, nil)
}

// DeleteObject is Delete with the caller's own changes in the same
// transaction.
func (o *Outbox) DeleteObject(ctx context.Context, acct *store.Account, iri string, aud Audience, also func(*store.Tx, *store.Object) error) error {
	prev, err := o.ownObject(ctx, acct, iri)
	if err != nil {
		return err
	}
	named, err := o.resolveNamed(ctx, aud)
	if err != nil {
		return &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: err.Error(), Err: err}
	}
	now := o.now().UTC().Truncate(time.Second)
	tomb := ap.Tombstone(iri, now, prev.Type)
	raw, err := ap.Marshal(tomb)
	if err != nil {
		return err
	}
	rec := *prev
	rec.Raw, rec.Deleted, rec.FormerType, rec.Type = raw, now, prev.Type, "Tombstone"
	to, cc := o.addressing(acct, aud)
	err = o.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.PutObject(&rec); err != nil {
			return err
		}
		if also != nil {
			if err := also(t, &rec); err != nil {
				return err
			}
		}
		inboxes, err := o.inboxes(ctx, t, acct, aud, named)
		if err != nil {
			return err
		}
		id := o.urls.Activity(acct.Username, t.NewID())
		return o.send(ctx, t, acct, id, ap.NewDelete(id, o.urls.Actor(acct.Username), tomb, to, cc), inboxes, prev.Public, true)
	})
	if err != nil {
		return err
	}
	o.done()
	return nil
}

func (o *Outbox) ownObject(ctx context.Context, acct *store.Account, iri string) (*store.Object, error) {
	prev, err := o.db.Object(ctx, iri)
	if errors.Is(err, store.ErrNotFound) {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "object %s not found", iri)
	}
	if err != nil {
		return nil, err
	}
	if prev.AccountID != acct.ID {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "%s is not %s's", iri, acct.Username)
	}
	if !prev.Deleted.IsZero() {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "object %s was deleted", iri)
	}
	return prev, nil
}

// acceptTx approves a follow request inside t: the relation becomes
// accepted and an Accept is queued to the follower.
func (o *Outbox) acceptTx(ctx context.Context, t *store.Tx, acct *store.Account, f *store.Follow) error {
	f.State, f.AcceptedAt = store.FollowAccepted, o.now().UTC()
	if err := t.PutFollow(f); err != nil {
		return err
	}
	actor := o.urls.Actor(acct.Username)
	id := o.urls.Activity(acct.Username, t.NewID())
	accept := ap.NewAccept(id, actor, ap.NewFollow(f.FollowID, f.Follower, actor))
	return o.send(ctx, t, acct, id, accept, []string{f.Inbox}, false, false)
}

// rejectTx refuses a follow request inside t.
func (o *Outbox) rejectTx(ctx context.Context, t *store.Tx, acct *store.Account, f *store.Follow) error {
	if err := t.DeleteFollow(f.Followee, f.Follower); err != nil {
		return err
	}
	actor := o.urls.Actor(acct.Username)
	id := o.urls.Activity(acct.Username, t.NewID())
	reject := ap.NewReject(id, actor, ap.NewFollow(f.FollowID, f.Follower, actor))
	return o.send(ctx, t, acct, id, reject, []string{f.Inbox}, false, false)
}

// ApproveFollower accepts (or with approve=false rejects) a pending follow
// request of follower for acct.
func (o *Outbox) ApproveFollower(ctx context.Context, acct *store.Account, follower string, approve bool) error {
	err := o.db.Update(ctx, func(t *store.Tx) error {
		f, err := t.Follow(o.urls.Actor(acct.Username), follower)
		if err != nil {
			return err
		}
		if approve {
			return o.acceptTx(ctx, t, acct, f)
		}
		return o.rejectTx(ctx, t, acct, f)
	})
	if err != nil {
		return err
	}
	o.done()
	return nil
}

// SkipActivity, returned by the also function of Like, Announce or
// UndoActivity, abandons the transaction without an error: nothing is
// stored or sent (the reaction already exists, or is already gone), and
// the method returns its zero value.
var SkipActivity = errors.New("federation: nothing to send")

// inboxOf returns where to deliver to an actor: its shared inbox or its
// inbox, fetched when not cached ("" for a local actor).
func (o *Outbox) inboxOf(ctx context.Context, actor string) (string, error) {
	if hostOf(actor) == o.urls.Host() {
		return "", nil
	}
	r, err := o.remote.Actor(ctx, actor, false)
	if err != nil {
		return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + actor, Err: err}
	}
	if r.SharedInbox != "" {
		return r.SharedInbox, nil
	}
	return r.Inbox, nil
}

// react runs a reaction's transaction, fn, and wakes the delivery workers
// after it commits. It reports false when fn ended it with SkipActivity.
func (o *Outbox) react(ctx context.Context, also func(*store.Tx) error) (bool, error) {
	err := o.db.Update(ctx, also)
	if errors.Is(err, SkipActivity) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	o.done()
	return true, nil
}

// Like favourites object (by author) as acct: the Like is stored in acct's
// outbox and queued to the author's inbox (nothing is delivered to a
// local author) in one transaction with also, which gets the Like's IRI
// (for the caller's reaction records). It returns that IRI, or "" when
// also returned SkipActivity. The author's actor is fetched first when not
// cached: network I/O stays outside the transaction.
func (o *Outbox) Like(ctx context.Context, acct *store.Account, object, author string, also func(t *store.Tx, like string) error) (string, error) {
	inbox, err := o.inboxOf(ctx, author)
	if err != nil {
		return "", err
	}
	var id string
	sent, err := o.react(ctx, func(t *store.Tx) error {
		id = o.urls.Activity(acct.Username, t.NewID())
		if also != nil {
			if err := also(t, id); err != nil {
				return err
			}
		}
		like := ap.NewLike(id, o.urls.Actor(acct.Username), object)
		return o.send(ctx, t, acct, id, like, []string{inbox}, false, true)
	})
	if !sent {
		return "", err
	}
	return id, nil
}

// Announce boosts object (by author) as acct, publicly: the Announce is
// stored as an object of acct's (Type "Announce", Target object, so it
// reads as a boost in timelines) and as an activity in acct's outbox, and
// queued to acct's followers and the author, in one transaction with also,
// which gets the stored object (for reaction records and timelines). It
// returns that object, or nil when also returned SkipActivity. Whether the
// object may be boosted at all (TLP) is the caller's decision.
func (o *Outbox) Announce(ctx context.Context, acct *store.Account, object, author string, also func(*store.Tx, *store.Object) error) (*store.Object, error) {
	inbox, err := o.inboxOf(ctx, author)
	if err != nil {
		return nil, err
	}
	me := o.urls.Actor(acct.Username)
	var rec *store.Object
	sent, err := o.react(ctx, func(t *store.Tx) error {
		seq := t.NewID()
		id := o.urls.Activity(acct.Username, seq)
		now := o.now().UTC()
		act := ap.NewAnnounce(id, me, object, []string{ap.PublicIRI}, []string{o.urls.Followers(acct.Username), author}, now)
		raw, err := ap.Marshal(act)
		if err != nil {
			return fmt.Errorf("encode %s: %w", id, err)
		}
		rec = &store.Object{IRI: id, Seq: seq, Type: "Announce", AttributedTo: me, Local: true, AccountID: acct.ID,
			Target: object, Public: true, Raw: raw, Published: now, Moderation: store.ModVisible}
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		if also != nil {
			if err := also(t, rec); err != nil {
				return err
			}
		}
		inboxes, err := t.FollowerInboxes(me)
		if err != nil {
			return err
		}
		// A copy signed by its author travels whole: receivers that verify
		// its proof need not ask the origin (proofs.go).
		if body, ok := embedSigned(t, raw, object); ok {
			return o.sendBody(ctx, t, acct, id, "Announce", body, append(inboxes, inbox), true, true)
		}
		return o.send(ctx, t, acct, id, act, append(inboxes, inbox), true, true)
	})
	if !sent {
		return nil, err
	}
	return rec, nil
}

// UndoActivity withdraws one of acct's Likes or Announces (activity, its
// IRI, of an object by author): the Undo goes where the activity went (the
// author, and for an Announce acct's followers), in one transaction with
// also, which gets the stored Announce object (nil for a Like) before it
// is removed. It returns the Undo's IRI, or "" when also returned
// SkipActivity.
func (o *Outbox) UndoActivity(ctx context.Context, acct *store.Account, activity, author string, also func(*store.Tx, *store.Object) error) (string, error) {
	inbox, err := o.inboxOf(ctx, author)
	if err != nil {
		return "", err
	}
	me := o.urls.Actor(acct.Username)
	var id string
	sent, err := o.react(ctx, func(t *store.Tx) error {
		prev, err := t.Activity(activity)
		if err != nil {
			return err
		}
		if prev.AccountID != acct.ID || (prev.Type != "Like" && prev.Type != "Announce") {
			return tocsin.Errorf(tocsin.EINVALID, "%s is not a Like or Announce of %s's", activity, acct.Username)
		}
		var inner map[string]any
		if err := json.Unmarshal(prev.Raw, &inner); err != nil {
			return fmt.Errorf("decode %s: %w", activity, err)
		}
		delete(inner, "@context")
		var rec *store.Object
		if prev.Type == "Announce" {
			if rec, err = t.Object(activity); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if also != nil {
			if err := also(t, rec); err != nil {
				return err
			}
		}
		inboxes := []string{inbox}
		if prev.Type == "Announce" {
			if rec != nil {
				if err := t.RemoveObject(activity); err != nil {
					return err
				}
			}
			fi, err := t.FollowerInboxes(me)
			if err != nil {
				return err
			}
			inboxes = append(inboxes, fi...)
		}
		id = o.urls.Activity(acct.Username, t.NewID())
		return o.send(ctx, t, acct, id, ap.NewUndo(id, me, inner), inboxes, prev.Public, true)
	})
	if !sent {
		return "", err
	}
	return id, nil
}
