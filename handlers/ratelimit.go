package handlers

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/ratelimit"
)

// Rate limits, answered as Mastodon does: X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset (ISO 8601) on limited
// routes, and 429 {"error":"Too many requests"} with Retry-After once a
// bucket is empty. See [limits] in config.example.toml.

// Limit names, for metrics.
const (
	LimitAPI         = "api_ip"
	LimitAPIAccount  = "api_account"
	LimitSignIn      = "signin_ip"
	LimitSignUp      = "signup_ip"
	LimitInboxIP     = "inbox_ip"
	LimitInboxDomain = "inbox_domain"
)

// rateLimits are one server's limiters (nil ones are off).
type rateLimits struct {
	api, apiAccount, signIn, signUp, inboxIP, inboxDomain *ratelimit.Limiter
	onLimited                                             func(limit string)
	proxies                                               bool
	warnProxy                                             sync.Once
}

// signInPaths and signUpPaths are the POST routes the tighter per-IP
// limits apply to (route templates).
var (
	signInPaths = []string{"/oauth/token", "/oauth/authorize", "/auth/sign_in", "/signin"}
	signUpPaths = []string{"/api/v1/accounts", "/auth/sign_up", "/signup", "/api/v1/apps"}
)

// ParseTrustedProxies parses http.trusted_proxies: CIDRs, or bare IPs.
func ParseTrustedProxies(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is not a CIDR like \"127.0.0.1/32\" or an IP", s)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR like \"127.0.0.1/32\"", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// UseRateLimits sets how the client IP is found (X-Forwarded-For only from
// http.trusted_proxies, else the connection's address) and installs the
// [limits] of the configuration. onLimited (may be nil) is told the name
// of each limit that refuses a request. Call it after UseMetrics and
// before serving.
func (s *Server) UseRateLimits(onLimited func(limit string)) error {
	nets, err := ParseTrustedProxies(s.cfg.HTTP.TrustedProxies)
	if err != nil {
		return fmt.Errorf("http.trusted_proxies: %w", err)
	}
	if len(nets) == 0 {
		s.e.IPExtractor = echo.ExtractIPDirect()
	} else {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range nets {
			opts = append(opts, echo.TrustIPRange(n))
		}
		s.e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	l := s.cfg.Limits
	keys := l.MaxTrackedKeys
	if onLimited == nil {
		onLimited = func(string) {}
	}
	rl := &rateLimits{
		api:         ratelimit.New(l.APIPer5Min, 5*time.Minute, keys),
		apiAccount:  ratelimit.New(l.APIPerAccountPer5Min, 5*time.Minute, keys),
		signIn:      ratelimit.New(l.SigninPerIPPer15Min, 15*time.Minute, keys),
		signUp:      ratelimit.New(l.SignupPerIPPerHour, time.Hour, keys),
		inboxIP:     ratelimit.New(l.InboxPerIPPerMin, time.Minute, keys),
		inboxDomain: ratelimit.New(l.InboxPerDomainPerMin, time.Minute, keys),
		onLimited:   onLimited,
		proxies:     len(nets) > 0,
	}
	s.e.Use(s.rateLimitMiddleware(rl))
	return nil
}

func (s *Server) rateLimitMiddleware(rl *rateLimits) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			path, method := c.Path(), c.Request().Method
			switch {
			case method == http.MethodPost && (path == "/inbox" || path == "/users/:username/inbox"):
				return s.limitInbox(c, next, rl)
			case strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/oauth/") ||
				method == http.MethodPost && (contains(signInPaths, path) || contains(signUpPaths, path)):
				return s.limitAPI(c, next, rl)
			}
			return next(c)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// clientIP returns the request's client IP and whether limits keyed by IP
// skip it (loopback: the machine itself, or an untrusted local proxy).
func (s *Server) clientIP(c echo.Context, rl *rateLimits) (string, bool) {
	ip := c.RealIP()
	parsed := net.ParseIP(ip)
	if parsed == nil || !parsed.IsLoopback() {
		return ip, false
	}
	if !rl.proxies && c.Request().Header.Get(echo.HeaderXForwardedFor) != "" {
		rl.warnProxy.Do(func() {
			s.log.Warn("requests arrive through a local reverse proxy that is not trusted: per-IP rate limits do not apply; set http.trusted_proxies (see docs/operations.md)")
		})
	}
	return ip, true
}

// limitAPI applies the API limit (per account when the bearer token names
// one, else per IP) and, for sign-in and registration POSTs, their
// tighter per-IP limits.
func (s *Server) limitAPI(c echo.Context, next echo.HandlerFunc, rl *rateLimits) error {
	now := s.now()
	r := c.Request()
	ip, exempt := s.clientIP(c, rl)
	var tight *ratelimit.Limiter
	var tightName string
	if r.Method == http.MethodPost {
		switch path := c.Path(); {
		case contains(signInPaths, path):
			tight, tightName = rl.signIn, LimitSignIn
		case contains(signUpPaths, path):
			tight, tightName = rl.signUp, LimitSignUp
		}
	}
	lim, name, key := rl.api, LimitAPI, "ip:"+ip
	if tok := bearerToken(r); tok != "" && s.oauth != nil && rl.apiAccount != nil {
		if info, err := s.oauth.Lookup(r.Context(), tok); err == nil && info.Account != nil {
			c.Set(tokenInfoKey, info)
			lim, name, key = rl.apiAccount, LimitAPIAccount, "acct:"+info.Account.ID
		}
	}
	if name == LimitAPI && exempt {
		lim = nil
	}
	var shown *ratelimit.Result
	if lim != nil {
		res := lim.Allow(key, now)
		if !res.Allowed {
			return tooManyRequests(c, res, name, rl)
		}
		shown = &res
	}
	if tight != nil && !exempt {
		res := tight.Allow(ip, now)
		if !res.Allowed {
			return tooManyRequests(c, res, tightName, rl)
		}
		shown = &res // the tighter limit is the one that matters here
	}
	if shown != nil {
		setRateLimitHeaders(c, *shown)
	}
	return next(c)
}

// limitInbox applies the per-IP inbox limit, then the per-domain one. A
// domain (the host of the signature's keyId) is refused once its bucket is
// empty, but a request is charged to it only after its signature verified,
// so that a forger naming another domain's key cannot spend that domain's
// allowance (the forger's own IP limit still applies).
func (s *Server) limitInbox(c echo.Context, next echo.HandlerFunc, rl *rateLimits) error {
	now := s.now()
	if ip, exempt := s.clientIP(c, rl); !exempt && rl.inboxIP != nil {
		if res := rl.inboxIP.Allow(ip, now); !res.Allowed {
			return tooManyRequests(c, res, LimitInboxIP, rl)
		}
	}
	domain := ""
	if rl.inboxDomain != nil {
		domain = keyIDHost(c.Request().Header.Get("Signature"))
	}
	if domain == "" {
		return next(c)
	}
	res := rl.inboxDomain.Peek(domain, now)
	if !res.Allowed {
		return tooManyRequests(c, res, LimitInboxDomain, rl)
	}
	err := next(c)
	status := c.Response().Status
	if he, ok := err.(*echo.HTTPError); ok && !c.Response().Committed {
		status = he.Code
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		// Refused before or at the signature check: not the domain's doing.
	default:
		rl.inboxDomain.Charge(domain, now)
	}
	return err
}

// keyIDHost returns the lowercase host of the keyId of a draft-cavage
// Signature header, or "" when there is none. It is not verified: the
// inbox does that.
func keyIDHost(sig string) string {
	i := strings.Index(sig, `keyId="`)
	if i < 0 {
		return ""
	}
	rest := sig[i+len(`keyId="`):]
	end := strings.IndexByte(rest, '"')
	if end < 0 {
		return ""
	}
	id := rest[:end]
	_, after, ok := strings.Cut(id, "://")
	if !ok {
		return ""
	}
	if j := strings.IndexAny(after, "/?#"); j >= 0 {
		after = after[:j]
	}
	if after == "" || len(after) > 255 {
		return ""
	}
	return strings.ToLower(after)
}

func setRateLimitHeaders(c echo.Context, r ratelimit.Result) {
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-RateLimit-Reset", r.Reset.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

func tooManyRequests(c echo.Context, r ratelimit.Result, limit string, rl *rateLimits) error {
	rl.onLimited(limit)
	setRateLimitHeaders(c, r)
	secs := int((r.RetryAfter + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return c.JSON(http.StatusTooManyRequests, map[string]string{"error": "Too many requests"})
}
