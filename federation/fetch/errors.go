package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Failures of a fetch that retrying the same request will not mend. They
// are wrapped with the details; test with errors.Is.
var (
	ErrTooLarge          = errors.New("fetch: response body too large")
	ErrTooManyRedirects  = errors.New("fetch: too many redirects")
	ErrContentType       = errors.New("fetch: not an ActivityPub document")
	ErrOriginMismatch    = errors.New("fetch: document id is not on the host it came from")
	ErrRedirectMalformed = errors.New("fetch: malformed redirect")
)

// StatusError is a response with a status other than 2xx (after redirects,
// for a GET).
type StatusError struct {
	Method     string
	URL        string
	Status     int
	RetryAfter time.Duration // from Retry-After (seconds or HTTP date); 0 when absent
	Body       string        // the start of the response body, for logs
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("fetch: %s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Body != "" {
		s += ": " + strconv.Quote(e.Body)
	}
	return s
}

// Permanent reports whether the peer refused for good: a 4xx other than 408
// Request Timeout and 429 Too Many Requests. 3xx (on a POST) and 5xx are
// worth retrying.
func (e *StatusError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusUnauthorized &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// Permanent reports whether err is a failure that retrying the same request
// will not mend: a permanent *StatusError, a *BlockedError, a body too large,
// too many or malformed redirects, a wrong content type or origin. Timeouts,
// refused or reset connections, DNS failures, 5xx and 429 are temporary, as
// is a cancelled context.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Permanent()
	}
	var be *BlockedError
	if errors.As(err, &be) {
		return true
	}
	for _, p := range []error{ErrTooLarge, ErrTooManyRedirects, ErrContentType, ErrOriginMismatch, ErrRedirectMalformed} {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(365*24*3600))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// excerptLen is how much of an error response's body a StatusError keeps.
const excerptLen = 256

func excerpt(b []byte) string {
	if len(b) > excerptLen {
		b = b[:excerptLen]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}
