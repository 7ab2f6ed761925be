package integrity

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
)

// corpus is every JSON payload the project keeps as a fixture (real
// servers' documents), as sent and as Go's encoder rewrites them.
func corpus(t testing.TB) [][]byte {
	t.Helper()
	var docs [][]byte
	root := "../ap/testdata/fixtures"
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs = append(docs, b)
		var v any
		if json.Unmarshal(b, &v) == nil {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(v) == nil {
				docs = append(docs, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alert-object.json", "w3c-eddsa-jcs-2022-credential.json", "mitra-create-note-fep8b32-proof.json"} {
		docs = append(docs, readFixture(t, name))
	}
	return docs
}

// The fast path is sound: what isCanonical accepts, the canonicaliser
// leaves byte for byte; and it is taken for what our encoder and the
// canonicaliser write.
func TestCanonicalFastPathAgreesWithJCS(t *testing.T) {
	docs := corpus(t)
	if len(docs) < 100 {
		t.Fatalf("only %d documents", len(docs))
	}
	accepted := 0
	for _, b := range docs {
		canon, err := jcs.Transform(b)
		if isCanonical(b) {
			accepted++
			if err != nil || !bytes.Equal(canon, b) {
				t.Errorf("accepted as canonical but JCS gives (%v)\n%s\n%s", err, canon, b)
			}
		}
		if err == nil && !isCanonical(canon) && asciiKeys(canon) {
			t.Errorf("JCS output not recognised as canonical:\n%s", canon)
		}
	}
	if accepted == 0 {
		t.Error("the fast path never applies")
	}
	signed, err := Sign(readFixture(t, "alert-object.json"), newKey(t, "https://observers.example/users/kenya_watch"), time.Now())
	if err != nil || !isCanonical(signed) {
		t.Errorf("a signed alert takes the slow path: %v", err)
	}
}

func asciiKeys(b []byte) bool {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !plainASCII(k) || !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	return walk(v)
}

func TestCanonicalFastPathRefusesNonCanonicalText(t *testing.T) {
	for _, s := range []string{
		`{"b":1,"a":2}`, `{"a":1,"a":1}`, `{ "a":1}`, `{"a":1.0}`, `{"a":1E3}`, `{"a":01}`, `{"a":-0}`,
		`{"a":"\u003c"}`, `{"a":"\/"}`, `{"a":"\u001F"}`, `{"a":"\u0008"}`, `{"a":"\u2028"}`, "{\"a\":\"\xff\"}",
		`{"a":1e400}`, `{"é":1}`, `[1,]`, `{"a":tru}`, `{"a":1}x`,
	} {
		if isCanonical([]byte(s)) {
			t.Errorf("%s accepted as canonical", s)
		}
	}
	for _, s := range []string{`{}`, `[]`, `{"a":[1,"x",null,true,false,{"b":-1.5}],"b":"\u001f\n"}`, `1e+21`, "\"é\u2028\""} {
		if !isCanonical([]byte(s)) {
			t.Errorf("%s refused", s)
		}
	}
}

func FuzzCanonicalFastPath(f *testing.F) {
	for _, b := range corpus(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !isCanonical(b) {
			return
		}
		if canon, err := jcs.Transform(b); err != nil || !bytes.Equal(canon, b) {
			t.Fatalf("accepted as canonical but JCS gives (%v)\n%q\n%q", err, canon, b)
		}
	})
}
