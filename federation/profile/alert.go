package profile

import (
	"fmt"
	"slices"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/tlp"
)

// AlertObject renders a threat alert as the ActivityStreams Note we send,
// ready for ap.NewCreate or ap.NewUpdate and ap.Marshal (which adds our
// @context). id and actor are the object's and its author's IRIs and take the
// place of a.URI and a.Author; to and cc are its addressing; tagURL(name)
// gives the href of the hashtag name (without "#": "Kenya"), and may be nil.
//
// The Note's content is a.ContentHTML() (in p, br, a and span only), with
// contentMap in a.Language; name is the title and source.content the
// Markdown body; tag holds a Hashtag for the category and one per country;
// there is no summary. The structured fields are tocsin: terms (vocab.go).
//
// AlertObject refuses, with an *alert.ValidationError, an alert that fails
// Validate or whose addressing contradicts its TLP (see addressing.go): a
// non-CLEAR alert addressed to the public must never be written.
func AlertObject(a *alert.Alert, id, actor string, to, cc []string, tagURL func(string) string) (map[string]any, error) {
	c := *a
	c.URI, c.Author = id, actor
	var r reader
	if err := r.err(c.Validate(), outboundAddressing(&c, to, cc)...); err != nil {
		return nil, fmt.Errorf("profile: alert %s: %w", id, err)
	}
	o := object("Note", id, actor, c.Language, c.Title, c.ContentHTML(), c.Body, to, cc, c.Published, c.Updated)
	tags := append([]string{c.Category.Hashtag()}, countryTags(c.Countries)...)
	o["tag"] = hashtags(tagURL, tags...)
	o[prefixed(termKind)] = KindAlert
	o[prefixed(termSeverity)] = string(c.Severity)
	o[prefixed(termConfidence)] = string(c.Confidence)
	o[prefixed(termCategory)] = string(c.Category)
	o[prefixed(termCountries)] = slices.Clone(c.Countries)
	if len(c.Subdivisions) > 0 {
		o[prefixed(termSubdivisions)] = slices.Clone(c.Subdivisions)
	}
	if !c.Election.IsZero() {
		e := map[string]any{}
		if c.Election.Name != "" {
			e["name"] = c.Election.Name
		}
		if !c.Election.Date.IsZero() {
			e["date"] = c.Election.Date.String()
		}
		o[prefixed(termElection)] = e
	}
	o[prefixed(termTLP)] = c.TLP.String()
	if c.Circle != "" {
		o[prefixed(termCircle)] = c.Circle
	}
	o[prefixed(termStatus)] = string(c.Status)
	if !c.Expires.IsZero() {
		o[prefixed(termExpires)] = formatTime(c.Expires)
	}
	if len(c.Sources) > 0 {
		sources := make([]any, len(c.Sources))
		for i, s := range c.Sources {
			m := map[string]any{"url": s.URL}
			if s.Title != "" {
				m["title"] = s.Title
			}
			sources[i] = m
		}
		o[prefixed(termSources)] = sources
	}
	if c.Supersedes != "" {
		o[prefixed(termSupersedes)] = c.Supersedes
	}
	return o, nil
}

type wireElection struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

type wireSource struct {
	URL   string `json:"url"`
	Title string `json:"title"`
}

// ParseAlert reads a threat alert from an inbound object. ok is false when o
// is not one: it carries no tocsin:kind "alert" under any prefix of our
// namespace (a plain Mastodon Note stays a plain post). When ok, either the
// alert is returned, validated and normalised, or err refuses it: an
// *alert.ValidationError (wrapped) naming every field that is missing, has
// the wrong JSON shape, fails alert.Validate, or contradicts the addressing
// (see addressing.go, which may also read CLEAR as GREEN).
//
// ParseAlert reads name (title), source.content (the Markdown body; content
// is peer HTML and is never read), contentMap's language, attributedTo,
// published, updated, to, cc and our terms. Recipients of AMBER+STRICT and
// RED alerts are the addresses in to; ID is left empty for the store.
// Members it does not read are returned by Extras.
func ParseAlert(o *ap.Object) (a *alert.Alert, ok bool, err error) {
	if o == nil {
		return nil, false, nil
	}
	ext := o.ExtensionsIn(ap.TocsinNS)
	if kindOf(ext) != KindAlert {
		return nil, false, nil
	}
	r := reader{ext: ext}
	if o.Type != "Note" {
		r.fail("type", "a Tocsin alert is a Note, not %q", o.Type)
	}
	a = &alert.Alert{
		URI:          o.ID,
		Author:       o.AttributedTo,
		Title:        o.Name,
		Body:         r.source(o),
		Severity:     alert.Severity(r.string(termSeverity, "severity")),
		Confidence:   alert.Confidence(r.string(termConfidence, "confidence")),
		Category:     alert.Category(r.string(termCategory, "category")),
		Countries:    r.strings(termCountries, "countries"),
		Subdivisions: r.strings(termSubdivisions, "subdivisions"),
		Circle:       r.string(termCircle, "circle"),
		Status:       alert.Status(r.string(termStatus, "status")),
		Published:    o.Published,
		Updated:      o.Updated,
		Expires:      r.time(termExpires, "expires"),
		Language:     r.language(o),
		Supersedes:   r.string(termSupersedes, "supersedes"),
	}
	if s := r.string(termTLP, "tlp"); s != "" {
		if l, err := tlp.Parse(s); err != nil {
			r.fail("tlp", "%v", err)
		} else {
			a.TLP = l
		}
	}
	if e := readObjects[wireElection](&r, termElection, "election"); len(e) > 1 {
		r.fail("election", "must be one object {name, date}, not %d", len(e))
	} else if len(e) == 1 {
		a.Election.Name = e[0].Name
		if e[0].Date != "" {
			if d, err := alert.ParseDate(e[0].Date); err != nil {
				r.fail("election.date", "%v", err)
			} else {
				a.Election.Date = d
			}
		}
	}
	for _, s := range readObjects[wireSource](&r, termSources, "sources") {
		a.Sources = append(a.Sources, alert.Source{URL: s.URL, Title: s.Title})
	}
	contradictions := inboundAddressing(a, o)
	if err := r.err(a.Validate(), contradictions...); err != nil {
		return nil, true, fmt.Errorf("profile: alert %s: %w", o.ID, err)
	}
	a.Normalize()
	return a, true, nil
}
