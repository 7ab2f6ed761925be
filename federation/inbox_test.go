package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
)

// sender signs requests as a real actor of another real instance.
type sender struct {
	t      *testing.T
	actor  string
	signer *signature.Signer
}

func newSender(t *testing.T, s *cluster.Server, acct *store.Account) *sender {
	t.Helper()
	key, err := signature.ParsePrivateKeyPEM(acct.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	actor := s.URL + "/users/" + acct.Username
	signer, err := signature.NewSigner(actor+"#main-key", key)
	if err != nil {
		t.Fatal(err)
	}
	return &sender{t: t, actor: actor, signer: signer}
}

// post signs body and POSTs it to inbox; mutate may tamper with the signed
// request before it is sent.
func (s *sender) post(inbox string, body []byte, mutate func(*http.Request)) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := s.signer.Sign(req, body, false); err != nil {
		s.t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func createNote(actor, id, text string) []byte {
	b, _ := ap.Marshal(ap.NewCreate(id+"/activity", actor, map[string]any{
		"id": id, "type": "Note", "attributedTo": actor, "content": text,
		"to": []string{ap.PublicIRI},
	}, []string{ap.PublicIRI}, nil, time.Now()))
	return b
}

func TestInboxRefusesForgeriesAndStoresNothing(t *testing.T) {
	a := cluster.Start(t, 0, func(c *cluster.Config) { c.HTTP.MaxInboxBytes = 64 << 10 })
	a.CreateAccount(t, "org", "organization", "publisher")
	b := cluster.Start(t, 1)
	alice := newSender(t, b, b.CreateAccount(t, "alice", "person", "member"))
	mallory := newSender(t, b, b.CreateAccount(t, "mallory", "person", "member"))
	inbox := a.URL + "/inbox"
	note := func(n int) []byte {
		return createNote(alice.actor, fmt.Sprintf("%s/statuses/%d", alice.actor, n), "Kenya: forged?")
	}

	cases := []struct {
		name   string
		body   []byte
		by     *sender
		mutate func(*http.Request)
		status int
		reason string
	}{
		{"unsigned", note(1), alice, func(r *http.Request) { r.Header.Del("Signature") }, 401, "signature"},
		{"unknown key", note(2), alice, func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "/users/alice#main-key", "/users/nobody#main-key", 1))
		}, 401, ""},
		{"key of another actor", note(3), mallory, nil, 401, "actor"},
		{"body changed after signing", note(4), alice, func(r *http.Request) {
			tampered := bytes.Replace(note(4), []byte("forged?"), []byte("genuine"), 1)
			r.Body = io.NopCloser(bytes.NewReader(tampered))
			r.ContentLength = int64(len(tampered))
		}, 401, "digest"},
		{"stale date", note(5), alice, func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(-13*time.Hour).UTC().Format(http.TimeFormat))
		}, 401, "date"},
		{"object claims another origin", createNote(alice.actor, "http://127.0.0.9:1/statuses/6", "hijack"), alice, nil, 400, "host"},
		{"oversized body", bytes.Repeat([]byte(" "), 70<<10), alice, nil, 413, "too large"},
		{"deeply nested JSON", []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000)), alice, nil, 400, "malformed"},
		{"malformed JSON", []byte(`{"type": "Create", "id": `), alice, nil, 400, "malformed"},
		{"no actor", []byte(`{"type": "Create", "id": "` + alice.actor + `/x"}`), alice, nil, 400, "actor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.by.post(inbox, tc.body, tc.mutate)
			if status != tc.status {
				t.Errorf("status %d, want %d (%s)", status, tc.status, body)
			}
			if !strings.Contains(strings.ToLower(body), tc.reason) {
				t.Errorf("reason %q lacks %q", body, tc.reason)
			}
		})
	}
	ctx := context.Background()
	if n, _ := a.DB.JournalLength(ctx); n != 0 {
		t.Errorf("journal holds %d entries after forgeries", n)
	}
	cluster.Settle(t, a, b)
	for i := 1; i <= 6; i++ {
		if o, err := a.DB.Object(ctx, fmt.Sprintf("%s/statuses/%d", alice.actor, i)); err == nil {
			t.Errorf("forged note %d stored: %+v", i, o)
		}
	}

	// A genuine note, sent twice (a replay): accepted both times, applied once.
	genuine := note(7)
	for range 2 {
		if status, body := alice.post(inbox, genuine, nil); status != http.StatusAccepted {
			t.Fatalf("genuine note: %d %s", status, body)
		}
	}
	cluster.Settle(t, a, b)
	o, err := a.DB.Object(ctx, alice.actor+"/statuses/7")
	if err != nil {
		t.Fatalf("genuine note not stored: %v", err)
	}
	var m map[string]any
	_ = json.Unmarshal(o.Raw, &m)
	if m["content"] != "Kenya: forged?" {
		t.Errorf("content %v", m["content"])
	}
	if seen, _ := a.DB.Seen(ctx, alice.actor+"/statuses/7/activity"); !seen {
		t.Errorf("activity not marked seen")
	}
}
