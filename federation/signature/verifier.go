package signature

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultWindow is how far a request's Date may be from now when
// Verifier.Window is zero. Mastodon allows 12 hours too.
const DefaultWindow = 12 * time.Hour

// expiresSkew is the clock skew allowed past an expires parameter (as Mastodon).
const expiresSkew = time.Hour

// Reasons that senders act on: keep their wording stable.
const (
	reasonRFC9421  = "RFC 9421 signatures are not accepted; sign with draft-cavage-http-signatures-12 (Signature header, rsa-sha256 or hs2019)"
	reasonUnsigned = "request is not signed; sign with draft-cavage-http-signatures-12 (Signature header, rsa-sha256 or hs2019)"
	reasonNoVerify = "signature does not verify"
)

// KeyResolver finds the public key for a keyId. refresh=true asks to bypass
// any cache: Verify asks so once after a failed verification, in case the
// actor rotated its key.
type KeyResolver interface {
	ResolveKey(ctx context.Context, keyID string, refresh bool) (*PublicKey, error)
}

// PublicKey is an actor's public key as its actor document publishes it.
type PublicKey struct {
	ID    string           // the keyId
	Owner string           // the actor IRI the key belongs to
	Key   crypto.PublicKey // *rsa.PublicKey or ed25519.PublicKey
}

// Verifier checks inbound draft-cavage HTTP signatures and what go-fed/httpsig
// does not: which headers are signed, Digest against the body, Date within a
// window. A Verifier is safe for concurrent use if its KeyResolver is.
type Verifier struct {
	Keys   KeyResolver
	Window time.Duration    // Date skew allowed either way; 0 = DefaultWindow
	Now    func() time.Time // nil = time.Now
}

// Result says who signed a verified request.
type Result struct {
	KeyID     string
	Owner     string   // the key's owner (actor IRI): see CheckOwner
	Algorithm string   // the algorithm parameter as sent, lowercased; "" when absent
	Headers   []string // the signed headers, lowercased, in signed order
}

// Verify checks an inbound request; body is the already-read (size-capped)
// body, nil for GET. It accepts the Signature header or
// "Authorization: Signature ...", and requires:
//   - (request-target), host and date signed, and digest too when the
//     request has a body or is a POST, PUT or PATCH;
//   - Digest (SHA-256 or SHA-512) equal to the body's;
//   - Date (and created/expires when given) within Window of now;
//   - algorithm rsa-sha256, hs2019 or none (hs2019 and none mean RSA-SHA256
//     for an RSA key, Ed25519 for an Ed25519 key);
//   - the signature to verify over the request-target as received, or
//     without its query (as Mastodon also accepts); with the key from Keys,
//     or after one failure with the key from Keys asked with refresh=true.
//
// Cheap checks come first, so a malformed or stale request costs no key
// fetch. Every refusal is an *Error (401; 400 for a malformed header).
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	if r.URL == nil {
		return nil, badRequest("request has no URL")
	}
	raw, e := findSignature(r)
	if e != nil {
		return nil, e
	}
	p, err := parseSignatureHeader(raw)
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Reason: "malformed Signature header: " + err.Error()}
	}
	switch p.algorithm {
	case "", "hs2019", "rsa-sha256":
	default:
		return nil, unauthorized(fmt.Sprintf("algorithm %q is not accepted; use rsa-sha256 or hs2019", truncate(p.algorithm)))
	}
	if e := checkCovered(p.headers, hasBody(r, body)); e != nil {
		return nil, e
	}
	if e := v.checkTime(r, p); e != nil {
		return nil, e
	}
	if slices.Contains(p.headers, "digest") {
		d := r.Header.Get("Digest")
		if d == "" {
			return nil, unauthorized(`signed header "digest" is missing from the request`)
		}
		if e := checkDigest(d, body); e != nil {
			return nil, e
		}
	}

	// The signing strings to try: the request-target as received, then,
	// when there is a query, without it (as some senders sign, and as
	// Mastodon also accepts).
	full, err := signingString(r, p, requestTarget(r, false))
	if err != nil {
		return nil, unauthorized(err.Error())
	}
	strs := []string{full}
	if strings.Contains(r.URL.RequestURI(), "?") {
		bare, _ := signingString(r, p, requestTarget(r, true))
		strs = append(strs, bare)
	}

	if v.Keys == nil {
		return nil, &Error{Status: http.StatusInternalServerError, Reason: "signature verifier has no key resolver"}
	}
	key, err := v.Keys.ResolveKey(ctx, p.keyID, false)
	if err != nil || key == nil {
		return nil, &Error{Status: http.StatusUnauthorized, Reason: "could not get key " + truncate(p.keyID), Err: err}
	}
	if e := verifyAny(key, p, strs); e != nil {
		// Maybe the actor rotated its key: fetch it afresh, once.
		fresh, err := v.Keys.ResolveKey(ctx, p.keyID, true)
		if err != nil || fresh == nil {
			e.Err = errors.Join(e.Err, err)
			return nil, e
		}
		if e := verifyAny(fresh, p, strs); e != nil {
			return nil, e
		}
		key = fresh
	}
	return &Result{KeyID: p.keyID, Owner: key.Owner, Algorithm: p.algorithm, Headers: p.headers}, nil
}

// CheckOwner refuses (401) a verified request whose key does not belong to
// actor, the actor of the activity it carries: a signature from one actor
// must not deliver another's activities.
func CheckOwner(res *Result, actor string) error {
	if res == nil {
		return unauthorized("request is not signed")
	}
	if actor == "" || res.Owner != actor {
		return unauthorized(fmt.Sprintf("key %s belongs to %q, not to the activity's actor %q",
			truncate(res.KeyID), truncate(res.Owner), truncate(actor)))
	}
	return nil
}

// findSignature returns the draft-cavage signature parameters of r.
func findSignature(r *http.Request) (string, *Error) {
	auth := r.Header.Get("Authorization")
	authSig := len(auth) > len("Signature ") && strings.EqualFold(auth[:len("Signature ")], "Signature ")
	if r.Header.Get("Signature-Input") != "" && !authSig {
		return "", unauthorized(reasonRFC9421)
	}
	sigs := r.Header.Values("Signature")
	switch {
	case len(sigs) > 1:
		return "", badRequest("malformed Signature header: sent more than once")
	case len(sigs) == 1:
		return sigs[0], nil
	case authSig:
		return auth[len("Signature "):], nil
	}
	return "", unauthorized(reasonUnsigned)
}

// hasBody says whether the request must sign its Digest.
func hasBody(r *http.Request, body []byte) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return len(body) > 0
}

// checkCovered refuses a signature that leaves out a header we require.
func checkCovered(signed []string, body bool) *Error {
	required := headersWithoutBody
	if body {
		required = headersWithBody
	}
	for _, h := range required {
		if !slices.Contains(signed, h) {
			return unauthorized(fmt.Sprintf("signature does not cover %q; sign %q (signed: %q)",
				h, strings.Join(required, " "), truncate(strings.Join(signed, " "))))
		}
	}
	return nil
}

func (v *Verifier) checkTime(r *http.Request, p *sigParams) *Error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	w := v.Window
	if w <= 0 {
		w = DefaultWindow
	}
	d := r.Header.Get("Date")
	if d == "" {
		return unauthorized(`signed header "date" is missing from the request`)
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return badRequest(fmt.Sprintf("Date header %q is not an HTTP date", truncate(d)))
	}
	if e := inWindow("date", t, now, w); e != nil {
		return e
	}
	if p.createdAt != 0 {
		if e := inWindow("created", time.Unix(p.createdAt, 0), now, w); e != nil {
			return e
		}
	}
	if p.expiresAt != 0 {
		if p.createdAt != 0 && p.expiresAt < p.createdAt {
			return badRequest("malformed Signature header: expires is before created")
		}
		if now.After(time.Unix(p.expiresAt, 0).Add(expiresSkew)) {
			return unauthorized("signature expired at " + time.Unix(p.expiresAt, 0).UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func inWindow(what string, t, now time.Time, w time.Duration) *Error {
	switch {
	case t.Before(now.Add(-w)):
		return unauthorized(fmt.Sprintf("%s outside window: %s is more than %s in the past", what, t.UTC().Format(time.RFC3339), w))
	case t.After(now.Add(w)):
		return unauthorized(fmt.Sprintf("%s outside window: %s is more than %s in the future", what, t.UTC().Format(time.RFC3339), w))
	}
	return nil
}

// verifyAny checks the signature over any of the signing strings with key.
func verifyAny(key *PublicKey, p *sigParams, strs []string) *Error {
	var verify func(msg []byte) bool
	switch k := key.Key.(type) {
	case *rsa.PublicKey:
		verify = func(msg []byte) bool {
			sum := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], p.signature) == nil
		}
	case ed25519.PublicKey:
		if p.algorithm == "rsa-sha256" {
			return unauthorized(fmt.Sprintf("algorithm rsa-sha256 does not fit key %s, an Ed25519 key; use hs2019", truncate(p.keyID)))
		}
		if len(k) != ed25519.PublicKeySize { // ed25519.Verify would panic
			return unauthorized(fmt.Sprintf("key %s is not a valid Ed25519 key", truncate(p.keyID)))
		}
		verify = func(msg []byte) bool { return ed25519.Verify(k, msg, p.signature) }
	default:
		return unauthorized(fmt.Sprintf("key %s is of an unsupported type %T (want RSA or Ed25519)", truncate(p.keyID), key.Key))
	}
	for _, s := range strs {
		if verify([]byte(s)) {
			return nil
		}
	}
	return unauthorized(reasonNoVerify)
}
