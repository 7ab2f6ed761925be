package signature

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// GenerateKey makes a new RSA-2048 key pair for an actor. privPEM is PKCS#8
// ("PRIVATE KEY"); pubPEM is PKIX ("PUBLIC KEY"), the form every fediverse
// server reads from an actor's publicKeyPem.
func GenerateKey() (key *rsa.PrivateKey, privPEM, pubPEM string, err error) {
	key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", "", fmt.Errorf("signature: generate key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", "", fmt.Errorf("signature: encode private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, "", "", fmt.Errorf("signature: encode public key: %w", err)
	}
	privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}))
	pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return key, privPEM, pubPEM, nil
}

// ParsePrivateKeyPEM reads an RSA private key in PKCS#1 ("RSA PRIVATE KEY")
// or PKCS#8 ("PRIVATE KEY") PEM, whatever the label says.
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	der, err := decodePEM(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("signature: private key is neither PKCS#1 nor PKCS#8")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signature: private key is %T, want RSA", k)
	}
	return rk, nil
}

// ParsePublicKeyPEM reads a public key in PKIX ("PUBLIC KEY") or PKCS#1
// ("RSA PUBLIC KEY") PEM, as found in an actor's publicKeyPem. It returns
// *rsa.PublicKey or ed25519.PublicKey; other key types are refused. It
// tolerates PEM whose line breaks became spaces (seen on real servers).
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	der, err := decodePEM(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("signature: public key is neither PKIX nor PKCS#1")
	}
	switch k := k.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
		return k, nil
	}
	return nil, fmt.Errorf("signature: public key is %T, want RSA or Ed25519", k)
}

// decodePEM returns the DER inside the first PEM block of s. When encoding/pem
// cannot read it, it retries with the base64 body's whitespace removed, which
// mends PEM whose newlines were turned into spaces, tabs or a literal `\n`.
func decodePEM(s string) ([]byte, error) {
	if b, _ := pem.Decode([]byte(s)); b != nil {
		return b.Bytes, nil
	}
	begin := strings.Index(s, "-----BEGIN ")
	if begin < 0 {
		return nil, errors.New("signature: no PEM block")
	}
	rest := s[begin+len("-----BEGIN "):]
	label, rest, ok := strings.Cut(rest, "-----")
	if !ok {
		return nil, errors.New("signature: malformed PEM header")
	}
	body, _, ok := strings.Cut(rest, "-----END "+label+"-----")
	if !ok {
		return nil, errors.New("signature: PEM block has no END line")
	}
	body = strings.Join(strings.Fields(strings.ReplaceAll(body, `\n`, "\n")), "")
	b, _ := pem.Decode([]byte("-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n"))
	if b == nil {
		return nil, errors.New("signature: PEM body is not base64")
	}
	return b.Bytes, nil
}
