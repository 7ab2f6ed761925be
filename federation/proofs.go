package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/integrity"
	"github.com/tocsin-network/tocsin/store"
)

// FEP-8b32 object integrity proofs: local accounts sign their objects and
// the Create/Update activities carrying them with their Ed25519 key; proofs
// on what peers send are verified against the keys their actors publish
// under assertionMethod (FEP-521a).

// ProofKeyID is the verification method of a local actor's Ed25519 key.
func (u URLs) ProofKeyID(actor string) string { return actor + "#ed25519-key" }

// proofKeys caches local accounts' decoded Ed25519 keys (decoding derives
// the public key, a scalar multiplication, on every signature otherwise).
// The zero value is ready to use.
type proofKeys struct {
	mu sync.Mutex
	m  map[string]proofKey // by account ID
}

type proofKey struct {
	encoded string
	priv    ed25519.PrivateKey
}

// maxProofKeys bounds the cache; it is emptied when full.
const maxProofKeys = 10000

func (k *proofKeys) get(a *store.Account) (ed25519.PrivateKey, error) {
	if a.Ed25519Key == "" {
		return nil, fmt.Errorf("account %s has no object-signing key", a.Username)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.m[a.ID]; ok && c.encoded == a.Ed25519Key {
		return c.priv, nil
	}
	priv, err := integrity.DecodePrivateKey(a.Ed25519Key)
	if err != nil {
		return nil, fmt.Errorf("object-signing key of %s: %w", a.Username, err)
	}
	if k.m == nil || len(k.m) >= maxProofKeys {
		k.m = make(map[string]proofKey)
	}
	k.m[a.ID] = proofKey{encoded: a.Ed25519Key, priv: priv}
	return priv, nil
}

// signingKey returns acct's proof key.
func (o *Outbox) signingKey(acct *store.Account) (integrity.Key, error) {
	priv, err := o.proofKeys.get(acct)
	if err != nil {
		return integrity.Key{}, err
	}
	actor := o.urls.Actor(acct.Username)
	return integrity.Key{ID: o.urls.ProofKeyID(actor), Controller: actor, Private: priv}, nil
}

// sign adds acct's integrity proof to raw, a JSON document of acct's.
func (o *Outbox) sign(acct *store.Account, raw []byte) ([]byte, error) {
	key, err := o.signingKey(acct)
	if err != nil {
		return nil, err
	}
	signed, err := integrity.Sign(raw, key, o.now())
	if err != nil {
		return nil, fmt.Errorf("sign as %s: %w", acct.Username, err)
	}
	return signed, nil
}

// SignDocument returns raw, a JSON document whose actor or attributedTo is
// acct, with acct's integrity proof (eddsa-jcs-2022) added. raw must not
// carry a proof already.
func (f *Federation) SignDocument(acct *store.Account, raw []byte) ([]byte, error) {
	return f.Outbox.sign(acct, raw)
}

// signedActivity builds the signed form of a Create or Update: the activity
// as ap.Marshal writes it, with the already signed object embedded whole
// (its own @context and proof kept, which Marshal would drop), then signed
// itself.
func (o *Outbox) signedActivity(acct *store.Account, activity map[string]any, signedObject []byte) ([]byte, error) {
	body, err := ap.Marshal(activity)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", activity["id"], err)
	}
	if body, err = withObject(body, signedObject); err != nil {
		return nil, fmt.Errorf("encode %v: %w", activity["id"], err)
	}
	return o.sign(acct, body)
}

// withObject returns the encoded activity with its object member replaced
// by object, verbatim.
func withObject(activity, object []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(activity, &m); err != nil {
		return nil, err
	}
	m["object"] = object
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// multikey is a remote verification method, decoded.
type multikey struct {
	pub        ed25519.PublicKey
	controller string
	fetchedAt  time.Time
}

func (r *Remote) cachedMultikey(vm string) (multikey, bool) {
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	k, ok := r.multikeys[vm]
	if !ok || r.now().Sub(k.fetchedAt) >= actorTTL {
		return multikey{}, false
	}
	return k, true
}

func (r *Remote) cacheMultikey(vm string, k multikey) {
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	if r.multikeys == nil || len(r.multikeys) >= maxCachedKeys {
		r.multikeys = make(map[string]multikey)
	}
	r.multikeys[vm] = k
}

// errNoMultikey: the actor a verification method names does not list it.
var errNoMultikey = errors.New("the actor does not list this key under assertionMethod")

// Multikey resolves a verification method (actor#fragment) to its Ed25519
// key and controller: from memory or the stored actor when fresh,
// otherwise (or with refresh) from the actor's document at its origin. The
// key must be listed by its controller, on the controller's host.
func (r *Remote) Multikey(ctx context.Context, vm string, refresh bool) (ed25519.PublicKey, string, error) {
	if !refresh {
		if k, ok := r.cachedMultikey(vm); ok {
			return k.pub, k.controller, nil
		}
	}
	actor, _, _ := strings.Cut(vm, "#")
	if actor == vm || hostOf(actor) == "" {
		return nil, "", fmt.Errorf("verification method %s is not a key in an actor document", vm)
	}
	a, err := r.Actor(ctx, actor, refresh)
	if err != nil {
		return nil, "", err
	}
	for _, k := range a.Multikeys {
		if k.ID != vm {
			continue
		}
		pub, err := integrity.DecodePublicKey(k.PublicKeyMultibase)
		if err != nil {
			return nil, "", err
		}
		r.cacheMultikey(vm, multikey{pub: pub, controller: a.IRI, fetchedAt: a.FetchedAt})
		return pub, a.IRI, nil
	}
	return nil, "", fmt.Errorf("%s: %w", vm, errNoMultikey)
}

// VerifyProof verifies the integrity proof of raw (see integrity.Verify)
// with the key its verificationMethod names, resolved through the remote
// actor's document. When it fails with a known key (rotated since?) or the
// key is not listed, the actor is fetched again once, as for HTTP signature
// keys. wantController, when set, is who must have signed: the origin actor
// the caller will attribute raw to. Errors are *integrity.Error.
func (r *Remote) VerifyProof(ctx context.Context, raw []byte, wantController string) (*integrity.Proof, error) {
	verify := func(refresh bool) (*integrity.Proof, error) {
		return integrity.Verify(raw, func(vm string) (ed25519.PublicKey, string, error) {
			return r.Multikey(ctx, vm, refresh)
		})
	}
	p, err := verify(false)
	if errors.Is(err, integrity.ErrBadSignature) || errors.Is(err, errNoMultikey) {
		if p2, err2 := verify(true); err2 == nil || !errors.Is(err2, integrity.ErrKeyUnavailable) {
			p, err = p2, err2
		}
	}
	if err != nil {
		return nil, err
	}
	if wantController != "" && p.Controller != wantController {
		return nil, &integrity.Error{Reason: integrity.ControllerMismatch, VerificationMethod: p.VerificationMethod,
			Detail: fmt.Sprintf("signed by %s, expected %s", p.Controller, wantController)}
	}
	return p, nil
}

// hasProof reports whether an inbound object carries an integrity proof.
func hasProof(o *ap.Object) bool {
	_, ok := o.Raw["proof"]
	return ok
}

// objectJSON is an inbound object as its author wrote it, own @context and
// proof kept: what the proof covers, and what we store for a signed object
// so that it stays verifiable when we serve or relay it (ap.Marshal would
// put our @context in).
func objectJSON(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// provenObject checks that an object is what its author signed: its proof
// verifies with a key of its attributedTo, on whose host it lives. An
// object naming no author there cannot be checked (an ignorable error).
func (p *Processor) provenObject(ctx context.Context, o *ap.Object) error {
	if o.AttributedTo == "" || !sameHost(o.ID, o.AttributedTo) {
		return &integrity.Error{Reason: integrity.Unsupported, Detail: fmt.Sprintf("%s names no author on its host", o.ID)}
	}
	raw, err := objectJSON(o.Raw)
	if err != nil {
		return &integrity.Error{Reason: integrity.Malformed, Err: err}
	}
	_, err = p.remote.VerifyProof(ctx, raw, o.AttributedTo)
	return err
}

// relayedObject decides about an object a third party embedded (an
// Announce of someone else's post): proven is the object when its author's
// proof verifies, so it is the author's without a fetch; tampered is the
// reason when the proof fails, so the copy is never stored as theirs. Both
// are nil when there is no such object, no proof or one that cannot be
// checked here (FEP-8b32: ignore it): the caller fetches from the origin.
func (p *Processor) relayedObject(ctx context.Context, act *ap.Activity) (proven *ap.Object, tampered error) {
	o := act.Object
	if o == nil || o.ID == "" || sameHost(o.ID, act.Actor) || !hasProof(o) {
		return nil, nil
	}
	err := p.provenObject(ctx, o)
	switch {
	case err == nil:
		return o, nil
	case integrity.Ignorable(err):
		p.log.DebugContext(ctx, "relayed object's proof cannot be checked; fetching it from its origin", "object", o.ID, "relayed_by", act.Actor, "error", err)
		return nil, nil
	}
	p.log.WarnContext(ctx, "relayed object fails its integrity proof; fetching it from its origin", "object", o.ID, "relayed_by", act.Actor, "error", err)
	return nil, err
}

// refusedCopy is the permanent refusal of a relayed copy that failed its
// proof when the genuine object cannot be fetched either.
func refusedCopy(act *ap.Activity, tampered, fetchErr error) error {
	return permanentError{fmt.Errorf("copy of %s relayed by %s refused (%w), and its origin could not be reached: %v", act.ObjectIRI, act.Actor, tampered, fetchErr)}
}

// checkProofs verifies the proofs of a Create or Update its author sent us
// directly (the activity's, and its embedded object's): the HTTP signature
// already says who sent it, but a proof that is present must hold, since
// we keep the object's and it travels on. A proof that cannot be checked
// here is ignored (FEP-8b32); one that fails refuses the activity.
func (p *Processor) checkProofs(ctx context.Context, e *store.JournalEntry, act *ap.Activity, o *ap.Object) error {
	if _, ok := act.Raw["proof"]; ok {
		if _, err := p.remote.VerifyProof(ctx, e.Body, act.Actor); err != nil && !integrity.Ignorable(err) {
			return permanentError{fmt.Errorf("%s refused: %w", act.ID, err)}
		}
	}
	if o != nil && o == act.Object && hasProof(o) {
		raw, err := objectJSON(o.Raw)
		if err != nil {
			return permanentError{err}
		}
		if _, err := p.remote.VerifyProof(ctx, raw, o.AttributedTo); err != nil && !integrity.Ignorable(err) {
			return permanentError{fmt.Errorf("%s in %s refused: %w", o.ID, act.ID, err)}
		}
	}
	return nil
}

// embedSigned returns activity (encoded) with its object replaced by our
// stored copy of it when that copy carries an integrity proof, as it was
// signed; ok is false when we hold no signed copy.
func embedSigned(t *store.Tx, activity []byte, object string) (body []byte, ok bool) {
	o, err := t.Object(object)
	if err != nil || !o.Deleted.IsZero() {
		return nil, false
	}
	var probe struct {
		Proof json.RawMessage `json:"proof"`
	}
	if json.Unmarshal(o.Raw, &probe) != nil || len(probe.Proof) == 0 {
		return nil, false
	}
	body, err = withObject(activity, o.Raw)
	return body, err == nil
}
