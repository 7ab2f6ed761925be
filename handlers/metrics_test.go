package handlers_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/internal/cluster"
)

// scrape returns the metrics text of s's metrics listener.
func scrape(t *testing.T, s *cluster.Server) string {
	t.Helper()
	if s.MetricsAddr() == "" {
		t.Fatal("no metrics listener")
	}
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// sample returns the value of the series whose line starts with series
// (name{labels} exactly as exposed), or -1.
func sample(text, series string) float64 {
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func withMetrics(ip string) cluster.Option {
	return func(c *cluster.Config) { c.Metrics.Listen = ip + ":0" }
}

func TestMetricsCountRealTraffic(t *testing.T) {
	a := cluster.Start(t, 0, withMetrics("127.0.0.2"))
	b := cluster.Start(t, 1, withMetrics("127.0.0.3"))
	orgA := a.CreateAccount(t, "org", "organization", "publisher")
	orgB := b.CreateAccount(t, "org", "organization", "publisher")

	// The organisations peer (`tocsin peer add` on both sides): Follows
	// and Accepts are delivered both ways, signed.
	if _, err := a.Federation.AddPeer(context.Background(), orgA, "org@"+b.Domain); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Federation.AddPeer(context.Background(), orgB, "org@"+a.Domain); err != nil {
		t.Fatal(err)
	}
	cluster.Settle(t, a, b)
	// API calls and a refused unsigned POST.
	for range 2 {
		rlGet(t, a.URL+"/api/v1/instance")
	}
	resp, err := http.Post(b.URL+"/inbox", "application/activity+json",
		strings.NewReader(`{"id":"`+a.URL+`/x","type":"Like","actor":"`+a.URL+`/users/org","object":"`+b.URL+`/users/org"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	mb := scrape(t, b)
	ma := scrape(t, a)
	for _, c := range []struct {
		text, series string
		min          float64
	}{
		{mb, `tocsin_inbound_activities_total{outcome="accepted",type="Follow"}`, 1},
		{mb, `tocsin_inbound_activities_total{outcome="refused:signature",type="Like"}`, 1},
		{mb, `tocsin_signature_failures_total{reason="unsigned"}`, 1},
		{mb, `tocsin_http_requests_total{method="POST",route="/users/:username/inbox",status="2xx"}`, 1},
		{ma, `tocsin_inbound_activities_total{outcome="accepted",type="Accept"}`, 1},
		{ma, `tocsin_deliveries_total{host="` + b.Domain + `",outcome="delivered"}`, 1},
		{mb, `tocsin_deliveries_total{host="` + a.Domain + `",outcome="delivered"}`, 1},
		{ma, `tocsin_http_requests_total{method="GET",route="/api/v1/instance",status="2xx"}`, 2},
		{ma, `tocsin_http_request_duration_seconds_count{route="/api/v1/instance"}`, 2},
		{ma, `tocsin_inbox_journal_depth`, 0},
		{ma, `tocsin_delivery_queue_depth`, 0},
		{ma, `tocsin_store_up`, 1},
		{ma, `tocsin_bbolt_file_size_bytes`, 1},
		{ma, `tocsin_bbolt_read_tx_total`, 1},
		{ma, `tocsin_worker_up{worker="processor"}`, 1},
		{ma, `tocsin_worker_up{worker="deliverer"}`, 1},
		{ma, `go_goroutines`, 1},
	} {
		if v := sample(c.text, c.series); v < c.min {
			t.Errorf("%s = %v, want >= %v", c.series, v, c.min)
		}
	}
	// Route templates only: no raw URL becomes a label.
	if strings.Contains(ma, `route="/users/org`) || strings.Contains(mb, `route="/users/org`) {
		t.Error("a raw path leaked into a route label")
	}

	// The public listener does not serve metrics.
	if resp, _ := rlGet(t, a.URL+"/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("public /metrics: %d, want 404", resp.StatusCode)
	}
}

func TestReadyzFailsWhenAWorkerStopsOrTheStoreCloses(t *testing.T) {
	s := cluster.Start(t, 0)
	ready := func() (int, string) {
		resp, body := rlGet(t, s.URL+"/readyz")
		return resp.StatusCode, body
	}
	if st, body := ready(); st != 200 {
		t.Fatalf("readyz: %d %s", st, body)
	}
	// A worker reports it stopped (what its Run does on return).
	s.Metrics.Stopped("deliverer")
	if st, body := ready(); st != http.StatusServiceUnavailable || !strings.Contains(body, "deliverer stopped") {
		t.Errorf("deliverer stopped: %d %s", st, body)
	}
	s.Metrics.Beat("deliverer")
	if st, _ := ready(); st != 200 {
		t.Errorf("after a beat: %d", st)
	}
	// Stuck: no heartbeat for long is judged against the clock.
	if err := s.Metrics.Health().Check(time.Now().Add(10*time.Minute), 5*time.Minute); err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Errorf("stale heartbeat: %v", err)
	}
	if err := s.DB.Close(); err != nil {
		t.Fatal(err)
	}
	if st, body := ready(); st != http.StatusServiceUnavailable || !strings.Contains(body, "store") {
		t.Errorf("store closed: %d %s", st, body)
	}
}
