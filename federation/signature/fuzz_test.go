package signature

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzParseSignatureHeader feeds arbitrary Signature headers to the parser
// and to Verify: neither may panic, and a refusal is always a 400 or 401.
func FuzzParseSignatureHeader(f *testing.F) {
	for _, seed := range []string{
		`keyId="https://remote.domain/users/bob#main-key",algorithm="rsa-sha256",headers="date host (request-target)",signature="Z8ilar3J7bOwqZkMp7sL8sRs4B1FT+UorbmvWoE+A5UeoOJ3KBcUmbsh+k3wQwbP5gMNUrra9rEWabpasZGphLsbDxfbsWL3Cf0PllAc7c1c7AFEwnewtExI83/qqgEkfWc2z7UDutXc2NfgAx89Ox8DXU/fA2GG0jILjB6UpFyNugkY9rg6oI31UnvfVi3R7sr3/x8Ea3I9thPvqI2byF6cojknSpDAwYzeKdngX3TAQEGzFHz3SDWwyp3jeMWfwvVVbM38FxhvAnSumw7YwWW4L7M7h4M68isLimoT3yfCn2ucBVL5Dz8koBpYf/40w7QidClAwCafZQFC29yDOg=="`,
		`keyId="k",algorithm="hs2019",created=1703066400,expires=1703066460.5,headers="(request-target) host date (created) (expires)",signature="AAEC"`,
		`keyId="a,b=\"c\"",signature="AAEC"`,
		`sig1=:AAEC:`,
		`keyId="k`,
		`=,=,"`,
		``,
	} {
		f.Add(seed)
	}
	k := testKeys()[0]
	v := &Verifier{
		Keys: newKeyStore(&PublicKey{ID: "k", Owner: aliceActor, Key: &k.PublicKey},
			&PublicKey{ID: "https://remote.domain/users/bob#main-key", Owner: aliceActor, Key: &k.PublicKey}),
		Now: fixedClock(time.Date(2023, 12, 20, 10, 0, 0, 0, time.UTC)),
	}
	f.Fuzz(func(t *testing.T, header string) {
		p, err := parseSignatureHeader(header)
		if err == nil && (p.keyID == "" || len(p.signature) == 0 || len(p.headers) == 0) {
			t.Fatalf("accepted without keyId, signature or headers: %+v", p)
		}
		r := httptest.NewRequest("GET", "http://www.example.com/activitypub/success?foo=42", nil)
		r.Header.Set("Date", "Wed, 20 Dec 2023 10:00:00 GMT")
		r.Header.Set("Signature", header)
		if _, err := v.Verify(context.Background(), r, nil); err != nil {
			e, ok := err.(*Error)
			if !ok || (e.Status != 400 && e.Status != 401) || strings.TrimSpace(e.Reason) == "" {
				t.Fatalf("refusal %#v", err)
			}
		}
	})
}
