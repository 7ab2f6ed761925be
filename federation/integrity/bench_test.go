package integrity

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// The proof benchmarks sign and verify a real alert object as ap.Marshal
// writes it (testdata/alert-object.json, 3.4 kB, made by profile.AlertObject);
// the Ed25519 ones sign and verify the same bytes raw. Proof overhead is
// RFC 8785 canonicalisation (skipped when the text already is canonical,
// as ap.Marshal's is), two SHA-256 and the proof's own JSON. Compare
// cpu-ns/op: on a shared machine ns/op counts the neighbours' work too.

func benchKey(b *testing.B) Key {
	b.Helper()
	_, priv, _ := fixtureParams(b)
	return Key{ID: "https://observers.example/users/kenya_watch#ed25519-key", Controller: "https://observers.example/users/kenya_watch", Private: priv}
}

func BenchmarkProofSign(b *testing.B) {
	raw, key := readFixture(b, "alert-object.json"), benchKey(b)
	now := time.Now()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	reportCPU(b)
	for b.Loop() {
		if _, err := Sign(raw, key, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProofVerify(b *testing.B) {
	raw, key := readFixture(b, "alert-object.json"), benchKey(b)
	signed, err := Sign(raw, key, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	lookup := lookupOf(key)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	reportCPU(b)
	for b.Loop() {
		if _, err := Verify(signed, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519Sign(b *testing.B) {
	raw, key := readFixture(b, "alert-object.json"), benchKey(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	reportCPU(b)
	for b.Loop() {
		ed25519.Sign(key.Private, raw)
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	raw, key := readFixture(b, "alert-object.json"), benchKey(b)
	sig := ed25519.Sign(key.Private, raw)
	pub := key.Private.Public().(ed25519.PublicKey)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	reportCPU(b)
	for b.Loop() {
		if !ed25519.Verify(pub, raw, sig) {
			b.Fatal("does not verify")
		}
	}
}
