package mastodon

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/federation/profile"
	"github.com/tocsin-network/tocsin/store"
	"github.com/tocsin-network/tocsin/tlp"
)

const (
	org       = base + "/users/elog"
	followers = org + "/followers"
	peerOrg1  = "https://peer.example/users/ceo"
	peerOrg2  = "https://other.example:8443/users/obs"
)

// publishedAlert is an alert at level l as the outbox stores it: the Note
// profile.AlertObject writes, in a store.Object, and its AlertRecord.
func publishedAlert(t *testing.T, l tlp.Level) (*store.Object, *store.AlertRecord) {
	t.Helper()
	seq := "01J9Z3F000000000000000000" + string(rune('0'+int(l)))
	a := &alert.Alert{
		URI: org + "/statuses/" + seq, Author: org,
		Title: "Kenya: ballot stuffing", Body: "Pre-filled ballots found in **Nairobi**.",
		Severity: alert.SeveritySevere, Confidence: alert.ConfidenceLikely, Category: alert.CategoryDisinformation,
		Countries: []string{"KE"}, Subdivisions: []string{"KE-30"},
		Election: alert.Election{Name: "General election 2027", Date: alert.Date{Year: 2027, Month: time.August, Day: 9}},
		TLP:      l, Status: alert.StatusActive,
		Published: time.Date(2027, 8, 1, 9, 30, 0, 0, time.UTC),
		Expires:   time.Date(2027, 8, 10, 18, 0, 0, 0, time.UTC),
		Sources:   []alert.Source{{URL: "https://news.example/ke", Title: "Nation"}},
		Language:  "en", Supersedes: org + "/statuses/01J9Z0",
	}
	var to, cc []string
	switch l {
	case tlp.Clear:
		to, cc = []string{ap.PublicIRI}, []string{followers}
	case tlp.Green:
		to = []string{followers}
	case tlp.Amber:
		a.Circle = "East Africa observers"
		to = []string{peerOrg1, peerOrg2}
	case tlp.AmberStrict:
		a.Recipients = []string{peerOrg1, peerOrg2}
		to = a.Recipients
	}
	a.Normalize()
	obj, err := profile.AlertObject(a, a.URI, a.Author, to, cc, func(n string) string { return base + "/tags/" + n })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ap.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	a.ID = seq
	o := &store.Object{IRI: a.URI, Seq: seq, Type: "Note", AttributedTo: org, Local: true, AccountID: elog().ID,
		Public: l == tlp.Clear, Raw: raw, Published: a.Published, Moderation: store.ModVisible}
	return o, &store.AlertRecord{IRI: a.URI, Seq: seq, Local: true, AccountID: elog().ID, Alert: *a, Moderation: store.ModVisible}
}

func TestAlertStatusCarriesTocsinFieldsAndTLPVisibility(t *testing.T) {
	author := conv.LocalAccount(elog(), AccountCounts{})
	for _, tt := range []struct {
		level tlp.Level
		want  string
	}{
		{tlp.Clear, "public"},
		{tlp.Green, "private"},
		{tlp.Amber, "direct"},
		{tlp.AmberStrict, "direct"},
	} {
		t.Run(tt.level.String(), func(t *testing.T) {
			o, rec := publishedAlert(t, tt.level)
			s, err := conv.Status(o, author, StatusOptions{Alert: rec})
			if err != nil {
				t.Fatal(err)
			}
			if s.Visibility != tt.want {
				t.Errorf("visibility = %s, want %s", s.Visibility, tt.want)
			}
			if str(s.Language) != "en" || s.SpoilerText != "" || s.Sensitive {
				t.Errorf("language %s spoiler %q sensitive %v", str(s.Language), s.SpoilerText, s.Sensitive)
			}
			var got map[string]any
			b, _ := json.Marshal(s)
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"severity": "severe", "confidence": "likely", "category": "disinformation",
				"countries": []any{"KE"}, "subdivisions": []any{"KE-30"},
				"election": map[string]any{"name": "General election 2027", "date": "2027-08-09"},
				"tlp":      tt.level.String(), "status": "active", "expires": "2027-08-10T18:00:00.000Z",
				"sources":    []any{map[string]any{"url": "https://news.example/ke", "title": "Nation"}},
				"supersedes": org + "/statuses/01J9Z0", "corroboration": nil,
			}
			tocsin, _ := got["tocsin"].(map[string]any)
			if len(tocsin) != len(want) {
				t.Errorf("tocsin has %d fields, want %d: %v", len(tocsin), len(want), tocsin)
			}
			for k, v := range want {
				if gb, wb := mustJSON(tocsin[k]), mustJSON(v); gb != wb {
					t.Errorf("tocsin.%s = %s, want %s", k, gb, wb)
				}
			}
			if len(s.Tags) == 0 {
				t.Errorf("an alert's category and country hashtags are lost")
			}
		})
	}
}

// An alert's TLP wins over addressing that would show it more widely.
func TestAlertVisibilityIsNeverWiderThanItsTLP(t *testing.T) {
	o, rec := publishedAlert(t, tlp.Clear)
	rec.Alert.TLP = tlp.Green // e.g. read as GREEN on arrival
	s, err := conv.Status(o, conv.LocalAccount(elog(), AccountCounts{}), StatusOptions{Alert: rec})
	if err != nil {
		t.Fatal(err)
	}
	if s.Visibility != "private" {
		t.Errorf("visibility = %s, want private", s.Visibility)
	}
	rec.Alert.TLP = 0 // invalid: fails closed
	if s, _ = conv.Status(o, s.Account, StatusOptions{Alert: rec}); s.Visibility != "direct" {
		t.Errorf("invalid TLP: visibility = %s, want direct", s.Visibility)
	}
}

func TestPlainStatusHasNoTocsinField(t *testing.T) {
	m := asJSON(t, sampleStatus(t)).(map[string]any)
	if _, ok := m["tocsin"]; ok {
		t.Errorf("a status that is no alert has a tocsin field")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
