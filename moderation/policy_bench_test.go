package moderation_test

// Benchmarks of the moderation policy: its two calls on every inbound
// activity, and inbound throughput with it on, as a ratio to the same
// instance with federation.OpenPolicy (goal: On >= 90 % of Off).
//
//   go test -run '^$' -bench 'AllowInbound|InboundState' -benchtime 2s -count 3 ./moderation/
//   go test -run '^$' -bench 'InboundDurablePolicy' -benchtime 5000x -count 3 ./moderation/
//
// The policy is loaded as a moderated instance's would be: 50 domain trust
// decisions, 20 peers and 10 content rules, in a real bbolt file (fsync on).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/moderation"
	"github.com/tocsin-network/tocsin/store"
)

const (
	benchTrusts = 50
	benchPeers  = 20
	benchRules  = 10
)

// loadPolicy gives svc (over db) benchTrusts domain decisions of every
// level, benchPeers peers (peer0.example ... plus extra, a host that must
// count as a peer) and benchRules keyword and link rules that match
// nothing the benchmarks send.
func loadPolicy(b *testing.B, db *store.DB, svc *moderation.Service, extraPeer string) {
	b.Helper()
	ctx := context.Background()
	for i := range benchTrusts {
		level := moderation.Levels[i%len(moderation.Levels)]
		if _, err := svc.SetDomainTrust(ctx, "bench", fmt.Sprintf("d%d.example", i), level, "bench", ""); err != nil {
			b.Fatal(err)
		}
	}
	err := db.Update(ctx, func(t *store.Tx) error {
		for i := range benchPeers {
			host := fmt.Sprintf("peer%d.example", i)
			if i == benchPeers-1 && extraPeer != "" {
				host = extraPeer
			}
			if err := t.PutPeer(&store.Peer{Actor: "http://" + host + "/actor", Host: host, AddedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchRules {
		kind, pattern := "keyword", fmt.Sprintf("forbiddenword%d", i)
		if i%2 == 1 {
			kind, pattern = "link", fmt.Sprintf("spam%d.example/buy", i)
		}
		if _, err := svc.AddRule(ctx, "bench", kind, pattern); err != nil {
			b.Fatal(err)
		}
	}
}

// benchService opens a moderation service over a fresh bbolt file.
func benchService(b *testing.B) *moderation.Service {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	svc := moderation.New(db, moderation.ModeOpen, "local.example", slog.New(slog.DiscardHandler))
	loadPolicy(b, db, svc, "")
	return svc
}

// BenchmarkAllowInbound: the door check, for a host with an explicit
// decision, a peer (found by scanning the peers) and an unknown host.
func BenchmarkAllowInbound(b *testing.B) {
	svc := benchService(b)
	ctx := context.Background()
	for _, c := range []struct{ name, host string }{
		{"explicit", "d4.example"}, // trusted
		{"peer", fmt.Sprintf("peer%d.example", benchPeers-1)},
		{"unknown", "elsewhere.example"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := svc.AllowInbound(ctx, c.host); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInboundState: the state of a new post, for an actor of an
// explicitly trusted domain and of a peer (both visible after the content
// rules are checked) and of an unknown domain (held, no rules checked).
func BenchmarkInboundState(b *testing.B) {
	svc := benchService(b)
	ctx := context.Background()
	obj := &ap.Object{Type: "Note", Summary: "", Content: `<p>Flood warning for the valley. <a href="https://mastodon.example/tags/weather" class="mention hashtag" rel="tag">#<span>weather</span></a></p>`}
	for _, c := range []struct{ name, actor, want string }{
		{"explicit", "https://d4.example/users/alice", store.ModVisible},
		{"peer", fmt.Sprintf("https://peer%d.example/users/alice", benchPeers-1), store.ModVisible},
		{"unknown", "https://elsewhere.example/users/alice", store.ModPending},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if got := svc.InboundState(ctx, c.actor, obj); got != c.want {
					b.Fatalf("state %q, want %q", got, c.want)
				}
			}
		})
	}
}

// The inbound throughput benchmarks below are federation/bench_inbound_test.go's
// BenchmarkInboundDurable_c256 (a copy of its rig, which lives in package
// federation_test): signed ~2.2 KB Create(Note)s from 8 actors of a second
// real instance, pre-signed before the timer, POSTed to a full instance's
// inbox with 256 in flight, counted at 202. Off runs the receiver with
// federation.OpenPolicy; On with its moderation service loaded as above,
// the sender being one of the 20 peers (so its posts are visible, after
// the costliest lookup path: no actor or domain decision, a peer scan,
// then every rule).

// BenchmarkInboundDurablePolicyOff_c256 is the baseline: no policy.
func BenchmarkInboundDurablePolicyOff_c256(b *testing.B) {
	benchInboundPolicy(b, false)
}

// BenchmarkInboundDurablePolicyOn_c256 is the same with moderation on.
func BenchmarkInboundDurablePolicyOn_c256(b *testing.B) {
	benchInboundPolicy(b, true)
}

// benchNoteJSON is federation/bench_inbound_test.go's benchCreateNote.
const benchNoteJSON = `{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount","blurhash":"toot:blurhash","focalPoint":{"@container":"@list","@id":"toot:focalPoint"},"Hashtag":"as:Hashtag"}],"id":"https://mastodon.example/users/alice/statuses/112233445566778899/activity","type":"Create","actor":"https://mastodon.example/users/alice","published":"2024-05-01T12:34:56Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"object":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899","type":"Note","summary":null,"inReplyTo":null,"published":"2024-05-01T12:34:56Z","url":"https://mastodon.example/@alice/112233445566778899","attributedTo":"https://mastodon.example/users/alice","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"sensitive":false,"atomUri":"https://mastodon.example/users/alice/statuses/112233445566778899","content":"<p>Flood warning for the valley. <span class=\"h-card\"><a href=\"https://other.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://mastodon.example/tags/weather\" class=\"mention hashtag\" rel=\"tag\">#<span>weather</span></a></p>","contentMap":{"en":"<p>Flood warning.</p>"},"attachment":[{"type":"Document","mediaType":"image/jpeg","url":"https://files.mastodon.example/media/112/233/original/abcdef01.jpg","name":"Map of the flood zone","blurhash":"UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH","focalPoint":[0.0,0.0],"width":1200,"height":800}],"tag":[{"type":"Mention","href":"https://other.example/users/bob","name":"@bob@other.example"},{"type":"Hashtag","href":"https://mastodon.example/tags/weather","name":"#weather"}],"replies":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","type":"Collection","first":{"type":"CollectionPage","partOf":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","items":[]}}}}`

type presignedPost struct {
	body   []byte
	header http.Header
	noteID string
}

func benchInboundPolicy(b *testing.B, policyOn bool) {
	ctx := context.Background()
	var opts []cluster.Option
	opts = append(opts, cluster.NoLimits)
	if !policyOn {
		opts = append(opts, cluster.WithPolicy(federation.OpenPolicy{}))
	}
	recv := cluster.Start(b, 0, opts...)
	recv.CreateAccount(b, "org", "organization", "publisher")
	send := cluster.Start(b, 1, cluster.NoLimits)
	loadPolicy(b, recv.DB, recv.Moderation, send.Domain)
	if err := recv.Moderation.AllowInbound(ctx, send.Domain); err != nil {
		b.Fatal(err)
	}

	const signers = 8
	var keys []*signature.Signer
	var names []string
	for i := range signers {
		name := fmt.Sprintf("observer%d", i)
		acct := send.CreateAccount(b, name, "person", "member")
		key, err := signature.ParsePrivateKeyPEM(acct.PrivateKeyPEM)
		if err != nil {
			b.Fatal(err)
		}
		s, err := signature.NewSigner(send.URL+"/users/"+name+"#main-key", key)
		if err != nil {
			b.Fatal(err)
		}
		keys, names = append(keys, s), append(names, name)
	}
	inbox := recv.URL + "/users/org/inbox"
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 30 * time.Second, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	b.Cleanup(client.CloseIdleConnections)
	presign := func(n int, base uint64) []presignedPost {
		out := make([]presignedPost, n)
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Value
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					name, id := names[i%signers], strconv.FormatUint(base+uint64(i), 10)
					body := []byte(strings.NewReplacer(
						"https://mastodon.example/users/alice", send.URL+"/users/"+name,
						"https://mastodon.example/@alice", send.URL+"/@"+name,
						"https://mastodon.example", send.URL,
						"https://other.example/users/bob", recv.URL+"/users/org",
						"https://other.example/@bob", recv.URL+"/@org",
						"@bob@other.example", "@org@"+recv.Domain,
						"112233445566778899", id,
					).Replace(benchNoteJSON))
					req, _ := http.NewRequest(http.MethodPost, inbox, nil)
					req.Header.Set("Content-Type", "application/activity+json")
					if err := keys[i%signers].Sign(req, body, false); err != nil {
						failed.Store(err)
						return
					}
					out[i] = presignedPost{body: body, header: req.Header, noteID: send.URL + "/users/" + name + "/statuses/" + id}
				}
			})
		}
		wg.Wait()
		if err := failed.Load(); err != nil {
			b.Fatal(err)
		}
		return out
	}
	post := func(p presignedPost) int {
		req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(p.body))
		req.Header = p.header
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	settle := func(limit time.Duration) {
		deadline := time.Now().Add(limit)
		for !recv.Federation.Settled(ctx) {
			if time.Now().After(deadline) {
				b.Fatalf("receiver not settled within %s", limit)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	// Warm the key cache: one activity per actor.
	for _, p := range presign(signers, 1<<40) {
		if st := post(p); st != http.StatusAccepted {
			b.Fatalf("warm-up post: status %d", st)
		}
	}
	settle(30 * time.Second)

	n := min(b.N, 60000)
	reqs := presign(n, uint64(time.Now().UnixNano()/1000)*1000)
	runtime.GC()
	var next, fails, ok atomic.Int64
	deadline := time.Now().Add(60 * time.Second)
	b.SetParallelism((256 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1) - 1)
			if i >= len(reqs) || time.Now().After(deadline) {
				continue
			}
			if post(reqs[i]) != http.StatusAccepted {
				fails.Add(1)
				continue
			}
			ok.Add(1)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if fails.Load() > 0 {
		b.Fatalf("%d of %d requests not answered 202", fails.Load(), len(reqs))
	}
	b.ReportMetric(float64(ok.Load())/elapsed.Seconds(), "req/s")

	// Every 202 was applied, visible (the sender is a peer), after the timer.
	settle(2 * time.Minute)
	for _, r := range reqs {
		o, err := recv.DB.Object(ctx, r.noteID)
		if err != nil {
			b.Fatalf("note %s not stored: %v", r.noteID, err)
		}
		if o.Moderation != store.ModVisible {
			b.Fatalf("note %s is %q, want visible", r.noteID, o.Moderation)
		}
	}
}
