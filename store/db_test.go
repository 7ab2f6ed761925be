package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openTestDB opens (creating) a database at path, closed when the test ends.
func openTestDB(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newTestDB opens a fresh database in a temporary directory.
func newTestDB(t *testing.T) *DB {
	t.Helper()
	return openTestDB(t, filepath.Join(t.TempDir(), "tocsin.db"))
}

func TestOpenCloseReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "tocsin.db") // parent does not exist yet
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := db.SchemaVersion(), latestSchemaVersion(); got != want {
		t.Errorf("SchemaVersion = %d, want %d", got, want)
	}
	if db.Path() != path {
		t.Errorf("Path = %q, want %q", db.Path(), path)
	}
	a := &Account{Username: "alice", Kind: "person", Role: "member"}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("parent dir: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}

	db = openTestDB(t, path)
	if got := db.SchemaVersion(); got != latestSchemaVersion() {
		t.Errorf("after reopen SchemaVersion = %d", got)
	}
	got, err := db.AccountByID(ctx, a.ID)
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if got.Username != "alice" {
		t.Errorf("username = %q", got.Username)
	}
	var recorded string
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		recorded = string(tx.Bucket(bucketMeta).Get(keySchemaVersion))
		return nil
	})
	if recorded != strconv.Itoa(latestSchemaVersion()) {
		t.Errorf("meta/schema_version = %q", recorded)
	}
}

func TestMigrationsAreNumberedInOrder(t *testing.T) {
	for i, m := range migrations {
		if m.Version != i+1 || m.Name == "" || m.Up == nil {
			t.Errorf("migrations[%d] = {Version: %d, Name: %q}: want version %d, a name and an Up", i, m.Version, m.Name, i+1)
		}
	}
}

func TestOpenRefusesFutureSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	future := latestSchemaVersion() + 1
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return writeSchemaVersion(tx, future) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(context.Background(), path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
	}
	if want := fmt.Sprintf("schema version %d", future); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	// The refusal released the file.
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PID file left behind: %v", err)
	}
}

func TestOpenRefusesBboltFileOfAnotherApplication(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	writeForeignBolt(t, path)
	if _, err := Open(context.Background(), path, Options{}); err == nil || !strings.Contains(err.Error(), "not a Tocsin database") {
		t.Fatalf("Open = %v, want 'not a Tocsin database'", err)
	}
}

// writeForeignBolt creates a valid bbolt file that has no Tocsin meta bucket.
func writeForeignBolt(t *testing.T, path string) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("widgets"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
}

func TestOpenReadOnlyReadsButRefusesWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db := openTestDB(t, path)
	if err := db.CreateAccount(ctx, &Account{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.AccountByUsername(ctx, "alice"); err != nil {
		t.Errorf("read: %v", err)
	}
	if err := ro.CreateAccount(ctx, &Account{Username: "bob"}); err == nil {
		t.Error("write to read-only DB succeeded")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "missing.db"), Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v, want ErrNotExist", err)
	}
}

func TestCloseRemovesPIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	db := openTestDB(t, path)
	b, err := os.ReadFile(path + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("PID file holds %q, want %d", b, os.Getpid())
	}
	db.Close()
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PID file after Close: %v", err)
	}
}

func TestOpenFailsFastWhenAnotherProcessHoldsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	holder := startHolder(t, path)

	start := time.Now()
	db, err := Open(context.Background(), path, Options{LockTimeout: 200 * time.Millisecond})
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("second Open succeeded while another process holds the file")
	}
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Open = %v, want ErrInUse", err)
	}
	want := fmt.Sprintf("database %s is in use by PID %d", path, holder.pid)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != holder.pid {
		t.Errorf("errors.As InUseError = %+v", inUse)
	}
	if elapsed > 2*time.Second {
		t.Errorf("Open took %v with LockTimeout 200ms", elapsed)
	}

	holder.stop(t)
	db = openTestDB(t, path) // released on the holder's exit
	if db.SchemaVersion() != latestSchemaVersion() {
		t.Errorf("SchemaVersion = %d", db.SchemaVersion())
	}
}

const helperEnv = "TOCSIN_STORE_HELPER_DB"

// TestHelperProcess is not a test: startHolder re-executes the test binary to
// run it as a separate process that opens the database named in helperEnv,
// prints "ready", and holds the file until its stdin closes.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper for tests that need another process holding the database")
	}
	db, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	select {
	case <-stdinClosed:
	case <-time.After(time.Minute): // the parent is gone or stuck
	}
	db.Close()
	os.Exit(0)
}

type holderProcess struct {
	cmd    *exec.Cmd
	pid    int
	stdin  io.Closer
	exited chan error
	stderr *bytes.Buffer
}

// startHolder starts another process that opens path and keeps it open until
// stop (or the end of the test).
func startHolder(t *testing.T, path string) *holderProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &holderProcess{cmd: cmd, stdin: stdin, exited: make(chan error, 1), stderr: new(bytes.Buffer)}
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.pid = cmd.Process.Pid

	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for !found && sc.Scan() {
			found = sc.Text() == "ready"
		}
		ready <- found
		h.exited <- cmd.Wait() // only once reading stdout is done, as Wait requires
	}()
	t.Cleanup(func() { h.stop(t) })

	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("holder process exited before opening the database: %s", h.stderr)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("holder process not ready within 30s")
	}
	return h
}

// stop closes the holder's stdin and waits (bounded) for it to exit.
func (h *holderProcess) stop(t *testing.T) {
	t.Helper()
	if h.stdin == nil {
		return
	}
	_ = h.stdin.Close()
	h.stdin = nil
	select {
	case <-h.exited:
	case <-time.After(30 * time.Second):
		_ = h.cmd.Process.Kill()
		t.Error("holder process did not exit within 30s of stdin closing")
	}
}
