package alert

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PracticeNote is a good-practice note: what a network learned and others
// can reuse (how to verify a rumour, how to protect observers' phones). It is
// public guidance, federated as an ActivityStreams Article; it has no TLP,
// severity or lifecycle.
type PracticeNote struct {
	ID     string `json:"id,omitempty"`     // local identifier, set by the store
	URI    string `json:"uri,omitempty"`    // the object's IRI
	Author string `json:"author,omitempty"` // IRI of the Organization actor that publishes it

	Title    string `json:"title"`
	Summary  string `json:"summary,omitempty"` // plain text, a sentence or two
	Body     string `json:"body"`              // Markdown source
	BodyHTML string `json:"body_html"`         // RenderMarkdown(Body), set by Normalize

	Topics    []string  `json:"topics,omitempty"`    // free words, each also a hashtag: "voter education"
	Countries []string  `json:"countries,omitempty"` // ISO 3166-1 alpha-2; none means general guidance
	Language  string    `json:"language"`            // BCP 47
	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
}

// Normalize tidies input the way Alert.Normalize does: trims text, joins
// title and summary onto one line, renders BodyHTML, upper-cases and
// de-duplicates countries, trims topics and drops repeats (ignoring case),
// canonicalises the language tag and converts times to UTC.
func (n *PracticeNote) Normalize() {
	n.Title = strings.Join(strings.Fields(n.Title), " ")
	n.Summary = strings.Join(strings.Fields(n.Summary), " ")
	n.Body = normalizeBody(n.Body)
	n.BodyHTML = RenderMarkdown(n.Body)
	n.Countries = normalizeCodes(n.Countries)
	var topics []string
	seen := map[string]bool{}
	for _, t := range n.Topics {
		t = strings.Join(strings.Fields(t), " ")
		if k := strings.ToLower(t); t != "" && !seen[k] {
			seen[k] = true
			topics = append(topics, t)
		}
	}
	n.Topics = topics
	n.Language = canonicalLanguage(n.Language)
	n.Published, n.Updated = utc(n.Published), utc(n.Updated)
}

// Validate checks every field and returns a *ValidationError listing every
// problem, or nil. Countries are optional; when given, each must be a known
// ISO 3166-1 code.
func (n *PracticeNote) Validate() error {
	var p problems
	for _, f := range []struct{ name, v string }{{"uri", n.URI}, {"author", n.Author}} {
		if f.v != "" {
			if msg := webURL(f.v); msg != "" {
				p.add(f.name, "%s", msg)
			}
		}
	}
	p.line("title", n.Title, true, MaxTitleLen)
	p.line("summary", n.Summary, false, MaxSummaryLen)
	p.text("body", n.Body, MaxNoteBodyLen)
	if len(n.Topics) > MaxTopics {
		p.add("topics", "must list at most %d topics, lists %d", MaxTopics, len(n.Topics))
	}
	seen := map[string]bool{}
	for i, t := range n.Topics {
		f := fmt.Sprintf("topics[%d]", i)
		p.line(f, t, true, MaxTopicLen)
		switch k := strings.ToLower(t); {
		case strings.TrimSpace(t) == "" || utf8.RuneCountInString(t) > MaxTopicLen:
		case !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
			p.add(f, "%q needs at least one letter or digit to make a hashtag", t)
		case seen[k]:
			p.add(f, "%q is listed twice", t)
		default:
			seen[k] = true
		}
	}
	p.countries("countries", n.Countries)
	p.language("language", n.Language)
	if n.Published.IsZero() {
		p.add("published", "is required")
	} else if !n.Updated.IsZero() && n.Updated.Before(n.Published) {
		p.add("updated", "must not be before published (%s)", n.Published.UTC().Format(time.RFC3339))
	}
	return p.err()
}
