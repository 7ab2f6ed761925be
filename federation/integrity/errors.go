package integrity

import "errors"

// Reason classifies why a proof was not created or did not verify.
type Reason int

// The reasons Verify and Sign report.
const (
	// NoProof: the document carries no proof member.
	NoProof Reason = iota + 1
	// Unsupported: a proof type, cryptosuite or purpose we do not handle,
	// several proofs, or an expired proof.
	Unsupported
	// KeyUnavailable: the verification method could not be resolved to an
	// Ed25519 key (its actor is unreachable, or lists no such key).
	KeyUnavailable
	// BadSignature: the signature does not match the document: it was
	// altered after signing, or signed with another key.
	BadSignature
	// ControllerMismatch: the key belongs to someone other than the
	// document's actor or author.
	ControllerMismatch
	// Malformed: the document or the proof is not valid JSON of the
	// expected shape.
	Malformed
)

func (r Reason) String() string {
	switch r {
	case NoProof:
		return "no proof"
	case Unsupported:
		return "unsupported proof"
	case KeyUnavailable:
		return "key unavailable"
	case BadSignature:
		return "bad signature"
	case ControllerMismatch:
		return "controller mismatch"
	case Malformed:
		return "malformed"
	}
	return "unknown"
}

// Error is a failure to sign or verify, with its Reason. errors.Is(err,
// ErrKeyUnavailable) and the like match on the Reason.
type Error struct {
	Reason Reason
	// VerificationMethod is the key the proof names, when known.
	VerificationMethod string
	// Detail says what exactly was wrong, for logs and rejection reasons.
	Detail string
	Err    error
}

func (e *Error) Error() string {
	s := "integrity: " + e.Reason.String()
	if e.VerificationMethod != "" {
		s += " (" + e.VerificationMethod + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Reason, so the
// sentinels below match any error of their reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinels to test errors with errors.Is.
var (
	ErrNoProof            = &Error{Reason: NoProof}
	ErrUnsupported        = &Error{Reason: Unsupported}
	ErrKeyUnavailable     = &Error{Reason: KeyUnavailable}
	ErrBadSignature       = &Error{Reason: BadSignature}
	ErrControllerMismatch = &Error{Reason: ControllerMismatch}
	ErrMalformed          = &Error{Reason: Malformed}
)

// Ignorable reports whether a verification error means "this proof cannot
// be checked here" (no proof, an unsupported one, or its key cannot be
// resolved) rather than "this document is not what its author signed".
// FEP-8b32 asks verifiers to ignore such proofs and authenticate another
// way; a bad signature, a controller mismatch or a malformed proof is never
// ignorable.
func Ignorable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Reason {
	case NoProof, Unsupported, KeyUnavailable:
		return true
	}
	return false
}

func fail(r Reason, vm, detail string, err error) *Error {
	return &Error{Reason: r, VerificationMethod: vm, Detail: detail, Err: err}
}
