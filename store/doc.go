// Package store is the persistence layer of one Tocsin instance: a single bbolt
// file holding accounts, the instance actor's key, and (as later migrations add
// them) objects, timelines, the inbox journal and the delivery queue.
//
// The package owns:
//   - the file: opening it, the single-writer lock, the PID file that names the
//     holder (path + ".pid"), hot backup and restore;
//   - the schema: bucket layout, key encodings, secondary indexes, and the ordered
//     list of migrations (migrations.go) that brings any older file up to date;
//   - ID generation: time-sortable ULIDs (DB.NewID), so time-ordered listings are
//     key-range scans.
//
// Nothing above this package sees bbolt types: callers get plain Go values and
// the sentinel errors ErrNotFound, ErrConflict and ErrInUse (always wrapped with
// context; test with errors.Is). Each exported method runs in its own bbolt
// transaction and is safe for concurrent use; a method that writes is atomic
// (all of its changes commit or none do). No transaction ever spans network I/O:
// callers fetch and sign outside, then store.
//
// Layout: one file per bucket family, each starting with a comment giving its
// buckets, key layout, sort order and indexes (meta.go, accounts.go, ...).
//
// This package must not import handlers, federation, echo, go-fed or any
// service package. It may import the pure domain packages whose records it
// keeps (alert, tlp), which import nothing of Tocsin's but the root package.
package store
