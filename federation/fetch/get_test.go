package fetch

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGetActivityIsSignedByTheInstanceActor(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		res, ok := verifySigned(w, r, nil)
		if !ok {
			return
		}
		want := []string{"(request-target)", "host", "date"}
		if res.KeyID != instanceKeyID || !slices.Equal(res.Headers, want) {
			http.Error(w, fmt.Sprintf("signed by %s over %q, want %s over %q", res.KeyID, res.Headers, instanceKeyID, want), http.StatusBadRequest)
			return
		}
		if a := r.Header.Get("Accept"); !strings.HasPrefix(a, "application/activity+json") || !strings.Contains(a, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`) {
			http.Error(w, "Accept "+a, http.StatusNotAcceptable)
			return
		}
		if ua := r.Header.Get("User-Agent"); ua != "tocsin/0.1.0 (+https://tocsin.test/)" {
			http.Error(w, "User-Agent "+ua, http.StatusBadRequest)
			return
		}
		if len(r.Cookies()) > 0 {
			http.Error(w, "cookies sent", http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "x"})
		writeDoc(w, r)
	})
	opts := loopback
	opts.UserAgent = "tocsin/0.1.0 (+https://tocsin.test/)"
	c := newClient(t, opts)
	for range 2 { // the second request must carry no cookie from the first
		resp, err := c.GetActivity(context.Background(), srv.URL+"/users/bob/statuses/1#frag")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ ID, Type string }
		if err := json.Unmarshal(resp.Body, &doc); err != nil || doc.Type != "Note" {
			t.Fatalf("body %s: %v", resp.Body, err)
		}
		if resp.FinalURL != srv.URL+"/users/bob/statuses/1" || resp.Status != 200 || resp.ContentType != "application/activity+json" {
			t.Errorf("response %+v", resp)
		}
	}
}

func TestGetActivityContentTypes(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		ct := r.URL.Query().Get("ct")
		w.Header().Set("Content-Type", ct)
		fmt.Fprintf(w, `{"id": "http://%s/doc", "type": "Note"}`, r.Host)
	})
	c := newClient(t, loopback)
	for _, tc := range []struct {
		ct string
		ok bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/ld+json", true},
		{"Application/JSON", true},
		{"text/html; charset=utf-8", false},
		{"text/plain", false},
		{"application/xml", false},
		{"application/jrd+json", false},
		{"", false},
		{"garbage;;", false},
	} {
		_, err := c.GetActivity(context.Background(), srv.URL+"/doc?ct="+url.QueryEscape(tc.ct))
		if tc.ok && err != nil {
			t.Errorf("Content-Type %q: %v", tc.ct, err)
		}
		if !tc.ok && !errors.Is(err, ErrContentType) {
			t.Errorf("Content-Type %q: err = %v, want ErrContentType", tc.ct, err)
		}
	}
}

// A Mastodon before 4.3 verifies (request-target) without the query: the
// first, fully signed attempt gets 401, the retry signed without the query
// gets the page.
func TestGetActivityRetriesWithoutQueryOn401(t *testing.T) {
	var attempts atomic.Int64
	var mu sync.Mutex
	var problems []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := attempts.Add(1)
		bare := r.Clone(r.Context())
		bare.URL.RawQuery = "" // verify as old Mastodon does: path only
		_, errBare := verifier.Verify(r.Context(), bare, nil)
		full := r.Clone(r.Context())
		full.URL.RawQuery = r.URL.RawQuery
		_, errFull := verifier.Verify(r.Context(), full, nil)
		mu.Lock()
		switch {
		case n == 1 && (errBare == nil || errFull != nil):
			problems = append(problems, fmt.Sprintf("attempt 1 should sign the query: bare=%v full=%v", errBare, errFull))
		case n == 2 && errBare != nil:
			problems = append(problems, fmt.Sprintf("attempt 2 should sign without the query: %v", errBare))
		}
		mu.Unlock()
		if errBare != nil {
			http.Error(w, "signature does not verify", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"id": "http://%s%s", "type": "OrderedCollectionPage"}`, r.Host, r.URL.RequestURI())
	})
	c := newClient(t, loopback)
	resp, err := c.GetActivity(context.Background(), srv.URL+"/users/alice/outbox?page=2")
	if err != nil {
		t.Fatal(err)
	}
	if n := attempts.Load(); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
	if resp.FinalURL != srv.URL+"/users/alice/outbox?page=2" {
		t.Errorf("FinalURL = %s", resp.FinalURL)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
}

func TestGetActivity401RetriedOnceAndOnlyWithAQuery(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusUnauthorized)
	})
	c := newClient(t, loopback)
	for _, tc := range []struct {
		path string
		hits int64
	}{{"/outbox?page=2", 2}, {"/outbox", 1}} {
		srv.hits.Store(0)
		_, err := c.GetActivity(context.Background(), srv.URL+tc.path)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || se.Body != "go away" {
			t.Errorf("%s: err = %v, want *StatusError 401", tc.path, err)
		}
		if n := srv.hits.Load(); n != tc.hits {
			t.Errorf("%s: %d requests, want %d", tc.path, n, tc.hits)
		}
	}
}

func TestGetActivityRefusesDocumentOfAnotherOrigin(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write([]byte(r.URL.Query().Get("doc")))
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newClient(t, loopback)
	for _, tc := range []struct {
		doc string
		err error
	}{
		{`{"id": "http://` + host + `/other/path"}`, nil},
		{`{"id": "HTTP://` + strings.ToUpper(host) + `/x"}`, nil},
		{`{"@id": "http://` + host + `/x"}`, nil},
		{`{"id": "https://victim.example/users/admin"}`, ErrOriginMismatch},
		{`{"id": "http://127.0.0.1/x"}`, ErrOriginMismatch}, // same name, other port
		{`{"type": "Note"}`, ErrOriginMismatch},
		{`{"id": ""}`, ErrOriginMismatch},
		{`[1, 2]`, ErrContentType},
		{`not json`, ErrContentType},
	} {
		_, err := c.GetActivity(context.Background(), srv.URL+"/doc?doc="+url.QueryEscape(tc.doc))
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("doc %s: err = %v, want %v", tc.doc, err, tc.err)
		}
	}
}

// A redirect to another host is followed, signed afresh for that host, and
// the document is judged against where it came from.
func TestGetActivityFollowsRedirectToAnotherHost(t *testing.T) {
	to := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verifySigned(w, r, nil); ok {
			writeDoc(w, r)
		}
	})
	toURL, _ := url.Parse(to.URL)
	other := "http://localhost:" + toURL.Port() // same server, another host name
	from := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verifySigned(w, r, nil); ok {
			http.Redirect(w, r, other+"/users/bob", http.StatusMovedPermanently)
		}
	})
	c := newClient(t, loopback)
	resp, err := c.GetActivity(context.Background(), from.URL+"/@bob")
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinalURL != other+"/users/bob" {
		t.Errorf("FinalURL = %s, want %s", resp.FinalURL, other+"/users/bob")
	}
	if from.hits.Load() != 1 || to.hits.Load() != 1 {
		t.Errorf("hits from=%d to=%d, want 1 and 1", from.hits.Load(), to.hits.Load())
	}
}

func TestRedirectLimit(t *testing.T) {
	// /r/N redirects to /r/N-1; /r/0 is the document; /loop redirects to itself.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		switch {
		case r.URL.Path == "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case r.URL.Path == "/no-location":
			w.WriteHeader(http.StatusFound)
		case r.URL.Path == "/bad-location":
			w.Header().Set("Location", "http://[::1")
			w.WriteHeader(http.StatusFound)
		default:
			if _, err := fmt.Sscanf(r.URL.Path, "/r/%d", &n); err != nil {
				http.NotFound(w, r)
			} else if n == 0 {
				writeDoc(w, r)
			} else {
				codes := []int{301, 302, 303, 307, 308}
				http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), codes[n%len(codes)])
			}
		}
	})
	c := newClient(t, loopback) // MaxRedirects 3 by default
	ctx := context.Background()
	if resp, err := c.GetActivity(ctx, srv.URL+"/r/3"); err != nil {
		t.Fatalf("3 redirects: %v", err)
	} else if resp.FinalURL != srv.URL+"/r/0" {
		t.Errorf("FinalURL = %s", resp.FinalURL)
	}
	if _, err := c.GetJSON(ctx, srv.URL+"/r/3"); err != nil {
		t.Fatalf("GetJSON, 3 redirects: %v", err)
	}

	srv.hits.Store(0)
	_, err := c.GetActivity(ctx, srv.URL+"/r/4")
	if !errors.Is(err, ErrTooManyRedirects) || !Permanent(err) {
		t.Fatalf("4 redirects: err = %v, want ErrTooManyRedirects", err)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Errorf("4 redirects: %d requests, want 4 (the 4th target is never asked)", n)
	}

	srv.hits.Store(0)
	if _, err := c.GetActivity(ctx, srv.URL+"/loop"); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("loop: err = %v, want ErrTooManyRedirects", err)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Errorf("loop: %d requests, want 4", n)
	}

	none := newClient(t, Options{AllowPrivate: true, AllowHTTP: true, MaxRedirects: -1})
	if _, err := none.GetActivity(ctx, srv.URL+"/r/1"); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("MaxRedirects -1: err = %v, want ErrTooManyRedirects", err)
	}
	for _, p := range []string{"/no-location", "/bad-location"} {
		if _, err := c.GetActivity(ctx, srv.URL+p); !errors.Is(err, ErrRedirectMalformed) {
			t.Errorf("%s: err = %v, want ErrRedirectMalformed", p, err)
		}
	}
}

// Every redirect target is checked like the first URL: with allow_http off,
// an https server cannot send the client to http://, nor to file:.
func TestRedirectTargetsAreChecked(t *testing.T) {
	plain := newServer(t, writeDoc)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, plain.URL+"/note", http.StatusFound)
		case "/to-file":
			w.Header().Set("Location", "file:///etc/passwd")
			w.WriteHeader(http.StatusFound)
		case "/to-gopher":
			w.Header().Set("Location", "gopher://"+r.Host+"/")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/to-userinfo":
			w.Header().Set("Location", "https://admin:secret@"+r.Host+"/note")
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "/to-self":
			http.Redirect(w, r, "/note", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "application/activity+json")
			fmt.Fprintf(w, `{"id": "https://%s%s"}`, r.Host, r.URL.Path)
		}
	}))
	t.Cleanup(tlsSrv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	c := newClient(t, Options{AllowPrivate: true, RootCAs: roots})

	if _, err := c.GetActivity(context.Background(), tlsSrv.URL+"/to-self"); err != nil {
		t.Fatalf("https redirect to https: %v", err)
	}
	for _, p := range []string{"/to-http", "/to-file", "/to-gopher", "/to-userinfo"} {
		_, err := c.GetActivity(context.Background(), tlsSrv.URL+p)
		if !isBlocked(err) {
			t.Errorf("%s: err = %v, want *BlockedError", p, err)
		}
	}
	if n := plain.hits.Load(); n != 0 {
		t.Errorf("the http server got %d requests, want 0", n)
	}
}

// A body over MaxBytes fails after MaxBytes+1 bytes, without the rest being
// read or buffered.
func TestBodyOverMaxBytesFails(t *testing.T) {
	const stream = 10 << 20
	const limit = 256 << 10
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		if r.URL.Query().Has("length") {
			w.Header().Set("Content-Length", fmt.Sprint(stream))
		}
		chunk := []byte(strings.Repeat("x", 32<<10))
		for sent := 0; sent < stream; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up, as it should
			}
		}
	})
	c := newClient(t, Options{AllowPrivate: true, AllowHTTP: true, MaxBytes: limit})
	for _, q := range []string{"", "?length"} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := c.GetActivity(context.Background(), srv.URL+"/big"+q)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || !Permanent(err) {
			t.Fatalf("%q: err = %v, want ErrTooLarge", q, err)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%q: %d bytes allocated", q, alloc)
		if alloc > 4*limit+(1<<20) {
			t.Errorf("%q: allocated %d bytes to refuse a %d-byte body over a %d-byte cap", q, alloc, stream, limit)
		}
		if _, err := c.GetJSON(context.Background(), srv.URL+"/big"+q); !errors.Is(err, ErrTooLarge) {
			t.Errorf("GetJSON %q: err = %v, want ErrTooLarge", q, err)
		}
	}

	// Exactly MaxBytes is fine.
	exact := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(strings.Repeat(" ", limit)))
	})
	if resp, err := c.GetJSON(context.Background(), exact.URL); err != nil || len(resp.Body) != limit {
		t.Errorf("a body of exactly MaxBytes: err = %v", err)
	}
}

// A server that never answers, or stops mid-body, fails the call within
// Timeout.
func TestHangingServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mid-body" {
			w.Header().Set("Content-Type", "application/activity+json")
			_, _ = w.Write([]byte(`{"id": "`))
			w.(http.Flusher).Flush()
		}
		<-release
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close, which waits for handlers

	const timeout = 300 * time.Millisecond
	c := newClient(t, Options{AllowPrivate: true, AllowHTTP: true, Timeout: timeout})
	calls := map[string]func() error{
		"GetActivity before headers": func() error { _, err := c.GetActivity(context.Background(), srv.URL+"/"); return err },
		"GetActivity mid-body":       func() error { _, err := c.GetActivity(context.Background(), srv.URL+"/mid-body"); return err },
		"GetJSON":                    func() error { _, err := c.GetJSON(context.Background(), srv.URL+"/"); return err },
		"Post": func() error {
			_, err := c.Post(context.Background(), srv.URL+"/inbox", []byte(`{}`), nil)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := call()
			elapsed := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want a deadline", err)
			}
			if Permanent(err) {
				t.Errorf("a timeout must be temporary: %v", err)
			}
			if elapsed < timeout || elapsed > timeout+2*time.Second {
				t.Errorf("failed after %s, want about %s", elapsed, timeout)
			}
		})
	}
}

func TestGetJSONIsUnsigned(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Signature") != "" || r.Header.Get("Authorization") != "":
			http.Error(w, "signed", http.StatusBadRequest)
		case r.Header.Get("Accept") != "application/jrd+json, application/json":
			http.Error(w, "Accept "+r.Header.Get("Accept"), http.StatusNotAcceptable)
		case r.URL.Path == "/.well-known/webfinger":
			w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
			_, _ = w.Write([]byte(`{"subject": "acct:alice@tocsin.test"}`))
		default:
			http.NotFound(w, r)
		}
	})
	c := newClient(t, loopback)
	resp, err := c.GetJSON(context.Background(), srv.URL+"/.well-known/webfinger?resource=acct:alice@tocsin.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp.Body), "acct:alice@tocsin.test") || resp.ContentType != "application/jrd+json; charset=utf-8" {
		t.Errorf("response %+v", resp)
	}
	_, err = c.GetJSON(context.Background(), srv.URL+"/.well-known/nodeinfo")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || !Permanent(err) {
		t.Errorf("404: err = %v, want a permanent *StatusError", err)
	}
}

// Many goroutines share one Client (and its signer) safely: run with -race.
func TestConcurrentFetches(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verifySigned(w, r, nil); ok {
			writeDoc(w, r)
		}
	})
	c := newClient(t, loopback)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			for j := range 4 {
				if _, err := c.GetActivity(context.Background(), fmt.Sprintf("%s/notes/%d-%d?page=%d", srv.URL, i, j, j)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
