package handlers

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
	"github.com/tocsin-network/tocsin/static"
	"github.com/tocsin-network/tocsin/store"
)

var profileTemplate = template.Must(template.ParseFS(static.Files, "templates/profile.html"))

// actor serves a local account's actor: AS2 JSON to ActivityPub clients,
// the HTML profile page to browsers (one URL, content negotiation).
func (s *Server) actor(c echo.Context) error {
	r := c.Request()
	if !acceptable(r) {
		return echo.NewHTTPError(http.StatusNotAcceptable, "this resource is available as text/html or application/activity+json")
	}
	a, err := s.accounts.Get(r.Context(), c.Param("username"))
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept")
	if !wantsActivityJSON(r) {
		return s.renderProfile(c, a)
	}
	doc, err := ap.ActorDocument(federation.ActorInfo(s.urls, a))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, activityContentType, doc)
}

// profilePage is the Mastodon-style /@name page.
func (s *Server) profilePage(c echo.Context) error {
	a, err := s.accounts.Get(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	if wantsActivityJSON(c.Request()) {
		return c.Redirect(http.StatusFound, s.urls.Actor(a.Username))
	}
	return s.renderProfile(c, a)
}

// instanceActor serves the Application actor that signs our fetches.
func (s *Server) instanceActor(c echo.Context) error {
	r := c.Request()
	if !acceptable(r) {
		return echo.NewHTTPError(http.StatusNotAcceptable, "this resource is available as application/activity+json")
	}
	if !wantsActivityJSON(r) {
		return c.Redirect(http.StatusFound, s.urls.Base+"/")
	}
	doc, err := ap.ActorDocument(federation.InstanceActorInfo(s.urls, s.cfg.Instance.Name, s.instKey))
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept")
	return c.Blob(http.StatusOK, activityContentType, doc)
}

func (s *Server) renderProfile(c echo.Context, a *store.Account) error {
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	kind := "Person"
	if a.Kind == "organization" {
		kind = "Organisation"
	}
	lang := "en"
	if len(s.cfg.Instance.Languages) > 0 {
		lang = s.cfg.Instance.Languages[0]
	}
	var buf bytes.Buffer
	err := profileTemplate.Execute(&buf, map[string]any{
		"Lang":         lang,
		"Name":         name,
		"Handle":       a.Username + "@" + s.urls.Host(),
		"KindLabel":    kind,
		"Summary":      a.Summary,
		"ActorID":      s.urls.Actor(a.Username),
		"InstanceName": s.cfg.Instance.Name,
	})
	if err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
