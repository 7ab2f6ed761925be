package delivery_test

// Benchmarks on loopback only. Compare with ../shared/ceilings measured in
// the same session: deliveries/s against RSA2048SignParallel (one RSA-2048
// signature per delivery is the floor), e.g.
//
//	cd ../shared/ceilings && go test -run '^$' -bench 'RSA2048SignParallel' -benchtime 3s -count 3 .
//	go test -run '^$' -bench 'DeliverLoopback' -benchtime 3s -count 3 ./federation/delivery/
//	go test -run '^$' -bench 'FanOut' -benchtime 1x -count 3 ./federation/delivery/
//
// Goals: DeliverLoopback >= 70% of RSA2048SignParallel; a fan-out of N
// within 1.5 x N / RSA2048SignParallel, also with 2% of the inboxes on
// black-holed hosts; peak RSS <= 100 MB during the 10,000 fan-out.

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/delivery"
	"github.com/tocsin-network/tocsin/federation/fetch"
	"github.com/tocsin-network/tocsin/store"
)

// createNote is a 2.2 KB Create(Note), the size the ceilings use.
var createNote = func() []byte {
	pad := strings.Repeat("Reports of intimidation at polling stations in the northern districts. ", 30)
	return []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://tocsin.test/activities/1",` +
		`"type":"Create","actor":"https://tocsin.test/users/alice","object":{"type":"Note","content":"` + pad[:2050] + `"}}`)
}()

// counter counts deliveries across sinks and closes reached when the count
// hits target.
type counter struct {
	n       atomic.Int64
	target  atomic.Int64
	mu      sync.Mutex
	reached chan struct{}
}

func (c *counter) expect(target int64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n.Store(0)
	c.target.Store(target)
	c.reached = make(chan struct{})
	return c.reached
}

func (c *counter) add() {
	if c.n.Add(1) == c.target.Load() {
		c.mu.Lock()
		close(c.reached)
		c.mu.Unlock()
	}
}

// benchSinks starts n inbox servers answering 202, the i-th on 127.0.<net>.<i+1>
// (or all on 127.0.0.1 when net is 0).
func benchSinks(b *testing.B, n, subnet int, c *counter) []string {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusAccepted)
		c.add()
	})
	var bases []string
	for i := range n {
		addr := "127.0.0.1:0"
		if subnet != 0 {
			addr = fmt.Sprintf("127.0.%d.%d:0", subnet, i+1)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(h)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		b.Cleanup(srv.Close)
		bases = append(bases, srv.URL)
	}
	return bases
}

// benchBlackholes starts n listeners on 127.0.<subnet>.<i+1> that accept
// connections and never answer.
func benchBlackholes(b *testing.B, n, subnet int) []string {
	var bases []string
	for i := range n {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.%d.%d:0", subnet, i+1))
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		b.Cleanup(func() {
			ln.Close()
			<-done
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
		bases = append(bases, "http://"+ln.Addr().String())
	}
	return bases
}

// benchDeliverer opens a store with fsync on (as in production) and runs a
// Deliverer with default options on it until the benchmark ends.
func benchDeliverer(b *testing.B, poster delivery.Poster) (*store.DB, *delivery.Deliverer) {
	aliceKey() // generated once, outside the timings
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	d := delivery.New(db, poster, keys{}, delivery.Options{ShutdownGrace: 100 * time.Millisecond, Permanent: fetch.Permanent})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = d.Run(ctx); close(ran) }()
	b.Cleanup(func() {
		cancel()
		<-ran
		_ = db.Close()
	})
	return db, d
}

func inboxes(bases []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/users/u%d/inbox", bases[i%len(bases)], i)
	}
	return out
}

// BenchmarkDeliverLoopback: b.N deliveries through federation/fetch to 16
// keep-alive sinks on 127.0.0.1, queued beforehand (10,000 per activity);
// timed from the start of Run to the last POST answered.
func BenchmarkDeliverLoopback(b *testing.B) {
	aliceKey() // generated once, outside the timings
	var c counter
	bases := benchSinks(b, 16, 0, &c)
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	all := inboxes(bases, b.N)
	for len(all) > 0 {
		chunk := all[:min(len(all), 10000)]
		all = all[len(chunk):]
		if _, err := db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{Body: createNote, SignerID: aliceID, Inboxes: chunk}); err != nil {
			b.Fatal(err)
		}
	}
	reached := c.expect(int64(b.N))
	d := delivery.New(db, guardedPoster(b), keys{}, delivery.Options{Permanent: fetch.Permanent})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	b.ResetTimer()
	start, cpu0, dem0 := time.Now(), cpuTime(), demand()
	go func() { _ = d.Run(ctx); close(ran) }()
	<-reached
	elapsed, cpu, dem := time.Since(start), cpuTime()-cpu0, demand()-dem0
	b.StopTimer()
	b.ReportMetric(100*dem.Seconds()/elapsed.Seconds()/float64(runtime.GOMAXPROCS(0)), "demand%")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/delivery")
	settle(b, d)
	cancel()
	<-ran
}

func settle(b *testing.B, d *delivery.Deliverer) {
	d.Kick()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.Settle(ctx); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the process's user+system CPU time so far. Per delivery, it is
// a figure that the machine's noise (other tenants) barely moves: compare it
// with the ceiling's CPU time per signature.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// demand is the CPU time this process's threads ran plus the time they
// were runnable but waited for a CPU (/proc/self/task/*/schedstat). Over a
// benchmark, demand / (wall x GOMAXPROCS) near 100% means the process always
// had work for every P, so a slower run was the machine's other tenants,
// not the Deliverer idling.
func demand() time.Duration {
	tasks, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var sum time.Duration
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b))
		if len(fields) < 2 {
			continue
		}
		run, _ := strconv.ParseInt(fields[0], 10, 64)
		wait, _ := strconv.ParseInt(fields[1], 10, 64)
		sum += time.Duration(run + wait)
	}
	return sum
}

// rssSampler records the peak VmRSS of this process while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Int64 // kB
}

func sampleRSS() *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb := procStatus("VmRSS"); kb > s.peak.Load() {
				s.peak.Store(kb)
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) end() float64 {
	close(s.stop)
	<-s.done
	return float64(s.peak.Load()) / 1024
}

// procStatus returns a kB field of /proc/self/status, 0 if unavailable.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// guardedPoster is federation/fetch's client as production wires it, with
// loopback and plain HTTP allowed and a 2s timeout (black holes).
func guardedPoster(b *testing.B) delivery.Poster {
	c, err := fetch.New(fetch.Options{AllowPrivate: true, AllowHTTP: true, Timeout: 2 * time.Second}, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.CloseIdleConnections)
	return delivery.PosterFunc(c.PostStatus)
}

// benchFanOut times one activity to n distinct inboxes over 100 sink hosts
// (127.0.1.1-100, n/100 inboxes each), dead of them replaced by black holes
// (127.0.2.x) answering nothing: from the enqueue to the last healthy
// inbox's POST answered. The POSTs go through federation/fetch.
func benchFanOut(b *testing.B, n, dead int) {
	var c counter
	bases := benchSinks(b, 100-dead, 1, &c)
	holes := benchBlackholes(b, dead, 2)
	// Spread the black holes among the sinks, so their inboxes are
	// interleaved as real followers would be.
	var hosts []string
	for i, j := 0, 0; i < 100; i++ {
		if dead > 0 && i%(100/dead) == 0 && len(holes) > 0 {
			hosts, holes = append(hosts, holes[0]), holes[1:]
			continue
		}
		hosts, j = append(hosts, bases[j]), j+1
	}
	healthy := int64(n - n*dead/100)
	db, d := benchDeliverer(b, guardedPoster(b))
	rss := sampleRSS()
	b.ResetTimer()
	var total, cpu, dem time.Duration
	for i := range b.N {
		targets := inboxes(hosts, n)
		for k := range targets {
			targets[k] += "?" + strconv.Itoa(i) // distinct inboxes per iteration
		}
		reached := c.expect(healthy)
		start, cpu0, dem0 := time.Now(), cpuTime(), demand()
		if _, err := db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{Body: createNote, SignerID: aliceID, Inboxes: targets}); err != nil {
			b.Fatal(err)
		}
		d.Kick()
		<-reached
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		dem += demand() - dem0
		b.StopTimer()
		if dead == 0 {
			settle(b, d)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(healthy)*float64(b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(healthy)/float64(b.N), "cpu-us/delivery")
	b.ReportMetric(100*dem.Seconds()/total.Seconds()/float64(runtime.GOMAXPROCS(0)), "demand%")
	b.ReportMetric(rss.end(), "peakRSS-MB")
	b.ReportMetric(float64(procStatus("VmHWM"))/1024, "VmHWM-MB")
}

func BenchmarkFanOut1000(b *testing.B)             { benchFanOut(b, 1000, 0) }
func BenchmarkFanOut10000(b *testing.B)            { benchFanOut(b, 10000, 0) }
func BenchmarkFanOut10000Blackholed2(b *testing.B) { benchFanOut(b, 10000, 2) }

// BenchmarkRSA2048SignParallel repeats the ceiling of the same name
// (../shared/ceilings) in this binary, so that a run gives both figures
// side by side, with CPU time per signature as well.
func BenchmarkRSA2048SignParallel(b *testing.B) {
	key := aliceKey()
	key.Precompute()
	sum := sha256.Sum256([]byte("(request-target): post /users/bob/inbox\nhost: other.example\ndate: Tue, 01 Apr 2025 12:00:00 GMT\ndigest: SHA-256=abc"))
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/sign")
}
