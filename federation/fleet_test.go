package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
)

// network is a fleet of instances, each with an organisation account.
type network struct {
	servers []*cluster.Server
	orgs    []*store.Account
}

func newNetwork(t *testing.T, n int) *network {
	t.Helper()
	net := &network{}
	for i := range n {
		s := cluster.Start(t, i, func(c *cluster.Config) { c.Instance.ContactAccount = "org" })
		net.servers = append(net.servers, s)
		net.orgs = append(net.orgs, s.CreateAccount(t, "org", "organization", "publisher"))
	}
	return net
}

func (n *network) actor(i int) string { return n.servers[i].URL + "/users/org" }

// peerAll makes every organisation peer with every other, the way admins
// do it: `tocsin peer add org@host` on each side.
func (n *network) peerAll(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for i, s := range n.servers {
		for j, other := range n.servers {
			if i == j {
				continue
			}
			if _, err := s.Federation.AddPeer(ctx, n.orgs[i], "org@"+other.Domain); err != nil {
				t.Fatalf("%s peer add %s: %v", s.Domain, other.Domain, err)
			}
		}
	}
	cluster.Settle(t, n.servers...)
	for i, s := range n.servers {
		peers, err := s.Federation.Peers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) != len(n.servers)-1 {
			t.Fatalf("%s has %d peers", s.Domain, len(peers))
		}
		for _, p := range peers {
			if p.WeFollow != store.FollowAccepted || p.TheyFollow != store.FollowAccepted {
				t.Errorf("instance %d: %s", i, p)
			}
		}
	}
}

func object(t *testing.T, s *cluster.Server, iri string) *store.Object {
	t.Helper()
	o, err := s.DB.Object(context.Background(), iri)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func content(t *testing.T, o *store.Object) string {
	t.Helper()
	var m struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(o.Raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Content
}

func publicNote(text string) federation.NoteInput {
	return federation.NoteInput{Content: "<p>" + text + "</p>", Language: "en", Audience: federation.Audience{Public: true}}
}

func TestFleetPeersFederateNotesUpdatesAndDeletes(t *testing.T) {
	net := newNetwork(t, 3)
	net.peerAll(t)
	a := net.servers[0]
	ctx := context.Background()

	note, err := a.Federation.Outbox.Publish(ctx, net.orgs[0], publicNote("Kenya: ballot stuffing reported in two polling stations"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, net.servers...)
	for _, s := range net.servers[1:] {
		o := object(t, s, note.IRI)
		if o == nil {
			t.Fatalf("%s does not have the note", s.Domain)
		}
		if got := content(t, o); got != "<p>Kenya: ballot stuffing reported in two polling stations</p>" {
			t.Errorf("%s holds content %q", s.Domain, got)
		}
		if o.AttributedTo != net.actor(0) || !o.Public || o.ReceivedFrom != a.Domain {
			t.Errorf("%s holds %+v", s.Domain, o)
		}
	}

	if _, err := a.Federation.Outbox.Update(ctx, net.orgs[0], note.IRI, publicNote("Resolved: the count was redone")); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, net.servers...)
	for _, s := range net.servers[1:] {
		if got := content(t, object(t, s, note.IRI)); got != "<p>Resolved: the count was redone</p>" {
			t.Errorf("%s after Update holds %q", s.Domain, got)
		}
	}

	if err := a.Federation.Outbox.Delete(ctx, net.orgs[0], note.IRI, federation.Audience{Public: true}); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, net.servers...)
	for _, s := range net.servers {
		o := object(t, s, note.IRI)
		if o == nil || o.Deleted.IsZero() || o.Type != "Tombstone" {
			t.Errorf("%s after Delete holds %+v", s.Domain, o)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, note.IRI, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(body), `"Tombstone"`) {
		t.Errorf("GET deleted note: %d %s", resp.StatusCode, body)
	}

	// C stops peering with A: A's next note reaches B only.
	c := net.servers[2]
	if err := c.Federation.RemovePeer(ctx, net.orgs[2], net.actor(0)); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, net.servers...)
	if f, err := a.DB.Follow(ctx, net.actor(0), net.actor(2)); err == nil {
		t.Fatalf("A still has C as a follower: %+v", f)
	}
	second, err := a.Federation.Outbox.Publish(ctx, net.orgs[0], publicNote("Second alert"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, net.servers...)
	if object(t, net.servers[1], second.IRI) == nil {
		t.Errorf("B lacks the second note")
	}
	if object(t, c, second.IRI) != nil {
		t.Errorf("C received a note after unfollowing")
	}
}

func TestPeerDownThenBackReceivesEverythingOnce(t *testing.T) {
	net := newNetwork(t, 2)
	net.peerAll(t)
	a, b := net.servers[0], net.servers[1]
	ctx := context.Background()

	before, err := a.DB.PeerHealthFor(ctx, b.Domain)
	if err != nil {
		t.Fatal(err)
	}
	b.Stop(t)
	var iris []string
	for _, text := range []string{"one", "two", "three"} {
		o, err := a.Federation.Outbox.Publish(ctx, net.orgs[0], publicNote(text))
		if err != nil {
			t.Fatal(err)
		}
		iris = append(iris, o.IRI)
	}
	// The sender restarts mid-backlog: the jobs are in its database.
	cluster.Eventually(t, "a failed attempt to the stopped peer", func() bool {
		h, err := a.DB.PeerHealthFor(ctx, b.Domain)
		return err == nil && h.ConsecutiveFailures > 0
	})
	a.Restart(t)
	if n, err := a.DB.PendingDeliveries(ctx); err != nil || n != 3 {
		t.Fatalf("after restart A has %d pending deliveries (%v), want 3", n, err)
	}
	b.Resume(t)
	cluster.Settle(t, net.servers...)
	for _, iri := range iris {
		if object(t, b, iri) == nil {
			t.Errorf("B lacks %s after coming back", iri)
		}
	}
	h, err := a.DB.PeerHealthFor(ctx, b.Domain)
	// Exactly three more deliveries: each note once, none twice.
	if err != nil || h.Backlog != 0 || h.Delivered != before.Delivered+3 || h.Dead != 0 {
		t.Errorf("health of B on A: %+v (%v)", h, err)
	}
}

func TestJournalledActivitiesAreAppliedAfterACrash(t *testing.T) {
	net := newNetwork(t, 2)
	a, b := net.servers[0], net.servers[1]
	ctx := context.Background()
	author := b.URL + "/users/org"
	// The state a crash leaves between the 202 and the apply: entries in the
	// journal of a stopped instance.
	a.Stop(t)
	db, err := store.Open(ctx, a.Config.DatabasePath(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var iris []string
	for i := range 5 {
		iri := fmt.Sprintf("%s/statuses/crash%d", author, i)
		iris = append(iris, iri)
		body := createNote(author, iri, "journalled before the crash")
		if _, err := db.AppendJournal(ctx, &store.JournalEntry{
			ActivityID: iri + "/activity", Actor: author, KeyID: author + "#main-key", Body: body, ReceivedAt: time.Now(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	a.Resume(t)
	cluster.Settle(t, a, b)
	for _, iri := range iris {
		if object(t, a, iri) == nil {
			t.Errorf("%s was journalled but not applied after restart", iri)
		}
	}
	if n, _ := a.DB.JournalLength(ctx); n != 0 {
		t.Errorf("journal still holds %d entries", n)
	}
}

func TestAuthorizedFetchNeedsASignatureExceptForActors(t *testing.T) {
	a := cluster.Start(t, 0, func(c *cluster.Config) { c.Federation.AuthorizedFetch = true })
	org := a.CreateAccount(t, "org", "organization", "publisher")
	b := cluster.Start(t, 1)
	note, err := a.Federation.Outbox.Publish(context.Background(), org, publicNote("signed readers only"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(note.IRI); s != http.StatusUnauthorized {
		t.Errorf("unsigned GET of a note: %d, want 401", s)
	}
	if s := get(a.URL + "/users/org/outbox"); s != http.StatusUnauthorized {
		t.Errorf("unsigned GET of the outbox: %d, want 401", s)
	}
	if s := get(a.URL + "/users/org"); s != http.StatusOK {
		t.Errorf("unsigned GET of the actor: %d, want 200", s)
	}
	// B's guarded client signs its fetches as B's instance actor.
	resp, err := b.Federation.Fetch.GetActivity(context.Background(), note.IRI)
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("signed GET from a peer: %v", err)
	}
}
