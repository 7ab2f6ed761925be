package handlers

// Signing in to the web pages. The session is the OAuth service's signed
// value (oauth.Service.NewSession/Session: nothing stored server-side,
// ended by a password change or by disabling the account), carried in a
// cookie for the whole site. Every form of the signed-in pages carries a
// CSRF token checked by echo's double-submit middleware.
//
// Routes (forms documented in web_compose.go and web_admin.go):
//
//	GET  /signin   the sign-in form (?next=/path to come back to)
//	POST /signin   login, password, next   → 303 to next; 422 wrong; 429 rate limited
//	POST /signout                          → 303 to /
//
// Sign-in form controls: #signin-login (name login), #signin-password
// (name password), hidden next, button #signin-submit. The sign-out button
// in the page header is #signout-submit. The CSRF field of every form is
// the hidden input authenticity_token.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/publish"
	"github.com/tocsin-network/tocsin/store"
)

// Cookies and fields of the signed-in pages.
const (
	webSessionCookie = "tocsin_session"
	webCSRFCookie    = "tocsin_web_csrf"
	webCSRFField     = "authenticity_token"
	webAccountKey    = "tocsin.web.account"
)

// Sign-in rate limit: this many failures per login name, and per client
// address, within the window lock further attempts until the window ends.
const (
	signInMaxFailures = 5
	signInWindow      = 15 * time.Minute
	signInMaxKeys     = 20000 // bound on the limiter's memory
)

// webSignedInRoutes registers sign-in, compose, settings and the admin
// console. They need the OAuth service (sessions) and the publishing
// service.
func (s *Server) webSignedInRoutes() {
	if s.oauth == nil || s.pub == nil {
		return
	}
	e := s.e
	csrf := s.webCSRF()
	lim := newSignInLimiter(signInMaxFailures, signInWindow, s.now)
	e.GET("/signin", s.webSignIn, csrf, noStore)
	e.POST("/signin", s.webSignInSubmit(lim), csrf, noStore)
	e.POST("/signout", s.webSignOut, csrf, noStore)
	s.webComposeRoutes(csrf)
	s.webAccountRoutes(csrf)
	s.webAdminRoutes(csrf)
}

// noStore keeps signed-in pages out of shared and browser caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// webCSRF is echo's double-submit CSRF check on the web forms; a browser
// that sends Sec-Fetch-Site is checked by it too. A refused form gets a
// 403 page.
func (s *Server) webCSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + webCSRFField,
		CookieName:     webCSRFCookie,
		CookiePath:     "/",
		CookieMaxAge:   int((24 * time.Hour).Seconds()),
		CookieHTTPOnly: true,
		CookieSecure:   s.secureCookies(),
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return s.webError(c, http.StatusForbidden, "error.csrfTitle", "error.csrf")
		},
	})
}

// webSession caches the signed-in account (or none) for one request.
type webSession struct{ account *store.Account }

// signedIn returns the person signed in to the web pages, or nil.
func (s *Server) signedIn(c echo.Context) *store.Account {
	if ws, ok := c.Get(webAccountKey).(webSession); ok {
		return ws.account
	}
	var a *store.Account
	if ck, err := c.Cookie(webSessionCookie); err == nil && s.oauth != nil {
		acct, err := s.oauth.Session(c.Request().Context(), ck.Value)
		switch {
		case err == nil && acct.Kind == account.KindPerson:
			a = acct
		case err != nil && tocsin.ErrorCode(err) != tocsin.EUNAUTHORIZED:
			s.log.WarnContext(c.Request().Context(), "web session", "error", err)
		}
	}
	c.Set(webAccountKey, webSession{a})
	return a
}

// webViewer is the signed-in person as a reader of alerts, or nil.
func (s *Server) webViewer(c echo.Context) *publish.Viewer {
	a := s.signedIn(c)
	if a == nil {
		return nil
	}
	return &publish.Viewer{Account: a, Actor: s.urls.Actor(a.Username)}
}

// requireSignIn sends anyone not signed in to the sign-in page, and back
// here afterwards.
func (s *Server) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.signedIn(c) == nil {
			if c.Request().Method != http.MethodGet {
				return s.webError(c, http.StatusUnauthorized, "signin.title", "signin.expired")
			}
			return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return next(c)
	}
}

// setSession sets the session cookie for a.
func (s *Server) setSession(c echo.Context, a *store.Account) {
	c.SetCookie(&http.Cookie{
		Name: webSessionCookie, Value: s.oauth.NewSession(a), Path: "/",
		MaxAge: int(s.oauth.SessionTTL().Seconds()), HttpOnly: true, Secure: s.secureCookies(),
		SameSite: http.SameSiteLaxMode,
	})
}

// safeNext returns next if it is a path on this site, else "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

type signInData struct {
	Login, Next, Error string
}

func (s *Server) renderSignInPage(c echo.Context, status int, d signInData) error {
	return s.render(c, status, "signin", webPage{Title: tr("signin.title"), Section: "signin", Data: d})
}

// webSignIn is GET /signin.
func (s *Server) webSignIn(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if s.signedIn(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderSignInPage(c, http.StatusOK, signInData{Next: next})
}

// webSignInSubmit is POST /signin.
func (s *Server) webSignInSubmit(lim *signInLimiter) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		login := strings.TrimSpace(c.FormValue("login"))
		d := signInData{Login: login, Next: safeNext(c.FormValue("next"))}
		keys := []string{"login:" + strings.ToLower(login), "ip:" + c.RealIP()}
		if wait := lim.blocked(keys...); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			d.Error = trf("signin.limited", int(wait.Minutes())+1)
			return s.renderSignInPage(c, http.StatusTooManyRequests, d)
		}
		person, err := s.accounts.Authenticate(ctx, login, c.FormValue("password"))
		if err == nil && person.Kind != account.KindPerson {
			err = tocsin.Errorf(tocsin.EUNAUTHORIZED, "organisations sign in through their staff")
		}
		if tocsin.ErrorCode(err) == tocsin.EUNAUTHORIZED {
			lim.fail(keys...)
			d.Error = tr("signin.wrong")
			return s.renderSignInPage(c, http.StatusUnprocessableEntity, d)
		}
		if err != nil {
			return err
		}
		lim.reset(keys[0])
		s.setSession(c, person)
		return c.Redirect(http.StatusSeeOther, d.Next)
	}
}

// webSignOut is POST /signout.
func (s *Server) webSignOut(c echo.Context) error {
	c.SetCookie(&http.Cookie{Name: webSessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, "/")
}

type errorData struct{ Message string }

// webError renders an error page with a title and message from web_strings.go.
func (s *Server) webError(c echo.Context, status int, titleKey, msgKey string) error {
	return s.render(c, status, "error", webPage{Title: tr(titleKey), Data: errorData{Message: tr(msgKey)}})
}

// signInLimiter counts failed sign-ins per key (login name, client
// address) in a sliding window. It is safe for concurrent use and bounded
// in memory.
type signInLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newSignInLimiter(maxFailures int, window time.Duration, now func() time.Time) *signInLimiter {
	return &signInLimiter{max: maxFailures, window: window, now: now, fails: map[string][]time.Time{}}
}

// recent returns key's failures still in the window (mu held).
func (l *signInLimiter) recent(key string, now time.Time) []time.Time {
	fs := l.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = fs
	return fs
}

// blocked returns how long until any of keys may try again, or 0.
func (l *signInLimiter) blocked(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if fs := l.recent(k, now); len(fs) >= l.max {
			wait = max(wait, l.window-now.Sub(fs[len(fs)-l.max]))
		}
	}
	return wait
}

// fail records a failed sign-in under every key.
func (l *signInLimiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) >= signInMaxKeys {
		for k := range l.fails {
			l.recent(k, now)
		}
		for k := range l.fails { // still full: forget arbitrary keys
			if len(l.fails) < signInMaxKeys {
				break
			}
			delete(l.fails, k)
		}
	}
	for _, k := range keys {
		fs := append(l.recent(k, now), now)
		if len(fs) > l.max {
			fs = fs[len(fs)-l.max:]
		}
		l.fails[k] = fs
	}
}

// reset forgets key's failures (after a successful sign-in).
func (l *signInLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
