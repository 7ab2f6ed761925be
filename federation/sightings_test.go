package federation

import (
	"strings"
	"testing"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/federation/ap"
)

func TestSightingsAreReadWhateverPrefixThePeerGivesOurNamespace(t *testing.T) {
	raw := `{"@context": ["https://www.w3.org/ns/activitystreams", {"x": "https://w3id.org/tocsin/ns#", "verdict": "x:verdict"}],
		"id": "https://b.example/users/org/activities/1", "type": "x:Sighting", "actor": "https://b.example/users/org",
		"object": "https://a.example/users/org/statuses/1", "verdict": "disputed", "x:count": 3,
		"x:where": "KE-30", "x:firstSeen": "2027-08-01T08:00:00Z", "x:lastSeen": "2027-08-02T08:00:00Z",
		"content": "<p>Photos from <script>alert(1)</script>2017.</p>"}`
	doc, err := ap.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !IsTocsinType(doc, doc.Activity.Type, TypeSighting) {
		t.Fatalf("type %q not read as tocsin:Sighting", doc.Activity.Type)
	}
	s, _, err := ParseSighting(doc)
	if err != nil {
		t.Fatal(err)
	}
	if s.Verdict != "disputed" || s.Count != 3 || len(s.Where) != 1 || s.Where[0] != "KE-30" || s.FirstSeen.IsZero() ||
		strings.Contains(s.Content, "script") || !strings.Contains(s.Content, "2017") {
		t.Errorf("read %+v", s)
	}
	if !strings.Contains(string(s.Raw), `"tocsin:verdict":"disputed"`) || !strings.Contains(string(s.Raw), `"type":"tocsin:Sighting"`) {
		t.Errorf("stored with the peer's prefix: %s", s.Raw)
	}
}

func TestInvalidSightingsAreRefusedFieldByField(t *testing.T) {
	raw := `{"@context": ["https://www.w3.org/ns/activitystreams", {"tocsin": "https://w3id.org/tocsin/ns#"}],
		"id": "https://b.example/users/org/activities/1", "type": "tocsin:Sighting", "actor": "https://b.example/users/org",
		"object": "https://a.example/users/org/statuses/1", "tocsin:verdict": "maybe", "tocsin:count": 1.5,
		"tocsin:where": ["ke", "XX-99"], "tocsin:firstSeen": "2027-08-03T00:00:00Z", "tocsin:lastSeen": "2027-08-01T00:00:00Z",
		"content": "` + strings.Repeat("long ", 101) + `"}`
	doc, err := ap.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ParseSighting(doc)
	if tocsin.ErrorCode(err) != tocsin.EINVALID {
		t.Fatalf("error %v", err)
	}
	for _, field := range []string{"verdict", "count", "where[0]", "where[1]", "last_seen", "comment"} {
		if !strings.Contains(err.Error(), field+":") {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
}
