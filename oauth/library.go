package oauth

// The bridge to go-oauth2 (github.com/go-oauth2/oauth2/v4): its manager
// issues and exchanges codes and tokens through these adapters, which keep
// everything in our bbolt store, hashed.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oauth2errors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"

	"github.com/tocsin-network/tocsin/store"
)

// newManager configures go-oauth2's manager the way Mastodon behaves:
// access tokens never expire (Doorkeeper's access_token_expires_in nil), a
// code lives codeTTL, a refresh token is single use and rotates with its
// access token, and a redirect URI must equal a registered one exactly.
func newManager(db *store.DB, codeTTL time.Duration) *manage.Manager {
	m := manage.NewManager()
	m.MapClientStorage(clientStore{db})
	m.MapTokenStorage(tokenStore{db})
	m.MapAccessGenerate(accessGenerator{})
	m.MapAuthorizeGenerate(codeGenerator{})
	m.SetAuthorizeCodeExp(codeTTL)
	userTokens := &manage.Config{IsGenerateRefresh: true} // zero AccessTokenExp: no expiry
	m.SetAuthorizeCodeTokenCfg(userTokens)
	m.SetPasswordTokenCfg(userTokens)
	m.SetClientTokenCfg(&manage.Config{}) // app tokens get no refresh token (RFC 6749 4.4.3)
	m.SetRefreshTokenCfg(&manage.RefreshingConfig{
		IsGenerateRefresh: true, IsResetRefreshTime: true, IsRemoveAccess: true, IsRemoveRefreshing: true,
	})
	m.SetValidateURIHandler(exactRedirectURI)
	return m
}

// exactRedirectURI accepts redirectURI only if it equals one of the
// registered URIs (one per line in registered).
func exactRedirectURI(registered, redirectURI string) error {
	for _, u := range strings.Split(registered, "\n") {
		if u == redirectURI {
			return nil
		}
	}
	return oauth2errors.ErrInvalidRedirectURI
}

// subject is the manager's "user ID": the person's account ID, then
// subjectSep and the organisation's account ID when they act for one. It
// carries the choice from the code to the token and through refreshes.
// Account IDs are ULIDs, which never contain subjectSep.
const subjectSep = "/"

func subject(accountID, actAsID string) string {
	if actAsID == "" {
		return accountID
	}
	return accountID + subjectSep + actAsID
}

func splitSubject(s string) (accountID, actAsID string) {
	accountID, actAsID, _ = strings.Cut(s, subjectSep)
	return accountID, actAsID
}

// newSecret returns 32 random bytes, base64url: 43 characters, like
// Mastodon's client IDs, secrets, codes and tokens.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

type accessGenerator struct{}

func (accessGenerator) Token(_ context.Context, _ *oauth2.GenerateBasic, withRefresh bool) (string, string, error) {
	if withRefresh {
		return newSecret(), newSecret(), nil
	}
	return newSecret(), "", nil
}

type codeGenerator struct{}

func (codeGenerator) Token(context.Context, *oauth2.GenerateBasic) (string, error) {
	return newSecret(), nil
}

// client is an app as go-oauth2 sees it. Its secret is only ever compared
// by hash (VerifyPassword), never returned.
type client struct{ app *store.OAuthApp }

func (c client) GetID() string                     { return c.app.ClientID }
func (c client) GetSecret() string                 { return "" }
func (c client) GetDomain() string                 { return strings.Join(c.app.RedirectURIs, "\n") }
func (c client) IsPublic() bool                    { return false }
func (c client) GetUserID() string                 { return "" }
func (c client) VerifyPassword(secret string) bool { return c.app.SecretMatches(secret) }

type clientStore struct{ db *store.DB }

func (cs clientStore) GetByID(ctx context.Context, id string) (oauth2.ClientInfo, error) {
	var app *store.OAuthApp
	err := cs.db.View(ctx, func(tx *store.Tx) error {
		var err error
		app, err = tx.OAuthApp(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, oauth2errors.ErrInvalidClient
	}
	if err != nil {
		return nil, err
	}
	return client{app}, nil
}

// refreshing is the token a refresh token belongs to, as handed to the
// manager for a refresh. The manager sets the new access and refresh token
// on it and passes it back to Create, which then retires the old pair in
// the same transaction that stores the new one: a refresh token is used
// once, even by two concurrent requests.
type refreshing struct {
	*models.Token
	oldRefresh string
}

// tokenStore keeps the manager's codes and tokens in bbolt, by digest.
type tokenStore struct{ db *store.DB }

func (ts tokenStore) Create(ctx context.Context, ti oauth2.TokenInfo) error {
	accountID, actAsID := splitSubject(ti.GetUserID())
	if code := ti.GetCode(); code != "" && ti.GetAccess() == "" {
		created := ti.GetCodeCreateAt().UTC()
		c := &store.OAuthCode{
			ClientID: ti.GetClientID(), AccountID: accountID, ActAsID: actAsID,
			RedirectURI: ti.GetRedirectURI(), Scopes: strings.Fields(ti.GetScope()),
			CodeChallenge: ti.GetCodeChallenge(), CodeChallengeMethod: string(ti.GetCodeChallengeMethod()),
			CreatedAt: created, ExpiresAt: created.Add(ti.GetCodeExpiresIn()),
		}
		return ts.db.Update(ctx, func(tx *store.Tx) error { return tx.PutOAuthCode(code, c) })
	}
	tok := &store.OAuthToken{
		ID: ts.db.NewID(), ClientID: ti.GetClientID(), AccountID: accountID, ActAsID: actAsID,
		Scopes: strings.Fields(ti.GetScope()), CreatedAt: ti.GetAccessCreateAt().UTC(),
	}
	return ts.db.Update(ctx, func(tx *store.Tx) error {
		if r, ok := ti.(*refreshing); ok {
			old, err := tx.RevokeOAuthToken(r.oldRefresh, tok.CreatedAt)
			if errors.Is(err, store.ErrNotFound) || (err == nil && old.Revoked()) {
				return oauth2errors.ErrInvalidRefreshToken
			}
			if err != nil {
				return err
			}
		}
		return tx.PutOAuthToken(ti.GetAccess(), ti.GetRefresh(), tok)
	})
}

// RemoveByCode consumes a code. A code already consumed is an error, so of
// two concurrent exchanges only one gets a token.
func (ts tokenStore) RemoveByCode(ctx context.Context, code string) error {
	err := ts.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteOAuthCode(code) })
	if errors.Is(err, store.ErrNotFound) {
		return oauth2errors.ErrInvalidAuthorizeCode
	}
	return err
}

func (ts tokenStore) RemoveByAccess(ctx context.Context, access string) error {
	return ts.revoke(ctx, access)
}

func (ts tokenStore) RemoveByRefresh(ctx context.Context, refresh string) error {
	return ts.revoke(ctx, refresh)
}

// revoke revokes a token; one already gone (retired by a refresh) is fine.
func (ts tokenStore) revoke(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := ts.db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.RevokeOAuthToken(token, time.Now())
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// GetByCode returns nil (and no error) for an unknown code: the manager
// then answers invalid_grant.
func (ts tokenStore) GetByCode(ctx context.Context, code string) (oauth2.TokenInfo, error) {
	var c *store.OAuthCode
	err := ts.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.OAuthCode(code)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := models.NewToken()
	t.ClientID, t.UserID, t.RedirectURI = c.ClientID, subject(c.AccountID, c.ActAsID), c.RedirectURI
	t.Scope, t.Code = strings.Join(c.Scopes, " "), code
	t.CodeChallenge, t.CodeChallengeMethod = c.CodeChallenge, c.CodeChallengeMethod
	t.CodeCreateAt, t.CodeExpiresIn = c.CreatedAt, c.ExpiresAt.Sub(c.CreatedAt)
	return t, nil
}

// live returns the unrevoked token get finds; nil, nil when there is none
// (the library's convention for "no such token").
func (ts tokenStore) live(ctx context.Context, get func(*store.Tx) (*store.OAuthToken, error)) (*store.OAuthToken, error) {
	var tok *store.OAuthToken
	err := ts.db.View(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = get(tx)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || tok.Revoked() {
		return nil, err
	}
	return tok, nil
}

func (ts tokenStore) GetByAccess(ctx context.Context, access string) (oauth2.TokenInfo, error) {
	tok, err := ts.live(ctx, func(tx *store.Tx) (*store.OAuthToken, error) { return tx.OAuthToken(access) })
	if tok == nil {
		return nil, err
	}
	t := tokenModel(tok)
	t.Access = access
	return t, nil
}

func (ts tokenStore) GetByRefresh(ctx context.Context, refresh string) (oauth2.TokenInfo, error) {
	tok, err := ts.live(ctx, func(tx *store.Tx) (*store.OAuthToken, error) { return tx.OAuthTokenByRefresh(refresh) })
	if tok == nil {
		return nil, err
	}
	t := tokenModel(tok)
	t.Refresh, t.RefreshCreateAt = refresh, tok.CreatedAt
	return &refreshing{Token: t, oldRefresh: refresh}, nil
}

func tokenModel(tok *store.OAuthToken) *models.Token {
	t := models.NewToken()
	t.ClientID, t.UserID = tok.ClientID, subject(tok.AccountID, tok.ActAsID)
	t.Scope, t.AccessCreateAt = strings.Join(tok.Scopes, " "), tok.CreatedAt
	return t
}
