package handlers

// Shared trust lists: GET /trust-list publishes this instance's domain
// decisions as an ActivityStreams collection (federation/trustlists.go),
// and /api/v1/tocsin/trust/subscriptions lets admins and moderators
// subscribe to other instances' lists, preview and apply them (documented
// in docs/api.md, "Trust list subscriptions").

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	tocsin "github.com/tocsin-network/tocsin"
	"github.com/tocsin-network/tocsin/moderation"
)

// trustList serves GET /trust-list: the collection, or ?page=N of it.
func (s *Server) trustList(c echo.Context) error {
	if err := s.authorizeFetch(c); err != nil {
		return err
	}
	page := 0
	if p := c.QueryParam("page"); p != "" {
		var err error
		if page, err = strconv.Atoi(p); err != nil || page < 1 || page > 100000 {
			return echo.NewHTTPError(http.StatusBadRequest, "page must be a number from 1")
		}
	}
	doc, err := s.fed.TrustListCollection(c.Request().Context(), page)
	if err != nil {
		return err
	}
	return s.writeActivity(c, http.StatusOK, doc)
}

func (a *modAPI) trustListRoutes() {
	e := a.e
	read, write := a.requireStaff("admin:read"), a.requireStaff("admin:write")
	e.GET("/api/v1/tocsin/trust/subscriptions", a.listTrustSubscriptions, read)
	e.POST("/api/v1/tocsin/trust/subscriptions", a.subscribeTrustList, write)
	e.GET("/api/v1/tocsin/trust/subscriptions/:id", a.getTrustSubscription, read)
	e.GET("/api/v1/tocsin/trust/subscriptions/:id/preview", a.previewTrustList, read)
	e.POST("/api/v1/tocsin/trust/subscriptions/:id/apply", a.applyTrustList, write)
	e.POST("/api/v1/tocsin/trust/subscriptions/:id/refresh", a.refreshTrustList, write)
	e.DELETE("/api/v1/tocsin/trust/subscriptions/:id", a.unsubscribeTrustList, write)
}

// listTrustSubscriptions is GET /api/v1/tocsin/trust/subscriptions.
func (a *modAPI) listTrustSubscriptions(c echo.Context) error {
	subs, err := a.mod.TrustSubscriptions(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, subs)
}

// getTrustSubscription is GET /api/v1/tocsin/trust/subscriptions/:id.
func (a *modAPI) getTrustSubscription(c echo.Context) error {
	subs, err := a.mod.TrustSubscriptions(c.Request().Context())
	if err != nil {
		return err
	}
	for _, s := range subs {
		if s.ID == c.Param("id") {
			return c.JSON(http.StatusOK, s)
		}
	}
	return recordNotFound()
}

// subscribeTrustList is POST /api/v1/tocsin/trust/subscriptions with
// source (or url), priority, mode (review or auto) and levels (blocked, or
// blocked and limited; the default).
func (a *modAPI) subscribeTrustList(c echo.Context) error {
	p, err := apiParams(c)
	if err != nil {
		return err
	}
	in := moderation.SubscribeInput{Source: p.Get("source")}
	if in.Source == "" {
		in.Source = p.Get("url")
	}
	var fields []tocsin.FieldError
	if v := strings.TrimSpace(p.Get("priority")); v != "" {
		if in.Priority, err = strconv.Atoi(v); err != nil {
			fields = append(fields, tocsin.FieldError{Field: "priority", Message: "must be an integer"})
		}
	}
	switch p.Get("mode") {
	case "", moderation.SubscriptionReview:
	case moderation.SubscriptionAuto:
		in.Auto = true
	default:
		fields = append(fields, tocsin.FieldError{Field: "mode", Message: `must be "review" or "auto"`})
	}
	levels := paramValues(p, "levels")
	if len(levels) == 1 {
		levels = strings.Split(levels[0], ",")
	}
	switch strings.Join(levels, ",") {
	case "", "blocked,limited", "limited,blocked":
	case "blocked":
		in.BlockOnly = true
	default:
		fields = append(fields, tocsin.FieldError{Field: "levels", Message: `must be ["blocked"] or ["blocked", "limited"]`})
	}
	if len(fields) > 0 {
		return tocsin.Invalid(fields...)
	}
	sub, err := a.mod.Subscribe(c.Request().Context(), modBy(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

// previewTrustList is GET /api/v1/tocsin/trust/subscriptions/:id/preview.
func (a *modAPI) previewTrustList(c echo.Context) error {
	p, err := a.mod.PreviewTrustList(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// applyTrustList is POST /api/v1/tocsin/trust/subscriptions/:id/apply.
func (a *modAPI) applyTrustList(c echo.Context) error {
	p, err := a.mod.ApplyTrustList(c.Request().Context(), modBy(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// refreshTrustList is POST /api/v1/tocsin/trust/subscriptions/:id/refresh:
// fetch now (and, in auto mode, apply). A failed fetch is 503, recorded on
// the subscription.
func (a *modAPI) refreshTrustList(c echo.Context) error {
	sub, err := a.mod.RefreshTrustList(c.Request().Context(), modBy(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub)
}

// unsubscribeTrustList is DELETE /api/v1/tocsin/trust/subscriptions/:id:
// the changes it made are undone (or taken over by another list).
func (a *modAPI) unsubscribeTrustList(c echo.Context) error {
	p, err := a.mod.Unsubscribe(c.Request().Context(), modBy(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
