package store

// Releasing the database file's mapped pages. bbolt reads the file through
// a read-only shared mapping, and every page read since the mapping was
// made stays in the process's resident set: under a sustained flood (writes
// reuse free pages all over the file) VmRSS grows with the file, hundreds
// of MB in minutes, although none of it is the process's own memory. A
// timer hands those pages back (they stay in the kernel's page cache; the
// next read maps a page again with a minor fault), so the resident set
// shows what the server itself uses.

import (
	"sync"
	"time"
)

// releaseMappedEvery is how often the mapped pages are released. Under a
// sustained flood on a 4 GB file, 2 s let about 60 MB be mapped again
// between releases; a quarter of a second keeps it near a tenth of that,
// for a few thousand minor faults a second (the hot pages mapped again).
const releaseMappedEvery = 250 * time.Millisecond

// releaser owns the goroutine that releases mapped pages.
type releaser struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

// startReleaser starts releasing mapped pages every releaseMappedEvery
// (on Linux; elsewhere releaseMapped does nothing). Close stops it.
func (db *DB) startReleaser() {
	db.release.stop = make(chan struct{})
	db.release.wg.Add(1)
	go func() {
		defer db.release.wg.Done()
		t := time.NewTicker(releaseMappedEvery)
		defer t.Stop()
		for {
			select {
			case <-db.release.stop:
				return
			case <-t.C:
			}
			if err := db.releaseMapped(); err != nil {
				db.log.Warn("release mapped database pages", "error", err)
			}
		}
	}()
}

// stopReleaser stops the goroutine (if started) and waits for it; calling
// it again does nothing.
func (db *DB) stopReleaser() {
	if db.release.stop != nil {
		close(db.release.stop)
		db.release.wg.Wait()
		db.release.stop = nil
	}
}
