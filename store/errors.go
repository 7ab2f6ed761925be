package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Methods wrap them with context (%w); test with errors.Is.
var (
	// ErrInUse: the database file is held by another process (or another open
	// DB value in this process).
	ErrInUse = errors.New("database in use")
	// ErrNotFound: the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write would break a uniqueness rule (duplicate ID,
	// username, email...). The wrapping message says which.
	ErrConflict = errors.New("conflict")
	// ErrSchemaTooNew: the file was written by a newer Tocsin whose schema this
	// binary does not know. Upgrade the binary (or restore an older backup).
	ErrSchemaTooNew = errors.New("database schema is newer than this binary supports")
)

// InUseError reports that a database file is locked by another process. It
// wraps ErrInUse. PID is 0 when the holder could not be identified (its PID
// file was missing or unreadable).
type InUseError struct {
	Path string
	PID  int
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("database %s is in use by PID %d", e.Path, e.PID)
	}
	return fmt.Sprintf("database %s is in use by another process", e.Path)
}

// Unwrap makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Unwrap() error { return ErrInUse }
