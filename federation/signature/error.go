package signature

import "net/http"

// Error is a refused signature. Status is the HTTP status to answer with
// (401, or 400 for a malformed header); Reason says why in words fit for the
// response body and a log line. Err is the underlying cause, if any (a key
// fetch failure, say), for logs only: it may name internal addresses.
type Error struct {
	Status int
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func unauthorized(reason string) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: reason}
}

func badRequest(reason string) *Error { return &Error{Status: http.StatusBadRequest, Reason: reason} }
