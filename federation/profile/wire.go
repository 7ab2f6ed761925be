package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/federation/ap"
)

// Shared by alerts and notes: the standard properties, dates, hashtags, and
// reading extension terms with one error per field.

// object returns the standard properties of an alert or note. The HTML page
// is the id itself (one URL serves HTML and AS2 JSON), so url = id.
func object(typ, id, actor, lang, title, content, source string, to, cc []string, published, updated time.Time) map[string]any {
	o := map[string]any{
		"id":           id,
		"type":         typ,
		"attributedTo": actor,
		"url":          id,
		"name":         title,
		"content":      content,
		"contentMap":   map[string]any{lang: content},
		"source":       map[string]any{"content": source, "mediaType": Markdown},
		"published":    formatTime(published),
		"to":           addresses(to),
		"cc":           addresses(cc),
	}
	if !updated.IsZero() {
		o["updated"] = formatTime(updated)
	}
	return o
}

func addresses(list []string) []string {
	if list == nil {
		return []string{}
	}
	return slices.Clone(list)
}

// formatTime writes times as ap.Marshal does: UTC, whole seconds.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// hashtags returns Hashtag objects for names ("#Kenya"), dropping repeats
// (ignoring case, as servers do) and empty names. tagURL gets the name
// without "#"; a nil tagURL leaves href out.
func hashtags(tagURL func(string) string, names ...string) []any {
	seen := map[string]bool{}
	tags := []any{}
	for _, n := range names {
		k := strings.ToLower(n)
		if n == "" || seen[k] {
			continue
		}
		seen[k] = true
		t := map[string]any{"type": "Hashtag", "name": n}
		if tagURL != nil {
			t["href"] = tagURL(strings.TrimPrefix(n, "#"))
		}
		tags = append(tags, t)
	}
	return tags
}

func countryTags(codes []string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = alert.Hashtag(alert.CountryName(c))
	}
	return out
}

// reader reads our extension terms of one inbound object and collects one
// problem per field that has the wrong JSON shape.
type reader struct {
	ext      map[string]json.RawMessage
	problems []alert.FieldError
}

func (r *reader) fail(field, format string, args ...any) {
	r.problems = append(r.problems, alert.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// raw returns a term's value; absent and null are both nil.
func (r *reader) raw(term string) json.RawMessage {
	v := r.ext[term]
	if len(v) == 0 || string(bytes.TrimSpace(v)) == "null" {
		return nil
	}
	return v
}

func (r *reader) string(term, field string) string {
	v := r.raw(term)
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		r.fail(field, "must be a JSON string (tocsin:%s)", term)
	}
	return s
}

// strings reads an array of strings; a single string counts as an array of
// one, since a JSON-LD processor compacts one-item arrays that way.
func (r *reader) strings(term, field string) []string {
	v := r.raw(term)
	if v == nil {
		return nil
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []string{s}
	}
	r.fail(field, "must be an array of strings (tocsin:%s)", term)
	return nil
}

func (r *reader) time(term, field string) time.Time {
	s := r.string(term, field)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		r.fail(field, "%q is not an RFC 3339 date-time such as \"2027-08-10T00:00:00Z\"", s)
	}
	return t
}

// objects reads an array of JSON objects into T (one bare object counts as
// an array of one).
func readObjects[T any](r *reader, term, field string) []T {
	v := r.raw(term)
	if v == nil {
		return nil
	}
	var list []T
	if json.Unmarshal(v, &list) == nil {
		return list
	}
	var one T
	if json.Unmarshal(v, &one) == nil {
		return []T{one}
	}
	r.fail(field, "must be an array of objects (tocsin:%s)", term)
	return nil
}

// source reads the Markdown the object's content was rendered from. Peer
// HTML is never read: an object without Markdown source has no body we
// trust.
func (r *reader) source(o *ap.Object) string {
	src, ok := o.Raw["source"].(map[string]any)
	if !ok {
		r.fail("body", "is required: a Tocsin object carries its Markdown in source.content (mediaType %s)", Markdown)
		return ""
	}
	given, _ := src["mediaType"].(string)
	mt, _, _ := mime.ParseMediaType(given)
	content, isString := src["content"].(string)
	switch {
	case mt != Markdown:
		r.fail("body", "source.mediaType must be %s, is %q", Markdown, given)
	case !isString:
		r.fail("body", "source.content must be a string")
	}
	return content
}

// language returns the language of o's contentMap: its only key, or of
// several the one whose text is content. Without one, the field is
// reported.
func (r *reader) language(o *ap.Object) string {
	keys := make([]string, 0, len(o.ContentMap))
	for k, v := range o.ContentMap {
		if len(o.ContentMap) == 1 || v == o.Content {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		r.fail("language", "is required: give contentMap with the content's language (BCP 47)")
		return ""
	}
	sort.Strings(keys)
	return keys[0]
}

// err merges the shape problems with Validate's, leaving out Validate's
// report on a field whose shape was already wrong, and returns a
// *alert.ValidationError or nil.
func (r *reader) err(validation error, more ...alert.FieldError) error {
	problems := r.problems
	var ve *alert.ValidationError
	switch {
	case errors.As(validation, &ve):
		for _, p := range ve.Problems {
			if !r.reported(p.Field) {
				problems = append(problems, p)
			}
		}
	case validation != nil:
		return validation
	}
	problems = append(problems, more...)
	if len(problems) == 0 {
		return nil
	}
	return &alert.ValidationError{Problems: problems}
}

// reported says whether field, or the field it is part of ("election" for
// "election.date"), has a shape problem.
func (r *reader) reported(field string) bool {
	for _, p := range r.problems {
		if p.Field == field || strings.HasPrefix(field, p.Field+".") || strings.HasPrefix(field, p.Field+"[") {
			return true
		}
	}
	return false
}
