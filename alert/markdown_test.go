package alert

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

// tagsOf returns every element name in s and fails on any attribute of an
// element other than a's href and rel.
func tagsOf(t testing.TB, s string) map[string]bool {
	t.Helper()
	tags := map[string]bool{}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return tags
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			tok := z.Token()
			tags[tok.Data] = true
			for _, a := range tok.Attr {
				switch {
				case tok.Data == "a" && a.Key == "href":
					if !strings.HasPrefix(a.Val, "http://") && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "mailto:") {
						t.Errorf("link to %q in %q", a.Val, s)
					}
				case tok.Data == "a" && a.Key == "rel":
					if a.Val != LinkRel {
						t.Errorf("rel=%q in %q", a.Val, s)
					}
				case tok.Data == "ol" && a.Key == "start":
				default:
					t.Errorf("attribute %s=%q on <%s> in %q", a.Key, a.Val, tok.Data, s)
				}
			}
		}
	}
}

func TestRenderMarkdownStripsWhatIsDangerous(t *testing.T) {
	tests := []struct {
		name, src string
		absent    []string
	}{
		{"script block", "<script>alert(1)</script>", []string{"<script"}},
		{"inline script", "hello <script src=https://evil.example/x.js></script> there", []string{"<script", "evil.example"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, []string{"<iframe", "evil.example"}},
		{"onclick", `<a href="https://x.example" onclick="steal()">x</a>`, []string{"onclick", "steal"}},
		{"onerror in img", `<img src=x onerror=alert(1)>`, []string{"<img", "onerror"}},
		{"javascript link", `[click](javascript:alert(1))`, []string{"javascript:", "href"}},
		{"JavaScript link, mixed case", `[click](JaVaScRiPt:alert(1))`, []string{"avascript", "href"}},
		{"data link", `[click](data:text/html;base64,PHNjcmlwdD4=)`, []string{"data:", "href"}},
		{"vbscript link", `[click](vbscript:msgbox)`, []string{"vbscript", "href"}},
		{"relative link", `[click](/admin)`, []string{"href"}},
		{"autolink javascript", `<javascript:alert(1)>`, []string{"href"}},
		{"style", `<style>body{display:none}</style> text`, []string{"<style", "display"}},
		{"form", `<form action=https://x.example><input name=p></form>`, []string{"<form", "<input"}},
		{"image", `![a cat](https://img.example/cat.png)`, []string{"<img"}},
		{"heading", "# Big", []string{"<h1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := RenderMarkdown(tt.src)
			for _, bad := range tt.absent {
				if strings.Contains(strings.ToLower(out), strings.ToLower(bad)) {
					t.Errorf("output contains %q: %s", bad, out)
				}
			}
			tagsOf(t, out)
		})
	}
}

func TestRenderMarkdownKeepsLinksWithRel(t *testing.T) {
	tests := []struct{ src, want string }{
		{"[IEBC](https://iebc.example/notice)", `<a href="https://iebc.example/notice" rel="nofollow noopener noreferrer">IEBC</a>`},
		{"see https://news.example/a?b=1&c=2 now", `<a href="https://news.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">https://news.example/a?b=1&amp;c=2</a>`},
		{"<https://x.example>", `<a href="https://x.example" rel="nofollow noopener noreferrer">`},
		{"[mail](mailto:desk@elog.example)", `<a href="mailto:desk@elog.example" rel="nofollow noopener noreferrer">mail</a>`},
		{`[t](https://x.example "title")`, `<a href="https://x.example" rel="nofollow noopener noreferrer">t</a>`},
		{"![cat](https://img.example/cat.png)", `<a href="https://img.example/cat.png" rel="nofollow noopener noreferrer">cat</a>`},
	}
	for _, tt := range tests {
		if out := RenderMarkdown(tt.src); !strings.Contains(out, tt.want) {
			t.Errorf("RenderMarkdown(%q) = %s\nwant it to contain %s", tt.src, out, tt.want)
		}
	}
}

func TestRenderMarkdownKeepsUsefulFormatting(t *testing.T) {
	src := "**bold** *em* `code`\nnext line\n\n> quote\n\n- one\n- two\n\n5. five\n\n```\nhash 1234\n```\n\n## Heading"
	out := RenderMarkdown(src)
	for _, want := range []string{"<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<br", "<blockquote>",
		"<ul>", "<li>one</li>", `<ol start="5">`, "<pre><code>hash 1234", "<p><strong>Heading</strong></p>"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestFlattenKeepsOnlyParagraphsBreaksLinksAndSpans(t *testing.T) {
	src := "Intro *em* **strong** `code`\n\n> false claim\n\n- one [link](https://x.example)\n- two\n  - nested\n\n1. first\n2. second\n\n```\nline1\nline2\n```\n\n# Title\n\n<div>raw</div>"
	out := RenderMarkdownFlat(src)
	for tag := range tagsOf(t, out) {
		if tag != "p" && tag != "br" && tag != "a" && tag != "span" {
			t.Errorf("tag <%s> survives flattening: %s", tag, out)
		}
	}
	for _, want := range []string{
		"<p>Intro em strong code</p>",
		"<p>&gt; false claim</p>",
		`<p>• one <a href="https://x.example" rel="nofollow noopener noreferrer">link</a><br>• two<br>`,
		"<p>1. first<br>2. second</p>",
		"<p>line1<br>line2</p>",
		"<p>Title</p>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("flattened output lacks %q:\n%s", want, out)
		}
	}
}

func TestFlattenHTMLOfArbitraryHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<h1>Head</h1><div>a</div><div>b</div>`, "<p>Head a b</p>"},
		{`<p>x<script>alert(1)</script>y</p>`, "<p>xy</p>"},
		{`<table><tr><td>a</td><td>b</td></tr></table>`, "<p>a b</p>"},
		{`<a href="javascript:x">t</a>`, "<p>t</p>"},
		{`<span class="h-card">s</span>`, "<p>s</p>"},
		{`<p>a<br>b</p>`, "<p>a<br>b</p>"},
		{``, ``},
	}
	for _, tt := range tests {
		if got := FlattenHTML(tt.in); got != tt.want {
			t.Errorf("FlattenHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// goldmark and bluemonday objects are shared package state; -race checks
// that rendering from many goroutines is safe.
func TestRenderMarkdownConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	want := RenderMarkdown("**a** [b](https://b.example)")
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := RenderMarkdownFlat("**a** [b](https://b.example)"); !strings.Contains(got, "b.example") {
					t.Error("bad flat render")
				}
				if got := RenderMarkdown("**a** [b](https://b.example)"); got != want {
					t.Errorf("render differs: %s", got)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script>", "[x](javascript:alert(1))", "<<script>script>", "`<script>`",
		"![x](https://a.example/x.png)", "> quote\n- list\n\n```\ncode\n```", "<ScRiPt>", "&lt;script&gt;",
		"[a](<javascript:x>)", "<a href='https://x' onmouseover=x>y</a>", "\x00<script>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := RenderMarkdown(src)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("RenderMarkdown(%q) contains <script: %s", src, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("RenderMarkdown(%q) is not valid UTF-8: %q", src, out)
		}
		flat := FlattenHTML(out)
		if strings.Contains(strings.ToLower(flat), "<script") {
			t.Fatalf("FlattenHTML contains <script: %s", flat)
		}
		for tag := range tagsOf(t, flat) {
			if tag != "p" && tag != "br" && tag != "a" && tag != "span" {
				t.Fatalf("FlattenHTML(RenderMarkdown(%q)) keeps <%s>: %s", src, tag, flat)
			}
		}
	})
}

func FuzzFlattenHTML(f *testing.F) {
	for _, s := range []string{
		"<p>a</p>", "<ul><li><p>x</p><ul><li>y</li></ul></li></ul>", "<blockquote><pre>a\nb</pre></blockquote>",
		"<a href=https://x><p>in</p></a>", "<script>x</script>", "<svg><script>alert(1)</script></svg>",
		"<ol start=-3><li>a</li></ol>", "<math><mi xlink:href=javascript:x>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := FlattenHTML(in)
		if !utf8.ValidString(out) || strings.Contains(out, "\x00") {
			t.Fatalf("FlattenHTML(%q) is not valid UTF-8 text: %q", in, out)
		}
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("FlattenHTML(%q) contains <script: %s", in, out)
		}
		for tag := range tagsOf(t, out) {
			if tag != "p" && tag != "br" && tag != "a" && tag != "span" {
				t.Fatalf("FlattenHTML(%q) keeps <%s>: %s", in, tag, out)
			}
		}
	})
}
