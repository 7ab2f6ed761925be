package handlers

// Search (v2): accounts by handle or URL, statuses by URL, hashtags; with
// resolve=true what is not stored yet is fetched from its origin.

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
)

func (s *Server) mastodonSearchRoutes() {
	s.e.GET("/api/v2/search", s.search, s.optionalAuth())
}

func (s *Server) search(c echo.Context) error {
	typ := c.QueryParam("type")
	if typ != "" && !slices.Contains([]string{"accounts", "statuses", "hashtags"}, typ) {
		return tocsin.Invalid(tocsin.FieldError{Field: "type", Message: "must be accounts, statuses or hashtags"})
	}
	resolve, err := boolParam(c, "resolve")
	if err != nil {
		return err
	}
	res, err := s.social.Search(c.Request().Context(), s.socialViewer(c), c.QueryParam("q"), resolve, typ)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
