//go:build linux

package main

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// floodRSSLimit is the memory goal of the sustained flood: the server's
// VmRSS stays under 150 MB (10^6 bytes) throughout.
const floodRSSLimit = 150_000_000

// TestSustainedInboundFloodStaysUnder150MBAndLosesNothing floods the real
// binary's inbox with signed Create(Note)s (the benchmark's 2.2 KB
// activity, from 4 loopback servers with 4 actors each, 64 requests in
// flight, as in BenchmarkInboundProcessed_c64) for TOCSIN_FLOOD_DURATION
// (default 10s, the CI form; the figure in docs/benchmarks.md is from
// 10m), optionally paced at TOCSIN_FLOOD_RATE requests per second. VmRSS is
// sampled every second from /proc, through the flood and until the journal
// has drained; it must stay under 150 MB, and every acknowledged activity
// must be stored once.
func TestSustainedInboundFloodStaysUnder150MBAndLosesNothing(t *testing.T) {
	duration := 10 * time.Second
	if v := os.Getenv("TOCSIN_FLOOD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("TOCSIN_FLOOD_DURATION=%q: want a duration like 10m", v)
		}
		duration = d
	}
	rate := 0.0
	if v := os.Getenv("TOCSIN_FLOOD_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			t.Fatalf("TOCSIN_FLOOD_RATE=%q: want requests per second", v)
		}
		rate = r
	}
	n := faultNode(t)
	// The request log of a million requests is not what this measures.
	n.env = append(n.env, "TOCSIN_LOG_LEVEL=warn")
	f := newFlood(t, n, 4, 4, 64)
	f.Rate = rate
	f.Client = &http.Client{
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	s := n.serve()
	pid := s.cmd.Process.Pid

	var (
		mu               sync.Mutex
		samples          []int64
		maxAnon, maxFile int64 // the parts of the RSS: heap and stacks, mapped file pages (bbolt's mmap)
	)
	sampleStop := make(chan struct{})
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-sampleStop:
				return
			case <-tick.C:
			}
			if rss, err := vmRSS(pid); err == nil {
				anon, _ := procStatus(pid, "RssAnon")
				file, _ := procStatus(pid, "RssFile")
				mu.Lock()
				samples = append(samples, rss)
				maxAnon, maxFile = max(maxAnon, anon), max(maxFile, file)
				mu.Unlock()
			}
		}
	}()

	start := time.Now()
	res := f.Run(context.Background(), 1<<40, func(uint64, int) bool { return time.Since(start) >= duration })
	mu.Lock()
	flooded := len(samples)
	mu.Unlock()
	drainStart := time.Now()
	n.journalDrained(t, max(2*time.Minute, 3*duration))
	drain := time.Since(drainStart)
	close(sampleStop)
	<-sampleDone
	s.stop(t)

	if len(res.Acked) == 0 {
		t.Fatalf("nothing acknowledged: %v %v", res.Status, res.Bodies)
	}
	for st, body := range res.Bodies {
		t.Errorf("inbox answered %d %q", st, body)
	}
	db := checkDBFile(t, n.dbPath())
	stored := appliedOnce(t, db, f, res.Acked)

	mu.Lock()
	sorted := slices.Clone(samples)
	mu.Unlock()
	if len(sorted) == 0 {
		t.Fatal("no RSS samples")
	}
	slices.Sort(sorted)
	maxRSS, p50 := sorted[len(sorted)-1], sorted[len(sorted)/2]
	fi, _ := os.Stat(n.dbPath())
	t.Logf("flood %s: %d sent, %d acknowledged (%.0f/s), statuses %v; journal drained %s later; %d notes stored, each once, none lost; database %d MB",
		res.Elapsed.Round(time.Millisecond), res.Sent, len(res.Acked), float64(len(res.Acked))/res.Elapsed.Seconds(), res.Status,
		drain.Round(time.Millisecond), stored, fi.Size()/1_000_000)
	t.Logf("VmRSS over %d samples (%d during the flood): max %.1f MB, p50 %.1f MB; largest RssAnon %.1f MB, RssFile %.1f MB",
		len(sorted), flooded, float64(maxRSS)/1e6, float64(p50)/1e6, float64(maxAnon)/1e6, float64(maxFile)/1e6)
	if maxRSS >= floodRSSLimit {
		t.Errorf("VmRSS reached %.1f MB, goal < 150 MB", float64(maxRSS)/1e6)
	}
}
