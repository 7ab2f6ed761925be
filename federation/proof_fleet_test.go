package federation_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/integrity"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

// proofOf returns the top-level proof of a JSON document.
func proofOf(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m struct {
		Proof map[string]any `json:"proof"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return m.Proof
}

func clearAlert(title string) alert.Alert {
	return alert.Alert{
		Title: title, Body: "Observers saw ballot boxes arrive pre-filled at two polling stations.",
		Severity: "severe", Confidence: "observed", Category: "administration-failure",
		Countries: []string{"KE"}, TLP: tlp.Clear, Language: "en",
	}
}

// A's alert reaches C only through B, while A is down: C accepts it as A's
// because A's integrity proof verifies with the key A's actor document
// published; a copy B altered is refused; an Update carries a fresh proof.
func TestFleetRelayedAlertIsAcceptedOnlyWithItsAuthorsProof(t *testing.T) {
	net := newNetwork(t, 3)
	a, b, c := net.servers[0], net.servers[1], net.servers[2]
	orgA, orgB, orgC := net.orgs[0], net.orgs[1], net.orgs[2]
	actorA := net.actor(0)
	ctx := context.Background()
	// A and B peer, B and C peer; C neither follows nor peers with A.
	for _, p := range []struct {
		s    *cluster.Server
		org  *store.Account
		peer *cluster.Server
	}{{a, orgA, b}, {b, orgB, a}, {b, orgB, c}, {c, orgC, b}} {
		if _, err := p.s.Federation.AddPeer(ctx, p.org, "org@"+p.peer.Domain); err != nil {
			t.Fatal(err)
		}
	}
	cluster.Settle(t, a, b, c)

	// C knows A's actor (say, from an earlier mention) and with it A's
	// Ed25519 key, published as a Multikey under assertionMethod.
	known, err := c.Federation.Remote.Actor(ctx, actorA, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(known.Multikeys) != 1 || known.Multikeys[0].ID != actorA+"#ed25519-key" {
		t.Fatalf("C's copy of A's actor has keys %+v", known.Multikeys)
	}

	relayed, err := a.Publish.CreateAlert(ctx, publish.Author{Org: orgA}, clearAlert("Kenya: pre-filled ballot boxes in Kisumu"))
	if err != nil {
		t.Fatal(err)
	}
	tampered, err := a.Publish.CreateAlert(ctx, publish.Author{Org: orgA}, clearAlert("Kenya: polling station opened late in Nakuru"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b, c)
	for _, iri := range []string{relayed.IRI, tampered.IRI} {
		if object(t, b, iri) == nil {
			t.Fatalf("B did not get %s", iri)
		}
		if object(t, c, iri) != nil {
			t.Fatalf("C got %s directly; the test needs it to come through B", iri)
		}
	}

	// What A serves and what it sent carry A's proof.
	req, _ := http.NewRequest(http.MethodGet, relayed.IRI, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if p, err := c.Federation.Remote.VerifyProof(ctx, served, actorA); err != nil || p.Cryptosuite != integrity.Cryptosuite {
		t.Fatalf("the alert A serves: proof %+v, %v\n%s", p, err, served)
	}
	create, err := a.DB.Activity(ctx, relayed.IRI+"/activity")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, create.Raw, actorA); err != nil {
		t.Errorf("A's Create: %v\n%s", err, create.Raw)
	}
	// B keeps A's copy as signed, so it can relay it verifiably.
	if _, err := b.Federation.Remote.VerifyProof(ctx, object(t, b, relayed.IRI).Raw, actorA); err != nil {
		t.Fatalf("B's copy of A's alert: %v", err)
	}

	// B alters its copy of the second alert, keeping A's proof.
	forged := object(t, b, tampered.IRI)
	altered := strings.Replace(string(forged.Raw), "opened late", "never opened", 1)
	if altered == string(forged.Raw) {
		t.Fatalf("nothing to alter in %s", forged.Raw)
	}
	forged.Raw = []byte(altered)
	if err := b.DB.Update(ctx, func(tx *store.Tx) error { _, err := tx.PutObject(forged); return err }); err != nil {
		t.Fatal(err)
	}

	// A goes down: C can no longer ask A for anything.
	a.Stop(t)

	boost, err := b.Federation.Outbox.Announce(ctx, orgB, relayed.IRI, actorA, nil)
	if err != nil {
		t.Fatal(err)
	}
	forgedBoost, err := b.Federation.Outbox.Announce(ctx, orgB, tampered.IRI, actorA, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := b.DB.Activity(ctx, boost.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sent.Raw), `"proofValue"`) {
		t.Fatalf("B's Announce does not embed the signed alert: %s", sent.Raw)
	}
	// B's deliveries to A wait for A; those to C must go through, and C
	// must have applied (or refused) them.
	cluster.Eventually(t, "B delivered both Announces to C and C applied them", func() bool {
		due, _, err := b.DB.DueDeliveries(ctx, time.Now().Add(24*time.Hour), 1000, nil)
		if err != nil {
			return false
		}
		for _, d := range due {
			if d.Host == c.Domain {
				return false
			}
		}
		return c.Federation.Settled(ctx)
	})

	got := object(t, c, relayed.IRI)
	if got == nil {
		t.Fatal("C did not accept A's alert relayed by B")
	}
	if got.AttributedTo != actorA || got.ReceivedFrom != a.Domain || !got.Public {
		t.Errorf("C stores the relayed alert as %+v, want it A's", got)
	}
	if !strings.Contains(string(got.Raw), "pre-filled ballot boxes in Kisumu") {
		t.Errorf("C's copy: %s", got.Raw)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, got.Raw, actorA); err != nil {
		t.Errorf("C's stored copy no longer verifies: %v", err)
	}
	if o := object(t, c, boost.IRI); o == nil || o.Type != "Announce" || o.Target != relayed.IRI {
		t.Errorf("C's record of B's boost: %+v", o)
	}

	if o := object(t, c, tampered.IRI); o != nil {
		t.Errorf("C stored B's altered copy as A's: %s", o.Raw)
	}
	if o := object(t, c, forgedBoost.IRI); o != nil {
		t.Errorf("C kept the Announce of the altered copy: %+v", o)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, []byte(altered), actorA); !errors.Is(err, integrity.ErrBadSignature) {
		t.Errorf("the altered copy verifies as %v, want a bad signature", err)
	}

	// A comes back. B relays its altered copy again: C, refusing the copy,
	// fetches the alert from A and keeps A's own text.
	a.Resume(t)
	if _, err := b.Federation.Outbox.Announce(ctx, orgB, tampered.IRI, actorA, nil); err != nil {
		t.Fatal(err)
	}
	var genuine *store.Object
	cluster.Eventually(t, "C fetches the genuine alert from A", func() bool {
		genuine = object(t, c, tampered.IRI)
		return genuine != nil
	})
	if !strings.Contains(string(genuine.Raw), "opened late") || strings.Contains(string(genuine.Raw), "never opened") || genuine.AttributedTo != actorA {
		t.Errorf("C holds %s", genuine.Raw)
	}

	// A edits the first alert: the Update and the new state carry a fresh
	// proof, which B verifies and keeps.
	before := proofOf(t, object(t, b, relayed.IRI).Raw)
	edit := clearAlert("Kenya: pre-filled ballot boxes in Kisumu and Siaya")
	edit.Body = "Observers saw ballot boxes arrive pre-filled at four polling stations."
	if _, err := a.Publish.UpdateAlert(ctx, publish.Author{Org: orgA}, relayed.IRI, edit); err != nil {
		t.Fatal(err)
	}
	// Not Settle: B's Announces to A may wait out A's circuit breaker.
	var updated *store.Object
	cluster.Eventually(t, "B applies A's Update", func() bool {
		updated = object(t, b, relayed.IRI)
		return strings.Contains(string(updated.Raw), "four polling stations")
	})
	after := proofOf(t, updated.Raw)
	if after["proofValue"] == before["proofValue"] || after["proofValue"] == nil {
		t.Errorf("the edited alert kept its old proof %v", before)
	}
	if _, err := b.Federation.Remote.VerifyProof(ctx, updated.Raw, actorA); err != nil {
		t.Errorf("the edited alert's proof: %v", err)
	}
	var update *store.Activity
	err = a.DB.View(ctx, func(tx *store.Tx) error {
		iris, _, err := tx.OutboxPage(orgA.ID, "", 1)
		if err != nil || len(iris) == 0 {
			return errors.Join(err, errors.New("empty outbox"))
		}
		update, err = tx.Activity(iris[0])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if update.Type != "Update" {
		t.Fatalf("A's newest activity is a %s", update.Type)
	}
	if _, err := b.Federation.Remote.VerifyProof(ctx, update.Raw, actorA); err != nil {
		t.Errorf("A's Update: %v\n%s", err, update.Raw)
	}
	var embedded struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(update.Raw, &embedded); err != nil {
		t.Fatal(err)
	}
	if got := proofOf(t, embedded.Object)["proofValue"]; got != after["proofValue"] {
		t.Errorf("the Update embeds an object with proof %v, B keeps %v", got, after["proofValue"])
	}
}

// A real Mitra Create carries an eddsa-jcs-2022 proof whose key we cannot
// resolve (Mitra's actor is not among our fixtures; here its host is a
// Tocsin instance whose account publishes no Ed25519 key, as a Mastodon
// actor would not): the proof is ignored, as FEP-8b32 asks, and the
// activity is accepted on its HTTP signature.
func TestCreateWithUncheckableProofFallsBackToHTTPSignature(t *testing.T) {
	a := cluster.Start(t, 0)
	a.CreateAccount(t, "org", "organization", "publisher")
	b := cluster.Start(t, 1)
	acct := b.CreateAccount(t, "test", "person", "member")
	ctx := context.Background()
	if _, err := b.DB.UpdateAccount(ctx, acct.ID, func(a *store.Account) error { a.Ed25519Key = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile("integrity/testdata/mitra-create-note-fep8b32-proof.json")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.ReplaceAll(string(fixture), "https://mitra.social", b.URL))
	if status, msg := newSender(t, b, acct).post(a.URL+"/inbox", body, nil); status != http.StatusAccepted {
		t.Fatalf("inbox answered %d %s", status, msg)
	}
	cluster.Settle(t, a, b)
	iri := b.URL + "/objects/019f57cf-693a-77f2-b006-c4c76338956a"
	o := object(t, a, iri)
	if o == nil {
		t.Fatal("the Create was dropped for its proof")
	}
	if o.AttributedTo != b.URL+"/users/test" || !strings.Contains(string(o.Raw), "Remote post 5") {
		t.Errorf("stored %+v", o)
	}
	// The proof was looked at and could not be checked, not ignored unread.
	if _, err := a.Federation.Remote.VerifyProof(ctx, body, b.URL+"/users/test"); !errors.Is(err, integrity.ErrKeyUnavailable) {
		t.Errorf("VerifyProof = %v, want key unavailable", err)
	}
}

// A proof that is present and checkable must hold, even on a Create its
// author sent with a valid HTTP signature: the object is kept as signed
// and travels on.
func TestDirectCreateWithFailingProofIsRefused(t *testing.T) {
	a := cluster.Start(t, 0)
	a.CreateAccount(t, "org", "organization", "publisher")
	b := cluster.Start(t, 1)
	acct := b.CreateAccount(t, "alice", "person", "member")
	actor := b.URL + "/users/alice"
	alice := newSender(t, b, acct)
	for i, tamper := range []bool{false, true} {
		id := fmt.Sprintf("%s/statuses/%d", actor, i)
		signed, err := b.Federation.SignDocument(acct, createNote(actor, id, "<p>Polls closed at 18:00</p>"))
		if err != nil {
			t.Fatal(err)
		}
		if tamper {
			signed = []byte(strings.Replace(string(signed), "18:00", "20:00", 1))
		}
		if status, msg := alice.post(a.URL+"/inbox", signed, nil); status != http.StatusAccepted {
			t.Fatalf("inbox answered %d %s", status, msg)
		}
		cluster.Settle(t, a, b)
		if got := object(t, a, id); (got != nil) == tamper {
			t.Errorf("tampered=%v: stored %v", tamper, got)
		}
	}
}

// A rotated key is picked up: a proof that fails with the key C cached is
// checked once more against A's actor fetched again, as for HTTP
// signature keys; what the old key signs no longer verifies.
func TestProofKeyRotationIsPickedUp(t *testing.T) {
	a := cluster.Start(t, 0)
	acct := a.CreateAccount(t, "org", "organization", "publisher")
	c := cluster.Start(t, 1)
	ctx := context.Background()
	actor := a.URL + "/users/org"
	if _, err := c.Federation.Remote.Actor(ctx, actor, true); err != nil {
		t.Fatal(err)
	}
	doc := createNote(actor, actor+"/statuses/1", "<p>Counting resumed</p>")
	oldSigned, err := a.Federation.SignDocument(acct, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, oldSigned, actor); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	rotated, err := a.DB.UpdateAccount(ctx, acct.ID, func(a *store.Account) error {
		a.Ed25519Key = integrity.EncodePrivateKey(priv)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	newSigned, err := a.Federation.SignDocument(rotated, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, newSigned, actor); err != nil {
		t.Errorf("proof with the rotated key: %v", err)
	}
	stored, err := c.DB.RemoteActor(ctx, actor)
	if err != nil || len(stored.Multikeys) != 1 || stored.Multikeys[0].PublicKeyMultibase != integrity.EncodePublicKey(priv.Public().(ed25519.PublicKey)) {
		t.Errorf("C's stored actor keys: %+v %v", stored, err)
	}
	if _, err := c.Federation.Remote.VerifyProof(ctx, oldSigned, actor); !errors.Is(err, integrity.ErrBadSignature) {
		t.Errorf("proof with the retired key: %v, want bad signature", err)
	}
}
