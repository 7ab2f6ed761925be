package profile

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/tlp"
)

// The fixture world: an organisation on tocsin.example, its followers, two
// peer organisations and two of its own staff accounts.
const (
	base      = "https://tocsin.example"
	org       = base + "/users/elog"
	followers = org + "/followers"
	peerOrg1  = "https://peer.example/users/ceo"
	peerOrg2  = "https://other.example/users/obs"
	staff1    = base + "/users/amina"
	staff2    = base + "/users/kofi"
)

func tagURL(name string) string { return base + "/tags/" + strings.ToLower(name) }

var (
	published = time.Date(2027, 8, 1, 9, 30, 0, 0, time.UTC)
	updated   = time.Date(2027, 8, 2, 14, 5, 7, 0, time.UTC)
	expires   = time.Date(2027, 8, 10, 18, 0, 0, 0, time.UTC)
)

// fullAlert returns a valid alert at level l with every field set, and the
// addressing the design gives that level.
func fullAlert(l tlp.Level) (a *alert.Alert, to, cc []string) {
	a = &alert.Alert{
		URI:    org + "/statuses/01J9Z3" + strings.ReplaceAll(l.String(), "+", ""),
		Author: org,
		Title:  "Kenya: ballot stuffing",
		Body: "Des bulletins pré-remplis ont été trouvés à **Abidjan** et à Nairobi — voir " +
			"[le communiqué](https://cei.example/communiqué).\nDeuxième ligne : « urgent ».\n\n" +
			"- Bureau nº 12\n- Bureau nº 13",
		Severity:     alert.SeveritySevere,
		Confidence:   alert.ConfidenceLikely,
		Category:     alert.CategoryDisinformation,
		Countries:    []string{"KE", "CI"},
		Subdivisions: []string{"KE-30", "CI-AB"},
		Election:     alert.Election{Name: "Élections générales 2027", Date: alert.Date{Year: 2027, Month: time.August, Day: 9}},
		TLP:          l,
		Status:       alert.StatusUpdated,
		Published:    published,
		Updated:      updated,
		Expires:      expires,
		Sources: []alert.Source{
			{URL: "https://news.example/ke/stuffing?id=1&lang=fr", Title: "Nation: « Ballot stuffing » in Nairobi"},
			{URL: "https://cei.example/communiqué"},
		},
		Language:   "fr-CI",
		Supersedes: org + "/statuses/01J9Z0",
	}
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
	case tlp.Red:
		a.Recipients = []string{staff1, staff2}
		to = a.Recipients
	}
	a.Normalize()
	return a, to, cc
}

// marshalAlert renders a as we send it, embedded in a Create (as inbound
// alerts arrive) when create is true.
func marshalAlert(t *testing.T, a *alert.Alert, to, cc []string, create bool) []byte {
	t.Helper()
	obj, err := AlertObject(a, a.URI, a.Author, to, cc, tagURL)
	if err != nil {
		t.Fatalf("AlertObject: %v", err)
	}
	doc := obj
	if create {
		doc = ap.NewCreate(a.URI+"/activity", a.Author, obj, to, cc, a.Published)
	}
	b, err := ap.Marshal(doc)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

// parseObject parses a document and returns its object (embedded or top).
func parseObject(t *testing.T, b []byte) *ap.Object {
	t.Helper()
	d, err := ap.Parse(b)
	if err != nil {
		t.Fatalf("ap.Parse: %v\n%s", err, b)
	}
	if d.Kind == ap.KindActivity {
		if d.Activity.Object == nil {
			t.Fatalf("%s has no embedded object", d.Type())
		}
		return d.Activity.Object
	}
	return d.Object
}

func mustParseAlert(t *testing.T, b []byte) *alert.Alert {
	t.Helper()
	got, ok, err := ParseAlert(parseObject(t, b))
	if err != nil || !ok {
		t.Fatalf("ParseAlert = ok %v, %v\n%s", ok, err, b)
	}
	return got
}

func sameAlert(t *testing.T, got, want *alert.Alert) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("alert differs\n got: %s\nwant: %s", g, w)
	}
}

// decodeJSON and encodeJSON let tests edit a document as a map.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeJSON(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// problemsOf returns the fields a *alert.ValidationError names.
func problemsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *alert.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not an *alert.ValidationError", err, err)
	}
	m := map[string]string{}
	for _, p := range ve.Problems {
		m[p.Field] = p.Message
	}
	return m
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
