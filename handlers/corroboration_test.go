package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
)

// peerAlertID finds, through s's API, the local id s gave the alert iri.
func peerAlertID(t *testing.T, w *oauthWorld, token, iri string) string {
	t.Helper()
	r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts?origin=peer", token, nil)
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, a := range list {
		if a["uri"] == iri {
			return a["id"].(string)
		}
	}
	t.Fatalf("%s does not list %s", w.srv.Domain, iri)
	return ""
}

func TestCorroborationShowsInTheAPIThePageAndMastodonClients(t *testing.T) {
	ctx := context.Background()
	a := newOAuthWorld(t)
	b := &oauthWorld{t: t, ctx: ctx, srv: cluster.Start(t, 1)}
	c := &oauthWorld{t: t, ctx: ctx, srv: cluster.Start(t, 2)}
	a.srv.Publish.SetCorroborationInterval(0) // each vote's Update at once
	orgA := a.srv.CreateAccount(t, "observers", "organization", "publisher")
	a.srv.CreateAccount(t, "editor", "person", "publisher")
	a.srv.CreateAccount(t, "member", "person", "member")
	if err := a.srv.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	tokens := map[*oauthWorld]string{}
	for _, w := range []*oauthWorld{b, c} {
		org := w.srv.CreateAccount(t, "org", "organization", "publisher")
		w.srv.CreateAccount(t, "desk", "person", "publisher")
		if err := w.srv.Accounts.Grant(ctx, "desk", "org"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.srv.Federation.AddPeer(ctx, orgA, "org@"+w.srv.Domain); err != nil {
			t.Fatal(err)
		}
		if _, err := w.srv.Federation.AddPeer(ctx, org, "observers@"+a.srv.Domain); err != nil {
			t.Fatal(err)
		}
		tokens[w] = w.token(w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob"), "desk", "read write")
	}
	cluster.Settle(t, a.srv, b.srv, c.srv)

	app := a.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	editor := a.token(app, "editor", "read write")
	r := a.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, map[string]any{
		"as": "observers", "title": "Kenya: fake polling-station SMS", "body": "Voters receive SMS saying their station moved.",
		"severity": "severe", "category": "disinformation", "countries": []string{"KE"}, "tlp": "CLEAR",
	})
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id, iri := created["id"].(string), created["uri"].(string)
	if created["corroboration"].(map[string]any)["confirmed"] != float64(0) {
		t.Errorf("a new alert counts votes: %v", created["corroboration"])
	}
	cluster.Settle(t, a.srv, b.srv, c.srv)

	comments := map[*oauthWorld]string{b: "Our observers in Nairobi received the <b>same</b> SMS.", c: "Seen in Kisumu too."}
	for _, w := range []*oauthWorld{b, c} {
		seq := peerAlertID(t, w, tokens[w], iri)
		r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts/"+seq+"/sightings", tokens[w], map[string]any{
			"as": "org", "verdict": "confirmed", "count": 12, "where": []string{"KE-30"}, "comment": comments[w],
			"first_seen": "2026-11-20T08:00:00Z", "last_seen": "2026-11-21T18:00:00Z",
		})
		if r.status != http.StatusOK || r.json(t)["sent"] != true {
			t.Fatalf("%s corroborates: %d %s", w.srv.Domain, r.status, r.body)
		}
	}
	// A bad vote is refused with the fields named.
	r = b.apiCall(http.MethodPost, "/api/v1/tocsin/alerts/"+peerAlertID(t, b, tokens[b], iri)+"/sightings", tokens[b],
		map[string]any{"as": "org", "verdict": "probably", "where": []string{"Kenya"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "verdict") || !strings.Contains(r.body, "where[0]") {
		t.Errorf("invalid vote: %d %s", r.status, r.body)
	}
	cluster.Settle(t, a.srv, b.srv, c.srv)

	// The API of A.
	got := a.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+id, "", nil).json(t)
	corr, _ := got["corroboration"].(map[string]any)
	if corr["confirmed"] != float64(2) || corr["disputed"] != float64(0) || corr["summary"] != "Confirmed by 2 networks" || corr["sightings"] != iri+"/sightings" {
		t.Errorf("A's API shows %v", got["corroboration"])
	}
	votes := a.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+id+"/sightings", "", nil)
	var list []map[string]any
	if err := json.Unmarshal([]byte(votes.body), &list); err != nil || len(list) != 2 {
		t.Fatalf("A's votes: %d %s", votes.status, votes.body)
	}
	for _, v := range list {
		if v["verdict"] != "confirmed" || v["count"] != float64(12) || v["first_seen"] != "2026-11-20T08:00:00.000Z" {
			t.Errorf("vote %v", v)
		}
	}

	// The web page of A names the tally and who voted, with the comments
	// escaped.
	page := a.browser().get(strings.TrimPrefix(iri, a.srv.URL))
	for _, want := range []string{"Confirmed by 2 networks", "@org@" + b.srv.Domain, "@org@" + c.srv.Domain, "Seen in Kisumu too."} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the alert page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "<b>same</b>") {
		t.Error("a peer's comment kept its <b> markup on the page")
	}

	// A Mastodon client of A sees the edited status line.
	member := a.client(a.token(app, "member", "read"))
	st, err := member.GetStatus(ctx, mastodon.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Content, "TLP:CLEAR · Status: active · Confirmed by 2 networks") || st.EditedAt.IsZero() {
		t.Errorf("Mastodon client sees content %q, edited_at %v", st.Content, st.EditedAt)
	}

	// Followers received the Update: B's copy carries the line, and B's API
	// shows the origin's count.
	o, err := b.srv.DB.Object(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ap.Parse(o.Raw)
	if err != nil || !strings.Contains(doc.Object.Content, "Confirmed by 2 networks") {
		t.Errorf("B holds %v (%v)", doc.Object.Content, err)
	}
	onB := b.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+peerAlertID(t, b, tokens[b], iri), tokens[b], nil).json(t)
	if corr, _ := onB["corroboration"].(map[string]any); corr["confirmed"] != float64(2) {
		t.Errorf("B's API shows %v", onB["corroboration"])
	}

	// The sightings collection, over ActivityPub.
	get := func(u string) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "application/activity+json")
		return a.do(nil, req).json(t)
	}
	head := get(iri + "/sightings")
	if head["type"] != "OrderedCollection" || head["totalItems"] != float64(2) {
		t.Errorf("collection %v", head)
	}
	items, _ := get(iri + "/sightings?page=1")["orderedItems"].([]any)
	if len(items) != 2 {
		t.Fatalf("page 1 holds %d votes", len(items))
	}
	for _, it := range items {
		m := it.(map[string]any)
		if m["type"] != "tocsin:Sighting" || m["object"] != iri || m["tocsin:verdict"] != "confirmed" {
			t.Errorf("item %v", m)
		}
	}
	// The alert object links it.
	if sightings, _ := get(iri)["tocsin:sightings"].(map[string]any); sightings["id"] != iri+"/sightings" || sightings["tocsin:confirmed"] != float64(2) {
		t.Errorf("the alert links %v", sightings)
	}
}

func TestSightingsOfANonPublicAlertAreHidden(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "observers", "organization", "publisher")
	w.srv.CreateAccount(t, "editor", "person", "publisher")
	if err := w.srv.Accounts.Grant(w.ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	w.srv.CreateAccount(t, "watch", "organization", "publisher")
	w.srv.CreateAccount(t, "member", "person", "member")
	app := w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	editor := w.token(app, "editor", "read write")
	r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, map[string]any{
		"as": "observers", "title": "Kenya: members only", "body": "Details.", "severity": "minor",
		"category": "other", "countries": []string{"KE"}, "tlp": "GREEN",
	})
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id, iri := created["id"].(string), created["uri"].(string)
	// The other local organisation (a signed-in member of this instance may
	// read GREEN) votes.
	rec, err := w.srv.Publish.GetAlert(w.ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Alert.TLP.String() != "GREEN" {
		t.Fatalf("stored as %s", rec.Alert.TLP)
	}
	watch, _ := w.srv.Accounts.Get(w.ctx, "watch")
	if _, err := w.srv.Publish.Corroborate(w.ctx, publish.Author{Org: watch}, iri, federation.SightingInput{Verdict: "confirmed"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/tocsin/alerts/" + id + "/sightings"} {
		if r := w.apiCall(http.MethodGet, path, "", nil); r.status != http.StatusNotFound {
			t.Errorf("anonymous GET %s: %d", path, r.status)
		}
		if r := w.apiCall(http.MethodGet, path, w.token(app, "member", "read"), nil); r.status != http.StatusOK || !strings.Contains(r.body, "confirmed") {
			t.Errorf("member GET %s: %d %s", path, r.status, r.body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, iri+"/sightings", nil)
	req.Header.Set("Accept", "application/activity+json")
	if r := w.do(nil, req); r.status != http.StatusNotFound {
		t.Errorf("ActivityPub GET of a GREEN alert's sightings: %d", r.status)
	}
}

func TestTranslationsThroughTheAPIAndOnThePage(t *testing.T) {
	ctx := context.Background()
	a := newOAuthWorld(t)
	b := &oauthWorld{t: t, ctx: ctx, srv: cluster.Start(t, 1)}
	orgA := a.srv.CreateAccount(t, "observers", "organization", "publisher")
	a.srv.CreateAccount(t, "editor", "person", "publisher")
	if err := a.srv.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	orgB := b.srv.CreateAccount(t, "org", "organization", "publisher")
	b.srv.CreateAccount(t, "desk", "person", "publisher")
	if err := b.srv.Accounts.Grant(ctx, "desk", "org"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.Federation.AddPeer(ctx, orgA, "org@"+b.srv.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.srv.Federation.AddPeer(ctx, orgB, "observers@"+a.srv.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a.srv, b.srv)
	editor := a.token(a.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob"), "editor", "read write")
	desk := b.token(b.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob"), "desk", "read write")
	created := a.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, map[string]any{
		"as": "observers", "title": "Kenya: fake polling-station SMS", "body": "Voters receive SMS saying their station moved.",
		"severity": "severe", "category": "disinformation", "countries": []string{"KE"}, "tlp": "CLEAR",
	}).json(t)
	id, iri := created["id"].(string), created["uri"].(string)
	cluster.Settle(t, a.srv, b.srv)

	r := b.apiCall(http.MethodPost, "/api/v1/tocsin/alerts/"+peerAlertID(t, b, desk, iri)+"/translations", desk, map[string]any{
		"as": "org", "language": "sw", "title": "Kenya: SMS za uongo", "content": "Wapiga kura wanapokea SMS.",
	})
	if r.status != http.StatusOK || r.json(t)["sent"] != true {
		t.Fatalf("offer: %d %s", r.status, r.body)
	}
	cluster.Settle(t, a.srv, b.srv)

	// B may not review A's translations; A's editor may.
	if r := b.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+peerAlertID(t, b, desk, iri)+"/translations?as=org", desk, nil); r.status != http.StatusForbidden {
		t.Errorf("B lists translations of A's alert: %d %s", r.status, r.body)
	}
	r = a.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+id+"/translations?as=observers", editor, nil)
	var offered []map[string]any
	if err := json.Unmarshal([]byte(r.body), &offered); err != nil || len(offered) != 1 || offered[0]["state"] != "pending" ||
		offered[0]["translator_name"] != "@org@"+b.srv.Domain {
		t.Fatalf("offered: %d %s", r.status, r.body)
	}
	// The translation is served by its author at its id, as signed: anyone
	// can check who wrote it.
	req, _ := http.NewRequest(http.MethodGet, offered[0]["uri"].(string), nil)
	req.Header.Set("Accept", "application/activity+json")
	served := a.do(nil, req)
	if served.status != http.StatusOK || !strings.Contains(served.body, `"proof"`) {
		t.Fatalf("GET %s: %d %s", offered[0]["uri"], served.status, served.body)
	}
	if _, err := a.srv.Federation.Remote.VerifyProof(ctx, []byte(served.body), b.srv.URL+"/users/org"); err != nil {
		t.Errorf("the served translation does not verify as B's: %v", err)
	}
	r = a.apiCall(http.MethodPost, "/api/v1/tocsin/translations/"+offered[0]["id"].(string)+"/accept", editor, map[string]any{"as": "observers"})
	if r.status != http.StatusOK || r.json(t)["state"] != "accepted" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	got := a.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+id, "", nil).json(t)
	trs, _ := got["translations"].([]any)
	if len(trs) != 1 || trs[0].(map[string]any)["translator_name"] != "@org@"+b.srv.Domain || trs[0].(map[string]any)["language"] != "sw" {
		t.Errorf("API translations: %v", got["translations"])
	}
	page := a.browser().get(strings.TrimPrefix(iri, a.srv.URL))
	for _, want := range []string{"Translated into sw by", "@org@" + b.srv.Domain, "Wapiga kura wanapokea SMS.", `lang="sw"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the alert page lacks %q", want)
		}
	}
}
