package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/internal/faultpeer"
)

// TestFetchesFromMisbehavingPeersFailClearlyAndDoNotSlowOthers fetches
// actor documents from six misbehaving peers (500, hang, reset, huge body,
// redirect loop, 1 byte/s), 12 at a time from each, while 300 fetches from
// a healthy peer run. Every healthy fetch succeeds while the hanging peer
// still holds its connections (at most MaxConnsPerHost of them); each bad
// fetch ends, within the client's timeout, with an error that says what
// went wrong: the huge body stops at the cap, the redirect loop at the
// redirect limit.
func TestFetchesFromMisbehavingPeersFailClearlyAndDoNotSlowOthers(t *testing.T) {
	const timeout, maxBytes, perHost, badFetches = 4 * time.Second, 1 << 20, 4, 12
	client, err := fetch.New(fetch.Options{
		AllowPrivate: true, AllowHTTP: true, Timeout: timeout, MaxBytes: maxBytes, MaxConnsPerHost: perHost,
	}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	var healthy *httptest.Server
	healthy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":"https://www.w3.org/ns/activitystreams","type":"Person","id":"%s%s"}`, healthy.URL, r.URL.Path)
	}))
	t.Cleanup(healthy.Close)
	bad := map[faultpeer.Kind]*faultpeer.Peer{}
	for _, k := range faultpeer.Kinds {
		p, err := faultpeer.Start(k)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		bad[k] = p
	}

	type outcome struct {
		err     error
		elapsed time.Duration
	}
	var mu sync.Mutex
	results := map[faultpeer.Kind][]outcome{}
	var wg sync.WaitGroup
	start := time.Now()
	for _, k := range faultpeer.Kinds {
		for i := range badFetches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				_, err := client.GetActivity(context.Background(), bad[k].URL(fmt.Sprintf("/users/u%d", i)))
				mu.Lock()
				results[k] = append(results[k], outcome{err, time.Since(t0)})
				mu.Unlock()
			}()
		}
	}
	// The healthy peer's fetches, 16 at a time, while the bad ones run.
	var healthyOK, healthyFailed atomic.Int64
	var hw sync.WaitGroup
	var next atomic.Int64
	for range 16 {
		hw.Add(1)
		go func() {
			defer hw.Done()
			for next.Add(1) <= 300 {
				if _, err := client.GetActivity(context.Background(), healthy.URL+"/users/ok"); err != nil {
					healthyFailed.Add(1)
					t.Errorf("healthy fetch: %v", err)
				} else {
					healthyOK.Add(1)
				}
			}
		}()
	}
	hw.Wait()
	healthyDone := time.Since(start)
	if st := bad[faultpeer.Hang].Stats(); st.Open == 0 || st.Connections > perHost {
		t.Errorf("hanging peer when the healthy fetches were done (%s): %+v; want connections open, at most %d", healthyDone, st, perHost)
	}
	wg.Wait()
	allDone := time.Since(start)

	check := func(k faultpeer.Kind, what string, ok func(error) bool) {
		t.Helper()
		var slowest time.Duration
		for _, o := range results[k] {
			slowest = max(slowest, o.elapsed)
			if o.err == nil || !ok(o.err) {
				t.Errorf("%s peer: fetch ended with %v, want %s", k, o.err, what)
			}
		}
		// Each fetch is bounded by the timeout, however long it queued
		// for one of the peer's perHost connections.
		if slowest > timeout*(badFetches/perHost+1) {
			t.Errorf("%s peer: slowest fetch took %s", k, slowest)
		}
		t.Logf("%-8s peer: %d fetches, slowest %s: %v; peer %+v", k, len(results[k]), slowest.Round(time.Millisecond), results[k][0].err, bad[k].Stats())
	}
	check(faultpeer.Error500, "a 500 status error", func(err error) bool {
		var se *fetch.StatusError
		return errors.As(err, &se) && se.Status == http.StatusInternalServerError
	})
	check(faultpeer.Hang, "a timeout", func(err error) bool { return errors.Is(err, context.DeadlineExceeded) })
	check(faultpeer.Reset, "a connection error", func(err error) bool { return !errors.Is(err, context.DeadlineExceeded) })
	check(faultpeer.HugeBody, "ErrTooLarge", func(err error) bool { return errors.Is(err, fetch.ErrTooLarge) })
	check(faultpeer.RedirectLoop, "ErrTooManyRedirects", func(err error) bool { return errors.Is(err, fetch.ErrTooManyRedirects) })
	check(faultpeer.Slow, "a timeout", func(err error) bool { return errors.Is(err, context.DeadlineExceeded) })
	if st := bad[faultpeer.HugeBody].Stats(); st.BodyBytes/int64(st.Connections) > 8<<20 {
		t.Errorf("huge-body peer wrote %d MB over %d connections: the cap of %d bytes did not stop the reads", st.BodyBytes>>20, st.Connections, maxBytes)
	}
	if st := bad[faultpeer.RedirectLoop].Stats(); st.Followed > badFetches*fetch.DefaultMaxRedirects {
		t.Errorf("redirect loop followed %d times for %d fetches (limit %d each)", st.Followed, badFetches, fetch.DefaultMaxRedirects)
	}
	t.Logf("healthy peer: %d fetches ok, %d failed, all done in %s; every bad fetch ended by %s",
		healthyOK.Load(), healthyFailed.Load(), healthyDone.Round(time.Millisecond), allDone.Round(time.Millisecond))
}
