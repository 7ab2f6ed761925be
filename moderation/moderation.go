// Package moderation decides what from the wider network this instance's
// members and the public see: trust levels per remote domain and actor,
// the review queue, content rules, blocks with their clean-up, subscriptions
// to other instances' trust lists (trustlists.go), and the append-only audit
// log every action writes to. It implements the
// federation core's Policy. It imports the store and federation types, never
// HTTP.
package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// Federation modes.
const (
	ModeOpen      = "open"      // any domain not blocked may federate
	ModeAllowlist = "allowlist" // only domains with an explicit, non-blocked level may
)

// Levels lists the trust levels.
var Levels = []string{store.TrustTrusted, store.TrustReview, store.TrustLimited, store.TrustBlocked}

// Service is the moderation policy and the moderators' actions. Safe for
// concurrent use.
type Service struct {
	db    *store.DB
	mode  string
	local string // our own host
	log   *slog.Logger
	now   func() time.Time
	// OnBlock, when set, removes what a blocked domain left (objects, follow
	// relations, actors); the federation core provides it.
	OnBlock func(ctx context.Context, host string) error
	// Hooks carry out report actions owned by other layers.
	Hooks Hooks

	snapMu sync.Mutex
	snap   *snapshot
}

// New returns the moderation service for an instance whose own host is
// local, in the given federation mode.
func New(db *store.DB, mode, local string, log *slog.Logger) *Service {
	if mode == "" {
		mode = ModeOpen
	}
	return &Service{db: db, mode: mode, local: strings.ToLower(local), log: log, now: time.Now}
}

// Mode returns the federation mode.
func (s *Service) Mode() string { return s.mode }

// domainLevel returns the level of a host: the admin's decision, else
// trusted for peers we added, else review.
func (s *Service) domainLevel(ctx context.Context, host string) (level string, explicit bool, err error) {
	tr, err := s.db.Trust(ctx, host, true)
	if err == nil {
		return tr.Level, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	snap, err := s.snapshot(ctx)
	if err != nil {
		return "", false, err
	}
	if snap.peerHosts[strings.ToLower(host)] {
		return store.TrustTrusted, false, nil
	}
	return store.TrustReview, false, nil
}

// allowed says whether a host may federate with us at all.
func (s *Service) allowed(ctx context.Context, host string) error {
	host = strings.ToLower(host)
	if host == s.local {
		return nil
	}
	level, explicit, err := s.domainLevel(ctx, host)
	if err != nil {
		return err
	}
	if level == store.TrustBlocked {
		return fmt.Errorf("%s is blocked", host)
	}
	if s.mode == ModeAllowlist && !explicit {
		// Peers count as listed: an admin added them by name.
		snap, err := s.snapshot(ctx)
		if err != nil {
			return err
		}
		if !snap.peerHosts[host] {
			return fmt.Errorf("%s is not on this instance's allowlist", host)
		}
	}
	return nil
}

// AllowInbound implements federation.Policy.
func (s *Service) AllowInbound(ctx context.Context, host string) error { return s.allowed(ctx, host) }

// AllowOutbound implements federation.Policy.
func (s *Service) AllowOutbound(ctx context.Context, host string) error {
	return s.allowed(ctx, host)
}

// InboundState implements federation.Policy: the actor's level if an admin
// set one, else its domain's; then content rules may still hold a post.
func (s *Service) InboundState(ctx context.Context, actor string, obj *ap.Object) string {
	level := ""
	if tr, err := s.db.Trust(ctx, actor, false); err == nil {
		level = tr.Level
	} else {
		l, _, err := s.domainLevel(ctx, hostOf(actor))
		if err != nil {
			s.log.ErrorContext(ctx, "moderation lookup failed: holding for review", "actor", actor, "error", err)
			return store.ModPending
		}
		level = l
	}
	state := map[string]string{
		store.TrustTrusted: store.ModVisible, store.TrustReview: store.ModPending,
		store.TrustLimited: store.ModLimited, store.TrustBlocked: store.ModRejected,
	}[level]
	if state == store.ModVisible || state == store.ModLimited {
		if s.matchesRule(ctx, obj) {
			return store.ModPending
		}
	}
	if state == "" {
		return store.ModPending
	}
	return state
}

func (s *Service) matchesRule(ctx context.Context, obj *ap.Object) bool {
	if obj == nil {
		return false
	}
	snap, err := s.snapshot(ctx)
	if err != nil || len(snap.rules) == 0 {
		return false
	}
	text := strings.ToLower(obj.Name + " " + obj.Summary + " " + obj.Content)
	for _, r := range snap.rules {
		if r.match(text) {
			return true
		}
	}
	return false
}

func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// By names who acts, for the audit log: a username, or "cli".
type By string

// SetDomainTrust sets a domain's level. Blocking removes what the domain
// left here (objects, follow relations, actors).
func (s *Service) SetDomainTrust(ctx context.Context, by By, host, level, reason, note string) (*store.Trust, error) {
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "domain", Message: "must be a host name like social.example.org"})
	}
	if host == s.local {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "domain", Message: "is this instance"})
	}
	if !slices.Contains(Levels, level) {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "level", Message: "must be one of " + strings.Join(Levels, ", ")})
	}
	tr := &store.Trust{Subject: host, Level: level, Reason: reason, Note: note, By: string(by), UpdatedAt: s.now().UTC()}
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if err := t.PutTrust(tr, true); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "domain." + level, Target: host, Reason: reason})
	})
	if err != nil {
		return nil, err
	}
	if level == store.TrustBlocked && s.OnBlock != nil {
		if err := s.OnBlock(ctx, host); err != nil {
			return tr, fmt.Errorf("domain blocked, but removing its content failed (run the block again): %w", err)
		}
	}
	s.log.InfoContext(ctx, "domain trust set", "domain", host, "level", level, "by", by)
	return tr, nil
}

// ClearDomainTrust removes a domain's level: the default applies again.
func (s *Service) ClearDomainTrust(ctx context.Context, by By, host, reason string) error {
	host = strings.ToLower(host)
	return s.db.Update(ctx, func(t *store.Tx) error {
		if _, err := t.Trust(host, true); err != nil {
			return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no decision about " + host, Err: err}
		}
		if err := t.DeleteTrust(host, true); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "domain.clear", Target: host, Reason: reason})
	})
}

// SetActorTrust sets a remote actor's level (limit, block, trust one
// account regardless of its domain).
func (s *Service) SetActorTrust(ctx context.Context, by By, actor, level, reason string) (*store.Trust, error) {
	if h := hostOf(actor); h == "" || h == s.local {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "actor", Message: "must be a remote actor's URL"})
	}
	if !slices.Contains(Levels, level) {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "level", Message: "must be one of " + strings.Join(Levels, ", ")})
	}
	tr := &store.Trust{Subject: actor, Level: level, Reason: reason, By: string(by), UpdatedAt: s.now().UTC()}
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if err := t.PutTrust(tr, false); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "actor." + level, Target: actor, Reason: reason})
	})
	return tr, err
}

// Approve releases a held object: it becomes visible everywhere it belongs.
func (s *Service) Approve(ctx context.Context, by By, iri string) (*store.Object, error) {
	o, err := s.decide(ctx, by, iri, true, "")
	if err != nil {
		return nil, err
	}
	if s.Hooks.Released != nil {
		if err := s.Hooks.Released(ctx, iri); err != nil {
			return o, fmt.Errorf("approved, but adding it to timelines failed: %w", err)
		}
	}
	return o, nil
}

// Reject removes a held object, keeping the reason.
func (s *Service) Reject(ctx context.Context, by By, iri, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return tocsin.Invalid(tocsin.FieldError{Field: "reason", Message: "is required when rejecting"})
	}
	_, err := s.decide(ctx, by, iri, false, reason)
	return err
}

func (s *Service) decide(ctx context.Context, by By, iri string, approve bool, reason string) (*store.Object, error) {
	var out *store.Object
	err := s.db.Update(ctx, func(t *store.Tx) error {
		o, err := t.Object(iri)
		if err != nil {
			return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no such object " + iri, Err: err}
		}
		if o.Moderation != store.ModPending {
			return tocsin.Errorf(tocsin.ECONFLICT, "%s is not waiting for review (it is %s)", iri, o.Moderation)
		}
		ar, alertErr := t.Alert(iri)
		if approve {
			o.Moderation = store.ModVisible
			if _, err := t.PutObject(o); err != nil {
				return err
			}
			if alertErr == nil {
				ar.Moderation = store.ModVisible
				if _, err := t.PutAlert(ar); err != nil {
					return err
				}
			}
			out = o
			return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "review.approve", Target: iri})
		}
		if err := t.RemoveObject(iri); err != nil {
			return err
		}
		if alertErr == nil {
			if err := t.DeleteAlert(iri); err != nil {
				return err
			}
		}
		if err := t.PutRejection(&store.Rejection{IRI: iri, Actor: o.AttributedTo, Reason: reason, By: string(by), At: s.now().UTC()}); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "review.reject", Target: iri, Reason: reason})
	})
	return out, err
}

// AddRule adds a keyword or link rule that holds matching posts for review.
func (s *Service) AddRule(ctx context.Context, by By, kind, pattern string) (*store.Rule, error) {
	pattern = strings.TrimSpace(pattern)
	if kind != "keyword" && kind != "link" {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "kind", Message: `must be "keyword" or "link"`})
	}
	if pattern == "" || len(pattern) > 200 {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "pattern", Message: "must be 1 to 200 characters"})
	}
	r := &store.Rule{Kind: kind, Pattern: pattern, By: string(by), CreatedAt: s.now().UTC()}
	err := s.db.Update(ctx, func(t *store.Tx) error {
		if err := t.PutRule(r); err != nil {
			return err
		}
		t.OnCommit(s.invalidate)
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "rule.add", Target: kind + ":" + pattern})
	})
	return r, err
}

// Audit appends an entry for an action taken elsewhere (accounts, peers).
func (s *Service) Audit(ctx context.Context, e store.AuditEntry) error {
	return s.db.Update(ctx, func(t *store.Tx) error { return t.AppendAudit(&e) })
}
