package publish_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// corroborationFleet starts A, B, C and D, each with an organisation "org";
// B and C peer with A, D does not; A's circle "east" holds B only.
type corroborationFleet struct {
	a, b, c, d             *cluster.Server
	orgA, orgB, orgC, orgD *store.Account
}

func startCorroborationFleet(t *testing.T) *corroborationFleet {
	t.Helper()
	ctx := context.Background()
	start := func(i int) *cluster.Server {
		return cluster.Start(t, i, func(c *cluster.Config) { c.Instance.ContactAccount = "org" })
	}
	f := &corroborationFleet{a: start(0), b: start(1), c: start(2), d: start(3)}
	// Every vote federates its Update at once here; the coalescing of
	// votes has its own test.
	f.a.Publish.SetCorroborationInterval(0)
	f.orgA = f.a.CreateAccount(t, "org", "organization", "publisher")
	f.orgB = f.b.CreateAccount(t, "org", "organization", "publisher")
	f.orgC = f.c.CreateAccount(t, "org", "organization", "publisher")
	f.orgD = f.d.CreateAccount(t, "org", "organization", "publisher")
	for _, p := range []struct {
		s   *cluster.Server
		org *store.Account
	}{{f.b, f.orgB}, {f.c, f.orgC}} {
		if _, err := f.a.Federation.AddPeer(ctx, f.orgA, "org@"+p.s.Domain); err != nil {
			t.Fatal(err)
		}
		if _, err := p.s.Federation.AddPeer(ctx, p.org, "org@"+f.a.Domain); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.a.Publish.SetCircle(ctx, "east", []string{"org@" + f.b.Domain}); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.a, f.b, f.c, f.d)
	return f
}

func (f *corroborationFleet) all() []*cluster.Server { return []*cluster.Server{f.a, f.b, f.c, f.d} }

func vote(verdict, comment string) federation.SightingInput {
	return federation.SightingInput{Verdict: verdict, Count: 2, Where: []string{"KE", "KE-32"}, Comment: comment}
}

// statusLine is the first paragraph of the content s stores for iri.
func statusLine(t *testing.T, s *cluster.Server, iri string) string {
	t.Helper()
	o, err := s.DB.Object(context.Background(), iri)
	if err != nil {
		t.Fatalf("%s: object %s: %v", s.Domain, iri, err)
	}
	doc, err := ap.Parse(o.Raw)
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(doc.Object.Content, "</p>")
	return strings.TrimPrefix(line, "<p>")
}

func TestPeersCorroborateAnAlertOneVoteEach(t *testing.T) {
	ctx := context.Background()
	f := startCorroborationFleet(t)
	rec, err := f.a.Publish.CreateAlert(ctx, publish.Author{Org: f.orgA}, sampleAlert("Kenya: pre-marked ballots", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)

	for _, p := range []struct {
		s   *cluster.Server
		org *store.Account
	}{{f.b, f.orgB}, {f.c, f.orgC}} {
		res, err := p.s.Publish.Corroborate(ctx, publish.Author{Org: p.org}, rec.IRI, vote("confirmed", "Our observers in Nakuru saw the same <script>x</script>ballots."))
		if err != nil {
			t.Fatalf("%s corroborates: %v", p.s.Domain, err)
		}
		if !res.Sent {
			t.Errorf("a vote on a peer's alert should be sent to its origin: %+v", res)
		}
	}
	cluster.Settle(t, f.all()...)

	tally, _, err := f.a.Publish.Tally(ctx, alertRecord(t, f.a, rec.IRI))
	if err != nil {
		t.Fatal(err)
	}
	if tally.Confirmed != 2 || tally.Disputed != 0 {
		t.Fatalf("A counts %+v, want 2 confirmations", tally)
	}
	if got := statusLine(t, f.a, rec.IRI); got != "TLP:CLEAR · Status: active · Confirmed by 2 networks" {
		t.Errorf("A's status line: %q", got)
	}
	// The followers received the Update: B and C hold the new line, and
	// B's record carries the origin's tally.
	for _, s := range []*cluster.Server{f.b, f.c} {
		if got := statusLine(t, s, rec.IRI); !strings.HasSuffix(got, "Confirmed by 2 networks") {
			t.Errorf("%s holds the status line %q", s.Domain, got)
		}
	}
	// The re-rendered alert carries its author's fresh integrity proof, and
	// B's copy verifies as A's.
	if o, err := f.b.DB.Object(ctx, rec.IRI); err != nil || !strings.Contains(string(o.Raw), `"proof"`) {
		t.Errorf("B's copy of the corroborated alert has no proof (%v)", err)
	} else if _, err := f.b.Federation.Remote.VerifyProof(ctx, o.Raw, f.a.URL+"/users/org"); err != nil {
		t.Errorf("B's copy does not verify as A's: %v", err)
	}
	if pt, ok, _ := f.b.Publish.Tally(ctx, alertRecord(t, f.b, rec.IRI)); !ok || pt.Confirmed != 2 {
		t.Errorf("B reads the origin's tally %+v (%v)", pt, ok)
	}
	votes, err := f.a.DB.Sightings(ctx, rec.IRI)
	if err != nil || len(votes) != 2 {
		t.Fatalf("A stores %d votes (%v)", len(votes), err)
	}
	for _, v := range votes {
		if strings.Contains(v.Content, "<script") || !strings.Contains(v.Content, "Nakuru") || v.Count != 2 || len(v.Where) != 2 {
			t.Errorf("stored vote %+v", v)
		}
	}

	// C changes its mind: its vote is replaced, not added. B votes again:
	// still one vote.
	if _, err := f.c.Publish.Corroborate(ctx, publish.Author{Org: f.orgC}, rec.IRI, vote("disputed", "The photos are from 2017.")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.b.Publish.Corroborate(ctx, publish.Author{Org: f.orgB}, rec.IRI, vote("confirmed", "")); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)
	tally, _, _ = f.a.Publish.Tally(ctx, alertRecord(t, f.a, rec.IRI))
	if tally.Confirmed != 1 || tally.Disputed != 1 {
		t.Errorf("after C disputes and B votes again, A counts %+v; want 1 confirmed, 1 disputed", tally)
	}
	if got := statusLine(t, f.b, rec.IRI); !strings.HasSuffix(got, "Confirmed by 1 network, disputed by 1") {
		t.Errorf("B holds the status line %q", got)
	}

	// An edit by the author keeps the count in the status line.
	edited := alertRecord(t, f.a, rec.IRI).Alert
	edited.Title = "Kenya: pre-marked ballots in Nakuru"
	if _, err := f.a.Publish.UpdateAlert(ctx, publish.Author{Org: f.orgA}, rec.IRI, edited); err != nil {
		t.Fatal(err)
	}
	if got := statusLine(t, f.a, rec.IRI); !strings.HasSuffix(got, "Confirmed by 1 network, disputed by 1") {
		t.Errorf("after an edit A's status line is %q", got)
	}
}

func TestVotesFromOutsideTheTLPAudienceAreRefused(t *testing.T) {
	ctx := context.Background()
	f := startCorroborationFleet(t)
	in := sampleAlert("Kenya: AMBER alert for the east circle", tlp.Amber)
	in.Circle = "east"
	rec, err := f.a.Publish.CreateAlert(ctx, publish.Author{Org: f.orgA}, in)
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)

	// D never received the alert: its own instance refuses to vote on it.
	if _, err := f.d.Publish.Corroborate(ctx, publish.Author{Org: f.orgD}, rec.IRI, vote("confirmed", "")); err == nil {
		t.Error("D voted on an alert it does not hold")
	}
	// Sent anyway (a peer that does not check), A refuses D (not a peer)
	// and C (a peer outside the circle); B, in the circle, votes as usual
	// and is counted.
	for _, p := range []struct {
		s   *cluster.Server
		org *store.Account
	}{{f.d, f.orgD}, {f.c, f.orgC}} {
		if _, err := p.s.Federation.Outbox.SendSighting(ctx, p.org, rec.IRI, f.a.URL+"/users/org", vote("confirmed", "")); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := f.b.Publish.Corroborate(ctx, publish.Author{Org: f.orgB}, rec.IRI, vote("confirmed", "")); err != nil || !res.Sent {
		t.Fatalf("B votes on the AMBER alert it received: %+v %v", res, err)
	}
	cluster.Settle(t, f.all()...)
	votes, err := f.a.DB.Sightings(ctx, rec.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 1 || votes[0].Actor != f.b.URL+"/users/org" {
		t.Fatalf("A stores votes %+v; want B's only", votes)
	}
	if got := statusLine(t, f.a, rec.IRI); !strings.HasSuffix(got, "Confirmed by 1 network") {
		t.Errorf("A's status line %q", got)
	}
	// The Update went to the circle only: C never holds the alert.
	if _, err := f.c.DB.Object(ctx, rec.IRI); err == nil {
		t.Error("C (outside the circle) received the AMBER alert's Update")
	}
	if got := statusLine(t, f.b, rec.IRI); !strings.HasSuffix(got, "Confirmed by 1 network") {
		t.Errorf("B's status line %q", got)
	}
}

func TestLocalOrganisationsCorroborateWithTheSameRules(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	a.Publish.SetCorroborationInterval(0)
	orgA := a.CreateAccount(t, "org", "organization", "publisher")
	other := a.CreateAccount(t, "watch", "organization", "publisher")
	clear, err := a.Publish.CreateAlert(ctx, publish.Author{Org: orgA}, sampleAlert("Kenya: clear alert", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	// A RED alert for a named local account: other organisations may not vote.
	red := sampleAlert("Kenya: red alert", tlp.Red)
	red.Recipients = []string{a.URL + "/users/org"}
	redRec, err := a.Publish.CreateAlert(ctx, publish.Author{Org: orgA}, red)
	if err != nil {
		t.Fatal(err)
	}

	res, err := a.Publish.Corroborate(ctx, publish.Author{Org: other}, clear.IRI, vote("seen", "Seen in Mombasa too."))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent || res.Tally.Seen != 1 {
		t.Errorf("local vote: %+v", res)
	}
	if got := statusLine(t, a, clear.IRI); !strings.HasSuffix(got, "Seen by 1 network") {
		t.Errorf("status line %q", got)
	}
	if _, err := a.Publish.Corroborate(ctx, publish.Author{Org: orgA}, clear.IRI, vote("confirmed", "")); err == nil {
		t.Error("an organisation corroborated its own alert")
	}
	if _, err := a.Publish.Corroborate(ctx, publish.Author{Org: other}, redRec.IRI, vote("confirmed", "")); err == nil {
		t.Error("an organisation outside a RED alert's recipients corroborated it")
	}
	if votes, _ := a.DB.Sightings(ctx, redRec.IRI); len(votes) != 0 {
		t.Errorf("a refused vote was stored: %+v", votes)
	}
	bad := federation.SightingInput{Verdict: "maybe", Where: []string{"ke"}, Comment: strings.Repeat("x", federation.MaxSightingComment+1)}
	_, err = a.Publish.Corroborate(ctx, publish.Author{Org: other}, clear.IRI, bad)
	for _, field := range []string{"verdict", "where[0]", "comment"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("invalid vote: error %v does not name %s", err, field)
		}
	}
}

// updatesOf counts the Updates of iri that s's organisation sent.
func updatesOf(t *testing.T, s *cluster.Server, acct *store.Account, iri string) int {
	t.Helper()
	n := 0
	for _, a := range answers(t, s, acct, "Update") {
		if strings.Contains(string(a.Raw), `"id":"`+iri+`"`) {
			n++
		}
	}
	return n
}

func TestABurstOfVotesIsFederatedInOneUpdate(t *testing.T) {
	ctx := context.Background()
	f := startCorroborationFleet(t)
	f.a.Publish.SetCorroborationInterval(2 * time.Second)
	watch := f.a.CreateAccount(t, "watch", "organization", "publisher")
	rec, err := f.a.Publish.CreateAlert(ctx, publish.Author{Org: f.orgA}, sampleAlert("Kenya: pre-marked ballots", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)

	// The first vote is federated at once; the two that follow within the
	// interval wait and go out together.
	if _, err := f.a.Publish.Corroborate(ctx, publish.Author{Org: watch}, rec.IRI, vote("confirmed", "")); err != nil {
		t.Fatal(err)
	}
	if got := statusLine(t, f.a, rec.IRI); !strings.HasSuffix(got, "Confirmed by 1 network") {
		t.Fatalf("after the first vote: %q", got)
	}
	for _, p := range []struct {
		s   *cluster.Server
		org *store.Account
	}{{f.b, f.orgB}, {f.c, f.orgC}} {
		if _, err := p.s.Publish.Corroborate(ctx, publish.Author{Org: p.org}, rec.IRI, vote("confirmed", "")); err != nil {
			t.Fatal(err)
		}
	}
	cluster.Settle(t, f.all()...)
	// The votes are counted at once (API, page); the status line waits.
	if tally, _, _ := f.a.Publish.Tally(ctx, alertRecord(t, f.a, rec.IRI)); tally.Confirmed != 3 {
		t.Errorf("A counts %+v", tally)
	}
	if n := updatesOf(t, f.a, f.orgA, rec.IRI); n != 1 {
		t.Errorf("%d Updates before the interval passed, want 1", n)
	}
	cluster.Eventually(t, "the coalesced Update reaches the followers", func() bool {
		o, err := f.b.DB.Object(ctx, rec.IRI)
		return err == nil && strings.Contains(string(o.Raw), "Confirmed by 3 networks")
	})
	cluster.Settle(t, f.all()...)
	if n := updatesOf(t, f.a, f.orgA, rec.IRI); n != 2 {
		t.Errorf("%d Updates for 3 votes, want 2", n)
	}
	if due, err := f.a.DB.SightingsDue(ctx, time.Now().Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("still due: %v %v", due, err)
	}
	// A vote that does not change the count (B again, same verdict) sends
	// no Update at all.
	if _, err := f.b.Publish.Corroborate(ctx, publish.Author{Org: f.orgB}, rec.IRI, vote("confirmed", "Still seen.")); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, f.all()...)
	if due, _ := f.a.DB.SightingsDue(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 || updatesOf(t, f.a, f.orgA, rec.IRI) != 2 {
		t.Errorf("an unchanged count was federated again (due %v)", due)
	}
}
