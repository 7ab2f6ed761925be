package profile

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTallyLineReadsAsPeopleSayIt(t *testing.T) {
	for _, c := range []struct {
		t    Tally
		want string
	}{
		{Tally{}, ""},
		{Tally{Confirmed: 1}, "Confirmed by 1 network"},
		{Tally{Confirmed: 2}, "Confirmed by 2 networks"},
		{Tally{Confirmed: 2, Disputed: 1}, "Confirmed by 2 networks, disputed by 1"},
		{Tally{Disputed: 1}, "Disputed by 1 network"},
		{Tally{Seen: 3}, "Seen by 3 networks"},
		{Tally{Confirmed: 1, Disputed: 2, Seen: 4}, "Confirmed by 1 network, disputed by 2, seen by 4"},
	} {
		if got := c.t.Line(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.t, got, c.want)
		}
	}
}

func TestCorroborateEditsTheStatusLineOfEveryLanguage(t *testing.T) {
	content := "<p>TLP:CLEAR · Status: active</p><p>SEVERE · Disinformation · Kenya: x</p>"
	obj := map[string]any{"content": content, "contentMap": map[string]any{"en": content}}
	Corroborate(obj, "https://a.example/s/1/sightings", Tally{Confirmed: 2, Disputed: 1})
	want := "<p>TLP:CLEAR · Status: active · Confirmed by 2 networks, disputed by 1</p><p>SEVERE"
	if c := obj["content"].(string); !strings.HasPrefix(c, want) {
		t.Errorf("content %q", c)
	}
	if c := obj["contentMap"].(map[string]any)["en"].(string); c != obj["content"] {
		t.Errorf("contentMap differs from content: %q", c)
	}
	b, _ := json.Marshal(obj["tocsin:sightings"])
	if string(b) != `{"id":"https://a.example/s/1/sightings","tocsin:confirmed":2,"tocsin:disputed":1,"tocsin:seen":0,"totalItems":3,"type":"OrderedCollection"}` {
		t.Errorf("tocsin:sightings %s", b)
	}
	tally, collection, ok := PeerTally(map[string]json.RawMessage{"tocsin:sightings": b})
	if !ok || tally != (Tally{Confirmed: 2, Disputed: 1}) || collection != "https://a.example/s/1/sightings" {
		t.Errorf("read back %+v %q %v", tally, collection, ok)
	}
}

func TestTranslateAddsLanguagesAndCredits(t *testing.T) {
	obj := map[string]any{"content": "<p>x</p>", "name": "Title", "contentMap": map[string]any{"en": "<p>x</p>"}}
	Translate(obj, []Translated{{TranslationCredit: TranslationCredit{Language: "fr", AttributedTo: "https://b.example/users/org", ID: "https://b.example/t/1"},
		Name: "Titre", Content: "<p>y</p>"}})
	cm := obj["contentMap"].(map[string]any)
	nm := obj["nameMap"].(map[string]any)
	if cm["en"] != "<p>x</p>" || cm["fr"] != "<p>y</p>" || obj["content"] != "<p>x</p>" || nm["en"] != "Title" || nm["fr"] != "Titre" {
		t.Errorf("maps %v %v", cm, nm)
	}
	if _, ok := obj["summaryMap"]; ok {
		t.Error("a translation added summaryMap: Mastodon would show a content warning")
	}
	b, _ := json.Marshal(obj["tocsin:translations"])
	if string(b) != `[{"attributedTo":"https://b.example/users/org","id":"https://b.example/t/1","language":"fr"}]` {
		t.Errorf("credits %s", b)
	}
}
