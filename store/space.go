package store

// Running out of space. A write that fails because the disk (or the
// process's file size limit, or a quota) is full fails as a whole: bbolt
// writes the meta page last, so the file keeps its last committed state.
// The DB remembers the failure so that readiness can report it, and checks
// by a probe write whether space has come back.
//
// Bucket:
//   space_probe   "probe" -> 1 MiB of zeros, written and removed again by
//                 CheckSpace while the disk is known to be full

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDiskFull: a write failed because there is no space left for the
// database file (full disk, quota, or file size limit). Nothing of that
// write was committed; retry once space is freed.
var ErrDiskFull = errors.New("disk full")

var bucketSpaceProbe = []byte("space_probe")

// spaceProbeSize is how much CheckSpace writes to test for space: enough
// that bbolt usually has to grow the file, as real traffic would.
const spaceProbeSize = 1 << 20

// spaceProbeEvery bounds how often CheckSpace probes while the disk is full.
const spaceProbeEvery = time.Second

// spaceQuiet is how long no write may have failed for lack of space before
// CheckSpace probes at all: a probe can fit in space freed inside the file
// while bigger writes still fail, and readiness should not flap with it.
const spaceQuiet = 10 * time.Second

// spaceState is the DB's memory of the last write that failed for space.
type spaceState struct {
	mu        sync.Mutex
	full      error     // the failure, nil while writes succeed
	since     time.Time // when the disk was first found full
	lastFail  time.Time // the latest write that failed for lack of space
	lastProbe time.Time
}

// isSpaceError reports whether err says the file could not grow. bbolt
// formats some file errors with %s (losing the errno), so the messages
// are matched too.
func isSpaceError(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"no space left on device", "file too large", "disk quota exceeded"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// noteWrite classifies the result of a write transaction: a failure for
// lack of space is wrapped in ErrDiskFull, remembered and logged (once,
// when the disk becomes full).
func (db *DB) noteWrite(err error) error {
	if !isSpaceError(err) {
		return err
	}
	s := &db.space
	s.mu.Lock()
	first := s.full == nil
	if first {
		s.since = time.Now()
	}
	s.full = err
	s.lastFail = time.Now()
	s.mu.Unlock()
	if first {
		db.log.Error("disk full: writes to the database fail, so new activities and posts are refused with 503; free space on the disk (or raise the file size limit or quota)",
			"error", err)
	}
	return fmt.Errorf("%w: %w", ErrDiskFull, err)
}

// CheckSpace returns an error wrapping ErrDiskFull while the last write
// failed for lack of space. Once no write (a failed probe included) has
// failed so for 10 s, it probes by writing and removing 1 MiB; when the
// probe succeeds, space has come back, the state is cleared and it
// returns nil. Readiness calls it.
func (db *DB) CheckSpace(ctx context.Context) error {
	s := &db.space
	s.mu.Lock()
	full, since := s.full, s.since
	probe := full != nil && time.Since(s.lastFail) >= spaceQuiet && time.Since(s.lastProbe) >= spaceProbeEvery
	if probe {
		s.lastProbe = time.Now()
	}
	s.mu.Unlock()
	if full == nil {
		return nil
	}
	if probe {
		if err := db.probeSpace(ctx); err == nil {
			s.mu.Lock()
			s.full = nil
			s.mu.Unlock()
			db.log.Info("disk space is back: database writes succeed again", "full_for", time.Since(since).Round(time.Second))
			return nil
		} else if !errors.Is(err, ErrDiskFull) {
			return err
		}
	}
	return fmt.Errorf("%w since %s: %w", ErrDiskFull, since.UTC().Format(time.RFC3339), full)
}

// probeSpace writes 1 MiB in one transaction and removes it in a second.
func (db *DB) probeSpace(ctx context.Context) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSpaceProbe)
		if err != nil {
			return err
		}
		return b.Put([]byte("probe"), make([]byte, spaceProbeSize))
	})
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketSpaceProbe) })
}
