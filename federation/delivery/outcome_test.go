package delivery

import (
	"errors"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	refused := errors.New("address refused by policy")
	permanent := func(err error) bool { return errors.Is(err, refused) }
	for _, c := range []struct {
		status     int
		retryAfter time.Duration
		err        error
		want       outcome
	}{
		{200, 0, nil, outcome{verdict: delivered}},
		{202, 0, nil, outcome{verdict: delivered}},
		{410, 0, nil, outcome{verdict: dead, gone: true, errText: "HTTP 410 Gone"}},
		{404, 0, nil, outcome{verdict: dead, errText: "HTTP 404 Not Found"}},
		{401, 0, nil, outcome{verdict: retry, errText: "HTTP 401 Unauthorized"}},
		{422, 0, nil, outcome{verdict: dead, errText: "HTTP 422 Unprocessable Entity"}},
		{429, time.Minute, nil, outcome{verdict: retry, hostDown: true, retryAfter: time.Minute, errText: "HTTP 429 Too Many Requests"}},
		{503, time.Hour, nil, outcome{verdict: retry, hostDown: true, retryAfter: time.Hour, errText: "HTTP 503 Service Unavailable"}},
		{500, time.Hour, nil, outcome{verdict: retry, hostDown: true, errText: "HTTP 500 Internal Server Error"}},
		{408, 0, nil, outcome{verdict: retry, hostDown: true, errText: "HTTP 408 Request Timeout"}},
		{302, 0, nil, outcome{verdict: retry, errText: "HTTP 302 Found"}},
		{0, 0, errors.New("dial tcp: connection refused"), outcome{verdict: retry, hostDown: true, errText: "dial tcp: connection refused"}},
		{0, 0, refused, outcome{verdict: dead, errText: refused.Error()}},
	} {
		if got := classify(c.status, c.retryAfter, c.err, permanent); got != c.want {
			t.Errorf("classify(%d, %v, %v) = %+v, want %+v", c.status, c.retryAfter, c.err, got, c.want)
		}
	}
}

func TestDefaultBackoffDoublesWithJitterUpToTwelveHours(t *testing.T) {
	for attempt, base := range map[int]time.Duration{
		1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 8: 64 * time.Minute,
		12: 12 * time.Hour, 13: 12 * time.Hour, 100: 12 * time.Hour,
	} {
		for range 50 {
			d := DefaultBackoff(attempt)
			if d < base*3/4 || d > base*5/4 {
				t.Fatalf("DefaultBackoff(%d) = %v, want within 25%% of %v", attempt, d, base)
			}
		}
	}
	// The default ladder spends about five days in about 20 attempts.
	var total time.Duration
	n := 0
	for total < DefaultGiveUpAfter {
		n++
		total += DefaultBackoff(n)
	}
	if n < 15 || n > 25 {
		t.Errorf("%d attempts to reach %v", n, DefaultGiveUpAfter)
	}
}
