package handlers

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/metrics"
)

// UseMetrics records every request in m: by route template (c.Path(), never
// the raw URL), method and status class, with its latency. Call it before
// UseRateLimits and before serving: the requests a limit refuses are
// counted too.
func (s *Server) UseMetrics(m *metrics.Metrics) {
	s.e.Use(metricsMiddleware(m))
}

func metricsMiddleware(m *metrics.Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				// Let the server's error handler write the response now,
				// so that the status it chooses is the one counted (the
				// request logger then reads it from the response too).
				c.Error(err)
			}
			m.ObserveHTTP(c.Path(), c.Request().Method, c.Response().Status, time.Since(start))
			return nil
		}
	}
}
