package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped drops the mapped pages of the file from this process
// (madvise MADV_DONTNEED on bbolt's PROT_READ, MAP_SHARED mapping: no
// data can be lost, bbolt writes with pwrite). It runs inside a read
// transaction, which holds bbolt's mmap lock, so the mapping cannot be
// replaced (remapped on growth) meanwhile; tx.Size() is within it.
func (db *DB) releaseMapped() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		info := db.bolt.Info()
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED); e != 0 {
			return e
		}
		return nil
	})
}
