package signature

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// Digest returns the value of a Digest header (RFC 3230) for body:
// "SHA-256=" and the base64 of its SHA-256.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// checkDigest compares a Digest header with the body. The header may list
// several "algorithm=base64" entries (RFC 3230); algorithm names match
// without regard to case. Every SHA-256 or SHA-512 entry must match, at least
// one must be present; other algorithms are ignored.
func checkDigest(header string, body []byte) *Error {
	checked := false
	for entry := range strings.SplitSeq(header, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		alg, val, ok := strings.Cut(entry, "=")
		if !ok {
			return badRequest("malformed Digest header: expected SHA-256=<base64>")
		}
		var sum []byte
		switch strings.ToUpper(strings.TrimSpace(alg)) {
		case "SHA-256":
			s := sha256.Sum256(body)
			sum = s[:]
		case "SHA-512":
			s := sha512.Sum512(body)
			sum = s[:]
		default:
			continue
		}
		given, err := decodeBase64(strings.TrimSpace(val))
		if err != nil {
			return badRequest("malformed Digest header: the " + strings.ToUpper(alg) + " value is not base64")
		}
		if subtle.ConstantTimeCompare(given, sum) != 1 {
			return unauthorized("digest does not match body")
		}
		checked = true
	}
	if !checked {
		return unauthorized("Digest header has no SHA-256 or SHA-512 value")
	}
	return nil
}
