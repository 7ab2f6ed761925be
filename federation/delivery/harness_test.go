package delivery_test

// The test harness: a real bbolt file, real RSA keys, real listeners on
// loopback that verify every signature, and a plain net/http Poster (the
// lead plugs federation/fetch in production). Tests wait on conditions,
// never on sleeps.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

const (
	aliceID    = "01ALICE"
	aliceActor = "https://tocsin.test/users/alice"
	aliceKeyID = aliceActor + "#main-key"
)

var aliceKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// keys is the KeySource: alice only.
type keys struct{}

func (keys) SigningKey(_ context.Context, signerID string) (string, *rsa.PrivateKey, error) {
	if signerID != aliceID {
		return "", nil, fmt.Errorf("account %s: %w", signerID, store.ErrNotFound)
	}
	return aliceKeyID, aliceKey(), nil
}

// resolver is the sinks' signature.KeyResolver: alice's public key.
type resolver struct{}

func (resolver) ResolveKey(_ context.Context, keyID string, _ bool) (*signature.PublicKey, error) {
	if keyID != aliceKeyID {
		return nil, errors.New("unknown key")
	}
	return &signature.PublicKey{ID: aliceKeyID, Owner: aliceActor, Key: &aliceKey().PublicKey}, nil
}

// clock is a fake clock: tests Advance it, then Kick the Deliverer.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

// newClock starts a minute ahead of the wall clock, so that jobs queued now
// (the store stamps them with the wall clock) are due at once.
func newClock() *clock { return &clock{now: time.Now().UTC().Add(time.Minute).Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// httpPoster is the test Poster over plain net/http.
type httpPoster struct{ client *http.Client }

func newPoster(timeout time.Duration) *httpPoster {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: time.Second}).DialContext,
		MaxIdleConns:          0, // no total cap: many peers
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       time.Minute,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
	}
	return &httpPoster{client: &http.Client{Transport: tr}}
}

func (p *httpPoster) Post(ctx context.Context, inbox string, body []byte, signer *signature.Signer) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err := signer.Sign(req, body, false); err != nil {
		return 0, 0, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	var retryAfter time.Duration
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
		retryAfter = time.Duration(n) * time.Second
	}
	return resp.StatusCode, retryAfter, nil
}

func (p *httpPoster) close() { p.client.CloseIdleConnections() }

// event is a broadcast: wait() returns a channel closed at the next fire().
type event struct {
	mu sync.Mutex
	ch chan struct{}
}

func (e *event) wait() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch == nil {
		e.ch = make(chan struct{})
	}
	return e.ch
}

func (e *event) fire() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch != nil {
		close(e.ch)
		e.ch = nil
	}
}

// waitFor waits until cond is true, re-checking whenever ev fires, for at
// most 20s.
func waitFor(t *testing.T, ev *event, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		ch := ev.wait()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// request is one POST a sink received.
type request struct {
	path, date, sig string
	body            []byte
	verified        error
	status          int
}

// sink is a peer's inbox server on loopback. reply decides the answer to the
// n-th request (1-based) for a path; nil answers 202. block, when set, holds
// each request until it is closed or the client gives up.
type sink struct {
	srv   *httptest.Server
	reply func(path string, n int) (status int, header http.Header)
	block chan struct{}

	mu        sync.Mutex
	arrivals  int // requests that reached the handler, blocked ones too
	abandoned int // blocked requests whose client gave up
	requests  []request
	perPath   map[string]int
	accepted  map[string]int // 2xx answers per path
	arrived   event
}

func newSink(t *testing.T) *sink {
	s := &sink{perPath: map[string]int{}, accepted: map[string]int{}}
	v := &signature.Verifier{Keys: resolver{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		res, verr := v.Verify(r.Context(), r, body)
		if verr == nil && res.KeyID != aliceKeyID {
			verr = fmt.Errorf("signed by %s", res.KeyID)
		}
		s.mu.Lock()
		s.arrivals++
		s.mu.Unlock()
		if b := s.block; b != nil {
			s.arrived.fire()
			select {
			case <-b:
			case <-r.Context().Done():
				s.mu.Lock()
				s.abandoned++
				s.mu.Unlock()
				s.arrived.fire()
				return
			}
		}
		s.mu.Lock()
		s.perPath[r.URL.Path]++
		n := s.perPath[r.URL.Path]
		status, header := http.StatusAccepted, http.Header(nil)
		if s.reply != nil {
			status, header = s.reply(r.URL.Path, n)
		}
		if verr != nil {
			status = http.StatusUnauthorized
		}
		if status/100 == 2 {
			s.accepted[r.URL.Path]++
		}
		s.requests = append(s.requests, request{path: r.URL.Path, date: r.Header.Get("Date"),
			sig: r.Header.Get("Signature"), body: body, verified: verr, status: status})
		s.mu.Unlock()
		for k, vs := range header {
			w.Header()[k] = vs
		}
		w.WriteHeader(status)
		s.arrived.fire()
	}))
	t.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

func (s *sink) url(path string) string { return s.srv.URL + path }

func (s *sink) host() string { return s.srv.Listener.Addr().String() }

func (s *sink) snapshot() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}

func (s *sink) acceptedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.accepted {
		n += c
	}
	return n
}

func (s *sink) arrivedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrivals
}

func (s *sink) abandonedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abandoned
}

func (s *sink) acceptedFor(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted[path]
}

// blackhole accepts TCP connections and never answers.
type blackhole struct {
	ln      net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	total   int
	arrived event
}

func newBlackhole(t *testing.T) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.total++
			b.mu.Unlock()
			b.arrived.fire()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

func (b *blackhole) url(path string) string { return "http://" + b.ln.Addr().String() + path }

func (b *blackhole) host() string { return b.ln.Addr().String() }

func (b *blackhole) accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// harness is one instance's delivery side: a store and a Deliverer.
type harness struct {
	t      *testing.T
	path   string
	db     *store.DB
	d      *delivery.Deliverer
	poster *httpPoster
	cancel context.CancelFunc
	ran    chan error
}

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newHarness opens a store at a fresh path (or path, if given) and starts a
// Deliverer on it with opts, posting with a 10s response timeout. The test
// ends by stopping it.
func newHarness(t *testing.T, path string, opts delivery.Options) *harness {
	t.Helper()
	return newHarnessPoster(t, path, newPoster(10*time.Second), opts)
}

func newHarnessPoster(t *testing.T, path string, poster *httpPoster, opts delivery.Options) *harness {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "tocsin.db")
	}
	h := &harness{t: t, path: path, db: openStore(t, path), poster: poster}
	h.start(opts)
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start(opts delivery.Options) {
	h.d = delivery.New(h.db, h.poster, keys{}, opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.ran = make(chan error, 1)
	go func() { h.ran <- h.d.Run(ctx) }()
}

// stop cancels Run and waits for it to return (it is safe to call twice).
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.ran:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		h.t.Fatal("Run did not return after cancel")
	}
	h.poster.close()
}

func (h *harness) enqueue(body string, inboxes ...string) int {
	h.t.Helper()
	n, err := h.db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{
		Body: []byte(body), SignerID: aliceID, ActivityID: "https://tocsin.test/activities/1", Inboxes: inboxes,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.d.Kick()
	return n
}

// settle kicks the Deliverer and waits until nothing is due or in flight.
func (h *harness) settle() {
	h.t.Helper()
	h.d.Kick()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.d.Settle(ctx); err != nil {
		h.t.Fatalf("Settle: %v", err)
	}
}

func (h *harness) health(host string) store.PeerHealth {
	h.t.Helper()
	p, err := h.db.PeerHealthFor(context.Background(), host)
	if err != nil {
		h.t.Fatal(err)
	}
	return *p
}

func (h *harness) pending() int {
	h.t.Helper()
	n, err := h.db.PendingDeliveries(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) due(at time.Time) []*store.Delivery {
	h.t.Helper()
	due, _, err := h.db.DueDeliveries(context.Background(), at, 0, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return due
}

// fixed returns a Backoff without jitter.
func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }
