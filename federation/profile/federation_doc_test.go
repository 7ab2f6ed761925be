package profile

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
)

// vocabularySection is FEDERATION.md's "Extension vocabulary" section.
func vocabularySection(t *testing.T) string {
	t.Helper()
	doc := string(readFile(t, "../../FEDERATION.md"))
	_, s, ok := strings.Cut(doc, "\n## Extension vocabulary\n")
	if !ok {
		t.Fatal(`FEDERATION.md has no "## Extension vocabulary" section`)
	}
	s, _, _ = strings.Cut(s, "\n## ")
	return s
}

func TestFederationMDDocumentsEveryTermAndCategory(t *testing.T) {
	s := vocabularySection(t)
	ours := map[string]bool{}
	for _, terms := range termsRead {
		for _, term := range terms {
			ours[term] = true
		}
	}
	for term := range ours {
		if !strings.Contains(s, "| `tocsin:"+term+"` |") {
			t.Errorf("FEDERATION.md lacks a table row for tocsin:%s", term)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `tocsin:(\\w+)` \\|").FindAllStringSubmatch(s, -1) {
		if !ours[m[1]] {
			t.Errorf("FEDERATION.md documents tocsin:%s, which the code does not read", m[1])
		}
	}
	for _, c := range alert.Categories() {
		if !strings.Contains(s, "| `"+string(c.Slug)+"` | "+c.Label+" | "+c.Description+" | `"+c.Hashtag+"` |") {
			t.Errorf("FEDERATION.md's category table lacks or misstates %s", c.Slug)
		}
	}
}

// TestFederationMDExampleIsWhatWeSend parses the example, reads it as an
// alert and renders that alert again: the result must be the example.
func TestFederationMDExampleIsWhatWeSend(t *testing.T) {
	s := vocabularySection(t)
	_, example, ok := strings.Cut(s, "```json\n")
	if !ok {
		t.Fatal("no example alert in FEDERATION.md")
	}
	example, _, _ = strings.Cut(example, "```")
	o := parseObject(t, []byte(example))
	a := mustParseAlert(t, []byte(example))
	obj, err := AlertObject(a, o.ID, o.AttributedTo, o.To, o.Cc, tagURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ap.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decodeJSON(t, b), decodeJSON(t, []byte(example)); !reflect.DeepEqual(got, want) {
		t.Errorf("FEDERATION.md's example is not what AlertObject writes; we send:\n%s", b)
	}
}
