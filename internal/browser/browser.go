// Package browser drives Debian's headless Chromium from tests with
// chromedp: one browser per test, every step bounded by a timeout, a PNG
// screenshot of each step kept as an artefact, and the raw HTML of each
// page for validity checks. It is test support: production code never
// imports it.
//
// Tests skip when /usr/bin/chromium is missing, unless the environment
// variable CI is set: then they fail, because .ci/run installs it.
//
// Screenshots go to $TOCSIN_ARTIFACTS/<test name>/ when that variable is
// set, else to <repo>/artifacts/<test name>/ (gitignored). The directory is
// emptied when the test starts, so it only ever holds the last run.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ExecPath is the browser the tests drive: Debian's chromium package.
const ExecPath = "/usr/bin/chromium"

// StepTimeout bounds every browser step; StartTimeout bounds starting the
// browser.
const (
	StepTimeout  = 20 * time.Second
	StartTimeout = 60 * time.Second
)

// Browser is one headless Chromium with one tab, owned by one test.
type Browser struct {
	t   testing.TB
	ctx context.Context
	// Dir is the test's artefact directory.
	Dir string

	mu    sync.Mutex
	shots int
	// Visited lists every page the browser loaded through Open or Follow,
	// in order, as absolute URLs.
	Visited []string
}

// Available reports whether the browser binary is installed.
func Available() bool {
	fi, err := os.Stat(ExecPath)
	return err == nil && !fi.IsDir()
}

// Require skips the test when Chromium is missing, or fails it when the
// CI variable is set (CI installs Chromium, so missing is a broken setup).
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing and CI is set: .ci/run installs Debian's chromium", ExecPath)
	}
	t.Skipf("%s is missing: apt-get install --no-install-recommends chromium", ExecPath)
}

// New starts a headless Chromium for the test (or skips, see Require). It
// is stopped when the test ends.
func New(t testing.TB) *Browser {
	t.Helper()
	Require(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser and ties it to ctx, so it cannot
	// carry a deadline itself: bound it from outside instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start %s: %v", ExecPath, err)
		}
	case <-time.After(StartTimeout):
		cancel()
		cancelAlloc()
		t.Fatalf("%s did not start within %s", ExecPath, StartTimeout)
	}
	return &Browser{t: t, ctx: ctx, Dir: ArtifactDir(t)}
}

// ArtifactDir returns the test's artefact directory, created empty: under
// $TOCSIN_ARTIFACTS if set, else <repo>/artifacts, then the test's name.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("TOCSIN_ARTIFACTS")
	if root == "" {
		repo, err := repoRoot()
		if err != nil {
			t.Fatalf("artefacts: %v (set TOCSIN_ARTIFACTS)", err)
		}
		root = filepath.Join(repo, "artifacts")
	}
	dir := filepath.Join(root, safeName(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("artefacts: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artefacts: %v", err)
	}
	return dir
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._/-]+`)

// safeName turns a test name (subtests included) into a relative path.
func safeName(name string) string {
	parts := strings.Split(unsafeChars.ReplaceAllString(name, "_"), "/")
	var out []string
	for _, p := range parts {
		p = strings.Trim(p, ".")
		if p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return "test"
	}
	return filepath.Join(out...)
}

// repoRoot is the nearest directory above the working directory that holds
// go.mod (go test runs in the package's directory).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// step returns a context bounded by StepTimeout.
func (b *Browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, StepTimeout)
}

// Do runs actions as one bounded step; what names it in failures.
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Run runs one action as a bounded step and returns its value.
func Run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Open loads rawURL, waits for the page to load and returns the HTTP status
// of the document.
func (b *Browser) Open(rawURL string) int {
	b.t.Helper()
	resp := Run(b, "open "+rawURL, chromedp.NavigateResponse(rawURL))
	b.visited()
	return int(resp.Status)
}

// Follow runs actions that navigate (a click on a link, a form
// submission), waits for the new page to load and returns its status.
func (b *Browser) Follow(what string, actions ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	b.visited()
	return int(resp.Status)
}

func (b *Browser) visited() {
	b.t.Helper()
	u := b.URL()
	b.mu.Lock()
	b.Visited = append(b.Visited, u)
	b.mu.Unlock()
}

// URL is the address of the current page.
func (b *Browser) URL() string {
	b.t.Helper()
	return Run(b, "location", chromedp.Location())
}

// Path is the path and query of the current page.
func (b *Browser) Path() string {
	b.t.Helper()
	u, err := url.Parse(b.URL())
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

// Text is the rendered text (innerText) of the first element sel matches,
// once it is visible.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its JSON value.
func Eval[T any](b *Browser, what, expr string) T {
	b.t.Helper()
	return Run(b, what, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Fetch gets rawURL (relative to the page) from inside the page, with the
// page's cookies, as a feed reader or script on the page would, and
// returns the status, content type and body.
func (b *Browser) Fetch(rawURL string) (status int, contentType, body string) {
	b.t.Helper()
	type result struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}
	expr := fmt.Sprintf(`fetch(%q, {credentials: "same-origin", cache: "no-store", redirect: "follow"})
		.then(async r => ({status: r.status, type: r.headers.get("Content-Type") || "", body: await r.text()}))`, rawURL)
	r := Eval[result](b, "fetch "+rawURL, expr)
	return r.Status, r.Type, r.Body
}

// Source is the HTML the server sends for the current page (fetched again
// from inside the page with its cookies): what the browser parsed, before
// any script ran.
func (b *Browser) Source() string {
	b.t.Helper()
	status, _, body := b.Fetch(b.URL())
	if status >= 500 {
		b.t.Fatalf("source of %s: status %d", b.URL(), status)
	}
	return body
}

// DOMDuplicateIDs lists ids that more than one element of the live DOM
// carries.
func (b *Browser) DOMDuplicateIDs() []string {
	b.t.Helper()
	return Eval[[]string](b, "duplicate ids", `(() => {
		const seen = new Map();
		for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
		return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
	})()`)
}

// PressTab presses the Tab key once and returns a description of the
// element that has focus then: tag, id, class and href.
func (b *Browser) PressTab() Focused {
	b.t.Helper()
	b.Do("press Tab", chromedp.KeyEvent(kb.Tab))
	return b.Focused()
}

// Focused describes the element that has focus.
type Focused struct {
	Tag   string `json:"tag"`
	ID    string `json:"id"`
	Class string `json:"class"`
	Href  string `json:"href"`
	Text  string `json:"text"`
}

// Focused returns the element that has focus.
func (b *Browser) Focused() Focused {
	b.t.Helper()
	return Eval[Focused](b, "focused element", `(() => {
		const e = document.activeElement;
		return e ? {tag: e.tagName.toLowerCase(), id: e.id || "", class: e.className || "",
			href: e.getAttribute("href") || "", text: (e.innerText || "").trim()} : {};
	})()`)
}

// Screenshot saves a full-page PNG of the current page as
// NN-name.png in the artefact directory, logs and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	path := filepath.Join(b.Dir, fmt.Sprintf("%02d-%s.png", n, safeFile(name)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeFile(name string) string {
	return strings.Trim(unsafeFileChars.ReplaceAllString(name, "-"), "-.")
}

// ColorScheme emulates prefers-color-scheme ("light" or "dark"; "" resets).
func (b *Browser) ColorScheme(scheme string) {
	b.t.Helper()
	var features []*emulation.MediaFeature
	if scheme != "" {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	b.Do("color scheme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
		return err
	}))
}

// LowContrast lists the visible text of the page whose colour contrast
// with its background is below WCAG 2 AA: 4.5:1, or 3:1 for large text
// (24px, or 18.66px bold). The background is the first opaque one among
// the element and its ancestors (translucent ones are blended), so text
// over images or gradients is not judged.
func (b *Browser) LowContrast() []string {
	b.t.Helper()
	return Eval[[]string](b, "contrast", contrastJS)
}

const contrastJS = `(() => {
	const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
		const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
	const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
	const blend = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat(1); };
	const background = el => { const layers = [];
		for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
			if (s.backgroundImage !== "none") return null;
			const c = parse(s.backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
		let bg = [255, 255, 255, 1]; for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg); return bg; };
	const out = [], seen = new Set();
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const text = n.textContent.trim(); const el = n.parentElement; if (!text || !el || seen.has(el)) continue;
		seen.add(el);
		const s = getComputedStyle(el); const r = el.getBoundingClientRect();
		if (s.visibility !== "visible" || s.display === "none" || +s.opacity === 0 || r.width === 0 || r.height === 0 || r.right < 0 || r.bottom < 0) continue;
		if (el.closest("option, svg")) continue;
		const bg = background(el); let fg = parse(s.color); if (!bg || !fg) continue;
		fg = blend(fg, bg);
		const l1 = lum(fg), l2 = lum(bg); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
		const size = parseFloat(s.fontSize), bold = +s.fontWeight >= 700;
		const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
		if (ratio < need) out.push("<" + el.tagName.toLowerCase() + (el.className ? "." + el.className : "") + "> " +
			JSON.stringify(text.slice(0, 40)) + ": " + ratio.toFixed(2) + ":1 (" + s.color + " on rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + "), need " + need + ")");
	}
	return out;
})()`
