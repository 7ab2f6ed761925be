// Package account owns local accounts: who may sign in, with which role, as
// which kind of actor, and which organisations a publisher may act for. It
// validates input, hashes passwords and generates each actor's RSA key pair
// and Ed25519 object-signing key; persistence is the store's. It imports
// neither echo nor go-fed.
package account

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/integrity"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// Kinds of account: a person, or an organisation (a member network's voice).
const (
	KindPerson       = "person"
	KindOrganization = "organization"
)

// Roles, from most to least powerful. A publisher may act for the
// organisations granted to them; a member follows, reads and reports.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RolePublisher = "publisher"
	RoleMember    = "member"
)

// Kinds and Roles list the accepted values, for help texts and validation.
var (
	Kinds = []string{KindPerson, KindOrganization}
	Roles = []string{RoleAdmin, RoleModerator, RolePublisher, RoleMember}
)

// Password length limits: bcrypt reads at most 72 bytes, so a longer
// password would silently lose its tail; we refuse it instead.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
)

// usernamePattern is Mastodon's: letters, digits and underscores. We store
// names as given and compare them case-insensitively.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)

// reserved names would collide with routes or mislead people.
var reserved = []string{"actor", "api", "inbox", "instance", "nodeinfo", "oauth", "outbox",
	"settings", "static", "system", "users", "well_known"}

// Service creates and changes local accounts. It is safe for concurrent use.
type Service struct {
	db       *store.DB
	log      *slog.Logger
	hashCost int
	now      func() time.Time
}

// Option changes a Service default.
type Option func(*Service)

// WithHashCost sets the bcrypt cost (tests use bcrypt.MinCost).
func WithHashCost(cost int) Option { return func(s *Service) { s.hashCost = cost } }

// NewService returns a Service over db.
func NewService(db *store.DB, log *slog.Logger, opts ...Option) *Service {
	s := &Service{db: db, log: log, hashCost: bcrypt.DefaultCost, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// CreateInput is what a new account needs. Password may be empty only for
// organisation accounts, whose staff act through their own accounts.
type CreateInput struct {
	Username    string `json:"username"`
	Kind        string `json:"kind"`
	Role        string `json:"role"`
	Email       string `json:"email,omitempty"`
	Password    string `json:"password,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Summary     string `json:"summary,omitempty"`
}

// Validate returns every problem with the input at once.
func (in *CreateInput) Validate() error {
	var fields []tocsin.FieldError
	add := func(f, m string) { fields = append(fields, tocsin.FieldError{Field: f, Message: m}) }
	if err := ValidateUsername(in.Username); err != nil {
		add("username", err.Error())
	}
	if !slices.Contains(Kinds, in.Kind) {
		add("kind", fmt.Sprintf("must be one of %s, got %q", strings.Join(Kinds, ", "), in.Kind))
	}
	if !slices.Contains(Roles, in.Role) {
		add("role", fmt.Sprintf("must be one of %s, got %q", strings.Join(Roles, ", "), in.Role))
	}
	if in.Email != "" {
		if err := validateEmail(in.Email); err != nil {
			add("email", err.Error())
		}
	}
	if in.Password != "" || in.Kind != KindOrganization {
		if err := ValidatePassword(in.Password); err != nil {
			add("password", err.Error())
		}
	}
	if len(in.DisplayName) > 100 {
		add("display_name", "must be at most 100 characters")
	}
	if len(fields) > 0 {
		return tocsin.Invalid(fields...)
	}
	return nil
}

// ValidateUsername says why name cannot be a username, or nil.
func ValidateUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return errors.New("must be 1 to 30 letters, digits or underscores")
	}
	if slices.Contains(reserved, strings.ToLower(name)) {
		return fmt.Errorf("%q is reserved", name)
	}
	return nil
}

// ValidatePassword says why pw is not an acceptable password, or nil.
func ValidatePassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("is required")
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

func validateEmail(addr string) error {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return errors.New("is not a valid email address")
	}
	return nil
}

// Create validates in, hashes the password, generates the actor's RSA-2048
// key pair (HTTP signatures) and Ed25519 key (object integrity proofs) and
// stores the account. Organisation accounts approve their
// followers by hand (TLP:GREEN reaches approved followers only).
func (s *Service) Create(ctx context.Context, in CreateInput) (*store.Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var hash string
	if in.Password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.hashCost)
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
		hash = string(h)
	}
	_, privPEM, pubPEM, err := signature.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate key for %s: %w", in.Username, err)
	}
	edKey, err := newEd25519Key()
	if err != nil {
		return nil, fmt.Errorf("generate object-signing key for %s: %w", in.Username, err)
	}
	now := s.now().UTC()
	a := &store.Account{
		Username:                  in.Username,
		Kind:                      in.Kind,
		Role:                      in.Role,
		Email:                     in.Email,
		DisplayName:               in.DisplayName,
		Summary:                   in.Summary,
		PasswordHash:              hash,
		PrivateKeyPEM:             privPEM,
		PublicKeyPEM:              pubPEM,
		Ed25519Key:                edKey,
		ManuallyApprovesFollowers: in.Kind == KindOrganization,
		Discoverable:              true,
		CreatedAt:                 now,
		UpdatedAt:                 now,
	}
	if err := s.db.CreateAccount(ctx, a); err != nil {
		return nil, storeError(err, "account "+in.Username)
	}
	s.log.InfoContext(ctx, "account created", "username", a.Username, "kind", a.Kind, "role", a.Role)
	return a, nil
}

// newEd25519Key returns a fresh Ed25519 private key in the multibase form
// store.Account keeps.
func newEd25519Key() (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	return integrity.EncodePrivateKey(priv), nil
}

// EnsureSigningKeys gives every account created before object integrity
// proofs an Ed25519 key, and returns how many it gave one. Instances call
// it when they open; accounts that have a key keep it.
func (s *Service) EnsureSigningKeys(ctx context.Context) (int, error) {
	all, err := s.db.Accounts(ctx)
	if err != nil {
		return 0, fmt.Errorf("list accounts: %w", err)
	}
	n := 0
	for _, a := range all {
		if a.Ed25519Key != "" {
			continue
		}
		key, err := newEd25519Key()
		if err != nil {
			return n, fmt.Errorf("generate object-signing key for %s: %w", a.Username, err)
		}
		added := false
		_, err = s.db.UpdateAccount(ctx, a.ID, func(a *store.Account) error {
			if a.Ed25519Key == "" { // not given one meanwhile
				a.Ed25519Key, added = key, true
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("store object-signing key for %s: %w", a.Username, err)
		}
		if added {
			n++
		}
	}
	if n > 0 {
		s.log.InfoContext(ctx, "object-signing keys generated for existing accounts", "accounts", n)
	}
	return n, nil
}

// Get returns the account with the given username (case-insensitive).
func (s *Service) Get(ctx context.Context, username string) (*store.Account, error) {
	a, err := s.db.AccountByUsername(ctx, username)
	if err != nil {
		return nil, storeError(err, "account "+username)
	}
	return a, nil
}

// List returns every local account, oldest first.
func (s *Service) List(ctx context.Context) ([]*store.Account, error) {
	return s.db.Accounts(ctx)
}

// SetDisabled disables or re-enables an account. A disabled account cannot
// sign in or publish; its actor document stays served, so peers can still
// verify what it signed before.
func (s *Service) SetDisabled(ctx context.Context, username string, disabled bool) (*store.Account, error) {
	return s.update(ctx, username, func(a *store.Account) error {
		a.Disabled = disabled
		return nil
	})
}

// ResetPassword replaces an account's password.
func (s *Service) ResetPassword(ctx context.Context, username, password string) error {
	if err := ValidatePassword(password); err != nil {
		return tocsin.Invalid(tocsin.FieldError{Field: "password", Message: err.Error()})
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.hashCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	_, err = s.update(ctx, username, func(a *store.Account) error {
		a.PasswordHash = string(h)
		return nil
	})
	return err
}

// Grant lets a publisher (or admin) act for an organisation account.
func (s *Service) Grant(ctx context.Context, publisher, organization string) error {
	org, err := s.Get(ctx, organization)
	if err != nil {
		return err
	}
	if org.Kind != KindOrganization {
		return tocsin.Invalid(tocsin.FieldError{Field: "organization", Message: fmt.Sprintf("%s is not an organisation account", organization)})
	}
	_, err = s.update(ctx, publisher, func(a *store.Account) error {
		if a.Kind != KindPerson || (a.Role != RolePublisher && a.Role != RoleAdmin) {
			return tocsin.Invalid(tocsin.FieldError{Field: "publisher", Message: fmt.Sprintf("%s must be a person with the publisher or admin role", publisher)})
		}
		if !slices.Contains(a.ActsFor, org.ID) {
			a.ActsFor = append(a.ActsFor, org.ID)
		}
		return nil
	})
	if err == nil {
		s.log.InfoContext(ctx, "publisher granted", "publisher", publisher, "organization", organization)
	}
	return err
}

// Revoke removes a publisher's right to act for an organisation.
func (s *Service) Revoke(ctx context.Context, publisher, organization string) error {
	org, err := s.Get(ctx, organization)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, publisher, func(a *store.Account) error {
		a.ActsFor = slices.DeleteFunc(a.ActsFor, func(id string) bool { return id == org.ID })
		return nil
	})
	return err
}

// ProfileInput changes an account's public profile; a nil field is left
// as it is.
type ProfileInput struct {
	DisplayName  *string
	Summary      *string // the bio as plain text
	Locked       *bool   // approve followers by hand
	Discoverable *bool
}

// Profile limits, Mastodon's for the note.
const (
	MaxDisplayNameLen = 100
	MaxSummaryLen     = 500
)

// UpdateProfile validates in and applies it to the account with the given
// username. Every invalid field is named at once.
func (s *Service) UpdateProfile(ctx context.Context, username string, in ProfileInput) (*store.Account, error) {
	var fields []tocsin.FieldError
	if in.DisplayName != nil && utf8.RuneCountInString(*in.DisplayName) > MaxDisplayNameLen {
		fields = append(fields, tocsin.FieldError{Field: "display_name", Message: fmt.Sprintf("must be at most %d characters", MaxDisplayNameLen)})
	}
	if in.Summary != nil && utf8.RuneCountInString(*in.Summary) > MaxSummaryLen {
		fields = append(fields, tocsin.FieldError{Field: "note", Message: fmt.Sprintf("must be at most %d characters", MaxSummaryLen)})
	}
	if len(fields) > 0 {
		return nil, tocsin.Invalid(fields...)
	}
	return s.update(ctx, username, func(a *store.Account) error {
		if in.DisplayName != nil {
			a.DisplayName = strings.TrimSpace(*in.DisplayName)
		}
		if in.Summary != nil {
			a.Summary = strings.TrimSpace(*in.Summary)
		}
		if in.Locked != nil {
			a.ManuallyApprovesFollowers = *in.Locked
		}
		if in.Discoverable != nil {
			a.Discoverable = *in.Discoverable
		}
		return nil
	})
}

// Authenticate checks a username or email and a password. Every failure is
// the same EUNAUTHORIZED error, so it tells an attacker nothing.
func (s *Service) Authenticate(ctx context.Context, login, password string) (*store.Account, error) {
	denied := tocsin.Errorf(tocsin.EUNAUTHORIZED, "invalid username or password")
	a, err := s.db.AccountByUsername(ctx, login)
	if errors.Is(err, store.ErrNotFound) && strings.Contains(login, "@") {
		a, err = s.db.AccountByEmail(ctx, login)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, denied
		}
		return nil, err
	}
	if a.Disabled || a.PasswordHash == "" ||
		bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		return nil, denied
	}
	return a, nil
}

func (s *Service) update(ctx context.Context, username string, fn func(*store.Account) error) (*store.Account, error) {
	a, err := s.Get(ctx, username)
	if err != nil {
		return nil, err
	}
	updated, err := s.db.UpdateAccount(ctx, a.ID, func(a *store.Account) error {
		if err := fn(a); err != nil {
			return err
		}
		a.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return nil, storeError(err, "account "+username)
	}
	return updated, nil
}

// storeError turns the store's sentinel errors into coded errors that say
// what was not found or already taken.
func storeError(err error, what string) error {
	var te *tocsin.Error
	switch {
	case errors.As(err, &te):
		return err
	case errors.Is(err, store.ErrNotFound):
		return &tocsin.Error{Code: tocsin.ENOTFOUND, Message: what + " not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &tocsin.Error{Code: tocsin.ECONFLICT, Message: err.Error(), Err: err}
	}
	return err
}
