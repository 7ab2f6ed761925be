package browser

import (
	"strings"
	"testing"
)

func TestCheckHTML(t *testing.T) {
	good := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>
<body><a class="skip" href="#main">Skip</a><main id="main"><h1 id="t">T</h1>
<form><label for="f-q">Q</label><input id="f-q" name="q"><p aria-labelledby="t">x</p></form>
<svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg></main></body></html>`
	if p := CheckHTML(good); len(p) != 0 {
		t.Errorf("valid page: %v", p)
	}
	cases := map[string]string{
		"duplicate id":         `<html><body><p id="a">x</p><p id="a">y</p></body></html>`,
		"is not closed before": `<html><body><div><p>x</div></body></html>`,
		"is never closed":      `<html><body><div>x</body>`,
		"closes nothing open":  `<html><body></span></body></html>`,
		"which no element has": `<html><body><label for="nope">x</label><input id="yes"></body></html>`,
		"not a void element":   `<html><body><div/></body></html>`,
		"void element":         `<html><body><br></br></body></html>`,
	}
	for want, src := range cases {
		p := CheckHTML(src)
		if !strings.Contains(strings.Join(p, "\n"), want) {
			t.Errorf("%s: problems %v", want, p)
		}
	}
	// Line numbers point at the element.
	p := CheckHTML("<html>\n<body>\n<p id=a></p>\n<p id=a></p>\n</body></html>")
	if len(p) != 1 || !strings.HasPrefix(p[0], "line 4:") {
		t.Errorf("line numbers: %v", p)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"TestX":           "TestX",
		"TestX/sub case":  "TestX/sub_case",
		"TestX/../../etc": "TestX/etc",
		"TestX/a:b?c":     "TestX/a_b_c",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArtifactDirHonoursTheVariable(t *testing.T) {
	root := t.TempDir()
	t.Setenv("TOCSIN_ARTIFACTS", root)
	dir := ArtifactDir(t)
	if want := root + "/TestArtifactDirHonoursTheVariable"; dir != want {
		t.Errorf("dir %q, want %q", dir, want)
	}
}
