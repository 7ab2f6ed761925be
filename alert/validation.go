package alert

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	tocsin "github.com/tocsin-network/tocsin"
)

// Limits on what one alert or note may hold. Lengths count characters (Unicode
// code points), not bytes.
const (
	MaxTitleLen       = 200
	MaxBodyLen        = 20_000
	MaxNoteBodyLen    = 50_000 // good-practice notes are articles, longer than alerts
	MaxSummaryLen     = 500
	MaxCountries      = 60
	MaxSubdivisions   = 100
	MaxSources        = 20
	MaxSourceTitleLen = 300
	MaxURLLen         = 2048
	MaxRecipients     = 100
	MaxCircleLen      = 100
	MaxTopics         = 10
	MaxTopicLen       = 50
)

// FieldError is one problem with one field: Field names it the way the API
// and forms do ("title", "countries[1]", "sources[0].url", "election.date").
// It is the project-wide tocsin.FieldError, so handlers pass it on as is.
type FieldError = tocsin.FieldError

// ValidationError lists every problem Validate found, in field order.
//
// It unwraps to a *tocsin.Error with code EINVALID carrying the same
// problems, so tocsin.ErrorCode and the HTTP error mapping (422 with a
// details list) work on it unchanged.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the problems as an EINVALID *tocsin.Error.
func (e *ValidationError) Unwrap() error { return tocsin.Invalid(e.Problems...) }

// problems collects FieldErrors; err returns nil when there are none.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// line checks a required-or-optional single-line text field.
func (p *problems) line(field, v string, required bool, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			p.add(field, "is required")
		} else if v != "" {
			p.add(field, "must not be only spaces")
		}
	case utf8.RuneCountInString(v) > max:
		p.add(field, "must be at most %d characters, is %d", max, utf8.RuneCountInString(v))
	case strings.ContainsFunc(v, unicode.IsControl):
		p.add(field, "must be one line without control characters")
	}
}

// text checks a required multi-line text field such as a body.
func (p *problems) text(field, v string, max int) {
	switch n := utf8.RuneCountInString(v); {
	case strings.TrimSpace(v) == "":
		p.add(field, "is required")
	case n > max:
		p.add(field, "must be at most %d characters, is %d", max, n)
	case !utf8.ValidString(v):
		p.add(field, "must be valid UTF-8")
	}
}

func (p *problems) language(field, tag string) {
	if tag == "" {
		p.add(field, "is required (a BCP 47 language tag such as \"en\" or \"fr-CA\")")
		return
	}
	if _, err := language.Parse(tag); err != nil {
		p.add(field, "%q is not a BCP 47 language tag (such as \"en\" or \"fr-CA\")", tag)
	}
}

// countries checks a list of ISO 3166-1 alpha-2 codes.
func (p *problems) countries(field string, codes []string) {
	if len(codes) > MaxCountries {
		p.add(field, "must list at most %d countries, lists %d", MaxCountries, len(codes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch _, ok := LookupCountry(c); {
		case ok && seen[c]:
			p.add(f, "%q is listed twice", c)
		case ok:
			seen[c] = true
		case c != strings.ToUpper(c) && isCountry(strings.ToUpper(c)):
			p.add(f, "%q must be written in capitals: %q", c, strings.ToUpper(c))
		default:
			p.add(f, "%q is not an ISO 3166-1 alpha-2 country code", c)
		}
	}
}

func isCountry(code string) bool { _, ok := LookupCountry(code); return ok }

// webURL checks an absolute http or https URL without credentials.
func webURL(s string) string {
	if len(s) > MaxURLLen {
		return fmt.Sprintf("must be at most %d characters", MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("%q is not an absolute http or https URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("%q must use http or https", s)
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	return ""
}
