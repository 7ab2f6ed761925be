package ap

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// refused lists the fixtures Parse must refuse, and why. Everything else in
// testdata/fixtures must parse.
var refused = map[string]error{
	// Not ActivityStreams documents: WebFinger JRDs, NodeInfo, HTTP
	// signature test cases and FEP-8b32 signing parameters have no "type".
	"gotosocial/webfinger-jrd-split-account-domain.json":            ErrNoType,
	"gotosocial/webfinger-jrd.json":                                 ErrNoType,
	"hubzilla/webfinger-jrd-subject-without-domain-properties.json": ErrNoType,
	"lemmy/nodeinfo-2.0-no-services-no-metadata.json":               ErrNoType,
	"mastodon/httpsig-draft-cavage-cases.json":                      ErrNoType,
	"mastodon/httpsig-rfc9421-cases.json":                           ErrNoType,
	"mastodon/nodeinfo-2.0-mastodon.social.json":                    ErrNoType,
	"mastodon/webfinger-jrd.json":                                   ErrNoType,
	"peertube/webfinger-jrd-minimal.json":                           ErrNoType,
	"pleroma/nodeinfo-2.0-shitposter.club.json":                     ErrNoType,
	"pleroma/webfinger-jrd.json":                                    ErrNoType,
	"fep/fep-8b32-signing-params.json":                              ErrNoType,
	// A signing test vector: a transient Create without id. We apply each
	// activity id once, so an activity must have one.
	"fep/fep-8b32-create-signed-jcs-eddsa-2022.json": ErrNoID,
	// Pleroma's template with "https://{{DOMAIN}}/actor" ids: not a URL.
	// TestMastodonInstanceActor parses it with a real host filled in.
	"mastodon/actor-application-instance.json": ErrBadIRI,
}

// nonStandard are the fixtures whose top-level type go-fed does not know.
var nonStandard = map[string]bool{
	"pixelfed/story-object-nonstandard-type.json": true,
	"pleroma/emoji-react.json":                    true,
}

func TestEveryFixtureParsesOrIsRefusedForItsReason(t *testing.T) {
	n := 0
	err := filepath.WalkDir("testdata/fixtures", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		n++
		name := filepath.ToSlash(strings.TrimPrefix(path, filepath.Join("testdata", "fixtures")+string(filepath.Separator)))
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(raw)
			if want, ok := refused[name]; ok {
				if !errors.Is(err, want) {
					t.Fatalf("Parse error = %v, want %v", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if doc.Type() != m["type"] {
				t.Errorf("Type() = %q, want %q", doc.Type(), m["type"])
			}
			if id, _ := m["id"].(string); doc.ID() != id {
				t.Errorf("ID() = %q, want %q", doc.ID(), id)
			}
			if doc.Raw() == nil {
				t.Error("Raw() is nil")
			}
			if doc.Standard == nonStandard[name] {
				t.Errorf("Standard = %v, want %v", doc.Standard, !nonStandard[name])
			}
			if doc.Kind == KindActivity && doc.Activity.Actor == "" {
				t.Error("activity without actor")
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 80 {
		t.Fatalf("walked %d fixtures; is testdata/fixtures complete?", n)
	}
}

// fixture parses testdata/fixtures/name, failing the test on error.
func fixture(t *testing.T, name string) *Document {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return doc
}

// rawString is the string at a path of keys in the fixture, decoded
// independently of Parse.
func rawString(t *testing.T, name string, path ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path {
		v = v.(map[string]any)[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s %v is %T, not a string", name, path, v)
	}
	return s
}

func wantKind(t *testing.T, doc *Document, kind Kind, typ string) {
	t.Helper()
	if doc.Kind != kind || doc.Type() != typ {
		t.Fatalf("got %s %q, want %s %q", doc.Kind, doc.Type(), kind, typ)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantStrings(t *testing.T, field string, got []string, want ...string) {
	t.Helper()
	if !equalStrings(got, want) {
		t.Errorf("%s = %q, want %q", field, got, want)
	}
}
