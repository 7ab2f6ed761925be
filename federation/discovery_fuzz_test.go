package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// Our discovery client (WebFinger for `peer add name@host`, NodeInfo for
// `peer add host`) reads documents a stranger's server writes. Under
// fuzzing, a real HTTP server on loopback answers with the fuzzed bytes and
// ResolveActor reads them through the guarded client.

// remoteDocs is a loopback server whose answers the fuzz function sets.
type remoteDocs struct {
	*httptest.Server
	mu        sync.Mutex
	webfinger []byte // /.well-known/webfinger
	index     []byte // /.well-known/nodeinfo
	nodeinfo  []byte // anything else
}

func newRemoteDocs(t testing.TB) *remoteDocs {
	d := &remoteDocs{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/webfinger":
			w.Header().Set("Content-Type", "application/jrd+json")
			_, _ = w.Write(d.webfinger)
		case "/.well-known/nodeinfo":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(d.index)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(d.nodeinfo)
		}
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *remoteDocs) set(webfinger, index, nodeinfo []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.webfinger, d.index, d.nodeinfo = webfinger, index, nodeinfo
}

// discoveryCore is a federation core allowed to reach loopback (the fuzz
// server) and nothing else: names are not resolved.
func discoveryCore(t testing.TB) *federation.Federation {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, _, _, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f, err := federation.New(db, federation.URLs{Base: fuzzBase}, key, federation.Options{
		AllowPrivate: true, AllowHTTP: true, Resolver: noDNS, FetchTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readFixtures(t testing.TB, names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("ap/testdata/fixtures", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// wantDiscoveryError checks a refusal is a coded error a person can read.
func wantDiscoveryError(t *testing.T, what string, err error) {
	t.Helper()
	var te *tocsin.Error
	if !errors.As(err, &te) || strings.TrimSpace(te.Message) == "" {
		t.Fatalf("%s: %T %v, want a *tocsin.Error with a message", what, err, err)
	}
	switch te.Code {
	case tocsin.ENOTFOUND, tocsin.EUNAVAILABLE, tocsin.EINVALID:
	default:
		t.Fatalf("%s: code %s (%v), want not found, unavailable or invalid", what, te.Code, err)
	}
}

// FuzzWebFingerClient: whatever a server answers to WebFinger, the actor
// we take from it is the href of a self link of an ActivityPub type in that
// answer, or the refusal is a coded error.
func FuzzWebFingerClient(f *testing.F) {
	for _, b := range readFixtures(f, "mastodon/webfinger-jrd.json", "gotosocial/webfinger-jrd.json",
		"gotosocial/webfinger-jrd-split-account-domain.json", "pleroma/webfinger-jrd.json",
		"peertube/webfinger-jrd-minimal.json", "hubzilla/webfinger-jrd-subject-without-domain-properties.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"links":[{"rel":"self","type":"application/activity+json"},{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"https://x.example/u"}]}`))
	f.Add([]byte(`{"links":null}`))
	f.Add([]byte(`{"LINKS":[{"REL":"self","TYPE":"application/activity+json","HREF":"https://x.example/u"}]}`))
	docs := newRemoteDocs(f)
	fed := discoveryCore(f)
	host := strings.TrimPrefix(docs.URL, "http://")
	f.Fuzz(func(t *testing.T, jrd []byte) {
		docs.set(jrd, nil, nil)
		actor, err := fed.ResolveActor(context.Background(), "alice@"+host)
		if err != nil {
			wantDiscoveryError(t, "ResolveActor", err)
			return
		}
		var doc struct {
			Links []struct{ Rel, Type, Href string } `json:"links"`
		}
		if json.Unmarshal(jrd, &doc) != nil {
			t.Fatalf("took %q from an answer that is not JSON: %q", actor, jrd)
		}
		for _, l := range doc.Links {
			if l.Rel == "self" && l.Href == actor && actor != "" &&
				(strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) {
				return
			}
		}
		t.Fatalf("took %q, which is no self link of an ActivityPub type in %s", actor, jrd)
	})
}

// FuzzNodeInfoClient: whatever a server's NodeInfo index and document say,
// the organisation account we take is the one the document names, on the
// document's own host, or the refusal is a coded error.
func FuzzNodeInfoClient(f *testing.F) {
	docs := newRemoteDocs(f)
	fed := discoveryCore(f)
	index := []byte(`{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"` + docs.URL + `/nodeinfo/2.0"}]}`)
	for _, b := range readFixtures(f, "mastodon/nodeinfo-2.0-mastodon.social.json", "lemmy/nodeinfo-2.0-no-services-no-metadata.json",
		"pleroma/nodeinfo-2.0-shitposter.club.json") {
		f.Add(index, b)
	}
	f.Add(index, []byte(`{"version":"2.1","software":{"name":"tocsin"},"metadata":{"organization":{"account":"`+docs.URL+`/users/org"}}}`))
	f.Add(index, []byte(`{"metadata":{"organization":{"account":"https://elsewhere.example/users/org"}}}`))
	f.Add([]byte(`{"links":[]}`), []byte(`{}`))
	f.Add([]byte(`{"links":[{"href":"/nodeinfo/2.0"}]}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, idx, doc []byte) {
		// The client fetches the last link of the index: the fuzz server
		// must be the only place it can go.
		var parsed struct {
			Links []struct{ Rel, Href string } `json:"links"`
		}
		if json.Unmarshal(idx, &parsed) == nil && len(parsed.Links) > 0 {
			u, err := url.Parse(parsed.Links[len(parsed.Links)-1].Href)
			if err == nil && u.Host != "" && u.Host != strings.TrimPrefix(docs.URL, "http://") {
				return
			}
		}
		docs.set(nil, idx, doc)
		account, err := fed.ResolveActor(context.Background(), docs.URL+"/")
		if err != nil {
			wantDiscoveryError(t, "ResolveActor", err)
			return
		}
		var ni struct {
			Metadata struct {
				Organization struct {
					Account string `json:"account"`
				} `json:"organization"`
			} `json:"metadata"`
		}
		if json.Unmarshal(doc, &ni) != nil || ni.Metadata.Organization.Account != account {
			t.Fatalf("took %q from a NodeInfo document that does not name it: %s", account, doc)
		}
		au, err := url.Parse(account)
		if err != nil || !strings.EqualFold(au.Host, strings.TrimPrefix(docs.URL, "http://")) {
			t.Fatalf("took %q, an account on another host than the NodeInfo document's", account)
		}
	})
}
