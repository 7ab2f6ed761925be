package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
)

// Fuzz targets for what a stranger or a member can type at the instance:
// the WebFinger resource, the Mastodon API's pagination, status and search
// parameters, and the web form that publishes alerts. Each runs against a
// real instance over loopback HTTP (rate limits off) and asserts what a
// client would check: no 5xx, a readable error, nothing stored on error,
// sanitised output.

type fuzzWorld struct {
	s      *cluster.Server
	c      *http.Client // signed-in browser of editor (cookies kept)
	token  string       // editor's API token
	csrf   string       // the web forms' CSRF token
	orgID  string       // Mastodon id of the org account
	domain string
}

func newFuzzWorld(t testing.TB) *fuzzWorld {
	t.Helper()
	s := cluster.Start(t, 0, func(c *cluster.Config) { c.Limits = config.Limits{MaxTrackedKeys: 1000} })
	s.CreateAccount(t, "org", "organization", "publisher")
	s.CreateAccount(t, "editor", "person", "publisher")
	s.CreateAccount(t, "reader", "person", "member")
	if err := s.Accounts.Grant(t.Context(), "editor", "org"); err != nil {
		t.Fatal(err)
	}
	w := &fuzzWorld{s: s, domain: s.Domain}
	jar, _ := cookiejar.New(nil)
	w.c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// An API token for editor (password grant).
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	w.decode(t, w.postForm(t, "/api/v1/apps", url.Values{"client_name": {"fuzz"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write"}}), &app)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	w.decode(t, w.postForm(t, "/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "username": {"editor"}, "password": {cluster.Password}, "scope": {"read write"}}), &tok)
	w.token = tok.AccessToken

	// A web session for editor, and the forms' CSRF token.
	status, _, body := w.get(t, "/signin", "")
	m := regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`).FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("sign-in page: %d", status)
	}
	w.csrf = m[1]
	if st, _, b := w.form(t, "/signin", url.Values{"authenticity_token": {w.csrf}, "login": {"editor"}, "password": {cluster.Password}}); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", st, b)
	}

	// Something to page through: a few statuses and alerts.
	for i := range 5 {
		st, _, b := w.api(t, http.MethodPost, "/api/v1/statuses", "application/x-www-form-urlencoded",
			url.Values{"status": {"Seed status " + strconv.Itoa(i) + " #election"}}.Encode())
		if st != http.StatusOK {
			t.Fatalf("seed status: %d %s", st, b)
		}
	}
	var org struct{ ID string }
	_, _, b := w.api(t, http.MethodGet, "/api/v1/accounts/lookup?acct=org", "", "")
	_ = json.Unmarshal([]byte(b), &org)
	w.orgID = org.ID
	return w
}

func (w *fuzzWorld) decode(t testing.TB, r *http.Response, v any) {
	t.Helper()
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("%s: %d %s", r.Request.URL.Path, r.StatusCode, b)
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func (w *fuzzWorld) postForm(t testing.TB, path string, v url.Values) *http.Response {
	t.Helper()
	r, err := http.PostForm(w.s.URL+path, v)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *fuzzWorld) do(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := w.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (w *fuzzWorld) get(t testing.TB, pathAndQuery, accept string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.s.URL+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return w.do(t, req)
}

// form posts a web form with the browser's cookies.
func (w *fuzzWorld) form(t testing.TB, path string, v url.Values) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.s.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return w.do(t, req)
}

// api calls the client API with editor's token.
func (w *fuzzWorld) api(t testing.TB, method, pathAndQuery, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, w.s.URL+pathAndQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return w.do(t, req)
}

// wantAPIError checks a 4xx answer is Mastodon's {"error": "..."}.
func wantAPIError(t *testing.T, what string, status int, body string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s: %d %s", what, status, body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || strings.TrimSpace(e.Error) == "" {
		t.Fatalf("%s: %d without a JSON error: %q", what, status, body)
	}
}

func (w *fuzzWorld) localObjects(t *testing.T) int {
	t.Helper()
	// Every live local object, private ones included: statuses_count
	// shows strangers public posts only.
	n, err := w.s.DB.CountLocalObjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// FuzzWebFingerResource: whatever resource a stranger asks about, the
// answer is 200 with a JRD for a local account (which, asked for by its own
// subject, answers the same), or 400/404 with an error; never a 5xx.
func FuzzWebFingerResource(f *testing.F) {
	w := newFuzzWorld(f)
	for _, s := range []string{"acct:org@" + w.domain, "org@" + w.domain, "@org@" + w.domain, w.s.URL + "/users/org",
		w.s.URL + "/@org", "acct:ORG@" + strings.ToUpper(w.domain), "acct:" + w.domain + "@" + w.domain, w.s.URL + "/actor",
		"acct:org@other.example", "acct:nobody@" + w.domain, "acct:org", "acct:@", "https://other.example/users/org",
		"acct:Gargron@mastodon.social", "acct:the_mighty_zork@localhost:8080", "acct:org@" + w.domain + "@x", "acct:o%00rg@" + w.domain} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		status, hdr, body := w.get(t, "/.well-known/webfinger?resource="+url.QueryEscape(resource), "")
		switch status {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusNotFound:
			return
		default:
			t.Fatalf("webfinger %q: %d %s", resource, status, body)
		}
		if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/jrd+json") {
			t.Fatalf("webfinger %q: Content-Type %q", resource, ct)
		}
		var doc struct {
			Subject string
			Links   []struct{ Rel, Type, Href string }
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("webfinger %q: not JSON: %s", resource, body)
		}
		user, host, ok := strings.Cut(strings.TrimPrefix(doc.Subject, "acct:"), "@")
		if !ok || host != w.domain || user == "" {
			t.Fatalf("webfinger %q: subject %q is not an account here", resource, doc.Subject)
		}
		self := ""
		for _, l := range doc.Links {
			if l.Rel == "self" {
				self = l.Href
			}
		}
		if self != w.s.URL+"/users/"+user && !(user == w.domain && self == w.s.URL+"/actor") {
			t.Fatalf("webfinger %q: self link %q is not %s's actor", resource, self, user)
		}
		// Round trip: the subject names the same account.
		if st, _, again := w.get(t, "/.well-known/webfinger?resource="+url.QueryEscape(doc.Subject), ""); st != http.StatusOK || again != body {
			t.Fatalf("webfinger %q answered for %s, but the subject itself gets %d %s", resource, doc.Subject, st, again)
		}
	})
}

var linkRE = regexp.MustCompile(`<([^>]*)>; rel="(next|prev)"`)

// FuzzMastodonPagination: max_id, since_id, min_id and limit on the
// timelines, an account's statuses and notifications: 200 with at most
// limit (and at most 40) items and Link headers back to this instance's
// same endpoint, or a 4xx with an error; never a 5xx.
func FuzzMastodonPagination(f *testing.F) {
	w := newFuzzWorld(f)
	for _, s := range [][4]string{{"", "", "", ""}, {"", "", "", "2"}, {"99999999999999999999", "", "", "40"}, {"", "0", "", "1"},
		{"", "", "0", "100"}, {"-1", "-1", "-1", "-1"}, {"abc", "", "", "x"}, {"01ARZ3NDEKTSV4RRFFQ69G5FAV", "", "", "3"},
		{"", "", "", "0"}, {"1e9", "", "", "2.5"}, {"", "", "", "9223372036854775808"}} {
		for i := range 4 {
			f.Add(uint8(i), s[0], s[1], s[2], s[3])
		}
	}
	paths := []string{"/api/v1/timelines/public", "/api/v1/timelines/home", "/api/v1/accounts/" + w.orgID + "/statuses", "/api/v1/notifications"}
	f.Fuzz(func(t *testing.T, which uint8, maxID, sinceID, minID, limit string) {
		path := paths[int(which)%len(paths)]
		q := url.Values{}
		for k, v := range map[string]string{"max_id": maxID, "since_id": sinceID, "min_id": minID, "limit": limit} {
			if v != "" {
				q.Set(k, v)
			}
		}
		status, hdr, body := w.api(t, http.MethodGet, path+"?"+q.Encode(), "", "")
		if status != http.StatusOK {
			if status >= 400 && status < 500 {
				wantAPIError(t, path, status, body)
				return
			}
			t.Fatalf("%s?%s: %d %s", path, q.Encode(), status, body)
		}
		var items []map[string]any
		if err := json.Unmarshal([]byte(body), &items); err != nil {
			t.Fatalf("%s?%s: not a JSON array: %s", path, q.Encode(), body)
		}
		max := 40
		if n, err := strconv.Atoi(limit); err == nil && n > 0 && n < max {
			max = n
		}
		if len(items) > max {
			t.Fatalf("%s?%s: %d items, want at most %d", path, q.Encode(), len(items), max)
		}
		for _, m := range linkRE.FindAllStringSubmatch(hdr.Get("Link"), -1) {
			u, err := url.Parse(m[1])
			if err != nil || u.Host != w.domain || u.Path != path {
				t.Fatalf("%s: Link %q does not lead back to this endpoint", path, m[1])
			}
		}
	})
}

// remoteMention matches what status composition resolves over the network
// (social.mentionRE with a host): such inputs are skipped, since the fuzz
// instance must not look up arbitrary hosts.
var remoteMention = regexp.MustCompile(`@[a-zA-Z0-9_.-]+@[a-zA-Z0-9.-]+`)

// FuzzMastodonStatusCreate: a status posted as a form or as JSON is
// created (200 with sanitised HTML content, readable back) or refused with
// an error and nothing stored; never a 5xx.
func FuzzMastodonStatusCreate(f *testing.F) {
	w := newFuzzWorld(f)
	for _, s := range [][5]string{
		{"Polling station moved #Kenya", "public", "", "en", "false"},
		{"<script>alert(1)</script> & <b>bold</b>", "unlisted", "cw", "", "true"},
		{"", "public", "", "", ""},
		{strings.Repeat("x", 5001), "private", "", "", ""},
		{"hi @org", "direct", "", "fr", "1"},
		{"hi", "nonsense", "", "xx-invalid", "maybe"},
		{"\x00\xff", "public", "\u202e", "en", ""},
	} {
		f.Add(false, s[0], s[1], s[2], s[3], s[4])
		f.Add(true, s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, asJSON bool, text, visibility, spoiler, language, sensitive string) {
		if remoteMention.MatchString(text) || remoteMention.MatchString(spoiler) {
			return
		}
		fields := map[string]string{"status": text, "visibility": visibility, "spoiler_text": spoiler, "language": language, "sensitive": sensitive}
		var ct, body string
		if asJSON {
			b, _ := json.Marshal(fields)
			ct, body = "application/json", string(b)
		} else {
			v := url.Values{}
			for k, x := range fields {
				v.Set(k, x)
			}
			ct, body = "application/x-www-form-urlencoded", v.Encode()
		}
		before := w.localObjects(t)
		status, _, resp := w.api(t, http.MethodPost, "/api/v1/statuses", ct, body)
		after := w.localObjects(t)
		if status != http.StatusOK {
			wantAPIError(t, "POST /api/v1/statuses", status, resp)
			if after != before {
				t.Fatalf("refused (%d %s) but the stored local objects went from %d to %d", status, resp, before, after)
			}
			return
		}
		var st struct {
			ID, Content, Visibility string
		}
		if err := json.Unmarshal([]byte(resp), &st); err != nil || st.ID == "" {
			t.Fatalf("created status without an id: %s", resp)
		}
		if after != before+1 {
			t.Fatalf("created %s but the stored local objects went from %d to %d", st.ID, before, after)
		}
		if !utf8.ValidString(st.Content) || strings.Contains(strings.ToLower(st.Content), "<script") ||
			strings.Contains(st.Content, "<b>") || strings.Contains(strings.ToLower(st.Content), "javascript:") {
			t.Fatalf("content not sanitised: %q from %q", st.Content, text)
		}
		if code, _, _ := w.api(t, http.MethodGet, "/api/v1/statuses/"+st.ID, "", ""); code != http.StatusOK {
			t.Fatalf("created status %s reads back %d", st.ID, code)
		}
	})
}

// FuzzMastodonSearch: any q (and type) is answered with the three lists or
// a 4xx error, without looking anything up elsewhere (resolve is off);
// never a 5xx.
func FuzzMastodonSearch(f *testing.F) {
	w := newFuzzWorld(f)
	for _, s := range []string{"org", "@org", "@org@" + w.domain, "#election", "election", w.s.URL + "/users/org",
		"https://other.example/notes/1", "@x@other.example", "", " ", "#", "@", "%", "\x00", strings.Repeat("a", 3000)} {
		f.Add(s, "")
		f.Add(s, "accounts")
		f.Add(s, "statuses")
	}
	f.Fuzz(func(t *testing.T, q, typ string) {
		for _, v := range []string{"/api/v2/search", "/api/v1/search"} {
			query := url.Values{"q": {q}, "resolve": {"false"}}
			if typ != "" {
				query.Set("type", typ)
			}
			status, _, body := w.api(t, http.MethodGet, v+"?"+query.Encode(), "", "")
			if status == http.StatusNotFound && v == "/api/v1/search" {
				continue // Mastodon removed v1 search
			}
			if status != http.StatusOK {
				if status >= 400 && status < 500 {
					wantAPIError(t, v, status, body)
					continue
				}
				t.Fatalf("%s?%s: %d %s", v, query.Encode(), status, body)
			}
			var res struct {
				Accounts, Statuses, Hashtags []json.RawMessage
			}
			if err := json.Unmarshal([]byte(body), &res); err != nil || res.Accounts == nil || res.Statuses == nil || res.Hashtags == nil {
				t.Fatalf("%s?%s: not the three lists: %s", v, query.Encode(), body)
			}
		}
	})
}

// FuzzAlertForm: the web compose form publishes (303 to the alert) or
// shows the form again with errors (422) and publishes nothing; the
// published page shows the text escaped; never a 5xx.
func FuzzAlertForm(f *testing.F) {
	w := newFuzzWorld(f)
	good := []string{"org", "Ballot boxes moved", "Observers report **moved** boxes.", "severe", "likely", "vote-buying",
		"KE, UG", "", "General election", "2027-08-10", "CLEAR", "", "", "2099-08-10T18:00", "https://example.org/r Field report", "en"}
	add := func(vals []string) {
		f.Add(vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8], vals[9], vals[10], vals[11], vals[12], vals[13], vals[14], vals[15])
	}
	add(good)
	for i, v := range map[int]string{1: "", 2: "<script>alert(1)</script>[x](javascript:alert(1))", 3: "apocalyptic", 6: "XX",
		9: "someday", 10: "AMBER", 13: "yesterday", 14: "javascript:alert(1) evil", 15: "zz-ZZ-invalid", 0: "reader"} {
		vals := append([]string(nil), good...)
		vals[i] = v
		add(vals)
	}
	// newest is the id of the newest alert: a refused form must not change it.
	newest := func(t *testing.T) string {
		recs, _, err := w.s.Publish.ListAlerts(t.Context(), store.AlertFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return ""
		}
		return recs[0].Seq
	}
	f.Fuzz(func(t *testing.T, as, title, body, severity, confidence, category, countries, subdivisions, electionName,
		electionDate, tlpLevel, circle, recipients, expires, sources, language string) {
		for _, r := range strings.FieldsFunc(recipients+" "+circle, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			if strings.ContainsAny(r, "@:/.") {
				return // a remote recipient would be looked up over the network
			}
		}
		form := url.Values{"authenticity_token": {w.csrf}}
		for k, v := range map[string]string{"as": as, "title": title, "body": body, "severity": severity, "confidence": confidence,
			"category": category, "countries": countries, "subdivisions": subdivisions, "election_name": electionName,
			"election_date": electionDate, "tlp": tlpLevel, "circle": circle, "recipients": recipients, "expires": expires,
			"sources": sources, "language": language} {
			form.Set(k, v)
		}
		before := newest(t)
		status, hdr, page := w.form(t, "/compose/alert", form)
		switch status {
		case http.StatusSeeOther:
			loc := hdr.Get("Location")
			u, err := url.Parse(loc)
			if err != nil || (u.Host != "" && u.Host != w.domain) {
				t.Fatalf("published, then redirected off the instance: %q", loc)
			}
			st, _, alertPage := w.get(t, u.RequestURI(), "text/html")
			if st != http.StatusOK {
				t.Fatalf("published alert %s: %d", loc, st)
			}
			if strings.Contains(strings.ToLower(alertPage), "<script") || strings.Contains(alertPage, "javascript:alert") {
				t.Fatalf("alert page %s carries script from the form", loc)
			}
		case http.StatusUnprocessableEntity, http.StatusBadRequest, http.StatusForbidden:
			if strings.Contains(page, "<script>alert(1)") {
				t.Fatalf("error page echoes the input unescaped")
			}
			if after := newest(t); after != before {
				t.Fatalf("refused (%d) but alert %s was stored", status, after)
			}
		default:
			t.Fatalf("compose: %d %s", status, page)
		}
	})
}
