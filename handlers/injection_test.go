package handlers_test

// Hostile content: a malicious server on loopback (real RSA key, real
// signatures) sends posts, an alert and an actor full of markup, scripts,
// javascript: and data: links, quotes that try to leave attributes, huge
// attributes and bidirectional-override tricks through a real instance's
// inbox; a member and a publisher type the same into the API and the web
// forms. Every place it comes out — the web pages, the feeds, the Mastodon
// API and the JSON API — is parsed and checked for executable content.
// Then the cookies and the CSP: HttpOnly, SameSite, Secure under TLS.

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/handlers"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/oauth"
)

// Hostile strings. Each carries a word (HostileX) that must still be
// readable as text where it is shown, so that a page that drops everything
// cannot pass.
const (
	hostileName = "<script>alert('name')</script>HostileName \u202Egnp.exe\u202C\u200B<img src=x onerror=alert(1)>\"'"
	hostileBio  = `<p>HostileBio <a href="javascript:alert(2)">js</a><script>alert(3)</script>` +
		`<img src=x onerror=alert(4)><style>body{display:none}</style><iframe src="https://evil.example/"></iframe></p>`
	hostileHTML = `<p onclick="alert(5)">HostilePost <script>alert(6)</script><a href="javascript:alert(7)">js</a> ` +
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==">data</a> ` +
		`<a href="https://ok.example/&quot;onmouseover=&quot;alert(9)">quote</a> <a href="JaVaScRiPt&#58;alert(10)">entity</a> ` +
		`<img src="x" onerror="alert(11)"><span style="background:url(javascript:alert(12))">css</span>` +
		`<svg onload=alert(13)></svg><iframe src=javascript:alert(14)></iframe><form action="https://evil.example/"><input name=p></form>` +
		`<a href="vbscript:msgbox(15)">vb</a><base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/"></p>`
	hostileMarkdown = "HostileBody [js](javascript:alert(16)) [data](data:text/html,<script>alert(17)</script>) " +
		"<script>alert(18)</script> <img src=x onerror=alert(19)> ![img](javascript:alert(20)) " +
		"[quote](https://ok.example/\"onmouseover=\"alert(21)) <a href=\"javascript:alert(22)\">raw</a>"
	hostileTitle = "HostileTitle <script>alert(23)</script> \"quoted\" 'single' <b>bold</b> \u202Etxet desrever\u202C"
)

// hostileServer is a malicious instance: it serves one actor with a real
// key and hostile profile fields, and the objects it posts.
type hostileServer struct {
	base    string
	signer  *signature.Signer // evil's
	signers map[string]*signature.Signer
	objects map[string]map[string]any
}

// addActor serves one more actor at /users/path with the given
// preferredUsername and its own key, and returns its signer.
func (h *hostileServer) addActor(t *testing.T, path, username string) *signature.Signer {
	t.Helper()
	key, _, pubPEM, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	actor := h.base + "/users/" + path
	sg, err := signature.NewSigner(actor+"#main-key", key)
	if err != nil {
		t.Fatal(err)
	}
	h.signers[actor] = sg
	h.objects[actor] = map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       actor, "type": "Person", "preferredUsername": username, "name": "HostileUser",
		"inbox": actor + "/inbox", "outbox": actor + "/outbox", "followers": actor + "/followers",
		"publicKey": map[string]any{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pubPEM},
	}
	return sg
}

func startHostileServer(t *testing.T) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.60:0")
	if err != nil {
		t.Fatal(err)
	}
	key, _, pubPEM, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileServer{base: "http://" + ln.Addr().String(), objects: map[string]map[string]any{}, signers: map[string]*signature.Signer{}}
	actor := h.base + "/users/evil"
	if h.signer, err = signature.NewSigner(actor+"#main-key", key); err != nil {
		t.Fatal(err)
	}
	h.signers[actor] = h.signer
	huge := "https://ok.example/" + strings.Repeat("A", 200<<10)
	h.objects[actor] = map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       actor, "type": "Organization", "preferredUsername": "evil",
		"name": hostileName, "summary": hostileBio,
		"url":   "javascript:alert('url')",
		"icon":  map[string]any{"type": "Image", "url": "javascript:alert('icon')"},
		"image": map[string]any{"type": "Image", "url": huge},
		"attachment": []any{map[string]any{"type": "PropertyValue", "name": "<script>alert('field')</script>Site",
			"value": `<a href="javascript:alert('field')">HostileField</a>`}},
		"inbox": h.base + "/users/evil/inbox", "outbox": h.base + "/users/evil/outbox",
		"followers": h.base + "/users/evil/followers", "following": h.base + "/users/evil/following",
		"publicKey": map[string]any{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pubPEM},
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/webfinger" {
			w.Header().Set("Content-Type", "application/jrd+json")
			json.NewEncoder(w).Encode(map[string]any{"subject": "acct:evil@" + ln.Addr().String(),
				"links": []any{map[string]any{"rel": "self", "type": "application/activity+json", "href": actor}}})
			return
		}
		doc, ok := h.objects[h.base+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(doc)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

// post signs and sends a Create of obj (kept for fetches) to inbox.
func (h *hostileServer) post(t *testing.T, inbox string, obj map[string]any) {
	t.Helper()
	id := obj["id"].(string)
	h.objects[id] = obj
	author := obj["attributedTo"].(string)
	act := map[string]any{"@context": obj["@context"], "id": id + "/activity", "type": "Create",
		"actor": author, "to": obj["to"], "cc": obj["cc"], "object": obj}
	body, err := json.Marshal(act)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := h.signers[author].Sign(req, body, false); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("inbox refused the hostile Create of %s: %d %s", id, resp.StatusCode, b)
	}
}

func TestHostileContentIsInertWhereverItIsShown(t *testing.T) {
	w := newSecWorld(t)
	s, ctx := w.srv, w.ctx
	h := startHostileServer(t)
	hostHost := strings.TrimPrefix(h.base, "http://")
	if _, err := s.Moderation.SetDomainTrust(ctx, "root", hostHost, "trusted", "test peer", ""); err != nil {
		t.Fatal(err)
	}
	public := []any{"https://www.w3.org/ns/activitystreams#Public"}
	ctxAP := []any{"https://www.w3.org/ns/activitystreams", map[string]any{"tocsin": "https://w3id.org/tocsin/ns#"}}
	note := map[string]any{"@context": ctxAP, "id": h.base + "/users/evil/statuses/1", "type": "Note",
		"attributedTo": h.base + "/users/evil", "to": public, "cc": []any{h.base + "/users/evil/followers"},
		"published": time.Now().UTC().Format(time.RFC3339), "content": hostileHTML,
		"summary": `<b>HostileCW</b><script>alert('cw')</script>`,
		"url":     "javascript:alert('status url')",
		"tag":     []any{map[string]any{"type": "Hashtag", "name": "#<script>alert(1)</script>", "href": "javascript:alert('tag')"}},
		"attachment": []any{map[string]any{"type": "Document", "mediaType": "image/png", "url": "javascript:alert('media')",
			"name": `<img src=x onerror=alert('alt')>`}}}
	h.post(t, s.URL+"/inbox", note)
	// An actor whose username is markup.
	h.addActor(t, "odd", `<img src=x onerror=alert('user')>"odd`)
	odd := map[string]any{"@context": ctxAP, "id": h.base + "/users/odd/statuses/1", "type": "Note",
		"attributedTo": h.base + "/users/odd", "to": public, "published": time.Now().UTC().Format(time.RFC3339),
		"content": "<p>HostileOdd</p>"}
	h.post(t, s.URL+"/inbox", odd)
	// Another, held for review: the console shows its post to moderators.
	h.addActor(t, "held", "held")
	if _, err := s.Moderation.SetActorTrust(ctx, "root", h.base+"/users/held", "review", "new"); err != nil {
		t.Fatal(err)
	}
	h.post(t, s.URL+"/inbox", map[string]any{"@context": ctxAP, "id": h.base + "/users/held/statuses/1", "type": "Note",
		"attributedTo": h.base + "/users/held", "to": public, "published": time.Now().UTC().Format(time.RFC3339),
		"content": strings.Replace(hostileHTML, "HostilePost", "HostileHeld", 1), "summary": "<b>HostileHeldCW</b><script>x</script>"})
	alertObj := map[string]any{"@context": ctxAP, "id": h.base + "/users/evil/statuses/2", "type": "Note",
		"attributedTo": h.base + "/users/evil", "to": public, "cc": []any{h.base + "/users/evil/followers"},
		"published": time.Now().UTC().Format(time.RFC3339), "name": hostileTitle, "content": hostileHTML, "contentMap": map[string]any{"en": hostileHTML},
		"source":      map[string]any{"content": hostileMarkdown, "mediaType": "text/markdown"},
		"tocsin:kind": "alert", "tocsin:tlp": "CLEAR", "tocsin:status": "active", "tocsin:severity": "severe",
		"tocsin:confidence": "likely", "tocsin:category": "disinformation", "tocsin:countries": []any{"KE"},
		"tocsin:election": map[string]any{"name": `<script>alert('election')</script>HostileElection`, "date": "2027-08-09"},
		"tocsin:sources":  []any{map[string]any{"url": "https://ok.example/src\"onmouseover=\"alert(24)", "title": `<script>alert(25)</script>HostileSource`}}}
	h.post(t, s.URL+"/users/observers/inbox", alertObj)
	cluster.Settle(t, s)
	remote, err := s.Publish.GetAlert(ctx, alertObj["id"].(string))
	if err != nil {
		t.Fatalf("the hostile peer's alert was not kept: %v", err)
	}
	noteStatus := statusIDOf(t, w, note["id"].(string))
	alertStatus := statusIDOf(t, w, alertObj["id"].(string))

	// A member and a publisher type the same.
	if r := w.apiCall(http.MethodPatch, "/api/v1/accounts/update_credentials", w.tokens[member],
		map[string]any{"display_name": hostileName, "note": hostileBio}); r.status != http.StatusOK {
		t.Fatalf("update_credentials: %d %s", r.status, r.body)
	}
	r := w.apiCall(http.MethodPost, "/api/v1/statuses", w.tokens[member], map[string]any{
		"status": "HostileLocal " + hostileHTML + " " + hostileMarkdown, "spoiler_text": `<b>HostileLocalCW</b><script>x</script>`, "visibility": "public"})
	if r.status != http.StatusOK {
		t.Fatalf("member's hostile post: %d %s", r.status, r.body)
	}
	localStatus := r.json(t)["id"].(string)
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", w.tokens[publisher], map[string]any{
		"as": "observers", "title": hostileTitle, "body": hostileMarkdown, "severity": "severe", "category": "disinformation",
		"countries": []string{"KE"}, "tlp": "CLEAR", "election_name": `<script>alert(1)</script>HostileElection`,
		"sources": []map[string]string{{"url": "https://ok.example/s\"onmouseover=\"alert(1)", "title": "<script>alert(2)</script>HostileSource"}}})
	if r.status != http.StatusOK {
		t.Fatalf("publisher's hostile alert: %d %s", r.status, r.body)
	}
	local := r.json(t)
	for _, u := range []string{"javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "JAVASCRIPT:alert(1)", " javascript:alert(1)"} {
		r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", w.tokens[publisher], map[string]any{
			"as": "observers", "title": "t", "body": "b", "severity": "minor", "category": "other", "countries": []string{"KE"},
			"tlp": "CLEAR", "sources": []map[string]string{{"url": u, "title": "x"}}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("an alert source %q: %d, want 422 (only http and https links)", u, r.status)
		}
	}
	// A good-practice note typed the same way.
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/notes", w.tokens[publisher], map[string]any{
		"as": "observers", "title": "HostileNote " + hostileTitle, "summary": "HostileSummary <script>alert(1)</script>",
		"body": hostileMarkdown, "topics": []string{"verification"}, "language": "en"})
	if r.status != http.StatusOK {
		t.Fatalf("publisher's hostile note: %d %s", r.status, r.body)
	}
	localNote := r.json(t)

	// And through the compose form, as a person does.
	ed := newBrowser(t, s.URL)
	ed.signIn("editor")
	form := goodAlert(hostileTitle, "CLEAR")
	form.Set("body", hostileMarkdown)
	form.Set("sources", "https://ok.example/f\"onmouseover=\"alert(1) HostileFormSource <script>x</script>")
	if r := ed.submit("/compose/alert", "/compose/alert", form); r.status != http.StatusSeeOther {
		t.Fatalf("compose with hostile text: %d %.500s", r.status, r.body)
	}
	form.Set("sources", "javascript:alert(1) Click")
	if r := ed.submit("/compose/alert", "/compose/alert", form); r.status != http.StatusUnprocessableEntity {
		t.Errorf("compose with a javascript: source: %d, want 422", r.status)
	} else {
		checkInert(t, "compose form refused", r.body, nil)
	}

	// Web pages, for anyone and for the staff who review.
	pages := []struct {
		p     principal
		path  string
		words []string
	}{
		{anon, "/", nil},
		{anon, "/alerts", []string{"HostileTitle"}},
		{anon, "/alerts/" + remote.Seq, []string{"HostileTitle", "HostileBody", "HostileSource"}},
		{anon, strings.TrimPrefix(local["uri"].(string), s.URL), []string{"HostileTitle", "HostileBody", "HostileSource"}},
		{anon, "/@reader", []string{"HostileName", "HostileBio"}},
		{anon, "/notes", []string{"HostileNote"}},
		{anon, strings.TrimPrefix(localNote["uri"].(string), s.URL), []string{"HostileNote", "HostileSummary", "HostileBody"}},
		{member, "/settings", []string{"HostileName"}},
		{moderator, "/admin/review", []string{"HostileHeld"}},
		{moderator, "/admin/reports?all=1", nil},
		{moderator, "/admin/domains", nil},
		{moderator, "/admin/audit", nil},
		{admin, "/admin/accounts", []string{"HostileName"}},
		{publisher, "/compose/alert/" + local["id"].(string), []string{"HostileTitle", "HostileBody"}},
	}
	for _, pg := range pages {
		status, body := w.read(t, pg.p, readWeb, pg.path)
		if status != http.StatusOK {
			t.Errorf("GET %s as %s: %d", pg.path, pg.p, status)
			continue
		}
		checkInert(t, "GET "+pg.path, body, pg.words)
		if strings.ContainsAny(body, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
			t.Errorf("GET %s: a bidirectional override reaches the page", pg.path)
		}
	}

	// Feeds: well-formed XML whose HTML content is inert.
	for _, path := range []string{"/alerts.atom", "/alerts.rss", "/users/observers/alerts.atom", "/users/observers/alerts.rss"} {
		status, body := w.read(t, anon, readWeb, path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, status)
		}
		checkFeed(t, path, body)
	}

	// The Mastodon API: content, note and fields within Mastodon's set,
	// spoiler_text and display_name as text, every URL http(s).
	for _, path := range []string{"/api/v1/statuses/" + noteStatus, "/api/v1/statuses/" + alertStatus, "/api/v1/statuses/" + localStatus,
		"/api/v1/timelines/public?limit=40", "/api/v1/accounts/" + w.accountID("reader"), "/api/v2/search?q=evil@" + hostHost + "&resolve=true"} {
		status, body := w.read(t, member, readAPI, path)
		if status != http.StatusOK {
			t.Errorf("GET %s: %d %.300s", path, status, body)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		checkMastodonEntity(t, path, v)
	}
	st := w.apiCall(http.MethodGet, "/api/v1/statuses/"+noteStatus, w.tokens[member], nil).json(t)
	if c, _ := st["content"].(string); !strings.Contains(c, "HostilePost") {
		t.Errorf("the hostile post's text is gone: %q", c)
	}
	if acct, _ := st["account"].(map[string]any); acct == nil || !strings.Contains(fmt.Sprint(acct["display_name"]), "HostileName") {
		t.Errorf("the hostile display name is gone: %v", st["account"])
	}

	// Our JSON API: body_html inert, source links http(s).
	for _, seq := range []string{remote.Seq, local["id"].(string)} {
		r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+seq, "", nil)
		m := r.json(t)
		checkInert(t, "body_html of alert "+seq, fmt.Sprint(m["body_html"]), []string{"HostileBody"})
		srcs, _ := m["sources"].([]any)
		for _, sv := range srcs {
			u := fmt.Sprint(sv.(map[string]any)["url"])
			if !safeURL(u) || strings.ContainsAny(u, "\"<> ") {
				t.Errorf("alert %s source URL %q", seq, u)
			}
		}
	}
}

// statusIDOf is the Mastodon id of the object iri on w's instance.
func statusIDOf(t *testing.T, w *secWorld, iri string) string {
	t.Helper()
	o, err := w.srv.DB.Object(w.ctx, iri)
	if err != nil {
		t.Fatalf("%s not stored: %v", iri, err)
	}
	return o.Seq
}

// urlAttrs are the attributes that hold URLs.
var urlAttrs = []string{"href", "src", "action", "formaction", "xlink:href", "poster", "background", "cite", "data", "srcset", "ping", "longdesc", "manifest", "codebase"}

// safeURL reports whether u is http(s), relative, a fragment, or mailto.
func safeURL(u string) bool {
	v := strings.ToLower(strings.TrimSpace(u))
	if v == "" || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "#") || strings.HasPrefix(v, "?") {
		return true
	}
	i := strings.IndexAny(v, ":/?#")
	if i < 0 || v[i] != ':' {
		return true // a relative path
	}
	return slices.Contains([]string{"http", "https", "mailto"}, v[:i])
}

// checkInert parses an HTML document or fragment and fails on anything a
// browser would run or that would change where it goes: script-bearing
// elements, event handler and style attributes, URLs other than http(s)
// and relative ones, base and refresh. words must be in its text.
func checkInert(t *testing.T, what, doc string, words []string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	bad := map[string]bool{"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
		"applet": true, "base": true, "foreignObject": true, "math": true, "style": true, "link": false, "noscript": true, "template": true}
	walk(root, func(n *html.Node) {
		if bad[n.Data] {
			t.Errorf("%s: a <%s> element", what, n.Data)
		}
		if n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "refresh") {
			t.Errorf("%s: a meta refresh", what)
		}
		if n.Data == "link" && attr(n, "rel") != "stylesheet" && attr(n, "rel") != "alternate" && attr(n, "rel") != "canonical" && attr(n, "rel") != "icon" {
			t.Errorf("%s: <link rel=%q>", what, attr(n, "rel"))
		}
		if n.Data == "form" && attr(n, "action") != "" && !strings.HasPrefix(attr(n, "action"), "/") {
			t.Errorf("%s: a form posting to %q", what, attr(n, "action"))
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" {
				t.Errorf("%s: <%s %s=%.80q>", what, n.Data, a.Key, a.Val)
			}
			if slices.Contains(urlAttrs, k) && !safeURL(a.Val) {
				t.Errorf("%s: <%s %s=%.80q>", what, n.Data, a.Key, a.Val)
			}
			if len(a.Val) > 8<<10 {
				t.Errorf("%s: <%s %s> of %d bytes", what, n.Data, a.Key, len(a.Val))
			}
		}
	})
	text := textOf(root)
	for _, wd := range words {
		if !strings.Contains(text, wd) {
			t.Errorf("%s: %q is not shown", what, wd)
		}
	}
}

// checkFeed parses an Atom or RSS document strictly and checks the HTML
// its entries carry.
func checkFeed(t *testing.T, what, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	var htmlParts []string
	var text strings.Builder
	var inHTML bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", what, err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inHTML = false
			name := v.Name.Local
			typ := ""
			for _, a := range v.Attr {
				if a.Name.Local == "type" {
					typ = a.Value
				}
				if a.Name.Local == "href" && !safeURL(a.Value) {
					t.Errorf("%s: <%s href=%q>", what, name, a.Value)
				}
			}
			if ((name == "content" || name == "summary" || name == "title") && typ == "html") || name == "description" {
				inHTML = true
			}
			if name == "link" || name == "guid" || name == "id" {
				inHTML = false
			}
		case xml.CharData:
			text.Write(v)
			if inHTML {
				htmlParts = append(htmlParts, string(v))
			}
		case xml.EndElement:
			inHTML = false
		}
	}
	if len(htmlParts) == 0 {
		t.Errorf("%s: no HTML content in the feed", what)
	}
	checkInert(t, what+" entries", strings.Join(htmlParts, "\n"), []string{"HostileBody"})
	if !strings.Contains(text.String(), "HostileTitle") {
		t.Errorf("%s: the hostile title is not in the feed", what)
	}
	if strings.ContainsAny(doc, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Errorf("%s: a bidirectional override reaches the feed", what)
	}
}

// checkMastodonEntity walks a Mastodon API response: content, note and
// field values are within Mastodon's allowed HTML, display_name and
// spoiler_text have no markup, and every URL is http(s).
func checkMastodonEntity(t *testing.T, what string, v any) {
	t.Helper()
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			checkMastodonEntity(t, what, e)
		}
	case map[string]any:
		for k, val := range x {
			s, isString := val.(string)
			switch {
			case isString && (k == "content" || k == "note" || (k == "value" && x["name"] != nil)):
				checkMastodonHTML(t, what+" "+k, s)
			case isString && (k == "display_name" || k == "spoiler_text" || k == "username" || k == "acct"):
				if strings.ContainsAny(s, "<>") && k != "display_name" && k != "spoiler_text" {
					t.Errorf("%s: %s %q has markup", what, k, s)
				}
			case isString && (k == "url" || k == "uri" || k == "avatar" || k == "avatar_static" || k == "header" ||
				k == "header_static" || k == "preview_url" || k == "remote_url" || k == "image" || k == "embed_url"):
				if s != "" && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
					t.Errorf("%s: %s %.80q is not http(s)", what, k, s)
				}
				if len(s) > 8<<10 {
					t.Errorf("%s: %s of %d bytes", what, k, len(s))
				}
			default:
				checkMastodonEntity(t, what+"."+k, val)
			}
		}
	}
}

// checkMastodonHTML fails on anything outside Mastodon's allowed set: p,
// br, span and a, http(s) links, rel, class and target.
func checkMastodonHTML(t *testing.T, what, frag string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(frag), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, n := range nodes {
		walk(n, func(e *html.Node) {
			if !slices.Contains([]string{"p", "br", "span", "a"}, e.Data) {
				t.Errorf("%s: <%s> outside Mastodon's set", what, e.Data)
			}
			for _, a := range e.Attr {
				switch {
				case a.Key == "href" && e.Data == "a":
					if !strings.HasPrefix(a.Val, "http://") && !strings.HasPrefix(a.Val, "https://") {
						t.Errorf("%s: <a href=%.80q>", what, a.Val)
					}
				case a.Key == "rel" || a.Key == "class" || a.Key == "target" || a.Key == "translate":
				default:
					t.Errorf("%s: <%s %s=%.80q>", what, e.Data, a.Key, a.Val)
				}
			}
		})
	}
}

// TestCookiesAndCSPUnderTLS serves the instance's routes for an https
// base URL (TLS ends at a reverse proxy): every cookie the sign-in, the
// forms and the authorisation page set is HttpOnly, SameSite=Lax and
// Secure, and every HTML answer has the CSP.
func TestCookiesAndCSPUnderTLS(t *testing.T) {
	srv := cluster.Start(t, 0)
	srv.CreateAccount(t, "alice", "person", "member")
	in := srv.Instance
	cfg := *in.Config
	cfg.Scheme = "https"
	h := handlers.New(handlers.Deps{
		Config: &cfg, Accounts: in.Accounts, InstanceKey: in.InstanceKey, Federation: in.Federation,
		OAuth: oauth.NewService(in.DB, in.Accounts, oauth.Options{}), Publish: in.Publish, Moderation: in.Moderation,
		Social: in.Social, Stream: in.Stream, Logger: in.Log,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, body url.Values, cookies []*http.Cookie) *http.Response {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = strings.NewReader(body.Encode())
		}
		req, _ := http.NewRequestWithContext(context.Background(), method, base+path, rd)
		req.Header.Set("Accept", browserAccept)
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: an HTML answer without a Content-Security-Policy", method, path)
		}
		for _, c := range resp.Cookies() {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
				t.Errorf("%s %s: cookie %s HttpOnly=%v Secure=%v SameSite=%v", method, path, c.Name, c.HttpOnly, c.Secure, c.SameSite)
			}
		}
		return resp
	}
	page := do(http.MethodGet, "/signin", nil, nil)
	var csrf *http.Cookie
	for _, c := range page.Cookies() {
		if c.Name == "tocsin_web_csrf" {
			csrf = c
		}
	}
	if csrf == nil {
		t.Fatalf("the sign-in page set no CSRF cookie")
	}
	signed := do(http.MethodPost, "/signin", url.Values{"login": {"alice"}, "password": {cluster.Password}, "authenticity_token": {csrf.Value}}, []*http.Cookie{csrf})
	var session *http.Cookie
	for _, c := range signed.Cookies() {
		if c.Name == "tocsin_session" {
			session = c
		}
	}
	if signed.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("sign in: %d, session cookie %v", signed.StatusCode, session)
	}
	do(http.MethodGet, "/settings", nil, []*http.Cookie{csrf, session})
	do(http.MethodPost, "/signout", url.Values{"authenticity_token": {csrf.Value}}, []*http.Cookie{csrf, session})
	do(http.MethodGet, "/oauth/authorize?response_type=code&client_id=nothing&redirect_uri=urn:ietf:wg:oauth:2.0:oob", nil, nil)
	for _, p := range []string{"/", "/alerts", "/no/such/page", "/compose/alert", "/admin"} {
		do(http.MethodGet, p, nil, []*http.Cookie{csrf, session})
	}
}

// TestHostileAppNamesAndRedirects: an app registered with a hostile name
// shows it as text on the consent page; script-scheme redirect URIs and
// websites are refused at registration; the sign-in page's next parameter
// never sends anyone off the site.
func TestHostileAppNamesAndRedirects(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	for _, bad := range []url.Values{
		{"client_name": {"x"}, "redirect_uris": {"javascript:alert(1)"}},
		{"client_name": {"x"}, "redirect_uris": {"JavaScript:alert(1)//https://ok.example/"}},
		{"client_name": {"x"}, "redirect_uris": {"data:text/html,<script>alert(1)</script>"}},
		{"client_name": {"x"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "website": {"javascript:alert(1)"}},
	} {
		if r := w.postForm("/api/v1/apps", bad); r.status < 400 || r.status >= 500 {
			t.Errorf("registering %v: %d, want a 4xx refusal", bad, r.status)
		}
	}
	r := w.postForm("/api/v1/apps", url.Values{"client_name": {"<script>x</script>HostileApp\u202Egnp.exe\u202C<img src=x onerror=y>"}, "redirect_uris": {"https://client.example/cb"},
		"scopes": {"read"}, "website": {"https://client.example/\"onmouseover=\"alert(1)"}})
	if r.status != http.StatusOK {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	clientID := r.json(t)["client_id"].(string)
	b := w.browser()
	page := b.get("/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {clientID},
		"redirect_uri": {"https://client.example/cb"}, "scope": {"read"}}.Encode())
	checkInert(t, "authorisation sign-in page", page.body, nil)
	consent := b.signIn(page, "alice")
	checkInert(t, "consent page", consent.body, []string{"HostileApp"})
	if strings.ContainsAny(consent.body, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		t.Errorf("consent page: a bidirectional override in the app's name reaches the page")
	}

	// Sign-in's next: only paths on this site.
	for _, next := range []string{"//evil.example/", "/\\evil.example/", "https://evil.example/", "/%2F%2Fevil.example", "\t//evil.example",
		"/\r\nLocation: https://evil.example/", "javascript:alert(1)", "/@alice"} {
		br := newBrowser(t, w.srv.URL)
		res := br.submit("/signin?next="+url.QueryEscape(next), "/signin", url.Values{"login": {"alice"}, "password": {cluster.Password}, "next": {next}})
		loc := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("sign in with next=%q: %d to %q", next, res.status, loc)
		}
		if u, err := url.Parse(w.srv.URL + "/x"); err == nil {
			if target, err := u.Parse(loc); err != nil || target.Host != u.Host {
				t.Errorf("sign in with next=%q leads to %q", next, loc)
			}
		}
	}
}
