package social

import (
	"context"
	"fmt"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// Favourite likes a status as the viewer's actor and sends the Like to
// its author.
func (s *Service) Favourite(ctx context.Context, v *Viewer, id string, undo bool) (mastodon.Status, error) {
	return s.react(ctx, v, id, "Like", undo)
}

// Reblog boosts a public status (TLP forbids boosting anything else) and
// announces it to the viewer's followers and the author. As Mastodon does,
// it answers with the boost: a new status by the viewer whose reblog is the
// boosted status (reblogged: true). With undo it answers with the status
// that was boosted (reblogged: false).
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
	actor := v.Actor
	me := s.actorIRI(actor)
	var prev string
	err = s.db.View(ctx, func(t *store.Tx) error {
		prev, err = t.Reaction(kind, o.IRI, me)
		return err
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	if undo == (prev == "") {
		return s.reacted(ctx, v, o.IRI, kind, undo) // already done: Mastodon answers as if just done
	}
	// unchanged guards against a concurrent favourite or boost of the same
	// status: the second finds the reaction changed and sends nothing.
	unchanged := func(t *store.Tx) error {
		cur, err := t.Reaction(kind, o.IRI, me)
		if err != nil {
			return err
		}
		if cur != prev {
			return federation.SkipActivity
		}
		return nil
	}
	outbox := s.fed.Outbox
	switch {
	case undo:
		_, err = outbox.UndoActivity(ctx, actor, prev, o.AttributedTo, func(t *store.Tx, boost *store.Object) error {
			if err := unchanged(t); err != nil {
				return err
			}
			if err := t.DeleteReaction(kind, o.IRI, me, actor.ID); err != nil {
				return err
			}
			if boost == nil {
				return nil
			}
			evs, err := s.unfanOut(t, boost)
			if err != nil {
				return err
			}
			s.emit(t, evs)
			return nil
		})
	case kind == "Like":
		_, err = outbox.Like(ctx, actor, o.IRI, o.AttributedTo, func(t *store.Tx, like string) error {
			if err := unchanged(t); err != nil {
				return err
			}
			if err := t.PutReaction(kind, o.IRI, me, actor.ID, like); err != nil {
				return err
			}
			return s.notifyReaction(t, o, mastodon.NotifyFavourite, actor, nil)
		})
	default:
		_, err = outbox.Announce(ctx, actor, o.IRI, o.AttributedTo, func(t *store.Tx, boost *store.Object) error {
			if err := unchanged(t); err != nil {
				return err
			}
			if err := t.PutReaction(kind, o.IRI, me, actor.ID, boost.IRI); err != nil {
				return err
			}
			ev, err := s.homeBoost(t, actor, boost)
			if err != nil {
				return err
			}
			return s.notifyReaction(t, o, mastodon.NotifyReblog, actor, []event{ev})
		})
	}
	if err != nil {
		return mastodon.Status{}, fmt.Errorf("%s %s: %w", kind, o.IRI, err)
	}
	return s.reacted(ctx, v, o.IRI, kind, undo)
}

// reacted is the answer to a reaction to the status iri: the viewer's
// boost of it after a reblog (the boost wraps the status), else the status.
func (s *Service) reacted(ctx context.Context, v *Viewer, iri, kind string, undo bool) (mastodon.Status, error) {
	if kind != "Announce" || undo {
		return s.StatusByIRI(ctx, v, iri)
	}
	var boost string
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		boost, err = t.Reaction(kind, iri, s.actorIRI(v.Actor))
		return err
	})
	if err != nil {
		return mastodon.Status{}, err
	}
	if boost == "" { // undone meanwhile by a concurrent unreblog
		return s.StatusByIRI(ctx, v, iri)
	}
	return s.StatusByIRI(ctx, v, boost)
}

// notifyReaction notifies o's local author (unless they reacted
// themselves) of a favourite or reblog by reactor, and emits evs with the
// notification after t commits.
func (s *Service) notifyReaction(t *store.Tx, o *store.Object, typ string, reactor *store.Account, evs []event) error {
	if o.Local && o.AccountID != "" && o.AccountID != reactor.ID {
		ev, err := s.notify(t, o.AccountID, typ, s.actorIRI(reactor), o.IRI)
		if err != nil {
			return err
		}
		evs = append([]event{ev}, evs...)
	}
	s.emit(t, evs)
	return nil
}

// homeBoost puts a local boost in the booster's and their local
// followers' home timelines.
func (s *Service) homeBoost(t *store.Tx, booster *store.Account, boost *store.Object) (event, error) {
	home := []string{booster.ID}
	fs, err := t.Followers(boost.AttributedTo, store.FollowAccepted)
	if err != nil {
		return event{}, err
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
		if err := t.AddHome(id, boost.Seq, boost.IRI); err != nil {
			return event{}, err
		}
		streams = append(streams, stream.User(id))
	}
	return event{kind: "update", streams: streams, iri: boost.IRI}, nil
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
