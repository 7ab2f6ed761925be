package delivery

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// DefaultBackoff is the retry ladder used when Options.Backoff is nil: 30s
// after the first failed attempt, doubling each time (1m, 2m, 4m...) up to
// 12h per step, each step jittered by ±25% so that the jobs of a peer that
// came back do not all retry at once. With the default GiveUpAfter of five
// days that is about 20 attempts.
func DefaultBackoff(attempt int) time.Duration {
	const (
		first = 30 * time.Second
		step  = 12 * time.Hour
	)
	d := step
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 12 { // 30s << 11 > 12h already
		d = min(first<<(attempt-1), step)
	}
	return d - d/4 + rand.N(d/2+1)
}

// verdict is what to do with a job after an attempt.
type verdict int

const (
	delivered verdict = iota // remove the job
	retry                    // try again later
	dead                     // give up now
)

// outcome classifies one attempt.
type outcome struct {
	verdict verdict
	// hostDown: the attempt says the host itself is failing (no answer,
	// 5xx, 429, 408): it counts towards the host's circuit breaker. Any
	// other answer says the host is up.
	hostDown   bool
	gone       bool          // 410: the inbox is gone for good
	retryAfter time.Duration // from Retry-After on 429 and 503
	errText    string        // for the job's LastError and the logs
}

// classify maps Poster.Post's result to an outcome. A transport error (no
// status) is temporary unless permanent says otherwise. Statuses:
//   - 2xx: delivered;
//   - 410: dead, and the inbox is reported gone;
//   - 401: retried without counting against the host: the peer could not
//     verify us yet (our key fetch failed or raced a rotation), as Mastodon
//     treats it;
//   - other 4xx (400, 403, 404, 422...) except 408 and 429: dead, since
//     sending the same request again cannot help;
//   - 408, 429, 5xx: retried, the host counted as failing; Retry-After is
//     honoured on 429 and 503;
//   - anything else (a redirect not followed, say): retried.
func classify(status int, retryAfter time.Duration, err error, permanent func(error) bool) outcome {
	if err != nil {
		if permanent != nil && permanent(err) {
			return outcome{verdict: dead, errText: err.Error()}
		}
		return outcome{verdict: retry, hostDown: true, errText: err.Error()}
	}
	text := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	switch {
	case status >= 200 && status < 300:
		return outcome{verdict: delivered}
	case status == http.StatusGone:
		return outcome{verdict: dead, gone: true, errText: text}
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		return outcome{verdict: retry, hostDown: true, retryAfter: max(retryAfter, 0), errText: text}
	case status == http.StatusUnauthorized:
		return outcome{verdict: retry, errText: text}
	case status == http.StatusRequestTimeout || status >= 500:
		return outcome{verdict: retry, hostDown: true, errText: text}
	case status >= 400 && status < 500:
		return outcome{verdict: dead, errText: text}
	}
	return outcome{verdict: retry, errText: text}
}
