package moderation

// Shared trust lists: this instance subscribes to other instances'
// published domain decisions (blocked and limited domains with their public
// reasons), previews what a list would change, and applies it.
//
// The rules, in order:
//   - a local decision (any level, trusted included) is never overridden,
//     and a peer's domain counts as a local "trusted";
//   - among subscriptions listing a domain, the highest priority wins; on
//     equal priority the stricter level, then the older subscription;
//   - a decision a subscription made is removed when no subscription lists
//     the domain any more (another list's decision applies if one does);
//   - a block made through a list removes what the domain left here, as a
//     moderator's block does (OnBlock);
//   - every change is in the audit log, naming the subscription.
//
// A subscription in review mode only fetches on refresh: its changes wait
// until a moderator applies them. In auto mode a refresh applies them.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// Subscription modes.
const (
	SubscriptionReview = "review" // changes wait for a moderator
	SubscriptionAuto   = "auto"   // changes are applied on refresh
)

// Changes a trust list makes to a domain's decision.
const (
	ChangeAdd       = "add"       // no decision before
	ChangeUpgrade   = "upgrade"   // limited -> blocked
	ChangeDowngrade = "downgrade" // blocked -> limited
	ChangeUpdate    = "update"    // same level, another reason or subscription
	ChangeRemove    = "remove"    // no list has it any more: the default applies
	ChangeSkip      = "skip"      // the list disagrees with a local decision, which wins
)

// maxTrustReason bounds a public reason taken from a list.
const maxTrustReason = 1000

// TrustListSource fetches published trust lists; the federation core
// provides it, since it owns the guarded, signed-GET client.
type TrustListSource interface {
	// ResolveTrustList returns the collection URL of the list ref names:
	// the list's own URL, or an instance's address, domain, actor URL or
	// handle (its instance actor links the list).
	ResolveTrustList(ctx context.Context, ref string) (string, error)
	// FetchTrustList fetches every page of the list at url and returns
	// its items as published (not yet checked).
	FetchTrustList(ctx context.Context, url string) ([]store.TrustListEntry, error)
}

// SubscribeInput is a new subscription.
type SubscribeInput struct {
	Source   string `json:"source"` // list URL, instance address, handle or domain
	Priority int    `json:"priority"`
	Auto     bool   `json:"auto"`
	// BlockOnly takes only the list's blocks, not its limits.
	BlockOnly bool `json:"block_only"`
}

// TrustListChange is one change a list makes (or would make) to a
// domain's decision.
type TrustListChange struct {
	Domain string `json:"domain"`
	Action string `json:"action"`         // one of the Change constants
	From   string `json:"from,omitempty"` // level before; "" none
	To     string `json:"to,omitempty"`   // level after; "" removed. For a skip: what the list says
	Reason string `json:"reason,omitempty"`
	// Subscription decides the domain after the change (for a removal:
	// the one that had decided it; for a skip: the list that was skipped).
	Subscription string `json:"subscription"`
}

// TrustListPreview is what applying a subscription changes.
type TrustListPreview struct {
	Subscription *store.TrustSubscription `json:"subscription"`
	Changes      []TrustListChange        `json:"changes"`
}

// TrustSubscriptionView is a subscription with the number of changes that
// wait for a moderator (always 0 in auto mode once refreshed).
type TrustSubscriptionView struct {
	store.TrustSubscription
	Pending int `json:"pending"`
}

// Subscribe adds a subscription to the list in.Source names and fetches it
// once (in auto mode, applying it). A fetch that fails is recorded on the
// subscription, which is still made; a source that cannot be resolved to a
// list is an error and nothing is stored.
func (s *Service) Subscribe(ctx context.Context, by By, in SubscribeInput) (*store.TrustSubscription, error) {
	src := strings.TrimSpace(in.Source)
	if src == "" || len(src) > 2000 {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "source", Message: "must be a trust list URL, an instance's address, a handle or a domain"})
	}
	if in.Priority < -1000 || in.Priority > 1000 {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "priority", Message: "must be between -1000 and 1000"})
	}
	if s.Hooks.TrustLists == nil {
		return nil, tocsin.Errorf(tocsin.EUNAVAILABLE, "this process cannot fetch trust lists")
	}
	listURL, err := s.Hooks.TrustLists.ResolveTrustList(ctx, src)
	if err != nil {
		return nil, err
	}
	if hostOf(listURL) == s.local {
		return nil, tocsin.Invalid(tocsin.FieldError{Field: "source", Message: "is this instance's own list"})
	}
	levels := []string{store.TrustBlocked, store.TrustLimited}
	if in.BlockOnly {
		levels = levels[:1]
	}
	sub := &store.TrustSubscription{URL: listURL, Priority: in.Priority, Mode: SubscriptionReview, Levels: levels,
		By: string(by), CreatedAt: s.now().UTC()}
	if src != listURL {
		sub.Source = src
	}
	if in.Auto {
		sub.Mode = SubscriptionAuto
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		subs, err := t.TrustSubscriptions()
		if err != nil {
			return err
		}
		for _, o := range subs {
			if o.URL == listURL {
				return tocsin.Errorf(tocsin.ECONFLICT, "already subscribed to %s (subscription %s)", listURL, o.ID)
			}
		}
		if err := t.PutTrustSubscription(sub); err != nil {
			return err
		}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "trustlist.subscribe", Target: listURL,
			Details: fmt.Sprintf("subscription %s, priority %d, %s, levels %s", sub.ID, sub.Priority, sub.Mode, strings.Join(levels, "+"))})
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "subscribed to trust list", "subscription", sub.ID, "url", listURL, "by", by)
	refreshed, err := s.RefreshTrustList(ctx, by, sub.ID)
	if refreshed != nil {
		sub = refreshed
	}
	if err != nil && !errors.Is(err, errFetchRecorded) {
		return sub, err
	}
	return sub, nil
}

// errFetchRecorded marks a refresh whose fetch failed: the error is on the
// subscription (LastError), nothing else changed.
var errFetchRecorded = errors.New("trust list fetch failed")

// RefreshTrustList fetches a subscription's list and records the outcome on
// it; in auto mode it then applies the list. A failed fetch changes no
// decision and returns an error wrapping the cause.
func (s *Service) RefreshTrustList(ctx context.Context, by By, id string) (*store.TrustSubscription, error) {
	sub, err := s.subscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Hooks.TrustLists == nil {
		return nil, tocsin.Errorf(tocsin.EUNAVAILABLE, "this process cannot fetch trust lists")
	}
	items, fetchErr := s.Hooks.TrustLists.FetchTrustList(ctx, sub.URL)
	var entries []store.TrustListEntry
	skipped := 0
	if fetchErr == nil {
		entries, skipped = s.checkListEntries(items)
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		cur, err := t.TrustSubscription(id)
		if err != nil {
			return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no trust list subscription " + id, Err: err}
		}
		cur.LastFetch = s.now().UTC()
		if fetchErr != nil {
			cur.LastError = fetchErr.Error()
		} else {
			cur.LastError, cur.LastSuccess, cur.Entries, cur.Skipped = "", cur.LastFetch, len(entries), skipped
			if err := t.PutTrustList(id, false, entries); err != nil {
				return err
			}
		}
		sub = cur
		return t.PutTrustSubscription(cur)
	})
	if err != nil {
		return nil, err
	}
	if fetchErr != nil {
		s.log.WarnContext(ctx, "trust list fetch failed", "subscription", id, "url", sub.URL, "error", fetchErr)
		return sub, &tocsin.Error{Code: tocsin.EUNAVAILABLE, Message: "cannot fetch the trust list " + sub.URL + ": " + fetchErr.Error(),
			Err: errors.Join(errFetchRecorded, fetchErr)}
	}
	if sub.Mode == SubscriptionAuto {
		if _, err := s.ApplyTrustList(ctx, by, id); err != nil {
			return sub, err
		}
		return s.subscription(ctx, id)
	}
	return sub, nil
}

// checkListEntries keeps the valid entries of a fetched list (a host name,
// not ours, blocked or limited; one entry per domain, the stricter kept),
// sorted by domain, and counts the others.
func (s *Service) checkListEntries(items []store.TrustListEntry) ([]store.TrustListEntry, int) {
	byDomain := make(map[string]store.TrustListEntry, len(items))
	skipped := 0
	for _, e := range items {
		e.Domain = strings.ToLower(strings.TrimSpace(e.Domain))
		if !validHost(e.Domain) || e.Domain == s.local || (e.Level != store.TrustBlocked && e.Level != store.TrustLimited) ||
			len(byDomain) >= store.MaxTrustListEntries {
			skipped++
			continue
		}
		if len(e.Reason) > maxTrustReason {
			e.Reason = strings.ToValidUTF8(e.Reason[:maxTrustReason], "")
		}
		if prev, ok := byDomain[e.Domain]; ok {
			skipped++
			if prev.Level == store.TrustBlocked {
				continue
			}
		}
		byDomain[e.Domain] = e
	}
	out := make([]store.TrustListEntry, 0, len(byDomain))
	for _, e := range byDomain {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b store.TrustListEntry) int { return strings.Compare(a.Domain, b.Domain) })
	return out, skipped
}

// validHost accepts a host name or IP literal with an optional port, as
// domain decisions are keyed.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || strings.ContainsAny(h, "/@?#\\ \t\r\n") {
		return false
	}
	u, err := url.Parse("https://" + h)
	return err == nil && u.Host == h && u.Hostname() != ""
}

// PreviewTrustList returns what applying a subscription's last fetched list
// would change, without changing anything.
func (s *Service) PreviewTrustList(ctx context.Context, id string) (*TrustListPreview, error) {
	peers, err := s.peerHosts(ctx)
	if err != nil {
		return nil, err
	}
	var p *TrustListPreview
	err = s.db.View(ctx, func(t *store.Tx) error {
		sub, err := subscription(t, id)
		if err != nil {
			return err
		}
		changes, _, err := s.planTrustList(t, sub, false, peers)
		p = &TrustListPreview{Subscription: sub, Changes: changes}
		return err
	})
	return p, err
}

// ApplyTrustList makes a subscription's last fetched list its decisions:
// domains are blocked, limited, changed or cleared as the preview says, in
// one transaction with an audit entry per change. by is the moderator who
// applies (or "system" for an automatic refresh).
func (s *Service) ApplyTrustList(ctx context.Context, by By, id string) (*TrustListPreview, error) {
	peers, err := s.peerHosts(ctx)
	if err != nil {
		return nil, err
	}
	var p *TrustListPreview
	err = s.db.Update(ctx, func(t *store.Tx) error {
		sub, err := subscription(t, id)
		if err != nil {
			return err
		}
		if sub.LastSuccess.IsZero() {
			return tocsin.Errorf(tocsin.ECONFLICT, "the list of subscription %s was never fetched (last error: %s): refresh it first", id, sub.LastError)
		}
		changes, subs, err := s.planTrustList(t, sub, false, peers)
		if err != nil {
			return err
		}
		fetched, err := t.TrustList(id, false)
		if err != nil {
			return err
		}
		if err := t.PutTrustList(id, true, fetched); err != nil {
			return err
		}
		if err := s.writeTrustChanges(t, by, changes, subs); err != nil {
			return err
		}
		sub.AppliedAt = s.now().UTC()
		p = &TrustListPreview{Subscription: sub, Changes: changes}
		return t.PutTrustSubscription(sub)
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "trust list applied", "subscription", id, "changes", len(p.Changes), "by", by)
	return p, s.removeBlocked(ctx, p.Changes)
}

// Unsubscribe removes a subscription; the decisions it made are cleared,
// or taken over by another subscription that lists the same domain.
func (s *Service) Unsubscribe(ctx context.Context, by By, id string) (*TrustListPreview, error) {
	peers, err := s.peerHosts(ctx)
	if err != nil {
		return nil, err
	}
	var p *TrustListPreview
	err = s.db.Update(ctx, func(t *store.Tx) error {
		sub, err := subscription(t, id)
		if err != nil {
			return err
		}
		changes, subs, err := s.planTrustList(t, sub, true, peers)
		if err != nil {
			return err
		}
		if err := s.writeTrustChanges(t, by, changes, subs); err != nil {
			return err
		}
		if err := t.DeleteTrustSubscription(id); err != nil {
			return err
		}
		p = &TrustListPreview{Subscription: sub, Changes: changes}
		return t.AppendAudit(&store.AuditEntry{Actor: string(by), Action: "trustlist.unsubscribe", Target: sub.URL,
			Details: "subscription " + id})
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "unsubscribed from trust list", "subscription", id, "changes", len(p.Changes), "by", by)
	return p, s.removeBlocked(ctx, p.Changes)
}

// TrustSubscriptions lists the subscriptions, oldest first, with the
// number of changes waiting for a moderator.
func (s *Service) TrustSubscriptions(ctx context.Context) ([]TrustSubscriptionView, error) {
	peers, err := s.peerHosts(ctx)
	if err != nil {
		return nil, err
	}
	out := []TrustSubscriptionView{}
	err = s.db.View(ctx, func(t *store.Tx) error {
		subs, err := t.TrustSubscriptions()
		if err != nil {
			return err
		}
		for _, sub := range subs {
			changes, _, err := s.planTrustList(t, sub, false, peers)
			if err != nil {
				return err
			}
			v := TrustSubscriptionView{TrustSubscription: *sub}
			for _, c := range changes {
				if c.Action != ChangeSkip {
					v.Pending++
				}
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// RefreshDueTrustLists refreshes, one after the other, every subscription
// not fetched for at least every. Fetch errors are recorded on the
// subscriptions; it returns how many it refreshed.
func (s *Service) RefreshDueTrustLists(ctx context.Context, every time.Duration) (int, error) {
	subs, err := s.db.TrustSubscriptions(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sub := range subs {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if s.now().Sub(sub.LastFetch) < every {
			continue
		}
		n++
		if _, err := s.RefreshTrustList(ctx, "system", sub.ID); err != nil && !errors.Is(err, errFetchRecorded) {
			s.log.ErrorContext(ctx, "trust list refresh", "subscription", sub.ID, "error", err)
		}
	}
	return n, nil
}

// RunTrustListRefresh refreshes due subscriptions (see
// RefreshDueTrustLists) at start and then at least every minute, until
// ctx is cancelled. The caller owns the goroutine.
func (s *Service) RunTrustListRefresh(ctx context.Context, every time.Duration) {
	if every <= 0 || s.Hooks.TrustLists == nil {
		return
	}
	tick := time.NewTicker(min(every, time.Minute))
	defer tick.Stop()
	for {
		if _, err := s.RefreshDueTrustLists(ctx, every); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "trust list refresh", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *Service) subscription(ctx context.Context, id string) (*store.TrustSubscription, error) {
	sub, err := s.db.TrustSubscription(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no trust list subscription " + id, Err: err}
	}
	return sub, err
}

// levelRank orders the levels a list may set: stricter is higher.
func levelRank(level string) int {
	switch level {
	case store.TrustBlocked:
		return 2
	case store.TrustLimited:
		return 1
	}
	return 0
}

// peerHosts returns the hosts of our peers, read before a transaction
// (the snapshot reads the store in its own).
func (s *Service) peerHosts(ctx context.Context) (map[string]bool, error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return snap.peerHosts, nil
}

// planTrustList computes the changes to the decisions of the domains focus
// concerns (those its fetched and applied lists name, and those it
// decided), given every subscription's applied list, with focus's replaced
// by its fetched list, or (drop) without focus at all. A peer's domain
// without a decision counts as a local "trusted": an admin added the peer
// by name, and no list cuts it off. It returns the changes sorted by domain
// and the subscriptions by ID.
func (s *Service) planTrustList(t *store.Tx, focus *store.TrustSubscription, drop bool, peers map[string]bool) ([]TrustListChange, map[string]*store.TrustSubscription, error) {
	subs, err := t.TrustSubscriptions()
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*store.TrustSubscription, len(subs))
	type listing struct {
		sub     *store.TrustSubscription
		entries map[string]store.TrustListEntry
	}
	var lists []listing
	var focusList map[string]store.TrustListEntry
	domains := map[string]bool{}
	for _, sub := range subs {
		byID[sub.ID] = sub
		isFocus := sub.ID == focus.ID
		if isFocus && drop {
			continue
		}
		entries, err := t.TrustList(sub.ID, !isFocus)
		if err != nil {
			return nil, nil, err
		}
		m := make(map[string]store.TrustListEntry, len(entries))
		for _, e := range entries {
			if slices.Contains(sub.Levels, e.Level) {
				m[e.Domain] = e
			}
		}
		lists = append(lists, listing{sub: sub, entries: m})
		if isFocus {
			focusList = m
			for d := range m {
				domains[d] = true
			}
		}
	}
	applied, err := t.TrustList(focus.ID, true)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range applied {
		domains[e.Domain] = true
	}
	decided, err := t.DomainTrustsFrom(focus.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, tr := range decided {
		domains[tr.Subject] = true
	}

	names := make([]string, 0, len(domains))
	for d := range domains {
		names = append(names, d)
	}
	slices.Sort(names)
	var changes []TrustListChange
	for _, d := range names {
		cur, err := t.Trust(d, true)
		if errors.Is(err, store.ErrNotFound) {
			cur = nil
		} else if err != nil {
			return nil, nil, err
		}
		// The winning entry among the lists.
		var best *store.TrustListEntry
		var bestSub *store.TrustSubscription
		for _, l := range lists {
			e, ok := l.entries[d]
			if !ok {
				continue
			}
			if best == nil || l.sub.Priority > bestSub.Priority ||
				(l.sub.Priority == bestSub.Priority && levelRank(e.Level) > levelRank(best.Level)) {
				best, bestSub = &e, l.sub // lists are oldest first: on a full tie the older stays
			}
		}
		if cur == nil && peers[d] {
			cur = &store.Trust{Subject: d, Level: store.TrustTrusted}
		}
		switch {
		case cur != nil && cur.Source == "":
			if e, ok := focusList[d]; ok && e.Level != cur.Level {
				changes = append(changes, TrustListChange{Domain: d, Action: ChangeSkip, From: cur.Level, To: e.Level,
					Reason: e.Reason, Subscription: focus.ID})
			}
		case best == nil:
			if cur != nil {
				changes = append(changes, TrustListChange{Domain: d, Action: ChangeRemove, From: cur.Level, Subscription: cur.Source})
			}
		case cur == nil:
			changes = append(changes, TrustListChange{Domain: d, Action: ChangeAdd, To: best.Level, Reason: best.Reason, Subscription: bestSub.ID})
		case cur.Level != best.Level:
			action := ChangeUpgrade
			if levelRank(best.Level) < levelRank(cur.Level) {
				action = ChangeDowngrade
			}
			changes = append(changes, TrustListChange{Domain: d, Action: action, From: cur.Level, To: best.Level, Reason: best.Reason, Subscription: bestSub.ID})
		case cur.Source != bestSub.ID || cur.Reason != best.Reason:
			changes = append(changes, TrustListChange{Domain: d, Action: ChangeUpdate, From: cur.Level, To: best.Level, Reason: best.Reason, Subscription: bestSub.ID})
		}
	}
	if changes == nil {
		changes = []TrustListChange{}
	}
	return changes, byID, nil
}

// writeTrustChanges carries out planned changes in t, each with its audit
// entry naming the subscription. Skips change nothing.
func (s *Service) writeTrustChanges(t *store.Tx, by By, changes []TrustListChange, subs map[string]*store.TrustSubscription) error {
	now := s.now().UTC()
	for _, c := range changes {
		if c.Action == ChangeSkip {
			continue
		}
		name := "trust list subscription " + c.Subscription
		if sub := subs[c.Subscription]; sub != nil {
			name += " (" + sub.URL + ")"
		}
		e := &store.AuditEntry{Actor: string(by), Target: c.Domain, Reason: c.Reason, At: now}
		if c.To == "" {
			if err := t.DeleteTrust(c.Domain, true); err != nil {
				return err
			}
			e.Action, e.Details = "domain.clear", "no longer listed by "+name
		} else {
			tr := &store.Trust{Subject: c.Domain, Level: c.To, Reason: c.Reason, Source: c.Subscription, By: string(by), UpdatedAt: now}
			if err := t.PutTrust(tr, true); err != nil {
				return err
			}
			e.Action, e.Details = "domain."+c.To, c.Action+" from "+name
		}
		if err := t.AppendAudit(e); err != nil {
			return err
		}
	}
	return nil
}

// removeBlocked removes what newly blocked domains left here, as a
// moderator's block does.
func (s *Service) removeBlocked(ctx context.Context, changes []TrustListChange) error {
	if s.OnBlock == nil {
		return nil
	}
	var errs []error
	for _, c := range changes {
		if c.Action != ChangeSkip && c.To == store.TrustBlocked && c.From != store.TrustBlocked {
			if err := s.OnBlock(ctx, c.Domain); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.Domain, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("trust list applied, but removing the content of blocked domains failed (block them by hand to retry): %w", errors.Join(errs...))
	}
	return nil
}

// subscription reads subscription id, or says there is none.
func subscription(t *store.Tx, id string) (*store.TrustSubscription, error) {
	sub, err := t.TrustSubscription(id)
	if err != nil {
		return nil, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "no trust list subscription " + id, Err: err}
	}
	return sub, nil
}
