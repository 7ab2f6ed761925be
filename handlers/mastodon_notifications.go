package handlers

// Notifications: list (types[] and exclude_types[]), one, dismiss, clear.

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tocsin-network/tocsin/social"
)

func (s *Server) mastodonNotificationRoutes() {
	e := s.e
	read := s.requireUser("read", "read:notifications")
	write := s.requireUser("write", "write:notifications")
	e.GET("/api/v1/notifications", s.listNotifications, read)
	e.GET("/api/v1/notifications/:id", s.getNotification, read)
	e.POST("/api/v1/notifications/:id/dismiss", s.dismissNotification, write)
	e.POST("/api/v1/notifications/clear", s.clearNotifications, write)
}

func (s *Server) listNotifications(c echo.Context) error {
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	f := social.NotificationFilter{Types: queryList(q, "types"), ExcludeTypes: queryList(q, "exclude_types")}
	list, err := s.social.Notifications(c.Request().Context(), s.socialViewer(c), f, p)
	if err != nil {
		return err
	}
	if len(list) > 0 {
		setLinkHeader(c, list[0].ID, list[len(list)-1].ID)
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) getNotification(c echo.Context) error {
	n, err := s.social.Notification(c.Request().Context(), s.socialViewer(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

func (s *Server) dismissNotification(c echo.Context) error {
	if err := s.social.DismissNotification(c.Request().Context(), s.socialViewer(c), c.Param("id")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (s *Server) clearNotifications(c echo.Context) error {
	if err := s.social.ClearNotifications(c.Request().Context(), s.socialViewer(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
