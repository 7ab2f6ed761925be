package handlers_test

// Discovery throughput of the "Foundation" issue: WebFinger and actor GETs
// over loopback against a real instance (cluster.Start: real listener, real
// bbolt file, real keys), from a parallel keep-alive client in the same
// process (as the ceilings' load clients). See docs/benchmarks.md.
//
//   go test -run '^$' -bench 'WebFinger|ActorGET' -benchtime 3s -count 3 ./handlers/

import (
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/internal/cluster"
)

// benchClients is the number of concurrent client goroutines.
const benchClients = 64

// benchGET serves GETs of path(instance's domain) with the given Accept.
func benchGET(b *testing.B, path func(domain string) string, accept string) {
	s := cluster.Start(b, 0)
	s.CreateAccount(b, "observers", "organization", "publisher")
	url := s.URL + path(s.Domain)
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true},
		Timeout:   10 * time.Second,
	}
	defer client.CloseIdleConnections()
	get := func() (int, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if st, err := get(); err != nil || st != http.StatusOK {
		b.Fatalf("GET %s: %d %v", url, st, err)
	}
	var fails, done atomic.Int64
	deadline := time.Now().Add(60 * time.Second) // bounds the loop whatever b.N is
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if time.Now().After(deadline) {
				continue
			}
			if st, err := get(); err != nil || st != http.StatusOK {
				fails.Add(1)
				continue
			}
			done.Add(1)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if f := fails.Load(); f > 0 {
		b.Fatalf("%d failed requests", f)
	}
	b.ReportMetric(float64(done.Load())/elapsed.Seconds(), "req/s")
}

// BenchmarkWebFinger_c64: acct: lookups of a local organisation, as
// Mastodon sends them.
func BenchmarkWebFinger_c64(b *testing.B) {
	benchGET(b, func(domain string) string {
		return "/.well-known/webfinger?resource=acct:observers@" + domain
	}, "")
}

// BenchmarkActorGET_c64: the organisation's actor document as AS2 JSON.
func BenchmarkActorGET_c64(b *testing.B) {
	benchGET(b, func(string) string { return "/users/observers" }, "application/activity+json")
}
