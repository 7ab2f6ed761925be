package ap

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

func TestFEP8b32ActorMultikeyIsRead(t *testing.T) {
	b, err := os.ReadFile("testdata/fixtures/fep/fep-8b32-actor-multikey.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Multikey{{
		ID: "https://server.example/users/alice#ed25519-key", Controller: "https://server.example/users/alice",
		PublicKeyMultibase: "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
	}}
	if got := doc.Actor.AssertionMethod; !reflect.DeepEqual(got, want) {
		t.Errorf("keys = %+v, want %+v", got, want)
	}
}

func TestMultikeysAcceptTheShapesPeersSend(t *testing.T) {
	const actor = "https://a.example/users/org"
	doc := map[string]any{
		// A single method, not an array; one without controller in the
		// actor's document; a reference by IRI (skipped); another key type.
		"assertionMethod": map[string]any{"id": actor + "#ed25519-key", "type": "Multikey", "controller": actor, "publicKeyMultibase": "z6Mk1"},
		"authentication": []any{
			actor + "#other",
			map[string]any{"id": actor + "#ed25519-key", "type": "Multikey", "controller": actor, "publicKeyMultibase": "z6Mk1"},
			map[string]any{"id": actor + "#key-2", "type": "Multikey", "publicKeyMultibase": "z6Mk2"},
			map[string]any{"id": actor + "#rsa", "type": "RsaVerificationKey2018", "publicKeyPem": "x"},
		},
	}
	got := multikeysOf(actor, doc["assertionMethod"], doc["authentication"])
	want := []Multikey{
		{ID: actor + "#ed25519-key", Controller: actor, PublicKeyMultibase: "z6Mk1"},
		{ID: actor + "#key-2", Controller: actor, PublicKeyMultibase: "z6Mk2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// Our actor documents publish keys the way the FEP-8b32 test actor does
// (same method members, same contexts), under assertionMethod as FEP-521a
// asks, with the RSA publicKey kept for HTTP signatures.
func TestOurActorKeysHaveTheFixtureShape(t *testing.T) {
	fixture, err := os.ReadFile("testdata/fixtures/fep/fep-8b32-actor-multikey.json")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ActorDocument(aliceInfo)
	if err != nil {
		t.Fatal(err)
	}
	var f, o struct {
		Context         []any            `json:"@context"`
		Authentication  []map[string]any `json:"authentication"`
		AssertionMethod []map[string]any `json:"assertionMethod"`
		PublicKey       map[string]any   `json:"publicKey"`
	}
	if err := json.Unmarshal(fixture, &f); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ours, &o); err != nil {
		t.Fatal(err)
	}
	keysOf := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	if len(o.AssertionMethod) != 1 || !reflect.DeepEqual(keysOf(o.AssertionMethod[0]), keysOf(f.Authentication[0])) {
		t.Errorf("our assertionMethod %v, the fixture's method %v", o.AssertionMethod, f.Authentication)
	}
	if o.AssertionMethod[0]["type"] != "Multikey" || o.AssertionMethod[0]["controller"] != aliceInfo.ID {
		t.Errorf("method = %v", o.AssertionMethod[0])
	}
	for _, c := range f.Context {
		if s, ok := c.(string); ok && s != "https://w3id.org/security/data-integrity/v1" && !slices.Contains(o.Context, any(s)) {
			t.Errorf("our @context lacks %s: %v", s, o.Context)
		}
	}
	if !slices.Contains(o.Context, any(DataIntegrityContext)) {
		t.Errorf("our @context lacks %s", DataIntegrityContext)
	}
	if o.PublicKey["publicKeyPem"] != aliceInfo.PublicKeyPEM {
		t.Errorf("RSA publicKey changed: %v", o.PublicKey)
	}
	// Round trip: what we publish is what a peer reads.
	doc, err := Parse(ours)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc.Actor.AssertionMethod, aliceInfo.AssertionMethod) {
		t.Errorf("parsed back %+v", doc.Actor.AssertionMethod)
	}
}
