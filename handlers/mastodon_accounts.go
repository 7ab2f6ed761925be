package handlers

// Mastodon client API: accounts (docs.joinmastodon.org/methods/accounts),
// follow requests, and the relationships between the token's actor and
// other accounts. The token's actor is tok.Actor(): the organisation when a
// publisher acts for one, so an organisation follows, approves its
// followers and edits its profile here.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// mastodonAccountRoutes registers the account, instance and miscellaneous
// groups of the Mastodon client API.
func (s *Server) mastodonAccountRoutes() {
	s.mastodonInstanceRoutes()
	if s.oauth != nil {
		e := s.e
		e.GET("/api/v1/accounts/verify_credentials", s.verifyCredentials, s.requireUser("read:accounts", "profile"))
		e.PATCH("/api/v1/accounts/update_credentials", s.updateCredentials, s.requireUser("write:accounts"))
		e.GET("/api/v1/accounts/relationships", s.relationships, s.requireUser("read:follows"))
		e.GET("/api/v1/accounts/search", s.searchAccounts, s.requireUser("read:accounts"))
		e.GET("/api/v1/accounts/lookup", s.lookupAccount, s.optionalAuth())
		e.GET("/api/v1/accounts/:id", s.getAccount, s.optionalAuth())
		e.GET("/api/v1/accounts/:id/statuses", s.accountStatuses, s.optionalAuth())
		e.GET("/api/v1/accounts/:id/followers", s.accountFollowers, s.optionalAuth())
		e.GET("/api/v1/accounts/:id/following", s.accountFollowing, s.optionalAuth())
		e.GET("/api/v1/accounts/:id/featured_tags", emptyList, s.optionalAuth())
		e.GET("/api/v1/accounts/:id/lists", emptyList, s.requireUser("read:lists"))
		e.POST("/api/v1/accounts/:id/follow", s.followAccount, s.requireUser("write:follows"))
		e.POST("/api/v1/accounts/:id/unfollow", s.unfollowAccount, s.requireUser("write:follows"))
		e.GET("/api/v1/follow_requests", s.followRequests, s.requireUser("read:follows"))
		e.POST("/api/v1/follow_requests/:id/authorize", s.answerFollowRequest, s.requireUser("write:follows"))
		e.POST("/api/v1/follow_requests/:id/reject", s.answerFollowRequest, s.requireUser("write:follows"))
	}
	s.mastodonMiscRoutes()
}

// Mastodon's visibilities, which source[privacy] takes.
var postVisibilities = []string{"public", "unlisted", "private", "direct"}

// settingsSource is an account's posting defaults as CredentialAccount
// source and Preferences show them.
func settingsSource(st *store.AccountSettings) mastodon.Source {
	privacy := st.Privacy
	if privacy == "" {
		privacy = "public"
	}
	return mastodon.Source{Privacy: privacy, Sensitive: st.Sensitive, Language: st.Language}
}

// credentialAccount is the CredentialAccount of the token's actor. The
// role is the signed-in person's, so that staff acting for an organisation
// keep their moderation tools.
func (s *Server) credentialAccount(ctx context.Context, tokAccount, actor *store.Account) (mastodon.CredentialAccount, error) {
	counts, err := s.localCounts(ctx, actor)
	if err != nil {
		return mastodon.CredentialAccount{}, err
	}
	st, err := s.fed.DB.AccountSettings(ctx, actor.ID)
	if err != nil {
		return mastodon.CredentialAccount{}, err
	}
	pending, err := s.fed.DB.Followers(ctx, s.urls.Actor(actor.Username), store.FollowPending)
	if err != nil {
		return mastodon.CredentialAccount{}, err
	}
	ca := s.converter().CredentialAccount(actor, counts, mastodon.SourceOptions{
		Privacy: st.Privacy, Sensitive: st.Sensitive, Language: st.Language, FollowRequestsCount: len(pending),
	})
	ca.Role = mastodon.RoleOf(tokAccount.Role)
	return ca, nil
}

func (s *Server) verifyCredentials(c echo.Context) error {
	tok := currentToken(c)
	ca, err := s.credentialAccount(c.Request().Context(), tok.Account, tok.Actor())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ca)
}

// updateCredentials answers PATCH update_credentials: display_name, note,
// locked, discoverable and source[privacy|sensitive|language], form or
// JSON. Other attributes (avatar, header, fields, bot) are accepted and
// ignored: Tocsin has no uploads or profile fields yet.
func (s *Server) updateCredentials(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tok := currentToken(c)
	actor := tok.Actor()
	var in account.ProfileInput
	if _, ok := p["display_name"]; ok {
		v := p.Get("display_name")
		in.DisplayName = &v
	}
	if _, ok := p["note"]; ok {
		v := p.Get("note")
		in.Summary = &v
	}
	in.Locked = paramBool(p, "locked")
	in.Discoverable = paramBool(p, "discoverable")

	_, hasPrivacy := p["source[privacy]"]
	privacy := strings.TrimSpace(p.Get("source[privacy]"))
	_, hasLanguage := p["source[language]"]
	lang := strings.ToLower(strings.TrimSpace(p.Get("source[language]")))
	sensitive := paramBool(p, "source[sensitive]")
	var fields []tocsin.FieldError
	if hasPrivacy && !slices.Contains(postVisibilities, privacy) {
		fields = append(fields, tocsin.FieldError{Field: "source[privacy]", Message: "must be public, unlisted, private or direct"})
	}
	if hasLanguage && lang != "" && !isLanguageCode(lang) {
		fields = append(fields, tocsin.FieldError{Field: "source[language]", Message: "must be an ISO 639-1 language code"})
	}
	if len(fields) > 0 {
		return tocsin.Invalid(fields...)
	}
	if in != (account.ProfileInput{}) {
		updated, err := s.accounts.UpdateProfile(ctx, actor.Username, in)
		if err != nil {
			return err
		}
		actor = updated
	}
	if hasPrivacy || hasLanguage || sensitive != nil {
		_, err := s.fed.DB.UpdateAccountSettings(ctx, actor.ID, func(st *store.AccountSettings) error {
			if hasPrivacy {
				st.Privacy = privacy
			}
			if hasLanguage {
				st.Language = lang
			}
			if sensitive != nil {
				st.Sensitive = *sensitive
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	tokAccount := tok.Account
	if tokAccount.ID == actor.ID {
		tokAccount = actor
	}
	ca, err := s.credentialAccount(ctx, tokAccount, actor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ca)
}

func isLanguageCode(s string) bool {
	if len(s) != 2 && len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// knownAccount is the entity of an actor IRI from what the store holds,
// fetching a remote actor only when it was never stored (lists must not
// wait on peers).
func (s *Server) knownAccount(ctx context.Context, iri string) (mastodon.Account, error) {
	if _, ok := s.urls.LocalUsername(iri); !ok {
		if r, err := s.fed.DB.RemoteActor(ctx, iri); err == nil {
			return s.converter().RemoteAccount(r, mastodon.AccountCounts{}), nil
		}
	}
	return s.accountEntity(ctx, iri)
}

// accountOf resolves the :id of a request to an entity and actor IRI.
func (s *Server) accountOf(c echo.Context) (acc mastodon.Account, iri string, local *store.Account, err error) {
	ctx := c.Request().Context()
	local, remote, err := s.accountByID(ctx, c.Param("id"))
	if err != nil {
		return acc, "", nil, err
	}
	if local != nil && local.Disabled {
		return acc, "", nil, recordNotFound()
	}
	iri = s.actorIRI(local, remote)
	if local != nil {
		counts, err := s.localCounts(ctx, local)
		if err != nil {
			return acc, "", nil, err
		}
		return s.converter().LocalAccount(local, counts), iri, local, nil
	}
	return s.converter().RemoteAccount(remote, mastodon.AccountCounts{}), iri, nil, nil
}

func (s *Server) getAccount(c echo.Context) error {
	acc, _, _, err := s.accountOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, acc)
}

// lookupAccount answers GET /api/v1/accounts/lookup?acct=name or
// name@host: a local account, or a remote one found by WebFinger.
func (s *Server) lookupAccount(c echo.Context) error {
	acct := strings.TrimPrefix(strings.TrimSpace(c.QueryParam("acct")), "@")
	if acct == "" {
		return recordNotFound()
	}
	ctx := c.Request().Context()
	name, host, remote := strings.Cut(acct, "@")
	if !remote || strings.EqualFold(host, s.urls.Host()) {
		a, err := s.accounts.Get(ctx, name)
		if err != nil || a.Disabled {
			return recordNotFound()
		}
		acc, err := s.accountEntity(ctx, s.urls.Actor(a.Username))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, acc)
	}
	iri, err := s.fed.ResolveActor(ctx, acct)
	if err != nil {
		return recordNotFound()
	}
	acc, err := s.knownAccount(ctx, iri)
	if err != nil {
		return recordNotFound()
	}
	return c.JSON(http.StatusOK, acc)
}

// searchAccounts answers GET /api/v1/accounts/search: local accounts whose
// username or display name contains q; with resolve=true a handle or URL
// is looked up on its server.
func (s *Server) searchAccounts(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := strings.TrimPrefix(strings.TrimSpace(p.Get("q")), "@")
	pg := readMastoPage(p, 40, 80)
	out := []mastodon.Account{}
	if q == "" {
		return c.JSON(http.StatusOK, out)
	}
	seen := map[string]bool{}
	addIRI := func(iri string) {
		if acc, err := s.knownAccount(ctx, iri); err == nil && !seen[acc.ID] && len(out) < pg.Limit {
			seen[acc.ID] = true
			out = append(out, acc)
		}
	}
	name, host, isHandle := strings.Cut(q, "@")
	isURL := strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://")
	local := !isURL && (!isHandle || strings.EqualFold(host, s.urls.Host()))
	if local {
		accounts, err := s.accounts.List(ctx)
		if err != nil {
			return err
		}
		needle := strings.ToLower(name)
		// Exact username first, then the others that contain the text.
		sort.SliceStable(accounts, func(i, j int) bool {
			return strings.EqualFold(accounts[i].Username, name) && !strings.EqualFold(accounts[j].Username, name)
		})
		for _, a := range accounts {
			if a.Disabled || (!a.Discoverable && !strings.EqualFold(a.Username, name)) {
				continue
			}
			if strings.Contains(strings.ToLower(a.Username), needle) || strings.Contains(strings.ToLower(a.DisplayName), needle) {
				addIRI(s.urls.Actor(a.Username))
			}
		}
	} else if paramTrue(p.Get("resolve")) {
		if iri, err := s.fed.ResolveActor(ctx, q); err == nil {
			addIRI(iri)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// relationships answers GET /api/v1/accounts/relationships?id[]=...: one
// Relationship per known id, in the order asked.
func (s *Server) relationships(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	out := []mastodon.Relationship{}
	for _, id := range paramValues(p, "id") {
		local, remote, err := s.accountByID(ctx, id)
		if err != nil {
			if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
				continue
			}
			return err
		}
		rel, err := s.relationship(ctx, currentToken(c).Actor(), id, s.actorIRI(local, remote))
		if err != nil {
			return err
		}
		out = append(out, rel)
	}
	return c.JSON(http.StatusOK, out)
}

// relationship is how viewer stands with the account id (actor target).
func (s *Server) relationship(ctx context.Context, viewer *store.Account, id, target string) (mastodon.Relationship, error) {
	me := s.urls.Actor(viewer.Username)
	var out, in *store.Follow
	err := s.fed.DB.View(ctx, func(t *store.Tx) error {
		var err error
		if out, err = t.Follow(target, me); errors.Is(err, store.ErrNotFound) {
			out, err = nil, nil
		}
		if err != nil {
			return err
		}
		if in, err = t.Follow(me, target); errors.Is(err, store.ErrNotFound) {
			in, err = nil, nil
		}
		return err
	})
	if err != nil {
		return mastodon.Relationship{}, err
	}
	return s.converter().Relationship(id, out, in, mastodon.RelationshipExtras{}), nil
}

// followAccount answers POST /api/v1/accounts/:id/follow. A remote account
// is followed through the outbox (requested until its server Accepts); a
// local one at once, or as a request when it approves followers by hand.
func (s *Server) followAccount(c echo.Context) error {
	ctx := c.Request().Context()
	viewer := currentToken(c).Actor()
	local, remote, err := s.accountByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	target := s.actorIRI(local, remote)
	switch {
	case local != nil && local.ID == viewer.ID:
		return tocsin.Errorf(tocsin.EINVALID, "Validation failed: You cannot follow yourself")
	case local != nil:
		if local.Disabled {
			return recordNotFound()
		}
		if err := s.followLocal(ctx, viewer, local); err != nil {
			return err
		}
	default:
		if _, err := s.fed.Outbox.Follow(ctx, viewer, target); err != nil {
			return err
		}
	}
	rel, err := s.relationship(ctx, viewer, c.Param("id"), target)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rel)
}

// followLocal records a follow between two local accounts: nothing to
// federate, accepted unless the followee approves followers by hand (it
// then appears in its follow requests; ApproveFollower accepts it).
func (s *Server) followLocal(ctx context.Context, follower, followee *store.Account) error {
	me, them := s.urls.Actor(follower.Username), s.urls.Actor(followee.Username)
	return s.fed.DB.Update(ctx, func(t *store.Tx) error {
		if _, err := t.Follow(them, me); err == nil {
			return nil
		}
		now := s.now().UTC()
		f := &store.Follow{
			Followee: them, Follower: me, FollowID: s.urls.Activity(follower.Username, t.NewID()),
			State: store.FollowPending, Inbox: s.urls.Inbox(follower.Username),
			SharedInbox: s.urls.SharedInbox(), CreatedAt: now,
		}
		if !followee.ManuallyApprovesFollowers {
			f.State, f.AcceptedAt = store.FollowAccepted, now
		}
		return t.PutFollow(f)
	})
}

func (s *Server) unfollowAccount(c echo.Context) error {
	ctx := c.Request().Context()
	viewer := currentToken(c).Actor()
	local, remote, err := s.accountByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	target, me := s.actorIRI(local, remote), s.urls.Actor(viewer.Username)
	if _, err := s.fed.DB.Follow(ctx, target, me); err == nil {
		if local != nil {
			err = s.fed.DB.Update(ctx, func(t *store.Tx) error { return t.DeleteFollow(target, me) })
		} else {
			err = s.fed.Outbox.Unfollow(ctx, viewer, target)
		}
		if err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	rel, err := s.relationship(ctx, viewer, c.Param("id"), target)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rel)
}

// accountPage returns one page of a follow list, newest relation first,
// as account entities; the cursors of Link are the account IDs of the
// first and last item (Tocsin's follows have no IDs of their own).
func (s *Server) accountPage(c echo.Context, follows []*store.Follow, other func(*store.Follow) string) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	pg := readMastoPage(p, 40, 80)
	ctx := c.Request().Context()
	sort.SliceStable(follows, func(i, j int) bool { return follows[i].CreatedAt.After(follows[j].CreatedAt) })
	ids := make([]string, len(follows))
	for i, f := range follows {
		iri := other(f)
		if _, ok := s.urls.LocalUsername(iri); ok {
			if acc, err := s.knownAccount(ctx, iri); err == nil {
				ids[i] = acc.ID
			}
		} else {
			ids[i] = mastodon.RemoteAccountID(iri)
		}
	}
	lo, hi := 0, len(follows) // the window [lo, hi) the cursors allow
	if i := slices.Index(ids, pg.MaxID); pg.MaxID != "" && i >= 0 {
		lo = i + 1
	}
	newer := pg.MinID
	if newer == "" {
		newer = pg.SinceID
	}
	if i := slices.Index(ids, newer); newer != "" && i >= 0 {
		hi = i
		if pg.MinID != "" {
			lo = max(lo, hi-pg.Limit)
		}
	}
	out := []mastodon.Account{}
	first, last := "", ""
	i := lo
	for ; i < hi && len(out) < pg.Limit; i++ {
		acc, err := s.knownAccount(ctx, other(follows[i]))
		if err != nil {
			continue
		}
		out = append(out, acc)
		if first == "" {
			first = ids[i]
		}
		last = ids[i]
	}
	s.setMastoLink(c, pg, first, last, i < len(follows))
	return c.JSON(http.StatusOK, out)
}

func (s *Server) accountFollowers(c echo.Context) error {
	_, iri, _, err := s.accountOf(c)
	if err != nil {
		return err
	}
	fs, err := s.fed.DB.Followers(c.Request().Context(), iri, store.FollowAccepted)
	if err != nil {
		return err
	}
	return s.accountPage(c, fs, func(f *store.Follow) string { return f.Follower })
}

func (s *Server) accountFollowing(c echo.Context) error {
	_, iri, _, err := s.accountOf(c)
	if err != nil {
		return err
	}
	fs, err := s.fed.DB.Following(c.Request().Context(), iri, store.FollowAccepted)
	if err != nil {
		return err
	}
	return s.accountPage(c, fs, func(f *store.Follow) string { return f.Followee })
}

func (s *Server) followRequests(c echo.Context) error {
	actor := currentToken(c).Actor()
	fs, err := s.fed.DB.Followers(c.Request().Context(), s.urls.Actor(actor.Username), store.FollowPending)
	if err != nil {
		return err
	}
	return s.accountPage(c, fs, func(f *store.Follow) string { return f.Follower })
}

// answerFollowRequest authorizes or rejects the pending follow of the
// account :id for the token's actor, and returns the relationship.
func (s *Server) answerFollowRequest(c echo.Context) error {
	ctx := c.Request().Context()
	actor := currentToken(c).Actor()
	local, remote, err := s.accountByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	follower := s.actorIRI(local, remote)
	f, err := s.fed.DB.Follow(ctx, s.urls.Actor(actor.Username), follower)
	if errors.Is(err, store.ErrNotFound) {
		return recordNotFound()
	}
	if err != nil {
		return err
	}
	if f.State == store.FollowPending {
		approve := strings.HasSuffix(c.Path(), "/authorize")
		if err := s.fed.Outbox.ApproveFollower(ctx, actor, follower, approve); err != nil {
			return err
		}
	}
	rel, err := s.relationship(ctx, actor, c.Param("id"), follower)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rel)
}

// accountStatuses answers GET /api/v1/accounts/:id/statuses, newest first.
// A local account's statuses come from its outbox; a peer's from the
// objects stored as attributed to it. Others than the author see public,
// visible statuses only (TLP:CLEAR; a GREEN or stricter alert is never
// public). pinned=true and only_media=true are empty: Tocsin has neither.
func (s *Server) accountStatuses(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	acc, iri, local, err := s.accountOf(c)
	if err != nil {
		return err
	}
	pg := readMastoPage(p, 20, 40)
	out := []mastodon.Status{}
	if paramTrue(p.Get("pinned")) || paramTrue(p.Get("only_media")) {
		return c.JSON(http.StatusOK, out)
	}
	ctx := c.Request().Context()
	tok := currentToken(c)
	owner := local != nil && tok != nil && tok.Account != nil &&
		(tok.Actor().ID == local.ID || tok.Account.ID == local.ID || slices.Contains(tok.Account.ActsFor, local.ID))
	excludeReplies := paramTrue(p.Get("exclude_replies"))
	keep := func(o *store.Object) bool {
		switch {
		case !o.Deleted.IsZero(), o.Seq == "", o.Type == "Tombstone", o.Type == "Like", o.Type == "Announce":
			return false
		case excludeReplies && o.InReplyTo != "":
			return false
		case owner:
			return true
		}
		return o.Public && (o.Moderation == "" || o.Moderation == store.ModVisible)
	}
	objs, err := s.authoredObjects(ctx, iri, local, keep)
	if err != nil {
		return err
	}
	// objs is newest first; apply the ID bounds.
	var window []*store.Object
	for _, o := range objs {
		if (pg.MaxID != "" && o.Seq >= pg.MaxID) || (pg.SinceID != "" && o.Seq <= pg.SinceID) || (pg.MinID != "" && o.Seq <= pg.MinID) {
			continue
		}
		window = append(window, o)
	}
	more := len(window) > pg.Limit
	if len(window) > pg.Limit {
		if pg.MinID != "" && pg.MaxID == "" {
			window = window[len(window)-pg.Limit:] // the statuses just after min_id
		} else {
			window = window[:pg.Limit]
		}
	}
	conv := s.converter()
	err = s.fed.DB.View(ctx, func(t *store.Tx) error {
		for _, o := range window {
			var opt mastodon.StatusOptions
			if rec, err := t.Alert(o.IRI); err == nil {
				opt.Alert = rec
			}
			st, err := conv.Status(o, acc, opt)
			if err != nil {
				continue // not a status (an activity, a damaged record)
			}
			out = append(out, st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(out) > 0 {
		s.setMastoLink(c, pg, out[0].ID, out[len(out)-1].ID, more || len(out) == pg.Limit)
	}
	return c.JSON(http.StatusOK, out)
}

// authoredObjects returns the objects by actor iri that keep accepts,
// newest first: a local account's from its outbox (the objects of its
// Create activities), a peer's by a scan of the stored objects.
func (s *Server) authoredObjects(ctx context.Context, iri string, local *store.Account, keep func(*store.Object) bool) ([]*store.Object, error) {
	var out []*store.Object
	err := s.fed.DB.View(ctx, func(t *store.Tx) error {
		if local == nil {
			iris, err := t.ObjectsByAuthor(iri)
			if err != nil {
				return err
			}
			for _, oi := range iris {
				if o, err := t.Object(oi); err == nil && keep(o) {
					out = append(out, o)
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
			return nil
		}
		const chunk = 200
		before := ""
		for {
			acts, last, err := t.OutboxPage(local.ID, before, chunk)
			if err != nil {
				return err
			}
			for _, ai := range acts {
				oi, ok := strings.CutSuffix(ai, "/activity")
				if !ok {
					continue // a Follow, Undo...: not a status
				}
				if o, err := t.Object(oi); err == nil && keep(o) {
					out = append(out, o)
				}
			}
			if len(acts) < chunk {
				return nil
			}
			before = last
		}
	})
	return out, err
}
