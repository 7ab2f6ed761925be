package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBackupDuringWritesHoldsEverythingCommittedBefore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openTestDB(t, filepath.Join(dir, "tocsin.db"))

	var (
		mu        sync.Mutex
		committed []string
		warm      = make(chan struct{})
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a := &Account{Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.org", i)}
			if err := db.CreateAccount(ctx, a); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			committed = append(committed, a.ID)
			mu.Unlock()
			if i == 100 {
				close(warm)
			}
		}
	}()
	select {
	case <-warm:
	case <-time.After(30 * time.Second):
		t.Fatal("writer did not commit 100 accounts within 30s")
	}
	mu.Lock()
	before := append([]string(nil), committed...)
	mu.Unlock()
	backupPath := filepath.Join(dir, "backups", "snapshot.db")
	if err := os.MkdirAll(filepath.Dir(backupPath), 0o700); err != nil {
		t.Fatal(err)
	}
	n, err := db.BackupToFile(ctx, backupPath)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(backupPath); err != nil || fi.Size() != n {
		t.Errorf("backup file: %v, size %d, want %d", err, fi.Size(), n)
	}

	snap := openTestDB(t, backupPath)
	if snap.SchemaVersion() != latestSchemaVersion() {
		t.Errorf("snapshot schema version %d", snap.SchemaVersion())
	}
	for _, id := range before {
		if _, err := snap.AccountByID(ctx, id); err != nil {
			t.Fatalf("account committed before Backup missing from snapshot: %v", err)
		}
	}
	want, err := snap.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap.Close() // Restore refuses a source that is open

	restored := filepath.Join(dir, "restored", "tocsin.db")
	if err := Restore(ctx, backupPath, restored); err != nil {
		t.Fatal(err)
	}
	rdb := openTestDB(t, restored)
	got, err := rdb.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("restored accounts differ from the snapshot: %d vs %d", len(got), len(want))
	}
	if len(got) < len(before) {
		t.Errorf("restored %d accounts, %d were committed before Backup", len(got), len(before))
	}
}

func TestBackupToWriterReportsBytesWritten(t *testing.T) {
	db := newTestDB(t)
	var buf bytes.Buffer
	n, err := db.Backup(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != int64(buf.Len()) {
		t.Errorf("Backup returned %d, wrote %d", n, buf.Len())
	}
}

func TestRestoreKeepsThePreviousDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "backup.db"), filepath.Join(dir, "tocsin.db")

	db := openTestDB(t, src)
	if err := db.CreateAccount(ctx, &Account{Username: "from-backup"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTestDB(t, dst)
	if err := db.CreateAccount(ctx, &Account{Username: "current"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if err := Restore(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, dst)
	if _, err := db.AccountByUsername(ctx, "from-backup"); err != nil {
		t.Errorf("restored database: %v", err)
	}
	if _, err := db.AccountByUsername(ctx, "current"); !errors.Is(err, ErrNotFound) {
		t.Errorf("restored database still has the old account: %v", err)
	}
	db.Close()
	old := openTestDB(t, dst+".before-restore")
	if _, err := old.AccountByUsername(ctx, "current"); err != nil {
		t.Errorf("previous database not kept: %v", err)
	}
	if err := Restore(ctx, dst, dst); err == nil {
		t.Error("Restore of a file onto itself succeeded")
	}
}

func TestRestoreRefusesWhatIsNotATocsinBackup(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notBolt, bytes.Repeat([]byte("not a database\n"), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	writeForeignBolt(t, foreign)

	tests := []struct{ name, src, want string }{
		{"text file", notBolt, "not a readable bbolt database"},
		{"empty file", empty, "not a readable bbolt database"},
		{"bbolt without Tocsin meta", foreign, "not a Tocsin database"},
		{"missing file", filepath.Join(dir, "missing.db"), "not a readable bbolt database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(dir, "restored-"+strings.ReplaceAll(tt.name, " ", "-")+".db")
			err := Restore(context.Background(), tt.src, dst)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore = %v, want an error containing %q", err, tt.want)
			}
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refused restore created %s: %v", dst, err)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".restore-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestRestoreRefusesWhileTheDatabaseIsInUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "backup.db"), filepath.Join(dir, "tocsin.db")
	openTestDB(t, src).Close()
	holder := startHolder(t, dst)

	err := Restore(ctx, src, dst)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Restore = %v, want ErrInUse", err)
	}
	if want := fmt.Sprintf("in use by PID %d", holder.pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	holder.stop(t)
	if err := Restore(ctx, src, dst); err != nil {
		t.Errorf("Restore after the holder exited: %v", err)
	}
}
