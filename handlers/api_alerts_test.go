package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// apiCall sends a JSON request with a bearer token.
func (w *oauthWorld) apiCall(method, path, token string, body any) response {
	w.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.do(nil, req)
}

func listIDs(t *testing.T, r response) []string {
	t.Helper()
	var list []struct {
		ID  string `json:"id"`
		TLP string `json:"tlp"`
	}
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatalf("not a list (%d): %s", r.status, r.body)
	}
	var ids []string
	for _, a := range list {
		ids = append(ids, a.TLP)
	}
	return ids
}

func TestAlertAPIPublishesAndAppliesTLPToEveryReader(t *testing.T) {
	w := newOAuthWorld(t)
	s := w.srv
	s.CreateAccount(t, "observers", "organization", "publisher")
	s.CreateAccount(t, "editor", "person", "publisher")
	s.CreateAccount(t, "member", "person", "member")
	if err := s.Accounts.Grant(w.ctx, "editor", "observers"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish.SetCircle(w.ctx, "self", []string{"observers@" + s.Domain}); err != nil {
		t.Fatal(err)
	}
	app := w.registerApp("read write", "urn:ietf:wg:oauth:2.0:oob")
	editor := w.passwordToken(app, "editor", "read write")["access_token"].(string)
	member := w.passwordToken(app, "member", "read write")["access_token"].(string)

	ids := map[string]string{}
	for _, level := range []string{"CLEAR", "GREEN", "AMBER"} {
		in := map[string]any{
			"as": "observers", "title": "Kenya: " + level + " alert", "body": "Details.", "severity": "severe",
			"category": "disinformation", "countries": []string{"KE"}, "tlp": level,
		}
		if level == "AMBER" {
			in["circle"] = "self"
		}
		r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, in)
		if r.status != http.StatusOK {
			t.Fatalf("create %s: %d %s", level, r.status, r.body)
		}
		m := r.json(t)
		if m["tlp"] != level || m["local"] != true || !strings.HasPrefix(m["uri"].(string), s.URL+"/users/observers/statuses/") {
			t.Errorf("created %s: %v", level, m)
		}
		ids[level] = m["id"].(string)
	}

	for _, tc := range []struct {
		who, token string
		want       string
	}{{"anyone", "", "CLEAR"}, {"member", member, "GREEN,CLEAR"}, {"editor", editor, "AMBER,GREEN,CLEAR"}} {
		r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts?country=ke", tc.token, nil)
		if got := strings.Join(listIDs(t, r), ","); got != tc.want {
			t.Errorf("%s lists %s, want %s", tc.who, got, tc.want)
		}
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+ids["GREEN"], "", nil); r.status != http.StatusNotFound {
		t.Errorf("anonymous GET of a GREEN alert: %d", r.status)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+ids["AMBER"], member, nil); r.status != http.StatusNotFound {
		t.Errorf("member GET of an AMBER alert: %d", r.status)
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts/"+ids["AMBER"], editor, nil); r.status != http.StatusOK {
		t.Errorf("editor GET of an AMBER alert: %d %s", r.status, r.body)
	}

	// Pagination: one per page, a Link to the next.
	r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts?limit=1", editor, nil)
	if link := r.header.Get("Link"); !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "max_id=") {
		t.Errorf("Link header: %q", link)
	}

	// Lifecycle through the API.
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts/"+ids["CLEAR"]+"/resolve", editor, map[string]any{"as": "observers"})
	if r.status != http.StatusOK || r.json(t)["status"] != "resolved" {
		t.Errorf("resolve: %d %s", r.status, r.body)
	}
	r = w.apiCall(http.MethodPut, "/api/v1/tocsin/alerts/"+ids["GREEN"], editor, map[string]any{
		"as": "observers", "title": "Kenya: GREEN alert, corrected", "body": "Details.", "severity": "moderate",
		"category": "disinformation", "countries": []string{"KE"}, "tlp": "GREEN",
	})
	if m := r.json(t); r.status != http.StatusOK || m["title"] != "Kenya: GREEN alert, corrected" || len(m["revisions"].([]any)) != 1 {
		t.Errorf("update: %d %s", r.status, r.body)
	}

	// Refusals, each with Mastodon's error shape.
	good := map[string]any{"as": "observers", "title": "t", "body": "b", "severity": "minor", "category": "other", "countries": []string{"KE"}, "tlp": "CLEAR"}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", "", good); r.status != http.StatusUnauthorized || r.json(t)["error"] != "The access token is invalid" {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", member, good); r.status != http.StatusForbidden {
		t.Errorf("member publishing as the organisation: %d %s", r.status, r.body)
	}
	readOnly := w.passwordToken(app, "editor", "read")["access_token"].(string)
	if r := w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", readOnly, good); r.status != http.StatusForbidden {
		t.Errorf("read-only token: %d %s", r.status, r.body)
	}
	r = w.apiCall(http.MethodPost, "/api/v1/tocsin/alerts", editor, map[string]any{
		"as": "observers", "title": "", "severity": "apocalyptic", "category": "gossip", "countries": []string{"XX"}, "tlp": "purple", "expires": "soon",
	})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid alert: %d %s", r.status, r.body)
	}
	for _, field := range []string{`"title"`, `"body"`, `"severity"`, `"category"`, `"countries[0]"`, `"tlp"`, `"expires"`} {
		if !strings.Contains(r.body, field) {
			t.Errorf("error body lacks %s: %s", field, r.body)
		}
	}
	if r := w.apiCall(http.MethodGet, "/api/v1/tocsin/alerts?origin=mars&limit=900", "", nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad filters: %d %s", r.status, r.body)
	}
}
