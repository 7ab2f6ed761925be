package handlers

// Bearer-token authentication for the API. Use on a route:
//
//	e.GET("/api/v1/timelines/home", s.homeTimeline, s.requireUser("read", "read:statuses"))
//	e.GET("/api/v1/timelines/public", s.publicTimeline, s.optionalAuth())
//
// and in the handler: tok := currentToken(c) (nil when unauthenticated);
// tok.Account is the person, tok.ActAs the organisation they act for (or
// nil), tok.Actor() whichever of the two the action is by.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/oauth"
)

// Mastodon's error messages, which clients match on.
const (
	msgInvalidToken  = "The access token is invalid"
	msgOutsideScopes = "This action is outside the authorized scopes"
	msgRequiresUser  = "This method requires an authenticated user"
)

// tokenInfoKey is the echo context key of the request's *oauth.TokenInfo.
const tokenInfoKey = "tocsin.oauth.token"

// currentToken returns the request's token, set by requireScopes,
// requireUser or optionalAuth; nil when the request is unauthenticated.
func currentToken(c echo.Context) *oauth.TokenInfo {
	t, _ := c.Get(tokenInfoKey).(*oauth.TokenInfo)
	return t
}

// CurrentToken is currentToken for routes registered outside this package.
func CurrentToken(c echo.Context) *oauth.TokenInfo { return currentToken(c) }

// bearerToken finds the request's token: an "Authorization: Bearer"
// header, else the access_token query parameter (which the streaming API
// and some clients use), else "".
func bearerToken(r *http.Request) string {
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// authenticate resolves the request's token, if it has one: (nil, nil)
// without a token, an HTTP 401 error for a bad one.
func (s *Server) authenticate(c echo.Context) (*oauth.TokenInfo, error) {
	tok := bearerToken(c.Request())
	if tok == "" {
		return nil, nil
	}
	if s.oauth == nil {
		return nil, invalidToken(c)
	}
	info, err := s.oauth.Lookup(c.Request().Context(), tok)
	if errors.Is(err, oauth.ErrInvalidToken) {
		return nil, invalidToken(c)
	}
	if err != nil {
		return nil, err
	}
	c.Set(tokenInfoKey, info)
	return info, nil
}

func invalidToken(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate,
		`Bearer error="invalid_token", error_description="`+msgInvalidToken+`"`)
	return echo.NewHTTPError(http.StatusUnauthorized, msgInvalidToken)
}

func outsideScopes(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate,
		`Bearer error="insufficient_scope", error_description="`+msgOutsideScopes+`"`)
	return echo.NewHTTPError(http.StatusForbidden, msgOutsideScopes)
}

// requireScopes lets a request through only with a valid token that grants
// at least one of scopes ("read" grants "read:statuses"; see
// oauth.Scopes.Allows). With no scopes listed any valid token will do.
// Missing or bad token: 401 {"error":"The access token is invalid"}; wrong
// scopes: 403 {"error":"This action is outside the authorized scopes"}.
// App tokens (no user) pass: use requireUser for user-only methods.
func (s *Server) requireScopes(scopes ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			info, err := s.authenticate(c)
			if err != nil {
				return err
			}
			if info == nil {
				return invalidToken(c)
			}
			if !info.Allows(scopes...) {
				return outsideScopes(c)
			}
			return next(c)
		}
	}
}

// RequireScopes is requireScopes for routes registered outside this package.
func (s *Server) RequireScopes(scopes ...string) echo.MiddlewareFunc {
	return s.requireScopes(scopes...)
}

// requireUser is requireScopes for methods that act as a user: an app
// token gets 422 {"error":"This method requires an authenticated user"},
// as from Mastodon.
func (s *Server) requireUser(scopes ...string) echo.MiddlewareFunc {
	check := s.requireScopes(scopes...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return check(func(c echo.Context) error {
			if currentToken(c).Account == nil {
				return echo.NewHTTPError(http.StatusUnprocessableEntity, msgRequiresUser)
			}
			return next(c)
		})
	}
}

// RequireUser is requireUser for routes registered outside this package.
func (s *Server) RequireUser(scopes ...string) echo.MiddlewareFunc {
	return s.requireUser(scopes...)
}

// optionalAuth resolves a token when the request has one (a bad one is
// still 401, as from Mastodon) and lets unauthenticated requests through.
func (s *Server) optionalAuth() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if _, err := s.authenticate(c); err != nil {
				return err
			}
			return next(c)
		}
	}
}
