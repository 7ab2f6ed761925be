package alert

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/tocsin-network/tocsin/tlp"
)

// Alert is a threat alert: the network's warning about a threat to an
// election. It is federated as an ActivityStreams Note (see FEDERATION.md).
//
// Callers fill ID, URI, Author and Published; Normalize tidies input and
// renders BodyHTML; Validate says what is wrong with every field at once.
// Change a published alert only through ApplyUpdate and the lifecycle
// methods, which enforce the status rules.
type Alert struct {
	ID     string `json:"id,omitempty"`     // local identifier (time-sorted), set by the store
	URI    string `json:"uri,omitempty"`    // the object's IRI
	Author string `json:"author,omitempty"` // IRI of the Organization actor that publishes it

	Title    string `json:"title"`
	Body     string `json:"body"`      // Markdown source
	BodyHTML string `json:"body_html"` // RenderMarkdown(Body), set by Normalize and ApplyUpdate

	Severity     Severity   `json:"severity"`
	Confidence   Confidence `json:"confidence"`
	Category     Category   `json:"category"`
	Countries    []string   `json:"countries"`              // ISO 3166-1 alpha-2: "KE"
	Subdivisions []string   `json:"subdivisions,omitempty"` // ISO 3166-2: "KE-30"
	Election     Election   `json:"election,omitzero"`

	// TLP decides the audience (package tlp). An AMBER alert goes to the
	// peer organisations of Circle; an AMBER+STRICT alert to the organisation
	// actors in Recipients; a RED alert to the local accounts in Recipients.
	TLP        tlp.Level `json:"tlp"`
	Circle     string    `json:"circle,omitempty"`
	Recipients []string  `json:"recipients,omitempty"` // actor IRIs

	Status    Status    `json:"status"`
	Published time.Time `json:"published,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
	Expires   time.Time `json:"expires,omitzero"` // zero: does not expire

	Sources    []Source `json:"sources,omitempty"`
	Language   string   `json:"language"`             // BCP 47: "en", "fr-CA"
	Supersedes string   `json:"supersedes,omitempty"` // IRI of the alert this one replaces
}

// Election is the election an alert is about. Both fields are optional: an
// alert may concern no single election, and an announced election may have
// no date yet.
type Election struct {
	Name string `json:"name,omitempty"`
	Date Date   `json:"date,omitzero"`
}

// IsZero reports whether no election is given.
func (e Election) IsZero() bool { return e == Election{} }

// Source is a link to evidence or coverage of the threat.
type Source struct {
	URL   string `json:"url"` // http or https only
	Title string `json:"title,omitempty"`
}

// Normalize tidies input from forms, the API, the CLI or peers, so that
// Validate then judges what the author meant:
//   - trims text fields and joins the title onto one line; Body line endings
//     become "\n" and BodyHTML is rendered from Body;
//   - enumerations given in another case or form ("Severe", "#CyberIncident")
//     become their slug; an empty Status becomes active (a new alert);
//   - country and subdivision codes are upper-cased and de-duplicated, and the
//     country of every subdivision is added to Countries when missing;
//   - the language tag is canonicalised ("EN-gb" becomes "en-GB");
//   - empty sources (blank form rows) are dropped, recipients de-duplicated;
//   - times are converted to UTC.
//
// Validate does none of this: it refuses "ke" where Normalize would have
// written "KE", so unnormalised data from a peer is reported, not guessed at.
func (a *Alert) Normalize() {
	a.Title = strings.Join(strings.Fields(a.Title), " ")
	a.Body = normalizeBody(a.Body)
	a.BodyHTML = RenderMarkdown(a.Body)
	if v, err := ParseSeverity(string(a.Severity)); err == nil {
		a.Severity = v
	}
	if v, err := ParseConfidence(string(a.Confidence)); err == nil {
		a.Confidence = v
	}
	if v, err := ParseCategory(string(a.Category)); err == nil {
		a.Category = v
	}
	if v, err := ParseStatus(string(a.Status)); err == nil {
		a.Status = v
	} else if strings.TrimSpace(string(a.Status)) == "" {
		a.Status = StatusActive
	}
	a.Subdivisions = normalizeCodes(a.Subdivisions)
	a.Countries = normalizeCodes(a.Countries)
	for _, s := range a.Subdivisions {
		if c, _, ok := strings.Cut(s, "-"); ok && isCountry(c) && !slices.Contains(a.Countries, c) {
			a.Countries = append(a.Countries, c)
		}
	}
	a.Election.Name = strings.TrimSpace(a.Election.Name)
	a.Circle = strings.TrimSpace(a.Circle)
	a.Recipients = dedupe(trimAll(a.Recipients))
	sources := a.Sources[:0:0]
	for _, s := range a.Sources {
		s.URL, s.Title = strings.TrimSpace(s.URL), strings.Join(strings.Fields(s.Title), " ")
		if s.URL != "" || s.Title != "" {
			sources = append(sources, s)
		}
	}
	a.Sources = sources
	a.Language = canonicalLanguage(a.Language)
	a.Supersedes = strings.TrimSpace(a.Supersedes)
	a.Published, a.Updated, a.Expires = utc(a.Published), utc(a.Updated), utc(a.Expires)
}

// Validate checks every field and returns a *ValidationError listing every
// problem, or nil. It does not change a; see Normalize.
func (a *Alert) Validate() error {
	var p problems
	for _, f := range []struct{ name, v string }{{"uri", a.URI}, {"author", a.Author}} {
		if f.v != "" {
			if msg := webURL(f.v); msg != "" {
				p.add(f.name, "%s", msg)
			}
		}
	}
	p.line("title", a.Title, true, MaxTitleLen)
	p.text("body", a.Body, MaxBodyLen)
	if !a.Severity.Valid() {
		p.enum("severity", string(a.Severity), orList(Severities()))
	}
	if !a.Confidence.Valid() {
		p.enum("confidence", string(a.Confidence), orList(Confidences()))
	}
	if !a.Category.Valid() {
		slugs := make([]Category, len(categories))
		for i, ci := range categories {
			slugs[i] = ci.Slug
		}
		p.enum("category", string(a.Category), orList(slugs))
	}
	if len(a.Countries) == 0 {
		p.add("countries", "must list at least one country")
	}
	p.countries("countries", a.Countries)
	a.validateSubdivisions(&p)
	p.line("election.name", a.Election.Name, false, MaxTitleLen)
	if !a.Election.Date.IsZero() {
		if !a.Election.Date.Valid() {
			p.add("election.date", "is not a real day")
		} else if strings.TrimSpace(a.Election.Name) == "" {
			p.add("election.name", "is required when a date is given")
		}
	}
	a.validateAudience(&p)
	if !a.Status.Valid() {
		p.enum("status", string(a.Status), orList(Statuses()))
	}
	if a.Published.IsZero() {
		p.add("published", "is required")
	} else {
		if !a.Updated.IsZero() && a.Updated.Before(a.Published) {
			p.add("updated", "must not be before published (%s)", a.Published.UTC().Format(time.RFC3339))
		}
		if !a.Expires.IsZero() && !a.Expires.After(a.Published) {
			p.add("expires", "must be after published (%s)", a.Published.UTC().Format(time.RFC3339))
		}
	}
	if len(a.Sources) > MaxSources {
		p.add("sources", "must list at most %d sources, lists %d", MaxSources, len(a.Sources))
	}
	for i, s := range a.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		if s.URL == "" {
			p.add(f+".url", "is required")
		} else if msg := webURL(s.URL); msg != "" {
			p.add(f+".url", "%s", msg)
		}
		p.line(f+".title", s.Title, false, MaxSourceTitleLen)
	}
	p.language("language", a.Language)
	if a.Supersedes != "" {
		if msg := webURL(a.Supersedes); msg != "" {
			p.add("supersedes", "%s", msg)
		} else if a.Supersedes == a.URI {
			p.add("supersedes", "an alert cannot supersede itself")
		}
	}
	return p.err()
}

func (p *problems) enum(field, v, want string) {
	if v == "" {
		p.add(field, "is required (%s)", want)
	} else {
		p.add(field, "unknown value %q: want %s", v, want)
	}
}

func (a *Alert) validateSubdivisions(p *problems) {
	if len(a.Subdivisions) > MaxSubdivisions {
		p.add("subdivisions", "must list at most %d subdivisions, lists %d", MaxSubdivisions, len(a.Subdivisions))
	}
	seen := map[string]bool{}
	for i, s := range a.Subdivisions {
		f := fmt.Sprintf("subdivisions[%d]", i)
		_, ok := LookupSubdivision(s)
		switch {
		case ok && seen[s]:
			p.add(f, "%q is listed twice", s)
		case ok && !slices.Contains(a.Countries, s[:2]):
			p.add(f, "%q is in %s (%s), which is not among countries", s, CountryName(s[:2]), s[:2])
		case ok:
			seen[s] = true
		case s != strings.ToUpper(s) && isSubdivision(strings.ToUpper(s)):
			p.add(f, "%q must be written in capitals: %q", s, strings.ToUpper(s))
		default:
			p.add(f, "%q is not an ISO 3166-2 subdivision code (such as \"KE-30\")", s)
		}
	}
}

func isSubdivision(code string) bool { _, ok := LookupSubdivision(code); return ok }

// validateAudience checks that the addressing fields fit the TLP level:
// AMBER names a circle, AMBER+STRICT and RED name recipients, nothing else
// names either (so nobody reads an audience into a field that is ignored).
func (a *Alert) validateAudience(p *problems) {
	if !a.TLP.Valid() {
		if a.TLP == 0 {
			p.add("tlp", "is required (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)")
		} else {
			p.add("tlp", "unknown level %d: want CLEAR, GREEN, AMBER, AMBER+STRICT or RED", int(a.TLP))
		}
		return
	}
	switch {
	case a.TLP == tlp.Amber && strings.TrimSpace(a.Circle) == "":
		p.add("circle", "is required for TLP:AMBER: name the circle of peer organisations")
	case a.TLP == tlp.Amber:
		p.line("circle", a.Circle, true, MaxCircleLen)
	case a.Circle != "":
		p.add("circle", "only TLP:AMBER alerts go to a circle; this one is %s", a.TLP.Label())
	}
	named := a.TLP == tlp.AmberStrict || a.TLP == tlp.Red
	switch {
	case named && len(a.Recipients) == 0:
		p.add("recipients", "%s needs at least one recipient", a.TLP.Label())
	case !named && len(a.Recipients) > 0:
		p.add("recipients", "only TLP:AMBER+STRICT and TLP:RED alerts name recipients; this one is %s", a.TLP.Label())
		return
	case len(a.Recipients) > MaxRecipients:
		p.add("recipients", "must list at most %d recipients, lists %d", MaxRecipients, len(a.Recipients))
	}
	var localHost string
	if a.TLP == tlp.Red {
		u, err := url.Parse(a.Author)
		if a.Author == "" || err != nil || u.Host == "" {
			p.add("author", "is required for TLP:RED: recipients must be accounts on the author's server")
		} else {
			localHost = u.Host
		}
	}
	seen := map[string]bool{}
	for i, r := range a.Recipients {
		f := fmt.Sprintf("recipients[%d]", i)
		if msg := webURL(r); msg != "" {
			p.add(f, "%s", msg)
			continue
		}
		if seen[r] {
			p.add(f, "%q is listed twice", r)
		}
		seen[r] = true
		if localHost != "" {
			if u, _ := url.Parse(r); !strings.EqualFold(u.Host, localHost) {
				p.add(f, "TLP:RED never leaves this server: %q is a remote account", r)
			}
		}
	}
}

func normalizeBody(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

func normalizeCodes(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			out = append(out, c)
		}
	}
	return dedupe(out)
}

func trimAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// dedupe drops repeated values, keeping the first of each; nil stays nil.
func dedupe(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func canonicalLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if t, err := language.Parse(tag); err == nil {
		return t.String()
	}
	return tag
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
