package social

import (
	"context"
	"slices"
	"strings"

	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// Limits of a timeline page, as Mastodon's.
const (
	DefaultLimit = 20
	MaxLimit     = 40
)

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// HomeTimeline is the viewer's home timeline, newest first.
func (s *Service) HomeTimeline(ctx context.Context, v *Viewer, p store.Page) ([]mastodon.Status, error) {
	p.Limit = clampLimit(p.Limit)
	var out []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		entries, err := t.HomePage(v.Actor.ID, p)
		if err != nil {
			return err
		}
		out, err = s.render(t, entries, v)
		return err
	})
	return out, err
}

// PublicTimeline is the public timeline: local only (statuses written
// here), remote only, or both.
func (s *Service) PublicTimeline(ctx context.Context, v *Viewer, local, remote bool, p store.Page) ([]mastodon.Status, error) {
	p.Limit = clampLimit(p.Limit)
	host := s.urls.Base + "/"
	var out []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		var filter func(seq, iri string) bool
		if remote && !local {
			filter = func(_, iri string) bool { return !strings.HasPrefix(iri, host) }
		}
		entries, err := t.PublicPage(local && !remote, p, filter)
		if err != nil {
			return err
		}
		out, err = s.render(t, entries, v)
		return err
	})
	return out, err
}

// TagTimeline is a hashtag's timeline (public statuses only).
func (s *Service) TagTimeline(ctx context.Context, v *Viewer, tag string, local bool, p store.Page) ([]mastodon.Status, error) {
	p.Limit = clampLimit(p.Limit)
	host := s.urls.Base + "/"
	tag = strings.ToLower(strings.TrimPrefix(tag, "#"))
	var out []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		var filter func(seq, iri string) bool
		if local {
			filter = func(_, iri string) bool { return strings.HasPrefix(iri, host) }
		}
		entries, err := t.TagPage(tag, p, filter)
		if err != nil {
			return err
		}
		out, err = s.render(t, entries, v)
		return err
	})
	return out, err
}

// Bookmarks lists the viewer's bookmarks, newest first.
func (s *Service) Bookmarks(ctx context.Context, v *Viewer, p store.Page) ([]mastodon.Status, error) {
	p.Limit = clampLimit(p.Limit)
	var out []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		entries, err := t.BookmarkPage(v.Actor.ID, p)
		if err != nil {
			return err
		}
		out, err = s.render(t, entries, v)
		return err
	})
	return out, err
}

// Favourites lists what the viewer favourited, newest status first.
func (s *Service) Favourites(ctx context.Context, v *Viewer, p store.Page) ([]mastodon.Status, error) {
	p.Limit = clampLimit(p.Limit)
	var out []mastodon.Status
	err := s.db.View(ctx, func(t *store.Tx) error {
		iris, err := t.Favourites(v.Actor.ID, 10000)
		if err != nil {
			return err
		}
		var entries []store.Entry
		for _, iri := range iris {
			if o, err := t.Object(iri); err == nil {
				if (p.MaxID == "" || o.Seq < p.MaxID) && (p.SinceID == "" || o.Seq > p.SinceID) && (p.MinID == "" || o.Seq > p.MinID) {
					entries = append(entries, store.Entry{ID: o.Seq, IRI: iri})
				}
			}
		}
		slices.SortFunc(entries, func(a, b store.Entry) int { return strings.Compare(b.ID, a.ID) })
		if len(entries) > p.Limit {
			entries = entries[:p.Limit]
		}
		out, err = s.render(t, entries, v)
		return err
	})
	return out, err
}
