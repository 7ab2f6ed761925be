package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/config"
	"github.com/tocsin-network/tocsin/metrics"
)

// BenchmarkInboxMiddleware measures what metrics and rate limiting add to
// an inbox POST (the handler itself answers 202 at once): compare the
// ns/op of the sub-benchmarks.
func BenchmarkInboxMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name           string
		metrics, limit bool
	}{{"bare", false, false}, {"metrics", true, false}, {"metrics+ratelimit", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := config.Default()
			cfg.Limits.InboxPerDomainPerMin = 1 << 30
			cfg.Limits.InboxPerIPPerMin = 1 << 30
			s := &Server{cfg: &cfg, now: time.Now, log: slog.New(slog.DiscardHandler), e: echo.New()}
			if bc.metrics {
				s.UseMetrics(metrics.New(metrics.Options{}))
			}
			if bc.limit {
				if err := s.UseRateLimits(nil); err != nil {
					b.Fatal(err)
				}
			}
			s.e.POST("/users/:username/inbox", func(c echo.Context) error { return c.NoContent(http.StatusAccepted) })
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, "/users/org/inbox", strings.NewReader("{}"))
					req.RemoteAddr = "203.0.113.9:4711"
					req.Header.Set("Signature", `keyId="https://peer.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="x"`)
					rec := httptest.NewRecorder()
					s.e.ServeHTTP(rec, req)
					if rec.Code != http.StatusAccepted {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
