package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func putTestApp(t *testing.T, db *DB, clientID, secret string) *OAuthApp {
	t.Helper()
	app := &OAuthApp{
		ID: db.NewID(), ClientID: clientID, SecretHash: HashOAuthSecret(secret), Name: "Test app",
		RedirectURIs: []string{"https://app.example/cb"}, Scopes: []string{"read", "write"}, CreatedAt: time.Now().UTC(),
	}
	if err := db.Update(context.Background(), func(tx *Tx) error { return tx.PutOAuthApp(app) }); err != nil {
		t.Fatal(err)
	}
	return app
}

func TestOAuthAppIsStoredWithItsSecretHashed(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	putTestApp(t, db, "client-1", "s3cret-value")

	var got *OAuthApp
	if err := db.View(ctx, func(tx *Tx) error {
		var err error
		got, err = tx.OAuthApp("client-1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Name != "Test app" || len(got.RedirectURIs) != 1 || len(got.Scopes) != 2 {
		t.Errorf("app read back as %+v", got)
	}
	for secret, want := range map[string]bool{"s3cret-value": true, "s3cret-valuf": false, "": false} {
		if got.SecretMatches(secret) != want {
			t.Errorf("SecretMatches(%q) = %v, want %v", secret, !want, want)
		}
	}
	err := db.Update(ctx, func(tx *Tx) error { return tx.PutOAuthApp(got) })
	if !errors.Is(err, ErrConflict) {
		t.Errorf("second app with the same client ID: %v, want ErrConflict", err)
	}
	err = db.View(ctx, func(tx *Tx) error { _, err := tx.OAuthApp("nope"); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown app: %v, want ErrNotFound", err)
	}
}

func TestOAuthCodeCanBeTakenOnlyOnceEvenConcurrently(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	now := time.Now().UTC()
	code := &OAuthCode{ClientID: "c", AccountID: "a", RedirectURI: "https://app.example/cb",
		Scopes: []string{"read"}, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutOAuthCode("the-code", code) }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan struct{}, 8)
	for range 8 {
		wg.Go(func() {
			err := db.Update(ctx, func(tx *Tx) error { return tx.DeleteOAuthCode("the-code") })
			if err == nil {
				wins <- struct{}{}
			} else if !errors.Is(err, ErrNotFound) {
				t.Errorf("DeleteOAuthCode: %v", err)
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d concurrent takers got the code, want exactly 1", len(wins))
	}
}

func TestExpiredOAuthCodesArePurgedWhenANewOneIsStored(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	old := time.Now().Add(-time.Hour).UTC()
	now := time.Now().UTC()
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.PutOAuthCode("old", &OAuthCode{ClientID: "c", CreatedAt: old, ExpiresAt: old.Add(10 * time.Minute)}); err != nil {
			return err
		}
		return tx.PutOAuthCode("new", &OAuthCode{ClientID: "c", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		if _, err := tx.OAuthCode("old"); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired code still there: %v", err)
		}
		_, err := tx.OAuthCode("new")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOAuthTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	person := &Account{Username: "alice", Kind: "person", Role: "publisher"}
	org := &Account{Username: "observers", Kind: "organization", Role: "publisher"}
	for _, a := range []*Account{person, org} {
		if err := db.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	putTestApp(t, db, "client-1", "secret")
	tok := &OAuthToken{ID: db.NewID(), ClientID: "client-1", AccountID: person.ID, ActAsID: org.ID,
		Scopes: []string{"read"}, CreatedAt: time.Now().UTC()}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.PutOAuthToken("access-1", "refresh-1", tok) }); err != nil {
		t.Fatal(err)
	}

	acc, err := db.OAuthAccess(ctx, "access-1")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Token.ID != tok.ID || acc.App.ClientID != "client-1" || acc.Account.ID != person.ID || acc.ActAs.ID != org.ID {
		t.Errorf("OAuthAccess = token %+v app %+v account %+v act as %+v", acc.Token, acc.App, acc.Account, acc.ActAs)
	}
	if _, err := db.OAuthAccess(ctx, "refresh-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refresh token works as an access token: %v", err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		byRefresh, err := tx.OAuthTokenByRefresh("refresh-1")
		if err == nil && byRefresh.ID != tok.ID {
			t.Errorf("OAuthTokenByRefresh = %s, want %s", byRefresh.ID, tok.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Revoking by the refresh token revokes the pair.
	at := time.Now().UTC()
	err = db.Update(ctx, func(tx *Tx) error {
		before, err := tx.RevokeOAuthToken("refresh-1", at)
		if err == nil && before.Revoked() {
			t.Error("token was revoked before it was revoked")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	acc, err = db.OAuthAccess(ctx, "access-1")
	if err != nil || !acc.Token.Revoked() {
		t.Fatalf("after revocation: %+v, %v; want a revoked token", acc, err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.OAuthTokenByRefresh("refresh-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("refresh token outlived its access token: %v", err)
		}
		before, err := tx.RevokeOAuthToken("access-1", at.Add(time.Hour))
		if err == nil && !before.RevokedAt.Equal(at) {
			t.Errorf("second revocation changed RevokedAt to %v", before.RevokedAt)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every token of an account can be revoked at once.
	second := &OAuthToken{ID: db.NewID(), ClientID: "client-1", AccountID: person.ID, Scopes: []string{"read"}, CreatedAt: time.Now().UTC()}
	appToken := &OAuthToken{ID: db.NewID(), ClientID: "client-1", Scopes: []string{"read"}, CreatedAt: time.Now().UTC()}
	var n int
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.PutOAuthToken("access-2", "", second); err != nil {
			return err
		}
		if err := tx.PutOAuthToken("app-token", "", appToken); err != nil {
			return err
		}
		n, err = tx.RevokeOAuthTokensOf(person.ID, time.Now())
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("RevokeOAuthTokensOf = %d, %v; want 1 (the other was revoked already)", n, err)
	}
	list, err := db.OAuthTokensOf(ctx, person.ID)
	if err != nil || len(list) != 2 || !list[0].Revoked() || !list[1].Revoked() {
		t.Errorf("OAuthTokensOf = %d tokens, %v; want 2, both revoked", len(list), err)
	}
	if acc, err := db.OAuthAccess(ctx, "app-token"); err != nil || acc.Account != nil || acc.Token.Revoked() {
		t.Errorf("app token: %+v, %v; want a live token without an account", acc, err)
	}
}

func TestOAuthSecretsAreNeverInTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{
		"client-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
		"authorization-code-0a1b2c3d4e5f60718293a4b5c6d7e8f9",
		"access-token-aa11bb22cc33dd44ee55ff6677889900",
		"refresh-token-99887766554433221100ffeeddccbbaa",
	}
	putTestApp(t, db, "client-1", secrets[0])
	now := time.Now().UTC()
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.PutOAuthCode(secrets[1], &OAuthCode{ClientID: "client-1", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			return err
		}
		return tx.PutOAuthToken(secrets[2], secrets[3], &OAuthToken{ID: db.NewID(), ClientID: "client-1", Scopes: []string{"read"}, CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is stored in plaintext", s)
		}
	}
	// The digests are there: the check above looked at the right file.
	if !bytes.Contains(raw, secretKey(secrets[2])) {
		t.Error("the access token's digest is not in the file either")
	}
}
