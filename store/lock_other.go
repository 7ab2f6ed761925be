//go:build windows || plan9 || solaris || aix || android

package store

import (
	"errors"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// errLocked: another opener holds the database file's lock.
var errLocked = errors.New("file is locked")

// lockFile checks, by briefly opening the file with bbolt, that no process
// holds it. On these platforms the lock is not kept for the caller (Windows
// cannot rename over a locked file), so the check is best effort.
func lockFile(path string) (unlock func(), err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, errLocked
	}
	if err == nil {
		_ = bdb.Close()
	}
	return func() {}, nil
}
