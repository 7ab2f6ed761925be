package signature

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// Compare with ../shared/ceilings (same run): BenchmarkSign with
// RSA2048Sign and HTTPSigSignPOST_RSA, BenchmarkVerify with
// HTTPSigVerifyPOST_RSA, BenchmarkVerifyParallel with its Parallel variant.

func BenchmarkSign(b *testing.B) {
	s := aliceSigner(b, testKeys()[0])
	body := createNote
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r, _ := http.NewRequest(http.MethodPost, "https://other.example/users/bob/inbox", nil)
		if err := s.Sign(r, body, false); err != nil {
			b.Fatal(err)
		}
	}
}

// signedInboxPOST signs one inbox POST and returns a function that builds it
// afresh as a server sees it (Host in r.Host, not in Header).
func signedInboxPOST(b *testing.B) func() *http.Request {
	k := testKeys()[0]
	out, _ := http.NewRequest(http.MethodPost, "https://other.example/users/bob/inbox", nil)
	if err := aliceSigner(b, k).Sign(out, createNote, false); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("/users/bob/inbox")
	return func() *http.Request {
		return &http.Request{Method: http.MethodPost, URL: u, Host: "other.example", Header: out.Header.Clone()}
	}
}

func BenchmarkVerify(b *testing.B) {
	v := &Verifier{Keys: newKeyStore(alicePublic(testKeys()[0]))}
	req := signedInboxPOST(b)
	b.SetBytes(int64(len(createNote)))
	for b.Loop() {
		if _, err := v.Verify(context.Background(), req(), createNote); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	v := &Verifier{Keys: newKeyStore(alicePublic(testKeys()[0]))}
	req := signedInboxPOST(b)
	b.SetBytes(int64(len(createNote)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(context.Background(), req(), createNote); err != nil {
				b.Fatal(err)
			}
		}
	})
}
