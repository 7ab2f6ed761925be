package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/store"
)

// remoteActor is a minimal peer on loopback: it serves one actor document
// with a real RSA key and signs requests as that actor.
type remoteActor struct {
	srv    *httptest.Server
	id     string
	signer *signature.Signer
}

func newRemoteActor(t *testing.T) *remoteActor {
	t.Helper()
	key, _, pubPEM, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ra := &remoteActor{}
	ra.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, _ := ap.ActorDocument(ap.ActorInfo{
			ID: ra.id, Type: "Person", PreferredUsername: "sender", Inbox: ra.id + "/inbox",
			Outbox: ra.id + "/outbox", PublicKeyPEM: pubPEM,
		})
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write(doc)
	}))
	t.Cleanup(ra.srv.Close)
	ra.id = ra.srv.URL + "/users/sender"
	if ra.signer, err = signature.NewSigner(ra.id+"#main-key", key); err != nil {
		t.Fatal(err)
	}
	return ra
}

// post delivers a signed Create(Note) with the given number to inbox and
// returns the HTTP status (0 when there was no answer).
func (ra *remoteActor) post(client *http.Client, inbox string, n int) int {
	note := fmt.Sprintf("%s/statuses/%d", ra.id, n)
	body, _ := ap.Marshal(ap.NewCreate(note+"/activity", ra.id, map[string]any{
		"id": note, "type": "Note", "attributedTo": ra.id, "content": fmt.Sprintf("<p>report %d</p>", n),
		"to": []string{ap.PublicIRI},
	}, []string{ap.PublicIRI}, nil, time.Now()))
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := ra.signer.Sign(req, body, false); err != nil {
		return 0
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (n *node) status() map[string]any {
	n.t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(n.mustRun("", "status", "--json")), &st); err != nil {
		n.t.Fatal(err)
	}
	return st
}

// TestKill9DuringInboundFloodLosesNoAcknowledgedActivity floods a real
// server's inbox, kills it with SIGKILL mid-flood, restarts it, and checks
// that every activity answered 202 was applied.
func TestKill9DuringInboundFloodLosesNoAcknowledgedActivity(t *testing.T) {
	n := newNode(t)
	n.env = append(n.env, "TOCSIN_ALLOW_PRIVATE_ADDRESSES=true", "TOCSIN_ALLOW_HTTP=true")
	ra := newRemoteActor(t)
	s := n.serve()

	const total, workers, killAfter = 400, 16, 120
	var acked sync.Map
	var ackCount atomic.Int64
	var next atomic.Int64
	killed := make(chan struct{})
	var once sync.Once
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > total {
					return
				}
				select {
				case <-killed:
					return
				default:
				}
				if ra.post(client, n.url("/inbox"), i) == http.StatusAccepted {
					acked.Store(i, true)
					if ackCount.Add(1) == killAfter {
						once.Do(func() {
							s.cmd.Process.Signal(syscall.SIGKILL)
							close(killed)
						})
					}
				}
			}
		}()
	}
	wg.Wait()
	<-s.done
	if ackCount.Load() < killAfter {
		t.Fatalf("only %d activities acknowledged before the kill", ackCount.Load())
	}

	s = n.serve()
	deadline := time.Now().Add(60 * time.Second)
	for n.status()["inbox_journal"].(float64) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("journal not drained after restart: %v", n.status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop(t)

	db, err := store.Open(context.Background(), filepath.Join(n.dataDir, "tocsin.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	acked.Range(func(k, _ any) bool {
		iri := fmt.Sprintf("%s/statuses/%d", ra.id, k.(int))
		if _, err := db.Object(context.Background(), iri); err != nil {
			missing++
			t.Errorf("acknowledged %s was lost: %v", iri, err)
		}
		return missing < 10
	})
	t.Logf("%d acknowledged before SIGKILL, all applied after restart", ackCount.Load())
}
