package store

// Remote actors we have fetched, and their keys.
//
// Buckets:
//   remote_actors   actor IRI -> JSON RemoteActor (the fields we use, the raw
//                   document, when it was fetched)
//   remote_keys     key id -> actor IRI (key lookups for signature checks)

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

var (
	bucketRemoteActors   = []byte("remote_actors")
	bucketRemoteKeys     = []byte("remote_keys")
	bucketRemoteActorIDs = []byte("remote_actor_ids") // RemoteActorID(IRI) -> IRI
)

// crockford is Crockford's base 32, the ULID alphabet.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// RemoteActorID is the stable local ID of a remote actor, as the client
// API shows it: "R" and 25 Crockford base-32 characters of the SHA-256 of
// its IRI. It has the length of a ULID and never equals one (ULIDs start
// with 0-7), so local and remote account IDs cannot collide.
func RemoteActorID(iri string) string {
	sum := sha256.Sum256([]byte(iri))
	return "R" + crockford.EncodeToString(sum[:16])[:25]
}

// RemoteActor is an actor of another server, as last fetched.
type RemoteActor struct {
	IRI               string          `json:"iri"`
	Type              string          `json:"type"`
	Host              string          `json:"host"`
	PreferredUsername string          `json:"preferred_username"`
	Name              string          `json:"name,omitempty"`
	URL               string          `json:"url,omitempty"`
	Inbox             string          `json:"inbox"`
	SharedInbox       string          `json:"shared_inbox,omitempty"`
	Outbox            string          `json:"outbox,omitempty"`
	Followers         string          `json:"followers,omitempty"`
	KeyID             string          `json:"key_id"`
	PublicKeyPEM      string          `json:"public_key_pem"`
	ManuallyApproves  bool            `json:"manually_approves,omitempty"`
	MovedTo           string          `json:"moved_to,omitempty"`
	Raw               json.RawMessage `json:"raw,omitempty"`
	FetchedAt         time.Time       `json:"fetched_at"`

	// Multikeys are the actor's assertionMethod keys (FEP-521a), which
	// verify its objects' integrity proofs (FEP-8b32).
	Multikeys []RemoteMultikey `json:"multikeys,omitempty"`
}

// RemoteMultikey is one verification method of a remote actor: its id
// (actor#fragment) and the public key in multibase.
type RemoteMultikey struct {
	ID                 string `json:"id"`
	PublicKeyMultibase string `json:"public_key_multibase"`
}

// PutRemoteActor stores a fetched actor and indexes its key id (a rotated
// key's old id stops pointing at it).
func (t *Tx) PutRemoteActor(a *RemoteActor) error {
	b, err := bucket(t.tx, bucketRemoteActors)
	if err != nil {
		return err
	}
	keys, err := bucket(t.tx, bucketRemoteKeys)
	if err != nil {
		return err
	}
	if prev, err := getJSON[RemoteActor](b, []byte(a.IRI)); err == nil && prev.KeyID != a.KeyID && prev.KeyID != "" {
		if err := keys.Delete([]byte(prev.KeyID)); err != nil {
			return err
		}
	}
	if a.KeyID != "" {
		if err := keys.Put([]byte(a.KeyID), []byte(a.IRI)); err != nil {
			return err
		}
	}
	ids, err := bucket(t.tx, bucketRemoteActorIDs)
	if err != nil {
		return err
	}
	if err := ids.Put([]byte(RemoteActorID(a.IRI)), []byte(a.IRI)); err != nil {
		return err
	}
	return putJSON(b, []byte(a.IRI), a)
}

// RemoteActor returns a stored remote actor, or ErrNotFound.
func (t *Tx) RemoteActor(iri string) (*RemoteActor, error) {
	b, err := bucket(t.tx, bucketRemoteActors)
	if err != nil {
		return nil, err
	}
	a, err := getJSON[RemoteActor](b, []byte(iri))
	if err == ErrNotFound {
		return nil, fmt.Errorf("remote actor %s: %w", iri, ErrNotFound)
	}
	return a, err
}

// DeleteRemoteActor forgets a remote actor and its key.
func (t *Tx) DeleteRemoteActor(iri string) error {
	a, err := t.RemoteActor(iri)
	if err != nil {
		return err
	}
	keys, err := bucket(t.tx, bucketRemoteKeys)
	if err != nil {
		return err
	}
	if err := keys.Delete([]byte(a.KeyID)); err != nil {
		return err
	}
	b, err := bucket(t.tx, bucketRemoteActors)
	if err != nil {
		return err
	}
	return b.Delete([]byte(iri))
}

// PutRemoteActor stores a fetched actor.
func (db *DB) PutRemoteActor(ctx context.Context, a *RemoteActor) error {
	return db.Update(ctx, func(t *Tx) error { return t.PutRemoteActor(a) })
}

// RemoteActor returns a stored remote actor, or ErrNotFound.
func (db *DB) RemoteActor(ctx context.Context, iri string) (*RemoteActor, error) {
	return viewValue(ctx, db, func(t *Tx) (*RemoteActor, error) { return t.RemoteActor(iri) })
}

// RemoteActorByID returns the actor with the given RemoteActorID, or
// ErrNotFound.
func (db *DB) RemoteActorByID(ctx context.Context, id string) (*RemoteActor, error) {
	var a *RemoteActor
	err := db.View(ctx, func(t *Tx) error {
		ids, err := bucket(t.tx, bucketRemoteActorIDs)
		if err != nil {
			return err
		}
		iri := ids.Get([]byte(id))
		if iri == nil {
			return fmt.Errorf("remote actor %s: %w", id, ErrNotFound)
		}
		a, err = t.RemoteActor(string(iri))
		return err
	})
	return a, err
}

// RemoteActorByKeyID returns the actor owning a key id, or ErrNotFound.
func (db *DB) RemoteActorByKeyID(ctx context.Context, keyID string) (*RemoteActor, error) {
	var a *RemoteActor
	err := db.View(ctx, func(t *Tx) error {
		keys, err := bucket(t.tx, bucketRemoteKeys)
		if err != nil {
			return err
		}
		iri := keys.Get([]byte(keyID))
		if iri == nil {
			return fmt.Errorf("key %s: %w", keyID, ErrNotFound)
		}
		a, err = t.RemoteActor(string(iri))
		return err
	})
	return a, err
}

// RemoteActorsOn returns the IRIs of the stored actors on a host.
func (t *Tx) RemoteActorsOn(host string) ([]string, error) {
	b, err := bucket(t.tx, bucketRemoteActors)
	if err != nil {
		return nil, err
	}
	var out []string
	err = b.ForEach(func(k, v []byte) error {
		var a struct {
			Host string `json:"host"`
		}
		if json.Unmarshal(v, &a) == nil && strings.EqualFold(a.Host, host) {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}
