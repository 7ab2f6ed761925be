package mastodon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/store"
)

// The fixture world: this instance is tocsin.example, whose organisation
// account elog publishes alerts.
const base = "https://tocsin.example"

var (
	fixedNow = time.Date(2027, 8, 3, 12, 0, 0, 0, time.UTC)
	conv     = &Converter{URLs: federation.URLs{Base: base}, Now: func() time.Time { return fixedNow }}
)

func elog() *store.Account {
	return &store.Account{
		ID: "01J9Z2Q7X6A0B1C2D3E4F5G6H7", Username: "elog", Kind: "organization", Role: "member",
		DisplayName: "Election Observers <League>", Summary: `<p>We watch elections. <a href="https://elog.example">elog.example</a></p>`,
		ManuallyApprovesFollowers: true, Discoverable: true,
		CreatedAt: time.Date(2026, 1, 15, 17, 42, 9, 0, time.UTC),
	}
}

func readFile(t *testing.T, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	commentLine   = regexp.MustCompile(`(?m)^\s*//.*$`)
	trailingComma = regexp.MustCompile(`,(\s*[}\]])`)
)

// example decodes a documented example from testdata/entities, dropping the
// documentation's "// ..." lines from .jsonc files.
func example(t *testing.T, name string) any {
	t.Helper()
	b := readFile(t, "entities", name)
	if strings.HasSuffix(name, ".jsonc") {
		b = commentLine.ReplaceAll(b, nil)
		b = trailingComma.ReplaceAll(b, []byte("$1"))
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// asJSON encodes v and decodes it into plain JSON values.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// shapeRules relax the comparison for what Mastodon documents: paths
// (like "account.fields[].verified_at") that are nullable, where ours may be
// null while the example has a value, and paths that are optional,
// deprecated or removed, which ours may lack.
type shapeRules struct {
	nullable, optional []string
}

func (r shapeRules) has(list []string, path string) bool {
	for _, p := range list {
		if p == path {
			return true
		}
	}
	return false
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

// sameShape reports every key of want missing from got, and every value
// whose JSON type differs. A null in want accepts any value. Elements of
// arrays are compared each against each when both have some.
func sameShape(t *testing.T, path string, want, got any, r shapeRules) {
	t.Helper()
	if want == nil {
		return
	}
	if got == nil {
		if !r.has(r.nullable, path) {
			t.Errorf("%s: got null, the documentation has %s", show(path), kind(want))
		}
		return
	}
	if kind(want) != kind(got) {
		t.Errorf("%s: got %s, the documentation has %s", show(path), kind(got), kind(want))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			p := join(path, k)
			gv, ok := g[k]
			if !ok {
				if !r.has(r.optional, p) {
					t.Errorf("%s: missing", show(p))
				}
				continue
			}
			sameShape(t, p, wv, gv, r)
		}
	case []any:
		for _, we := range w {
			for _, ge := range got.([]any) {
				sameShape(t, path+"[]", we, ge, r)
			}
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func show(path string) string {
	if path == "" {
		return "(top)"
	}
	return path
}

// object reads a fixture the way the inbox stores it: the object (embedded
// in a Create or Update, or the whole document), re-encoded with ap.Marshal.
func object(t *testing.T, name, seq string) *store.Object {
	t.Helper()
	doc, err := ap.Parse(readFile(t, "activitypub", name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	o := doc.Object
	if doc.Kind == ap.KindActivity {
		if doc.Activity.Object == nil {
			return activityRecord(t, doc.Activity, seq)
		}
		o = doc.Activity.Object
	}
	raw, err := ap.Marshal(o.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return &store.Object{
		IRI: o.ID, Seq: seq, Type: o.Type, AttributedTo: o.AttributedTo, InReplyTo: o.InReplyTo,
		Raw: raw, Published: o.Published, Updated: o.Updated, Moderation: store.ModVisible,
	}
}

func activityRecord(t *testing.T, a *ap.Activity, seq string) *store.Object {
	t.Helper()
	raw, err := ap.Marshal(a.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return &store.Object{IRI: a.ID, Seq: seq, Type: a.Type, AttributedTo: a.Actor, Target: a.ObjectIRI, Raw: raw, Published: a.Published}
}

// remoteActor reads an actor fixture as the store keeps it.
func remoteActor(t *testing.T, name string) *store.RemoteActor {
	t.Helper()
	raw := readFile(t, "activitypub", name)
	doc, err := ap.Parse(raw)
	if err != nil || doc.Actor == nil {
		t.Fatalf("%s: %v", name, err)
	}
	a := doc.Actor
	return &store.RemoteActor{
		IRI: a.ID, Type: a.Type, Host: acctHost(a.ID), PreferredUsername: a.PreferredUsername, Name: a.Name,
		URL: a.URL, Inbox: a.Inbox, SharedInbox: a.SharedInbox, Followers: a.Followers,
		ManuallyApproves: a.ManuallyApprovesFollowers, Raw: raw, FetchedAt: fixedNow,
	}
}

func ptr[T any](v T) *T { return &v }
