package ap

import (
	"encoding/json"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExpandTerm(t *testing.T) {
	tests := []struct {
		name, context, key, want string
	}{
		{"our prefix", `["https://www.w3.org/ns/activitystreams",{"tocsin":"https://w3id.org/tocsin/ns#"}]`, "tocsin:severity", TocsinNS + "severity"},
		{"a peer's own prefix for our namespace", `["https://www.w3.org/ns/activitystreams",{"x":"https://w3id.org/tocsin/ns#"}]`, "x:severity", TocsinNS + "severity"},
		{"plain term via a prefix", `["https://www.w3.org/ns/activitystreams",{"ews":"https://w3id.org/tocsin/ns#","severity":"ews:severity"}]`, "severity", TocsinNS + "severity"},
		{"plain term with @id", `["https://www.w3.org/ns/activitystreams",{"sev":{"@id":"https://w3id.org/tocsin/ns#severity","@type":"@id"}}]`, "sev", TocsinNS + "severity"},
		{"term defined in a second inline map", `["https://www.w3.org/ns/activitystreams",{"t":"https://w3id.org/tocsin/ns#"},{"tlp":"t:tlp"}]`, "tlp", TocsinNS + "tlp"},
		{"@vocab", `{"@vocab":"https://w3id.org/tocsin/ns#"}`, "category", TocsinNS + "category"},
		{"ActivityStreams term", `"https://www.w3.org/ns/activitystreams"`, "content", ASNS + "content"},
		{"as: prefix", `"https://www.w3.org/ns/activitystreams"`, "as:sensitive", ASNS + "sensitive"},
		{"no @context assumes ActivityStreams", ``, "inReplyTo", ASNS + "inReplyTo"},
		{"Mastodon term", `["https://www.w3.org/ns/activitystreams",{"toot":"http://joinmastodon.org/ns#","discoverable":"toot:discoverable"}]`, "discoverable", TootNS + "discoverable"},
		{"security term", `["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"]`, "publicKey", SecurityNS + "publicKey"},
		{"redefined AS term", `["https://www.w3.org/ns/activitystreams",{"sc":"http://schema.org#","location":{"@id":"sc:location"}}]`, "location", "http://schema.org#location"},
		{"undefined term", `"https://www.w3.org/ns/activitystreams"`, "severity", ""},
		{"undefined prefix stays an IRI", `"https://www.w3.org/ns/activitystreams"`, "x:severity", "x:severity"},
		{"absolute IRI", `"https://www.w3.org/ns/activitystreams"`, "https://w3id.org/tocsin/ns#tlp", TocsinNS + "tlp"},
		{"keyword", `"https://www.w3.org/ns/activitystreams"`, "@id", "@id"},
		{"term set to null", `["https://www.w3.org/ns/activitystreams",{"content":null}]`, "content", ""},
		{"definitions that loop", `{"a":"b","b":"a"}`, "a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"type":"Note"}`
			if tt.context != "" {
				doc = `{"@context":` + tt.context + `,"type":"Note"}`
			}
			if got := ExpandTerm(decode(t, doc), tt.key); got != tt.want {
				t.Errorf("ExpandTerm(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestExtensionsInFindsOurNamespaceWhateverThePrefix(t *testing.T) {
	for _, doc := range []string{
		`{"@context":["https://www.w3.org/ns/activitystreams",{"tocsin":"https://w3id.org/tocsin/ns#"}],
		  "id":"https://a.example/n/1","type":"Note","tocsin:severity":"high","tocsin:countries":["KE"]}`,
		`{"@context":["https://www.w3.org/ns/activitystreams",{"ews":"https://w3id.org/tocsin/ns#"}],
		  "id":"https://a.example/n/1","type":"Note","ews:severity":"high","ews:countries":["KE"]}`,
		`{"@context":["https://www.w3.org/ns/activitystreams",{"ews":"https://w3id.org/tocsin/ns#","severity":"ews:severity","countries":{"@id":"ews:countries","@container":"@set"}}],
		  "id":"https://a.example/n/1","type":"Note","severity":"high","countries":["KE"]}`,
	} {
		d, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		ext := d.Object.ExtensionsIn(TocsinNS)
		if string(ext["severity"]) != `"high"` || string(ext["countries"]) != `["KE"]` || len(ext) != 2 {
			t.Errorf("ExtensionsIn = %q for %s", ext, doc)
		}
	}
	// An embedded object reads the enclosing document's @context.
	d, err := Parse([]byte(`{"@context":["https://www.w3.org/ns/activitystreams",{"z":"https://w3id.org/tocsin/ns#"}],
		"id":"https://a.example/c/1","type":"Create","actor":"https://a.example/u",
		"object":{"id":"https://a.example/n/1","type":"Note","z:tlp":"CLEAR"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(d.Activity.Object.ExtensionsIn(TocsinNS)["tlp"]); got != `"CLEAR"` {
		t.Errorf("embedded tlp = %q", got)
	}
}
