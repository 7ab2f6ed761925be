package moderation

import (
	"context"
	"errors"
	"strings"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// Report actions a moderator may resolve a report with.
const (
	ActionNone    = "none"    // nothing to do
	ActionRemove  = "remove"  // remove the reported posts
	ActionLimit   = "limit"   // limit the account: visible to its followers only
	ActionSuspend = "suspend" // block a remote account (content removed) or disable a local one
)

// Hooks are what moderation asks of the layers that own the effects.
type Hooks struct {
	// Forward sends a report to the reported account's server as a Flag
	// from the instance actor; it returns the Flag's id.
	Forward func(ctx context.Context, objects []string, comment string) (string, error)
	// SuspendLocal disables a local account.
	SuspendLocal func(ctx context.Context, actor string) error
	// Released is told that a held object was approved, so that it now
	// appears everywhere it belongs (timelines, streams).
	Released func(ctx context.Context, iri string) error
	// TrustLists fetches the trust lists this instance subscribes to
	// (trustlists.go).
	TrustLists TrustListSource
}

// Report stores a report made here about an account and some of its posts
// and, if forward is set and the account is remote, sends it to its server.
func (s *Service) Report(ctx context.Context, by By, target string, objects []string, comment string, forward bool) (*store.Report, error) {
	if hostOf(target) == "" {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "account", Message: "must be an actor URL"})
	}
	if len(comment) > 1000 {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "comment", Message: "must be at most 1000 characters"})
	}
	r := &store.Report{Reporter: string(by), Target: target, Objects: objects, Comment: comment, Local: true, CreatedAt: s.now().UTC()}
	if forward && hostOf(target) != s.local && s.Hooks.Forward != nil {
		id, err := s.Hooks.Forward(ctx, append([]string{target}, objects...), comment)
		if err != nil {
			return nil, err
		}
		r.Forwarded = id
	}
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if err := t.PutReport(r); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "report.create", Target: target, Reason: comment,
			Details: strings.Join(objects, " ")})
	})
	return r, err
}

// ResolveReport closes a report with an action, recorded with its reason.
func (s *Service) ResolveReport(ctx context.Context, by By, id, action, reason string) (*store.Report, error) {
	var r *store.Report
	err := s.db.View(ctx, func(t *store.Tx) error {
		var err error
		r, err = t.Report(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no report " + id, Err: err}
	}
	if err != nil {
		return nil, err
	}
	if !r.ResolvedAt.IsZero() {
		return nil, tocsin.Errorf(tocsin.ECONFLICT, "report %s was resolved already", id)
	}
	local := hostOf(r.Target) == s.local
	switch action {
	case ActionNone:
	case ActionRemove:
		if local {
			return nil, tocsin.Errorf(tocsin.EINVALID, "remove local posts through their author's organisation (retract)")
		}
		if err := s.db.Update(ctx, func(t *store.Tx) error {
			for _, iri := range r.Objects {
				if err := t.RemoveObject(iri); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	case ActionLimit:
		if local {
			return nil, tocsin.Errorf(tocsin.EINVALID, "local accounts cannot be limited; suspend instead")
		}
		if _, err := s.SetActorTrust(ctx, by, r.Target, store.TrustLimited, reason); err != nil {
			return nil, err
		}
	case ActionSuspend:
		if local {
			if s.Hooks.SuspendLocal == nil {
				return nil, errors.New("moderation: no way to suspend local accounts")
			}
			if err := s.Hooks.SuspendLocal(ctx, r.Target); err != nil {
				return nil, err
			}
		} else {
			if _, err := s.SetActorTrust(ctx, by, r.Target, store.TrustBlocked, reason); err != nil {
				return nil, err
			}
			if err := s.db.Update(ctx, func(t *store.Tx) error {
				iris, err := t.ObjectsByAuthor(r.Target)
				if err != nil {
					return err
				}
				for _, iri := range iris {
					if err := t.RemoveObject(iri); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return nil, err
			}
		}
	default:
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "action", Message: "must be none, remove, limit or suspend"})
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		cur, err := t.Report(id)
		if err != nil {
			return err
		}
		cur.ResolvedAt, cur.ResolvedBy, cur.Action, cur.Resolution = s.now().UTC(), string(by), action, reason
		r = cur
		if err := t.PutReport(cur); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "report.resolve." + action, Target: r.Target, Reason: reason, Details: "report " + id})
	})
	return r, err
}
