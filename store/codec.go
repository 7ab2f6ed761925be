package store

// Helpers shared by the bucket families: typed JSON values and bucket lookup.

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucket returns the named top-level bucket, or an error if it is missing
// (a migration did not run, or the file is damaged).
func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("bucket %q missing: database schema damaged", name)
	}
	return b, nil
}

// getJSON decodes the JSON value stored at key into a new T. It returns
// ErrNotFound, unwrapped (the caller adds what was not found), when key is
// absent. The result does not alias bbolt memory, so it outlives tx.
func getJSON[T any](b *bolt.Bucket, key []byte) (*T, error) {
	v := b.Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	out := new(T)
	if err := json.Unmarshal(v, out); err != nil {
		return nil, fmt.Errorf("decode value at %q: %w", key, err)
	}
	return out, nil
}

// putJSON stores v JSON-encoded at key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put(key, data)
}
