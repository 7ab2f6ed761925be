package federation_test

// Inbound benchmarks of the "Federation core" issue, measured against the
// ceilings in /work/shared/ceilings (run them in the same session; see
// docs/benchmarks.md):
//
//   BenchmarkInboundDurable_c256       vs InboundVerifyBatch_c256
//   BenchmarkInboundProcessed_c64      vs InboundVerifyParseBatch_c64
//
// Everything is real: two instances on loopback (cluster.Start), bbolt with
// fsync on, RSA-2048 keys of real accounts on the sending instance, HTTP
// Signatures verified in full by the receiving one, keys fetched by a signed
// GET and cached before the timer starts. As in the ceilings, requests are
// signed before the timer (so the client's CPU is only HTTP framing); unlike
// there, each request is a distinct activity (its own id, body, Digest and
// signature), because Tocsin applies each activity id once.
//
// Run with a fixed count so that setup (signing b.N requests) happens once:
//
//   go test -run '^$' -bench 'InboundDurable_c256' -benchtime 20000x -count 3 ./federation/
//   go test -run '^$' -bench 'InboundProcessed_c64' -benchtime 8000x -count 3 ./federation/

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/federation/signature"
	"github.com/tocsin-network/tocsin/instance"
	"github.com/tocsin-network/tocsin/internal/cluster"
	"github.com/tocsin-network/tocsin/store"
)

const (
	// benchSigners is how many actors of the sending instance sign.
	benchSigners = 8
	// benchMaxRequests bounds the pre-signing (about 1 ms of CPU each).
	benchMaxRequests = 60000
	// benchHardCap bounds a timed loop in wall time, whatever b.N is.
	benchHardCap = 60 * time.Second
)

// benchCreateNote is /work/shared/ceilings/testdata/create_note.json, a
// compact Mastodon Create(Note) of 2,254 bytes; benchNote rewrites its hosts,
// actor and ids.
const benchCreateNote = `{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount","blurhash":"toot:blurhash","focalPoint":{"@container":"@list","@id":"toot:focalPoint"},"Hashtag":"as:Hashtag"}],"id":"https://mastodon.example/users/alice/statuses/112233445566778899/activity","type":"Create","actor":"https://mastodon.example/users/alice","published":"2024-05-01T12:34:56Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"object":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899","type":"Note","summary":null,"inReplyTo":null,"published":"2024-05-01T12:34:56Z","url":"https://mastodon.example/@alice/112233445566778899","attributedTo":"https://mastodon.example/users/alice","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://other.example/users/bob"],"sensitive":false,"atomUri":"https://mastodon.example/users/alice/statuses/112233445566778899","content":"<p>Flood warning for the valley. <span class=\"h-card\"><a href=\"https://other.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://mastodon.example/tags/weather\" class=\"mention hashtag\" rel=\"tag\">#<span>weather</span></a></p>","contentMap":{"en":"<p>Flood warning.</p>"},"attachment":[{"type":"Document","mediaType":"image/jpeg","url":"https://files.mastodon.example/media/112/233/original/abcdef01.jpg","name":"Map of the flood zone","blurhash":"UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH","focalPoint":[0.0,0.0],"width":1200,"height":800}],"tag":[{"type":"Mention","href":"https://other.example/users/bob","name":"@bob@other.example"},{"type":"Hashtag","href":"https://mastodon.example/tags/weather","name":"#weather"}],"replies":{"id":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","type":"Collection","first":{"type":"CollectionPage","partOf":"https://mastodon.example/users/alice/statuses/112233445566778899/replies","items":[]}}}}`

// benchNote returns the Create(Note) sent by senderBase/users/user with
// status id n, addressed to the receiving instance's org.
func benchNote(senderBase, user, receiverBase string, n uint64) []byte {
	id := strconv.FormatUint(n, 10)
	r := strings.NewReplacer(
		"https://mastodon.example/users/alice", senderBase+"/users/"+user,
		"https://mastodon.example/@alice", senderBase+"/@"+user,
		"https://mastodon.example", senderBase,
		"https://other.example/users/bob", receiverBase+"/users/org",
		"https://other.example/@bob", receiverBase+"/@org",
		"@bob@other.example", "@org@"+strings.TrimPrefix(receiverBase, "http://"),
		"112233445566778899", id,
	)
	return []byte(r.Replace(benchCreateNote))
}

// benchActor is a signing actor of the sending instance.
type benchActor struct {
	name   string
	signer *signature.Signer
}

// presigned is one request ready to send: its body and signed headers.
type presigned struct {
	body   []byte
	header http.Header
	noteID string
}

// inboundRig is a receiving instance, a sending instance with signing
// actors, and the receiver's inbox URL.
type inboundRig struct {
	recvURL string
	recvDB  *store.DB
	settled func(context.Context) bool
	sendURL string
	actors  []benchActor
	inbox   string
	client  *http.Client
}

// newInboundRig starts the sender (cluster instance 1) and the receiver:
// a full cluster instance 0 (HTTP, processor and delivery workers), or with
// workers=false the same instance serving HTTP only, so that the
// acknowledgement path is measured without the processor competing for CPU
// and for bbolt's writer lock (a diagnostic, not the headline figure).
func newInboundRig(b *testing.B, workers bool) *inboundRig {
	b.Helper()
	rig := &inboundRig{}
	if workers {
		recv := cluster.Start(b, 0, cluster.NoLimits)
		recv.CreateAccount(b, "org", "organization", "publisher")
		rig.recvURL, rig.recvDB, rig.settled = recv.URL, recv.DB, recv.Federation.Settled
	} else {
		in, url := startHTTPOnly(b, "127.0.0.2")
		if _, err := in.Accounts.Create(context.Background(), account.CreateInput{
			Username: "org", Kind: "organization", Role: "publisher", Password: cluster.Password,
		}); err != nil {
			b.Fatal(err)
		}
		rig.recvURL, rig.recvDB = url, in.DB
		rig.settled = func(context.Context) bool { return true }
	}
	send := cluster.Start(b, 1, cluster.NoLimits)
	rig.sendURL = send.URL
	for i := range benchSigners {
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
		rig.actors = append(rig.actors, benchActor{name: name, signer: s})
	}
	rig.inbox = rig.recvURL + "/users/org/inbox"
	rig.client = &http.Client{
		Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0,
			IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		},
		Timeout: 30 * time.Second,
	}
	b.Cleanup(rig.client.CloseIdleConnections)

	// Warm the key cache: one activity per actor makes the receiver fetch
	// (signed GET) and store each actor's key.
	ctx := context.Background()
	warm := rig.presign(b, len(rig.actors), 1<<40)
	for _, p := range warm {
		if st := rig.post(p); st != http.StatusAccepted {
			b.Fatalf("warm-up post: status %d", st)
		}
	}
	for i, a := range rig.actors {
		if _, err := rig.recvDB.RemoteActorByKeyID(ctx, rig.sendURL+"/users/"+a.name+"#main-key"); err != nil {
			b.Fatalf("key of actor %d not cached after warm-up: %v", i, err)
		}
	}
	rig.waitSettled(b, 30*time.Second)
	return rig
}

// startHTTPOnly opens a real instance (same configuration as cluster.Start)
// and serves its HTTP handler, without the background workers.
func startHTTPOnly(b *testing.B, ip string) (*instance.Instance, string) {
	b.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		b.Fatal(err)
	}
	domain := ln.Addr().String()
	cfg := config.Default()
	cfg.Domain, cfg.Scheme, cfg.Listen = domain, "http", domain
	cfg.DataDir = filepath.Join(b.TempDir(), "data")
	cfg.AllowPrivateAddresses, cfg.AllowHTTP = true, true
	cfg.Federation.FetchTimeout = 5 * time.Second
	// One sending domain, far above a person's rate: no limits, as in
	// cluster.NoLimits.
	cfg.Limits.InboxPerDomainPerMin, cfg.Limits.InboxPerIPPerMin = 0, 0
	sockDir, err := os.MkdirTemp("", "tocsin-sock")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(sockDir) })
	cfg.Admin.Socket = filepath.Join(sockDir, "admin.sock")
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	in, err := instance.Open(context.Background(), &cfg, instance.Options{Logger: log, HashCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: in.HTTP.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	b.Cleanup(func() {
		srv.Close()
		in.Close()
	})
	return in, cfg.BaseURL()
}

// presign builds n distinct signed Create(Note) requests, round-robin over
// the actors, signing on every core.
func (rig *inboundRig) presign(b *testing.B, n int, base uint64) []presigned {
	b.Helper()
	out := make([]presigned, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				a := rig.actors[i%len(rig.actors)]
				id := base + uint64(i)
				body := benchNote(rig.sendURL, a.name, rig.recvURL, id)
				req, _ := http.NewRequest(http.MethodPost, rig.inbox, nil)
				req.Header.Set("Content-Type", "application/activity+json")
				if err := a.signer.Sign(req, body, false); err != nil {
					failed.Store(err)
					return
				}
				out[i] = presigned{body: body, header: req.Header,
					noteID: rig.sendURL + "/users/" + a.name + "/statuses/" + strconv.FormatUint(id, 10)}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	return out
}

// post sends one pre-signed request and returns the status (0: transport error).
func (rig *inboundRig) post(p presigned) int {
	req, _ := http.NewRequest(http.MethodPost, rig.inbox, bytes.NewReader(p.body))
	req.Header = p.header
	resp, err := rig.client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (rig *inboundRig) waitSettled(b *testing.B, limit time.Duration) {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	for !rig.settled(ctx) {
		if time.Now().After(deadline) {
			n, _ := rig.recvDB.JournalLength(ctx)
			b.Fatalf("receiver not settled within %s (%d journal entries left)", limit, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fire posts every request with conc in flight and returns the latencies
// of the 202s and the count of other outcomes.
func (rig *inboundRig) fire(b *testing.B, reqs []presigned, conc int) (lat []time.Duration, fails int64) {
	var next atomic.Int64
	var failN atomic.Int64
	var mu sync.Mutex
	deadline := time.Now().Add(benchHardCap)
	p := (conc + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.SetParallelism(p)
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 256)
		for pb.Next() {
			i := int(next.Add(1) - 1)
			if i >= len(reqs) || time.Now().After(deadline) {
				continue
			}
			t0 := time.Now()
			if st := rig.post(reqs[i]); st != http.StatusAccepted {
				failN.Add(1)
				continue
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	return lat, failN.Load()
}

// reportCPU reports the process's CPU time per request since start (server
// and client together): a figure that other load on the machine disturbs
// less than the rates do.
func reportCPU(b *testing.B, start time.Duration, n int) {
	if n > 0 && start > 0 {
		b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(n), "cpu-us/req")
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), "p50-us")
	b.ReportMetric(q(0.99), "p99-us")
}

func benchRequests(b *testing.B) int {
	n := b.N
	if n > benchMaxRequests {
		b.Logf("b.N=%d capped at %d pre-signed requests; use -benchtime Nx", n, benchMaxRequests)
		n = benchMaxRequests
	}
	return n
}

// benchInboundDurable: signed Create(Note)s through the real inbox to the
// durable journal commit (202), conc in flight. The metric is 202s per
// second, as the ceiling's req/s.
func benchInboundDurable(b *testing.B, conc int, workers bool) {
	rig := newInboundRig(b, workers)
	reqs := rig.presign(b, benchRequests(b), uint64(time.Now().UnixNano()/1000)*1000)
	runtime.GC()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	lat, fails := rig.fire(b, reqs, conc)
	elapsed := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu, len(lat))
	if fails > 0 {
		b.Fatalf("%d of %d requests not answered 202", fails, len(reqs))
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	reportLatency(b, lat)
	// Every 202 is durable: the journal (or, once applied, the objects)
	// holds each of them. Checked after the timer.
	rig.waitSettled(b, 2*time.Minute)
	if workers {
		checkStored(b, rig, reqs)
	} else if n, err := rig.recvDB.JournalLength(context.Background()); err != nil || n < len(reqs) {
		b.Fatalf("journal holds %d entries (%v), want >= %d", n, err, len(reqs))
	}
}

func checkStored(b *testing.B, rig *inboundRig, reqs []presigned) {
	b.Helper()
	ctx := context.Background()
	missing := 0
	for _, r := range reqs {
		if _, err := rig.recvDB.Object(ctx, r.noteID); err != nil {
			missing++
		}
	}
	if missing > 0 {
		b.Fatalf("%d of %d notes not stored", missing, len(reqs))
	}
}

// BenchmarkInboundDurable_c256 is the headline "inbound durable" figure: a
// full instance, its processor applying in the background as in production.
func BenchmarkInboundDurable_c256(b *testing.B) { benchInboundDurable(b, 256, true) }

// BenchmarkInboundDurableAckOnly_c256 is the same without the background
// workers (diagnostic: the acknowledgement path on its own).
func BenchmarkInboundDurableAckOnly_c256(b *testing.B) { benchInboundDurable(b, 256, false) }

// BenchmarkInboundProcessed_c64: signed Create(Note)s through the real inbox
// with 64 in flight, timed until the journal is empty and every note is
// applied (Federation.Settled). The metric is activities applied per second.
func BenchmarkInboundProcessed_c64(b *testing.B) {
	rig := newInboundRig(b, true)
	reqs := rig.presign(b, benchRequests(b), uint64(time.Now().UnixNano()/1000)*1000)
	runtime.GC()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	lat, fails := rig.fire(b, reqs, 64)
	acked := time.Since(start)
	backlog, _ := rig.recvDB.JournalLength(context.Background())
	rig.waitSettled(b, benchHardCap)
	elapsed := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu, len(lat))
	if fails > 0 {
		b.Fatalf("%d of %d requests not answered 202", fails, len(reqs))
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(len(lat))/acked.Seconds(), "ack-req/s")
	// How much was left to apply when the last 202 was sent.
	b.ReportMetric(float64(backlog), "backlog")
	reportLatency(b, lat)
	checkStored(b, rig, reqs)
}
