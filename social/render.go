package social

import (
	"errors"
	"slices"
	"strings"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// cache keeps what one request renders more than once (authors).
type cache struct {
	accounts  map[string]mastodon.Account
	followers map[string]string
}

func newCache() *cache {
	return &cache{accounts: map[string]mastodon.Account{}, followers: map[string]string{}}
}

// account is the Mastodon Account of an actor IRI, local or remote, from
// the store only (a remote actor not stored yet gets a minimal entity).
func (s *Service) account(t *store.Tx, iri string, c *cache) (mastodon.Account, error) {
	if a, ok := c.accounts[iri]; ok {
		return a, nil
	}
	var out mastodon.Account
	if name, ok := s.urls.LocalUsername(iri); ok {
		a, err := t.LocalAccountByUsername(name)
		if err != nil {
			return mastodon.Account{}, err
		}
		counts, err := localCounts(t, a, iri)
		if err != nil {
			return mastodon.Account{}, err
		}
		out = s.conv.LocalAccount(a, counts)
		c.followers[iri] = s.urls.Followers(a.Username)
	} else {
		r, err := t.RemoteActor(iri)
		if isNotFound(err) {
			r = &store.RemoteActor{IRI: iri, PreferredUsername: lastSegment(iri)}
		} else if err != nil {
			return mastodon.Account{}, err
		}
		out = s.conv.RemoteAccount(r, mastodon.AccountCounts{})
		c.followers[iri] = r.Followers
	}
	c.accounts[iri] = out
	return out, nil
}

func lastSegment(iri string) string {
	return iri[strings.LastIndexByte(iri, '/')+1:]
}

func localCounts(t *store.Tx, a *store.Account, actor string) (mastodon.AccountCounts, error) {
	var c mastodon.AccountCounts
	n, err := t.CountPublicObjects(a.ID)
	if err != nil {
		return c, err
	}
	followers, err := t.Followers(actor, store.FollowAccepted)
	if err != nil {
		return c, err
	}
	following, err := t.Following(actor, store.FollowAccepted)
	if err != nil {
		return c, err
	}
	c.Statuses, c.Followers, c.Following = n, len(followers), len(following)
	return c, nil
}

// accountID is the client-API id of an actor IRI.
func (s *Service) accountID(t *store.Tx, iri string) string {
	if name, ok := s.urls.LocalUsername(iri); ok {
		if a, err := t.LocalAccountByUsername(name); err == nil {
			return a.ID
		}
		return ""
	}
	return mastodon.RemoteAccountID(iri)
}

func (s *Service) actorIRI(a *store.Account) string { return s.urls.Actor(a.Username) }

// addressed lists an object's to and cc (and, for an Announce, its own).
func addressed(o *store.Object) (to, cc []string, tags []ap.Tag) {
	doc, err := ap.Parse(o.Raw)
	if err != nil {
		return nil, nil, nil
	}
	if doc.Object != nil {
		return doc.Object.To, doc.Object.Cc, doc.Object.Tags
	}
	if doc.Activity != nil {
		return doc.Activity.To, doc.Activity.Cc, nil
	}
	return nil, nil, nil
}

// canRead applies moderation and TLP to one object and a viewer: the one
// rule for every read path.
func (s *Service) canRead(t *store.Tx, o *store.Object, v *Viewer) bool {
	if !o.Deleted.IsZero() || o.Type == "Tombstone" {
		return false
	}
	if o.Type == "Announce" {
		target, err := t.Object(o.Target)
		return err == nil && target.Public && s.canRead(t, target, v)
	}
	rec, alertErr := t.Alert(o.IRI)
	if o.Public && (o.Moderation == "" || o.Moderation == store.ModVisible) && alertErr != nil {
		return true // the common case, without parsing the object
	}
	var viewerIRI string
	var pv *publish.Viewer
	if v.signedIn() {
		viewerIRI = s.actorIRI(v.Actor)
		pv = &publish.Viewer{Account: v.Person, Actor: viewerIRI}
		if o.AttributedTo == viewerIRI {
			return true
		}
	}
	to, cc, tags := addressed(o)
	named := slices.Contains(to, viewerIRI) || slices.Contains(cc, viewerIRI)
	for _, tg := range tags {
		named = named || (tg.Type == "Mention" && tg.Href == viewerIRI && viewerIRI != "")
	}
	staff := pv != nil && publish.CanRead(pv, &store.AlertRecord{Moderation: store.ModPending, Alert: clearAlert})
	switch o.Moderation {
	case store.ModPending, store.ModRejected:
		if !staff {
			return false
		}
	case store.ModLimited:
		if !staff && !s.follows(t, viewerIRI, o.AttributedTo) {
			return false
		}
	}
	if alertErr == nil {
		if named && v.signedIn() {
			return true
		}
		return publish.CanRead(pv, rec)
	}
	if slices.ContainsFunc(to, ap.IsPublic) || slices.ContainsFunc(cc, ap.IsPublic) {
		return true
	}
	if !v.signedIn() {
		return false
	}
	if named {
		return true
	}
	followersOf := s.followersCollection(t, o.AttributedTo)
	followersOnly := slices.ContainsFunc(append(slices.Clone(to), cc...), func(a string) bool {
		return a == followersOf || (followersOf == "" && strings.HasSuffix(a, "/followers"))
	})
	return followersOnly && s.follows(t, viewerIRI, o.AttributedTo)
}

// clearAlert is a CLEAR alert, to ask publish.CanRead whether a viewer is
// staff (who alone may read held content).
var clearAlert = alert.Alert{TLP: tlp.Clear}

func (s *Service) follows(t *store.Tx, follower, followee string) bool {
	if follower == "" {
		return false
	}
	f, err := t.Follow(followee, follower)
	return err == nil && f.State == store.FollowAccepted
}

func (s *Service) followersCollection(t *store.Tx, actor string) string {
	if name, ok := s.urls.LocalUsername(actor); ok {
		return s.urls.Followers(name)
	}
	if r, err := t.RemoteActor(actor); err == nil {
		return r.Followers
	}
	return ""
}

// status renders an object for a viewer (nil: anyone). The caller has
// checked canRead.
func (s *Service) status(t *store.Tx, o *store.Object, v *Viewer, c *cache) (mastodon.Status, error) {
	author, err := s.account(t, o.AttributedTo, c)
	if err != nil {
		return mastodon.Status{}, err
	}
	opt := mastodon.StatusOptions{AuthorFollowers: c.followers[o.AttributedTo]}
	if o.Type == "Announce" {
		target, err := t.Object(o.Target)
		if err != nil {
			return mastodon.Status{}, err
		}
		inner, err := s.status(t, target, v, c)
		if err != nil {
			return mastodon.Status{}, err
		}
		opt.Reblog = &inner
		return s.conv.Status(o, author, opt)
	}
	if rec, err := t.Alert(o.IRI); err == nil {
		opt.Alert = rec
	}
	if o.InReplyTo != "" {
		if parent, err := t.Object(o.InReplyTo); err == nil {
			opt.InReplyTo = &mastodon.StatusRef{ID: parent.Seq, AccountID: s.accountID(t, parent.AttributedTo)}
		}
	}
	if opt.Counts.Replies, err = t.CountReplies(o.IRI); err != nil {
		return mastodon.Status{}, err
	}
	if opt.Counts.Reblogs, err = t.CountReactions("Announce", o.IRI); err != nil {
		return mastodon.Status{}, err
	}
	if opt.Counts.Favourites, err = t.CountReactions("Like", o.IRI); err != nil {
		return mastodon.Status{}, err
	}
	if v.signedIn() {
		me := s.actorIRI(v.Actor)
		st := &mastodon.ViewerState{}
		like, _ := t.Reaction("Like", o.IRI, me)
		boost, _ := t.Reaction("Announce", o.IRI, me)
		st.Favourited, st.Reblogged = like != "", boost != ""
		st.Bookmarked, _ = t.Bookmarked(v.Actor.ID, o.Seq)
		st.Pinnable = o.AttributedTo == me && o.Public
		opt.Viewer = st
	}
	out, err := s.conv.Status(o, author, opt)
	if err != nil {
		return out, err
	}
	if opt.Alert != nil && opt.Alert.Alert.TLP != tlp.Clear && out.Visibility == "public" {
		out.Visibility = tlp.MastodonVisibility(opt.Alert.Alert.TLP)
	}
	return out, nil
}

// render reads entries and renders the readable ones, skipping what is
// gone or hidden from the viewer.
func (s *Service) render(t *store.Tx, entries []store.Entry, v *Viewer) ([]mastodon.Status, error) {
	c := newCache()
	out := make([]mastodon.Status, 0, len(entries))
	for _, e := range entries {
		o, err := t.Object(e.IRI)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !s.canRead(t, o, v) {
			continue
		}
		st, err := s.status(t, o, v, c)
		if errors.Is(err, mastodon.ErrNotStatus) || isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
