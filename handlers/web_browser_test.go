package handlers_test

// End-to-end tests of the web pages in a real browser: Debian's headless
// Chromium driven by chromedp (internal/browser, imported as headless:
// oauth_test.go has a func named browser). They skip when
// /usr/bin/chromium is missing, and fail then if CI is set (.ci/run
// installs it). Every step's screenshot is kept under artifacts/<test>/
// (or $TOCSIN_ARTIFACTS/<test>/) and its path logged.

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin-network/tocsin/alert"
	headless "github.com/tocsin-network/tocsin/internal/browser"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// pageChecker checks every page a browser shows: valid HTML source (see
// headless.CheckHTML), no duplicate id in the live DOM, and none of the
// forbidden strings (restricted alerts' marks and IRIs) in the source or
// the rendered text. Then it takes the step's screenshot.
type pageChecker struct {
	t         *testing.T
	br        *headless.Browser
	forbidden []string
	checked   int
}

func (pc *pageChecker) check(name string) {
	pc.t.Helper()
	pc.br.Screenshot(name)
	src := pc.br.Source()
	where := name + " (" + pc.br.Path() + ")"
	for _, p := range headless.CheckHTML(src) {
		pc.t.Errorf("%s: invalid HTML: %s", where, p)
	}
	for _, p := range pc.br.LowContrast() {
		pc.t.Errorf("%s: low contrast: %s", where, p)
	}
	if dup := pc.br.DOMDuplicateIDs(); len(dup) > 0 {
		pc.t.Errorf("%s: duplicate ids in the DOM: %v", where, dup)
	}
	text := pc.br.Text("body")
	for _, f := range pc.forbidden {
		if strings.Contains(src, f) || strings.Contains(text, f) {
			pc.t.Errorf("%s shows %q", where, f)
		}
	}
	pc.checked++
}

// atomIDs parses an Atom feed and returns its entries' ids.
func atomIDs(t *testing.T, name, contentType, body string) []string {
	t.Helper()
	if !strings.HasPrefix(contentType, "application/atom+xml") {
		t.Errorf("%s: Content-Type %q", name, contentType)
	}
	var doc atomDoc
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var ids []string
	for _, e := range doc.Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

// TestBrowserPublicPages walks the public pages as a visitor: the home
// page, the skip link by keyboard, the alert list filtered by country
// through its form, a CLEAR alert's page and the filtered Atom feed the
// page links to. The GREEN (and every other restricted) alert published
// beforehand appears on none of them, nor at its own address.
func TestBrowserPublicPages(t *testing.T) {
	br := headless.New(t)
	w := newWebWorld(t)
	a := w.a
	pc := &pageChecker{t: t, br: br, forbidden: append([]string{secretMark}, w.secretIRIs...)}

	// Home.
	if st := br.Open(a.URL + "/"); st != http.StatusOK {
		t.Fatalf("home: %d", st)
	}
	br.Do("home heading", chromedp.WaitVisible(chromedp.CSS("main h1")))
	pc.check("home")

	// Keyboard: the first Tab reaches the skip link, which shows itself and
	// moves focus to the main content.
	if f := br.PressTab(); f.Tag != "a" || f.Class != "skip" || f.Href != "#main" {
		t.Errorf("the first Tab focuses %+v, want the skip link", f)
	}
	br.Do("skip link visible", chromedp.WaitVisible(chromedp.CSS("a.skip")))
	br.Screenshot("home-skip-link-focused")
	br.Do("follow the skip link", chromedp.KeyEvent("\r"))
	if f := br.Focused(); f.Tag != "main" || f.ID != "main" {
		t.Errorf("after the skip link, focus is on %+v, want <main id=main>", f)
	}

	// The alert list, through the navigation.
	if st := br.Follow("nav to alerts", chromedp.Click(chromedp.CSS(`header nav a[href="/alerts"]`))); st != http.StatusOK {
		t.Fatalf("alerts: %d", st)
	}
	if p := br.Path(); p != "/alerts" {
		t.Errorf("the nav link leads to %s", p)
	}
	pc.check("alerts")

	// Filter by country: type the country's name into the select, as a
	// keyboard user would, and submit the form.
	br.Do("type the country", chromedp.Focus(chromedp.ID("f-country")), chromedp.SendKeys(chromedp.ID("f-country"), "Kenya"))
	if v := headless.Run(br, "country value", chromedp.Value(chromedp.ID("f-country"))); v != "KE" {
		t.Fatalf("typing Kenya in the country list selects %q", v)
	}
	br.Screenshot("alerts-filter-filled")
	if st := br.Follow("submit the filter", chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`))); st != http.StatusOK {
		t.Fatalf("filtered alerts: %d", st)
	}
	u, _ := url.Parse(br.URL())
	if u.Path != "/alerts" || u.Query().Get("country") != "KE" {
		t.Errorf("the filter form leads to %s", u.RequestURI())
	}
	br.Do("results", chromedp.WaitVisible(chromedp.CSS("ul.items")))
	list := br.Text("main")
	for _, want := range []string{"Fake polling-station changes sent by SMS", "Threats against observers in Nakuru County"} {
		if !strings.Contains(list, want) {
			t.Errorf("the KE list lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Voter register offline in Kampala", "Peer network warns"} {
		if strings.Contains(list, unwanted) {
			t.Errorf("the KE list shows %q", unwanted)
		}
	}
	if v := headless.Run(br, "country kept", chromedp.Value(chromedp.ID("f-country"))); v != "KE" {
		t.Errorf("the form forgets the country: %q", v)
	}
	pc.check("alerts-country-KE")

	// The filtered list's Atom feed, found as a feed reader finds it (the
	// page's alternate link), read with the page's origin and cookies.
	feed := headless.Run(br, "atom link", chromedp.AttributeValue(
		chromedp.CSS(`head link[rel="alternate"][type="application/atom+xml"]`), "href"))
	if !feed.Exists || !strings.Contains(feed.Value, "country=KE") {
		t.Errorf("the KE list's Atom link: %+v", feed)
	}
	st, ct, body := br.Fetch(feed.Value)
	if st != http.StatusOK {
		t.Fatalf("feed %s: %d", feed.Value, st)
	}
	ids := atomIDs(t, feed.Value, ct, body)
	slices.Sort(ids)
	want := slices.Clone(w.clearKE)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("%s holds %v, want %v", feed.Value, ids, want)
	}
	for _, f := range pc.forbidden {
		if strings.Contains(body, f) {
			t.Errorf("%s holds %q", feed.Value, f)
		}
	}

	// A CLEAR alert's page, by its link in the list: its address is its
	// ActivityPub id.
	link := `ul.items h3 a[href="` + w.clear[0] + `"]`
	if st := br.Follow("open the alert", chromedp.Click(chromedp.CSS(link))); st != http.StatusOK {
		t.Fatalf("alert page: %d", st)
	}
	if got := br.URL(); got != w.clear[0] {
		t.Errorf("the alert's link leads to %s, want %s", got, w.clear[0])
	}
	if h := br.Text("main h1"); h != "Fake polling-station changes sent by SMS" {
		t.Errorf("alert page heading %q", h)
	}
	if txt := br.Text("main"); !strings.Contains(txt, "TLP:CLEAR") || !strings.Contains(txt, "pre-marked") {
		t.Errorf("alert page text lacks the TLP or the body: %q", txt)
	}
	pc.check("alert-clear")

	// The whole feed has the CLEAR alert and no restricted one.
	st, ct, body = br.Fetch("/alerts.atom")
	if st != http.StatusOK {
		t.Fatalf("/alerts.atom: %d", st)
	}
	if ids := atomIDs(t, "/alerts.atom", ct, body); !slices.Contains(ids, w.clear[0]) {
		t.Errorf("/alerts.atom lacks %s: %v", w.clear[0], ids)
	}
	for _, f := range pc.forbidden {
		if strings.Contains(body, f) {
			t.Errorf("/alerts.atom holds %q", f)
		}
	}

	// The GREEN alert's own address is a plain 404 page for a visitor.
	green := w.secretIRIs[0]
	if st := br.Open(green); st != http.StatusNotFound {
		t.Errorf("GREEN alert %s: status %d, want 404", green, st)
	}
	pc.check("green-alert-404")

	// The same list in dark mode.
	br.ColorScheme("dark")
	if st := br.Open(a.URL + "/alerts?country=KE"); st != http.StatusOK {
		t.Fatalf("alerts KE (dark): %d", st)
	}
	pc.check("alerts-country-KE-dark")
	br.ColorScheme("")

	t.Logf("visited %d pages: %v", len(br.Visited), br.Visited)
	t.Logf("artefacts: %s", br.Dir)
}

// signInThroughBrowser signs in as username from the header's sign-in link
// and returns to where the form sends (next, or /).
func signInThroughBrowser(t *testing.T, br *headless.Browser, pc *pageChecker, username string) {
	t.Helper()
	if st := br.Follow("sign-in link", chromedp.Click(chromedp.ID("nav-signin"))); st != http.StatusOK {
		t.Fatalf("sign-in page: %d", st)
	}
	pc.check("signin-" + username)
	br.Do("fill the sign-in form",
		chromedp.SendKeys(chromedp.ID("signin-login"), username),
		chromedp.SendKeys(chromedp.ID("signin-password"), cluster.Password))
	if st := br.Follow("sign in", chromedp.Click(chromedp.ID("signin-submit"))); st != http.StatusOK {
		t.Fatalf("sign in as %s: %d at %s", username, st, br.Path())
	}
	br.Do("signed in", chromedp.WaitVisible(chromedp.ID("signout-submit")))
	if h := br.Text("header"); !strings.Contains(h, "@"+username) {
		t.Errorf("the header does not show %s signed in: %q", username, h)
	}
}

// TestBrowserSignedInPublishAndModerate publishes an alert through the
// compose form as a publisher, finds it on the public list under its
// country filter, on its page and in the Atom feed, then signs in as a
// moderator and approves a peer's held alert in /admin, which then
// appears on the public list.
func TestBrowserSignedInPublishAndModerate(t *testing.T) {
	br := headless.New(t)
	ctx := context.Background()
	a := cluster.Start(t, 0)
	b := cluster.Start(t, 1)
	orgA := a.CreateAccount(t, "observers", "organization", "publisher")
	orgB := b.CreateAccount(t, "peerorg", "organization", "publisher")
	a.CreateAccount(t, "editor", "person", "publisher")
	a.CreateAccount(t, "warden", "person", "moderator")
	if err := a.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Federation.AddPeer(ctx, orgA, "peerorg@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(ctx, orgB, "observers@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	// A now reviews what B sends: B's next alert waits for a moderator.
	if _, err := a.Moderation.SetDomainTrust(ctx, moderation.By("test"), b.Domain, store.TrustReview, "new peer", ""); err != nil {
		t.Fatal(err)
	}
	const heldTitle = "Peer report of ballot boxes moved at night"
	held, err := b.Publish.CreateAlert(ctx, publish.Author{Org: orgB}, alert.Alert{Title: heldTitle,
		Body: "Ballot boxes were moved without observers.", Severity: "severe", Confidence: "likely",
		Category: "administration-failure", Countries: []string{"GH"}, TLP: tlp.Clear, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	cluster.Eventually(t, "A holds B's alert for review", func() bool {
		r, err := a.Publish.GetAlert(ctx, held.IRI)
		return err == nil && r.Moderation == store.ModPending
	})
	pc := &pageChecker{t: t, br: br}

	// Sign in as the publisher.
	if st := br.Open(a.URL + "/"); st != http.StatusOK {
		t.Fatalf("home: %d", st)
	}
	signInThroughBrowser(t, br, pc, "editor")
	pc.check("signed-in-editor")

	// Publish a CLEAR alert through the compose form.
	if st := br.Follow("compose link", chromedp.Click(chromedp.ID("nav-compose"))); st != http.StatusOK {
		t.Fatalf("compose: %d", st)
	}
	if p := br.Path(); p != "/compose/alert" {
		t.Errorf("the compose link leads to %s", p)
	}
	pc.check("compose-empty")
	const title = "Polling stations in Tamale opened three hours late"
	br.Do("fill the alert form",
		chromedp.SetValue(chromedp.ID("alert-as"), "observers"),
		chromedp.SendKeys(chromedp.ID("alert-title"), title),
		chromedp.SendKeys(chromedp.ID("alert-body"), "Voters queued from 6am; **12 stations** opened after 9am."),
		chromedp.SetValue(chromedp.ID("alert-severity"), "moderate"),
		chromedp.SetValue(chromedp.ID("alert-confidence"), "observed"),
		chromedp.SetValue(chromedp.ID("alert-category"), "administration-failure"),
		chromedp.SendKeys(chromedp.ID("alert-countries"), "GH"),
		chromedp.SetValue(chromedp.ID("alert-tlp"), "CLEAR"),
	)
	br.Screenshot("compose-filled")
	if st := br.Follow("publish", chromedp.Click(chromedp.ID("alert-submit"))); st != http.StatusOK {
		pc.check("compose-refused")
		t.Fatalf("publishing: %d at %s: %s", st, br.Path(), br.Text("main"))
	}
	alertURL := br.URL()
	if h := br.Text("main h1"); h != title {
		t.Errorf("after publishing, the page's heading is %q, want the alert's title", h)
	}
	if txt := br.Text("main"); !strings.Contains(txt, "TLP:CLEAR") || !strings.Contains(txt, "12 stations") {
		t.Errorf("the alert page lacks the TLP or the body: %q", txt)
	}
	pc.check("alert-published")

	// The public list, filtered by its country through the form.
	if st := br.Follow("nav to alerts", chromedp.Click(chromedp.CSS(`header nav a[href="/alerts"]`))); st != http.StatusOK {
		t.Fatalf("alerts: %d", st)
	}
	br.Do("choose Ghana", chromedp.SetValue(chromedp.ID("f-country"), "GH"))
	if st := br.Follow("filter", chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`))); st != http.StatusOK {
		t.Fatalf("filtered alerts: %d", st)
	}
	if list := br.Text("main"); !strings.Contains(list, title) {
		t.Errorf("the GH list lacks the new alert: %q", list)
	} else if strings.Contains(list, heldTitle) {
		t.Errorf("the GH list shows the held alert before approval")
	}
	pc.check("alerts-GH-after-publishing")
	feed := headless.Run(br, "atom link", chromedp.AttributeValue(
		chromedp.CSS(`head link[rel="alternate"][type="application/atom+xml"]`), "href"))
	st, ct, body := br.Fetch(feed.Value)
	if st != http.StatusOK {
		t.Fatalf("feed %s: %d", feed.Value, st)
	}
	if ids := atomIDs(t, feed.Value, ct, body); !slices.Contains(ids, alertURL) || slices.Contains(ids, held.IRI) {
		t.Errorf("%s holds %v: want %s and not the held %s", feed.Value, ids, alertURL, held.IRI)
	}
	// Its page, from the list.
	if st := br.Follow("open the alert", chromedp.Click(chromedp.CSS(`ul.items h3 a[href="`+alertURL+`"]`))); st != http.StatusOK {
		t.Fatalf("alert page: %d", st)
	}
	if h := br.Text("main h1"); h != title {
		t.Errorf("alert page heading %q", h)
	}
	pc.check("alert-from-list")

	// Sign out; sign in as the moderator.
	if st := br.Follow("sign out", chromedp.Click(chromedp.ID("signout-submit"))); st != http.StatusOK {
		t.Fatalf("sign out: %d", st)
	}
	br.Do("signed out", chromedp.WaitVisible(chromedp.ID("nav-signin")))
	signInThroughBrowser(t, br, pc, "warden")
	if st := br.Follow("admin link", chromedp.Click(chromedp.ID("nav-admin"))); st != http.StatusOK {
		t.Fatalf("admin: %d", st)
	}
	br.Do("review queue", chromedp.WaitVisible(chromedp.ID("admin-nav-review")))
	if q := br.Text("main"); !strings.Contains(q, heldTitle) {
		t.Fatalf("the review queue lacks B's alert: %q", q)
	}
	pc.check("admin-review-queue")
	// The approve button of the row that shows the held alert.
	approve := headless.Eval[string](br, "approve button", `(() => {
		for (const row of document.querySelectorAll('[id^="review-"]')) {
			if (!row.textContent.includes(`+strconv.Quote(heldTitle)+`)) continue;
			const btn = row.querySelector('[id^="review-approve-"]');
			if (btn) return btn.id;
		}
		return "";
	})()`)
	if approve == "" {
		t.Fatal("no approve button in the row of the held alert")
	}
	if st := br.Follow("approve", chromedp.Click(chromedp.ID(approve))); st != http.StatusOK {
		t.Fatalf("approve: %d", st)
	}
	br.Do("approved", chromedp.WaitVisible(chromedp.ID("admin-done")))
	if q := br.Text("main"); strings.Contains(q, heldTitle) {
		t.Errorf("the approved alert is still in the queue")
	}
	pc.check("admin-review-approved")
	if r, err := a.Publish.GetAlert(ctx, held.IRI); err != nil || r.Moderation == store.ModPending {
		t.Errorf("after approval: %v %+v", err, r)
	}

	// It is public now: on the GH list (signed out, as anyone sees it) and
	// in the feed.
	if st := br.Follow("sign out", chromedp.Click(chromedp.ID("signout-submit"))); st != http.StatusOK {
		t.Fatalf("sign out: %d", st)
	}
	if st := br.Open(a.URL + "/alerts?country=GH"); st != http.StatusOK {
		t.Fatalf("GH list: %d", st)
	}
	list := br.Text("main")
	if !strings.Contains(list, heldTitle) || !strings.Contains(list, title) {
		t.Errorf("the GH list after approval: %q", list)
	}
	pc.check("alerts-GH-after-approval")
	if st, ct, body := br.Fetch("/alerts.atom?country=GH"); st != http.StatusOK {
		t.Errorf("GH feed: %d", st)
	} else if ids := atomIDs(t, "GH feed", ct, body); !slices.Contains(ids, held.IRI) {
		t.Errorf("the GH feed lacks the approved alert: %v", ids)
	}
	t.Logf("checked %d pages; artefacts: %s", pc.checked, br.Dir)
}
