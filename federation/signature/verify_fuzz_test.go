package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// FuzzVerifyRequest fuzzes the whole signed-request front of the inbox:
// method, target, Host, Date, Digest and Signature headers and the body,
// starting from Mastodon's draft-cavage cases and requests we sign. Verify
// must never panic, must refuse with a 400 or 401 and a reason, and must
// never accept what its key holder did not sign: an accepted request has
// the method, target, host, date and digest of one that was really signed,
// and a body that matches its Digest.
func FuzzVerifyRequest(f *testing.F) {
	raw, err := os.ReadFile("testdata/httpsig-draft-cavage-cases.json")
	if err != nil {
		f.Fatal(err)
	}
	var fx httpsigFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		f.Fatal(err)
	}
	bobKey, err := ParsePublicKeyPEM(fx.Key.PublicPEM)
	if err != nil {
		f.Fatal(err)
	}
	alice := testKeys()[0]
	v := &Verifier{
		Keys: newKeyStore(&PublicKey{ID: fx.Key.KeyID, Owner: fx.Key.Actor, Key: bobKey}, alicePublic(alice)),
		Now:  fixedClock(fx.VerifyAt),
	}
	// signed holds what was really signed: method, target, host, date and
	// digest ("" when not signed).
	signed := map[string]bool{}
	tuple := func(method, target, host, date, digest string) string {
		return strings.Join([]string{strings.ToUpper(method), target, strings.ToLower(host), date, digest}, "\x00")
	}
	for _, c := range fx.Cases {
		var body []byte
		if c.Body != nil {
			body = []byte(*c.Body)
		}
		h := c.Headers
		f.Add(c.Method, c.Path, h["Host"], h["Date"], h["Digest"], h["Signature"], body)
		if c.Expect == "valid" {
			signed[tuple(c.Method, c.Path, h["Host"], h["Date"], h["Digest"])] = true
		}
	}
	signer, err := NewSigner(aliceKeyID, alice)
	if err != nil {
		f.Fatal(err)
	}
	signer.now = fixedClock(fx.VerifyAt)
	for _, s := range []struct {
		method, target string
		body           []byte
	}{
		{"POST", "/inbox", []byte(`{"type":"Create","actor":"https://remote.example/users/alice"}`)},
		{"POST", "/users/org/inbox?x=1", []byte(`{}`)},
		{"GET", "/users/org", nil},
		{"POST", "/inbox", []byte{}},
	} {
		r := httptest.NewRequest(s.method, "https://tocsin.test"+s.target, bytes.NewReader(s.body))
		if err := signer.Sign(r, s.body, false); err != nil {
			f.Fatal(err)
		}
		f.Add(s.method, s.target, r.Host, r.Header.Get("Date"), r.Header.Get("Digest"), r.Header.Get("Signature"), s.body)
		signed[tuple(s.method, s.target, r.Host, r.Header.Get("Date"), r.Header.Get("Digest"))] = true
	}

	f.Fuzz(func(t *testing.T, method, target, host, date, digest, sig string, body []byte) {
		if !validMethod(method) || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") ||
			host == "" || strings.ContainsAny(host, "/ \r\n\t@?#\\") {
			return // not an HTTP request a server could receive
		}
		if _, err := url.ParseRequestURI("http://tocsin.test" + target); err != nil {
			return
		}
		r := httptest.NewRequest(method, "http://tocsin.test"+target, bytes.NewReader(body))
		r.Host = host
		for k, val := range map[string]string{"Date": date, "Digest": digest, "Signature": sig} {
			if val != "" {
				r.Header.Set(k, val)
			}
		}
		res, err := v.Verify(context.Background(), r, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Status != 400 && e.Status != 401) || strings.TrimSpace(e.Reason) == "" {
				t.Fatalf("refusal %T %#v: want *Error, 400 or 401, with a reason", err, err)
			}
			return
		}
		if res == nil || res.KeyID == "" || res.Owner == "" {
			t.Fatalf("accepted without saying who signed: %+v", res)
		}
		// The target may also have been signed without its query, which
		// Verify accepts by design (as Mastodon does).
		ok := false
		for _, tg := range []string{r.URL.RequestURI(), r.URL.EscapedPath()} {
			// A body must come with the digest that was signed.
			ok = ok || signed[tuple(method, tg, host, date, digest)] || (len(body) == 0 && signed[tuple(method, tg, host, date, "")])
		}
		if !ok {
			t.Fatalf("accepted a request nobody signed: %s %s host %q date %q digest %q signature %q", method, target, host, date, digest, sig)
		}
		if len(body) > 0 {
			sum := sha256.Sum256(body)
			if !strings.Contains(digest, base64.StdEncoding.EncodeToString(sum[:])) {
				t.Fatalf("accepted a body that does not match its Digest %q", digest)
			}
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
