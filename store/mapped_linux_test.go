package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// rssFile returns this process's RssFile (mapped file pages) in bytes.
func rssFile(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb * 1024
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestReleasingMappedPagesShrinksRSSAndKeepsReadsRight reads 32 MiB
// through bbolt's mapping, releases it, and checks that the resident set
// shrank by about that much, while readers running through repeated
// releases always see the values that were written.
func TestReleasingMappedPagesShrinksRSSAndKeepsReadsRight(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tocsin.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.stopReleaser() // only this test's releases, between its measurements
	const n, size = 512, 64 << 10
	value := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
	for i := 0; i < n; i += 64 {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("mapped_test"))
			if err != nil {
				return err
			}
			for j := i; j < i+64; j++ {
				if err := b.Put([]byte(fmt.Sprintf("%04d", j)), value(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	readAll := func() error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("mapped_test"))
			for i := range n {
				if v := b.Get([]byte(fmt.Sprintf("%04d", i))); !bytes.Equal(v, value(i)) {
					return fmt.Errorf("value %d differs after release", i)
				}
			}
			return nil
		})
	}
	if err := db.releaseMapped(); err != nil {
		t.Fatal(err)
	}
	before := rssFile(t)
	if err := readAll(); err != nil {
		t.Fatal(err)
	}
	touched := rssFile(t)
	if err := db.releaseMapped(); err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	t.Logf("RssFile %d MB, after reading 32 MiB %d MB, after release %d MB", before>>20, touched>>20, after>>20)
	if touched-before < 16<<20 || touched-after < 16<<20 {
		t.Errorf("RssFile %d -> %d -> %d bytes: reading 32 MiB and releasing it should move it by about that much", before, touched, after)
	}

	// Readers and releases at once: every read sees the written values.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if err := readAll(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 20 {
		if err := db.releaseMapped(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
