package signature

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Signed header lists, in the order Mastodon itself signs.
var (
	headersWithBody    = []string{"(request-target)", "host", "date", "digest"}
	headersWithoutBody = []string{"(request-target)", "host", "date"}
)

// Signer signs outbound requests for one actor key.
//
// It builds the signing string and signs with crypto/rsa itself instead of
// go-fed/httpsig v1.1.0, whose signer always writes algorithm="hs2019"
// (refused by older PeerTube, Misskey, Friendica and Takahe), signs the
// decoded path rather than the one on the wire, cannot leave out the query,
// and wants Host copied into Header. The tests check both ways that httpsig
// and this package accept each other's signatures.
//
// A Signer holds no per-request state and is safe for concurrent use.
type Signer struct {
	keyID string
	key   *rsa.PrivateKey
	now   func() time.Time // tests only; nil = time.Now
}

// NewSigner returns a Signer that signs as keyID (the URL of the actor's
// publicKey, e.g. https://example.org/users/alice#main-key) with key, which
// must be RSA of at least 2048 bits.
func NewSigner(keyID string, key *rsa.PrivateKey) (*Signer, error) {
	if keyID == "" {
		return nil, errors.New("signature: empty keyID")
	}
	if strings.ContainsAny(keyID, "\"\\\r\n") {
		return nil, fmt.Errorf("signature: keyID %q cannot be written in a Signature header", keyID)
	}
	if key == nil {
		return nil, errors.New("signature: nil key")
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("signature: RSA key of %d bits is too short (want >= 2048)", key.N.BitLen())
	}
	key.Precompute()
	return &Signer{keyID: keyID, key: key}, nil
}

// Sign sets Host (r.Host, from r.URL.Host when empty), Date (now) and, when
// body != nil, Digest (SHA-256 of body), then the Signature header:
// rsa-sha256 over "(request-target) host date digest" with a body,
// "(request-target) host date" without. A POST, PUT or PATCH always signs a
// Digest (of an empty body if nil), since verifiers require one. Headers it
// sets are replaced, so a retry calls Sign again on the same request and
// gets a fresh Date and signature. body must be exactly what r will send.
//
// omitQuery signs the (request-target) without the query string, for
// Mastodon before 4.3, which verifies it that way: a caller that gets 401
// on a GET with a query retries once with omitQuery.
func (s *Signer) Sign(r *http.Request, body []byte, omitQuery bool) error {
	if body == nil && hasBody(r, nil) {
		body = []byte{}
	}
	headers := headersWithoutBody
	if body != nil {
		headers = headersWithBody
	}
	return s.sign(r, body, omitQuery, headers)
}

func (s *Signer) sign(r *http.Request, body []byte, omitQuery bool, headers []string) error {
	if r.URL == nil {
		return errors.New("signature: request has no URL")
	}
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	if r.Host == "" {
		return errors.New("signature: request has no host")
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	r.Header.Set("Date", now().UTC().Format(http.TimeFormat))
	if body != nil {
		r.Header.Set("Digest", Digest(body))
	}
	p := &sigParams{headers: headers}
	str, err := signingString(r, p, requestTarget(r, omitQuery))
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256([]byte(str))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	r.Header.Set("Signature", `keyId="`+s.keyID+`",algorithm="rsa-sha256",headers="`+
		strings.Join(headers, " ")+`",signature="`+base64.StdEncoding.EncodeToString(sig)+`"`)
	return nil
}
