//go:build !linux

package store

// releaseMapped does nothing outside Linux.
func (db *DB) releaseMapped() error { return nil }
