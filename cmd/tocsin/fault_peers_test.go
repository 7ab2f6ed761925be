package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/internal/faultpeer"
	"github.com/tocsin-network/tocsin/internal/loadgen"
)

// TestInboundFromMisbehavingKeyServersDoesNotStallOthers: activities
// signed with keys that live on misbehaving servers (500, hang, reset,
// huge body, redirect loop, 1 byte/s) reach the real server's inbox, 8 at
// a time per server, so that it must fetch each key from there; meanwhile
// a healthy peer floods the same inbox. The healthy peer's activities are
// all acknowledged while the hanging key server still holds connections;
// every bad request gets a 401 once its key fetch fails, within the fetch
// timeout (3 s here), and nothing of theirs is stored.
func TestInboundFromMisbehavingKeyServersDoesNotStallOthers(t *testing.T) {
	n := faultNode(t)
	n.env = append(n.env, "TOCSIN_FEDERATION_FETCH_TIMEOUT=3s")
	f := newFlood(t, n, 1, 4, 8)
	s := n.serve()

	type badResult struct {
		kind    faultpeer.Kind
		status  int
		msg     string
		elapsed time.Duration
	}
	var mu sync.Mutex
	var bad []badResult
	var wg sync.WaitGroup
	peers := map[faultpeer.Kind]*faultpeer.Peer{}
	client := &http.Client{Timeout: 30 * time.Second}
	for _, k := range faultpeer.Kinds {
		p, err := faultpeer.Start(k)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		peers[k] = p
		for i := range 8 {
			a, err := loadgen.NewActorAt(p.URL(fmt.Sprintf("/users/a%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				st, msg, _ := a.Post(context.Background(), client, n.url("/inbox"), a.Note(1, n.url("/users/org")))
				mu.Lock()
				bad = append(bad, badResult{k, st, strings.TrimSpace(msg), time.Since(t0)})
				mu.Unlock()
			}()
		}
	}
	// Once the key fetches are under way (the hanging server holds
	// connections), the healthy peer floods.
	waitUntil(t, 20*time.Second, "key fetches from the hanging server", func() bool { return peers[faultpeer.Hang].Stats().Open > 0 })
	start := time.Now()
	res := f.Run(context.Background(), 400, nil)
	healthy := time.Since(start)
	if res.Status[http.StatusAccepted] != 400 {
		t.Fatalf("healthy peer beside misbehaving key servers: %v %v", res.Status, res.Bodies)
	}
	hang := peers[faultpeer.Hang].Stats()
	if hang.Open == 0 {
		t.Logf("note: the hanging key server's fetches had all timed out by the time the healthy flood finished (%s)", healthy)
	}
	wg.Wait()

	for _, k := range faultpeer.Kinds {
		var slowest time.Duration
		var example badResult
		for _, r := range bad {
			if r.kind != k {
				continue
			}
			example = r
			slowest = max(slowest, r.elapsed)
			if r.status != http.StatusUnauthorized {
				t.Errorf("activity signed by a key on the %s server: %d %q, want 401", k, r.status, r.msg)
			}
		}
		t.Logf("%-8s key server: 8 activities refused %d in at most %s (%s); server saw %+v", k, example.status,
			slowest.Round(time.Millisecond), example.msg, peers[k].Stats())
	}
	t.Logf("healthy peer: 400 activities acknowledged in %s (%.0f/s) while the bad ones waited on their keys; hanging key server had %d connections open at the end",
		healthy.Round(time.Millisecond), 400/healthy.Seconds(), hang.Open)
	n.journalDrained(t, time.Minute)
	s.stop(t)
	db := checkDBFile(t, n.dbPath())
	appliedOnce(t, db, f, res.Acked)
	for _, k := range faultpeer.Kinds {
		if _, err := db.Object(context.Background(), peers[k].URL("/users/a0/statuses/1")); err == nil {
			t.Errorf("an activity signed by a key on the %s server was stored", k)
		}
	}
}
