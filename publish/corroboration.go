package publish

// Corroboration: organisations confirm, dispute or report "seen here too"
// on an alert (FEDERATION.md "Corroboration"). Who may vote follows the
// alert's TLP audience; each organisation has one vote, a new one replacing
// its last; the origin counts the votes in the alert's status line and
// federates an Update so everyone who holds the alert sees the count.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// Corroboration is what a vote led to.
type Corroboration struct {
	Alert string `json:"alert"` // the alert's IRI
	// Activity is the vote's IRI: the sent tocsin:Sighting for a peer's
	// alert, the stored vote for a local one.
	Activity string `json:"activity"`
	// Sent is true when the vote went to the alert's origin (a peer's
	// alert): the origin counts it once delivered.
	Sent bool `json:"sent"`
	// Tally is the alert's new count (a local alert only).
	Tally profile.Tally `json:"tally"`
}

// Corroborate records the author organisation's vote on an alert. On a
// local alert it is checked against the alert's TLP audience (the same
// rules as a peer's), stored, and the alert's Update federated; on a peer's
// alert (which this instance must hold) it is sent to the alert's origin,
// which decides.
func (s *Service) Corroborate(ctx context.Context, au Author, alertIRI string, in federation.SightingInput) (*Corroboration, error) {
	if err := au.check(); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	rec, err := s.GetAlert(ctx, alertIRI)
	if err != nil {
		return nil, err
	}
	me := s.urls.Actor(au.Org.Username)
	if rec.Alert.Author == me {
		return nil, tocsin.Errorf(tocsin.EINVALID, "%s cannot corroborate its own alert", au.Org.Username)
	}
	if !rec.Local {
		if !au.mayRead(s.urls, rec) {
			return nil, tocsin.Errorf(tocsin.ENOTFOUND, "alert %s not found", alertIRI)
		}
		id, err := s.fed.Outbox.SendSighting(ctx, au.Org, rec.IRI, rec.Alert.Author, in)
		if err != nil {
			return nil, err
		}
		s.log.InfoContext(ctx, "corroboration sent", "alert", rec.IRI, "org", au.Org.Username, "by", au.by(), "verdict", in.Verdict)
		return &Corroboration{Alert: rec.IRI, Activity: id, Sent: true}, nil
	}
	id := s.urls.Activity(au.Org.Username, s.db.NewID())
	_, vote := federation.NewSighting(id, me, rec.IRI, rec.Alert.Author, in, s.now())
	vote.Local = true
	apply, err := s.applyVote(ctx, vote, func(t *store.Tx, rec *store.AlertRecord) error {
		return s.mayCorroborateLocal(t, rec, au.Org)
	})
	if err != nil {
		return nil, err
	}
	var tally profile.Tally
	err = s.db.Update(ctx, func(t *store.Tx) error {
		if err := apply(t); err != nil {
			return err
		}
		votes, err := t.Sightings(rec.IRI)
		tally = count(votes)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.fed.Outbox.Kick()
	s.log.InfoContext(ctx, "corroboration recorded", "alert", rec.IRI, "org", au.Org.Username, "by", au.by(), "verdict", in.Verdict)
	return &Corroboration{Alert: rec.IRI, Activity: id, Tally: tally}, nil
}

// mayRead reports whether whoever acts may read a peer's alert they want
// to vote on or translate: the person acting, by the TLP rules (CanRead),
// or the local administrator at the command line. The alert's origin
// decides again, by its own audience.
func (a Author) mayRead(urls federation.URLs, rec *store.AlertRecord) bool {
	if a.Person == nil {
		return true
	}
	return CanRead(&Viewer{Account: a.Person, Actor: urls.Actor(a.Person.Username)}, rec)
}

// InboundSighting implements federation.SightingHook: a peer
// organisation's vote on one of our alerts.
func (s *Service) InboundSighting(ctx context.Context, vote *store.Sighting, voter *store.RemoteActor) (func(*store.Tx) error, error) {
	if voter.Type != "Organization" {
		return nil, tocsin.Errorf(tocsin.EFORBIDDEN, "only organisations corroborate alerts; %s is a %s", voter.IRI, voter.Type)
	}
	return s.applyVote(ctx, vote, func(t *store.Tx, rec *store.AlertRecord) error {
		return s.mayCorroborateRemote(t, rec, voter.IRI)
	})
}

// applyVote prepares, outside any transaction, the work of recording a
// vote on a local alert: allowed (run in the transaction) checks the voter
// against the alert's audience; then the vote replaces the voter's last,
// and the alert is rendered again with the new tally and federated as an
// Update to its audience. A TLP:RED alert is only stored again.
func (s *Service) applyVote(ctx context.Context, vote *store.Sighting, allowed func(*store.Tx, *store.AlertRecord) error) (func(*store.Tx) error, error) {
	rec, err := s.GetAlert(ctx, vote.Alert)
	if err != nil {
		return nil, err
	}
	if !rec.Local {
		return nil, tocsin.Errorf(tocsin.ENOTFOUND, "%s is not an alert of this instance", vote.Alert)
	}
	org, err := s.db.AccountByID(ctx, rec.AccountID)
	if err != nil {
		return nil, fmt.Errorf("organisation of %s: %w", rec.IRI, err)
	}
	aud, err := s.audience(ctx, &rec.Alert)
	if err != nil {
		return nil, err
	}
	resolved, err := s.fed.Outbox.ResolveAudience(ctx, aud)
	if err != nil {
		return nil, err
	}
	return func(t *store.Tx) error {
		rec, err := t.Alert(vote.Alert) // as of this transaction
		if err != nil {
			return err
		}
		if rec.Alert.Status == alert.StatusRetracted {
			return tocsin.Errorf(tocsin.EINVALID, "%s was retracted", rec.IRI)
		}
		if err := allowed(t, rec); err != nil {
			return err
		}
		before, err := t.Sightings(rec.IRI)
		if err != nil {
			return err
		}
		if _, err := t.PutSighting(vote); err != nil {
			return err
		}
		after, err := t.Sightings(rec.IRI)
		if err != nil {
			return err
		}
		if count(before) == count(after) {
			return nil // a comment or count changed: the alert itself does not
		}
		// One Update per interval: later votes wait for the next, so a
		// burst of votes costs the followers' inboxes one delivery.
		if every := s.CorroborationInterval(); every > 0 && !rec.Alert.Updated.IsZero() {
			if due := rec.Alert.Updated.Add(every); s.now().Before(due) {
				return t.MarkSightingsDue(rec.IRI, due)
			}
		}
		return s.rerender(ctx, t, org, rec, aud, resolved)
	}, nil
}

// DefaultCorroborationInterval is how long after an alert's last Update
// further votes wait before the next one federates them together.
const DefaultCorroborationInterval = time.Minute

// SetCorroborationInterval sets how long after an alert's last Update
// further votes wait, to be federated together by
// RunCorroborationUpdates; 0 federates every vote at once. It is safe to
// call while the service runs.
func (s *Service) SetCorroborationInterval(d time.Duration) { s.corroborationEvery.Store(int64(d)) }

// CorroborationInterval is the interval SetCorroborationInterval set.
func (s *Service) CorroborationInterval() time.Duration {
	return time.Duration(s.corroborationEvery.Load())
}

// RunCorroborationUpdates federates, every second until ctx is cancelled,
// the Updates of alerts whose votes waited (see SetCorroborationInterval).
func (s *Service) RunCorroborationUpdates(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if _, err := s.FlushCorroboration(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "corroboration updates", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// FlushCorroboration federates the Updates that are due now and returns
// how many it sent.
func (s *Service) FlushCorroboration(ctx context.Context) (int, error) {
	due, err := s.db.SightingsDue(ctx, s.now(), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, iri := range due {
		if err := s.flushOne(ctx, iri); err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			// Try again later (a recipient's server may be down); the
			// others go on.
			s.log.WarnContext(ctx, "corroboration update failed; retrying in a minute", "alert", iri, "error", err)
			if err := s.db.Update(ctx, func(t *store.Tx) error {
				if err := t.ClearSightingsDue(iri); err != nil {
					return err
				}
				return t.MarkSightingsDue(iri, s.now().Add(time.Minute))
			}); err != nil {
				return n, err
			}
			continue
		}
		n++
	}
	return n, nil
}

// flushOne renders one alert with its current tally and federates it;
// the audience is resolved first, outside the transaction.
func (s *Service) flushOne(ctx context.Context, iri string) error {
	rec, err := s.GetAlert(ctx, iri)
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
		return s.db.Update(ctx, func(t *store.Tx) error { return t.ClearSightingsDue(iri) })
	}
	if err != nil {
		return err
	}
	org, err := s.db.AccountByID(ctx, rec.AccountID)
	if err != nil {
		return err
	}
	aud, err := s.audience(ctx, &rec.Alert)
	if err != nil {
		return err
	}
	resolved, err := s.fed.Outbox.ResolveAudience(ctx, aud)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(t *store.Tx) error {
		rec, err := t.Alert(iri)
		if err != nil {
			return err
		}
		if rec.Alert.Status == alert.StatusRetracted {
			return t.ClearSightingsDue(iri) // a Tombstone is not edited
		}
		return s.rerender(ctx, t, org, rec, aud, resolved)
	})
	if err != nil {
		return err
	}
	s.fed.Outbox.Kick()
	return nil
}

// rerender renders a local alert again (tally and translations as stored
// in t) and federates it as an Update to its audience, inside t. A RED
// alert never leaves the instance: its object is replaced, nothing sent.
func (s *Service) rerender(ctx context.Context, t *store.Tx, org *store.Account, rec *store.AlertRecord, aud federation.Audience, resolved federation.Resolved) error {
	to, cc := s.fed.Outbox.Addressing(org, aud)
	obj, err := s.alertObject(t, rec, to, cc)
	if err != nil {
		return err
	}
	if rec.Alert.TLP == tlp.Red {
		resolved, _ = s.fed.Outbox.ResolveAudience(ctx, federation.Audience{}) // nobody outside: nothing to fetch
	}
	if err := t.ClearSightingsDue(rec.IRI); err != nil { // this Update carries the tally
		return err
	}
	o, err := s.fed.Outbox.UpdateObjectTx(ctx, t, org, obj, resolved)
	if err != nil {
		return err
	}
	rec.Alert.Updated = o.Updated
	_, err = t.PutAlert(rec)
	return err
}

// alertObject renders a local alert as we send it: profile.AlertObject,
// plus its tally and its accepted translations as stored in t.
func (s *Service) alertObject(t *store.Tx, rec *store.AlertRecord, to, cc []string) (map[string]any, error) {
	a := &rec.Alert
	obj, err := profile.AlertObject(a, rec.IRI, a.Author, to, cc, s.tagURL)
	if err != nil {
		return nil, err
	}
	votes, err := t.Sightings(rec.IRI)
	if err != nil {
		return nil, err
	}
	if len(votes) > 0 {
		profile.Corroborate(obj, s.urls.Sightings(rec.IRI), count(votes))
	}
	trs, err := t.Translations(rec.IRI)
	if err != nil {
		return nil, err
	}
	profile.Translate(obj, accepted(trs))
	return obj, nil
}

// extrasState is what of an alert's rendering comes from votes and
// translations, to tell whether a rendering made outside a transaction is
// still current inside it.
type extrasState struct {
	tally        profile.Tally
	translations int
}

func (s *Service) extras(t *store.Tx, iri string) (extrasState, error) {
	votes, err := t.Sightings(iri)
	if err != nil {
		return extrasState{}, err
	}
	trs, err := t.Translations(iri)
	if err != nil {
		return extrasState{}, err
	}
	return extrasState{tally: count(votes), translations: len(accepted(trs))}, nil
}

// extrasChanged schedules, inside t, an Update of an alert rendered (by
// an edit, outside t) with the votes and translations of rendered, when a
// vote or translation has since changed them: the flush renders it again
// within a second.
func (s *Service) extrasChanged(t *store.Tx, iri string, rendered extrasState) error {
	now, err := s.extras(t, iri)
	if err != nil || now == rendered {
		return err
	}
	return t.MarkSightingsDue(iri, s.now())
}

// count tallies votes, one per organisation.
func count(votes []*store.Sighting) profile.Tally {
	var t profile.Tally
	for _, v := range votes {
		switch v.Verdict {
		case federation.VerdictConfirmed:
			t.Confirmed++
		case federation.VerdictDisputed:
			t.Disputed++
		case federation.VerdictSeen:
			t.Seen++
		}
	}
	return t
}

// mayCorroborateRemote says whether a peer organisation's actor is in the
// alert's TLP audience: for CLEAR and GREEN an accepted follower of the
// alert's organisation or a peer of this instance; for AMBER a member of
// the alert's circle; for AMBER+STRICT a named recipient; for RED nobody
// outside this instance.
func (s *Service) mayCorroborateRemote(t *store.Tx, rec *store.AlertRecord, actor string) error {
	refuse := func(why string) error {
		return tocsin.Errorf(tocsin.EFORBIDDEN, "%s may not corroborate %s: %s", actor, rec.IRI, why)
	}
	switch rec.Alert.TLP {
	case tlp.Clear, tlp.Green:
		if f, err := t.Follow(rec.Alert.Author, actor); err == nil && f.State == store.FollowAccepted {
			return nil
		}
		if _, err := t.Peer(actor); err == nil {
			return nil
		}
		return refuse("it neither follows the alert's organisation (accepted) nor peers with this instance")
	case tlp.Amber:
		c, err := t.Circle(rec.Alert.Circle)
		if errors.Is(err, store.ErrNotFound) {
			return refuse("the alert's circle no longer exists")
		}
		if err != nil {
			return err
		}
		if slices.Contains(c.Members, actor) {
			return nil
		}
		return refuse("TLP:AMBER, and it is not in the circle the alert was shared with")
	case tlp.AmberStrict:
		if slices.Contains(rec.Alert.Recipients, actor) {
			return nil
		}
		return refuse("TLP:AMBER+STRICT, and it is not a named recipient")
	}
	return refuse("TLP:RED alerts never leave this instance")
}

// mayCorroborateLocal is the same rule for an organisation of this
// instance: it may vote when it may read the alert (publish.CanRead, as
// a signed-in account) or is named in its audience.
func (s *Service) mayCorroborateLocal(t *store.Tx, rec *store.AlertRecord, org *store.Account) error {
	actor := s.urls.Actor(org.Username)
	if CanRead(&Viewer{Account: org, Actor: actor}, rec) {
		return nil
	}
	if rec.Alert.TLP == tlp.Amber {
		if c, err := t.Circle(rec.Alert.Circle); err == nil && slices.Contains(c.Members, actor) {
			return nil
		}
	}
	if slices.Contains(rec.Alert.Recipients, actor) {
		return nil
	}
	return tocsin.Errorf(tocsin.EFORBIDDEN, "%s may not corroborate %s: it is outside the alert's %s audience", org.Username, rec.IRI, rec.Alert.TLP.Label())
}

// Tally returns the votes counted on an alert: ours from the store, a
// peer's as its origin last sent them (ok false when it sent none).
func (s *Service) Tally(ctx context.Context, rec *store.AlertRecord) (t profile.Tally, ok bool, err error) {
	if !rec.Local {
		t, _, ok = profile.PeerTally(rec.Extensions)
		return t, ok, nil
	}
	votes, err := s.db.Sightings(ctx, rec.IRI)
	if err != nil {
		return t, false, err
	}
	return count(votes), true, nil
}

// Sightings returns the votes on a local alert, by voter.
func (s *Service) Sightings(ctx context.Context, rec *store.AlertRecord) ([]*store.Sighting, error) {
	return s.db.Sightings(ctx, rec.IRI)
}

// SightingForm is a vote as people type it (CLI flags, API fields): dates
// are RFC 3339 text.
type SightingForm struct {
	Verdict, FirstSeen, LastSeen, Comment string
	Count                                 int
	Where                                 []string
}

// Input parses f into a vote, naming every field that is wrong.
func (f SightingForm) Input() (federation.SightingInput, error) {
	in := federation.SightingInput{Verdict: f.Verdict, Count: f.Count, Where: SplitList(f.Where), Comment: f.Comment}
	var problems []tocsin.FieldError
	for _, d := range []struct {
		field, value string
		to           *time.Time
	}{{"first_seen", f.FirstSeen, &in.FirstSeen}, {"last_seen", f.LastSeen, &in.LastSeen}} {
		if d.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, d.value)
		if err != nil {
			problems = append(problems, tocsin.FieldError{Field: d.field, Message: "must be an RFC 3339 date-time"})
		}
		*d.to = t
	}
	if len(problems) > 0 {
		return in, tocsin.Invalid(problems...)
	}
	return in, nil
}
