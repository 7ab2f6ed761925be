package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options tunes Open. The zero value is right for production.
type Options struct {
	// LockTimeout bounds the wait for the file lock when another process holds
	// it. Zero means 1s. Open never waits longer than this for the lock.
	LockTimeout time.Duration
	// ReadOnly opens the file with a shared lock (several read-only openers may
	// coexist; none can coexist with a writer). Migrations are not applied: a
	// file whose schema is older than this binary's is refused.
	ReadOnly bool
	// Logger receives migration and lifecycle messages. Nil discards them.
	Logger *slog.Logger
	// NoSync skips fsync on commit. A crash can then lose or corrupt data:
	// for tests and benchmarks only.
	NoSync bool
}

// DB is an open Tocsin database. All methods are safe for concurrent use.
// bbolt allows one writer at a time and many concurrent readers; each method
// runs in its own transaction.
type DB struct {
	bolt          *bolt.DB
	path          string
	readOnly      bool
	log           *slog.Logger
	schemaVersion int

	idMu      sync.Mutex
	idEntropy *ulid.MonotonicEntropy
	idLastMS  uint64

	closeOnce sync.Once
	closeErr  error

	space   spaceState // the last write that failed for lack of space (space.go)
	release releaser   // releases the file's mapped pages (mapped.go)

	journal journalWriter // group commit of inbox journal appends (journal.go)
}

// Open opens or creates the database file at path (creating its parent
// directory with mode 0700), applies pending migrations, and returns the DB.
//
// Only one process may have the file open read-write. If another holds it,
// Open gives up after opts.LockTimeout with an *InUseError (wrapping ErrInUse)
// naming the holder's PID, read from path+".pid", which each read-write opener
// writes once it holds the lock and removes on Close.
//
// A file whose schema version is newer than this binary knows is refused with
// an error wrapping ErrSchemaTooNew; a bbolt file without Tocsin metadata is
// refused as well. Each migration runs in its own transaction.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	bdb, err := openLocked(path, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{
		bolt:      bdb,
		path:      path,
		readOnly:  opts.ReadOnly,
		log:       log.With("db", path),
		idEntropy: ulid.Monotonic(rand.Reader, 0),
	}
	if !opts.ReadOnly {
		if err := writePIDFile(path); err != nil {
			_ = bdb.Close()
			return nil, fmt.Errorf("store: write PID file: %w", err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		db.startReleaser()
	}
	return db, nil
}

// openLocked opens the bbolt file and takes its lock. Restore replaces the file
// by rename while holding the old file's lock; an opener that was waiting for
// that lock then holds it on the replaced file, so after locking we check the
// path still names the file we hold, and reopen if not.
func openLocked(path string, opts Options) (*bolt.DB, error) {
	const attempts = 3
	for i := 0; ; i++ {
		var file *os.File
		bdb, err := bolt.Open(path, 0o600, &bolt.Options{
			Timeout:  opts.LockTimeout,
			ReadOnly: opts.ReadOnly,
			NoSync:   opts.NoSync,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			},
		})
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &InUseError{Path: path, PID: readPIDFile(path)}
		}
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		held, err1 := file.Stat()
		named, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return bdb, nil
		}
		_ = bdb.Close()
		if i+1 == attempts {
			return nil, fmt.Errorf("store: open %s: file was replaced while opening; retry", path)
		}
	}
}

// Close releases the file and its lock and removes the PID file. It is safe
// to call more than once; later calls return the first call's result. Close
// waits for open transactions to finish.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.stopReleaser()
		if !db.readOnly {
			// Removed while we still hold the lock, so we never delete the
			// next holder's PID file.
			if err := os.Remove(pidFilePath(db.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
				db.log.Warn("remove PID file", "err", err)
			}
		}
		db.closeErr = db.bolt.Close()
	})
	return db.closeErr
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// SchemaVersion returns the schema version of the open file (after migrations).
func (db *DB) SchemaVersion() int { return db.schemaVersion }

// NewID returns a new unique, time-sortable ID: a ULID (26 characters,
// Crockford base32). IDs from one DB value sort lexically in the order NewID
// returned them, even across goroutines and if the wall clock steps back;
// their time prefix is the creation time to the millisecond. Safe for
// concurrent use.
func (db *DB) NewID() string {
	db.idMu.Lock()
	defer db.idMu.Unlock()
	ms := ulid.Timestamp(time.Now())
	if ms < db.idLastMS {
		ms = db.idLastMS // clock stepped back: stay monotonic
	}
	for {
		id, err := ulid.New(ms, db.idEntropy)
		if err == nil {
			db.idLastMS = ms
			return id.String()
		}
		if !errors.Is(err, ulid.ErrMonotonicOverflow) {
			panic(fmt.Sprintf("store: generate ID: %v", err))
		}
		// The 80-bit random part overflowed within one millisecond
		// (practically never): borrow the next millisecond.
		ms++
	}
}

// view runs fn in a read-only transaction unless ctx is already done.
func (db *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(fn)
}

// update runs fn in a read-write transaction unless ctx is already done. fn's
// changes commit together, or not at all if fn returns an error.
func (db *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.noteWrite(db.bolt.Update(fn))
}

func pidFilePath(path string) string { return path + ".pid" }

// writePIDFile records this process as the holder of path's lock. Written via
// rename so a concurrent reader never sees a partial number.
func writePIDFile(path string) error {
	pidPath := pidFilePath(path)
	tmp := pidPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, pidPath)
}

// readPIDFile returns the PID recorded for path, or 0 if unknown.
func readPIDFile(path string) int {
	b, err := os.ReadFile(pidFilePath(path))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
