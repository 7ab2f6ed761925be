package mastodon

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/store"
)

// Converter turns Tocsin's records into Mastodon entities for one instance.
// Its zero Now means time.Now. A Converter is safe for concurrent use.
type Converter struct {
	URLs federation.URLs
	// Domain is the instance's domain as Mastodon shows it (Instance
	// "domain" and "uri"); empty means URLs.Host().
	Domain string
	// Language is the two-letter language of local posts that do not say
	// theirs; empty means "en".
	Language string
	Now      func() time.Time
	// ProxyMedia, when set, rewrites a remote image URL (a peer's avatar or
	// header) to one served by this instance, so that clients do not fetch
	// from peers and tell them who is reading. Nil uses peer URLs as given.
	ProxyMedia func(remoteURL string) string
}

// Paths, under the instance's base URL, of the images shown when an account
// has none and of the instance thumbnail. Mastodon clients need a URL for
// every avatar and header; the static file server must serve these.
const (
	DefaultAvatarPath    = "/static/avatar.png"
	DefaultHeaderPath    = "/static/header.png"
	DefaultThumbnailPath = "/static/thumbnail.png"
)

func (c *Converter) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Converter) domain() string {
	if c.Domain != "" {
		return c.Domain
	}
	return c.URLs.Host()
}

func (c *Converter) language() string {
	if l := baseLanguage(c.Language); l != "" {
		return l
	}
	return "en"
}

func (c *Converter) static(path string) string { return c.URLs.Base + path }

// remoteMedia returns the URL a client should load for a peer's image, or
// fallback when there is none usable.
func (c *Converter) remoteMedia(u, fallback string) string {
	if !webURL(u) {
		return fallback
	}
	if c.ProxyMedia != nil {
		return c.ProxyMedia(u)
	}
	return u
}

// tagURL is the hashtag's page on this instance.
func (c *Converter) tagURL(name string) string {
	return c.URLs.Base + "/tags/" + url.PathEscape(strings.ToLower(name))
}

// Datetime formats t as Mastodon does: UTC with milliseconds,
// "2019-12-08T03:48:33.901Z".
func Datetime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Date formats the UTC day of t as "2019-11-17" (Account.last_status_at).
func Date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// midnight is the start of t's UTC day: Mastodon gives an account's
// created_at as a day since 3.4.0.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func nullableDatetime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := Datetime(t)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// RemoteAccountID is the account ID of a remote actor: "R" and 25 Crockford
// base-32 characters of the SHA-256 of its IRI (see the package doc).
func RemoteAccountID(actorIRI string) string { return store.RemoteActorID(actorIRI) }

// IsRemoteAccountID reports whether id has the form RemoteAccountID gives
// (a local account's ID is a ULID and never does).
func IsRemoteAccountID(id string) bool { return len(id) == 26 && id[0] == 'R' }

// baseLanguage reduces a BCP 47 tag to the ISO 639 code Mastodon uses
// ("fr-CI" -> "fr"); "" when there is none.
func baseLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return ""
	}
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	b, conf := t.Base()
	if conf == language.No || b.String() == "und" {
		return ""
	}
	return b.String()
}

// acctHost is the host[:port] of an IRI as it appears in an acct: lower
// case, without the scheme's default port, with any other port kept.
func acctHost(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// maxWebURL bounds the URLs of peers' documents that clients are given
// (avatar, header, profile and status links); longer ones are abuse.
const maxWebURL = 2048

// webURL reports whether s is an absolute http(s) URL of a sane length:
// the only links handed to clients.
func webURL(s string) bool {
	if len(s) > maxWebURL {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
