package signature

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"testing"
)

func TestGenerateKeyPEMRoundTrip(t *testing.T) {
	key, privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("%d bits", key.N.BitLen())
	}
	if !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public PEM is not PKIX: %q", pubPEM[:30])
	}
	priv, err := ParsePrivateKeyPEM(privPEM)
	if err != nil || !priv.Equal(key) {
		t.Fatalf("private round trip: %v", err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("public round trip: %v", err)
	}
}

func TestParseKeyPEMEncodings(t *testing.T) {
	key := testKeys()[0]
	enc := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)

	for name, in := range map[string]string{
		"PKCS#1":                       enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
		"PKCS#8":                       enc("PRIVATE KEY", pkcs8),
		"PKCS#8 with the PKCS#1 label": enc("RSA PRIVATE KEY", pkcs8),
		"newlines as spaces":           strings.ReplaceAll(enc("PRIVATE KEY", pkcs8), "\n", " "),
		"CRLF and leading text":        "key:\r\n" + strings.ReplaceAll(enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), "\n", "\r\n"),
	} {
		if k, err := ParsePrivateKeyPEM(in); err != nil || !k.Equal(key) {
			t.Errorf("private %s: %v", name, err)
		}
	}
	for name, in := range map[string]string{
		"PKIX":                enc("PUBLIC KEY", pkix),
		"PKCS#1":              enc("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey)),
		"newlines as spaces":  strings.ReplaceAll(enc("PUBLIC KEY", pkix), "\n", " "),
		"literal backslash-n": strings.ReplaceAll(enc("PUBLIC KEY", pkix), "\n", `\n`),
		"one long line":       "-----BEGIN PUBLIC KEY-----" + strings.Join(strings.Fields(strings.Split(enc("PUBLIC KEY", pkix), "-----")[2]), "") + "-----END PUBLIC KEY-----",
	} {
		if k, err := ParsePublicKeyPEM(in); err != nil || !key.PublicKey.Equal(k) {
			t.Errorf("public %s: %v", name, err)
		}
	}

	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKIXPublicKey(edPub)
	if k, err := ParsePublicKeyPEM(enc("PUBLIC KEY", edDER)); err != nil || !edPub.Equal(k) {
		t.Errorf("Ed25519: %v", err)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ec)
	for name, bad := range map[string]string{
		"empty":            "",
		"no PEM":           "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
		"no END":           "-----BEGIN PUBLIC KEY----- MIIB",
		"bad base64":       "-----BEGIN PUBLIC KEY----- %%%% -----END PUBLIC KEY-----",
		"not a key":        enc("PUBLIC KEY", []byte("hello")),
		"ECDSA public key": enc("PUBLIC KEY", ecDER),
	} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("public %s accepted", name)
		}
	}
	if _, err := ParsePrivateKeyPEM(enc("PRIVATE KEY", ecPriv)); err == nil {
		t.Error("ECDSA private key accepted")
	}
}

// A real actor (activitypub.academy, kept by Fedify) whose publicKeyPem has
// spaces where the newlines belong.
func TestParsePublicKeyPEMWithSpacesFromRealActor(t *testing.T) {
	b, err := os.ReadFile("testdata/actor-person-pem-newlines-as-spaces.json")
	if err != nil {
		t.Fatal(err)
	}
	var actor struct {
		PublicKey struct {
			PEM string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(b, &actor); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(actor.PublicKey.PEM, "\n") {
		t.Fatal("fixture changed: it has newlines")
	}
	k, err := ParsePublicKeyPEM(actor.PublicKey.PEM)
	if err != nil {
		t.Fatal(err)
	}
	if rk, ok := k.(*rsa.PublicKey); !ok || rk.N.BitLen() != 2048 {
		t.Errorf("got %T", k)
	}
}
