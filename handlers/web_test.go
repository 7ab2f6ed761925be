package handlers_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// webWorld is instance A (organisation "observers", the contact account)
// peered with instance B (organisation "peerorg"), holding alerts at every
// TLP from both, a good-practice note, an edit history and a resolution.
type webWorld struct {
	a, b *cluster.Server
	// clear are the IRIs of every CLEAR alert A shows; secret of the
	// others (GREEN, AMBER, AMBER+STRICT, RED, and B's GREEN).
	clear, clearKE []string
	secretIRIs     []string
	secretSeqs     []string
	peerClear      *store.AlertRecord
	edited         string // IRI of the CLEAR alert with a history
	noteIRI        string
}

// secretMark is in the title and body of every non-CLEAR alert: it must
// never appear on a public page or feed.
const secretMark = "Confidential-marker-7f3a"

func newWebWorld(t *testing.T) *webWorld {
	t.Helper()
	ctx := context.Background()
	w := &webWorld{}
	w.a = cluster.Start(t, 0, func(c *cluster.Config) {
		c.Instance.ContactAccount = "observers"
		c.Instance.ContactEmail = "contact@example.org"
	})
	w.b = cluster.Start(t, 1)
	a, b := w.a, w.b
	orgA := a.CreateAccount(t, "observers", "organization", "publisher")
	orgB := b.CreateAccount(t, "peerorg", "organization", "publisher")
	a.CreateAccount(t, "editor", "person", "publisher")
	if err := a.Accounts.Grant(ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	editor, _ := a.Accounts.Get(ctx, "editor")
	if _, err := a.Federation.AddPeer(ctx, orgA, "peerorg@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(ctx, orgB, "observers@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish.SetCircle(ctx, "east", []string{"peerorg@" + b.Domain}); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)

	mk := func(s *cluster.Server, au publish.Author, title, country string, l tlp.Level) *store.AlertRecord {
		t.Helper()
		in := alert.Alert{Title: title, Body: "Observers report **pre-marked** ballots. [Report](https://example.org/r)",
			Severity: "severe", Confidence: "likely", Category: "vote-buying", Countries: []string{country},
			TLP: l, Language: "en"}
		if l != tlp.Clear {
			in.Title += " " + secretMark
			in.Body += " " + secretMark
		}
		switch l {
		case tlp.Amber:
			in.Circle = "east"
		case tlp.AmberStrict:
			in.Recipients = []string{b.URL + "/users/peerorg"}
		case tlp.Red:
			in.Recipients = []string{a.URL + "/users/editor"}
		}
		rec, err := s.Publish.CreateAlert(ctx, au, in)
		if err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		return rec
	}
	auA := publish.Author{Org: orgA, Person: editor}
	auB := publish.Author{Org: orgB}
	ke := mk(a, auA, "Fake polling-station changes sent by SMS", "KE", tlp.Clear)
	full := alert.Alert{Title: "Threats against observers in Nakuru", Body: "Observers were threatened.",
		Severity: "extreme", Confidence: "observed", Category: "violence-intimidation",
		Countries: []string{"KE"}, Subdivisions: []string{"KE-32"},
		Election: alert.Election{Name: "General election", Date: alert.Date{Year: 2027, Month: 8, Day: 10}},
		TLP:      tlp.Clear, Language: "en", Sources: []alert.Source{{URL: "https://example.org/report", Title: "Field report"}}}
	fullRec, err := a.Publish.CreateAlert(ctx, auA, full)
	if err != nil {
		t.Fatal(err)
	}
	ug := mk(a, auA, "Voter register offline in Kampala", "UG", tlp.Clear)
	w.clear = []string{ke.IRI, fullRec.IRI, ug.IRI}
	w.clearKE = []string{ke.IRI, fullRec.IRI}
	for _, l := range []tlp.Level{tlp.Green, tlp.Amber, tlp.AmberStrict, tlp.Red} {
		r := mk(a, auA, "Kenya "+l.Label(), "KE", l)
		w.secretIRIs, w.secretSeqs = append(w.secretIRIs, r.IRI), append(w.secretSeqs, r.Seq)
	}
	pc := mk(b, auB, "Peer network warns of cloned websites", "TZ", tlp.Clear)
	pg := mk(b, auB, "Peer green", "TZ", tlp.Green)
	w.clear = append(w.clear, pc.IRI)

	// An edit and a resolution, for the status history.
	edited := fullRec.Alert
	edited.Severity = "severe"
	edited.Title = "Threats against observers in Nakuru County"
	if _, err := a.Publish.UpdateAlert(ctx, auA, fullRec.IRI, edited); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish.ResolveAlert(ctx, auA, fullRec.IRI); err != nil {
		t.Fatal(err)
	}
	w.edited = fullRec.IRI
	note, err := a.Publish.CreateNote(ctx, auA, alert.PracticeNote{Title: "Verifying a rumour in five steps",
		Summary: "How to check a message before sharing it.", Body: "1. Find the first source.", Topics: []string{"verification"},
		Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	w.noteIRI = note.IRI
	cluster.Settle(t, a, b)
	cluster.Eventually(t, "A holds B's alerts", func() bool {
		r1, err1 := a.Publish.GetAlert(ctx, pc.IRI)
		r2, err2 := a.Publish.GetAlert(ctx, pg.IRI)
		if err1 == nil && err2 == nil {
			w.peerClear = r1
			w.secretIRIs, w.secretSeqs = append(w.secretIRIs, r2.IRI), append(w.secretSeqs, r2.Seq)
			return true
		}
		return false
	})
	if !publish.CanRead(nil, w.peerClear) {
		t.Fatalf("B's CLEAR alert is not public on A: moderation %q", w.peerClear.Moderation)
	}
	return w
}

type webResponse struct {
	status int
	header http.Header
	body   string
}

func webGet(t *testing.T, rawURL, accept string) webResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("GET %s: %d %s", rawURL, resp.StatusCode, b)
	}
	return webResponse{resp.StatusCode, resp.Header, string(b)}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// checkHTMLPage fails the test unless r is a well-formed, accessible HTML
// page with the security headers: every element closed in order, lang set,
// landmarks and skip link present, a label for every form control, no
// script, no inline style.
func checkHTMLPage(t *testing.T, name string, r webResponse) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: CSP allows inline code: %q", name, csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("%s: headers %v", name, r.header)
	}
	void := map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
		"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
	var stack []string
	seen := map[string]bool{}
	labels := map[string]bool{}
	var controls []string
	z := html.NewTokenizer(strings.NewReader(r.body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				t.Errorf("%s: %v", name, z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			seen[tok.Data] = true
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: inline %s attribute on <%s>", name, a.Key, tok.Data)
				}
			}
			switch tok.Data {
			case "script", "style":
				t.Errorf("%s: <%s> element", name, tok.Data)
			case "html":
				if attrs["lang"] == "" {
					t.Errorf("%s: <html> without lang", name)
				}
			case "label":
				labels[attrs["for"]] = true
			case "select", "textarea":
				controls = append(controls, attrs["id"])
			case "input":
				if attrs["type"] != "hidden" && attrs["type"] != "submit" {
					controls = append(controls, attrs["id"])
				}
			case "a":
				if attrs["class"] == "skip" && attrs["href"] == "#main" {
					seen["skip"] = true
				}
			}
			if tt == html.StartTagToken && !void[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("%s: </%s> closes %v", name, tok.Data, stack)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		t.Errorf("%s: unclosed %v", name, stack)
	}
	for _, l := range []string{"header", "nav", "main", "footer", "h1", "skip"} {
		if !seen[l] {
			t.Errorf("%s: no %s", name, l)
		}
	}
	for _, id := range controls {
		if id == "" || !labels[id] {
			t.Errorf("%s: form control %q has no label", name, id)
		}
	}
	if _, err := html.Parse(strings.NewReader(r.body)); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func TestPublicPagesRenderAndNeverShowRestrictedAlerts(t *testing.T) {
	w := newWebWorld(t)
	a := w.a
	peerPage := a.URL + "/alerts/" + w.peerClear.Seq
	pages := map[string]string{
		"home":            a.URL + "/",
		"alerts":          a.URL + "/alerts",
		"alerts KE":       a.URL + "/alerts?country=KE",
		"alerts filtered": a.URL + "/alerts?country=KE&category=vote-buying&severity=severe&status=active&origin=local&since=2000-01-01&until=2100-01-01",
		"alerts peers":    a.URL + "/alerts?origin=peer",
		"alerts empty":    a.URL + "/alerts?country=FR",
		"alert":           w.clear[0],
		"alert history":   w.edited,
		"peer alert":      peerPage,
		"notes":           a.URL + "/notes",
		"note":            w.noteIRI,
		"org profile":     a.URL + "/users/observers",
		"org @profile":    a.URL + "/@observers",
		"person profile":  a.URL + "/@editor",
		"peer profile":    w.b.URL + "/users/peerorg",
		"peer empty list": w.b.URL + "/alerts?country=FR",
	}
	bodies := map[string]string{}
	for name, u := range pages {
		r := webGet(t, u, browserAccept)
		if r.status != http.StatusOK {
			t.Errorf("%s (%s): status %d", name, u, r.status)
			continue
		}
		checkHTMLPage(t, name, r)
		bodies[name] = r.body
		if strings.Contains(r.body, secretMark) {
			t.Errorf("%s shows a restricted alert", name)
		}
		for _, iri := range w.secretIRIs {
			if strings.Contains(r.body, iri) {
				t.Errorf("%s links a restricted alert %s", name, iri)
			}
		}
	}

	// What each page must show.
	has := func(page string, want ...string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(bodies[page], s) {
				t.Errorf("%s lacks %q", page, s)
			}
		}
	}
	hasNot := func(page string, unwanted ...string) {
		t.Helper()
		for _, s := range unwanted {
			if strings.Contains(bodies[page], s) {
				t.Errorf("%s shows %q", page, s)
			}
		}
	}
	has("home", "contact@example.org", "Peer network warns of cloned websites", "Verifying a rumour", w.b.Domain,
		`<svg class="chart"`, `href="/alerts.atom"`, `href="/alerts.rss"`)
	has("alerts", "Fake polling-station changes", "Voter register offline", "Peer network warns", `href="/alerts.atom"`)
	has("alerts KE", "Fake polling-station changes", "Nakuru", `<option value="KE" selected>Kenya</option>`, `href="/alerts.atom?country=KE"`)
	hasNot("alerts KE", "Voter register offline", "Peer network warns")
	has("alerts filtered", "Fake polling-station changes", `value="2000-01-01"`, `<option value="local" selected>`)
	hasNot("alerts filtered", "Nakuru")
	has("alerts peers", "Peer network warns")
	hasNot("alerts peers", "Fake polling-station")
	has("alerts empty", "No public alert matches.")
	has("alert history", "Threats against observers in Nakuru County", "Severe", "Observed", "Violence and intimidation",
		"Kenya (KE)", "(KE-32)", "General election", "2027-08-10", "TLP:CLEAR", "Resolved", "Field report", "editor",
		"title", "status: Resolved", `rel="alternate" type="application/activity+json"`)
	has("peer alert", "Peer network warns", "Tanzania", w.b.Domain, w.peerClear.IRI, w.b.URL+"/users/peerorg", "Where it came from")
	has("note", "Verifying a rumour in five steps", "Find the first source", "verification")
	has("org profile", "Fake polling-station changes", "Voter register offline", `href="/users/observers/alerts.atom"`)
	hasNot("org profile", "Peer network warns")
	has("peer empty list", "No public alert matches.")

	// Direct URLs of restricted alerts are 404, in HTML for browsers.
	for i, iri := range w.secretIRIs {
		for _, u := range []string{iri, a.URL + "/alerts/" + w.secretSeqs[i]} {
			r := webGet(t, u, browserAccept)
			if r.status != http.StatusNotFound || strings.Contains(r.body, secretMark) {
				t.Errorf("%s: %d", u, r.status)
			}
			if r.status == http.StatusNotFound && strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				checkHTMLPage(t, "404 "+u, r)
			}
		}
	}
	// A local alert's page by Seq is its IRI.
	ke, _ := a.Publish.GetAlert(context.Background(), w.clear[0])
	if r := webGet(t, a.URL+"/alerts/"+ke.Seq, browserAccept); r.status != http.StatusMovedPermanently || r.header.Get("Location") != ke.IRI {
		t.Errorf("local alert by Seq: %d %s", r.status, r.header.Get("Location"))
	}
	// ActivityPub clients still get JSON at the same URL.
	if r := webGet(t, w.clear[0], "application/activity+json"); r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "activity+json") {
		t.Errorf("alert as ActivityPub: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := webGet(t, a.URL+"/users/observers", "application/activity+json"); !strings.Contains(r.header.Get("Content-Type"), "activity+json") {
		t.Errorf("actor as ActivityPub: %s", r.header.Get("Content-Type"))
	}
}

func TestUnknownPathsAreHTMLForBrowsersAndJSONForAPIs(t *testing.T) {
	s := cluster.Start(t, 0)
	r := webGet(t, s.URL+"/no/such/page", browserAccept)
	if r.status != http.StatusNotFound {
		t.Fatalf("unknown page: %d", r.status)
	}
	checkHTMLPage(t, "404", r)
	for _, u := range []string{"/api/v1/nothing", "/.well-known/nothing", "/users/nobody/alerts.atom"} {
		r := webGet(t, s.URL+u, browserAccept)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %s", u, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := webGet(t, s.URL+"/users/nobody", browserAccept); r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("unknown profile: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := webGet(t, s.URL+"/alerts?severity=catastrophic", browserAccept); r.status != http.StatusBadRequest || !strings.Contains(r.body, "catastrophic") {
		t.Errorf("bad filter: %d", r.status)
	} else {
		checkHTMLPage(t, "bad filter", r)
	}
}

type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

type rssTestDoc struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		Items []struct {
			GUID        string `xml:"guid"`
			Link        string `xml:"link"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
		} `xml:"item"`
	} `xml:"channel"`
}

func TestFeedsHoldExactlyTheClearAlerts(t *testing.T) {
	w := newWebWorld(t)
	a := w.a
	observers := w.clear[:3]
	cases := []struct {
		path string
		want []string
	}{
		{"/alerts", w.clear},
		{"/alerts?country=KE", w.clearKE},
		{"/alerts?country=KE&severity=severe&category=vote-buying", w.clear[:1]},
		{"/alerts?country=FR", nil},
		{"/users/observers/alerts", observers},
		{"/users/peerorg/alerts", nil}, // not a local account: 404 below
	}
	for _, c := range cases {
		base, query, _ := strings.Cut(c.path, "?")
		for _, ext := range []string{".atom", ".rss"} {
			u := a.URL + base + ext
			if query != "" {
				u += "?" + query
			}
			r := webGet(t, u, "")
			if base == "/users/peerorg/alerts" {
				if r.status != http.StatusNotFound {
					t.Errorf("%s: %d", u, r.status)
				}
				continue
			}
			if r.status != http.StatusOK || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d", u, r.status)
				continue
			}
			if strings.Contains(r.body, secretMark) {
				t.Errorf("%s holds a restricted alert", u)
			}
			var ids []string
			if ext == ".atom" {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "application/atom+xml") {
					t.Errorf("%s: %s", u, r.header.Get("Content-Type"))
				}
				var doc atomDoc
				if err := xml.Unmarshal([]byte(r.body), &doc); err != nil {
					t.Errorf("%s: %v", u, err)
					continue
				}
				for _, e := range doc.Entries {
					ids = append(ids, e.ID)
					if e.Content.Type != "html" || !strings.Contains(e.Content.Body, "<strong>pre-marked</strong>") && !strings.Contains(e.Content.Body, "<p>") {
						t.Errorf("%s: entry content %+v", u, e.Content)
					}
					if e.Link.Href == "" || e.Updated == "" {
						t.Errorf("%s: entry %+v", u, e)
					}
				}
			} else {
				var doc rssTestDoc
				if err := xml.Unmarshal([]byte(r.body), &doc); err != nil || doc.Version != "2.0" {
					t.Errorf("%s: %v %q", u, err, doc.Version)
					continue
				}
				for _, it := range doc.Channel.Items {
					ids = append(ids, it.GUID)
					if _, err := http.ParseTime(strings.Replace(it.PubDate, "+0000", "GMT", 1)); err != nil {
						t.Errorf("%s: pubDate %q: %v", u, it.PubDate, err)
					}
				}
			}
			slices.Sort(ids)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Errorf("%s holds %v, want %v", u, ids, want)
			}
		}
	}
}

func TestTemplatesHaveNoInlineScriptOrStyle(t *testing.T) {
	for _, dir := range []string{"../static/templates/web"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.html"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no templates in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			low := strings.ToLower(string(b))
			for _, bad := range []string{"<script", "<style", " style=", " onclick=", " onload=", "javascript:"} {
				if strings.Contains(low, bad) {
					t.Errorf("%s contains %q", f, bad)
				}
			}
		}
	}
}

func TestAlertListWeighsUnder100KB(t *testing.T) {
	s := cluster.Start(t, 0)
	ctx := context.Background()
	org := s.CreateAccount(t, "observers", "organization", "publisher")
	for i := range 25 {
		_, err := s.Publish.CreateAlert(ctx, publish.Author{Org: org}, alert.Alert{
			Title:    "Coordinated disinformation about polling-station changes, wave " + string(rune('A'+i)),
			Body:     strings.Repeat("Observers report messages telling voters their station has moved. ", 20),
			Severity: "severe", Confidence: "likely", Category: "disinformation",
			Countries: []string{"KE", "UG", "TZ", "RW"}, TLP: tlp.Clear, Language: "en",
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	page := webGet(t, s.URL+"/alerts", browserAccept)
	checkHTMLPage(t, "alerts", page)
	if n := strings.Count(page.body, `class="item"`); n != 20 {
		t.Errorf("the list shows %d alerts, want 20", n)
	}
	total := len(page.body)
	z := html.NewTokenizer(strings.NewReader(page.body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		if tok.Data != "link" {
			continue
		}
		var rel, href string
		for _, a := range tok.Attr {
			switch a.Key {
			case "rel":
				rel = a.Val
			case "href":
				href = a.Val
			}
		}
		if rel == "stylesheet" {
			u, _ := url.Parse(s.URL)
			css := webGet(t, u.ResolveReference(&url.URL{Path: href}).String(), "text/css")
			if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet %s: %d %s", href, css.status, css.header.Get("Content-Type"))
			}
			total += len(css.body)
		}
	}
	t.Logf("alert list with 20 alerts: %d bytes with its CSS (HTML %d)", total, len(page.body))
	if total > 100*1024 {
		t.Errorf("the alert list weighs %d bytes with its CSS, want at most 100 KB", total)
	}
}
