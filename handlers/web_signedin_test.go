package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// webClient is an http.Client with a cookie jar that reads pages and submits
// their forms the way a person would: the form's hidden fields (the CSRF
// token) come from the page.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *webClient) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

func (b *webClient) do(req *http.Request) webResponse {
	b.t.Helper()
	req.Header.Set("Accept", browserAccept)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode >= 500 {
		b.t.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, body)
	}
	return webResponse{resp.StatusCode, resp.Header, string(body)}
}

func (b *webClient) get(path string) webResponse {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as is (no token unless vals has one).
func (b *webClient) post(path string, vals url.Values) webResponse {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(vals.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit opens page, finds the form posting to action, and posts its
// hidden fields with vals.
func (b *webClient) submit(page, action string, vals url.Values) webResponse {
	b.t.Helper()
	r := b.get(page)
	doc := parseHTML(b.t, r.body)
	form := findNode(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == action })
	if form == nil {
		b.t.Fatalf("%s has no form posting to %s (status %d)", page, action, r.status)
	}
	all := url.Values{}
	walk(form, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			all.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	for k, v := range vals {
		all[k] = v
	}
	return b.post(action, all)
}

func (b *webClient) signIn(login string) {
	b.t.Helper()
	r := b.submit("/signin", "/signin", url.Values{"login": {login}, "password": {cluster.Password}})
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d %s", login, r.status, r.body)
	}
}

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func findNode(n *html.Node, match func(*html.Node) bool) *html.Node {
	var out *html.Node
	walk(n, func(x *html.Node) {
		if out == nil && match(x) {
			out = x
		}
	})
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	return findNode(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

func TestSignInWrongPasswordRateLimitAndSignOut(t *testing.T) {
	s := cluster.Start(t, 0)
	s.CreateAccount(t, "alice", "person", "member")
	b := newBrowser(t, s.URL)

	page := b.get("/signin")
	if page.status != http.StatusOK {
		t.Fatalf("sign-in page: %d", page.status)
	}
	checkHTMLPage(t, "sign in", page)
	if r := b.post("/signin", url.Values{"login": {"alice"}, "password": {cluster.Password}}); r.status != http.StatusForbidden {
		t.Errorf("sign in without the CSRF token: %d", r.status)
	}
	b.signIn("alice@127.0.0.2.test") // by email address
	home := b.get("/")
	if !strings.Contains(home.body, "Signed in as") || byID(parseHTML(t, home.body), "signout-submit") == nil {
		t.Errorf("home does not say who is signed in")
	}
	checkHTMLPage(t, "home signed in", home)
	if home.header.Get("Cache-Control") != "no-store" {
		t.Errorf("signed-in page cacheable: %q", home.header.Get("Cache-Control"))
	}
	if r := b.submit("/", "/signout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.status)
	}
	if strings.Contains(b.get("/").body, "Signed in as") {
		t.Errorf("still signed in after signing out")
	}

	wrong := url.Values{"login": {"alice"}, "password": {"not the password"}}
	for i := range 5 {
		r := b.submit("/signin", "/signin", wrong)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: %d", i, r.status)
		}
		doc := parseHTML(t, r.body)
		if e := byID(doc, "signin-error"); e == nil || !strings.Contains(textOf(e), "Invalid") {
			t.Fatalf("wrong password %d: no error shown", i)
		}
		if attr(byID(doc, "signin-login"), "value") != "alice" {
			t.Errorf("the login typed is not kept")
		}
	}
	r := b.submit("/signin", "/signin", url.Values{"login": {"alice"}, "password": {cluster.Password}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" ||
		!strings.Contains(r.body, "Too many failed sign-ins") {
		t.Fatalf("after 5 failures: %d %q", r.status, r.header.Get("Retry-After"))
	}
	checkHTMLPage(t, "rate limited", r)
}

// publishWorld is one instance with an organisation, a publisher granted
// it, another organisation not granted, and a member.
func publishWorld(t *testing.T) *cluster.Server {
	s := cluster.Start(t, 0)
	s.CreateAccount(t, "observers", "organization", "publisher")
	s.CreateAccount(t, "otherorg", "organization", "publisher")
	s.CreateAccount(t, "editor", "person", "publisher")
	s.CreateAccount(t, "reader", "person", "member")
	if err := s.Accounts.Grant(context.Background(), "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	return s
}

func alertCount(t *testing.T, s *cluster.Server) int {
	recs, _, err := s.Publish.ListAlerts(context.Background(), store.AlertFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func goodAlert(title, tlpLevel string) url.Values {
	return url.Values{"as": {"observers"}, "title": {title}, "body": {"Observers report **pre-marked** ballots."},
		"severity": {"severe"}, "confidence": {"likely"}, "category": {"vote-buying"}, "countries": {"ke, UG"},
		"tlp": {tlpLevel}, "language": {"en"}, "sources": {"https://example.org/r Field report"},
		"expires": {"2099-08-10T18:00"}, "election_date": {"2027-08-10"}, "election_name": {"General election"}}
}

func TestPublishUpdateResolveRetractThroughForms(t *testing.T) {
	s := publishWorld(t)
	ctx := context.Background()
	ed := newBrowser(t, s.URL)
	ed.signIn("editor")

	form := ed.get("/compose/alert")
	if form.status != http.StatusOK {
		t.Fatalf("compose: %d", form.status)
	}
	checkHTMLPage(t, "compose", form)
	as := byID(parseHTML(t, form.body), "alert-as")
	if as == nil || !strings.Contains(textOf(as), "@observers") || strings.Contains(textOf(as), "otherorg") {
		t.Errorf("publish-as choices wrong")
	}

	// Bad fields: every error beside its field, values kept, nothing published.
	bad := goodAlert("", "CLEAR")
	bad.Set("countries", "XX")
	bad.Set("severity", "")
	bad.Set("election_date", "someday")
	r := ed.submit("/compose/alert", "/compose/alert", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad alert: %d", r.status)
	}
	checkHTMLPage(t, "compose with errors", r)
	doc := parseHTML(t, r.body)
	for _, id := range []string{"alert-title", "alert-countries", "alert-severity", "alert-election-date"} {
		if byID(doc, id+"-error") == nil {
			t.Errorf("no error beside %s", id)
		}
		if c := byID(doc, id); c == nil || attr(c, "aria-invalid") != "true" || attr(c, "aria-describedby") != id+"-error" {
			t.Errorf("%s not marked invalid", id)
		}
	}
	if byID(doc, "alert-body-error") != nil {
		t.Errorf("the valid body has an error")
	}
	if attr(byID(doc, "alert-countries"), "value") != "XX" || !strings.Contains(textOf(byID(doc, "alert-body")), "pre-marked") {
		t.Errorf("entered values not kept")
	}
	if n := alertCount(t, s); n != 0 {
		t.Fatalf("a bad form published %d alerts", n)
	}

	// Not as an organisation not granted.
	other := goodAlert("Not mine", "CLEAR")
	other.Set("as", "otherorg")
	if r := ed.submit("/compose/alert", "/compose/alert", other); r.status != http.StatusForbidden || byID(parseHTML(t, r.body), "alert-as-error") == nil {
		t.Errorf("publish as otherorg: %d", r.status)
	}
	// CSRF: a form without the token is refused.
	if r := ed.post("/compose/alert", goodAlert("No token", "CLEAR")); r.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", r.status)
	}
	if n := alertCount(t, s); n != 0 {
		t.Fatalf("refused forms published %d alerts", n)
	}

	// Publish: redirect to the alert's page; it is on /alerts for anyone.
	r = ed.submit("/compose/alert", "/compose/alert", goodAlert("Pre-marked ballots in Mombasa", "CLEAR"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	iri := r.header.Get("Location")
	rec, err := s.Publish.GetAlert(ctx, iri)
	if err != nil {
		t.Fatalf("published alert %s: %v", iri, err)
	}
	if rec.Alert.Author != s.URL+"/users/observers" || strings.Join(rec.Alert.Countries, ",") != "KE,UG" ||
		len(rec.Alert.Sources) != 1 || rec.Alert.Sources[0].Title != "Field report" || rec.Alert.Expires.IsZero() {
		t.Errorf("published %+v", rec.Alert)
	}
	anon := newBrowser(t, s.URL)
	if p := anon.get("/alerts"); !strings.Contains(p.body, "Pre-marked ballots in Mombasa") {
		t.Errorf("the alert is not on /alerts")
	}
	page := ed.get(iri)
	if page.status != http.StatusOK || byID(parseHTML(t, page.body), "alert-edit") == nil {
		t.Fatalf("alert page for its publisher: %d", page.status)
	}
	checkHTMLPage(t, "alert signed in", page)

	// GREEN: members see it signed in, nobody else.
	r = ed.submit("/compose/alert", "/compose/alert", goodAlert("Green warning for members", "GREEN"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("publish GREEN: %d", r.status)
	}
	greenIRI := r.header.Get("Location")
	reader := newBrowser(t, s.URL)
	reader.signIn("reader")
	if !strings.Contains(reader.get("/alerts").body, "Green warning for members") || reader.get(greenIRI).status != http.StatusOK {
		t.Errorf("a signed-in member does not see the GREEN alert")
	}
	if strings.Contains(anon.get("/alerts").body, "Green warning") || anon.get(greenIRI).status != http.StatusNotFound {
		t.Errorf("the GREEN alert is public")
	}
	if strings.Contains(anon.get("/alerts.atom").body, "Green warning") {
		t.Errorf("the GREEN alert is in the feed")
	}

	// Update through the edit form.
	edit := "/compose/alert/" + rec.Seq
	ef := ed.get(edit)
	checkHTMLPage(t, "edit", ef)
	if attr(byID(parseHTML(t, ef.body), "alert-title"), "value") != "Pre-marked ballots in Mombasa" {
		t.Errorf("the edit form is not filled")
	}
	upd := goodAlert("Pre-marked ballots in Mombasa and Kilifi", "CLEAR")
	upd.Del("as")
	if r := ed.submit(edit, edit, upd); r.status != http.StatusSeeOther || r.header.Get("Location") != iri {
		t.Fatalf("update: %d %s", r.status, r.header.Get("Location"))
	}
	if !strings.Contains(anon.get(iri).body, "Mombasa and Kilifi") {
		t.Errorf("the update is not on the alert page")
	}
	for _, step := range []struct{ path, want string }{{"/resolve", "resolved"}, {"/retract", "retracted"}} {
		if r := ed.submit(edit, edit+step.path, nil); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step.path, r.status, r.body)
		}
		got, _ := s.Publish.GetAlert(ctx, iri)
		if string(got.Alert.Status) != step.want {
			t.Errorf("after %s: %s", step.path, got.Alert.Status)
		}
	}

	// A good-practice note.
	note := ed.get("/compose/note")
	checkHTMLPage(t, "compose note", note)
	r = ed.submit("/compose/note", "/compose/note", url.Values{"as": {"observers"}, "title": {"Check before sharing"},
		"body": {"Find the first source."}, "topics": {"verification"}, "language": {"en"}})
	if r.status != http.StatusSeeOther || !strings.Contains(anon.get(r.header.Get("Location")).body, "Check before sharing") {
		t.Errorf("note: %d", r.status)
	}

	// A member may not publish, nor open the console.
	if r := reader.get("/compose/alert"); r.status != http.StatusForbidden {
		t.Errorf("member compose page: %d", r.status)
	}
	n := alertCount(t, s)
	if r := reader.submit("/settings", "/signout", nil); r.status != http.StatusSeeOther { // any page gives a token
		t.Fatal(r.status)
	}
	reader.signIn("reader")
	tok := ""
	for _, ck := range reader.c.Jar.Cookies(mustURL(t, s.URL)) {
		if ck.Name == "tocsin_web_csrf" {
			tok = ck.Value
		}
	}
	forged := goodAlert("Member forging", "CLEAR")
	forged.Set("authenticity_token", tok)
	if r := reader.post("/compose/alert", forged); r.status != http.StatusForbidden {
		t.Errorf("member publishing as observers: %d", r.status)
	}
	if alertCount(t, s) != n {
		t.Errorf("a member published")
	}
	if r := reader.get("/admin"); r.status != http.StatusForbidden {
		t.Errorf("member /admin: %d", r.status)
	} else {
		checkHTMLPage(t, "admin 403", r)
	}
	if r := anon.get("/admin"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/signin?next=") {
		t.Errorf("anonymous /admin: %d %s", r.status, r.header.Get("Location"))
	}

	// Settings: profile and password (the current one required).
	checkHTMLPage(t, "settings", ed.get("/settings"))
	if r := ed.submit("/settings", "/settings/profile", url.Values{"display_name": {"Eddie"}, "note": {"Desk editor"}}); r.status != http.StatusSeeOther {
		t.Errorf("profile: %d", r.status)
	}
	if a, _ := s.Accounts.Get(ctx, "editor"); a.DisplayName != "Eddie" || a.Summary != "Desk editor" {
		t.Errorf("profile not saved: %+v", a)
	}
	r = ed.submit("/settings", "/settings/password", url.Values{"current_password": {"wrong one!!"},
		"new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
	if r.status != http.StatusUnprocessableEntity || byID(parseHTML(t, r.body), "password-current-error") == nil {
		t.Errorf("password change with a wrong current password: %d", r.status)
	}
	r = ed.submit("/settings", "/settings/password", url.Values{"current_password": {cluster.Password},
		"new_password": {"a brand new password"}, "confirm_password": {"a brand new password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", r.status, r.body)
	}
	if !strings.Contains(ed.get("/settings?saved=password").body, "Signed in as") {
		t.Errorf("signed out by one's own password change")
	}
	if _, err := s.Accounts.Authenticate(ctx, "editor", "a brand new password"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestModeratorApprovesHeldPostsInTheConsole(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Start(t, 0), cluster.Start(t, 1)
	orgA := a.CreateAccount(t, "observers", "organization", "publisher")
	orgB := b.CreateAccount(t, "peerorg", "organization", "publisher")
	a.CreateAccount(t, "mod", "person", "moderator")
	a.CreateAccount(t, "root", "person", "admin")
	a.CreateAccount(t, "reader", "person", "member")
	if _, err := a.Federation.AddPeer(ctx, orgA, "peerorg@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(ctx, orgB, "observers@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)

	mod := newBrowser(t, a.URL)
	mod.signIn("mod")
	host := strings.ToLower(b.Domain)
	r := mod.submit("/admin/domains", "/admin/domains", url.Values{"domain": {host}, "level": {"review"}, "reason": {"new peer"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("set domain trust: %d %s", r.status, r.body)
	}
	dom := mod.get("/admin/domains")
	checkHTMLPage(t, "admin domains", dom)
	if byID(parseHTML(t, dom.body), "domain-row-"+strings.NewReplacer(".", "-", ":", "-").Replace(host)) == nil ||
		byID(parseHTML(t, dom.body), "federation-mode") == nil {
		t.Errorf("domain list lacks %s or the mode", host)
	}

	// B publishes; A holds both alerts for review.
	for _, l := range []tlp.Level{tlp.Clear, tlp.Green} {
		_, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{
			Title: "Held " + l.String() + " alert from the peer", Body: "Observers report pre-marked ballots.",
			Severity: "severe", Confidence: "likely", Category: "vote-buying", Countries: []string{"TZ"},
			TLP: l, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
	}
	cluster.Settle(t, a, b)
	var held []*store.Object
	cluster.Eventually(t, "A holds B's alerts for review", func() bool {
		held, _ = a.DB.ReviewQueue(ctx, "", 10)
		return len(held) == 2
	})
	anon := newBrowser(t, a.URL)
	if strings.Contains(anon.get("/alerts").body, "Held CLEAR alert") {
		t.Fatalf("a held alert is public")
	}
	q := mod.get("/admin/review")
	checkHTMLPage(t, "admin review", q)
	if !strings.Contains(q.body, "Held CLEAR alert from the peer") || !strings.Contains(q.body, "Held GREEN alert from the peer") {
		t.Fatalf("the review queue does not show the held alerts")
	}
	for _, o := range held {
		if r := mod.submit("/admin/review", "/admin/review/"+o.Seq+"/approve", nil); r.status != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
	}
	if done := mod.get("/admin/review?done=approved"); byID(parseHTML(t, done.body), "review-empty") == nil {
		t.Errorf("the queue is not empty after approving")
	}
	if !strings.Contains(anon.get("/alerts").body, "Held CLEAR alert from the peer") {
		t.Errorf("the approved CLEAR alert is not public")
	}
	reader := newBrowser(t, a.URL)
	reader.signIn("reader")
	list := reader.get("/alerts").body
	if !strings.Contains(list, "Held GREEN alert from the peer") || !strings.Contains(list, "Held CLEAR alert from the peer") {
		t.Errorf("the member's signed-in view lacks the approved alerts")
	}
	if strings.Contains(anon.get("/alerts").body, "Held GREEN alert") {
		t.Errorf("the approved GREEN alert is public")
	}

	// The other sections render; accounts are for admins.
	for _, p := range []string{"/admin/reports", "/admin/reports?all=1", "/admin/peers", "/admin/circles", "/admin/audit"} {
		r := mod.get(p)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d", p, r.status)
			continue
		}
		checkHTMLPage(t, p, r)
	}
	if strings.Contains(mod.get("/admin/circles").body, "circle-submit") {
		t.Errorf("a moderator is offered the circle form: circles are the admin's")
	}
	if !strings.Contains(mod.get("/admin/peers").body, b.Domain) {
		t.Errorf("peers page lacks %s", b.Domain)
	}
	if r := mod.get("/admin/accounts"); r.status != http.StatusForbidden {
		t.Errorf("moderator /admin/accounts: %d", r.status)
	}
	root := newBrowser(t, a.URL)
	root.signIn("root")
	checkHTMLPage(t, "admin accounts", root.get("/admin/accounts"))
	r = root.submit("/admin/accounts", "/admin/accounts", url.Values{"username": {"newpub"}, "kind": {"person"},
		"role": {"publisher"}, "password": {"short"}})
	if r.status != http.StatusUnprocessableEntity || byID(parseHTML(t, r.body), "admin-error") == nil ||
		attr(byID(parseHTML(t, r.body), "account-username"), "value") != "newpub" {
		t.Errorf("bad account: %d", r.status)
	}
	r = root.submit("/admin/accounts", "/admin/accounts", url.Values{"username": {"newpub"}, "kind": {"person"},
		"role": {"publisher"}, "password": {"a long enough password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create account: %d %s", r.status, r.body)
	}
	if r := root.submit("/admin/accounts", "/admin/accounts/grant", url.Values{"publisher": {"newpub"}, "organization": {"observers"}, "op": {"grant"}}); r.status != http.StatusSeeOther {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	if r := root.submit("/admin/accounts", "/admin/accounts/reader/disable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.status)
	}
	if acct, _ := a.Accounts.Get(ctx, "newpub"); len(acct.ActsFor) != 1 {
		t.Errorf("grant not applied")
	}
	if acct, _ := a.Accounts.Get(ctx, "reader"); !acct.Disabled {
		t.Errorf("reader not disabled")
	}
	if strings.Contains(reader.get("/").body, "Signed in as") {
		t.Errorf("a disabled account stays signed in")
	}

	// The audit log names the people, with filters and paging.
	audit := mod.get("/admin/audit?actor=mod")
	doc := parseHTML(t, audit.body)
	tbl := byID(doc, "audit-log")
	if tbl == nil {
		t.Fatalf("no audit log table")
	}
	txt := textOf(tbl)
	for _, want := range []string{"review.approve", "domain.review", host} {
		if !strings.Contains(txt, want) {
			t.Errorf("audit log for mod lacks %q", want)
		}
	}
	if strings.Contains(txt, "account.create") {
		t.Errorf("the actor filter is ignored")
	}
	txt = textOf(byID(parseHTML(t, root.get("/admin/audit?action=account.").body), "audit-log"))
	for _, want := range []string{"account.create", "account.grant", "account.disable", "root", "newpub -> observers"} {
		if !strings.Contains(txt, want) {
			t.Errorf("audit log of account actions lacks %q", want)
		}
	}
	for i := range 55 {
		if err := a.Moderation.Audit(ctx, store.AuditEntry{Actor: "filler", Action: "test.fill", Target: string(rune('a' + i%26))}); err != nil {
			t.Fatal(err)
		}
	}
	page1 := parseHTML(t, mod.get("/admin/audit?actor=filler").body)
	older := byID(page1, "audit-older")
	if older == nil {
		t.Fatalf("no older page")
	}
	page2 := mod.get(attr(older, "href"))
	if n := strings.Count(page2.body, `class="audit-actor">filler<`); n != 5 {
		t.Errorf("second audit page holds %d entries, want 5", n)
	}
}
