// Package publish is the one publishing service every interface uses (CLI
// now, the API and web pages next): it creates, updates, resolves, retracts
// and expires threat alerts and good-practice notes as an organisation,
// records which person acted, decides each alert's audience from its TLP
// marking, and keeps structured records of alerts that peers send. It
// imports the domain packages, the federation core and the store; it knows
// nothing of HTTP.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// Service publishes alerts and notes. It is safe for concurrent use.
type Service struct {
	db   *store.DB
	fed  *federation.Federation
	urls federation.URLs
	log  *slog.Logger
	now  func() time.Time
	// OnLocalObject, when set, is called in the transaction that publishes
	// a local alert or note (timelines fan it out there).
	OnLocalObject func(t *store.Tx, o *store.Object) error
	// corroborationEvery spaces the Updates that votes cause (see
	// SetCorroborationInterval), in nanoseconds.
	corroborationEvery atomic.Int64
}

// local runs OnLocalObject, if any.
func (s *Service) local(t *store.Tx, o *store.Object) error {
	if s.OnLocalObject == nil {
		return nil
	}
	return s.OnLocalObject(t, o)
}

// New returns the publishing service and registers it with the federation
// core, so inbound alerts and notes get their structured records.
func New(db *store.DB, fed *federation.Federation, log *slog.Logger) *Service {
	s := &Service{db: db, fed: fed, urls: fed.URLs, log: log, now: time.Now}
	s.corroborationEvery.Store(int64(DefaultCorroborationInterval))
	fed.Processor.AddHook(s)
	return s
}

// DB returns the store the service works on (read paths look records up
// directly).
func (s *Service) DB() *store.DB { return s.db }

// Author says who publishes: the organisation, and the person acting for
// it (nil for the local administrator at the command line).
type Author struct {
	Org    *store.Account
	Person *store.Account
}

// by names the person for edit histories and logs.
func (a Author) by() string {
	if a.Person == nil {
		return "cli"
	}
	return a.Person.Username
}

// check verifies that the person may act for the organisation.
func (a Author) check() error {
	if a.Org == nil || a.Org.Kind != "organization" {
		return tocsin.Errorf(tocsin.EINVALID, "alerts and notes are published as an organisation account")
	}
	if a.Org.Disabled {
		return tocsin.Errorf(tocsin.EFORBIDDEN, "%s is disabled", a.Org.Username)
	}
	if p := a.Person; p != nil {
		if p.Disabled || (p.Role != "admin" && !slices.Contains(p.ActsFor, a.Org.ID)) {
			return tocsin.Errorf(tocsin.EFORBIDDEN, "%s may not publish as %s", p.Username, a.Org.Username)
		}
	}
	return nil
}

func (s *Service) tagURL(name string) string { return s.urls.Base + "/tags/" + name }

// audience turns an alert's TLP into the federation audience, as
// design.md's table says: CLEAR public, GREEN approved followers, AMBER the
// circle's organisations, AMBER+STRICT the named organisations, RED nobody
// outside this instance.
func (s *Service) audience(ctx context.Context, a *alert.Alert) (federation.Audience, error) {
	switch a.TLP {
	case tlp.Clear:
		return federation.Audience{Public: true}, nil
	case tlp.Green:
		return federation.Audience{Followers: true}, nil
	case tlp.Amber:
		c, err := s.db.Circle(ctx, a.Circle)
		if errors.Is(err, store.ErrNotFound) {
			return federation.Audience{}, tocsin.Invalid(tocsin.FieldError{Field: "circle", Message: fmt.Sprintf("no circle named %q", a.Circle)})
		}
		if err != nil {
			return federation.Audience{}, err
		}
		if len(c.Members) == 0 {
			return federation.Audience{}, tocsin.Invalid(tocsin.FieldError{Field: "circle", Message: fmt.Sprintf("circle %q has no members", a.Circle)})
		}
		return federation.Audience{Actors: slices.Clone(c.Members)}, nil
	case tlp.AmberStrict:
		return federation.Audience{Actors: slices.Clone(a.Recipients)}, nil
	case tlp.Red:
		return federation.Audience{}, nil
	}
	return federation.Audience{}, tocsin.Invalid(tocsin.FieldError{Field: "tlp", Message: "is required"})
}

// prepare fills what the service owns and validates the alert.
func prepare(a *alert.Alert) error {
	a.Normalize()
	return a.Validate()
}

// CreateAlert publishes a new alert as the author's organisation and
// federates it to the audience its TLP allows.
func (s *Service) CreateAlert(ctx context.Context, au Author, a alert.Alert) (*store.AlertRecord, error) {
	if err := au.check(); err != nil {
		return nil, err
	}
	seq := s.db.NewID()
	iri := s.urls.Object(au.Org.Username, seq)
	a.ID, a.URI, a.Author = seq, iri, s.urls.Actor(au.Org.Username)
	a.Published = s.now().UTC().Truncate(time.Second)
	a.Updated = time.Time{}
	if a.Status == "" {
		a.Status = alert.StatusActive
	}
	if err := prepare(&a); err != nil {
		return nil, err
	}
	aud, err := s.audience(ctx, &a)
	if err != nil {
		return nil, err
	}
	to, cc := s.fed.Outbox.Addressing(au.Org, aud)
	obj, err := profile.AlertObject(&a, iri, a.Author, to, cc, s.tagURL)
	if err != nil {
		return nil, err
	}
	rec := &store.AlertRecord{IRI: iri, Seq: seq, Local: true, AccountID: au.Org.ID, Alert: a, Moderation: store.ModVisible}
	_, err = s.fed.Outbox.PublishObject(ctx, au.Org, obj, aud, func(t *store.Tx, o *store.Object) error {
		if _, err := t.PutAlert(rec); err != nil {
			return err
		}
		return s.local(t, o)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "alert published", "alert", iri, "org", au.Org.Username, "by", au.by(), "tlp", a.TLP.String())
	return rec, nil
}

// ownAlert loads a local alert of the author's organisation.
func (s *Service) ownAlert(ctx context.Context, au Author, iri string) (*store.AlertRecord, error) {
	if err := au.check(); err != nil {
		return nil, err
	}
	rec, err := s.GetAlert(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !rec.Local || rec.AccountID != au.Org.ID {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "%s is not an alert of %s", iri, au.Org.Username)
	}
	return rec, nil
}

// GetAlert returns a stored alert, local or a peer's.
func (s *Service) GetAlert(ctx context.Context, iri string) (*store.AlertRecord, error) {
	var rec *store.AlertRecord
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		rec, err = t.Alert(iri)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "alert " + iri + " not found", Err: err}
	}
	return rec, err
}

// ListAlerts lists stored alerts, local and federated.
func (s *Service) ListAlerts(ctx context.Context, f store.AlertFilter) ([]*store.AlertRecord, string, error) {
	return s.db.ListAlerts(ctx, f)
}

// republish federates the new state of a local alert (an Update to the
// same audience) and stores it with its revision, in one transaction.
func (s *Service) republish(ctx context.Context, au Author, rec *store.AlertRecord, rev *alert.Revision) (*store.AlertRecord, error) {
	a := &rec.Alert
	aud, err := s.audience(ctx, a)
	if err != nil {
		return nil, err
	}
	if rec.Alert.TLP == tlp.Red {
		// RED never left the instance: update the local copy only.
		return rec, s.db.Update(ctx, func(t *store.Tx) error {
			if rev != nil {
				rec.Revisions = append(rec.Revisions, *rev)
			}
			_, err := t.PutAlert(rec)
			return err
		})
	}
	to, cc := s.fed.Outbox.Addressing(au.Org, aud)
	// With its tally and translations (corroboration.go), which an edit keeps.
	var obj map[string]any
	var rendered extrasState
	err = s.db.View(ctx, func(t *store.Tx) error {
		var err error
		if obj, err = s.alertObject(t, rec, to, cc); err != nil {
			return err
		}
		rendered, err = s.extras(t, rec.IRI)
		return err
	})
	if err != nil {
		return nil, err
	}
	_, err = s.fed.Outbox.UpdateObject(ctx, au.Org, obj, aud, func(t *store.Tx, _ *store.Object) error {
		if rev != nil {
			rec.Revisions = append(rec.Revisions, *rev)
		}
		if _, err := t.PutAlert(rec); err != nil {
			return err
		}
		return s.extrasChanged(t, rec.IRI, rendered)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// UpdateAlert applies an edit (edit history kept, who and what) and
// federates it as an Update.
func (s *Service) UpdateAlert(ctx context.Context, au Author, iri string, edited alert.Alert) (*store.AlertRecord, error) {
	rec, err := s.ownAlert(ctx, au, iri)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	prevTLP := rec.Alert.TLP
	rev, err := rec.Alert.ApplyUpdate(&edited, au.by(), now)
	if err != nil {
		return nil, err
	}
	if prevTLP == tlp.Red && rec.Alert.TLP != tlp.Red {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "tlp", Message: "a TLP:RED alert cannot be widened: publish a new alert"})
	}
	out, err := s.republish(ctx, au, rec, &rev)
	if err == nil {
		s.log.InfoContext(ctx, "alert updated", "alert", iri, "by", au.by())
	}
	return out, err
}

// ResolveAlert marks an alert resolved and federates the change.
func (s *Service) ResolveAlert(ctx context.Context, au Author, iri string) (*store.AlertRecord, error) {
	return s.transition(ctx, au, iri, alert.StatusResolved)
}

func (s *Service) transition(ctx context.Context, au Author, iri string, to alert.Status) (*store.AlertRecord, error) {
	rec, err := s.ownAlert(ctx, au, iri)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	from := rec.Alert.Status
	if err := rec.Alert.Transition(to, now); err != nil {
		return nil, err
	}
	rev := alert.Revision{At: now, By: au.by(), Changes: []alert.Change{{Field: "status", From: string(from), To: string(to)}}}
	out, err := s.republish(ctx, au, rec, &rev)
	if err == nil {
		s.log.InfoContext(ctx, "alert status changed", "alert", iri, "status", string(to), "by", au.by())
	}
	return out, err
}

// RetractAlert withdraws an alert: peers receive a Delete and keep a
// Tombstone; the local record stays, marked retracted, for the history.
func (s *Service) RetractAlert(ctx context.Context, au Author, iri string) (*store.AlertRecord, error) {
	rec, err := s.ownAlert(ctx, au, iri)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	from := rec.Alert.Status
	if err := rec.Alert.Retract(now); err != nil {
		return nil, err
	}
	rec.Revisions = append(rec.Revisions, alert.Revision{At: now, By: au.by(),
		Changes: []alert.Change{{Field: "status", From: string(from), To: string(alert.StatusRetracted)}}})
	aud, err := s.audience(ctx, &rec.Alert)
	if err != nil {
		return nil, err
	}
	err = s.fed.Outbox.DeleteObject(ctx, au.Org, iri, aud, func(t *store.Tx, _ *store.Object) error {
		_, err := t.PutAlert(rec)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "alert retracted", "alert", iri, "by", au.by())
	return rec, nil
}

// ExpireDue marks every local alert whose expiry has passed and federates
// the change (an Update whose status line says it expired). It returns how
// many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.now().UTC()
	due, err := s.db.AlertsDueToExpire(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range due {
		rec.ExpiredAt = now
		if !rec.Local {
			if err := s.db.Update(ctx, func(t *store.Tx) error { _, err := t.PutAlert(rec); return err }); err != nil {
				return n, err
			}
			continue
		}
		org, err := s.db.AccountByID(ctx, rec.AccountID)
		if err != nil {
			return n, err
		}
		rev := alert.Revision{At: now, By: "expiry", Changes: []alert.Change{{Field: "expires", From: "", To: "expired"}}}
		if _, err := s.republish(ctx, Author{Org: org}, rec, &rev); err != nil {
			s.log.ErrorContext(ctx, "expire alert", "alert", rec.IRI, "error", err)
			continue
		}
		n++
	}
	return n, nil
}

// RunExpiry expires due alerts every interval until ctx is cancelled.
func (s *Service) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "alert expiry", "error", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "alerts expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// InboundObject implements federation.ObjectHook: an object that carries
// Tocsin's alert or note profile gets its structured record; a plain post
// stays a plain post. Inbound non-CLEAR alerts are never public (the object
// is stored as addressed), never re-delivered, never forwarded.
func (s *Service) InboundObject(ctx context.Context, t *store.Tx, rec *store.Object, o *ap.Object) error {
	if a, ok, err := profile.ParseAlert(o); ok || err != nil {
		if err != nil {
			return &tocsin.Error{Code: tocsin.EINVALID, Message: "invalid alert", Err: err}
		}
		prev, perr := t.Alert(rec.IRI)
		ar := &store.AlertRecord{IRI: rec.IRI, Origin: rec.ReceivedFrom, Alert: *a, Moderation: rec.Moderation, Extensions: o.Extensions}
		if perr == nil {
			ar.Seq, ar.Revisions = prev.Seq, prev.Revisions
		}
		_, err := t.PutAlert(ar)
		return err
	}
	if n, ok, err := profile.ParsePracticeNote(o); ok || err != nil {
		if err != nil {
			return &tocsin.Error{Code: tocsin.EINVALID, Message: "invalid good-practice note", Err: err}
		}
		_, err := t.PutNote(&store.NoteRecord{IRI: rec.IRI, Origin: rec.ReceivedFrom, Note: *n, Moderation: rec.Moderation})
		return err
	}
	return nil
}

// InboundDelete implements federation.ObjectHook: a peer's deleted alert
// is kept as retracted (its history matters); a deleted note is removed.
func (s *Service) InboundDelete(ctx context.Context, t *store.Tx, rec *store.Object) error {
	if ar, err := t.Alert(rec.IRI); err == nil {
		ar.Alert.Status = alert.StatusRetracted
		ar.Alert.Updated = s.now().UTC().Truncate(time.Second)
		_, err := t.PutAlert(ar)
		return err
	}
	if _, err := t.Note(rec.IRI); err == nil {
		return t.DeleteNote(rec.IRI)
	}
	return nil
}
