package signature

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	aliceActor = "https://remote.example/users/alice"
	aliceKeyID = aliceActor + "#main-key"
)

// Real RSA-2048 keys, generated once per test binary.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// keyStore is a KeyResolver over fixed keys. A cached and a fresh key can
// differ, to play a rotated key; it counts the lookups.
type keyStore struct {
	mu       sync.Mutex
	cached   map[string]*PublicKey // answered when refresh=false
	fresh    map[string]*PublicKey // answered when refresh=true (falls back to cached)
	lookups  int
	refreshs int
}

func newKeyStore(keys ...*PublicKey) *keyStore {
	ks := &keyStore{cached: map[string]*PublicKey{}, fresh: map[string]*PublicKey{}}
	for _, k := range keys {
		ks.cached[k.ID] = k
	}
	return ks
}

func (ks *keyStore) ResolveKey(_ context.Context, keyID string, refresh bool) (*PublicKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.lookups++
	if refresh {
		ks.refreshs++
		if k, ok := ks.fresh[keyID]; ok {
			ks.cached[keyID] = k
			return k, nil
		}
	}
	if k, ok := ks.cached[keyID]; ok {
		return k, nil
	}
	return nil, errors.New("no such key: 404 from remote.example")
}

func (ks *keyStore) counts() (lookups, refreshes int) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.lookups, ks.refreshs
}

func alicePublic(k *rsa.PrivateKey) *PublicKey {
	return &PublicKey{ID: aliceKeyID, Owner: aliceActor, Key: &k.PublicKey}
}

func aliceSigner(t testing.TB, k *rsa.PrivateKey) *Signer {
	t.Helper()
	s, err := NewSigner(aliceKeyID, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifyingServer is an inbox on loopback: it reads the body (GET: nil),
// verifies, and answers 200 with the Result as JSON or the refusal's status
// and Reason, as the real handler will.
func verifyingServer(t testing.TB, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(verifyHandler(v))
	t.Cleanup(srv.Close)
	return srv
}

func verifyHandler(v *Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Method != http.MethodGet {
			var err error
			if body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
		}
		res, err := v.Verify(r.Context(), r, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				http.Error(w, "not a *signature.Error: "+err.Error(), http.StatusInternalServerError)
				return
			}
			http.Error(w, e.Reason, e.Status)
			return
		}
		_ = json.NewEncoder(w).Encode(res)
	})
}

// newRequest builds a request to srv whose Host header is host (as a
// reverse proxy would pass it) and whose path is target.
func newRequest(t testing.TB, srv *httptest.Server, method, host, target string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, srv.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		r.Host = host
	}
	return r
}

// send performs r and returns the status and the trimmed response body.
func send(t testing.TB, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// fixedClock returns a clock for Verifier.Now and Signer.now.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
