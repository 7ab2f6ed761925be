package integrity

import (
	"crypto/ed25519"
	"fmt"

	"github.com/mr-tron/base58"
)

// Multicodec prefixes (unsigned varints) of the key types a Multikey may
// hold: ed25519-pub is 0xed, ed25519-priv is 0x1300.
var (
	prefixEd25519Pub  = []byte{0xed, 0x01}
	prefixEd25519Priv = []byte{0x80, 0x26}
)

// MultikeyType is the verification method type of FEP-521a keys.
const MultikeyType = "Multikey"

// EncodePublicKey returns pub as a publicKeyMultibase value: "z" (base58btc)
// followed by the ed25519-pub multicodec and the 32 key bytes.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return encodeMultibase(prefixEd25519Pub, pub)
}

// DecodePublicKey parses a publicKeyMultibase value holding an Ed25519
// public key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultibase(s, prefixEd25519Pub, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("integrity: public key %q: %w", short(s), err)
	}
	return ed25519.PublicKey(b), nil
}

// EncodePrivateKey returns the multibase form of priv's seed with the
// ed25519-priv multicodec (as in the FEP-8b32 test vectors).
func EncodePrivateKey(priv ed25519.PrivateKey) string {
	return encodeMultibase(prefixEd25519Priv, priv.Seed())
}

// DecodePrivateKey parses the multibase form of an Ed25519 private key
// (its 32-byte seed after the ed25519-priv multicodec).
func DecodePrivateKey(s string) (ed25519.PrivateKey, error) {
	seed, err := decodeMultibase(s, prefixEd25519Priv, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("integrity: private key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func encodeMultibase(prefix, key []byte) string {
	b := make([]byte, 0, len(prefix)+len(key))
	b = append(append(b, prefix...), key...)
	return "z" + base58.Encode(b)
}

func decodeMultibase(s string, prefix []byte, size int) ([]byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, fmt.Errorf("not multibase base58btc (must start with 'z')")
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("base58: %w", err)
	}
	if len(b) != len(prefix)+size || b[0] != prefix[0] || b[1] != prefix[1] {
		return nil, fmt.Errorf("not an Ed25519 key of %d bytes with multicodec prefix %x", size, prefix)
	}
	return b[len(prefix):], nil
}

// short bounds a value quoted in an error message.
func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
