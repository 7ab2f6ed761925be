package account

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-network/tocsin/federation/integrity"
	"github.com/tocsin-network/tocsin/store"
)

func openService(t *testing.T) (*Service, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewService(db, slog.New(slog.DiscardHandler), WithHashCost(bcrypt.MinCost)), db
}

func TestNewAccountsGetAnEd25519SigningKey(t *testing.T) {
	s, _ := openService(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for _, name := range []string{"kenya_watch", "alice"} {
		kind := KindPerson
		if name == "kenya_watch" {
			kind = KindOrganization
		}
		a, err := s.Create(ctx, CreateInput{Username: name, Kind: kind, Role: RolePublisher, Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := integrity.DecodePrivateKey(stored.Ed25519Key)
		if err != nil || stored.Ed25519Key != a.Ed25519Key {
			t.Fatalf("%s: stored key %q: %v", name, stored.Ed25519Key, err)
		}
		if seen[stored.Ed25519Key] {
			t.Errorf("%s got another account's key", name)
		}
		seen[stored.Ed25519Key] = true
		// A working key: what it signs verifies with its public half.
		sig := ed25519.Sign(priv, []byte("x"))
		if !ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte("x"), sig) {
			t.Errorf("%s: key does not verify its own signature", name)
		}
	}
}

func TestAccountsFromBeforeProofsGetAKeyOnce(t *testing.T) {
	s, db := openService(t)
	ctx := context.Background()
	// As an account made by an older version: RSA keys only.
	old := &store.Account{Username: "old_org", Kind: KindOrganization, Role: RolePublisher}
	if err := db.CreateAccount(ctx, old); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.Create(ctx, CreateInput{Username: "new_org", Kind: KindOrganization, Role: RolePublisher})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.EnsureSigningKeys(ctx)
	if err != nil || n != 1 {
		t.Fatalf("EnsureSigningKeys = %d, %v; want 1 account given a key", n, err)
	}
	got, err := s.Get(ctx, "old_org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.DecodePrivateKey(got.Ed25519Key); err != nil {
		t.Fatalf("old account's key %q: %v", got.Ed25519Key, err)
	}
	if again, _ := s.Get(ctx, "new_org"); again.Ed25519Key != fresh.Ed25519Key {
		t.Error("an account that had a key got another")
	}
	// Idempotent: keys are never replaced (peers cache them).
	if n, err := s.EnsureSigningKeys(ctx); err != nil || n != 0 {
		t.Errorf("second run = %d, %v", n, err)
	}
	if again, _ := s.Get(ctx, "old_org"); again.Ed25519Key != got.Ed25519Key {
		t.Error("the backfilled key changed on the second run")
	}
}
