package moderation

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// snapshotMaxAge bounds how stale the in-memory view may get if a change
// slipped past Invalidate (it should not: every change goes through this
// service or calls PeersChanged).
const snapshotMaxAge = time.Minute

// snapshot is what every inbound activity consults besides the per-domain
// decision: the peers' hosts and the compiled content rules. Reading and
// decoding them from the store for each activity cost more than the rest
// of the policy together; they change rarely.
type snapshot struct {
	at        time.Time
	peerHosts map[string]bool
	rules     []compiledRule
}

type compiledRule struct {
	keyword *regexp.Regexp // for keyword rules
	link    string         // for link rules, lowercased
}

func (r compiledRule) match(lowerText string) bool {
	if r.keyword != nil {
		return r.keyword.MatchString(lowerText)
	}
	return strings.Contains(lowerText, r.link)
}

// snapshot returns the current view, rebuilding it when invalidated or old.
func (s *Service) snapshot(ctx context.Context) (*snapshot, error) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if s.snap != nil && s.now().Sub(s.snap.at) < snapshotMaxAge {
		return s.snap, nil
	}
	peers, err := s.db.Peers(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.db.Rules(ctx)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{at: s.now(), peerHosts: make(map[string]bool, len(peers))}
	for _, p := range peers {
		snap.peerHosts[strings.ToLower(p.Host)] = true
	}
	for _, r := range rules {
		p := strings.ToLower(r.Pattern)
		switch r.Kind {
		case "keyword":
			snap.rules = append(snap.rules, compiledRule{keyword: regexp.MustCompile(`\b` + regexp.QuoteMeta(p) + `\b`)})
		case "link":
			snap.rules = append(snap.rules, compiledRule{link: p})
		}
	}
	s.snap = snap
	return snap, nil
}

// invalidate drops the in-memory view: the next activity reads the store.
func (s *Service) invalidate() {
	s.snapMu.Lock()
	s.snap = nil
	s.snapMu.Unlock()
}

// PeersChanged tells the policy that peers were added or removed (the
// federation core calls it from AddPeer and RemovePeer).
func (s *Service) PeersChanged() { s.invalidate() }
