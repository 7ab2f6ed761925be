package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// actorTTL is how long a fetched actor is trusted before it is fetched
// again (keys rotate, inboxes move).
const actorTTL = 24 * time.Hour

// Remote finds remote actors and their keys: from the store when fresh,
// otherwise fetched from their origin through the guarded client and
// stored. Concurrent lookups of one actor share one fetch. It implements
// signature.KeyResolver.
type Remote struct {
	db    *store.DB
	fetch *fetch.Client
	log   *slog.Logger
	group singleflight.Group
	now   func() time.Time
	instr Instruments // metrics

	// keys caches parsed public keys by key id: the inbox resolves a key
	// for every POST, and decoding the stored actor and its PEM each time
	// costs more than verifying the signature. Bounded; emptied when full.
	keysMu sync.Mutex
	keys   map[string]cachedKey
	// multikeys caches the Ed25519 keys of integrity proofs by
	// verification method, under keysMu.
	multikeys map[string]multikey
}

type cachedKey struct {
	pk        *signature.PublicKey
	fetchedAt time.Time
}

// maxCachedKeys bounds the key cache (a few hundred bytes each).
const maxCachedKeys = 10000

func (r *Remote) cachedKey(keyID string) (*signature.PublicKey, bool) {
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	c, ok := r.keys[keyID]
	if !ok || r.now().Sub(c.fetchedAt) >= actorTTL {
		return nil, false
	}
	return c.pk, true
}

func (r *Remote) cacheKey(pk *signature.PublicKey, fetchedAt time.Time) {
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	if r.keys == nil || len(r.keys) >= maxCachedKeys {
		r.keys = make(map[string]cachedKey)
	}
	r.keys[pk.ID] = cachedKey{pk: pk, fetchedAt: fetchedAt}
}

// NewRemote returns a Remote over db and the guarded client.
func NewRemote(db *store.DB, client *fetch.Client, log *slog.Logger) *Remote {
	return &Remote{db: db, fetch: client, log: log, now: time.Now, instr: noInstruments{}}
}

// ResolveKey implements signature.KeyResolver.
func (r *Remote) ResolveKey(ctx context.Context, keyID string, refresh bool) (*signature.PublicKey, error) {
	if !refresh {
		if pk, ok := r.cachedKey(keyID); ok {
			return pk, nil
		}
		if a, err := r.db.RemoteActorByKeyID(ctx, keyID); err == nil && r.now().Sub(a.FetchedAt) < actorTTL {
			pk, err := publicKey(a)
			if err == nil {
				r.cacheKey(pk, a.FetchedAt)
			}
			return pk, err
		}
	}
	a, err := r.fetchKeyOwner(ctx, keyID)
	if err != nil {
		// A peer that is down must not lock out an actor whose key we know.
		if a, lerr := r.db.RemoteActorByKeyID(ctx, keyID); lerr == nil && !refresh {
			return publicKey(a)
		}
		return nil, err
	}
	pk, err := publicKey(a)
	if err == nil {
		r.cacheKey(pk, a.FetchedAt)
	}
	return pk, err
}

func publicKey(a *store.RemoteActor) (*signature.PublicKey, error) {
	k, err := signature.ParsePublicKeyPEM(a.PublicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("key of %s: %w", a.IRI, err)
	}
	return &signature.PublicKey{ID: a.KeyID, Owner: a.IRI, Key: k}, nil
}

// fetchKeyOwner fetches the document a key id names (an actor, with the key
// under a fragment, as Mastodon does; or a key document naming its owner,
// as GoToSocial does) and returns the owning actor, stored.
func (r *Remote) fetchKeyOwner(ctx context.Context, keyID string) (*store.RemoteActor, error) {
	docURL := keyID
	if i := strings.IndexByte(docURL, '#'); i >= 0 {
		docURL = docURL[:i]
	}
	v, err, _ := r.group.Do("key "+keyID, func() (any, error) {
		resp, err := r.fetch.GetActivity(ctx, docURL)
		if err != nil {
			r.instr.FetchError(err) // metrics
			return nil, fmt.Errorf("fetch key %s: %w", keyID, err)
		}
		doc, err := ap.Parse(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", keyID, err)
		}
		if doc.Actor != nil {
			return r.storeActor(ctx, doc.Actor, resp)
		}
		// A standalone key document: {"id": key, "owner": actor, "publicKeyPem": ...}.
		owner, _ := doc.Raw()["owner"].(string)
		if owner == "" {
			return nil, fmt.Errorf("key %s: the document is neither an actor nor a key with an owner", keyID)
		}
		return r.Actor(ctx, owner, true)
	})
	if err != nil {
		return nil, err
	}
	a := v.(*store.RemoteActor)
	if a.KeyID != keyID {
		return nil, fmt.Errorf("key %s is not the key of %s (which has %s)", keyID, a.IRI, a.KeyID)
	}
	return a, nil
}

// Actor returns a remote actor, fetching it when it is unknown, stale or
// refresh is set.
func (r *Remote) Actor(ctx context.Context, iri string, refresh bool) (*store.RemoteActor, error) {
	if !refresh {
		if a, err := r.db.RemoteActor(ctx, iri); err == nil && r.now().Sub(a.FetchedAt) < actorTTL {
			return a, nil
		}
	}
	v, err, _ := r.group.Do("actor "+iri, func() (any, error) {
		resp, err := r.fetch.GetActivity(ctx, iri)
		if err != nil {
			r.instr.FetchError(err) // metrics
			return nil, fmt.Errorf("fetch actor %s: %w", iri, err)
		}
		doc, err := ap.Parse(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("actor %s: %w", iri, err)
		}
		if doc.Actor == nil {
			return nil, fmt.Errorf("%s is a %s, not an actor", iri, doc.Type())
		}
		return r.storeActor(ctx, doc.Actor, resp)
	})
	if err != nil {
		if a, lerr := r.db.RemoteActor(ctx, iri); lerr == nil && !refresh {
			r.log.WarnContext(ctx, "using stale actor", "actor", iri, "error", err)
			return a, nil
		}
		return nil, err
	}
	return v.(*store.RemoteActor), nil
}

// errWrongOrigin: a document's id is on another host than where it came
// from; we never trust one origin to speak for another.
var errWrongOrigin = errors.New("document id is not on the host it was fetched from")

func (r *Remote) storeActor(ctx context.Context, a *ap.Actor, resp *fetch.Response) (*store.RemoteActor, error) {
	if !sameHost(a.ID, resp.FinalURL) {
		return nil, fmt.Errorf("actor %s fetched from %s: %w", a.ID, resp.FinalURL, errWrongOrigin)
	}
	if a.Inbox == "" {
		return nil, fmt.Errorf("actor %s has no inbox", a.ID)
	}
	if a.PublicKey.PEM != "" && !sameHost(a.PublicKey.ID, a.ID) {
		return nil, fmt.Errorf("actor %s has a key on another host (%s)", a.ID, a.PublicKey.ID)
	}
	ra := &store.RemoteActor{
		IRI: a.ID, Type: a.Type, Host: hostOf(a.ID), PreferredUsername: a.PreferredUsername,
		Name: a.Name, URL: a.URL, Inbox: a.Inbox, SharedInbox: a.SharedInbox, Outbox: a.Outbox,
		Followers: a.Followers, KeyID: a.PublicKey.ID, PublicKeyPEM: a.PublicKey.PEM,
		ManuallyApproves: a.ManuallyApprovesFollowers, MovedTo: a.MovedTo,
		Raw: resp.Body, FetchedAt: r.now().UTC(),
	}
	for _, k := range a.AssertionMethod {
		// FEP-521a: a key is the actor's only when it says so and lives in
		// the actor's document on its host.
		if k.Controller == a.ID && sameHost(k.ID, a.ID) {
			ra.Multikeys = append(ra.Multikeys, store.RemoteMultikey{ID: k.ID, PublicKeyMultibase: k.PublicKeyMultibase})
		}
	}
	if err := r.db.PutRemoteActor(ctx, ra); err != nil {
		return nil, err
	}
	return ra, nil
}

// hostOf returns the lowercased host[:port] of an IRI, or "".
func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

func sameHost(a, b string) bool {
	ha := hostOf(a)
	return ha != "" && ha == hostOf(b)
}
