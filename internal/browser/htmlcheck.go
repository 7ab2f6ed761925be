package browser

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

type openTag struct {
	tag  string
	line int
}

// voidElements never have an end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// CheckHTML lists what is wrong with an HTML document, strictly: every
// non-void element closed explicitly and in order, no end tag for a void
// element, no duplicate or empty id, and every in-page reference (label
// for, aria-labelledby, aria-describedby, aria-controls, href="#...")
// naming an id that exists. An empty result means the page is valid by
// these rules.
func CheckHTML(src string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var stack []openTag
	ids := map[string]int{}
	type ref struct{ attr, id string }
	var refs []ref
	line := 1
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		raw := z.Raw()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				add("line %d: %v", line, z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			for _, a := range tok.Attr {
				switch a.Key {
				case "id":
					if a.Val == "" || strings.ContainsAny(a.Val, " \t\n") {
						add("line %d: <%s> has an invalid id %q", line, tok.Data, a.Val)
					}
					ids[a.Val]++
					if ids[a.Val] == 2 {
						add("line %d: duplicate id %q", line, a.Val)
					}
				case "for":
					if tok.Data == "label" || tok.Data == "output" {
						refs = append(refs, ref{"<" + tok.Data + " for>", a.Val})
					}
				case "aria-labelledby", "aria-describedby", "aria-controls":
					for _, id := range strings.Fields(a.Val) {
						refs = append(refs, ref{a.Key, id})
					}
				case "href":
					if id, ok := strings.CutPrefix(a.Val, "#"); ok && id != "" && tok.Data == "a" {
						refs = append(refs, ref{"href", id})
					}
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, openTag{tok.Data, line})
			}
			if tt == html.SelfClosingTagToken && !voidElements[tok.Data] && tok.Data != "svg" && !inForeign(stack) {
				add("line %d: <%s/> is not a void element", line, tok.Data)
			}
		case html.EndTagToken:
			if voidElements[tok.Data] {
				add("line %d: end tag </%s> of a void element", line, tok.Data)
				break
			}
			i := len(stack) - 1
			for i >= 0 && stack[i].tag != tok.Data {
				i--
			}
			if i < 0 {
				add("line %d: </%s> closes nothing open", line, tok.Data)
				break
			}
			for _, o := range stack[i+1:] {
				add("line %d: <%s> (line %d) is not closed before </%s>", line, o.tag, o.line, tok.Data)
			}
			stack = stack[:i]
		}
		line += strings.Count(string(raw), "\n")
	}
	for _, o := range stack {
		add("<%s> (line %d) is never closed", o.tag, o.line)
	}
	for _, r := range refs {
		if ids[r.id] == 0 {
			add("%s names the id %q, which no element has", r.attr, r.id)
		}
	}
	if _, err := html.Parse(strings.NewReader(src)); err != nil {
		add("parse: %v", err)
	}
	return problems
}

// inForeign reports whether the open elements include svg or math, where
// self-closing tags are allowed.
func inForeign(stack []openTag) bool {
	for _, o := range stack {
		if o.tag == "svg" || o.tag == "math" {
			return true
		}
	}
	return false
}
