package signature

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// httpsigFixture is the shape of testdata/httpsig-*-cases.json (see
// testdata/README.md): Mastodon's own signature_verification_spec cases.
type httpsigFixture struct {
	VerifyAt time.Time `json:"verifyAt"`
	Key      struct {
		KeyID      string `json:"keyId"`
		Actor      string `json:"actor"`
		PrivatePEM string `json:"privateKeyPem_from_source"`
		PublicPEM  string `json:"publicKeyPem_derived_from_private_key"`
	} `json:"key"`
	Cases []struct {
		Name          string            `json:"name"`
		Method        string            `json:"method"`
		Path          string            `json:"path"` // draft-cavage cases
		URL           string            `json:"url"`  // RFC 9421 cases
		Body          *string           `json:"body"`
		Headers       map[string]string `json:"headers"`
		SigningString string            `json:"derived_signingString"`
		Expect        string            `json:"expect"`
	} `json:"cases"`
}

func loadFixture(t *testing.T, name string) (*httpsigFixture, *keyStore) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f httpsigFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(f.Key.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &f, newKeyStore(&PublicKey{ID: f.Key.KeyID, Owner: f.Key.Actor, Key: pub})
}

// Our outcome for each of Mastodon's draft-cavage cases. Mastodon's verdict
// ("expect") must agree on valid/invalid; the reason is ours.
var draftCavageWant = map[string]struct {
	status int
	reason string
}{
	"GET, valid":                   {200, ""},
	"GET with query string, valid": {200, ""},
	"GET with query string, signature computed WITHOUT the query (Mastodon compatibility quirk)": {200, ""},
	"mismatching query string": {401, reasonNoVerify},
	// A POST must sign digest, so this refusal comes before the signature
	// check; TestVerifyRefusesForgeries covers a changed method on its own.
	"mismatching method":                                       {401, `signature does not cover "digest"`},
	"request older than a day":                                 {401, "date outside window"},
	"POST with Digest, valid":                                  {200, ""},
	"POST whose Digest header is not covered by the signature": {401, `signature does not cover "digest"`},
}

func TestMastodonDraftCavageCases(t *testing.T) {
	f, keys := loadFixture(t, "httpsig-draft-cavage-cases.json")
	srv := verifyingServer(t, &Verifier{Keys: keys, Now: fixedClock(f.VerifyAt)})
	if len(f.Cases) != len(draftCavageWant) {
		t.Errorf("fixture has %d cases, the table %d: decide the outcome of each new case", len(f.Cases), len(draftCavageWant))
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			want, ok := draftCavageWant[c.Name]
			if !ok {
				t.Fatalf("no expected outcome for fixture case %q (Mastodon: %s)", c.Name, c.Expect)
			}
			if mastodonValid := strings.HasPrefix(c.Expect, "valid"); mastodonValid != (want.status == 200) {
				t.Fatalf("table disagrees with Mastodon's verdict %q", c.Expect)
			}
			var body []byte
			if c.Body != nil {
				body = []byte(*c.Body)
			}
			r := newRequest(t, srv, c.Method, c.Headers["Host"], c.Path, body)
			for k, v := range c.Headers {
				if k != "Host" {
					r.Header.Set(k, v)
				}
			}
			status, reason := send(t, r)
			if status != want.status || !strings.Contains(reason, want.reason) {
				t.Errorf("got %d %q, want %d %q", status, reason, want.status, want.reason)
			}
		})
	}
}

// The signing strings we build match the ones the collector derived (and
// verified), and signing them with Mastodon's test key reproduces Mastodon's
// signatures byte for byte (RSA PKCS#1 v1.5 is deterministic).
func TestMastodonDraftCavageSigningStrings(t *testing.T) {
	f, _ := loadFixture(t, "httpsig-draft-cavage-cases.json")
	priv, err := ParsePrivateKeyPEM(f.Key.PrivatePEM)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(f.Key.KeyID, priv)
	if err != nil {
		t.Fatal(err)
	}
	s.now = fixedClock(f.VerifyAt)
	for _, c := range f.Cases {
		if c.SigningString == "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			p, err := parseSignatureHeader(c.Headers["Signature"])
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(c.Method, "http://"+c.Headers["Host"]+c.Path, nil)
			for k, v := range c.Headers {
				r.Header.Set(k, v)
			}
			omitQuery := !strings.Contains(c.SigningString, "?") && strings.Contains(c.Path, "?")
			got, err := signingString(r, p, requestTarget(r, omitQuery))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.SigningString {
				t.Errorf("signing string\n got %q\nwant %q", got, c.SigningString)
			}

			var body []byte
			if c.Body != nil {
				body = []byte(*c.Body)
			}
			signed := httptest.NewRequest(c.Method, "http://"+c.Headers["Host"]+c.Path, nil)
			if err := s.sign(signed, body, omitQuery, p.headers); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(c.Headers["Signature"], quotedParam(signed, "signature")) {
				t.Errorf("our signature %s\nis not Mastodon's %s", signed.Header.Get("Signature"), c.Headers["Signature"])
			}
		})
	}
}

// quotedParam returns `name="value"` from r's Signature header.
func quotedParam(r *http.Request, name string) string {
	p, err := splitParams(r.Header.Get("Signature"))
	if err != nil {
		return err.Error()
	}
	return name + `="` + p[strings.ToLower(name)] + `"`
}

// RFC 9421 signatures are refused, valid or not, with a reason that names
// draft-cavage so that double-knocking senders (Fedify) retry with it.
func TestMastodonRFC9421CasesAreRefusedWithFallbackHint(t *testing.T) {
	f, keys := loadFixture(t, "httpsig-rfc9421-cases.json")
	srv := verifyingServer(t, &Verifier{Keys: keys, Now: fixedClock(f.VerifyAt)})
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			u, err := url.Parse(c.URL)
			if err != nil {
				t.Fatal(err)
			}
			var body []byte
			if c.Body != nil {
				body = []byte(*c.Body)
			}
			r := newRequest(t, srv, c.Method, c.Headers["Host"], u.RequestURI(), body)
			for k, v := range c.Headers {
				if k != "Host" {
					r.Header.Set(k, v)
				}
			}
			status, reason := send(t, r)
			if status != http.StatusUnauthorized || reason != reasonRFC9421 {
				t.Errorf("got %d %q", status, reason)
			}
			if !strings.Contains(reason, "draft-cavage") {
				t.Errorf("reason %q does not name the accepted scheme", reason)
			}
			if lookups, _ := keys.counts(); lookups != 0 {
				t.Errorf("looked up a key for an RFC 9421 request")
			}
		})
	}
}
