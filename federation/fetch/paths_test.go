package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// Every outbound path of the federation core goes through the one guarded
// client: with the guard in its production setting, a peer whose name
// resolves to a loopback address is never connected to, whichever path
// reaches for it. (Search, social/search.go, calls Federation.Fetch, the
// same client.)

// watch is the core's Instruments: it reports fetch errors and delivery
// outcomes to the test.
type watch struct {
	fetchErrs  chan error
	deliveries chan string
}

func (w *watch) Delivery(host, outcome string) { send(w.deliveries, host+" "+outcome) }
func (*watch) Beat(string)                     {}
func (*watch) Stopped(string)                  {}
func (*watch) InboundActivity(string, string)  {}
func (*watch) SignatureFailure(string)         {}
func (w *watch) FetchError(err error)          { send(w.fetchErrs, err) }

// send never blocks the core: a full channel drops the report.
func send[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// drain empties ch of earlier reports.
func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitFor returns the next report on ch (bounded: 15 s).
func waitFor[T any](t *testing.T, what string, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// strictCore is a federation core on a real store with the guard as in
// production (no private addresses), resolving names through dns.
func strictCore(t *testing.T, dns *fetch.TestDNS, w *watch) *federation.Federation {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, _, _, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f, err := federation.New(db, federation.URLs{Base: "https://tocsin.test"}, key, federation.Options{
		AllowHTTP: true, Resolver: dns.Resolver(), FetchTimeout: 3 * time.Second,
		DeliveryBackoff: func(int) time.Duration { return time.Hour },
		Instruments:     w,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEveryOutboundPathRefusesPrivateAddresses(t *testing.T) {
	var accepts, requests atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.8:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	srv.Listener = fetch.CountAccepts(ln, &accepts)
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	dns := fetch.NewTestDNS(t)
	dns.Set("peer.tocsin.test", []netip.Addr{netip.MustParseAddr("127.0.0.8")})
	dns.Set("peer6.tocsin.test", []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.8")})
	w := &watch{fetchErrs: make(chan error, 16), deliveries: make(chan string, 16)}
	f := strictCore(t, dns, w)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	peer := "http://peer.tocsin.test:" + port
	blocked := func(what string, err error) {
		t.Helper()
		var be *fetch.BlockedError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want a *fetch.BlockedError in the chain", what, err)
		}
	}

	t.Run("actor fetch", func(t *testing.T) {
		_, err := f.Remote.Actor(ctx, peer+"/users/alice", true)
		blocked("Remote.Actor", err)
		<-w.fetchErrs
	})
	t.Run("key fetch", func(t *testing.T) {
		_, err := f.Remote.ResolveKey(ctx, "http://peer6.tocsin.test:"+port+"/users/alice#main-key", false)
		blocked("Remote.ResolveKey", err)
		<-w.fetchErrs
	})
	t.Run("signed inbox POST", func(t *testing.T) {
		// The key id names the private peer: verifying means fetching it.
		key, _, _, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		signer, err := signature.NewSigner(peer+"/users/alice#main-key", key)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/follows/1","type":"Follow","actor":"%[1]s/users/alice","object":"https://tocsin.test/users/org"}`, peer))
		req := httptest.NewRequest(http.MethodPost, "https://tocsin.test/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := signer.Sign(req, body, false); err != nil {
			t.Fatal(err)
		}
		err = f.Inbox.Receive(ctx, req, body, "")
		var ie *federation.InboxError
		if !errors.As(err, &ie) || ie.Status != http.StatusUnauthorized {
			t.Fatalf("Receive = %v, want a 401 *InboxError", err)
		}
		blocked("Inbox.Receive", err)
		if n, _ := f.DB.JournalLength(ctx); n != 0 {
			t.Errorf("journal holds %d entries after a refusal, want 0", n)
		}
		<-w.fetchErrs
	})
	t.Run("WebFinger", func(t *testing.T) {
		_, err := f.ResolveActor(ctx, "alice@peer.tocsin.test:"+port)
		blocked("ResolveActor(handle)", err)
	})
	t.Run("NodeInfo", func(t *testing.T) {
		_, err := f.ResolveActor(ctx, peer+"/")
		blocked("ResolveActor(server)", err)
	})

	// The processor and the delivery workers run in the background.
	runDone := make(chan struct{})
	go func() { defer close(runDone); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-runDone })

	t.Run("object fetch by reference", func(t *testing.T) {
		// A verified Create whose object comes by reference: the processor
		// fetches it from its origin, which resolves to loopback.
		actor := peer + "/users/alice"
		body := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%[1]s/creates/1","type":"Create","actor":"%[2]s","object":"%[1]s/notes/1"}`, peer, actor)
		if _, err := f.DB.AppendJournal(ctx, &store.JournalEntry{ActivityID: peer + "/creates/1", Actor: actor,
			KeyID: actor + "#main-key", Body: []byte(body), ReceivedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		drain(w.fetchErrs)
		f.Processor.Kick()
		blocked("processor's object fetch", waitFor(t, "the processor's fetch", w.fetchErrs))
	})
	t.Run("delivery POST", func(t *testing.T) {
		if _, err := f.DB.EnqueueDeliveries(ctx, store.DeliveryBatch{Body: []byte(`{"type":"Create"}`), SignerID: "instance",
			ActivityID: "https://tocsin.test/creates/1", Inboxes: []string{peer + "/inbox", "http://peer6.tocsin.test:" + port + "/inbox"}}); err != nil {
			t.Fatal(err)
		}
		f.Deliverer.Kick()
		for range 2 {
			got := waitFor(t, "a delivery outcome", w.deliveries)
			if got != "peer.tocsin.test:"+port+" dead" && got != "peer6.tocsin.test:"+port+" dead" {
				t.Errorf("delivery outcome %q, want the job dead-lettered (refused for good)", got)
			}
		}
		dead, err := f.DB.DeadDeliveries(ctx, 10)
		if err != nil || len(dead) != 2 {
			t.Fatalf("dead letters = %d, %v; want 2", len(dead), err)
		}
		for _, d := range dead {
			if !strings.Contains(d.LastError, "fetch: refused") || !strings.Contains(d.LastError, "loopback") {
				t.Errorf("dead letter for %s: last error %q, want the guard's refusal of a loopback address", d.Inbox, d.LastError)
			}
		}
	})

	if n := accepts.Load(); n != 0 {
		t.Errorf("the peer on 127.0.0.8 accepted %d connections (%d requests), want 0", n, requests.Load())
	}
	if dns.Queries() == 0 {
		t.Error("no DNS query reached the test DNS server: the names were not resolved through it")
	}
}
