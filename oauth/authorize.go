package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-oauth2/oauth2/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/store"
)

// AuthorizeRequest is the query of GET /oauth/authorize.
type AuthorizeRequest struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// Authorization is a checked authorisation request: the app is known, the
// redirect URI is one of its own, the scopes are within the app's.
type Authorization struct {
	App                 *App
	RedirectURI         string
	Scopes              Scopes
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// OOB reports whether the code is to be shown rather than redirected.
func (a *Authorization) OOB() bool { return a.RedirectURI == OOBRedirectURI }

// CheckAuthorize validates an authorisation request. Errors are *Error:
// when the client or redirect URI is wrong the error is to be shown to the
// person; otherwise (Redirectable) it goes back to the app.
func (s *Service) CheckAuthorize(ctx context.Context, req AuthorizeRequest) (*Authorization, error) {
	if req.ClientID == "" {
		return nil, oauthError(ErrCodeInvalidClient, "")
	}
	rec, err := s.storedApp(ctx, req.ClientID)
	if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
		return nil, oauthError(ErrCodeInvalidClient, "")
	}
	if err != nil {
		return nil, err
	}
	app := appFrom(rec)
	redirectURI := req.RedirectURI
	if redirectURI == "" && len(app.RedirectURIs) == 1 {
		redirectURI = app.RedirectURIs[0]
	}
	if !slices.Contains(app.RedirectURIs, redirectURI) {
		return nil, oauthError(ErrCodeInvalidRedirectURI, "")
	}
	a := &Authorization{App: app, RedirectURI: redirectURI, State: req.State}
	if req.ResponseType != string(oauth2.Code) {
		return a, redirectable(oauthError(ErrCodeUnsupportedResponseType, ""))
	}
	if a.Scopes, err = ParseScopes(req.Scope); err != nil || !a.Scopes.Within(app.Scopes) {
		return a, redirectable(oauthError(ErrCodeInvalidScope, ""))
	}
	if req.CodeChallenge != "" {
		if req.CodeChallengeMethod != string(oauth2.CodeChallengeS256) {
			return a, redirectable(oauthError(ErrCodeInvalidRequest, "code_challenge_method must be S256"))
		}
		if n := len(req.CodeChallenge); n < 43 || n > 128 {
			return a, redirectable(oauthError(ErrCodeInvalidRequest, "code_challenge must be 43 to 128 characters"))
		}
		a.CodeChallenge, a.CodeChallengeMethod = req.CodeChallenge, req.CodeChallengeMethod
	}
	return a, nil
}

// AllowedFor says why person cannot approve this authorisation (admin
// scopes need an admin or moderator), or nil. The error is Redirectable.
func (a *Authorization) AllowedFor(person *store.Account) error {
	if a.Scopes.HasAdmin() && !mayUseAdminScopes(person) {
		return redirectable(oauthError(ErrCodeInvalidScope, "Admin scopes are only for admin and moderator accounts."))
	}
	return nil
}

// ActAsChoices returns the organisation accounts person may act for:
// those granted to them (ActsFor) that exist and are enabled.
func (s *Service) ActAsChoices(ctx context.Context, person *store.Account) ([]*store.Account, error) {
	if person.Kind != account.KindPerson {
		return nil, nil
	}
	var out []*store.Account
	for _, id := range person.ActsFor {
		org, err := s.db.AccountByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if org.Kind == account.KindOrganization && !org.Disabled {
			out = append(out, org)
		}
	}
	return out, nil
}

// Approve issues an authorization code for person, acting for the
// organisation actAsID ("" for themselves), which must be one of
// ActAsChoices: anything else is EFORBIDDEN, so a forged form value gets
// nothing.
func (s *Service) Approve(ctx context.Context, a *Authorization, person *store.Account, actAsID string) (string, error) {
	if person == nil || person.Disabled {
		return "", tocsin.Errorf(tocsin.EUNAUTHORIZED, "sign in first")
	}
	if err := a.AllowedFor(person); err != nil {
		return "", err
	}
	if actAsID != "" {
		choices, err := s.ActAsChoices(ctx, person)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(choices, func(o *store.Account) bool { return o.ID == actAsID }) {
			s.log.WarnContext(ctx, "oauth: refused to authorise as an organisation not granted",
				"account_id", person.ID, "act_as_id", actAsID, "client_id", a.App.ClientID)
			return "", tocsin.Errorf(tocsin.EFORBIDDEN, "you may not act for this account")
		}
	}
	ti, err := s.mgr.GenerateAuthToken(ctx, oauth2.Code, &oauth2.TokenGenerateRequest{
		ClientID:            a.App.ClientID,
		UserID:              subject(person.ID, actAsID),
		RedirectURI:         a.RedirectURI,
		Scope:               a.Scopes.String(),
		CodeChallenge:       a.CodeChallenge,
		CodeChallengeMethod: oauth2.CodeChallengeMethod(a.CodeChallengeMethod),
	})
	if err != nil {
		return "", fmt.Errorf("issue authorization code: %w", err)
	}
	s.record(ctx, AuditEvent{Action: "oauth.authorize", AccountID: person.ID, ActAsID: actAsID, Username: person.Username,
		ClientID: a.App.ClientID, AppName: a.App.Name, Scopes: a.Scopes})
	return ti.GetCode(), nil
}

// CallbackURL is the redirect URI with the code and state added.
func (a *Authorization) CallbackURL(code string) string {
	q := url.Values{"code": {code}}
	if a.State != "" {
		q.Set("state", a.State)
	}
	return withQuery(a.RedirectURI, q)
}

// ErrorURL is the redirect URI with e (and the state) added.
func (a *Authorization) ErrorURL(e *Error) string {
	return withQuery(a.RedirectURI, e.query(a.State))
}

// Deny is the access_denied error for a person who said no.
func Deny() *Error { return redirectable(oauthError(ErrCodeAccessDenied, "")) }

// withQuery adds q to uri's query, keeping what the app put there.
func withQuery(uri string, q url.Values) string {
	u, err := url.Parse(uri)
	if err != nil { // registered URIs were parsed at registration
		return uri
	}
	merged := u.Query()
	for k, vs := range q {
		merged[k] = vs
	}
	u.RawQuery = merged.Encode()
	return strings.TrimSuffix(u.String(), "?")
}
