package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureActorKeys reads the verification methods of an actor document
// (assertionMethod and, as the FEP-8b32 fixture uses, authentication).
func fixtureActorKeys(t testing.TB, name string) map[string]struct {
	pub        ed25519.PublicKey
	controller string
} {
	t.Helper()
	var actor struct {
		ID              string `json:"id"`
		Authentication  []map[string]string
		AssertionMethod []map[string]string
	}
	if err := json.Unmarshal(readFixture(t, name), &actor); err != nil {
		t.Fatal(err)
	}
	keys := map[string]struct {
		pub        ed25519.PublicKey
		controller string
	}{}
	for _, m := range append(actor.Authentication, actor.AssertionMethod...) {
		if m["type"] != MultikeyType {
			continue
		}
		pub, err := DecodePublicKey(m["publicKeyMultibase"])
		if err != nil {
			t.Fatal(err)
		}
		keys[m["id"]] = struct {
			pub        ed25519.PublicKey
			controller string
		}{pub, m["controller"]}
	}
	return keys
}

func fixtureLookup(t testing.TB) func(string) (ed25519.PublicKey, string, error) {
	keys := fixtureActorKeys(t, "fep-8b32-actor-multikey.json")
	return func(vm string) (ed25519.PublicKey, string, error) {
		k, ok := keys[vm]
		if !ok {
			return nil, "", ErrNoKey
		}
		return k.pub, k.controller, nil
	}
}

type signingParams struct {
	PrivateKey  string `json:"ed25519PrivateKeyMultibase"`
	CurrentTime string `json:"currentTime"`
	KeyID       string `json:"keyId"`
}

func fixtureParams(t testing.TB) (signingParams, ed25519.PrivateKey, time.Time) {
	t.Helper()
	var p signingParams
	if err := json.Unmarshal(readFixture(t, "fep-8b32-signing-params.json"), &p); err != nil {
		t.Fatal(err)
	}
	priv, err := DecodePrivateKey(p.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, p.CurrentTime)
	if err != nil {
		t.Fatal(err)
	}
	return p, priv, at
}

// withoutProof removes the top-level proof of a fixture, giving the
// document as it was before signing.
func withoutProof(t testing.TB, signed []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "proof")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func proofValue(t testing.TB, signed []byte) string {
	t.Helper()
	var m struct {
		Proof struct {
			ProofValue  string `json:"proofValue"`
			Cryptosuite string `json:"cryptosuite"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	return m.Proof.ProofValue
}

func TestFEP8b32FixtureVerifies(t *testing.T) {
	signed := readFixture(t, "fep-8b32-create-signed-jcs-eddsa-2022.json")
	p, err := Verify(signed, fixtureLookup(t))
	if err != nil {
		t.Fatalf("the FEP-8b32 test vector does not verify: %v", err)
	}
	if p.Controller != "https://server.example/users/alice" || p.VerificationMethod != "https://server.example/users/alice#ed25519-key" ||
		p.Cryptosuite != DraftCryptosuite || !p.Draft || !p.Created.Equal(time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)) {
		t.Errorf("proof = %+v", p)
	}
}

func TestFEP8b32FixtureSigningIsReproduced(t *testing.T) {
	params, priv, at := fixtureParams(t)
	// The key in the signing parameters is the one the fixture actor lists.
	keys := fixtureActorKeys(t, "fep-8b32-actor-multikey.json")
	if !bytes.Equal(keys[params.KeyID].pub, priv.Public().(ed25519.PublicKey)) {
		t.Fatalf("the fixture private key does not match the actor's publicKeyMultibase")
	}
	if got := EncodePrivateKey(priv); got != params.PrivateKey {
		t.Errorf("private multikey round trip: %s, want %s", got, params.PrivateKey)
	}
	if got := EncodePublicKey(priv.Public().(ed25519.PublicKey)); got != "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" {
		t.Errorf("public multikey: %s", got)
	}
	signed := readFixture(t, "fep-8b32-create-signed-jcs-eddsa-2022.json")
	unsigned := withoutProof(t, signed)
	key := Key{ID: params.KeyID, Controller: "https://server.example/users/alice", Private: priv}
	out, err := SignSuite(unsigned, key, at, DraftCryptosuite)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := proofValue(t, out), proofValue(t, signed); got != want {
		t.Errorf("proofValue = %s, want the fixture's %s (Ed25519 is deterministic)", got, want)
	}
	if _, err := Verify(out, fixtureLookup(t)); err != nil {
		t.Errorf("our draft-suite signature does not verify: %v", err)
	}
}

// Later revisions of the FEP-8b32 conformance feature (and Mitra's and
// Fedify's tests) sign the same document under the name eddsa-jcs-2022 but
// with the draft hashing (no @context in the proof configuration): peers
// differ, and we must accept both.
const draftHashedFinalNameProofValue = "z3sXaxjKs4M3BRicwWA9peyNPJvJqxtGsDmpt1jjoHCjgeUf71TRFz56osPSfDErszyLp5Ks1EhYSgpDaNM977Rg2"

func TestEddsaJcs2022WithDraftHashingVerifies(t *testing.T) {
	signed := strings.Replace(string(readFixture(t, "fep-8b32-create-signed-jcs-eddsa-2022.json")), `"`+DraftCryptosuite+`"`, `"`+Cryptosuite+`"`, 1)
	signed = strings.Replace(signed, proofValue(t, []byte(signed)), draftHashedFinalNameProofValue, 1)
	p, err := Verify([]byte(signed), fixtureLookup(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.Cryptosuite != Cryptosuite || !p.Draft {
		t.Errorf("proof = %+v, want eddsa-jcs-2022 verified with the draft hashing", p)
	}
}

func TestW3CEddsaJcs2022VectorIsReproduced(t *testing.T) {
	_, priv, at := fixtureParams(t)
	signed := readFixture(t, "w3c-eddsa-jcs-2022-credential.json")
	const vm = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	lookup := func(got string) (ed25519.PublicKey, string, error) {
		if got != vm {
			return nil, "", ErrNoKey
		}
		return priv.Public().(ed25519.PublicKey), "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", nil
	}
	p, err := Verify(signed, lookup)
	if err != nil {
		t.Fatalf("the W3C eddsa-jcs-2022 vector does not verify: %v", err)
	}
	if p.Draft || p.Cryptosuite != Cryptosuite {
		t.Errorf("proof = %+v", p)
	}
	out, err := Sign(withoutProof(t, signed), Key{ID: vm, Private: priv}, at)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := proofValue(t, out), proofValue(t, signed); got != want {
		t.Errorf("proofValue = %s, want the W3C vector's %s", got, want)
	}
	// Peers that leave @context out of the attached proof (Mitra's
	// fixture) are verified with the document's @context added.
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["proof"].(map[string]any), "@context")
	bare, _ := json.Marshal(doc)
	if p, err := Verify(bare, lookup); err != nil || p.Draft {
		t.Errorf("proof without @context: %+v, %v", p, err)
	}
}

func TestMitraProofReachesKeyLookupAndFailsCleanly(t *testing.T) {
	raw := readFixture(t, "mitra-create-note-fep8b32-proof.json")
	var asked []string
	_, err := Verify(raw, func(vm string) (ed25519.PublicKey, string, error) {
		asked = append(asked, vm)
		return nil, "", ErrNoKey // Mitra's actor document is not among our fixtures
	})
	if !errors.Is(err, ErrKeyUnavailable) || !Ignorable(err) {
		t.Fatalf("err = %v, want key unavailable (ignorable)", err)
	}
	if len(asked) != 1 || asked[0] != "https://mitra.social/users/test#ed25519-key" {
		t.Errorf("lookups = %v", asked)
	}
	if !strings.Contains(err.Error(), "key unavailable") || !strings.Contains(err.Error(), "mitra.social/users/test#ed25519-key") {
		t.Errorf("error message %q does not say which key was unavailable", err)
	}
	// With some other key the signature is checked, and fails as a bad
	// signature, not a parse error: the proof's structure is understood.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	_, err = Verify(raw, func(string) (ed25519.PublicKey, string, error) { return pub, "https://mitra.social/users/test", nil })
	if !errors.Is(err, ErrBadSignature) {
		t.Errorf("with a wrong key: %v, want bad signature", err)
	}
}

func newKey(t testing.TB, actor string) Key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: actor + "#ed25519-key", Controller: actor, Private: priv}
}

func lookupOf(keys ...Key) func(string) (ed25519.PublicKey, string, error) {
	return func(vm string) (ed25519.PublicKey, string, error) {
		for _, k := range keys {
			if k.ID == vm {
				return k.Private.Public().(ed25519.PublicKey), k.Controller, nil
			}
		}
		return nil, "", ErrNoKey
	}
}

const alertJSON = `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{"tocsin":"https://tocsin.example/ns#","toot":"http://joinmastodon.org/ns#","sensitive":"as:sensitive"}],` +
	`"attributedTo":"https://a.example/users/org","content":"<p>Kenya: ballot stuffing reported in <b>two</b> polling stations &amp; more</p>",` +
	`"contentMap":{"en":"<p>Kenya: ballot stuffing reported in <b>two</b> polling stations &amp; more</p>"},"id":"https://a.example/users/org/objects/01J","name":"Ballot stuffing – Nairobi","published":"2026-11-25T10:00:00Z","sensitive":false,` +
	`"tag":[{"href":"https://a.example/tags/kenya","name":"#kenya","type":"Hashtag"}],"tocsin:severity":3,"tocsin:confidence":0.75,"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://a.example/users/org/followers"],"type":"Note","url":"https://a.example/users/org/objects/01J"}`

func TestSignedAlertVerifiesAndKeepsItsBytes(t *testing.T) {
	key := newKey(t, "https://a.example/users/org")
	signed, err := Sign([]byte(alertJSON), key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context []any          `json:"@context"`
		Proof   map[string]any `json:"proof"`
	}
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatalf("signed document is not JSON: %v\n%s", err, signed)
	}
	if doc.Context[2] != DataIntegrityContext {
		t.Errorf("@context = %v: the data-integrity context goes after the remote contexts", doc.Context)
	}
	if doc.Proof["type"] != ProofType || doc.Proof["cryptosuite"] != Cryptosuite || doc.Proof["proofPurpose"] != ProofPurpose ||
		doc.Proof["verificationMethod"] != key.ID {
		t.Errorf("proof = %v", doc.Proof)
	}
	p, err := Verify(signed, lookupOf(key))
	if err != nil {
		t.Fatal(err)
	}
	if p.Controller != key.Controller || p.Draft {
		t.Errorf("proof = %+v", p)
	}
	// Nothing but the proof is added, and the result is canonical, so a
	// verifier hashes it without rebuilding it.
	canon, err := canonicalize([]byte(alertJSON))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := canonicalize(withoutProof(t, signed)); !bytes.Equal(got, bytes.Replace(canon, []byte(`"https://w3id.org/security/v1",`), []byte(`"https://w3id.org/security/v1","`+DataIntegrityContext+`",`), 1)) {
		t.Errorf("signing changed more than the proof and @context:\n%s\n%s", canon, got)
	}
	if !isCanonical(signed) {
		t.Errorf("the signed document is not canonical: %s", signed)
	}
}

func TestTamperedDocumentsFail(t *testing.T) {
	key := newKey(t, "https://a.example/users/org")
	other := newKey(t, "https://b.example/users/org")
	signed, err := Sign([]byte(alertJSON), key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		doc    string
		lookup func(string) (ed25519.PublicKey, string, error)
		want   error
	}{
		{"content altered", strings.Replace(string(signed), "two</b>", "ten</b>", 2), lookupOf(key), ErrBadSignature},
		{"number altered", strings.Replace(string(signed), `"tocsin:severity":3`, `"tocsin:severity":4`, 1), lookupOf(key), ErrBadSignature},
		{"member added", strings.Replace(string(signed), `"type":"Note"`, `"type":"Note","summary":"x"`, 1), lookupOf(key), ErrBadSignature},
		{"created altered", strings.Replace(string(signed), `"created":"20`, `"created":"19`, 1), lookupOf(key), ErrBadSignature},
		{"author altered", strings.ReplaceAll(string(signed), `"attributedTo":"https://a.example/users/org"`, `"attributedTo":"https://b.example/users/org"`), lookupOf(key), ErrControllerMismatch},
		{"key of another actor", string(signed), func(string) (ed25519.PublicKey, string, error) {
			return other.Private.Public().(ed25519.PublicKey), key.Controller, nil
		}, ErrBadSignature},
		{"key controlled by someone else", string(signed), func(string) (ed25519.PublicKey, string, error) {
			return key.Private.Public().(ed25519.PublicKey), other.Controller, nil
		}, ErrControllerMismatch},
		{"no proof", alertJSON, lookupOf(key), ErrNoProof},
		{"unknown cryptosuite", strings.Replace(string(signed), Cryptosuite, "ecdsa-jcs-2019", 1), lookupOf(key), ErrUnsupported},
		{"authentication purpose", strings.Replace(string(signed), `"proofPurpose":"assertionMethod"`, `"proofPurpose":"authentication"`, 1), lookupOf(key), ErrUnsupported},
		{"garbled proofValue", strings.Replace(string(signed), `"proofValue":"z`, `"proofValue":"u`, 1), lookupOf(key), ErrMalformed},
		{"not JSON", string(signed[:len(signed)-1]), lookupOf(key), ErrMalformed},
		{"unknown key", string(signed), lookupOf(other), ErrKeyUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.doc == string(signed) && c.name != "key of another actor" && c.name != "key controlled by someone else" && c.name != "unknown key" {
				t.Fatal("the case did not change the document")
			}
			_, err := Verify([]byte(c.doc), c.lookup)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var ie *Error
			if !errors.As(err, &ie) || ie.Error() == "" {
				t.Errorf("not an *Error: %T", err)
			}
		})
	}
}

func TestEmbeddedSignedObjectAndSignedActivityBothVerify(t *testing.T) {
	key := newKey(t, "https://a.example/users/org")
	obj, err := Sign([]byte(alertJSON), key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	create := []byte(`{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":"https://a.example/users/org/objects/01J/activity","type":"Create","actor":"https://a.example/users/org","object":` + string(obj) + `}`)
	signed, err := Sign(create, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(signed, lookupOf(key)); err != nil {
		t.Errorf("activity: %v", err)
	}
	var act struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(signed, &act); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(act.Object, lookupOf(key)); err != nil {
		t.Errorf("embedded object: %v", err)
	}
	// Someone else cannot sign our actor's activity.
	if _, err := Sign(create, newKey(t, "https://b.example/users/org"), time.Now()); !errors.Is(err, ErrControllerMismatch) {
		t.Errorf("signing another actor's activity: %v", err)
	}
	if _, err := Sign(signed, key, time.Now()); !errors.Is(err, ErrMalformed) {
		t.Errorf("signing twice: %v", err)
	}
}

func TestContextAppendedAfterSigningStillVerifies(t *testing.T) {
	// The recommendation lets contexts be appended to a signed document as
	// long as it starts with the proof's @context.
	key := newKey(t, "https://a.example/users/org")
	signed, err := Sign([]byte(alertJSON), key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	doc["@context"] = append(doc["@context"].([]any), "https://example.org/extra")
	b, _ := json.Marshal(doc)
	if _, err := Verify(b, lookupOf(key)); err != nil {
		t.Errorf("appended context: %v", err)
	}
	doc["@context"] = []any{"https://example.org/extra"}
	b, _ = json.Marshal(doc)
	if _, err := Verify(b, lookupOf(key)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("replaced context: %v, want bad signature", err)
	}
}

func TestMultikeyRejectsOtherKeys(t *testing.T) {
	for _, s := range []string{
		"",
		"6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",   // no multibase prefix
		"z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",  // a private key
		"zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", // secp256k1-pub
		"z0OIl", // not base58
	} {
		if k, err := DecodePublicKey(s); err == nil {
			t.Errorf("DecodePublicKey(%q) = %x, want an error", s, k)
		}
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	got, err := DecodePublicKey(EncodePublicKey(pub))
	if err != nil || !bytes.Equal(got, pub) {
		t.Errorf("round trip: %x, %v", got, err)
	}
}

func TestLinkedDataSignatureAddedAfterTheProofIsDetached(t *testing.T) {
	// Fedify signs the proof first, then adds an RsaSignature2017
	// "signature" member on top; the proof covers the document without it.
	key := newKey(t, "https://a.example/users/org")
	signed, err := Sign([]byte(alertJSON), key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		t.Fatal(err)
	}
	doc["signature"] = map[string]any{"type": "RsaSignature2017", "creator": "https://a.example/users/org#main-key", "signatureValue": "AAAA"}
	b, _ := json.Marshal(doc)
	if _, err := Verify(b, lookupOf(key)); err != nil {
		t.Errorf("with an LD signature on top: %v", err)
	}
	// Detaching the signature does not excuse a change elsewhere.
	doc["content"] = "altered"
	b, _ = json.Marshal(doc)
	if _, err := Verify(b, lookupOf(key)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered with an LD signature on top: %v, want bad signature", err)
	}
}
