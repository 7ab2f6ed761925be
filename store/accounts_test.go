package store

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
)

func TestCreateAccountAndLookUpCaseInsensitively(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	a := &Account{
		Username: "Alice", Kind: "person", Role: "publisher", Email: "Alice@Example.org",
		DisplayName: "Alice A.", PasswordHash: "$2a$hash", PrivateKeyPEM: "priv", PublicKeyPEM: "pub",
		ManuallyApprovesFollowers: true, Discoverable: true, ActsFor: []string{"01ORG"},
	}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() {
		t.Fatalf("CreateAccount did not fill ID and times: %+v", a)
	}

	byID, err := db.AccountByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byID, a) {
		t.Errorf("AccountByID = %+v\nwant %+v", byID, a)
	}
	for _, name := range []string{"alice", "ALICE", "Alice"} {
		got, err := db.AccountByUsername(ctx, name)
		if err != nil || got.ID != a.ID {
			t.Errorf("AccountByUsername(%q) = %v, %v", name, got, err)
		}
	}
	for _, email := range []string{"alice@example.org", "ALICE@EXAMPLE.ORG"} {
		got, err := db.AccountByEmail(ctx, email)
		if err != nil || got.ID != a.ID {
			t.Errorf("AccountByEmail(%q) = %v, %v", email, got, err)
		}
	}
	for name, lookup := range map[string]func() (*Account, error){
		"id":       func() (*Account, error) { return db.AccountByID(ctx, "01NOPE") },
		"username": func() (*Account, error) { return db.AccountByUsername(ctx, "bob") },
		"email":    func() (*Account, error) { return db.AccountByEmail(ctx, "bob@example.org") },
		"no email": func() (*Account, error) { return db.AccountByEmail(ctx, "") },
	} {
		if _, err := lookup(); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing by %s: %v, want ErrNotFound", name, err)
		}
	}
	if err := db.CreateAccount(ctx, &Account{Username: " "}); err == nil {
		t.Error("account with a blank username was created")
	}
}

func TestCreateAccountRejectsDuplicateUsernameAndEmail(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	first := &Account{Username: "alice", Email: "alice@example.org"}
	if err := db.CreateAccount(ctx, first); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    *Account
		want error
	}{
		{"username differing in case", &Account{Username: "ALICE"}, ErrUsernameTaken},
		{"email differing in case", &Account{Username: "bob", Email: "Alice@EXAMPLE.org"}, ErrEmailTaken},
		{"existing ID", &Account{ID: first.ID, Username: "carol"}, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.CreateAccount(ctx, tt.a)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrConflict) {
				t.Fatalf("CreateAccount = %v, want %v (an ErrConflict)", err, tt.want)
			}
		})
	}
	// A failed create claims nothing: "bob" is still free, and so is the ID.
	if err := db.CreateAccount(ctx, &Account{Username: "bob"}); err != nil {
		t.Errorf("bob after failed create: %v", err)
	}
	// Accounts without email do not collide with each other.
	if err := db.CreateAccount(ctx, &Account{Username: "carol"}); err != nil {
		t.Errorf("second account without email: %v", err)
	}
	if n, _ := db.CountAccounts(ctx); n != 3 {
		t.Errorf("CountAccounts = %d, want 3", n)
	}
}

func TestUpdateAccountKeepsIndexesRight(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	alice := &Account{Username: "alice", Email: "alice@old.example"}
	bob := &Account{Username: "bob", Email: "bob@example.org"}
	for _, a := range []*Account{alice, bob} {
		if err := db.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	updated, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error {
		a.Username = "Alicia"
		a.Email = "alice@new.example"
		a.DisplayName = "Alicia"
		a.CreatedAt = a.CreatedAt.AddDate(-1, 0, 0) // ignored
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !updated.CreatedAt.Equal(alice.CreatedAt) || updated.UpdatedAt.Before(alice.UpdatedAt) {
		t.Errorf("times after update: created %v (want %v), updated %v", updated.CreatedAt, alice.CreatedAt, updated.UpdatedAt)
	}
	if got, err := db.AccountByUsername(ctx, "alicia"); err != nil || got.DisplayName != "Alicia" {
		t.Errorf("by new username: %v, %v", got, err)
	}
	if got, err := db.AccountByEmail(ctx, "ALICE@new.example"); err != nil || got.ID != alice.ID {
		t.Errorf("by new email: %v, %v", got, err)
	}
	if _, err := db.AccountByUsername(ctx, "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old username still found: %v", err)
	}
	if _, err := db.AccountByEmail(ctx, "alice@old.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old email still found: %v", err)
	}
	// The old username and email are free for someone else.
	if err := db.CreateAccount(ctx, &Account{Username: "alice", Email: "alice@old.example"}); err != nil {
		t.Errorf("reusing freed username and email: %v", err)
	}

	// Taking bob's username or email fails and changes nothing.
	if _, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error { a.Username = "BOB"; return nil }); !errors.Is(err, ErrUsernameTaken) {
		t.Errorf("take bob's username: %v", err)
	}
	if _, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error {
		a.DisplayName = "changed"
		a.Email = "bob@example.org"
		return nil
	}); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("take bob's email: %v", err)
	}
	if got, _ := db.AccountByID(ctx, alice.ID); got.DisplayName != "Alicia" || got.Username != "Alicia" {
		t.Errorf("failed updates changed the account: %+v", got)
	}

	// fn's error aborts the update.
	errStop := errors.New("stop")
	if _, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error { a.DisplayName = "x"; return errStop }); !errors.Is(err, errStop) {
		t.Errorf("fn error: %v", err)
	}
	// Clearing the email frees it; changing the ID is refused.
	if _, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error { a.Email = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AccountByEmail(ctx, "alice@new.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cleared email still found: %v", err)
	}
	if _, err := db.UpdateAccount(ctx, alice.ID, func(a *Account) error { a.ID = "other"; return nil }); err == nil {
		t.Error("update changed the ID")
	}
	if _, err := db.UpdateAccount(ctx, "01NOPE", func(*Account) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("update missing account: %v", err)
	}
}

func TestConcurrentAccountUpdatesAreNotLost(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	org := &Account{Username: "network", Kind: "organization"}
	if err := db.CreateAccount(ctx, org); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := db.NewID()
			if _, err := db.UpdateAccount(ctx, org.ID, func(a *Account) error {
				a.ActsFor = append(a.ActsFor, id)
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := db.AccountByID(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ActsFor) != n {
		t.Errorf("%d of %d concurrent updates survived", len(got.ActsFor), n)
	}
}

func TestAccountsAreListedInCreationOrder(t *testing.T) {
	ctx := context.Background()
	db := newTestDB(t)
	names := []string{"zed", "amy", "mia", "bob"}
	for _, name := range names {
		if err := db.CreateAccount(ctx, &Account{Username: name}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.Username)
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("Accounts order = %v, want %v", got, names)
	}
	if n, err := db.CountAccounts(ctx); err != nil || n != len(names) {
		t.Errorf("CountAccounts = %d, %v", n, err)
	}
}
