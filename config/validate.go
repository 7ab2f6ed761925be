package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// checks are the named checks of string keys (the check tag). Each returns
// the value normalised (or unchanged) and an error message without the key.
var checks = map[string]func(string) (string, error){
	"nonempty": checkNonEmpty,
	"domain":   checkDomain,
	"listen":   checkListen,
	"email":    checkEmail,
	"username": checkUsername,
}

// listChecks are the named checks of list keys.
var listChecks = map[string]func([]string) error{
	"languages": checkLanguages,
}

// Validate checks every key, then the rules that tie keys together, and
// returns the first problem as an *Error naming the key and where its value
// came from. It also normalises Domain (lowercase, without the default port
// of the scheme).
func (c *Config) Validate() error {
	for _, f := range fields {
		if err := c.checkField(f); err != nil {
			return err
		}
	}
	return c.checkTogether()
}

func (c *Config) fail(key, format string, args ...any) *Error {
	o := c.origins[key]
	return &Error{Key: key, Source: o.source, Line: o.line, Msg: fmt.Sprintf(format, args...)}
}

func (c *Config) checkField(f *field) error {
	rv := f.value(c)
	switch f.kind {
	case kindString:
		s := rv.String()
		if f.oneof != nil && !slices.Contains(f.oneof, s) {
			return c.fail(f.name, "must be %s, got %q", alternatives(f.oneof), s)
		}
		if f.check != "" {
			norm, err := checks[f.check](s)
			if err != nil {
				return c.fail(f.name, "%s", err)
			}
			rv.SetString(norm)
		}
	case kindInt:
		if n := rv.Int(); f.hasRange && (n < f.min || n > f.max) {
			return c.fail(f.name, "must be between %d and %d, got %d", f.min, f.max, n)
		}
	case kindSize:
		if n := rv.Int(); n <= 0 {
			return c.fail(f.name, "must be a positive size, got %d", n)
		}
	case kindDuration:
		if rv.Int() <= 0 {
			return c.fail(f.name, "must be a positive duration, got %q", f.format(c))
		}
	case kindList:
		if f.check != "" {
			if err := listChecks[f.check](rv.Interface().([]string)); err != nil {
				return c.fail(f.name, "%s", err)
			}
		}
	}
	return nil
}

// checkTogether checks the rules that involve more than one key.
func (c *Config) checkTogether() error {
	// Drop the scheme's default port, so that actor IDs and acct: handles
	// have one spelling.
	if host, port := splitDomain(c.Domain); (port == "443" && c.EffectiveScheme() == "https") ||
		(port == "80" && c.EffectiveScheme() == "http") {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		c.Domain = host
	}

	if c.TLS.Mode == "autocert" {
		host, _ := splitDomain(c.Domain)
		if isLoopbackHost(host) || net.ParseIP(host) != nil {
			return c.fail("tls.mode", `"autocert" needs a public domain name, but domain is %q (%s)`,
				c.Domain, c.origins["domain"])
		}
		if c.EffectiveScheme() != "https" {
			return c.fail("tls.mode", `"autocert" needs scheme "https", but scheme is %q (%s)`,
				c.Scheme, c.origins["scheme"])
		}
	}
	if c.HTTP.MaxInboxBytes > c.HTTP.MaxBodyBytes {
		return c.fail("http.max_inbox_bytes", "%s is more than http.max_body_bytes (%s, %s), which caps every request body; raise that too",
			formatSize(c.HTTP.MaxInboxBytes), formatSize(c.HTTP.MaxBodyBytes), c.origins["http.max_body_bytes"])
	}
	return nil
}

// alternatives writes `"a", "b" or "c"`, leaving out "" (allowed but
// documented separately).
func alternatives(list []string) string {
	var q []string
	for _, v := range list {
		if v != "" {
			q = append(q, strconv.Quote(v))
		}
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func checkNonEmpty(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return s, errors.New("must not be empty")
	}
	return s, nil
}

// checkDomain accepts host or host:port, where host is a DNS name, an IPv4
// address or a bracketed IPv6 address, and returns it lowercased.
func checkDomain(s string) (string, error) {
	switch {
	case s == "":
		return s, errors.New(`must not be empty; use a host name like "example.org" or "localhost:8080"`)
	case strings.Contains(s, "://"):
		return s, fmt.Errorf(`must be a host name without a scheme (set scheme for that), got %q`, s)
	case strings.ContainsAny(s, "/?#"):
		return s, fmt.Errorf(`must be host or host:port without a path, got %q`, s)
	case strings.Contains(s, "@"):
		return s, fmt.Errorf(`must be host or host:port, got %q`, s)
	}
	bad := fmt.Errorf(`must be host or host:port, got %q`, s)
	d := strings.ToLower(s)
	var host, port string
	var hasPort bool
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return s, bad
		}
		host, port = d[1:end], d[end+1:]
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return s, fmt.Errorf(`%q is not an IPv6 address`, host)
		}
		if port != "" {
			if !strings.HasPrefix(port, ":") {
				return s, bad
			}
			port, hasPort = port[1:], true
		}
	} else {
		if strings.Count(d, ":") > 1 {
			return s, fmt.Errorf(`an IPv6 address must be in brackets, like "[2001:db8::1]:8080", got %q`, s)
		}
		host, port, hasPort = strings.Cut(d, ":")
		if net.ParseIP(host) == nil && !isHostName(host) {
			return s, fmt.Errorf(`%q is not a valid host name`, host)
		}
	}
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return s, fmt.Errorf(`port must be a number from 1 to 65535, got %q`, port)
		}
	}
	return d, nil
}

var hostLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// isHostName reports whether h is a lowercase DNS name of valid labels.
func isHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if !hostLabel.MatchString(label) {
			return false
		}
	}
	return true
}

// checkListen accepts host:port for net.Listen("tcp", ...): the host may be
// empty (all interfaces); port 0 picks a free port (tests).
func checkListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = errors.New("bad port")
		}
	}
	if err == nil && host != "" && net.ParseIP(host) == nil && !isHostName(strings.ToLower(host)) {
		err = errors.New("bad host")
	}
	if err != nil {
		return s, fmt.Errorf(`must be host:port like "localhost:8080" or ":8080", got %q`, s)
	}
	return s, nil
}

func checkEmail(s string) (string, error) {
	if s == "" {
		return s, nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return s, fmt.Errorf(`must be a plain address like "admin@example.org", got %q`, s)
	}
	return s, nil
}

var username = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)

func checkUsername(s string) (string, error) {
	if s != "" && !username.MatchString(s) {
		return s, fmt.Errorf(`must be the username of a local account (letters, digits, _; no @ or domain), got %q`, s)
	}
	return s, nil
}

// languageTag is the shape of a BCP-47 tag: a 2-3 letter language (or a
// 4-8 letter registered one) and subtags of 1-8 letters or digits. It checks
// the shape, not the registry.
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

func checkLanguages(tags []string) error {
	for _, t := range tags {
		if !languageTag.MatchString(t) {
			return fmt.Errorf(`%q is not a BCP-47 language tag like "en" or "pt-BR"`, t)
		}
	}
	return nil
}
