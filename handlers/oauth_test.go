package handlers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	mastodon "github.com/mattn/go-mastodon"

	"github.com/tocsin-network/tocsin/handlers"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/oauth"
)

// Mastodon's exact bodies for bad tokens and scopes.
const (
	invalidTokenBody  = `{"error":"The access token is invalid"}`
	outsideScopesBody = `{"error":"This action is outside the authorized scopes"}`
)

// oauthWorld is one running instance and what the OAuth tests do with it
// over real HTTP.
type oauthWorld struct {
	t   *testing.T
	ctx context.Context
	srv *cluster.Server
}

func newOAuthWorld(t *testing.T) *oauthWorld {
	t.Helper()
	return &oauthWorld{t: t, ctx: context.Background(), srv: cluster.Start(t, 0)}
}

// response is a finished HTTP exchange. Every exchange fails the test on a
// 5xx: no bad input may crash a handler.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("not a JSON object (status %d): %v\n%s", r.status, err, r.body)
	}
	return m
}

// hidden returns the hidden fields of the page's form.
func (r response) hidden() url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(r.body, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

func (w *oauthWorld) do(c *http.Client, req *http.Request) response {
	w.t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode >= 500 {
		w.t.Errorf("%s %s: status %d\n%s", req.Method, req.URL, resp.StatusCode, body)
	}
	return response{resp.StatusCode, resp.Header, string(body), resp.Header.Get("Location")}
}

func (w *oauthWorld) request(method, path, contentType string, body []byte, header ...string) response {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return w.do(nil, req)
}

func (w *oauthWorld) postForm(path string, form url.Values, header ...string) response {
	w.t.Helper()
	return w.request(http.MethodPost, path, "application/x-www-form-urlencoded", []byte(form.Encode()), header...)
}

func (w *oauthWorld) postJSON(path string, v any) response {
	w.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.request(http.MethodPost, path, "application/json", b)
}

func (w *oauthWorld) getWithToken(base, path, token string) response {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return w.do(nil, req)
}

// registerApp registers an app with go-mastodon, as a client would.
func (w *oauthWorld) registerApp(scopes, redirectURIs string) *mastodon.Application {
	w.t.Helper()
	app, err := mastodon.RegisterApp(w.ctx, &mastodon.AppConfig{
		Server: w.srv.URL, ClientName: "Tocsin test client", Scopes: scopes,
		RedirectURIs: redirectURIs, Website: "https://client.example",
	})
	if err != nil {
		w.t.Fatalf("RegisterApp: %v", err)
	}
	if app.ClientID == "" || app.ClientSecret == "" {
		w.t.Fatalf("RegisterApp returned no credentials: %+v", app)
	}
	return app
}

// passwordToken gets a token for username with the password grant.
func (w *oauthWorld) passwordToken(app *mastodon.Application, username, scope string) map[string]any {
	w.t.Helper()
	r := w.postForm("/oauth/token", url.Values{
		"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {username}, "password": {cluster.Password}, "scope": {scope},
	})
	if r.status != http.StatusOK {
		w.t.Fatalf("password grant for %s: %d %s", username, r.status, r.body)
	}
	return r.json(w.t)
}

// browser is a person's browser: cookies kept, redirects followed within
// the instance, and stopped at the redirect back to the app.
type browser struct {
	w *oauthWorld
	c *http.Client
}

func (w *oauthWorld) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	host := strings.TrimPrefix(w.srv.URL, "http://")
	return &browser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

func (b *browser) get(pathAndQuery string) response {
	b.w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.w.srv.URL+pathAndQuery, nil)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return b.w.do(b.c, req)
}

func (b *browser) submit(form url.Values) response {
	b.w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.w.srv.URL+"/oauth/authorize", strings.NewReader(form.Encode()))
	if err != nil {
		b.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.w.do(b.c, req)
}

// signIn submits the sign-in page and returns the consent page.
func (b *browser) signIn(page response, login string) response {
	b.w.t.Helper()
	if !strings.Contains(page.body, `name="password"`) {
		b.w.t.Fatalf("not a sign-in page (status %d):\n%s", page.status, page.body)
	}
	form := page.hidden()
	form.Set("username", login)
	form.Set("password", cluster.Password)
	form.Set("action", "sign_in")
	consent := b.submit(form)
	if consent.status != http.StatusOK || !strings.Contains(consent.body, `value="approve"`) {
		b.w.t.Fatalf("sign-in did not lead to the consent page (status %d):\n%s", consent.status, consent.body)
	}
	return consent
}

// approve submits the consent page (with act_as when not "") and returns
// the code from the redirect to the app.
func (b *browser) approve(consent response, actAs string) (code string, callback *url.URL) {
	b.w.t.Helper()
	form := consent.hidden()
	form.Set("action", "approve")
	if actAs != "" {
		form.Set("act_as", actAs)
	}
	r := b.submit(form)
	if r.status != http.StatusFound {
		b.w.t.Fatalf("approval: status %d, want a redirect to the app:\n%s", r.status, r.body)
	}
	u, err := url.Parse(r.location)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return u.Query().Get("code"), u
}

func authorizePath(app *mastodon.Application, redirectURI string, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {redirectURI}}
	for k, v := range extra {
		q[k] = v
	}
	return "/oauth/authorize?" + q.Encode()
}

func pkcePair(t *testing.T) (verifier, challenge string) {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	verifier = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// protectedServer serves the instance's routes plus tiny test routes behind
// RequireScopes on its own loopback listener, over the same database.
func (w *oauthWorld) protectedServer() string {
	w.t.Helper()
	in := w.srv.Instance
	h := handlers.New(handlers.Deps{
		Config: in.Config, Accounts: in.Accounts, InstanceKey: in.InstanceKey, Federation: in.Federation,
		OAuth: oauth.NewService(in.DB, in.Accounts, oauth.Options{}), Logger: in.Log,
	})
	e := h.Handler().(*echo.Echo)
	whoami := func(c echo.Context) error {
		tok := handlers.CurrentToken(c)
		out := map[string]any{"scopes": tok.Scopes, "app": tok.App.Name}
		if tok.Account != nil {
			out["account"] = tok.Account.Username
		}
		if tok.ActAs != nil {
			out["act_as"] = tok.ActAs.Username
		}
		if a := tok.Actor(); a != nil {
			out["actor"] = a.Username
		}
		return c.JSON(http.StatusOK, out)
	}
	e.GET("/test/statuses", whoami, h.RequireScopes("read", "read:statuses"))
	e.GET("/test/follows", whoami, h.RequireScopes("read:follows"))
	e.GET("/test/admin", whoami, h.RequireScopes("admin:read:accounts"))
	e.GET("/test/user", whoami, h.RequireUser("read"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	hs := &http.Server{Handler: e}
	go hs.Serve(ln)
	w.t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

func TestGoMastodonRegistersSignsInWithPasswordAndRevokes(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read write follow push", "")

	for _, login := range []string{"alice", "alice@" + strings.Split(w.srv.Domain, ":")[0] + ".test"} {
		client := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := client.Authenticate(w.ctx, login, cluster.Password); err != nil {
			t.Fatalf("Authenticate as %q: %v", login, err)
		}
		v, err := client.VerifyAppCredentials(w.ctx)
		if err != nil || v.Name != "Tocsin test client" || v.Website != "https://client.example" {
			t.Fatalf("VerifyAppCredentials = %+v, %v", v, err)
		}
		r := w.postForm("/oauth/revoke", url.Values{
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {client.Config.AccessToken},
		})
		if r.status != http.StatusOK || strings.TrimSpace(r.body) != "{}" {
			t.Fatalf("revoke: %d %q, want 200 {}", r.status, r.body)
		}
		_, err = client.VerifyAppCredentials(w.ctx)
		var apiErr *mastodon.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token: %v, want 401", err)
		}
		r = w.getWithToken(w.srv.URL, "/api/v1/apps/verify_credentials", client.Config.AccessToken)
		if r.status != http.StatusUnauthorized || strings.TrimSpace(r.body) != invalidTokenBody {
			t.Errorf("revoked token: %d %s", r.status, r.body)
		}
	}
	if err := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret}).
		Authenticate(w.ctx, "alice", "not the password"); err == nil {
		t.Error("Authenticate with a wrong password succeeded")
	}

	// client_credentials with go-mastodon too: an app token.
	client := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
	if err := client.GetAppAccessToken(w.ctx, "urn:ietf:wg:oauth:2.0:oob"); err != nil {
		t.Fatalf("GetAppAccessToken: %v", err)
	}
	if v, err := client.VerifyAppCredentials(w.ctx); err != nil || v.Name != "Tocsin test client" {
		t.Errorf("app token VerifyAppCredentials = %+v, %v", v, err)
	}
}

func TestAuthorizationCodeFlowThroughTheSignInAndConsentPages(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	const callback = "https://client.example/callback"
	app := w.registerApp("read write follow", callback+"\nurn:ietf:wg:oauth:2.0:oob")
	b := w.browser()

	// Without PKCE, and the token from go-mastodon's AuthenticateToken.
	signIn := b.get(authorizePath(app, callback, url.Values{"scope": {"read write"}, "state": {"s-1"}}))
	if signIn.status != http.StatusOK || !strings.Contains(signIn.body, `<label for="username">`) ||
		!strings.Contains(signIn.body, `<label for="password">`) || signIn.hidden().Get("authenticity_token") == "" {
		t.Fatalf("sign-in page (status %d) lacks labels or a CSRF token:\n%s", signIn.status, signIn.body)
	}
	if csp := signIn.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("sign-in page CSP = %q", csp)
	}
	consent := b.signIn(signIn, "alice")
	if !strings.Contains(consent.body, "Tocsin test client") || strings.Contains(consent.body, `name="act_as"`) {
		t.Errorf("consent page for a member:\n%s", consent.body)
	}
	code, cb := b.approve(consent, "")
	if code == "" || cb.Query().Get("state") != "s-1" || !strings.HasPrefix(cb.String(), callback+"?") {
		t.Fatalf("callback = %s", cb)
	}
	client := mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
	if err := client.AuthenticateToken(w.ctx, code, callback); err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	if _, err := client.VerifyAppCredentials(w.ctx); err != nil {
		t.Errorf("token from the code: %v", err)
	}
	if err := client.AuthenticateToken(w.ctx, code, callback); err == nil {
		t.Error("a code was exchanged twice")
	}

	// With PKCE S256, through raw HTTP; signed in already, so straight to consent.
	exchange := func(code, verifier, redirectURI, secret string) response {
		return w.postForm("/oauth/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
			"client_id": {app.ClientID}, "client_secret": {secret}, "code_verifier": {verifier},
		})
	}
	pkceCode := func(verifier string) string {
		_, challenge := pkcePair(t)
		if verifier != "" {
			h := sha256.Sum256([]byte(verifier))
			challenge = base64.RawURLEncoding.EncodeToString(h[:])
		}
		consent := b.get(authorizePath(app, callback, url.Values{
			"scope": {"read"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}))
		code, _ := b.approve(consent, "")
		return code
	}
	verifier, _ := pkcePair(t)
	code = pkceCode(verifier)
	r := exchange(code, verifier, callback, app.ClientSecret)
	if r.status != http.StatusOK {
		t.Fatalf("PKCE exchange: %d %s", r.status, r.body)
	}
	tok := r.json(t)
	if tok["token_type"] != "Bearer" || tok["scope"] != "read" || tok["access_token"] == "" || tok["refresh_token"] == "" {
		t.Errorf("token response = %v", tok)
	}
	if _, ok := tok["created_at"].(float64); !ok {
		t.Errorf("created_at = %#v, want unix seconds", tok["created_at"])
	}
	if _, ok := tok["expires_in"]; ok {
		t.Errorf("token response has expires_in: Mastodon tokens do not expire")
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token response Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	wantOAuthError(t, exchange(code, verifier, callback, app.ClientSecret), http.StatusBadRequest, "invalid_grant", "reused code")
	otherVerifier, _ := pkcePair(t)
	wantOAuthError(t, exchange(pkceCode(verifier), otherVerifier, callback, app.ClientSecret), http.StatusBadRequest, "invalid_grant", "bad PKCE verifier")
	wantOAuthError(t, exchange(pkceCode(verifier), "", callback, app.ClientSecret), http.StatusBadRequest, "invalid_grant", "missing PKCE verifier")
	wantOAuthError(t, exchange(pkceCode(verifier), verifier, "https://evil.example/cb", app.ClientSecret), http.StatusBadRequest, "invalid_grant", "wrong redirect_uri at the token endpoint")
	wantOAuthError(t, exchange(pkceCode(verifier), verifier, callback, "wrong-secret"), http.StatusUnauthorized, "invalid_client", "wrong client secret")

	// A redirect URI that is not the app's is shown, never redirected to.
	bad := b.get(authorizePath(app, "https://evil.example/cb", nil))
	if bad.status != http.StatusBadRequest || bad.location != "" || !strings.Contains(bad.body, "redirect uri") {
		t.Errorf("unregistered redirect_uri: %d, Location %q\n%s", bad.status, bad.location, bad.body)
	}
	// Scope beyond the app's: back to the app with invalid_scope.
	bad = b.get(authorizePath(app, callback, url.Values{"scope": {"read push"}, "state": {"s-2"}}))
	if u, _ := url.Parse(bad.location); bad.status != http.StatusFound || u.Query().Get("error") != "invalid_scope" || u.Query().Get("state") != "s-2" {
		t.Errorf("scope beyond the app's: %d %s", bad.status, bad.location)
	}
	// Denying sends access_denied back.
	consent = b.get(authorizePath(app, callback, url.Values{"state": {"s-3"}}))
	form := consent.hidden()
	form.Set("action", "deny")
	denied := b.submit(form)
	if u, _ := url.Parse(denied.location); denied.status != http.StatusFound || u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "s-3" {
		t.Errorf("deny: %d %s", denied.status, denied.location)
	}

	// Out of band: the code is shown on a page.
	consent = b.get(authorizePath(app, "urn:ietf:wg:oauth:2.0:oob", nil))
	form = consent.hidden()
	form.Set("action", "approve")
	shown := b.submit(form)
	m := regexp.MustCompile(`id="code" value="([^"]+)"`).FindStringSubmatch(shown.body)
	if shown.status != http.StatusOK || m == nil || !strings.Contains(shown.body, `<label for="code">`) {
		t.Fatalf("out-of-band page (status %d):\n%s", shown.status, shown.body)
	}
	if r := exchange(m[1], "", "urn:ietf:wg:oauth:2.0:oob", app.ClientSecret); r.status != http.StatusOK {
		t.Errorf("exchanging the out-of-band code: %d %s", r.status, r.body)
	}
}

func wantOAuthError(t *testing.T, r response, status int, code, what string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
		return
	}
	body := r.json(t)
	if body["error"] != code || body["error_description"] == "" || len(body) != 2 {
		t.Errorf("%s: body %s, want {\"error\":%q,\"error_description\":...}", what, r.body, code)
	}
}

func TestForceLoginAndCSRFOnTheAuthorizationPage(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	w.srv.CreateAccount(t, "bob", "person", "member")
	const callback = "https://client.example/callback"
	app := w.registerApp("read", callback)
	b := w.browser()
	b.signIn(b.get(authorizePath(app, callback, nil)), "alice")

	for value, wantSignIn := range map[string]bool{"True": true, "true": true, "1": true, "0": false, "false": false} {
		page := b.get(authorizePath(app, callback, url.Values{"force_login": {value}}))
		if got := strings.Contains(page.body, `name="password"`); got != wantSignIn {
			t.Errorf("force_login=%s: sign-in form shown %v, want %v", value, got, wantSignIn)
		}
	}
	// Signing in again as someone else switches the account.
	consent := b.signIn(b.get(authorizePath(app, callback, url.Values{"force_login": {"True"}})), "bob")
	if !strings.Contains(consent.body, "@bob") {
		t.Errorf("after force_login the consent page is not bob's:\n%s", consent.body)
	}

	// A wrong password shows the form again, with the error announced.
	page := b.get(authorizePath(app, callback, url.Values{"force_login": {"1"}}))
	form := page.hidden()
	form.Set("username", "alice")
	form.Set("password", "wrong password here")
	form.Set("action", "sign_in")
	failed := b.submit(form)
	if failed.status != http.StatusUnprocessableEntity || !strings.Contains(failed.body, `role="alert"`) {
		t.Errorf("wrong password: %d\n%s", failed.status, failed.body)
	}

	// Forms without the CSRF token, or with another one, are refused.
	consent = b.get(authorizePath(app, callback, nil))
	for name, token := range map[string]string{"missing": "", "forged": "forged-token"} {
		form := consent.hidden()
		form.Set("action", "approve")
		form.Set("authenticity_token", token)
		if token == "" {
			form.Del("authenticity_token")
		}
		r := b.submit(form)
		if r.status != http.StatusForbidden || r.location != "" {
			t.Errorf("%s CSRF token: %d %s", name, r.status, r.location)
		}
	}
	// A cross-site POST from a browser that says so is refused outright.
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/oauth/authorize", strings.NewReader(consent.hidden().Encode()+"&action=approve"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := w.do(b.c, req); r.status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", r.status)
	}
}

func TestPublisherAuthorisesAsAGrantedOrganisationOnly(t *testing.T) {
	w := newOAuthWorld(t)
	org := w.srv.CreateAccount(t, "observers", "organization", "publisher")
	w.srv.CreateAccount(t, "alice", "person", "publisher")
	w.srv.CreateAccount(t, "bob", "person", "publisher")
	if err := w.srv.Accounts.Grant(w.ctx, "alice", "observers"); err != nil {
		t.Fatal(err)
	}
	const callback = "https://client.example/callback"
	app := w.registerApp("read write", callback)
	protected := w.protectedServer()
	exchange := func(code string) string {
		r := w.postForm("/oauth/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		})
		if r.status != http.StatusOK {
			t.Fatalf("exchange: %d %s", r.status, r.body)
		}
		return r.json(t)["access_token"].(string)
	}

	alice := w.browser()
	consent := alice.signIn(alice.get(authorizePath(app, callback, nil)), "alice")
	if !strings.Contains(consent.body, `<legend>Act as</legend>`) || !strings.Contains(consent.body, `value="`+org.ID+`"`) {
		t.Fatalf("alice's consent page offers no organisation:\n%s", consent.body)
	}
	code, _ := alice.approve(consent, org.ID)
	who := w.getWithToken(protected, "/test/statuses", exchange(code)).json(t)
	if who["account"] != "alice" || who["act_as"] != "observers" || who["actor"] != "observers" {
		t.Errorf("token acting for the organisation: %v", who)
	}
	// Choosing herself is the default.
	code, _ = alice.approve(alice.get(authorizePath(app, callback, nil)), "")
	who = w.getWithToken(protected, "/test/statuses", exchange(code)).json(t)
	if who["account"] != "alice" || who["act_as"] != nil || who["actor"] != "alice" {
		t.Errorf("token for herself: %v", who)
	}

	// Bob is not granted the organisation: no choice offered, a forged one refused.
	bob := w.browser()
	consent = bob.signIn(bob.get(authorizePath(app, callback, nil)), "bob")
	if strings.Contains(consent.body, `name="act_as"`) {
		t.Errorf("bob is offered organisations:\n%s", consent.body)
	}
	form := consent.hidden()
	form.Set("action", "approve")
	form.Set("act_as", org.ID)
	r := bob.submit(form)
	if r.status != http.StatusForbidden || r.location != "" || strings.Contains(r.body, "code=") {
		t.Errorf("forged act_as: %d Location %q", r.status, r.location)
	}
}

func TestBearerTokensScopesAndMastodonErrors(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	w.srv.CreateAccount(t, "root", "person", "admin")
	app := w.registerApp("read write follow admin:read", "")
	protected := w.protectedServer()

	check := func(what, path, token string, status int, body string) {
		t.Helper()
		r := w.getWithToken(protected, path, token)
		if r.status != status || (body != "" && strings.TrimSpace(r.body) != body) {
			t.Errorf("%s: %d %s, want %d %s", what, r.status, r.body, status, body)
		}
	}
	read := w.passwordToken(app, "alice", "read")["access_token"].(string)
	write := w.passwordToken(app, "alice", "write")["access_token"].(string)
	follow := w.passwordToken(app, "alice", "follow")["access_token"].(string)
	check("read token on read:statuses", "/test/statuses", read, http.StatusOK, "")
	check("write token on read:statuses", "/test/statuses", write, http.StatusForbidden, outsideScopesBody)
	check("follow token on read:follows", "/test/follows", follow, http.StatusOK, "")
	check("read token on read:follows", "/test/follows", read, http.StatusOK, "")
	check("no token", "/test/statuses", "", http.StatusUnauthorized, invalidTokenBody)
	check("unknown token", "/test/statuses", "not-a-token", http.StatusUnauthorized, invalidTokenBody)
	check("member's read token on an admin route", "/test/admin", read, http.StatusForbidden, outsideScopesBody)

	r := w.getWithToken(protected, "/test/statuses", "")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", r.header)
	}
	// The token may also come as access_token in the query.
	if r := w.getWithToken(protected, "/test/statuses?access_token="+url.QueryEscape(read), ""); r.status != http.StatusOK {
		t.Errorf("access_token query parameter: %d %s", r.status, r.body)
	}

	// Admin scopes: refused to a member, granted to an admin.
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{
		"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {"alice"}, "password": {cluster.Password}, "scope": {"read admin:read"},
	}), http.StatusBadRequest, "invalid_scope", "member asking for admin:read")
	admin := w.passwordToken(app, "root", "admin:read")["access_token"].(string)
	check("admin's admin:read token", "/test/admin", admin, http.StatusOK, "")

	// A token's scope must be within its app's.
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{
		"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {"alice"}, "password": {cluster.Password}, "scope": {"read push"},
	}), http.StatusBadRequest, "invalid_scope", "scope beyond the app's")

	// App tokens (client_credentials) work where a user is not needed.
	r = w.postForm("/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"},
	})
	if r.status != http.StatusOK || r.json(t)["refresh_token"] != nil {
		t.Fatalf("client_credentials: %d %s", r.status, r.body)
	}
	appToken := r.json(t)["access_token"].(string)
	who := w.getWithToken(protected, "/test/statuses", appToken).json(t)
	if who["account"] != nil || who["app"] != "Tocsin test client" {
		t.Errorf("app token: %v", who)
	}
	check("app token on a user-only route", "/test/user", appToken, http.StatusUnprocessableEntity,
		`{"error":"This method requires an authenticated user"}`)
	check("user token on a user-only route", "/test/user", read, http.StatusOK, "")
	v := w.getWithToken(w.srv.URL, "/api/v1/apps/verify_credentials", appToken).json(t)
	if v["name"] != "Tocsin test client" || v["client_secret"] != nil {
		t.Errorf("verify_credentials = %v", v)
	}
}

func TestRefreshTokenGrantRotatesTokens(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read write", "")
	first := w.passwordToken(app, "alice", "read write")
	r := w.postJSON("/oauth/token", map[string]any{
		"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "scope": "read",
	})
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	second := r.json(t)
	if second["access_token"] == first["access_token"] || second["refresh_token"] == first["refresh_token"] || second["scope"] != "read" {
		t.Errorf("refreshed = %v", second)
	}
	if r := w.getWithToken(w.srv.URL, "/api/v1/apps/verify_credentials", first["access_token"].(string)); r.status != http.StatusUnauthorized {
		t.Errorf("old access token after refresh: %d", r.status)
	}
	if r := w.getWithToken(w.srv.URL, "/api/v1/apps/verify_credentials", second["access_token"].(string)); r.status != http.StatusOK {
		t.Errorf("new access token: %d %s", r.status, r.body)
	}
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	}), http.StatusBadRequest, "invalid_grant", "reused refresh token")
}

func TestAppsAndTokenEndpointsTakeFormAndJSONBodies(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")

	// JSON, redirect_uris as an array.
	r := w.postJSON("/api/v1/apps", map[string]any{
		"client_name": "Elk", "redirect_uris": []string{"https://elk.example/cb", "https://elk.example/cb2"},
		"scopes": "read write push", "website": "https://elk.example",
	})
	if r.status != http.StatusOK {
		t.Fatalf("JSON app: %d %s", r.status, r.body)
	}
	app := r.json(t)
	for _, k := range []string{"id", "name", "website", "redirect_uri", "redirect_uris", "client_id", "client_secret", "vapid_key", "scopes"} {
		if _, ok := app[k]; !ok {
			t.Errorf("Application entity lacks %q: %s", k, r.body)
		}
	}
	if uris, _ := app["redirect_uris"].([]any); len(uris) != 2 || app["redirect_uri"] != "https://elk.example/cb\nhttps://elk.example/cb2" {
		t.Errorf("redirect URIs: %v / %q", app["redirect_uris"], app["redirect_uri"])
	}
	if scopes, _ := app["scopes"].([]any); len(scopes) != 3 {
		t.Errorf("scopes = %v", app["scopes"])
	}

	// Form-encoded, redirect_uris newline-separated, no scopes: read.
	r = w.postForm("/api/v1/apps", url.Values{"client_name": {"toot"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob\nhttps://toot.example/cb"}})
	if r.status != http.StatusOK {
		t.Fatalf("form app: %d %s", r.status, r.body)
	}
	form := r.json(t)
	if uris, _ := form["redirect_uris"].([]any); len(uris) != 2 || !slices.Equal(form["scopes"].([]any), []any{"read"}) || form["website"] != nil {
		t.Errorf("form app = %v", form)
	}

	// Bad parameters: 422 with Mastodon's "Validation failed" message.
	for name, body := range map[string]url.Values{
		"no name":       {"redirect_uris": {"https://x.example/cb"}},
		"no redirect":   {"client_name": {"x"}},
		"relative URI":  {"client_name": {"x"}, "redirect_uris": {"/cb"}},
		"unknown scope": {"client_name": {"x"}, "redirect_uris": {"https://x.example/cb"}, "scopes": {"read crypto"}},
	} {
		r := w.postForm("/api/v1/apps", body)
		if r.status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.json(t)["error"].(string), "Validation failed") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}

	// The token endpoint: JSON, form, and HTTP Basic client authentication.
	clientID, secret := app["client_id"].(string), app["client_secret"].(string)
	r = w.postJSON("/oauth/token", map[string]any{
		"grant_type": "password", "client_id": clientID, "client_secret": secret,
		"username": "alice", "password": cluster.Password, "scope": "read write",
	})
	if r.status != http.StatusOK || r.json(t)["scope"] != "read write" {
		t.Errorf("JSON password grant: %d %s", r.status, r.body)
	}
	r = w.postForm("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}},
		"Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret))))
	if r.status != http.StatusOK {
		t.Errorf("client_credentials with Basic auth: %d %s", r.status, r.body)
	}
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"nope"}}),
		http.StatusUnauthorized, "invalid_client", "wrong secret")
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{"grant_type": {"implicit"}, "client_id": {clientID}, "client_secret": {secret}}),
		http.StatusBadRequest, "unsupported_grant_type", "unknown grant type")
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{"client_id": {clientID}, "client_secret": {secret}}),
		http.StatusBadRequest, "invalid_request", "no grant type")
	wantOAuthError(t, w.request(http.MethodPost, "/oauth/token", "application/json", []byte(`{"grant_type":`)),
		http.StatusBadRequest, "invalid_request", "malformed JSON")
	wantOAuthError(t, w.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {secret}}),
		http.StatusBadRequest, "invalid_request", "code grant without a code")

	// Revocation refuses another client, and answers {} for unknown tokens.
	wantOAuthError(t, w.postForm("/oauth/revoke", url.Values{"client_id": {clientID}, "client_secret": {"nope"}, "token": {"x"}}),
		http.StatusForbidden, "unauthorized_client", "revoke with a wrong secret")
	if r := w.postJSON("/oauth/revoke", map[string]any{"client_id": clientID, "client_secret": secret, "token": "never-issued"}); r.status != http.StatusOK {
		t.Errorf("revoking an unknown token: %d %s", r.status, r.body)
	}

	// Nothing malformed is a 500 (w.do fails the test on any 5xx).
	for _, tc := range []struct{ method, path, ctype, body string }{
		{"POST", "/api/v1/apps", "application/json", `[1,2]`},
		{"POST", "/api/v1/apps", "application/json", `{"client_name":{"a":1},"redirect_uris":[[1]]}`},
		{"POST", "/api/v1/apps", "multipart/form-data; boundary=x", `--x--`},
		{"POST", "/api/v1/apps", "text/plain", `hello`},
		{"POST", "/oauth/token", "application/json", `null`},
		{"POST", "/oauth/token", "application/x-www-form-urlencoded", `%zz`},
		{"POST", "/oauth/revoke", "application/json", `"x"`},
		{"GET", "/oauth/authorize", "", ""},
		{"GET", "/oauth/authorize?client_id=nope&response_type=code", "", ""},
		{"POST", "/oauth/authorize", "application/x-www-form-urlencoded", `action=approve`},
		{"GET", "/api/v1/apps/verify_credentials", "", ""},
	} {
		r := w.request(tc.method, tc.path, tc.ctype, []byte(tc.body))
		if r.status < 400 {
			t.Errorf("%s %s %q: %d, want a 4xx", tc.method, tc.path, tc.body, r.status)
		}
	}
}

func TestAuthorizationServerMetadataAndCORS(t *testing.T) {
	w := newOAuthWorld(t)
	r := w.request(http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("metadata: %d %s", r.status, r.body)
	}
	m := r.json(t)
	base := w.srv.URL
	for k, want := range map[string]string{
		"issuer": base + "/", "authorization_endpoint": base + "/oauth/authorize", "token_endpoint": base + "/oauth/token",
		"revocation_endpoint": base + "/oauth/revoke", "app_registration_endpoint": base + "/api/v1/apps",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %s", k, m[k], want)
		}
	}
	has := func(k, v string) bool { l, _ := m[k].([]any); return slices.Contains(l, any(v)) }
	for _, kv := range [][2]string{
		{"code_challenge_methods_supported", "S256"}, {"response_types_supported", "code"},
		{"grant_types_supported", "authorization_code"}, {"grant_types_supported", "client_credentials"},
		{"grant_types_supported", "password"}, {"grant_types_supported", "refresh_token"},
		{"scopes_supported", "read:statuses"}, {"scopes_supported", "admin:write:domain_blocks"}, {"scopes_supported", "profile"},
		{"token_endpoint_auth_methods_supported", "client_secret_post"}, {"token_endpoint_auth_methods_supported", "client_secret_basic"},
	} {
		if !has(kv[0], kv[1]) {
			t.Errorf("%s lacks %s: %v", kv[0], kv[1], m[kv[0]])
		}
	}
	if has("code_challenge_methods_supported", "plain") {
		t.Error("plain PKCE advertised")
	}

	// Browser apps call the token endpoint from their own origin.
	r = w.request(http.MethodOptions, "/oauth/token", "", nil,
		"Origin", "https://elk.zone", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS preflight: %d %v", r.status, r.header)
	}
}

func TestTokensAndSecretsAreStoredHashed(t *testing.T) {
	w := newOAuthWorld(t)
	w.srv.CreateAccount(t, "alice", "person", "member")
	app := w.registerApp("read", "")
	tok := w.passwordToken(app, "alice", "read")
	secrets := []string{app.ClientSecret, tok["access_token"].(string), tok["refresh_token"].(string)}
	path := w.srv.Config.DatabasePath()
	w.srv.Stop(t)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if len(s) < 40 || bytes.Contains(raw, []byte(s)) {
			t.Errorf("secret %q is in the database file", s)
		}
	}
}
