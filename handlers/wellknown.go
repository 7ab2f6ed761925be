package handlers

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/account"
	"github.com/tocsin-network/tocsin/store"
)

// jrd is a JSON Resource Descriptor (RFC 7033).
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// webfinger answers acct: and actor-URL resources for local accounts and the
// instance actor. Malformed resources are 400, unknown ones 404.
func (s *Server) webfinger(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	resource := c.QueryParam("resource")
	if resource == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "missing resource parameter")
	}
	username, instance, err := s.parseWebfingerResource(resource)
	if err != nil {
		if isNotFound(err) {
			return echo.NewHTTPError(http.StatusNotFound, err.Error())
		}
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	host := s.urls.Host()
	var doc jrd
	if instance {
		actor := s.urls.InstanceActor()
		doc = jrd{
			Subject: "acct:" + host + "@" + host,
			Aliases: []string{actor},
			Links: []jrdLink{
				{Rel: "self", Type: "application/activity+json", Href: actor},
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: s.urls.Base + "/about"},
			},
		}
	} else {
		a, err := s.accounts.Get(c.Request().Context(), username)
		if err != nil {
			if tocsin.ErrorCode(err) == tocsin.ENOTFOUND {
				return echo.NewHTTPError(http.StatusNotFound, "no such account")
			}
			return err
		}
		actor := s.urls.Actor(a.Username)
		doc = jrd{
			Subject: "acct:" + a.Username + "@" + host,
			Aliases: []string{s.urls.Profile(a.Username), actor},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: s.urls.Profile(a.Username)},
				{Rel: "self", Type: "application/activity+json", Href: actor},
				{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: s.urls.Base + "/authorize_interaction?uri={uri}"},
			},
		}
	}
	c.Response().Header().Set("Cache-Control", "max-age=259200, public")
	return jsonAs(c, http.StatusOK, "application/jrd+json; charset=utf-8", doc)
}

// parseWebfingerResource returns the local username a resource names, or
// instance=true for the instance actor. Resources on other hosts and
// unknown paths are reported as not found by the caller (404), malformed
// ones as errors (400).
func (s *Server) parseWebfingerResource(resource string) (username string, instance bool, err error) {
	host := s.urls.Host()
	switch {
	case strings.HasPrefix(resource, "acct:"):
		rest := strings.TrimPrefix(resource, "acct:")
		rest = strings.TrimPrefix(rest, "@")
		at := strings.LastIndex(rest, "@")
		if at <= 0 || at == len(rest)-1 {
			return "", false, errors.New("resource must look like acct:user@host")
		}
		user, domain := rest[:at], strings.ToLower(rest[at+1:])
		if domain != host {
			return "", false, &notFoundError{"no such account on this server"}
		}
		if user == host {
			return "", true, nil
		}
		if account.ValidateUsername(user) != nil {
			return "", false, &notFoundError{"no such account"}
		}
		return user, false, nil
	case strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://"):
		u, perr := url.Parse(resource)
		if perr != nil || u.Host == "" {
			return "", false, errors.New("resource is not a valid URL")
		}
		if strings.ToLower(u.Host) != host {
			return "", false, &notFoundError{"no such account on this server"}
		}
		iri := s.urls.Base + u.Path
		if iri == s.urls.InstanceActor() {
			return "", true, nil
		}
		if name, ok := s.urls.LocalUsername(iri); ok {
			return name, false, nil
		}
		return "", false, &notFoundError{"no such account"}
	}
	return "", false, errors.New("resource must be an acct: URI or an http(s) URL")
}

// notFoundError is a well-formed request for something we do not have.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

type xrd struct {
	XMLName xml.Name  `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
	Links   []xrdLink `xml:"Link"`
}

type xrdLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Template string `xml:"template,attr"`
}

func (s *Server) lrddTemplate() string {
	return s.urls.Base + "/.well-known/webfinger?resource={uri}"
}

// hostMeta serves XRD, or JSON when the client asks for it.
func (s *Server) hostMeta(c echo.Context) error {
	if strings.Contains(c.Request().Header.Get("Accept"), "json") {
		return s.hostMetaJSON(c)
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	body, err := xml.MarshalIndent(xrd{Links: []xrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: s.lrddTemplate()}}}, "", "  ")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/xrd+xml; charset=utf-8", append([]byte(xml.Header), body...))
}

func (s *Server) hostMetaJSON(c echo.Context) error {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return jsonAs(c, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []jrdLink{{Rel: "lrdd", Type: "application/jrd+json", Template: s.lrddTemplate()}},
	})
}

// isNotFound says whether err is a well-formed request for something absent.
func isNotFound(err error) bool {
	var nf *notFoundError
	return errors.As(err, &nf) || errors.Is(err, store.ErrNotFound) || tocsin.ErrorCode(err) == tocsin.ENOTFOUND
}
