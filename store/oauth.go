package store

// Bucket family: OAuth 2 (client apps, authorization codes, access and
// refresh tokens). Secrets are never stored: every code, token and client
// secret is kept as its SHA-256 digest, so a copy of the file (a backup, a
// stolen disk) grants nothing. They are 32 random bytes each, so a fast hash
// is enough; there is nothing to brute-force.
//
//	oauth_apps               key: client_id (43 chars, base64url)
//	                         value: JSON OAuthApp (SecretHash = SHA-256 of the secret)
//	oauth_codes              key: SHA-256(authorization code), 32 bytes
//	                         value: JSON OAuthCode; single use: DeleteOAuthCode
//	                         removes it when it is exchanged, and expired ones
//	                         are purged whenever a new code is stored
//	oauth_tokens             key: SHA-256(access token), 32 bytes
//	                         value: JSON OAuthToken; revoked tokens stay, with
//	                         RevokedAt set, so their history is kept
//	oauth_refresh_tokens     key: SHA-256(refresh token), 32 bytes
//	                         value: the access token's key in oauth_tokens;
//	                         removed when that token is revoked or refreshed
//	oauth_tokens_by_account  key: account ID + 0x00 + access token key
//	                         value: empty (an account's tokens, to list or
//	                         revoke them all)
//
// Invariants, kept by PutOAuthToken and RevokeOAuthToken in one transaction:
// every refresh entry points at an existing, unrevoked token, and every token
// with an AccountID has exactly one by-account entry.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketOAuthApps            = []byte("oauth_apps")
	bucketOAuthCodes           = []byte("oauth_codes")
	bucketOAuthTokens          = []byte("oauth_tokens")
	bucketOAuthRefreshTokens   = []byte("oauth_refresh_tokens")
	bucketOAuthTokensByAccount = []byte("oauth_tokens_by_account")
)

// OAuthApp is a registered client application. The JSON tags define the
// stored format.
type OAuthApp struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	// SecretHash is SHA-256 of the client secret; see SecretMatches.
	SecretHash   []byte    `json:"secret_sha256"`
	Name         string    `json:"name"`
	Website      string    `json:"website,omitempty"`
	RedirectURIs []string  `json:"redirect_uris"`
	Scopes       []string  `json:"scopes"`
	CreatedAt    time.Time `json:"created_at"`
}

// SecretMatches reports, in constant time, whether secret is the app's
// client secret.
func (a *OAuthApp) SecretMatches(secret string) bool {
	h := secretKey(secret)
	return secret != "" && len(a.SecretHash) == len(h) && subtle.ConstantTimeCompare(a.SecretHash, h) == 1
}

// OAuthCode is an authorization code waiting to be exchanged for a token.
type OAuthCode struct {
	ClientID    string   `json:"client_id"`
	AccountID   string   `json:"account_id"`
	ActAsID     string   `json:"act_as_id,omitempty"`
	RedirectURI string   `json:"redirect_uri"`
	Scopes      []string `json:"scopes"`
	// CodeChallenge and CodeChallengeMethod are PKCE's (RFC 7636), if given.
	CodeChallenge       string    `json:"code_challenge,omitempty"`
	CodeChallengeMethod string    `json:"code_challenge_method,omitempty"`
	CreatedAt           time.Time `json:"created_at"`
	ExpiresAt           time.Time `json:"expires_at"`
}

// OAuthToken is an access token's grant. AccountID is empty for app tokens
// (client_credentials); ActAsID is the organisation account the person acts
// for, if they chose one.
type OAuthToken struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	AccountID string    `json:"account_id,omitempty"`
	ActAsID   string    `json:"act_as_id,omitempty"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	// RefreshKey is the refresh token's key in oauth_refresh_tokens, if the
	// token has one.
	RefreshKey []byte    `json:"refresh_key,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the token was revoked.
func (t *OAuthToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// OAuthAccess is everything one access token grants, read together.
type OAuthAccess struct {
	Token   *OAuthToken
	App     *OAuthApp
	Account *Account // nil for app tokens
	ActAs   *Account // nil unless acting for an organisation
}

// secretKey is the stored form of a code, token or client secret.
func secretKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// HashOAuthSecret returns the SHA-256 digest under which a client secret is
// stored (OAuthApp.SecretHash).
func HashOAuthSecret(secret string) []byte { return secretKey(secret) }

// PutOAuthApp stores a new app. A taken client_id is ErrConflict.
func (t *Tx) PutOAuthApp(a *OAuthApp) error {
	if a == nil || a.ClientID == "" || len(a.SecretHash) != sha256.Size {
		return errors.New("store: oauth app needs a client ID and a secret hash")
	}
	b, err := bucket(t.tx, bucketOAuthApps)
	if err != nil {
		return err
	}
	if b.Get([]byte(a.ClientID)) != nil {
		return fmt.Errorf("oauth app %s exists: %w", a.ClientID, ErrConflict)
	}
	return putJSON(b, []byte(a.ClientID), a)
}

// OAuthApp returns the app with this client ID, or ErrNotFound.
func (t *Tx) OAuthApp(clientID string) (*OAuthApp, error) {
	b, err := bucket(t.tx, bucketOAuthApps)
	if err != nil {
		return nil, err
	}
	if clientID == "" {
		return nil, fmt.Errorf("oauth app: %w", ErrNotFound)
	}
	a, err := getJSON[OAuthApp](b, []byte(clientID))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("oauth app %s: %w", clientID, ErrNotFound)
	}
	return a, err
}

// PutOAuthCode stores an authorization code (by its digest) and purges
// codes that expired before c.CreatedAt.
func (t *Tx) PutOAuthCode(code string, c *OAuthCode) error {
	if code == "" {
		return errors.New("store: empty oauth code")
	}
	b, err := bucket(t.tx, bucketOAuthCodes)
	if err != nil {
		return err
	}
	var expired [][]byte
	err = b.ForEach(func(k, _ []byte) error {
		old, err := getJSON[OAuthCode](b, k)
		if err != nil || old.ExpiresAt.Before(c.CreatedAt) {
			expired = append(expired, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return putJSON(b, secretKey(code), c)
}

// OAuthCode returns the authorization code's grant, or ErrNotFound. It
// does not check expiry: the caller does.
func (t *Tx) OAuthCode(code string) (*OAuthCode, error) {
	b, err := bucket(t.tx, bucketOAuthCodes)
	if err != nil {
		return nil, err
	}
	c, err := getJSON[OAuthCode](b, secretKey(code))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("oauth code: %w", ErrNotFound)
	}
	return c, err
}

// DeleteOAuthCode removes a code. Deleting an absent code is ErrNotFound,
// so that of two concurrent exchanges of one code exactly one succeeds.
func (t *Tx) DeleteOAuthCode(code string) error {
	b, err := bucket(t.tx, bucketOAuthCodes)
	if err != nil {
		return err
	}
	k := secretKey(code)
	if b.Get(k) == nil {
		return fmt.Errorf("oauth code: %w", ErrNotFound)
	}
	return b.Delete(k)
}

// PutOAuthToken stores a new access token (and its refresh token, unless
// refresh is empty) by digest. tok.RefreshKey is set here. A token whose
// digest exists is ErrConflict.
func (t *Tx) PutOAuthToken(access, refresh string, tok *OAuthToken) error {
	if access == "" || tok == nil || tok.ClientID == "" {
		return errors.New("store: oauth token needs a token and a client ID")
	}
	tokens, err := bucket(t.tx, bucketOAuthTokens)
	if err != nil {
		return err
	}
	key := secretKey(access)
	if tokens.Get(key) != nil {
		return fmt.Errorf("oauth token exists: %w", ErrConflict)
	}
	tok.RefreshKey = nil
	if refresh != "" {
		refreshes, err := bucket(t.tx, bucketOAuthRefreshTokens)
		if err != nil {
			return err
		}
		rk := secretKey(refresh)
		if refreshes.Get(rk) != nil {
			return fmt.Errorf("oauth refresh token exists: %w", ErrConflict)
		}
		if err := refreshes.Put(rk, key); err != nil {
			return err
		}
		tok.RefreshKey = rk
	}
	if tok.AccountID != "" {
		idx, err := bucket(t.tx, bucketOAuthTokensByAccount)
		if err != nil {
			return err
		}
		if err := idx.Put(pairKey(tok.AccountID, string(key)), nil); err != nil {
			return err
		}
	}
	return putJSON(tokens, key, tok)
}

// OAuthToken returns an access token's grant, revoked or not, or
// ErrNotFound.
func (t *Tx) OAuthToken(access string) (*OAuthToken, error) {
	b, err := bucket(t.tx, bucketOAuthTokens)
	if err != nil {
		return nil, err
	}
	tok, err := getJSON[OAuthToken](b, secretKey(access))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("oauth token: %w", ErrNotFound)
	}
	return tok, err
}

// OAuthTokenByRefresh returns the (unrevoked) token a refresh token belongs
// to, or ErrNotFound: a refresh token stops working when its access token
// is revoked or refreshed.
func (t *Tx) OAuthTokenByRefresh(refresh string) (*OAuthToken, error) {
	key, err := t.tokenKeyByRefresh(refresh)
	if err != nil {
		return nil, err
	}
	b, err := bucket(t.tx, bucketOAuthTokens)
	if err != nil {
		return nil, err
	}
	tok, err := getJSON[OAuthToken](b, key)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("refresh entry points at a missing oauth token: database damaged")
	}
	return tok, err
}

func (t *Tx) tokenKeyByRefresh(refresh string) ([]byte, error) {
	b, err := bucket(t.tx, bucketOAuthRefreshTokens)
	if err != nil {
		return nil, err
	}
	key := b.Get(secretKey(refresh))
	if key == nil || refresh == "" {
		return nil, fmt.Errorf("oauth refresh token: %w", ErrNotFound)
	}
	return bytes.Clone(key), nil
}

// RevokeOAuthToken revokes the token whose access or refresh token is
// token, and returns it as it was before (so a caller can see whether it
// was revoked already). Its refresh token stops working with it. Unknown
// tokens are ErrNotFound; revoking twice keeps the first RevokedAt.
func (t *Tx) RevokeOAuthToken(token string, at time.Time) (*OAuthToken, error) {
	tokens, err := bucket(t.tx, bucketOAuthTokens)
	if err != nil {
		return nil, err
	}
	key := secretKey(token)
	if tokens.Get(key) == nil {
		if key, err = t.tokenKeyByRefresh(token); err != nil {
			return nil, err
		}
	}
	return t.revokeTokenKey(key, at)
}

func (t *Tx) revokeTokenKey(key []byte, at time.Time) (*OAuthToken, error) {
	tokens, err := bucket(t.tx, bucketOAuthTokens)
	if err != nil {
		return nil, err
	}
	tok, err := getJSON[OAuthToken](tokens, key)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("oauth token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	before := *tok
	if tok.RefreshKey != nil {
		refreshes, err := bucket(t.tx, bucketOAuthRefreshTokens)
		if err != nil {
			return nil, err
		}
		if err := refreshes.Delete(tok.RefreshKey); err != nil {
			return nil, err
		}
	}
	if tok.Revoked() {
		return &before, nil
	}
	tok.RevokedAt = at.UTC()
	return &before, putJSON(tokens, key, tok)
}

// RevokeOAuthTokensOf revokes every unrevoked token of an account (for a
// disabled account or a reset password) and returns how many it revoked.
func (t *Tx) RevokeOAuthTokensOf(accountID string, at time.Time) (int, error) {
	idx, err := bucket(t.tx, bucketOAuthTokensByAccount)
	if err != nil {
		return 0, err
	}
	prefix := pairKey(accountID, "")
	var keys [][]byte
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k[len(prefix):]))
	}
	n := 0
	for _, key := range keys {
		before, err := t.revokeTokenKey(key, at)
		if err != nil {
			return n, err
		}
		if !before.Revoked() {
			n++
		}
	}
	return n, nil
}

// OAuthAccess returns what an access token grants: the token, its app, its
// account and the organisation it acts for, from one read transaction. It
// is on every authenticated request's path, so it reads nothing else and
// nothing is cached. Revoked tokens are returned as they are (the caller
// refuses them); unknown ones are ErrNotFound.
func (db *DB) OAuthAccess(ctx context.Context, access string) (*OAuthAccess, error) {
	var out OAuthAccess
	err := db.view(ctx, func(btx *bolt.Tx) error {
		t := &Tx{tx: btx, db: db}
		var err error
		if out.Token, err = t.OAuthToken(access); err != nil {
			return err
		}
		if out.App, err = t.OAuthApp(out.Token.ClientID); err != nil {
			return err
		}
		accounts, err := bucket(btx, bucketAccounts)
		if err != nil {
			return err
		}
		if id := out.Token.AccountID; id != "" {
			if out.Account, err = getJSON[Account](accounts, []byte(id)); err != nil {
				return fmt.Errorf("account %s: %w", id, err)
			}
		}
		if id := out.Token.ActAsID; id != "" {
			if out.ActAs, err = getJSON[Account](accounts, []byte(id)); err != nil {
				return fmt.Errorf("account %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: oauth access: %w", err)
	}
	return &out, nil
}

// OAuthTokensOf returns an account's tokens (revoked ones too), oldest first.
func (db *DB) OAuthTokensOf(ctx context.Context, accountID string) ([]*OAuthToken, error) {
	var out []*OAuthToken
	err := db.view(ctx, func(btx *bolt.Tx) error {
		idx, err := bucket(btx, bucketOAuthTokensByAccount)
		if err != nil {
			return err
		}
		tokens, err := bucket(btx, bucketOAuthTokens)
		if err != nil {
			return err
		}
		prefix := pairKey(accountID, "")
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			tok, err := getJSON[OAuthToken](tokens, k[len(prefix):])
			if err != nil {
				return err
			}
			out = append(out, tok)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: oauth tokens of %s: %w", accountID, err)
	}
	slices.SortFunc(out, func(a, b *OAuthToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}
