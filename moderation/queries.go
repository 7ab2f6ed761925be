package moderation

// Small actions and queries the moderation API needs beside those of
// moderation.go and reports.go. Each action records itself in the audit log
// in its own transaction.

import (
	"context"
	"errors"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// DomainLevel returns a host's effective trust level and whether an admin
// set it (else it is the default: trusted for peers, review otherwise).
func (s *Service) DomainLevel(ctx context.Context, host string) (level string, explicit bool, err error) {
	return s.domainLevel(ctx, strings.ToLower(strings.TrimSpace(host)))
}

// ActorLevel returns a remote actor's effective level: its own if an admin
// set one (explicit), else its domain's.
func (s *Service) ActorLevel(ctx context.Context, actor string) (level string, explicit bool, err error) {
	tr, err := s.db.Trust(ctx, actor, false)
	if err == nil {
		return tr.Level, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	level, _, err = s.domainLevel(ctx, hostOf(actor))
	return level, false, err
}

// ClearActorTrust removes a remote actor's own level: its domain's applies
// again.
func (s *Service) ClearActorTrust(ctx context.Context, by By, actor, reason string) error {
	return s.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.Trust(actor, false); err != nil {
			return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no decision about " + actor, Err: err}
		}
		if err := t.DeleteTrust(actor, false); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "actor.clear", Target: actor, Reason: reason})
	})
}

// BlockActor blocks a remote actor and removes the objects it left here,
// as suspending it from a report does.
func (s *Service) BlockActor(ctx context.Context, by By, actor, reason string) (*store.Trust, error) {
	tr, err := s.SetActorTrust(ctx, by, actor, store.TrustBlocked, reason)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		iris, err := t.ObjectsByAuthor(actor)
		if err != nil {
			return err
		}
		for _, iri := range iris {
			if err := t.RemoveObject(iri); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	return tr, err
}

// RemoveRule deletes a content rule.
func (s *Service) RemoveRule(ctx context.Context, by By, id string) error {
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if err := t.DeleteRule(id); err != nil {
			return err
		}
		t.OnCommit(s.invalidate)
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "rule.remove", Target: id})
	})
	if errors.Is(err, store.ErrNotFound) {
		return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no rule " + id, Err: err}
	}
	return err
}

// ReopenReport opens a resolved report again. What its resolution did
// (a block, a removal) stays done.
func (s *Service) ReopenReport(ctx context.Context, by By, id, reason string) (*store.Report, error) {
	var r *store.Report
	err := s.db.Update(ctx, func(t *store.Tx) error {
		cur, err := t.Report(id)
		if err != nil {
			return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no report " + id, Err: err}
		}
		if cur.ResolvedAt.IsZero() {
			return tocsin.Errorf(tocsin.ECONFLICT, "report %s is open", id)
		}
		cur.ResolvedAt, cur.ResolvedBy, cur.Action, cur.Resolution = time.Time{}, "", "", ""
		r = cur
		if err := t.PutReport(cur); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "report.reopen", Target: cur.Target, Reason: reason, Details: "report " + id})
	})
	return r, err
}
