//go:build linux

package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// setFileSizeLimit sets RLIMIT_FSIZE of a running process (prlimit(2)):
// a write that would make a file larger fails with EFBIG, as on a full
// disk. The Go runtime ignores SIGXFSZ, so the server sees the error
// instead of dying. limit 0 lifts it.
func setFileSizeLimit(pid int, limit uint64) error {
	const infinity = ^uint64(0)
	if limit == 0 {
		limit = infinity
	}
	lim := syscall.Rlimit{Cur: limit, Max: infinity}
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE,
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// TestDiskFullRefusesClearlyLosesNothingAndRecovers fills the store of a
// real server until its database file cannot grow (RLIMIT_FSIZE, which
// fails writes with EFBIG as a full disk fails them with ENOSPC). Inbound
// requests then get 503 saying the disk is full (never 202 for what was not
// stored), the log says so, /readyz fails; when space returns the server
// accepts again without a restart; after a SIGKILL and a restart the bbolt
// file passes its consistency check and holds every acknowledged activity,
// each once.
func TestDiskFullRefusesClearlyLosesNothingAndRecovers(t *testing.T) {
	n := faultNode(t)
	s := n.serve()
	pid := s.cmd.Process.Pid
	f := newFlood(t, n, 2, 4, 8)

	fi, err := os.Stat(n.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	// Room for a few hundred activities: bbolt grows the file by doubling
	// (then by 16 MiB), and the growth past the limit fails.
	limit := uint64(fi.Size()) + 3<<20
	if err := setFileSizeLimit(pid, limit); err != nil {
		t.Skipf("cannot limit the server's file size (prlimit): %v", err)
	}
	t.Logf("database file %d bytes; file size limit %d bytes", fi.Size(), limit)

	// Flood until the server has refused 100 requests (bounded: 20,000
	// requests, 3 minutes).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	refused := 0
	full := f.Run(ctx, 20000, func(_ uint64, status int) bool {
		if status != http.StatusAccepted {
			refused++
		}
		return refused >= 100
	})
	t.Logf("until full: %d sent, statuses %v", full.Sent, full.Status)
	if len(full.Refused)+len(full.Unanswered) < 100 {
		t.Fatalf("the store never filled up: %d sent, statuses %v", full.Sent, full.Status)
	}
	if len(full.Acked) == 0 {
		t.Fatalf("nothing was accepted before the disk filled: %v", full.Status)
	}
	for status, body := range full.Bodies {
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "disk full") {
			t.Errorf("refused with %d %q, want 503 saying the disk is full", status, body)
		}
	}
	if full.Status[0] > 0 {
		t.Errorf("%d requests got no answer at all (the server must answer 503)", full.Status[0])
	}
	if err := s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("server died when its file could not grow: %v\n%s", err, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "disk full") {
		t.Errorf("the log does not say the disk is full:\n%s", tail(s.stderr.String(), 2000))
	}
	code, body := n.readyz()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "disk full") {
		t.Errorf("/readyz while the disk is full: %d %s, want 503 saying the disk is full", code, body)
	}
	t.Logf("/readyz while full: %d %s", code, body)
	// An operator publishing meanwhile is told why it failed (a small
	// write may still fit in pages freed inside the file: then it is
	// committed like any other).
	if r := n.run("", "note", "create", "--as", "org", "--title", "Polling station moved", "--body", "See the map."); r.code != 0 {
		if !strings.Contains(r.stderr, "disk full") {
			t.Errorf("note create while the disk is full: exit %d, stderr %q; want an error saying the disk is full", r.code, r.stderr)
		}
		t.Logf("note create while full: %s", strings.TrimSpace(r.stderr))
	}

	// Space returns: the same process becomes ready and accepts again.
	if err := setFileSizeLimit(pid, 0); err != nil {
		t.Fatal(err)
	}
	// Readiness comes back once no write has failed for 10 s and a probe
	// write succeeds.
	raised := time.Now()
	waitUntil(t, 60*time.Second, "/readyz 200 after space returned", func() bool {
		code, _ := n.readyz()
		return code == http.StatusOK
	})
	t.Logf("ready again %s after space returned", time.Since(raised).Round(time.Millisecond))
	f.First = 1_000_000
	after := f.Run(context.Background(), 200, nil)
	if after.Status[http.StatusAccepted] != 200 {
		t.Fatalf("after space returned: statuses %v %v", after.Status, after.Bodies)
	}
	// Senders retry what was refused; the journal then drains (entries
	// that could not be applied while full are applied now).
	retried := f.Resend(context.Background(), append(full.Refused, full.Unanswered...))
	if retried.Status[http.StatusAccepted] != retried.Sent {
		t.Fatalf("retries after space returned: %v %v", retried.Status, retried.Bodies)
	}
	n.journalDrained(t, 90*time.Second)

	// A hard stop, then a restart without any limit.
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s = n.serve()
	n.journalDrained(t, 90*time.Second)
	s.stop(t)
	db := checkDBFile(t, n.dbPath())
	want := append(append(append([]uint64{}, full.Acked...), after.Acked...), retried.Acked...)
	stored := appliedOnce(t, db, f, want)
	t.Logf("%d accepted before the disk filled, %d refused with 503, %d accepted after; %d notes stored, each once, bbolt check clean",
		len(full.Acked), len(full.Refused), len(after.Acked)+len(retried.Acked), stored)
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
