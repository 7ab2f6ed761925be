package handlers

// OAuth 2 as Mastodon serves it: app registration, the sign-in and consent
// page, the token and revocation endpoints, and RFC 8414 metadata. The
// logic is the oauth package's; this file decodes (form or JSON bodies),
// renders (JSON in Mastodon's shapes, HTML pages from
// static/templates/oauth_*.html) and sets cookies.

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/oauth"
	"github.com/tocsin-network/tocsin/static"
	"github.com/tocsin-network/tocsin/store"
)

// oauthTemplates are the authorisation pages, with the web pages' template
// functions (t, tf...) so that they share web_strings.go.
var oauthTemplates = template.Must(template.New("oauth").Funcs(webFuncs).ParseFS(static.Files, "templates/oauth_*.html"))

// Cookies of the authorisation page, both limited to /oauth.
const (
	oauthSessionCookie = "tocsin_oauth_session"
	oauthCSRFCookie    = "tocsin_csrf"
	oauthCSRFField     = "authenticity_token" // Mastodon's (Rails') name
)

// authorizeParams are the query parameters of /oauth/authorize that the
// sign-in and consent forms carry along.
var authorizeParams = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
}

func (s *Server) oauthRoutes() {
	if s.oauth == nil {
		return
	}
	e := s.e
	// Browser apps (Elk, Phanpy) call these from their own origin.
	cors := middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: []string{"*"},
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, echo.HeaderAccept},
	})
	preflight := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	for _, r := range []struct {
		method, path string
		h            echo.HandlerFunc
		mw           []echo.MiddlewareFunc
	}{
		{http.MethodPost, "/api/v1/apps", s.createApp, nil},
		{http.MethodGet, "/api/v1/apps/verify_credentials", s.verifyAppCredentials, []echo.MiddlewareFunc{s.requireScopes()}},
		{http.MethodPost, "/oauth/token", s.oauthToken, nil},
		{http.MethodPost, "/oauth/revoke", s.oauthRevoke, nil},
		{http.MethodGet, "/.well-known/oauth-authorization-server", s.oauthMetadata, nil},
	} {
		e.Add(r.method, r.path, r.h, append([]echo.MiddlewareFunc{cors}, r.mw...)...)
		e.OPTIONS(r.path, preflight, cors)
	}
	page := []echo.MiddlewareFunc{oauthPageHeaders, s.oauthCSRF()}
	e.GET("/oauth/authorize", s.authorizePage, page...)
	e.POST("/oauth/authorize", s.authorizeSubmit, page...)
}

// --- request decoding ---

// requestParams returns a request's parameters as Mastodon (Rails) reads
// them: its query, overridden by its body, which may be form-encoded,
// multipart, or a JSON object. Nested JSON objects become Rails-style keys
// ({"source":{"privacy":"x"}} is source[privacy]) and JSON arrays repeated
// values, so form and JSON clients are read alike.
func requestParams(c echo.Context) (url.Values, error) {
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		form, err := c.FormParams()
		if err != nil {
			return nil, err
		}
		return form, nil
	}
	params := r.URL.Query()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return params, nil
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	for k, v := range obj {
		params.Del(k)
		flattenParam(params, k, v)
	}
	return params, nil
}

func addJSONParam(p url.Values, key string, v any) {
	switch v := v.(type) {
	case string:
		p.Add(key, v)
	case json.Number:
		p.Add(key, v.String())
	case bool:
		p.Add(key, strconv.FormatBool(v))
	case []any:
		for _, e := range v {
			addJSONParam(p, key, e)
		}
	}
}

// paramTrue reads a boolean parameter as Mastodon (Rails) does: "true",
// "True", "1", "on"... are true.
func paramTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "on", "yes", "y":
		return true
	}
	return false
}

// clientCredentials returns the client ID and secret from HTTP Basic
// authentication (client_secret_basic) or else the body
// (client_secret_post).
func clientCredentials(r *http.Request, p url.Values) (id, secret string) {
	if u, pw, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-encoded before Basic encoding.
		if d, err := url.QueryUnescape(u); err == nil {
			u = d
		}
		if d, err := url.QueryUnescape(pw); err == nil {
			pw = d
		}
		return u, pw
	}
	return p.Get("client_id"), p.Get("client_secret")
}

// --- apps ---

// applicationEntity is Mastodon's Application, or CredentialApplication
// when it carries the client credentials (only when just registered).
type applicationEntity struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Website               *string  `json:"website"`
	Scopes                []string `json:"scopes"`
	RedirectURI           string   `json:"redirect_uri"`
	RedirectURIs          []string `json:"redirect_uris"`
	VapidKey              string   `json:"vapid_key"`
	ClientID              string   `json:"client_id,omitempty"`
	ClientSecret          string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt *int64   `json:"client_secret_expires_at,omitempty"`
}

func newApplicationEntity(app *oauth.App) applicationEntity {
	e := applicationEntity{
		ID: app.ID, Name: app.Name, Scopes: app.Scopes,
		RedirectURI: strings.Join(app.RedirectURIs, "\n"), RedirectURIs: app.RedirectURIs,
	}
	if app.Website != "" {
		e.Website = &app.Website
	}
	if app.ClientSecret != "" {
		never := int64(0)
		e.ClientID, e.ClientSecret, e.ClientSecretExpiresAt = app.ClientID, app.ClientSecret, &never
	}
	return e
}

// createApp is POST /api/v1/apps.
func (s *Server) createApp(c echo.Context) error {
	p, err := requestParams(c)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The request body is not valid form data or JSON")
	}
	app, err := s.oauth.RegisterApp(c.Request().Context(), oauth.AppInput{
		Name:         p.Get("client_name"),
		RedirectURIs: append(p["redirect_uris"], p["redirect_uris[]"]...),
		Scopes:       strings.Join(append(p["scopes"], p["scopes[]"]...), " "),
		Website:      p.Get("website"),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newApplicationEntity(app))
}

// verifyAppCredentials is GET /api/v1/apps/verify_credentials: any valid
// token, app or user, gets its app.
func (s *Server) verifyAppCredentials(c echo.Context) error {
	return c.JSON(http.StatusOK, newApplicationEntity(currentToken(c).App))
}

// --- token and revocation ---

// oauthStatus is the HTTP status of an OAuth error code (Doorkeeper's).
func oauthStatus(code string) int {
	switch code {
	case oauth.ErrCodeInvalidClient:
		return http.StatusUnauthorized
	case oauth.ErrCodeUnauthorizedClient, oauth.ErrCodeAccessDenied:
		return http.StatusForbidden
	case oauth.ErrCodeServerError:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// oauthFail answers an OAuth error as {"error", "error_description"}; any
// other error goes to the error handler.
func oauthFail(c echo.Context, err error) error {
	oe, ok := oauth.AsError(err)
	if !ok {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(oauthStatus(oe.Code), errorBody{Error: oe.Code, Description: oe.Description})
}

// oauthToken is POST /oauth/token.
func (s *Server) oauthToken(c echo.Context) error {
	p, err := requestParams(c)
	if err != nil {
		return oauthFail(c, &oauth.Error{Code: oauth.ErrCodeInvalidRequest, Description: "The request body is not valid form data or JSON."})
	}
	id, secret := clientCredentials(c.Request(), p)
	tok, err := s.oauth.Token(c.Request().Context(), oauth.TokenRequest{
		GrantType: p.Get("grant_type"), ClientID: id, ClientSecret: secret,
		Code: p.Get("code"), RedirectURI: p.Get("redirect_uri"), CodeVerifier: p.Get("code_verifier"),
		Username: p.Get("username"), Password: p.Get("password"),
		RefreshToken: p.Get("refresh_token"), Scope: p.Get("scope"),
	})
	if err != nil {
		return oauthFail(c, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, tok)
}

// oauthRevoke is POST /oauth/revoke.
func (s *Server) oauthRevoke(c echo.Context) error {
	p, err := requestParams(c)
	if err != nil {
		return oauthFail(c, &oauth.Error{Code: oauth.ErrCodeInvalidRequest, Description: "The request body is not valid form data or JSON."})
	}
	id, secret := clientCredentials(c.Request(), p)
	if err := s.oauth.Revoke(c.Request().Context(), id, secret, p.Get("token")); err != nil {
		return oauthFail(c, err)
	}
	return c.JSON(http.StatusOK, struct{}{})
}

// authServerMetadata is RFC 8414 metadata, in the order Mastodon 4.3
// sends it. app_registration_endpoint is Mastodon's own addition.
type authServerMetadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	AppRegistrationEndpoint           string   `json:"app_registration_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// oauthMetadata is GET /.well-known/oauth-authorization-server.
func (s *Server) oauthMetadata(c echo.Context) error {
	base := s.urls.Base
	return c.JSON(http.StatusOK, authServerMetadata{
		Issuer:                            base + "/",
		AuthorizationEndpoint:             base + "/oauth/authorize",
		TokenEndpoint:                     base + "/oauth/token",
		AppRegistrationEndpoint:           base + "/api/v1/apps",
		RevocationEndpoint:                base + "/oauth/revoke",
		ScopesSupported:                   oauth.KnownScopes,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		GrantTypesSupported:               oauth.GrantTypes,
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
	})
}

// --- the sign-in and consent page ---

// oauthPage is what the oauth_*.html templates show.
type oauthPage struct {
	Lang, InstanceName, Title string
	CSRF                      string
	Params                    []oauthParam // the authorize request, carried by the forms
	App                       *oauth.App
	Account                   *store.Account // the signed-in person
	ActAs                     []actAsChoice
	Scopes                    []string // what the app asks for, in words
	SwitchURL                 string   // sign in as someone else
	Login, Error, Code        string
}

type oauthParam struct{ Name, Value string }

type actAsChoice struct{ ID, Name, Username string }

// oauthCSP is the Content-Security-Policy of the authorisation pages: the
// web pages' stylesheet (/assets/tocsin.css) and nothing else, nothing
// inline. There is no form-action directive: it would also block the
// redirect to the app after approval.
const oauthCSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// oauthPageHeaders keeps the pages out of caches and frames.
func oauthPageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", oauthCSP)
		return next(c)
	}
}

// oauthCSRF protects the forms with a token that must match a cookie
// (echo's double-submit CSRF middleware; browsers that send Sec-Fetch-Site
// are checked by it too).
func (s *Server) oauthCSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + oauthCSRFField,
		CookieName:     oauthCSRFCookie,
		CookiePath:     "/oauth",
		CookieHTTPOnly: true,
		CookieSecure:   s.secureCookies(),
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return s.renderOAuthError(c, http.StatusForbidden, tr("error.csrfTitle"), tr("oauth.error.csrf"))
		},
	})
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.urls.Base, "https://") }

func (s *Server) newOAuthPage(c echo.Context, title string) *oauthPage {
	csrf, _ := c.Get("csrf").(string)
	return &oauthPage{Lang: s.defaultLanguage(), InstanceName: s.cfg.Instance.Name, Title: title, CSRF: csrf}
}

func (s *Server) renderOAuthPage(c echo.Context, status int, name string, page *oauthPage) error {
	var buf bytes.Buffer
	if err := oauthTemplates.ExecuteTemplate(&buf, name, page); err != nil {
		return err
	}
	return c.HTMLBlob(status, withoutBidiControls(buf.Bytes()))
}

func (s *Server) renderOAuthError(c echo.Context, status int, title, msg string) error {
	page := s.newOAuthPage(c, title)
	page.Error = msg
	return s.renderOAuthPage(c, status, "oauth_error.html", page)
}

// authorizeRequest reads the authorize parameters from p, and the same
// parameters (non-empty ones) to carry in forms and links.
func authorizeRequest(p url.Values) (oauth.AuthorizeRequest, []oauthParam) {
	var carried []oauthParam
	for _, name := range authorizeParams {
		if v := p.Get(name); v != "" {
			carried = append(carried, oauthParam{name, v})
		}
	}
	return oauth.AuthorizeRequest{
		ResponseType: p.Get("response_type"), ClientID: p.Get("client_id"), RedirectURI: p.Get("redirect_uri"),
		Scope: p.Get("scope"), State: p.Get("state"),
		CodeChallenge: p.Get("code_challenge"), CodeChallengeMethod: p.Get("code_challenge_method"),
	}, carried
}

func authorizeURL(carried []oauthParam, extra ...oauthParam) string {
	q := url.Values{}
	for _, p := range append(carried, extra...) {
		q.Set(p.Name, p.Value)
	}
	return "/oauth/authorize?" + q.Encode()
}

// authorizeFailed answers a failed authorisation request: back to the app
// when the error may go there (RFC 6749 4.1.2.1), else on a page.
func (s *Server) authorizeFailed(c echo.Context, a *oauth.Authorization, err error) error {
	oe, ok := oauth.AsError(err)
	if !ok {
		return err
	}
	if oe.Redirectable && a != nil && !a.OOB() {
		return c.Redirect(http.StatusFound, a.ErrorURL(oe))
	}
	status, title := http.StatusBadRequest, tr("oauth.error.failed")
	if oe.Code == oauth.ErrCodeAccessDenied {
		status, title = http.StatusOK, tr("oauth.error.denied")
	}
	return s.renderOAuthError(c, status, title, oe.Description)
}

// authorizePage is GET /oauth/authorize: the sign-in form, or the consent
// form when signed in (unless force_login).
func (s *Server) authorizePage(c echo.Context) error {
	q := c.QueryParams()
	req, carried := authorizeRequest(q)
	a, err := s.oauth.CheckAuthorize(c.Request().Context(), req)
	if err != nil {
		return s.authorizeFailed(c, a, err)
	}
	person, err := s.sessionAccount(c)
	if err != nil {
		return err
	}
	if person == nil || paramTrue(q.Get("force_login")) {
		return s.renderSignIn(c, http.StatusOK, a, carried, "", "")
	}
	return s.renderConsent(c, a, carried, person)
}

// authorizeSubmit is POST /oauth/authorize: sign in, approve or deny.
func (s *Server) authorizeSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := c.FormParams()
	if err != nil {
		return s.renderOAuthError(c, http.StatusBadRequest, tr("oauth.error.failed"), tr("oauth.error.unread"))
	}
	req, carried := authorizeRequest(p)
	a, err := s.oauth.CheckAuthorize(ctx, req)
	if err != nil {
		return s.authorizeFailed(c, a, err)
	}
	switch p.Get("action") {
	case "sign_in":
		login := strings.TrimSpace(p.Get("username"))
		person, err := s.accounts.Authenticate(ctx, login, p.Get("password"))
		if tocsin.ErrorCode(err) == tocsin.EUNAUTHORIZED {
			return s.renderSignIn(c, http.StatusUnprocessableEntity, a, carried, login, tr("signin.wrong"))
		}
		if err != nil {
			return err
		}
		c.SetCookie(&http.Cookie{
			Name: oauthSessionCookie, Value: s.oauth.NewSession(person), Path: "/oauth",
			MaxAge: int(s.oauth.SessionTTL().Seconds()), HttpOnly: true, Secure: s.secureCookies(),
			SameSite: http.SameSiteLaxMode,
		})
		return c.Redirect(http.StatusSeeOther, authorizeURL(carried))
	case "approve":
		person, err := s.sessionAccount(c)
		if err != nil {
			return err
		}
		if person == nil {
			return s.renderSignIn(c, http.StatusOK, a, carried, "", tr("oauth.signin.expired"))
		}
		code, err := s.oauth.Approve(ctx, a, person, p.Get("act_as"))
		if tocsin.ErrorCode(err) == tocsin.EFORBIDDEN {
			return s.renderOAuthError(c, http.StatusForbidden, tr("oauth.error.notAllowed"), tr("oauth.error.actFor"))
		}
		if err != nil {
			return s.authorizeFailed(c, a, err)
		}
		if a.OOB() {
			page := s.newOAuthPage(c, tr("oauth.code.title"))
			page.App, page.Code = a.App, code
			return s.renderOAuthPage(c, http.StatusOK, "oauth_code.html", page)
		}
		return c.Redirect(http.StatusFound, a.CallbackURL(code))
	case "deny":
		return s.authorizeFailed(c, a, oauth.Deny())
	}
	return s.renderOAuthError(c, http.StatusBadRequest, tr("oauth.error.failed"), tr("oauth.error.choose"))
}

// sessionAccount returns the person signed in on the authorisation page,
// or nil.
func (s *Server) sessionAccount(c echo.Context) (*store.Account, error) {
	ck, err := c.Cookie(oauthSessionCookie)
	if err != nil {
		return nil, nil
	}
	a, err := s.oauth.Session(c.Request().Context(), ck.Value)
	if tocsin.ErrorCode(err) == tocsin.EUNAUTHORIZED {
		return nil, nil
	}
	return a, err
}

func (s *Server) renderSignIn(c echo.Context, status int, a *oauth.Authorization, carried []oauthParam, login, msg string) error {
	page := s.newOAuthPage(c, tr("signin.title"))
	page.App, page.Params, page.Login, page.Error = a.App, carried, login, msg
	return s.renderOAuthPage(c, status, "oauth_signin.html", page)
}

func (s *Server) renderConsent(c echo.Context, a *oauth.Authorization, carried []oauthParam, person *store.Account) error {
	if err := a.AllowedFor(person); err != nil {
		return s.authorizeFailed(c, a, err)
	}
	orgs, err := s.oauth.ActAsChoices(c.Request().Context(), person)
	if err != nil {
		return err
	}
	page := s.newOAuthPage(c, trf("oauth.consent.title", a.App.Name))
	page.App, page.Params, page.Account = a.App, carried, person
	page.SwitchURL = authorizeURL(carried, oauthParam{"force_login", "true"})
	for _, o := range orgs {
		name := o.DisplayName
		if name == "" {
			name = o.Username
		}
		page.ActAs = append(page.ActAs, actAsChoice{ID: o.ID, Name: name, Username: o.Username})
	}
	for _, sc := range a.Scopes {
		page.Scopes = append(page.Scopes, scopeDescription(sc))
	}
	return s.renderOAuthPage(c, http.StatusOK, "oauth_consent.html", page)
}

// scopeDescription says in words what a scope lets an app do.
func scopeDescription(scope string) string {
	switch scope {
	case oauth.ScopeRead, oauth.ScopeWrite, oauth.ScopeFollow, oauth.ScopePush,
		oauth.ScopeProfile, oauth.ScopeAdminRead, oauth.ScopeAdminWrite:
		return tr("oauth.scope." + scope)
	}
	parts := strings.Split(scope, ":")
	what := strings.ReplaceAll(parts[len(parts)-1], "_", " ")
	switch {
	case strings.HasPrefix(scope, "admin:read:"):
		return trf("oauth.scope.adminRead", what)
	case strings.HasPrefix(scope, "admin:write:"):
		return trf("oauth.scope.adminWrite", what)
	case strings.HasPrefix(scope, "read:"):
		return trf("oauth.scope.readOf", what)
	case strings.HasPrefix(scope, "write:"):
		return trf("oauth.scope.writeOf", what)
	}
	return scope
}
