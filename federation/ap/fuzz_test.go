package ap

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that what it accepts is
// coherent. Seeds: every file in testdata.
func FuzzParse(f *testing.F) {
	_ = filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".json" {
			if b, err := os.ReadFile(path); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
	f.Add([]byte(`{"type":"Create","id":"https://a.example/1","actor":["https://a.example/u"],"object":[{"type":"Note","to":[[]]}]}`))
	f.Add([]byte(`{"@context":[{"a":"b","b":"a"},[[["x"]]]],"type":"a:b","id":"http://x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		if doc.Type() == "" || doc.Raw() == nil {
			t.Fatalf("accepted without type or raw: %s", raw)
		}
		if doc.Kind == KindActivity && doc.Activity.Actor == "" {
			t.Fatalf("activity without actor: %s", raw)
		}
		_ = doc.Expand("content")
		if doc.Object != nil {
			_ = doc.Object.ExtensionsIn(TocsinNS)
		}
	})
}
