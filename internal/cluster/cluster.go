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

	cancel context.CancelFunc
	done   chan error
}

// Config is the instance configuration an Option adjusts.
type Config = config.Config

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
	cfg := config.Default()
	cfg.Domain = domain
	cfg.Scheme = "http"
	cfg.Listen = domain
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.AllowPrivateAddresses = true
	cfg.AllowHTTP = true
	cfg.Instance.Name = "Test network " + ip
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

	log := testLogger(t, ip)
	ctx, cancel := context.WithCancel(context.Background())
	in, err := instance.Open(ctx, &cfg, instance.Options{Logger: log, HashCost: bcrypt.MinCost})
	if err != nil {
		cancel()
		t.Fatalf("open instance %s: %v", ip, err)
	}
	s := &Server{Instance: in, URL: cfg.BaseURL(), Domain: domain, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- in.Serve(ctx, ln) }()
	t.Cleanup(func() { s.Stop(t) })
	s.WaitReady(t)
	return s
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
