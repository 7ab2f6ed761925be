package social

import (
	"context"
	"fmt"
	"net/url"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// deliver stores an activity the viewer's actor sends and queues it to
// inboxes (other hosts the policy allows), inside t.
func (s *Service) deliver(ctx context.Context, t *store.Tx, actor *store.Account, iri string, activity map[string]any, inboxes []string, public bool) error {
	body, err := ap.Marshal(activity)
	if err != nil {
		return err
	}
	typ, _ := activity["type"].(string)
	if err := t.PutActivity(&store.Activity{IRI: iri, Type: typ, AccountID: actor.ID, Raw: body, Public: public, Published: s.now().UTC()}); err != nil {
		return err
	}
	if err := t.AppendOutbox(actor.ID, iri); err != nil {
		return err
	}
	seen := map[string]bool{}
	var targets []string
	for _, inbox := range inboxes {
		u, err := url.Parse(inbox)
		if err != nil || u.Host == "" || u.Host == s.urls.Host() || seen[inbox] {
			continue
		}
		seen[inbox] = true
		if err := s.fed.Policy().AllowOutbound(ctx, u.Host); err != nil {
			continue
		}
		targets = append(targets, inbox)
	}
	if len(targets) == 0 {
		return nil
	}
	_, err = t.EnqueueDeliveries(store.DeliveryBatch{Body: body, SignerID: actor.ID, ActivityID: iri, Inboxes: targets})
	return err
}

// authorInbox is the inbox of a remote author ("" for a local one),
// fetched before any transaction.
func (s *Service) authorInbox(ctx context.Context, author string) (string, error) {
	if _, ok := s.urls.LocalUsername(author); ok {
		return "", nil
	}
	r, err := s.fed.Remote.Actor(ctx, author, false)
	if err != nil {
		return "", &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot reach " + author, Err: err}
	}
	if r.SharedInbox != "" {
		return r.SharedInbox, nil
	}
	return r.Inbox, nil
}

func (s *Service) kick() {
	if s.fed.Deliverer != nil {
		s.fed.Deliverer.Kick()
	}
}

// Favourite likes a status as the viewer's actor and sends the Like to
// its author.
func (s *Service) Favourite(ctx context.Context, v *Viewer, id string, undo bool) (mastodon.Status, error) {
	return s.react(ctx, v, id, "Like", undo)
}

// Reblog boosts a public status (TLP forbids boosting anything else) and
// announces it to the viewer's followers and the author.
func (s *Service) Reblog(ctx context.Context, v *Viewer, id string, undo bool) (mastodon.Status, error) {
	return s.react(ctx, v, id, "Announce", undo)
}

func (s *Service) react(ctx context.Context, v *Viewer, id, kind string, undo bool) (mastodon.Status, error) {
	var o *store.Object
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		o, err = s.lookup(t, v, id)
		return err
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	if o.Type == "Announce" { // acting on a boost acts on what it boosts
		if o, err = s.db.Object(ctx, o.Target); err != nil {
			return mastodon.Status{}, notFound()
		}
	}
	if kind == "Announce" && !undo {
		public := o.Public
		if rec, err := s.db.Alert(ctx, o.IRI); err == nil && rec.Alert.TLP.String() != "CLEAR" {
			public = false
		}
		to, _, _ := addressed(o)
		if !public || !containsPublic(to) {
			return mastodon.Status{}, tocsin.Errorf(tocsin.EINVALID, "Only public statuses can be boosted: this one's audience (TLP) forbids sharing it further")
		}
	}
	inbox, err := s.authorInbox(ctx, o.AttributedTo)
	if err != nil {
		return mastodon.Status{}, err
	}
	actor := v.Actor
	me := s.actorIRI(actor)
	err = s.db.Update(ctx, func(t *store.Tx) error {
		prev, err := t.Reaction(kind, o.IRI, me)
		if err != nil {
			return err
		}
		if undo == (prev == "") {
			return nil // already done: Mastodon answers with the status
		}
		inboxes := []string{inbox}
		if kind == "Announce" {
			fi, err := t.FollowerInboxes(me)
			if err != nil {
				return err
			}
			inboxes = append(inboxes, fi...)
		}
		if undo {
			if err := t.DeleteReaction(kind, o.IRI, me, actor.ID); err != nil {
				return err
			}
			var inner map[string]any
			if kind == "Like" {
				inner = ap.NewLike(prev, me, o.IRI)
			} else {
				inner = ap.NewAnnounce(prev, me, o.IRI, []string{ap.PublicIRI}, []string{s.urls.Followers(actor.Username)}, s.now().UTC())
				if rec, err := t.Object(prev); err == nil {
					evs, err := s.unfanOut(t, rec)
					if err != nil {
						return err
					}
					s.emit(t, evs)
					if err := t.RemoveObject(prev); err != nil {
						return err
					}
				}
			}
			uid := s.urls.Activity(actor.Username, t.NewID())
			return s.deliver(ctx, t, actor, uid, ap.NewUndo(uid, me, inner), inboxes, kind == "Announce")
		}
		seq := t.NewID()
		aid := s.urls.Activity(actor.Username, seq)
		var act map[string]any
		if kind == "Like" {
			act = ap.NewLike(aid, me, o.IRI)
		} else {
			act = ap.NewAnnounce(aid, me, o.IRI, []string{ap.PublicIRI}, []string{s.urls.Followers(actor.Username), o.AttributedTo}, s.now().UTC())
		}
		if err := t.PutReaction(kind, o.IRI, me, actor.ID, aid); err != nil {
			return err
		}
		var evs []event
		if o.Local && o.AccountID != "" && o.AccountID != actor.ID {
			typ := mastodon.NotifyFavourite
			if kind == "Announce" {
				typ = mastodon.NotifyReblog
			}
			ev, err := s.notify(t, o.AccountID, typ, me, o.IRI)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		if kind == "Announce" {
			raw, err := ap.Marshal(act)
			if err != nil {
				return err
			}
			rec := &store.Object{IRI: aid, Seq: seq, Type: "Announce", AttributedTo: me, Local: true, AccountID: actor.ID,
				Target: o.IRI, Public: true, Raw: raw, Published: s.now().UTC(), Moderation: store.ModVisible}
			if _, err := t.PutObject(rec); err != nil {
				return err
			}
			// The boost shows in the booster's and their local followers' homes.
			home := []string{actor.ID}
			fs, err := t.Followers(me, store.FollowAccepted)
			if err != nil {
				return err
			}
			for _, f := range fs {
				if name, ok := s.urls.LocalUsername(f.Follower); ok {
					if a, err := t.LocalAccountByUsername(name); err == nil {
						home = append(home, a.ID)
					}
				}
			}
			var streams []string
			for _, id := range home {
				if err := t.AddHome(id, seq, aid); err != nil {
					return err
				}
				streams = append(streams, stream.User(id))
			}
			evs = append(evs, event{kind: "update", streams: streams, iri: aid})
		}
		s.emit(t, evs)
		return s.deliver(ctx, t, actor, aid, act, inboxes, kind == "Announce")
	})
	if err != nil {
		return mastodon.Status{}, fmt.Errorf("%s %s: %w", kind, o.IRI, err)
	}
	s.kick()
	return s.StatusByIRI(ctx, v, o.IRI)
}

func containsPublic(list []string) bool {
	for _, a := range list {
		if ap.IsPublic(a) {
			return true
		}
	}
	return false
}

// Bookmark bookmarks (or with undo removes the bookmark of) a status.
func (s *Service) Bookmark(ctx context.Context, v *Viewer, id string, undo bool) (mastodon.Status, error) {
	err := s.db.Update(ctx, func(t *store.Tx) error {
		o, err := s.lookup(t, v, id)
		if err != nil {
			return err
		}
		if undo {
			return t.DeleteBookmark(v.Actor.ID, o.Seq)
		}
		return t.PutBookmark(v.Actor.ID, o.Seq, o.IRI)
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	return s.Status(ctx, v, id)
}

// Reactors lists the accounts that favourited (Like) or boosted
// (Announce) a status.
func (s *Service) Reactors(ctx context.Context, v *Viewer, id, kind string, limit int) ([]mastodon.Account, error) {
	out := []mastodon.Account{}
	err := s.db.View(ctx, func(t *store.Tx) error {
		o, err := s.lookup(t, v, id)
		if err != nil {
			return err
		}
		actors, _, err := t.Reactors(kind, o.IRI, clampLimit(limit))
		if err != nil {
			return err
		}
		c := newCache()
		for _, a := range actors {
			if acct, err := s.account(t, a, c); err == nil {
				out = append(out, acct)
			}
		}
		return nil
	})
	return out, err
}
