package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-oauth2/oauth2/v4/manage"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/store"
)

// OOBRedirectURI is the redirect URI that asks for the code to be shown to
// the person instead of sent to the app.
const OOBRedirectURI = "urn:ietf:wg:oauth:2.0:oob"

// Limits on app registration (Mastodon's).
const (
	maxAppNameLen = 60
	maxURILen     = 2000
)

// Options tunes a Service. The zero value is right for production.
type Options struct {
	Logger *slog.Logger
	// Audit, if set, is called after every authorisation, token issue and
	// revocation, with who did it and as whom. The audit log hooks in here.
	Audit func(context.Context, AuditEvent)
	// SessionKey signs the sign-in sessions of the authorisation page. Empty
	// means a random key per process: sessions then end with the process,
	// which only makes people sign in again before approving an app.
	SessionKey []byte
	// SessionTTL is how long a sign-in on the authorisation page lasts
	// (default 12 hours).
	SessionTTL time.Duration
	// CodeTTL is how long an authorization code can be exchanged (default
	// 10 minutes, Doorkeeper's).
	CodeTTL time.Duration
}

// AuditEvent says who authorised what. Actions: "oauth.authorize" (a person
// approved an app on the consent page), "oauth.token" (a token was issued),
// "oauth.revoke".
type AuditEvent struct {
	Action    string
	Grant     string // for oauth.token: the grant type
	AccountID string // the person; "" for app tokens
	ActAsID   string // the organisation they act for, if any
	// Username and ActAsUsername name the two accounts, for the log.
	Username      string
	ActAsUsername string
	ClientID      string
	AppName       string
	Scopes        Scopes
	TokenID       string // the token record's ID (never the token), if any
	At            time.Time
}

// Service registers apps, runs the authorisation and token endpoints'
// logic, and resolves bearer tokens. It is safe for concurrent use.
type Service struct {
	db         *store.DB
	accounts   *account.Service
	mgr        *manage.Manager
	log        *slog.Logger
	audit      func(context.Context, AuditEvent)
	sessionKey []byte
	sessionTTL time.Duration
	now        func() time.Time
}

// NewService returns a Service over db; accounts checks passwords.
func NewService(db *store.DB, accounts *account.Service, opts Options) *Service {
	s := &Service{
		db: db, accounts: accounts, log: opts.Logger, audit: opts.Audit,
		sessionKey: opts.SessionKey, sessionTTL: opts.SessionTTL, now: time.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if len(s.sessionKey) == 0 {
		s.sessionKey = make([]byte, 32)
		_, _ = rand.Read(s.sessionKey)
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = 12 * time.Hour
	}
	codeTTL := opts.CodeTTL
	if codeTTL <= 0 {
		codeTTL = 10 * time.Minute
	}
	s.mgr = newManager(db, codeTTL)
	return s
}

func (s *Service) record(ctx context.Context, e AuditEvent) {
	e.At = s.now().UTC()
	e.Username = s.username(ctx, e.Username, e.AccountID)
	e.ActAsUsername = s.username(ctx, e.ActAsUsername, e.ActAsID)
	s.log.InfoContext(ctx, e.Action, "grant", e.Grant, "account", e.Username, "act_as", e.ActAsUsername,
		"account_id", e.AccountID, "act_as_id", e.ActAsID,
		"client_id", e.ClientID, "app", e.AppName, "scopes", e.Scopes.String(), "token_id", e.TokenID)
	if s.audit != nil {
		s.audit(ctx, e)
	}
}

// username returns known, or else the username of account id ("" if none).
func (s *Service) username(ctx context.Context, known, id string) string {
	if known != "" || id == "" {
		return known
	}
	if a, err := s.db.AccountByID(ctx, id); err == nil {
		return a.Username
	}
	return ""
}

// App is a registered client application. ClientSecret is set only in
// RegisterApp's result: it is stored hashed and cannot be read back.
type App struct {
	ID           string
	Name         string
	Website      string
	RedirectURIs []string
	Scopes       Scopes
	ClientID     string
	ClientSecret string
	CreatedAt    time.Time
}

func appFrom(a *store.OAuthApp) *App {
	return &App{
		ID: a.ID, Name: a.Name, Website: a.Website, RedirectURIs: slices.Clone(a.RedirectURIs),
		Scopes: Scopes(slices.Clone(a.Scopes)), ClientID: a.ClientID, CreatedAt: a.CreatedAt,
	}
}

// AppInput is what POST /api/v1/apps takes. RedirectURIs may hold several
// URIs per element, separated by white space.
type AppInput struct {
	Name         string
	RedirectURIs []string
	Scopes       string // space-separated; empty means "read"
	Website      string
}

// RegisterApp validates in and stores a new app with a fresh client ID and
// secret. Every invalid field is reported at once (an EINVALID error).
func (s *Service) RegisterApp(ctx context.Context, in AppInput) (*App, error) {
	var fields []tocsin.FieldError
	add := func(f, m string) { fields = append(fields, tocsin.FieldError{Field: f, Message: m}) }
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		add("client_name", "can't be blank")
	case len([]rune(name)) > maxAppNameLen:
		add("client_name", fmt.Sprintf("is too long (maximum is %d characters)", maxAppNameLen))
	}
	var uris []string
	for _, v := range in.RedirectURIs {
		for _, u := range strings.Fields(v) {
			if !slices.Contains(uris, u) {
				uris = append(uris, u)
			}
		}
	}
	if len(uris) == 0 {
		add("redirect_uris", "can't be blank")
	}
	for _, u := range uris {
		if err := validateRedirectURI(u); err != nil {
			add("redirect_uris", err.Error())
		}
	}
	scopes, err := ParseScopes(in.Scopes)
	if err != nil {
		add("scopes", err.Error())
	}
	website := strings.TrimSpace(in.Website)
	if website != "" {
		if u, err := url.Parse(website); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(website) > maxURILen {
			add("website", "must be an http or https URL")
		}
	}
	if len(fields) > 0 {
		return nil, &tocsin.Error{Code: tocsin.EINVALID, Message: "Validation failed", Fields: fields}
	}
	secret := newSecret()
	rec := &store.OAuthApp{
		ID: s.db.NewID(), ClientID: newSecret(), SecretHash: store.HashOAuthSecret(secret),
		Name: name, Website: website, RedirectURIs: uris, Scopes: scopes, CreatedAt: s.now().UTC(),
	}
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.PutOAuthApp(rec) }); err != nil {
		return nil, fmt.Errorf("register app %q: %w", name, err)
	}
	s.log.InfoContext(ctx, "oauth app registered", "app", name, "client_id", rec.ClientID, "scopes", scopes.String())
	app := appFrom(rec)
	app.ClientSecret = secret
	return app, nil
}

// validateRedirectURI accepts the out-of-band URI and absolute URIs without
// a fragment; custom schemes are fine (native apps), script schemes are not.
func validateRedirectURI(raw string) error {
	if raw == OOBRedirectURI {
		return nil
	}
	if len(raw) > maxURILen {
		return fmt.Errorf("must be at most %d characters", maxURILen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%q must be an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q must not contain a fragment", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript":
		return fmt.Errorf("%q uses a forbidden scheme", raw)
	}
	return nil
}

// App returns a registered app (ENOTFOUND when unknown).
func (s *Service) App(ctx context.Context, clientID string) (*App, error) {
	rec, err := s.storedApp(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return appFrom(rec), nil
}

func (s *Service) storedApp(ctx context.Context, clientID string) (*store.OAuthApp, error) {
	var rec *store.OAuthApp
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		rec, err = tx.OAuthApp(clientID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, &tocsin.Error{Code: tocsin.ENOTFOUND, Message: "app not found", Err: err}
	}
	return rec, err
}

// mayUseAdminScopes: admin scopes are for admins and moderators only.
func mayUseAdminScopes(a *store.Account) bool {
	return a != nil && (a.Role == account.RoleAdmin || a.Role == account.RoleModerator)
}
