package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/idna"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/mastodon"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/social"
	"github.com/tocsin-network/tocsin/store"
)

// The inbound path under fuzzing: a signed POST's body goes through the
// inbox (envelope decode, policy, signature, journal) and then the
// processor (parse, apply with the domain hooks of publish and social)
// against a real bbolt store. The sender's key is known, so every body the
// fuzzer makes is validly signed and reaches the journal when its envelope
// is sound: what is fuzzed is everything after the signature.

const (
	fuzzPeer  = "https://peer.example"
	fuzzAlice = fuzzPeer + "/users/alice"
	fuzzBase  = "https://tocsin.test"
)

// noDNS fails every lookup at once: fuzzed activities name hosts that
// must not be looked up, and the guard refuses private literals anyway.
var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in fuzz tests")
}}

// outcomes learns how the processor finished each activity: applied
// (OnApplied), or failed (its log record with the activity and an error).
type outcomes struct {
	mu   sync.Mutex
	done map[string]string // activity id -> "applied" or the error
	ch   chan struct{}
}

func (o *outcomes) set(id, what string) {
	o.mu.Lock()
	if _, ok := o.done[id]; !ok {
		o.done[id] = what
	}
	o.mu.Unlock()
	select {
	case o.ch <- struct{}{}:
	default:
	}
}

// forget drops what an earlier activity with the same id did: the
// fuzzer reuses ids with other content.
func (o *outcomes) forget(id string) {
	o.mu.Lock()
	delete(o.done, id)
	o.mu.Unlock()
}

func (o *outcomes) get(id string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.done[id]
	return v, ok
}

// outcomeHandler is the core's slog handler: records about an activity
// that carry an error are that activity's failure.
type outcomeHandler struct {
	o     *outcomes
	attrs []slog.Attr
}

func (h outcomeHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h outcomeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return outcomeHandler{h.o, append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h outcomeHandler) WithGroup(string) slog.Handler { return h }
func (h outcomeHandler) Handle(_ context.Context, r slog.Record) error {
	var id, errText string
	look := func(a slog.Attr) bool {
		switch a.Key {
		case "activity":
			id = a.Value.String()
		case "error":
			errText = a.Value.String()
		}
		return true
	}
	for _, a := range h.attrs {
		look(a)
	}
	r.Attrs(look)
	if id != "" && errText != "" {
		h.o.set(id, "failed: "+errText)
	}
	return nil
}

type inboxWorld struct {
	db     *store.DB
	fed    *federation.Federation
	signer *signature.Signer
	out    *outcomes
}

func newInboxWorld(t testing.TB) *inboxWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	instanceKey, _, _, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	out := &outcomes{done: map[string]string{}, ch: make(chan struct{}, 1)}
	log := slog.New(outcomeHandler{o: out})
	fed, err := federation.New(db, federation.URLs{Base: fuzzBase}, instanceKey, federation.Options{
		Resolver: noDNS, FetchTimeout: 2 * time.Second, Logger: log,
		DeliveryBackoff: func(int) time.Duration { return time.Hour },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The domain hooks a real instance has (structured alerts, timelines).
	publish.New(db, fed, log)
	social.New(db, fed, &mastodon.Converter{URLs: fed.URLs, Language: "en"}, log)
	fed.Processor.OnApplied = func(_ context.Context, doc *ap.Document) {
		if doc.Activity != nil {
			out.set(doc.Activity.ID, "applied")
		}
	}
	// A local organisation to follow, mention and address, and alice's
	// key, known as if fetched.
	accounts := account.NewService(db, log, account.WithHashCost(bcrypt.MinCost))
	if _, err := accounts.Create(ctx, account.CreateInput{Username: "org", Kind: "organization", Role: "publisher"}); err != nil {
		t.Fatal(err)
	}
	aliceKey, _, alicePub, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutRemoteActor(ctx, &store.RemoteActor{IRI: fuzzAlice, Type: "Person", Host: "peer.example",
		PreferredUsername: "alice", Inbox: fuzzAlice + "/inbox", SharedInbox: fuzzPeer + "/inbox",
		Followers: fuzzAlice + "/followers", KeyID: fuzzAlice + "#main-key", PublicKeyPEM: alicePub,
		FetchedAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	signer, err := signature.NewSigner(fuzzAlice+"#main-key", aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); fed.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	return &inboxWorld{db: db, fed: fed, signer: signer, out: out}
}

// fixtureActivities returns the shared fixtures (copied into ap/testdata)
// rewritten as alice's: her IRI as actor, ids on her host, so that they
// pass the inbox's origin checks and reach the processor.
func fixtureActivities(t testing.TB) [][]byte {
	var seeds [][]byte
	_ = filepath.WalkDir("ap/testdata/fixtures", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var doc map[string]any
		if json.Unmarshal(raw, &doc) != nil {
			return nil
		}
		s := string(raw)
		if actor, ok := doc["actor"].(string); ok && actor != "" {
			s = strings.ReplaceAll(s, actor, fuzzAlice)
		}
		if id, ok := doc["id"].(string); ok {
			if i := strings.Index(id, "://"); i > 0 {
				if j := strings.IndexByte(id[i+3:], '/'); j > 0 {
					s = strings.ReplaceAll(s, id[:i+3+j], fuzzPeer)
				}
			}
		}
		seeds = append(seeds, []byte(s))
		return nil
	})
	if len(seeds) < 50 {
		t.Fatalf("found %d fixtures in ap/testdata/fixtures, want the shared set", len(seeds))
	}
	return seeds
}

func (w *inboxWorld) post(t *testing.T, body []byte, inbox string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, fuzzBase+inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := w.signer.Sign(req, body, false); err != nil {
		t.Fatal(err)
	}
	return req
}

func journalIDs(t *testing.T, db *store.DB) map[string]uint64 {
	es, err := db.JournalEntries(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uint64{}
	for _, e := range es {
		ids[e.ActivityID] = e.Seq
	}
	return ids
}

// namesPublicIP reports whether any string in the JSON body is a URL whose
// host is a public IP literal (as the guarded client would read it): the
// processor might fetch it, and the guard would let it through.
func namesPublicIP(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			u, err := url.Parse(strings.TrimSpace(v))
			if err != nil || u.Host == "" {
				return false
			}
			host := u.Hostname()
			if a, err := idna.Lookup.ToASCII(host); err == nil {
				host = a
			}
			a, err := netip.ParseAddr(host)
			return err == nil && !a.Unmap().IsLoopback() && !a.Unmap().IsPrivate()
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func FuzzInbox(f *testing.F) {
	for _, s := range fixtureActivities(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"id":"https://peer.example/f/1","type":"Follow","actor":"https://peer.example/users/alice","object":"https://tocsin.test/users/org"}`))
	f.Add([]byte(`{"id":"https://peer.example/c/1","type":"Create","actor":{"id":"https://peer.example/users/alice"},"object":{"id":"https://peer.example/n/1","type":"Note","content":"<script>x</script>hi","to":["https://www.w3.org/ns/activitystreams#Public"]}}`))
	f.Add([]byte(`{"id":"https://peer.example/u/1","type":"Undo","actor":"https://peer.example/users/alice","object":{"type":"Follow","object":"https://tocsin.test/users/org"}}`))
	f.Add([]byte(`{"id":"https://peer.example/d/1","type":"Delete","actor":"https://peer.example/users/alice","object":"https://peer.example/users/alice"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]`))
	w := newInboxWorld(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if namesPublicIP(body) {
			return // applying it could dial the internet; tests stay on loopback
		}
		var env struct {
			ID     string          `json:"id"`
			Object json.RawMessage `json:"object"`
		}
		_ = json.Unmarshal(body, &env)
		// The embedded object, if any, and whether it was stored before.
		var obj struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(env.Object, &obj)
		objBefore := false
		if obj.ID != "" {
			_, oerr := w.db.Object(ctx, obj.ID)
			objBefore = oerr == nil
		}
		w.out.forget(env.ID)
		before := journalIDs(t, w.db)
		err := w.fed.Inbox.Receive(ctx, w.post(t, body, "/inbox"), body, "")
		after := journalIDs(t, w.db)
		if err != nil {
			var ie *federation.InboxError
			if !errors.As(err, &ie) || ie.Status < 400 || ie.Status > 599 || strings.TrimSpace(ie.Reason) == "" {
				t.Fatalf("Receive refused with %T %v: want an *InboxError with a 4xx/5xx status and a reason", err, err)
			}
			if ie.Status >= 500 {
				t.Fatalf("Receive answered %d (%v) to a bad body: the store is fine, so this is the sender's fault", ie.Status, err)
			}
			for id := range after {
				if _, ok := before[id]; !ok {
					t.Fatalf("refused (%v) but journalled %s", err, id)
				}
			}
			return
		}
		if env.ID == "" {
			t.Fatalf("accepted a body without an id: %q", body)
		}
		seen, serr := w.db.Seen(ctx, env.ID)
		if serr != nil {
			t.Fatal(serr)
		}
		seq, journalled := after[env.ID]
		if !journalled && !seen {
			t.Fatalf("202 for %s, but it is neither journalled nor already applied", env.ID)
		}
		if !journalled {
			return // a duplicate of something applied
		}
		// The processor takes it from here: wait for its outcome.
		deadline := time.After(10 * time.Second)
		var outcome string
		for {
			if o, ok := w.out.get(env.ID); ok {
				outcome = o
				break
			}
			if _, still := journalIDs(t, w.db)[env.ID]; !still {
				outcome = "gone"
				break
			}
			select {
			case <-w.out.ch:
			case <-time.After(5 * time.Millisecond):
			case <-deadline:
				t.Fatalf("the processor did not finish %s within 10s: %s", env.ID, body)
			}
		}
		seen, serr = w.db.Seen(ctx, env.ID)
		if serr != nil {
			t.Fatal(serr)
		}
		switch {
		case outcome == "applied" && !seen:
			t.Fatalf("%s applied but not marked seen: it could be applied twice", env.ID)
		case strings.HasPrefix(outcome, "failed") && seen:
			t.Fatalf("%s failed (%s) but is marked seen", env.ID, outcome)
		}
		if strings.HasPrefix(outcome, "failed") && obj.ID != "" && !objBefore {
			if _, oerr := w.db.Object(ctx, obj.ID); oerr == nil {
				t.Fatalf("%s failed (%s) but its object %s was stored", env.ID, outcome, obj.ID)
			}
		}
		if strings.HasPrefix(outcome, "failed") {
			// A failure that would be retried later: drop it now, so one
			// exec's leftovers do not slow the next.
			_ = w.db.DropJournalEntry(ctx, seq)
		}
	})
}
