package store

// Hot backup and restore of the whole file. No buckets of its own.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent snapshot of the database to w and returns the
// number of bytes written. The snapshot is taken in one read transaction, so
// it contains exactly the transactions committed before Backup started.
// Writers keep committing meanwhile (they are only held up if the file must
// grow its memory map during the copy), so prefer a fast w.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// BackupToFile writes a snapshot (see Backup) to path atomically: into a
// temporary file in the same directory, fsynced, then renamed over path. A
// reader of path sees the previous file or the complete new one, never a
// partial one. The file has mode 0600.
func (db *DB) BackupToFile(ctx context.Context, path string) (int64, error) {
	var n int64
	err := writeFileAtomic(path, func(f *os.File) error {
		var err error
		n, err = db.Backup(ctx, f)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return n, nil
}

// Restore replaces the database at dst with the backup at src.
//
// It first checks src: a bbolt file with Tocsin metadata whose schema version
// this binary supports (an older version is fine; Open migrates it). It then
// copies a consistent snapshot of src to a temporary file next to dst, fsyncs
// it, and renames it over dst, so dst is at every moment either the old
// database or the complete restored one. An existing dst is kept as
// dst+".before-restore" (replacing an older one).
//
// Restore refuses with an *InUseError (wrapping ErrInUse) while dst, or src,
// is open read-write by a running process: stop the server first.
func Restore(ctx context.Context, src, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if si, err1 := os.Stat(src); err1 == nil {
		if di, err2 := os.Stat(dst); err2 == nil && os.SameFile(si, di) {
			return fmt.Errorf("store: restore: %s and %s are the same file", src, dst)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	// Lock first: fail fast if a server has dst open, and keep one from
	// opening it until the new file is in place.
	unlock, err := lockFile(dst)
	if errors.Is(err, errLocked) {
		return fmt.Errorf("store: restore: %w", &InUseError{Path: dst, PID: readPIDFile(dst)})
	}
	if err != nil {
		return fmt.Errorf("store: restore: lock %s: %w", dst, err)
	}
	defer unlock()

	tmp, err := copyCheckedSnapshot(src, dst)
	if err != nil {
		return fmt.Errorf("store: restore from %s: %w", src, err)
	}
	defer os.Remove(tmp) // no-op once renamed

	if _, err := os.Stat(dst); err == nil {
		if err := keepCopy(dst, dst+".before-restore"); err != nil {
			return fmt.Errorf("store: restore: keep the current database: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	return nil
}

// copyCheckedSnapshot validates src and writes a snapshot of it to a new
// temporary file in dst's directory, returning that file's path.
func copyCheckedSnapshot(src, dst string) (string, error) {
	sdb, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return "", &InUseError{Path: src, PID: readPIDFile(src)}
	}
	if err != nil {
		return "", fmt.Errorf("not a readable bbolt database: %w", err)
	}
	defer sdb.Close()

	f, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".restore-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	err = sdb.View(func(tx *bolt.Tx) error {
		v, err := readSchemaVersion(tx)
		switch {
		case err != nil:
			return err
		case v == 0:
			return errNotTocsin
		case v > latestSchemaVersion():
			return fmt.Errorf("schema version %d, this binary supports up to %d: %w", v, latestSchemaVersion(), ErrSchemaTooNew)
		}
		_, err = tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// keepCopy makes keep a copy of path (a hard link when the file system allows),
// replacing any existing keep. path itself stays in place.
func keepCopy(path, keep string) error {
	if err := os.Remove(keep); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Link(path, keep); err == nil {
		return nil
	}
	return writeFileAtomic(keep, func(out *os.File) error {
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(out, in)
		return err
	})
}

// writeFileAtomic creates path with mode 0600 via a temporary file in the same
// directory that write fills; it is fsynced and renamed into place only if
// write succeeds.
func writeFileAtomic(path string, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Platforms that cannot fsync a
// directory (Windows) are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
