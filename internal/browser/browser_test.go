package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHarness drives the browser against a small page on loopback: form
// submission, screenshots, the page source, and the DOM and contrast
// checks catching what they should.
func TestHarness(t *testing.T) {
	b := New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q := r.URL.Query().Get("q"); q != "" {
			fmt.Fprintf(w, `<!doctype html><html lang="en"><body><main><h1 id="r">Result %s</h1></main></body></html>`, q)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>t</title></head><body>
<a class="skip" href="#main">Skip</a>
<main id="main"><h1>Form</h1>
<p id="dup">one</p><p id="dup" style="color:#999;background:#fff">faint grey text</p>
<p style="color:#fff;background:#000">clear</p>
<form action="/" method="get"><label for="q">Q</label><input id="q" name="q"><button id="go">Go</button></form>
</main></body></html>`)
	}))
	defer srv.Close()

	if st := b.Open(srv.URL + "/"); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if f := b.PressTab(); f.Tag != "a" || f.Class != "skip" {
		t.Errorf("first Tab: %+v", f)
	}
	if dup := b.DOMDuplicateIDs(); len(dup) != 1 || dup[0] != "dup" {
		t.Errorf("duplicate ids: %v", dup)
	}
	low := b.LowContrast()
	if len(low) != 1 || !strings.Contains(low[0], "faint grey text") {
		t.Errorf("low contrast: %v", low)
	}
	if src := b.Source(); !strings.Contains(src, `<p id="dup">one</p>`) {
		t.Errorf("source: %q", src)
	}
	if p := CheckHTML(b.Source()); len(p) != 1 || !strings.Contains(p[0], `duplicate id "dup"`) {
		t.Errorf("CheckHTML: %v", p)
	}
	path := b.Screenshot("form")
	if png, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot %s: %v", path, err)
	}
	b.Do("type", chromedp.SendKeys(chromedp.ID("q"), "hello"))
	if st := b.Follow("submit", chromedp.Click(chromedp.ID("go"))); st != http.StatusOK {
		t.Errorf("submit: %d", st)
	}
	if p := b.Path(); p != "/?q=hello" {
		t.Errorf("after submit: %s", p)
	}
	if h := b.Text("h1"); h != "Result hello" {
		t.Errorf("heading %q", h)
	}
	b.ColorScheme("dark")
	if dark := Eval[bool](b, "media", `matchMedia("(prefers-color-scheme: dark)").matches`); !dark {
		t.Error("dark mode not emulated")
	}
	if len(b.Visited) != 2 {
		t.Errorf("visited %v", b.Visited)
	}
}
