package fetch

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tocsin-network/tocsin/federation/signature"
)

const (
	instanceActor = "https://tocsin.test/actor"
	instanceKeyID = instanceActor + "#main-key"
	aliceActor    = "https://tocsin.test/users/alice"
	aliceKeyID    = aliceActor + "#main-key"
)

// Real RSA-2048 keys, made once per test binary: the instance actor's and
// alice's.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, _, _, err := signature.GenerateKey()
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// keys resolves the two test key ids, as a peer's key cache would.
type keys struct{}

func (keys) ResolveKey(_ context.Context, keyID string, _ bool) (*signature.PublicKey, error) {
	switch keyID {
	case instanceKeyID:
		return &signature.PublicKey{ID: keyID, Owner: instanceActor, Key: &testKeys()[0].PublicKey}, nil
	case aliceKeyID:
		return &signature.PublicKey{ID: keyID, Owner: aliceActor, Key: &testKeys()[1].PublicKey}, nil
	}
	return nil, fmt.Errorf("unknown key %s", keyID)
}

var verifier = &signature.Verifier{Keys: keys{}}

// newClient builds a Client signing as the instance actor.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	c, err := New(opts, instanceKeyID, testKeys()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// loopback allows what tests on 127.0.0.1 need.
var loopback = Options{AllowPrivate: true, AllowHTTP: true}

// server is an httptest server on loopback that counts the requests it gets.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t testing.TB, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// writeDoc answers with an ActivityPub Note whose id is the request's own URL.
func writeDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/activity+json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       "http://" + r.Host + r.URL.Path,
		"type":     "Note",
		"content":  "TLP:CLEAR polling station moved",
	})
}

// verifySigned checks r's HTTP signature as a peer would and answers 401
// when it fails. It returns whether it passed.
func verifySigned(w http.ResponseWriter, r *http.Request, body []byte) (*signature.Result, bool) {
	res, err := verifier.Verify(r.Context(), r, body)
	if err != nil {
		var se *signature.Error
		status := http.StatusUnauthorized
		if errors.As(err, &se) {
			status = se.Status
		}
		http.Error(w, err.Error(), status)
		return nil, false
	}
	return res, true
}

func isBlocked(err error) bool {
	var be *BlockedError
	return errors.As(err, &be)
}
