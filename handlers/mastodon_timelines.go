package handlers

// Timelines: home, public (local and remote), hashtag, bookmarks and
// favourites. Every one is a key-range scan (see package social).

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/mastodon"
)

func (s *Server) mastodonTimelineRoutes() {
	e := s.e
	e.GET("/api/v1/timelines/home", s.homeTimeline, s.requireUser("read", "read:statuses"))
	e.GET("/api/v1/timelines/public", s.publicTimeline, s.optionalAuth())
	e.GET("/api/v1/timelines/tag/:hashtag", s.tagTimeline, s.optionalAuth())
	e.GET("/api/v1/bookmarks", s.bookmarks, s.requireUser("read", "read:bookmarks"))
	e.GET("/api/v1/favourites", s.favourites, s.requireUser("read", "read:favourites"))
}

func (s *Server) statusList(c echo.Context, list []mastodon.Status, err error) error {
	if err != nil {
		return err
	}
	if len(list) > 0 {
		setLinkHeader(c, list[0].ID, list[len(list)-1].ID)
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) homeTimeline(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, err := s.social.HomeTimeline(c.Request().Context(), s.socialViewer(c), p)
	return s.statusList(c, list, err)
}

func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, tocsin.Invalid(tocsin.FieldError{Field: name, Message: "must be true or false"})
	}
	return b, nil
}

func (s *Server) publicTimeline(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	local, err := boolParam(c, "local")
	if err != nil {
		return err
	}
	remote, err := boolParam(c, "remote")
	if err != nil {
		return err
	}
	if !local && !remote {
		local, remote = true, true
	}
	list, err := s.social.PublicTimeline(c.Request().Context(), s.socialViewer(c), local, remote, p)
	return s.statusList(c, list, err)
}

func (s *Server) tagTimeline(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	local, err := boolParam(c, "local")
	if err != nil {
		return err
	}
	list, err := s.social.TagTimeline(c.Request().Context(), s.socialViewer(c), c.Param("hashtag"), local, p)
	return s.statusList(c, list, err)
}

func (s *Server) bookmarks(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, err := s.social.Bookmarks(c.Request().Context(), s.socialViewer(c), p)
	return s.statusList(c, list, err)
}

func (s *Server) favourites(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	list, err := s.social.Favourites(c.Request().Context(), s.socialViewer(c), p)
	return s.statusList(c, list, err)
}
