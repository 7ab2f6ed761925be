package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestLogger logs one line per request through slog.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true,
		LogRequestID: true, LogRemoteIP: true, LogUserAgent: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case c.Path() == "/livez" || c.Path() == "/readyz":
				level = slog.LevelDebug
			}
			s.log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", v.Method), slog.String("uri", redactURI(v.URI)),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("request_id", v.RequestID), slog.String("remote_ip", v.RemoteIP),
				slog.String("user_agent", v.UserAgent))
			return nil
		},
	})
}

// secretParams are query parameters whose values are credentials: clients
// may send OAuth grants and tokens in the query string (the streaming API
// always does), and the request log must not keep them.
var secretParams = map[string]bool{
	"access_token": true, "refresh_token": true, "token": true, "code": true, "code_verifier": true,
	"password": true, "client_secret": true, "authenticity_token": true, "id_token": true,
}

// redactURI replaces the values of secret query parameters with
// [REDACTED], keeping the rest of the request URI as it came.
func redactURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || query == "" {
		return uri
	}
	parts := strings.Split(query, "&")
	redacted := false
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			k = name
		}
		if secretParams[strings.ToLower(k)] {
			parts[i] = k + "=[REDACTED]"
			redacted = true
		}
	}
	if !redacted {
		return uri
	}
	return path + "?" + strings.Join(parts, "&")
}

// bodyLimit refuses bodies over max bytes with 413 before reading them when
// the length is declared, and caps the reader otherwise.
func bodyLimit(max int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > max {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
			}
			return next(c)
		}
	}
}
