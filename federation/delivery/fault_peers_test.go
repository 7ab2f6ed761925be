package delivery_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/internal/faultpeer"
	"github.com/tocsin-network/tocsin/store"
)

// TestMisbehavingPeersDoNotSlowHealthyOnes delivers, through the guarded
// production client and the real clock, 20 jobs to each of six misbehaving
// peers (500, hang, reset, huge body, redirect loop, 1 byte/s) and to each
// of three healthy ones, interleaved. The healthy inboxes get everything
// while the hanging and the slow peer still hold their connections (no
// more than PerHostLimit each); the breaker opens for the peers that keep
// failing; the huge body is not read; the redirect is not followed.
func TestMisbehavingPeersDoNotSlowHealthyOnes(t *testing.T) {
	const jobs, perHost = 20, 2
	bad := map[faultpeer.Kind]*faultpeer.Peer{}
	for _, k := range faultpeer.Kinds {
		p, err := faultpeer.Start(k)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		bad[k] = p
	}
	healthy := []*sink{newSink(t), newSink(t), newSink(t)}
	var inboxes []string
	for i := range jobs {
		for _, k := range faultpeer.Kinds {
			inboxes = append(inboxes, bad[k].URL(fmt.Sprintf("/users/u%d/inbox", i)))
		}
		for _, s := range healthy {
			inboxes = append(inboxes, s.url(fmt.Sprintf("/users/u%d/inbox", i)))
		}
	}

	client, err := fetch.New(fetch.Options{AllowPrivate: true, AllowHTTP: true, Timeout: 10 * time.Second}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	db := openStore(t, filepath.Join(t.TempDir(), "tocsin.db"))
	d := delivery.New(db, delivery.PosterFunc(client.PostStatus), keys{}, delivery.Options{
		Workers: 16, PerHostLimit: perHost, BreakerThreshold: 3, BreakerCooldown: time.Hour,
		Backoff: fixed(100 * time.Millisecond), Permanent: fetch.Permanent, ShutdownGrace: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })

	start := time.Now()
	if _, err := db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{
		Body: []byte(note), SignerID: aliceID, ActivityID: "https://tocsin.test/activities/1", Inboxes: inboxes,
	}); err != nil {
		t.Fatal(err)
	}
	d.Kick()

	poll := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s", what, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	poll("healthy inboxes to get every job", 60*time.Second, func() bool {
		for _, s := range healthy {
			if s.acceptedCount() != jobs {
				return false
			}
		}
		return true
	})
	healthyDone := time.Since(start)
	// The hanging and the slow peer still hold the connections they were
	// given (10 s each), and no more than PerHostLimit.
	for _, k := range []faultpeer.Kind{faultpeer.Hang, faultpeer.Slow} {
		st := bad[k].Stats()
		if st.Open == 0 {
			t.Errorf("%s peer: no connection open when the healthy peers were done (%s): %+v", k, healthyDone, st)
		}
		if st.Connections > perHost {
			t.Errorf("%s peer: %d connections, PerHostLimit is %d", k, st.Connections, perHost)
		}
	}

	// The peers that keep failing are paused by the breaker.
	for _, k := range []faultpeer.Kind{faultpeer.Error500, faultpeer.Reset} {
		poll(string(k)+" peer paused by the breaker", 60*time.Second, func() bool {
			_, ok := d.Paused()[bad[k].Host()]
			return ok
		})
	}
	breakerOpen := time.Since(start)
	// The huge answers were cut after the first bytes, and delivered (2xx).
	poll("huge-body peer delivered", 60*time.Second, func() bool {
		p, err := db.PeerHealthFor(context.Background(), bad[faultpeer.HugeBody].Host())
		return err == nil && p.Delivered == jobs
	})
	// What the peer manages to write is the client's first 64 KiB plus
	// the sockets' buffers (a few MB on loopback), not the 1 GiB offered.
	if st := bad[faultpeer.HugeBody].Stats(); st.BodyBytes/int64(st.Connections) > 8<<20 {
		t.Errorf("huge-body peer wrote %d MB over %d connections before the client stopped reading", st.BodyBytes>>20, st.Connections)
	}
	// The redirect is an answer, not a way elsewhere: never followed.
	poll("redirecting peer's jobs answered", 60*time.Second, func() bool {
		return bad[faultpeer.RedirectLoop].Stats().Requests >= jobs
	})
	if st := bad[faultpeer.RedirectLoop].Stats(); st.Followed > 0 {
		t.Errorf("a delivery followed the redirect loop: %+v", st)
	}
	for _, k := range faultpeer.Kinds {
		p, _ := db.PeerHealthFor(context.Background(), bad[k].Host())
		st := bad[k].Stats()
		_, paused := d.Paused()[bad[k].Host()]
		t.Logf("%-8s peer: %d connections (max %d at once, %d open), %d requests, %d KB written; delivered %d, failed attempts %d, dead %d, backlog %d, paused %v",
			k, st.Connections, st.MaxOpen, st.Open, st.Requests, st.BodyBytes>>10, p.Delivered, p.Failed, p.Dead, p.Backlog, paused)
	}
	t.Logf("healthy peers: all %d jobs delivered in %s; breaker open for 500 and reset peers after %s", 3*jobs, healthyDone.Round(time.Millisecond), breakerOpen.Round(time.Millisecond))
}
