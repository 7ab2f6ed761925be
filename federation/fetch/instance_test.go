package fetch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/internal/cluster"
)

// A complete instance in its production setting (allow_private_addresses
// off) refuses what people can make it fetch: a search with resolve for a
// URL or a handle on a loopback host, and `peer add` of one. The service
// on loopback sees no connection. "localhost" is resolved from /etc/hosts,
// so nothing leaves the machine.
func TestInstanceInProductionSettingFetchesNothingPrivate(t *testing.T) {
	var accepts atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Listener = fetch.CountAccepts(ln, &accepts)
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	s := cluster.Start(t, 0, func(c *cluster.Config) { c.AllowPrivateAddresses = false })
	s.CreateAccount(t, "org", "organization", "publisher")
	s.CreateAccount(t, "alice", "person", "member")
	token := passwordToken(t, s.URL, "alice")

	for _, q := range []string{
		"http://localhost:" + port + "/notes/1",
		"http://127.0.0.1:" + port + "/users/bob",
		"http://[::ffff:127.0.0.1]:" + port + "/users/bob",
		"@bob@localhost:" + port,
		"bob@127.0.0.1:" + port,
	} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v2/search?"+url.Values{"q": {q}, "resolve": {"true"}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res struct{ Accounts, Statuses []json.RawMessage }
		if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &res) != nil || len(res.Accounts)+len(res.Statuses) != 0 {
			t.Errorf("search %q with resolve: %d %s, want 200 and nothing found", q, resp.StatusCode, b)
		}
	}
	for _, ref := range []string{"bob@localhost:" + port, "http://localhost:" + port + "/", "http://127.0.0.1:" + port + "/users/bob"} {
		args, _ := json.Marshal(control.PeerArgs{Ref: ref, As: "org"})
		_, err := s.Ops.Do(context.Background(), control.OpPeerAdd, args)
		var be *fetch.BlockedError
		if !errors.As(err, &be) {
			t.Errorf("peer add %s: err = %v, want the guard's refusal in the chain", ref, err)
		}
	}
	if n := accepts.Load(); n != 0 {
		t.Errorf("the loopback service accepted %d connections, want 0", n)
	}
}

// passwordToken registers an app and signs username in with the password
// grant, over HTTP.
func passwordToken(t *testing.T, base, username string) string {
	t.Helper()
	post := func(path string, v url.Values) map[string]any {
		resp, err := http.PostForm(base+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, m)
		}
		return m
	}
	app := post("/api/v1/apps", url.Values{"client_name": {"ssrf test"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write"}})
	tok := post("/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {app["client_id"].(string)},
		"client_secret": {app["client_secret"].(string)}, "username": {username}, "password": {cluster.Password}, "scope": {"read write"}})
	s, _ := tok["access_token"].(string)
	if s == "" {
		t.Fatal("no access token")
	}
	return s
}
