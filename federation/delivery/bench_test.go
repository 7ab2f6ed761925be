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
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/delivery"
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
func benchDeliverer(b *testing.B, timeout time.Duration) (*store.DB, *delivery.Deliverer) {
	aliceKey() // generated once, outside the timings
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "tocsin.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	poster := newPoster(timeout)
	d := delivery.New(db, poster, keys{}, delivery.Options{ShutdownGrace: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = d.Run(ctx); close(ran) }()
	b.Cleanup(func() {
		cancel()
		<-ran
		poster.close()
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

// BenchmarkDeliverLoopback: b.N deliveries to 16 keep-alive sinks on
// 127.0.0.1, queued beforehand (10,000 per activity); timed from the first
// scan to the last POST answered.
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
	poster := newPoster(10 * time.Second)
	defer poster.close()
	d := delivery.New(db, poster, keys{}, delivery.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	go func() { _ = d.Run(ctx); close(ran) }()
	<-reached
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
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

// benchFanOut times one activity to n distinct inboxes over 100 sink hosts
// (127.0.1.1-100, n/100 inboxes each), dead of them replaced by black holes
// (127.0.2.x) answering nothing: from the enqueue to the last healthy
// inbox's POST answered.
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
	db, d := benchDeliverer(b, 2*time.Second)
	rss := sampleRSS()
	b.ResetTimer()
	var total time.Duration
	for i := range b.N {
		targets := inboxes(hosts, n)
		for k := range targets {
			targets[k] += "?" + strconv.Itoa(i) // distinct inboxes per iteration
		}
		reached := c.expect(healthy)
		start := time.Now()
		if _, err := db.EnqueueDeliveries(context.Background(), store.DeliveryBatch{Body: createNote, SignerID: aliceID, Inboxes: targets}); err != nil {
			b.Fatal(err)
		}
		d.Kick()
		<-reached
		total += time.Since(start)
		b.StopTimer()
		if dead == 0 {
			settle(b, d)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(healthy)*float64(b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(rss.end(), "peakRSS-MB")
	b.ReportMetric(float64(procStatus("VmHWM"))/1024, "VmHWM-MB")
}

func BenchmarkFanOut1000(b *testing.B)            { benchFanOut(b, 1000, 0) }
func BenchmarkFanOut10000(b *testing.B)           { benchFanOut(b, 10000, 0) }
func BenchmarkFanOut10000Blackholed2(b *testing.B) { benchFanOut(b, 10000, 2) }
