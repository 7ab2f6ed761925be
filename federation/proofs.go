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
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode %v: %w", activity["id"], err)
	}
	m["object"] = signedObject
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %v: %w", activity["id"], err)
	}
	return o.sign(acct, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
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
