package profile

import (
	"encoding/json"

	"github.com/tocsin-network/tocsin/federation/ap"
)

// The extension vocabulary, all in one place. Each term is a local name in
// ap.TocsinNS; we write it with the "tocsin:" prefix that ap.Context
// declares, and read it under whatever prefix (or plain term) the peer's
// @context maps to the namespace. FEDERATION.md documents every term, with
// its JSON shape and an example; a test keeps the two in step.
const (
	termKind         = "kind"         // string: KindAlert or KindPractice
	termSeverity     = "severity"     // string: minor, moderate, severe, extreme
	termConfidence   = "confidence"   // string: observed, likely, possible, unlikely
	termCategory     = "category"     // string: a category slug ("disinformation")
	termCountries    = "countries"    // array of ISO 3166-1 alpha-2 codes
	termSubdivisions = "subdivisions" // array of ISO 3166-2 codes
	termElection     = "election"     // object {"name": string, "date": "YYYY-MM-DD"}
	termTLP          = "tlp"          // string: CLEAR, GREEN, AMBER, AMBER+STRICT, RED
	termCircle       = "circle"       // string: the circle of peers of a TLP:AMBER alert
	termStatus       = "status"       // string: active, updated, resolved, retracted
	termExpires      = "expires"      // string: RFC 3339 date-time, UTC
	termSources      = "sources"      // array of objects {"url": string, "title": string}
	termSupersedes   = "supersedes"   // string: IRI of the alert this one replaces
	termTopics       = "topics"       // array of strings: a practice note's topics
)

// Kinds: the value of tocsin:kind, which marks an object as ours.
const (
	KindAlert    = "alert"    // a threat alert, a Note
	KindPractice = "practice" // a good-practice note, an Article
)

// termsRead lists, per kind, the terms ParseAlert and ParsePracticeNote
// read; Extras keeps every other member.
var termsRead = map[string][]string{
	KindAlert: {
		termKind, termSeverity, termConfidence, termCategory, termCountries,
		termSubdivisions, termElection, termTLP, termCircle, termStatus,
		termExpires, termSources, termSupersedes,
	},
	KindPractice: {termKind, termCountries, termTopics},
}

// Markdown is the media type of source.content, the Markdown an alert's or
// note's content was rendered from.
const Markdown = "text/markdown"

// prefixed is how we write a term.
func prefixed(term string) string { return "tocsin:" + term }

// Kind returns the tocsin:kind of o ("alert", "practice", or a kind of a
// later version), whatever prefix the peer's @context gives our namespace;
// "" when o carries none, as for a plain Mastodon post.
func Kind(o *ap.Object) string {
	if o == nil {
		return ""
	}
	return kindOf(o.ExtensionsIn(ap.TocsinNS))
}

func kindOf(ext map[string]json.RawMessage) string {
	var k string
	if json.Unmarshal(ext[termKind], &k) != nil {
		return ""
	}
	return k
}
