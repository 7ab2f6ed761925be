package handlers

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/alert"
	"github.com/tocsin-network/tocsin/static"
	"github.com/tocsin-network/tocsin/store"
)

// The public web pages: server-rendered, one handler per page, templates
// and stylesheet embedded from static/, no JavaScript. Every page shows
// only what publish.CanRead lets an anonymous reader see (TLP:CLEAR,
// approved by moderation).

// webCSP is the Content-Security-Policy of every HTML page: nothing inline,
// nothing from elsewhere.
const webCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// setWebHeaders sets the security headers every HTML response carries.
func setWebHeaders(h http.Header) {
	h.Set("Content-Security-Policy", webCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

var webFuncs = template.FuncMap{
	"t":     tr,
	"tf":    trf,
	"label": label,
	"country": func(code string) string {
		return alert.CountryName(code)
	},
	"subdivision": func(code string) string {
		if s, ok := alert.LookupSubdivision(code); ok {
			return s.Name
		}
		return code
	},
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"day":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	// html marks HTML the alert package has already sanitised (BodyHTML).
	"html":    func(s string) template.HTML { return template.HTML(s) },
	"lower":   strings.ToLower,
	"field":   formFieldOf,
	"invalid": invalidAttrs,
	"safeID":  safeID,
	"list":    func(v ...string) []string { return v },
	"tlpClass": func(name string) string {
		return "tlp-" + strings.ToLower(strings.ReplaceAll(name, "+", "-"))
	},
}

// formField is one form control's id and errors, for the "fieldError"
// template and the invalid function.
type formField struct {
	ID   string
	Errs []string
}

func formFieldOf(errs fieldErrors, id, name string) formField {
	return formField{ID: id, Errs: errs[name]}
}

// invalidAttrs marks a control with errors: aria-invalid, and
// aria-describedby pointing at its error message.
func invalidAttrs(f formField) template.HTMLAttr {
	if len(f.Errs) == 0 {
		return ""
	}
	return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(f.ID) + `-error"`)
}

// webTemplates parses each page with the layout, once.
var webTemplates = sync.OnceValue(func() map[string]*template.Template {
	pages, err := fs.Glob(static.Files, "templates/web/page_*.html")
	if err != nil || len(pages) == 0 {
		panic("no web templates embedded")
	}
	out := make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/web/page_"), ".html")
		out[name] = template.Must(template.New("layout.html").Funcs(webFuncs).
			ParseFS(static.Files, "templates/web/layout.html", "templates/web/parts.html", "templates/web/forms.html", p))
	}
	return out
})

// feedLink is a <link rel="alternate"> to a feed.
type feedLink struct {
	Type, Title, Href string
}

// webPage is what the layout needs, plus the page's own data.
type webPage struct {
	Lang         string
	Title        string
	InstanceName string
	Section      string // the nav entry to mark as current
	Canonical    string
	ActivityJSON string // the same resource as ActivityPub JSON, if any
	Feeds        []feedLink
	// Viewer is the signed-in person (the header says so), nil for anyone.
	Viewer *webViewerInfo
	// CSRF is the token every form of a signed-in page carries.
	CSRF string
	Data any
}

// webViewerInfo is what the header shows of the signed-in person.
type webViewerInfo struct {
	Username, Name    string
	CanPublish, Staff bool
	Admin             bool
}

// viewerInfo describes a signed-in person for the header.
func viewerInfo(a *store.Account) *webViewerInfo {
	v := &webViewerInfo{Username: a.Username, Name: a.DisplayName,
		CanPublish: a.Role == account.RoleAdmin || len(a.ActsFor) > 0,
		Staff:      a.Role == account.RoleAdmin || a.Role == account.RoleModerator,
		Admin:      a.Role == account.RoleAdmin}
	if v.Name == "" {
		v.Name = a.Username
	}
	return v
}

// render writes a page with the security headers.
func (s *Server) render(c echo.Context, status int, name string, p webPage) error {
	p.Lang = s.defaultLanguage()
	p.InstanceName = s.cfg.Instance.Name
	if a := s.signedIn(c); a != nil {
		p.Viewer = viewerInfo(a)
		// The sign-out form in the header needs the token on every page.
		if p.CSRF, _ = c.Get("csrf").(string); p.CSRF == "" {
			if ck, err := c.Cookie(webCSRFCookie); err == nil {
				p.CSRF = ck.Value
			}
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Add("Vary", "Cookie")
	} else {
		p.CSRF, _ = c.Get("csrf").(string)
	}
	tmpl, ok := webTemplates()[name]
	if !ok {
		panic("no web template " + name)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := tmpl.Execute(buf, p); err != nil {
		return err
	}
	setWebHeaders(c.Response().Header())
	return c.HTMLBlob(status, withoutBidiControls(buf.Bytes()))
}

// bidiControls are the Unicode embedding, override and isolate controls
// (U+202A-U+202E, U+2066-U+2069). In a display name or title from a peer
// or a member they reverse the text around them ("gnp.exe"), so the web
// pages, the authorisation page and the feeds drop them. Our templates
// never contain them; the marks real right-to-left text uses (U+200E,
// U+200F) are kept.
const bidiControls = "‪‫‬‭‮⁦⁧⁨⁩"

// withoutBidiControls returns b without bidiControls (b itself, usually).
func withoutBidiControls(b []byte) []byte {
	if !bytes.ContainsAny(b, bidiControls) {
		return b
	}
	return bytes.Map(func(r rune) rune {
		if strings.ContainsRune(bidiControls, r) {
			return -1
		}
		return r
	}, b)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// webNotFound is the HTML 404 page. API, ActivityPub, OAuth and discovery
// paths, and clients asking for JSON, keep the JSON error.
func (s *Server) webNotFound(c echo.Context) error {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return echo.ErrNotFound
	}
	for _, p := range []string{"/api/", "/oauth/", "/.well-known/", "/nodeinfo/", "/inbox", "/actor"} {
		if strings.HasPrefix(r.URL.Path, p) {
			return echo.ErrNotFound
		}
	}
	if wantsActivityJSON(r) {
		return echo.ErrNotFound
	}
	return s.render(c, http.StatusNotFound, "notfound", webPage{Title: tr("notfound.title")})
}

// serveAsset serves the embedded stylesheet and images. Their URLs carry
// no version, so caches revalidate after a day.
func serveAsset() echo.HandlerFunc {
	sub, err := fs.Sub(static.Files, "assets")
	if err != nil {
		panic(err)
	}
	h := http.StripPrefix("/assets/", http.FileServer(http.FS(sub)))
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Request().URL.Path, "/") {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		c.Response().Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// withQuery returns path with the query q (none when empty).
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
