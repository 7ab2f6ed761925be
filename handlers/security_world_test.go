package handlers_test

// The world the security tests (authz_table_test.go, tlp_leaks_test.go,
// injection_test.go) call: one real instance with a person of every role,
// their OAuth tokens and web sessions, and alerts at every TLP level whose
// titles carry a marker that must never reach a principal without the right
// to read them.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// principal is who calls a route.
type principal string

const (
	anon      principal = "anonymous"
	member    principal = "member"
	publisher principal = "publisher" // editor, acting for the organisation "observers"
	moderator principal = "moderator"
	admin     principal = "admin"
)

var principals = []principal{anon, member, publisher, moderator, admin}

// usernames of the principals' people ("" for anonymous).
var principalUser = map[principal]string{member: "reader", publisher: "editor", moderator: "mod", admin: "root"}

// secret is an alert only some principals may read; its marker is in its
// title and body.
type secret struct {
	name    string
	level   tlp.Level
	marker  string
	readers []principal // who may read it
	rec     *store.AlertRecord
}

// secWorld is one running instance (and what the tests know about it).
type secWorld struct {
	*oauthWorld
	tokens   map[principal]string         // bearer tokens ("" for anonymous)
	sessions map[principal][]*http.Cookie // web session and CSRF cookies
	csrf     map[principal]string         // the CSRF token matching the cookie
	clear    *store.AlertRecord           // a CLEAR alert everyone reads
	secrets  []*secret
	orgID    string
	// direct is a member's direct reply to the CLEAR alert, naming the
	// victim: of the principals, only its author and the organisation
	// replied to read it.
	direct      string // its marker
	directID    string // its status id
	clearStatus string
}

// newSecWorld starts an instance with accounts observers (organisation),
// otherorg, editor (publisher for observers), reader (member), victim
// (member), mod (moderator) and root (admin); tokens for every principal;
// web sessions for every principal but anonymous; and alerts at every level.
func newSecWorld(t *testing.T, opts ...cluster.Option) *secWorld {
	t.Helper()
	w := &secWorld{oauthWorld: &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 0, opts...)},
		tokens: map[principal]string{}, sessions: map[principal][]*http.Cookie{}, csrf: map[principal]string{}}
	s, ctx := w.srv, w.ctx
	org := s.CreateAccount(t, "observers", "organization", "publisher")
	w.orgID = org.ID
	s.CreateAccount(t, "otherorg", "organization", "publisher")
	s.CreateAccount(t, "editor", "person", "publisher")
	s.CreateAccount(t, "reader", "person", "member")
	s.CreateAccount(t, "victim", "person", "member")
	s.CreateAccount(t, "mod", "person", "moderator")
	s.CreateAccount(t, "root", "person", "admin")
	if err := s.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish.SetCircle(ctx, "self", []string{"observers@" + s.Domain}); err != nil {
		t.Fatal(err)
	}

	app := w.registerApp("read write follow push admin:read admin:write", "urn:ietf:wg:oauth:2.0:oob")
	w.tokens[anon] = ""
	w.tokens[member] = w.token(app, "reader", "read write follow push")
	w.tokens[publisher] = w.orgToken("editor", org.ID)
	w.tokens[moderator] = w.token(app, "mod", "read write follow push admin:read admin:write")
	w.tokens[admin] = w.token(app, "root", "read write follow push admin:read admin:write")
	for _, p := range principals[1:] {
		b := newBrowser(t, s.URL)
		b.signIn(principalUser[p])
		u, _ := url.Parse(s.URL + "/")
		w.sessions[p] = b.c.Jar.Cookies(u)
		for _, c := range w.sessions[p] {
			if c.Name == "tocsin_web_csrf" {
				w.csrf[p] = c.Value
			}
		}
		if w.csrf[p] == "" || len(w.sessions[p]) < 2 {
			t.Fatalf("web session of %s: cookies %v", p, w.sessions[p])
		}
	}

	// Everyone with a person's token follows the organisation, so that
	// home timelines and user streams carry its posts.
	for _, p := range []principal{member, moderator, admin} {
		if r := w.apiCall(http.MethodPost, "/api/v1/accounts/"+w.accountID("observers")+"/follow", w.tokens[p], nil); r.status != http.StatusOK {
			t.Fatalf("%s follows observers: %d %s", p, r.status, r.body)
		}
		// Organisations approve followers by hand (GREEN goes to them).
		id := w.accountID(principalUser[p])
		if r := w.apiCall(http.MethodPost, "/api/v1/follow_requests/"+id+"/authorize", w.tokens[publisher], nil); r.status != http.StatusOK {
			t.Fatalf("observers approves %s: %d %s", p, r.status, r.body)
		}
	}
	w.clear = w.publish("Public alert mkCLEAR0", tlp.Clear)
	staffRead := []principal{publisher, moderator, admin}
	for _, sc := range []*secret{
		{name: "GREEN", level: tlp.Green, readers: []principal{member, publisher, moderator, admin}},
		{name: "AMBER", level: tlp.Amber, readers: staffRead},
		{name: "AMBER+STRICT", level: tlp.AmberStrict, readers: staffRead},
		// RED to a member who is none of the principals: the organisation
		// that wrote it (its publisher, the admin) reads it, a moderator not.
		{name: "RED", level: tlp.Red, readers: []principal{publisher, admin}},
		// RED to the member principal.
		{name: "RED-to-member", level: tlp.Red, readers: []principal{member, publisher, admin}},
	} {
		w.addSecret(sc)
	}
	// A CLEAR alert that everyone bookmarked, favourited and boosted, then
	// raised to AMBER: the copies people hold must follow it.
	esc := w.publish("Harmless public alert", tlp.Clear)
	escStatus := orgStatusID(t, s, esc.IRI)
	for _, p := range []principal{member, moderator, admin} {
		for _, action := range []string{"bookmark", "favourite", "reblog"} {
			if r := w.apiCall(http.MethodPost, "/api/v1/statuses/"+escStatus+"/"+action, w.tokens[p], nil); r.status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", p, action, r.status, r.body)
			}
		}
	}
	raised := esc.Alert
	raised.TLP, raised.Circle = tlp.Amber, "self"
	raised.Title = "Escalated mkESCALATEDx7f3a"
	raised.Body = "Now for the organisation only. mkESCALATEDx7f3a"
	rec, err := s.Publish.UpdateAlert(ctx, w.author(), esc.IRI, raised)
	if err != nil {
		t.Fatalf("raise to AMBER: %v", err)
	}
	w.secrets = append(w.secrets, &secret{name: "CLEAR-raised-to-AMBER", level: tlp.Amber, marker: "mkESCALATEDx7f3a", readers: staffRead, rec: rec})

	// A direct reply in the CLEAR alert's thread.
	w.clearStatus = orgStatusID(t, s, w.clear.IRI)
	w.direct = "mkDIRECTx7f3a"
	r := w.apiCall(http.MethodPost, "/api/v1/statuses", w.tokens[member], map[string]any{
		"status": "@victim " + w.direct, "visibility": "direct", "in_reply_to_id": w.clearStatus})
	if r.status != http.StatusOK {
		t.Fatalf("direct reply: %d %s", r.status, r.body)
	}
	w.directID = r.json(t)["id"].(string)

	// What only the staff read: a moderator's private note on a domain
	// decision, and a member's report.
	if _, err := s.Moderation.SetDomainTrust(ctx, "root", "noted.example", "blocked", "spam", "Private note "+modNoteMarker); err != nil {
		t.Fatal(err)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/reports", w.tokens[member], map[string]any{
		"account_id": w.accountID("victim"), "comment": "Report " + reportMarker}); r.status != http.StatusOK {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	cluster.Settle(t, s)
	// CanRead is the rule the markers follow: check the table agrees, so a
	// changed rule shows up here and not as a puzzling leak.
	for _, sc := range w.secrets {
		for _, p := range principals {
			if got, want := publish.CanRead(w.viewer(p), sc.rec), slices.Contains(sc.readers, p); got != want {
				t.Fatalf("CanRead(%s, %s) = %v, the tests expect %v", p, sc.name, got, want)
			}
		}
	}
	return w
}

// author is the editor acting for observers.
func (w *secWorld) author() publish.Author {
	w.t.Helper()
	org, err := w.srv.Accounts.Get(w.ctx, "observers")
	if err != nil {
		w.t.Fatal(err)
	}
	editor, err := w.srv.Accounts.Get(w.ctx, "editor")
	if err != nil {
		w.t.Fatal(err)
	}
	return publish.Author{Org: org, Person: editor}
}

// publish creates an alert by observers with title (also in the body).
func (w *secWorld) publish(title string, l tlp.Level, recipients ...string) *store.AlertRecord {
	w.t.Helper()
	in := alert.Alert{Title: title, Body: "Observers report pre-marked ballots. " + title,
		Severity: "severe", Confidence: "likely", Category: "vote-buying", Countries: []string{"KE"},
		TLP: l, Language: "en", Recipients: recipients}
	if l == tlp.Amber {
		in.Circle = "self"
	}
	rec, err := w.srv.Publish.CreateAlert(w.ctx, w.author(), in)
	if err != nil {
		w.t.Fatalf("create %s: %v", title, err)
	}
	return rec
}

// addSecret publishes sc (its marker made from its name) and adds it to
// the world's secrets.
func (w *secWorld) addSecret(sc *secret) {
	w.t.Helper()
	if sc.marker == "" {
		sc.marker = "mk" + strings.NewReplacer("+", "", "-", "").Replace(sc.name) + "x7f3a"
	}
	var rcpt []string
	switch {
	case strings.HasPrefix(sc.name, "AMBER+STRICT"):
		rcpt = []string{w.srv.URL + "/users/otherorg"}
	case strings.HasPrefix(sc.name, "RED-to-member"):
		rcpt = []string{w.srv.URL + "/users/reader"}
	case strings.HasPrefix(sc.name, "RED"):
		rcpt = []string{w.srv.URL + "/users/victim"}
	}
	sc.rec = w.publish("Confidential "+sc.marker, sc.level, rcpt...)
	w.secrets = append(w.secrets, sc)
}

// accountID is username's Mastodon account id.
func (w *secWorld) accountID(username string) string {
	w.t.Helper()
	r := w.apiCall(http.MethodGet, "/api/v1/accounts/lookup?acct="+username, "", nil)
	if r.status != http.StatusOK {
		w.t.Fatalf("lookup %s: %d %s", username, r.status, r.body)
	}
	return r.json(w.t)["id"].(string)
}

// viewer is p as publish.CanRead sees it (nil for anonymous).
func (w *secWorld) viewer(p principal) *publish.Viewer {
	if p == anon {
		return nil
	}
	a, err := w.srv.Accounts.Get(w.ctx, principalUser[p])
	if err != nil {
		w.t.Fatal(err)
	}
	return &publish.Viewer{Account: a, Actor: w.srv.URL + "/users/" + a.Username}
}

// forbidden returns the markers p must never see.
func (w *secWorld) forbidden(p principal) []string {
	var out []string
	for _, sc := range w.secrets {
		if !slices.Contains(sc.readers, p) {
			out = append(out, sc.marker)
		}
	}
	// (A reply names the author it replies to: the organisation reads it.)
	if w.direct != "" && p != member && p != publisher {
		out = append(out, w.direct)
	}
	if p != moderator && p != admin {
		out = append(out, modNoteMarker)
		if p != member { // the member wrote the report
			out = append(out, reportMarker)
		}
	}
	return out
}

// Markers of what only the staff read.
const (
	modNoteMarker = "mkMODNOTEx7f3a"
	reportMarker  = "mkREPORTx7f3a"
)

// emailAddress matches the addresses cluster.CreateAccount gives.
var emailAddress = regexp.MustCompile(`[a-z]+@127\.0\.0\.\d+\.test`)

// credentials returns every token and session value: no response may
// carry another principal's.
func (w *secWorld) credentials() []string {
	var out []string
	for _, p := range principals {
		if w.tokens[p] != "" {
			out = append(out, w.tokens[p])
		}
		for _, c := range w.sessions[p] {
			if c.Name == "tocsin_session" {
				out = append(out, c.Value)
			}
		}
	}
	return out
}

// checkNoLeak fails when body, read by p, holds a marker p may not read, a
// password hash, or a credential.
func (w *secWorld) checkNoLeak(t *testing.T, what string, p principal, body string) {
	t.Helper()
	for _, m := range w.forbidden(p) {
		if strings.Contains(body, m) {
			t.Errorf("LEAK: %s as %s shows %s", what, p, m)
		}
	}
	// People's email addresses: their own, and the staff's console.
	if p != moderator && p != admin {
		for _, m := range emailAddress.FindAllString(body, -1) {
			if own := principalUser[p]; own == "" || !strings.HasPrefix(m, own+"@") {
				t.Errorf("LEAK: %s as %s shows the email address %s", what, p, m)
			}
		}
	}
	if strings.Contains(body, "$2a$") || strings.Contains(body, "$2b$") {
		t.Errorf("LEAK: %s as %s shows a password hash", what, p)
	}
	for _, c := range w.credentials() {
		if strings.Contains(body, c) {
			t.Errorf("LEAK: %s as %s shows a token or session", what, p)
		}
	}
}
