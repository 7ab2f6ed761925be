package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation/signature"
)

const createNote = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://tocsin.test/users/alice/statuses/1/activity","type":"Create","actor":"https://tocsin.test/users/alice","object":{"id":"https://tocsin.test/users/alice/statuses/1","type":"Note","content":"TLP:CLEAR"}}`

func aliceSigner(t testing.TB) *signature.Signer {
	s, err := signature.NewSigner(aliceKeyID, testKeys()[1])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostDeliversSignedActivity(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		res, ok := verifySigned(w, r, body)
		if !ok {
			return
		}
		want := []string{"(request-target)", "host", "date", "digest"}
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/users/bob/inbox":
			http.Error(w, r.Method+" "+r.URL.Path, http.StatusBadRequest)
		case !slices.Equal(res.Headers, want):
			http.Error(w, "signed headers", http.StatusUnauthorized)
		case r.Header.Get("Content-Type") != "application/activity+json":
			http.Error(w, "Content-Type", http.StatusUnsupportedMediaType)
		case string(body) != createNote:
			http.Error(w, "body", http.StatusBadRequest)
		default:
			w.Header().Set("X-Signed-By", res.Owner)
			w.WriteHeader(http.StatusAccepted)
		}
	})
	c := newClient(t, loopback)
	resp, err := c.Post(context.Background(), srv.URL+"/users/bob/inbox", []byte(createNote), aliceSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusAccepted {
		t.Errorf("status %d", resp.Status)
	}

	// With no signer, the instance actor signs.
	if _, err := c.Post(context.Background(), srv.URL+"/users/bob/inbox", []byte(createNote), nil); err != nil {
		t.Fatal(err)
	}
}

func TestPostFailuresArePermanentOrTemporary(t *testing.T) {
	// /NNN answers status NNN.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		status, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		switch status {
		case 429:
			w.Header().Set("Retry-After", "120")
		case 503:
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
		case 301, 308:
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "  refused: "+http.StatusText(status)+"\n")
	})
	c := newClient(t, loopback)
	for _, tc := range []struct {
		status     int
		permanent  bool
		retryAfter time.Duration // minimum expected
	}{
		{400, true, 0}, {401, false, 0}, {403, true, 0}, {404, true, 0}, {410, true, 0}, {422, true, 0},
		{408, false, 0}, {429, false, 120 * time.Second}, {500, false, 0}, {502, false, 0},
		{503, false, 59 * time.Minute}, {301, false, 0}, {308, false, 0},
	} {
		_, err := c.Post(context.Background(), srv.URL+"/"+strconv.Itoa(tc.status), []byte(createNote), aliceSigner(t))
		var se *StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%d: err = %v, want *StatusError", tc.status, err)
			continue
		}
		if Permanent(err) != tc.permanent {
			t.Errorf("%d: Permanent = %v, want %v", tc.status, !tc.permanent, tc.permanent)
		}
		if se.RetryAfter < tc.retryAfter || tc.retryAfter == 0 && se.RetryAfter != 0 {
			t.Errorf("%d: RetryAfter = %s, want %s", tc.status, se.RetryAfter, tc.retryAfter)
		}
		if se.Body != "refused: "+http.StatusText(tc.status) {
			t.Errorf("%d: Body = %q", tc.status, se.Body)
		}
	}
	if n := srv.hits.Load(); n != 13 {
		t.Errorf("%d requests, want 13: a POST follows no redirect", n)
	}
}

func TestPostToClosedPortIsTemporary(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newClient(t, loopback)
	_, err = c.Post(context.Background(), "http://"+addr+"/inbox", []byte(createNote), aliceSigner(t))
	if err == nil || Permanent(err) {
		t.Fatalf("err = %v, want a temporary failure", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want connection refused in the chain", err)
	}
}

func TestPostStatusReportsEveryAnswer(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	c := newClient(t, loopback)
	ctx := context.Background()
	if status, ra, err := c.PostStatus(ctx, srv.URL+"/inbox", []byte(createNote), nil); status != 202 || ra != 0 || err != nil {
		t.Errorf("2xx: %d %s %v", status, ra, err)
	}
	if status, ra, err := c.PostStatus(ctx, srv.URL+"/busy", []byte(createNote), nil); status != 429 || ra != 30*time.Second || err != nil {
		t.Errorf("429: %d %s %v", status, ra, err)
	}
	strict := newClient(t, Options{AllowHTTP: true})
	if status, _, err := strict.PostStatus(ctx, srv.URL+"/inbox", []byte(createNote), nil); status != 0 || !isBlocked(err) || !Permanent(err) {
		t.Errorf("refused address: %d %v", status, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-5":                            0,
		"30":                            30 * time.Second,
		" 30 ":                          30 * time.Second,
		"soon":                          0,
		"Fri, 01 May 2026 12:02:00 GMT": 2 * time.Minute,
		"Fri, 01 May 2026 11:00:00 GMT": 0,
		"99999999999999999999":          0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}
