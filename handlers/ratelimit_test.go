package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
)

// get sends a GET with optional headers (name, value pairs).
func rlGet(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAPIRateLimitHeadersAnd429PerIPAndPerAccount(t *testing.T) {
	w := &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 0, func(c *cluster.Config) {
		c.Limits.APIPer5Min = 3
		c.Limits.APIPerAccountPer5Min = 4
		c.HTTP.TrustedProxies = []string{"127.0.0.0/8"}
	})}
	url := w.srv.URL + "/api/v1/instance"
	for i := range 3 {
		resp, _ := rlGet(t, url, "X-Forwarded-For", "203.0.113.7")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
		h := resp.Header
		if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != fmt.Sprint(2-i) {
			t.Errorf("request %d: limit %q remaining %q", i+1, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
		reset, err := time.Parse(time.RFC3339Nano, h.Get("X-RateLimit-Reset"))
		if err != nil || reset.Before(time.Now().Add(-time.Second)) || reset.After(time.Now().Add(5*time.Minute+time.Second)) {
			t.Errorf("X-RateLimit-Reset %q: %v", h.Get("X-RateLimit-Reset"), err)
		}
	}
	resp, body := rlGet(t, url, "X-Forwarded-For", "203.0.113.7")
	if resp.StatusCode != http.StatusTooManyRequests || strings.TrimSpace(body) != `{"error":"Too many requests"}` ||
		resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("4th request: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	// Another client is not affected.
	if resp, _ := rlGet(t, url, "X-Forwarded-For", "203.0.113.8"); resp.StatusCode != 200 {
		t.Errorf("other IP: %d", resp.StatusCode)
	}
	// X-Forwarded-For from an untrusted hop is not believed: the proxy
	// (127.0.0.1, trusted) says the client is 198.51.100.1, whatever the
	// client claimed before it.
	for range 3 {
		rlGet(t, url, "X-Forwarded-For", "203.0.113.9, 198.51.100.1")
	}
	if resp, _ := rlGet(t, url, "X-Forwarded-For", "203.0.113.10, 198.51.100.1"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("forged first hop escaped the limit: %d", resp.StatusCode)
	}

	// An authenticated account has its own bucket, whatever its IP.
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read", "urn:ietf:wg:oauth:2.0:oob")
	tok := w.token(app, "alice", "read")
	var last *http.Response
	for i := range 5 {
		last, _ = rlGet(t, w.srv.URL+"/api/v1/accounts/verify_credentials", "Authorization", "Bearer "+tok,
			"X-Forwarded-For", fmt.Sprintf("198.18.0.%d", i+1))
		if i < 4 && (last.StatusCode != 200 || last.Header.Get("X-RateLimit-Limit") != "4") {
			t.Fatalf("account request %d: %d limit %q", i+1, last.StatusCode, last.Header.Get("X-RateLimit-Limit"))
		}
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Errorf("5th account request: %d", last.StatusCode)
	}
}

func TestSignInLimitIsTighter(t *testing.T) {
	w := &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 0, func(c *cluster.Config) {
		c.Limits.SigninPerIPPer15Min = 2
		c.HTTP.TrustedProxies = []string{"127.0.0.1"}
	})}
	statuses := []int{}
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/oauth/token", strings.NewReader("grant_type=password&username=x&password=y"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.50")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode != http.StatusTooManyRequests && resp.Header.Get("X-RateLimit-Limit") != "2" {
			t.Errorf("sign-in limit header %q", resp.Header.Get("X-RateLimit-Limit"))
		}
	}
	if statuses[0] == http.StatusTooManyRequests || statuses[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want the third refused", statuses)
	}
}

// signedPost posts a signed Like from actor (a local account of from) to
// to's shared inbox. keyID overrides the signing key id ("" = the actor's).
func signedPost(t *testing.T, from *cluster.Server, name string, to *cluster.Server, n int, forgeKeyID string) int {
	t.Helper()
	acct, err := from.Accounts.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.ParsePrivateKeyPEM(acct.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	actor := from.URL + "/users/" + name
	keyID := actor + "#main-key"
	if forgeKeyID != "" {
		keyID = forgeKeyID
	}
	s, err := signature.NewSigner(keyID, key)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/likes/%d-%d","type":"Like","actor":"%s","object":"%s/users/org"}`,
		actor, n, time.Now().UnixNano(), actor, to.URL)
	req, _ := http.NewRequest(http.MethodPost, to.URL+"/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := s.Sign(req, body, false); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestInboxRateLimitSlowsOneDomainNotAnother(t *testing.T) {
	recv := cluster.Start(t, 0, func(c *cluster.Config) { c.Limits.InboxPerDomainPerMin = 3 })
	recv.CreateAccount(t, "org", "organization", "publisher")
	noisy := cluster.Start(t, 1)
	noisy.CreateAccount(t, "bot", "person", "member")
	quiet := cluster.Start(t, 2)
	quiet.CreateAccount(t, "obs", "person", "member")

	var got []int
	for i := range 5 {
		got = append(got, signedPost(t, noisy, "bot", recv, i, ""))
	}
	if fmt.Sprint(got) != "[202 202 202 429 429]" {
		t.Errorf("noisy domain: %v, want three accepted then 429", got)
	}
	// Forgeries naming the quiet domain's key do not spend its allowance.
	for i := range 4 {
		if st := signedPost(t, noisy, "bot", recv, 100+i, quiet.URL+"/users/obs#main-key"); st != http.StatusUnauthorized {
			t.Errorf("forgery: %d, want 401", st)
		}
	}
	got = nil
	for i := range 3 {
		got = append(got, signedPost(t, quiet, "obs", recv, i, ""))
	}
	if fmt.Sprint(got) != "[202 202 202]" {
		t.Errorf("quiet domain: %v, want all accepted", got)
	}
}
