package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const pw = "a long enough password\n"

func TestServeWithNoConfigCreatesInstanceAndPrintsSetup(t *testing.T) {
	// Exactly what a newcomer types: no flags, no file, no TOCSIN_ variable.
	ln, err := net.Listen("tcp", "localhost:8080")
	if err != nil {
		t.Skipf("localhost:8080 is taken on this machine (%v): the defaults are covered by config tests", err)
	}
	ln.Close()
	dir := t.TempDir()
	n := &node{t: t, dataDir: filepath.Join(dir, "tocsin-data"), addr: "localhost:8080", env: cleanEnv()}
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Dir = dir
	s.cmd.Env = n.env
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(s.stdout.String(), "Next steps") {
		time.Sleep(20 * time.Millisecond)
	}
	out := s.stdout.String()
	for _, want := range []string{"http://localhost:8080", "account create", "--role admin", "--kind organization"} {
		if !strings.Contains(out, want) {
			t.Errorf("first-run text lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tocsin-data", "tocsin.db")); err != nil {
		t.Errorf("database not created in ./tocsin-data: %v", err)
	}
	status, body := httpGet(t, n.url("/actor"), "application/activity+json")
	if status != http.StatusOK || !strings.Contains(string(body), "publicKeyPem") {
		t.Errorf("instance actor: %d %s", status, body)
	}
	s.stop(t)
}

func TestSecondProcessOnSameDataDirFailsClearly(t *testing.T) {
	n := newNode(t)
	s := n.serve()
	other := *n
	other.env = append(append([]string{}, n.env...), "TOCSIN_LISTEN="+freeAddr(t))
	start := time.Now()
	r := other.run("", "serve")
	if r.code == 0 {
		t.Fatalf("second serve succeeded")
	}
	want := fmt.Sprintf("in use by PID %d", s.cmd.Process.Pid)
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("second process took %v to fail", d)
	}
	s.stop(t)
}

func TestAccountCommandsWorkWithServerStoppedAndRunning(t *testing.T) {
	n := newNode(t)
	// Stopped: the command opens the database itself.
	n.mustRun(pw, "account", "create", "--username", "observers", "--kind", "organization", "--role", "publisher")
	n.mustRun(pw, "account", "create", "--username", "admin", "--kind", "person", "--role", "admin", "--email", "admin@example.org")

	s := n.serve()
	// Running: the same commands go through the admin socket.
	n.mustRun(pw, "account", "create", "--username", "editor", "--kind", "person", "--role", "publisher")
	n.mustRun("", "account", "grant", "--publisher", "editor", "--organization", "observers")
	n.mustRun("", "account", "disable", "--username", "admin")
	list := n.accounts()
	byName := map[string]accountView{}
	for _, a := range list {
		byName[a.Username] = a
	}
	if len(list) != 3 || byName["observers"].Kind != "organization" || byName["admin"].Email != "admin@example.org" {
		t.Fatalf("accounts = %+v", list)
	}
	if !byName["admin"].Disabled || !reflect.DeepEqual(byName["editor"].ActsFor, []string{"observers"}) {
		t.Errorf("disable/grant not applied: %+v", list)
	}
	status, body := httpGet(t, n.url("/users/editor"), "application/activity+json")
	if status != http.StatusOK || !strings.Contains(string(body), `"Person"`) {
		t.Errorf("new account's actor over HTTP: %d %s", status, body)
	}
	n.mustRun("new password of length\n", "account", "password", "--username", "editor")
	n.mustRun("", "account", "enable", "--username", "admin")

	// Bad input: every field's problem on stderr, exit code 2, nothing stored.
	r := n.run("short\n", "account", "create", "--username", "bad name!", "--kind", "robot", "--role", "king", "--email", "nope")
	if r.code != 2 {
		t.Errorf("invalid create: exit %d, want 2", r.code)
	}
	for _, field := range []string{"username:", "kind:", "role:", "email:", "password:"} {
		if !strings.Contains(r.stderr, field) {
			t.Errorf("stderr lacks %q:\n%s", field, r.stderr)
		}
	}
	r = n.run(pw, "account", "create", "--username", "OBSERVERS", "--kind", "person", "--role", "member")
	if r.code == 0 || !strings.Contains(r.stderr, "username") {
		t.Errorf("duplicate username: exit %d, stderr %s", r.code, r.stderr)
	}
	r = n.run("", "account", "create", "--kind", "person")
	if r.code != 2 || !strings.Contains(r.stderr, "--username is required") {
		t.Errorf("missing flag: exit %d, stderr %s", r.code, r.stderr)
	}
	r = n.run("", "account", "grant", "--publisher", "observers", "--organization", "editor")
	if r.code != 2 {
		t.Errorf("grant to an organisation: exit %d, stderr %s", r.code, r.stderr)
	}
	if got := len(n.accounts()); got != 3 {
		t.Errorf("%d accounts after bad input, want 3", got)
	}
	s.stop(t)

	// Stopped again: the server's writes are all there.
	if got := len(n.accounts()); got != 3 {
		t.Errorf("%d accounts after stop, want 3", got)
	}
}

func TestWriteAcknowledgedBeforeSIGTERMSurvivesRestart(t *testing.T) {
	n := newNode(t)
	s := n.serve()
	n.mustRun(pw, "account", "create", "--username", "lastword", "--kind", "organization", "--role", "publisher")
	s.stop(t)
	if !strings.Contains(s.stderr.String(), "stopped") {
		t.Errorf("no clean shutdown in the log:\n%s", s.stderr)
	}
	s = n.serve()
	status, _ := httpGet(t, n.url("/users/lastword"), "application/activity+json")
	if status != http.StatusOK {
		t.Errorf("account written before SIGTERM: actor status %d after restart", status)
	}
	s.stop(t)
}

func TestBackupOfRunningInstanceRestoresIdentically(t *testing.T) {
	n := newNode(t)
	s := n.serve()
	n.mustRun(pw, "account", "create", "--username", "observers", "--kind", "organization", "--role", "publisher")
	n.mustRun(pw, "account", "create", "--username", "editor", "--kind", "person", "--role", "publisher", "--email", "e@example.org")
	n.mustRun("", "account", "grant", "--publisher", "editor", "--organization", "observers")
	backup := filepath.Join(t.TempDir(), "backup.db")
	out := n.mustRun("", "backup", backup)
	if !strings.Contains(out, "backup written") {
		t.Errorf("backup output: %s", out)
	}
	wantAccounts := n.accounts()
	_, wantActor := httpGet(t, n.url("/users/observers"), "application/activity+json")
	_, wantInstance := httpGet(t, n.url("/actor"), "application/activity+json")
	s.stop(t)

	// A fresh data directory on the same address (ids contain the domain).
	restored := *n
	restored.dataDir = filepath.Join(t.TempDir(), "restored")
	restored.env = append(append([]string{}, n.env...), "TOCSIN_DATA_DIR="+restored.dataDir)
	restored.mustRun("", "restore", backup)
	s2 := restored.serve()
	if got := restored.accounts(); !reflect.DeepEqual(got, wantAccounts) {
		t.Errorf("restored accounts differ:\n got %+v\nwant %+v", got, wantAccounts)
	}
	_, gotActor := httpGet(t, restored.url("/users/observers"), "application/activity+json")
	_, gotInstance := httpGet(t, restored.url("/actor"), "application/activity+json")
	if !jsonEqual(gotActor, wantActor) || !jsonEqual(gotInstance, wantInstance) {
		t.Errorf("restored actors differ:\n%s\n%s", gotActor, wantActor)
	}
	// Restoring over a running instance is refused.
	r := restored.run("", "restore", backup)
	if r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Errorf("restore while running: exit %d, %s", r.code, r.stderr)
	}
	s2.stop(t)
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestBadConfigurationNamesKeyAndLine(t *testing.T) {
	n := newNode(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		env        []string
		want       []string
	}{
		{"bad enum", "domain = \"example.org\"\n\n[log]\nformat = \"xml\"\n", nil, []string{"bad.toml:4", "log.format"}},
		{"unknown key", "domian = \"example.org\"\n", nil, []string{"bad.toml:1", "domian"}},
		{"syntax", "[http\nread_timeout = 1\n", nil, []string{"bad.toml:2", "table name"}},
		{"bad duration", "[http]\nread_timeout = \"soon\"\n", nil, []string{"bad.toml:2", "http.read_timeout"}},
		{"bad env", "", []string{"TOCSIN_SCHEME=ftp"}, []string{"TOCSIN_SCHEME", "scheme"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.toml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			m := *n
			m.env = append(append([]string{}, n.env...), tc.env...)
			args := []string{"serve", "--config", path}
			if tc.file == "" {
				args = []string{"serve"}
			}
			r := m.run("", args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr %s", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
			if _, err := os.Stat(n.dataDir); err == nil {
				t.Errorf("a bad configuration created the data directory")
			}
		})
	}
	r := n.run("", "serve", "--listen")
	if r.code != 2 {
		t.Errorf("flag without value: exit %d", r.code)
	}
	r = n.run("", "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %s", r.code, r.stderr)
	}
}
