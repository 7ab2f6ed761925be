// Package signature signs outbound ActivityPub requests and verifies inbound
// ones with HTTP Signatures as the fediverse uses them: draft-cavage-http-
// signatures-12, rsa-sha256 (and hs2019), over "(request-target) host date"
// plus "digest" when there is a body.
//
// It owns the wire format of the Signature header, the Digest header, the
// checks a verifier must make beyond the signature bytes (which headers are
// signed, Digest against the body, Date within a window, the key's owner)
// and PEM key parsing. It does not fetch keys: callers supply a KeyResolver.
// It imports only the standard library (go-fed/httpsig is the reference it
// is tested against, not a dependency: see signer.go for why).
//
// Interop notes:
//   - algorithm="rsa-sha256" is written, not "hs2019": older PeerTube,
//     Misskey, Friendica and Takahe refuse hs2019; Mastodon takes both.
//   - Mastodon before 4.3 verifies (request-target) without the query
//     string. Signer.Sign can sign that way (omitQuery) for a caller's retry
//     after a 401, and Verifier.Verify accepts either form.
//   - RFC 9421 signatures (Signature-Input) are refused with a 401 that names
//     the accepted scheme, so that double-knocking senders (Fedify) fall back.
package signature
