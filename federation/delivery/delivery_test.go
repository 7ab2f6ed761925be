package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/store"
)

const note = `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://tocsin.test/activities/1"}`

func TestDeliversOncePerDistinctInboxThenReleasesTheBody(t *testing.T) {
	a, b := newSink(t), newSink(t)
	clk := newClock()
	h := newHarness(t, "", delivery.Options{Now: clk.Now})

	n := h.enqueue(note, a.url("/users/bob/inbox"), b.url("/inbox"), a.url("/users/bob/inbox"))
	if n != 2 {
		t.Fatalf("queued %d jobs, want 2 (duplicate inbox)", n)
	}
	h.settle()

	for _, s := range []*sink{a, b} {
		reqs := s.snapshot()
		if len(reqs) != 1 {
			t.Fatalf("sink %s got %d requests, want 1", s.host(), len(reqs))
		}
		if r := reqs[0]; r.verified != nil || string(r.body) != note || r.status != http.StatusAccepted {
			t.Errorf("sink %s: verified=%v status=%d body=%q", s.host(), r.verified, r.status, r.body)
		}
		p := h.health(s.host())
		if p.Backlog != 0 || p.Delivered != 1 || !p.LastSuccess.Equal(clk.Now()) || p.Failed != 0 {
			t.Errorf("health of %s: %+v", s.host(), p)
		}
	}
	if got := a.snapshot()[0].path; got != "/users/bob/inbox" {
		t.Errorf("path %q", got)
	}
	if p := h.pending(); p != 0 {
		t.Errorf("pending %d after delivery", p)
	}
	if due := h.due(clk.Now().Add(24 * time.Hour)); len(due) != 0 {
		t.Errorf("jobs left: %v", due)
	}
}

func TestBodyIsStoredOnceAndRemovedWithTheLastJob(t *testing.T) {
	a := newSink(t)
	release := make(chan struct{})
	a.block = release
	h := newHarness(t, "", delivery.Options{})
	h.enqueue(note, a.url("/1"), a.url("/2"), a.url("/3"))
	due := h.due(time.Now().Add(time.Hour))
	if len(due) != 3 || due[0].BodyID != due[1].BodyID || due[1].BodyID != due[2].BodyID {
		t.Fatalf("jobs %+v do not share one body", due)
	}
	body, err := h.db.DeliveryBody(context.Background(), due[0].BodyID)
	if err != nil || string(body) != note {
		t.Fatalf("body %q, %v", body, err)
	}
	close(release)
	h.settle()
	if _, err := h.db.DeliveryBody(context.Background(), due[0].BodyID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("body after the last delivery: %v, want ErrNotFound", err)
	}
	if a.acceptedCount() != 3 {
		t.Errorf("accepted %d, want 3", a.acceptedCount())
	}
}

// waitNextSecond waits until the wall clock is in a later second than the
// HTTP Date given: Date has one-second resolution, and this test checks that
// each attempt is signed afresh.
func waitNextSecond(t *testing.T, date string) {
	t.Helper()
	d, err := http.ParseTime(date)
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(time.Until(d.Add(time.Second)))
	defer timer.Stop()
	<-timer.C
}

func TestRetriesAfterServerErrorsWithAFreshSignatureEachTime(t *testing.T) {
	s := newSink(t)
	s.reply = func(_ string, n int) (int, http.Header) {
		if n <= 2 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusAccepted, nil
	}
	clk := newClock()
	h := newHarness(t, "", delivery.Options{Now: clk.Now, Backoff: fixed(time.Minute)})
	h.enqueue(note, s.url("/inbox"))

	for attempt := 1; attempt <= 2; attempt++ {
		h.settle()
		due := h.due(clk.Now().Add(time.Hour))
		if len(due) != 1 {
			t.Fatalf("after attempt %d: %d jobs queued", attempt, len(due))
		}
		j := due[0]
		if j.Attempts != attempt || !j.NextAttempt.Equal(clk.Now().Add(time.Minute)) ||
			j.LastError != "HTTP 500 Internal Server Error" {
			t.Fatalf("after attempt %d: %+v", attempt, j)
		}
		p := h.health(s.host())
		if p.ConsecutiveFailures != attempt || p.Failed != int64(attempt) || p.Backlog != 1 || p.LastError != j.LastError {
			t.Errorf("health after attempt %d: %+v", attempt, p)
		}
		if got := len(s.snapshot()); got != attempt {
			t.Fatalf("sink got %d requests after attempt %d", got, attempt)
		}
		// Not due yet: a kick changes nothing.
		h.settle()
		if got := len(s.snapshot()); got != attempt {
			t.Fatalf("retried before its time: %d requests", got)
		}
		waitNextSecond(t, s.snapshot()[attempt-1].date)
		clk.Advance(time.Minute)
	}
	h.settle()

	reqs := s.snapshot()
	if len(reqs) != 3 || s.acceptedCount() != 1 {
		t.Fatalf("%d requests, %d accepted; want 3 and 1", len(reqs), s.acceptedCount())
	}
	dates, sigs := map[string]bool{}, map[string]bool{}
	for _, r := range reqs {
		if r.verified != nil || string(r.body) != note {
			t.Errorf("attempt: verified=%v body=%q", r.verified, r.body)
		}
		dates[r.date], sigs[r.sig] = true, true
	}
	if len(dates) != 3 || len(sigs) != 3 {
		t.Errorf("%d distinct Dates and %d distinct signatures over 3 attempts", len(dates), len(sigs))
	}
	p := h.health(s.host())
	if p.Delivered != 1 || p.Failed != 2 || p.ConsecutiveFailures != 0 || p.Backlog != 0 {
		t.Errorf("health %+v", p)
	}
}

func TestPermanentRefusalsAreDeadLetteredAtOnce(t *testing.T) {
	for _, status := range []int{400, 403, 404, 410, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newSink(t)
			s.reply = func(string, int) (int, http.Header) { return status, nil }
			var mu sync.Mutex
			var gone []string
			clk := newClock()
			h := newHarness(t, "", delivery.Options{Now: clk.Now, Backoff: fixed(time.Second),
				OnGone: func(_ context.Context, inbox string) {
					mu.Lock()
					gone = append(gone, inbox)
					mu.Unlock()
				}})
			inbox := s.url("/users/gone/inbox")
			h.enqueue(note, inbox)
			h.settle()
			clk.Advance(time.Hour)
			h.settle()

			if n := len(s.snapshot()); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
			dead, err := h.db.DeadDeliveries(context.Background(), 0)
			if err != nil || len(dead) != 1 {
				t.Fatalf("dead letters %v, %v", dead, err)
			}
			if d := dead[0]; d.Inbox != inbox || d.Attempts != 1 ||
				d.LastError != fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)) {
				t.Errorf("dead letter %+v", d)
			}
			mu.Lock()
			defer mu.Unlock()
			wantGone := []string(nil)
			if status == http.StatusGone {
				wantGone = []string{inbox}
			}
			if !slices.Equal(gone, wantGone) {
				t.Errorf("OnGone calls %q, want %q", gone, wantGone)
			}
			p := h.health(s.host())
			if p.Backlog != 0 || p.Dead != 1 || p.Failed != 1 || p.Delivered != 0 {
				t.Errorf("health %+v", p)
			}
			if h.pending() != 0 {
				t.Errorf("pending %d", h.pending())
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := newSink(t)
			s.reply = func(_ string, n int) (int, http.Header) {
				if n == 1 {
					return status, http.Header{"Retry-After": {"120"}}
				}
				return http.StatusAccepted, nil
			}
			clk := newClock()
			h := newHarness(t, "", delivery.Options{Now: clk.Now, Backoff: fixed(time.Minute)})
			h.enqueue(note, s.url("/inbox"))
			start := clk.Now()
			h.settle()

			due := h.due(start.Add(time.Hour))
			if len(due) != 1 || !due[0].NextAttempt.Equal(start.Add(120*time.Second)) {
				t.Fatalf("rescheduled to %v, want start+120s (Retry-After beats the 1m backoff)", due[0].NextAttempt)
			}
			clk.Advance(119 * time.Second)
			h.settle()
			if n := len(s.snapshot()); n != 1 {
				t.Fatalf("%d requests before Retry-After elapsed", n)
			}
			clk.Advance(time.Second)
			h.settle()
			if s.acceptedCount() != 1 || len(s.snapshot()) != 2 {
				t.Errorf("after Retry-After: %d requests, %d accepted", len(s.snapshot()), s.acceptedCount())
			}
		})
	}
}

func TestRestartLosesNoJobAndDeliversEachOnce(t *testing.T) {
	a, b := newSink(t), newSink(t)
	release := make(chan struct{})
	a.block, b.block = release, release
	inboxes := []string{a.url("/1"), a.url("/2"), a.url("/3"), b.url("/1"), b.url("/2")}

	h := newHarness(t, "", delivery.Options{ShutdownGrace: 50 * time.Millisecond})
	h.enqueue(note, inboxes...)
	// All five are in flight, held by the blocked sinks.
	waitFor(t, &a.arrived, "3 requests at a", func() bool { return a.arrivedCount() == 3 })
	waitFor(t, &b.arrived, "2 requests at b", func() bool { return b.arrivedCount() == 2 })
	h.stop() // cuts the POSTs off after the grace period
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	// The peers saw the cut-off POSTs end (else a peer may take a cut-off
	// POST in: at-least-once allows that, but this test counts exactly).
	waitFor(t, &a.arrived, "a's requests to be abandoned", func() bool { return a.abandonedCount() == 3 })
	waitFor(t, &b.arrived, "b's requests to be abandoned", func() bool { return b.abandonedCount() == 2 })
	if a.acceptedCount()+b.acceptedCount() != 0 {
		t.Fatal("a blocked sink accepted a delivery")
	}

	close(release)
	h2 := newHarness(t, h.path, delivery.Options{})
	if p := h2.pending(); p != 5 {
		t.Fatalf("pending after restart %d, want 5", p)
	}
	h2.settle()
	for _, in := range inboxes {
		s, path := a, strings.TrimPrefix(in, a.url(""))
		if strings.HasPrefix(in, b.url("")) {
			s, path = b, strings.TrimPrefix(in, b.url(""))
		}
		if n := s.acceptedFor(path); n != 1 {
			t.Errorf("%s accepted %d times, want 1", in, n)
		}
	}
	if p := h2.pending(); p != 0 {
		t.Errorf("pending %d", p)
	}
}

func TestDeadHostDoesNotStallHealthyHosts(t *testing.T) {
	dead := newBlackhole(t)
	ok1, ok2 := newSink(t), newSink(t)
	var inboxes []string
	for i := range 10 {
		inboxes = append(inboxes, dead.url(fmt.Sprintf("/%d", i)), ok1.url(fmt.Sprintf("/%d", i)), ok2.url(fmt.Sprintf("/%d", i)))
	}
	h := newHarness(t, "", delivery.Options{Workers: 4, PerHostLimit: 2, ShutdownGrace: 50 * time.Millisecond})
	h.enqueue(note, inboxes...)

	// The dead host holds at most PerHostLimit workers; the other two
	// deliver everything meanwhile.
	waitFor(t, &dead.arrived, "the dead host's connections", func() bool { return dead.accepted() >= 2 })
	waitFor(t, &ok1.arrived, "ok1 to get all 10", func() bool { return ok1.acceptedCount() == 10 })
	waitFor(t, &ok2.arrived, "ok2 to get all 10", func() bool { return ok2.acceptedCount() == 10 })
	if n := dead.accepted(); n != 2 {
		t.Errorf("dead host holds %d connections, want PerHostLimit=2", n)
	}
	h.stop()
	if p := h.health(dead.host()); p.Backlog != 10 || p.Failed != 0 {
		t.Errorf("dead host health after shutdown %+v (cut-off POSTs are not attempts)", p)
	}
	if p := h.health(ok1.host()); p.Delivered != 10 || p.Backlog != 0 {
		t.Errorf("healthy host %+v", p)
	}
}

func TestBreakerPausesADeadHostThenProbesOnce(t *testing.T) {
	dead := newBlackhole(t)
	ok := newSink(t)
	var inboxes []string
	for i := range 10 {
		inboxes = append(inboxes, dead.url(fmt.Sprintf("/%d", i)))
	}
	for i := range 5 {
		inboxes = append(inboxes, ok.url(fmt.Sprintf("/%d", i)))
	}
	clk := newClock()
	h := newHarnessPoster(t, "", newPoster(200*time.Millisecond), delivery.Options{
		Workers: 8, PerHostLimit: 2, BreakerThreshold: 3, BreakerCooldown: 10 * time.Minute,
		Backoff: fixed(time.Second), Now: clk.Now,
	})
	start := clk.Now()
	h.enqueue(note, inboxes...)
	h.settle()

	if ok.acceptedCount() != 5 {
		t.Errorf("healthy host got %d, want 5", ok.acceptedCount())
	}
	// Two in flight at a time: the 3rd failure opens the breaker while the
	// 4th attempt is in flight; nothing else is tried.
	if n := dead.accepted(); n != 4 {
		t.Errorf("%d attempts at the dead host, want 4", n)
	}
	until := start.Add(10 * time.Minute)
	if got := h.d.Paused(); !got[dead.host()].Equal(until) || len(got) != 1 {
		t.Errorf("paused %v, want %s until %v", got, dead.host(), until)
	}
	p := h.health(dead.host())
	if p.ConsecutiveFailures != 4 || p.Failed != 4 || p.Backlog != 10 || p.Delivered != 0 {
		t.Errorf("dead host health %+v", p)
	}
	var deferred, retried int
	for _, j := range h.due(start.Add(time.Hour)) {
		switch {
		case j.Attempts == 0 && j.NextAttempt.Equal(until):
			deferred++
		case j.Attempts == 1 && j.NextAttempt.Equal(start.Add(time.Second)):
			retried++
		default:
			t.Errorf("job %+v", j)
		}
	}
	if deferred != 6 || retried != 4 {
		t.Errorf("%d deferred, %d retried; want 6 and 4", deferred, retried)
	}

	// After the cooldown: exactly one probe, which fails and pauses again.
	clk.Advance(10*time.Minute + time.Second)
	h.settle()
	if n := dead.accepted(); n != 5 {
		t.Errorf("%d attempts after cooldown, want 5 (one probe)", n)
	}
	if got := h.d.Paused()[dead.host()]; !got.Equal(clk.Now().Add(10 * time.Minute)) {
		t.Errorf("paused until %v after the failed probe", got)
	}
	if p := h.health(dead.host()); p.ConsecutiveFailures != 5 || p.Backlog != 10 {
		t.Errorf("dead host health after probe %+v", p)
	}
}

func TestBreakerClosesWhenTheProbeSucceeds(t *testing.T) {
	s := newSink(t)
	var mu sync.Mutex
	down := true
	s.reply = func(string, int) (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusBadGateway, nil
		}
		return http.StatusAccepted, nil
	}
	var inboxes []string
	for i := range 6 {
		inboxes = append(inboxes, s.url(fmt.Sprintf("/%d", i)))
	}
	clk := newClock()
	h := newHarness(t, "", delivery.Options{PerHostLimit: 1, BreakerThreshold: 2, BreakerCooldown: time.Minute,
		Backoff: fixed(time.Hour), Now: clk.Now})
	h.enqueue(note, inboxes...)
	h.settle()
	if n := len(s.snapshot()); n != 2 {
		t.Fatalf("%d attempts before the breaker opened, want 2", n)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	clk.Advance(time.Minute)
	h.settle()
	if len(h.d.Paused()) != 0 {
		t.Errorf("still paused: %v", h.d.Paused())
	}
	// The probe and the 3 deferred jobs went; the 2 that failed wait for
	// their one-hour backoff.
	if got := s.acceptedCount(); got != 4 {
		t.Errorf("accepted %d, want 4", got)
	}
	if p := h.health(s.host()); p.Backlog != 2 || p.Delivered != 4 || p.ConsecutiveFailures != 0 {
		t.Errorf("health %+v", p)
	}
}

func TestPeerHealthAndBacklogAreExact(t *testing.T) {
	a, b, c := newSink(t), newSink(t), newSink(t)
	b.reply = func(path string, _ int) (int, http.Header) {
		if path == "/gone" {
			return http.StatusNotFound, nil
		}
		return http.StatusOK, nil
	}
	c.reply = func(string, int) (int, http.Header) { return http.StatusInternalServerError, nil }
	clk := newClock()
	release := make(chan struct{})
	a.block = release
	h := newHarness(t, "", delivery.Options{Now: clk.Now, Backoff: fixed(time.Hour)})
	h.enqueue(note, a.url("/1"), a.url("/2"), a.url("/3"), b.url("/ok"), b.url("/gone"), c.url("/x"))
	h.enqueue(note, a.url("/1"), c.url("/x"))
	// a is blocked: its four jobs are in flight, not yet done.
	waitFor(t, &a.arrived, "a's requests to arrive", func() bool { return a.arrivedCount() == 4 })
	if p := h.health(a.host()); p.Backlog != 4 || p.Delivered != 0 {
		t.Errorf("a while in flight %+v", p)
	}
	close(release)
	h.settle()

	want := map[string]store.PeerHealth{
		a.host(): {Backlog: 0, Delivered: 4},
		// b's two jobs finish in either order: ConsecutiveFailures is 0 or 1.
		b.host(): {Backlog: 0, Delivered: 1, Failed: 1, Dead: 1, ConsecutiveFailures: -1},
		c.host(): {Backlog: 2, Failed: 2, ConsecutiveFailures: 2},
	}
	all, err := h.db.PeerHealth(context.Background())
	if err != nil || len(all) != 3 {
		t.Fatalf("peer health %v, %v", all, err)
	}
	for _, p := range all {
		w := want[p.Host]
		if p.Backlog != w.Backlog || p.Delivered != w.Delivered || p.Failed != w.Failed ||
			p.Dead != w.Dead || (w.ConsecutiveFailures >= 0 && p.ConsecutiveFailures != w.ConsecutiveFailures) {
			t.Errorf("%s: %+v, want %+v", p.Host, p, w)
		}
	}
	if p := h.health(c.host()); p.LastError != "HTTP 500 Internal Server Error" || !p.LastErrorAt.Equal(clk.Now()) {
		t.Errorf("c's last error %q at %v", p.LastError, p.LastErrorAt)
	}
	if p := h.pending(); p != 2 {
		t.Errorf("pending %d, want 2", p)
	}
}

func TestUnknownSignerIsDeadLettered(t *testing.T) {
	s := newSink(t)
	h := newHarness(t, "", delivery.Options{})
	if _, err := h.db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{
		Body: []byte(note), SignerID: "01DELETED", Inboxes: []string{s.url("/inbox")},
	}); err != nil {
		t.Fatal(err)
	}
	h.settle()
	dead, _ := h.db.DeadDeliveries(context.Background(), 0)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "01DELETED") || len(s.snapshot()) != 0 {
		t.Errorf("dead letters %+v, %d requests", dead, len(s.snapshot()))
	}
}

func TestRunStopsPromptlyWhenIdle(t *testing.T) {
	h := newHarness(t, "", delivery.Options{})
	h.settle()
	done := make(chan struct{})
	go func() { h.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestSecondConcurrentRunIsRefused(t *testing.T) {
	h := newHarness(t, "", delivery.Options{})
	h.settle() // the first Run is running
	if err := h.d.Run(context.Background()); err == nil {
		t.Fatal("a second Run ran alongside the first")
	}
}

// The production Poster: federation/fetch's guarded client, plugged in as
// federation.New does, with loopback allowed as in a local fleet.
func TestDeliversThroughTheGuardedClient(t *testing.T) {
	s := newSink(t)
	s.reply = func(path string, n int) (int, http.Header) {
		switch {
		case path == "/gone":
			return http.StatusGone, nil
		case n == 1:
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"90"}}
		}
		return http.StatusAccepted, nil
	}
	client, err := fetch.New(fetch.Options{AllowPrivate: true, AllowHTTP: true}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	var gone []string
	var mu sync.Mutex
	clk := newClock()
	db := openStore(t, filepath.Join(t.TempDir(), "tocsin.db"))
	d := delivery.New(db, delivery.PosterFunc(client.PostStatus), keys{}, delivery.Options{
		Now: clk.Now, Backoff: fixed(time.Minute), Permanent: fetch.Permanent,
		OnGone: func(_ context.Context, inbox string) { mu.Lock(); gone = append(gone, inbox); mu.Unlock() },
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	settle := func() {
		d.Kick()
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		if err := d.Settle(sctx); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{
		Body: []byte(note), SignerID: aliceID, Inboxes: []string{s.url("/inbox"), s.url("/gone")},
	}); err != nil {
		t.Fatal(err)
	}
	settle()
	due, _, _ := db.DueDeliveries(context.Background(), clk.Now().Add(time.Hour), 0, nil)
	if len(due) != 1 || !due[0].NextAttempt.Equal(clk.Now().Add(90*time.Second)) {
		t.Fatalf("after 429: %+v", due)
	}
	clk.Advance(90 * time.Second)
	settle()
	for _, r := range s.snapshot() {
		if r.verified != nil {
			t.Errorf("%s: %v", r.path, r.verified)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if s.acceptedFor("/inbox") != 1 || !slices.Equal(gone, []string{s.url("/gone")}) {
		t.Errorf("accepted %d, gone %q", s.acceptedFor("/inbox"), gone)
	}
}
