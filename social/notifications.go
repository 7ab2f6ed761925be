package social

import (
	"context"
	"slices"

	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/store"
)

// NotificationFilter selects notifications by type (Mastodon's types[] and
// exclude_types[]).
type NotificationFilter struct {
	Types, ExcludeTypes []string
}

func (f NotificationFilter) keep(n *store.Notification) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, n.Type) {
		return false
	}
	return !slices.Contains(f.ExcludeTypes, n.Type)
}

// notification renders one notification; ok is false when what it is
// about is gone or no longer readable.
func (s *Service) notification(t *store.Tx, n *store.Notification, v *Viewer, c *cache) (mastodon.Notification, bool, error) {
	acct, err := s.account(t, n.Actor, c)
	if err != nil {
		return mastodon.Notification{}, false, nil
	}
	var st *mastodon.Status
	if n.Object != "" {
		o, err := t.Object(n.Object)
		if err != nil || !s.canRead(t, o, v) {
			return mastodon.Notification{}, false, nil
		}
		rendered, err := s.status(t, o, v, c)
		if err != nil {
			return mastodon.Notification{}, false, nil
		}
		st = &rendered
	}
	return s.conv.Notification(n.ID, n.Type, n.CreatedAt, acct, st), true, nil
}

// Notifications lists the viewer's notifications, newest first.
func (s *Service) Notifications(ctx context.Context, v *Viewer, f NotificationFilter, p store.Page) ([]mastodon.Notification, error) {
	p.Limit = clampLimit(p.Limit)
	if p.Limit == MaxLimit {
		p.Limit = 80 // Mastodon allows 80 notifications a page
	}
	out := []mastodon.Notification{}
	err := s.db.View(ctx, func(t *store.Tx) error {
		ns, err := t.NotificationPage(v.Actor.ID, p, f.keep)
		if err != nil {
			return err
		}
		c := newCache()
		for _, n := range ns {
			m, ok, err := s.notification(t, n, v, c)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Notification returns one of the viewer's notifications.
func (s *Service) Notification(ctx context.Context, v *Viewer, id string) (mastodon.Notification, error) {
	var out mastodon.Notification
	err := s.db.View(ctx, func(t *store.Tx) error {
		n, err := t.NotificationByID(v.Actor.ID, id)
		if isNotFound(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		m, ok, err := s.notification(t, n, v, newCache())
		if err != nil {
			return err
		}
		if !ok {
			return notFound()
		}
		out = m
		return nil
	})
	return out, err
}

// DismissNotification removes one notification.
func (s *Service) DismissNotification(ctx context.Context, v *Viewer, id string) error {
	return s.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.NotificationByID(v.Actor.ID, id); err != nil {
			if isNotFound(err) {
				return notFound()
			}
			return err
		}
		return t.DeleteNotification(v.Actor.ID, id)
	})
}

// ClearNotifications removes all of the viewer's notifications.
func (s *Service) ClearNotifications(ctx context.Context, v *Viewer) error {
	return s.db.Update(ctx, func(t *store.Tx) error { return t.ClearNotifications(v.Actor.ID) })
}
