package mastodon

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// classList matches a class attribute made only of the given tokens.
func classList(tokens ...string) *regexp.Regexp {
	alt := "(?:" + strings.Join(tokens, "|") + ")"
	return regexp.MustCompile(`^\s*` + alt + `(?:\s+` + alt + `)*\s*$`)
}

// contentPolicy is the HTML Mastodon clients are given: the markup every
// server keeps (p, br, a, span) with the microformat classes clients use to
// find mentions and hashtags, http(s) links only, and nothing else. Links
// get rel="nofollow noopener noreferrer" and target="_blank", as Mastodon
// sends them. Other elements are dropped and their text kept, except
// script, style, iframe and the like, whose content goes too.
var contentPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "a")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^[a-z\s]*$`)).OnElements("a")
	p.AllowAttrs("class").Matching(classList("u-url", "mention", "hashtag")).OnElements("a")
	p.AllowAttrs("class").Matching(classList("h-card", "mention", "hashtag", "invisible", "ellipsis")).OnElements("span")
	p.AllowURLSchemes("http", "https")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// textPolicy removes all markup.
var textPolicy = bluemonday.StrictPolicy()

// Sanitize returns peer (or any) HTML reduced to what Mastodon clients are
// given: see contentPolicy. It is safe for concurrent use.
func Sanitize(s string) string {
	if s == "" {
		return ""
	}
	return contentPolicy.Sanitize(s)
}

// PlainText returns HTML s with all markup removed and entities decoded,
// for attributes clients show as text (spoiler_text, source[note]).
// Paragraph ends and <br> become line breaks.
func PlainText(s string) string {
	if s == "" {
		return ""
	}
	s = breaks.Replace(s)
	return strings.TrimSpace(html.UnescapeString(textPolicy.Sanitize(s)))
}

var breaks = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p><p>", "\n\n", "</p>\n<p>", "\n\n")
