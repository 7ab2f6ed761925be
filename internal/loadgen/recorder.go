package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
)

// Recorder is the receiving end of deliveries: each POST's HTTP signature
// is verified (when Verifier is set; a bad one gets 401), its activity id
// is counted per inbox path, and it is answered 202. An activity posted to
// the same inbox again is a wire-level re-send: it is counted, and applied
// only once, as a Tocsin receiver applies each activity id once.
type Recorder struct {
	Verifier *signature.Verifier
	// Delay is how long an inbox works on a delivery before it records
	// and answers it (a peer that verifies, commits, then answers at
	// once): set before use.
	Delay time.Duration

	mu       sync.Mutex
	posts    map[string]map[string]int // inbox path -> activity id -> times posted
	types    map[string]string         // activity id -> type
	objects  map[string]string         // activity id -> its object's id
	rejected int
	why      []string // the first reasons for rejections
}

// NewRecorder returns a Recorder that verifies with v (nil: it does not).
func NewRecorder(v *signature.Verifier) *Recorder {
	return &Recorder{Verifier: v, posts: map[string]map[string]int{}, types: map[string]string{}, objects: map[string]string{}}
}

// ServeHTTP records one delivery.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	var act struct {
		ID     string          `json:"id"`
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(body, &act) != nil || act.ID == "" {
		http.Error(w, "not an activity", http.StatusBadRequest)
		return
	}
	rec.mu.Lock()
	v := rec.Verifier
	rec.mu.Unlock()
	if v != nil {
		if _, err := v.Verify(r.Context(), r, body); err != nil {
			rec.mu.Lock()
			rec.rejected++
			if len(rec.why) < 10 {
				rec.why = append(rec.why, err.Error())
			}
			rec.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
	}
	if rec.Delay > 0 {
		select {
		case <-time.After(rec.Delay):
		case <-r.Context().Done():
		}
	}
	if r.Context().Err() != nil {
		return // the sender gave up (or died) before the inbox answered
	}
	rec.mu.Lock()
	m := rec.posts[r.URL.Path]
	if m == nil {
		m = map[string]int{}
		rec.posts[r.URL.Path] = m
	}
	m[act.ID]++
	rec.types[act.ID] = act.Type
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(act.Object, &obj) == nil && obj.ID != "" {
		rec.objects[act.ID] = obj.ID
	} else {
		var iri string
		_ = json.Unmarshal(act.Object, &iri)
		rec.objects[act.ID] = iri
	}
	rec.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// SetVerifier sets the verifier used from now on.
func (rec *Recorder) SetVerifier(v *signature.Verifier) {
	rec.mu.Lock()
	rec.Verifier = v
	rec.mu.Unlock()
}

// Posts returns a copy of what was posted: inbox path -> activity id ->
// times posted.
func (rec *Recorder) Posts() map[string]map[string]int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make(map[string]map[string]int, len(rec.posts))
	for k, m := range rec.posts {
		c := make(map[string]int, len(m))
		for id, n := range m {
			c[id] = n
		}
		out[k] = c
	}
	return out
}

// Count returns how many deliveries were recorded, re-sends included.
func (rec *Recorder) Count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, m := range rec.posts {
		for _, c := range m {
			n += c
		}
	}
	return n
}

// Type returns the type of a recorded activity and its object's id.
func (rec *Recorder) Type(id string) (typ, object string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.types[id], rec.objects[id]
}

// Rejected returns how many posts failed signature verification, and the
// first reasons.
func (rec *Recorder) Rejected() (int, []string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.rejected, append([]string(nil), rec.why...)
}

// KeyFetcher resolves a keyId by GETting its actor document (once; cached),
// as a receiving server does.
type KeyFetcher struct {
	Client *http.Client
	mu     sync.Mutex
	keys   map[string]*signature.PublicKey
}

// ResolveKey implements signature.KeyResolver.
func (kf *KeyFetcher) ResolveKey(ctx context.Context, keyID string, refresh bool) (*signature.PublicKey, error) {
	kf.mu.Lock()
	k, ok := kf.keys[keyID]
	kf.mu.Unlock()
	if ok && !refresh {
		return k, nil
	}
	url, _, _ := strings.Cut(keyID, "#")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/activity+json")
	client := kf.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch key %s: status %d", keyID, resp.StatusCode)
	}
	var doc struct {
		PublicKey struct {
			ID, Owner, PublicKeyPem string
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	pub, err := signature.ParsePublicKeyPEM(doc.PublicKey.PublicKeyPem)
	if err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	k = &signature.PublicKey{ID: keyID, Owner: doc.PublicKey.Owner, Key: pub}
	kf.mu.Lock()
	if kf.keys == nil {
		kf.keys = map[string]*signature.PublicKey{}
	}
	kf.keys[keyID] = k
	kf.mu.Unlock()
	return k, nil
}
