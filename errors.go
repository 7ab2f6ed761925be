package tocsin

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They say what kind of failure happened, so that the HTTP layer
// and the CLI can map them to a status or exit code in one function each.
const (
	EINVALID      = "invalid"      // the input is wrong; the message says which field and why
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // it exists already (a username, an email)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, action not allowed
	EUNAVAILABLE  = "unavailable"  // a dependency (the store, a peer) cannot serve now
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error with a code and a message a person can act
// on. Fields lists every invalid field when Code is EINVALID.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error // the cause, if any; not shown to users
}

func (e *Error) Error() string {
	msg := e.Message
	if len(e.Fields) > 0 {
		parts := make([]string, 0, len(e.Fields))
		for _, f := range e.Fields {
			parts = append(parts, f.Field+": "+f.Message)
		}
		if msg == "" {
			msg = strings.Join(parts, "; ")
		} else {
			msg += ": " + strings.Join(parts, "; ")
		}
	}
	if e.Err != nil && msg == "" {
		return e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing the given field problems.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: "invalid input", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
// A nil error has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's message
// when there is one, a generic text otherwise (internal details stay in logs).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
