package alert

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/tlp"
)

var published = time.Date(2027, 8, 1, 9, 30, 0, 0, time.UTC)

// validAlert returns a complete, valid TLP:GREEN alert; tests break it.
func validAlert() *Alert {
	return &Alert{
		ID:           "01J9Z3",
		URI:          "https://tocsin.example/users/elog/statuses/01J9Z3",
		Author:       "https://tocsin.example/users/elog",
		Title:        "Fake polling-station changes sent by SMS",
		Body:         "Voters in **Nairobi** receive SMS claiming their station moved. See [the IEBC notice](https://iebc.example/notice).",
		Severity:     SeveritySevere,
		Confidence:   ConfidenceObserved,
		Category:     CategoryDisinformation,
		Countries:    []string{"KE"},
		Subdivisions: []string{"KE-30"},
		Election:     Election{Name: "Kenya general election", Date: Date{2027, time.August, 9}},
		TLP:          tlp.Green,
		Status:       StatusActive,
		Published:    published,
		Expires:      time.Date(2027, 8, 10, 0, 0, 0, 0, time.UTC),
		Sources:      []Source{{URL: "https://news.example/sms", Title: "Report"}},
		Language:     "en",
	}
}

// problemsOf returns the field -> message map of a *ValidationError, failing
// the test for any other error.
func problemsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is %T, want *ValidationError", err, err)
	}
	m := map[string]string{}
	for _, p := range ve.Problems {
		if _, dup := m[p.Field]; dup {
			t.Errorf("field %q reported twice: %q and %q", p.Field, m[p.Field], p.Message)
		}
		m[p.Field] = p.Message
	}
	return m
}

func TestValidAlertPasses(t *testing.T) {
	a := validAlert()
	if err := a.Validate(); err != nil {
		t.Fatalf("valid alert: %v", err)
	}
	for _, l := range []tlp.Level{tlp.Clear, tlp.Green} {
		a := validAlert()
		a.TLP = l
		if err := a.Validate(); err != nil {
			t.Errorf("%v alert: %v", l, err)
		}
	}
}

func TestEveryBadFieldIsReportedAtOnce(t *testing.T) {
	a := validAlert()
	a.Title = strings.Repeat("x", MaxTitleLen+1)
	a.Body = ""
	a.Severity = "catastrophic"
	a.Confidence = ""
	a.Category = "fraud"
	a.Countries = []string{"KE", "XX"}
	a.Subdivisions = []string{"KE-999"}
	a.Election = Election{Name: "General", Date: Date{2027, time.February, 30}}
	a.TLP = tlp.Level(9)
	a.Status = "pending"
	a.Expires = published.Add(-time.Hour)
	a.Sources = []Source{{URL: "https://ok.example"}, {URL: "javascript:alert(1)"}}
	a.Language = "english"
	a.Supersedes = "not a url"

	got := problemsOf(t, a.Validate())
	want := []string{
		"title", "body", "severity", "confidence", "category", "countries[1]",
		"subdivisions[0]", "election.date", "tlp", "status", "expires",
		"sources[1].url", "language", "supersedes",
	}
	for _, f := range want {
		if _, ok := got[f]; !ok {
			t.Errorf("no problem reported for %q", f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(got), len(want), got)
	}
	for f, m := range got {
		if m == "" {
			t.Errorf("%s: empty message", f)
		}
	}
}

func TestValidationErrorIsAnInvalidInputError(t *testing.T) {
	a := validAlert()
	a.Title = ""
	err := a.Validate()
	if code := tocsin.ErrorCode(err); code != tocsin.EINVALID {
		t.Fatalf("ErrorCode = %q, want %q", code, tocsin.EINVALID)
	}
	var te *tocsin.Error
	if !errors.As(err, &te) || len(te.Fields) != 1 || te.Fields[0].Field != "title" {
		t.Fatalf("tocsin.Error = %+v", te)
	}
	if !strings.Contains(err.Error(), "title: is required") {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestFieldRules(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(a *Alert)
		field  string
	}{
		{"title required", func(a *Alert) { a.Title = "  " }, "title"},
		{"title one line", func(a *Alert) { a.Title = "a\nb" }, "title"},
		{"title 200 characters, not bytes", func(a *Alert) { a.Title = strings.Repeat("é", 201) }, "title"},
		{"body too long", func(a *Alert) { a.Body = strings.Repeat("a", MaxBodyLen+1) }, "body"},
		{"no countries", func(a *Alert) { a.Countries = nil; a.Subdivisions = nil }, "countries"},
		{"lower-case country", func(a *Alert) { a.Countries, a.Subdivisions = []string{"ke"}, nil }, "countries[0]"},
		{"duplicate country", func(a *Alert) { a.Countries = []string{"KE", "KE"} }, "countries[1]"},
		{"subdivision outside countries", func(a *Alert) { a.Subdivisions = []string{"UG-102"} }, "subdivisions[0]"},
		{"lower-case subdivision", func(a *Alert) { a.Subdivisions = []string{"ke-30"} }, "subdivisions[0]"},
		{"election date without name", func(a *Alert) { a.Election.Name = "" }, "election.name"},
		{"published required", func(a *Alert) { a.Published = time.Time{} }, "published"},
		{"updated before published", func(a *Alert) { a.Updated = published.Add(-time.Second) }, "updated"},
		{"expires equal to published", func(a *Alert) { a.Expires = published }, "expires"},
		{"source without URL", func(a *Alert) { a.Sources = []Source{{Title: "x"}} }, "sources[0].url"},
		{"source ftp", func(a *Alert) { a.Sources = []Source{{URL: "ftp://x.example/f"}} }, "sources[0].url"},
		{"source relative", func(a *Alert) { a.Sources = []Source{{URL: "/path"}} }, "sources[0].url"},
		{"source with password", func(a *Alert) { a.Sources = []Source{{URL: "https://u:p@x.example/"}} }, "sources[0].url"},
		{"too many sources", func(a *Alert) { a.Sources = slices.Repeat([]Source{{URL: "https://x.example"}}, MaxSources+1) }, "sources"},
		{"language required", func(a *Alert) { a.Language = "" }, "language"},
		{"unknown language", func(a *Alert) { a.Language = "xx" }, "language"},
		{"tlp required", func(a *Alert) { a.TLP = 0 }, "tlp"},
		{"supersedes itself", func(a *Alert) { a.Supersedes = a.URI }, "supersedes"},
		{"bad author", func(a *Alert) { a.Author = "elog" }, "author"},
		{"amber without circle", func(a *Alert) { a.TLP = tlp.Amber }, "circle"},
		{"circle on green", func(a *Alert) { a.Circle = "east-africa" }, "circle"},
		{"amber+strict without recipients", func(a *Alert) { a.TLP = tlp.AmberStrict }, "recipients"},
		{"recipients on green", func(a *Alert) { a.Recipients = []string{"https://peer.example/users/org"} }, "recipients"},
		{"red without recipients", func(a *Alert) { a.TLP = tlp.Red }, "recipients"},
		{"red to a remote account", func(a *Alert) {
			a.TLP = tlp.Red
			a.Recipients = []string{"https://tocsin.example/users/amina", "https://peer.example/users/org"}
		}, "recipients[1]"},
		{"red without author", func(a *Alert) {
			a.TLP, a.Author = tlp.Red, ""
			a.Recipients = []string{"https://tocsin.example/users/amina"}
		}, "author"},
		{"recipient not an IRI", func(a *Alert) { a.TLP = tlp.AmberStrict; a.Recipients = []string{"@org@peer.example"} }, "recipients[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validAlert()
			tt.break_(a)
			got := problemsOf(t, a.Validate())
			if _, ok := got[tt.field]; !ok || len(got) != 1 {
				t.Fatalf("problems %v, want exactly one on %q", got, tt.field)
			}
		})
	}
}

func TestAudienceFieldsThatFitPass(t *testing.T) {
	tests := []func(a *Alert){
		func(a *Alert) { a.TLP, a.Circle = tlp.Amber, "east-africa" },
		func(a *Alert) {
			a.TLP, a.Recipients = tlp.AmberStrict, []string{"https://peer.example/users/org", "https://other.example/actor"}
		},
		func(a *Alert) {
			a.TLP, a.Recipients = tlp.Red, []string{"https://tocsin.example/users/amina", "https://TOCSIN.example/users/joe"}
		},
	}
	for i, fix := range tests {
		a := validAlert()
		fix(a)
		if err := a.Validate(); err != nil {
			t.Errorf("%d: %v", i, err)
		}
	}
}

func TestCountryAndSubdivisionCodes(t *testing.T) {
	tests := []struct {
		countries, subdivisions []string
		ok                      bool
	}{
		{[]string{"KE"}, nil, true},
		{[]string{"KE"}, []string{"KE-30"}, true},
		{[]string{"KE", "UG"}, []string{"KE-30", "UG-102"}, true},
		{[]string{"XK"}, nil, true}, // Kosovo, added to ISO 3166-1
		{[]string{"XX"}, nil, false},
		{[]string{"ke"}, nil, false},
		{[]string{"KEN"}, nil, false},
		{[]string{"KE"}, []string{"KE-999"}, false},
		{[]string{"KE"}, []string{"KE"}, false},
		{[]string{"KE"}, []string{"ke-30"}, false},
		{[]string{"UG"}, []string{"KE-30"}, false},
	}
	for _, tt := range tests {
		a := validAlert()
		a.Countries, a.Subdivisions = tt.countries, tt.subdivisions
		if err := a.Validate(); (err == nil) != tt.ok {
			t.Errorf("countries %v subdivisions %v: err %v, want ok=%v", tt.countries, tt.subdivisions, err, tt.ok)
		}
	}
}

func TestNormalizeTidiesInput(t *testing.T) {
	a := validAlert()
	a.Title = "  Fake   polling\nstations  "
	a.Body = "line one\r\nline two\r\n"
	a.BodyHTML = ""
	a.Severity, a.Confidence, a.Category, a.Status = "SEVERE", " Likely", "#CyberIncident", ""
	a.Countries = []string{" ke", "KE", "ug"}
	a.Subdivisions = []string{"ke-30", "tz-01", "KE-30"}
	a.Recipients = []string{" https://x.example/a ", "https://x.example/a"}
	a.Sources = []Source{{URL: " https://a.example "}, {}, {URL: "", Title: " "}}
	a.Language = "EN-gb"
	a.Published = published.In(time.FixedZone("EAT", 3*3600))
	a.Normalize()

	if a.Title != "Fake polling stations" {
		t.Errorf("Title = %q", a.Title)
	}
	if a.Body != "line one\nline two" || !strings.Contains(a.BodyHTML, "line one<br") {
		t.Errorf("Body = %q, BodyHTML = %q", a.Body, a.BodyHTML)
	}
	if a.Severity != SeveritySevere || a.Confidence != ConfidenceLikely || a.Category != CategoryCyberIncident || a.Status != StatusActive {
		t.Errorf("enums = %q %q %q %q", a.Severity, a.Confidence, a.Category, a.Status)
	}
	if !reflect.DeepEqual(a.Countries, []string{"KE", "UG", "TZ"}) {
		t.Errorf("Countries = %q (subdivision's country added at the end)", a.Countries)
	}
	if !reflect.DeepEqual(a.Subdivisions, []string{"KE-30", "TZ-01"}) {
		t.Errorf("Subdivisions = %q", a.Subdivisions)
	}
	if !reflect.DeepEqual(a.Recipients, []string{"https://x.example/a"}) {
		t.Errorf("Recipients = %q", a.Recipients)
	}
	if !reflect.DeepEqual(a.Sources, []Source{{URL: "https://a.example"}}) {
		t.Errorf("Sources = %q", a.Sources)
	}
	if a.Language != "en-GB" || a.Published.Location() != time.UTC || !a.Published.Equal(published) {
		t.Errorf("Language %q Published %v", a.Language, a.Published)
	}
	a.Recipients = nil
	if err := a.Validate(); err != nil {
		t.Errorf("normalised alert: %v", err)
	}
}

func TestNormalizeKeepsUnknownValuesForValidate(t *testing.T) {
	a := validAlert()
	a.Severity, a.Category = "apocalyptic", "fraud"
	a.Normalize()
	if a.Severity != "apocalyptic" || a.Category != "fraud" {
		t.Fatalf("unknown values rewritten: %q %q", a.Severity, a.Category)
	}
	got := problemsOf(t, a.Validate())
	if _, ok := got["severity"]; !ok {
		t.Error("severity not reported")
	}
}

func TestAlertJSONRoundTrip(t *testing.T) {
	a := validAlert()
	a.Normalize()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"tlp":"GREEN"`, `"date":"2027-08-09"`, `"severity":"severe"`, `"countries":["KE"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if strings.Contains(string(b), `"updated"`) {
		t.Errorf("zero Updated encoded: %s", b)
	}
	var back Alert
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, *a)
	}
}
