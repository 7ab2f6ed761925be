package instance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/control"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/instance"
	"github.com/tocsin-network/tocsin/store"
)

// logBuffer collects an instance's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type loggedInstance struct {
	*instance.Instance
	URL, Domain, Socket string
}

// startLogged runs a complete instance on ip, as operators run it, with a
// JSON log at debug level written to logs.
func startLogged(t *testing.T, ip string, logs *logBuffer) *loggedInstance {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	cfg := config.Default()
	cfg.Domain = ln.Addr().String()
	cfg.Scheme = "http"
	cfg.Listen = cfg.Domain
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.AllowPrivateAddresses = true
	cfg.AllowHTTP = true
	cfg.Instance.Name = "Secrets test " + ip
	cfg.Federation.FetchTimeout = 5 * time.Second
	sockDir, err := os.MkdirTemp("", "tocsin-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	cfg.Admin.Socket = filepath.Join(sockDir, "admin.sock")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("instance", ip)
	ctx, cancel := context.WithCancel(context.Background())
	in, err := instance.Open(ctx, &cfg, instance.Options{Logger: log, HashCost: bcrypt.MinCost,
		DeliveryBackoff: func(attempt int) time.Duration { return time.Duration(attempt) * 100 * time.Millisecond }})
	if err != nil {
		cancel()
		t.Fatalf("open instance: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- in.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("instance %s stopped with error: %v", ip, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("instance %s did not stop", ip)
		}
	})
	li := &loggedInstance{Instance: in, URL: cfg.BaseURL(), Domain: cfg.Domain, Socket: cfg.AdminSocketPath()}
	eventually(t, "instance ready", func() bool {
		resp, err := http.Get(li.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return li
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting: %s", what)
}

// op runs a management operation over the instance's admin socket, as the
// tocsin command does.
func (li *loggedInstance) op(t *testing.T, name string, args, out any) {
	t.Helper()
	ctx := context.Background()
	c, err := control.Dial(ctx, li.Socket)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx, name, args, out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// secrets is what must never reach a log line or the audit log.
type secrets struct {
	t    *testing.T
	vals map[string]string // value -> what it is
}

func (s *secrets) add(what, v string) string {
	s.t.Helper()
	if len(v) < 8 {
		s.t.Fatalf("secret %s is %q: too short to look for", what, v)
	}
	s.vals[v] = what
	return v
}

// addPEM adds a private key PEM: whole, and each line of its base64 body
// (a log that wrapped or escaped it would still hold those).
func (s *secrets) addPEM(what, pem string) {
	s.t.Helper()
	s.add(what, pem)
	for i, line := range strings.Split(strings.TrimSpace(pem), "\n") {
		if !strings.HasPrefix(line, "-----") && len(line) >= 32 {
			s.add(fmt.Sprintf("%s line %d", what, i), line)
		}
	}
}

// client is a person's HTTP client: cookies kept, redirects not followed.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("not JSON (status %d): %s", r.status, r.body)
	}
	return m
}

func (c *client) do(method, path string, body io.Reader, header ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// peek opens a stream (server-sent events, a websocket) and closes it once
// the answer's headers arrive.
func (c *client) peek(path string, header ...string) int {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (c *client) form(path string, v url.Values, header ...string) reply {
	c.t.Helper()
	return c.do(http.MethodPost, path, strings.NewReader(v.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

var hiddenInput = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
var attrRE = regexp.MustCompile(`(name|value)="([^"]*)"`)

// hidden reads the hidden inputs of a page.
func hidden(body string) url.Values {
	v := url.Values{}
	for _, in := range hiddenInput.FindAllString(body, -1) {
		var name, value string
		for _, m := range attrRE.FindAllStringSubmatch(in, -1) {
			if m[1] == "name" {
				name = m[2]
			} else {
				value = strings.ReplaceAll(m[2], "&#43;", "+")
			}
		}
		if name != "" {
			v.Set(name, value)
		}
	}
	return v
}

// Nothing secret reaches the logs or the audit log: two real instances,
// logging JSON at debug level, go through account creation with passwords
// over the admin socket, password resets, web sign-in (failed and good) and
// a CSRF-protected compose form, OAuth app registration and the password,
// authorization-code and refresh grants (form bodies, JSON bodies and, as
// some clients do, query strings), tokens used in headers and in queries,
// failed logins and bad tokens, token revocation, peering with signed
// fetches and deliveries, and a signed inbox POST with a forged body.
func TestSecretsNeverInLogs(t *testing.T) {
	var logs logBuffer
	a := startLogged(t, "127.0.0.40", &logs)
	b := startLogged(t, "127.0.0.41", &logs)
	ctx := context.Background()
	sec := &secrets{t: t, vals: map[string]string{}}

	// Accounts with passwords, through the admin socket (as `tocsin account create`).
	orgPW := sec.add("org password", "pw-org-Ochre-4471-vellum")
	edPW := sec.add("editor's first password", "pw-ed-Zebra-7781-quartz")
	edPW2 := sec.add("editor's reset password", "pw-ed2-Heron-3302-slate")
	bOrgPW := sec.add("peer org password", "pw-borg-Lynx-9120-amber")
	var view control.AccountView
	a.op(t, control.OpAccountCreate, account.CreateInput{Username: "org", Kind: "organization", Role: "publisher", Password: orgPW}, &view)
	a.op(t, control.OpAccountCreate, account.CreateInput{Username: "editor", Kind: "person", Role: "publisher", Password: edPW, Email: "ed@example.org"}, &view)
	a.op(t, control.OpAccountPassword, control.PasswordArgs{Username: "editor", Password: edPW2}, nil)
	a.op(t, control.OpAccountGrant, control.GrantArgs{Publisher: "editor", Organization: "org"}, nil)
	b.op(t, control.OpAccountCreate, account.CreateInput{Username: "borg", Kind: "organization", Role: "publisher", Password: bOrgPW}, &view)

	// Web sign-in: a wrong password, then the right one; then a form.
	web := newClient(t, a.URL)
	page := web.do(http.MethodGet, "/signin", nil)
	csrf := hidden(page.body).Get("authenticity_token")
	sec.add("web CSRF token", csrf)
	sec.add("web CSRF cookie", web.cookie("tocsin_web_csrf"))
	wrongPW := sec.add("a wrong password", "pw-WRONG-Basalt-5520-x")
	if r := web.form("/signin", url.Values{"authenticity_token": {csrf}, "login": {"editor"}, "password": {wrongPW}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("sign-in with a wrong password: %d", r.status)
	}
	if r := web.form("/signin", url.Values{"authenticity_token": {csrf}, "login": {"editor"}, "password": {edPW2}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	sec.add("web session cookie", web.cookie("tocsin_session"))
	compose := web.do(http.MethodGet, "/compose/alert", nil)
	form := hidden(compose.body)
	for k, v := range map[string]string{"as": "org", "title": "Ballot boxes moved at night", "body": "Observers report **moved** ballot boxes.",
		"severity": "severe", "confidence": "likely", "category": "vote-buying", "countries": "KE", "tlp": "CLEAR", "language": "en",
		"sources": "https://example.org/r Field report", "expires": "2099-08-10T18:00", "election_date": "2027-08-10", "election_name": "General election"} {
		form.Set(k, v)
	}
	if r := web.form("/compose/alert", form); r.status != http.StatusSeeOther {
		t.Fatalf("compose alert: %d %s", r.status, r.body)
	}

	// OAuth: an app, then every grant.
	api := newClient(t, a.URL)
	app := api.form("/api/v1/apps", url.Values{"client_name": {"Secrets client"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write follow"}}).json(t)
	clientID, _ := app["client_id"].(string)
	clientSecret := sec.add("client secret", fmt.Sprint(app["client_secret"]))
	token := func(r reply, what string) (access, refresh string) {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		m := r.json(t)
		access = sec.add(what+" access token", fmt.Sprint(m["access_token"]))
		if rt, ok := m["refresh_token"].(string); ok {
			refresh = sec.add(what+" refresh token", rt)
		}
		return access, refresh
	}
	pwGrant := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret},
		"username": {"editor"}, "password": {edPW2}, "scope": {"read write"}}
	_, refresh1 := token(api.form("/oauth/token", pwGrant), "password grant (form)")
	jsonBody, _ := json.Marshal(map[string]string{"grant_type": "password", "client_id": clientID, "client_secret": clientSecret,
		"username": "editor", "password": edPW2, "scope": "read"})
	accessJSON, _ := token(api.do(http.MethodPost, "/oauth/token", bytes.NewReader(jsonBody), "Content-Type", "application/json"), "password grant (JSON)")
	token(api.do(http.MethodPost, "/oauth/token?"+pwGrant.Encode(), nil), "password grant (query)")
	bad := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {clientSecret}, "username": {"editor"}, "password": {wrongPW}}
	if r := api.do(http.MethodPost, "/oauth/token?"+bad.Encode(), nil); r.status == http.StatusOK {
		t.Fatal("a wrong password got a token")
	}
	wrongSecret := sec.add("a wrong client secret", "cs-WRONG-2288-tundra-secret")
	if r := api.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {wrongSecret}}); r.status == http.StatusOK {
		t.Fatal("a wrong client secret got a token")
	}
	// Authorization code, out of band, through the signed-in browser.
	consent := web.do(http.MethodGet, "/oauth/authorize?"+url.Values{"response_type": {"code"}, "client_id": {clientID},
		"redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "scope": {"read write"}, "state": {"st-1"}}.Encode(), nil)
	cf := hidden(consent.body)
	if cf.Get("authenticity_token") == "" || !strings.Contains(consent.body, `name="password"`) {
		t.Fatalf("OAuth sign-in page (status %d) has no CSRF token or password field:\n%s", consent.status, consent.body)
	}
	sec.add("OAuth page CSRF token", cf.Get("authenticity_token"))
	cf.Set("username", "editor")
	cf.Set("password", wrongPW)
	cf.Set("action", "sign_in")
	web.form("/oauth/authorize", cf) // a failed sign-in first
	cf.Set("password", edPW2)
	consent = web.form("/oauth/authorize", cf)
	if consent.status == http.StatusSeeOther || consent.status == http.StatusFound {
		consent = web.do(http.MethodGet, strings.TrimPrefix(consent.header.Get("Location"), a.URL), nil)
	}
	if !strings.Contains(consent.body, `value="approve"`) {
		t.Fatalf("OAuth sign-in did not lead to the consent page (status %d):\n%s", consent.status, consent.body)
	}
	cf = hidden(consent.body)
	cf.Set("action", "approve")
	shown := web.form("/oauth/authorize", cf)
	m := regexp.MustCompile(`id="code" value="([^"]+)"`).FindStringSubmatch(shown.body)
	if m == nil {
		t.Fatalf("out-of-band code page (status %d):\n%s", shown.status, shown.body)
	}
	code := sec.add("authorization code", m[1])
	_, refresh2 := token(api.form("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "client_id": {clientID}, "client_secret": {clientSecret}}), "code grant")
	// A used code again, in the query: refused, still not logged.
	api.do(http.MethodPost, "/oauth/token?"+url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "client_id": {clientID}, "client_secret": {clientSecret}}.Encode(), nil)
	access2, _ := token(api.do(http.MethodPost, "/oauth/token?"+url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2},
		"client_id": {clientID}, "client_secret": {clientSecret}}.Encode(), nil), "refresh grant (query)")
	token(api.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1},
		"client_id": {clientID}, "client_secret": {clientSecret}}), "refresh grant (form)")

	// Tokens in use: header, query, streaming; a bad token; revocation.
	if r := api.do(http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "Authorization", "Bearer "+access2); r.status != http.StatusOK {
		t.Fatalf("verify_credentials: %d %s", r.status, r.body)
	}
	api.do(http.MethodGet, "/api/v1/timelines/home?limit=5&access_token="+url.QueryEscape(access2), nil)
	api.peek("/api/v1/streaming/user?access_token=" + url.QueryEscape(access2))
	api.peek("/api/v1/streaming?stream=user&access_token="+url.QueryEscape(access2),
		"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	badToken := sec.add("a bad token", "tok-BOGUS-6611-marsh-notatoken")
	api.do(http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "Authorization", "Bearer "+badToken)
	api.do(http.MethodGet, "/api/v1/timelines/home?access_token="+badToken, nil)
	api.form("/oauth/revoke", url.Values{"token": {accessJSON}, "client_id": {clientID}, "client_secret": {clientSecret}})

	// Federation: A's organisation peers with B's (signed fetches of B's
	// actor, a signed Follow, B's signed Accept), then B publishes and
	// delivers to A.
	var peer json.RawMessage
	a.op(t, control.OpPeerAdd, control.PeerArgs{Ref: "borg@" + b.Domain, As: "org", Trust: "trusted"}, &peer)
	b.op(t, control.OpPeerAdd, control.PeerArgs{Ref: a.URL + "/users/org", As: "borg", Trust: "trusted"}, &peer)
	settle(t, a, b)
	var alert json.RawMessage
	b.op(t, control.OpAlertCreate, map[string]any{"as": "borg", "title": "Polling station closed early", "body": "Reported by two observers.",
		"severity": "moderate", "confidence": "likely", "category": "vote-buying", "countries": []string{"KE"}, "tlp": "CLEAR", "language": "en"}, &alert)
	settle(t, a, b)
	// A signed POST from B's organisation, and the same with a forged body.
	borg, err := b.DB.AccountByUsername(ctx, "borg")
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.ParsePrivateKeyPEM(borg.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	actor := b.URL + "/users/borg"
	signer, err := signature.NewSigner(actor+"#main-key", key)
	if err != nil {
		t.Fatal(err)
	}
	for i, forge := range []bool{false, true} {
		body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/likes/%d","type":"Like","actor":"%s","object":"%s/users/org"}`, actor, i, actor, a.URL))
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := signer.Sign(req, body, false); err != nil {
			t.Fatal(err)
		}
		sig := req.Header.Get("Signature")
		sec.add("Signature header", sig[strings.Index(sig, `signature="`):])
		if forge {
			req.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("Like"), []byte("Flag"), 1)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if forge != (resp.StatusCode >= 400) {
			t.Errorf("signed POST (forged=%v): %d", forge, resp.StatusCode)
		}
	}
	settle(t, a, b)

	// Key material of both instances and of the accounts that signed.
	sec.addPEM("A's instance key", a.InstanceKey.PrivateKeyPEM)
	sec.addPEM("B's instance key", b.InstanceKey.PrivateKeyPEM)
	sec.addPEM("B's organisation key", borg.PrivateKeyPEM)
	org, err := a.DB.AccountByUsername(ctx, "org")
	if err != nil {
		t.Fatal(err)
	}
	sec.addPEM("A's organisation key", org.PrivateKeyPEM)
	// The Ed25519 proof-signing keys (multibase text) are secrets too.
	sec.add("A's organisation proof key", org.Ed25519Key)
	sec.add("B's organisation proof key", borg.Ed25519Key)

	// The logs said something about all of that, at debug level.
	all := logs.String()
	for _, want := range []string{`"level":"DEBUG"`, `"msg":"request"`, `/oauth/token`, `/inbox`, `/signin`, `"msg":"account created"`} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %s: the test did not capture what it should", want)
		}
	}
	for _, ip := range []string{"127.0.0.40", "127.0.0.41"} {
		accepted := regexp.MustCompile(`"instance":"` + regexp.QuoteMeta(ip) + `","method":"POST","uri":"[^"]*inbox","status":202`)
		if n := len(accepted.FindAllString(all, -1)); n < 2 {
			t.Errorf("%s accepted %d signed inbox POSTs, want at least 2: the instances did not federate", ip, n)
		}
	}
	var audit bytes.Buffer
	for _, in := range []*loggedInstance{a, b} {
		entries, err := in.DB.AuditLog(ctx, store.AuditFilter{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			t.Errorf("%s: empty audit log", in.Domain)
		}
		_ = json.NewEncoder(&audit).Encode(entries)
	}
	for _, want := range []string{"account.create", "account.password", "oauth."} {
		if !strings.Contains(audit.String(), want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	for where, text := range map[string]string{"logs": all, "audit log": audit.String()} {
		for v, what := range sec.vals {
			for _, form := range []string{v, url.QueryEscape(v), jsonEscaped(v)} {
				if i := strings.Index(text, form); i >= 0 {
					t.Errorf("%s hold the %s: ...%s...", where, what, excerpt(text, i))
					break
				}
			}
		}
		for _, pat := range []string{"PRIVATE KEY", `signature=\"`, "Bearer ", "tocsin_session="} {
			if i := strings.Index(text, pat); i >= 0 {
				t.Errorf("%s hold %q: ...%s...", where, pat, excerpt(text, i))
			}
		}
	}
	if os.Getenv("SHOWLOGS") != "" || (t.Failed() && testing.Verbose()) {
		t.Logf("logs:\n%s", all)
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func excerpt(s string, i int) string {
	return s[max(0, i-120):min(len(s), i+80)]
}

func settle(t *testing.T, ins ...*loggedInstance) {
	t.Helper()
	quiet := 0
	eventually(t, "instances settled", func() bool {
		for _, in := range ins {
			if !in.Federation.Settled(context.Background()) {
				quiet = 0
				return false
			}
		}
		quiet++
		return quiet >= 2
	})
}
