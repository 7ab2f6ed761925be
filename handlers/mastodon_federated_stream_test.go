package handlers_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	mastodon "github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
	"github.com/tocsin-network/tocsin/tlp"
)

// streamEvent is one decoded frame of the streaming API.
type streamEvent struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// await reads frames until one is event with a payload (a JSON entity)
// that match accepts, skipping the others, and returns that payload
// (bounded: 15 s).
func (c *streamingClient) await(event string, match func(entity map[string]any) bool) map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var skipped []string
	for {
		_, msg, err := c.conn.Read(ctx)
		if err != nil {
			c.t.Fatalf("no %s event that matches (%v); skipped:\n%s", event, err, strings.Join(skipped, "\n"))
		}
		var ev streamEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			c.t.Fatalf("frame %s: %v", msg, err)
		}
		var entity map[string]any
		if ev.Event == event && json.Unmarshal([]byte(ev.Payload), &entity) == nil && match(entity) {
			return entity
		}
		skipped = append(skipped, string(msg))
	}
}

// field reads a nested string field of a JSON entity.
func field(entity map[string]any, path ...string) string {
	var cur any = entity
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

func TestFollowedOrganisationsAlertStreamsToAMemberWhoseReactionsReachIt(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	b := cluster.Start(t, 1)
	orgB := b.CreateAccount(t, "observers", "organization", "publisher")
	member := a.CreateAccount(t, "alice", "person", "member")
	aliceIRI := a.URL + "/users/alice"
	// A's moderators trust B's network (unknown domains are held for
	// review, as "tocsin domain set HOST trusted" lifts).
	if _, err := a.Moderation.SetDomainTrust(ctx, moderation.By("test"), b.Domain, store.TrustTrusted, "peer network", ""); err != nil {
		t.Fatal(err)
	}

	aw := &oauthWorld{t: t, ctx: ctx, srv: a}
	alice, aliceTok := aw.statusClient(aw.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob"), "alice")
	bw := &oauthWorld{t: t, ctx: ctx, srv: b}
	org, orgTok := bw.statusClient(bw.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob"), "observers")

	// Each watches its user stream (home and notifications), with the token
	// in Sec-WebSocket-Protocol as Mastodon's web client sends it.
	home, _ := dialStreaming(t, a, "/api/v1/streaming", "stream=user", &websocket.DialOptions{Subprotocols: []string{aliceTok}})
	orgStream, _ := dialStreaming(t, b, "/api/v1/streaming", "stream=user", &websocket.DialOptions{Subprotocols: []string{orgTok}})
	waitSubscribers(t, a, stream.User(member.ID), 1)
	waitSubscribers(t, b, stream.User(orgB.ID), 1)

	// alice finds B's organisation and asks to follow it; organisations
	// approve followers by hand, here through the API.
	found, err := alice.AccountsSearchResolve(ctx, "observers@"+b.Domain, 1, true)
	if err != nil || len(found) != 1 {
		t.Fatalf("search observers@%s: %v %v", b.Domain, err, found)
	}
	if rel, err := alice.AccountFollow(ctx, found[0].ID); err != nil || !rel.Requested {
		t.Fatalf("follow: %v %+v", err, rel)
	}
	cluster.Settle(t, a, b)
	orgStream.await("notification", func(n map[string]any) bool {
		return n["type"] == "follow_request" && field(n, "account", "uri") == aliceIRI
	})
	reqs, err := org.GetFollowRequests(ctx, nil)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("follow requests: %v %v", err, reqs)
	}
	if err := org.FollowRequestAuthorize(ctx, reqs[0].ID); err != nil {
		t.Fatalf("authorize: %v", err)
	}
	cluster.Settle(t, a, b)
	if rels, err := alice.GetAccountRelationships(ctx, []string{string(found[0].ID)}); err != nil || len(rels) != 1 || !rels[0].Following {
		t.Fatalf("relationship after approval: %v %+v", err, rels)
	}

	// B publishes a CLEAR alert; it reaches alice's home stream as a status
	// that carries the alert's own fields.
	rec, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{
		Title: "Kenya: fake results sheets", Body: "Forged forms circulate.", Severity: "severe", Confidence: "likely", Language: "en",
		Category: "disinformation", Countries: []string{"KE"}, TLP: tlp.Clear,
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	st := home.await("update", func(s map[string]any) bool { return s["uri"] == rec.IRI })
	id := mastodon.ID(field(st, "id"))
	if f, _ := st["tocsin"].(map[string]any); f == nil || f["tlp"] != "CLEAR" || f["severity"] != "severe" {
		t.Errorf("streamed alert without its tocsin fields: %v", st)
	}
	if st["visibility"] != "public" || field(st, "account", "uri") != b.URL+"/users/observers" {
		t.Errorf("streamed alert: visibility %v, account %v", st["visibility"], st["account"])
	}

	// alice favourites and boosts it; her boost comes back on her stream,
	// and B stores both reactions and notifies its organisation.
	if s, err := alice.Favourite(ctx, id); err != nil || !s.Favourited.(bool) {
		t.Fatalf("favourite: %v %+v", err, s)
	}
	// As Mastodon, reblog answers with the boost, a new public status by
	// alice wrapping the alert (reblogged by her); unreblog with the alert.
	wrapper, err := alice.Reblog(ctx, id)
	if err != nil || wrapper.Reblog == nil {
		t.Fatalf("reblog: %v %+v", err, wrapper)
	}
	if wrapper.ID == id || wrapper.Visibility != "public" || wrapper.Account.Acct != "alice" ||
		wrapper.Reblog.ID != id || wrapper.Reblog.URI != rec.IRI || wrapper.Reblog.Reblogged != true {
		t.Errorf("reblog answered %+v (reblog %+v)", wrapper, wrapper.Reblog)
	}
	if again, err := alice.Reblog(ctx, id); err != nil || again.ID != wrapper.ID || again.Reblog == nil || again.Reblog.Reblogged != true {
		t.Errorf("reblog again: %v %+v", err, again)
	}
	boost := home.await("update", func(s map[string]any) bool { return field(s, "reblog", "uri") == rec.IRI })
	if field(boost, "id") != string(wrapper.ID) {
		t.Errorf("streamed boost %v, answered %s", boost["id"], wrapper.ID)
	}
	cluster.Settle(t, a, b)
	reactions := func() (like, announce string) {
		t.Helper()
		err := b.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			if like, err = tx.Reaction("Like", rec.IRI, aliceIRI); err != nil {
				return err
			}
			announce, err = tx.Reaction("Announce", rec.IRI, aliceIRI)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return like, announce
	}
	like, announce := reactions()
	if like == "" || announce == "" {
		t.Fatalf("B's reactions from alice: Like %q, Announce %q", like, announce)
	}
	if o, err := b.DB.Object(ctx, announce); err != nil || o.Type != "Announce" || o.Target != rec.IRI {
		t.Errorf("B's copy of the boost: %v %+v", err, o)
	}
	var notified []string
	for _, typ := range []string{"favourite", "reblog"} {
		n := orgStream.await("notification", func(n map[string]any) bool {
			return n["type"] == typ && field(n, "account", "uri") == aliceIRI
		})
		if field(n, "status", "uri") != rec.IRI {
			t.Errorf("%s notification about %v", typ, n["status"])
		}
		notified = append(notified, typ)
	}
	if s, err := org.GetStatus(ctx, mastodon.ID(orgStatusID(t, b, rec.IRI))); err != nil || s.FavouritesCount != 1 || s.ReblogsCount != 1 {
		t.Errorf("B's counts: %v %+v", err, s)
	}

	// Undone, both reactions leave B, and the boost leaves alice's home.
	if s, err := alice.Unfavourite(ctx, id); err != nil || s.Favourited.(bool) {
		t.Fatalf("unfavourite: %v %+v", err, s)
	}
	if s, err := alice.Unreblog(ctx, id); err != nil || s.ID != id || s.Reblog != nil || s.Reblogged != false {
		t.Fatalf("unreblog: %v %+v", err, s)
	}
	home.awaitDelete(field(boost, "id"))
	cluster.Settle(t, a, b)
	if like, announce := reactions(); like != "" || announce != "" {
		t.Errorf("B keeps undone reactions: Like %q, Announce %q", like, announce)
	}
	if _, err := b.DB.Object(ctx, announce); err == nil {
		t.Errorf("B keeps the undone boost %s", announce)
	}
	if !slices.Equal(notified, []string{"favourite", "reblog"}) {
		t.Errorf("notified %v", notified)
	}
}

// awaitDelete reads frames until a delete of id (bounded: 15 s).
func (c *streamingClient) awaitDelete(id string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, msg, err := c.conn.Read(ctx)
		if err != nil {
			c.t.Fatalf("no delete of %s: %v", id, err)
		}
		var ev streamEvent
		if json.Unmarshal(msg, &ev) == nil && ev.Event == "delete" && ev.Payload == id {
			return
		}
	}
}

// orgStatusID is the id a status has on srv.
func orgStatusID(t *testing.T, srv *cluster.Server, iri string) string {
	t.Helper()
	o, err := srv.DB.Object(context.Background(), iri)
	if err != nil {
		t.Fatalf("%s on %s: %v", iri, srv.Domain, err)
	}
	return o.Seq
}
