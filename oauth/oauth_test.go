package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/store"
)

const testPassword = "correct horse battery staple"

// world is one real store with accounts and an OAuth service over it.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	accounts *account.Service
	svc      *Service

	mu     sync.Mutex
	audits []AuditEvent
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "tocsin.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	w := &world{t: t, ctx: ctx, db: db, accounts: account.NewService(db, log, account.WithHashCost(bcrypt.MinCost))}
	w.svc = NewService(db, w.accounts, Options{Logger: log, Audit: func(_ context.Context, e AuditEvent) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.audits = append(w.audits, e)
	}})
	return w
}

func (w *world) account(username, kind, role string) *store.Account {
	w.t.Helper()
	in := account.CreateInput{Username: username, Kind: kind, Role: role, Email: username + "@example.org"}
	if kind == account.KindPerson {
		in.Password = testPassword
	}
	a, err := w.accounts.Create(w.ctx, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) app(scopes string, redirects ...string) *App {
	w.t.Helper()
	if len(redirects) == 0 {
		redirects = []string{"https://app.example/callback"}
	}
	app, err := w.svc.RegisterApp(w.ctx, AppInput{Name: "Test app", RedirectURIs: redirects, Scopes: scopes})
	if err != nil {
		w.t.Fatal(err)
	}
	return app
}

func (w *world) reload(a *store.Account) *store.Account {
	w.t.Helper()
	got, err := w.db.AccountByID(w.ctx, a.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

// code runs the authorisation step for person and returns the code.
func (w *world) code(app *App, person *store.Account, actAs, scope, challenge string) string {
	w.t.Helper()
	req := AuthorizeRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: app.RedirectURIs[0], Scope: scope}
	if challenge != "" {
		req.CodeChallenge, req.CodeChallengeMethod = challenge, "S256"
	}
	a, err := w.svc.CheckAuthorize(w.ctx, req)
	if err != nil {
		w.t.Fatal(err)
	}
	code, err := w.svc.Approve(w.ctx, a, w.reload(person), actAs)
	if err != nil {
		w.t.Fatal(err)
	}
	return code
}

func errCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func TestPasswordGrantAcceptsUsernameOrEmailAndTokensResolve(t *testing.T) {
	w := newWorld(t)
	alice := w.account("alice", account.KindPerson, account.RoleMember)
	app := w.app("read write follow")
	for _, login := range []string{"alice", "ALICE@example.org"} {
		tok, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
			ClientSecret: app.ClientSecret, Username: login, Password: testPassword, Scope: "read write"})
		if err != nil {
			t.Fatalf("password grant as %q: %v", login, err)
		}
		if tok.TokenType != "Bearer" || tok.Scope != "read write" || len(tok.AccessToken) != 43 || tok.RefreshToken == "" || tok.CreatedAt == 0 {
			t.Errorf("token = %+v", tok)
		}
		info, err := w.svc.Lookup(w.ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if info.Account.ID != alice.ID || info.ActAs != nil || info.App.ClientID != app.ClientID || !info.Allows("read:statuses") {
			t.Errorf("Lookup = %+v", info)
		}
	}
	_, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Username: "alice", Password: "wrong password!"})
	if errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("wrong password: %v, want invalid_grant", err)
	}
	_, err = w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: "not the secret", Username: "alice", Password: testPassword})
	if errCode(err) != ErrCodeInvalidClient {
		t.Errorf("wrong client secret: %v, want invalid_client", err)
	}
	_, err = w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Username: "alice", Password: testPassword, Scope: "read push"})
	if errCode(err) != ErrCodeInvalidScope {
		t.Errorf("scope beyond the app's: %v, want invalid_scope", err)
	}
	if _, err := w.svc.Lookup(w.ctx, "no-such-token"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown token: %v", err)
	}
}

func TestCodeExchangeChecksPKCEAndIsSingleUse(t *testing.T) {
	w := newWorld(t)
	alice := w.account("alice", account.KindPerson, account.RoleMember)
	app := w.app("read write")
	verifier := "a-verifier-of-at-least-forty-three-characters-0123456789"
	exchange := func(code, verifier string) (*Token, error) {
		return w.svc.Token(w.ctx, TokenRequest{GrantType: GrantAuthorizationCode, ClientID: app.ClientID,
			ClientSecret: app.ClientSecret, Code: code, RedirectURI: app.RedirectURIs[0], CodeVerifier: verifier})
	}

	code := w.code(app, alice, "", "read", s256(verifier))
	if _, err := exchange(code, "the-wrong-verifier-but-long-enough-to-look-right-000"); errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("wrong verifier: %v, want invalid_grant", err)
	}
	if _, err := exchange(code, verifier); errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("code reused after a failed exchange: %v, want invalid_grant", err)
	}

	code = w.code(app, alice, "", "read", s256(verifier))
	if _, err := exchange(code, ""); errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("missing verifier: %v, want invalid_grant", err)
	}

	code = w.code(app, alice, "", "read", s256(verifier))
	tok, err := exchange(code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Scope != "read" {
		t.Errorf("scope = %q, want read", tok.Scope)
	}
	if _, err := exchange(code, verifier); errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("reused code: %v, want invalid_grant", err)
	}

	// PKCE is S256 only.
	_, err = w.svc.CheckAuthorize(w.ctx, AuthorizeRequest{ResponseType: "code", ClientID: app.ClientID,
		RedirectURI: app.RedirectURIs[0], CodeChallenge: verifier, CodeChallengeMethod: "plain"})
	if e, ok := AsError(err); !ok || e.Code != ErrCodeInvalidRequest || !e.Redirectable {
		t.Errorf("plain PKCE: %v, want a redirectable invalid_request", err)
	}
}

func TestConcurrentExchangesOfOneCodeIssueOneToken(t *testing.T) {
	w := newWorld(t)
	alice := w.account("alice", account.KindPerson, account.RoleMember)
	app := w.app("read")
	code := w.code(app, alice, "", "", "")
	var wg sync.WaitGroup
	var mu sync.Mutex
	issued := 0
	for range 10 {
		wg.Go(func() {
			_, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantAuthorizationCode, ClientID: app.ClientID,
				ClientSecret: app.ClientSecret, Code: code, RedirectURI: app.RedirectURIs[0]})
			mu.Lock()
			defer mu.Unlock()
			switch errCode(err) {
			case "":
				issued++
			case ErrCodeInvalidGrant:
			default:
				t.Errorf("exchange: %v", err)
			}
		})
	}
	wg.Wait()
	if issued != 1 {
		t.Fatalf("%d tokens issued for one code, want 1", issued)
	}
}

func TestRefreshRotatesTheTokenPairOnceAndKeepsWhoItActsFor(t *testing.T) {
	w := newWorld(t)
	org := w.account("observers", account.KindOrganization, account.RolePublisher)
	alice := w.account("alice", account.KindPerson, account.RolePublisher)
	if err := w.accounts.Grant(w.ctx, "alice", "observers"); err != nil {
		t.Fatal(err)
	}
	app := w.app("read write")
	other := w.app("read write")
	code := w.code(app, alice, org.ID, "read write", "")
	first, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantAuthorizationCode, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Code: code, RedirectURI: app.RedirectURIs[0]})
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(client *App, token, scope string) (*Token, error) {
		return w.svc.Token(w.ctx, TokenRequest{GrantType: GrantRefreshToken, ClientID: client.ClientID,
			ClientSecret: client.ClientSecret, RefreshToken: token, Scope: scope})
	}
	if _, err := refresh(other, first.RefreshToken, ""); errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("refresh by another client: %v, want invalid_grant", err)
	}
	if _, err := refresh(app, first.RefreshToken, "read push"); errCode(err) != ErrCodeInvalidScope {
		t.Errorf("refresh widening the scope: %v, want invalid_scope", err)
	}

	var wg sync.WaitGroup
	results := make(chan *Token, 5)
	for range 5 {
		wg.Go(func() {
			tok, err := refresh(app, first.RefreshToken, "read")
			switch errCode(err) {
			case "":
				results <- tok
			case ErrCodeInvalidGrant:
			default:
				t.Errorf("refresh: %v", err)
			}
		})
	}
	wg.Wait()
	close(results)
	if len(results) != 1 {
		t.Fatalf("%d refreshes succeeded with one refresh token, want 1", len(results))
	}
	second := <-results
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || second.Scope != "read" {
		t.Errorf("refreshed token = %+v", second)
	}
	if _, err := w.svc.Lookup(w.ctx, first.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("old access token after refresh: %v, want invalid", err)
	}
	info, err := w.svc.Lookup(w.ctx, second.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if info.Account.ID != alice.ID || info.ActAs == nil || info.ActAs.ID != org.ID || info.Actor().ID != org.ID {
		t.Errorf("refreshed token acts as %+v for %+v", info.ActAs, info.Account)
	}
}

func TestActingForAnOrganisationNeedsTheGrant(t *testing.T) {
	w := newWorld(t)
	org := w.account("observers", account.KindOrganization, account.RolePublisher)
	alice := w.account("alice", account.KindPerson, account.RolePublisher)
	bob := w.account("bob", account.KindPerson, account.RolePublisher)
	if err := w.accounts.Grant(w.ctx, "alice", "observers"); err != nil {
		t.Fatal(err)
	}
	app := w.app("read write")
	a, err := w.svc.CheckAuthorize(w.ctx, AuthorizeRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: app.RedirectURIs[0]})
	if err != nil {
		t.Fatal(err)
	}
	choices, err := w.svc.ActAsChoices(w.ctx, w.reload(alice))
	if err != nil || len(choices) != 1 || choices[0].ID != org.ID {
		t.Fatalf("alice's choices = %v, %v", choices, err)
	}
	if _, err := w.svc.Approve(w.ctx, a, w.reload(bob), org.ID); tocsin.ErrorCode(err) != tocsin.EFORBIDDEN {
		t.Errorf("bob acting for an organisation not granted to him: %v, want EFORBIDDEN", err)
	}

	code := w.code(app, alice, org.ID, "", "")
	tok, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantAuthorizationCode, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Code: code, RedirectURI: app.RedirectURIs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := w.svc.Lookup(w.ctx, tok.AccessToken); err != nil || info.ActAs == nil || info.ActAs.ID != org.ID {
		t.Fatalf("Lookup = %+v, %v", info, err)
	}
	w.mu.Lock()
	var authorised *AuditEvent
	for i := range w.audits {
		if w.audits[i].Action == "oauth.authorize" && w.audits[i].ActAsID == org.ID {
			authorised = &w.audits[i]
		}
	}
	w.mu.Unlock()
	if authorised == nil || authorised.AccountID != alice.ID || authorised.Username != "alice" || authorised.ActAsUsername != "observers" {
		t.Errorf("no audit event records alice authorising as the organisation: %+v", w.audits)
	}

	// Once the grant is revoked, the token no longer works.
	if err := w.accounts.Revoke(w.ctx, "alice", "observers"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Lookup(w.ctx, tok.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token acting for a revoked organisation: %v, want invalid", err)
	}
}

func TestAdminScopesAreForAdminsAndModerators(t *testing.T) {
	w := newWorld(t)
	w.account("member", account.KindPerson, account.RoleMember)
	w.account("mod", account.KindPerson, account.RoleModerator)
	app := w.app("read admin:read admin:write")
	grant := func(user string) (*Token, error) {
		return w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
			ClientSecret: app.ClientSecret, Username: user, Password: testPassword, Scope: "read admin:read"})
	}
	if _, err := grant("member"); errCode(err) != ErrCodeInvalidScope {
		t.Errorf("member asking for admin scopes: %v, want invalid_scope", err)
	}
	tok, err := grant("mod")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := w.svc.Lookup(w.ctx, tok.AccessToken); err != nil || !info.Allows("admin:read:reports") {
		t.Fatalf("moderator's token: %+v, %v", info, err)
	}
	// Demoted: the admin scopes stop working at once.
	mod, _ := w.accounts.Get(w.ctx, "mod")
	if _, err := w.db.UpdateAccount(w.ctx, mod.ID, func(a *store.Account) error { a.Role = account.RoleMember; return nil }); err != nil {
		t.Fatal(err)
	}
	if info, err := w.svc.Lookup(w.ctx, tok.AccessToken); err != nil || info.Allows("admin:read:reports") || !info.Allows("read") {
		t.Errorf("demoted moderator's token: %+v, %v; want read only", info, err)
	}
	_, err = w.svc.Token(w.ctx, TokenRequest{GrantType: GrantClientCredentials, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Scope: "admin:read"})
	if errCode(err) != ErrCodeInvalidScope {
		t.Errorf("app token with admin scopes: %v, want invalid_scope", err)
	}
}

func TestDisabledAccountsTokensStopWorking(t *testing.T) {
	w := newWorld(t)
	w.account("alice", account.KindPerson, account.RoleMember)
	app := w.app("read")
	tok, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Username: "alice", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.accounts.SetDisabled(w.ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Lookup(w.ctx, tok.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("disabled account's token: %v, want invalid", err)
	}
}

func TestRevokeIsIdempotentAndOnlyForTheOwningClient(t *testing.T) {
	w := newWorld(t)
	alice := w.account("alice", account.KindPerson, account.RoleMember)
	app := w.app("read")
	other := w.app("read")
	tok, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Username: "alice", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Revoke(w.ctx, other.ClientID, other.ClientSecret, tok.AccessToken); errCode(err) != ErrCodeUnauthorizedClient {
		t.Errorf("revoke by another client: %v, want unauthorized_client", err)
	}
	if err := w.svc.Revoke(w.ctx, app.ClientID, "wrong", tok.AccessToken); errCode(err) != ErrCodeUnauthorizedClient {
		t.Errorf("revoke with a wrong secret: %v, want unauthorized_client", err)
	}
	for range 2 {
		if err := w.svc.Revoke(w.ctx, app.ClientID, app.ClientSecret, tok.AccessToken); err != nil {
			t.Fatalf("revoke: %v", err)
		}
	}
	if err := w.svc.Revoke(w.ctx, app.ClientID, app.ClientSecret, "never-issued"); err != nil {
		t.Errorf("revoking an unknown token: %v, want success", err)
	}
	if _, err := w.svc.Lookup(w.ctx, tok.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("revoked token: %v", err)
	}
	_, err = w.svc.Token(w.ctx, TokenRequest{GrantType: GrantRefreshToken, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, RefreshToken: tok.RefreshToken})
	if errCode(err) != ErrCodeInvalidGrant {
		t.Errorf("refresh token of a revoked token: %v, want invalid_grant", err)
	}

	// RevokeAll ends every token of an account.
	live, err := w.svc.Token(w.ctx, TokenRequest{GrantType: GrantPassword, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, Username: "alice", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.svc.RevokeAll(w.ctx, alice.ID); err != nil || n != 1 {
		t.Errorf("RevokeAll = %d, %v; want 1", n, err)
	}
	if _, err := w.svc.Lookup(w.ctx, live.AccessToken); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token after RevokeAll: %v", err)
	}
}

func TestSessionsAreSignedAndEndWithAPasswordChange(t *testing.T) {
	w := newWorld(t)
	alice := w.account("alice", account.KindPerson, account.RoleMember)
	v := w.svc.NewSession(alice)
	if got, err := w.svc.Session(w.ctx, v); err != nil || got.ID != alice.ID {
		t.Fatalf("Session = %v, %v", got, err)
	}
	forged := []byte(v)
	forged[3] ^= 1
	for _, bad := range []string{"", "x", string(forged), v + "x"} {
		if _, err := w.svc.Session(w.ctx, bad); tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED {
			t.Errorf("Session(%q) = %v, want EUNAUTHORIZED", bad, err)
		}
	}
	other := NewService(w.db, w.accounts, Options{})
	if _, err := other.Session(w.ctx, v); tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED {
		t.Errorf("session signed with another key accepted: %v", err)
	}
	expired := NewService(w.db, w.accounts, Options{SessionKey: w.svc.sessionKey})
	expired.now = func() time.Time { return time.Now().Add(13 * time.Hour) }
	if _, err := expired.Session(w.ctx, v); tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED {
		t.Errorf("expired session accepted: %v", err)
	}
	if err := w.accounts.ResetPassword(w.ctx, "alice", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Session(w.ctx, v); tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED {
		t.Errorf("session survived a password reset: %v", err)
	}
}

func TestRegisterAppValidatesEveryField(t *testing.T) {
	w := newWorld(t)
	_, err := w.svc.RegisterApp(w.ctx, AppInput{
		Name: " ", RedirectURIs: []string{"relative/path", "javascript:alert(1)", "https://ok.example/cb#frag"},
		Scopes: "read bogus", Website: "ftp://example.org",
	})
	var te *tocsin.Error
	if !errors.As(err, &te) || te.Code != tocsin.EINVALID {
		t.Fatalf("RegisterApp = %v, want EINVALID", err)
	}
	fields := map[string]int{}
	for _, f := range te.Fields {
		fields[f.Field]++
	}
	if fields["client_name"] != 1 || fields["redirect_uris"] != 3 || fields["scopes"] != 1 || fields["website"] != 1 {
		t.Errorf("fields = %+v", te.Fields)
	}
	app, err := w.svc.RegisterApp(w.ctx, AppInput{Name: "Tusky",
		RedirectURIs: []string{"com.keylesspalace.tusky://oauth\nurn:ietf:wg:oauth:2.0:oob", "com.keylesspalace.tusky://oauth"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.RedirectURIs) != 2 || app.Scopes.String() != "read" || len(app.ClientID) != 43 || len(app.ClientSecret) != 43 {
		t.Errorf("app = %+v", app)
	}
	stored, err := w.svc.App(w.ctx, app.ClientID)
	if err != nil || stored.ClientSecret != "" {
		t.Errorf("App = %+v, %v; the secret must not be readable", stored, err)
	}
}
