package handlers

// Shared pieces of the Mastodon client API: the entity converter and the
// lookups every endpoint group needs (accounts by IRI or by client-API id).

import (
	"context"
	"errors"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// converter returns the Mastodon entity converter of this instance.
func (s *Server) converter() *mastodon.Converter {
	lang := "en"
	if l := s.cfg.Instance.Languages; len(l) > 0 {
		lang = l[0]
	}
	return &mastodon.Converter{URLs: s.urls, Language: lang, Now: s.now}
}

// localCounts counts what a local account's entity shows.
func (s *Server) localCounts(ctx context.Context, a *store.Account) (mastodon.AccountCounts, error) {
	actor := s.urls.Actor(a.Username)
	var c mastodon.AccountCounts
	err := s.fed.DB.View(ctx, func(t *store.Tx) error {
		n, err := t.CountPublicObjects(a.ID)
		if err != nil {
			return err
		}
		c.Statuses = n
		followers, err := t.Followers(actor, store.FollowAccepted)
		if err != nil {
			return err
		}
		following, err := t.Following(actor, store.FollowAccepted)
		if err != nil {
			return err
		}
		c.Followers, c.Following = len(followers), len(following)
		return nil
	})
	return c, err
}

// accountEntity returns the Mastodon Account of an actor IRI, local or
// remote (fetched from its origin when unknown).
func (s *Server) accountEntity(ctx context.Context, iri string) (mastodon.Account, error) {
	conv := s.converter()
	if name, ok := s.urls.LocalUsername(iri); ok {
		a, err := s.accounts.Get(ctx, name)
		if err != nil {
			return mastodon.Account{}, err
		}
		counts, err := s.localCounts(ctx, a)
		if err != nil {
			return mastodon.Account{}, err
		}
		return conv.LocalAccount(a, counts), nil
	}
	r, err := s.fed.Remote.Actor(ctx, iri, false)
	if err != nil {
		return mastodon.Account{}, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "Record not found", Err: err}
	}
	return conv.RemoteAccount(r, mastodon.AccountCounts{}), nil
}

// accountByID resolves a client-API account id: a local account's store ID,
// or a remote actor's RemoteActorID. Exactly one of the results is set.
func (s *Server) accountByID(ctx context.Context, id string) (*store.Account, *store.RemoteActor, error) {
	if mastodon.IsRemoteAccountID(id) {
		r, err := s.fed.DB.RemoteActorByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, tocsin.Errorf(tocsin.ENOTFOUND, "Record not found")
		}
		return nil, r, err
	}
	a, err := s.fed.DB.AccountByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, tocsin.Errorf(tocsin.ENOTFOUND, "Record not found")
	}
	return a, nil, err
}

// actorIRI is the actor IRI of an account id's account.
func (s *Server) actorIRI(local *store.Account, remote *store.RemoteActor) string {
	if local != nil {
		return s.urls.Actor(local.Username)
	}
	return remote.IRI
}
