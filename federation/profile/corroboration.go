package profile

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/tocsin-network/tocsin/federation/ap"
)

// Corroboration and translations on an alert (FEDERATION.md
// "Corroboration" and "Signed translations"): what the origin adds to the
// alert object it sends once peers have voted or translated.
const (
	termSightings    = "sightings"    // object: the sightings collection, with its tally
	termConfirmed    = "confirmed"    // integer: confirming organisations (in sightings)
	termDisputed     = "disputed"     // integer: disputing organisations (in sightings)
	termSeen         = "seen"         // integer: organisations that saw it too (in sightings)
	termTranslations = "translations" // array of {language, attributedTo, id}
)

// Tally counts the organisations that voted on an alert, one vote each.
type Tally struct {
	Confirmed int `json:"confirmed"`
	Disputed  int `json:"disputed"`
	Seen      int `json:"seen"`
}

// Total is the number of organisations that voted.
func (t Tally) Total() int { return t.Confirmed + t.Disputed + t.Seen }

// Line is the tally as people read it, "" when nobody voted:
//
//	Confirmed by 2 networks, disputed by 1
func (t Tally) Line() string {
	var parts []string
	if t.Confirmed > 0 {
		parts = append(parts, fmt.Sprintf("confirmed by %d %s", t.Confirmed, networks(t.Confirmed)))
	}
	if t.Disputed > 0 {
		parts = append(parts, fmt.Sprintf("disputed by %d", t.Disputed))
	}
	if t.Seen > 0 {
		parts = append(parts, fmt.Sprintf("seen by %d", t.Seen))
	}
	if len(parts) == 0 {
		return ""
	}
	if len(parts) == 1 && t.Confirmed == 0 {
		// "disputed by 1 network", not a dangling "by 1".
		n := t.Disputed + t.Seen
		parts[0] += " " + networks(n)
	}
	s := strings.Join(parts, ", ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func networks(n int) string {
	if n == 1 {
		return "network"
	}
	return "networks"
}

// TranslationCredit names who translated an alert into a language.
type TranslationCredit struct {
	Language     string `json:"language"`
	AttributedTo string `json:"attributedTo"` // the translating organisation's actor IRI
	ID           string `json:"id"`           // the signed translation object's IRI
}

// Translated is one accepted translation, ready to render.
type Translated struct {
	TranslationCredit
	Name, Summary, Content string // content is sanitised HTML
}

// Corroborate adds the tally to an alert object from AlertObject: the
// status line (the first paragraph of content and of every contentMap
// entry) ends with Tally.Line, so people on any server read it, and
// tocsin:sightings links the collection with its counts.
func Corroborate(obj map[string]any, collection string, t Tally) {
	obj[prefixed(termSightings)] = map[string]any{
		"id": collection, "type": "OrderedCollection", "totalItems": t.Total(),
		prefixed(termConfirmed): t.Confirmed, prefixed(termDisputed): t.Disputed, prefixed(termSeen): t.Seen,
	}
	line := t.Line()
	if line == "" {
		return
	}
	suffix := " · " + html.EscapeString(line)
	withLine := func(content string) string {
		i := strings.Index(content, "</p>")
		if !strings.HasPrefix(content, "<p>") || i < 0 {
			return "<p>" + html.EscapeString(line) + "</p>" + content
		}
		return content[:i] + suffix + content[i:]
	}
	if c, ok := obj["content"].(string); ok {
		obj["content"] = withLine(c)
	}
	if m, ok := obj["contentMap"].(map[string]any); ok {
		for k, v := range m {
			if c, ok := v.(string); ok {
				m[k] = withLine(c)
			}
		}
	}
}

// Translate adds accepted translations to an alert object from
// AlertObject: each language's content, name and summary go into
// contentMap, nameMap and summaryMap (the alert's own language keeps its
// entry), and tocsin:translations credits the translating organisations.
// The Note's content stays in the alert's language, so servers that read
// content alone show the original.
func Translate(obj map[string]any, translations []Translated) {
	if len(translations) == 0 {
		return
	}
	contentMap, _ := obj["contentMap"].(map[string]any)
	if contentMap == nil {
		contentMap = map[string]any{}
		obj["contentMap"] = contentMap
	}
	nameMap := map[string]any{}
	if name, _ := obj["name"].(string); name != "" {
		for lang := range contentMap {
			nameMap[lang] = name
		}
	}
	credits := make([]any, 0, len(translations))
	for _, tr := range translations {
		if _, own := contentMap[tr.Language]; own && tr.Content == "" {
			continue
		}
		contentMap[tr.Language] = tr.Content
		if tr.Name != "" {
			nameMap[tr.Language] = tr.Name
		}
		credits = append(credits, map[string]any{"language": tr.Language, "attributedTo": tr.AttributedTo, "id": tr.ID})
	}
	if len(nameMap) > 1 {
		obj["nameMap"] = nameMap
	}
	obj[prefixed(termTranslations)] = credits
}

// PeerTally reads the tally a peer's alert carries (its tocsin:sightings,
// as the origin counted), from the extensions stored with it; ok is false
// when it carries none.
func PeerTally(ext map[string]json.RawMessage) (t Tally, collection string, ok bool) {
	raw, found := ext[prefixed(termSightings)]
	if !found {
		raw, found = ext[ap.TocsinNS+termSightings]
	}
	if !found {
		return Tally{}, "", false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return Tally{}, "", false
	}
	num := func(term string) int {
		var n int
		if json.Unmarshal(m[prefixed(term)], &n) != nil {
			_ = json.Unmarshal(m[ap.TocsinNS+term], &n)
		}
		return max(n, 0)
	}
	_ = json.Unmarshal(m["id"], &collection)
	return Tally{Confirmed: num(termConfirmed), Disputed: num(termDisputed), Seen: num(termSeen)}, collection, true
}

// ObjectTally reads the tally an alert object carries (tocsin:sightings, as
// its origin counted, whatever prefix the object's @context gives our
// namespace); ok is false when it carries none.
func ObjectTally(o *ap.Object) (t Tally, collection string, ok bool) {
	if o == nil {
		return Tally{}, "", false
	}
	raw, found := o.ExtensionsIn(ap.TocsinNS)[termSightings]
	if !found {
		return Tally{}, "", false
	}
	return PeerTally(map[string]json.RawMessage{prefixed(termSightings): raw})
}
