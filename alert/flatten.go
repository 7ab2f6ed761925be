package alert

import (
	"html"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"
)

// FlattenHTML reduces HTML to what every fediverse server keeps in a post's
// content: p, br, a (href http, https or mailto, rel="nofollow noopener
// noreferrer") and span, and plain text. Structure survives as text: list
// items become lines starting "• " or "1. ", quoted paragraphs start with
// "> " (so a quoted false claim never reads as the alert's own words), code
// blocks keep their line breaks, headings become paragraphs, emphasis is
// dropped. Any HTML is accepted; it is sanitised before and after.
func FlattenHTML(s string) string {
	f := flattener{}
	f.run(richPolicy.Sanitize(validText(s)))
	return withLinkRel(flatPolicy.Sanitize(f.b.String()))
}

type listState struct {
	ordered bool
	n       int
}

// flattener turns sanitised rich HTML (the elements richPolicy allows) into
// paragraphs of lines.
type flattener struct {
	b         strings.Builder
	open      bool // a <p> is open
	lineStart bool // nothing but prefixes written on the current line
	space     bool // whitespace seen since the last word
	marked    bool // a list marker was just written: the item's first <p> is no new line
	anchors   int  // <a> written and not yet closed
	quote     int  // blockquote depth
	pre       int  // pre depth
	lists     []listState
}

func (f *flattener) run(s string) {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			f.closePara()
			return
		case xhtml.TextToken:
			f.text(string(z.Text()))
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			t := z.Token()
			f.start(t)
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			f.end(string(name))
		}
	}
}

func (f *flattener) start(t xhtml.Token) {
	switch t.Data {
	case "p":
		f.block()
	case "pre":
		f.block()
		f.pre++
	case "blockquote":
		f.block()
		f.quote++
	case "ul", "ol":
		if len(f.lists) == 0 {
			f.closePara()
		}
		l := listState{ordered: t.Data == "ol"}
		for _, a := range t.Attr {
			if a.Key == "start" {
				if n, err := strconv.Atoi(a.Val); err == nil {
					l.n = n - 1
				}
			}
		}
		f.lists = append(f.lists, l)
	case "li":
		f.newLine()
		f.ensureOpen()
		marker := "• "
		if n := len(f.lists); n > 0 {
			marker = strings.Repeat("\u00a0\u00a0", n-1) + marker
			if l := &f.lists[n-1]; l.ordered {
				l.n++
				marker = strings.Repeat("\u00a0\u00a0", n-1) + strconv.Itoa(l.n) + ". "
			}
		}
		f.b.WriteString(html.EscapeString(marker))
		f.lineStart, f.space, f.marked = false, false, true
	case "br":
		if f.open {
			f.lineStart = false // an explicit break always breaks
			f.newLine()
		}
	case "a":
		for _, a := range t.Attr {
			if a.Key == "href" {
				f.ensureOpen()
				f.flushSpace()
				f.b.WriteString(`<a href="` + html.EscapeString(a.Val) + `">`)
				f.anchors++
				f.lineStart = false
				break
			}
		}
	}
}

func (f *flattener) end(name string) {
	switch name {
	case "p":
		if len(f.lists) == 0 {
			f.closePara()
		}
	case "pre":
		f.pre--
		f.endBlock()
	case "blockquote":
		f.closePara()
		f.quote--
	case "ul", "ol":
		if len(f.lists) > 0 {
			f.lists = f.lists[:len(f.lists)-1]
		}
		if len(f.lists) == 0 {
			f.closePara()
		}
	case "a":
		if f.anchors > 0 {
			f.b.WriteString("</a>")
			f.anchors--
		}
	}
}

// block starts a block element: a new paragraph, or a new line inside a list
// item (whose first block continues the marker's line).
func (f *flattener) block() {
	if len(f.lists) == 0 {
		f.closePara()
		return
	}
	if !f.marked {
		f.newLine()
	}
}

func (f *flattener) endBlock() {
	if len(f.lists) == 0 {
		f.closePara()
	}
}

func (f *flattener) text(s string) {
	if f.pre > 0 {
		for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			if i > 0 {
				f.lineStart = false
				f.newLine()
			}
			if line != "" {
				f.ensureOpen()
				f.b.WriteString(html.EscapeString(line))
				f.lineStart, f.marked = false, false
			}
		}
		return
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		f.space = f.space || s != ""
		return
	}
	if s[0] == ' ' || s[0] == '\n' || s[0] == '\t' || s[0] == '\r' {
		f.space = true
	}
	f.ensureOpen()
	f.flushSpace()
	f.b.WriteString(html.EscapeString(strings.Join(words, " ")))
	f.lineStart, f.marked = false, false
	last := s[len(s)-1]
	f.space = last == ' ' || last == '\n' || last == '\t' || last == '\r'
}

func (f *flattener) flushSpace() {
	if f.space && !f.lineStart && !f.marked {
		f.b.WriteByte(' ')
	}
	f.space = false
}

func (f *flattener) ensureOpen() {
	if f.open {
		return
	}
	f.b.WriteString("<p>")
	f.open, f.lineStart, f.space = true, true, false
	f.prefix()
}

// newLine breaks the line if anything is on it.
func (f *flattener) newLine() {
	if !f.open || f.lineStart {
		return
	}
	f.closeAnchors()
	f.b.WriteString("<br>")
	f.lineStart, f.space = true, false
	f.prefix()
}

func (f *flattener) prefix() {
	if f.quote > 0 {
		f.b.WriteString(strings.Repeat("&gt; ", f.quote))
	}
}

func (f *flattener) closeAnchors() {
	for ; f.anchors > 0; f.anchors-- {
		f.b.WriteString("</a>")
	}
}

func (f *flattener) closePara() {
	if !f.open {
		return
	}
	f.closeAnchors()
	f.b.WriteString("</p>")
	f.open, f.space, f.marked = false, false, false
}
