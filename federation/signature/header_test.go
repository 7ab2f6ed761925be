package signature

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestParseSignatureHeader(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		keyID, alg   string
		headers      []string
		created      int64
		wantErr      string
		wantSigBytes int
	}{
		{
			name:  "Mastodon",
			in:    `keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAEC"`,
			keyID: "https://a.example/users/x#main-key", alg: "rsa-sha256",
			headers: []string{"(request-target)", "host", "date", "digest"}, wantSigBytes: 3,
		},
		{
			name:  "spaces around separators, mixed-case names, unquoted created",
			in:    ` KeyId = "k" , Algorithm="HS2019",  created=1703066400, headers="(Request-Target)  Host (created)",signature="AAEC" `,
			keyID: "k", alg: "hs2019", headers: []string{"(request-target)", "host", "(created)"}, created: 1703066400, wantSigBytes: 3,
		},
		{
			name:  "comma inside a quoted keyId, escaped quote, unknown parameter",
			in:    `keyId="https://a.example/k?a=1,b=\"2\"",foo="bar, baz",signature="AAEC"`,
			keyID: `https://a.example/k?a=1,b="2"`, headers: []string{"date"}, wantSigBytes: 3,
		},
		{
			name:  "no headers parameter means date",
			in:    `keyId="k",signature="AAEC"`,
			keyID: "k", headers: []string{"date"}, wantSigBytes: 3,
		},
		{name: "signature without padding", in: `keyId="k",signature="AAECAw"`, keyID: "k", headers: []string{"date"}, wantSigBytes: 4},
		{name: "empty", in: ``, wantErr: "no parameters"},
		{name: "only commas", in: ` , ,`, wantErr: "no parameters"},
		{name: "no keyId", in: `signature="AAEC"`, wantErr: "no keyId"},
		{name: "empty keyId", in: `keyId="",signature="AAEC"`, wantErr: "no keyId"},
		{name: "no signature", in: `keyId="k"`, wantErr: "no signature"},
		{name: "bad base64", in: `keyId="k",signature="@@@"`, wantErr: "not base64"},
		{name: "name without value", in: `keyId`, wantErr: "has no value"},
		{name: "unterminated quote", in: `keyId="k,signature="AAEC`, wantErr: "unexpected"},
		{name: "unterminated last quote", in: `keyId="k",signature="AAEC`, wantErr: "unterminated"},
		{name: "junk after quoted value", in: `keyId="k"x,signature="AAEC"`, wantErr: "unexpected"},
		{name: "repeated parameter", in: `keyId="k",keyId="j",signature="AAEC"`, wantErr: "appears twice"},
		{name: "empty headers", in: `keyId="k",headers="",signature="AAEC"`, wantErr: "empty headers"},
		{name: "created not a number", in: `keyId="k",created=soon,signature="AAEC"`, wantErr: "not a Unix time"},
		{name: "created negative", in: `keyId="k",created=-5,signature="AAEC"`, wantErr: "not a Unix time"},
		{name: "RFC 9421 dictionary", in: `sig1=:AAEC:`, wantErr: "no keyId"},
		{name: "overlong value", in: `keyId="` + strings.Repeat("a", maxParamLen+1) + `",signature="AAEC"`, wantErr: "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseSignatureHeader(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.keyID != tc.keyID || p.algorithm != tc.alg || !slices.Equal(p.headers, tc.headers) || p.createdAt != tc.created || len(p.signature) != tc.wantSigBytes {
				t.Errorf("got %+v", p)
			}
		})
	}
}

func TestParseExpiresWithFraction(t *testing.T) {
	p, err := parseSignatureHeader(`keyId="k",created=1402170695,expires=1402170699.5,signature="AAEC"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.expiresAt != 1402170699 || p.expires != "1402170699.5" {
		t.Errorf("expires %d %q", p.expiresAt, p.expires)
	}
}

func TestCheckDigest(t *testing.T) {
	body := []byte("Hello world")
	for _, tc := range []struct {
		name, header string
		status       int
	}{
		{"SHA-256", "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=", 0},
		{"lower-case algorithm", "sha-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=", 0},
		{"SHA-512", "SHA-512=t/eDuu2Cl/DbkXRiGE/08I5pwtXl95qUJgD5cl9Yzh8pwYE5v4CwbA//K900c4RS7PQMSIwip+PYDN9vnBwNRw==", 0},
		{"both, and an unknown one", "MD5=PiWWCnnbxptnTNTsZ6csYg==, SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=,SHA-512=t/eDuu2Cl/DbkXRiGE/08I5pwtXl95qUJgD5cl9Yzh8pwYE5v4CwbA//K900c4RS7PQMSIwip+PYDN9vnBwNRw==", 0},
		{"one of two wrong", "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=,SHA-512=AAAA", http.StatusUnauthorized},
		{"wrong", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", http.StatusUnauthorized},
		{"only unsupported algorithms", "MD5=PiWWCnnbxptnTNTsZ6csYg==", http.StatusUnauthorized},
		{"no equals sign", "SHA-256", http.StatusBadRequest},
		{"not base64", "SHA-256=%%%", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := checkDigest(tc.header, body)
			if (e == nil && tc.status != 0) || (e != nil && e.Status != tc.status) {
				t.Errorf("got %v, want status %d", e, tc.status)
			}
		})
	}
	if d := Digest(nil); checkDigest(d, []byte{}) != nil || d != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("empty body digest %q", d)
	}
}
