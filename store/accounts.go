package store

// Bucket family: accounts (local accounts: people and organisations).
//
//	accounts              key: account ID (ULID from NewID, 26 chars)
//	                      value: JSON Account
//	                      order: by ID, which for NewID IDs is creation order
//	accounts_by_username  key: strings.ToLower(Username)   value: account ID
//	accounts_by_email     key: strings.ToLower(Email)      value: account ID
//	                      (only accounts with a non-empty Email)
//
// Invariant, kept by CreateAccount and UpdateAccount in the same transaction
// as the record: every account has exactly one username index entry and at
// most one email index entry, and every index entry names an existing account.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketAccounts           = []byte("accounts")
	bucketAccountsByUsername = []byte("accounts_by_username")
	bucketAccountsByEmail    = []byte("accounts_by_email")
)

// Errors returned when an account write would duplicate a unique field. Both
// wrap ErrConflict.
var (
	ErrUsernameTaken error = conflictError("username is taken")
	ErrEmailTaken    error = conflictError("email is used by another account")
)

// conflictError is a specific ErrConflict.
type conflictError string

func (e conflictError) Error() string { return string(e) }
func (e conflictError) Unwrap() error { return ErrConflict }

// Account is a local account. The JSON tags define the stored format: renaming
// a tag needs a migration.
type Account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Kind        string `json:"kind"` // "person" | "organization"
	Role        string `json:"role"` // "admin" | "moderator" | "publisher" | "member"
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Summary     string `json:"summary,omitempty"`
	// PasswordHash is whatever the caller's password scheme produced (bcrypt).
	PasswordHash string `json:"password_hash,omitempty"`
	// PrivateKeyPEM and PublicKeyPEM are the actor's RSA-2048 key pair, PKCS#1
	// or PKCS#8 PEM, set by the caller.
	PrivateKeyPEM             string `json:"private_key_pem,omitempty"`
	PublicKeyPEM              string `json:"public_key_pem,omitempty"`
	Disabled                  bool   `json:"disabled,omitempty"`
	ManuallyApprovesFollowers bool   `json:"manually_approves_followers,omitempty"`
	Discoverable              bool   `json:"discoverable,omitempty"`
	// ActsFor lists the organisation account IDs a publisher may act for.
	ActsFor   []string  `json:"acts_for,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Ed25519Key is the actor's object-signing key (FEP-8b32 proofs): the
	// private key's seed in multibase (ed25519-priv multicodec), set by the
	// caller. Accounts older than proofs get one when the instance opens.
	Ed25519Key string `json:"ed25519_key,omitempty"`
}

func (a *Account) clone() *Account {
	c := *a
	c.ActsFor = slices.Clone(a.ActsFor)
	return &c
}

type accountBuckets struct{ byID, byUsername, byEmail *bolt.Bucket }

func openAccountBuckets(tx *bolt.Tx) (accountBuckets, error) {
	var bs accountBuckets
	var err error
	if bs.byID, err = bucket(tx, bucketAccounts); err != nil {
		return bs, err
	}
	if bs.byUsername, err = bucket(tx, bucketAccountsByUsername); err != nil {
		return bs, err
	}
	bs.byEmail, err = bucket(tx, bucketAccountsByEmail)
	return bs, err
}

// CreateAccount stores a new account. It assigns a.ID (NewID) if empty, sets
// CreatedAt (if zero) and UpdatedAt, and on success writes those back into a.
// Usernames are unique case-insensitively (ErrUsernameTaken), and so are
// non-empty emails (ErrEmailTaken); a taken ID is ErrConflict. The record and
// its index entries are written in one transaction.
func (db *DB) CreateAccount(ctx context.Context, a *Account) error {
	if a == nil || strings.TrimSpace(a.Username) == "" {
		return errors.New("store: create account: username is required")
	}
	rec := a.clone()
	if rec.ID == "" {
		rec.ID = db.NewID()
	}
	now := time.Now().UTC()
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	rec.UpdatedAt = now
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := openAccountBuckets(tx)
		if err != nil {
			return err
		}
		if bs.byID.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("account ID %s exists: %w", rec.ID, ErrConflict)
		}
		if err := reindex(bs.byUsername, "", foldKey(rec.Username), rec.ID, ErrUsernameTaken); err != nil {
			return err
		}
		if err := reindex(bs.byEmail, "", foldKey(rec.Email), rec.ID, ErrEmailTaken); err != nil {
			return err
		}
		return putJSON(bs.byID, []byte(rec.ID), rec)
	})
	if err != nil {
		return fmt.Errorf("store: create account %q: %w", a.Username, err)
	}
	*a = *rec
	return nil
}

// AccountByID returns the account with this ID, or an error wrapping ErrNotFound.
func (db *DB) AccountByID(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAccounts)
		if err != nil {
			return err
		}
		a, err = getJSON[Account](b, []byte(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: account %s: %w", id, err)
	}
	return a, nil
}

// AccountByUsername returns the account whose username equals username
// case-insensitively, or an error wrapping ErrNotFound.
func (db *DB) AccountByUsername(ctx context.Context, username string) (*Account, error) {
	a, err := db.accountByIndex(ctx, bucketAccountsByUsername, username)
	if err != nil {
		return nil, fmt.Errorf("store: account with username %q: %w", username, err)
	}
	return a, nil
}

// AccountByEmail returns the account whose email equals email
// case-insensitively, or an error wrapping ErrNotFound.
func (db *DB) AccountByEmail(ctx context.Context, email string) (*Account, error) {
	a, err := db.accountByIndex(ctx, bucketAccountsByEmail, email)
	if err != nil {
		return nil, fmt.Errorf("store: account with email %q: %w", email, err)
	}
	return a, nil
}

func (db *DB) accountByIndex(ctx context.Context, index []byte, value string) (*Account, error) {
	key := foldKey(value)
	if key == "" {
		return nil, ErrNotFound
	}
	var a *Account
	err := db.view(ctx, func(tx *bolt.Tx) error {
		idx, err := bucket(tx, index)
		if err != nil {
			return err
		}
		accounts, err := bucket(tx, bucketAccounts)
		if err != nil {
			return err
		}
		id := idx.Get([]byte(key))
		if id == nil {
			return ErrNotFound
		}
		a, err = getJSON[Account](accounts, id)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("index %s points at missing account %s: database damaged", index, id)
		}
		return err
	})
	return a, err
}

// Accounts returns every account ordered by ID (creation order for IDs from
// NewID), from one consistent snapshot.
func (db *DB) Accounts(ctx context.Context) ([]*Account, error) {
	var out []*Account
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAccounts)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			a, err := getJSON[Account](b, k)
			if err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	return out, nil
}

// CountAccounts returns the number of accounts.
func (db *DB) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketAccounts)
		if err != nil {
			return err
		}
		n = b.Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count accounts: %w", err)
	}
	return n, nil
}

// UpdateAccount loads account id, calls fn on a copy, and saves the result,
// all in one write transaction: concurrent updates of the same account are
// serialised, never lost. If fn returns an error nothing is saved and that
// error is returned (wrapped). fn must not change ID (error) and cannot change
// CreatedAt (restored); UpdatedAt is set to now. A changed username or email
// moves its index entry; taking one another account holds fails with
// ErrUsernameTaken / ErrEmailTaken. A missing account wraps ErrNotFound.
//
// fn runs inside the write transaction: keep it quick, and do no network I/O
// and no other DB calls in it (they would deadlock waiting for this one).
func (db *DB) UpdateAccount(ctx context.Context, id string, fn func(*Account) error) (*Account, error) {
	var out *Account
	err := db.update(ctx, func(tx *bolt.Tx) error {
		bs, err := openAccountBuckets(tx)
		if err != nil {
			return err
		}
		old, err := getJSON[Account](bs.byID, []byte(id))
		if err != nil {
			return err
		}
		a := old.clone()
		if err := fn(a); err != nil {
			return err
		}
		if a.ID != old.ID {
			return fmt.Errorf("update may not change the ID (to %q)", a.ID)
		}
		if strings.TrimSpace(a.Username) == "" {
			return errors.New("username is required")
		}
		a.CreatedAt = old.CreatedAt
		a.UpdatedAt = time.Now().UTC()
		if err := reindex(bs.byUsername, foldKey(old.Username), foldKey(a.Username), id, ErrUsernameTaken); err != nil {
			return err
		}
		if err := reindex(bs.byEmail, foldKey(old.Email), foldKey(a.Email), id, ErrEmailTaken); err != nil {
			return err
		}
		if err := putJSON(bs.byID, []byte(id), a); err != nil {
			return err
		}
		out = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: update account %s: %w", id, err)
	}
	return out, nil
}

// foldKey is the index key for a case-insensitive unique field.
func foldKey(s string) string { return strings.ToLower(s) }

// reindex moves id's entry in a unique index from oldKey to newKey ("" means
// no entry). It fails with taken if newKey belongs to another ID.
func reindex(idx *bolt.Bucket, oldKey, newKey, id string, taken error) error {
	if oldKey == newKey {
		return nil
	}
	if newKey != "" {
		if owner := idx.Get([]byte(newKey)); owner != nil && string(owner) != id {
			return fmt.Errorf("%w: %q", taken, newKey)
		}
	}
	if oldKey != "" {
		if err := idx.Delete([]byte(oldKey)); err != nil {
			return err
		}
	}
	if newKey != "" {
		return idx.Put([]byte(newKey), []byte(id))
	}
	return nil
}

// Staff returns the enabled admin and moderator accounts, inside a
// transaction (moderators are notified of new review items and reports).
func (t *Tx) Staff() ([]*Account, error) {
	b, err := bucket(t.tx, bucketAccounts)
	if err != nil {
		return nil, err
	}
	var out []*Account
	err = b.ForEach(func(k, _ []byte) error {
		a, err := getJSON[Account](b, k)
		if err != nil {
			return err
		}
		if !a.Disabled && (a.Role == "admin" || a.Role == "moderator") {
			out = append(out, a)
		}
		return nil
	})
	return out, err
}
