// Package cluster starts complete Tocsin instances inside one test process,
// each with its own bbolt file in t.TempDir(), its own keys and a real HTTP
// listener on its own loopback address (127.0.0.2, 127.0.0.3, ...), so
// federation is tested end to end over real HTTP with real signatures. It
// is test support: production code never imports it.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/instance"
	"github.com/tocsin-network/tocsin/store"
)

// Server is one running instance of a cluster.
type Server struct {
	*instance.Instance
	// URL is the instance's base URL, e.g. http://127.0.0.2:41234.
	URL string
	// Domain is its host:port.
	Domain string

	cfg    config.Config
	policy federation.Policy
	ip     string
	cancel context.CancelFunc
	done   chan error
}

// Config is the instance configuration an Option adjusts, and the few
// wiring choices that are not configuration.
type Config struct {
	config.Config
	// Policy, when set, replaces the moderation service as the
	// instance's federation policy (see WithPolicy).
	Policy federation.Policy
}

// Option adjusts an instance's configuration before it starts.
type Option func(*Config)

// Start runs one instance on the loopback address 127.0.0.(2+index) with a
// free port. It is stopped when the test ends.
func Start(t testing.TB, index int, opts ...Option) *Server {
	t.Helper()
	ip := fmt.Sprintf("127.0.0.%d", 2+index)
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	domain := ln.Addr().String()
	cfg := Config{Config: config.Default()}
	cfg.Domain = domain
	cfg.Scheme = "http"
	cfg.Listen = domain
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.AllowPrivateAddresses = true
	cfg.AllowHTTP = true
	cfg.Instance.Name = "Test network " + ip
	cfg.Federation.FetchTimeout = 5 * time.Second
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	// Unix socket paths are limited to ~108 bytes; t.TempDir() can be long.
	sockDir, err := os.MkdirTemp("", "tocsin-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	cfg.Admin.Socket = filepath.Join(sockDir, "admin.sock")
	s := &Server{URL: cfg.BaseURL(), Domain: domain, cfg: cfg.Config, policy: cfg.Policy, ip: ip}
	s.start(t, ln)
	t.Cleanup(func() { s.Stop(t) })
	return s
}

func (s *Server) start(t testing.TB, ln net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := s.cfg
	in, err := instance.Open(ctx, &cfg, instance.Options{
		Logger: testLogger(t, s.ip), HashCost: bcrypt.MinCost,
		// Retries in seconds, not minutes, so tests of a peer that comes
		// back finish quickly.
		DeliveryBackoff: func(attempt int) time.Duration { return time.Duration(attempt) * 100 * time.Millisecond },
		Policy:          s.policy,
	})
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("open instance %s: %v", s.ip, err)
	}
	s.Instance, s.cancel, s.done = in, cancel, make(chan error, 1)
	go func() { s.done <- in.Serve(ctx, ln) }()
	s.WaitReady(t)
}

// Restart stops the instance and starts it again on the same address with
// the same data directory.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Resume(t)
}

// Resume starts a stopped instance again on its address and data.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", s.Domain)
	if err != nil {
		t.Fatalf("listen again on %s: %v", s.Domain, err)
	}
	s.start(t, ln)
}

// Stop shuts the instance down and waits for it (bounded).
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("instance %s stopped with error: %v", s.Domain, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("instance %s did not stop within 30s", s.Domain)
	}
}

// Running reports whether the instance is serving.
func (s *Server) Running() bool { return s.cancel != nil }

// WaitReady polls /readyz until it answers 200 (bounded: 10 s).
func (s *Server) WaitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("instance %s not ready within 10s", s.Domain)
}

// Settle waits until every running server has nothing left to do: empty
// inbox journals and delivery queues, twice in a row (bounded: 30 s).
func Settle(t testing.TB, servers ...*Server) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	quiet := 0
	for time.Now().Before(deadline) {
		all := true
		for _, s := range servers {
			if s.Running() && !s.Federation.Settled(ctx) {
				all = false
				break
			}
		}
		if all {
			quiet++
			if quiet == 2 {
				return
			}
		} else {
			quiet = 0
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("servers did not settle within 30s")
}

// Eventually waits until cond holds (bounded: 30 s), failing with what.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting: %s", what)
}

// CreateAccount creates a local account with a fixed test password.
func (s *Server) CreateAccount(t testing.TB, username, kind, role string) *store.Account {
	t.Helper()
	a, err := s.Accounts.Create(context.Background(), account.CreateInput{
		Username: username, Kind: kind, Role: role, Password: Password,
		Email: username + "@" + strings.Split(s.Domain, ":")[0] + ".test",
	})
	if err != nil {
		t.Fatalf("create account %s on %s: %v", username, s.Domain, err)
	}
	return a
}

// Password is the password of accounts made by CreateAccount.
const Password = "correct horse battery staple"

// testLogger writes the instance's logs to the test log at warn level and
// above, prefixed with its address, so failures show what each server saw.
func testLogger(t testing.TB, name string) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("TOCSIN_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level})).With("instance", name)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// WithPolicy makes p the instance's federation policy instead of its
// moderation service, e.g. federation.OpenPolicy{} to measure federation
// with no policy at all.
func WithPolicy(p federation.Policy) Option {
	return func(c *Config) { c.Policy = p }
}

// NoLimits turns the rate limits off, for benchmarks that send from one
// domain or one token far above what a person would.
func NoLimits(c *Config) {
	c.Limits.APIPer5Min, c.Limits.APIPerAccountPer5Min = 0, 0
	c.Limits.SigninPerIPPer15Min, c.Limits.SignupPerIPPerHour = 0, 0
	c.Limits.InboxPerDomainPerMin, c.Limits.InboxPerIPPerMin = 0, 0
}
