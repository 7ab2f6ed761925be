package interop_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/internal/cluster"
)

// requireTool skips when a client is not installed, except in CI, where
// .ci/run installs it and its absence is a failure.
func requireTool(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: .ci/run installs Debian's %s", path, pkg)
		}
		t.Skipf("%s not installed (Debian package %s)", path, pkg)
	}
}

// TestMastodonPyLogsInPostsAndReadsHome drives Tocsin with Debian's
// python3-mastodon, a real client library, run by Debian's own python3.
func TestMastodonPyLogsInPostsAndReadsHome(t *testing.T) {
	requireTool(t, "/usr/bin/python3", "python3")
	if exec.Command("/usr/bin/python3", "-c", "import mastodon").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-mastodon is not installed: .ci/run installs it")
		}
		t.Skip("python3-mastodon not installed")
	}
	s := cluster.Start(t, 0)
	s.CreateAccount(t, "alice", "person", "member")
	cmd := exec.Command("/usr/bin/python3", "clients/mastodonpy_smoke.py", s.URL, "alice", cluster.Password)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(120 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("Mastodon.py did not finish within 120s")
	}
	if err != nil {
		t.Fatalf("Mastodon.py failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		Me              string   `json:"me"`
		StatusID        string   `json:"status_id"`
		HomeIDs         []string `json:"home_ids"`
		InstanceVersion string   `json:"instance_version"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("output: %v\n%s", err, out)
	}
	if res.Me != "alice" || res.StatusID == "" || !slices.Contains(res.HomeIDs, res.StatusID) {
		t.Errorf("Mastodon.py saw %+v", res)
	}
}
