// Package profile is Tocsin's object profile: it turns the domain's threat
// alerts and good-practice notes (package alert) into ActivityStreams objects
// and reads them back from what peers send.
//
// An alert is a Note that any Mastodon user reads well: its content is
// alert.ContentHTML (TLP label and status first, headline, facts, body,
// sources), its tag holds Hashtags for the category and each country, and it
// has no summary (Mastodon would hide the text behind a content warning). The
// structured fields travel as extension terms in ap.TocsinNS, listed in
// vocab.go and in FEDERATION.md ("Extension vocabulary"). A good-practice note
// is an Article. Both carry their Markdown source in source.content.
//
// Inbound, profile reads only structured fields (extension terms, name,
// summary, source, addressing, dates): peer HTML is the caller's to sanitise.
// TLP and addressing must agree (see addressing.go); an object that claims to
// be an alert or note and is not valid is refused with an
// *alert.ValidationError naming each field.
//
// profile imports alert, tlp and federation/ap; it must not import store,
// handlers or net/http.
package profile
