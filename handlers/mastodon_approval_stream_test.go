package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	mastodon "github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/stream"
)

// streamFrames reads a streaming connection in the background, so that a
// test can wait for a frame with a deadline without closing the connection
// (a websocket read whose context ends closes it).
type streamFrames struct {
	t      *testing.T
	name   string
	frames chan streamEvent
}

func readFrames(t *testing.T, name string, c *streamingClient) *streamFrames {
	t.Helper()
	f := &streamFrames{t: t, name: name, frames: make(chan streamEvent, 256)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		defer close(f.frames)
		for {
			_, msg, err := c.conn.Read(ctx)
			if err != nil {
				return
			}
			var ev streamEvent
			if err := json.Unmarshal(msg, &ev); err != nil {
				continue
			}
			select {
			case f.frames <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return f
}

// next returns the next frame, or false when none came within d.
func (f *streamFrames) next(d time.Duration) (streamEvent, bool) {
	f.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case ev, ok := <-f.frames:
		if !ok {
			f.t.Fatalf("%s stream closed", f.name)
		}
		return ev, true
	case <-timer.C:
		return streamEvent{}, false
	}
}

// status decodes the status of an update frame ("" uri otherwise).
func frameStatus(ev streamEvent) map[string]any {
	var st map[string]any
	if ev.Event == "update" {
		_ = json.Unmarshal([]byte(ev.Payload), &st)
	}
	return st
}

// awaitUpdate reads frames until an update of the status uri (bounded:
// 15 s) and returns it, failing if one of the forbidden uris is updated
// first.
func (f *streamFrames) awaitUpdate(uri string, forbidden ...string) map[string]any {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ev, ok := f.next(time.Until(deadline))
		if !ok {
			f.t.Fatalf("%s stream: no update of %s within 15s", f.name, uri)
		}
		st := frameStatus(ev)
		if st == nil {
			continue
		}
		if got, _ := st["uri"].(string); got == uri {
			return st
		} else if slices.Contains(forbidden, got) {
			f.t.Fatalf("%s stream: update of %s, which must not arrive (%s)", f.name, got, ev.Payload)
		}
	}
}

// quiet fails if an update of one of uris arrives within d.
func (f *streamFrames) quiet(d time.Duration, uris ...string) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ev, ok := f.next(time.Until(deadline))
		if !ok {
			return
		}
		if got, _ := frameStatus(ev)["uri"].(string); slices.Contains(uris, got) {
			f.t.Fatalf("%s stream: update of %s, which must not arrive", f.name, got)
		}
	}
}

// A post held for review reaches no stream until a moderator approves it;
// then it streams as an update to its followers' home and the public
// timeline. A rejected post never streams.
func TestHeldPostStreamsOnlyOnceAModeratorApprovesIt(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	c := cluster.Start(t, 2)
	a.CreateAccount(t, "mod", "person", "moderator")
	member := a.CreateAccount(t, "alice", "person", "member")
	orgC := c.CreateAccount(t, "monitors", "organization", "publisher")

	aw := &oauthWorld{t: t, ctx: ctx, srv: a}
	app := aw.registerApp(staffScopes+" follow", "urn:ietf:wg:oauth:2.0:oob")
	alice, aliceTok := aw.statusClient(app, "alice")
	modTok := aw.token(app, "mod", staffScopes)
	cw := &oauthWorld{t: t, ctx: ctx, srv: c}
	org, _ := cw.statusClient(cw.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob"), "monitors")

	// alice follows C's organisation, which approves her request. C is not
	// A's peer: its posts are held for review on A.
	found, err := alice.AccountsSearchResolve(ctx, "monitors@"+c.Domain, 1, true)
	if err != nil || len(found) != 1 {
		t.Fatalf("search monitors@%s: %v %v", c.Domain, err, found)
	}
	if rel, err := alice.AccountFollow(ctx, found[0].ID); err != nil || !rel.Requested {
		t.Fatalf("follow: %v %+v", err, rel)
	}
	cluster.Settle(t, a, c)
	reqs, err := org.GetFollowRequests(ctx, nil)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("follow requests on C: %v %v", err, reqs)
	}
	if err := org.FollowRequestAuthorize(ctx, reqs[0].ID); err != nil {
		t.Fatalf("authorize: %v", err)
	}
	cluster.Settle(t, a, c)
	if f, err := a.DB.Follow(ctx, c.URL+"/users/monitors", a.URL+"/users/alice"); err != nil || f.State != store.FollowAccepted {
		t.Fatalf("alice's follow of C's organisation: %+v %v", f, err)
	}

	// alice watches her home (user) and the public stream, over real
	// websockets with her password-grant token.
	userConn, _ := dialStreaming(t, a, "/api/v1/streaming", "stream=user", &websocket.DialOptions{Subprotocols: []string{aliceTok}})
	publicConn, _ := dialStreaming(t, a, "/api/v1/streaming", "stream=public&access_token="+aliceTok, nil)
	waitSubscribers(t, a, stream.User(member.ID), 1)
	waitSubscribers(t, a, stream.Public, 1)
	streams := []*streamFrames{readFrames(t, "user", userConn), readFrames(t, "public", publicConn)}

	// sentinel posts a public status of alice's, which streams to both after
	// anything published before it: reading up to it proves what did not
	// arrive, without guessing how long to wait.
	sentinels := 0
	sentinel := func(forbidden ...string) {
		t.Helper()
		sentinels++
		st, err := alice.PostStatus(ctx, &mastodon.Toot{Status: fmt.Sprintf("sentinel %d", sentinels), Visibility: "public"})
		if err != nil {
			t.Fatalf("sentinel: %v", err)
		}
		for _, s := range streams {
			s.awaitUpdate(st.URI, forbidden...)
			s.quiet(200*time.Millisecond, forbidden...)
		}
	}
	heldFromC := func(content string) (iri, id string) {
		t.Helper()
		o, err := c.Federation.Outbox.Publish(ctx, orgC, federationNote(content))
		if err != nil {
			t.Fatal(err)
		}
		cluster.Settle(t, a, c)
		r := aw.apiCall(http.MethodGet, "/api/v1/tocsin/review", modTok, nil)
		for _, it := range jsonList(t, r) {
			if it["uri"] == o.IRI && it["moderation"] == store.ModPending {
				return o.IRI, it["id"].(string)
			}
		}
		t.Fatalf("%s not held for review on A: %s", o.IRI, r.body)
		return "", ""
	}

	// Held: on neither stream.
	held, heldID := heldFromC("<p>Turnout figures from the north #Kenya</p>")
	sentinel(held)

	// Approved: an update on both.
	r := aw.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+heldID+"/approve", modTok, nil)
	if r.status != http.StatusOK || r.json(t)["moderation"] != store.ModVisible {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	for _, s := range streams {
		st := s.awaitUpdate(held)
		if st["id"] != heldID || st["visibility"] != "public" || field(st, "account", "uri") != c.URL+"/users/monitors" {
			t.Errorf("%s stream: approved post streamed as %v", s.name, st)
		}
	}

	// Rejected: never on either.
	bad, badID := heldFromC("<p>Buy followers now</p>")
	r = aw.apiCall(http.MethodPost, "/api/v1/tocsin/review/"+badID+"/reject", modTok, map[string]any{"reason": "spam"})
	if r.status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	sentinel(bad, held)
}
