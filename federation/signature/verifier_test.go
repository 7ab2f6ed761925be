package signature

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// createNote is a 2 KB-ish Create activity, the typical inbox POST.
var createNote = []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://remote.example/users/alice/statuses/1/activity","type":"Create","actor":"https://remote.example/users/alice","to":["https://www.w3.org/ns/activitystreams#Public"],"object":{"id":"https://remote.example/users/alice/statuses/1","type":"Note","content":"<p>` + strings.Repeat("Kenya: ballot stuffing reported in two polling stations. ", 30) + `</p>"}}`)

func TestSignedPOSTAndGETVerifyOverHTTP(t *testing.T) {
	k := testKeys()[0]
	srv := verifyingServer(t, &Verifier{Keys: newKeyStore(alicePublic(k))})
	s := aliceSigner(t, k)

	for _, tc := range []struct {
		name, method, target string
		body                 []byte
		wantHeaders          []string
	}{
		{"POST to inbox", http.MethodPost, "/users/bob/inbox", createNote, []string{"(request-target)", "host", "date", "digest"}},
		{"GET of a page", http.MethodGet, "/users/bob/outbox?page=true&min_id=01HZ", nil, []string{"(request-target)", "host", "date"}},
		{"GET of an escaped path", http.MethodGet, "/tags/%C3%A9lection", nil, []string{"(request-target)", "host", "date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, srv, tc.method, "tocsin.example", tc.target, tc.body)
			if err := s.Sign(r, tc.body, false); err != nil {
				t.Fatal(err)
			}
			status, body := send(t, r)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var res Result
			if err := json.Unmarshal([]byte(body), &res); err != nil {
				t.Fatal(err)
			}
			if res.KeyID != aliceKeyID || res.Owner != aliceActor || res.Algorithm != "rsa-sha256" || !slices.Equal(res.Headers, tc.wantHeaders) {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestSignSetsHeadersAndResignsOnRetry(t *testing.T) {
	k := testKeys()[0]
	s := aliceSigner(t, k)
	s.now = fixedClock(time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("CEST", 7200)))
	r, _ := http.NewRequest(http.MethodPost, "https://peer.example/inbox", nil)
	if err := s.Sign(r, []byte("Hello world"), false); err != nil {
		t.Fatal(err)
	}
	if r.Host != "peer.example" {
		t.Errorf("Host = %q", r.Host)
	}
	if got := r.Header.Get("Date"); got != "Wed, 01 May 2024 08:00:00 GMT" {
		t.Errorf("Date = %q", got)
	}
	if got := r.Header.Get("Digest"); got != "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=" {
		t.Errorf("Digest = %q", got)
	}
	first := r.Header.Get("Signature")
	if !strings.HasPrefix(first, `keyId="`+aliceKeyID+`",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="`) {
		t.Errorf("Signature = %q", first)
	}

	s.now = fixedClock(time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC))
	if err := s.Sign(r, []byte("Hello world"), false); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Header.Values("Signature")); n != 1 || r.Header.Get("Signature") == first {
		t.Errorf("re-signing left %d Signature headers, changed=%v", n, r.Header.Get("Signature") != first)
	}
	if n := len(r.Header.Values("Digest")); n != 1 {
		t.Errorf("re-signing left %d Digest headers", n)
	}
	if got := r.Header.Get("Date"); got != "Wed, 01 May 2024 11:00:00 GMT" {
		t.Errorf("re-signed Date = %q", got)
	}
}

func TestNewSignerRefusesUnusableInput(t *testing.T) {
	k := testKeys()[0]
	if _, err := NewSigner("", k); err == nil {
		t.Error("empty keyID accepted")
	}
	if _, err := NewSigner(`https://x.example/a"b`, k); err == nil {
		t.Error("keyID with a quote accepted")
	}
	if _, err := NewSigner(aliceKeyID, nil); err == nil {
		t.Error("nil key accepted")
	}
}

// setParam rewrites one quoted parameter of r's Signature header.
func setParam(r *http.Request, name, val string) {
	re := regexp.MustCompile(name + `="[^"]*"`)
	r.Header.Set("Signature", re.ReplaceAllLiteralString(r.Header.Get("Signature"), name+`="`+val+`"`))
}

func TestVerifyRefusesForgeries(t *testing.T) {
	good, other := testKeys()[0], testKeys()[1]
	s := aliceSigner(t, good)
	mallory, _ := NewSigner("https://remote.example/users/mallory#main-key", other)
	const inbox = "/users/bob/inbox"

	for _, tc := range []struct {
		name       string
		req        func(t *testing.T, r *http.Request) *http.Request // r: POST of createNote, unsigned
		wantStatus int
		wantReason string
		wantFetch  bool // whether the key was looked up: cheap refusals must not fetch
	}{
		{
			name:       "unsigned",
			req:        func(t *testing.T, r *http.Request) *http.Request { return r },
			wantStatus: 401, wantReason: "request is not signed",
		},
		{
			name: "unknown keyId",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, mallory.Sign(r, createNote, false))
				return r
			},
			wantStatus: 401, wantReason: "could not get key https://remote.example/users/mallory#main-key", wantFetch: true,
		},
		{
			name: "body changed after signing",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, []byte(`{"type":"Delete"}`), false))
				return r
			},
			wantStatus: 401, wantReason: "digest does not match body",
		},
		{
			name: "body and Digest changed after signing",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, []byte(`{"type":"Delete"}`), false))
				r.Header.Set("Digest", Digest(createNote))
				return r
			},
			wantStatus: 401, wantReason: "signature does not verify", wantFetch: true,
		},
		{
			name: "digest not in the signed headers",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.sign(r, createNote, false, []string{"(request-target)", "host", "date"}))
				return r
			},
			wantStatus: 401, wantReason: `signature does not cover "digest"`,
		},
		{
			name: "signed Digest header removed",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Del("Digest")
				return r
			},
			wantStatus: 401, wantReason: `signed header "digest" is missing`,
		},
		{
			name: "host not signed",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.sign(r, createNote, false, []string{"(request-target)", "date", "digest"}))
				return r
			},
			wantStatus: 401, wantReason: `signature does not cover "host"`,
		},
		{
			name: "only date signed (no headers parameter)",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Set("Signature", regexp.MustCompile(`headers="[^"]*",`).ReplaceAllString(r.Header.Get("Signature"), ""))
				return r
			},
			wantStatus: 401, wantReason: `signature does not cover "(request-target)"`,
		},
		{
			name: "stale Date (13h)",
			req: func(t *testing.T, r *http.Request) *http.Request {
				old := *s
				old.now = fixedClock(time.Now().Add(-13 * time.Hour))
				must(t, old.Sign(r, createNote, false))
				return r
			},
			wantStatus: 401, wantReason: "date outside window",
		},
		{
			name: "future Date (13h)",
			req: func(t *testing.T, r *http.Request) *http.Request {
				future := *s
				future.now = fixedClock(time.Now().Add(13 * time.Hour))
				must(t, future.Sign(r, createNote, false))
				return r
			},
			wantStatus: 401, wantReason: "date outside window",
		},
		{
			name: "Date changed after signing",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Set("Date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
				return r
			},
			wantStatus: 401, wantReason: "signature does not verify", wantFetch: true,
		},
		{
			name: "unparseable Date",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Set("Date", "yesterday")
				return r
			},
			wantStatus: 400, wantReason: "not an HTTP date",
		},
		{
			name: "wrong key",
			req: func(t *testing.T, r *http.Request) *http.Request {
				impostor := aliceSigner(t, other)
				must(t, impostor.Sign(r, createNote, false))
				return r
			},
			wantStatus: 401, wantReason: "signature does not verify", wantFetch: true,
		},
		{
			name: "path changed after signing",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.URL.Path = "/inbox"
				return r
			},
			wantStatus: 401, wantReason: "signature does not verify", wantFetch: true,
		},
		{
			name: "method changed after signing",
			req: func(t *testing.T, r *http.Request) *http.Request {
				r.Method, r.Body, r.ContentLength = http.MethodGet, http.NoBody, 0
				must(t, s.Sign(r, nil, false))
				r.Method = http.MethodDelete
				return r
			},
			wantStatus: 401, wantReason: "signature does not verify", wantFetch: true,
		},
		{
			name: "unsupported algorithm",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				setParam(r, "algorithm", "hmac-sha256")
				return r
			},
			wantStatus: 401, wantReason: `algorithm "hmac-sha256" is not accepted; use rsa-sha256 or hs2019`,
		},
		{
			name: "RFC 9421 only",
			req: func(t *testing.T, r *http.Request) *http.Request {
				r.Header.Set("Content-Digest", "sha-256=:"+strings.TrimPrefix(Digest(createNote), "SHA-256=")+":")
				r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=1703066400;keyid="`+aliceKeyID+`"`)
				r.Header.Set("Signature", "sig1=:c4jGY/PnOV4CwyvNnAmY6NLX0sf6EtbKu7kYseNARRZaq128PrP0GNQ4cd3XsX9cbMfJMw1ntI4zuEC81ncW8g+90OHP02bX0LkT57RweUtN4CSA01hRqSVe/MW32tjGixCiItvWqjNHoIZnZApu1bd+M3zMR+VCEue4/8a0D2eRrvfQxJUUBXZR1ZTRFlf1LNFDW3U7cuTbAKYr2zWVr7on+h2vA+vzEND9WE8z1SHd6SIFFgP0QRqrCXYx+vsTs3aLusTsamRWissoycJGexb64mI9iqiD8SD+uN1xk6iRU3nkUmhUquugjlOFyjxbbLo5ZnYjsECMt/BW+Catxw==:")
				return r
			},
			wantStatus: 401, wantReason: reasonRFC9421,
		},
		{
			name: "malformed: unterminated quote",
			req: func(t *testing.T, r *http.Request) *http.Request {
				r.Header.Set("Signature", `keyId="`+aliceKeyID+`,algorithm="rsa-sha256",signature="abc`)
				return r
			},
			wantStatus: 400, wantReason: "malformed Signature header",
		},
		{
			name: "malformed: no keyId",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "keyId=", "kid=", 1))
				return r
			},
			wantStatus: 400, wantReason: "malformed Signature header: no keyId parameter",
		},
		{
			name: "malformed: signature not base64",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				setParam(r, "signature", "not*base64!")
				return r
			},
			wantStatus: 400, wantReason: "signature parameter is not base64",
		},
		{
			name: "malformed: garbage",
			req: func(t *testing.T, r *http.Request) *http.Request {
				r.Header.Set("Signature", `,,=="keyId`)
				return r
			},
			wantStatus: 400, wantReason: "malformed Signature header",
		},
		{
			name: "malformed: two Signature headers",
			req: func(t *testing.T, r *http.Request) *http.Request {
				must(t, s.Sign(r, createNote, false))
				r.Header.Add("Signature", r.Header.Get("Signature"))
				return r
			},
			wantStatus: 400, wantReason: "sent more than once",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := newKeyStore(alicePublic(good))
			srv := verifyingServer(t, &Verifier{Keys: keys})
			r := tc.req(t, newRequest(t, srv, http.MethodPost, "tocsin.example", inbox, createNote))
			status, reason := send(t, r)
			if status != tc.wantStatus || !strings.Contains(reason, tc.wantReason) {
				t.Errorf("got %d %q, want %d %q", status, reason, tc.wantStatus, tc.wantReason)
			}
			if lookups, _ := keys.counts(); (lookups > 0) != tc.wantFetch {
				t.Errorf("key looked up %d times, want fetch=%v", lookups, tc.wantFetch)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefetchesRotatedKeyOnce(t *testing.T) {
	old, rotated := testKeys()[0], testKeys()[1]
	keys := newKeyStore(alicePublic(old))
	keys.fresh[aliceKeyID] = alicePublic(rotated)
	srv := verifyingServer(t, &Verifier{Keys: keys})
	s := aliceSigner(t, rotated)

	for i := range 2 {
		r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/inbox", createNote)
		must(t, s.Sign(r, createNote, false))
		if status, body := send(t, r); status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
	}
	// First request: cached (old) key, then one refresh. Second: the cache
	// now holds the rotated key, so no refresh.
	if lookups, refreshes := keys.counts(); lookups != 3 || refreshes != 1 {
		t.Errorf("lookups=%d refreshes=%d, want 3 and 1", lookups, refreshes)
	}
}

func TestVerifyRefreshesOnlyOnceWhenTheKeyIsWrong(t *testing.T) {
	keys := newKeyStore(alicePublic(testKeys()[0]))
	srv := verifyingServer(t, &Verifier{Keys: keys})
	r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/inbox", createNote)
	must(t, aliceSigner(t, testKeys()[1]).Sign(r, createNote, false))
	if status, body := send(t, r); status != http.StatusUnauthorized || body != reasonNoVerify {
		t.Fatalf("%d %s", status, body)
	}
	if lookups, refreshes := keys.counts(); lookups != 2 || refreshes != 1 {
		t.Errorf("lookups=%d refreshes=%d, want 2 and 1", lookups, refreshes)
	}
}

// olderMastodon verifies as Mastodon before 4.3 does: (request-target)
// without the query string.
func olderMastodon(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.RawQuery = ""
		h.ServeHTTP(w, r)
	})
}

func TestOmitQueryRetry(t *testing.T) {
	k := testKeys()[0]
	s := aliceSigner(t, k)
	v := &Verifier{Keys: newKeyStore(alicePublic(k))}
	const page = "/users/bob/outbox?page=true&max_id=01HZ"

	t.Run("older Mastodon refuses the query, accepts the retry without it", func(t *testing.T) {
		srv := verifyingServer(t, nil)
		srv.Config.Handler = olderMastodon(verifyHandler(v))
		r := newRequest(t, srv, http.MethodGet, "tocsin.example", page, nil)
		must(t, s.Sign(r, nil, false))
		if status, body := send(t, r); status != http.StatusUnauthorized || body != reasonNoVerify {
			t.Fatalf("signed with query: %d %s, want 401", status, body)
		}
		must(t, s.Sign(r, nil, true))
		if status, body := send(t, r); status != http.StatusOK {
			t.Fatalf("retry without query: %d %s", status, body)
		}
	})
	t.Run("we accept both forms", func(t *testing.T) {
		srv := verifyingServer(t, v)
		for _, omit := range []bool{false, true} {
			r := newRequest(t, srv, http.MethodGet, "tocsin.example", page, nil)
			must(t, s.Sign(r, nil, omit))
			if status, body := send(t, r); status != http.StatusOK {
				t.Errorf("omitQuery=%v: %d %s", omit, status, body)
			}
		}
	})
	t.Run("omitting the query does not let the path change", func(t *testing.T) {
		srv := verifyingServer(t, v)
		r := newRequest(t, srv, http.MethodGet, "tocsin.example", page, nil)
		must(t, s.Sign(r, nil, true))
		r.URL.Path = "/users/bob/followers"
		if status, body := send(t, r); status != http.StatusUnauthorized {
			t.Errorf("%d %s", status, body)
		}
	})
}

func TestCheckOwner(t *testing.T) {
	res := &Result{KeyID: aliceKeyID, Owner: aliceActor}
	if err := CheckOwner(res, aliceActor); err != nil {
		t.Errorf("owner refused: %v", err)
	}
	for _, actor := range []string{"https://remote.example/users/mallory", "", "https://evil.example/users/alice"} {
		var e *Error
		if err := CheckOwner(res, actor); !errors.As(err, &e) || e.Status != http.StatusUnauthorized || !strings.Contains(e.Reason, "not to the activity's actor") {
			t.Errorf("actor %q: %v", actor, err)
		}
	}
	if err := CheckOwner(nil, aliceActor); err == nil {
		t.Error("nil result accepted")
	}
}

func TestVerifyAcceptsAuthorizationHeader(t *testing.T) {
	k := testKeys()[0]
	srv := verifyingServer(t, &Verifier{Keys: newKeyStore(alicePublic(k))})
	r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/inbox", createNote)
	must(t, aliceSigner(t, k).Sign(r, createNote, false))
	r.Header.Set("Authorization", "Signature "+r.Header.Get("Signature"))
	r.Header.Del("Signature")
	if status, body := send(t, r); status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
}

func TestVerifyCreatedAndExpires(t *testing.T) {
	k := testKeys()[0]
	now := time.Now()
	for _, tc := range []struct {
		name       string
		verifyAt   time.Time
		wantStatus int
		wantReason string
	}{
		{"fresh", now, 200, ""},
		{"expired over an hour ago", now.Add(2 * time.Hour), 401, "signature expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifyingServer(t, &Verifier{Keys: newKeyStore(alicePublic(k)), Now: fixedClock(tc.verifyAt)})
			hs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
				[]string{httpsig.RequestTarget, "host", "date", "digest", "(created)", "(expires)"}, httpsig.Signature, 60)
			must(t, err)
			r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/inbox", createNote)
			r.Header.Set("Host", r.Host)
			r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
			must(t, hs.SignRequest(k, aliceKeyID, r, createNote))
			if !strings.Contains(r.Header.Get("Signature"), "expires=") {
				t.Fatalf("no expires parameter: %s", r.Header.Get("Signature"))
			}
			if status, body := send(t, r); status != tc.wantStatus || !strings.Contains(body, tc.wantReason) {
				t.Errorf("%d %s", status, body)
			}
		})
	}
}

// go-fed/httpsig is what GoToSocial signs and verifies with: each side must
// accept the other's signatures.
func TestInteropWithGoFedHTTPSig(t *testing.T) {
	rsaKey := testKeys()[0]
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)

	for _, tc := range []struct {
		name string
		alg  httpsig.Algorithm
		priv any
		pub  *PublicKey
	}{
		{"hs2019 RSA", httpsig.RSA_SHA256, rsaKey, alicePublic(rsaKey)},
		{"hs2019 Ed25519", httpsig.ED25519, edPriv, &PublicKey{ID: aliceKeyID, Owner: aliceActor, Key: edPub}},
	} {
		t.Run("httpsig signs "+tc.name+", we verify", func(t *testing.T) {
			srv := verifyingServer(t, &Verifier{Keys: newKeyStore(tc.pub)})
			hs, _, err := httpsig.NewSigner([]httpsig.Algorithm{tc.alg}, httpsig.DigestSha256,
				[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
			must(t, err)
			r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/users/bob/inbox", createNote)
			r.Header.Set("Host", r.Host) // httpsig reads Host from Header
			r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			must(t, hs.SignRequest(tc.priv, aliceKeyID, r, createNote))
			status, body := send(t, r)
			if status != http.StatusOK || !strings.Contains(body, `"Algorithm":"hs2019"`) {
				t.Fatalf("%d %s", status, body)
			}
		})
	}

	t.Run("we sign, httpsig verifies", func(t *testing.T) {
		srv := verifyingServer(t, nil)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hv, err := httpsig.NewVerifier(r)
			if err == nil {
				err = hv.Verify(&rsaKey.PublicKey, httpsig.RSA_SHA256)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
			}
		})
		for _, target := range []string{"/users/bob/inbox", "/users/bob/outbox?page=2"} {
			var body []byte
			method := http.MethodGet
			if strings.HasSuffix(target, "inbox") {
				body, method = createNote, http.MethodPost
			}
			r := newRequest(t, srv, method, "tocsin.example", target, body)
			must(t, aliceSigner(t, rsaKey).Sign(r, body, false))
			if status, msg := send(t, r); status != http.StatusOK {
				t.Errorf("%s %s: %d %s", method, target, status, msg)
			}
		}
	})
}

func TestVerifyRefusesAlgorithmThatDoesNotFitTheKey(t *testing.T) {
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	srv := verifyingServer(t, &Verifier{Keys: newKeyStore(&PublicKey{ID: aliceKeyID, Owner: aliceActor, Key: edPub})})
	hs, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.ED25519}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	must(t, err)
	r := newRequest(t, srv, http.MethodPost, "tocsin.example", "/inbox", createNote)
	r.Header.Set("Host", r.Host)
	r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	must(t, hs.SignRequest(edPriv, aliceKeyID, r, createNote))
	setParam(r, "algorithm", "rsa-sha256")
	if status, body := send(t, r); status != http.StatusUnauthorized || !strings.Contains(body, "does not fit key") {
		t.Fatalf("%d %s", status, body)
	}
}

func TestVerifyWithoutResolverIsAServerError(t *testing.T) {
	k := testKeys()[0]
	r, _ := http.NewRequest(http.MethodGet, "https://tocsin.example/users/bob", nil)
	must(t, aliceSigner(t, k).Sign(r, nil, false))
	var e *Error
	if _, err := (&Verifier{}).Verify(context.Background(), r, nil); !errors.As(err, &e) || e.Status != http.StatusInternalServerError {
		t.Fatalf("%v", err)
	}
}

func TestSignerIsSafeForConcurrentUse(t *testing.T) {
	k := testKeys()[0]
	s := aliceSigner(t, k)
	srv := verifyingServer(t, &Verifier{Keys: newKeyStore(alicePublic(k))})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			// No t.Fatal off the test goroutine: report through errs.
			r, err := http.NewRequest(http.MethodPost, srv.URL+"/inbox", bytes.NewReader(createNote))
			if err == nil {
				err = s.Sign(r, createNote, false)
			}
			if err == nil {
				var resp *http.Response
				if resp, err = http.DefaultClient.Do(r); err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = errors.New(resp.Status)
					}
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
