// Package interop_test federates Tocsin with an ActivityPub server we did
// not write: a small peer built on Fedify (interop/peer), installed from
// the npm registry by interop/install.sh. It verifies our signatures for
// real, and we verify its.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
)

// fedify is a running interop peer.
type fedify struct {
	t     *testing.T
	base  string
	actor string
}

func startFedify(t *testing.T) *fedify {
	t.Helper()
	if _, err := os.Stat("peer/node_modules/@fedify/fedify"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the interop peer is not installed (bash interop/install.sh): %v", err)
		}
		t.Skip("interop peer not installed: run bash interop/install.sh")
	}
	cmd := exec.Command("node", "peer/peer.mjs", "0", "127.0.0.1")
	cmd.Env = append(os.Environ(), "PEER_RETRY_MAX=8")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("node cannot start: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("peer stderr:\n%s", stderr.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- u
			}
		}
	}()
	select {
	case base := <-ready:
		f := &fedify{t: t, base: base}
		var info struct{ Actor string }
		f.get("/control/info", &info)
		f.actor = info.Actor
		return f
	case <-time.After(60 * time.Second):
		t.Fatalf("interop peer not ready within 60s:\n%s", stderr.String())
	}
	return nil
}

func (f *fedify) get(path string, out any) {
	f.t.Helper()
	resp, err := http.Get(f.base + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

func (f *fedify) post(path string, in, out any) {
	f.t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(f.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		f.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			f.t.Fatalf("POST %s: %v", path, err)
		}
	}
}

type received struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Actor  string `json:"actor"`
	Object struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"object"`
}

// waitInbox waits until the peer has verified and processed an activity
// matching pred.
func (f *fedify) waitInbox(what string, pred func(received) bool) {
	f.t.Helper()
	cluster.Eventually(f.t, what, func() bool {
		var inbox []received
		f.get("/control/inbox", &inbox)
		for _, r := range inbox {
			if pred(r) {
				return true
			}
		}
		return false
	})
}

func (f *fedify) list(path string) []string {
	var out []string
	f.get(path, &out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestFederationWithAnIndependentFedifyServer(t *testing.T) {
	peer := startFedify(t)
	a := cluster.Start(t, 0)
	org := a.CreateAccount(t, "org", "organization", "publisher")
	orgIRI := a.URL + "/users/org"
	ctx := context.Background()

	// 1. The peer follows our organisation (found by WebFinger); the
	// organisation approves followers by hand, so an admin approves it.
	peer.post("/control/follow", map[string]string{"handle": "org@" + a.Domain}, nil)
	cluster.Eventually(t, "the peer's follow request reaches Tocsin", func() bool {
		f, err := a.DB.Follow(ctx, orgIRI, peer.actor)
		return err == nil && f.State == store.FollowPending
	})
	if err := a.Federation.Outbox.ApproveFollower(ctx, org, peer.actor, true); err != nil {
		t.Fatal(err)
	}
	cluster.Eventually(t, "the peer sees our Accept", func() bool { return contains(peer.list("/control/following"), orgIRI) })

	// 2. Our signed alert reaches it, verified by Fedify.
	note, err := a.Federation.Outbox.Publish(ctx, org, federation.NoteInput{
		Content: "<p>TLP:CLEAR · Kenya: ballot stuffing reported</p>", Language: "en",
		Audience: federation.Audience{Public: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	peer.waitInbox("our Create reaches the peer", func(r received) bool {
		return r.Type == "Create" && r.Object.ID == note.IRI && strings.Contains(r.Object.Content, "Kenya: ballot stuffing")
	})

	// 3. Our organisation follows the peer, which accepts at once.
	if _, err := a.Federation.Outbox.Follow(ctx, org, peer.actor); err != nil {
		t.Fatal(err)
	}
	cluster.Eventually(t, "the peer accepts our follow", func() bool {
		f, err := a.DB.Follow(ctx, peer.actor, orgIRI)
		return err == nil && f.State == store.FollowAccepted
	})

	// 4. The peer's note reaches us.
	var pn struct{ ID string }
	peer.post("/control/note", map[string]string{"content": "<p>Hello from Fedify: polls open at 7</p>"}, &pn)
	cluster.Eventually(t, "the peer's note is stored", func() bool {
		o, err := a.DB.Object(ctx, pn.ID)
		return err == nil && strings.Contains(string(o.Raw), "polls open at 7")
	})

	// 5. Update both ways.
	if _, err := a.Federation.Outbox.Update(ctx, org, note.IRI, federation.NoteInput{
		Content: "<p>Resolved: recount done</p>", Language: "en", Audience: federation.Audience{Public: true},
	}); err != nil {
		t.Fatal(err)
	}
	peer.waitInbox("our Update reaches the peer", func(r received) bool {
		return r.Type == "Update" && r.Object.ID == note.IRI && strings.Contains(r.Object.Content, "recount done")
	})
	peer.post("/control/update", map[string]string{"id": pn.ID, "content": "<p>Polls open at 8</p>"}, nil)
	cluster.Eventually(t, "the peer's Update is applied", func() bool {
		o, err := a.DB.Object(ctx, pn.ID)
		return err == nil && strings.Contains(string(o.Raw), "Polls open at 8")
	})

	// 6. Delete both ways.
	if err := a.Federation.Outbox.Delete(ctx, org, note.IRI, federation.Audience{Public: true}); err != nil {
		t.Fatal(err)
	}
	peer.waitInbox("our Delete reaches the peer", func(r received) bool { return r.Type == "Delete" && r.Object.ID == note.IRI })
	peer.post("/control/delete", map[string]string{"id": pn.ID}, nil)
	cluster.Eventually(t, "the peer's Delete is applied", func() bool {
		o, err := a.DB.Object(ctx, pn.ID)
		return err == nil && !o.Deleted.IsZero()
	})

	// 7. Undo both ways.
	peer.post("/control/unfollow", map[string]string{"actor": orgIRI}, nil)
	cluster.Eventually(t, "the peer's Undo(Follow) removes it from our followers", func() bool {
		_, err := a.DB.Follow(ctx, orgIRI, peer.actor)
		return err != nil
	})
	if err := a.Federation.Outbox.Unfollow(ctx, org, peer.actor); err != nil {
		t.Fatal(err)
	}
	cluster.Eventually(t, "our Undo(Follow) removes us from the peer's followers", func() bool {
		return !contains(peer.list("/control/followers"), orgIRI)
	})
}
