package social

import (
	"context"
	"slices"
	"strings"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
	"github.com/tocsin-network/tocsin/tlp"
)

// audience is where one object goes on this instance.
type audience struct {
	home     []string // local account IDs
	public   bool     // public and local timelines, hashtag timelines
	tags     []string
	mentions []string // local account IDs named in it (notified once)
}

// audienceOf decides, from addressing, TLP and moderation, whose home
// timelines an object belongs in and whether it is public:
//   - held (pending) or rejected objects go nowhere until released;
//   - limited ones only to the author's local followers;
//   - public and visible ones (as:Public in to, CLEAR when an alert) also
//     to the public and hashtag timelines;
//   - followers-only ones to the author's accepted local followers (for an
//     alert, those publish.CanRead lets read it);
//   - named local recipients and mentioned local accounts always, unless
//     limited; a local author's own home too.
func (s *Service) audienceOf(t *store.Tx, o *store.Object, obj *ap.Object) (audience, bool, error) {
	var a audience
	if !o.Deleted.IsZero() || o.Moderation == store.ModPending || o.Moderation == store.ModRejected {
		return a, false, nil
	}
	limited := o.Moderation == store.ModLimited
	var to, cc []string
	var tags []ap.Tag
	if obj != nil {
		to, cc, tags = obj.To, obj.Cc, obj.Tags
	} else {
		to, cc, tags = addressed(o)
	}
	all := append(slices.Clone(to), cc...)
	publicTo := slices.ContainsFunc(to, ap.IsPublic)
	publicAny := publicTo || slices.ContainsFunc(cc, ap.IsPublic)
	rec, alertErr := t.Alert(o.IRI)
	isAlert := alertErr == nil
	if isAlert && rec.Alert.TLP != tlp.Clear {
		publicTo, publicAny = false, false
	}
	followersOf := s.followersCollection(t, o.AttributedTo)
	toFollowers := publicAny || slices.ContainsFunc(all, func(x string) bool {
		return x == followersOf || (followersOf == "" && strings.HasSuffix(x, "/followers"))
	})
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			a.home = append(a.home, id)
		}
	}
	if o.Local && o.AccountID != "" {
		add(o.AccountID)
	}
	if toFollowers {
		fs, err := t.Followers(o.AttributedTo, store.FollowAccepted)
		if err != nil {
			return a, false, err
		}
		for _, f := range fs {
			name, ok := s.urls.LocalUsername(f.Follower)
			if !ok {
				continue
			}
			acct, err := t.LocalAccountByUsername(name)
			if err != nil {
				continue
			}
			if isAlert && !publish.CanRead(&publish.Viewer{Account: acct, Actor: f.Follower}, rec) {
				continue
			}
			add(acct.ID)
		}
	}
	if !limited {
		named := slices.Clone(all)
		for _, tg := range tags {
			if tg.Type == "Mention" {
				named = append(named, tg.Href)
			}
		}
		for _, iri := range named {
			name, ok := s.urls.LocalUsername(iri)
			if !ok || iri == o.AttributedTo {
				continue
			}
			acct, err := t.LocalAccountByUsername(name)
			if err != nil {
				continue
			}
			add(acct.ID)
			if !slices.Contains(a.mentions, acct.ID) {
				a.mentions = append(a.mentions, acct.ID)
			}
		}
		a.public = publicTo
		if a.public {
			for _, tg := range tags {
				if tg.Type != "Hashtag" {
					continue
				}
				name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(tg.Name), "#"))
				if name != "" && !slices.Contains(a.tags, name) {
					a.tags = append(a.tags, name)
				}
			}
		}
	}
	return a, true, nil
}

// fanOut writes an object into the timelines it belongs in (see
// audienceOf) inside t, and queues its streaming events. Writing twice is
// harmless: entries are keyed by Seq. notify creates mention notifications.
func (s *Service) fanOut(t *store.Tx, o *store.Object, obj *ap.Object, notify bool) ([]event, error) {
	if o.Seq == "" {
		return nil, nil
	}
	if o.InReplyTo != "" && o.Deleted.IsZero() {
		if err := t.AddReply(o.InReplyTo, o.Seq, o.IRI); err != nil {
			return nil, err
		}
	}
	a, ok, err := s.audienceOf(t, o, obj)
	if err != nil || !ok {
		return nil, err
	}
	var evs []event
	var users []string
	for _, id := range a.home {
		if err := t.AddHome(id, o.Seq, o.IRI); err != nil {
			return nil, err
		}
		users = append(users, stream.User(id))
	}
	if a.public {
		if err := t.AddPublic(o.Seq, o.IRI, o.Local); err != nil {
			return nil, err
		}
		users = append(users, stream.Public)
		if o.Local {
			users = append(users, stream.PublicLocal)
		}
		for _, tag := range a.tags {
			if err := t.AddTag(tag, o.Seq, o.IRI); err != nil {
				return nil, err
			}
			users = append(users, stream.Hashtag(tag))
		}
	}
	evs = append(evs, event{kind: "update", streams: users, iri: o.IRI})
	if notify {
		for _, id := range a.mentions {
			n, err := s.notify(t, id, mastodon.NotifyMention, o.AttributedTo, o.IRI)
			if err != nil {
				return nil, err
			}
			evs = append(evs, n)
		}
	}
	return evs, nil
}

// unfanOut takes a deleted object out of the timelines it is known to be
// in; any other entry is skipped at read time (the object is a Tombstone).
func (s *Service) unfanOut(t *store.Tx, o *store.Object) ([]event, error) {
	if o.Seq == "" {
		return nil, nil
	}
	if err := t.RemovePublic(o.Seq); err != nil {
		return nil, err
	}
	streams := []string{stream.Public}
	if o.Local {
		streams = append(streams, stream.PublicLocal)
		if o.AccountID != "" {
			if err := t.RemoveHome(o.AccountID, o.Seq); err != nil {
				return nil, err
			}
			streams = append(streams, stream.User(o.AccountID))
		}
	}
	fs, err := t.Followers(o.AttributedTo, "")
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		name, ok := s.urls.LocalUsername(f.Follower)
		if !ok {
			continue
		}
		acct, err := t.LocalAccountByUsername(name)
		if err != nil {
			continue
		}
		if err := t.RemoveHome(acct.ID, o.Seq); err != nil {
			return nil, err
		}
		streams = append(streams, stream.User(acct.ID))
	}
	return []event{{kind: "delete", streams: streams, seq: o.Seq}}, nil
}

// notify stores a notification for a local account and returns its event.
func (s *Service) notify(t *store.Tx, accountID, typ, actor, object string) (event, error) {
	n := &store.Notification{AccountID: accountID, Type: typ, Actor: actor, Object: object, CreatedAt: s.now().UTC()}
	if err := t.PutNotification(n); err != nil {
		return event{}, err
	}
	return event{kind: "notification", streams: []string{stream.User(accountID)}, notif: n}, nil
}

// InboundObject implements federation.ObjectHook: a new or edited inbound
// object goes into the timelines it belongs in; mentions of local accounts
// are notified; an edit notifies the local accounts that boosted or
// favourited it.
func (s *Service) InboundObject(ctx context.Context, t *store.Tx, rec *store.Object, o *ap.Object) error {
	edit := !rec.Updated.IsZero() && rec.Updated.After(rec.Published)
	evs, err := s.fanOut(t, rec, o, !edit)
	if err != nil {
		return err
	}
	if edit {
		for i := range evs {
			if evs[i].kind == "update" {
				evs[i].kind = "status.update"
			}
		}
		more, err := s.notifyInteracted(t, rec, mastodon.NotifyUpdate)
		if err != nil {
			return err
		}
		evs = append(evs, more...)
	}
	if !edit && rec.Moderation == store.ModPending {
		// Moderators hear of every new item in the review queue: a
		// "status" notification of the held post, which only staff may
		// open.
		staff, err := t.Staff()
		if err != nil {
			return err
		}
		for _, a := range staff {
			ev, err := s.notify(t, a.ID, mastodon.NotifyStatus, rec.AttributedTo, rec.IRI)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
	}
	s.emit(t, evs)
	return nil
}

// notifyInteracted notifies the local accounts that boosted or favourited
// an object.
func (s *Service) notifyInteracted(t *store.Tx, o *store.Object, typ string) ([]event, error) {
	var evs []event
	seen := map[string]bool{}
	for _, kind := range []string{"Announce", "Like"} {
		actors, _, err := t.Reactors(kind, o.IRI, 1000)
		if err != nil {
			return nil, err
		}
		for _, a := range actors {
			name, ok := s.urls.LocalUsername(a)
			if !ok || seen[a] {
				continue
			}
			seen[a] = true
			acct, err := t.LocalAccountByUsername(name)
			if err != nil {
				continue
			}
			ev, err := s.notify(t, acct.ID, typ, o.AttributedTo, o.IRI)
			if err != nil {
				return nil, err
			}
			evs = append(evs, ev)
		}
	}
	return evs, nil
}

// InboundDelete implements federation.ObjectHook.
func (s *Service) InboundDelete(ctx context.Context, t *store.Tx, rec *store.Object) error {
	evs, err := s.unfanOut(t, rec)
	if err != nil {
		return err
	}
	s.emit(t, evs)
	return nil
}

// InboundReaction implements federation.ReactionHook: a Like or Announce
// is counted, its local author notified, and a boost goes into the home
// timelines of the booster's local followers.
func (s *Service) InboundReaction(ctx context.Context, t *store.Tx, rec *store.Object) error {
	if err := t.PutReaction(rec.Type, rec.Target, rec.AttributedTo, "", rec.IRI); err != nil {
		return err
	}
	target, err := t.Object(rec.Target)
	if err != nil {
		return nil
	}
	var evs []event
	if target.Local && target.AccountID != "" {
		typ := mastodon.NotifyFavourite
		if rec.Type == "Announce" {
			typ = mastodon.NotifyReblog
		}
		ev, err := s.notify(t, target.AccountID, typ, rec.AttributedTo, target.IRI)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	if rec.Type == "Announce" && target.Public && (target.Moderation == "" || target.Moderation == store.ModVisible) {
		fs, err := t.Followers(rec.AttributedTo, store.FollowAccepted)
		if err != nil {
			return err
		}
		var streams []string
		for _, f := range fs {
			name, ok := s.urls.LocalUsername(f.Follower)
			if !ok {
				continue
			}
			acct, err := t.LocalAccountByUsername(name)
			if err != nil {
				continue
			}
			if err := t.AddHome(acct.ID, rec.Seq, rec.IRI); err != nil {
				return err
			}
			streams = append(streams, stream.User(acct.ID))
		}
		evs = append(evs, event{kind: "update", streams: streams, iri: rec.IRI})
	}
	s.emit(t, evs)
	return nil
}

// InboundUndo implements federation.ReactionHook: an undone Like or
// Announce stops counting.
func (s *Service) InboundUndo(ctx context.Context, t *store.Tx, rec *store.Object) error {
	if rec.Type != "Like" && rec.Type != "Announce" {
		return nil
	}
	return t.DeleteReaction(rec.Type, rec.Target, rec.AttributedTo, "")
}

// InboundFollow implements federation.ReactionHook: the followed local
// account is notified (follow, or follow_request while pending).
func (s *Service) InboundFollow(ctx context.Context, t *store.Tx, f *store.Follow) error {
	name, ok := s.urls.LocalUsername(f.Followee)
	if !ok {
		return nil
	}
	acct, err := t.LocalAccountByUsername(name)
	if err != nil {
		return nil
	}
	typ := mastodon.NotifyFollow
	if f.State == store.FollowPending {
		typ = mastodon.NotifyFollowRequest
	}
	ev, err := s.notify(t, acct.ID, typ, f.Follower, "")
	if err != nil {
		return err
	}
	s.emit(t, []event{ev})
	return nil
}

// Released fans out an object a moderator approved: it was held out of
// every timeline until now. The moderation service calls it after the
// approval commits.
func (s *Service) Released(ctx context.Context, iri string) error {
	return s.db.Update(ctx, func(t *store.Tx) error {
		o, err := t.Object(iri)
		if err != nil {
			return err
		}
		evs, err := s.fanOut(t, o, nil, true)
		if err != nil {
			return err
		}
		s.emit(t, evs)
		return nil
	})
}

// LocalObject fans out an object published here by another service (an
// alert or note from the publishing service), inside the transaction that
// stores it: call it from PublishObject's also.
func (s *Service) LocalObject(t *store.Tx, o *store.Object) error {
	evs, err := s.fanOut(t, o, nil, true)
	if err != nil {
		return err
	}
	s.emit(t, evs)
	return nil
}
