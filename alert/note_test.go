package alert

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func validNote() *PracticeNote {
	return &PracticeNote{
		URI:       "https://tocsin.example/users/elog/articles/01J9Z4",
		Author:    "https://tocsin.example/users/elog",
		Title:     "Verifying a polling-station rumour in ten minutes",
		Summary:   "A checklist our observers use before escalating.",
		Body:      "1. Call the returning officer\n2. Check the IEBC portal",
		Topics:    []string{"verification", "observer safety"},
		Countries: []string{"KE"},
		Language:  "en",
		Published: published,
	}
}

func TestValidNotePasses(t *testing.T) {
	if err := validNote().Validate(); err != nil {
		t.Fatal(err)
	}
	n := validNote()
	n.Countries, n.Topics, n.Summary = nil, nil, "" // general guidance
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNoteReportsEveryProblemAtOnce(t *testing.T) {
	n := validNote()
	n.Title = ""
	n.Summary = strings.Repeat("s", MaxSummaryLen+1)
	n.Body = " "
	n.Topics = []string{"ok", "!!!", "OK"}
	n.Countries = []string{"KE", "XX"}
	n.Language = "english"
	n.Updated = published.Add(-time.Hour)
	n.Author = "ftp://x.example"
	got := problemsOf(t, n.Validate())
	want := []string{"title", "summary", "body", "topics[1]", "topics[2]", "countries[1]", "language", "updated", "author"}
	for _, f := range want {
		if _, ok := got[f]; !ok {
			t.Errorf("no problem reported for %q", f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(got), len(want), got)
	}
}

func TestNoteNormalize(t *testing.T) {
	n := validNote()
	n.Title = " Verifying\n rumours "
	n.Topics = []string{" voter  education", "Voter Education", "", "verification"}
	n.Countries = []string{"ke", "KE", "ug"}
	n.Language = "sw-ke"
	n.Normalize()
	if n.Title != "Verifying rumours" || !reflect.DeepEqual(n.Topics, []string{"voter education", "verification"}) ||
		!reflect.DeepEqual(n.Countries, []string{"KE", "UG"}) || n.Language != "sw-KE" || !strings.Contains(n.BodyHTML, "<ol>") {
		t.Errorf("normalised note: %+v", n)
	}
	if err := n.Validate(); err != nil {
		t.Error(err)
	}
}
