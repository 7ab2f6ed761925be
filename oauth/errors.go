package oauth

import (
	"errors"
	"net/url"
)

// OAuth error codes (RFC 6749 section 5.2 and 4.1.2.1).
const (
	ErrCodeInvalidRequest          = "invalid_request"
	ErrCodeInvalidClient           = "invalid_client"
	ErrCodeInvalidGrant            = "invalid_grant"
	ErrCodeInvalidScope            = "invalid_scope"
	ErrCodeUnauthorizedClient      = "unauthorized_client"
	ErrCodeUnsupportedGrantType    = "unsupported_grant_type"
	ErrCodeUnsupportedResponseType = "unsupported_response_type"
	ErrCodeAccessDenied            = "access_denied"
	ErrCodeInvalidRedirectURI      = "invalid_redirect_uri"
	ErrCodeServerError             = "server_error"
)

// Error is an OAuth error, sent as {"error": Code, "error_description":
// Description} or, from the authorization endpoint, as query parameters of
// the redirect URI when Redirectable.
type Error struct {
	Code        string
	Description string
	// Redirectable: the client and redirect URI were verified, so the error
	// may be sent back to the redirect URI. Otherwise it must be shown to
	// the person, never redirected (RFC 6749 section 4.1.2.1).
	Redirectable bool
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// The descriptions Mastodon (Doorkeeper) sends, so clients that show them
// read the same text.
var descriptions = map[string]string{
	ErrCodeInvalidRequest:          "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
	ErrCodeInvalidClient:           "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
	ErrCodeInvalidGrant:            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
	ErrCodeInvalidScope:            "The requested scope is invalid, unknown, or malformed.",
	ErrCodeUnauthorizedClient:      "You are not authorized to revoke this token",
	ErrCodeUnsupportedGrantType:    "The authorization grant type is not supported by the authorization server.",
	ErrCodeUnsupportedResponseType: "The authorization server does not support this response type.",
	ErrCodeAccessDenied:            "The resource owner or authorization server denied the request.",
	ErrCodeInvalidRedirectURI:      "The redirect uri included is not valid.",
	ErrCodeServerError:             "The authorization server encountered an unexpected condition which prevented it from fulfilling the request.",
}

// oauthError returns an Error with the standard description, or detail
// when given.
func oauthError(code, detail string) *Error {
	if detail == "" {
		detail = descriptions[code]
	}
	return &Error{Code: code, Description: detail}
}

// redirectable marks e as safe to send to the verified redirect URI.
func redirectable(e *Error) *Error {
	e.Redirectable = true
	return e
}

// ErrInvalidToken: the bearer token is unknown, revoked, or its account can
// no longer use it (disabled; no longer granted the organisation it acts
// for).
var ErrInvalidToken = errors.New("the access token is invalid")

// AsError returns err's *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// errorQuery is e as the query of an error redirect.
func (e *Error) query(state string) url.Values {
	q := url.Values{"error": {e.Code}}
	if e.Description != "" {
		q.Set("error_description", e.Description)
	}
	if state != "" {
		q.Set("state", state)
	}
	return q
}
