package store

// Bucket family: meta (instance-wide singletons).
//
//	meta  key "schema_version"  value: decimal ASCII schema version, e.g. "1";
//	                            written only by migrations (migrations.go)
//	      key "instance_key"    value: JSON InstanceKey, the instance actor's
//	                            key pair; written once (EnsureInstanceKey)
//
// A bbolt file without a meta bucket is either brand new (no buckets at all,
// version 0) or not a Tocsin database.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta = []byte("meta")

	keySchemaVersion = []byte("schema_version")
	keyInstanceKey   = []byte("instance_key")
)

// errNotTocsin: a bbolt file that has buckets but no Tocsin metadata.
var errNotTocsin = errors.New("not a Tocsin database (bbolt file without a meta bucket)")

// readSchemaVersion returns the recorded schema version: 0 for an empty file.
func readSchemaVersion(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, errNotTocsin
		}
		return 0, nil
	}
	v := b.Get(keySchemaVersion)
	if v == nil {
		return 0, fmt.Errorf("meta bucket has no schema_version")
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("meta schema_version %q is not a version number", v)
	}
	return n, nil
}

func writeSchemaVersion(tx *bolt.Tx, version int) error {
	b, err := bucket(tx, bucketMeta)
	if err != nil {
		return err
	}
	return b.Put(keySchemaVersion, []byte(strconv.Itoa(version)))
}

// InstanceKey is the key pair of the instance actor (the Application actor
// that signs fetches). It is not a user account's key.
type InstanceKey struct {
	PrivateKeyPEM string    `json:"private_key_pem"`
	PublicKeyPEM  string    `json:"public_key_pem"`
	CreatedAt     time.Time `json:"created_at"`
}

// InstanceKey returns the stored instance actor key, or an error wrapping
// ErrNotFound when none has been stored yet.
func (db *DB) InstanceKey(ctx context.Context) (*InstanceKey, error) {
	var k *InstanceKey
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		k, err = getJSON[InstanceKey](b, keyInstanceKey)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: instance key: %w", err)
	}
	return k, nil
}

// EnsureInstanceKey stores k if no instance key exists yet and returns the
// stored key and whether this call created it. The check and the write are one
// transaction, so when several callers race, exactly one key wins and every
// caller gets that one. A zero k.CreatedAt is set to now.
func (db *DB) EnsureInstanceKey(ctx context.Context, k *InstanceKey) (*InstanceKey, bool, error) {
	if k == nil || k.PrivateKeyPEM == "" || k.PublicKeyPEM == "" {
		return nil, false, errors.New("store: instance key: private and public key PEM are required")
	}
	var (
		stored  *InstanceKey
		created bool
	)
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		stored, err = getJSON[InstanceKey](b, keyInstanceKey)
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		nk := *k
		if nk.CreatedAt.IsZero() {
			nk.CreatedAt = time.Now().UTC()
		}
		if err := putJSON(b, keyInstanceKey, &nk); err != nil {
			return err
		}
		stored, created = &nk, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: ensure instance key: %w", err)
	}
	return stored, created, nil
}
