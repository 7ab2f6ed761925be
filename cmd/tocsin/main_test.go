package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the tocsin executable built once for these tests: they run it
// as operators do, as separate processes.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tocsin-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tocsin")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build tocsin: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// node is a tocsin data directory and the environment that points at it.
type node struct {
	t       *testing.T
	dataDir string
	addr    string
	env     []string
}

func newNode(t *testing.T) *node {
	t.Helper()
	// The admin socket lives in the data dir; keep the path short (unix
	// sockets allow ~108 bytes).
	dir, err := os.MkdirTemp("", "tn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n := &node{t: t, dataDir: filepath.Join(dir, "d"), addr: freeAddr(t)}
	n.env = append(cleanEnv(),
		"TOCSIN_DATA_DIR="+n.dataDir,
		"TOCSIN_LISTEN="+n.addr,
		"TOCSIN_DOMAIN="+n.addr,
		"TOCSIN_SCHEME=http",
	)
	return n
}

// cleanEnv is the test's environment without any TOCSIN_ variable.
func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TOCSIN_") {
			env = append(env, e)
		}
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (n *node) url(path string) string { return "http://" + n.addr + path }

// result is a finished command.
type result struct {
	code           int
	stdout, stderr string
}

// run runs one tocsin command to completion (bounded: 60 s).
func (n *node) run(stdin string, args ...string) result {
	n.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = n.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		n.t.Fatalf("tocsin %v did not finish within 60s", args)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

// mustRun runs a command that must succeed.
func (n *node) mustRun(stdin string, args ...string) string {
	n.t.Helper()
	r := n.run(stdin, args...)
	if r.code != 0 {
		n.t.Fatalf("tocsin %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// server is a running `tocsin serve` process.
type server struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

// serve starts `tocsin serve` and waits until /readyz answers 200.
func (n *node) serve(args ...string) *server {
	n.t.Helper()
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, append([]string{"serve"}, args...)...)
	s.cmd.Env = n.env
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	n.t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			n.t.Fatalf("serve exited early: %v\nstdout: %s\nstderr: %s", err, s.stdout, s.stderr)
		default:
		}
		if resp, err := http.Get(n.url("/readyz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("serve not ready within 20s\nstderr: %s", s.stderr)
	return nil
}

// stop sends SIGTERM and waits for a clean exit (bounded: 30 s).
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\nstderr: %s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s of SIGTERM")
	}
}

func httpGet(t *testing.T, url, accept string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type accountView struct {
	ID       string   `json:"id"`
	Username string   `json:"username"`
	Kind     string   `json:"kind"`
	Role     string   `json:"role"`
	Email    string   `json:"email"`
	Disabled bool     `json:"disabled"`
	ActsFor  []string `json:"acts_for"`
}

func (n *node) accounts() []accountView {
	n.t.Helper()
	var list []accountView
	if err := json.Unmarshal([]byte(n.mustRun("", "account", "list", "--json")), &list); err != nil {
		n.t.Fatal(err)
	}
	return list
}
