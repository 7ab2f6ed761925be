package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// statusClient returns a go-mastodon client for username on w's instance.
func (w *oauthWorld) statusClient(app *mastodon.Application, username string) (*mastodon.Client, string) {
	w.t.Helper()
	tok := w.passwordToken(app, username, "read write follow")["access_token"].(string)
	c := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret, AccessToken: tok})
	return c, tok
}

func statusIDs(list []*mastodon.Status) []string {
	var out []string
	for _, s := range list {
		out = append(out, string(s.ID))
	}
	return out
}

func TestPostAndReadEveryTimelineWithGoMastodon(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	w.srv.CreateAccount(t, "alice", "person", "member")
	w.srv.CreateAccount(t, "bob", "person", "member")
	app := w.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob")
	alice, aliceTok := w.statusClient(app, "alice")
	bob, bobTok := w.statusClient(app, "bob")

	st, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "Polling stations open late in #Nairobi", Visibility: "public", Language: "en"})
	if err != nil {
		t.Fatalf("PostStatus: %v", err)
	}
	if st.Visibility != "public" || len(st.Tags) != 1 || st.Tags[0].Name != "nairobi" || !strings.Contains(st.Content, "Polling stations") {
		t.Errorf("posted: %+v", st)
	}
	got, err := bob.GetStatus(ctx, st.ID)
	if err != nil || got.URI != st.URI {
		t.Fatalf("GetStatus: %v %+v", err, got)
	}
	home, err := alice.GetTimelineHome(ctx, nil)
	if err != nil || !slices.Contains(statusIDs(home), string(st.ID)) {
		t.Errorf("home: %v %v", err, statusIDs(home))
	}
	local, err := bob.GetTimelinePublic(ctx, true, nil)
	if err != nil || !slices.Contains(statusIDs(local), string(st.ID)) {
		t.Errorf("public local: %v %v", err, statusIDs(local))
	}
	tagged, err := bob.GetTimelineHashtag(ctx, "Nairobi", false, nil)
	if err != nil || !slices.Contains(statusIDs(tagged), string(st.ID)) {
		t.Errorf("hashtag: %v %v", err, statusIDs(tagged))
	}
	anon := w.apiCall(http.MethodGet, "/api/v1/timelines/public", "", nil)
	if anon.status != http.StatusOK || !strings.Contains(anon.body, string(st.ID)) {
		t.Errorf("anonymous public: %d %s", anon.status, anon.body)
	}

	// Followers-only: not public, not in bob's home (he does not follow).
	priv, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "for followers", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/timelines/public", "", nil); strings.Contains(r.body, string(priv.ID)) {
		t.Errorf("private status on the public timeline")
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/statuses/"+string(priv.ID), bobTok, nil); r.status != http.StatusNotFound {
		t.Errorf("bob reads alice's private status: %d", r.status)
	}

	// Idempotency-Key: the same status twice.
	var first, second map[string]any
	for i, dst := range []*map[string]any{&first, &second} {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/api/v1/statuses", strings.NewReader(`{"status":"once only"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+aliceTok)
		req.Header.Set("Idempotency-Key", "abc-123")
		r := w.do(nil, req)
		if r.status != http.StatusOK {
			t.Fatalf("post %d: %d %s", i, r.status, r.body)
		}
		*dst = r.json(t)
	}
	if first["id"] != second["id"] {
		t.Errorf("Idempotency-Key gave two statuses: %v %v", first["id"], second["id"])
	}

	// Favourite, bookmark, reply, context, edit, history, delete.
	if _, err := bob.Favourite(ctx, st.ID); err != nil {
		t.Fatalf("Favourite: %v", err)
	}
	if _, err := bob.Bookmark(ctx, st.ID); err != nil {
		t.Fatalf("Bookmark: %v", err)
	}
	if s, _ := bob.GetStatus(ctx, st.ID); !s.Favourited.(bool) || s.FavouritesCount != 1 || !s.Bookmarked.(bool) {
		t.Errorf("after favourite and bookmark: %+v", s)
	}
	if favs, err := bob.GetFavourites(ctx, nil); err != nil || len(favs) != 1 {
		t.Errorf("favourites: %v %d", err, len(favs))
	}
	if bms, err := bob.GetBookmarks(ctx, nil); err != nil || len(bms) != 1 {
		t.Errorf("bookmarks: %v %d", err, len(bms))
	}
	reply, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice confirmed", InReplyToID: st.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := alice.GetStatusContext(ctx, st.ID); err != nil || len(c.Descendants) != 1 || c.Descendants[0].ID != reply.ID {
		t.Errorf("context: %v %+v", err, c)
	}
	notes, err := alice.GetNotifications(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, n := range notes {
		types = append(types, n.Type)
	}
	if !slices.Contains(types, "favourite") || !slices.Contains(types, "mention") {
		t.Errorf("alice's notifications: %v", types)
	}
	r := w.apiCall(http.MethodGet, "/api/v1/notifications?types[]=mention", aliceTok, nil)
	if r.status != http.StatusOK || strings.Contains(r.body, `"favourite"`) {
		t.Errorf("types[] filter: %s", r.body)
	}
	r = w.apiCall(http.MethodPut, "/api/v1/statuses/"+string(st.ID), aliceTok, map[string]any{"status": "Polling stations open late in #Nairobi (edited)"})
	if r.status != http.StatusOK || !strings.Contains(r.body, "(edited)") {
		t.Errorf("edit: %d %s", r.status, r.body)
	}
	r = w.apiCall(http.MethodGet, "/api/v1/statuses/"+string(st.ID)+"/history", aliceTok, nil)
	var hist []map[string]any
	if json.Unmarshal([]byte(r.body), &hist); len(hist) != 2 {
		t.Errorf("history: %s", r.body)
	}
	if err := alice.DeleteStatus(ctx, priv.ID); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := alice.GetStatus(ctx, priv.ID); err == nil {
		t.Errorf("deleted status still served")
	}

	// Errors are Mastodon's, never a 500 (w.do fails the test on a 5xx).
	for _, tc := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{http.MethodPost, "/api/v1/statuses", "", map[string]any{"status": "x"}, http.StatusUnauthorized},
		{http.MethodPost, "/api/v1/statuses", "bogus", map[string]any{"status": "x"}, http.StatusUnauthorized},
		{http.MethodPost, "/api/v1/statuses", aliceTok, map[string]any{"status": ""}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/statuses", aliceTok, map[string]any{"status": "x", "visibility": "everyone"}, http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/statuses", aliceTok, map[string]any{"status": "x", "in_reply_to_id": "nope"}, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/statuses/01ZZZZZZZZZZZZZZZZZZZZZZZZ", aliceTok, nil, http.StatusNotFound},
		{http.MethodDelete, "/api/v1/statuses/" + string(reply.ID), aliceTok, nil, http.StatusNotFound},
		{http.MethodGet, "/api/v1/timelines/home", "", nil, http.StatusUnauthorized},
		{http.MethodGet, "/api/v1/timelines/home?limit=lots", aliceTok, nil, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/timelines/public?local=perhaps", "", nil, http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/notifications/nope", aliceTok, nil, http.StatusNotFound},
		{http.MethodGet, "/api/v2/search?q=x&type=planets", aliceTok, nil, http.StatusUnprocessableEntity},
	} {
		if r := w.apiCall(tc.method, tc.path, tc.token, tc.body); r.status != tc.want || !strings.Contains(r.body, `"error"`) {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}
}

// raw GET of a JSON list with a token.
func getStatusList(t *testing.T, base, path, token string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRemoteAlertReachesHomeAndReactionsReachItsOrigin(t *testing.T) {
	ctx := context.Background()
	a := cluster.Start(t, 0)
	b := cluster.Start(t, 1)
	orgA := a.CreateAccount(t, "watch", "organization", "publisher")
	orgB := b.CreateAccount(t, "observers", "organization", "publisher")
	alice := a.CreateAccount(t, "alice", "person", "member")
	// A peers with B (B's domain becomes trusted); alice follows B's org.
	if _, err := a.Federation.AddPeer(ctx, orgA, "observers@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	bActor := b.URL + "/users/observers"
	if _, err := a.Federation.Outbox.Follow(ctx, alice, bActor); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	// Organisations approve followers by hand (peers by rule).
	if err := b.Federation.Outbox.ApproveFollower(ctx, orgB, a.URL+"/users/alice", true); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)

	rec, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{
		Title: "Kenya: fake results sheets", Body: "Forged forms circulate.", Severity: "severe", Confidence: "likely", Language: "en",
		Category: "disinformation", Countries: []string{"KE"}, TLP: tlp.Clear,
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)

	w := &oauthWorld{t: t, ctx: ctx, srv: a}
	app := w.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob")
	client, tok := w.statusClient(app, "alice")
	home := getStatusList(t, a.URL, "/api/v1/timelines/home", tok)
	var alertID string
	for _, s := range home {
		if s["uri"] == rec.IRI {
			alertID, _ = s["id"].(string)
			f, _ := s["tocsin"].(map[string]any)
			if f == nil || f["tlp"] != "CLEAR" || f["severity"] != "severe" {
				t.Errorf("alert without its tocsin fields: %v", s)
			}
		}
	}
	if alertID == "" {
		o, err := a.DB.Object(ctx, rec.IRI)
		f, ferr := a.DB.Follow(ctx, bActor, a.URL+"/users/alice")
		t.Logf("object %+v %v; follow %+v %v", o, err, f, ferr)
		t.Fatalf("the alert is not in alice's home timeline: %v", home)
	}
	if remote, err := client.GetTimelinePublic(ctx, false, nil); err != nil || !slices.Contains(statusIDs(remote), alertID) {
		t.Errorf("public timeline: %v %v", err, statusIDs(remote))
	}

	if _, err := client.Favourite(ctx, mastodon.ID(alertID)); err != nil {
		t.Fatalf("favourite: %v", err)
	}
	if _, err := client.Reblog(ctx, mastodon.ID(alertID)); err != nil {
		t.Fatalf("reblog: %v", err)
	}
	cluster.Settle(t, a, b)
	aliceIRI := a.URL + "/users/alice"
	err = b.DB.View(ctx, func(tx *store.Tx) error {
		like, err := tx.Reaction("Like", rec.IRI, aliceIRI)
		if err != nil || like == "" {
			t.Errorf("B has no Like from alice: %q %v", like, err)
		}
		boost, err := tx.Reaction("Announce", rec.IRI, aliceIRI)
		if err != nil || boost == "" {
			t.Errorf("B has no Announce from alice: %q %v", boost, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// B's organisation is notified.
	bw := &oauthWorld{t: t, ctx: ctx, srv: b}
	bapp := bw.registerApp("read write follow", "urn:ietf:wg:oauth:2.0:oob")
	_, orgTok := bw.statusClient(bapp, "observers")
	var types []string
	for _, n := range getStatusList(t, b.URL, "/api/v1/notifications", orgTok) {
		types = append(types, n["type"].(string))
	}
	for _, want := range []string{"favourite", "reblog", "follow_request"} {
		if !slices.Contains(types, want) {
			t.Errorf("B's notifications %v lack %s", types, want)
		}
	}

	// A GREEN alert cannot be boosted.
	green, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{
		Title: "Kenya: observers' list", Body: "For followers.", Severity: "minor", Confidence: "likely", Language: "en",
		Category: "disinformation", Countries: []string{"KE"}, TLP: tlp.Green,
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	var greenID string
	for _, s := range getStatusList(t, a.URL, "/api/v1/timelines/home", tok) {
		if s["uri"] == green.IRI {
			greenID = s["id"].(string)
			if s["visibility"] != "private" {
				t.Errorf("GREEN alert visibility %v", s["visibility"])
			}
		}
	}
	if greenID == "" {
		t.Fatalf("GREEN alert not in the follower's home")
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/statuses/"+greenID+"/reblog", tok, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("boost of GREEN: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/timelines/public", "", nil); strings.Contains(r.body, greenID) {
		t.Errorf("GREEN alert on the public timeline")
	}

	// Held for review: in no timeline until released.
	if _, err := a.Moderation.AddRule(ctx, moderation.By("test"), "keyword", "quarantine"); err != nil {
		t.Fatal(err)
	}
	held, err := b.Federation.Outbox.Publish(ctx, orgB, federationNote("<p>quarantine candidate #Kenya</p>"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	heldSeq := ""
	if o, err := a.DB.Object(ctx, held.IRI); err != nil || o.Moderation != store.ModPending {
		t.Fatalf("held object on A: %v %+v", err, o)
	} else {
		heldSeq = o.Seq
	}
	for _, path := range []string{"/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/kenya"} {
		if r := w.apiCall(http.MethodGet, path, tok, nil); strings.Contains(r.body, heldSeq) {
			t.Errorf("held post in %s", path)
		}
	}
	if _, err := a.Moderation.Approve(ctx, moderation.By("test"), held.IRI); err != nil {
		t.Fatal(err)
	}
	if err := a.Social.Released(ctx, held.IRI); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/kenya"} {
		if r := w.apiCall(http.MethodGet, path, tok, nil); !strings.Contains(r.body, heldSeq) {
			t.Errorf("released post not in %s: %s", path, r.body)
		}
	}

	// Search resolves a handle and a status URL.
	r := w.apiCall(http.MethodGet, "/api/v2/search?resolve=true&q=observers@"+b.Domain, tok, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, bActor) {
		t.Errorf("search handle: %d %s", r.status, r.body)
	}
	r = w.apiCall(http.MethodGet, "/api/v2/search?resolve=true&type=statuses&q="+rec.IRI, tok, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, alertID) {
		t.Errorf("search status: %d %s", r.status, r.body)
	}
}

func federationNote(content string) federation.NoteInput {
	return federation.NoteInput{Content: content, Audience: federation.Audience{Public: true},
		Tags: []map[string]any{{"type": "Hashtag", "name": "#kenya", "href": "http://x/tags/kenya"}}}
}
