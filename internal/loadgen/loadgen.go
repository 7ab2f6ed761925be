// Package loadgen sends floods of signed ActivityPub activities from remote
// servers it runs on loopback, for the fault and load tests of the real
// binary (cmd/tocsin). Each Sender is a real HTTP server on 127.0.0.1 that
// serves its actors' documents, so the receiver fetches and verifies their
// keys as it would a real peer's.
//
// Actors sign with Ed25519 (hs2019): signing costs the load generator about
// 20 µs, against 500 µs for RSA-2048, so on a small machine the client does
// not starve the server it measures; the receiver's verification costs
// about the same as for RSA. It is test support: production code never
// imports it.
package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-network/tocsin/federation/ap"
)

// Sender is one remote server on loopback with signing actors.
type Sender struct {
	// Base is the sender's base URL, e.g. http://127.0.0.1:41234.
	Base   string
	Actors []*Actor
	// Type is the actors' type (default "Person"); set before use.
	Type string
	// Inboxes records what is posted to the actors' inboxes.
	Inboxes *Recorder
	srv     *http.Server
}

// Actor is a remote actor with an Ed25519 key.
type Actor struct {
	ID, KeyID string
	Name      string
	key       ed25519.PrivateKey
	pubPEM    string
	base      string
}

// NewSender starts a sender with n actors on 127.0.0.1. Close stops it.
func NewSender(n int) (*Sender, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loadgen: listen: %w", err)
	}
	s := &Sender{Base: "http://" + ln.Addr().String(), Type: "Person", Inboxes: NewRecorder(nil)}
	for i := range n {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("loadgen: key: %w", err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("loadgen: key: %w", err)
		}
		name := fmt.Sprintf("observer%d", i)
		id := s.Base + "/users/" + name
		s.Actors = append(s.Actors, &Actor{
			ID: id, KeyID: id + "#main-key", Name: name, key: priv, base: s.Base,
			pubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, r *http.Request) {
		for _, a := range s.Actors {
			if a.Name == r.PathValue("name") {
				doc, err := ap.ActorDocument(ap.ActorInfo{
					ID: a.ID, Type: s.Type, PreferredUsername: a.Name, Inbox: a.ID + "/inbox",
					Outbox: a.ID + "/outbox", PublicKeyPEM: a.pubPEM,
				})
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/activity+json")
				w.Write(doc)
				return
			}
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("POST /users/{name}/inbox", func(w http.ResponseWriter, r *http.Request) {
		s.Inboxes.ServeHTTP(w, r)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// NewActorAt returns an actor with a fresh key whose id is id (on any
// server, e.g. one that misbehaves), for requests whose key the receiver
// must fetch from there. Its notes are numbered under id.
func NewActorAt(id string) (*Actor, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("loadgen: key: %w", err)
	}
	base := id
	if i := strings.Index(id, "/users/"); i >= 0 {
		base = id[:i]
	}
	return &Actor{ID: id, KeyID: id + "#main-key", Name: "actor", key: priv, base: base}, nil
}

// Close stops the sender's server.
func (s *Sender) Close() error { return s.srv.Close() }

// createNote is /work/shared/ceilings/testdata/create_note.json (as in
// federation/bench_inbound_test.go): a compact Mastodon Create(Note) of
// 2,254 bytes, the benchmark's activity.
const createNote = `{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount","blurhash":"toot:blurhash","focalPoint":{"@container":"@list","@id":"toot:focalPoint"},"Hashtag":"as:Hashtag"}],"id":"https://mastodon.example/users/alice/statuses/112233445566778899/activity","type":"Create","actor":"https://mastodon.example/users/alice","published":"2024-05-01T12:34:56Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"object":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899","type":"Note","summary":null,"inReplyTo":null,"published":"2024-05-01T12:34:56Z","url":"https://mastodon.example/@alice/112233445566778899","attributedTo":"https://mastodon.example/users/alice","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"sensitive":false,"atomUri":"https://mastodon.example/users/alice/statuses/112233445566778899","content":"<p>Flood warning for the valley. <span class=\"h-card\"><a href=\"https://other.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://mastodon.example/tags/weather\" class=\"mention hashtag\" rel=\"tag\">#<span>weather</span></a></p>","contentMap":{"en":"<p>Flood warning.</p>"},"attachment":[{"type":"Document","mediaType":"image/jpeg","url":"https://files.mastodon.example/media/112/233/original/abcdef01.jpg","name":"Map of the flood zone","blurhash":"UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH","focalPoint":[0.0,0.0],"width":1200,"height":800}],"tag":[{"type":"Mention","href":"https://other.example/users/bob","name":"@bob@other.example"},{"type":"Hashtag","href":"https://mastodon.example/tags/weather","name":"#weather"}],"replies":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","type":"Collection","first":{"type":"CollectionPage","partOf":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","items":[]}}}}`

// NoteID is the IRI of the actor's note number n (what the receiver stores).
func (a *Actor) NoteID(n uint64) string {
	return a.ID + "/statuses/" + strconv.FormatUint(n, 10)
}

// Note returns the actor's Create(Note) number n, mentioning mention (an
// account IRI of the receiver, e.g. http://127.0.0.1:8080/users/org).
func (a *Actor) Note(n uint64, mention string) []byte {
	id := strconv.FormatUint(n, 10)
	host, user := mention, "bob"
	if i := strings.LastIndex(mention, "/users/"); i >= 0 {
		host, user = mention[:i], mention[i+len("/users/"):]
	}
	r := strings.NewReplacer(
		"https://mastodon.example/users/alice", a.ID,
		"https://mastodon.example/@alice", a.base+"/@"+a.Name,
		"https://mastodon.example", a.base,
		"https://other.example/users/bob", mention,
		"https://other.example/@bob", host+"/@"+user,
		"@bob@other.example", "@"+user+"@"+strings.TrimPrefix(host, "http://"),
		"112233445566778899", id,
	)
	return []byte(r.Replace(createNote))
}

// Sign signs r (a POST of body) with the actor's key: hs2019 (Ed25519)
// over (request-target), host, date and digest, as the receiver requires.
func (a *Actor) Sign(r *http.Request, body []byte) {
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	sum := sha256.Sum256(body)
	date := time.Now().UTC().Format(http.TimeFormat)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	r.Header.Set("Date", date)
	r.Header.Set("Digest", digest)
	str := "(request-target): " + strings.ToLower(r.Method) + " " + r.URL.RequestURI() +
		"\nhost: " + r.Host + "\ndate: " + date + "\ndigest: " + digest
	sig := ed25519.Sign(a.key, []byte(str))
	r.Header.Set("Signature", `keyId="`+a.KeyID+`",algorithm="hs2019",headers="(request-target) host date digest",signature="`+
		base64.StdEncoding.EncodeToString(sig)+`"`)
}

// Post signs and POSTs body to inbox. It returns the status (0 when no
// answer came: the connection failed or was cut) and up to 1 KiB of the
// response body.
func (a *Actor) Post(ctx context.Context, client *http.Client, inbox string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	a.Sign(req, body)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil && !errors.Is(err, io.EOF) {
		return resp.StatusCode, string(msg), err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(msg), nil
}
