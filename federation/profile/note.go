package profile

import (
	"fmt"
	"slices"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
)

// NoteObject renders a good-practice note as the ActivityStreams Article we
// send (Mastodon shows an Article as its title and a link). Arguments are as
// for AlertObject; a note has no TLP, so any addressing goes.
//
// name is the title; summary the plain-text summary (as Mastodon writes
// summaries: not HTML); content the body in p, br, a and span, with
// contentMap; source.content the Markdown; tag a Hashtag per topic and per
// country; tocsin:kind "practice", tocsin:topics (the topics as written,
// which hashtags cannot keep: "voter education") and tocsin:countries.
//
// NoteObject refuses a note that fails Validate (an *alert.ValidationError).
func NoteObject(n *alert.PracticeNote, id, actor string, to, cc []string, tagURL func(string) string) (map[string]any, error) {
	c := *n
	c.URI, c.Author = id, actor
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("profile: practice note %s: %w", id, err)
	}
	o := object("Article", id, actor, c.Language, c.Title, alert.RenderMarkdownFlat(c.Body), c.Body, to, cc, c.Published, c.Updated)
	if c.Summary != "" {
		o["summary"] = c.Summary
	}
	tags := make([]string, 0, len(c.Topics)+len(c.Countries))
	for _, t := range c.Topics {
		tags = append(tags, alert.Hashtag(t))
	}
	o["tag"] = hashtags(tagURL, append(tags, countryTags(c.Countries)...)...)
	o[prefixed(termKind)] = KindPractice
	if len(c.Topics) > 0 {
		o[prefixed(termTopics)] = slices.Clone(c.Topics)
	}
	if len(c.Countries) > 0 {
		o[prefixed(termCountries)] = slices.Clone(c.Countries)
	}
	return o, nil
}

// ParsePracticeNote reads a good-practice note from an inbound object, as
// ParseAlert reads alerts: ok is false without tocsin:kind "practice"; when
// ok, the note is returned validated and normalised, or err refuses it with
// an *alert.ValidationError naming the fields. It reads name, summary (as
// plain text), source.content, contentMap's language, attributedTo,
// published, updated and our terms; never content.
func ParsePracticeNote(o *ap.Object) (n *alert.PracticeNote, ok bool, err error) {
	if o == nil {
		return nil, false, nil
	}
	ext := o.ExtensionsIn(ap.TocsinNS)
	if kindOf(ext) != KindPractice {
		return nil, false, nil
	}
	r := reader{ext: ext}
	if o.Type != "Article" {
		r.fail("type", "a Tocsin good-practice note is an Article, not %q", o.Type)
	}
	n = &alert.PracticeNote{
		URI:       o.ID,
		Author:    o.AttributedTo,
		Title:     o.Name,
		Summary:   o.Summary,
		Body:      r.source(o),
		Topics:    r.strings(termTopics, "topics"),
		Countries: r.strings(termCountries, "countries"),
		Language:  r.language(o),
		Published: o.Published,
		Updated:   o.Updated,
	}
	if err := r.err(n.Validate()); err != nil {
		return nil, true, fmt.Errorf("profile: practice note %s: %w", o.ID, err)
	}
	n.Normalize()
	return n, true, nil
}
