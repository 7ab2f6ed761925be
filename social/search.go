package social

import (
	"context"
	"strings"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// SearchResult is Mastodon's Search entity (v2).
type SearchResult struct {
	Accounts []mastodon.Account `json:"accounts"`
	Statuses []mastodon.Status  `json:"statuses"`
	Hashtags []mastodon.Tag     `json:"hashtags"`
}

// Search finds an account by handle or URL, a status by URL, or a
// hashtag. With resolve (and a signed-in viewer) what is not stored yet is
// fetched from its origin, never from a third party. typ ("accounts",
// "statuses", "hashtags" or "") limits the kinds.
func (s *Service) Search(ctx context.Context, v *Viewer, q string, resolve bool, typ string) (SearchResult, error) {
	res := SearchResult{Accounts: []mastodon.Account{}, Statuses: []mastodon.Status{}, Hashtags: []mastodon.Tag{}}
	q = strings.TrimSpace(q)
	want := func(k string) bool { return typ == "" || typ == k }
	resolve = resolve && v.signedIn()
	isURL := strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://")
	switch {
	case q == "":
	case isURL:
		if want("statuses") {
			if st, ok := s.statusByURL(ctx, v, q, resolve); ok {
				res.Statuses = append(res.Statuses, st)
				return res, nil
			}
		}
		if want("accounts") && resolve {
			if iri, err := s.fed.ResolveActor(ctx, q); err == nil {
				if a, err := s.accountEntity(ctx, iri); err == nil {
					res.Accounts = append(res.Accounts, a)
				}
			}
		}
	case strings.Contains(strings.TrimPrefix(q, "@"), "@") && !strings.ContainsAny(q, " \t"):
		if want("accounts") {
			handle := strings.TrimPrefix(q, "@")
			user, host, _ := strings.Cut(handle, "@")
			var iri string
			if host == s.urls.Host() {
				iri = s.urls.Actor(user)
			} else if resolve {
				iri, _ = s.fed.ResolveActor(ctx, handle)
			} else if r, err := s.knownRemote(ctx, user, host); err == nil {
				iri = r
			}
			if iri != "" {
				if a, err := s.accountEntity(ctx, iri); err == nil {
					res.Accounts = append(res.Accounts, a)
				}
			}
		}
	default:
		name := strings.TrimPrefix(q, "#")
		if want("accounts") {
			if a, err := s.db.AccountByUsername(ctx, strings.TrimPrefix(q, "@")); err == nil {
				if acct, err := s.accountEntity(ctx, s.actorIRI(a)); err == nil {
					res.Accounts = append(res.Accounts, acct)
				}
			}
		}
		if want("hashtags") && name != "" && !strings.ContainsAny(name, " \t#@") {
			res.Hashtags = append(res.Hashtags, s.conv.Tag(name, nil))
		}
	}
	return res, nil
}

func (s *Service) knownRemote(ctx context.Context, user, host string) (string, error) {
	for _, scheme := range []string{"https://", "http://"} {
		for _, path := range []string{"/users/", "/@"} {
			if r, err := s.db.RemoteActor(ctx, scheme+host+path+user); err == nil {
				return r.IRI, nil
			}
		}
	}
	return "", store.ErrNotFound
}

func (s *Service) accountEntity(ctx context.Context, iri string) (mastodon.Account, error) {
	if _, ok := s.urls.LocalUsername(iri); !ok {
		if _, err := s.fed.Remote.Actor(ctx, iri, false); err != nil {
			return mastodon.Account{}, err
		}
	}
	var out mastodon.Account
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		out, err = s.account(t, iri, newCache())
		return err
	})
	return out, err
}

// statusByURL finds a stored status by its id, or fetches it from its
// origin and stores it (through the same hooks as an inbound Create).
func (s *Service) statusByURL(ctx context.Context, v *Viewer, u string, resolve bool) (mastodon.Status, bool) {
	if st, err := s.StatusByIRI(ctx, v, u); err == nil {
		return st, true
	}
	if !resolve || strings.HasPrefix(u, s.urls.Base+"/") {
		return mastodon.Status{}, false
	}
	resp, err := s.fed.Fetch.GetActivity(ctx, u)
	if err != nil {
		return mastodon.Status{}, false
	}
	doc, err := ap.Parse(resp.Body)
	if err != nil || doc.Object == nil {
		return mastodon.Status{}, false
	}
	o := doc.Object
	if !sameHost(o.ID, resp.FinalURL) || (o.AttributedTo != "" && !sameHost(o.AttributedTo, o.ID)) || o.AttributedTo == "" {
		return mastodon.Status{}, false
	}
	if st, err := s.StatusByIRI(ctx, v, o.ID); err == nil {
		return st, true
	}
	if _, err := s.fed.Remote.Actor(ctx, o.AttributedTo, false); err != nil {
		return mastodon.Status{}, false
	}
	raw, err := ap.Marshal(o.Raw)
	if err != nil {
		return mastodon.Status{}, false
	}
	rec := &store.Object{IRI: o.ID, Type: o.Type, AttributedTo: o.AttributedTo, InReplyTo: o.InReplyTo,
		Public: containsPublic(o.To) || containsPublic(o.Cc), Raw: raw, Published: o.Published, Updated: o.Updated,
		Moderation: s.fed.Policy().InboundState(ctx, o.AttributedTo, o), ReceivedFrom: hostOf(o.ID)}
	if rec.Moderation == store.ModRejected {
		return mastodon.Status{}, false
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.Object(rec.IRI); err == nil {
			return nil
		}
		if _, err := t.PutObject(rec); err != nil {
			return err
		}
		for _, h := range s.fed.Processor.Hooks {
			if err := h.InboundObject(ctx, t, rec, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.InfoContext(ctx, "search: store fetched status", "url", u, "error", err)
		return mastodon.Status{}, false
	}
	st, err := s.StatusByIRI(ctx, v, o.ID)
	return st, err == nil
}

func hostOf(iri string) string {
	rest, ok := strings.CutPrefix(iri, "https://")
	if !ok {
		rest, _ = strings.CutPrefix(iri, "http://")
	}
	h, _, _ := strings.Cut(rest, "/")
	return strings.ToLower(h)
}

func sameHost(a, b string) bool { h := hostOf(a); return h != "" && h == hostOf(b) }
