package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

func sampleAlert(title string, level tlp.Level) alert.Alert {
	return alert.Alert{
		Title: title, Body: "Observers in **Nakuru** report pre-marked ballots.",
		Severity: "severe", Confidence: "likely", Category: "vote-buying",
		Countries: []string{"KE"}, Subdivisions: []string{"KE-32"},
		Election: alert.Election{Name: "General election"}, TLP: level, Language: "en",
		Sources: []alert.Source{{URL: "https://example.org/report", Title: "Field report"}},
	}
}

// holds reports whether s stores the object iri, and whether it applied the
// activity that created it (its inbound log).
func holds(t *testing.T, s *cluster.Server, iri string) (stored, received bool) {
	t.Helper()
	ctx := context.Background()
	_, objErr := s.DB.Object(ctx, iri)
	if objErr != nil && !errors.Is(objErr, store.ErrNotFound) {
		t.Fatal(objErr)
	}
	seen, err := s.DB.Seen(ctx, iri+"/activity")
	if err != nil {
		t.Fatal(err)
	}
	return objErr == nil, seen
}

func alertRecord(t *testing.T, s *cluster.Server, iri string) *store.AlertRecord {
	t.Helper()
	rec, err := s.Publish.GetAlert(context.Background(), iri)
	if err != nil {
		t.Fatalf("%s: %v", s.Domain, err)
	}
	return rec
}

func TestEachTLPReachesExactlyItsAudience(t *testing.T) {
	ctx := context.Background()
	start := func(i int) *cluster.Server {
		return cluster.Start(t, i, func(c *cluster.Config) { c.Instance.ContactAccount = "org" })
	}
	a, b, c, d := start(0), start(1), start(2), start(3)
	orgA := a.CreateAccount(t, "org", "organization", "publisher")
	orgB := b.CreateAccount(t, "org", "organization", "publisher")
	orgC := c.CreateAccount(t, "org", "organization", "publisher")
	editor := a.CreateAccount(t, "editor", "person", "publisher")
	if err := a.Accounts.Grant(ctx, "editor", "org"); err != nil {
		t.Fatal(err)
	}
	editor, _ = a.Accounts.Get(ctx, "editor")
	watcher := d.CreateAccount(t, "watcher", "person", "member")

	// B and C peer with A; B is in A's circle "east", C is not; D's member
	// asks to follow A's organisation and is never approved.
	for _, pair := range []struct {
		s   *cluster.Server
		org *store.Account
	}{{b, orgB}, {c, orgC}} {
		if _, err := a.Federation.AddPeer(ctx, orgA, "org@"+pair.s.Domain); err != nil {
			t.Fatal(err)
		}
		if _, err := pair.s.Federation.AddPeer(ctx, pair.org, "org@"+a.Domain); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Federation.Outbox.Follow(ctx, watcher, a.URL+"/users/org"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish.SetCircle(ctx, "east", []string{"org@" + b.Domain}); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c, d)
	if f, err := a.DB.Follow(ctx, a.URL+"/users/org", d.URL+"/users/watcher"); err != nil || f.State != store.FollowPending {
		t.Fatalf("the watcher's follow should wait for approval: %+v %v", f, err)
	}

	au := publish.Author{Org: orgA, Person: editor}
	levels := []tlp.Level{tlp.Clear, tlp.Green, tlp.Amber, tlp.AmberStrict, tlp.Red}
	iris := map[tlp.Level]string{}
	for _, l := range levels {
		in := sampleAlert("Kenya: "+l.Label()+" alert", l)
		switch l {
		case tlp.Amber:
			in.Circle = "east"
		case tlp.AmberStrict:
			in.Recipients = []string{b.URL + "/users/org"}
		case tlp.Red:
			in.Recipients = []string{a.URL + "/users/editor"}
		}
		rec, err := a.Publish.CreateAlert(ctx, au, in)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		iris[l] = rec.IRI
	}
	cluster.Settle(t, a, b, c, d)

	want := map[*cluster.Server]map[tlp.Level]bool{
		b: {tlp.Clear: true, tlp.Green: true, tlp.Amber: true, tlp.AmberStrict: true},
		c: {tlp.Clear: true, tlp.Green: true},
		d: {},
	}
	names := map[*cluster.Server]string{b: "B (in the circle)", c: "C (peer outside it)", d: "D (unapproved follower)"}
	for s, allowed := range want {
		for _, l := range levels {
			stored, received := holds(t, s, iris[l])
			if stored != allowed[l] || received != allowed[l] {
				t.Errorf("%s holds the %s alert: stored %v, received %v; want %v", names[s], l.Label(), stored, received, allowed[l])
			}
		}
	}
	// What B holds is the structured alert, with its TLP, and never public
	// unless CLEAR.
	for l := range want[b] {
		rec := alertRecord(t, b, iris[l])
		if rec.Alert.TLP != l || rec.Local || rec.Origin != a.Domain || rec.Alert.Title != "Kenya: "+l.Label()+" alert" {
			t.Errorf("B's record of the %s alert: %+v", l.Label(), rec)
		}
		o, _ := b.DB.Object(ctx, iris[l])
		if o.Public != (l == tlp.Clear) {
			t.Errorf("B stores the %s alert with public=%v", l.Label(), o.Public)
		}
	}
	if rec := alertRecord(t, a, iris[tlp.Green]); len(rec.Revisions) != 0 || rec.AccountID != orgA.ID {
		t.Errorf("A's record: %+v", rec)
	}

	// Update, resolve, expire and retract reach every holder, and only them.
	edited := alertRecord(t, a, iris[tlp.Amber]).Alert
	edited.Title = "Kenya: pre-marked ballots confirmed"
	if _, err := a.Publish.UpdateAlert(ctx, au, iris[tlp.Amber], edited); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish.ResolveAlert(ctx, au, iris[tlp.Clear]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish.RetractAlert(ctx, au, iris[tlp.Green]); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c, d)
	if got := alertRecord(t, b, iris[tlp.Amber]).Alert.Title; got != "Kenya: pre-marked ballots confirmed" {
		t.Errorf("B's AMBER alert after Update: %q", got)
	}
	if _, err := c.Publish.GetAlert(ctx, iris[tlp.Amber]); err == nil {
		t.Errorf("C received the AMBER alert through its Update")
	}
	local := alertRecord(t, a, iris[tlp.Amber])
	if len(local.Revisions) != 1 || local.Revisions[0].By != "editor" || !local.Revisions[0].Changed("title") {
		t.Errorf("A's edit history: %+v", local.Revisions)
	}
	for _, s := range []*cluster.Server{b, c} {
		if st := alertRecord(t, s, iris[tlp.Clear]).Alert.Status; st != alert.StatusResolved {
			t.Errorf("%s: resolved alert has status %s", s.Domain, st)
		}
		if st := alertRecord(t, s, iris[tlp.Green]).Alert.Status; st != alert.StatusRetracted {
			t.Errorf("%s: retracted alert has status %s", s.Domain, st)
		}
		if o, _ := s.DB.Object(ctx, iris[tlp.Green]); o == nil || o.Deleted.IsZero() {
			t.Errorf("%s keeps the retracted alert's object: %+v", s.Domain, o)
		}
	}

	// Expiry: an alert that expires a second after publication is marked by
	// the scheduler and the change reaches its holders.
	short := sampleAlert("Kenya: short-lived warning", tlp.Green)
	short.Expires = time.Now().Add(time.Second)
	rec, err := a.Publish.CreateAlert(ctx, au, short)
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c, d)
	cluster.Eventually(t, "the scheduler expires the alert", func() bool {
		n, err := a.Publish.ExpireDue(ctx)
		return err == nil && n == 1
	})
	cluster.Settle(t, a, b, c, d)
	for _, s := range []*cluster.Server{b, c} {
		o, err := s.DB.Object(ctx, rec.IRI)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Content string }
		_ = json.Unmarshal(o.Raw, &m)
		if !strings.Contains(m.Content, "Expired") || o.Updated.IsZero() {
			t.Errorf("%s did not receive the expiry: %s", s.Domain, m.Content)
		}
	}
}

func TestPeersAlertIsStructuredAndPlainNoteStaysPlain(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	b := cluster.Start(t, 1)
	orgA := a.CreateAccount(t, "org", "organization", "publisher")
	orgB := b.CreateAccount(t, "org", "organization", "publisher")
	if _, err := a.Federation.AddPeer(ctx, orgA, "org@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(ctx, orgB, "org@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	rec, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, sampleAlert("Uganda: polling stations moved overnight", tlp.Clear))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := b.Federation.Outbox.Publish(ctx, orgB, fedNote("Just a post: polls close at six"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	got := alertRecord(t, a, rec.IRI)
	if got.Alert.Severity != "severe" || got.Alert.Category != "vote-buying" || got.Alert.Countries[0] != "KE" || got.Origin != b.Domain {
		t.Errorf("A's record of B's alert: %+v", got.Alert)
	}
	if _, err := a.Publish.GetAlert(ctx, plain.IRI); err == nil {
		t.Errorf("a plain post became an alert")
	}
	if o, err := a.DB.Object(ctx, plain.IRI); err != nil || !strings.Contains(string(o.Raw), "polls close at six") {
		t.Errorf("the plain post is not stored as a post: %v", err)
	}
	page, _, err := a.Publish.ListAlerts(ctx, store.AlertFilter{Origin: store.OriginPeer, Countries: []string{"KE"}})
	if err != nil || len(page) != 1 || page[0].IRI != rec.IRI {
		t.Errorf("list of peer alerts in KE: %v %v", page, err)
	}
}
