package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/federation"
	"github.com/tocsin-network/tocsin/federation/ap"
)

// actor serves a local account's actor: AS2 JSON to ActivityPub clients,
// the HTML profile page to browsers (one URL, content negotiation).
func (s *Server) actor(c echo.Context) error {
	r := c.Request()
	if !acceptable(r) {
		return echo.NewHTTPError(http.StatusNotAcceptable, "this resource is available as text/html or application/activity+json")
	}
	if !wantsActivityJSON(r) {
		return s.webProfile(c, c.Param("username"))
	}
	a, err := s.accounts.Get(r.Context(), c.Param("username"))
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept")
	doc, err := ap.ActorDocument(federation.ActorInfo(s.urls, a))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, activityContentType, doc)
}

// profilePage is the Mastodon-style /@name page.
func (s *Server) profilePage(c echo.Context) error {
	if !wantsActivityJSON(c.Request()) {
		return s.webProfile(c, c.Param("username"))
	}
	a, err := s.accounts.Get(c.Request().Context(), c.Param("username"))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, s.urls.Actor(a.Username))
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
