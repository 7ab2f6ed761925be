package handlers_test

// TLP through every read path: alerts at every level (and one raised from
// CLEAR to AMBER after people bookmarked, favourited and boosted it) read
// by every principal through the JSON API, the Mastodon API, the web pages,
// the feeds and the ActivityPub GETs; the streams in their own test; a
// remote outsider's signed fetches and a peer's delivered copies in the
// last. Each path is checked both ways where the principal may read: the
// marker must be there, so a path that shows nothing cannot pass for safe.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// readKind is how a read path is called.
type readKind int

const (
	readAPI readKind = iota // bearer token
	readWeb                 // web session, browser Accept
	readAP                  // ActivityPub Accept, no credentials
)

// read GETs path as p and returns the status and body (5xx fails the test).
func (w *secWorld) read(t *testing.T, p principal, kind readKind, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case readAPI:
		req.Header.Set("Accept", "application/json")
		if p != anon {
			req.Header.Set("Authorization", "Bearer "+w.tokens[p])
		}
	case readWeb:
		req.Header.Set("Accept", browserAccept)
		for _, c := range w.sessions[p] {
			req.AddCookie(c)
		}
	case readAP:
		req.Header.Set("Accept", "application/activity+json")
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
		t.Errorf("GET %s as %s: %d %s", path, p, resp.StatusCode, b)
	}
	return resp.StatusCode, string(b)
}

func TestTLPLeaksThroughEveryLocalReadPath(t *testing.T) {
	w := newSecWorld(t)
	s := w.srv
	statusID := map[*secret]string{}
	for _, sc := range w.secrets {
		statusID[sc] = orgStatusID(t, s, sc.rec.IRI)
	}
	memberAcct := w.accountID("reader")
	orgAcct := w.accountID("observers")

	// Paths that list: whatever they show, no marker above the reader's rights.
	lists := []struct {
		kind readKind
		path string
	}{
		{readAPI, "/api/v1/tocsin/alerts?limit=40"},
		{readAPI, "/api/v1/tocsin/alerts?country=KE&limit=40"},
		{readAPI, "/api/v1/timelines/public?limit=40"},
		{readAPI, "/api/v1/timelines/public?local=true&limit=40"},
		{readAPI, "/api/v1/timelines/tag/kenya?limit=40"},
		{readAPI, "/api/v1/timelines/tag/votebuying?limit=40"},
		{readAPI, "/api/v1/timelines/home?limit=40"},
		{readAPI, "/api/v1/accounts/" + orgAcct + "/statuses?limit=40"},
		{readAPI, "/api/v1/accounts/" + memberAcct + "/statuses?limit=40"},
		{readAPI, "/api/v1/accounts/" + orgAcct},
		{readAPI, "/api/v1/bookmarks?limit=40"},
		{readAPI, "/api/v1/favourites?limit=40"},
		{readAPI, "/api/v1/notifications?limit=40"},
		{readAPI, "/api/v2/search?q=Confidential"},
		{readAPI, "/api/v2/search?q=Confidential&resolve=true"},
		{readAPI, "/api/v2/search?q=Escalated&resolve=true&type=statuses"},
		{readAPI, "/api/v2/search?q=%23ke&resolve=true"},
		{readWeb, "/"},
		{readWeb, "/alerts"},
		{readWeb, "/alerts?country=KE"},
		{readWeb, "/notes"},
		{readWeb, "/@observers"},
		{readWeb, "/@reader"},
		{readWeb, "/alerts.atom"},
		{readWeb, "/alerts.rss"},
		{readWeb, "/alerts.atom?country=KE&category=vote-buying"},
		{readWeb, "/users/observers/alerts.atom"},
		{readWeb, "/users/observers/alerts.rss"},
		{readAP, "/users/observers/outbox"},
		{readAP, "/users/observers/outbox?page=true"},
		{readAP, "/users/reader/outbox?page=true"},
		{readAP, "/users/observers/followers?page=1"},
		{readAP, "/users/observers"},
	}
	for _, sc := range w.secrets {
		// Searching for the alert by its address, as a client does with a
		// pasted link, and by its marker.
		lists = append(lists,
			struct {
				kind readKind
				path string
			}{readAPI, "/api/v2/search?resolve=true&q=" + url.QueryEscape(sc.rec.IRI)},
			struct {
				kind readKind
				path string
			}{readAPI, "/api/v2/search?resolve=false&q=" + sc.marker},
			struct {
				kind readKind
				path string
			}{readAPI, "/api/v1/tocsin/alerts?tlp=" + url.QueryEscape(sc.level.String())},
			struct {
				kind readKind
				path string
			}{readWeb, "/alerts?tlp=" + url.QueryEscape(sc.level.String())},
		)
	}
	for _, p := range principals {
		for _, l := range lists {
			status, body := w.read(t, p, l.kind, l.path)
			if strings.HasPrefix(l.path, "/api/v2/search") {
				body = withoutHashtags(t, body)
			}
			if status < 300 {
				w.checkNoLeak(t, fmt.Sprintf("GET %s", l.path), p, body)
			}
		}
	}

	// Each alert by its own address on every path: readers see it, the
	// others get nothing (404, or for the web a page without it).
	for _, sc := range w.secrets {
		objPath := strings.TrimPrefix(sc.rec.IRI, s.URL)
		for _, p := range principals {
			may := slices.Contains(sc.readers, p)
			one := func(kind readKind, path string, wantReadable bool) {
				t.Helper()
				status, body := w.read(t, p, kind, path)
				shown := status < 300 && strings.Contains(body, sc.marker)
				if shown && !slices.Contains(sc.readers, p) {
					t.Errorf("LEAK: %s alert through GET %s as %s (%d)", sc.name, path, p, status)
				}
				if wantReadable && !shown {
					t.Errorf("%s alert not shown to %s, who may read it, through GET %s: %d %.200s", sc.name, p, path, status, body)
				}
				if !may && status < 300 && kind == readAPI && !strings.Contains(path, "search") {
					t.Errorf("%s alert through GET %s as %s: %d, want 404", sc.name, path, p, status)
				}
			}
			one(readAPI, "/api/v1/tocsin/alerts/"+sc.rec.Seq, may)
			one(readAPI, "/api/v1/statuses/"+statusID[sc], may)
			one(readAPI, "/api/v1/statuses/"+statusID[sc]+"/context", false)
			one(readAPI, "/api/v1/statuses/"+statusID[sc]+"/history", may)
			one(readAPI, "/api/v1/statuses/"+statusID[sc]+"/favourited_by", false)
			one(readAPI, "/api/v1/statuses/"+statusID[sc]+"/reblogged_by", false)
			if p != anon {
				one(readAPI, "/api/v1/statuses/"+statusID[sc]+"/source", false)
			}
			one(readWeb, objPath, may)
			one(readWeb, "/alerts/"+sc.rec.Seq, false)
			one(readWeb, "/compose/alert/"+sc.rec.Seq, false)
			// ActivityPub GETs carry no person: nothing but CLEAR is served.
			one(readAP, objPath, false)
			one(readAP, objPath+"/activity", false)
			one(readAP, objPath+"/sightings", false)
			one(readAPI, "/api/v1/tocsin/alerts/"+sc.rec.Seq+"/sightings", false)
		}
	}

	// The direct reply: in the thread of a public alert, to its author
	// only; nowhere for anyone else.
	directIRI := w.apiCall(http.MethodGet, "/api/v1/statuses/"+w.directID, w.tokens[member], nil).json(t)["uri"].(string)
	for _, kind := range []readKind{readAP, readWeb} {
		if status, body := w.read(t, anon, kind, strings.TrimPrefix(directIRI, s.URL)); status < 300 || strings.Contains(body, w.direct) {
			t.Errorf("LEAK: GET of the direct reply's IRI (kind %d): %d", kind, status)
		}
	}
	for _, p := range principals {
		for _, path := range []string{"/api/v1/statuses/" + w.directID, "/api/v1/statuses/" + w.directID + "/context",
			"/api/v1/statuses/" + w.clearStatus + "/context", "/api/v1/conversations",
			"/api/v2/search?resolve=true&q=" + url.QueryEscape(directIRI)} {
			status, body := w.read(t, p, readAPI, path)
			if status < 300 {
				w.checkNoLeak(t, "GET "+path, p, body)
			}
			if p == member && path == "/api/v1/statuses/"+w.clearStatus+"/context" && !strings.Contains(body, w.direct) {
				t.Errorf("the author does not see their direct reply in the thread: %d %.300s", status, body)
			}
		}
	}

	// A public reply to the GREEN alert, by a member who may read it: its
	// thread shows the reply to anyone, the alert only to its readers.
	var green *secret
	for _, sc := range w.secrets {
		if sc.name == "GREEN" {
			green = sc
		}
	}
	r := w.apiCall(http.MethodPost, "/api/v1/statuses", w.tokens[member], map[string]any{
		"status": "Public reply mkPUBREPLY", "visibility": "public", "in_reply_to_id": statusID[green]})
	if r.status != http.StatusOK {
		t.Fatalf("public reply: %d %s", r.status, r.body)
	}
	reply := r.json(t)["id"].(string)
	for _, p := range principals {
		status, body := w.read(t, p, readAPI, "/api/v1/statuses/"+reply+"/context")
		if status != http.StatusOK {
			t.Errorf("context of a public reply as %s: %d", p, status)
		}
		w.checkNoLeak(t, "context of a public reply to a GREEN alert", p, body)
		if slices.Contains(green.readers, p) && !strings.Contains(body, green.marker) {
			t.Errorf("context of the public reply as %s, who may read the GREEN alert, lacks it", p)
		}
		for _, path := range []string{"/api/v1/timelines/public?limit=40", "/api/v1/statuses/" + reply} {
			_, body := w.read(t, p, readAPI, path)
			w.checkNoLeak(t, "GET "+path+" with a public reply to a GREEN alert", p, body)
		}
	}

	// The home page's chart counts what anyone may read: the one CLEAR alert.
	for _, p := range principals {
		_, body := w.read(t, p, readWeb, "/")
		if got := chartTotal(t, body); got != 1 {
			t.Errorf("home chart as %s counts %d alerts, want 1 (the CLEAR one)", p, got)
		}
	}
}

// withoutHashtags drops a search result's hashtags, which echo the query
// (searching for a marker is not reading it).
func withoutHashtags(t *testing.T, body string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return body
	}
	delete(m, "hashtags")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chartTotal sums the last column (the week's total) of the home page's
// chart table.
func chartTotal(t *testing.T, page string) int {
	t.Helper()
	doc := parseHTML(t, page)
	total := 0
	walk(doc, func(n *html.Node) {
		if n.Data != "tbody" {
			return
		}
		for tr := n.FirstChild; tr != nil; tr = tr.NextSibling {
			var last *html.Node
			for td := tr.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode && td.Data == "td" {
					last = td
				}
			}
			if last != nil {
				v, err := strconv.Atoi(strings.TrimSpace(textOf(last)))
				if err == nil {
					total += v
				}
			}
		}
	})
	return total
}

// TestTLPLeaksThroughStreams subscribes every principal to the public,
// hashtag and user streams, by websocket and by event stream, publishes an
// alert at every level and then a CLEAR sentinel, and reads each stream up
// to the sentinel: what arrived before it is everything that was sent.
func TestTLPLeaksThroughStreams(t *testing.T) {
	w := newSecWorld(t)
	s := w.srv
	type sub struct {
		p      principal
		name   string
		frames func(d time.Duration) (string, bool)
	}
	var subs []sub
	for _, p := range principals {
		token := w.tokens[p]
		for _, st := range []struct{ ws, sse string }{
			{"public", "/api/v1/streaming/public"},
			{"public:local", "/api/v1/streaming/public/local"},
			{"hashtag&tag=kenya", "/api/v1/streaming/hashtag?tag=kenya"},
			{"user", "/api/v1/streaming/user"},
		} {
			// Anonymous has no user stream; the organisation's own posts
			// (all of these) do not come back on its user stream.
			if (p == anon || p == publisher) && st.ws == "user" {
				continue
			}
			q := "stream=" + st.ws
			if token != "" {
				q += "&access_token=" + token
			}
			wsc, resp := dialStreaming(t, s, "/api/v1/streaming", q, nil)
			if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("websocket %s as %s: %d", st.ws, p, resp.StatusCode)
			}
			subs = append(subs, sub{p, "websocket " + st.ws, wsFrames(wsc)})
			es := openEventStream(t, s, st.sse, token)
			subs = append(subs, sub{p, "event stream " + st.sse, sseFrames(es)})
		}
	}
	for _, name := range []string{"public", "public:local", "hashtag:kenya"} {
		waitSubscribers(t, s, name, 2*len(principals))
	}
	var live []*secret
	for _, sc := range []*secret{
		{name: "GREEN-live", level: tlp.Green, readers: []principal{member, publisher, moderator, admin}},
		{name: "AMBER-live", level: tlp.Amber, readers: []principal{publisher, moderator, admin}},
		{name: "AMBER+STRICT-live", level: tlp.AmberStrict, readers: []principal{publisher, moderator, admin}},
		{name: "RED-to-member-live", level: tlp.Red, readers: []principal{member, publisher, admin}},
	} {
		w.addSecret(sc)
		live = append(live, sc)
	}
	// A CLEAR alert raised to AMBER while the streams watch: the edit must
	// not go where the CLEAR alert went.
	harmless := w.publish("Live harmless alert", tlp.Clear)
	raised := harmless.Alert
	raised.TLP, raised.Circle = tlp.Amber, "self"
	raised.Title, raised.Body = "Raised mkLIVERAISEDx7f3a", "Now for the organisation only. mkLIVERAISEDx7f3a"
	rec, err := s.Publish.UpdateAlert(w.ctx, w.author(), harmless.IRI, raised)
	if err != nil {
		t.Fatal(err)
	}
	w.secrets = append(w.secrets, &secret{name: "live CLEAR raised to AMBER", level: tlp.Amber, marker: "mkLIVERAISEDx7f3a",
		readers: []principal{publisher, moderator, admin}, rec: rec})
	w.publish("Sentinel mkSENTINEL", tlp.Clear)
	for _, sb := range subs {
		var got strings.Builder
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(got.String(), "mkSENTINEL") {
			if time.Now().After(deadline) {
				t.Fatalf("%s as %s: no sentinel within 20s; got %.500s", sb.name, sb.p, got.String())
			}
			f, ok := sb.frames(time.Until(deadline))
			if !ok {
				t.Fatalf("%s as %s closed before the sentinel; got %.500s", sb.name, sb.p, got.String())
			}
			got.WriteString(f)
		}
		w.checkNoLeak(t, sb.name, sb.p, got.String())
		// The user stream carries what the person may read of those they
		// follow: the levels they may read arrive.
		if strings.Contains(sb.name, "user") {
			for _, sc := range live {
				if slices.Contains(sc.readers, sb.p) && sc.level == tlp.Green && !strings.Contains(got.String(), sc.marker) {
					t.Errorf("%s as %s: the %s alert they may read did not arrive", sb.name, sb.p, sc.name)
				}
			}
		}
	}
}

// wsFrames reads a websocket's frames as text.
func wsFrames(c *streamingClient) func(time.Duration) (string, bool) {
	return func(d time.Duration) (string, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
}

// sseFrames reads an event stream's lines (each read bounded by the
// stream's request deadline); false once the stream has ended.
func sseFrames(es *eventStream) func(time.Duration) (string, bool) {
	return func(time.Duration) (string, bool) {
		l, err := es.r.ReadString('\n')
		return l, err == nil
	}
}

// TestTLPLeaksAcrossInstances: A publishes at every level; B's
// organisation is in A's AMBER circle and named on the AMBER+STRICT alert;
// C is an instance in no audience. C's signed fetches of A's objects,
// activities and collections, with authorized fetch off and on, see only
// CLEAR; B receives what it is addressed and shows it to its own staff
// only; RED never leaves A and nothing but CLEAR reaches C.
func TestTLPLeaksAcrossInstances(t *testing.T) {
	for _, authorized := range []bool{false, true} {
		t.Run(fmt.Sprintf("authorized_fetch=%v", authorized), func(t *testing.T) {
			ctx := context.Background()
			opt := func(c *cluster.Config) { c.Federation.AuthorizedFetch = authorized }
			a := cluster.Start(t, 0, opt)
			b := cluster.Start(t, 1, opt)
			c := cluster.Start(t, 2, opt)
			orgA := a.CreateAccount(t, "observers", "organization", "publisher")
			orgB := b.CreateAccount(t, "peerorg", "organization", "publisher")
			outsider := c.CreateAccount(t, "outsider", "organization", "publisher")
			b.CreateAccount(t, "bmember", "person", "member")
			b.CreateAccount(t, "bmod", "person", "moderator")
			if _, err := a.Federation.AddPeer(ctx, orgA, "peerorg@"+b.Domain); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Federation.AddPeer(ctx, orgB, "observers@"+a.Domain); err != nil {
				t.Fatal(err)
			}
			// C follows A's organisation (an ordinary public follow).
			if _, err := c.Federation.AddPeer(ctx, outsider, "observers@"+a.Domain); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Publish.SetCircle(ctx, "east", []string{"peerorg@" + b.Domain}); err != nil {
				t.Fatal(err)
			}
			cluster.Settle(t, a, b, c)

			type level struct {
				l      tlp.Level
				marker string
				rec    *store.AlertRecord
			}
			var levels []*level
			for _, l := range tlp.Levels() {
				lv := &level{l: l, marker: "mkX" + strings.NewReplacer("+", "").Replace(l.String()) + "q9"}
				in := alertFor("Confidential "+lv.marker, l)
				switch l {
				case tlp.Amber:
					in.Circle = "east"
				case tlp.AmberStrict:
					in.Recipients = []string{b.URL + "/users/peerorg"}
				case tlp.Red:
					in.Recipients = []string{a.URL + "/users/observers"}
				}
				rec, err := a.Publish.CreateAlert(ctx, publishAuthor(orgA), in)
				if err != nil {
					t.Fatalf("create %s: %v", l, err)
				}
				lv.rec = rec
				levels = append(levels, lv)
			}
			cluster.Settle(t, a, b, c)

			// C fetches, signed as its organisation.
			key, err := signature.ParsePrivateKeyPEM(outsider.PrivateKeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := signature.NewSigner(c.URL+"/users/outsider#main-key", key)
			if err != nil {
				t.Fatal(err)
			}
			fetch := func(u string, sign bool) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, u, nil)
				req.Header.Set("Accept", "application/activity+json")
				if sign {
					if err := signer.Sign(req, nil, false); err != nil {
						t.Fatal(err)
					}
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode >= 500 {
					t.Errorf("GET %s: %d %s", u, resp.StatusCode, body)
				}
				return resp.StatusCode, string(body)
			}
			collections := []string{a.URL + "/users/observers/outbox", a.URL + "/users/observers/outbox?page=true",
				a.URL + "/users/observers/followers?page=1", a.URL + "/users/observers/following?page=1", a.URL + "/users/observers"}
			for _, sign := range []bool{true, false} {
				for _, lv := range levels {
					for _, u := range []string{lv.rec.IRI, lv.rec.IRI + "/activity"} {
						status, body := fetch(u, sign)
						if lv.l == tlp.Clear {
							if sign || !authorized {
								if status != http.StatusOK || !strings.Contains(body, lv.marker) {
									t.Errorf("signed=%v GET of the CLEAR %s: %d", sign, u, status)
								}
							} else if status != http.StatusUnauthorized {
								t.Errorf("unsigned GET under authorized fetch of %s: %d, want 401", u, status)
							}
							continue
						}
						if status < 300 || strings.Contains(body, lv.marker) {
							t.Errorf("LEAK: signed=%v GET by an outsider of the %s %s: %d", sign, lv.l, u, status)
						}
					}
				}
				for _, u := range collections {
					status, body := fetch(u, sign)
					for _, lv := range levels[1:] {
						if strings.Contains(body, lv.marker) {
							t.Errorf("LEAK: signed=%v GET %s by an outsider (%d) shows the %s alert", sign, u, status, lv.l)
						}
					}
				}
			}

			// Under authorized fetch, a domain A blocks gets nothing, even
			// signed and even what is public.
			if authorized {
				if _, err := a.Moderation.SetDomainTrust(ctx, "admin", c.Domain, "blocked", "test", ""); err != nil {
					t.Fatal(err)
				}
				for _, u := range append([]string{levels[0].rec.IRI, levels[0].rec.IRI + "/activity"}, collections[:4]...) {
					if status, body := fetch(u, true); status != http.StatusForbidden || strings.Contains(body, levels[0].marker) {
						t.Errorf("signed GET %s from a blocked domain under authorized fetch: %d, want 403", u, status)
					}
				}
			}

			// What was delivered: B holds CLEAR, GREEN? (it follows as a
			// peer), AMBER and AMBER+STRICT; C holds CLEAR only; no one
			// but A holds RED.
			for _, lv := range levels {
				_, errB := b.Publish.GetAlert(ctx, lv.rec.IRI)
				_, errC := c.Publish.GetAlert(ctx, lv.rec.IRI)
				if lv.l == tlp.Red && errB == nil {
					t.Errorf("LEAK: the RED alert reached B")
				}
				if (lv.l == tlp.Amber || lv.l == tlp.AmberStrict) && errB != nil {
					t.Errorf("the %s alert addressed to B's organisation did not reach B: %v", lv.l, errB)
				}
				if lv.l != tlp.Clear && errC == nil {
					t.Errorf("LEAK: the %s alert reached C, which is in no audience", lv.l)
				}
			}

			// On B, its staff read the AMBER copies; its member and anyone
			// do not, through the API, the Mastodon API, the web and feeds.
			bw := &oauthWorld{t: t, ctx: ctx, srv: b}
			app := bw.registerApp("read", "urn:ietf:wg:oauth:2.0:oob")
			tokens := map[string]string{"anonymous": "", "member": bw.token(app, "bmember", "read"), "moderator": bw.token(app, "bmod", "read")}
			for who, tok := range tokens {
				for _, path := range []string{"/api/v1/tocsin/alerts?limit=40", "/api/v1/timelines/public?limit=40",
					"/api/v1/timelines/public?remote=true&limit=40", "/api/v1/timelines/tag/kenya?limit=40", "/api/v2/search?q=Confidential&resolve=true"} {
					r := bw.getWithToken(b.URL, path, tok)
					for _, lv := range levels {
						if lv.l >= tlp.Amber && who != "moderator" && strings.Contains(r.body, lv.marker) {
							t.Errorf("LEAK: B's %s reads A's %s alert through %s", who, lv.l, path)
						}
						if lv.l == tlp.Green && who == "anonymous" && strings.Contains(r.body, lv.marker) {
							t.Errorf("LEAK: B shows A's GREEN alert to anyone through %s", path)
						}
					}
				}
			}
			for _, path := range []string{"/", "/alerts", "/alerts.atom", "/alerts.rss"} {
				r := webGet(t, b.URL+path, browserAccept)
				for _, lv := range levels[1:] {
					if strings.Contains(r.body, lv.marker) {
						t.Errorf("LEAK: B's public %s shows A's %s alert", path, lv.l)
					}
				}
			}
			if rec, err := b.Publish.GetAlert(ctx, levels[2].rec.IRI); err == nil {
				r := bw.getWithToken(b.URL, "/api/v1/tocsin/alerts/"+rec.Seq, tokens["moderator"])
				if r.status != http.StatusOK || !strings.Contains(r.body, levels[2].marker) {
					t.Errorf("B's moderator cannot read the AMBER alert addressed to B: %d", r.status)
				}
				if r := bw.getWithToken(b.URL, "/api/v1/tocsin/alerts/"+rec.Seq, tokens["member"]); r.status != http.StatusNotFound {
					t.Errorf("B's member reads the AMBER alert: %d", r.status)
				}
			}
		})
	}
}

// alertFor is an alert of level l titled title (also in its body).
func alertFor(title string, l tlp.Level) alert.Alert {
	return alert.Alert{Title: title, Body: "Observers report pre-marked ballots. " + title,
		Severity: "severe", Confidence: "likely", Category: "vote-buying", Countries: []string{"KE"},
		TLP: l, Language: "en"}
}

// publishAuthor is an organisation publishing on its own (as its staff
// do from the command line).
func publishAuthor(org *store.Account) publish.Author { return publish.Author{Org: org} }

// TestTLPInboundFromAPeerStaysInItsAudience: a trusted peer (so moderation
// holds nothing back) sends alerts whose addressing contradicts their
// level, a RED alert, a boost of a GREEN one and correctly addressed GREEN
// and AMBER alerts. None reaches anyone outside its level's audience on
// any read path.
func TestTLPInboundFromAPeerStaysInItsAudience(t *testing.T) {
	w := newSecWorld(t)
	s, ctx := w.srv, w.ctx
	h := startHostileServer(t)
	if _, err := s.Moderation.SetDomainTrust(ctx, "root", strings.TrimPrefix(h.base, "http://"), "trusted", "test peer", ""); err != nil {
		t.Fatal(err)
	}
	public := "https://www.w3.org/ns/activitystreams#Public"
	org := s.URL + "/users/observers"
	followers := h.base + "/users/evil/followers"
	mk := func(n int, level, marker string, to, cc []any) map[string]any {
		return map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"tocsin": "https://w3id.org/tocsin/ns#"}},
			"id":       fmt.Sprintf("%s/users/evil/statuses/in%d", h.base, n), "type": "Note", "attributedTo": h.base + "/users/evil",
			"to": to, "cc": cc, "published": time.Now().UTC().Format(time.RFC3339),
			"name": "Inbound " + marker, "content": "<p>Inbound " + marker + "</p>", "contentMap": map[string]any{"en": "<p>Inbound " + marker + "</p>"},
			"source":      map[string]any{"content": "Inbound " + marker, "mediaType": "text/markdown"},
			"tocsin:kind": "alert", "tocsin:tlp": level, "tocsin:status": "active", "tocsin:severity": "severe",
			"tocsin:confidence": "likely", "tocsin:category": "disinformation", "tocsin:countries": []any{"KE"},
		}
	}
	type inbound struct {
		obj     map[string]any
		marker  string
		readers []principal // on A
	}
	greenOK := mk(1, "GREEN", "mkINGREENx7f3a", []any{followers, org}, nil)
	cases := []inbound{
		{mk(2, "GREEN", "mkINGREENPUBx7f3a", []any{public}, []any{followers}), "mkINGREENPUBx7f3a", nil},
		{withCircle(mk(3, "AMBER", "mkINAMBERPUBx7f3a", []any{org}, []any{public})), "mkINAMBERPUBx7f3a", nil},
		{mk(4, "RED", "mkINREDx7f3a", []any{org}, nil), "mkINREDx7f3a", nil},
		{withCircle(mk(5, "AMBER", "mkINAMBERx7f3a", []any{org}, nil)), "mkINAMBERx7f3a", []principal{publisher, moderator, admin}},
		{greenOK, "mkINGREENx7f3a", []principal{member, publisher, moderator, admin}},
	}
	// A CLEAR alert from an actor whose posts are held for review: the
	// staff see it, no one else until it is approved.
	h.addActor(t, "held", "held")
	if _, err := s.Moderation.SetActorTrust(ctx, "root", h.base+"/users/held", "review", "new"); err != nil {
		t.Fatal(err)
	}
	held := mk(6, "CLEAR", "mkINHELDx7f3a", []any{public}, []any{h.base + "/users/held/followers"})
	held["attributedTo"] = h.base + "/users/held"
	cases = append(cases, inbound{held, "mkINHELDx7f3a", []principal{publisher, moderator, admin}})
	for _, c := range cases {
		h.post(t, s.URL+"/inbox", c.obj)
	}
	// A boost of the GREEN alert, to the public.
	boost := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": h.base + "/users/evil/activities/boost1",
		"type": "Announce", "actor": h.base + "/users/evil", "object": greenOK["id"], "to": []any{public}, "cc": []any{followers}}
	body, _ := json.Marshal(boost)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/inbox", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := h.signer.Sign(req, body, false); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cluster.Settle(t, s)
	if _, err := s.Publish.GetAlert(ctx, greenOK["id"].(string)); err != nil {
		t.Fatalf("the correctly addressed GREEN alert was not kept: %v", err)
	}

	paths := []struct {
		kind readKind
		path string
	}{
		{readAPI, "/api/v1/tocsin/alerts?limit=40"}, {readAPI, "/api/v1/timelines/public?limit=40"},
		{readAPI, "/api/v1/timelines/public?remote=true&limit=40"}, {readAPI, "/api/v1/timelines/tag/kenya?limit=40"},
		{readAPI, "/api/v1/timelines/home?limit=40"}, {readAPI, "/api/v1/notifications?limit=40"},
		{readAPI, "/api/v2/search?q=Inbound&resolve=true"}, {readAPI, "/api/v1/accounts/" + url.PathEscape(w.accountID("evil@"+strings.TrimPrefix(h.base, "http://"))) + "/statuses"},
		{readWeb, "/"}, {readWeb, "/alerts"}, {readWeb, "/alerts.atom"}, {readWeb, "/alerts.rss"},
	}
	for _, c := range cases {
		if rec, err := s.Publish.GetAlert(ctx, c.obj["id"].(string)); err == nil {
			paths = append(paths, struct {
				kind readKind
				path string
			}{readAPI, "/api/v1/tocsin/alerts/" + rec.Seq}, struct {
				kind readKind
				path string
			}{readWeb, "/alerts/" + rec.Seq})
		}
		if o, err := s.DB.Object(ctx, c.obj["id"].(string)); err == nil {
			paths = append(paths, struct {
				kind readKind
				path string
			}{readAPI, "/api/v1/statuses/" + o.Seq})
		}
	}
	for _, p := range principals {
		for _, pt := range paths {
			status, body := w.read(t, p, pt.kind, pt.path)
			if status >= 300 {
				continue
			}
			body = withoutHashtags(t, body)
			for _, c := range cases {
				if strings.Contains(body, c.marker) && !slices.Contains(c.readers, p) {
					t.Errorf("LEAK: GET %s as %s shows the peer's %s", pt.path, p, c.marker)
				}
			}
		}
	}
	// Those inside its audience do read the correctly addressed alerts.
	for _, c := range cases[3:] {
		rec, err := s.Publish.GetAlert(ctx, c.obj["id"].(string))
		if err != nil {
			t.Fatalf("%s not kept: %v", c.marker, err)
		}
		for _, p := range c.readers {
			if status, body := w.read(t, p, readAPI, "/api/v1/tocsin/alerts/"+rec.Seq); status != http.StatusOK || !strings.Contains(body, c.marker) {
				t.Errorf("%s cannot read the peer's %s addressed to them: %d", p, c.marker, status)
			}
		}
	}
}

// withCircle names the AMBER circle an alert goes to.
func withCircle(o map[string]any) map[string]any { o["tocsin:circle"] = "east"; return o }

// TestTLPDisabledMemberStreamsGetNothingMore: a member whose account is
// disabled while their user streams are open receives none of what is
// published afterwards for members only.
func TestTLPDisabledMemberStreamsGetNothingMore(t *testing.T) {
	w := newSecWorld(t)
	s := w.srv
	es := openEventStream(t, s, "/api/v1/streaming/user", w.tokens[member])
	wsc, _ := dialStreaming(t, s, "/api/v1/streaming", "stream=user&access_token="+w.tokens[member], nil)
	if _, err := s.Accounts.SetDisabled(w.ctx, "reader", true); err != nil {
		t.Fatal(err)
	}
	w.publish("Confidential mkAFTERDISABLEx7f3a", tlp.Green)
	w.publish("Sentinel mkSENTINEL", tlp.Clear)
	for name, frames := range map[string]func(time.Duration) (string, bool){"event stream": sseFrames(es), "websocket": wsFrames(wsc)} {
		var got strings.Builder
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(got.String(), "mkSENTINEL") && time.Now().Before(deadline) {
			f, ok := frames(time.Until(deadline))
			if !ok {
				break // the stream ended: nothing more can arrive
			}
			got.WriteString(f)
		}
		if strings.Contains(got.String(), "mkAFTERDISABLEx7f3a") {
			t.Errorf("LEAK: the %s of a disabled member carried a GREEN alert published after", name)
		}
	}
}
