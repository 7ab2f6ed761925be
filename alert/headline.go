package alert

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// The text people see. Mastodon and most servers ignore our extension
// fields, so every fact that matters is also written out here.

// maxHeadlineCountries is how many country names a headline spells out
// before it says "+N".
const maxHeadlineCountries = 3

// Headline returns the one line that introduces the alert, as plain text
// (escape it for HTML): severity in capitals, category, countries, title.
//
//	SEVERE · Disinformation · Kenya: Fake polling-station changes sent by SMS
//
// More than three countries read "Kenya, Uganda, Tanzania +2".
func (a *Alert) Headline() string {
	parts := []string{strings.ToUpper(string(a.Severity)), a.Category.Label()}
	if c := a.countriesText(); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(nonEmpty(parts), " · ") + ": " + a.Title
}

func (a *Alert) countriesText() string {
	names := make([]string, 0, maxHeadlineCountries)
	for i, c := range a.Countries {
		if i == maxHeadlineCountries {
			return strings.Join(names, ", ") + fmt.Sprintf(" +%d", len(a.Countries)-maxHeadlineCountries)
		}
		names = append(names, CountryName(c))
	}
	return strings.Join(names, ", ")
}

// StatusLine returns the TLP label, status and expiry as plain text:
//
//	TLP:GREEN · Status: active · Expires 2027-08-10
//
// The TLP label comes first, in capitals, as FIRST's TLP guide asks: it is
// read before the information it labels. The expiry is a UTC date, with the
// time too when it is not midnight ("Expires 2027-08-10 18:00 UTC"), and is
// left out when the alert does not expire.
func (a *Alert) StatusLine() string {
	parts := []string{a.TLP.Label(), "Status: " + string(a.Status)}
	switch {
	case a.Expires.IsZero():
	case a.Expired(time.Now()):
		// Rendered again by the expiry scheduler once the time has passed.
		parts = append(parts, "Expired "+expiryText(a.Expires))
	default:
		parts = append(parts, "Expires "+expiryText(a.Expires))
	}
	return strings.Join(parts, " · ")
}

func expiryText(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// ContentHTML returns the alert as people read it on any server, in the
// markup every server keeps (p, br, a, span): the status line with the TLP
// label first, the headline, a line of further facts (confidence, election,
// areas, the alert it replaces), the body, then the sources.
func (a *Alert) ContentHTML() string {
	var b strings.Builder
	para := func(s string) { b.WriteString("<p>" + html.EscapeString(s) + "</p>") }
	para(a.StatusLine())
	para(a.Headline())
	var facts []string
	if a.Confidence != "" {
		facts = append(facts, "Confidence: "+html.EscapeString(string(a.Confidence)))
	}
	if e := a.Election; !e.IsZero() {
		facts = append(facts, "Election: "+html.EscapeString(strings.Join(nonEmpty([]string{e.Name, e.Date.String()}), ", ")))
	}
	if len(a.Subdivisions) > 0 {
		areas := make([]string, len(a.Subdivisions))
		for i, code := range a.Subdivisions {
			areas[i] = code
			if s, ok := LookupSubdivision(code); ok {
				areas[i] = s.Name + " (" + code + ")"
			}
		}
		facts = append(facts, "Areas: "+html.EscapeString(strings.Join(areas, ", ")))
	}
	if a.Supersedes != "" {
		facts = append(facts, `Replaces <a href="`+html.EscapeString(a.Supersedes)+`">an earlier alert</a>`)
	}
	if len(facts) > 0 {
		b.WriteString("<p>" + strings.Join(facts, " · ") + "</p>")
	}
	b.WriteString(RenderMarkdownFlat(a.Body))
	if len(a.Sources) > 0 {
		b.WriteString("<p>Sources:")
		for _, s := range a.Sources {
			text := s.Title
			if text == "" {
				text = s.URL
			}
			b.WriteString(`<br><a href="` + html.EscapeString(s.URL) + `">` + html.EscapeString(text) + `</a>`)
		}
		b.WriteString("</p>")
	}
	// The pieces are escaped already; the final pass guarantees the subset
	// even for an alert that was never validated.
	return withLinkRel(flatPolicy.Sanitize(b.String()))
}

func nonEmpty(list []string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
