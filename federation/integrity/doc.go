// Package integrity owns FEP-8b32 Object Integrity Proofs: it signs a JSON
// document as an actor (a DataIntegrityProof with the eddsa-jcs-2022
// cryptosuite: RFC 8785 canonical JSON, SHA-256, Ed25519) and verifies the
// proofs peers attach, and it encodes and decodes the FEP-521a Multikey
// form (multibase base58btc with a multicodec prefix) in which actors
// publish their Ed25519 keys under assertionMethod.
//
// Verification accepts eddsa-jcs-2022 as the W3C recommendation defines it
// (the hashed proof configuration carries the document's @context) and, since
// peers implemented earlier drafts, also the draft hashing without @context;
// the draft cryptosuite name jcs-eddsa-2022 is accepted for verification
// only. Key resolution is the caller's: Verify asks a lookup function for the
// public key and controller of the proof's verificationMethod, so this
// package does no I/O.
//
// Signed documents come back in RFC 8785 form, so verifiers hash them as
// they are; text that is already canonical (Go's encoder writes maps that
// way) is recognised by a conservative scan instead of being rebuilt, which
// keeps a proof within 2x of a raw Ed25519 signature.
//
// Errors are *Error values with a Reason; test them with errors.Is against
// ErrNoProof, ErrUnsupported, ErrKeyUnavailable, ErrBadSignature,
// ErrControllerMismatch or ErrMalformed. Ignorable tells which ones FEP-8b32
// says to ignore (try other authentication) rather than treat as forgery.
//
// integrity imports only the standard library, an RFC 8785 canonicaliser
// and a base58 codec: no store, no echo, no bbolt, no federation packages.
package integrity
