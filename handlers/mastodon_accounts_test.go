package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/internal/cluster"
)

// client is a go-mastodon client for a token, as an app holds it.
func (w *oauthWorld) client(token string) *mastodon.Client {
	return mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, AccessToken: token})
}

func (w *oauthWorld) token(app *mastodon.Application, username, scope string) string {
	w.t.Helper()
	return w.passwordToken(app, username, scope)["access_token"].(string)
}

// orgToken signs person in through the consent page and acts for the
// organisation orgID, as a publisher does.
func (w *oauthWorld) orgToken(person, orgID string) string {
	w.t.Helper()
	const callback = "https://client.example/callback"
	app := w.registerApp("read write follow", callback)
	b := w.browser()
	code, _ := b.approve(b.signIn(b.get(authorizePath(app, callback, url.Values{"scope": {"read write follow"}})), person), orgID)
	r := w.postForm("/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	if r.status != http.StatusOK {
		w.t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	return r.json(w.t)["access_token"].(string)
}

var versionPrefix = regexp.MustCompile(`^\d+\.\d+\.\d+`)

func TestAMastodonAppSignsInAndReadsTheInstanceAndItsAccount(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	alice := w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read write follow", "")
	c := w.client(w.token(app, "alice", "read write follow"))

	inst, err := c.GetInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if inst.URI != w.srv.Domain || !versionPrefix.MatchString(inst.Version) {
		t.Errorf("instance uri %q version %q; want %q and X.Y.Z", inst.URI, inst.Version, w.srv.Domain)
	}
	if inst.Stats == nil || inst.Stats.UserCount != 1 {
		t.Errorf("instance stats = %+v; want one user", inst.Stats)
	}
	for _, path := range []string{"/api/v1/instance/", "/api/v2/instance"} {
		r := w.getWithToken(w.srv.URL, path, "")
		if m := r.json(t); r.status != 200 || (m["uri"] != w.srv.Domain && m["domain"] != w.srv.Domain) {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	weeks, err := c.GetInstanceActivity(ctx)
	if err != nil || len(weeks) != 12 || weeks[0].Registrations != 1 {
		t.Errorf("activity = %v, %v; want 12 weeks, this week's registration counted", weeks, err)
	}
	if peers, err := c.GetInstancePeers(ctx); err != nil || len(peers) != 0 {
		t.Errorf("peers = %v, %v; want none", peers, err)
	}
	for _, path := range []string{"/api/v1/custom_emojis", "/api/v1/instance/rules", "/api/v1/filters", "/api/v2/filters",
		"/api/v1/lists", "/api/v1/announcements", "/api/v1/blocks", "/api/v1/mutes", "/api/v1/domain_blocks",
		"/api/v1/followed_tags", "/api/v1/trends/tags", "/api/v1/conversations", "/api/v1/suggestions"} {
		if r := w.apiCall("GET", path, c.Config.AccessToken, nil); r.status != 200 || strings.TrimSpace(r.body) != "[]" {
			t.Errorf("%s: %d %s; want []", path, r.status, r.body)
		}
	}

	me, err := c.GetAccountCurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(me.ID) != alice.ID || me.Acct != "alice" || me.Source == nil || *me.Source.Privacy != "public" {
		t.Errorf("verify_credentials = %+v", me)
	}
	name, note, locked, privacy, lang := "Alice A.", "Observer in Nairobi", true, "private", "fr"
	me, err = c.AccountUpdate(ctx, &mastodon.Profile{DisplayName: &name, Note: &note, Locked: &locked,
		Source: &mastodon.AccountSource{Privacy: &privacy, Language: &lang}})
	if err != nil {
		t.Fatal(err)
	}
	if me.DisplayName != name || !me.Locked || !strings.Contains(me.Note, note) || *me.Source.Privacy != "private" || *me.Source.Language != "fr" {
		t.Errorf("after update_credentials: %+v source %+v", me, me.Source)
	}
	// A JSON body with a nested source and a Rails boolean.
	r := w.apiCall("PATCH", "/api/v1/accounts/update_credentials", c.Config.AccessToken,
		map[string]any{"locked": "0", "source": map[string]any{"sensitive": "True"}})
	if m := r.json(t); r.status != 200 || m["locked"] != false || m["source"].(map[string]any)["sensitive"] != true {
		t.Errorf("JSON update_credentials: %d %s", r.status, r.body)
	}
	prefs := w.apiCall("GET", "/api/v1/preferences", c.Config.AccessToken, nil).json(t)
	if prefs["posting:default:visibility"] != "private" || prefs["posting:default:sensitive"] != true || prefs["posting:default:language"] != "fr" {
		t.Errorf("preferences = %v", prefs)
	}
	if r := w.apiCall("PATCH", "/api/v1/accounts/update_credentials", c.Config.AccessToken,
		map[string]any{"source": map[string]any{"privacy": "everyone"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad privacy: %d %s; want 422", r.status, r.body)
	}

	got, err := c.GetAccount(ctx, mastodon.ID(alice.ID))
	if err != nil || got.Username != "alice" || got.DisplayName != name {
		t.Errorf("GetAccount = %+v, %v", got, err)
	}
	if got, err := c.AccountLookup(ctx, "alice@"+w.srv.Domain); err != nil || string(got.ID) != alice.ID {
		t.Errorf("lookup = %+v, %v", got, err)
	}
	if found, err := c.AccountsSearch(ctx, "ali", 5); err != nil || len(found) != 1 || string(found[0].ID) != alice.ID {
		t.Errorf("search = %v, %v", found, err)
	}
	if _, err := c.GetAccount(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"); err == nil || !strings.Contains(err.Error(), "Record not found") {
		t.Errorf("unknown account: %v; want Record not found", err)
	}
	if sts, err := c.GetAccountStatuses(ctx, mastodon.ID(alice.ID), nil); err != nil || len(sts) != 0 {
		t.Errorf("statuses = %v, %v; want none", sts, err)
	}
}

func TestMarkersAreSavedFromFormAndJSONAndReadBack(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read write", "")
	tok := w.token(app, "alice", "read write")

	r := w.request("POST", "/api/v1/markers", "application/x-www-form-urlencoded",
		[]byte("home[last_read_id]=01H0000000000000000000000A"), "Authorization", "Bearer "+tok)
	if m := r.json(t); r.status != 200 || m["home"].(map[string]any)["version"] != float64(1) {
		t.Fatalf("form marker: %d %s", r.status, r.body)
	}
	r = w.apiCall("POST", "/api/v1/markers", tok, map[string]any{
		"home": map[string]any{"last_read_id": "01H0000000000000000000000B"}, "notifications": map[string]any{"last_read_id": "7"}})
	if r.status != 200 {
		t.Fatalf("JSON marker: %d %s", r.status, r.body)
	}
	m := w.apiCall("GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications", tok, nil).json(t)
	home, _ := m["home"].(map[string]any)
	notes, _ := m["notifications"].(map[string]any)
	if home["last_read_id"] != "01H0000000000000000000000B" || home["version"] != float64(2) || notes["last_read_id"] != "7" {
		t.Errorf("markers = %v", m)
	}
	if m := w.apiCall("GET", "/api/v1/markers?timeline=notifications", tok, nil).json(t); len(m) != 1 || m["notifications"] == nil {
		t.Errorf("markers?timeline=notifications = %v", m)
	}
}

func TestMastodonErrorsForTokensScopesAndUnknownRoutes(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read write follow", "")
	read := w.token(app, "alice", "read")
	r := w.postForm("/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"},
	})
	appToken := r.json(t)["access_token"].(string)

	cases := []struct {
		what, method, path, token string
		status                    int
		body                      string
	}{
		{"no token", "GET", "/api/v1/accounts/verify_credentials", "", 401, invalidTokenBody},
		{"unknown token", "GET", "/api/v1/accounts/verify_credentials", "nope", 401, invalidTokenBody},
		{"read token writes", "PATCH", "/api/v1/accounts/update_credentials", read, 403, outsideScopesBody},
		{"read token follows", "POST", "/api/v1/accounts/R0000000000000000000000000/follow", read, 403, outsideScopesBody},
		{"read token sets a marker", "POST", "/api/v1/markers", read, 403, outsideScopesBody},
		{"app token as a user", "GET", "/api/v1/accounts/verify_credentials", appToken, 422, `{"error":"This method requires an authenticated user"}`},
		{"unknown API route", "GET", "/api/v1/no_such_thing", "", 404, `{"error":"Record not found"}`},
		{"unknown API route with a token", "POST", "/api/v2/whatever/1", read, 404, `{"error":"Record not found"}`},
		{"unknown account", "GET", "/api/v1/accounts/R0000000000000000000000000", "", 404, `{"error":"Record not found"}`},
		{"unknown follow request", "POST", "/api/v1/follow_requests/R0000000000000000000000000/authorize", w.token(app, "alice", "write"), 404, `{"error":"Record not found"}`},
	}
	for _, tc := range cases {
		r := w.apiCall(tc.method, tc.path, tc.token, nil)
		if r.status != tc.status || strings.TrimSpace(r.body) != tc.body {
			t.Errorf("%s: %d %s; want %d %s", tc.what, r.status, r.body, tc.status, tc.body)
		}
	}
	// A known path with another method still answers JSON.
	r = w.apiCall("DELETE", "/api/v1/instance", "", nil)
	if r.status < 400 || !strings.HasPrefix(strings.TrimSpace(r.body), `{"error":`) {
		t.Errorf("DELETE /api/v1/instance: %d %s; want a JSON error", r.status, r.body)
	}
}

func TestLocalFollowsAndRelationshipsWithPagination(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	alice := w.srv.CreateAccount(t, "alice", "person", "member")
	org := w.srv.CreateAccount(t, "observers", "organization", "publisher")
	w.srv.CreateAccount(t, "staff", "person", "publisher")
	if err := w.srv.Accounts.Grant(ctx, "staff", "observers"); err != nil {
		t.Fatal(err)
	}
	app := w.registerApp("read write follow", "")
	var clients []*mastodon.Client
	for _, name := range []string{"bob", "carol", "dave"} {
		w.srv.CreateAccount(t, name, "person", "member")
		clients = append(clients, w.client(w.token(app, name, "read write follow")))
	}
	for _, c := range clients {
		rel, err := c.AccountFollow(ctx, mastodon.ID(alice.ID))
		if err != nil || !rel.Following || rel.Requested {
			t.Fatalf("follow of unlocked alice: %+v, %v", rel, err)
		}
	}
	ac := w.client(w.token(app, "alice", "read write follow"))
	page, err := ac.GetAccountFollowers(ctx, mastodon.ID(alice.ID), &mastodon.Pagination{Limit: 2})
	if err != nil || len(page) != 2 || page[0].Username != "dave" {
		t.Fatalf("first page of followers = %v, %v; want dave, carol", page, err)
	}
	next := &mastodon.Pagination{MaxID: page[1].ID, Limit: 2}
	page, err = ac.GetAccountFollowers(ctx, mastodon.ID(alice.ID), next)
	if err != nil || len(page) != 1 || page[0].Username != "bob" {
		t.Errorf("second page of followers = %v, %v; want bob", page, err)
	}
	bob := clients[0]
	bobMe, _ := bob.GetAccountCurrentUser(ctx)
	if f, err := bob.GetAccountFollowing(ctx, bobMe.ID, nil); err != nil || len(f) != 1 || string(f[0].ID) != alice.ID {
		t.Errorf("bob's following = %v, %v", f, err)
	}

	// The organisation approves followers by hand: a request that its
	// staff, acting for it, authorize.
	rel, err := bob.AccountFollow(ctx, mastodon.ID(org.ID))
	if err != nil || rel.Following || !rel.Requested {
		t.Fatalf("follow of the organisation: %+v, %v; want requested", rel, err)
	}
	oc := w.client(w.orgToken("staff", org.ID))
	reqs, err := oc.GetFollowRequests(ctx, nil)
	if err != nil || len(reqs) != 1 || reqs[0].ID != bobMe.ID {
		t.Fatalf("follow requests = %v, %v; want bob", reqs, err)
	}
	if err := oc.FollowRequestAuthorize(ctx, bobMe.ID); err != nil {
		t.Fatal(err)
	}
	rels, err := bob.GetAccountRelationships(ctx, []string{org.ID, alice.ID, "R0000000000000000000000000"})
	if err != nil || len(rels) != 2 || !rels[0].Following || rels[0].Requested || !rels[1].Following {
		t.Errorf("relationships = %+v, %v; want following both", rels, err)
	}
	// id= as well as id[]=.
	r := w.apiCall("GET", "/api/v1/accounts/relationships?id="+alice.ID, bob.Config.AccessToken, nil)
	if !strings.Contains(r.body, `"following":true`) {
		t.Errorf("relationships?id=: %s", r.body)
	}
	if rel, err := bob.AccountUnfollow(ctx, mastodon.ID(alice.ID)); err != nil || rel.Following {
		t.Errorf("unfollow: %+v, %v", rel, err)
	}
	if r, _ := ac.GetAccountRelationships(ctx, []string{string(bobMe.ID)}); len(r) != 1 || r[0].FollowedBy {
		t.Errorf("alice still followed by bob: %+v", r)
	}
}

func TestFollowingAnOrganisationOnAnotherInstanceThroughTheClientAPI(t *testing.T) {
	a := &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 0)}
	b := &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 1)}
	ctx := context.Background()
	a.srv.CreateAccount(t, "alice", "person", "member")
	org := b.srv.CreateAccount(t, "watch", "organization", "publisher")
	b.srv.CreateAccount(t, "staff", "person", "publisher")
	if err := b.srv.Accounts.Grant(ctx, "staff", "watch"); err != nil {
		t.Fatal(err)
	}
	app := a.registerApp("read write follow", "")
	alice := a.client(a.token(app, "alice", "read write follow"))

	handle := "watch@" + b.srv.Domain
	found, err := alice.AccountsSearchResolve(ctx, handle, 5, true)
	if err != nil || len(found) != 1 || found[0].Acct != handle || !found[0].Locked {
		t.Fatalf("search %s with resolve = %v, %v", handle, found, err)
	}
	watch := found[0]
	if got, err := alice.AccountLookup(ctx, handle); err != nil || got.ID != watch.ID {
		t.Errorf("lookup %s = %+v, %v", handle, got, err)
	}
	rel, err := alice.AccountFollow(ctx, watch.ID)
	if err != nil || !rel.Requested || rel.Following {
		t.Fatalf("follow = %+v, %v; want requested", rel, err)
	}
	cluster.Settle(t, a.srv, b.srv)

	// On b, the organisation's staff approve alice.
	oc := b.client(b.orgToken("staff", org.ID))
	var reqs []*mastodon.Account
	cluster.Eventually(t, "alice's request reaches watch", func() bool {
		reqs, err = oc.GetFollowRequests(ctx, nil)
		return err == nil && len(reqs) == 1
	})
	if want := "alice@" + a.srv.Domain; reqs[0].Acct != want {
		t.Errorf("request from %q; want %q (port kept)", reqs[0].Acct, want)
	}
	if err := oc.FollowRequestAuthorize(ctx, reqs[0].ID); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a.srv, b.srv)
	cluster.Eventually(t, "alice follows watch after the Accept", func() bool {
		rels, err := alice.GetAccountRelationships(ctx, []string{string(watch.ID)})
		return err == nil && len(rels) == 1 && rels[0].Following && !rels[0].Requested
	})
	me, _ := alice.GetAccountCurrentUser(ctx)
	if f, err := alice.GetAccountFollowing(ctx, me.ID, nil); err != nil || len(f) != 1 || f[0].ID != watch.ID {
		t.Errorf("alice's following = %v, %v", f, err)
	}
	if f, err := oc.GetAccountFollowers(ctx, mastodon.ID(org.ID), nil); err != nil || len(f) != 1 || f[0].ID != reqs[0].ID {
		t.Errorf("watch's followers = %v, %v", f, err)
	}
	if peers, err := alice.GetInstancePeers(ctx); err != nil || len(peers) != 1 || peers[0] != b.srv.Domain {
		t.Errorf("a's peers = %v, %v; want %s", peers, err, b.srv.Domain)
	}

	if rel, err := alice.AccountUnfollow(ctx, watch.ID); err != nil || rel.Following {
		t.Errorf("unfollow = %+v, %v", rel, err)
	}
	cluster.Settle(t, a.srv, b.srv)
	cluster.Eventually(t, "watch loses alice", func() bool {
		f, err := oc.GetAccountFollowers(ctx, mastodon.ID(org.ID), nil)
		return err == nil && len(f) == 0
	})
}

func TestAccountStatusesShowOthersOnlyPublicAlertsWithLinkPagination(t *testing.T) {
	w := newOAuthWorld(t)
	ctx := context.Background()
	org := w.srv.CreateAccount(t, "observers", "organization", "publisher")
	w.srv.CreateAccount(t, "editor", "person", "publisher")
	if err := w.srv.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	app := w.registerApp("read write", "")
	editor := w.token(app, "editor", "read write")
	for _, level := range []string{"CLEAR", "GREEN", "CLEAR", "CLEAR"} {
		r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, map[string]any{
			"as": "observers", "title": "Kenya: " + level + " alert", "body": "Details.", "severity": "severe",
			"category": "disinformation", "countries": []string{"KE"}, "tlp": level,
		})
		if r.status != http.StatusOK {
			t.Fatalf("create %s: %d %s", level, r.status, r.body)
		}
	}
	anyone := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL})
	all, err := anyone.GetAccountStatuses(ctx, mastodon.ID(org.ID), nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("public statuses = %d, %v; want the 3 CLEAR alerts", len(all), err)
	}
	for _, s := range all {
		if s.Visibility != "public" || s.Account.ID != mastodon.ID(org.ID) {
			t.Errorf("status %s: visibility %s by %s", s.ID, s.Visibility, s.Account.ID)
		}
	}
	r := w.apiCall("GET", "/api/v1/accounts/"+org.ID+"/statuses?limit=2", "", nil)
	link := r.header.Get("Link")
	if !strings.Contains(link, `max_id=`+string(all[1].ID)) || !strings.Contains(link, `rel="next"`) || !strings.Contains(link, `min_id=`+string(all[0].ID)) {
		t.Errorf("Link = %q", link)
	}
	older, err := anyone.GetAccountStatuses(ctx, mastodon.ID(org.ID), &mastodon.Pagination{MaxID: all[1].ID, Limit: 2})
	if err != nil || len(older) != 1 || older[0].ID != all[2].ID {
		t.Errorf("older page = %v, %v", older, err)
	}
	if pinned := w.apiCall("GET", "/api/v1/accounts/"+org.ID+"/statuses?pinned=true", "", nil); strings.TrimSpace(pinned.body) != "[]" {
		t.Errorf("pinned = %s", pinned.body)
	}
	// The organisation's own staff see the GREEN alert too.
	staff := w.client(w.orgToken("editor", org.ID))
	if mine, err := staff.GetAccountStatuses(ctx, mastodon.ID(org.ID), nil); err != nil || len(mine) != 4 {
		t.Errorf("statuses seen by the organisation = %d, %v; want 4", len(mine), err)
	}
}
