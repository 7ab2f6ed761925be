package alert

import (
	"bytes"
	"html"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
	xhtml "golang.org/x/net/html"
)

// LinkRel is the rel every link we render carries: no endorsement, no
// window.opener, no Referer leaking which alert a reader came from.
const LinkRel = "nofollow noopener noreferrer"

// Markdown is CommonMark plus autolinked bare URLs; a single newline is a
// line break (people write alerts in a text box, like a toot). Raw HTML in
// the source is dropped by goldmark (no WithUnsafe), headings become bold
// paragraphs and images become links to the image, so the output needs
// nothing outside the allowed elements. goldmark.Markdown is safe for
// concurrent use.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Linkify),
	goldmark.WithRendererOptions(
		ghtml.WithHardWraps(),
		renderer.WithNodeRenderers(util.Prioritized(plainBlocks{}, 100)),
	),
)

// richPolicy is what a body may contain on our own pages: paragraphs and
// line breaks, links (http, https, mailto; absolute), emphasis, code, lists
// and quotes. bluemonday policies are safe for concurrent use once built.
var richPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	allowLinks(p)
	// "<div>a</div><div>b</div>" must not read "ab" once the divs are gone.
	p.AddSpaceWhenStrippingTag(true)
	return p
}()

// flatPolicy is the markup every fediverse server keeps in content.
var flatPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span")
	allowLinks(p)
	return p
}()

func allowLinks(p *bluemonday.Policy) {
	p.AllowAttrs("href").OnElements("a")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	// A web link must name a host ("http:" alone goes nowhere), a mailto
	// link an address.
	hasHost := func(u *url.URL) bool { return u.Host != "" }
	p.AllowURLSchemeWithCustomPolicy("http", hasHost)
	p.AllowURLSchemeWithCustomPolicy("https", hasHost)
	p.AllowURLSchemeWithCustomPolicy("mailto", func(u *url.URL) bool { return u.Opaque != "" })
}

// RenderMarkdown renders Markdown source to HTML safe to put in any page:
// only p, br, span, em, strong, code, pre, ul, ol, li, blockquote and a
// (href http, https or mailto, with rel="nofollow noopener noreferrer")
// survive; scripts, iframes, event handlers, styles and javascript: links
// never do. For federated content use FlattenHTML on the result.
func RenderMarkdown(src string) string {
	src = validText(src)
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		// Writing to a bytes.Buffer does not fail; should goldmark ever
		// refuse, the escaped source is still a faithful, safe rendering.
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	return withLinkRel(richPolicy.Sanitize(buf.String()))
}

// RenderMarkdownFlat renders Markdown source to the federation subset: p, br,
// a and span only (see FlattenHTML).
func RenderMarkdownFlat(src string) string { return FlattenHTML(RenderMarkdown(src)) }

// validText replaces invalid UTF-8 and NUL bytes with U+FFFD, so output is
// always valid UTF-8 (JSON and ActivityPub need it).
func validText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// withLinkRel rewrites every <a> of sanitised HTML to carry its href and
// LinkRel, nothing else. bluemonday can add nofollow and noreferrer but not
// noopener without also adding target="_blank".
func withLinkRel(s string) string {
	if !strings.Contains(s, "<a") {
		return s
	}
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return b.String()
		}
		if tt == xhtml.StartTagToken {
			if name, hasAttr := z.TagName(); string(name) == "a" {
				b.WriteString(`<a`)
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						b.WriteString(` href="` + html.EscapeString(string(v)) + `"`)
					}
				}
				b.WriteString(` rel="` + LinkRel + `">`)
				continue
			}
		}
		b.Write(z.Raw())
	}
}

// plainBlocks renders the Markdown nodes whose HTML we do not allow with the
// elements we do.
type plainBlocks struct{}

func (plainBlocks) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
	reg.Register(ast.KindImage, renderImage)
}

// renderHeading writes a heading as a bold paragraph.
func renderHeading(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString("<p><strong>")
	} else {
		_, _ = w.WriteString("</strong></p>\n")
	}
	return ast.WalkContinue, nil
}

// renderImage writes an image as a link to it, its alt text as the link text
// (or the URL when there is none). Images are not embedded: a reader opens
// them on purpose, and no remote image tracks who read an alert.
func renderImage(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	dest := util.URLEscape(n.Destination, true)
	link := !ghtml.IsDangerousURL(dest) && len(dest) > 0 && !insideLink(n)
	if entering {
		if link {
			_, _ = w.WriteString(`<a href="`)
			_, _ = w.Write(util.EscapeHTML(dest))
			_, _ = w.WriteString(`">`)
		}
		if !n.HasChildren() {
			_, _ = w.Write(util.EscapeHTML(n.Destination))
		}
	} else if link {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink || p.Kind() == ast.KindAutoLink {
			return true
		}
	}
	return false
}
