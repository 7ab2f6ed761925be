package handlers_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
)

// get fetches url with the given Accept header and returns status, content
// type and body.
func get(t *testing.T, u, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func decodeJSON(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return m
}

func loadFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, b)
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "?"
}

func TestActorDocumentMatchesMastodonShape(t *testing.T) {
	s := cluster.Start(t, 0)
	org := s.CreateAccount(t, "observers", "organization", "publisher")
	person := s.CreateAccount(t, "alice", "person", "member")
	mastodon := loadFixture(t, "actor-person-lemmy-asset.json")

	// The fields Mastodon's own actor carries that we promise too; each must
	// be present with the same JSON kind.
	promised := []string{"id", "type", "following", "followers", "inbox", "outbox",
		"preferredUsername", "name", "summary", "url", "manuallyApprovesFollowers",
		"discoverable", "published", "publicKey", "endpoints"}

	for _, tc := range []struct {
		username, wantType string
		manual             bool
	}{{org.Username, "Organization", true}, {person.Username, "Person", false}} {
		t.Run(tc.username, func(t *testing.T) {
			for _, accept := range []string{"application/activity+json",
				`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
				status, ctype, body := get(t, s.URL+"/users/"+tc.username, accept)
				if status != http.StatusOK || !strings.HasPrefix(ctype, "application/activity+json") {
					t.Fatalf("Accept %s: status %d, content type %q", accept, status, ctype)
				}
				doc := decodeJSON(t, body)
				for _, k := range promised {
					got, ok := doc[k]
					if !ok {
						t.Errorf("actor lacks %q, which Mastodon's carries", k)
						continue
					}
					if jsonKind(got) != jsonKind(mastodon[k]) {
						t.Errorf("%q is a %s, Mastodon's is a %s", k, jsonKind(got), jsonKind(mastodon[k]))
					}
				}
				actorID := s.URL + "/users/" + tc.username
				checks := map[string]any{
					"id": actorID, "type": tc.wantType, "preferredUsername": tc.username,
					"inbox": actorID + "/inbox", "outbox": actorID + "/outbox",
					"followers": actorID + "/followers", "following": actorID + "/following",
					"url": s.URL + "/@" + tc.username, "manuallyApprovesFollowers": tc.manual,
				}
				for k, want := range checks {
					if doc[k] != want {
						t.Errorf("%s = %v, want %v", k, doc[k], want)
					}
				}
				pk, _ := doc["publicKey"].(map[string]any)
				if pk["id"] != actorID+"#main-key" || pk["owner"] != actorID {
					t.Errorf("publicKey id/owner = %v/%v", pk["id"], pk["owner"])
				}
				pem, _ := pk["publicKeyPem"].(string)
				if _, err := signature.ParsePublicKeyPEM(pem); err != nil {
					t.Errorf("publicKeyPem does not parse: %v", err)
				}
				ep, _ := doc["endpoints"].(map[string]any)
				if ep["sharedInbox"] != s.URL+"/inbox" {
					t.Errorf("endpoints.sharedInbox = %v", ep["sharedInbox"])
				}
				ctx, _ := doc["@context"].([]any)
				if len(ctx) == 0 || ctx[0] != "https://www.w3.org/ns/activitystreams" {
					t.Errorf("@context = %v", doc["@context"])
				}
			}
		})
	}

	t.Run("html for browsers", func(t *testing.T) {
		status, ctype, body := get(t, s.URL+"/users/alice", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
		if status != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
			t.Fatalf("status %d, content type %q", status, ctype)
		}
		if !strings.Contains(string(body), "@alice@"+s.Domain) {
			t.Errorf("profile page does not show the handle:\n%s", body)
		}
	})

	t.Run("instance actor", func(t *testing.T) {
		status, _, body := get(t, s.URL+"/actor", "application/activity+json")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		doc := decodeJSON(t, body)
		if doc["type"] != "Application" || doc["id"] != s.URL+"/actor" || doc["preferredUsername"] != s.Domain {
			t.Errorf("instance actor = %v", doc)
		}
		pk, _ := doc["publicKey"].(map[string]any)
		if pk["owner"] != s.URL+"/actor" {
			t.Errorf("publicKey = %v", pk)
		}
	})
}

func TestWebFinger(t *testing.T) {
	s := cluster.Start(t, 0)
	s.CreateAccount(t, "observers", "organization", "publisher")
	mastodon := loadFixture(t, "webfinger-jrd.json")
	wf := func(resource string) (int, string, map[string]any) {
		status, ctype, body := get(t, s.URL+"/.well-known/webfinger?resource="+url.QueryEscape(resource), "")
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return status, ctype, m
	}
	actor := s.URL + "/users/observers"
	for _, resource := range []string{"acct:observers@" + s.Domain, "acct:OBSERVERS@" + s.Domain, actor, s.URL + "/@observers"} {
		status, ctype, doc := wf(resource)
		if status != http.StatusOK || ctype != "application/jrd+json; charset=utf-8" {
			t.Fatalf("%s: status %d, type %q", resource, status, ctype)
		}
		if doc["subject"] != "acct:observers@"+s.Domain {
			t.Errorf("%s: subject %v", resource, doc["subject"])
		}
		for k := range mastodon {
			if _, ok := doc[k]; !ok {
				t.Errorf("JRD lacks %q", k)
			}
		}
		var self, profile bool
		for _, l := range doc["links"].([]any) {
			link := l.(map[string]any)
			if link["rel"] == "self" && link["type"] == "application/activity+json" && link["href"] == actor {
				self = true
			}
			if link["rel"] == "http://webfinger.net/rel/profile-page" && link["href"] == s.URL+"/@observers" {
				profile = true
			}
		}
		if !self || !profile {
			t.Errorf("%s: links lack self or profile-page: %v", resource, doc["links"])
		}
	}
	status, _, doc := wf("acct:" + s.Domain + "@" + s.Domain)
	if status != http.StatusOK || !strings.Contains(jsonString(doc["links"]), s.URL+"/actor") {
		t.Errorf("instance actor webfinger: %d %v", status, doc)
	}

	for _, tc := range []struct {
		resource string
		status   int
	}{
		{"", http.StatusBadRequest},
		{"observers", http.StatusBadRequest},
		{"acct:", http.StatusBadRequest},
		{"acct:@" + s.Domain, http.StatusBadRequest},
		{"acct:observers@", http.StatusBadRequest},
		{"mailto:observers@" + s.Domain, http.StatusBadRequest},
		{"http://%zz", http.StatusBadRequest},
		{"acct:nobody@" + s.Domain, http.StatusNotFound},
		{"acct:observers@elsewhere.example", http.StatusNotFound},
		{"acct:../../etc@" + s.Domain, http.StatusNotFound},
		{s.URL + "/users/nobody", http.StatusNotFound},
		{"https://elsewhere.example/users/observers", http.StatusNotFound},
	} {
		status, ctype, doc := wf(tc.resource)
		if status != tc.status {
			t.Errorf("resource %q: status %d, want %d", tc.resource, status, tc.status)
		}
		if !strings.HasPrefix(ctype, "application/json") || doc["error"] == nil {
			t.Errorf("resource %q: error body %v (%s), want Mastodon's {\"error\": ...}", tc.resource, doc, ctype)
		}
	}
	resp, err := http.Get(s.URL + "/.well-known/webfinger?resource=acct:observers@" + s.Domain)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("webfinger lacks CORS header")
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestHostMeta(t *testing.T) {
	s := cluster.Start(t, 0)
	template := s.URL + "/.well-known/webfinger?resource={uri}"
	status, ctype, body := get(t, s.URL+"/.well-known/host-meta", "")
	if status != http.StatusOK || !strings.HasPrefix(ctype, "application/xrd+xml") {
		t.Fatalf("status %d type %q", status, ctype)
	}
	var x struct {
		Links []struct {
			Rel      string `xml:"rel,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal(body, &x); err != nil || len(x.Links) != 1 || x.Links[0].Rel != "lrdd" || x.Links[0].Template != template {
		t.Errorf("XRD = %+v (%v)\n%s", x, err, body)
	}
	for _, u := range []string{s.URL + "/.well-known/host-meta.json"} {
		status, _, body := get(t, u, "application/json")
		doc := decodeJSON(t, body)
		if status != http.StatusOK || !strings.Contains(jsonString(doc["links"]), `"template":"`+template+`"`) {
			t.Errorf("%s: %d %s", u, status, body)
		}
	}
	status, _, body = get(t, s.URL+"/.well-known/host-meta", "application/json")
	if status != http.StatusOK || !strings.Contains(string(body), "lrdd") {
		t.Errorf("host-meta with Accept json: %d %s", status, body)
	}
}

func TestNodeInfo(t *testing.T) {
	s := cluster.Start(t, 0, func(c *cluster.Config) {
		c.Instance.ContactAccount = "observers"
		c.Instance.ContactEmail = "ops@example.org"
	})
	s.CreateAccount(t, "observers", "organization", "publisher")
	s.CreateAccount(t, "alice", "person", "member")
	mastodon := loadFixture(t, "nodeinfo-2.0-mastodon.social.json")

	status, _, body := get(t, s.URL+"/.well-known/nodeinfo", "")
	if status != http.StatusOK {
		t.Fatalf("index status %d", status)
	}
	index := decodeJSON(t, body)
	links, _ := index["links"].([]any)
	if len(links) != 2 {
		t.Fatalf("index links = %v", index["links"])
	}
	for _, l := range links {
		href := l.(map[string]any)["href"].(string)
		status, ctype, body := get(t, href, "")
		if status != http.StatusOK || !strings.Contains(ctype, "profile=") {
			t.Fatalf("%s: %d %q", href, status, ctype)
		}
		doc := decodeJSON(t, body)
		for k := range mastodon {
			if _, ok := doc[k]; !ok {
				t.Errorf("%s lacks %q", href, k)
			}
		}
		sw := doc["software"].(map[string]any)
		if sw["name"] != "tocsin" || sw["version"] == "" {
			t.Errorf("software = %v", sw)
		}
		if jsonString(doc["protocols"]) != `["activitypub"]` {
			t.Errorf("protocols = %v", doc["protocols"])
		}
		users := doc["usage"].(map[string]any)["users"].(map[string]any)
		if users["total"] != float64(2) {
			t.Errorf("usage.users.total = %v, want 2", users["total"])
		}
		if doc["openRegistrations"] != false {
			t.Errorf("openRegistrations = %v", doc["openRegistrations"])
		}
		org := doc["metadata"].(map[string]any)["organization"].(map[string]any)
		if org["account"] != s.URL+"/users/observers" || org["contact"] != "ops@example.org" {
			t.Errorf("metadata.organization = %v", org)
		}
	}
	if status, _, _ := get(t, s.URL+"/nodeinfo/1.0", ""); status != http.StatusNotFound {
		t.Errorf("nodeinfo 1.0: status %d, want 404", status)
	}
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	s := cluster.Start(t, 0, func(c *cluster.Config) { c.HTTP.MaxBodyBytes, c.HTTP.MaxInboxBytes = 1024, 1024 })
	s.CreateAccount(t, "alice", "person", "member")

	status, _, body := get(t, s.URL+"/users/alice", "image/png")
	if status != http.StatusNotAcceptable || decodeJSON(t, body)["error"] == nil {
		t.Errorf("Accept image/png: %d %s", status, body)
	}
	status, _, body = get(t, s.URL+"/users/nobody", "application/activity+json")
	if status != http.StatusNotFound || decodeJSON(t, body)["error"] == nil {
		t.Errorf("unknown actor: %d %s", status, body)
	}
	// Browsers get an HTML 404 page; API clients get Mastodon's JSON error.
	status, ctype, body := get(t, s.URL+"/no/such/route", "text/html")
	if status != http.StatusNotFound || !strings.HasPrefix(ctype, "text/html") {
		t.Errorf("unknown page for a browser: %d %q %s", status, ctype, body)
	}
	status, ctype, body = get(t, s.URL+"/api/v1/no/such/route", "text/html")
	if status != http.StatusNotFound || !strings.HasPrefix(ctype, "application/json") {
		t.Errorf("unknown API route: %d %q %s", status, ctype, body)
	}

	resp, err := http.Post(s.URL+"/users/alice/inbox", "application/activity+json", strings.NewReader(strings.Repeat("x", 4096)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "error") {
		t.Errorf("oversized POST: %d %s", resp.StatusCode, b)
	}
}
