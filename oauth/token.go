package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oauth2errors "github.com/go-oauth2/oauth2/v4/errors"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/store"
)

// TokenRequest is the body of POST /oauth/token.
type TokenRequest struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	Code         string // authorization_code
	RedirectURI  string // authorization_code
	CodeVerifier string // authorization_code with PKCE
	Username     string // password: a username or an email address
	Password     string // password
	RefreshToken string // refresh_token
	Scope        string // password, client_credentials, refresh_token (narrowing)
}

// Token is the token endpoint's answer, in Mastodon's shape. Tokens do not
// expire, so there is no expires_in.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Grant types.
const (
	GrantAuthorizationCode = string(oauth2.AuthorizationCode)
	GrantPassword          = string(oauth2.PasswordCredentials)
	GrantClientCredentials = string(oauth2.ClientCredentials)
	GrantRefreshToken      = string(oauth2.Refreshing)
)

// GrantTypes lists the grants the token endpoint accepts.
var GrantTypes = []string{GrantAuthorizationCode, GrantPassword, GrantClientCredentials, GrantRefreshToken}

// Token runs the token endpoint. Every client authenticates with its
// secret. Failures are *Error (invalid_client, invalid_grant,
// invalid_scope, invalid_request, unsupported_grant_type).
func (s *Service) Token(ctx context.Context, req TokenRequest) (*Token, error) {
	if req.GrantType == "" {
		return nil, oauthError(ErrCodeInvalidRequest, "Missing required parameter: grant_type.")
	}
	if !slices.Contains(GrantTypes, req.GrantType) {
		return nil, oauthError(ErrCodeUnsupportedGrantType, "")
	}
	// Authenticate the client first, so nothing else (a password check, a
	// code) is spent on a caller that is not the app.
	rec, err := s.storedApp(ctx, req.ClientID)
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND || (err == nil && !rec.SecretMatches(req.ClientSecret)) {
		return nil, oauthError(ErrCodeInvalidClient, "")
	}
	if err != nil {
		return nil, err
	}
	app := appFrom(rec)
	tgr := &oauth2.TokenGenerateRequest{ClientID: req.ClientID, ClientSecret: req.ClientSecret}
	var ti oauth2.TokenInfo
	switch req.GrantType {
	case GrantAuthorizationCode:
		if req.Code == "" || req.RedirectURI == "" {
			return nil, oauthError(ErrCodeInvalidRequest, "Missing required parameter: code and redirect_uri.")
		}
		tgr.Code, tgr.RedirectURI, tgr.CodeVerifier = req.Code, req.RedirectURI, req.CodeVerifier
		ti, err = s.mgr.GenerateAccessToken(ctx, oauth2.AuthorizationCode, tgr)
	case GrantPassword:
		if req.Username == "" || req.Password == "" {
			return nil, oauthError(ErrCodeInvalidRequest, "Missing required parameter: username and password.")
		}
		scopes, serr := s.requestedScopes(req.Scope, app)
		if serr != nil {
			return nil, serr
		}
		person, aerr := s.accounts.Authenticate(ctx, req.Username, req.Password)
		if tocsin.ErrorCode(aerr) == tocsin.EUNAUTHORIZED {
			return nil, oauthError(ErrCodeInvalidGrant, "")
		}
		if aerr != nil {
			return nil, aerr
		}
		if scopes.HasAdmin() && !mayUseAdminScopes(person) {
			return nil, oauthError(ErrCodeInvalidScope, "Admin scopes are only for admin and moderator accounts.")
		}
		tgr.UserID, tgr.Scope = person.ID, scopes.String()
		ti, err = s.mgr.GenerateAccessToken(ctx, oauth2.PasswordCredentials, tgr)
	case GrantClientCredentials:
		scopes, serr := s.requestedScopes(req.Scope, app)
		if serr != nil {
			return nil, serr
		}
		if scopes.HasAdmin() {
			return nil, oauthError(ErrCodeInvalidScope, "Admin scopes need a signed-in admin or moderator.")
		}
		tgr.Scope = scopes.String()
		ti, err = s.mgr.GenerateAccessToken(ctx, oauth2.ClientCredentials, tgr)
	case GrantRefreshToken:
		if req.RefreshToken == "" {
			return nil, oauthError(ErrCodeInvalidRequest, "Missing required parameter: refresh_token.")
		}
		if err := s.checkRefresh(ctx, req, app); err != nil {
			return nil, err
		}
		tgr.Refresh = req.RefreshToken
		if req.Scope != "" {
			tgr.Scope = strings.Join(strings.Fields(req.Scope), " ")
		}
		ti, err = s.mgr.RefreshAccessToken(ctx, tgr)
	}
	if err != nil {
		return nil, tokenError(err)
	}
	accountID, actAsID := splitSubject(ti.GetUserID())
	s.record(ctx, AuditEvent{Action: "oauth.token", Grant: req.GrantType, AccountID: accountID, ActAsID: actAsID,
		ClientID: app.ClientID, AppName: app.Name, Scopes: strings.Fields(ti.GetScope())})
	return &Token{
		AccessToken:  ti.GetAccess(),
		TokenType:    "Bearer",
		Scope:        ti.GetScope(),
		CreatedAt:    ti.GetAccessCreateAt().Unix(),
		RefreshToken: ti.GetRefresh(),
	}, nil
}

// requestedScopes parses a token request's scope (default "read") and
// checks it is within the app's.
func (s *Service) requestedScopes(scope string, app *App) (Scopes, error) {
	scopes, err := ParseScopes(scope)
	if err != nil || !scopes.Within(app.Scopes) {
		return nil, oauthError(ErrCodeInvalidScope, "")
	}
	return scopes, nil
}

// checkRefresh makes sure the refresh token was issued to this client (the
// library does not) and that a narrowing scope stays within the old one.
func (s *Service) checkRefresh(ctx context.Context, req TokenRequest, app *App) error {
	var tok *store.OAuthToken
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = tx.OAuthTokenByRefresh(req.RefreshToken)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && (tok.Revoked() || tok.ClientID != app.ClientID)) {
		return oauthError(ErrCodeInvalidGrant, "")
	}
	if err != nil {
		return err
	}
	if req.Scope != "" {
		narrowed, err := ParseScopes(req.Scope)
		if err != nil || !narrowed.Within(tok.Scopes) {
			return oauthError(ErrCodeInvalidScope, "")
		}
	}
	return nil
}

// tokenError maps go-oauth2's errors to the OAuth errors Mastodon sends.
func tokenError(err error) error {
	if _, ok := AsError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, oauth2errors.ErrInvalidClient):
		return oauthError(ErrCodeInvalidClient, "")
	case errors.Is(err, oauth2errors.ErrInvalidAuthorizeCode),
		errors.Is(err, oauth2errors.ErrInvalidRedirectURI),
		errors.Is(err, oauth2errors.ErrInvalidCodeChallenge),
		errors.Is(err, oauth2errors.ErrMissingCodeVerifier),
		errors.Is(err, oauth2errors.ErrMissingCodeChallenge),
		errors.Is(err, oauth2errors.ErrInvalidRefreshToken),
		errors.Is(err, oauth2errors.ErrExpiredRefreshToken),
		errors.Is(err, oauth2errors.ErrInvalidGrant):
		return oauthError(ErrCodeInvalidGrant, "")
	case errors.Is(err, oauth2errors.ErrInvalidScope):
		return oauthError(ErrCodeInvalidScope, "")
	}
	return err
}

// Revoke revokes an access or refresh token issued to the client (RFC
// 7009, as Mastodon answers it): a wrong client or a token of another
// client is unauthorized_client; an unknown or already revoked token is
// fine (revocation is idempotent).
func (s *Service) Revoke(ctx context.Context, clientID, clientSecret, token string) error {
	rec, err := s.storedApp(ctx, clientID)
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND || (err == nil && !rec.SecretMatches(clientSecret)) {
		return oauthError(ErrCodeUnauthorizedClient, "")
	}
	if err != nil {
		return err
	}
	if token == "" {
		return oauthError(ErrCodeInvalidRequest, "Missing required parameter: token.")
	}
	var before *store.OAuthToken
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		tok, err := tx.OAuthToken(token)
		if errors.Is(err, store.ErrNotFound) {
			tok, err = tx.OAuthTokenByRefresh(token)
		}
		if err != nil {
			return err
		}
		if tok.ClientID != clientID {
			return oauthError(ErrCodeUnauthorizedClient, "")
		}
		before, err = tx.RevokeOAuthToken(token, s.now())
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !before.Revoked():
		s.record(ctx, AuditEvent{Action: "oauth.revoke", AccountID: before.AccountID, ActAsID: before.ActAsID,
			ClientID: rec.ClientID, AppName: rec.Name, Scopes: before.Scopes, TokenID: before.ID})
	}
	return nil
}

// RevokeAll revokes every token of an account (call it when an account is
// disabled or its password reset) and returns how many were live.
func (s *Service) RevokeAll(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.RevokeOAuthTokensOf(accountID, s.now())
		return err
	})
	if n > 0 {
		s.record(ctx, AuditEvent{Action: "oauth.revoke", AccountID: accountID})
	}
	return n, err
}

// TokenInfo is what a bearer token lets its holder do.
type TokenInfo struct {
	// ID is the token record's ID: safe to log, unlike the token.
	ID string
	// Account is the person who authorised the token; nil for an app token
	// (client_credentials).
	Account *store.Account
	// ActAs is the organisation the person chose to act for, or nil.
	ActAs *store.Account
	// App is the client the token was issued to.
	App *App
	// Scopes are the granted scopes (admin scopes only while the account is
	// an admin or moderator).
	Scopes    Scopes
	CreatedAt time.Time
}

// Actor is who the token's actions are by: the organisation acted for, or
// the person, or nil for an app token.
func (t *TokenInfo) Actor() *store.Account {
	if t.ActAs != nil {
		return t.ActAs
	}
	return t.Account
}

// Allows reports whether the token grants at least one of required (see
// Scopes.AllowsAny).
func (t *TokenInfo) Allows(required ...string) bool { return t.Scopes.AllowsAny(required...) }

// Lookup resolves a bearer token with one read transaction and no cache,
// so a revocation or a disabled account takes effect on the next request.
// ErrInvalidToken when the token is unknown or revoked, its account is
// disabled, or the person is no longer granted the organisation the token
// acts for.
func (s *Service) Lookup(ctx context.Context, token string) (*TokenInfo, error) {
	if token == "" {
		return nil, ErrInvalidToken
	}
	acc, err := s.db.OAuthAccess(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	tok := acc.Token
	switch {
	case tok.Revoked():
		return nil, ErrInvalidToken
	case acc.Account != nil && acc.Account.Disabled:
		return nil, ErrInvalidToken
	case acc.ActAs != nil && (acc.Account == nil || acc.ActAs.Disabled || !slices.Contains(acc.Account.ActsFor, acc.ActAs.ID)):
		return nil, ErrInvalidToken
	}
	scopes := Scopes(tok.Scopes)
	if !mayUseAdminScopes(acc.Account) {
		scopes = scopes.withoutAdmin()
	}
	return &TokenInfo{
		ID: tok.ID, Account: acc.Account, ActAs: acc.ActAs, App: appFrom(acc.App),
		Scopes: scopes, CreatedAt: tok.CreatedAt,
	}, nil
}
