package publish

import (
	"context"
	"errors"
	"slices"
	"strings"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// SetCircle creates or replaces a circle: the peer organisations a
// TLP:AMBER alert marked for it reaches. Members are given as handles,
// actor URLs or server addresses and resolved to actor IRIs (network I/O).
func (s *Service) SetCircle(ctx context.Context, name string, members []string) (*store.Circle, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "name", Message: "must be 1 to 100 characters"})
	}
	var iris []string
	for _, m := range members {
		iri, err := s.fed.ResolveActor(ctx, m)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(iris, iri) {
			iris = append(iris, iri)
		}
	}
	now := s.now().UTC()
	c := &store.Circle{Name: name, Members: iris, CreatedAt: now, UpdatedAt: now}
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if prev, err := t.Circle(name); err == nil {
			c.CreatedAt = prev.CreatedAt
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return t.PutCircle(c)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "circle set", "circle", name, "members", len(iris))
	return c, nil
}

// Circles lists the circles.
func (s *Service) Circles(ctx context.Context) ([]*store.Circle, error) { return s.db.Circles(ctx) }

// DeleteCircle removes a circle. Alerts already shared stay shared.
func (s *Service) DeleteCircle(ctx context.Context, name string) error {
	if _, err := s.db.Circle(ctx, name); err != nil {
		return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no circle named " + name, Err: err}
	}
	return s.db.Update(ctx, func(t *store.Tx) error { return t.DeleteCircle(name) })
}
