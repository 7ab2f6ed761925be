package profile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
)

func practiceNote() *alert.PracticeNote {
	n := &alert.PracticeNote{
		URI:     org + "/statuses/01JA00",
		Author:  org,
		Title:   "Vérifier une rumeur : la méthode en 3 étapes",
		Summary: "How observers in Kenya and Côte d'Ivoire check a rumour before it spreads: source, place, time.",
		Body: "## Étape 1\nFind the **first** source.\n\n1. Search the text\n2. Ask the sender\n\n" +
			"See <https://guide.example/verify>.",
		Topics:    []string{"rumour verification", "voter education"},
		Countries: []string{"KE", "CI"},
		Language:  "fr",
		Published: published,
		Updated:   updated,
	}
	n.Normalize()
	return n
}

func TestPracticeNoteRoundTripsAsArticle(t *testing.T) {
	for _, create := range []bool{false, true} {
		want := practiceNote()
		obj, err := NoteObject(want, want.URI, want.Author, []string{ap.PublicIRI}, []string{followers}, tagURL)
		if err != nil {
			t.Fatal(err)
		}
		doc := obj
		if create {
			doc = ap.NewCreate(want.URI+"/activity", org, obj, []string{ap.PublicIRI}, []string{followers}, published)
		}
		b, err := ap.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		m := decodeJSON(t, b)
		if create {
			m = m["object"].(map[string]any)
		}
		if m["type"] != "Article" || m["name"] != want.Title || m["summary"] != want.Summary || m["tocsin:kind"] != "practice" {
			t.Errorf("Article = type %v, name %v, summary %v, kind %v", m["type"], m["name"], m["summary"], m["tocsin:kind"])
		}
		var names []string
		for _, tag := range m["tag"].([]any) {
			names = append(names, tag.(map[string]any)["name"].(string))
		}
		if got := strings.Join(names, " "); got != "#RumourVerification #VoterEducation #Kenya #CôteDIvoire" {
			t.Errorf("hashtags %q", got)
		}

		o := parseObject(t, b)
		if _, ok, err := ParseAlert(o); ok || err != nil {
			t.Errorf("a practice note is not an alert: ok %v, %v", ok, err)
		}
		got, ok, err := ParsePracticeNote(o)
		if !ok || err != nil {
			t.Fatalf("ParsePracticeNote = %v, %v", ok, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("note differs\n got: %+v\nwant: %+v", got, want)
		}
	}
}

func TestInvalidInboundPracticeNotesAreRefusedByField(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(o map[string]any)
		field string
	}{
		{"unknown country", func(o map[string]any) { o["tocsin:countries"] = []any{"XX"} }, "countries[0]"},
		{"topics not strings", func(o map[string]any) { o["tocsin:topics"] = []any{1, 2} }, "topics"},
		{"a Note", func(o map[string]any) { o["type"] = "Note" }, "type"},
		{"no title", func(o map[string]any) { delete(o, "name") }, "title"},
		{"no Markdown source", func(o map[string]any) { delete(o, "source") }, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := practiceNote()
			obj, err := NoteObject(n, n.URI, n.Author, []string{ap.PublicIRI}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ap.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeJSON(t, b)
			tt.edit(m)
			got, ok, err := ParsePracticeNote(parseObject(t, encodeJSON(t, m)))
			if !ok || got != nil || err == nil {
				t.Fatalf("ParsePracticeNote = %v, %v, %v; want refused", got, ok, err)
			}
			if _, named := problemsOf(t, err)[tt.field]; !named {
				t.Errorf("error %v does not name %q", err, tt.field)
			}
		})
	}
}

func TestNoteObjectRefusesAnInvalidNote(t *testing.T) {
	n := practiceNote()
	n.Title = ""
	if _, err := NoteObject(n, n.URI, n.Author, nil, nil, tagURL); err == nil {
		t.Fatal("want the validation error")
	} else if _, ok := problemsOf(t, err)["title"]; !ok {
		t.Errorf("error %v does not name title", err)
	}
}
