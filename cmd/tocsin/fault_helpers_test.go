package main

// Shared pieces of the fault and load suite (fault_*_test.go): a node that
// accepts loopback peers, floods from internal/loadgen, and the checks made
// on the database file after the server is gone.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tocsin-network/tocsin/internal/loadgen"
	"github.com/tocsin-network/tocsin/store"
)

// faultNode is a node whose server federates with loopback peers over
// plain HTTP, with an organisation account "org" that the floods mention.
func faultNode(t *testing.T) *node {
	t.Helper()
	n := newNode(t)
	n.env = append(n.env, "TOCSIN_ALLOW_PRIVATE_ADDRESSES=true", "TOCSIN_ALLOW_HTTP=true",
		// The per-domain inbox limit (20/s a peer) would refuse these
		// few loopback peers' floods with 429: the suite measures the
		// store and the queues, as the benchmarks do (cluster.NoLimits).
		"TOCSIN_LIMITS_INBOX_PER_DOMAIN_PER_MIN=0", "TOCSIN_LIMITS_INBOX_PER_IP_PER_MIN=0")
	n.mustRun("a-long-fault-test-password\n", "account", "create", "--username", "org", "--kind", "organization", "--role", "publisher")
	return n
}

// faultSeed returns the seed of a randomised fault test (TOCSIN_FAULT_SEED,
// else the clock) and logs it, so that a failing run can be replayed.
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TOCSIN_FAULT_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("TOCSIN_FAULT_SEED: %v", err)
		}
		seed = s
	}
	t.Logf("seed %d (replay with TOCSIN_FAULT_SEED=%d)", seed, seed)
	return seed
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// envInt reads a positive integer from the environment, else def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// newFlood starts senders loopback senders of actors actors each and
// returns a flood aimed at n's shared inbox.
func newFlood(t *testing.T, n *node, senders, actors, workers int) *loadgen.Flood {
	t.Helper()
	f := &loadgen.Flood{
		Inbox: n.url("/inbox"), Mention: n.url("/users/org"), Workers: workers,
		Client: &http.Client{Timeout: 20 * time.Second},
	}
	for range senders {
		s, err := loadgen.NewSender(actors)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		// Trusted, so their notes are visible and reach the public
		// timeline (unknown domains are held for review by default).
		n.mustRun("", "domain", "set", strings.TrimPrefix(s.Base, "http://"), "trusted")
		f.Senders = append(f.Senders, s)
	}
	return f
}

// waitUntil polls cond every 50 ms until it holds or limit passes.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// journalDrained waits until the running server has applied its whole
// inbox journal.
func (n *node) journalDrained(t *testing.T, limit time.Duration) {
	t.Helper()
	waitUntil(t, limit, "inbox journal drained", func() bool {
		v, ok := n.status()["inbox_journal"].(float64)
		return ok && v == 0
	})
}

// readyz returns /readyz's status and body (0 when no answer).
func (n *node) readyz() (int, string) {
	resp, err := readyClient.Get(n.url("/readyz"))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	return resp.StatusCode, b.String()
}

func (n *node) dbPath() string { return filepath.Join(n.dataDir, "tocsin.db") }

// checkDBFile opens the stopped server's database with bbolt alone and
// runs its consistency check (every page reachable once, no page both
// free and in use, keys in order), then opens it as Tocsin does.
func checkDBFile(t *testing.T, path string) *store.DB {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("bbolt cannot open %s: %v", path, err)
	}
	err = bdb.View(func(tx *bolt.Tx) error {
		var errs []error
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		return errors.Join(errs...)
	})
	bdb.Close()
	if err != nil {
		t.Fatalf("bbolt consistency check of %s failed: %v", path, err)
	}
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("store cannot open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appliedOnce checks, in the stopped server's store, that every note in
// want is stored, and that the public timeline holds each note of the
// flood at most once (a duplicate application would add a second entry).
// It returns how many of the flood's notes the timeline holds.
func appliedOnce(t *testing.T, db *store.DB, f *loadgen.Flood, want []uint64) int {
	t.Helper()
	ctx := context.Background()
	missing := 0
	for _, n := range want {
		if _, err := db.Object(ctx, f.NoteID(n)); err != nil {
			if missing++; missing <= 10 {
				t.Errorf("acknowledged note %s is not stored: %v", f.NoteID(n), err)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged notes lost", missing, len(want))
	}
	prefixes := make([]string, len(f.Senders))
	for i, s := range f.Senders {
		prefixes[i] = s.Base + "/"
	}
	seen := map[string]int{}
	err := db.View(ctx, func(tx *store.Tx) error {
		p := store.Page{Limit: 1000}
		for {
			entries, err := tx.PublicPage(false, p, nil)
			if err != nil {
				return err
			}
			for _, e := range entries {
				for _, pre := range prefixes {
					if strings.HasPrefix(e.IRI, pre) {
						seen[e.IRI]++
					}
				}
			}
			if len(entries) < p.Limit {
				return nil
			}
			p = store.Page{Limit: 1000, MaxID: entries[len(entries)-1].ID}
		}
	})
	if err != nil {
		t.Fatalf("read public timeline: %v", err)
	}
	dups := 0
	for iri, c := range seen {
		if c > 1 {
			if dups++; dups <= 10 {
				t.Errorf("%s applied %d times", iri, c)
			}
		}
	}
	for _, n := range want {
		if seen[f.NoteID(n)] != 1 {
			t.Fatalf("acknowledged note %s is on the public timeline %d times, want once", f.NoteID(n), seen[f.NoteID(n)])
		}
	}
	if dups > 0 {
		t.Fatalf("%d notes applied more than once", dups)
	}
	return len(seen)
}

// vmRSS returns a process's resident set size in bytes, from /proc.
func vmRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// procStatus returns a field of /proc/PID/status given in kB, in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
