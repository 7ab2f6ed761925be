package main

// Start-up and footprint benchmarks of the real binary (built once by
// TestMain in main_test.go), for the "Foundation" issue. Goals: /readyz 200
// within 300 ms of exec, idle RSS under 30 MB. See docs/benchmarks.md.
//
//   go test -run '^$' -bench 'ColdStart|IdleRSS|BinaryGET' -benchtime 20x -count 3 ./cmd/tocsin/

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchNode is a data directory and the environment that points the
// binary at it, on a free loopback port.
type benchNode struct {
	dir, dataDir, addr string
	env                []string
}

func newBenchNode(b *testing.B) *benchNode {
	b.Helper()
	if binary == "" {
		b.Skip("tocsin binary not built")
	}
	if _, err := os.Stat(binary); err != nil {
		b.Skipf("tocsin binary not built: %v", err)
	}
	dir, err := os.MkdirTemp("", "tb") // short: the admin socket lives in it
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	n := &benchNode{dir: dir, dataDir: filepath.Join(dir, "d"), addr: addr}
	n.env = append(cleanEnv(),
		"TOCSIN_DATA_DIR="+n.dataDir,
		"TOCSIN_LISTEN="+addr,
		"TOCSIN_DOMAIN="+addr,
		"TOCSIN_SCHEME=http",
	)
	return n
}

func (n *benchNode) remove() { os.RemoveAll(n.dir) }

// readyClient makes a new connection per probe, so no probe waits on a
// connection to an earlier process.
var readyClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   2 * time.Second,
}

// benchProc is a running `tocsin serve`.
type benchProc struct {
	cmd  *exec.Cmd
	done chan error
}

// start execs `tocsin serve` and polls /readyz every 0.5 ms until it answers
// 200 (bounded: 20 s); it returns the process and the time from exec to 200.
func (n *benchNode) start(b *testing.B) (*benchProc, time.Duration) {
	b.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &benchProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	url := "http://" + n.addr + "/readyz"
	deadline := t0.Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			b.Fatalf("serve exited before ready: %v", err)
		default:
		}
		if resp, err := readyClient.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(t0)
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	p.kill()
	b.Fatalf("serve not ready within 20s")
	return nil, 0
}

// stop sends SIGTERM and waits (bounded: 30 s).
func (p *benchProc) stop(b *testing.B) {
	b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			b.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		p.kill()
		b.Fatal("serve did not stop within 30s of SIGTERM")
	}
}

func (p *benchProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// status returns a field of /proc/PID/status in kB (VmRSS, VmHWM).
func (p *benchProc) status(b *testing.B, field string) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s: %q", field, rest)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}

func reportStartup(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	b.ReportMetric(ms(sum/time.Duration(len(ds))), "ms/start")
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), "max-ms")
}

// BenchmarkColdStartFirstRun: exec to /readyz 200 on an empty data
// directory each time: creates the directory and database, generates the
// instance actor's RSA-2048 key pair.
func BenchmarkColdStartFirstRun(b *testing.B) {
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		n := newBenchNode(b)
		b.StartTimer()
		p, d := n.start(b)
		b.StopTimer()
		ds = append(ds, d)
		p.stop(b)
		n.remove()
		b.StartTimer()
	}
	b.StopTimer()
	reportStartup(b, ds)
}

// BenchmarkColdStartWarmRestart: exec to /readyz 200 on an existing data
// directory (database and key made by a first run before the timer).
func BenchmarkColdStartWarmRestart(b *testing.B) {
	n := newBenchNode(b)
	defer n.remove()
	p, _ := n.start(b)
	p.stop(b)
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		p, d := n.start(b)
		b.StopTimer()
		ds = append(ds, d)
		p.stop(b)
		b.StartTimer()
	}
	b.StopTimer()
	reportStartup(b, ds)
}

// idleSettle is how long the process idles after /readyz before its RSS is
// read.
const idleSettle = 2 * time.Second

// BenchmarkIdleRSS: VmRSS of `tocsin serve` idle after start (first run,
// then a warm restart of the same data directory), in MB (10^6 bytes).
// ns/op is the whole cycle and means nothing; read the MB metrics.
func BenchmarkIdleRSS(b *testing.B) {
	var first, restart, hwm []float64
	for range b.N {
		n := newBenchNode(b)
		p, _ := n.start(b)
		time.Sleep(idleSettle)
		first = append(first, p.status(b, "VmRSS")/1000)
		hwm = append(hwm, p.status(b, "VmHWM")/1000)
		p.stop(b)
		p, _ = n.start(b)
		time.Sleep(idleSettle)
		restart = append(restart, p.status(b, "VmRSS")/1000)
		p.stop(b)
		n.remove()
	}
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	b.ReportMetric(med(first), "firstrun-MB")
	b.ReportMetric(med(restart), "restart-MB")
	b.ReportMetric(med(hwm), "firstrun-peak-MB")
}

// BenchmarkBinaryGET_c64: WebFinger and actor GETs against the binary (with
// its request log, written to a discarded stderr), 64 keep-alive clients.
func BenchmarkBinaryGET_c64(b *testing.B) {
	n := newBenchNode(b)
	defer n.remove()
	// An organisation account (default bcrypt cost; before the timer).
	cmd := exec.Command(binary, "account", "create", "--username", "observers", "--kind", "organization", "--role", "publisher")
	cmd.Env = n.env
	cmd.Stdin = strings.NewReader("a-long-benchmark-password\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("account create: %v\n%s", err, out)
	}
	p, _ := n.start(b)
	defer p.stop(b)
	for _, tc := range []struct{ name, path, accept string }{
		{"webfinger", "/.well-known/webfinger?resource=acct:observers@" + n.addr, ""},
		{"actor", "/users/observers", "application/activity+json"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			url := "http://" + n.addr + tc.path
			client := &http.Client{
				Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true},
				Timeout:   10 * time.Second,
			}
			defer client.CloseIdleConnections()
			var fails, done atomic.Int64
			deadline := time.Now().Add(60 * time.Second)
			b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if time.Now().After(deadline) {
						continue
					}
					req, _ := http.NewRequest(http.MethodGet, url, nil)
					if tc.accept != "" {
						req.Header.Set("Accept", tc.accept)
					}
					resp, err := client.Do(req)
					if err != nil {
						fails.Add(1)
						continue
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("observers")) {
						fails.Add(1)
						continue
					}
					done.Add(1)
				}
			})
			elapsed := time.Since(start)
			if f := fails.Load(); f > 0 {
				b.Fatalf("%d failed requests", f)
			}
			b.ReportMetric(float64(done.Load())/elapsed.Seconds(), "req/s")
		})
	}
}
